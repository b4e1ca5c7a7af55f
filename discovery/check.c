/* A service check's state machine (check.h). */
#include "discovery/check.h"

#include <string.h>

#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/model/types.h"

const char *check_status_name(enum check_status s)
{
    switch (s) {
    case CHECK_PENDING:
        return "pending";
    case CHECK_PASSING:
        return "passing";
    case CHECK_WARNING:
        return "warning";
    case CHECK_CRITICAL:
        return "critical";
    }
    return "unknown";
}

static int rank(enum check_status s)
{
    switch (s) {
    case CHECK_PASSING:
        return 0;
    case CHECK_PENDING:
        return 1;
    case CHECK_WARNING:
        return 2;
    case CHECK_CRITICAL:
        return 3;
    }
    return 3;
}

enum check_status check_status_worst(enum check_status a, enum check_status b)
{
    return rank(a) >= rank(b) ? a : b;
}

static int64_t ns_to_ms(int64_t ns)
{
    return ns == MODEL_UNSET ? 0 : ns / 1000000;
}

static int64_t count_or_zero(int64_t v)
{
    return v == MODEL_UNSET ? 0 : v;
}

int check_config_from_model(const struct service_check *c,
                            struct check_config *out,
                            struct err *err)
{
    const char *init = model_str(c->initial_status);

    memset(out, 0, sizeof(*out));
    out->interval_ms = ns_to_ms(c->interval_ns);
    out->timeout_ms = ns_to_ms(c->timeout_ns);
    if (out->interval_ms <= 0)
        return err_set(err, ERR_INVALID,
                       "check \"%s\": interval must be "
                       "positive",
                       model_str(c->name));
    if (out->timeout_ms <= 0)
        return err_set(err, ERR_INVALID,
                       "check \"%s\": timeout must be "
                       "positive",
                       model_str(c->name));
    if (init[0] == '\0')
        out->initial = CHECK_PENDING;
    else if (strcmp(init, "passing") == 0)
        out->initial = CHECK_PASSING;
    else if (strcmp(init, "warning") == 0)
        out->initial = CHECK_WARNING;
    else if (strcmp(init, "critical") == 0)
        out->initial = CHECK_CRITICAL;
    else
        return err_set(err, ERR_INVALID,
                       "check \"%s\": invalid initial "
                       "check state (%s)",
                       model_str(c->name), init);
    out->success_before_passing = count_or_zero(c->success_before_passing);
    out->failures_before_critical = count_or_zero(c->failures_before_critical);
    out->failures_before_warning = count_or_zero(c->failures_before_warning);
    if (c->check_restart != NULL) {
        out->restart_limit = count_or_zero(c->check_restart->limit);
        out->restart_grace_ms = ns_to_ms(c->check_restart->grace_ns);
        out->restart_ignore_warnings = c->check_restart->ignore_warnings;
    }
    if (out->success_before_passing < 0 || out->failures_before_critical < 0 ||
        out->failures_before_warning < 0 || out->restart_limit < 0 ||
        out->restart_grace_ms < 0)
        return err_set(err, ERR_INVALID,
                       "check \"%s\": counts and grace "
                       "must be non-negative",
                       model_str(c->name));
    return 0;
}

void check_state_init(struct check_state *st,
                      const struct check_config *cfg,
                      int64_t now_ms)
{
    memset(st, 0, sizeof(*st));
    st->cfg = *cfg;
    st->status = cfg->initial;
    st->grace_until_ms = now_ms + cfg->restart_grace_ms;
    st->next_run_ms = now_ms;
}

/* Consul's thresholds: the status the result earns, or the old one. */
static enum check_status apply_thresholds(struct check_state *st,
                                          enum check_status result)
{
    int64_t warn_after = st->cfg.failures_before_warning > 0
                             ? st->cfg.failures_before_warning
                             : st->cfg.failures_before_critical;

    if (result == CHECK_PASSING || result == CHECK_WARNING) {
        st->successes++;
        st->failures = 0;
        if (st->successes >= st->cfg.success_before_passing ||
            st->status == CHECK_PENDING)
            return result;
        return st->status;
    }
    st->failures++;
    st->successes = 0;
    if (st->failures >= st->cfg.failures_before_critical ||
        st->status == CHECK_PENDING)
        return CHECK_CRITICAL;
    if (st->failures >= warn_after)
        return CHECK_WARNING;
    return st->status;
}

/* Nomad's check watcher: unhealthy results in a row after the grace. */
static bool restart_due(struct check_state *st,
                        enum check_status result,
                        int64_t now_ms)
{
    bool unhealthy =
        result == CHECK_CRITICAL ||
        (result == CHECK_WARNING && !st->cfg.restart_ignore_warnings);

    if (st->cfg.restart_limit <= 0)
        return false;
    if (!unhealthy) {
        st->unhealthy = 0;
        return false;
    }
    if (now_ms < st->grace_until_ms)
        return false;
    st->unhealthy++;
    if (st->unhealthy < st->cfg.restart_limit)
        return false;
    st->unhealthy = 0;
    return true;
}

struct check_step check_state_result(struct check_state *st,
                                     enum check_status result,
                                     int64_t now_ms)
{
    struct check_step out = {false, false};
    enum check_status next;

    if (result == CHECK_PENDING)
        result = CHECK_CRITICAL;
    next = apply_thresholds(st, result);
    out.changed = next != st->status;
    st->status = next;
    st->runs++;
    /* check_restart looks at what the check reports, thresholds applied. */
    out.restart = restart_due(st, st->status, now_ms);
    st->next_run_ms = now_ms + st->cfg.interval_ms;
    return out;
}

/* ---------------------------------------------------------- http results */

enum check_status check_http_status(long code)
{
    if (code >= 200 && code < 300)
        return CHECK_PASSING;
    if (code == 429)
        return CHECK_WARNING;
    return CHECK_CRITICAL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool check_http_reason(const char *line, size_t len, char *out, size_t size)
{
    size_t i = 5, k = 0;

    /* "HTTP/" version SP 3DIGIT [SP reason] CRLF */
    if (size == 0 || len < 5 || memcmp(line, "HTTP/", 5) != 0)
        return false;
    while (i < len && line[i] != ' ')
        i++;
    if (i + 4 > len || !is_digit(line[i + 1]) || !is_digit(line[i + 2]) ||
        !is_digit(line[i + 3]))
        return false;
    i += 4;
    if (i < len && line[i] == ' ')
        i++;
    while (i < len && line[i] != '\r' && line[i] != '\n' && k + 1 < size) {
        unsigned char c = (unsigned char)line[i++];

        out[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    out[k] = '\0';
    return true;
}

void check_output_sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}
