/*
 * The route table, URL decoding and the request accessors.
 *
 * Paths are matched segment by segment on the raw request-target, each
 * segment percent-decoded on its own, so a job ID sent as "a%2Fb" reaches
 * its ":id" parameter as "a/b" instead of being split in two (Go's mux
 * compares RawPath the same way).
 */
#include "agent/http/httpd_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "lib/assert.h"
#include "lib/err.h"

/* ------------------------------------------------------------ pairs */

void httpd__kvs_add(struct httpd__kvs *kvs, const char *name, const char *value)
{
    XGROW(kvs->items, kvs->cap, kvs->n + 1);
    kvs->items[kvs->n].name = xstrdup(name);
    kvs->items[kvs->n].value = xstrdup(value);
    kvs->n++;
}

void httpd__kvs_release(struct httpd__kvs *kvs)
{
    for (size_t i = 0; i < kvs->n; i++) {
        free(kvs->items[i].name);
        free(kvs->items[i].value);
    }
    free(kvs->items);
    kvs->items = NULL;
    kvs->n = kvs->cap = 0;
}

static const char *kvs_get(const struct httpd__kvs *kvs,
                           const char *name,
                           size_t nth,
                           bool nocase)
{
    for (size_t i = 0; i < kvs->n; i++) {
        const char *k = kvs->items[i].name;
        bool eq = nocase ? strcasecmp(k, name) == 0 : strcmp(k, name) == 0;

        if (eq && nth-- == 0)
            return kvs->items[i].value;
    }
    return NULL;
}

/* ------------------------------------------------------------ decoding */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int httpd__pct_decode(const char *s, size_t len, bool plus_is_space, char **out)
{
    char *d = xmalloc(len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        int hi;
        int lo;

        if (s[i] == '+' && plus_is_space) {
            d[n++] = ' ';
            continue;
        }
        if (s[i] != '%') {
            d[n++] = s[i];
            continue;
        }
        hi = i + 2 < len ? hexval(s[i + 1]) : -1;
        lo = i + 2 < len ? hexval(s[i + 2]) : -1;
        /* NUL would silently cut every C string made from this one. */
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(d);
            return ERR_MALFORMED;
        }
        d[n++] = (char)(hi * 16 + lo);
        i += 2;
    }
    d[n] = '\0';
    *out = d;
    return 0;
}

/* Adds one "name=value" pair; a malformed pair is dropped, as Go does. */
static void query_add_pair(struct httpd_req *req, const char *s, size_t len)
{
    const char *eq = memchr(s, '=', len);
    size_t nlen = eq != NULL ? (size_t)(eq - s) : len;
    char *name = NULL;
    char *value = NULL;

    if (httpd__pct_decode(s, nlen, true, &name) != 0)
        goto out;
    if (eq != NULL &&
        httpd__pct_decode(eq + 1, len - nlen - 1, true, &value) != 0)
        goto out;
    httpd__kvs_add(&req->query, name, value != NULL ? value : "");
out:
    free(value);
    free(name);
}

static void query_parse(struct httpd_req *req, const char *q, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && q[i] != '&')
            continue;
        if (i > start)
            query_add_pair(req, q + start, i - start);
        start = i + 1;
    }
}

static int path_parse(struct httpd_req *req, const char *p, size_t len)
{
    struct buf path = BUF_INIT;
    size_t cap = 0;
    size_t start = 1;
    int rc = 0;

    /* The leading "/" opens the first segment; "/" alone is one "" seg. */
    for (size_t i = 1; i <= len; i++) {
        char *seg;

        if (i < len && p[i] != '/')
            continue;
        rc = httpd__pct_decode(p + start, i - start, false, &seg);
        if (rc != 0)
            break;
        XGROW(req->segs, cap, req->nsegs + 1);
        req->segs[req->nsegs++] = seg;
        buf_putc(&path, '/');
        buf_puts(&path, seg);
        start = i + 1;
    }
    if (rc == 0)
        req->path = buf_detach(&path);
    buf_release(&path);
    return rc;
}

int httpd__req_parse_url(struct httpd_req *req, struct err *err)
{
    struct http_parser_url u;
    const char *url = buf_str(&req->url);

    http_parser_url_init(&u);
    if (http_parser_parse_url(url, req->url.len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)))
        return err_set(err, ERR_MALFORMED, "malformed request URL");
    if (url[u.field_data[UF_PATH].off] != '/')
        return err_set(err, ERR_MALFORMED, "malformed request URL");
    if (path_parse(req, url + u.field_data[UF_PATH].off,
                   u.field_data[UF_PATH].len) != 0)
        return err_set(err, ERR_MALFORMED, "invalid URL escape in path");
    if (u.field_set & (1 << UF_QUERY))
        query_parse(req, url + u.field_data[UF_QUERY].off,
                    u.field_data[UF_QUERY].len);
    return 0;
}

/* ------------------------------------------------------------ routes */

void httpd__router_init(struct httpd__router *r)
{
    r->routes = NULL;
    r->n = r->cap = 0;
}

