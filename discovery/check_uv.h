/*
 * Runs service checks on a libuv loop without blocking it.
 *
 * A probe is one attempt: tcp connects with uv_tcp_connect under a timeout
 * timer; http goes through one libcurl multi handle per context, driven by
 * the loop (a uv_poll_t per socket curl opens, one uv_timer_t for curl's
 * timer), with CURLOPT_TIMEOUT_MS set to the check's timeout so a slow
 * answer is cut off. Results, as Consul and Nomad read them:
 *   tcp   connected -> passing; refused, unreachable or timed out -> critical
 *   http  2xx -> passing; 429 -> warning; any other status, or no answer
 *         within the timeout -> critical
 * A result carries a short output (the status line and the start of the
 * body, or the error), at most CHECK_OUTPUT_MAX - 1 bytes.
 *
 * A running check (check_uv_start) probes every interval and feeds the
 * results through its state machine (discovery/check.h), calling back
 * after each one.
 *
 * Loop thread only. Teardown: stop every check, then close the context;
 * its callback runs once every handle is closed.
 */
#ifndef CARAVAN_DISCOVERY_CHECK_UV_H
#define CARAVAN_DISCOVERY_CHECK_UV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/check.h"

struct uv_loop_s;
struct err;
struct check_header;
struct check_uv_ctx;
struct check_uv;
struct check_probe;

#define CHECK_OUTPUT_MAX 512

/* What to probe. Strings are copied; NULL means the default. */
struct check_probe_spec
{
    const char *type;    /* "tcp" or "http" */
    const char *address; /* IPv4, IPv6 or a name (tcp: resolved by libuv) */
    int port;
    const char *protocol; /* "http" (default) or "https" */
    const char *path;     /* http: request path, "/" by default */
    const char *method;   /* http: "GET" by default */
    const char *body;     /* http: request body, none by default */
    const struct check_header *headers; /* http: name -> values */
    size_t nheaders;
    bool tls_skip_verify;
    int64_t timeout_ms; /* > 0 */
};

struct check_probe_result
{
    enum check_status status; /* PASSING, WARNING or CRITICAL */
    int http_code;            /* the response's status; 0: none */
    char output[CHECK_OUTPUT_MAX];
};

/*
 * A context for loop (borrowed; must outlive the context). Fails only when
 * libcurl cannot be set up (ERR_INVALID, message in err).
 */
int check_uv_ctx_new(struct uv_loop_s *loop,
                     struct check_uv_ctx **out,
                     struct err *err);
/*
 * Closes the context's handles and frees it; cb(arg) runs after. Every
 * probe and check must have been stopped first.
 */
void check_uv_ctx_close(struct check_uv_ctx *ctx,
                        void (*cb)(void *arg),
                        void *arg);

/* ---------------------------------------------------------------- probes */

typedef void (*check_probe_cb)(void *arg, const struct check_probe_result *r);

/*
 * Starts one probe; cb runs exactly once with its result (never from
 * inside this call), unless check_probe_cancel() comes first. The probe
 * frees itself after cb. A spec that cannot be probed (bad type or
 * address) still answers, critical, through cb.
 */
struct check_probe *check_probe_start(struct check_uv_ctx *ctx,
                                      const struct check_probe_spec *spec,
                                      check_probe_cb cb,
                                      void *arg);
/* Abandons a probe whose cb has not run: cb will not run. */
void check_probe_cancel(struct check_probe *p);

/* ---------------------------------------------------------------- checks */

/* After each result of a running check. */
struct check_uv_event
{
    enum check_status status; /* after the thresholds */
    bool changed;             /* status differs from before */
    bool restart;             /* check_restart asks for a restart */
    const char *output;       /* borrowed for the call */
    int http_code;            /* http checks: the status; 0: none */
    int64_t checked_unix_ms;  /* wall clock of the result */
};

typedef void (*check_uv_cb)(void *arg,
                            struct check_uv *c,
                            const struct check_uv_event *ev);

/*
 * Runs spec every cfg->interval_ms, the first time at once, until
 * check_uv_stop(). The spec's timeout is cfg->timeout_ms. cb may stop the
 * check (or any other) from inside.
 */
struct check_uv *check_uv_start(struct check_uv_ctx *ctx,
                                const struct check_probe_spec *spec,
                                const struct check_config *cfg,
                                check_uv_cb cb,
                                void *arg);
/* Stops the check: no callback runs after this; memory goes later. */
void check_uv_stop(struct check_uv *c);
/* The state machine's view, for callers between results. */
const struct check_state *check_uv_state(const struct check_uv *c);

#endif
