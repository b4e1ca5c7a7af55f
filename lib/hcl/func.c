/*
 * The HCL function library: the subset of Terraform/Nomad functions that
 * jobspecs use. Arguments arrive evaluated and free of unknowns; each
 * function may convert its arguments in place (the caller frees them).
 * Messages lack a position, which the evaluator adds. This file holds the
 * shared argument helpers, the string functions and the dispatcher;
 * func_coll.c holds collections, numbers and conversions.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/func.h"
#include "lib/hcl/hcl_int.h"

int hcl_f_ferr(struct err *err, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    err_set(err, ERR_INVALID, "%s", msg);
    free(msg);
    return ERR_INVALID;
}

void hcl_f_new_list(struct hcl_value *v)
{
    memset(v, 0, sizeof(*v));
    v->type = HCL_LIST;
}

void hcl_f_new_object(struct hcl_value *v)
{
    memset(v, 0, sizeof(*v));
    v->type = HCL_OBJECT;
}

bool hcl_f_prim_to_buf(struct buf *b, const struct hcl_value *v)
{
    switch (v->type) {
    case HCL_STRING:
        buf_append(b, v->u.str.s, v->u.str.len);
        return true;
    case HCL_NUMBER:
        hcl_fmt_number(b, v->u.num);
        return true;
    case HCL_BOOL:
        buf_puts(b, v->u.b ? "true" : "false");
        return true;
    default:
        return false;
    }
}

/* Converts argument i to a string in place, as HCL does for primitives. */
int hcl_f_want_str(struct hcl_value *a, size_t i, struct err *err)
{
    struct buf b = BUF_INIT;
    struct hcl_pos pos = a[i].pos;

    if (a[i].type == HCL_STRING)
        return 0;
    if (!hcl_f_prim_to_buf(&b, &a[i]))
        return hcl_f_ferr(err, "argument %zu must be a string, not %s", i + 1,
                          hcl_type_name(a[i].type));
    hcl_val_free(&a[i]);
    hcl_val_string(&a[i], buf_str(&b), b.len);
    a[i].pos = pos;
    buf_release(&b);
    return 0;
}

int hcl_f_want_num(struct hcl_value *a, size_t i, double *d, struct err *err)
{
    if (a[i].type == HCL_NUMBER) {
        *d = a[i].u.num;
        return 0;
    }
    if (a[i].type == HCL_STRING &&
        hcl_parse_number(a[i].u.str.s, a[i].u.str.len, d))
        return 0;
    return hcl_f_ferr(err, "argument %zu must be a number, not %s", i + 1,
                      hcl_type_name(a[i].type));
}

int hcl_f_want_int(struct hcl_value *a,
                   size_t i,
                   long long *out,
                   struct err *err)
{
    double d;
    int rc = hcl_f_want_num(a, i, &d, err);

    if (rc != 0)
        return rc;
    if (d != trunc(d) || d < -9.0e15 || d > 9.0e15)
        return hcl_f_ferr(err, "argument %zu must be a whole number", i + 1);
    *out = (long long)d;
    return 0;
}

int hcl_f_want_list(struct hcl_value *a, size_t i, struct err *err)
{
    if (a[i].type == HCL_LIST)
        return 0;
    return hcl_f_ferr(err, "argument %zu must be a list, not %s", i + 1,
                      hcl_type_name(a[i].type));
}

int hcl_f_want_obj(struct hcl_value *a, size_t i, struct err *err)
{
    if (a[i].type == HCL_OBJECT)
        return 0;
    return hcl_f_ferr(err, "argument %zu must be a map or object, not %s",
                      i + 1, hcl_type_name(a[i].type));
}

/* Moves argument i into out. */
void hcl_f_take(struct hcl_value *a, size_t i, struct hcl_value *out)
{
    *out = a[i];
    memset(&a[i], 0, sizeof(a[i]));
}

void hcl_f_set_str(struct hcl_value *out, struct buf *b)
{
    size_t len = b->len;

    hcl_val_string_take(out, b->data ? buf_detach(b) : xstrdup(""), len);
}

