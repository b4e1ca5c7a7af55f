/*
 * `job plan` text of job diffs: markers, alignment of names and values,
 * nested blocks, group updates, task annotations and -verbose, as Nomad's
 * formatJobDiff lays them out.
 */
#include <string.h>

#include "agent/cli/cmd_jobops.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"
#include "lib/model/job_diff.h"
#include "tests/harness/test.h"

static struct job *job(int count, int memory, const char *extra_meta)
{
    char text[2048];
    struct err err = ERR_INIT;
    struct job *j = job_new();

    snprintf(text, sizeof(text),
             "{\"ID\": \"web\", \"Type\": \"service\", \"Meta\": {\"a\": "
             "\"1\"%s}, \"TaskGroups\": [{\"Name\": \"web\", \"Count\": %d, "
             "\"Tasks\": [{\"Name\": \"server\", \"Driver\": \"raw_exec\", "
             "\"Resources\": {\"CPU\": 100, \"MemoryMB\": %d}}]}]}",
             extra_meta, count, memory);
    ck_assert_msg(job_decode_json(text, strlen(text), j, &err) == 0, "%s",
                  err.msg);
    return j;
}

static char *render(const struct job *a,
                    const struct job *b,
                    const char *desired,
                    bool verbose)
{
    json_t *d = job_diff(a, b), *des = json_loads(desired, 0, NULL);
    struct buf out = BUF_INIT;

    job_diff_annotate(d, des);
    cli_format_job_diff(&out, d, verbose);
    json_decref(d);
    json_decref(des);
    return buf_detach(&out);
}

START_TEST(edited_block_is_aligned)
{
    struct job *a = job(1, 64, ""), *b = job(1, 128, "");
    char *text = render(a, b, "{\"web\": {\"DestructiveUpdate\": 1}}", false);

    ck_assert_str_eq(text,
                     "+/- Job: \"web\"\n"
                     "+/- Task Group: \"web\" (1 create/destroy update)\n"
                     "  +/- Task: \"server\" (forces create/destroy "
                     "update)\n"
                     "    +/- Resources {\n"
                     "          CPU:      \"100\"\n"
                     "      +/- MemoryMB: \"64\" => \"128\"\n"
                     "        }");
    free(text);
    job_free(a);
    job_free(b);
}
END_TEST

START_TEST(job_fields_and_count)
{
    struct job *a = job(1, 64, ""), *b = job(3, 64, ", \"b\": \"2\"");
    char *text =
        render(a, b, "{\"web\": {\"Place\": 2, \"InPlaceUpdate\": 1}}", false);

    ck_assert_str_eq(text,
                     "+/- Job: \"web\"\n"
                     "+/- Meta {\n"
                     "    a: \"1\"\n"
                     "  + b: \"2\"\n"
                     "    }\n"
                     "+/- Task Group: \"web\" (2 create, 1 in-place "
                     "update)\n"
                     "  +/- Count: \"1\" => \"3\" (forces create)\n"
                     "      Task: \"server\"");
    free(text);
    job_free(a);
    job_free(b);
}
END_TEST

START_TEST(added_job_short_and_verbose)
{
    struct job *b = job(1, 64, "");
    char *text = render(NULL, b, "{\"web\": {\"Place\": 1}}", false);

    ck_assert_str_eq(text,
                     "+ Job: \"web\"\n"
                     "+ Task Group: \"web\" (1 create)\n"
                     "  + Task: \"server\" (forces create)");
    free(text);
    text = render(NULL, b, "{\"web\": {\"Place\": 1}}", true);
    ck_assert_str_eq(text,
                     "+ Job: \"web\"\n"
                     "+ Type: \"service\"\n"
                     "+ Meta {\n"
                     "  + a: \"1\"\n"
                     "  }\n"
                     "+ Task Group: \"web\" (1 create)\n"
                     "  + Count: \"1\" (forces create)\n"
                     "  + Task: \"server\" (forces create)\n"
                     "    + Driver: \"raw_exec\"\n"
                     "    + Resources {\n"
                     "      + CPU:      \"100\"\n"
                     "      + MemoryMB: \"64\"\n"
                     "      }");
    free(text);
    job_free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("job_diff_format");
    TCase *tc = test_tcase("job_diff_format");

    tcase_add_test(tc, edited_block_is_aligned);
    tcase_add_test(tc, job_fields_and_count);
    tcase_add_test(tc, added_job_short_and_verbose);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
