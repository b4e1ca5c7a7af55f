/*
 * The check adapter against real servers on 127.0.0.1 that the test runs
 * on the same loop: an HTTP server answering by path (200, 429, 500, one
 * that never answers, one that echoes the request), a closed port, and
 * tcp up and down. Each test runs the loop until its result arrives
 * (bounded by a guard timer) and ends with uv_loop_close() == 0.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "discovery/check_uv.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/model/types.h"
#include "tests/harness/http_stub.h"
#include "tests/harness/test.h"

/* ------------------------------------------------------------ fixture */

static uv_loop_t loop;
static struct check_uv_ctx *ctx;
static struct http_stub srv;
static uv_timer_t guard;
static bool expired;

static void guard_fired(uv_timer_t *t)
{
    (void)t;
    expired = true;
}

static void setup(void)
{
    struct err err = ERR_INIT;

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    ck_assert_int_eq(check_uv_ctx_new(&loop, &ctx, &err), 0);
    http_stub_start(&loop, &srv);
    uv_timer_init(&loop, &guard);
    uv_unref((uv_handle_t *)&guard);
    expired = false;
    uv_timer_start(&guard, guard_fired, 10000, 0);
}

static bool ctx_closed;

static void on_ctx_closed(void *arg)
{
    (void)arg;
    ctx_closed = true;
}

static void teardown(void)
{
    ctx_closed = false;
    http_stub_stop(&srv);
    check_uv_ctx_close(ctx, on_ctx_closed, NULL);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert(ctx_closed);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}

