/* Restart decisions (see restart.h). */
#include "agent/client/restart.h"

#include <stdio.h>
#include <string.h>

#include "lib/model/job.h"
#include "lib/time.h"

void restart_decide(const struct restart_policy *p,
                    bool batch,
                    int exit_code,
                    bool start_failed_fatal,
                    int64_t now_ms,
                    double jitter,
                    struct restart_tracker *t,
                    struct restart_decision *out)
{
    int64_t interval_ms = p->interval_ns / 1000000;
    int64_t delay_ms = p->delay_ns / 1000000;
    char iv[32];

    out->reason[0] = '\0';
    out->delay_ms = 0;
    if (start_failed_fatal) {
        out->action = RESTART_FAIL;
        snprintf(out->reason, sizeof(out->reason), "Error was unrecoverable");
        return;
    }
    if (exit_code == 0 && batch) {
        out->action = RESTART_COMPLETE;
        return;
    }
    /* A new interval starts once the old one has run out. */
    if (t->window_start_ms == 0 || now_ms - t->window_start_ms > interval_ms) {
        t->window_start_ms = now_ms;
        t->count = 0;
    }
    t->count++;
    if (t->count > p->attempts) {
        duration_format(p->interval_ns, iv, sizeof(iv));
        if (p->mode != NULL && strcmp(p->mode, "delay") == 0) {
            /* Wait for the interval to end, then start counting again. */
            out->action = RESTART_NOW;
            out->delay_ms =
                (uint64_t)(t->window_start_ms + interval_ms - now_ms);
            t->window_start_ms = 0;
            snprintf(out->reason, sizeof(out->reason),
                     "Exceeded allowed attempts %lld in interval %s and mode "
                     "is \"delay\"",
                     (long long)p->attempts, iv);
            return;
        }
        out->action = RESTART_FAIL;
        snprintf(out->reason, sizeof(out->reason),
                 "Exceeded allowed attempts %lld in interval %s and mode is "
                 "\"fail\"",
                 (long long)p->attempts, iv);
        return;
    }
    out->action = RESTART_NOW;
    out->delay_ms = (uint64_t)((double)delay_ms * (1.0 + 0.25 * jitter));
    snprintf(out->reason, sizeof(out->reason), "Restart within policy");
}
