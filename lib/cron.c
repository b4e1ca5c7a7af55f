/* Cron expressions: parsing and next launch times (cron.h). */
#include "lib/cron.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/tz.h"

enum field {
    F_SEC,
    F_MIN,
    F_HOUR,
    F_DOM,
    F_MONTH,
    F_DOW,
    F_YEAR,
    F_COUNT
};

static const struct
{
    const char *name;
    int min, max;
} fields[F_COUNT] = {
    [F_SEC] = {"second", 0, 59},       [F_MIN] = {"minute", 0, 59},
    [F_HOUR] = {"hour", 0, 23},        [F_DOM] = {"day-of-month", 1, 31},
    [F_MONTH] = {"month", 1, 12},      [F_DOW] = {"day-of-week", 0, 6},
    [F_YEAR] = {"year", CRON_YEAR_MIN, CRON_YEAR_MAX},
};

static const char *const month_names[] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
static const char *const dow_names[] = {"sunday",   "monday", "tuesday",
                                        "wednesday", "thursday", "friday",
                                        "saturday"};

static const struct
{
    const char *name, *spec;
} shorthands[] = {
    {"@yearly", "0 0 0 1 1 * *"},  {"@annually", "0 0 0 1 1 * *"},
    {"@monthly", "0 0 0 1 * * *"}, {"@weekly", "0 0 0 * * 0 *"},
    {"@daily", "0 0 0 * * * *"},   {"@midnight", "0 0 0 * * * *"},
    {"@hourly", "0 0 * * * * *"},
};

/* An entry of a field, lowercased: "5", "mon-fri", "*\/15", "15w", "5#2". */
struct entry
{
    const char *s;
    size_t len;
};

static int syntax(struct err *err, enum field f, const struct entry *e)
{
    return err_set(err, ERR_INVALID, "syntax error in %s field: '%.*s'",
                   fields[f].name, (int)e->len, e->s);
}

/*
 * A value of field f at s[*i]: digits (at most 2, or 4 for years) or,
 * for months and weekdays, a name (three letters or in full). Weekday 7
 * is Sunday; *raw keeps 7 so ranges ending on it can include it.
 */
static bool value(enum field f, const struct entry *e, size_t *i, int *raw)
{
    size_t start = *i, maxd = f == F_YEAR ? 4 : 2;
    int v = 0;

    if (*i < e->len && isalpha((unsigned char)e->s[*i])) {
        const char *const *names = f == F_MONTH ? month_names : dow_names;
        int count = f == F_MONTH ? 12 : 7;
        size_t n = 0;

        if (f != F_MONTH && f != F_DOW)
            return false;
        while (*i + n < e->len && isalpha((unsigned char)e->s[*i + n]))
            n++;
        /* A weekday may carry an "l" suffix ("fril"): try without it. */
        for (size_t len = n; len + 1 >= n && len >= 3; len--) {
            for (int k = 0; k < count; k++) {
                if ((len == 3 || len == strlen(names[k])) &&
                    strncmp(e->s + *i, names[k], len) == 0) {
                    *i += len;
                    *raw = f == F_MONTH ? k + 1 : k;
                    return true;
                }
            }
        }
        return false;
    }
    while (*i < e->len && isdigit((unsigned char)e->s[*i]) &&
           *i - start < maxd) {
        v = v * 10 + (e->s[*i] - '0');
        (*i)++;
    }
    if (*i == start || (*i < e->len && isdigit((unsigned char)e->s[*i])))
        return false;
    if (v < fields[f].min || v > (f == F_DOW ? 7 : fields[f].max))
        return false;
    *raw = v;
    return true;
}

static bool step(enum field f, const struct entry *e, size_t *i, int *out)
{
    int v = 0;
    size_t start = *i;

    while (*i < e->len && isdigit((unsigned char)e->s[*i])) {
        if (*i - start >= 4)
            return false;
        v = v * 10 + (e->s[*i] - '0');
        (*i)++;
    }
    if (*i == start || v < 1 || v > fields[f].max)
        return false;
    *out = v;
    return true;
}