/* Runs the loop until *flag or the guard expires. */
static void run_until(const bool *flag)
{
    while (!*flag && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_msg(*flag, "condition not reached before the guard");
}

struct got
{
    bool have;
    struct check_probe_result r;
};

static void probe_cb(void *arg, const struct check_probe_result *r)
{
    struct got *g = arg;

    ck_assert(!g->have); /* exactly once */
    g->have = true;
    g->r = *r;
}

static struct check_probe_result probe(const struct check_probe_spec *spec)
{
    struct got g = {0};

    check_probe_start(ctx, spec, probe_cb, &g);
    ck_assert(!g.have); /* never from inside start */
    run_until(&g.have);
    return g.r;
}

static struct check_probe_spec http_spec(const char *path, int port)
{
    struct check_probe_spec s = {.type = "http",
                                 .address = "127.0.0.1",
                                 .port = port,
                                 .path = path,
                                 .timeout_ms = 2000};
    return s;
}

/* ------------------------------------------------------------ probes */

START_TEST(http_healthy_is_passing)
{
    struct check_probe_spec s = http_spec("/ok", srv.port);
    struct check_probe_result r = probe(&s);

    ck_assert_int_eq(r.status, CHECK_PASSING);
    ck_assert_msg(strstr(r.output, ": 200 OK Output: fine") != NULL, "%s",
                  r.output);
}
END_TEST

START_TEST(http_429_is_warning_500_is_critical)
{
    struct check_probe_spec s = http_spec("/busy", srv.port);
    struct check_probe_result r = probe(&s);

    ck_assert_int_eq(r.status, CHECK_WARNING);
    ck_assert_int_eq(r.http_code, 429);
    ck_assert_msg(strstr(r.output, "429 Too Many Requests") != NULL, "%s",
                  r.output);
    s = http_spec("/broken", srv.port);
    r = probe(&s);
    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    ck_assert_msg(strstr(r.output, "500 Internal Server Error") != NULL, "%s",
                  r.output);
}
END_TEST

START_TEST(http_slow_times_out_and_is_cancelled)
{
    struct check_probe_spec s = http_spec("/slow", srv.port);
    struct check_probe_result r;

    s.timeout_ms = 300;
    r = probe(&s);
    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    ck_assert_msg(strstr(r.output, "imeout") != NULL ||
                      strstr(r.output, "timed out") != NULL,
                  "%s", r.output);
    /* The request was abandoned: the server sees its connection close. */
    while (srv.closed_conns < 1 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(srv.closed_conns, 1);
    ck_assert_int_eq(srv.open_conns, 0);
}
END_TEST

START_TEST(http_refused_is_critical)
{
    struct check_probe_spec s = http_spec("/ok", http_stub_closed_port(&loop));
    struct check_probe_result r = probe(&s);

    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    ck_assert_msg(strstr(r.output, "HTTP GET http://127.0.0.1:") != NULL, "%s",
                  r.output);
}
END_TEST

START_TEST(http_sends_method_headers_and_body)
{
    struct check_header h = {.name = "X-Probe"};
    struct check_probe_spec s = http_spec("echo", srv.port);
    struct check_probe_result r;

    strlist_init(&h.values);
    strlist_push(&h.values, "one");
    strlist_push(&h.values, "two");
    s.method = "POST";
    s.body = "ping=1";
    s.headers = &h;
    s.nheaders = 1;
    r = probe(&s);
    ck_assert_int_eq(r.status, CHECK_PASSING);
    ck_assert_msg(strstr(r.output, "POST /echo HTTP/1.1") != NULL, "%s",
                  r.output);
    ck_assert_msg(strstr(r.output, "X-Probe: one") != NULL, "%s", r.output);
    ck_assert_msg(strstr(r.output, "X-Probe: two") != NULL, "%s", r.output);
    strlist_release(&h.values);
}
END_TEST

START_TEST(https_against_plain_server_is_critical)
{
    struct check_probe_spec s = http_spec("/ok", srv.port);
    struct check_probe_result r;

    s.protocol = "https";
    s.tls_skip_verify = true;
    r = probe(&s);
    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    ck_assert_msg(strstr(r.output, "https://127.0.0.1:") != NULL, "%s",
                  r.output);
}
END_TEST

START_TEST(tcp_up_and_down)
{
    struct check_probe_spec s = {.type = "tcp",
                                 .address = "127.0.0.1",
                                 .port = srv.port,
                                 .timeout_ms = 2000};
    struct check_probe_result r = probe(&s);

    ck_assert_int_eq(r.status, CHECK_PASSING);
    ck_assert_msg(strstr(r.output, "Success") != NULL, "%s", r.output);
    s.port = http_stub_closed_port(&loop);
    r = probe(&s);
    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    ck_assert_msg(strstr(r.output, "refused") != NULL, "%s", r.output);
}
END_TEST

START_TEST(tcp_resolves_names)
{
    struct check_probe_spec s = {.type = "tcp",
                                 .address = "localhost",
                                 .port = srv.port,
                                 .timeout_ms = 5000};
    struct check_probe_result r = probe(&s);

    ck_assert_int_eq(r.status, CHECK_PASSING);
    /* .invalid never resolves (RFC 2606). */
    s.address = "no-such-host.invalid";
    r = probe(&s);
    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    ck_assert_msg(strstr(r.output, "cannot resolve") != NULL ||
                      strstr(r.output, "timeout") != NULL,
                  "%s", r.output);
}
END_TEST

START_TEST(bad_specs_answer_critical)
{
    struct check_probe_spec s = {
        .type = "tcp", .address = "", .port = 1, .timeout_ms = 100};
    struct check_probe_result r = probe(&s);

    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    s.type = "grpc";
    r = probe(&s);
    ck_assert_int_eq(r.status, CHECK_CRITICAL);
    ck_assert_msg(strstr(r.output, "grpc") != NULL, "%s", r.output);
}
END_TEST

START_TEST(cancelled_probe_never_calls_back)
{
    struct check_probe_spec s = http_spec("/slow", srv.port);
    struct got g = {0};
    struct check_probe *p = check_probe_start(ctx, &s, probe_cb, &g);

    /* Let the request reach the server, then walk away from it. */
    while (srv.open_conns < 1 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(srv.open_conns, 1);
    check_probe_cancel(p);
    while (srv.closed_conns < 1 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert(!g.have);
}
END_TEST

/* ------------------------------------------------------------ checks */

struct watch
{
    int results;
    enum check_status last;
    int changes, restarts;
    int stop_after; /* stops itself after this many results */
    bool stopped;
};

static void check_cb(void *arg,
                     struct check_uv *c,
                     const struct check_uv_event *ev)
{
    struct watch *w = arg;

    ck_assert(!w->stopped);
    w->results++;
    w->last = ev->status;
    w->changes += ev->changed;
    w->restarts += ev->restart;
    ck_assert(ev->checked_unix_ms > 0);
    if (w->results == w->stop_after) {
        check_uv_stop(c);
        w->stopped = true;
    }
}

START_TEST(running_check_follows_the_server_and_restarts)
{
    struct check_probe_spec s = http_spec("/ok", srv.port);
    struct check_config cfg = {
        .interval_ms = 20, .timeout_ms = 1000, .restart_limit = 2};
    struct watch w = {.stop_after = 6};

    check_uv_start(ctx, &s, &cfg, check_cb, &w);
    while (w.results < 2 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(w.last, CHECK_PASSING);
    srv.status_for_ok = 500;
    while (!w.stopped && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert(w.stopped);
    ck_assert_int_eq(w.last, CHECK_CRITICAL);
    ck_assert_int_eq(w.changes, 2);  /* pending -> passing -> critical */
    ck_assert_int_eq(w.restarts, 2); /* results 3+4 and 5+6 */
}
END_TEST

START_TEST(stopping_a_check_mid_probe)
{
    struct check_probe_spec s = http_spec("/slow", srv.port);
    struct check_config cfg = {.interval_ms = 1000, .timeout_ms = 5000};
    struct watch w = {0};
    struct check_uv *c = check_uv_start(ctx, &s, &cfg, check_cb, &w);

    while (srv.open_conns < 1 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    check_uv_stop(c);
    while (srv.closed_conns < 1 && !expired)
        uv_run(&loop, UV_RUN_ONCE);
    ck_assert_int_eq(w.results, 0);
}
END_TEST

static Suite *check_uv_suite(void)
{
    Suite *s = suite_create("check_uv");
    TCase *tc = test_tcase("check_uv");

    curl_global_init(CURL_GLOBAL_DEFAULT);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, http_healthy_is_passing);
    tcase_add_test(tc, http_429_is_warning_500_is_critical);
    tcase_add_test(tc, http_slow_times_out_and_is_cancelled);
    tcase_add_test(tc, http_refused_is_critical);
    tcase_add_test(tc, http_sends_method_headers_and_body);
    tcase_add_test(tc, https_against_plain_server_is_critical);
    tcase_add_test(tc, tcp_up_and_down);
    tcase_add_test(tc, tcp_resolves_names);
    tcase_add_test(tc, bad_specs_answer_critical);
    tcase_add_test(tc, cancelled_probe_never_calls_back);
    tcase_add_test(tc, running_check_follows_the_server_and_restarts);
    tcase_add_test(tc, stopping_a_check_mid_probe);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(check_uv_suite)
