/*
 * Error codes and human-readable error context.
 *
 * A function that can fail returns 0 or a negative code: -errno for system
 * errors, or one of the ERR_* values below, which live in their own negative
 * range so that err_str() can tell the two apart. Where a person will read
 * the failure, the function also takes a `struct err *` last: the lowest
 * layer writes the message with err_set() and each layer above prefixes its
 * context with err_wrap(), giving "job \"web\": group \"api\": count ...".
 */
#ifndef CARAVAN_LIB_ERR_H
#define CARAVAN_LIB_ERR_H

#include <stddef.h>

#define ERR_BASE (-30000)

/* X(name, offset, text): each code is defined once, with its text. */
#define ERR_TABLE(X)                                 \
    X(ERR_INVALID, 1, "invalid input")               \
    X(ERR_MALFORMED, 2, "malformed data")            \
    X(ERR_NOT_FOUND, 3, "not found")                 \
    X(ERR_EXISTS, 4, "already exists")               \
    X(ERR_TOO_BIG, 5, "too large")                   \
    X(ERR_TOO_DEEP, 6, "nested too deeply")          \
    X(ERR_UNSUPPORTED, 7, "not supported")           \
    X(ERR_IO, 8, "input/output error")               \
    X(ERR_TIMEOUT, 9, "timed out")                   \
    X(ERR_CANCELED, 10, "canceled")                  \
    X(ERR_VERSION, 11, "unsupported record version") \
    X(ERR_STATE, 12, "operation not valid in this state")

enum err_code {
#define ERR__ENUM(name, off, text) name = ERR_BASE - (off),
    ERR_TABLE(ERR__ENUM)
#undef ERR__ENUM
};

#define ERR_MSG_SIZE 4096

struct err
{
    int code;               /* ERR_* or -errno; 0 when nothing failed */
    char msg[ERR_MSG_SIZE]; /* "job \"web\": group \"api\": count ..." */
};

#define ERR_INIT \
    {            \
        0,       \
        {        \
            0    \
        }        \
    }

/* Returns the text of an ERR_* code or of -errno. Never NULL. */
const char *err_str(int code);

/*
 * Records code and a formatted message in err (which may be NULL) and
 * returns code, so callers can write `return err_set(err, ERR_INVALID, ...)`.
 */
int err_set(struct err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Prefixes the message in err with "<context>: " and returns err->code.
 * When err holds no message yet, the code's own text is used.
 */
int err_wrap(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets err to "no error". */
void err_clear(struct err *err);

#endif
