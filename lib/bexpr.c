/*
 * go-bexpr's grammar by recursive descent. Errors name the line, column
 * and byte offset where the text stopped making sense and what could have
 * come there, in the words of the generated parser go-bexpr uses, so a
 * client that shows Nomad's message shows ours the same way.
 */
#include "lib/bexpr.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"

enum bexpr_kind {
    BEXPR_AND,
    BEXPR_OR,
    BEXPR_NOT,
    BEXPR_MATCH,
};

enum bexpr_op {
    BEXPR_EQ,
    BEXPR_NE,
    BEXPR_LT,
    BEXPR_LE,
    BEXPR_GT,
    BEXPR_GE,
    BEXPR_IN, /* also `contains`: the selector holds the value */
    BEXPR_NOT_IN,
    BEXPR_EMPTY,
    BEXPR_NOT_EMPTY,
    BEXPR_MATCHES,
    BEXPR_NOT_MATCHES,
};

struct bexpr
{
    enum bexpr_kind kind;
    struct bexpr *left, *right; /* and/or; not uses left */
    enum bexpr_op op;
    char **sel; /* selector path */
    size_t nsel;
    char *value; /* the literal as text; numbers and bools are read on use */
    bool has_re;
    regex_t re;
};

/* Bounds on a `matches` pattern, so compiling it stays small. */
#define BEXPR_MAX_REGEX 256
#define BEXPR_MAX_REPEAT 100

struct parser
{
    const char *s;
    size_t pos;
    struct err *err;
};

/* ------------------------------------------------------------ errors */

/* "line:column (offset)" of pos, as go-bexpr's parser writes it. */
static void where(const struct parser *p, size_t pos, char *out, size_t size)
{
    int line = 1;
    size_t col = 1;

    for (size_t i = 0; i < pos; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(out, size, "%d:%zu (%zu)", line, col, pos);
}

static int fail_at(struct parser *p, size_t pos, const char *expected)
{
    char at[64];

    where(p, pos, at, sizeof(at));
    return err_set(p->err, ERR_INVALID, "%s: no match found, expected: %s", at,
                   expected);
}

#define EXPECT_START "\"(\", \"not\", [a-zA-Z] or [ \\t\\r\\n]"
#define EXPECT_VALUE "\"\\\"\", \"`\", \"-\", [0-9], [a-zA-Z] or [ \\t\\r\\n]"
#define EXPECT_OP                                                  \
    "\"!=\", \"<\", \"<=\", \"==\", \">\", \">=\", \".\", \"[\", " \
    "\"contains\", \"is\", \"matches\", \"not\" or [ \\t\\r\\n]"
#define EXPECT_END "\"and\", \"or\", [ \\t\\r\\n] or EOF"

/* ------------------------------------------------------------ lexing */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '/';
}

static void skip_ws(struct parser *p)
{
    while (is_ws(p->s[p->pos]))
        p->pos++;
}

/* Whether word starts at pos as a whole word (not a prefix of a name). */
static bool word_at(const struct parser *p, size_t pos, const char *word)
{
    size_t n = strlen(word);

    return strncmp(p->s + pos, word, n) == 0 && !is_ident(p->s[pos + n]);
}

/* Consumes word and the whitespace after it when it is there. */
static bool take_word(struct parser *p, const char *word)
{
    if (!word_at(p, p->pos, word))
        return false;
    p->pos += strlen(word);
    skip_ws(p);
    return true;
}

