/* go-multierror formatting (see merr.h). */
#include "lib/merr.h"

#include <stdarg.h>
#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

void merr_add(struct merr *m, const char *fmt, ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    m->items = xrealloc(m->items, (m->n + 1) * sizeof(*m->items));
    m->items[m->n++] = buf_detach(&b);
}

void merr_nest(struct merr *m, struct merr *inner, const char *prefix)
{
    char *text;

    if (inner->n == 0)
        return;
    text = merr_format(inner);
    merr_add(m, "%s: %s", prefix, text);
    free(text);
    merr_release(inner);
}

char *merr_format(const struct merr *m)
{
    struct buf b = BUF_INIT;

    if (m->n == 1)
        buf_printf(&b, "1 error occurred:\n\t* %s\n\n", m->items[0]);
    else
        buf_printf(&b, "%zu errors occurred:\n", m->n);
    for (size_t i = 0; m->n != 1 && i < m->n; i++)
        buf_printf(&b, "\t* %s\n", m->items[i]);
    if (m->n != 1)
        buf_puts(&b, "\n");
    return buf_detach(&b);
}

int merr_to_err(const struct merr *m, int code, struct err *err)
{
    char *text;

    if (m->n == 0)
        return 0;
    text = merr_format(m);
    err_set(err, code, "%s", text);
    free(text);
    return code;
}

void merr_release(struct merr *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->items[i]);
    free(m->items);
    m->items = NULL;
    m->n = 0;
}
