/*
 * Cron expressions as periodic jobs write them (the syntax of the cronexpr
 * library Nomad uses): 5 fields "min hour dom month dow", 6 fields with a
 * year after them, 7 fields with seconds first; `*`, `?`, lists, ranges,
 * steps, month and weekday names, `L`, `LW`, `W`, `#` and the @yearly ..
 * @hourly shorthands. Pure: the next launch is computed in a zone given
 * as a struct tz.
 */
#ifndef CARAVAN_LIB_CRON_H
#define CARAVAN_LIB_CRON_H

#include <stdbool.h>
#include <stdint.h>

struct err;
struct tz;

#define CRON_YEAR_MIN 1970
#define CRON_YEAR_MAX 2099

struct cron
{
    uint64_t sec, min;   /* bit n: second/minute n */
    uint32_t hour;       /* bit n: hour n */
    uint32_t dom;        /* bit n: day n of the month */
    uint32_t dom_w;      /* bit n: the weekday nearest day n */
    uint16_t month;      /* bit n: month n (1-12) */
    uint8_t dow;         /* bit n: weekday n (0 = Sunday) */
    uint8_t dow_last;    /* bit n: the last weekday n of the month */
    uint8_t dow_nth[7];  /* bit k of [n]: the k-th weekday n (1-5) */
    uint64_t years[3];   /* bit n: year CRON_YEAR_MIN + n */
    bool dom_last;       /* L */
    bool dom_last_wday;  /* LW */
    bool dom_restricted; /* the day-of-month field is not `*` or `?` */
    bool dow_restricted;
};

/*
 * Parses spec. Errors name the field and quote the part, as
 * "syntax error in minute field: '61'".
 */
int cron_parse(const char *spec, struct cron *out, struct err *err);

/* Whether the wall time (a local time as Unix seconds, see tz.h) matches. */
bool cron_match_wall(const struct cron *c, int64_t wall);

/*
 * The first launch strictly after `after` (Unix seconds) in zone z, or 0
 * when there is none (a year list in the past). A wall time skipped by a
 * jump forward launches once, just after the jump; one repeated by a jump
 * back launches once, the first time.
 */
int64_t cron_next(const struct cron *c, const struct tz *z, int64_t after);

#endif
