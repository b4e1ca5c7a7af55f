/*
 * Cron expressions and time zones: a table of next-launch computations,
 * each cross-checked by a reference that walks every second of wall time,
 * random expressions against the same reference, parse errors, TZif and
 * POSIX rule zones, DST gaps and repeats, leap years.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cron.h"
#include "lib/err.h"
#include "lib/rand.h"
#include "lib/tz.h"
#include "tests/harness/test.h"

/* Zones as POSIX rules, so the tests need no system tzdata. */
#define BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"
#define NEW_YORK "EST5EDT,M3.2.0,M11.1.0"
#define SYDNEY "AEST-10AEDT,M10.1.0,M4.1.0/3"
#define KOLKATA "IST-5:30"
#define LORD_HOWE "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"
#define ST_JOHNS "NST3:30NDT,M3.2.0,M11.1.0"

static struct tz *zone(const char *rule)
{
    struct tz *z;
    struct err err = ERR_INIT;

    if (strcmp(rule, "UTC") == 0)
        return tz_utc();
    ck_assert_msg(tz_from_rule(rule, &z, &err) == 0, "%s: %s", rule, err.msg);
    return z;
}

/* "2024-03-31T02:30:00+02:00" or "...Z" → Unix seconds. */
static int64_t at(const char *s)
{
    struct civil_time t;
    int y, mo, d, h, mi, se, oh = 0, om = 0;
    char sign = 'Z';
    int n = sscanf(s, "%d-%d-%dT%d:%d:%d%c%d:%d", &y, &mo, &d, &h, &mi, &se,
                   &sign, &oh, &om);

    ck_assert_msg(n == 7 || n == 9, "bad time %s", s);
    t = (struct civil_time){y, mo, d, h, mi, se};
    if (sign == 'Z')
        return civil_join(&t);
    return civil_join(&t) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
}

