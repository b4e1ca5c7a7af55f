/*
 * The client's service checks (agent/client/checks.c) with its service
 * registrations (services.c), on a real loop against the tests' HTTP
 * server: a registration with checks waits for their first results,
 * carries their health, follows the server, asks for check_restart
 * restarts, and goes away (its checks stopped) with its task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "agent/client/checks.h"
#include "agent/client/services.h"
#include "discovery/catalog.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"
#include "tests/harness/http_stub.h"
#include "tests/harness/test.h"

#define ALLOC_ID "6b1d2a4e-0c5f-4d8e-9a7b-3c2e1f0a9b8d"

static const char *const spec =
    "job \"j\" {\n"
    "  group \"g\" {\n"
    "    network { port \"http\" {} }\n"
    "    task \"web\" {\n"
    "      driver = \"raw_exec\"\n"
    "      config { command = \"/bin/true\" }\n"
    "      service {\n"
    "        provider = \"nomad\"\n"
    "        name = \"web\"\n"
    "        port = \"http\"\n"
    "        check {\n"
    "          name = \"alive\"\n"
    "          type = \"http\"\n"
    "          path = \"/ok\"\n"
    "          interval = \"30ms\"\n"
    "          timeout = \"2s\"\n"
    "          check_restart {\n"
    "            limit = 2\n"
    "            grace = \"0s\"\n"
    "          }\n"
    "        }\n"
    "        check {\n"
    "          type = \"tcp\"\n"
    "          interval = \"30ms\"\n"
    "          timeout = \"2s\"\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

static uv_loop_t loop;
static struct http_stub srv;
static struct client_services *cs;
static struct client_checks *cc;
static struct alloc *a;
static int changes, restarts;
static char restart_task[64], restart_reason[300], restart_alloc[64];
static uv_timer_t guard;
static bool expired;

static void on_changed(void *arg)
{
    (void)arg;
    changes++;
}

static void on_restart(void *arg,
                       const char *alloc_id,
                       const char *task,
                       const char *reason)
{
    (void)arg;
    restarts++;
    snprintf(restart_alloc, sizeof(restart_alloc), "%s", alloc_id);
    snprintf(restart_task, sizeof(restart_task), "%s", task ? task : "(group)");
    snprintf(restart_reason, sizeof(restart_reason), "%s", reason);
}

static void guard_fired(uv_timer_t *t)
{
    (void)t;
    expired = true;
}

static struct alloc *make_alloc(int port)
{
    struct alloc *x = alloc_new();
    struct job *job = NULL;
    struct err err = ERR_INIT;

    ck_assert_msg(
        jobspec_parse(spec, strlen(spec), "j.hcl", NULL, &job, &err) == 0, "%s",
        err.msg);
    job_canonicalize(job);
    x->id = xstrdup(ALLOC_ID);
    x->job = job;
    x->job_id = xstrdup("j");
    x->task_group = xstrdup("g");
    x->desired_status = xstrdup("run");
    x->client_status = xstrdup("running");
    x->ports = xcalloc(1, sizeof(*x->ports));
    x->ports[0].label = xstrdup("http");
    x->ports[0].value = port;
    x->ports[0].host_ip = xstrdup("127.0.0.1");
    x->nports = 1;
    x->task_states = xcalloc(1, sizeof(*x->task_states));
    task_state_init(&x->task_states[0]);
    x->task_states[0].task = xstrdup("web");
    x->task_states[0].state = xstrdup("running");
    x->ntask_states = 1;
    return x;
}

static void setup(void)
{
    struct client_checks_env env = {&loop, on_changed, on_restart, NULL};
    struct err err = ERR_INIT;

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    http_stub_start(&loop, &srv);
    ck_assert_int_eq(client_checks_new(&env, &cc, &err), 0);
    cs = client_services_new("node-1", "dc1");
    client_services_set_checks(cs, cc);
    a = make_alloc(srv.port);
    changes = restarts = 0;
    expired = false;
    uv_timer_init(&loop, &guard);
    uv_unref((uv_handle_t *)&guard);
    uv_timer_start(&guard, guard_fired, 10000, 0);
}

static bool closed;

static void on_closed(void *arg)
{
    (void)arg;
    closed = true;
}

static void teardown(void)
{
    closed = false;
    client_services_set_checks(cs, NULL);
    client_checks_close(cc, on_closed, NULL);
    client_services_free(cs);
    alloc_free(a);
    http_stub_stop(&srv);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert(closed);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}

static void refresh(void)
{
    client_services_begin(cs);
    client_services_add(cs, a, NULL);
    client_services_commit(cs, 1000);
}

/* The one registration of "web", or NULL. */
static const struct catalog_service *web(void)
{
    const struct catalog_service **list;
    const struct catalog_service *s;
    struct catalog_filter f = {NULL, NULL, 0};
    uint64_t index;
    size_t n = catalog_lookup(client_services_catalog(cs), "default", "web", &f,
                              &list, &index);

    ck_assert_uint_le(n, 1);
    s = n ? list[0] : NULL;
    free(list);
    return s;
}

