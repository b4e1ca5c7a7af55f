/* Go-compatible duration parsing and formatting; clock readers. */
#include "lib/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/err.h"

struct unit
{
    const char *name;
    int64_t ns;
};

/* Longest names first so "ms" is not read as "m". */
static const struct unit units[] = {
    {"ns", 1},
    {"us", NS_PER_US},
    {"\xc2\xb5s", NS_PER_US},
    {"\xce\xbcs", NS_PER_US},
    {"ms", NS_PER_MS},
    {"s", NS_PER_SEC},
    {"m", NS_PER_MIN},
    {"h", NS_PER_HOUR},
};

static const struct unit *match_unit(const char *p, size_t *len)
{
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t n = strlen(units[i].name);

        if (strncmp(p, units[i].name, n) == 0) {
            /* "m" must not swallow the "m" of "ms". */
            if (n == 1 && p[0] == 'm' && p[1] == 's')
                continue;
            *len = n;
            return &units[i];
        }
    }
    return NULL;
}

static int invalid(struct err *err, const char *s)
{
    return err_set(err, ERR_INVALID, "time: invalid duration \"%s\"", s);
}

/* The arithmetic of Go's time.ParseDuration, so values match Nomad's to
 * the nanosecond: whole parts exact in integers, fractions through
 * float64 as Go does. */
int duration_parse(const char *s, int64_t *out_ns, struct err *err)
{
    const char *p = s;
    bool neg = false;
    uint64_t total = 0;

    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *out_ns = 0;
        return 0;
    }
    if (*p == '\0')
        return invalid(err, s);
    while (*p != '\0') {
        uint64_t v = 0, f = 0, unit;
        double scale = 1;
        bool digits = false, post = false, overflow = false;
        const struct unit *u;
        size_t ulen;

        while (*p >= '0' && *p <= '9') {
            if (v > (UINT64_C(1) << 63) / 10)
                return invalid(err, s);
            v = v * 10 + (uint64_t)(*p++ - '0');
            if (v > UINT64_C(1) << 63)
                return invalid(err, s);
            digits = true;
        }
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') {
                post = true;
                if (!overflow) {
                    if (f > (UINT64_C(1) << 63) / 10) {
                        overflow = true; /* ignore the digits beyond */
                    } else {
                        f = f * 10 + (uint64_t)(*p - '0');
                        scale *= 10;
                    }
                }
                p++;
            }
        }
        if (!digits && !post)
            return invalid(err, s);
        u = match_unit(p, &ulen);
        if (u == NULL) {
            if (*p == '\0')
                return err_set(err, ERR_INVALID,
                               "time: missing unit in duration \"%s\"", s);
            return err_set(err, ERR_INVALID,
                           "time: unknown unit \"%.*s\" in duration \"%s\"",
                           (int)strcspn(p, "0123456789."), p, s);
        }
        p += ulen;
        unit = (uint64_t)u->ns;
        if (v > (UINT64_C(1) << 63) / unit)
            return invalid(err, s);
        v *= unit;
        if (f > 0) {
            v += (uint64_t)((double)f * ((double)unit / scale));
            if (v > UINT64_C(1) << 63)
                return invalid(err, s);
        }
        total += v;
        if (total > UINT64_C(1) << 63)
            return invalid(err, s);
    }
    if (neg) {
        *out_ns = total == UINT64_C(1) << 63 ? INT64_MIN : -(int64_t)total;
        return 0;
    }
    if (total > INT64_MAX)
        return invalid(err, s);
    *out_ns = (int64_t)total;
    return 0;
}

static int fmt_frac(char *out, size_t size, uint64_t v, int prec)
{
    char digits[32];
    uint64_t pow = 1;
    uint64_t whole, frac;
    int n;

    for (int i = 0; i < prec; i++)
        pow *= 10;
    whole = v / pow;
    frac = v % pow;
    if (frac == 0)
        return snprintf(out, size, "%llu", (unsigned long long)whole);
    snprintf(digits, sizeof(digits), "%0*llu", prec, (unsigned long long)frac);
    n = (int)strlen(digits);
    while (n > 0 && digits[n - 1] == '0')
        digits[--n] = '\0';
    return snprintf(out, size, "%llu.%s", (unsigned long long)whole, digits);
}

