/*
 * Service checks at scale on one loop: 100 http and 100 tcp checks at a
 * 1 s interval against the tests' HTTP server on the same loop, for 5 s.
 * Prints how long the first round took to complete and the CPU time the
 * process spent per probe (client and server side together).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include "discovery/check_uv.h"
#include "lib/err.h"
#include "tests/harness/http_stub.h"

#define PER_TYPE 100
#define RUN_MS 5000

static int results, first_round;
static double start_ms, first_round_ms;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void on_result(void *arg,
                      struct check_uv *c,
                      const struct check_uv_event *ev)
{
    bool *seen = arg;

    (void)c;
    if (ev->status != CHECK_PASSING) {
        fprintf(stderr, "unexpected result: %s\n", ev->output);
        exit(1);
    }
    results++;
    if (!*seen) {
        *seen = true;
        if (++first_round == 2 * PER_TYPE)
            first_round_ms = now_ms() - start_ms;
    }
}

static void stop_loop(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void ctx_closed(void *arg)
{
    (void)arg;
}

int main(void)
{
    static struct check_uv *checks[2 * PER_TYPE];
    static bool seen[2 * PER_TYPE];
    struct check_config cfg = {.interval_ms = 1000, .timeout_ms = 2000};
    struct http_stub srv;
    struct check_uv_ctx *ctx;
    struct err err = ERR_INIT;
    uv_loop_t loop;
    uv_timer_t stop;
    double cpu0, cpu;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    uv_loop_init(&loop);
    http_stub_start(&loop, &srv);
    if (check_uv_ctx_new(&loop, &ctx, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    cpu0 = cpu_ms();
    start_ms = now_ms();
    for (int i = 0; i < 2 * PER_TYPE; i++) {
        struct check_probe_spec spec = {.type = i % 2 ? "tcp" : "http",
                                        .address = "127.0.0.1",
                                        .port = srv.port,
                                        .path = "/ok"};

        checks[i] = check_uv_start(ctx, &spec, &cfg, on_result, &seen[i]);
    }
    uv_timer_init(&loop, &stop);
    uv_timer_start(&stop, stop_loop, RUN_MS, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cpu = cpu_ms() - cpu0;
    for (int i = 0; i < 2 * PER_TYPE; i++)
        check_uv_stop(checks[i]);
    check_uv_ctx_close(ctx, ctx_closed, NULL);
    http_stub_stop(&srv);
    uv_close((uv_handle_t *)&stop, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    printf(
        "checks: %d http + %d tcp, first round complete in %.1f ms "
        "(target < 500 ms)\n",
        PER_TYPE, PER_TYPE, first_round_ms);
    printf(
        "checks: %d results in %d ms, %.1f us CPU per probe "
        "(target < 500 us)\n",
        results, RUN_MS, results ? cpu * 1000.0 / results : 0.0);
    return first_round == 2 * PER_TYPE ? 0 : 1;
}
