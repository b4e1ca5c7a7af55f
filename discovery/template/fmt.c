/*
 * The parts of Go's fmt that templates reach: %v of every value kind,
 * print/println spacing, and printf with Go's verbs, flags and its
 * "%!d(string=x)" way of reporting a bad verb or a missing argument.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template_int.h"

/* ------------------------------------------------------------------ floats */

/* Shortest digits that read back as f: "12345", exponent of the first. */
static void shortest_digits(double f, char *digits, size_t size, int *exp)
{
    char tmp[64];

    for (int prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, f);
        if (strtod(tmp, NULL) == f)
            break;
    }
    {
        char *e = strchr(tmp, 'e');
        size_t n = 0;

        *exp = atoi(e + 1);
        for (const char *p = tmp; p < e && n + 1 < size; p++) {
            if (*p >= '0' && *p <= '9')
                digits[n++] = *p;
        }
        while (n > 1 && digits[n - 1] == '0')
            n--;
        digits[n] = '\0';
    }
}

static void put_exp(struct buf *out, char e, int exp)
{
    buf_printf(out, "%c%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

/* Go's strconv 'g' with the shortest precision, as %v prints floats. */
static void fmt_shortest(struct buf *out, double f, char e)
{
    char d[32];
    int exp;
    size_t nd;

    if (f < 0 || (f == 0 && signbit(f))) {
        buf_putc(out, '-');
        f = -f;
    }
    if (f == 0) {
        buf_putc(out, '0');
        return;
    }
    shortest_digits(f, d, sizeof(d), &exp);
    nd = strlen(d);
    /* strconv: "if precision was the shortest possible, use precision 6" */
    if (exp < -4 || exp >= 6) {
        buf_putc(out, d[0]);
        if (nd > 1) {
            buf_putc(out, '.');
            buf_append(out, d + 1, nd - 1);
        }
        put_exp(out, e, exp);
        return;
    }
    if (exp < 0) {
        buf_append(out, "0.", 2);
        for (int i = 0; i < -exp - 1; i++)
            buf_putc(out, '0');
        buf_append(out, d, nd);
        return;
    }
    for (int i = 0; i <= exp; i++)
        buf_putc(out, (size_t)i < nd ? d[i] : '0');
    if ((size_t)exp + 1 < nd) {
        buf_putc(out, '.');
        buf_append(out, d + exp + 1, nd - (size_t)exp - 1);
    }
}

void tmpl__fmt_float(struct buf *out, double f, char verb, int prec)
{
    char spec[16];

    if (isnan(f)) {
        buf_append(out, "NaN", 3);
        return;
    }
    if (isinf(f)) {
        buf_puts(out, f > 0 ? "+Inf" : "-Inf");
        return;
    }
    if ((verb == 'v' || verb == 'g' || verb == 'G') && prec < 0) {
        fmt_shortest(out, f, verb == 'G' ? 'E' : 'e');
        return;
    }
    snprintf(spec, sizeof(spec), "%%.%d%c", prec < 0 ? 6 : prec, verb);
    buf_printf(out, spec, f);
}

/* ------------------------------------------------------------------ %v */

void tmpl__fmt_quote(struct buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";

    buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;

        switch (c) {
        case '\a':
            esc = "\\a";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\v':
            esc = "\\v";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '"':
            esc = "\\\"";
            break;
        default:
            break;
        }
        if (esc != NULL) {
            buf_puts(out, esc);
        } else if (c < 0x20 || c == 0x7f) {
            buf_append(out, "\\x", 2);
            buf_putc(out, hex[c >> 4]);
            buf_putc(out, hex[c & 15]);
        } else {
            buf_putc(out, (char)c);
        }
    }
    buf_putc(out, '"');
}

void tmpl__fmt_value(struct buf *out, const struct tv *v)
{
    if (v == NULL) {
        buf_append(out, "<nil>", 5);
        return;
    }
    switch (v->kind) {
    case TV_NIL:
        buf_append(out, "<nil>", 5);
        break;
    case TV_BOOL:
        buf_puts(out, v->u.b ? "true" : "false");
        break;
    case TV_INT: {
        /* By hand: snprintf dominated rendering long port lists. */
        char tmp[24], *p = tmp + sizeof(tmp);
        uint64_t m = v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i;

        do {
            *--p = (char)('0' + m % 10);
            m /= 10;
        } while (m != 0);
        if (v->u.i < 0)
            *--p = '-';
        buf_append(out, p, (size_t)(tmp + sizeof(tmp) - p));
        break;
    }
    case TV_FLOAT:
        tmpl__fmt_float(out, v->u.f, 'v', -1);
        break;
    case TV_STRING:
        buf_append(out, v->u.str.s, v->u.str.len);
        break;
    case TV_LIST:
        buf_putc(out, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i > 0)
                buf_putc(out, ' ');
            tmpl__fmt_value(out, v->u.list.items[i]);
        }
        buf_putc(out, ']');
        break;
    case TV_MAP:
        buf_append(out, "map[", 4);
        for (size_t i = 0; i < v->u.map.n; i++) {
            if (i > 0)
                buf_putc(out, ' ');
            buf_puts(out, v->u.map.keys[i]);
            buf_putc(out, ':');
            tmpl__fmt_value(out, v->u.map.vals[i]);
        }
        buf_putc(out, ']');
        break;
    case TV_RECORD:
        buf_putc(out, '{');
        for (size_t i = 0; i < v->u.map.n; i++) {
            if (i > 0)
                buf_putc(out, ' ');
            tmpl__fmt_value(out, v->u.map.vals[i]);
        }
        buf_putc(out, '}');
        break;
    }
}

