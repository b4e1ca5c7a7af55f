/* Growable byte buffer. */
#include "lib/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/err.h"

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_release(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void buf_grow_(struct buf *b, size_t extra)
{
    XGROW(b->data, b->cap, b->len + extra + 1);
}

void buf_append(struct buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_detach(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");

    buf_init(b);
    return p;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

int buf_read_fd(struct buf *b, int fd, struct err *err)
{
    for (;;) {
        ssize_t n;

        buf_reserve(b, 65536);
        n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n == -1) {
            int e = errno;

            if (e == EINTR)
                continue;
            return err_set(err, -e, "read: %s", strerror(e));
        }
        if (n == 0)
            break;
        b->len += (size_t)n;
        b->data[b->len] = '\0';
    }
    return 0;
}

int buf_read_file(struct buf *b, const char *path, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd == -1) {
        int e = errno;

        return err_set(err, -e, "%s: %s", path, strerror(e));
    }
    rc = buf_read_fd(b, fd, err);
    close(fd);
    if (rc != 0)
        err_wrap(err, "%s", path);
    return rc;
}
