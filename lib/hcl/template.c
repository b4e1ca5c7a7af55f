/*
 * HCL2 string templates: quoted strings and heredocs, with escapes,
 * "${...}" interpolations, "%{...}" directives and "~" strip markers.
 * Literal text is read in runs up to the next byte that may start a
 * sequence; plain strings and heredocs, most of them, skip the template
 * machinery altogether. The insides of interpolations and directives go
 * back to the token lexer.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hcl/hcl_int.h"
#include "lib/hcl/parser.h"

/* ---- templates ---- */

struct tmpl_ctx
{
    bool quoted;
    size_t end;   /* heredoc: end of the content */
    size_t strip; /* heredoc "<<-": indentation to drop from each line */
    struct hcl_pos open;
};

enum tmpl_end {
    TE_END,
    TE_ELSE,
    TE_ENDIF,
    TE_ENDFOR,
};

static void unterminated(struct parser *p, const struct tmpl_ctx *tc)
{
    if (tc->quoted)
        hcl_perr(p, tc->open,
                 "Unterminated template string; no closing quote was found for "
                 "the string");
    else
        hcl_perr(p, tc->open,
                 "Unterminated template string; no closing marker was found "
                 "for the heredoc");
}

static bool tmpl_at_end(const struct parser *p, const struct tmpl_ctx *tc)
{
    return tc->quoted ? p->pos >= p->len : p->pos >= tc->end;
}

static void trim_lit_right(struct node *lit)
{
    while (lit->lit.u.str.len > 0) {
        char c = lit->lit.u.str.s[lit->lit.u.str.len - 1];

        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        lit->lit.u.str.s[--lit->lit.u.str.len] = '\0';
    }
}

