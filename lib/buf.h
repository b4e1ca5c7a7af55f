/*
 * A growable byte buffer, always NUL-terminated after its last byte so the
 * contents can be used as a C string when they hold text.
 */
#ifndef CARAVAN_LIB_BUF_H
#define CARAVAN_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct err;

struct buf
{
    char *data; /* NULL until the first append; then NUL-terminated */
    size_t len;
    size_t cap;
};

#define BUF_INIT   \
    {              \
        NULL, 0, 0 \
    }

void buf_init(struct buf *b);
/* Frees the contents; b may be reused after buf_init(). */
void buf_release(struct buf *b);
/* Empties b but keeps its memory. */
void buf_reset(struct buf *b);
void buf_grow_(struct buf *b, size_t extra);
/* Makes room for at least extra more bytes past len (and the NUL). */
static inline void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 > b->cap)
        buf_grow_(b, extra);
}
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
static inline void buf_putc(struct buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Returns the data as a heap string owned by the caller and empties b. */
char *buf_detach(struct buf *b);
/* Returns b's contents as a C string: "" when b is empty. Borrowed. */
const char *buf_str(const struct buf *b);
/*
 * Appends the whole file at path to b. Fails with -errno and a message
 * naming the path.
 */
int buf_read_file(struct buf *b, const char *path, struct err *err);
/* Appends everything readable from fd until EOF. */
int buf_read_fd(struct buf *b, int fd, struct err *err);

#endif