static bool is_string(const struct tv *v)
{
    return v != NULL && v->kind == TV_STRING;
}

void tmpl__sprint(struct buf *out, struct tv **argv, size_t argc, bool ln)
{
    for (size_t i = 0; i < argc; i++) {
        /* Print: a space between operands when neither is a string. */
        if (i > 0 && (ln || (!is_string(argv[i - 1]) && !is_string(argv[i]))))
            buf_putc(out, ' ');
        tmpl__fmt_value(out, argv[i]);
    }
    if (ln)
        buf_putc(out, '\n');
}

/* ------------------------------------------------------------------ printf */

struct spec
{
    bool minus, plus, sharp, zero, space;
    int width; /* -1: none */
    int prec;  /* -1: none */
    char verb;
};

static void pad(struct buf *out,
                const struct spec *sp,
                const char *s,
                size_t len)
{
    size_t w = sp->width > 0 ? (size_t)sp->width : 0;

    if (!sp->minus) {
        for (size_t i = len; i < w; i++)
            buf_putc(out, ' ');
    }
    buf_append(out, s, len);
    if (sp->minus) {
        for (size_t i = len; i < w; i++)
            buf_putc(out, ' ');
    }
}

static void bad_verb(struct buf *out, char verb, const struct tv *v)
{
    buf_printf(out, "%%!%c(", verb);
    if (v == NULL || v->kind == TV_NIL) {
        buf_append(out, "<nil>", 5);
    } else {
        buf_puts(out, tv_type_name(v));
        buf_putc(out, '=');
        tmpl__fmt_value(out, v);
    }
    buf_putc(out, ')');
}

/* A C format for one number, with Go's flags (they mean the same). */
static void c_spec(char *out,
                   size_t size,
                   const struct spec *sp,
                   const char *len_mod,
                   char verb)
{
    char w[16] = "", p[16] = "";

    if (sp->width >= 0)
        snprintf(w, sizeof(w), "%d", sp->width);
    if (sp->prec >= 0)
        snprintf(p, sizeof(p), ".%d", sp->prec);
    snprintf(out, size, "%%%s%s%s%s%s%s%s%s%c", sp->minus ? "-" : "",
             sp->plus ? "+" : "", sp->sharp ? "#" : "",
             sp->zero && !sp->minus ? "0" : "", sp->space ? " " : "", w, p,
             len_mod, verb);
}

