/* Tree-less JSON writer and reader (see json.h). */
#include "lib/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"

/* ------------------------------------------------------------------ writer */

void jw_init(struct jw *w, struct buf *out, int indent)
{
    w->out = out;
    w->indent = indent;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

static void newline(struct jw *w)
{
    if (w->indent == 0)
        return;
    buf_reserve(w->out, (size_t)(1 + w->depth * w->indent));
    w->out->data[w->out->len++] = '\n';
    memset(w->out->data + w->out->len, ' ', (size_t)(w->depth * w->indent));
    w->out->len += (size_t)(w->depth * w->indent);
    w->out->data[w->out->len] = '\0';
}

/* Separator and indentation before a value or key at the current level. */
static void before(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (!w->first[w->depth])
        buf_putc(w->out, ',');
    w->first[w->depth] = false;
    newline(w);
}

static void open_level(struct jw *w, char c)
{
    before(w);
    buf_putc(w->out, c);
    if (w->depth < JSON_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

static void close_level(struct jw *w, char c)
{
    bool empty = w->first[w->depth];

    if (w->depth > 0)
        w->depth--;
    if (!empty)
        newline(w);
    buf_putc(w->out, c);
}

void jw_obj_begin(struct jw *w)
{
    open_level(w, '{');
}

void jw_obj_end(struct jw *w)
{
    close_level(w, '}');
}

void jw_arr_begin(struct jw *w)
{
    open_level(w, '[');
}

void jw_arr_end(struct jw *w)
{
    close_level(w, ']');
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    {
        unsigned cp = c & (0x7f >> len);

        for (size_t i = 1; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
    }
    return len;
}

static void write_string(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    buf_reserve(b, len + 2);
    b->data[b->len++] = '"';
    while (i < len) {
        size_t run = i;

        /* Copy the plain bytes in one go. */
        while (run < len && u[run] >= 0x20 && u[run] < 0x80 &&
               u[run] != '"' && u[run] != '\\' && u[run] != '<' &&
               u[run] != '>' && u[run] != '&')
            run++;
        if (run > i) {
            buf_append(b, s + i, run - i);
            i = run;
            continue;
        }
        if (u[i] >= 0x80) {
            size_t n = utf8_len(u + i, len - i);

            if (n == 0) {
                buf_puts(b, "\\ufffd");
                i++;
            } else if (n == 3 && u[i] == 0xe2 && u[i + 1] == 0x80 &&
                       (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
                buf_puts(b, u[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
                i += 3;
            } else {
                buf_append(b, s + i, n);
                i += n;
            }
            continue;
        }
        switch (u[i]) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        default: {
            char e[7] = {'\\', 'u', '0', '0', hex[u[i] >> 4], hex[u[i] & 15],
                         0};

            buf_puts(b, e);
        }
        }
        i++;
    }
    buf_putc(b, '"');
}

void jw_key(struct jw *w, const char *key)
{
    before(w);
    write_string(w->out, key, strlen(key));
    buf_puts(w->out, w->indent ? ": " : ":");
    w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t len)
{
    before(w);
    write_string(w->out, s, len);
}

void jw_str(struct jw *w, const char *s)
{
    if (s == NULL)
        jw_null(w);
    else
        jw_strn(w, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
    char num[24], *p = num + sizeof(num);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    /* Hand-rolled: snprintf was a tenth of the time of encoding a job. */
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        *--p = '-';
    before(w);
    buf_append(w->out, p, (size_t)(num + sizeof(num) - p));
}

void jw_real(struct jw *w, double v)
{
    char num[32];
    int n;

    before(w);
    if (!isfinite(v)) {
        buf_puts(w->out, "null");
        return;
    }
    n = snprintf(num, sizeof(num), "%.17g", v);
    buf_append(w->out, num, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
    before(w);
    buf_puts(w->out, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    before(w);
    buf_puts(w->out, "null");
}

void jw_json(struct jw *w, const json_t *v)
{
    const char *key;
    json_t *e;
    size_t i;

    switch (json_typeof(v)) {
    case JSON_OBJECT:
        jw_obj_begin(w);
        json_object_foreach((json_t *)v, key, e)
        {
            jw_key(w, key);
            jw_json(w, e);
        }
        jw_obj_end(w);
        break;
    case JSON_ARRAY:
        jw_arr_begin(w);
        json_array_foreach(v, i, e)
        jw_json(w, e);
        jw_arr_end(w);
        break;
    case JSON_STRING:
        jw_strn(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        jw_int(w, json_integer_value(v));
        break;
    case JSON_REAL:
        jw_real(w, json_real_value(v));
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        jw_bool(w, json_is_true(v));
        break;
    case JSON_NULL:
    default:
        jw_null(w);
        break;
    }
}

/* ------------------------------------------------------------------ reader */

void jr_init(struct jr *r, const char *data, size_t len, struct err *err)
{
    r->start = r->p = data;
    r->end = data + len;
    r->depth = 0;
    r->fresh = false;
    buf_init(&r->scratch);
    r->err = err;
}

void jr_release(struct jr *r)
{
    buf_release(&r->scratch);
}

int jr_syntax(struct jr *r, const char *what)
{
    int line = 1, col = 1;

    for (const char *q = r->start; q < r->p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    if (r->p >= r->end)
        return err_set(r->err, ERR_MALFORMED, "%d:%d: %s, got end of input",
                       line, col, what);
    if ((unsigned char)*r->p >= 0x20 && (unsigned char)*r->p < 0x7f)
        return err_set(r->err, ERR_MALFORMED, "%d:%d: %s, got '%c'", line,
                       col, what, *r->p);
    return err_set(r->err, ERR_MALFORMED, "%d:%d: %s, got byte 0x%02x", line,
                   col, what, (unsigned char)*r->p);
}

/* Indented JSON is mostly spaces: skip them a word at a time. */
static inline void ws(struct jr *r)
{
    const char *p = r->p, *end = r->end;

    for (;;) {
        while (end - p >= 8) {
            uint64_t w;

            memcpy(&w, p, 8);
            if (w != UINT64_C(0x2020202020202020))
                break;
            p += 8;
        }
        if (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
            p++;
        else
            break;
    }
    r->p = p;
}

enum jr_type jr_peek(struct jr *r)
{
    ws(r);
    if (r->p >= r->end)
        return JR_INVALID;
    switch (*r->p) {
    case '{':
        return JR_OBJECT;
    case '[':
        return JR_ARRAY;
    case '"':
        return JR_STRING;
    case 't':
        return JR_TRUE;
    case 'f':
        return JR_FALSE;
    case 'n':
        return JR_NULL;
    default:
        if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
            return JR_NUMBER;
        return JR_INVALID;
    }
}

static int expect(struct jr *r, char c, const char *what)
{
    ws(r);
    if (r->p >= r->end || *r->p != c)
        return jr_syntax(r, what);
    r->p++;
    return 0;
}

static int word(struct jr *r, const char *w)
{
    size_t n = strlen(w);

    ws(r);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
        return jr_syntax(r, "invalid literal");
    r->p += n;
    return 0;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_append(b, u, n);
}

int jr_str(struct jr *r, const char **s, size_t *len)
{
    const char *q;

    if (expect(r, '"', "expected a string") != 0)
        return ERR_MALFORMED;
    buf_reset(&r->scratch);
    for (;;) {
        q = r->p;
        while (q < r->end && *q != '"' && *q != '\\' &&
               (unsigned char)*q >= 0x20)
            q++;
        buf_append(&r->scratch, r->p, (size_t)(q - r->p));
        r->p = q;
        if (r->p >= r->end)
            return jr_syntax(r, "unterminated string");
        if (*r->p == '"') {
            r->p++;
            break;
        }
        if ((unsigned char)*r->p < 0x20)
            return jr_syntax(r, "control character in string");
        /* a backslash escape */
        if (r->end - r->p < 2)
            return jr_syntax(r, "unterminated string");
        switch (r->p[1]) {
        case '"':
        case '\\':
        case '/':
            buf_putc(&r->scratch, r->p[1]);
            break;
        case 'b':
            buf_putc(&r->scratch, '\b');
            break;
        case 'f':
            buf_putc(&r->scratch, '\f');
            break;
        case 'n':
            buf_putc(&r->scratch, '\n');
            break;
        case 'r':
            buf_putc(&r->scratch, '\r');
            break;
        case 't':
            buf_putc(&r->scratch, '\t');
            break;
        case 'u': {
            unsigned cp, lo;

            if (r->end - r->p < 6 || hex4(r->p + 2, &cp) != 0)
                return jr_syntax(r, "invalid \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff && r->end - r->p >= 12 &&
                r->p[6] == '\\' && r->p[7] == 'u' &&
                hex4(r->p + 8, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                r->p += 6;
            } else if (cp >= 0xd800 && cp <= 0xdfff) {
                cp = 0xfffd; /* a lone surrogate, as Go decodes it */
            }
            put_utf8(&r->scratch, cp);
            r->p += 4;
            break;
        }
        default:
            r->p++;
            return jr_syntax(r, "invalid escape");
        }
        r->p += 2;
    }
    *s = buf_str(&r->scratch);
    *len = r->scratch.len;
    return 0;
}

/* Checks the JSON number grammar; sets *end past it. */
static int number_span(struct jr *r, const char **end, bool *integral)
{
    const char *q = r->p;

    *integral = true;
    if (q < r->end && *q == '-')
        q++;
    if (q >= r->end || *q < '0' || *q > '9')
        return jr_syntax(r, "invalid number");
    if (*q == '0')
        q++;
    else
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    if (q < r->end && *q == '.') {
        q++;
        *integral = false;
        if (q >= r->end || *q < '0' || *q > '9')
            return jr_syntax(r, "invalid number");
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < r->end && (*q == 'e' || *q == 'E')) {
        q++;
        *integral = false;
        if (q < r->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= r->end || *q < '0' || *q > '9')
            return jr_syntax(r, "invalid number");
        while (q < r->end && *q >= '0' && *q <= '9')
            q++;
    }
    *end = q;
    return 0;
}

static int read_number(struct jr *r, double *d, int64_t *i, bool *is_int)
{
    char tmp[64];
    const char *end = NULL;
    bool integral;
    size_t n;

    ws(r);
    if (number_span(r, &end, &integral) != 0 || end == NULL)
        return ERR_MALFORMED;
    n = (size_t)(end - r->p);
    if (n >= sizeof(tmp)) {
        /* Longer than any int64: still a number, read from a copy since
         * the input need not be NUL-terminated. */
        char *copy = xstrndup(r->p, n);

        *is_int = false;
        *d = strtod(copy, NULL);
        free(copy);
        r->p = end;
        return 0;
    }
    memcpy(tmp, r->p, n);
    tmp[n] = '\0';
    r->p = end;
    *is_int = false;
    if (integral) {
        errno = 0;
        *i = strtoll(tmp, NULL, 10);
        if (errno == 0) {
            *is_int = true;
            *d = (double)*i;
            return 0;
        }
    }
    *d = strtod(tmp, NULL);
    return 0;
}

int jr_int(struct jr *r, int64_t *v, bool *ok)
{
    double d;
    bool is_int;

    if (read_number(r, &d, v, &is_int) != 0)
        return ERR_MALFORMED;
    *ok = true;
    if (is_int)
        return 0;
    if (d == floor(d) && d >= -9.2e18 && d <= 9.2e18) {
        *v = (int64_t)d;
        return 0;
    }
    *ok = false;
    return 0;
}

int jr_bool(struct jr *r, bool *v)
{
    if (jr_peek(r) == JR_TRUE) {
        *v = true;
        return word(r, "true");
    }
    *v = false;
    return word(r, "false");
}

bool jr_null(struct jr *r)
{
    if (jr_peek(r) != JR_NULL)
        return false;
    return word(r, "null") == 0;
}

int jr_obj_begin(struct jr *r)
{
    if (expect(r, '{', "expected an object") != 0)
        return ERR_MALFORMED;
    if (++r->depth > JSON_MAX_DEPTH)
        return err_set(r->err, ERR_TOO_DEEP, "JSON nested deeper than %d",
                       JSON_MAX_DEPTH);
    r->fresh = true;
    return 0;
}

int jr_obj_next(struct jr *r, const char **key, size_t *key_len)
{
    bool opening = r->fresh;

    r->fresh = false;
    ws(r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        r->depth--;
        *key = NULL;
        return 0;
    }
    if (!opening) {
        if (r->p >= r->end || *r->p != ',')
            return jr_syntax(r, "expected ',' or '}'");
        r->p++;
    }
    if (jr_peek(r) != JR_STRING)
        return jr_syntax(r, "expected a key string");
    if (jr_str(r, key, key_len) != 0)
        return ERR_MALFORMED;
    return expect(r, ':', "expected ':' after an object key");
}

int jr_arr_begin(struct jr *r)
{
    if (expect(r, '[', "expected an array") != 0)
        return ERR_MALFORMED;
    if (++r->depth > JSON_MAX_DEPTH)
        return err_set(r->err, ERR_TOO_DEEP, "JSON nested deeper than %d",
                       JSON_MAX_DEPTH);
    r->fresh = true;
    return 0;
}

int jr_arr_next(struct jr *r, bool *more)
{
    bool opening = r->fresh;

    r->fresh = false;
    ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        r->depth--;
        *more = false;
        return 0;
    }
    if (!opening) {
        if (r->p >= r->end || *r->p != ',')
            return jr_syntax(r, "expected ',' or ']'");
        r->p++;
    }
    *more = true;
    return 0;
}

int jr_skip(struct jr *r)
{
    const char *s, *key;
    size_t len;
    bool more, b;
    double d;
    int64_t i;

    switch (jr_peek(r)) {
    case JR_OBJECT:
        if (jr_obj_begin(r) != 0)
            return r->err->code;
        for (;;) {
            if (jr_obj_next(r, &key, &len) != 0)
                return ERR_MALFORMED;
            if (key == NULL)
                return 0;
            if (jr_skip(r) != 0)
                return r->err->code;
        }
    case JR_ARRAY:
        if (jr_arr_begin(r) != 0)
            return r->err->code;
        for (;;) {
            if (jr_arr_next(r, &more) != 0)
                return ERR_MALFORMED;
            if (!more)
                return 0;
            if (jr_skip(r) != 0)
                return r->err->code;
        }
    case JR_STRING:
        return jr_str(r, &s, &len);
    case JR_NUMBER:
        return read_number(r, &d, &i, &b);
    case JR_TRUE:
    case JR_FALSE:
        return jr_bool(r, &b);
    case JR_NULL:
        return word(r, "null");
    case JR_INVALID:
    default:
        return jr_syntax(r, "expected a value");
    }
}

int jr_json(struct jr *r, json_t **out)
{
    const char *s, *key;
    size_t len;
    bool more, b;
    double d;
    int64_t i;
    json_t *v;

    *out = NULL;
    switch (jr_peek(r)) {
    case JR_OBJECT:
        if (jr_obj_begin(r) != 0)
            return r->err->code;
        v = json_object();
        *out = v;
        for (;;) {
            char *k;
            json_t *e;

            if (jr_obj_next(r, &key, &len) != 0)
                return ERR_MALFORMED;
            if (key == NULL)
                return 0;
            k = xstrndup(key, len);
            if (jr_json(r, &e) != 0) {
                free(k);
                json_decref(e);
                return r->err->code;
            }
            json_object_set_new_nocheck(v, k, e);
            free(k);
        }
    case JR_ARRAY:
        if (jr_arr_begin(r) != 0)
            return r->err->code;
        v = json_array();
        *out = v;
        for (;;) {
            json_t *e;

            if (jr_arr_next(r, &more) != 0)
                return ERR_MALFORMED;
            if (!more)
                return 0;
            if (jr_json(r, &e) != 0) {
                json_decref(e);
                return r->err->code;
            }
            json_array_append_new(v, e);
        }
    case JR_STRING:
        if (jr_str(r, &s, &len) != 0)
            return ERR_MALFORMED;
        *out = json_stringn_nocheck(s, len);
        return 0;
    case JR_NUMBER:
        if (read_number(r, &d, &i, &b) != 0)
            return ERR_MALFORMED;
        *out = b ? json_integer(i) : json_real(d);
        return 0;
    case JR_TRUE:
    case JR_FALSE:
        if (jr_bool(r, &b) != 0)
            return ERR_MALFORMED;
        *out = json_boolean(b);
        return 0;
    case JR_NULL:
        *out = json_null();
        return word(r, "null");
    case JR_INVALID:
    default:
        return jr_syntax(r, "expected a value");
    }
}

int jr_end(struct jr *r)
{
    ws(r);
    if (r->p != r->end)
        return jr_syntax(r, "unexpected data after the JSON value");
    return 0;
}
