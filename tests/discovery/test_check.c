/*
 * The check state machine: results through the thresholds, the next run
 * time, check_restart with its grace and limit, and the config built from
 * a jobspec check. Each table row is a result sequence with the status
 * and restart decision expected after every step.
 */
#include <string.h>

#include "discovery/check.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"
#include "tests/harness/test.h"

#define P CHECK_PASSING
#define W CHECK_WARNING
#define C CHECK_CRITICAL
#define N CHECK_PENDING

struct row
{
    const char *what;
    struct check_config cfg;
    /* results, and the status and restart flag expected after each */
    enum check_status in[10];
    enum check_status want[10];
    const char *restart; /* "..r." : 'r' where a restart is asked */
    size_t n;
    int64_t step_ms; /* time between results */
};

#define CFG(...)                                            \
    {                                                       \
        .interval_ms = 1000, .timeout_ms = 500, __VA_ARGS__ \
    }

/* One row per line reads as a table; clang-format would split them. */
/* clang-format off */
static const struct row rows[] = {
    {"first result is taken as it is", CFG(.initial = N), {P}, {P}, ".", 1,
     1000},
    {"first failure is critical even with thresholds",
     CFG(.failures_before_critical = 3), {C}, {C}, ".", 1, 1000},
    {"plain checks follow each result",
     CFG(0), {P, C, P, W, P}, {P, C, P, W, P}, ".....", 5, 1000},
    {"success_before_passing holds critical",
     CFG(.success_before_passing = 3), {C, P, P, P, C}, {C, C, C, P, C},
     ".....", 5, 1000},
    {"failures_before_critical holds passing",
     CFG(.failures_before_critical = 3), {P, C, C, C, P}, {P, P, P, C, P},
     ".....", 5, 1000},
    {"failures_before_warning comes first",
     CFG(.failures_before_critical = 4, .failures_before_warning = 2),
     {P, C, C, C, C, P}, {P, P, W, W, C, P}, "......", 6, 1000},
    {"a success in between resets the failures",
     CFG(.failures_before_critical = 2), {P, C, P, C, P}, {P, P, P, P, P},
     ".....", 5, 1000},
    {"initial_status passing is held through one failure",
     CFG(.initial = P, .failures_before_critical = 2), {C, C}, {P, C}, "..",
     2, 1000},
    {"initial_status critical needs successes",
     CFG(.initial = C, .success_before_passing = 2), {P, P}, {C, P}, "..", 2,
     1000},
    {"warning result counts as success for the thresholds",
     CFG(.success_before_passing = 2, .initial = C), {W, W}, {C, W}, "..", 2,
     1000},
    {"check_restart after limit unhealthy results",
     CFG(.restart_limit = 3), {C, C, C, C, C, C}, {C, C, C, C, C, C},
     "..r..r", 6, 1000},
    {"check_restart count cleared by a pass",
     CFG(.restart_limit = 2), {C, P, C, C}, {C, P, C, C}, "...r", 4, 1000},
    {"check_restart limit 1 restarts at once",
     CFG(.restart_limit = 1), {P, C}, {P, C}, ".r", 2, 1000},
    {"grace: results inside it are not counted",
     CFG(.restart_limit = 2, .restart_grace_ms = 2500), {C, C, C, C, C},
     {C, C, C, C, C}, "...r.", 5, 1000},
    {"warnings count unless ignored",
     CFG(.restart_limit = 2), {W, W}, {W, W}, ".r", 2, 1000},
    {"ignore_warnings",
     CFG(.restart_limit = 2, .restart_ignore_warnings = true), {W, W, C, C},
     {W, W, C, C}, "...r", 4, 1000},
    {"limit 0 never restarts", CFG(0), {C, C, C, C}, {C, C, C, C}, "....",
     4, 1000},
    {"thresholds apply before check_restart",
     CFG(.restart_limit = 1, .failures_before_critical = 3),
     {P, C, C, C}, {P, P, P, C}, "...r", 4, 1000},
};
/* clang-format on */

START_TEST(results_table)
{
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        const struct row *row = &rows[r];
        struct check_state st;
        int64_t now = 10000;

        check_state_init(&st, &row->cfg, now);
        ck_assert_int_eq(st.next_run_ms, now);
        ck_assert_int_eq(st.status, row->cfg.initial);
        for (size_t i = 0; i < row->n; i++) {
            enum check_status before = st.status;
            struct check_step out;

            /* Results land one step after the start, then every step. */
            now += row->step_ms;
            out = check_state_result(&st, row->in[i], now);
            ck_assert_msg(st.status == row->want[i],
                          "%s: step %zu: status %s, want %s", row->what, i,
                          check_status_name(st.status),
                          check_status_name(row->want[i]));
            ck_assert_msg(out.changed == (before != st.status),
                          "%s: step %zu: changed flag", row->what, i);
            ck_assert_msg(out.restart == (row->restart[i] == 'r'),
                          "%s: step %zu: restart %d", row->what, i,
                          out.restart);
            ck_assert_int_eq(st.next_run_ms, now + row->cfg.interval_ms);
        }
    }
}
END_TEST

