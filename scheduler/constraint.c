/*
 * Constraint matching (see constraint.h). Version rules follow
 * hashicorp/go-version, which Nomad's "version" operand uses; regular
 * expressions use POSIX extended syntax with the Perl classes \d \w \s
 * (and their negations) translated, which covers what jobspecs write.
 */
#include "scheduler/constraint.h"

#include <ctype.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/model/job.h"
#include "lib/model/node.h"

/* ============================================================ regex cache */

struct regex_entry
{
    char *pattern;
    regex_t re;
    bool ok;
};

struct constraint_cache
{
    struct regex_entry *items;
    size_t n, cap;
};

struct constraint_cache *constraint_cache_new(void)
{
    return xcalloc(1, sizeof(struct constraint_cache));
}

void constraint_cache_free(struct constraint_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++) {
        if (c->items[i].ok)
            regfree(&c->items[i].re);
        free(c->items[i].pattern);
    }
    free(c->items);
    free(c);
}

/* Rewrites the Perl classes Go's RE2 has and POSIX ERE lacks. */
static void translate_regex(const char *in, struct buf *out)
{
    for (const char *p = in; *p; p++) {
        if (p[0] == '\\' && p[1] != '\0') {
            const char *cls = NULL;

            switch (p[1]) {
            case 'd':
                cls = "[0-9]";
                break;
            case 'D':
                cls = "[^0-9]";
                break;
            case 'w':
                cls = "[A-Za-z0-9_]";
                break;
            case 'W':
                cls = "[^A-Za-z0-9_]";
                break;
            case 's':
                cls = "[[:space:]]";
                break;
            case 'S':
                cls = "[^[:space:]]";
                break;
            default:
                break;
            }
            if (cls != NULL) {
                buf_puts(out, cls);
                p++;
                continue;
            }
            buf_putc(out, p[0]);
            buf_putc(out, p[1]);
            p++;
            continue;
        }
        buf_putc(out, *p);
    }
}

static const regex_t *cached_regex(struct constraint_cache *c,
                                   const char *pattern,
                                   regex_t *scratch,
                                   bool *scratch_used)
{
    struct buf ere = BUF_INIT;
    struct regex_entry *e;

    *scratch_used = false;
    for (size_t i = 0; c != NULL && i < c->n; i++) {
        if (strcmp(c->items[i].pattern, pattern) == 0)
            return c->items[i].ok ? &c->items[i].re : NULL;
    }
    translate_regex(pattern, &ere);
    if (c == NULL) {
        int rc = regcomp(scratch, buf_str(&ere), REG_EXTENDED | REG_NOSUB);

        buf_release(&ere);
        *scratch_used = rc == 0;
        return rc == 0 ? scratch : NULL;
    }
    XGROW(c->items, c->cap, c->n + 1);
    e = &c->items[c->n++];
    e->pattern = xstrdup(pattern);
    e->ok = regcomp(&e->re, buf_str(&ere), REG_EXTENDED | REG_NOSUB) == 0;
    buf_release(&ere);
    return e->ok ? &e->re : NULL;
}

static bool regex_match(struct constraint_cache *c,
                        const char *value,
                        const char *pattern)
{
    regex_t scratch;
    bool used;
    const regex_t *re = cached_regex(c, pattern, &scratch, &used);
    bool match = re != NULL && regexec(re, value, 0, NULL, 0) == 0;

    if (used)
        regfree(&scratch);
    return match;
}

/* ============================================================ targets */

bool constraint_resolve(const struct node *node,
                        const char *target,
                        const char **out)
{
    size_t len;
    const char *name;

    if (target == NULL) {
        *out = NULL;
        return false;
    }
    len = strlen(target);
    if (len < 3 || strncmp(target, "${", 2) != 0 || target[len - 1] != '}') {
        *out = target;
        return true;
    }
    *out = NULL;
    /* Inner text without "${" and "}", compared in place. */
    name = target + 2;
    len -= 3;
#define IS(lit) (len == sizeof(lit) - 1 && strncmp(name, lit, len) == 0)
    if (IS("node.unique.id"))
        *out = node->id;
    else if (IS("node.unique.name"))
        *out = node->name;
    else if (IS("node.datacenter"))
        *out = node->datacenter;
    else if (IS("node.class"))
        *out = node->node_class;
    else if (IS("node.pool"))
        *out = node->node_pool;
#undef IS
    else if (len > 5 && strncmp(name, "attr.", 5) == 0) {
        char *key = xstrndup(name + 5, len - 5);

        *out = strmap_get(&node->attributes, key);
        free(key);
    } else if (len > 5 && strncmp(name, "meta.", 5) == 0) {
        char *key = xstrndup(name + 5, len - 5);

        *out = strmap_get(&node->meta, key);
        free(key);
    }
    return *out != NULL;
}

/* ============================================================ ordering */

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (*s == '\0')
        return false;
    v = strtoll(s, &end, 10);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_f64(const char *s, double *out)
{
    char *end;

    if (*s == '\0')
        return false;
    *out = strtod(s, &end);
    return *end == '\0';
}

