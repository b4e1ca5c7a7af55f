/*
 * Next-launch computation for typical periodic specs, in UTC and in a
 * zone with DST: launches per second of one core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/cron.h"
#include "lib/err.h"
#include "lib/tz.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    static const char *const specs[] = {
        "0/3 * * * * * *", "*/15 * * * *", "0 2 * * mon-fri", "@daily",
        "30 9 1,15 * *",   "0 0 L * *",    "0 12 * * 5L",     "0 0 1 1 *"};
    const size_t nspecs = sizeof(specs) / sizeof(specs[0]);
    struct cron c[8];
    struct tz *zones[2];
    struct err err = ERR_INIT;
    int64_t t = 1735689600, sink = 0; /* 2025-01-01 */
    const size_t n = 2000000;
    double t0, dt;

    zones[0] = tz_utc();
    if (tz_from_rule("CET-1CEST,M3.5.0,M10.5.0/3", &zones[1], &err) != 0)
        return 1;
    for (size_t i = 0; i < nspecs; i++)
        if (cron_parse(specs[i], &c[i], &err) != 0) {
            fprintf(stderr, "bench_cron: %s: %s\n", specs[i], err.msg);
            return 1;
        }
    t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        /* Walk forward through the year so each call starts elsewhere. */
        int64_t at = t + (int64_t)(i % 100000) * 317;

        sink += cron_next(&c[i % nspecs], zones[(i / nspecs) % 2], at);
    }
    dt = now_s() - t0;
    printf("cron next launch (%zu typical specs, UTC and Europe/Berlin "
           "rules): %.0f per second (target >= 1000000 per second)%s\n",
           nspecs, (double)n / dt, sink == 42 ? " " : "");
    tz_free(zones[0]);
    tz_free(zones[1]);
    return 0;
}