/* A "..." (with Go escapes) or `...` literal at pos into *out. */
static int read_string(struct parser *p, char **out)
{
    char quote = p->s[p->pos];
    size_t start = p->pos;
    char *buf = xmalloc(strlen(p->s + start) + 1);
    size_t n = 0;

    p->pos++;
    for (;;) {
        char c = p->s[p->pos];

        if (c == '\0') {
            free(buf);
            return fail_at(p, p->pos,
                           quote == '`' ? "\"`\" or [^`]"
                                        : "\"\\\"\", \"\\\\\" or [^\"\\\\]");
        }
        p->pos++;
        if (c == quote)
            break;
        if (c == '\\' && quote == '"') {
            char e = p->s[p->pos];

            switch (e) {
            case '"':
                c = '"';
                break;
            case '\\':
                c = '\\';
                break;
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case '/':
                c = '/';
                break;
            default:
                free(buf);
                return fail_at(p, p->pos,
                               "\"\\\"\", \"\\\\\", \"/\", \"n\", \"r\" or "
                               "\"t\"");
            }
            p->pos++;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* ------------------------------------------------------------ parsing */

static void node_free(struct bexpr *b)
{
    if (b == NULL)
        return;
    node_free(b->left);
    node_free(b->right);
    for (size_t i = 0; i < b->nsel; i++)
        free(b->sel[i]);
    free(b->sel);
    free(b->value);
    if (b->has_re)
        regfree(&b->re);
    free(b);
}

void bexpr_free(struct bexpr *b)
{
    node_free(b);
}

static void sel_add(struct bexpr *m, char *part)
{
    m->sel = xrealloc(m->sel, (m->nsel + 1) * sizeof(*m->sel));
    m->sel[m->nsel++] = part;
}

/* Identifier ("." Identifier / "[" String "]")* into m->sel. */
static int parse_selector(struct parser *p, struct bexpr *m)
{
    size_t start;

    if (!is_alpha(p->s[p->pos]))
        return fail_at(p, p->pos, EXPECT_START);
    for (;;) {
        start = p->pos;
        while (is_ident(p->s[p->pos]))
            p->pos++;
        sel_add(m, xstrndup(p->s + start, p->pos - start));
        for (;;) {
            if (p->s[p->pos] == '.' && is_digit(p->s[p->pos + 1])) {
                /* .0: an index into a list, as go-bexpr allows. */
                start = ++p->pos;
                while (is_digit(p->s[p->pos]))
                    p->pos++;
                sel_add(m, xstrndup(p->s + start, p->pos - start));
                continue;
            }
            if (p->s[p->pos] == '.') {
                p->pos++;
                if (!is_alpha(p->s[p->pos]))
                    return fail_at(p, p->pos, "[0-9] or [a-zA-Z]");
                break;
            }
            if (p->s[p->pos] != '[')
                return 0;
            p->pos++;
            skip_ws(p);
            if (p->s[p->pos] != '"' && p->s[p->pos] != '`')
                return fail_at(p, p->pos, "\"\\\"\", \"`\" or [ \\t\\r\\n]");
            {
                char *key;
                int rc = read_string(p, &key);

                if (rc != 0)
                    return rc;
                sel_add(m, key);
            }
            skip_ws(p);
            if (p->s[p->pos] != ']')
                return fail_at(p, p->pos, "\"]\" or [ \\t\\r\\n]");
            p->pos++;
        }
    }
}

/* A string, number, bool or bare word as the text it stands for. */
static int parse_value(struct parser *p, char **out)
{
    char c = p->s[p->pos];
    size_t start = p->pos;

    if (c == '"' || c == '`')
        return read_string(p, out);
    if (c == '-' || is_digit(c)) {
        if (c == '-')
            p->pos++;
        if (!is_digit(p->s[p->pos]))
            return fail_at(p, p->pos, "[0-9]");
        while (is_digit(p->s[p->pos]))
            p->pos++;
        if (p->s[p->pos] == '.') {
            p->pos++;
            if (!is_digit(p->s[p->pos]))
                return fail_at(p, p->pos, "[0-9]");
            while (is_digit(p->s[p->pos]))
                p->pos++;
        }
        if (is_ident(p->s[p->pos]))
            return fail_at(p, p->pos, "\".\", [0-9] or [ \\t\\r\\n]");
        *out = xstrndup(p->s + start, p->pos - start);
        return 0;
    }
    if (is_alpha(c)) {
        /* A bare selector as a value stands for its own text (a.b). */
        while (is_ident(p->s[p->pos]) ||
               (p->s[p->pos] == '.' && is_ident(p->s[p->pos + 1])))
            p->pos++;
        *out = xstrndup(p->s + start, p->pos - start);
        return 0;
    }
    return fail_at(p, p->pos, EXPECT_VALUE);
}

/*
 * What the libc matcher would blow up on, refused as Go's regexp refuses
 * it: stacked repetition (x**), back references; and counted repetitions
 * whose counts multiply past a thousand copies.
 */
static const char *re_unsafe(const char *re)
{
    unsigned long copies = 1;
    bool after_quant = false;

    if (strlen(re) > BEXPR_MAX_REGEX)
        return "pattern too long";
    for (const char *c = re; *c != '\0'; c++) {
        if (*c == '\\') {
            if (is_digit(c[1]))
                return "back references are not supported";
            if (c[1] != '\0')
                c++;
            after_quant = false;
        } else if (*c == '[') {
            /* A bracket expression: ] first is literal; skip to its end. */
            c++;
            if (*c == '^')
                c++;
            if (*c == ']')
                c++;
            while (*c != '\0' && *c != ']')
                c++;
            if (*c == '\0')
                return NULL; /* regcomp says what is wrong */
            after_quant = false;
        } else if (*c == '*' || *c == '+' || *c == '?' || *c == '{') {
            if (after_quant)
                return "invalid nested repetition operator";
            if (*c == '{') {
                char *end;
                unsigned long lo = strtoul(c + 1, &end, 10), hi = lo;

                if (*end == ',')
                    hi = is_digit(end[1]) ? strtoul(end + 1, &end, 10)
                                          : (end++, lo);
                if (*end != '}')
                    return NULL;
                if (hi > BEXPR_MAX_REPEAT || (copies *= hi + 1) > 1000)
                    return "repetition count too large";
                c = end;
            }
            after_quant = true;
        } else {
            after_quant = false;
        }
    }
    return NULL;
}

static int compile_re(struct parser *p, struct bexpr *m, size_t at)
{
    const char *unsafe = re_unsafe(m->value);
    int rc = unsafe != NULL
                 ? REG_BADPAT
                 : regcomp(&m->re, m->value, REG_EXTENDED | REG_NOSUB);

    if (rc != 0) {
        char msg[128], where_at[64];

        if (unsafe != NULL) {
            snprintf(msg, sizeof(msg), "%s", unsafe);
        } else {
            regerror(rc, &m->re, msg, sizeof(msg));
            regfree(&m->re);
        }
        where(p, at, where_at, sizeof(where_at));
        return err_set(p->err, ERR_INVALID,
                       "%s: no match found, expected: a valid regular "
                       "expression (%s)",
                       where_at, msg);
    }
    m->has_re = true;
    return 0;
}

/* Selector Op Value / Selector "is" ["not"] "empty" / Value "in" Selector. */
static int parse_match(struct parser *p, struct bexpr **out)
{
    struct bexpr *m = xcalloc(1, sizeof(*m));
    char c = p->s[p->pos];
    int rc;
    size_t at;

    m->kind = BEXPR_MATCH;
    *out = m;
    if (c == '"' || c == '`' || c == '-' || is_digit(c)) {
        rc = parse_value(p, &m->value);
        if (rc != 0)
            return rc;
        skip_ws(p);
        if (take_word(p, "in")) {
            m->op = BEXPR_IN;
        } else if (word_at(p, p->pos, "not")) {
            p->pos += 3;
            skip_ws(p);
            if (!take_word(p, "in"))
                return fail_at(p, p->pos, "\"in\" or [ \\t\\r\\n]");
            m->op = BEXPR_NOT_IN;
        } else {
            return fail_at(p, p->pos, "\"in\", \"not\" or [ \\t\\r\\n]");
        }
        return parse_selector(p, m);
    }
    rc = parse_selector(p, m);
    if (rc != 0)
        return rc;
    skip_ws(p);
    at = p->pos;
    if (strncmp(p->s + at, "==", 2) == 0) {
        m->op = BEXPR_EQ;
        p->pos += 2;
    } else if (strncmp(p->s + at, "!=", 2) == 0) {
        m->op = BEXPR_NE;
        p->pos += 2;
    } else if (strncmp(p->s + at, "<=", 2) == 0) {
        m->op = BEXPR_LE;
        p->pos += 2;
    } else if (strncmp(p->s + at, ">=", 2) == 0) {
        m->op = BEXPR_GE;
        p->pos += 2;
    } else if (p->s[at] == '<') {
        m->op = BEXPR_LT;
        p->pos++;
    } else if (p->s[at] == '>') {
        m->op = BEXPR_GT;
        p->pos++;
    } else if (take_word(p, "is")) {
        bool neg = take_word(p, "not");

        if (!take_word(p, "empty"))
            return fail_at(p, p->pos,
                           neg ? "\"empty\" or [ \\t\\r\\n]"
                               : "\"empty\", \"not\" or [ \\t\\r\\n]");
        m->op = neg ? BEXPR_NOT_EMPTY : BEXPR_EMPTY;
        /* Back off the blanks, so the caller sees where this ended. */
        while (p->pos > 0 && is_ws(p->s[p->pos - 1]))
            p->pos--;
        return 0;
    } else if (take_word(p, "contains")) {
        m->op = BEXPR_IN;
    } else if (take_word(p, "matches")) {
        m->op = BEXPR_MATCHES;
    } else if (take_word(p, "not")) {
        if (take_word(p, "contains"))
            m->op = BEXPR_NOT_IN;
        else if (take_word(p, "matches"))
            m->op = BEXPR_NOT_MATCHES;
        else
            return fail_at(p, p->pos,
                           "\"contains\", \"matches\" or [ \\t\\r\\n]");
    } else {
        return fail_at(p, p->pos, EXPECT_OP);
    }
    skip_ws(p);
    at = p->pos;
    rc = parse_value(p, &m->value);
    if (rc != 0)
        return rc;
    if (m->op == BEXPR_MATCHES || m->op == BEXPR_NOT_MATCHES)
        return compile_re(p, m, at);
    return 0;
}

static int parse_or(struct parser *p, int depth, struct bexpr **out);

static int parse_not(struct parser *p, int depth, struct bexpr **out)
{
    *out = NULL;
    if (depth > BEXPR_MAX_DEPTH) {
        char at[64];

        where(p, p->pos, at, sizeof(at));
        return err_set(p->err, ERR_TOO_DEEP,
                       "%s: expression nested more than %d deep", at,
                       BEXPR_MAX_DEPTH);
    }
    skip_ws(p);
    if (word_at(p, p->pos, "not") &&
        (is_ws(p->s[p->pos + 3]) || p->s[p->pos + 3] == '(')) {
        struct bexpr *n = xcalloc(1, sizeof(*n));

        n->kind = BEXPR_NOT;
        *out = n;
        p->pos += 3;
        return parse_not(p, depth + 1, &n->left);
    }
    if (p->s[p->pos] == '(') {
        int rc;

        p->pos++;
        rc = parse_or(p, depth + 1, out);
        if (rc != 0)
            return rc;
        skip_ws(p);
        if (p->s[p->pos] != ')')
            return fail_at(p, p->pos, "\")\", \"and\", \"or\" or [ \\t\\r\\n]");
        p->pos++;
        return 0;
    }
    return parse_match(p, out);
}

/* Joins the terms of `a and b and c` (or `or`) left to right. */
static int parse_chain(struct parser *p,
                       int depth,
                       const char *word,
                       enum bexpr_kind kind,
                       struct bexpr **out)
{
    int rc = kind == BEXPR_OR ? parse_chain(p, depth, "and", BEXPR_AND, out)
                              : parse_not(p, depth, out);

    while (rc == 0) {
        size_t save = p->pos;
        struct bexpr *n;

        skip_ws(p);
        /* A blank must come before the word, and a blank or ( after it
         * (or the end, to say a term is missing there). */
        if (p->pos == save || !word_at(p, p->pos, word) ||
            !(is_ws(p->s[p->pos + strlen(word)]) ||
              p->s[p->pos + strlen(word)] == '(' ||
              p->s[p->pos + strlen(word)] == '\0')) {
            p->pos = save;
            return 0;
        }
        p->pos += strlen(word);
        n = xcalloc(1, sizeof(*n));
        n->kind = kind;
        n->left = *out;
        *out = n;
        rc = kind == BEXPR_OR
                 ? parse_chain(p, depth, "and", BEXPR_AND, &n->right)
                 : parse_not(p, depth, &n->right);
    }
    return rc;
}

static int parse_or(struct parser *p, int depth, struct bexpr **out)
{
    return parse_chain(p, depth, "or", BEXPR_OR, out);
}

int bexpr_parse(const char *text, struct bexpr **out, struct err *err)
{
    struct parser p = {text, 0, err};
    struct bexpr *b = NULL;
    size_t len = strlen(text);
    int rc;

    *out = NULL;
    if (len > BEXPR_MAX_LEN)
        return err_set(err, ERR_TOO_BIG,
                       "expression is %zu bytes, longer than the %d allowed",
                       len, BEXPR_MAX_LEN);
    rc = parse_or(&p, 0, &b);
    if (rc == 0) {
        skip_ws(&p);
        if (p.s[p.pos] != '\0')
            rc = fail_at(&p, p.pos, EXPECT_END);
    }
    if (rc != 0) {
        node_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* ------------------------------------------------------------ matching */

static const json_t *resolve(const struct bexpr *m, const json_t *doc)
{
    const json_t *v = doc;

    for (size_t i = 0; i < m->nsel && v != NULL; i++) {
        if (json_is_object(v)) {
            v = json_object_get(v, m->sel[i]);
        } else if (json_is_array(v)) {
            char *end;
            unsigned long idx = strtoul(m->sel[i], &end, 10);

            v = *end == '\0' && is_digit(m->sel[i][0]) ? json_array_get(v, idx)
                                                       : NULL;
        } else {
            v = NULL;
        }
    }
    return v;
}

static bool read_number(const char *s, double *out)
{
    char *end;

    if (*s == '\0')
        return false;
    *out = strtod(s, &end);
    return *end == '\0' && !isnan(*out);
}

/* Go's strconv.ParseBool, which go-bexpr uses on the literal. */
static int read_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(s, yes[i]) == 0)
            return 1;
        if (strcmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* -1, 0, 1 comparing v with the literal read as v's type; 2 when neither. */
static int compare(const json_t *v, const char *lit)
{
    double a, b;

    if (json_is_string(v)) {
        int c = strcmp(json_string_value(v), lit);

        return c < 0 ? -1 : c > 0;
    }
    if (json_is_number(v)) {
        if (!read_number(lit, &b))
            return 2;
        a = json_number_value(v);
        return a < b ? -1 : a > b;
    }
    if (json_is_boolean(v)) {
        int want = read_bool(lit);

        return want < 0 ? 2 : (json_is_true(v) ? 1 : 0) - want;
    }
    return 2;
}

static bool holds(const json_t *v, const char *lit)
{
    if (json_is_string(v))
        return strstr(json_string_value(v), lit) != NULL;
    if (json_is_object(v))
        return json_object_get(v, lit) != NULL;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;

        json_array_foreach(v, i, e)
        {
            if (compare(e, lit) == 0)
                return true;
        }
    }
    return false;
}

static bool is_empty(const json_t *v)
{
    if (v == NULL || json_is_null(v))
        return true;
    if (json_is_string(v))
        return json_string_length(v) == 0;
    if (json_is_array(v))
        return json_array_size(v) == 0;
    if (json_is_object(v))
        return json_object_size(v) == 0;
    return false;
}

static bool match_one(const struct bexpr *m, const json_t *doc)
{
    const json_t *v = resolve(m, doc);
    int c;

    switch (m->op) {
    case BEXPR_EMPTY:
        return is_empty(v);
    case BEXPR_NOT_EMPTY:
        return !is_empty(v);
    case BEXPR_IN:
        return v != NULL && holds(v, m->value);
    case BEXPR_NOT_IN:
        return v == NULL || !holds(v, m->value);
    case BEXPR_MATCHES:
    case BEXPR_NOT_MATCHES: {
        bool hit = json_is_string(v) &&
                   regexec(&m->re, json_string_value(v), 0, NULL, 0) == 0;

        return m->op == BEXPR_MATCHES ? hit : !hit;
    }
    default:
        break;
    }
    c = v == NULL ? 2 : compare(v, m->value);
    switch (m->op) {
    case BEXPR_EQ:
        return c == 0;
    case BEXPR_NE:
        return c != 0;
    case BEXPR_LT:
        return c == -1;
    case BEXPR_LE:
        return c == -1 || c == 0;
    case BEXPR_GT:
        return c == 1;
    case BEXPR_GE:
        return c == 1 || c == 0;
    default:
        return false;
    }
}

bool bexpr_match(const struct bexpr *b, const json_t *doc)
{
    switch (b->kind) {
    case BEXPR_AND:
        return bexpr_match(b->left, doc) && bexpr_match(b->right, doc);
    case BEXPR_OR:
        return bexpr_match(b->left, doc) || bexpr_match(b->right, doc);
    case BEXPR_NOT:
        return !bexpr_match(b->left, doc);
    case BEXPR_MATCH:
        return match_one(b, doc);
    }
    return false;
}