void duration_format(int64_t ns, char *out, size_t size)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char num[48];

    if (u == 0) {
        snprintf(out, size, "0s");
        return;
    }
    if (u < (uint64_t)NS_PER_US) {
        snprintf(out, size, "%s%lluns", sign, (unsigned long long)u);
        return;
    }
    if (u < (uint64_t)NS_PER_MS) {
        fmt_frac(num, sizeof(num), u, 3);
        snprintf(out, size, "%s%s\xc2\xb5s", sign, num);
        return;
    }
    if (u < (uint64_t)NS_PER_SEC) {
        fmt_frac(num, sizeof(num), u, 6);
        snprintf(out, size, "%s%sms", sign, num);
        return;
    }
    {
        uint64_t h = u / (uint64_t)NS_PER_HOUR;
        uint64_t m = (u / (uint64_t)NS_PER_MIN) % 60;
        uint64_t sec_ns = u % (uint64_t)NS_PER_MIN;

        fmt_frac(num, sizeof(num), sec_ns, 9);
        if (h > 0)
            snprintf(out, size, "%s%lluh%llum%ss", sign, (unsigned long long)h,
                     (unsigned long long)m, num);
        else if (m > 0)
            snprintf(out, size, "%s%llum%ss", sign, (unsigned long long)m, num);
        else
            snprintf(out, size, "%s%ss", sign, num);
    }
}

/* ============================================================ RFC 3339 */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no libc time zone state is involved. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

void time_format_rfc3339_nano(int64_t unix_ns, char *out, size_t size)
{
    int64_t sec, frac, days, rem, y, mo, d;
    char fr[16] = "";

    if (unix_ns == 0) {
        snprintf(out, size, "0001-01-01T00:00:00Z");
        return;
    }
    sec = unix_ns / NS_PER_SEC;
    frac = unix_ns % NS_PER_SEC;
    if (frac < 0) {
        frac += NS_PER_SEC;
        sec--;
    }
    days = sec / 86400;
    rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &mo, &d);
    if (frac != 0) {
        size_t n;

        snprintf(fr, sizeof(fr), ".%09lld", (long long)frac);
        n = strlen(fr);
        while (n > 1 && fr[n - 1] == '0')
            fr[--n] = '\0';
    }
    snprintf(out, size, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld%sZ",
             (long long)y, (long long)mo, (long long)d, (long long)(rem / 3600),
             (long long)(rem / 60 % 60), (long long)(rem % 60), fr);
}

/* n decimal digits at *p into *v; advances *p. */
static bool digits(const char **p, const char *end, int n, int64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (*p >= end || **p < '0' || **p > '9')
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

static bool expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return false;
    (*p)++;
    return true;
}

/* The fraction after the seconds, as nanoseconds (at most 9 digits). */
static bool fraction(const char **p, const char *end, int64_t *ns)
{
    int n = 0;

    *ns = 0;
    if (*p >= end || **p != '.')
        return true;
    (*p)++;
    while (*p < end && **p >= '0' && **p <= '9') {
        if (++n > 9)
            return false;
        *ns = *ns * 10 + (**p - '0');
        (*p)++;
    }
    for (int i = n; i < 9; i++)
        *ns *= 10;
    return n > 0;
}

/* "Z" or "+hh:mm"/"-hh:mm" as seconds east of UTC. */
static bool offset(const char **p, const char *end, int64_t *sec)
{
    int64_t h, m, sign;

    *sec = 0;
    if (*p < end && (**p == 'Z' || **p == 'z')) {
        (*p)++;
        return true;
    }
    if (*p >= end || (**p != '+' && **p != '-'))
        return false;
    sign = **p == '-' ? -1 : 1;
    (*p)++;
    if (!digits(p, end, 2, &h) || !expect(p, end, ':') ||
        !digits(p, end, 2, &m) || h > 23 || m > 59)
        return false;
    *sec = sign * (h * 3600 + m * 60);
    return true;
}

int time_parse_rfc3339(const char *s, size_t len, int64_t *out_unix_ns)
{
    const char *p = s, *end = s + len;
    int64_t y, mo, d, h, mi, se, ns, off, secs;

    if (!digits(&p, end, 4, &y) || !expect(&p, end, '-') ||
        !digits(&p, end, 2, &mo) || !expect(&p, end, '-') ||
        !digits(&p, end, 2, &d) || p >= end || (*p != 'T' && *p != 't'))
        return ERR_INVALID;
    p++;
    if (!digits(&p, end, 2, &h) || !expect(&p, end, ':') ||
        !digits(&p, end, 2, &mi) || !expect(&p, end, ':') ||
        !digits(&p, end, 2, &se) || !fraction(&p, end, &ns) ||
        !offset(&p, end, &off) || p != end)
        return ERR_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return ERR_INVALID;
    if (y == 1 && mo == 1 && d == 1 && h == 0 && mi == 0 && se == 0 &&
        ns == 0 && off == 0) {
        *out_unix_ns = 0; /* Go's zero time */
        return 0;
    }
    /* int64 nanoseconds reach from 1677 to 2262. */
    if (y < 1678 || y > 2261)
        return ERR_INVALID;
    secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    *out_unix_ns = secs * NS_PER_SEC + ns;
    return 0;
}

uint64_t time_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t time_wall_unix_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t time_wall_unix_ms(void)
{
    return time_wall_unix_ns() / NS_PER_MS;
}
