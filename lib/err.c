/* Error texts and the message-with-context helpers of lib/err.h. */
#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *err_str(int code)
{
    switch (code) {
    case 0:
        return "success";
#define ERR__CASE(name, off, text) \
    case name:                     \
        return text;
        ERR_TABLE(ERR__CASE)
#undef ERR__CASE
    default:
        break;
    }
    if (code < 0 && code > ERR_BASE)
        return strerror(-code);
    return "unknown error";
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int err_wrap(struct err *err, const char *fmt, ...)
{
    char old[ERR_MSG_SIZE];
    size_t plen, olen;
    va_list ap;

    if (err == NULL)
        return 0;
    if (err->msg[0] == '\0')
        snprintf(old, sizeof(old), "%s", err_str(err->code));
    else
        memcpy(old, err->msg, sizeof(old));
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    /* Messages longer than the buffer are cut at the end, never overrun. */
    plen = strlen(err->msg);
    if (plen + 2 < sizeof(err->msg)) {
        memcpy(err->msg + plen, ": ", 2);
        plen += 2;
        olen = strlen(old);
        if (olen > sizeof(err->msg) - 1 - plen)
            olen = sizeof(err->msg) - 1 - plen;
        memcpy(err->msg + plen, old, olen);
        err->msg[plen + olen] = '\0';
    }
    return err->code;
}

void err_clear(struct err *err)
{
    if (err == NULL)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}