/* Number of UTF-8 characters: bytes that do not continue a sequence. */
size_t hcl_f_utf8_len(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

/* Byte offset of character index ci (clamped to len). */
size_t hcl_f_utf8_off(const char *s, size_t len, size_t ci)
{
    size_t i = 0;

    while (i < len && ci > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        ci--;
    }
    return i;
}

/* ---- strings ---- */

static int f_case(struct hcl_value *a,
                  struct hcl_value *out,
                  struct err *err,
                  int upper)
{
    int rc = hcl_f_want_str(a, 0, err);

    if (rc != 0)
        return rc;
    hcl_f_take(a, 0, out);
    for (size_t i = 0; i < out->u.str.len; i++) {
        char c = out->u.str.s[i];

        if (upper == 1 && c >= 'a' && c <= 'z')
            out->u.str.s[i] = (char)(c - 'a' + 'A');
        else if (upper == 0 && c >= 'A' && c <= 'Z')
            out->u.str.s[i] = (char)(c - 'A' + 'a');
    }
    if (upper == 2) {
        bool word = false;

        for (size_t i = 0; i < out->u.str.len; i++) {
            char c = out->u.str.s[i];
            bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || (c & 0x80);

            if (letter && !word && c >= 'a' && c <= 'z')
                out->u.str.s[i] = (char)(c - 'a' + 'A');
            word = letter;
        }
    }
    return 0;
}

static int f_upper(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    (void)fx;
    (void)n;
    return f_case(a, out, err, 1);
}

static int f_lower(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    (void)fx;
    (void)n;
    return f_case(a, out, err, 0);
}

static int f_title(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    (void)fx;
    (void)n;
    return f_case(a, out, err, 2);
}

bool hcl_f_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static int f_trimspace(const struct hcl_fctx *fx,
                       struct hcl_value *a,
                       size_t n,
                       struct hcl_value *out,
                       struct err *err)
{
    int rc = hcl_f_want_str(a, 0, err);
    size_t s = 0, e;

    (void)fx;
    (void)n;
    if (rc != 0)
        return rc;
    e = a[0].u.str.len;
    while (s < e && hcl_f_is_space(a[0].u.str.s[s]))
        s++;
    while (e > s && hcl_f_is_space(a[0].u.str.s[e - 1]))
        e--;
    hcl_val_string(out, a[0].u.str.s + s, e - s);
    return 0;
}

static int f_chomp(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    int rc = hcl_f_want_str(a, 0, err);
    size_t e;

    (void)fx;
    (void)n;
    if (rc != 0)
        return rc;
    e = a[0].u.str.len;
    while (e > 0 &&
           (a[0].u.str.s[e - 1] == '\n' || a[0].u.str.s[e - 1] == '\r'))
        e--;
    hcl_val_string(out, a[0].u.str.s, e);
    return 0;
}

static int f_trim(const struct hcl_fctx *fx,
                  struct hcl_value *a,
                  size_t n,
                  struct hcl_value *out,
                  struct err *err)
{
    int rc = hcl_f_want_str(a, 0, err);
    size_t s = 0, e;
    const struct hcl_value *cut = &a[1];

    (void)fx;
    (void)n;
    if (rc == 0)
        rc = hcl_f_want_str(a, 1, err);
    if (rc != 0)
        return rc;
    e = a[0].u.str.len;
    while (s < e && memchr(cut->u.str.s, a[0].u.str.s[s], cut->u.str.len))
        s++;
    while (e > s && memchr(cut->u.str.s, a[0].u.str.s[e - 1], cut->u.str.len))
        e--;
    hcl_val_string(out, a[0].u.str.s + s, e - s);
    return 0;
}

static int f_trimfix(struct hcl_value *a,
                     struct hcl_value *out,
                     struct err *err,
                     bool prefix)
{
    int rc = hcl_f_want_str(a, 0, err);
    const char *s;
    size_t len, fl;

    if (rc == 0)
        rc = hcl_f_want_str(a, 1, err);
    if (rc != 0)
        return rc;
    s = a[0].u.str.s;
    len = a[0].u.str.len;
    fl = a[1].u.str.len;
    if (fl <= len && prefix && memcmp(s, a[1].u.str.s, fl) == 0)
        hcl_val_string(out, s + fl, len - fl);
    else if (fl <= len && !prefix &&
             memcmp(s + len - fl, a[1].u.str.s, fl) == 0)
        hcl_val_string(out, s, len - fl);
    else
        hcl_f_take(a, 0, out);
    return 0;
}

static int f_trimprefix(const struct hcl_fctx *fx,
                        struct hcl_value *a,
                        size_t n,
                        struct hcl_value *out,
                        struct err *err)
{
    (void)fx;
    (void)n;
    return f_trimfix(a, out, err, true);
}

static int f_trimsuffix(const struct hcl_fctx *fx,
                        struct hcl_value *a,
                        size_t n,
                        struct hcl_value *out,
                        struct err *err)
{
    (void)fx;
    (void)n;
    return f_trimfix(a, out, err, false);
}

static int f_replace(const struct hcl_fctx *fx,
                     struct hcl_value *a,
                     size_t n,
                     struct hcl_value *out,
                     struct err *err)
{
    struct buf b = BUF_INIT;
    const char *s, *from;
    size_t len, flen, i = 0;
    int rc = 0;

    (void)fx;
    (void)n;
    for (size_t k = 0; k < 3 && rc == 0; k++)
        rc = hcl_f_want_str(a, k, err);
    if (rc != 0)
        return rc;
    s = a[0].u.str.s;
    len = a[0].u.str.len;
    from = a[1].u.str.s;
    flen = a[1].u.str.len;
    if (flen == 0) {
        hcl_f_take(a, 0, out);
        return 0;
    }
    while (i < len) {
        if (i + flen <= len && memcmp(s + i, from, flen) == 0) {
            buf_append(&b, a[2].u.str.s, a[2].u.str.len);
            i += flen;
        } else {
            buf_putc(&b, s[i++]);
        }
        if (b.len > MAX_STRING) {
            buf_release(&b);
            return hcl_f_ferr(err, "result too long");
        }
    }
    hcl_f_set_str(out, &b);
    return 0;
}

static int f_substr(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    long long off, cnt;
    size_t chars, start, end;
    int rc = hcl_f_want_str(a, 0, err);

    (void)fx;
    (void)n;
    if (rc == 0)
        rc = hcl_f_want_int(a, 1, &off, err);
    if (rc == 0)
        rc = hcl_f_want_int(a, 2, &cnt, err);
    if (rc != 0)
        return rc;
    chars = hcl_f_utf8_len(a[0].u.str.s, a[0].u.str.len);
    if (off < 0)
        off += (long long)chars;
    if (off < 0 || (size_t)off > chars)
        return hcl_f_ferr(err, "offset out of range");
    if (cnt < 0 || (size_t)cnt > chars - (size_t)off)
        cnt = (long long)(chars - (size_t)off);
    start = hcl_f_utf8_off(a[0].u.str.s, a[0].u.str.len, (size_t)off);
    end = hcl_f_utf8_off(a[0].u.str.s, a[0].u.str.len, (size_t)(off + cnt));
    hcl_val_string(out, a[0].u.str.s + start, end - start);
    return 0;
}

static int f_strrev(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    int rc = hcl_f_want_str(a, 0, err);
    char *r;
    size_t len, i = 0;

    (void)fx;
    (void)n;
    if (rc != 0)
        return rc;
    len = a[0].u.str.len;
    r = xmalloc(len + 1);
    /* Reverse by characters, keeping each UTF-8 sequence intact. */
    while (i < len) {
        size_t j = i + 1;

        while (j < len && ((unsigned char)a[0].u.str.s[j] & 0xc0) == 0x80)
            j++;
        memcpy(r + len - j, a[0].u.str.s + i, j - i);
        i = j;
    }
    r[len] = '\0';
    hcl_val_string_take(out, r, len);
    return 0;
}

static int f_join(const struct hcl_fctx *fx,
                  struct hcl_value *a,
                  size_t n,
                  struct hcl_value *out,
                  struct err *err)
{
    struct buf b = BUF_INIT;
    bool first = true;
    int rc = hcl_f_want_str(a, 0, err);

    (void)fx;
    for (size_t i = 1; i < n && rc == 0; i++) {
        rc = hcl_f_want_list(a, i, err);
        for (size_t j = 0; rc == 0 && j < a[i].u.list.n; j++) {
            if (!first)
                buf_append(&b, a[0].u.str.s, a[0].u.str.len);
            first = false;
            if (!hcl_f_prim_to_buf(&b, &a[i].u.list.items[j]))
                rc = hcl_f_ferr(err,
                                "element %zu of the list is a %s; a string "
                                "is required",
                                j, hcl_type_name(a[i].u.list.items[j].type));
            else if (b.len > MAX_STRING)
                rc = hcl_f_ferr(err, "result too long");
        }
    }
    if (rc != 0) {
        buf_release(&b);
        return rc;
    }
    hcl_f_set_str(out, &b);
    return 0;
}

static int f_split(const struct hcl_fctx *fx,
                   struct hcl_value *a,
                   size_t n,
                   struct hcl_value *out,
                   struct err *err)
{
    const char *s, *sep;
    size_t len, slen, i = 0, start = 0;
    int rc = hcl_f_want_str(a, 0, err);

    (void)fx;
    (void)n;
    if (rc == 0)
        rc = hcl_f_want_str(a, 1, err);
    if (rc != 0)
        return rc;
    sep = a[0].u.str.s;
    slen = a[0].u.str.len;
    s = a[1].u.str.s;
    len = a[1].u.str.len;
    hcl_f_new_list(out);
    if (slen == 0) {
        /* Go's strings.Split: one element per character. */
        while (i < len) {
            struct hcl_value v = {0};
            size_t j = hcl_f_utf8_off(s + i, len - i, 1) + i;

            hcl_val_string(&v, s + i, j - i);
            hcl_list_push(out, &v);
            i = j;
        }
        return 0;
    }
    while (i + slen <= len) {
        if (memcmp(s + i, sep, slen) == 0) {
            struct hcl_value v = {0};

            hcl_val_string(&v, s + start, i - start);
            hcl_list_push(out, &v);
            i += slen;
            start = i;
        } else {
            i++;
        }
    }
    {
        struct hcl_value v = {0};

        hcl_val_string(&v, s + start, len - start);
        hcl_list_push(out, &v);
    }
    return 0;
}

/* Appends one formatted verb for format(). */
static int fmt_one(struct buf *b,
                   const char *spec,
                   char verb,
                   bool sharp,
                   struct hcl_value *v,
                   struct err *err)
{
    struct buf tmp = BUF_INIT;
    char cfmt[64];
    double d;

    switch (verb) {
    case 'v':
        if (sharp || v->type == HCL_LIST || v->type == HCL_OBJECT ||
            v->type == HCL_NULL)
            hcl_json_encode(&tmp, v);
        else
            hcl_f_prim_to_buf(&tmp, v);
        break;
    case 's':
        if (!hcl_f_prim_to_buf(&tmp, v))
            return hcl_f_ferr(err, "unsupported value for \"%%s\": %s",
                              hcl_type_name(v->type));
        break;
    case 'q':
        if (v->type != HCL_STRING && !hcl_f_prim_to_buf(&tmp, v))
            return hcl_f_ferr(err, "unsupported value for \"%%q\": %s",
                              hcl_type_name(v->type));
        if (v->type == HCL_STRING) {
            hcl_json_encode(&tmp, v);
        } else {
            struct hcl_value s = {0};

            hcl_val_string(&s, buf_str(&tmp), tmp.len);
            buf_reset(&tmp);
            hcl_json_encode(&tmp, &s);
            hcl_val_free(&s);
        }
        break;
    case 't':
        if (v->type != HCL_BOOL)
            return hcl_f_ferr(err, "unsupported value for \"%%t\": %s",
                              hcl_type_name(v->type));
        buf_puts(&tmp, v->u.b ? "true" : "false");
        break;
    case 'd':
    case 'x':
    case 'X':
    case 'o':
    case 'b':
        if (v->type == HCL_NUMBER)
            d = v->u.num;
        else if (v->type != HCL_STRING ||
                 !hcl_parse_number(v->u.str.s, v->u.str.len, &d))
            return hcl_f_ferr(err, "unsupported value for \"%%%c\": %s", verb,
                              hcl_type_name(v->type));
        if (d != trunc(d) || fabs(d) >= 9.2e18)
            return hcl_f_ferr(err,
                              "unsupported value for \"%%%c\": %s is not a "
                              "whole number",
                              verb, "the number");
        if (verb == 'b') {
            unsigned long long u = (unsigned long long)fabs(d);
            char bits[72];
            int k = 71;

            bits[k] = '\0';
            do {
                bits[--k] = (char)('0' + (u & 1));
                u >>= 1;
            } while (u != 0);
            if (d < 0)
                buf_putc(&tmp, '-');
            buf_puts(&tmp, bits + k);
        } else {
            snprintf(cfmt, sizeof(cfmt), "%%%sll%c", spec,
                     verb == 'd' ? 'd' : verb);
            if (verb == 'd')
                buf_printf(&tmp, cfmt, (long long)d);
            else if (d < 0) {
                snprintf(cfmt, sizeof(cfmt), "-%%ll%c", verb);
                buf_printf(&tmp, cfmt, (unsigned long long)-d);
            } else
                buf_printf(&tmp, cfmt, (unsigned long long)d);
            /* The width and flags are in the C spec already. */
            buf_append(b, tmp.data, tmp.len);
            buf_release(&tmp);
            return 0;
        }
        break;
    case 'f':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
        if (v->type == HCL_NUMBER)
            d = v->u.num;
        else if (v->type != HCL_STRING ||
                 !hcl_parse_number(v->u.str.s, v->u.str.len, &d))
            return hcl_f_ferr(err, "unsupported value for \"%%%c\": %s", verb,
                              hcl_type_name(v->type));
        snprintf(cfmt, sizeof(cfmt), "%%%s%c", spec, verb);
        buf_printf(b, cfmt, d);
        return 0;
    default:
        return hcl_f_ferr(err, "unsupported format verb \"%%%c\"", verb);
    }
    /* Strings: width and "-" flag applied by hand; precision truncates. */
    {
        const char *p = spec;
        bool left = false;
        long width = 0, prec = -1;
        size_t len = tmp.len, chars;

        while (*p == '-' || *p == '+' || *p == ' ' || *p == '0' || *p == '#') {
            if (*p == '-')
                left = true;
            p++;
        }
        width = strtol(p, (char **)&p, 10);
        if (*p == '.')
            prec = strtol(p + 1, NULL, 10);
        if (prec >= 0 && verb != 'q')
            len = hcl_f_utf8_off(buf_str(&tmp), tmp.len, (size_t)prec);
        chars = hcl_f_utf8_len(buf_str(&tmp), len);
        if (!left)
            for (long i = (long)chars; i < width; i++)
                buf_putc(b, ' ');
        buf_append(b, buf_str(&tmp), len);
        if (left)
            for (long i = (long)chars; i < width; i++)
                buf_putc(b, ' ');
    }
    buf_release(&tmp);
    return 0;
}

static int do_format(struct hcl_value *a,
                     size_t n,
                     struct buf *b,
                     struct err *err)
{
    const char *f = a[0].u.str.s;
    size_t flen = a[0].u.str.len, argi = 1;

    for (size_t i = 0; i < flen;) {
        char spec[40];
        size_t sl = 0;
        bool sharp = false;
        int digits = 0;
        char verb;
        int rc;

        if (f[i] != '%') {
            buf_putc(b, f[i++]);
            continue;
        }
        i++;
        if (i < flen && f[i] == '%') {
            buf_putc(b, '%');
            i++;
            continue;
        }
        while (i < flen && strchr("-+ 0#", f[i]) != NULL && f[i] != '\0' &&
               sl < 8) {
            if (f[i] == '#')
                sharp = true;
            else
                spec[sl++] = f[i];
            i++;
        }
        while (i < flen && f[i] >= '0' && f[i] <= '9' && sl < 30) {
            if (++digits > 3)
                return hcl_f_ferr(err, "format width too large");
            spec[sl++] = f[i++];
        }
        digits = 0;
        if (i < flen && f[i] == '.') {
            spec[sl++] = f[i++];
            while (i < flen && f[i] >= '0' && f[i] <= '9' && sl < 38) {
                if (++digits > 3)
                    return hcl_f_ferr(err, "format precision too large");
                spec[sl++] = f[i++];
            }
        }
        spec[sl] = '\0';
        if (i >= flen)
            return hcl_f_ferr(err,
                              "unterminated format verb at the end of the "
                              "format string");
        verb = f[i++];
        if (argi >= n)
            return hcl_f_ferr(err,
                              "not enough arguments for \"%%%c\" in the "
                              "format string",
                              verb);
        if (a[argi].type == HCL_NULL && verb != 'v')
            return hcl_f_ferr(err, "argument %zu is null", argi + 1);
        rc = fmt_one(b, spec, verb, sharp, &a[argi], err);
        if (rc != 0)
            return rc;
        argi++;
        if (b->len > MAX_STRING)
            return hcl_f_ferr(err, "result too long");
    }
    if (argi < n)
        return hcl_f_ferr(err,
                          "too many arguments; no verbs left for argument %zu",
                          argi + 1);
    return 0;
}

static int f_format(const struct hcl_fctx *fx,
                    struct hcl_value *a,
                    size_t n,
                    struct hcl_value *out,
                    struct err *err)
{
    struct buf b = BUF_INIT;
    int rc = hcl_f_want_str(a, 0, err);

    (void)fx;
    if (rc == 0)
        rc = do_format(a, n, &b, err);
    if (rc != 0) {
        buf_release(&b);
        return rc;
    }
    hcl_f_set_str(out, &b);
    return 0;
}

static int f_formatlist(const struct hcl_fctx *fx,
                        struct hcl_value *a,
                        size_t n,
                        struct hcl_value *out,
                        struct err *err)
{
    size_t count = 0;
    bool have = false;
    int rc = hcl_f_want_str(a, 0, err);
    struct hcl_value *row;

    (void)fx;
    if (rc != 0)
        return rc;
    for (size_t i = 1; i < n; i++) {
        if (a[i].type != HCL_LIST)
            continue;
        if (have && a[i].u.list.n != count)
            return hcl_f_ferr(err,
                              "all list arguments must have the same length");
        count = a[i].u.list.n;
        have = true;
    }
    if (!have)
        count = 1;
    hcl_f_new_list(out);
    row = xcalloc(n, sizeof(*row));
    for (size_t r = 0; r < count && rc == 0; r++) {
        struct buf b = BUF_INIT;
        struct hcl_value s = {0};

        row[0] = a[0];
        for (size_t i = 1; i < n; i++)
            row[i] = a[i].type == HCL_LIST ? a[i].u.list.items[r] : a[i];
        /* row borrows; do_format only reads (want_str ran on row[0]). */
        rc = do_format(row, n, &b, err);
        if (rc == 0) {
            hcl_f_set_str(&s, &b);
            hcl_list_push(out, &s);
        }
        buf_release(&b);
    }
    free(row);
    if (rc != 0)
        hcl_val_free(out);
    return rc;
}

static const struct hcl_fn_def str_fns[] = {
    {"chomp", f_chomp, 1, 1},
    {"format", f_format, 1, -1},
    {"formatlist", f_formatlist, 1, -1},
    {"join", f_join, 2, -1},
    {"lower", f_lower, 1, 1},
    {"replace", f_replace, 3, 3},
    {"split", f_split, 2, 2},
    {"strrev", f_strrev, 1, 1},
    {"substr", f_substr, 3, 3},
    {"title", f_title, 1, 1},
    {"trim", f_trim, 2, 2},
    {"trimprefix", f_trimprefix, 2, 2},
    {"trimspace", f_trimspace, 1, 1},
    {"trimsuffix", f_trimsuffix, 2, 2},
    {"upper", f_upper, 1, 1},
};

static const size_t nstr_fns = sizeof(str_fns) / sizeof(str_fns[0]);

bool hcl_func_known(const char *name)
{
    for (size_t i = 0; i < nstr_fns + hcl_ncoll_fns; i++) {
        const struct hcl_fn_def *f =
            i < nstr_fns ? &str_fns[i] : &hcl_coll_fns[i - nstr_fns];

        if (strcmp(f->name, name) == 0)
            return true;
    }
    return false;
}

int hcl_func_call(const struct hcl_fctx *fx,
                  const char *name,
                  struct hcl_value *args,
                  size_t nargs,
                  struct hcl_value *out,
                  struct err *err)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < nstr_fns + hcl_ncoll_fns; i++) {
        const struct hcl_fn_def *f =
            i < nstr_fns ? &str_fns[i] : &hcl_coll_fns[i - nstr_fns];
        int rc;

        if (strcmp(f->name, name) != 0)
            continue;
        if (nargs < (size_t)f->min || (f->max >= 0 && nargs > (size_t)f->max)) {
            if (f->min == f->max)
                return hcl_f_ferr(err, "expected %d argument%s, got %zu",
                                  f->min, f->min == 1 ? "" : "s", nargs);
            if (f->max < 0)
                return hcl_f_ferr(err,
                                  "expected at least %d argument%s, got %zu",
                                  f->min, f->min == 1 ? "" : "s", nargs);
            return hcl_f_ferr(err, "expected %d to %d arguments, got %zu",
                              f->min, f->max, nargs);
        }
        rc = f->fn(fx, args, nargs, out, err);
        if (rc != 0) {
            hcl_val_free(out);
            return rc < 0 ? rc : ERR_INVALID;
        }
        return 0;
    }
    return 1;
}