START_TEST(worst_of_statuses)
{
    ck_assert_int_eq(check_status_worst(P, C), C);
    ck_assert_int_eq(check_status_worst(W, P), W);
    ck_assert_int_eq(check_status_worst(W, C), C);
    ck_assert_int_eq(check_status_worst(P, P), P);
    ck_assert_int_eq(check_status_worst(N, P), N);
    ck_assert_int_eq(check_status_worst(N, W), W);
    ck_assert_str_eq(check_status_name(W), "warning");
}
END_TEST

static const char *const spec =
    "job \"j\" {\n"
    "  group \"g\" {\n"
    "    network { port \"http\" {} }\n"
    "    task \"t\" {\n"
    "      driver = \"raw_exec\"\n"
    "      config { command = \"/bin/true\" }\n"
    "      service {\n"
    "        provider = \"nomad\"\n"
    "        name = \"web\"\n"
    "        port = \"http\"\n"
    "        check {\n"
    "          type = \"http\"\n"
    "          name = \"probe\"\n"
    "          path = \"/health\"\n"
    "          method = \"POST\"\n"
    "          protocol = \"https\"\n"
    "          port = \"http\"\n"
    "          address_mode = \"host\"\n"
    "          tls_skip_verify = true\n"
    "          body = \"{}\"\n"
    "          header {\n"
    "            X-Probe = [\"a\", \"b\"]\n"
    "          }\n"
    "          interval = \"3s\"\n"
    "          timeout = \"1500ms\"\n"
    "          initial_status = \"warning\"\n"
    "          success_before_passing = 2\n"
    "          failures_before_critical = 4\n"
    "          failures_before_warning = 1\n"
    "          check_restart {\n"
    "            limit = 3\n"
    "            grace = \"20s\"\n"
    "            ignore_warnings = true\n"
    "          }\n"
    "        }\n"
    "        check {\n"
    "          type = \"tcp\"\n"
    "          interval = \"1s\"\n"
    "          timeout = \"1s\"\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

START_TEST(config_from_jobspec)
{
    struct job *job = NULL;
    struct err err = ERR_INIT;
    struct check_config cfg;
    const struct service *svc;

    ck_assert_msg(
        jobspec_parse(spec, strlen(spec), "t.hcl", NULL, &job, &err) == 0, "%s",
        err.msg);
    job_canonicalize(job);
    ck_assert_msg(job_validate(job, &err) == 0, "%s", err.msg);
    svc = &job->groups[0].tasks[0].services[0];
    ck_assert_uint_eq(svc->nchecks, 2);
    /* Every field of the block, as parsed. */
    ck_assert_str_eq(svc->checks[0].name, "probe");
    ck_assert_str_eq(svc->checks[0].type, "http");
    ck_assert_str_eq(svc->checks[0].path, "/health");
    ck_assert_str_eq(svc->checks[0].method, "POST");
    ck_assert_str_eq(svc->checks[0].protocol, "https");
    ck_assert_str_eq(svc->checks[0].port_label, "http");
    ck_assert_str_eq(svc->checks[0].address_mode, "host");
    ck_assert(svc->checks[0].tls_skip_verify);
    ck_assert_str_eq(svc->checks[0].body, "{}");
    ck_assert_uint_eq(svc->checks[0].nheaders, 1);
    ck_assert_str_eq(svc->checks[0].headers[0].name, "X-Probe");
    ck_assert_uint_eq(svc->checks[0].headers[0].values.n, 2);
    ck_assert_str_eq(svc->checks[0].headers[0].values.items[1], "b");
    ck_assert_str_eq(svc->checks[1].name, "service: \"web\" check");
    ck_assert_int_eq(check_config_from_model(&svc->checks[0], &cfg, &err), 0);
    ck_assert_int_eq(cfg.interval_ms, 3000);
    ck_assert_int_eq(cfg.timeout_ms, 1500);
    ck_assert_int_eq(cfg.initial, CHECK_WARNING);
    ck_assert_int_eq(cfg.success_before_passing, 2);
    ck_assert_int_eq(cfg.failures_before_critical, 4);
    ck_assert_int_eq(cfg.failures_before_warning, 1);
    ck_assert_int_eq(cfg.restart_limit, 3);
    ck_assert_int_eq(cfg.restart_grace_ms, 20000);
    ck_assert(cfg.restart_ignore_warnings);
    ck_assert_int_eq(check_config_from_model(&svc->checks[1], &cfg, &err), 0);
    ck_assert_int_eq(cfg.initial, CHECK_PENDING);
    ck_assert_int_eq(cfg.restart_limit, 0);
    job_free(job);
}
END_TEST

