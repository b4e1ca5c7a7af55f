/* Nomad-style tables, ids and times for the CLI. */
#include "agent/cli/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/time.h"
#include "lib/tz.h"

static const char *cell(const char *s)
{
    return s != NULL && *s != '\0' ? s : "<none>";
}

void format_kv(struct buf *out, const char *const *pairs, size_t n)
{
    size_t width = 0;

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(pairs[2 * i]);

        if (len > width)
            width = len;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            buf_putc(out, '\n');
        buf_printf(out, "%-*s = %s", (int)width, pairs[2 * i],
                   cell(pairs[2 * i + 1]));
    }
}

void format_list(struct buf *out,
                 const char *const *cells,
                 size_t rows,
                 size_t cols)
{
    size_t *width = xcalloc(cols ? cols : 1, sizeof(*width));

    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            size_t len = strlen(cell(cells[r * cols + c]));

            if (len > width[c])
                width[c] = len;
        }
    }
    for (size_t r = 0; r < rows; r++) {
        if (r > 0)
            buf_putc(out, '\n');
        for (size_t c = 0; c < cols; c++) {
            const char *v = cell(cells[r * cols + c]);

            if (c + 1 == cols)
                buf_puts(out, v);
            else
                buf_printf(out, "%-*s  ", (int)width[c], v);
        }
    }
    free(width);
}

const char *format_short_id(const char *id, int verbose, char out[9])
{
    if (id == NULL)
        return "";
    if (verbose || strlen(id) <= 8)
        return id;
    memcpy(out, id, 8);
    out[8] = '\0';
    return out;
}

void format_time_rfc3339(int64_t unix_ns, char *out, size_t size)
{
    time_t secs = (time_t)(unix_ns / 1000000000);
    struct tm tm;

    gmtime_r(&secs, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void format_time_relative(int64_t then_unix_ns,
                          int64_t now_unix_ns,
                          char *out,
                          size_t size)
{
    static const struct
    {
        const char *name;
        int64_t secs;
    } units[] = {
        {"y", 365 * 86400}, {"mo", 30 * 86400}, {"d", 86400},
        {"h", 3600},        {"m", 60},          {"s", 1},
    };
    int64_t diff = (now_unix_ns - then_unix_ns) / 1000000000;
    const char *suffix = diff >= 0 ? "ago" : "from now";
    int64_t left = diff >= 0 ? diff : -diff;
    size_t nunits = sizeof(units) / sizeof(units[0]);
    size_t i = 0;
    int64_t first, second;

    /* The largest unit that is not zero, then the next one if not zero:
     * "1h3m", "2d1h", "5m" (for 5m0s), "1h" (for 1h0m3s). */
    while (i + 1 < nunits && left < units[i].secs)
        i++;
    first = left / units[i].secs;
    left -= first * units[i].secs;
    second = i + 1 < nunits ? left / units[i + 1].secs : 0;
    if (second > 0)
        snprintf(out, size, "%lld%s%lld%s %s", (long long)first, units[i].name,
                 (long long)second, units[i + 1].name, suffix);
    else
        snprintf(out, size, "%lld%s %s", (long long)first, units[i].name,
                 suffix);
}

bool format_next_launch(const struct periodic_config *p,
                        int64_t now_unix_ns,
                        char *out,
                        size_t size)
{
    struct err err = ERR_INIT;
    struct civil_time t;
    struct tz *z;
    int64_t next;
    int32_t off;
    char zone[24], diff[64];

    if (periodic_next(p, now_unix_ns / 1000000000, &next, &err) != 0 ||
        tz_load(p->time_zone, NULL, &z, &err) != 0) {
        snprintf(out, size, "%s", err.msg);
        return false;
    }
    if (next == 0) {
        tz_free(z);
        snprintf(out, size, "none");
        return true;
    }
    /* Go's RFC 3339: the zone's offset, or Z for UTC. */
    off = tz_offset_at(z, next);
    tz_free(z);
    civil_split(next + off, &t);
    if (off == 0)
        snprintf(zone, sizeof(zone), "Z");
    else
        snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+',
                 abs(off) / 3600, abs(off) / 60 % 60);
    duration_format(next * 1000000000 -
                        (now_unix_ns + 500000000) / 1000000000 * 1000000000,
                    diff, sizeof(diff));
    snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02d%s (%s from now)",
             (long long)t.year, t.month, t.day, t.hour, t.min, t.sec, zone,
             diff);
    return true;
}
