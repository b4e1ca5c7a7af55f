/*
 * Durations and clocks.
 *
 * Durations are int64 nanoseconds, as Nomad carries them in JSON. Two clocks
 * exist and never mix: monotonic milliseconds (`*_ms`, `deadline_ms`) for
 * timers and timeouts, and wall-clock unix time (`*_unix_ms`, `*_unix_ns`)
 * for what users see. Pure cores never read a clock: they are given now_ms.
 */
#ifndef CARAVAN_LIB_TIME_H
#define CARAVAN_LIB_TIME_H

#include <stddef.h>
#include <stdint.h>

struct err;

#define NS_PER_US INT64_C(1000)
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_SEC INT64_C(1000000000)
#define NS_PER_MIN (60 * NS_PER_SEC)
#define NS_PER_HOUR (60 * NS_PER_MIN)

/*
 * Parses a duration as Go's time.ParseDuration does: an optional sign, then
 * one or more decimal numbers, each with an optional fraction and a unit of
 * ns, us, µs, ms, s, m or h ("300ms", "1.5h", "2h45m"). "0" needs no unit.
 * Fails with ERR_INVALID and a message quoting s.
 */
int duration_parse(const char *s, int64_t *out_ns, struct err *err);

/* Formats like Go's Duration.String(): "1h30m0s", "500ms", "0s". */
void duration_format(int64_t ns, char *out, size_t size);

/*
 * A Go time.Time as its JSON carries it: RFC 3339 in UTC with the
 * fraction's trailing zeros dropped ("2024-05-01T10:10:00.5Z"); 0 is Go's
 * zero time, "0001-01-01T00:00:00Z". size >= 40 holds any.
 */
void time_format_rfc3339_nano(int64_t unix_ns, char *out, size_t size);

/*
 * Parses what time_format_rfc3339_nano() writes, and any RFC 3339 time
 * with a numeric offset; Go's zero time gives 0. Fails with ERR_INVALID
 * (out untouched) on anything else or a time outside int64 nanoseconds.
 */
int time_parse_rfc3339(const char *s, size_t len, int64_t *out_unix_ns);

/* Monotonic milliseconds since an arbitrary start; only for adapters. */
uint64_t time_mono_ms(void);
/* Wall-clock time since the unix epoch. */
int64_t time_wall_unix_ms(void);
int64_t time_wall_unix_ns(void);

#endif