static void route_release(struct httpd__route *rt)
{
    for (size_t i = 0; rt->methods != NULL && rt->methods[i] != NULL; i++)
        free(rt->methods[i]);
    free(rt->methods);
    for (size_t i = 0; i < rt->nsegs; i++)
        free(rt->segs[i].text);
    free(rt->segs);
}

void httpd__router_release(struct httpd__router *r)
{
    for (size_t i = 0; i < r->n; i++)
        route_release(&r->routes[i]);
    free(r->routes);
    httpd__router_init(r);
}

static int parse_methods(struct httpd__route *rt, const char *s, size_t len)
{
    size_t cap = 0;
    size_t n = 0;
    size_t start = 0;

    if (len == 1 && s[0] == '*')
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != '|')
            continue;
        if (i == start)
            return ERR_INVALID;
        for (size_t j = start; j < i; j++) {
            if (s[j] < 'A' || s[j] > 'Z')
                return ERR_INVALID;
        }
        XGROW(rt->methods, cap, n + 2);
        rt->methods[n++] = xstrndup(s + start, i - start);
        rt->methods[n] = NULL;
        start = i + 1;
    }
    return 0;
}

static int parse_seg(struct httpd__route *rt, const char *s, size_t len)
{
    struct httpd__seg *seg = &rt->segs[rt->nsegs];

    if (len == 1 && s[0] == '*') {
        seg->kind = HTTPD__SEG_WILDCARD;
        seg->text = xstrdup("*");
    } else if (len > 0 && s[0] == ':') {
        if (len == 1)
            return ERR_INVALID;
        seg->kind = HTTPD__SEG_PARAM;
        seg->text = xstrndup(s + 1, len - 1);
    } else {
        if (memchr(s, '*', len) != NULL || memchr(s, '%', len) != NULL)
            return ERR_INVALID;
        seg->kind = HTTPD__SEG_LITERAL;
        seg->text = xstrndup(s, len);
    }
    rt->nsegs++;
    return 0;
}

static int parse_pattern(struct httpd__route *rt, const char *p)
{
    size_t len = strlen(p);
    size_t cap = 0;
    size_t start = 1;
    int rc;

    if (len == 0 || p[0] != '/' || strchr(p, ' ') != NULL)
        return ERR_INVALID;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && p[i] != '/')
            continue;
        /* Only the last segment may be the wildcard. */
        if (rt->nsegs > 0 &&
            rt->segs[rt->nsegs - 1].kind == HTTPD__SEG_WILDCARD)
            return ERR_INVALID;
        XGROW(rt->segs, cap, rt->nsegs + 1);
        rc = parse_seg(rt, p + start, i - start);
        if (rc != 0)
            return rc;
        start = i + 1;
    }
    return 0;
}

int httpd__router_add(struct httpd__router *r,
                      const char *spec,
                      httpd_handler_cb handler,
                      void *arg,
                      struct err *err)
{
    struct httpd__route rt = {0};
    const char *sp = strchr(spec, ' ');
    int rc;

    if (sp == NULL || sp == spec)
        return err_set(err, ERR_INVALID, "route \"%s\": want \"METHOD /path\"",
                       spec);
    rc = parse_methods(&rt, spec, (size_t)(sp - spec));
    if (rc == 0)
        rc = parse_pattern(&rt, sp + 1);
    if (rc != 0) {
        route_release(&rt);
        return err_set(err, ERR_INVALID, "route \"%s\": malformed", spec);
    }
    rt.handler = handler;
    rt.arg = arg;
    XGROW(r->routes, r->cap, r->n + 1);
    r->routes[r->n++] = rt;
    return 0;
}

static bool path_fits(const struct httpd__route *rt,
                      const struct httpd_req *req)
{
    size_t i;

    for (i = 0; i < rt->nsegs; i++) {
        const struct httpd__seg *seg = &rt->segs[i];

        if (i >= req->nsegs)
            return false;
        if (seg->kind == HTTPD__SEG_WILDCARD)
            return true; /* takes "/ui/" and "/ui/a/b" alike */
        if (seg->kind == HTTPD__SEG_PARAM && req->segs[i][0] == '\0')
            return false;
        if (seg->kind == HTTPD__SEG_LITERAL &&
            strcmp(seg->text, req->segs[i]) != 0)
            return false;
    }
    return i == req->nsegs;
}

static bool method_fits(const struct httpd__route *rt, const char *method)
{
    if (rt->methods == NULL)
        return true;
    for (size_t i = 0; rt->methods[i] != NULL; i++) {
        if (strcmp(rt->methods[i], method) == 0)
            return true;
    }
    return false;
}

/* True when a is more specific than b: compare kinds, leftmost first. */
static bool route_beats(const struct httpd__route *a,
                        const struct httpd__route *b)
{
    for (size_t i = 0; i < a->nsegs && i < b->nsegs; i++) {
        if (a->segs[i].kind != b->segs[i].kind)
            return a->segs[i].kind < b->segs[i].kind;
    }
    return false;
}

