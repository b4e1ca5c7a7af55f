/*
 * A list of errors printed the way Go's hashicorp/go-multierror prints
 * them, because users of Nomad read (and grep for) that shape:
 *
 *   2 errors occurred:
 *   	* Missing job datacenters
 *   	* Task group web validation failed: 1 error occurred:
 *   	* Missing task driver
 *
 */
#ifndef CARAVAN_LIB_MERR_H
#define CARAVAN_LIB_MERR_H

#include <stddef.h>

struct err;

struct merr
{
    char **items;
    size_t n;
};

#define MERR_INIT \
    {             \
        NULL, 0   \
    }

void merr_add(struct merr *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Adds "<prefix>: <inner formatted>" when inner holds errors; empties it. */
void merr_nest(struct merr *m, struct merr *inner, const char *prefix);
/* The go-multierror text; a heap string. */
char *merr_format(const struct merr *m);
/* Sets err (code) to the formatted list and returns code; 0 when empty. */
int merr_to_err(const struct merr *m, int code, struct err *err);
void merr_release(struct merr *m);

#endif