static const char *const bad_spec =
    "job \"j\" {\n"
    "  group \"g\" {\n"
    "    network { port \"http\" {} }\n"
    "    service {\n"
    "      provider = \"nomad\"\n"
    "      name = \"web\"\n"
    "      port = \"http\"\n"
    "      check {\n"
    "        name = \"c1\"\n"
    "        type = \"http\"\n"
    "        path = \"http://example.com/health\"\n"
    "        protocol = \"gopher\"\n"
    "        address_mode = \"auto\"\n"
    "        interval = \"1s\"\n"
    "        timeout = \"1s\"\n"
    "        success_before_passing = -1\n"
    "        failures_before_critical = -2\n"
    "        on_update = \"sometimes\"\n"
    "        check_restart {\n"
    "          limit = -1\n"
    "          grace = \"-5s\"\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "    task \"t\" {\n"
    "      driver = \"raw_exec\"\n"
    "      config { command = \"/bin/true\" }\n"
    "    }\n"
    "  }\n"
    "}\n";

START_TEST(validation_names_bad_check_fields)
{
    static const char *const want[] = {
        "Check c1 invalid",
        "http type must have a relative http path",
        "invalid protocol (\"gopher\"), must be one of http, https",
        "invalid address_mode \"auto\" - auto only valid for services",
        "success_before_passing must be non-negative",
        "failures_before_critical must be non-negative",
        "on_update must be \"require_healthy\", \"ignore_warnings\", or "
        "\"ignore\"; got \"sometimes\"",
        "limit must be greater than or equal to 0 but found -1",
        "grace period must be greater than or equal to 0 but found",
    };
    struct job *job = NULL;
    struct err err = ERR_INIT;

    ck_assert_msg(jobspec_parse(bad_spec, strlen(bad_spec), "t.hcl", NULL, &job,
                                &err) == 0,
                  "%s", err.msg);
    job_canonicalize(job);
    ck_assert_int_eq(job_validate(job, &err), ERR_INVALID);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(strstr(err.msg, want[i]) != NULL,
                      "missing \"%s\" in:\n%s", want[i], err.msg);
    job_free(job);
}
END_TEST

START_TEST(http_status_and_reason)
{
    static const struct
    {
        const char *line;
        bool ok;
        const char *reason;
    } lines[] = {
        {"HTTP/1.1 200 OK\r\n", true, "OK"},
        {"HTTP/1.1 429 Too Many Requests\r\n", true, "Too Many"},
        {"HTTP/2 500\r\n", true, ""},
        {"HTTP/1.0 503 Bad\x01"
         "Byte\r\n",
         true, "Bad Byte"},
        {"Content-Length: 4\r\n", false, NULL},
        {"HTTP/1.1 20", false, NULL},
        {"HTTP/1.1 abc OK\r\n", false, NULL},
    };
    char out[9];

    ck_assert_int_eq(check_http_status(200), CHECK_PASSING);
    ck_assert_int_eq(check_http_status(204), CHECK_PASSING);
    ck_assert_int_eq(check_http_status(429), CHECK_WARNING);
    ck_assert_int_eq(check_http_status(301), CHECK_CRITICAL);
    ck_assert_int_eq(check_http_status(500), CHECK_CRITICAL);
    ck_assert_int_eq(check_http_status(0), CHECK_CRITICAL);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        strcpy(out, "-");
        ck_assert_msg(check_http_reason(lines[i].line, strlen(lines[i].line),
                                        out, sizeof(out)) == lines[i].ok,
                      "%s", lines[i].line);
        ck_assert_str_eq(out, lines[i].ok ? lines[i].reason : "-");
    }
}
END_TEST

static Suite *check_suite(void)
{
    Suite *s = suite_create("check");
    TCase *tc = test_tcase("check");

    tcase_add_test(tc, validation_names_bad_check_fields);
    tcase_add_test(tc, http_status_and_reason);
    tcase_add_test(tc, results_table);
    tcase_add_test(tc, worst_of_statuses);
    tcase_add_test(tc, config_from_jobspec);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(check_suite)
