/*
 * The jobspec decoder: what each block becomes, and the bad-input corpus
 * in tests/data/jobspec/invalid/ where every file names, in "# expect:"
 * lines, the messages (with line:col) it must produce.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/hcl.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"
#include "lib/time.h"
#include "tests/harness/test.h"

static struct job *parse_ok(const char *src)
{
    struct err err = ERR_INIT;
    struct job *job = NULL;

    ck_assert_msg(jobspec_parse(src, strlen(src), "t.hcl", NULL, &job,
                                &err) == 0,
                  "%s", err.msg);
    return job;
}

static const char *parse_err(const char *src, struct err *err)
{
    struct job *job = NULL;

    ck_assert_int_ne(
        jobspec_parse(src, strlen(src), "t.hcl", NULL, &job, err), 0);
    ck_assert_ptr_null(job);
    return err->msg;
}

START_TEST(job_label_and_defaults_left_unset)
{
    struct job *job = parse_ok("job \"web\" {\n  group \"g\" {}\n}\n");

    ck_assert_str_eq(job->id, "web");
    ck_assert_str_eq(job->name, "web");
    ck_assert_ptr_null(job->type);
    ck_assert_int_eq(job->priority, MODEL_UNSET);
    ck_assert_str_eq(job->groups[0].name, "g");
    ck_assert_int_eq(job->groups[0].count, MODEL_UNSET);
    job_free(job);
}
END_TEST

START_TEST(ports_split_into_reserved_and_dynamic)
{
    struct job *job = parse_ok(
        "job \"x\" {\n group \"g\" {\n  network {\n"
        "   port \"http\" {}\n   port \"lb\" { static = 8080 }\n"
        "   port \"db\" { to = 6379 }\n  }\n }\n}\n");
    struct network *n = &job->groups[0].networks[0];

    ck_assert_uint_eq(n->nreserved_ports, 1);
    ck_assert_str_eq(n->reserved_ports[0].label, "lb");
    ck_assert_int_eq(n->reserved_ports[0].value, 8080);
    ck_assert_uint_eq(n->ndynamic_ports, 2);
    ck_assert_str_eq(n->dynamic_ports[1].label, "db");
    ck_assert_int_eq(n->dynamic_ports[1].to, 6379);
    job_free(job);
}
END_TEST

START_TEST(constraint_shorthands_set_operand)
{
    struct job *job = parse_ok(
        "job \"x\" {\n"
        " constraint { distinct_hosts = true }\n"
        " constraint {\n  attribute = \"${attr.os.version}\"\n"
        "  version = \">= 22\"\n }\n"
        " constraint { distinct_property = \"${meta.rack}\"\n value = 2 }\n"
        "}\n");

    ck_assert_str_eq(job->constraints[0].operand, "distinct_hosts");
    ck_assert_str_eq(job->constraints[1].operand, "version");
    ck_assert_str_eq(job->constraints[1].ltarget, "${attr.os.version}");
    ck_assert_str_eq(job->constraints[1].rtarget, ">= 22");
    ck_assert_str_eq(job->constraints[2].operand, "distinct_property");
    ck_assert_str_eq(job->constraints[2].ltarget, "${meta.rack}");
    ck_assert_str_eq(job->constraints[2].rtarget, "2");
    job_free(job);
}
END_TEST

START_TEST(config_blocks_become_lists_and_runtime_refs_survive)
{
    struct job *job = parse_ok(
        "job \"x\" {\n group \"g\" {\n  task \"t\" {\n"
        "   driver = \"docker\"\n"
        "   config {\n    image = \"redis\"\n"
        "    args = [\"--port\", \"${NOMAD_PORT_db}\"]\n"
        "    mount {\n     type = \"bind\"\n    }\n"
        "    mount {\n     type = \"tmpfs\"\n    }\n   }\n"
        "  }\n }\n}\n");
    json_t *c = job->groups[0].tasks[0].config;

    ck_assert_str_eq(json_string_value(json_object_get(c, "image")), "redis");
    ck_assert_str_eq(
        json_string_value(json_array_get(json_object_get(c, "args"), 1)),
        "${NOMAD_PORT_db}");
    ck_assert_uint_eq(json_array_size(json_object_get(c, "mount")), 2);
    job_free(job);
}
END_TEST

START_TEST(durations_meta_env_and_maps)
{
    struct job *job = parse_ok(
        "job \"x\" {\n meta { n = 3\n b = true }\n group \"g\" {\n"
        "  task \"t\" {\n   kill_timeout = \"1m30s\"\n"
        "   env = { \"discovery.type\" = \"single-node\" }\n"
        "   logs {\n    max_files = 2\n    max_file_size = 5\n   }\n"
        "  }\n }\n}\n");
    struct task *t = &job->groups[0].tasks[0];

    ck_assert_str_eq(strmap_get(&job->meta, "n"), "3");
    ck_assert_str_eq(strmap_get(&job->meta, "b"), "true");
    ck_assert_int_eq(t->kill_timeout_ns, 90 * NS_PER_SEC);
    ck_assert_str_eq(strmap_get(&t->env, "discovery.type"), "single-node");
    ck_assert_int_eq(t->log_config->max_file_size_mb, 5);
    job_free(job);
}
END_TEST

START_TEST(service_checks_headers_and_restart)
{
    struct job *job = parse_ok(
        "job \"x\" {\n group \"g\" {\n  service {\n   name = \"web\"\n"
        "   provider = \"nomad\"\n   check {\n    type = \"http\"\n"
        "    path = \"/\"\n    interval = \"10s\"\n    timeout = \"2s\"\n"
        "    header {\n     Authorization = [\"Basic x\"]\n    }\n"
        "    check_restart {\n     limit = 3\n     grace = \"90s\"\n    }\n"
        "   }\n  }\n }\n}\n");
    struct service_check *c = &job->groups[0].services[0].checks[0];

    ck_assert_str_eq(c->headers[0].name, "Authorization");
    ck_assert_str_eq(c->headers[0].values.items[0], "Basic x");
    ck_assert_int_eq(c->check_restart->limit, 3);
    ck_assert_int_eq(c->check_restart->grace_ns, 90 * NS_PER_SEC);
    ck_assert_int_eq(c->timeout_ns, 2 * NS_PER_SEC);
    job_free(job);
}
END_TEST

START_TEST(variables_from_flags)
{
    static const char *src =
        "variable \"n\" {\n  type = number\n  default = 1\n}\n"
        "job \"x\" {\n group \"g\" {\n  count = var.n\n }\n}\n";
    struct hcl_var vars[] = {{"n", "5"}};
    struct hcl_options opts = {0};
    struct err err = ERR_INIT;
    struct job *job = NULL;

    opts.vars = vars;
    opts.nvars = 1;
    ck_assert_msg(jobspec_parse(src, strlen(src), "v.hcl", &opts, &job,
                                &err) == 0,
                  "%s", err.msg);
    ck_assert_int_eq(job->groups[0].count, 5);
    job_free(job);
}
END_TEST

START_TEST(every_problem_is_reported)
{
    struct err err = ERR_INIT;
    const char *msg = parse_err("job \"x\" {\n  colour = 1\n  group \"g\" {\n"
                                "    cuont = 1\n  }\n  flavour {}\n}\n",
                                &err);

    ck_assert_ptr_nonnull(strstr(msg, "t.hcl:2:3: Unsupported argument"));
    ck_assert_ptr_nonnull(strstr(msg, "t.hcl:4:5: Unsupported argument"));
    ck_assert_ptr_nonnull(strstr(msg, "t.hcl:6:3: Unsupported block type"));
}
END_TEST

/* Each file of the corpus: parsing fails with every expected message. */
START_TEST(invalid_corpus)
{
    char *dir = xasprintf("%s/jobspec/invalid", test_data_dir());
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), files = 0;

    ck_assert_int_gt(n, 0);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        struct buf src = BUF_INIT;
        struct err err = ERR_INIT;
        struct job *job = NULL;
        char *path, *line;
        int expects = 0;

        if (strstr(name, ".hcl") == NULL) {
            free(names[i]);
            continue;
        }
        path = xasprintf("%s/%s", dir, name);
        ck_assert_int_eq(buf_read_file(&src, path, &err), 0);
        ck_assert_msg(jobspec_parse(src.data, src.len, name, NULL, &job,
                                    &err) != 0,
                      "%s parsed but must not", name);
        ck_assert_ptr_null(job);
        for (line = src.data; strncmp(line, "# expect: ", 10) == 0;
             line = strchr(line, '\n') + 1) {
            char *end = strchr(line, '\n');
            char *want = xstrndup(line + 10, (size_t)(end - line - 10));
            char *full = (want[0] >= '0' && want[0] <= '9')
                             ? xasprintf("%s:%s", name, want)
                             : xstrdup(want);

            ck_assert_msg(strstr(err.msg, full) != NULL,
                          "%s: want \"%s\" in:\n%s", name, full, err.msg);
            expects++;
            free(full);
            free(want);
        }
        ck_assert_msg(expects > 0, "%s has no # expect: line", name);
        files++;
        buf_release(&src);
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
    ck_assert_int_ge(files, 30);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("jobspec");
    TCase *tc = test_tcase("jobspec");

    tcase_add_test(tc, job_label_and_defaults_left_unset);
    tcase_add_test(tc, ports_split_into_reserved_and_dynamic);
    tcase_add_test(tc, constraint_shorthands_set_operand);
    tcase_add_test(tc, config_blocks_become_lists_and_runtime_refs_survive);
    tcase_add_test(tc, durations_meta_env_and_maps);
    tcase_add_test(tc, service_checks_headers_and_restart);
    tcase_add_test(tc, variables_from_flags);
    tcase_add_test(tc, every_problem_is_reported);
    tcase_add_test(tc, invalid_corpus);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