static void set_bit(struct cron *c, enum field f, int v)
{
    switch (f) {
    case F_SEC: c->sec |= 1ull << v; break;
    case F_MIN: c->min |= 1ull << v; break;
    case F_HOUR: c->hour |= 1u << v; break;
    case F_DOM: c->dom |= 1u << v; break;
    case F_MONTH: c->month |= (uint16_t)(1u << v); break;
    case F_DOW: c->dow |= (uint8_t)(1u << (v % 7)); break;
    case F_YEAR:
        v -= CRON_YEAR_MIN;
        c->years[v / 64] |= 1ull << (v % 64);
        break;
    default: break;
    }
}

/* The special forms of the day fields: L, LW, 15W; 5L, 1#2. */
static int special(struct cron *c, enum field f, const struct entry *e,
                   struct err *err)
{
    size_t i = 0;
    int v, n;

    if (f == F_DOM) {
        if (e->len == 1 && e->s[0] == 'l') {
            c->dom_last = true;
            return 0;
        }
        if (e->len == 2 && e->s[0] == 'l' && e->s[1] == 'w') {
            c->dom_last_wday = true;
            return 0;
        }
        if (value(f, e, &i, &v) && i + 1 == e->len && e->s[i] == 'w') {
            c->dom_w |= 1u << v;
            return 0;
        }
    } else if (f == F_DOW && value(f, e, &i, &v)) {
        if (i + 1 == e->len && e->s[i] == 'l') {
            c->dow_last |= (uint8_t)(1u << (v % 7));
            return 0;
        }
        if (i + 2 == e->len && e->s[i] == '#' && e->s[i + 1] >= '1' &&
            e->s[i + 1] <= '5') {
            n = e->s[i + 1] - '0';
            c->dow_nth[v % 7] |= (uint8_t)(1u << n);
            return 0;
        }
    }
    return syntax(err, f, e);
}

static int entry(struct cron *c, enum field f, const struct entry *e,
                 bool *all, struct err *err)
{
    size_t i = 0;
    int first, last, by = 1;
    bool range = false;

    if (e->len == 1 && (e->s[0] == '*' || e->s[0] == '?')) {
        *all = true;
        for (int v = fields[f].min; v <= fields[f].max; v++)
            set_bit(c, f, v);
        return 0;
    }
    if (e->s[0] == '*') {
        first = fields[f].min;
        last = fields[f].max;
        i = 1;
        if (i >= e->len || e->s[i] != '/')
            return syntax(err, f, e);
        i++;
        if (!step(f, e, &i, &by) || i != e->len)
            return err_set(err, ERR_INVALID, "invalid interval %.*s",
                           (int)e->len, e->s);
    } else {
        if (!value(f, e, &i, &first))
            return special(c, f, e, err);
        last = first;
        if (i < e->len && e->s[i] == '-') {
            range = true;
            i++;
            if (!value(f, e, &i, &last))
                return syntax(err, f, e);
            if (last < first)
                return err_set(err, ERR_INVALID,
                               "invalid range '%.*s' in %s field",
                               (int)e->len, e->s, fields[f].name);
        }
        if (i < e->len && e->s[i] == '/') {
            /* "N/S" runs from N to the field's end, as cronexpr reads it. */
            if (!range)
                last = fields[f].max;
            i++;
            if (!step(f, e, &i, &by) || i != e->len)
                return err_set(err, ERR_INVALID, "invalid interval %.*s",
                               (int)e->len, e->s);
        }
        if (i != e->len)
            return special(c, f, e, err);
    }
    for (int v = first; v <= last; v += by)
        set_bit(c, f, v);
    return 0;
}

static int parse_field(struct cron *c, enum field f, const char *s, size_t len,
                       struct err *err)
{
    char low[64];
    size_t i = 0, n = 0;
    bool all = false;
    int rc;

    if (len >= sizeof(low))
        return err_set(err, ERR_INVALID, "syntax error in %s field: '%.*s'",
                       fields[f].name, (int)len, s);
    for (size_t k = 0; k < len; k++)
        low[k] = (char)tolower((unsigned char)s[k]);
    while (i < len) {
        struct entry e;
        size_t start = i;

        while (i < len && low[i] != ',')
            i++;
        e.s = low + start;
        e.len = i - start;
        i++;
        if (e.len == 0)
            continue; /* "1,,2": empty entries are skipped, as cronexpr */
        n++;
        rc = entry(c, f, &e, &all, err);
        if (rc != 0)
            return rc;
    }
    if (n == 0)
        return err_set(err, ERR_INVALID, "%s field: missing directive",
                       fields[f].name);
    if (f == F_DOM)
        c->dom_restricted = !all;
    else if (f == F_DOW)
        c->dow_restricted = !all;
    return 0;
}

