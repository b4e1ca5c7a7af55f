/* Time zones from TZif bytes and POSIX TZ rules; civil calendar (tz.h). */
#include "lib/tz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"

/* A POSIX TZ transition date: Mm.w.d, Jn (no Feb 29) or n (0-based). */
struct tz_date
{
    char kind; /* 'M', 'J' or 'N' */
    int m, w, d, n;
    int32_t time; /* seconds past local midnight, may be < 0 or > 24 h */
};

struct tz
{
    char *name;
    size_t ntrans;
    int64_t *trans;  /* ascending instants */
    uint8_t *idx;    /* type of each transition */
    size_t ntypes;
    int32_t *utoff;  /* offset of each type */
    bool has_rule;   /* the footer rule governs after the last transition */
    bool rule_dst;
    int32_t std_off, dst_off;
    struct tz_date start, end;
};

/* ---------------------------------------------------- civil calendar */

/*
 * Howard Hinnant's days_from_civil / civil_from_days: exact over the
 * whole proleptic Gregorian calendar, no tables, no libc time zone state.
 */
int64_t civil_days(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int civil_weekday(int64_t z)
{
    return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int civil_month_days(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void civil_split(int64_t secs, struct civil_time *out)
{
    int64_t days = floor_div(secs, 86400), rem = secs - days * 86400;

    civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(rem / 3600);
    out->min = (int)(rem / 60 % 60);
    out->sec = (int)(rem % 60);
}

int64_t civil_join(const struct civil_time *t)
{
    return civil_days(t->year, t->month, t->day) * 86400 + t->hour * 3600 +
           t->min * 60 + t->sec;
}

/* ------------------------------------------------------- POSIX rules */

struct rule_parser
{
    const char *s;
    size_t i;
};

static bool rule_name(struct rule_parser *p)
{
    size_t start = p->i;

    if (p->s[p->i] == '<') {
        p->i++;
        start = p->i;
        while (p->s[p->i] != '\0' && p->s[p->i] != '>')
            p->i++;
        if (p->s[p->i] != '>' || p->i - start < 3)
            return false;
        p->i++;
        return true;
    }
    while ((p->s[p->i] >= 'A' && p->s[p->i] <= 'Z') ||
           (p->s[p->i] >= 'a' && p->s[p->i] <= 'z'))
        p->i++;
    return p->i - start >= 3;
}

static bool rule_num(struct rule_parser *p, int max, int *out)
{
    int v = 0;
    size_t start = p->i;

    while (p->s[p->i] >= '0' && p->s[p->i] <= '9') {
        v = v * 10 + (p->s[p->i] - '0');
        if (v > max)
            return false;
        p->i++;
    }
    *out = v;
    return p->i > start;
}

/* [+-]hh[:mm[:ss]], hours up to 167 as RFC 8536 allows for times. */
static bool rule_hms(struct rule_parser *p, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;

    if (p->s[p->i] == '+' || p->s[p->i] == '-')
        sign = p->s[p->i++] == '-' ? -1 : 1;
    if (!rule_num(p, 167, &h))
        return false;
    if (p->s[p->i] == ':') {
        p->i++;
        if (!rule_num(p, 59, &m))
            return false;
        if (p->s[p->i] == ':') {
            p->i++;
            if (!rule_num(p, 59, &s))
                return false;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return true;
}

static bool rule_date(struct rule_parser *p, struct tz_date *d)
{
    memset(d, 0, sizeof(*d));
    d->time = 2 * 3600;
    if (p->s[p->i] == 'M') {
        p->i++;
        d->kind = 'M';
        if (!rule_num(p, 12, &d->m) || d->m < 1 || p->s[p->i++] != '.' ||
            !rule_num(p, 5, &d->w) || d->w < 1 || p->s[p->i++] != '.' ||
            !rule_num(p, 6, &d->d))
            return false;
    } else if (p->s[p->i] == 'J') {
        p->i++;
        d->kind = 'J';
        if (!rule_num(p, 365, &d->n) || d->n < 1)
            return false;
    } else {
        d->kind = 'N';
        if (!rule_num(p, 365, &d->n))
            return false;
    }
    if (p->s[p->i] == '/') {
        p->i++;
        if (!rule_hms(p, &d->time))
            return false;
    }
    return true;
}

/* Parses "std offset [dst [offset] [,start[/time],end[/time]]]". */
/* Offsets stay within what TZif allows (-25 h, +26 h). */
static bool rule_offset_ok(int32_t off)
{
    return off > -89999 && off < 89999;
}

static bool parse_rule(const char *s, struct tz *z)
{
    struct rule_parser p = {s, 0};
    int32_t off;

    if (!rule_name(&p) || !rule_hms(&p, &off) || !rule_offset_ok(off))
        return false;
    /* POSIX offsets count west of Greenwich. */
    z->std_off = -off;
    z->has_rule = true;
    z->rule_dst = false;
    if (s[p.i] == '\0')
        return true;
    if (!rule_name(&p))
        return false;
    z->rule_dst = true;
    z->dst_off = z->std_off + 3600;
    if (s[p.i] != ',' && s[p.i] != '\0') {
        if (!rule_hms(&p, &off) || !rule_offset_ok(off))
            return false;
        z->dst_off = -off;
    }
    if (s[p.i] == '\0') {
        /* No dates: the rule POSIX implementations default to. */
        z->start = (struct tz_date){'M', 3, 2, 0, 0, 7200};
        z->end = (struct tz_date){'M', 11, 1, 0, 0, 7200};
        return true;
    }
    if (s[p.i++] != ',' || !rule_date(&p, &z->start) || s[p.i++] != ',' ||
        !rule_date(&p, &z->end))
        return false;
    return s[p.i] == '\0';
}

/* The wall time in year y at which date d happens. */
static int64_t date_wall(int64_t y, const struct tz_date *d)
{
    int64_t days;

    switch (d->kind) {
    case 'M': {
        int64_t first = civil_days(y, d->m, 1);
        int day = 1 + (d->d - civil_weekday(first) + 7) % 7 + (d->w - 1) * 7;

        while (day > civil_month_days(y, d->m))
            day -= 7;
        days = first + day - 1;
        break;
    }
    case 'J':
        days = civil_days(y, 1, 1) + d->n - 1 + (leap_year(y) && d->n >= 60);
        break;
    default:
        days = civil_days(y, 1, 1) + d->n;
        break;
    }
    return days * 86400 + d->time;
}

static int32_t rule_offset(const struct tz *z, int64_t utc)
{
    struct civil_time ct;
    int64_t start, end;

    if (!z->rule_dst)
        return z->std_off;
    civil_split(utc + z->std_off, &ct);
    /* The start is given in standard time, the end in daylight time. */
    start = date_wall(ct.year, &z->start) - z->std_off;
    end = date_wall(ct.year, &z->end) - z->dst_off;
    if (start < end)
        return utc >= start && utc < end ? z->dst_off : z->std_off;
    return utc >= end && utc < start ? z->std_off : z->dst_off;
}

/* ------------------------------------------------------------- zones */

int32_t tz_offset_at(const struct tz *z, int64_t utc)
{
    size_t lo = 0, hi;

    if (z->ntrans == 0)
        return z->has_rule ? rule_offset(z, utc) : z->utoff[0];
    if (utc < z->trans[0])
        return z->utoff[0];
    if (utc >= z->trans[z->ntrans - 1] && z->has_rule)
        return rule_offset(z, utc);
    /* The last transition at or before utc. */
    hi = z->ntrans;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (z->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    return z->utoff[z->idx[lo]];
}

bool tz_wall_to_utc(const struct tz *z, int64_t wall, int64_t *utc)
{
    /*
     * Zones change offset at most a few times a year, so the offsets in
     * effect a day either side are the only candidates.
     */
    int32_t cand[3] = {tz_offset_at(z, wall - 86400), tz_offset_at(z, wall),
                       tz_offset_at(z, wall + 86400)};
    int32_t lowest = cand[0];
    bool found = false;
    int64_t best = 0;

    for (int i = 0; i < 3; i++) {
        int64_t u = wall - cand[i];

        if (cand[i] < lowest)
            lowest = cand[i];
        if (tz_offset_at(z, u) == cand[i] && (!found || u < best)) {
            best = u;
            found = true;
        }
    }
    if (found) {
        *utc = best;
        return true;
    }
    /* Skipped by a jump forward: keep the offset from before the jump. */
    *utc = wall - lowest;
    return false;
}

static struct tz *tz_alloc(const char *name)
{
    struct tz *z = xcalloc(1, sizeof(*z));

    z->name = xstrdup(name);
    return z;
}

struct tz *tz_utc(void)
{
    struct tz *z = tz_alloc("UTC");

    z->ntypes = 1;
    z->utoff = xcalloc(1, sizeof(*z->utoff));
    return z;
}

void tz_free(struct tz *z)
{
    if (z == NULL)
        return;
    free(z->name);
    free(z->trans);
    free(z->idx);
    free(z->utoff);
    free(z);
}

const char *tz_name(const struct tz *z)
{
    return z->name;
}

int tz_from_rule(const char *rule, struct tz **out, struct err *err)
{
    struct tz *z = tz_alloc(rule);

    z->ntypes = 1;
    z->utoff = xcalloc(1, sizeof(*z->utoff));
    if (strlen(rule) > 128 || !parse_rule(rule, z)) {
        tz_free(z);
        return err_set(err, ERR_INVALID, "invalid time zone rule \"%.128s\"",
                       rule);
    }
    z->utoff[0] = z->std_off;
    *out = z;
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t be64(const uint8_t *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_header
{
    char version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

#define TZIF_HEADER 44

static bool tzif_header(const uint8_t *p, size_t len, struct tzif_header *h)
{
    if (len < TZIF_HEADER || memcmp(p, "TZif", 4) != 0)
        return false;
    h->version = (char)p[4];
    h->isutcnt = be32(p + 20);
    h->isstdcnt = be32(p + 24);
    h->leapcnt = be32(p + 28);
    h->timecnt = be32(p + 32);
    h->typecnt = be32(p + 36);
    h->charcnt = be32(p + 40);
    /* RFC 8536 section 3.1, with bounds generous for any real zone. */
    return h->typecnt >= 1 && h->typecnt <= 256 && h->charcnt >= 1 &&
           h->charcnt <= 4096 && h->timecnt <= 65536 && h->leapcnt <= 4096 &&
           (h->isutcnt == 0 || h->isutcnt == h->typecnt) &&
           (h->isstdcnt == 0 || h->isstdcnt == h->typecnt);
}

static size_t tzif_body_size(const struct tzif_header *h, size_t tsize)
{
    return h->timecnt * tsize + h->timecnt + h->typecnt * 6 + h->charcnt +
           h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

int tz_parse(const char *name,
             const uint8_t *data,
             size_t len,
             struct tz **out,
             struct err *err)
{
    struct tzif_header h;
    const uint8_t *p = data, *end = data + len;
    size_t tsize = 4, body;
    struct tz *z;

    if (len > TZ_MAX_FILE || !tzif_header(p, len, &h))
        goto bad;
    body = tzif_body_size(&h, 4);
    if ((size_t)(end - p) < TZIF_HEADER + body)
        goto bad;
    if (h.version >= '2') {
        /* Skip the 32-bit block: the 64-bit one that follows is complete. */
        p += TZIF_HEADER + body;
        if (!tzif_header(p, (size_t)(end - p), &h))
            goto bad;
        tsize = 8;
        body = tzif_body_size(&h, 8);
        if ((size_t)(end - p) < TZIF_HEADER + body)
            goto bad;
    }
    p += TZIF_HEADER;

    z = tz_alloc(name);
    z->ntrans = h.timecnt;
    z->ntypes = h.typecnt;
    z->trans = xcalloc(h.timecnt + 1, sizeof(*z->trans));
    z->idx = xcalloc(h.timecnt + 1, 1);
    z->utoff = xcalloc(h.typecnt, sizeof(*z->utoff));
    for (size_t i = 0; i < h.timecnt; i++, p += tsize) {
        z->trans[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
        if (i > 0 && z->trans[i] <= z->trans[i - 1])
            goto bad_zone;
    }
    for (size_t i = 0; i < h.timecnt; i++, p++) {
        if (*p >= h.typecnt)
            goto bad_zone;
        z->idx[i] = *p;
    }
    for (size_t i = 0; i < h.typecnt; i++, p += 6) {
        int32_t off = (int32_t)be32(p);

        /* -25 h < offset < 26 h, as RFC 8536 bounds it. */
        if (off <= -89999 || off >= 93600)
            goto bad_zone;
        z->utoff[i] = off;
    }
    p += h.charcnt + h.leapcnt * (tsize + 4) + h.isstdcnt + h.isutcnt;
    if (h.version >= '2' && p < end) {
        /* Footer: "\n<POSIX TZ rule>\n", the rule possibly empty. */
        const uint8_t *nl;
        char rule[129];
        size_t n;

        if (*p != '\n')
            goto bad_zone;
        p++;
        nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            goto bad_zone;
        n = (size_t)(nl - p);
        if (n >= sizeof(rule))
            goto bad_zone;
        memcpy(rule, p, n);
        rule[n] = '\0';
        if (memchr(rule, '\0', n) != NULL || (n > 0 && !parse_rule(rule, z)))
            goto bad_zone;
    }
    *out = z;
    return 0;
bad_zone:
    tz_free(z);
bad:
    *out = NULL;
    return err_set(err, ERR_MALFORMED, "time zone %s: not a valid TZif file",
                   name);
}

static bool name_ok(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > 128 || name[0] == '/' || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
              c == '+' || c == '.'))
            return false;
        if (c == '.' && name[i + 1] == '.')
            return false;
    }
    return true;
}

int tz_load(const char *name, const char *root, struct tz **out, struct err *err)
{
    char path[512];
    uint8_t *data;
    size_t len = 0;
    FILE *f;
    int rc;

    *out = NULL;
    if (name == NULL || name[0] == '\0' || strcmp(name, "UTC") == 0) {
        *out = tz_utc();
        return 0;
    }
    if (strcmp(name, "Local") == 0)
        snprintf(path, sizeof(path), "/etc/localtime");
    else if (!name_ok(name))
        return err_set(err, ERR_INVALID, "unknown time zone %.128s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", root ? root : "/usr/share/zoneinfo",
                 name);
    f = fopen(path, "rb");
    if (f == NULL)
        return err_set(err, errno == ENOENT ? ERR_NOT_FOUND : ERR_IO,
                       "unknown time zone %s", name);
    data = xmalloc(TZ_MAX_FILE + 1);
    len = fread(data, 1, TZ_MAX_FILE + 1, f);
    fclose(f);
    rc = tz_parse(name, data, len, out, err);
    free(data);
    return rc;
}
