/*
 * Rows of '|'-separated cells, built with printf and rendered as Nomad's
 * columnize does: a list (format_list), key = value lines (format_kv), or
 * a list that leaves empty cells blank (Nomad's formatListWithSpaces).
 *
 * Building "a|b|c" strings keeps the commands close to Nomad's code and
 * so to its output: each cell is trimmed of surrounding white space, and
 * a '|' inside a value splits it, exactly as in Nomad.
 */
#ifndef CARAVAN_AGENT_CLI_TABLE_H
#define CARAVAN_AGENT_CLI_TABLE_H

#include <stddef.h>

struct buf;

struct rows
{
    char **lines;
    size_t n;
    size_t cap;
};

#define ROWS_INIT  \
    {              \
        NULL, 0, 0 \
    }

void rows_init(struct rows *r);
void rows_release(struct rows *r);

/* Appends one row; cells are separated by '|'. */
void rows_addf(struct rows *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends "a|b" to the last row (for optional trailing columns). */
void rows_appendf(struct rows *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Columns, empty cells as <none>; no newline after the last row. */
void rows_format_list(const struct rows *r, struct buf *out);

/* As rows_format_list but empty cells stay blank. */
void rows_format_list_spaces(const struct rows *r, struct buf *out);

/* "key = value" lines: the first cell is the key, the rest the value. */
void rows_format_kv(const struct rows *r, struct buf *out);

#endif
