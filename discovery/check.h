/*
 * One service check's state machine: what its results mean for the
 * service's health, when it runs next, and when its check_restart block
 * asks for the task to be restarted.
 *
 *                 result (counted)                 result (counted)
 *   PENDING ───────────────────────▶ PASSING ◀──────────────────▶ CRITICAL
 *   (or initial_status)                 ▲  ╲                      ╱
 *                                       │   ╲──▶ WARNING ◀───────╱
 *
 * A check starts PENDING (Caravan's checks, like Nomad's own, have no
 * status until they have run; initial_status, when set, starts it there
 * instead). Each result moves it under the thresholds (Consul's status
 * handler, which Nomad passes these fields to):
 *   - a passing or warning result counts a success and clears the failure
 *     count; the result becomes the status once success_before_passing
 *     successes in a row were seen (0 or 1: at once);
 *   - a critical result counts a failure and clears the success count; the
 *     status becomes critical after failures_before_critical failures in a
 *     row, and warning after failures_before_warning (which defaults to
 *     failures_before_critical) when that comes first;
 *   - a result that reaches no threshold leaves the status as it was.
 * A check that is still PENDING takes the first result as it is: there is
 * no earlier status to hold on to.
 *
 * check_restart (Nomad's check watcher): with limit > 0, once `grace` has
 * passed since the task (re)started, `limit` unhealthy results in a row
 * (critical, or warning unless ignore_warnings) ask for a restart; any
 * healthy result clears the count, and results inside the grace period
 * are not counted. After asking, the check asks again only after another
 * `limit` results, so a restart that is refused does not spin.
 *
 * Pure: no I/O, time comes in as monotonic milliseconds. Single-threaded.
 */
#ifndef CARAVAN_DISCOVERY_CHECK_H
#define CARAVAN_DISCOVERY_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct service_check;

enum check_status {
    CHECK_PENDING, /* has not run yet */
    CHECK_PASSING,
    CHECK_WARNING,
    CHECK_CRITICAL,
};

/* "pending", "passing", "warning", "critical". */
const char *check_status_name(enum check_status s);
/* The worse of two statuses: critical > warning > pending > passing. */
enum check_status check_status_worst(enum check_status a, enum check_status b);

struct check_config
{
    int64_t interval_ms; /* > 0 */
    int64_t timeout_ms;  /* > 0 */
    enum check_status initial;
    int64_t success_before_passing;
    int64_t failures_before_critical;
    int64_t failures_before_warning; /* 0: failures_before_critical */
    /* check_restart; limit 0 turns it off. */
    int64_t restart_limit;
    int64_t restart_grace_ms;
    bool restart_ignore_warnings;
};

/*
 * The state machine's config from a canonicalized, validated jobspec
 * check. ERR_INVALID (naming the field) for values a validated job
 * cannot have: an interval or timeout under 1ms, an unknown
 * initial_status, negative thresholds or limit.
 */
int check_config_from_model(const struct service_check *c,
                            struct check_config *out,
                            struct err *err);

struct check_state
{
    struct check_config cfg;
    enum check_status status;
    int64_t successes; /* in a row */
    int64_t failures;  /* in a row */
    int64_t unhealthy; /* in a row after grace, for check_restart */
    int64_t grace_until_ms;
    int64_t next_run_ms; /* when the next probe starts */
    int64_t runs;        /* results seen */
};

/*
 * A check for a task that (re)started at now_ms: first run at now_ms,
 * grace counted from now_ms.
 */
void check_state_init(struct check_state *st,
                      const struct check_config *cfg,
                      int64_t now_ms);

/* What one result did. */
struct check_step
{
    bool changed; /* status differs from before */
    bool restart; /* check_restart asks for the task to restart now */
};

/*
 * One probe's result (PASSING, WARNING or CRITICAL) that finished at
 * now_ms; schedules the next run one interval after it.
 */
struct check_step check_state_result(struct check_state *st,
                                     enum check_status result,
                                     int64_t now_ms);

/* ------------------------------------------------------------ http results */

/* What an http check's response status means: 2xx passing, 429 warning
 * (Consul's reading, which Nomad follows), anything else critical. */
enum check_status check_http_status(long code);

/*
 * The reason phrase of an HTTP status line ("HTTP/1.1 429 Too Many
 * Requests\r\n" -> "Too Many Requests") into out (NUL-terminated,
 * truncated to size - 1, control bytes made spaces). Returns false, out
 * untouched, for a line that is not a status line. line comes from the
 * checked server: any bytes, not NUL-terminated.
 */
bool check_http_reason(const char *line, size_t len, char *out, size_t size);

/* Replaces control bytes of s (NUL-terminated) with spaces, in place. */
void check_output_sanitize(char *s);

#endif
