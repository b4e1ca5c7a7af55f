/*
 * Round trips over real jobspecs: HCL → job → JSON → job → JSON must be
 * stable, and job → msgpack → job must give the identical job, both as
 * parsed and after canonicalization. The jobspecs are the getting-started
 * examples and every file in tests/data/jobspec/valid/.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/codec_mp.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"
#include "tests/harness/test.h"

static char *paths[64];
static int npaths;

static void add_dir(const char *dir, const char *suffix)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);

    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]->d_name);

        if (len > strlen(suffix) &&
            strcmp(names[i]->d_name + len - strlen(suffix), suffix) == 0 &&
            npaths < 64)
            paths[npaths++] = xasprintf("%s/%s", dir, names[i]->d_name);
        free(names[i]);
    }
    if (n >= 0)
        free(names);
}

static void collect(void)
{
    char *examples = xasprintf("%s/../../examples/getting-started",
                               test_data_dir());
    char *valid = xasprintf("%s/jobspec/valid", test_data_dir());

    add_dir(examples, ".nomad.hcl");
    add_dir(valid, ".hcl");
    free(examples);
    free(valid);
}

static struct job *parse(const char *path)
{
    struct err err = ERR_INIT;
    struct job *job = NULL;

    ck_assert_msg(jobspec_parse_file(path, NULL, &job, &err) == 0, "%s: %s",
                  path, err.msg);
    return job;
}

static char *to_text(const struct job *job)
{
    json_t *j = job_to_json(job);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

    json_decref(j);
    return s;
}

static void check_json_round_trip(const char *path, const struct job *job)
{
    struct err err = ERR_INIT;
    struct job *back = job_new();
    char *first = to_text(job);
    char *second;

    ck_assert_msg(job_decode_json(first, strlen(first), back, &err) == 0,
                  "%s: decode: %s", path, err.msg);
    ck_assert_msg(job_equal(job, back), "%s: JSON round trip changed the job",
                  path);
    second = to_text(back);
    ck_assert_str_eq(first, second);
    free(first);
    free(second);
    job_free(back);
}

static void check_mp_round_trip(const char *path, const struct job *job)
{
    struct err err = ERR_INIT;
    struct buf bytes = BUF_INIT;
    struct job *back = job_new();

    job_encode_mp(job, &bytes);
    ck_assert_msg(job_decode_mp(bytes.data, bytes.len, back, &err) == 0,
                  "%s: decode: %s", path, err.msg);
    ck_assert_msg(job_equal(job, back),
                  "%s: msgpack round trip changed the job", path);
    buf_release(&bytes);
    job_free(back);
}

START_TEST(found_the_jobspecs)
{
    collect();
    /* Four examples and the valid fixtures: an empty list proves nothing. */
    ck_assert_int_ge(npaths, 4);
}
END_TEST

START_TEST(parsed_jobs_round_trip)
{
    collect();
    for (int i = 0; i < npaths; i++) {
        struct job *job = parse(paths[i]);

        check_json_round_trip(paths[i], job);
        check_mp_round_trip(paths[i], job);
        job_free(job);
    }
}
END_TEST

START_TEST(canonical_jobs_round_trip)
{
    collect();
    for (int i = 0; i < npaths; i++) {
        struct job *job = parse(paths[i]);
        struct job *copy;

        job_canonicalize(job);
        check_json_round_trip(paths[i], job);
        check_mp_round_trip(paths[i], job);
        copy = job_copy(job);
        ck_assert(job_equal(job, copy));
        job_free(copy);
        job_free(job);
    }
}
END_TEST

static Suite *roundtrip_suite(void)
{
    Suite *s = suite_create("model_roundtrip");
    TCase *tc = test_tcase("roundtrip");

    tcase_add_test(tc, found_the_jobspecs);
    tcase_add_test(tc, parsed_jobs_round_trip);
    tcase_add_test(tc, canonical_jobs_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(roundtrip_suite)