/* Whether the ", "-separated list already names method m. */
static bool allow_has(const struct buf *allow, const char *m)
{
    const char *p = buf_str(allow);
    size_t mlen = strlen(m);

    while (*p != '\0') {
        size_t n = strcspn(p, ",");

        if (n == mlen && strncmp(p, m, n) == 0)
            return true;
        p += n;
        p += strspn(p, ", ");
    }
    return false;
}

static void allow_add(struct buf *allow, const struct httpd__route *rt)
{
    for (size_t i = 0; rt->methods[i] != NULL; i++) {
        const char *m = rt->methods[i];

        if (allow_has(allow, m))
            continue;
        if (allow->len > 0)
            buf_puts(allow, ", ");
        buf_puts(allow, m);
    }
}

static void fill_params(const struct httpd__route *rt, struct httpd_req *req)
{
    for (size_t i = 0; i < rt->nsegs; i++) {
        const struct httpd__seg *seg = &rt->segs[i];
        struct buf rest = BUF_INIT;

        if (seg->kind == HTTPD__SEG_PARAM) {
            httpd__kvs_add(&req->params, seg->text, req->segs[i]);
        } else if (seg->kind == HTTPD__SEG_WILDCARD) {
            for (size_t j = i; j < req->nsegs; j++) {
                if (j > i)
                    buf_putc(&rest, '/');
                buf_puts(&rest, req->segs[j]);
            }
            httpd__kvs_add(&req->params, "*", buf_str(&rest));
            buf_release(&rest);
        }
    }
}

enum httpd__match httpd__router_match(const struct httpd__router *r,
                                      struct httpd_req *req,
                                      const struct httpd__route **route,
                                      struct buf *allow)
{
    const struct httpd__route *best = NULL;
    bool path_known = false;

    for (size_t i = 0; i < r->n; i++) {
        const struct httpd__route *rt = &r->routes[i];

        if (!path_fits(rt, req))
            continue;
        path_known = true;
        if (!method_fits(rt, req->method)) {
            allow_add(allow, rt);
            continue;
        }
        if (best == NULL || route_beats(rt, best))
            best = rt;
    }
    if (best == NULL)
        return path_known ? HTTPD__MATCH_NO_METHOD : HTTPD__MATCH_NO_PATH;
    fill_params(best, req);
    *route = best;
    return HTTPD__MATCH_OK;
}

/* ------------------------------------------------------------ requests */

struct httpd_req *httpd__req_new(struct httpd__conn *conn)
{
    struct httpd_req *req = xcalloc(1, sizeof(*req));

    req->conn = conn;
    req->state = HTTPD__REQ_PARSING;
    req->method = "";
    return req;
}

void httpd__req_free(struct httpd_req *req)
{
    if (req == NULL)
        return;
    buf_release(&req->url);
    free(req->path);
    for (size_t i = 0; i < req->nsegs; i++)
        free(req->segs[i]);
    free(req->segs);
    httpd__kvs_release(&req->query);
    httpd__kvs_release(&req->params);
    httpd__kvs_release(&req->headers);
    httpd__kvs_release(&req->resp_headers);
    buf_release(&req->body);
    free(req);
}

const char *httpd_req_method(const struct httpd_req *req)
{
    return req->method;
}

const char *httpd_req_path(const struct httpd_req *req)
{
    return req->path != NULL ? req->path : "";
}

const char *httpd_req_url(const struct httpd_req *req)
{
    return buf_str(&req->url);
}

const char *httpd_req_param(const struct httpd_req *req, const char *name)
{
    return kvs_get(&req->params, name, 0, false);
}

const char *httpd_query_get(const struct httpd_req *req, const char *name)
{
    return kvs_get(&req->query, name, 0, false);
}

const char *httpd_query_get_nth(const struct httpd_req *req,
                                const char *name,
                                size_t n)
{
    return kvs_get(&req->query, name, n, false);
}

const char *httpd_header_get(const struct httpd_req *req, const char *name)
{
    return kvs_get(&req->headers, name, 0, true);
}

const char *httpd_req_body(const struct httpd_req *req, size_t *len)
{
    if (len != NULL)
        *len = req->body.len;
    return buf_str(&req->body);
}

uv_loop_t *httpd_req_loop(const struct httpd_req *req)
{
    assert(req->conn != NULL);
    return req->conn->srv->loop;
}

bool httpd_req_pretty(const struct httpd_req *req)
{
    const char *v = httpd_query_get(req, "pretty");

    return v != NULL && strcmp(v, "0") != 0;
}

const char *httpd_req_namespace(const struct httpd_req *req)
{
    const char *ns = httpd_query_get(req, "namespace");

    return ns != NULL && ns[0] != '\0' ? ns : "default";
}

const char *httpd_req_token(const struct httpd_req *req)
{
    const char *t = httpd_header_get(req, "X-Nomad-Token");

    if (t != NULL && t[0] != '\0')
        return t;
    t = httpd_header_get(req, "Authorization");
    if (t != NULL && strncasecmp(t, "Bearer ", 7) == 0 && t[7] != '\0')
        return t + 7;
    return NULL;
}

void httpd_req_on_abort(struct httpd_req *req, httpd_abort_cb cb, void *arg)
{
    req->abort_cb = cb;
    req->abort_arg = arg;
}
