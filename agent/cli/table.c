/* '|'-separated rows rendered as Nomad's columnize (see table.h). */
#include "agent/cli/table.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/format.h"
#include "lib/alloc.h"
#include "lib/buf.h"

void rows_init(struct rows *r)
{
    memset(r, 0, sizeof(*r));
}

void rows_release(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->lines[i]);
    free(r->lines);
    rows_init(r);
}

void rows_addf(struct rows *r, const char *fmt, ...)
{
    va_list ap;

    XGROW(r->lines, r->cap, r->n + 1);
    va_start(ap, fmt);
    r->lines[r->n++] = xvasprintf(fmt, ap);
    va_end(ap);
}

void rows_appendf(struct rows *r, const char *fmt, ...)
{
    char *tail, *line;
    va_list ap;

    if (r->n == 0) {
        XGROW(r->lines, r->cap, 1);
        r->lines[r->n++] = xstrdup("");
    }
    va_start(ap, fmt);
    tail = xvasprintf(fmt, ap);
    va_end(ap);
    line = xasprintf("%s%s", r->lines[r->n - 1], tail);
    free(tail);
    free(r->lines[r->n - 1]);
    r->lines[r->n - 1] = line;
}

/* A copy of s[0..len) without surrounding white space. */
static char *trimmed(const char *s, size_t len)
{
    const char *end = s + len;

    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    return xstrndup(s, (size_t)(end - s));
}

/* Splits line at every '|' and trims each cell, as columnize does. */
static size_t split(const char *line, char ***out)
{
    size_t n = 1, k = 0;
    const char *p = line;
    char **cells;

    for (const char *q = line; *q; q++)
        n += *q == '|';
    cells = xcalloc(n, sizeof(*cells));
    for (;;) {
        const char *end = strchr(p, '|');
        const char *stop = end ? end : p + strlen(p);

        cells[k++] = trimmed(p, (size_t)(stop - p));
        if (end == NULL)
            break;
        p = end + 1;
    }
    *out = cells;
    return n;
}

static void free_cells(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

/* The rows as one rectangular rows × cols array (short rows padded). */
static char **grid(const struct rows *r, size_t *cols)
{
    char ***split_rows = xcalloc(r->n ? r->n : 1, sizeof(*split_rows));
    size_t *counts = xcalloc(r->n ? r->n : 1, sizeof(*counts));
    size_t width = 0;
    char **cells;

    for (size_t i = 0; i < r->n; i++) {
        counts[i] = split(r->lines[i], &split_rows[i]);
        if (counts[i] > width)
            width = counts[i];
    }
    cells = xcalloc(r->n * width + 1, sizeof(*cells));
    for (size_t i = 0; i < r->n; i++) {
        for (size_t c = 0; c < counts[i]; c++)
            cells[i * width + c] = split_rows[i][c];
        free(split_rows[i]);
    }
    free(split_rows);
    free(counts);
    *cols = width;
    return cells;
}

void rows_format_list(const struct rows *r, struct buf *out)
{
    size_t cols;
    char **cells = grid(r, &cols);

    format_list(out, (const char *const *)cells, r->n, cols);
    free_cells(cells, r->n * cols);
}

void rows_format_list_spaces(const struct rows *r, struct buf *out)
{
    size_t cols;
    char **cells = grid(r, &cols);
    size_t *width = xcalloc(cols ? cols : 1, sizeof(*width));

    for (size_t i = 0; i < r->n * cols; i++) {
        size_t len = cells[i] ? strlen(cells[i]) : 0;

        if (len > width[i % cols])
            width[i % cols] = len;
    }
    for (size_t row = 0; row < r->n; row++) {
        if (row > 0)
            buf_putc(out, '\n');
        for (size_t c = 0; c < cols; c++) {
            const char *v = cells[row * cols + c];

            if (c + 1 == cols)
                buf_puts(out, v ? v : "");
            else
                buf_printf(out, "%-*s  ", (int)width[c], v ? v : "");
        }
    }
    free(width);
    free_cells(cells, r->n * cols);
}

void rows_format_kv(const struct rows *r, struct buf *out)
{
    char **owned = xcalloc(2 * r->n + 1, sizeof(*owned));

    for (size_t i = 0; i < r->n; i++) {
        const char *line = r->lines[i];
        const char *bar = strchr(line, '|');

        owned[2 * i] = trimmed(line, bar ? (size_t)(bar - line) : strlen(line));
        owned[2 * i + 1] = bar ? trimmed(bar + 1, strlen(bar + 1)) : NULL;
    }
    format_kv(out, (const char *const *)owned, r->n);
    free_cells(owned, 2 * r->n);
}
