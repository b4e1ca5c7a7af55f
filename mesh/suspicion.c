/*
 * Lifeguard's two local mechanisms (Dadgar et al. 2018):
 *
 * §4.2 "Dynamic suspicion timeouts": a member suspected by one prober is
 * given the max timeout; every independent suspicion of the same
 * incarnation by another member is evidence it is really gone, so the
 * timeout shrinks on a log scale,
 *     timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1)),
 * reaching min after k confirmations. With SWIM's fixed timeout a slow
 * suspect that has not yet heard of the suspicion gets a short time to
 * refute; here it gets max unless others agree.
 *
 * §4.1 "Local health awareness": a member that misses acks and nacks, or
 * has to refute suspicions of itself, is probably the slow one; it scales
 * its own probe interval and timeout by (score + 1) so it accuses others
 * less while it is unhealthy.
 *
 * Caravan extension: the same factor stretches the suspicion timeouts a
 * member runs. Under heavy loss every member's score rises, so suspects
 * get longer to refute exactly when refutations are likely to be lost,
 * while a crash in a healthy mesh (score 0: the relays' nacks all arrive)
 * is declared as fast as before. This is what lets the LAN profile probe
 * twice as often as memberlist's without more false positives.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "mesh/swim_int.h"

/* ------------------------------------------------------------------ suspicion
 */

uint64_t swim__suspicion_min(uint32_t mult, size_t n, uint64_t interval_ms)
{
    double nodes = n < 1 ? 1.0 : (double)n;
    double scale = fmax(1.0, log10(nodes));

    return (uint64_t)((double)mult * scale * (double)interval_ms);
}

uint64_t swim__suspicion_timeout(uint64_t min_ms,
                                 uint64_t max_ms,
                                 uint32_t k,
                                 uint32_t c)
{
    double frac, t;

    if (k == 0 || c >= k || max_ms <= min_ms)
        return k == 0 || c >= k ? min_ms : max_ms;
    frac = log((double)c + 1.0) / log((double)k + 1.0);
    t = (double)max_ms - frac * (double)(max_ms - min_ms);
    return t < (double)min_ms ? min_ms : (uint64_t)floor(t);
}

struct suspicion *swim__suspicion_new(uint64_t now_ms,
                                      uint32_t k,
                                      uint64_t min_ms,
                                      uint64_t max_ms,
                                      const char *from,
                                      size_t from_len)
{
    struct suspicion *s = xcalloc(1, sizeof(*s));

    s->start_ms = now_ms;
    s->k = k;
    s->min_ms = min_ms;
    s->max_ms = max_ms < min_ms ? min_ms : max_ms;
    s->from = xcalloc((size_t)k + 1, sizeof(*s->from));
    s->from[0] = xstrndup(from, from_len);
    s->n_from = 1;
    s->timeout_ms = swim__suspicion_timeout(s->min_ms, s->max_ms, k, 0);
    return s;
}

void swim__suspicion_free(struct suspicion *s)
{
    if (s == NULL)
        return;
    for (uint32_t i = 0; i < s->n_from; i++)
        free(s->from[i]);
    free(s->from);
    free(s);
}

bool swim__suspicion_confirm(struct suspicion *s,
                             const char *from,
                             size_t from_len)
{
    /* Past k, more confirmations cannot shorten the timeout further. */
    if (s->n_confirm >= s->k)
        return false;
    for (uint32_t i = 0; i < s->n_from; i++)
        if (strlen(s->from[i]) == from_len &&
            memcmp(s->from[i], from, from_len) == 0)
            return false;
    s->from[s->n_from++] = xstrndup(from, from_len);
    s->n_confirm++;
    s->timeout_ms =
        swim__suspicion_timeout(s->min_ms, s->max_ms, s->k, s->n_confirm);
    return true;
}

uint64_t swim__suspicion_deadline(const struct suspicion *s,
                                  const struct awareness *a)
{
    return s->start_ms + swim__awareness_scale(a, s->timeout_ms);
}

/* ------------------------------------------------------------------ awareness
 */

void swim__awareness_apply(struct awareness *a, int delta)
{
    int64_t v = (int64_t)a->score + delta;

    if (v < 0)
        v = 0;
    if (a->max > 0 && v > (int64_t)a->max - 1)
        v = (int64_t)a->max - 1;
    a->score = (uint32_t)v;
}

uint64_t swim__awareness_scale(const struct awareness *a, uint64_t ms)
{
    return ms * ((uint64_t)a->score + 1);
}