int cron_parse(const char *spec, struct cron *out, struct err *err)
{
    static const enum field five[] = {F_MIN, F_HOUR, F_DOM, F_MONTH, F_DOW};
    static const enum field six[] = {F_MIN,   F_HOUR, F_DOM,
                                     F_MONTH, F_DOW,  F_YEAR};
    static const enum field seven[] = {F_SEC,   F_MIN, F_HOUR, F_DOM,
                                       F_MONTH, F_DOW, F_YEAR};
    const char *start[8];
    size_t len[8], n = 0, i = 0, slen;
    const enum field *order;
    struct cron c;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&c, 0, sizeof(c));
    while (spec[i] == ' ' || spec[i] == '\t' || spec[i] == '\n')
        i++;
    if (spec[i] == '@') {
        slen = strcspn(spec + i, " \t\n");
        for (size_t k = 0; k < sizeof(shorthands) / sizeof(shorthands[0]);
             k++) {
            if (strlen(shorthands[k].name) == slen &&
                strncasecmp(spec + i, shorthands[k].name, slen) == 0 &&
                spec[i + slen + strspn(spec + i + slen, " \t\n")] == '\0')
                return cron_parse(shorthands[k].spec, out, err);
        }
        return err_set(err, ERR_INVALID, "unsupported shorthand '%.*s'",
                       (int)(slen > 32 ? 32 : slen), spec + i);
    }
    while (spec[i] != '\0') {
        size_t l = strcspn(spec + i, " \t\n");

        if (n < 8) {
            start[n] = spec + i;
            len[n] = l;
        }
        n++;
        i += l;
        while (spec[i] == ' ' || spec[i] == '\t' || spec[i] == '\n')
            i++;
    }
    if (n < 5)
        return err_set(err, ERR_INVALID, "missing field(s)");
    /* More than 7 fields: the rest are ignored, as cronexpr does. */
    order = n == 5 ? five : n == 6 ? six : seven;
    n = n > 7 ? 7 : n;
    /* Fields not written mean second 0 and any year. */
    c.sec = 1;
    for (int y = CRON_YEAR_MIN; n < 6 && y <= CRON_YEAR_MAX; y++)
        set_bit(&c, F_YEAR, y);
    for (size_t k = 0; k < n; k++) {
        if (order[k] == F_SEC)
            c.sec = 0;
        rc = parse_field(&c, order[k], start[k], len[k], err);
        if (rc != 0)
            return rc;
    }
    *out = c;
    return 0;
}

/* ----------------------------------------------------------- matching */

static int last_weekday_of_month(int64_t y, int m)
{
    int last = civil_month_days(y, m);
    int wd = civil_weekday(civil_days(y, m, last));

    return wd == 6 ? last - 1 : wd == 0 ? last - 2 : last;
}

/* The weekday nearest day d of the month, not leaving the month. */
static int nearest_weekday(int64_t y, int m, int d)
{
    int last = civil_month_days(y, m), wd;

    if (d > last)
        d = last;
    wd = civil_weekday(civil_days(y, m, d));
    if (wd == 6)
        return d == 1 ? 3 : d - 1;
    if (wd == 0)
        return d == last ? d - 2 : d + 1;
    return d;
}

static bool day_matches(const struct cron *c, int64_t y, int m, int d)
{
    int last = civil_month_days(y, m);
    int wd = civil_weekday(civil_days(y, m, d));
    bool dom = false, dow;

    if (c->dom & (1u << d))
        dom = true;
    else if (c->dom_last && d == last)
        dom = true;
    else if (c->dom_last_wday && d == last_weekday_of_month(y, m))
        dom = true;
    else if (c->dom_w) {
        for (int k = 1; k <= 31 && !dom; k++)
            if ((c->dom_w & (1u << k)) && nearest_weekday(y, m, k) == d)
                dom = true;
    }
    dow = (c->dow & (1u << wd)) ||
          ((c->dow_last & (1u << wd)) && d + 7 > last) ||
          (c->dow_nth[wd] & (1u << ((d - 1) / 7 + 1)));
    /* Both restricted: either matches, as classic cron. */
    if (c->dom_restricted && c->dow_restricted)
        return dom || dow;
    if (c->dom_restricted)
        return dom;
    if (c->dow_restricted)
        return dow;
    return true;
}