static void fmt_int(struct buf *out, const struct spec *sp, int64_t i)
{
    char cs[48];

    switch (sp->verb) {
    case 'd':
    case 'v':
        c_spec(cs, sizeof(cs), sp, "ll", 'd');
        buf_printf(out, cs, (long long)i);
        return;
    case 'x':
    case 'X':
    case 'o': {
        /* Go prints a sign and the magnitude; C would print two's complement.
         */
        struct spec s2 = *sp;
        struct buf tmp = BUF_INIT;
        unsigned long long m =
            i < 0 ? 0ull - (unsigned long long)i : (unsigned long long)i;

        s2.width = -1;
        s2.minus = false;
        c_spec(cs, sizeof(cs), &s2, "ll", sp->verb);
        if (i < 0)
            buf_putc(&tmp, '-');
        else if (sp->plus)
            buf_putc(&tmp, '+');
        s2.plus = false;
        c_spec(cs, sizeof(cs), &s2, "ll", sp->verb);
        buf_printf(&tmp, cs, m);
        pad(out, sp, buf_str(&tmp), tmp.len);
        buf_release(&tmp);
        return;
    }
    case 'b': {
        char bits[80];
        size_t n = 0;
        unsigned long long m =
            i < 0 ? 0ull - (unsigned long long)i : (unsigned long long)i;
        char tmp[80];
        size_t k = 0;

        if (i < 0)
            tmp[k++] = '-';
        do {
            bits[n++] = (char)('0' + (m & 1));
            m >>= 1;
        } while (m != 0);
        while (n > 0)
            tmp[k++] = bits[--n];
        pad(out, sp, tmp, k);
        return;
    }
    case 'c':
    case 'q': {
        struct buf tmp = BUF_INIT;
        uint32_t c = (uint32_t)i;
        char u[8];
        size_t n = 0;

        if (c < 0x80) {
            u[n++] = (char)c;
        } else if (c < 0x800) {
            u[n++] = (char)(0xc0 | (c >> 6));
            u[n++] = (char)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            u[n++] = (char)(0xe0 | (c >> 12));
            u[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
            u[n++] = (char)(0x80 | (c & 0x3f));
        } else {
            u[n++] = (char)(0xf0 | ((c >> 18) & 7));
            u[n++] = (char)(0x80 | ((c >> 12) & 0x3f));
            u[n++] = (char)(0x80 | ((c >> 6) & 0x3f));
            u[n++] = (char)(0x80 | (c & 0x3f));
        }
        if (sp->verb == 'q') {
            buf_putc(&tmp, '\'');
            if (c == '\'')
                buf_append(&tmp, "\\'", 2);
            else
                buf_append(&tmp, u, n);
            buf_putc(&tmp, '\'');
        } else {
            buf_append(&tmp, u, n);
        }
        pad(out, sp, buf_str(&tmp), tmp.len);
        buf_release(&tmp);
        return;
    }
    case 'U': {
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "U+%04llX", (long long)i);

        pad(out, sp, tmp, (size_t)n);
        return;
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 's':
    case 't':
    default: {
        struct tv v = {.refs = 1, .kind = TV_INT, .u.i = i};

        bad_verb(out, sp->verb, &v);
        return;
    }
    }
}

static void fmt_float(struct buf *out, const struct spec *sp, double f)
{
    char cs[48];

    switch (sp->verb) {
    case 'v':
    case 'g':
    case 'G':
        if (sp->prec < 0) {
            struct buf tmp = BUF_INIT;

            if (sp->plus && f >= 0)
                buf_putc(&tmp, '+');
            tmpl__fmt_float(&tmp, f, sp->verb, -1);
            pad(out, sp, buf_str(&tmp), tmp.len);
            buf_release(&tmp);
            return;
        }
        /* fallthrough */
    case 'e':
    case 'E':
    case 'f':
    case 'F':
        if (isinf(f) || isnan(f)) {
            struct buf tmp = BUF_INIT;

            tmpl__fmt_float(&tmp, f, 'v', -1);
            pad(out, sp, buf_str(&tmp), tmp.len);
            buf_release(&tmp);
            return;
        }
        c_spec(cs, sizeof(cs), sp, "", sp->verb == 'v' ? 'g' : sp->verb);
        buf_printf(out, cs, f);
        return;
    default: {
        struct tv v = {.refs = 1, .kind = TV_FLOAT, .u.f = f};

        bad_verb(out, sp->verb, &v);
        return;
    }
    }
}

static void fmt_string(struct buf *out,
                       const struct spec *sp,
                       const struct tv *v)
{
    const char *s = v->u.str.s;
    size_t len = v->u.str.len;
    struct buf tmp = BUF_INIT;

    switch (sp->verb) {
    case 'v':
    case 's':
        if (sp->prec >= 0 && (size_t)sp->prec < len)
            len = (size_t)sp->prec;
        pad(out, sp, s, len);
        return;
    case 'q':
        tmpl__fmt_quote(&tmp, s, len);
        break;
    case 'x':
    case 'X':
        for (size_t i = 0; i < len; i++)
            buf_printf(&tmp, sp->verb == 'x' ? "%02x" : "%02X",
                       (unsigned char)s[i]);
        break;
    default:
        bad_verb(out, sp->verb, v);
        return;
    }
    pad(out, sp, buf_str(&tmp), tmp.len);
    buf_release(&tmp);
}

static void fmt_arg(struct buf *out, const struct spec *sp, const struct tv *v);

/* Lists and maps apply the verb to each element, as Go's fmt does. */
static void fmt_compound(struct buf *out,
                         const struct spec *sp,
                         const struct tv *v)
{
    struct spec inner = *sp;

    inner.width = -1;
    if (v->kind == TV_LIST) {
        buf_putc(out, '[');
        for (size_t i = 0; i < v->u.list.n; i++) {
            if (i > 0)
                buf_putc(out, ' ');
            fmt_arg(out, &inner, v->u.list.items[i]);
        }
        buf_putc(out, ']');
        return;
    }
    buf_puts(out, v->kind == TV_MAP ? "map[" : "{");
    for (size_t i = 0; i < v->u.map.n; i++) {
        if (i > 0)
            buf_putc(out, ' ');
        if (v->kind == TV_MAP) {
            buf_puts(out, v->u.map.keys[i]);
            buf_putc(out, ':');
        } else if (sp->plus) {
            buf_puts(out, v->u.map.keys[i]);
            buf_putc(out, ':');
        }
        fmt_arg(out, &inner, v->u.map.vals[i]);
    }
    buf_putc(out, v->kind == TV_MAP ? ']' : '}');
}

static void fmt_arg(struct buf *out, const struct spec *sp, const struct tv *v)
{
    if (sp->verb == 'T') {
        const char *t =
            v == NULL || v->kind == TV_NIL ? "<nil>" : tv_type_name(v);

        pad(out, sp, t, strlen(t));
        return;
    }
    if (v == NULL || v->kind == TV_NIL) {
        if (sp->verb == 'v' || sp->verb == 's')
            pad(out, sp, "<nil>", 5);
        else
            bad_verb(out, sp->verb, NULL);
        return;
    }
    switch (v->kind) {
    case TV_BOOL:
        if (sp->verb == 'v' || sp->verb == 't')
            pad(out, sp, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
        else
            bad_verb(out, sp->verb, v);
        return;
    case TV_INT:
        fmt_int(out, sp, v->u.i);
        return;
    case TV_FLOAT:
        fmt_float(out, sp, v->u.f);
        return;
    case TV_STRING:
        fmt_string(out, sp, v);
        return;
    default: {
        struct buf tmp = BUF_INIT;

        fmt_compound(&tmp, sp, v);
        pad(out, sp, buf_str(&tmp), tmp.len);
        buf_release(&tmp);
        return;
    }
    }
}

/* Reads flags, width and precision after '%'; returns chars consumed. */
static size_t parse_spec(const char *f,
                         size_t n,
                         struct tv **argv,
                         size_t argc,
                         size_t *argi,
                         struct spec *sp)
{
    size_t i = 0;

    memset(sp, 0, sizeof(*sp));
    sp->width = sp->prec = -1;
    for (; i < n; i++) {
        char c = f[i];

        if (c == '-')
            sp->minus = true;
        else if (c == '+')
            sp->plus = true;
        else if (c == '#')
            sp->sharp = true;
        else if (c == '0')
            sp->zero = true;
        else if (c == ' ')
            sp->space = true;
        else
            break;
    }
    if (i < n && f[i] == '*') {
        i++;
        if (*argi < argc && argv[*argi] && argv[*argi]->kind == TV_INT) {
            int64_t w = argv[(*argi)++]->u.i;

            if (w < 0) {
                sp->minus = true;
                w = -w;
            }
            sp->width = w > 1000000 ? 1000000 : (int)w;
        }
    } else {
        for (; i < n && f[i] >= '0' && f[i] <= '9'; i++)
            sp->width =
                (sp->width < 0 ? 0 : sp->width) * 10 + (f[i] - '0') > 1000000
                    ? 1000000
                    : (sp->width < 0 ? 0 : sp->width) * 10 + (f[i] - '0');
    }
    if (i < n && f[i] == '.') {
        i++;
        sp->prec = 0;
        if (i < n && f[i] == '*') {
            i++;
            if (*argi < argc && argv[*argi] && argv[*argi]->kind == TV_INT) {
                int64_t p = argv[(*argi)++]->u.i;

                sp->prec = p < 0 ? -1 : p > 1000 ? 1000 : (int)p;
            }
        } else {
            for (; i < n && f[i] >= '0' && f[i] <= '9'; i++)
                sp->prec = sp->prec * 10 + (f[i] - '0') > 1000
                               ? 1000
                               : sp->prec * 10 + (f[i] - '0');
        }
    }
    sp->verb = i < n ? f[i++] : '\0';
    return i;
}

void tmpl__sprintf(struct buf *out,
                   const char *fmt,
                   size_t fmt_len,
                   struct tv **argv,
                   size_t argc)
{
    size_t argi = 0;

    for (size_t i = 0; i < fmt_len;) {
        struct spec sp;

        if (fmt[i] != '%') {
            const char *q = memchr(fmt + i, '%', fmt_len - i);
            size_t n = q ? (size_t)(q - (fmt + i)) : fmt_len - i;

            buf_append(out, fmt + i, n);
            i += n;
            continue;
        }
        i++;
        if (i < fmt_len && fmt[i] == '%') {
            buf_putc(out, '%');
            i++;
            continue;
        }
        i += parse_spec(fmt + i, fmt_len - i, argv, argc, &argi, &sp);
        if (sp.verb == '\0') {
            buf_append(out, "%!(NOVERB)", 10);
            break;
        }
        if (argi >= argc) {
            buf_printf(out, "%%!%c(MISSING)", sp.verb);
            continue;
        }
        fmt_arg(out, &sp, argv[argi++]);
    }
    if (argi < argc) {
        buf_append(out, "%!(EXTRA ", 9);
        for (size_t i = argi; i < argc; i++) {
            if (i > argi)
                buf_append(out, ", ", 2);
            if (argv[i] == NULL || argv[i]->kind == TV_NIL) {
                buf_append(out, "<nil>", 5);
                continue;
            }
            buf_puts(out, tv_type_name(argv[i]));
            buf_putc(out, '=');
            tmpl__fmt_value(out, argv[i]);
        }
        buf_putc(out, ')');
    }
}
