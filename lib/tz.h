/*
 * Time zones from the system's tzdata (TZif files, RFC 8536) and civil
 * calendar arithmetic, for periodic jobs' `time_zone`. Pure apart from
 * tz_load(), which reads the file: the rest works on bytes and numbers,
 * so it is tested and fuzzed without the system's zoneinfo.
 *
 * Times are Unix seconds. A "wall" time is a local calendar time counted
 * as if it were UTC (wall = utc + offset), which lets calendar arithmetic
 * ignore zones until the one conversion at the end.
 */
#ifndef CARAVAN_LIB_TZ_H
#define CARAVAN_LIB_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct tz;

/* Largest TZif file accepted; real ones are a few KiB. */
#define TZ_MAX_FILE (256 * 1024)

/*
 * Loads zone name ("UTC", "Europe/Berlin", "Local") from the system's
 * zoneinfo (root NULL: /usr/share/zoneinfo). Names that are absolute or
 * climb out with ".." are refused, as are files that are not TZif.
 */
int tz_load(const char *name, const char *root, struct tz **out, struct err *err);
/* A zone from the bytes of a TZif file; name is kept for messages. */
int tz_parse(const char *name,
             const uint8_t *data,
             size_t len,
             struct tz **out,
             struct err *err);
/* A zone from a POSIX TZ rule string alone ("CET-1CEST,M3.5.0,M10.5.0/3"). */
int tz_from_rule(const char *rule, struct tz **out, struct err *err);
struct tz *tz_utc(void);
void tz_free(struct tz *z);
const char *tz_name(const struct tz *z);

/* Seconds east of UTC in effect at utc. */
int32_t tz_offset_at(const struct tz *z, int64_t utc);

/*
 * The instant of wall time `wall`. When it occurs twice (clocks set back)
 * the earlier; when it never occurs (clocks set forward) the instant the
 * same distance past the jump, as Go's time.Date normalizes it. Returns
 * true when wall exists as such.
 */
bool tz_wall_to_utc(const struct tz *z, int64_t wall, int64_t *utc);

/* ---------------------------------------------------- civil calendar */

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12, d 1-31). */
int64_t civil_days(int64_t y, int m, int d);
void civil_from_days(int64_t days, int64_t *y, int *m, int *d);
/* 0 = Sunday. */
int civil_weekday(int64_t days);
int civil_month_days(int64_t y, int m);

struct civil_time
{
    int64_t year;
    int month, day, hour, min, sec;
};

void civil_split(int64_t secs, struct civil_time *out);
int64_t civil_join(const struct civil_time *t);

#endif