static bool year_matches(const struct cron *c, int64_t y)
{
    int64_t k = y - CRON_YEAR_MIN;

    return k >= 0 && y <= CRON_YEAR_MAX &&
           (c->years[k / 64] & (1ull << (k % 64)));
}

bool cron_match_wall(const struct cron *c, int64_t wall)
{
    struct civil_time t;

    civil_split(wall, &t);
    return year_matches(c, t.year) && (c->month & (1u << t.month)) &&
           day_matches(c, t.year, t.month, t.day) &&
           (c->hour & (1u << t.hour)) && (c->min & (1ull << t.min)) &&
           (c->sec & (1ull << t.sec));
}

/* The lowest set bit of mask at or above from, or -1. */
static int next_bit(uint64_t mask, int from, int limit)
{
    if (from > limit)
        return -1;
    mask &= ~0ull << from;
    if (limit < 63)
        mask &= (2ull << limit) - 1;
    return mask ? __builtin_ctzll(mask) : -1;
}

/* Midnight of the next day: stepping the fields is far cheaper than a
 * round trip through day numbers, and this is the search's inner step. */
static void next_day(struct civil_time *t)
{
    if (t->day < civil_month_days(t->year, t->month)) {
        t->day++;
    } else {
        t->day = 1;
        if (t->month < 12) {
            t->month++;
        } else {
            t->month = 1;
            t->year++;
        }
    }
    t->hour = t->min = t->sec = 0;
}

/* The first wall time at or after w that matches, or false. */
static bool next_wall(const struct cron *c, int64_t w, int64_t *out)
{
    struct civil_time t;
    int v;

    if (w < 0)
        w = 0;
    civil_split(w, &t);
    /* Bounded: each step moves forward by at least a day or a field. */
    for (int guard = 0; guard < 1000000; guard++) {
        if (t.year > CRON_YEAR_MAX)
            return false;
        if (!year_matches(c, t.year)) {
            t.year++;
            t.month = t.day = 1;
            t.hour = t.min = t.sec = 0;
            continue;
        }
        if (!(c->month & (1u << t.month))) {
            v = next_bit(c->month, t.month + 1, 12);
            if (v < 0) {
                t.year++;
                t.month = 1;
            } else {
                t.month = v;
            }
            t.day = 1;
            t.hour = t.min = t.sec = 0;
            continue;
        }
        if (!day_matches(c, t.year, t.month, t.day)) {
            next_day(&t);
            continue;
        }
        v = next_bit(c->hour, t.hour, 23);
        if (v < 0) {
            next_day(&t);
            continue;
        }
        if (v != t.hour) {
            t.hour = v;
            t.min = t.sec = 0;
        }
        v = next_bit(c->min, t.min, 59);
        if (v < 0) {
            t.min = t.sec = 0;
            civil_split(civil_join(&t) + 3600, &t);
            continue;
        }
        if (v != t.min) {
            t.min = v;
            t.sec = 0;
        }
        v = next_bit(c->sec, t.sec, 59);
        if (v < 0) {
            t.sec = 0;
            civil_split(civil_join(&t) + 60, &t);
            continue;
        }
        t.sec = v;
        *out = civil_join(&t);
        return true;
    }
    return false;
}

int64_t cron_next(const struct cron *c, const struct tz *z, int64_t after)
{
    int64_t t = after + 1, w, wm, u, best = 0;
    int32_t o_now = tz_offset_at(z, t), o_prev = tz_offset_at(z, t - 86400);
    int32_t o_hi = 0;

    /*
     * Start early enough that a wall time skipped by a jump forward in
     * the last day, which launches just after the jump, is not missed.
     */
    w = t + (o_prev < o_now ? o_prev : o_now);
    for (int guard = 0; guard < 100000; guard++) {
        if (!next_wall(c, w, &wm))
            break;
        /* No later wall time can map to an instant before best. */
        if (best != 0 && wm - o_hi > best)
            break;
        tz_wall_to_utc(z, wm, &u);
        if (u > after && (best == 0 || u < best)) {
            int32_t a = tz_offset_at(z, u - 86400), b = tz_offset_at(z, u),
                    d = tz_offset_at(z, u + 86400);

            best = u;
            o_hi = a > b ? a : b;
            o_hi = d > o_hi ? d : o_hi;
        }
        w = wm + 1;
    }
    return best;
}
