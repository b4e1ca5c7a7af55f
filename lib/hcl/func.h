/*
 * Internals of the HCL function library, shared by func.c and
 * func_coll.c: the function table type and the argument helpers.
 */
#ifndef CARAVAN_LIB_HCL_FUNC_H
#define CARAVAN_LIB_HCL_FUNC_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/hcl/hcl_int.h"

/* Longest string one call may build, so hostile input cannot eat memory. */
#define MAX_STRING (64u << 20)

typedef int (*hcl_fn)(const struct hcl_fctx *fx,
                      struct hcl_value *a,
                      size_t n,
                      struct hcl_value *out,
                      struct err *err);

struct hcl_fn_def
{
    const char *name;
    hcl_fn fn;
    int min, max; /* number of arguments; max -1 means any */
};

extern const struct hcl_fn_def hcl_coll_fns[];
extern const size_t hcl_ncoll_fns;

/* Sets err to ERR_INVALID with the formatted message; returns the code. */
int hcl_f_ferr(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void hcl_f_new_list(struct hcl_value *v);
void hcl_f_new_object(struct hcl_value *v);
bool hcl_f_prim_to_buf(struct buf *b, const struct hcl_value *v);
/* Check (and for strings and numbers convert) argument i in place. */
int hcl_f_want_str(struct hcl_value *a, size_t i, struct err *err);
int hcl_f_want_num(struct hcl_value *a, size_t i, double *d, struct err *err);
int hcl_f_want_int(struct hcl_value *a,
                   size_t i,
                   long long *out,
                   struct err *err);
int hcl_f_want_list(struct hcl_value *a, size_t i, struct err *err);
int hcl_f_want_obj(struct hcl_value *a, size_t i, struct err *err);
/* Moves argument i into out. */
void hcl_f_take(struct hcl_value *a, size_t i, struct hcl_value *out);
/* Makes out a string holding b's bytes; empties b. */
void hcl_f_set_str(struct hcl_value *out, struct buf *b);
size_t hcl_f_utf8_len(const char *s, size_t len);
size_t hcl_f_utf8_off(const char *s, size_t len, size_t ci);
bool hcl_f_is_space(char c);

#endif