/* Numbers compare as numbers, anything else lexically (Nomad checkOrder). */
static bool check_order(const char *op, const char *l, const char *r)
{
    int cmp;
    int64_t li, ri;
    double lf, rf;

    if (parse_i64(l, &li) && parse_i64(r, &ri))
        cmp = li < ri ? -1 : li > ri;
    else if (parse_f64(l, &lf) && parse_f64(r, &rf))
        cmp = lf < rf ? -1 : lf > rf;
    else
        cmp = strcmp(l, r) < 0 ? -1 : strcmp(l, r) > 0;
    if (strcmp(op, "<") == 0)
        return cmp < 0;
    if (strcmp(op, "<=") == 0)
        return cmp <= 0;
    if (strcmp(op, ">") == 0)
        return cmp > 0;
    return cmp >= 0;
}

/* ============================================================ sets */

/* Copies the trimmed item [p, p+len) into a NUL-terminated buffer. */
static void trimmed(const char *p, size_t len, struct buf *out)
{
    while (len > 0 && isspace((unsigned char)*p)) {
        p++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)p[len - 1]))
        len--;
    buf_reset(out);
    buf_append(out, p, len);
}

static bool set_has(const char *set, const char *item)
{
    struct buf one = BUF_INIT;
    bool found = false;
    const char *p = set;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);

        trimmed(p, len, &one);
        if (strcmp(buf_str(&one), item) == 0) {
            found = true;
            break;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    buf_release(&one);
    return found;
}

static bool set_contains(const char *lset, const char *rset, bool any)
{
    struct buf one = BUF_INIT;
    const char *p = rset;
    bool all = true, some = false;

    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        bool has;

        trimmed(p, len, &one);
        has = set_has(lset, buf_str(&one));
        all = all && has;
        some = some || has;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    buf_release(&one);
    return any ? some : all;
}

/* ============================================================ versions */

#define VERSION_MAX_SEGMENTS 8

struct version
{
    int64_t seg[VERSION_MAX_SEGMENTS];
    int nseg;     /* as written, before padding */
    char pre[64]; /* pre-release, "" when none */
};

static bool is_pre_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '~';
}

/* Parses "v1.2.3-beta.1+meta" as go-version does. */
static bool version_parse(const char *s, struct version *v)
{
    const char *p = s;
    size_t n = 0;

    memset(v, 0, sizeof(*v));
    while (isspace((unsigned char)*p))
        p++;
    if (*p == 'v')
        p++;
    for (;;) {
        int64_t x = 0;

        if (!isdigit((unsigned char)*p) || v->nseg == VERSION_MAX_SEGMENTS)
            return false;
        while (isdigit((unsigned char)*p)) {
            if (x > (INT64_MAX - 9) / 10)
                return false;
            x = x * 10 + (*p++ - '0');
        }
        v->seg[v->nseg++] = x;
        if (*p != '.')
            break;
        p++;
    }
    if (*p == '-' || isalpha((unsigned char)*p)) {
        if (*p == '-')
            p++;
        while (is_pre_char(*p) && n + 1 < sizeof(v->pre))
            v->pre[n++] = *p++;
        if (n == 0)
            return false;
    }
    if (*p == '+') {
        p++;
        while (is_pre_char(*p))
            p++;
    }
    while (isspace((unsigned char)*p))
        p++;
    return *p == '\0';
}

/* Compares dot-separated pre-release identifiers (semver §11). */
static int pre_compare(const char *a, const char *b)
{
    if (*a == '\0' || *b == '\0')
        return (*a == '\0') - (*b == '\0'); /* release > pre-release */
    while (*a != '\0' || *b != '\0') {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        bool na = la > 0 && strspn(a, "0123456789") >= la;
        bool nb = lb > 0 && strspn(b, "0123456789") >= lb;
        int cmp;

        if (*a == '\0')
            return -1;
        if (*b == '\0')
            return 1;
        if (na && nb) {
            int64_t x = strtoll(a, NULL, 10), y = strtoll(b, NULL, 10);

            cmp = x < y ? -1 : x > y;
        } else if (na != nb) {
            cmp = na ? -1 : 1;
        } else {
            cmp = strncmp(a, b, la < lb ? la : lb);
            if (cmp == 0)
                cmp = la < lb ? -1 : la > lb;
            cmp = cmp < 0 ? -1 : cmp > 0;
        }
        if (cmp != 0)
            return cmp;
        a += la + (a[la] == '.');
        b += lb + (b[lb] == '.');
    }
    return 0;
}

static int version_cmp(const struct version *a, const struct version *b)
{
    int n = a->nseg > b->nseg ? a->nseg : b->nseg;

    /* Missing segments count as zero: 1.2 == 1.2.0. */
    for (int i = 0; i < n; i++) {
        int64_t x = i < a->nseg ? a->seg[i] : 0;
        int64_t y = i < b->nseg ? b->seg[i] : 0;

        if (x != y)
            return x < y ? -1 : 1;
    }
    return pre_compare(a->pre, b->pre);
}

