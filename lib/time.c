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