static void run_until_changes(int want)
{
    while (changes < want && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_msg(changes >= want, "no health change before the guard");
}

START_TEST(registered_once_checks_ran_with_their_health)
{
    const struct catalog_service *s;

    refresh();
    ck_assert_ptr_null(web()); /* its checks have not run yet */
    ck_assert(!client_checks_alloc_healthy(cc, ALLOC_ID, 1));
    run_until_changes(1);
    refresh();
    s = web();
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->health, CATALOG_HEALTH_PASSING);
    ck_assert_int_eq(s->port, srv.port);
    ck_assert_ptr_nonnull(s->health_output);
    ck_assert(s->health_checked_unix_ms > 0);
    ck_assert(client_checks_alloc_healthy(cc, ALLOC_ID, 1));
    ck_assert(!client_checks_alloc_healthy(cc, ALLOC_ID, 2));
    ck_assert_uint_eq(client_services_checked(a), 1);
}
END_TEST

START_TEST(failing_server_turns_critical_and_asks_for_a_restart)
{
    const struct catalog_service *s;

    refresh();
    run_until_changes(1);
    srv.status_for_ok = 500;
    run_until_changes(2);
    refresh();
    s = web();
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->health, CATALOG_HEALTH_CRITICAL);
    ck_assert_msg(strstr(s->health_output, "500") != NULL, "%s",
                  s->health_output);
    ck_assert(!client_checks_alloc_healthy(cc, ALLOC_ID, 1));
    while (restarts < 1 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(restarts, 1);
    ck_assert_str_eq(restart_alloc, ALLOC_ID);
    ck_assert_str_eq(restart_task, "web");
    ck_assert_str_eq(restart_reason, "healthcheck: check \"alive\" unhealthy");
}
END_TEST

START_TEST(checks_stop_with_the_task)
{
    refresh();
    run_until_changes(1);
    refresh();
    ck_assert_ptr_nonnull(web());
    free(a->task_states[0].state);
    a->task_states[0].state = xstrdup("dead");
    refresh();
    ck_assert_ptr_null(web());
    /* No registration of the alloc is left to be healthy or not. */
    ck_assert(client_checks_alloc_healthy(cc, ALLOC_ID, 0));
    ck_assert(!client_checks_alloc_healthy(cc, ALLOC_ID, 1));
    /* Running again: checks start afresh and must run first. */
    free(a->task_states[0].state);
    a->task_states[0].state = xstrdup("running");
    refresh();
    ck_assert_ptr_null(web());
    run_until_changes(2);
    refresh();
    ck_assert_ptr_nonnull(web());
}
END_TEST

START_TEST(initial_status_registers_at_once)
{
    struct service *svc = &a->job->groups[0].tasks[0].services[0];
    const struct catalog_service *s;

    free(svc->checks[0].initial_status);
    svc->checks[0].initial_status = xstrdup("warning");
    free(svc->checks[1].initial_status);
    svc->checks[1].initial_status = xstrdup("passing");
    refresh();
    s = web();
    ck_assert_ptr_nonnull(s); /* no result yet: the initial statuses */
    ck_assert_int_eq(s->health, CATALOG_HEALTH_WARNING);
    run_until_changes(1); /* the first results: passing */
    refresh();
    ck_assert_int_eq(web()->health, CATALOG_HEALTH_PASSING);
}
END_TEST

START_TEST(group_service_restart_names_no_task)
{
    struct task_group *g = &a->job->groups[0];

    /* The same service, declared on the group instead of the task. */
    g->services = g->tasks[0].services;
    g->nservices = g->tasks[0].nservices;
    g->tasks[0].services = NULL;
    g->tasks[0].nservices = 0;
    srv.status_for_ok = 500;
    refresh();
    while (restarts < 1 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(restarts, 1);
    ck_assert_str_eq(restart_task, "(group)"); /* every running task */
    refresh();
    ck_assert_ptr_nonnull(web());
    ck_assert_int_eq(web()->health, CATALOG_HEALTH_CRITICAL);
}
END_TEST

static Suite *client_checks_suite(void)
{
    Suite *s = suite_create("client_checks");
    TCase *tc = test_tcase("client_checks");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, registered_once_checks_ran_with_their_health);
    tcase_add_test(tc, failing_server_turns_critical_and_asks_for_a_restart);
    tcase_add_test(tc, checks_stop_with_the_task);
    tcase_add_test(tc, initial_status_registers_at_once);
    tcase_add_test(tc, group_service_restart_names_no_task);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(client_checks_suite)