bool constraint_version_compare(const char *a, const char *b, int *cmp)
{
    struct version va, vb;

    if (!version_parse(a, &va) || !version_parse(b, &vb))
        return false;
    *cmp = version_cmp(&va, &vb);
    return true;
}

static bool same_segments(const struct version *a, const struct version *b)
{
    int n = a->nseg > b->nseg ? a->nseg : b->nseg;

    for (int i = 0; i < n; i++) {
        if ((i < a->nseg ? a->seg[i] : 0) != (i < b->nseg ? b->seg[i] : 0))
            return false;
    }
    return true;
}

/* go-version's prereleaseCheck: pre-releases only match their own base. */
static bool prerelease_ok(const struct version *v, const struct version *c)
{
    bool vpre = v->pre[0] != '\0', cpre = c->pre[0] != '\0';

    if (cpre && vpre)
        return same_segments(v, c);
    return !(vpre && !cpre);
}

/* "~> 1.2.3" means >= 1.2.3 and < 1.3; "~> 1.2" means >= 1.2 and < 2. */
static bool pessimistic_ok(const struct version *v, const struct version *c)
{
    int keep = c->nseg > 1 ? c->nseg - 1 : 1;

    if (version_cmp(v, c) < 0)
        return false;
    for (int i = 0; i < keep; i++) {
        if ((i < v->nseg ? v->seg[i] : 0) != c->seg[i])
            return false;
    }
    return true;
}

static bool one_constraint(const struct version *v,
                           const char *text,
                           bool strict)
{
    static const char *const ops[] = {"~>", ">=", "<=", "!=", ">", "<", "="};
    const char *op = "=";
    struct version c;
    int cmp;

    while (isspace((unsigned char)*text))
        text++;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strncmp(text, ops[i], strlen(ops[i])) == 0) {
            op = ops[i];
            text += strlen(ops[i]);
            break;
        }
    }
    if (!version_parse(text, &c) || (strict && c.nseg > 3))
        return false;
    cmp = version_cmp(v, &c);
    if (strcmp(op, "=") == 0)
        return cmp == 0;
    if (strcmp(op, "!=") == 0)
        return cmp != 0;
    if (!prerelease_ok(v, &c))
        return false;
    if (strcmp(op, "~>") == 0)
        return pessimistic_ok(v, &c);
    if (strcmp(op, ">") == 0)
        return cmp > 0;
    if (strcmp(op, "<") == 0)
        return cmp < 0;
    if (strcmp(op, ">=") == 0)
        return cmp >= 0;
    return cmp <= 0;
}

bool constraint_version_match(const char *version,
                              const char *constraints,
                              bool strict_semver)
{
    struct version v;
    struct buf one = BUF_INIT;
    const char *p = constraints;
    bool ok = true;

    if (!version_parse(version, &v) || (strict_semver && v.nseg > 3))
        return false;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);

        trimmed(p, len, &one);
        if (!one_constraint(&v, buf_str(&one), strict_semver)) {
            ok = false;
            break;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    buf_release(&one);
    return ok;
}

/* ============================================================ operands */

bool constraint_check(struct constraint_cache *cache,
                      const char *operand,
                      const char *lval,
                      bool lfound,
                      const char *rval,
                      bool rfound)
{
    const char *op = operand && *operand ? operand : "=";
    bool both = lfound && rfound && lval != NULL && rval != NULL;

    if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0 || strcmp(op, "is") == 0)
        return both && strcmp(lval, rval) == 0;
    if (strcmp(op, "!=") == 0 || strcmp(op, "not") == 0)
        return !both || strcmp(lval, rval) != 0;
    if (strcmp(op, "<") == 0 || strcmp(op, "<=") == 0 || strcmp(op, ">") == 0 ||
        strcmp(op, ">=") == 0)
        return both && check_order(op, lval, rval);
    if (strcmp(op, "is_set") == 0)
        return lfound;
    if (strcmp(op, "is_not_set") == 0)
        return !lfound;
    if (strcmp(op, "version") == 0)
        return both && constraint_version_match(lval, rval, false);
    if (strcmp(op, "semver") == 0)
        return both && constraint_version_match(lval, rval, true);
    if (strcmp(op, "regexp") == 0)
        return both && regex_match(cache, lval, rval);
    if (strcmp(op, "set_contains") == 0 || strcmp(op, "set_contains_all") == 0)
        return both && set_contains(lval, rval, false);
    if (strcmp(op, "set_contains_any") == 0)
        return both && set_contains(lval, rval, true);
    return false;
}

bool constraint_node_ok(struct constraint_cache *cache,
                        const struct node *node,
                        const struct constraint *c)
{
    const char *l = NULL, *r = NULL;
    bool lfound, rfound;

    if (c->operand != NULL && (strcmp(c->operand, "distinct_hosts") == 0 ||
                               strcmp(c->operand, "distinct_property") == 0))
        return true;
    lfound = constraint_resolve(node, c->ltarget, &l);
    rfound = constraint_resolve(node, c->rtarget, &r);
    return constraint_check(cache, c->operand, l, lfound, r, rfound);
}
