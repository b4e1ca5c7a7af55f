/*
 * Output formatting shared by every CLI command, as Nomad prints it
 * (reference/cli.md §1 "Table formatting"): key/value blocks, column
 * lists, short ids, absolute (RFC 3339) and relative ("5m ago") times.
 */
#ifndef CARAVAN_AGENT_CLI_FORMAT_H
#define CARAVAN_AGENT_CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * Appends "key = value" lines, keys padded to the longest key; an empty or
 * NULL value prints as <none>. pairs holds n keys and n values
 * interleaved: {k0, v0, k1, v1, ...}.
 */
void format_kv(struct buf *out, const char *const *pairs, size_t n);

/*
 * Appends rows of cells separated by two spaces, each column padded to its
 * widest cell except the last; empty or NULL cells print as <none>. cells
 * is rows × cols, row-major. No newline after the last row, as Nomad.
 */
void format_list(struct buf *out,
                 const char *const *cells,
                 size_t rows,
                 size_t cols);

/* The first 8 characters of id, or all of it when verbose. Borrowed. */
const char *format_short_id(const char *id, int verbose, char out[9]);

/* RFC 3339 in UTC, e.g. "2024-05-01T10:00:00Z". */
void format_time_rfc3339(int64_t unix_ns, char *out, size_t size);

/*
 * A difference of two wall times as Nomad prints it: at most two units
 * from y, mo, d, h, m, s, then " ago" (past) or " from now" (future);
 * "0s ago" for no difference.
 */
void format_time_relative(int64_t then_unix_ns,
                          int64_t now_unix_ns,
                          char *out,
                          size_t size);

struct periodic_config;

/*
 * The next launch of a periodic config after now, as Nomad prints it:
 * "2024-05-01T12:00:00Z (1h59m10s from now)", the time in the job's zone.
 * Returns false (out holds the reason) when it cannot be computed, and
 * writes "none" when no launch is to come.
 */
bool format_next_launch(const struct periodic_config *p,
                        int64_t now_unix_ns,
                        char *out,
                        size_t size);

#endif
