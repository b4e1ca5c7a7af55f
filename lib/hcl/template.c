/*
 * HCL2 string templates: quoted strings and heredocs, with escapes,
 * "${...}" interpolations, "%{...}" directives and "~" strip markers.
 * Literal text is read byte by byte; the insides of interpolations and
 * directives go back to the token lexer.
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
    struct node *n = hcl_new_node(is_for ? N_TFOR : N_TIF, pos, start);
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
    hcl_node_free(n);
    return NULL;
}

static void flush_lit(struct buf *lit,
                      struct node *seq,
                      size_t *cap,
                      struct hcl_pos pos,
                      size_t start,
                      bool *strip_next)
{
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
    n = hcl_new_node(N_LIT, pos, start);
    hcl_val_string(&n->lit, lit->data, lit->len);
    n->lit.pos = pos;
    hcl_add_kid(seq, n, cap);
    buf_reset(lit);
}

/*
 * Parses template content at the cursor until the closing quote, the end
 * of a heredoc, or an else/endif/endfor directive (reported in *endk).
 */
static struct node *parse_tmpl_seq(struct parser *p,
                                   const struct tmpl_ctx *tc,
                                   bool strip_first,
                                   enum tmpl_end *endk,
                                   bool *strip_after)
{
    struct node *seq = hcl_new_node(N_TEMPLATE, hcl_cur_pos(p), p->pos);
    struct buf lit = BUF_INIT;
    struct hcl_pos lit_pos = hcl_cur_pos(p);
    size_t lit_start = p->pos, cap = 0;
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
            if (lit.len == 0) {
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
            if (!parse_escape(p, &lit))
                goto fail;
            continue;
        }
        if ((c == '$' || c == '%') && hcl_at(p, 1) == c &&
            hcl_at(p, 2) == '{') {
            buf_putc(&lit, (char)c);
            buf_putc(&lit, '{');
            hcl_adv(p, 3);
            continue;
        }
        if ((c == '$' || c == '%') && hcl_at(p, 1) == '{') {
            struct hcl_pos spos = hcl_cur_pos(p);
            size_t sstart = p->pos;
            bool strip_left = false, strip_right = false;
            bool saved_nl = p->nl_ignore;
            struct node *n = NULL;

            hcl_adv(p, 2);
            p->have_tok = false;
            p->last_kind = T_ERROR;
            if (hcl_at(p, 0) == '~') {
                strip_left = true;
                hcl_adv(p, 1);
            }
            if (strip_left && seq->nkids > 0 && lit.len == 0 &&
                seq->kids[seq->nkids - 1]->kind == N_LIT)
                trim_lit_right(seq->kids[seq->nkids - 1]);
            if (strip_left) {
                while (lit.len > 0 &&
                       strchr(" \t\r\n", lit.data[lit.len - 1]) != NULL)
                    lit.data[--lit.len] = '\0';
            }
            flush_lit(&lit, seq, &cap, lit_pos, lit_start, &strip_next);
            p->nl_ignore = true;
            if (c == '$') {
                if (!hcl_enter(p, spos))
                    goto fail;
                n = hcl_new_node(N_INTERP, spos, sstart);
                n->a = hcl_parse_expr_p(p);
                hcl_leave(p);
                if (n->a == NULL || !close_seq(p, &strip_right)) {
                    hcl_node_free(n);
                    goto fail;
                }
            } else {
                const struct tok *t = hcl_peek(p);
                char *kw;

                if (t->kind != T_IDENT) {
                    if (t->kind != T_ERROR)
                        hcl_unexpected(p, t,
                                       "a template directive keyword "
                                       "(if, for, else, endif, endfor)");
                    goto fail;
                }
                kw = hcl_tok_str(p, t);
                if (strcmp(kw, "if") == 0 || strcmp(kw, "for") == 0) {
                    bool is_for = kw[0] == 'f';

                    free(kw);
                    hcl_next(p);
                    if (!hcl_enter(p, spos))
                        goto fail;
                    n = parse_directive(p, tc, spos, sstart, is_for,
                                        &strip_right);
                    hcl_leave(p);
                    if (n == NULL)
                        goto fail;
                } else if (strcmp(kw, "else") == 0 ||
                           strcmp(kw, "endif") == 0 ||
                           strcmp(kw, "endfor") == 0) {
                    *endk = kw[0] == 'e' && kw[1] == 'l' ? TE_ELSE
                            : kw[3] == 'i'               ? TE_ENDIF
                                                         : TE_ENDFOR;
                    free(kw);
                    hcl_next(p);
                    if (!close_seq(p, strip_after))
                        goto fail;
                    p->nl_ignore = saved_nl;
                    if (!tc->quoted && p->pos > tc->end) {
                        unterminated(p, tc);
                        goto fail;
                    }
                    if (strip_left && seq->nkids > 0 &&
                        seq->kids[seq->nkids - 1]->kind == N_LIT)
                        trim_lit_right(seq->kids[seq->nkids - 1]);
                    seq->end = p->prev_end;
                    buf_release(&lit);
                    return seq;
                } else {
                    hcl_perr(p, t->pos,
                             "Invalid template directive \"%s\"; expected if, "
                             "for, else, endif or endfor",
                             kw);
                    free(kw);
                    goto fail;
                }
            }
            p->nl_ignore = saved_nl;
            if (!tc->quoted && p->pos > tc->end) {
                hcl_node_free(n);
                unterminated(p, tc);
                goto fail;
            }
            n->end = p->prev_end;
            hcl_add_kid(seq, n, &cap);
            strip_next = strip_right;
            lit_pos = hcl_cur_pos(p);
            lit_start = p->pos;
            continue;
        }
        if (lit.len == 0) {
            lit_pos = hcl_cur_pos(p);
            lit_start = p->pos;
        }
        buf_putc(&lit, (char)c);
        hcl_adv(p, 1);
        if (c == '\n')
            line_start = true;
    }
    flush_lit(&lit, seq, &cap, lit_pos, lit_start, &strip_next);
    buf_release(&lit);
    seq->end = p->prev_end;
    return seq;
fail:
    buf_release(&lit);
    hcl_node_free(seq);
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
        hcl_node_free(n);
        return NULL;
    }
    n->pos = tc->open;
    n->start = start;
    if (n->nkids == 0 || (n->nkids == 1 && n->kids[0]->kind == N_LIT)) {
        struct node *lit = hcl_new_node(N_LIT, tc->open, start);

        if (n->nkids == 1) {
            lit->lit = n->kids[0]->lit;
            memset(&n->kids[0]->lit, 0, sizeof(n->kids[0]->lit));
        } else {
            hcl_val_string(&lit->lit, "", 0);
        }
        hcl_node_free(n);
        n = lit;
    }
    n->lit.pos = tc->open;
    return n;
}

struct node *hcl_parse_quoted(struct parser *p, const struct tok *t)
{
    struct tmpl_ctx tc = {true, 0, 0, t->pos};
    size_t start = t->start;
    struct node *n;

    n = parse_template(p, &tc, start);
    if (n != NULL) {
        p->prev_end = p->pos;
        n->end = p->pos;
    }
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
    n = parse_template(p, &tc, start);
    if (n == NULL)
        return NULL;
    if (p->pos != tc.end) {
        /* An interpolation ran over the closing line. */
        unterminated(p, &tc);
        hcl_node_free(n);
        return NULL;
    }
    hcl_adv(p, close_end - p->pos);
    p->have_tok = false;
    p->last_kind = T_HEREDOC;
    p->prev_end = p->pos;
    n->end = p->pos;
    return n;
}