/* Appends the UTF-8 encoding of code point cp. */
static void put_utf8(struct buf *b, unsigned long cp)
{
    if (cp < 0x80) {
        buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        buf_putc(b, (char)(0xc0 | (cp >> 6)));
        buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_putc(b, (char)(0xe0 | (cp >> 12)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    } else {
        buf_putc(b, (char)(0xf0 | (cp >> 18)));
        buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
        buf_putc(b, (char)(0x80 | (cp & 0x3f)));
    }
}

static bool parse_escape(struct parser *p, struct buf *lit)
{
    struct hcl_pos pos = hcl_cur_pos(p);
    int c = hcl_at(p, 1);
    size_t ndig;
    unsigned long cp = 0;

    switch (c) {
    case 'n':
        buf_putc(lit, '\n');
        hcl_adv(p, 2);
        return true;
    case 't':
        buf_putc(lit, '\t');
        hcl_adv(p, 2);
        return true;
    case 'r':
        buf_putc(lit, '\r');
        hcl_adv(p, 2);
        return true;
    case '"':
        buf_putc(lit, '"');
        hcl_adv(p, 2);
        return true;
    case '\\':
        buf_putc(lit, '\\');
        hcl_adv(p, 2);
        return true;
    case 'u':
        ndig = 4;
        break;
    case 'U':
        ndig = 8;
        break;
    default:
        if (c >= 0x20 && c < 0x7f)
            hcl_perr(p, pos,
                     "Invalid escape sequence \"\\%c\"; the symbol \"%c\" is "
                     "not a valid escape sequence selector",
                     c, c);
        else
            hcl_perr(p, pos,
                     "Invalid escape sequence; a backslash must be "
                     "followed by an escape selector");
        return false;
    }
    for (size_t i = 0; i < ndig; i++) {
        int d = hcl_at(p, 2 + i);

        cp <<= 4;
        if (d >= '0' && d <= '9')
            cp |= (unsigned long)(d - '0');
        else if (d >= 'a' && d <= 'f')
            cp |= (unsigned long)(d - 'a' + 10);
        else if (d >= 'A' && d <= 'F')
            cp |= (unsigned long)(d - 'A' + 10);
        else {
            hcl_perr(p, pos,
                     "Invalid escape sequence; \\%c must be followed by "
                     "%zu hexadecimal digits",
                     c, ndig);
            return false;
        }
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        hcl_perr(p, pos,
                 "Invalid escape sequence; U+%lX is not a valid "
                 "Unicode character",
                 cp);
        return false;
    }
    put_utf8(lit, cp);
    hcl_adv(p, 2 + ndig);
    return true;
}

/*
 * Parses what follows "${" or "%{" up to the closing brace in expression
 * mode. Returns the expression, and whether "~}" asked to strip the
 * whitespace that follows.
 */
static bool close_seq(struct parser *p, bool *strip_right)
{
    *strip_right = false;
    if (hcl_peek_is(p, T_TILDE)) {
        hcl_next(p);
        *strip_right = true;
    }
    return hcl_expect(p, T_RBRACE, "\"}\" to close the template sequence");
}

static struct node *parse_tmpl_seq(struct parser *p,
                                   const struct tmpl_ctx *tc,
                                   bool strip_first,
                                   enum tmpl_end *endk,
                                   bool *strip_after);

/* Parses a %{ if } or %{ for } directive after its keyword. */
static struct node *parse_directive(struct parser *p,
                                    const struct tmpl_ctx *tc,
                                    struct hcl_pos pos,
                                    size_t start,
                                    bool is_for,
                                    bool *strip_after)
{
    struct node *n = hcl_new_node(p, is_for ? N_TFOR : N_TIF, pos, start);
    enum tmpl_end endk;
    bool strip;

    if (is_for) {
        const struct tok *t = hcl_peek(p);

        if (t->kind != T_IDENT) {
            hcl_unexpected(p, t, "a variable name after \"for\"");
            goto fail;
        }
        n->name2 = hcl_tok_str(p, t);
        hcl_next(p);
        if (hcl_peek_is(p, T_COMMA)) {
            hcl_next(p);
            t = hcl_peek(p);
            if (t->kind != T_IDENT) {
                hcl_unexpected(p, t, "a variable name after \",\"");
                goto fail;
            }
            n->name = n->name2;
            n->name2 = hcl_tok_str(p, t);
            hcl_next(p);
        }
        if (!hcl_peek_ident(p, "in")) {
            hcl_unexpected(p, hcl_peek(p), "\"in\"");
            goto fail;
        }
        hcl_next(p);
    }
    n->a = hcl_parse_expr_p(p);
    if (n->a == NULL || !close_seq(p, &strip))
        goto fail;
    n->b = parse_tmpl_seq(p, tc, strip, &endk, &strip);
    if (n->b == NULL)
        goto fail;
    if (is_for) {
        if (endk != TE_ENDFOR) {
            hcl_perr(p, pos,
                     "Unterminated template directive; no matching "
                     "%%{ endfor } for this %%{ for }");
            goto fail;
        }
    } else {
        if (endk == TE_ELSE) {
            n->c = parse_tmpl_seq(p, tc, strip, &endk, &strip);
            if (n->c == NULL)
                goto fail;
        }
        if (endk != TE_ENDIF) {
            hcl_perr(p, pos,
                     "Unterminated template directive; no matching "
                     "%%{ endif } for this %%{ if }");
            goto fail;
        }
    }
    *strip_after = strip;
    n->end = p->prev_end;
    return n;
fail:
    return NULL;
}

/* Ends the literal text collected in p->lit as a part of the template. */
static void flush_lit(struct parser *p,
                      struct hcl_pos pos,
                      size_t start,
                      bool *strip_next)
{
    struct buf *lit = &p->lit;
    struct node *n;

    if (*strip_next) {
        size_t i = 0;

        while (i < lit->len && (lit->data[i] == ' ' || lit->data[i] == '\t' ||
                                lit->data[i] == '\n' || lit->data[i] == '\r'))
            i++;
        if (i > 0) {
            memmove(lit->data, lit->data + i, lit->len - i);
            lit->len -= i;
            lit->data[lit->len] = '\0';
        }
        /* "~}" reaches only as far as the next sequence. */
        *strip_next = false;
    }
    if (lit->len == 0)
        return;
    n = hcl_new_node(p, N_LIT, pos, start);
    n->lit.type = HCL_STRING;
    n->lit.u.str.s = hcl_arena_strndup(p->arena, lit->data, lit->len);
    n->lit.u.str.len = lit->len;
    n->lit.pos = pos;
    hcl_push_kid(p, n);
    buf_reset(lit);
}

/* The last part of the template whose parts start at base, if literal. */
static struct node *last_lit(const struct parser *p, size_t base)
{
    if (p->nkids > base && p->kids[p->nkids - 1]->kind == N_LIT)
        return p->kids[p->nkids - 1];
    return NULL;
}

/*
 * Bytes that end a run of literal text: newlines and the starts of
 * sequences everywhere, and in quoted strings also the closing quote,
 * escapes and the carriage returns that are not allowed there.
 */
static const bool heredoc_stop[256] =
    {['\n'] = true, ['$'] = true, ['%'] = true};
static const bool quoted_stop[256] = {
    ['\n'] = true, ['$'] = true,  ['%'] = true,
    ['"'] = true,  ['\\'] = true, ['\r'] = true};

static inline bool plain_stop(char c, bool quoted)
{
    return (quoted ? quoted_stop : heredoc_stop)[(unsigned char)c];
}

/*
 * Parses template content at the cursor until the closing quote, the end
 * of a heredoc, or an else/endif/endfor directive (reported in *endk).
 * Literal text collects in p->lit, which is empty whenever another
 * template starts: each part is flushed before a sequence is parsed.
 */
static struct node *parse_tmpl_seq(struct parser *p,
                                   const struct tmpl_ctx *tc,
                                   bool strip_first,
                                   enum tmpl_end *endk,
                                   bool *strip_after)
{
    struct hcl_pos seq_pos = hcl_cur_pos(p);
    size_t seq_start = p->pos;
    struct node *seq;
    struct buf *lit = &p->lit;
    struct hcl_pos lit_pos = hcl_cur_pos(p);
    size_t lit_start = p->pos, base = p->nkids;
    bool strip_next = strip_first;
    bool line_start =
        !tc->quoted && (p->pos == 0 || p->src[p->pos - 1] == '\n');

    *strip_after = false;
    for (;;) {
        int c;

        if (line_start && tc->strip > 0) {
            for (size_t i = 0; i < tc->strip && p->pos < tc->end &&
                               (hcl_at(p, 0) == ' ' || hcl_at(p, 0) == '\t');
                 i++)
                hcl_adv(p, 1);
            if (lit->len == 0) {
                lit_pos = hcl_cur_pos(p);
                lit_start = p->pos;
            }
        }
        line_start = false;
        if (tmpl_at_end(p, tc)) {
            if (tc->quoted) {
                unterminated(p, tc);
                goto fail;
            }
            *endk = TE_END;
            break;
        }
        c = hcl_at(p, 0);
        if (tc->quoted && c == '"') {
            hcl_adv(p, 1);
            *endk = TE_END;
            break;
        }
        if (tc->quoted && (c == '\n' || c == '\r')) {
            unterminated(p, tc);
            goto fail;
        }
        if (tc->quoted && c == '\\') {
            if (!parse_escape(p, lit))
                goto fail;
            continue;
        }
        if ((c == '$' || c == '%') && hcl_at(p, 1) == c &&
            hcl_at(p, 2) == '{') {
            buf_putc(lit, (char)c);
            buf_putc(lit, '{');
            hcl_adv(p, 3);
            continue;
        }
        if ((c == '$' || c == '%') && hcl_at(p, 1) == '{') {
            struct hcl_pos spos = hcl_cur_pos(p);
            size_t sstart = p->pos;
            bool strip_left = false, strip_right = false;
            bool saved_nl = p->nl_ignore;
            struct node *n = NULL, *prev;

            hcl_adv(p, 2);
            p->have_tok = false;
            p->last_kind = T_ERROR;
            if (hcl_at(p, 0) == '~') {
                strip_left = true;
                hcl_adv(p, 1);
            }
            if (strip_left && lit->len == 0 && (prev = last_lit(p, base)))
                trim_lit_right(prev);
            if (strip_left) {
                while (lit->len > 0 &&
                       strchr(" \t\r\n", lit->data[lit->len - 1]) != NULL)
                    lit->data[--lit->len] = '\0';
            }
            flush_lit(p, lit_pos, lit_start, &strip_next);
            p->nl_ignore = true;
            if (c == '$') {
                if (!hcl_enter(p, spos))
                    goto fail;
                n = hcl_new_node(p, N_INTERP, spos, sstart);
                n->a = hcl_parse_expr_p(p);
                hcl_leave(p);
                if (n->a == NULL || !close_seq(p, &strip_right))
                    goto fail;
            } else {
                const struct tok *t = hcl_peek(p);
                const char *kw;
                size_t kwlen;

                if (t->kind != T_IDENT) {
                    if (t->kind != T_ERROR)
                        hcl_unexpected(p, t,
                                       "a template directive keyword "
                                       "(if, for, else, endif, endfor)");
                    goto fail;
                }
                kw = p->src + t->start;
                kwlen = t->end - t->start;
                if ((kwlen == 2 && memcmp(kw, "if", 2) == 0) ||
                    (kwlen == 3 && memcmp(kw, "for", 3) == 0)) {
                    bool is_for = kw[0] == 'f';

                    hcl_next(p);
                    if (!hcl_enter(p, spos))
                        goto fail;
                    n = parse_directive(p, tc, spos, sstart, is_for,
                                        &strip_right);
                    hcl_leave(p);
                    if (n == NULL)
                        goto fail;
                } else if ((kwlen == 4 && memcmp(kw, "else", 4) == 0) ||
                           (kwlen == 5 && memcmp(kw, "endif", 5) == 0) ||
                           (kwlen == 6 && memcmp(kw, "endfor", 6) == 0)) {
                    *endk = kw[0] == 'e' && kw[1] == 'l' ? TE_ELSE
                            : kw[3] == 'i'               ? TE_ENDIF
                                                         : TE_ENDFOR;
                    hcl_next(p);
                    if (!close_seq(p, strip_after))
                        goto fail;
                    p->nl_ignore = saved_nl;
                    if (!tc->quoted && p->pos > tc->end) {
                        unterminated(p, tc);
                        goto fail;
                    }
                    if (strip_left && (prev = last_lit(p, base)))
                        trim_lit_right(prev);
                    break;
                } else {
                    char *w = xstrndup(kw, kwlen);

                    hcl_perr(p, t->pos,
                             "Invalid template directive \"%s\"; expected if, "
                             "for, else, endif or endfor",
                             w);
                    free(w);
                    goto fail;
                }
            }
            p->nl_ignore = saved_nl;
            if (!tc->quoted && p->pos > tc->end) {
                unterminated(p, tc);
                goto fail;
            }
            n->end = p->prev_end;
            hcl_push_kid(p, n);
            strip_next = strip_right;
            lit_pos = hcl_cur_pos(p);
            lit_start = p->pos;
            continue;
        }
        if (lit->len == 0) {
            lit_pos = hcl_cur_pos(p);
            lit_start = p->pos;
        }
        if (c == '\n') {
            buf_putc(lit, '\n');
            hcl_adv(p, 1);
            line_start = true;
        } else {
            /* Plain text runs to the next byte that may mean something. */
            size_t end = tc->quoted ? p->len : tc->end, i = p->pos + 1;

            while (i < end && !plain_stop(p->src[i], tc->quoted))
                i++;
            buf_append(lit, p->src + p->pos, i - p->pos);
            hcl_adv_in_line(p, i - p->pos);
        }
    }
    if (*endk == TE_END)
        flush_lit(p, lit_pos, lit_start, &strip_next);
    seq = hcl_new_node(p, N_TEMPLATE, seq_pos, seq_start);
    hcl_take_kids(p, seq, base);
    seq->end = p->prev_end;
    return seq;
fail:
    buf_reset(lit);
    p->nkids = base;
    return NULL;
}

/*
 * Parses a whole template whose opening (quote or heredoc line) has been
 * consumed. Templates that are plain text become literals.
 */
static struct node *parse_template(struct parser *p,
                                   const struct tmpl_ctx *tc,
                                   size_t start)
{
    enum tmpl_end endk;
    bool strip_after;
    bool saved_nl = p->nl_ignore;
    struct node *n;

    n = parse_tmpl_seq(p, tc, false, &endk, &strip_after);
    p->nl_ignore = saved_nl;
    if (n == NULL)
        return NULL;
    if (endk != TE_END) {
        hcl_perr(p, n->nkids ? n->kids[n->nkids - 1]->pos : tc->open,
                 "Unexpected template directive; %s without a matching opening "
                 "directive",
                 endk == TE_ELSE    ? "%{ else }"
                 : endk == TE_ENDIF ? "%{ endif }"
                                    : "%{ endfor }");
        return NULL;
    }
    n->pos = tc->open;
    n->start = start;
    if (n->nkids == 0 || (n->nkids == 1 && n->kids[0]->kind == N_LIT)) {
        struct hcl_value v;

        if (n->nkids == 1) {
            v = n->kids[0]->lit;
        } else {
            memset(&v, 0, sizeof(v));
            v.type = HCL_STRING;
            v.u.str.s = hcl_arena_strndup(p->arena, "", 0);
        }
        /* The template node becomes the literal. */
        n->kind = N_LIT;
        n->end = start;
        n->lit = v;
        n->lit.pos = tc->open;
    }
    return n;
}

struct node *hcl_parse_quoted(struct parser *p,
                              struct hcl_pos pos,
                              size_t start)
{
    struct tmpl_ctx tc = {true, 0, 0, pos};
    size_t i = p->pos;
    struct node *n;

    /* Most strings are plain text, which needs no template machinery. */
    i = hcl_quoted_plain_end(p->src, p->len, i);
    if (i < p->len && p->src[i] == '"') {
        n = hcl_new_node(p, N_LIT, pos, start);
        n->lit.type = HCL_STRING;
        n->lit.u.str.s =
            hcl_arena_strndup(p->arena, p->src + p->pos, i - p->pos);
        n->lit.u.str.len = i - p->pos;
        n->lit.pos = pos;
        hcl_adv_in_line(p, i + 1 - p->pos);
        p->prev_end = p->pos;
        n->end = p->pos;
        return n;
    }
    n = parse_template(p, &tc, start);
    if (n != NULL) {
        p->prev_end = p->pos;
        n->end = p->pos;
    }
    return n;
}

/*
 * A heredoc without "$" or "%" is plain text, the lines from content up to
 * tc->end less the indentation "<<-" strips; this gives what
 * parse_template() would, without the byte-by-byte walk.
 */
static struct node *plain_heredoc(struct parser *p,
                                  const struct tmpl_ctx *tc,
                                  size_t start,
                                  size_t content,
                                  size_t close_end)
{
    struct node *n = hcl_new_node(p, N_LIT, tc->open, start);
    struct buf *lit = &p->lit;

    n->lit.type = HCL_STRING;
    n->lit.pos = tc->open;
    if (tc->strip == 0) {
        n->lit.u.str.len = tc->end - content;
        n->lit.u.str.s =
            hcl_arena_strndup(p->arena, p->src + content, n->lit.u.str.len);
    } else {
        for (size_t i = content; i < tc->end;) {
            const char *nl;
            size_t eol;

            for (size_t k = 0; k < tc->strip && i < tc->end &&
                               (p->src[i] == ' ' || p->src[i] == '\t');
                 k++)
                i++;
            nl = memchr(p->src + i, '\n', tc->end - i);
            eol = nl != NULL ? (size_t)(nl - p->src) + 1 : tc->end;
            buf_append(lit, p->src + i, eol - i);
            i = eol;
        }
        n->lit.u.str.len = lit->len;
        n->lit.u.str.s = hcl_arena_strndup(p->arena, buf_str(lit), lit->len);
        buf_reset(lit);
    }
    hcl_adv(p, close_end - p->pos);
    p->have_tok = false;
    p->last_kind = T_HEREDOC;
    p->prev_end = p->pos;
    n->end = p->pos;
    return n;
}

struct node *hcl_parse_heredoc(struct parser *p, const struct tok *t)
{
    struct tmpl_ctx tc = {false, 0, 0, t->pos};
    const char *marker = p->src + t->mstart;
    size_t mlen = t->mlen, start = t->start;
    size_t i = p->pos, content = p->pos, close_end = 0;
    bool found = false;
    struct node *n;

    /* Find the line holding only the delimiter, leading blanks allowed. */
    while (i <= p->len) {
        size_t line = i, j = i;

        while (j < p->len && (p->src[j] == ' ' || p->src[j] == '\t'))
            j++;
        if (j + mlen <= p->len && memcmp(p->src + j, marker, mlen) == 0) {
            size_t k = j + mlen;

            if (k < p->len && p->src[k] == '\r')
                k++;
            if (k >= p->len || p->src[k] == '\n') {
                tc.end = line;
                close_end = j + mlen;
                found = true;
                break;
            }
        }
        while (i < p->len && p->src[i] != '\n')
            i++;
        if (i >= p->len)
            break;
        i++;
    }
    if (!found) {
        struct hcl_pos at = t->pos;
        size_t i2 = p->assign_end;

        /*
         * A heredoc swallows the rest of the file, so the attribute it
         * belongs to is the useful place to point at.
         */
        while (i2 < t->start && (p->src[i2] == ' ' || p->src[i2] == '\t'))
            i2++;
        if (p->assign_end > 0 && i2 == t->start)
            at = p->assign_pos;
        hcl_perr(p, at,
                 "Unterminated template string; no closing marker \"%.*s\" "
                 "was found for the heredoc",
                 (int)(mlen > 64 ? 64 : mlen), marker);
        return NULL;
    }
    if (t->strip) {
        size_t min = (size_t)-1;

        for (i = content; i < tc.end;) {
            size_t ws = 0;

            while (i + ws < tc.end &&
                   (p->src[i + ws] == ' ' || p->src[i + ws] == '\t'))
                ws++;
            if (i + ws < tc.end && p->src[i + ws] != '\n' &&
                p->src[i + ws] != '\r' && ws < min)
                min = ws;
            while (i < tc.end && p->src[i] != '\n')
                i++;
            i++;
        }
        tc.strip = min == (size_t)-1 ? 0 : min;
    }
    if (memchr(p->src + content, '$', tc.end - content) == NULL &&
        memchr(p->src + content, '%', tc.end - content) == NULL)
        return plain_heredoc(p, &tc, start, content, close_end);
    n = parse_template(p, &tc, start);
    if (n == NULL)
        return NULL;
    if (p->pos != tc.end) {
        /* An interpolation ran over the closing line. */
        unterminated(p, &tc);
        return NULL;
    }
    hcl_adv(p, close_end - p->pos);
    p->have_tok = false;
    p->last_kind = T_HEREDOC;
    p->prev_end = p->pos;
    n->end = p->pos;
    return n;
}