static void show(int64_t utc, const struct tz *z, char *out, size_t size)
{
    struct civil_time t;
    int32_t off = tz_offset_at(z, utc);
    int a = off < 0 ? -off : off;

    if (utc == 0) {
        snprintf(out, size, "never");
        return;
    }
    civil_split(utc + off, &t);
    snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
             (long long)t.year, t.month, t.day, t.hour, t.min, t.sec,
             off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

/*
 * The reference: every wall second from a little before `after` up to
 * `horizon` seconds on; each that matches maps to its instant (the first
 * of a repeated time, the normalized one of a skipped time) and the
 * earliest instant after `after` wins. 0 when none within the horizon.
 */
static int64_t brute_next(const struct cron *c,
                          const struct tz *z,
                          int64_t after,
                          int64_t horizon)
{
    int64_t start = after + tz_offset_at(z, after) - 2 * 86400, best = 0, u;

    for (int64_t w = start; w < start + 2 * 86400 + horizon; w++) {
        if (!cron_match_wall(c, w))
            continue;
        tz_wall_to_utc(z, w, &u);
        if (u > after && (best == 0 || u < best))
            best = u;
    }
    return best;
}

struct next_case
{
    const char *spec, *zone, *after, *want;
};

static const struct next_case next_cases[] = {
    /* five fields: minute hour dom month dow */
    {"* * * * *", "UTC", "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"},
    {"*/5 * * * *", "UTC", "2024-01-01T00:03:10Z", "2024-01-01T00:05:00Z"},
    {"0 * * * *", "UTC", "2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"},
    {"30 2 * * *", "UTC", "2024-01-01T02:30:00Z", "2024-01-02T02:30:00Z"},
    {"15,45 9-17 * * mon-fri", "UTC", "2024-01-05T17:45:00Z",
     "2024-01-08T09:15:00Z"},
    {"0 0 1 * *", "UTC", "2024-01-31T12:00:00Z", "2024-02-01T00:00:00Z"},
    {"0 0 29 2 *", "UTC", "2024-02-28T00:00:00Z", "2024-02-29T00:00:00Z"},
    {"0 12 * jan-mar sun", "UTC", "2024-03-30T00:00:00Z",
     "2024-03-31T12:00:00Z"},
    {"10-30/5 * * * *", "UTC", "2024-01-01T00:30:00Z",
     "2024-01-01T01:10:00Z"},
    {"5/15 * * * *", "UTC", "2024-01-01T00:50:00Z", "2024-01-01T01:05:00Z"},
    {"0 0 * * 7", "UTC", "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z"},
    {"0 0 * * 5-7", "UTC", "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z"},
    {"0 6 ? * MON", "UTC", "2024-01-01T06:00:00Z", "2024-01-08T06:00:00Z"},
    {"0 0 1,15 * 3", "UTC", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"},
    {"0 0 1,15 * 3", "UTC", "2024-01-10T00:00:00Z", "2024-01-15T00:00:00Z"},
    {"00 09 * * *", "UTC", "2024-01-01T10:00:00Z", "2024-01-02T09:00:00Z"},
    {"0 0 1 january *", "UTC", "2023-12-31T00:00:00Z",
     "2024-01-01T00:00:00Z"},
    {"0 0 * * Friday", "UTC", "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z"},
    {"59 23 31 12 *", "UTC", "2024-12-31T23:58:00Z", "2024-12-31T23:59:00Z"},
    {"*,1 0 * * *", "UTC", "2024-01-01T00:58:30Z", "2024-01-01T00:59:00Z"},
    /* six fields: minute first, a year last */
    {"*/15 * * * * *", "UTC", "2024-01-01T00:00:00Z",
     "2024-01-01T00:15:00Z"},
    {"0 0 1 1 * 2030", "UTC", "2029-12-31T23:00:00Z",
     "2030-01-01T00:00:00Z"},
    {"0 0 1 1 * 2020", "UTC", "2024-01-01T00:00:00Z", "never"},
    {"0 0 1 1 * 2025-2027", "UTC", "2027-01-01T00:00:00Z", "never"},
    /* seven fields: seconds first */
    {"0/3 * * * * * *", "UTC", "2024-01-01T00:00:00Z",
     "2024-01-01T00:00:03Z"},
    {"0/3 * * * * * *", "UTC", "2024-01-01T00:00:58Z",
     "2024-01-01T00:01:00Z"},
    {"0/1 * * * * * *", "UTC", "2024-01-01T00:00:00Z",
     "2024-01-01T00:00:01Z"},
    {"*/15 * * * * * *", "UTC", "2024-01-01T00:00:44Z",
     "2024-01-01T00:00:45Z"},
    {"5/15 * * * * * *", "UTC", "2024-01-01T00:00:50Z",
     "2024-01-01T00:01:05Z"},
    {"30 59 23 31 12 * *", "UTC", "2024-12-31T23:59:29Z",
     "2024-12-31T23:59:30Z"},
    {"0 0 0 29 2 * *", "UTC", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"0 0 0 29 2 * 2097-2099", "UTC", "2024-01-01T00:00:00Z", "never"},
    {"1 2 3 * * * *  extra fields", "UTC", "2024-01-01T00:00:00Z",
     "2024-01-01T03:02:01Z"},
    /* L, LW, W, #, and the OR of both day fields */
    {"0 0 L * *", "UTC", "2024-02-01T00:00:00Z", "2024-02-29T00:00:00Z"},
    {"0 0 L * *", "UTC", "2023-02-01T00:00:00Z", "2023-02-28T00:00:00Z"},
    {"0 0 LW * *", "UTC", "2024-03-01T00:00:00Z", "2024-03-29T00:00:00Z"},
    {"0 0 15W * *", "UTC", "2024-06-01T00:00:00Z", "2024-06-14T00:00:00Z"},
    {"0 0 16W * *", "UTC", "2024-06-01T00:00:00Z", "2024-06-17T00:00:00Z"},
    {"0 0 1W * *", "UTC", "2024-06-01T00:00:00Z", "2024-06-03T00:00:00Z"},
    {"0 0 30W * *", "UTC", "2024-06-01T00:00:00Z", "2024-06-28T00:00:00Z"},
    {"0 0 * * 5L", "UTC", "2024-01-01T00:00:00Z", "2024-01-26T00:00:00Z"},
    {"0 0 * * 1#2", "UTC", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z"},
    {"0 0 * * 0#5", "UTC", "2024-03-01T00:00:00Z", "2024-03-31T00:00:00Z"},
    {"0 0 * * fril", "UTC", "2024-02-01T00:00:00Z", "2024-02-23T00:00:00Z"},
    {"0 0 13 * 5", "UTC", "2024-09-01T00:00:00Z", "2024-09-06T00:00:00Z"},
    /* shorthands */
    {"@yearly", "UTC", "2024-06-01T00:00:00Z", "2025-01-01T00:00:00Z"},
    {"@annually", "UTC", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z"},
    {"@monthly", "UTC", "2024-01-31T00:00:00Z", "2024-02-01T00:00:00Z"},
    {"@weekly", "UTC", "2024-01-01T00:00:00Z", "2024-01-07T00:00:00Z"},
    {"@daily", "UTC", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"},
    {"@midnight", "UTC", "2024-01-01T12:00:00Z", "2024-01-02T00:00:00Z"},
    {"@hourly", "UTC", "2024-01-01T00:59:59Z", "2024-01-01T01:00:00Z"},
    /* zones without DST, and fractional offsets */
    {"0 9 * * *", KOLKATA, "2024-01-01T09:00:00+05:30",
     "2024-01-02T09:00:00+05:30"},
    {"0 0 * * *", KOLKATA, "2024-01-01T18:00:00Z", "2024-01-01T18:30:00Z"},
    /* spring forward in Berlin: 02:00 -> 03:00 on 2024-03-31 */
    {"30 2 * * *", BERLIN, "2024-03-30T02:30:00+01:00",
     "2024-03-31T03:30:00+02:00"},
    {"30 2 * * *", BERLIN, "2024-03-31T03:30:00+02:00",
     "2024-04-01T02:30:00+02:00"},
    {"30 2 * * *", BERLIN, "2024-03-31T03:10:00+02:00",
     "2024-03-31T03:30:00+02:00"},
    {"0 * * * *", BERLIN, "2024-03-31T01:00:00+01:00",
     "2024-03-31T03:00:00+02:00"},
    {"0 * * * *", BERLIN, "2024-03-31T03:00:00+02:00",
     "2024-03-31T04:00:00+02:00"},
    {"*/20 2 * * *", BERLIN, "2024-03-31T01:59:00+01:00",
     "2024-03-31T03:00:00+02:00"},
    {"*/20 2 * * *", BERLIN, "2024-03-31T03:00:00+02:00",
     "2024-03-31T03:20:00+02:00"},
    /* fall back in Berlin: 03:00 -> 02:00 on 2024-10-27; 02:xx twice */
    {"30 2 * * *", BERLIN, "2024-10-26T02:30:00+02:00",
     "2024-10-27T02:30:00+02:00"},
    {"30 2 * * *", BERLIN, "2024-10-27T02:30:00+02:00",
     "2024-10-28T02:30:00+01:00"},
    {"0 * * * *", BERLIN, "2024-10-27T02:00:00+02:00",
     "2024-10-27T03:00:00+01:00"},
    {"*/30 * * * *", BERLIN, "2024-10-27T02:30:00+02:00",
     "2024-10-27T03:00:00+01:00"},
    {"*/30 * * * *", BERLIN, "2024-10-27T02:10:00+01:00",
     "2024-10-27T03:00:00+01:00"},
    /* New York: 02:00 -> 03:00 on 2024-03-10, 02:00 -> 01:00 on 11-03 */
    {"0 2 * * *", NEW_YORK, "2024-03-09T02:00:00-05:00",
     "2024-03-10T03:00:00-04:00"},
    {"30 1 * * *", NEW_YORK, "2024-11-03T01:30:00-04:00",
     "2024-11-04T01:30:00-05:00"},
    {"0 0 * * *", NEW_YORK, "2024-07-04T12:00:00Z", "2024-07-05T04:00:00Z"},
    /* the southern hemisphere: Sydney forward on 10-06, back on 04-07 */
    {"30 2 * * *", SYDNEY, "2024-10-05T02:30:00+10:00",
     "2024-10-06T03:30:00+11:00"},
    {"30 2 * * *", SYDNEY, "2024-04-06T02:30:00+11:00",
     "2024-04-07T02:30:00+11:00"},
    {"30 2 * * *", SYDNEY, "2024-04-07T02:30:00+11:00",
     "2024-04-08T02:30:00+10:00"},
    /* half-hour DST (Lord Howe) and a -3:30 zone (St. John's) */
    {"15 2 * * *", LORD_HOWE, "2024-10-05T02:15:00+10:30",
     "2024-10-06T02:45:00+11:00"},
    {"0 12 * * *", ST_JOHNS, "2024-01-01T12:00:00-03:30",
     "2024-01-02T12:00:00-03:30"},
    /* seconds across a gap */
    {"*/10 * 2 * * * *", BERLIN, "2024-03-31T01:59:55+01:00",
     "2024-03-31T03:00:00+02:00"},
};

START_TEST(next_table)
{
    const struct next_case *tc = &next_cases[_i];
    struct err err = ERR_INIT;
    struct cron c;
    struct tz *z = zone(tc->zone);
    int64_t after = at(tc->after), got, want, ref;
    char gs[40], ws[40], rs[40];

    ck_assert_msg(cron_parse(tc->spec, &c, &err) == 0, "%s: %s", tc->spec,
                  err.msg);
    want = strcmp(tc->want, "never") == 0 ? 0 : at(tc->want);
    got = cron_next(&c, z, after);
    show(got, z, gs, sizeof(gs));
    show(want, z, ws, sizeof(ws));
    ck_assert_msg(got == want, "%s in %s after %s: got %s, want %s", tc->spec,
                  tc->zone, tc->after, gs, ws);
    /* The reference walks every second, as far as the answer or 2 days. */
    ref = brute_next(&c, z, after,
                     want != 0 && want - after < 3 * 86400 ? want - after + 1
                                                           : 2 * 86400);
    show(ref, z, rs, sizeof(rs));
    if (want != 0 && want - after < 3 * 86400)
        ck_assert_msg(ref == want, "%s: reference %s, want %s", tc->spec, rs,
                      ws);
    else
        ck_assert_msg(ref == 0, "%s: reference found %s before %s", tc->spec,
                      rs, ws);
    tz_free(z);
}
END_TEST

/* Random expressions that fire often, in every zone, near transitions. */
START_TEST(next_matches_reference)
{
    static const char *zones[] = {"UTC",   BERLIN,    NEW_YORK, SYDNEY,
                                  KOLKATA, LORD_HOWE, ST_JOHNS};
    static const char *secs[] = {"0", "*/7", "15,45", "0/20", "10-20"};
    static const char *mins[] = {"*", "*/13", "0", "30", "5-10,50"};
    static const char *hours[] = {"*", "2", "1-3", "*/5", "0,12,23"};
    static const char *doms[] = {"*", "?", "L", "1-10", "15W"};
    static const char *dows[] = {"*", "?", "mon-fri", "0", "6L"};
    /* Starting points near the 2024 transitions of the zones above. */
    static const char *starts[] = {
        "2024-03-30T22:00:00Z", "2024-10-26T22:00:00Z", "2024-03-10T04:00:00Z",
        "2024-11-03T03:00:00Z", "2024-10-05T14:00:00Z", "2024-04-06T14:00:00Z",
        "2024-02-28T12:00:00Z", "2024-12-31T20:00:00Z"};
    struct rng rng;
    struct err err = ERR_INIT;

    rng_seed(&rng, test_seed());
    for (int i = 0; i < 40; i++) {
        char spec[128];
        struct cron c;
        struct tz *z = zone(zones[rng_below(&rng, 7)]);
        int64_t after = at(starts[rng_below(&rng, 8)]) +
                        (int64_t)rng_below(&rng, 6 * 3600) - 3 * 3600;
        int64_t got, ref;
        char gs[40], rs[40];

        snprintf(spec, sizeof(spec), "%s %s %s %s * %s *",
                 secs[rng_below(&rng, 5)], mins[rng_below(&rng, 5)],
                 hours[rng_below(&rng, 5)], doms[rng_below(&rng, 5)],
                 dows[rng_below(&rng, 5)]);
        ck_assert_msg(cron_parse(spec, &c, &err) == 0, "%s", err.msg);
        got = cron_next(&c, z, after);
        ref = brute_next(&c, z, after, 86400);
        show(got, z, gs, sizeof(gs));
        show(ref, z, rs, sizeof(rs));
        if (ref != 0)
            ck_assert_msg(got == ref, "'%s' in %s after %lld: got %s, ref %s",
                          spec, tz_name(z), (long long)after, gs, rs);
        else
            ck_assert_msg(got == 0 || got > after + 86400 - 2 * 3600,
                          "'%s': got %s, the reference found none", spec, gs);
        tz_free(z);
    }
}
END_TEST

/* Consecutive launches never repeat an instant nor go backwards. */
START_TEST(launches_once_across_transitions)
{
    struct cron c;
    struct err err = ERR_INIT;
    struct tz *z = zone(BERLIN);
    int64_t t = at("2024-10-26T23:00:00+02:00"), prev = t;
    int count = 0;

    ck_assert_int_eq(cron_parse("0 */30 * * * * *", &c, &err), 0);
    /* 01:00 .. 04:00 wall, with 02:00-03:00 lived twice: 02:xx once. */
    while ((t = cron_next(&c, z, t)) < at("2024-10-27T04:00:00+01:00")) {
        ck_assert(t > prev);
        prev = t;
        count++;
    }
    /* 23:30, then 00:00 .. 03:30 every half hour, 02:00/02:30 once. */
    ck_assert_int_eq(count, 1 + 8);
    tz_free(z);

    z = zone(BERLIN);
    t = at("2024-03-30T23:00:00+01:00");
    count = 0;
    while ((t = cron_next(&c, z, t)) < at("2024-03-31T04:00:00+02:00"))
        count++;
    /* 23:30, 00:00 .. 01:30, the skipped 02:00 and 02:30 as 03:00 and
     * 03:30, then 03:00 and 03:30 themselves coincide with them. */
    ck_assert_int_eq(count, 1 + 4 + 2);
    tz_free(z);
}
END_TEST

struct bad_case
{
    const char *spec, *msg;
};

static const struct bad_case bad_cases[] = {
    {"", "missing field(s)"},
    {"* * * *", "missing field(s)"},
    {"61 * * * *", "syntax error in minute field: '61'"},
    {"* 24 * * *", "syntax error in hour field: '24'"},
    {"* * 0 * *", "syntax error in day-of-month field: '0'"},
    {"* * 32 * *", "syntax error in day-of-month field: '32'"},
    {"* * * 13 *", "syntax error in month field: '13'"},
    {"* * * foo *", "syntax error in month field: 'foo'"},
    {"* * * * 8", "syntax error in day-of-week field: '8'"},
    {"* * * * mon#6", "syntax error in day-of-week field: 'mon#6'"},
    {"*/60 * * * *", "invalid interval */60"},
    {"*/0 * * * *", "invalid interval */0"},
    {"5/x * * * *", "invalid interval 5/x"},
    {"30-10 * * * *", "invalid range '30-10' in minute field"},
    {"* * * * * 1969", "syntax error in year field: '1969'"},
    {"0 0 0 29 2 * 2100", "syntax error in year field: '2100'"},
    {"60 * * * * * *", "syntax error in second field: '60'"},
    {"* * LX * *", "syntax error in day-of-month field: 'lx'"},
    {"* * * * 1W", "syntax error in day-of-week field: '1w'"},
    {"1-2-3 * * * *", "syntax error in minute field: '1-2-3'"},
    {",,, * * * *", "minute field: missing directive"},
    {"@reboot", "unsupported shorthand '@reboot'"},
    {"@daily extra", "unsupported shorthand '@daily'"},
    {"005 * * * *", "syntax error in minute field: '005'"},
};

START_TEST(bad_specs)
{
    const struct bad_case *tc = &bad_cases[_i];
    struct err err = ERR_INIT;
    struct cron c;

    ck_assert_int_eq(cron_parse(tc->spec, &c, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, tc->msg);
}
END_TEST

START_TEST(civil_calendar)
{
    struct civil_time t;
    int64_t y;
    int m, d;

    ck_assert_int_eq(civil_days(1970, 1, 1), 0);
    ck_assert_int_eq(civil_days(2000, 3, 1), 11017);
    ck_assert_int_eq(civil_weekday(0), 4); /* a Thursday */
    ck_assert_int_eq(civil_weekday(civil_days(2024, 11, 25)), 1);
    ck_assert_int_eq(civil_month_days(2024, 2), 29);
    ck_assert_int_eq(civil_month_days(1900, 2), 28);
    ck_assert_int_eq(civil_month_days(2000, 2), 29);
    for (int64_t z = -800000; z < 800000; z += 37) {
        civil_from_days(z, &y, &m, &d);
        ck_assert_int_eq(civil_days(y, m, d), z);
    }
    civil_split(-1, &t);
    ck_assert_int_eq(t.year, 1969);
    ck_assert_int_eq(t.hour * 3600 + t.min * 60 + t.sec, 86399);
}
END_TEST

START_TEST(posix_rules)
{
    struct tz *z;
    struct err err = ERR_INIT;
    int64_t u;

    z = zone(BERLIN);
    ck_assert_int_eq(tz_offset_at(z, at("2024-01-15T12:00:00Z")), 3600);
    ck_assert_int_eq(tz_offset_at(z, at("2024-07-15T12:00:00Z")), 7200);
    ck_assert_int_eq(tz_offset_at(z, at("2024-03-31T00:59:59Z")), 3600);
    ck_assert_int_eq(tz_offset_at(z, at("2024-03-31T01:00:00Z")), 7200);
    ck_assert_int_eq(tz_offset_at(z, at("2024-10-27T00:59:59Z")), 7200);
    ck_assert_int_eq(tz_offset_at(z, at("2024-10-27T01:00:00Z")), 3600);
    /* A repeated wall time is its first instant; a skipped one moves on. */
    ck_assert(tz_wall_to_utc(z, at("2024-10-27T02:30:00Z"), &u));
    ck_assert_int_eq(u, at("2024-10-27T02:30:00+02:00"));
    ck_assert(!tz_wall_to_utc(z, at("2024-03-31T02:30:00Z"), &u));
    ck_assert_int_eq(u, at("2024-03-31T03:30:00+02:00"));
    tz_free(z);

    z = zone(SYDNEY);
    ck_assert_int_eq(tz_offset_at(z, at("2024-01-15T00:00:00Z")), 11 * 3600);
    ck_assert_int_eq(tz_offset_at(z, at("2024-07-15T00:00:00Z")), 10 * 3600);
    tz_free(z);

    z = zone("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
    ck_assert_int_eq(tz_offset_at(z, at("2024-07-01T00:00:00Z")), -2 * 3600);
    tz_free(z);
    z = zone("EST5EDT");
    ck_assert_int_eq(tz_offset_at(z, at("2024-07-01T00:00:00Z")), -4 * 3600);
    tz_free(z);
    z = zone("<+0545>-5:45");
    ck_assert_int_eq(tz_offset_at(z, 0), 5 * 3600 + 45 * 60);
    tz_free(z);

    ck_assert_int_ne(tz_from_rule("CET", &z, &err), 0);
    ck_assert_int_ne(tz_from_rule("CET-1CEST,M13.5.0,M10.5.0", &z, &err), 0);
    ck_assert_int_ne(tz_from_rule("CET-1CEST,M3.5.0", &z, &err), 0);
    ck_assert_int_ne(tz_from_rule("<ab>1", &z, &err), 0);
}
END_TEST

/* The system's zoneinfo (tzdata is installed by scripts/install-deps.sh). */
START_TEST(system_zones)
{
    struct tz *z;
    struct err err = ERR_INIT;
    struct cron c;

    ck_assert_msg(tz_load("Europe/Berlin", NULL, &z, &err) == 0, "%s",
                  err.msg);
    ck_assert_int_eq(tz_offset_at(z, at("2024-07-15T12:00:00Z")), 7200);
    /* Before the first transition, and far past the last one (the rule). */
    ck_assert_int_eq(tz_offset_at(z, at("2090-07-15T12:00:00Z")), 7200);
    ck_assert_int_eq(tz_offset_at(z, at("2090-01-15T12:00:00Z")), 3600);
    ck_assert_int_eq(cron_parse("30 2 * * *", &c, &err), 0);
    ck_assert_int_eq(cron_next(&c, z, at("2024-03-30T02:30:00+01:00")),
                     at("2024-03-31T03:30:00+02:00"));
    tz_free(z);

    ck_assert_int_eq(tz_load("America/New_York", NULL, &z, &err), 0);
    ck_assert_int_eq(tz_offset_at(z, at("2024-01-15T12:00:00Z")), -5 * 3600);
    tz_free(z);
    ck_assert_int_eq(tz_load("UTC", NULL, &z, &err), 0);
    ck_assert_str_eq(tz_name(z), "UTC");
    tz_free(z);

    ck_assert_int_eq(tz_load("Mars/Olympus_Mons", NULL, &z, &err),
                     ERR_NOT_FOUND);
    ck_assert_str_eq(err.msg, "unknown time zone Mars/Olympus_Mons");
    ck_assert_int_eq(tz_load("../../etc/passwd", NULL, &z, &err), ERR_INVALID);
    ck_assert_int_eq(tz_load("/etc/passwd", NULL, &z, &err), ERR_INVALID);
    ck_assert_int_eq(tz_load("Europe/../../../etc/passwd", NULL, &z, &err),
                     ERR_INVALID);
}
END_TEST

START_TEST(tzif_bad_bytes)
{
    static const uint8_t junk[] = "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
    uint8_t big[64] = "TZif";
    struct tz *z;
    struct err err = ERR_INIT;

    ck_assert_int_eq(tz_parse("x", junk, sizeof(junk), &z, &err),
                     ERR_MALFORMED);
    ck_assert_ptr_null(z);
    /* Counts that claim more than the bytes hold are refused. */
    big[35] = 0xff; /* timecnt */
    big[39] = 1;    /* typecnt */
    big[43] = 1;    /* charcnt */
    ck_assert_int_eq(tz_parse("x", big, sizeof(big), &z, &err), ERR_MALFORMED);
    ck_assert_str_eq(err.msg, "time zone x: not a valid TZif file");
}
END_TEST

static Suite *cron_suite(void)
{
    Suite *s = suite_create("lib_cron");
    TCase *tc = tcase_create("cron");

    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, next_table, 0,
                        sizeof(next_cases) / sizeof(next_cases[0]));
    tcase_add_test(tc, next_matches_reference);
    tcase_add_test(tc, launches_once_across_transitions);
    tcase_add_loop_test(tc, bad_specs, 0,
                        sizeof(bad_cases) / sizeof(bad_cases[0]));
    tcase_add_test(tc, civil_calendar);
    tcase_add_test(tc, posix_rules);
    tcase_add_test(tc, system_zones);
    tcase_add_test(tc, tzif_bad_bytes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(cron_suite)
