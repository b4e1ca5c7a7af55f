/*
 * Service checks on the libuv loop (check_uv.h).
 *
 * A probe's life:
 *
 *   start ──▶ tcp: connecting ──connected/refused──▶ finish ──▶ closing ──▶
 * freed │              └──────timer (timeout)─────▶ finish ├──▶ http: in curl's
 * multi ──CURLMSG_DONE──▶ finish └──▶ bad spec: timer(0) ───────────────────▶
 * finish
 *
 * finish delivers the result once (unless cancelled), then closes the
 * probe's handles; the memory goes in the last close callback, so a
 * callback that fires late (connect cancelled by the close) still finds
 * its probe. http probes have CURLOPT_TIMEOUT_MS: curl ends a slow
 * transfer itself and reports CURLE_OPERATION_TIMEDOUT.
 */
#include "discovery/check_uv.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/time.h"

#define BODY_KEEP 400 /* bytes of a response body kept for the output */

struct curl_sock
{
    uv_poll_t poll; /* poll.data == this */
    curl_socket_t fd;
    struct check_uv_ctx *ctx;
    struct curl_sock *next;
};

struct check_uv_ctx
{
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* curl's timer; timer.data == this */
    struct curl_sock *socks;
    int open; /* handles not yet closed */
    bool closing;
    void (*close_cb)(void *arg);
    void *close_arg;
};

struct check_probe
{
    struct check_uv_ctx *ctx;
    check_probe_cb cb;
    void *arg;
    bool done;        /* result delivered or probe cancelled */
    int open;         /* uv handles not yet closed */
    uv_timer_t timer; /* tcp timeout, or a deferred result */
    int64_t timeout_ms;
    struct check_probe_result res;
    char target[128]; /* what the output names */
    /* tcp */
    uv_tcp_t tcp;
    uv_connect_t conn;
    bool tcp_open;
    uv_getaddrinfo_t gai; /* a name to resolve first */
    bool resolving;
    /* http */
    CURL *easy;
    struct curl_slist *headers;
    char *url;
    char *method;
    char *body;
    char reason[64];
    char resp[BODY_KEEP + 1];
    size_t resp_len;
    char errbuf[CURL_ERROR_SIZE];
};

/* ============================================================== context */

static void check_multi_info(struct check_uv_ctx *ctx);

static void ctx_handle_closed(uv_handle_t *h)
{
    struct check_uv_ctx *ctx;

    if (h->type == UV_POLL) {
        struct curl_sock *s = h->data;

        ctx = s->ctx;
        free(s);
    } else {
        ctx = h->data;
    }
    if (--ctx->open > 0 || !ctx->closing)
        return;
    if (ctx->close_cb)
        ctx->close_cb(ctx->close_arg);
    free(ctx);
    curl_global_cleanup();
}

static void sock_close(struct check_uv_ctx *ctx, struct curl_sock *s)
{
    for (struct curl_sock **pp = &ctx->socks; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, ctx_handle_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct curl_sock *s = h->data;
    struct check_uv_ctx *ctx = s->ctx;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    /* May remove (and close) s: nothing of it is used after. */
    curl_multi_socket_action(ctx->multi, s->fd, flags, &running);
    check_multi_info(ctx);
}

/* CURLMOPT_SOCKETFUNCTION: watch fd for what curl asks. */
static int on_curl_socket(CURL *easy,
                          curl_socket_t fd,
                          int what,
                          void *userp,
                          void *socketp)
{
    struct check_uv_ctx *ctx = userp;
    struct curl_sock *s = socketp;
    int events = 0;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            curl_multi_assign(ctx->multi, fd, NULL);
            sock_close(ctx, s);
        }
        return 0;
    }
    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        s->fd = fd;
        s->ctx = ctx;
        if (uv_poll_init_socket(ctx->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        ctx->open++;
        s->next = ctx->socks;
        ctx->socks = s;
        curl_multi_assign(ctx->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_curl_timeout(uv_timer_t *t)
{
    struct check_uv_ctx *ctx = t->data;
    int running;

    curl_multi_socket_action(ctx->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(ctx);
}

/* CURLMOPT_TIMERFUNCTION: one timer for all of curl's deadlines. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct check_uv_ctx *ctx = userp;

    (void)multi;
    if (ctx->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&ctx->timer);
    else
        uv_timer_start(&ctx->timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

int check_uv_ctx_new(struct uv_loop_s *loop,
                     struct check_uv_ctx **out,
                     struct err *err)
{
    struct check_uv_ctx *ctx;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set(err, ERR_INVALID, "checks: libcurl cannot start");
    ctx = xcalloc(1, sizeof(*ctx));
    ctx->loop = loop;
    ctx->multi = curl_multi_init();
    if (ctx->multi == NULL) {
        free(ctx);
        curl_global_cleanup();
        return err_set(err, ERR_INVALID, "checks: curl_multi_init failed");
    }
    curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETDATA, ctx);
    curl_multi_setopt(ctx->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(ctx->multi, CURLMOPT_TIMERDATA, ctx);
    uv_timer_init(loop, &ctx->timer);
    ctx->timer.data = ctx;
    ctx->open = 1;
    *out = ctx;
    return 0;
}

void check_uv_ctx_close(struct check_uv_ctx *ctx,
                        void (*cb)(void *arg),
                        void *arg)
{
    ctx->close_cb = cb;
    ctx->close_arg = arg;
    /* Sockets curl still holds are removed through on_curl_socket. */
    curl_multi_cleanup(ctx->multi);
    ctx->multi = NULL;
    ctx->closing = true;
    while (ctx->socks != NULL)
        sock_close(ctx, ctx->socks);
    uv_timer_stop(&ctx->timer);
    uv_close((uv_handle_t *)&ctx->timer, ctx_handle_closed);
}

/* ================================================================ probes */

static void probe_handle_closed(uv_handle_t *h)
{
    struct check_probe *p = h->data;

    if (--p->open > 0)
        return;
    free(p);
}

static void probe_release_http(struct check_probe *p)
{
    if (p->easy != NULL) {
        if (p->ctx->multi != NULL)
            curl_multi_remove_handle(p->ctx->multi, p->easy);
        curl_easy_cleanup(p->easy);
        p->easy = NULL;
    }
    curl_slist_free_all(p->headers);
    p->headers = NULL;
    free(p->url);
    free(p->method);
    free(p->body);
    p->url = p->method = p->body = NULL;
}

/* Closes what the probe holds; the last close callback frees it. */
static void probe_close(struct check_probe *p)
{
    if (p->resolving) /* best effort: its callback still runs */
        uv_cancel((uv_req_t *)&p->gai);
    probe_release_http(p);
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, probe_handle_closed);
    if (p->tcp_open)
        uv_close((uv_handle_t *)&p->tcp, probe_handle_closed);
}

static void set_result(struct check_probe *p,
                       enum check_status status,
                       const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

static void set_result(struct check_probe *p,
                       enum check_status status,
                       const char *fmt,
                       ...)
{
    va_list ap;

    p->res.status = status;
    va_start(ap, fmt);
    vsnprintf(p->res.output, sizeof(p->res.output), fmt, ap);
    va_end(ap);
}

/* Delivers the result set last, once, then lets the probe go. */
static void finish(struct check_probe *p)
{
    if (p->done)
        return;
    p->done = true;
    p->cb(p->arg, &p->res);
    probe_close(p);
}

static void deferred_result(uv_timer_t *t)
{
    finish(t->data);
}

/* A result known at start, given from the loop, never from inside start. */
static void defer(struct check_probe *p)
{
    uv_timer_start(&p->timer, deferred_result, 0, 0);
}

/* ------------------------------------------------------------------- tcp */

static void tcp_timed_out(uv_timer_t *t)
{
    struct check_probe *p = t->data;

    set_result(p, CHECK_CRITICAL, "TCP connect %s: timeout after %lldms",
               p->target, (long long)p->timeout_ms);
    finish(p);
}

static void tcp_connected(uv_connect_t *req, int status)
{
    struct check_probe *p = req->data;

    if (p->done) /* cancelled by our own close after a timeout */
        return;
    if (status == 0)
        set_result(p, CHECK_PASSING, "TCP connect %s: Success", p->target);
    else
        set_result(p, CHECK_CRITICAL, "TCP connect %s: %s", p->target,
                   uv_strerror(status));
    finish(p);
}

static int parse_addr(const char *host, int port, struct sockaddr_storage *ss)
{
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss);
}

static void tcp_connect(struct check_probe *p, const struct sockaddr *sa)
{
    int rc;

    uv_tcp_init(p->ctx->loop, &p->tcp);
    p->tcp.data = p;
    p->tcp_open = true;
    p->open++;
    p->conn.data = p;
    rc = uv_tcp_connect(&p->conn, &p->tcp, sa, tcp_connected);
    if (rc != 0) {
        set_result(p, CHECK_CRITICAL, "TCP connect %s: %s", p->target,
                   uv_strerror(rc));
        defer(p);
    }
}

/*
 * A name resolved (on libuv's thread pool): connect to its first IPv4
 * address, else its first address. The pending request holds the probe.
 */
static void tcp_resolved(uv_getaddrinfo_t *req,
                         int status,
                         struct addrinfo *res)
{
    struct check_probe *p = req->data;
    const struct addrinfo *pick = res;

    p->resolving = false;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }
    if (!p->done && (status != 0 || pick == NULL)) {
        set_result(p, CHECK_CRITICAL, "TCP connect %s: cannot resolve: %s",
                   p->target, uv_strerror(status ? status : UV_EAI_NONAME));
        finish(p);
    } else if (!p->done) {
        tcp_connect(p, pick->ai_addr);
    }
    uv_freeaddrinfo(res);
    if (--p->open == 0)
        free(p);
}

static void tcp_start(struct check_probe *p, const struct check_probe_spec *s)
{
    struct sockaddr_storage ss;
    struct addrinfo hints;
    char port[16];
    int rc;

    uv_timer_start(&p->timer, tcp_timed_out, (uint64_t)p->timeout_ms, 0);
    if (parse_addr(s->address, s->port, &ss) == 0) {
        tcp_connect(p, (const struct sockaddr *)&ss);
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%d", s->port);
    p->gai.data = p;
    rc = uv_getaddrinfo(p->ctx->loop, &p->gai, tcp_resolved, s->address, port,
                        &hints);
    if (rc != 0) {
        set_result(p, CHECK_CRITICAL, "TCP connect %s: cannot resolve: %s",
                   p->target, uv_strerror(rc));
        defer(p);
        return;
    }
    p->resolving = true;
    p->open++;
}

/* ------------------------------------------------------------------ http */

static size_t on_body(char *data, size_t size, size_t n, void *userp)
{
    struct check_probe *p = userp;
    size_t len = size * n, room = BODY_KEEP - p->resp_len;

    if (room > len)
        room = len;
    memcpy(p->resp + p->resp_len, data, room);
    p->resp_len += room;
    p->resp[p->resp_len] = '\0';
    return len;
}

/* Keeps the reason phrase of the last status line ("HTTP/1.1 200 OK"). */
static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
    struct check_probe *p = userp;
    size_t len = size * n;

    check_http_reason(data, len, p->reason, sizeof(p->reason));
    return len;
}

static void http_done(struct check_probe *p, CURLcode rc)
{
    long code = 0;

    if (rc != CURLE_OK) {
        set_result(p, CHECK_CRITICAL, "HTTP %s %s: %s", p->method, p->url,
                   p->errbuf[0] ? p->errbuf : curl_easy_strerror(rc));
        finish(p);
        return;
    }
    curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &code);
    p->res.http_code = (int)code;
    check_output_sanitize(p->resp);
    set_result(p, check_http_status(code), "HTTP %s %s: %ld %s Output: %s",
               p->method, p->url, code, p->reason, p->resp);
    finish(p);
}

static void check_multi_info(struct check_uv_ctx *ctx)
{
    CURLMsg *msg;
    int left;

    while (ctx->multi != NULL &&
           (msg = curl_multi_info_read(ctx->multi, &left)) != NULL) {
        struct check_probe *p = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
        if (p != NULL)
            http_done(p, msg->data.result);
    }
}

static void header_lines(const struct check_header *h,
                         size_t n,
                         struct curl_slist **out)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < h[i].values.n; k++) {
            char *line = xasprintf("%s: %s", h[i].name, h[i].values.items[k]);

            *out = curl_slist_append(*out, line);
            free(line);
        }
    }
}

static void http_start(struct check_probe *p, const struct check_probe_spec *s)
{
    const char *proto = s->protocol && s->protocol[0] ? s->protocol : "http";
    const char *path = s->path && s->path[0] ? s->path : "/";
    bool v6 = strchr(s->address, ':') != NULL;
    CURL *e;

    p->method = xstrdup(s->method && s->method[0] ? s->method : "GET");
    p->url = xasprintf("%s://%s%s%s:%d%s%s", proto, v6 ? "[" : "", s->address,
                       v6 ? "]" : "", s->port, path[0] == '/' ? "" : "/", path);
    e = p->easy = curl_easy_init();
    if (e == NULL) {
        set_result(p, CHECK_CRITICAL, "HTTP %s %s: curl_easy_init failed",
                   p->method, p->url);
        defer(p);
        return;
    }
    header_lines(s->headers, s->nheaders, &p->headers);
    curl_easy_setopt(e, CURLOPT_URL, p->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, p);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L); /* each probe connects */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, p);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, p);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "Caravan Health Check");
    if (s->body != NULL && s->body[0] != '\0') {
        p->body = xstrdup(s->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, p->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(p->body));
    }
    if (strcmp(p->method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(p->method, "GET") != 0 || p->body != NULL)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, p->method);
    if (p->headers != NULL)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers);
    if (s->tls_skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (curl_multi_add_handle(p->ctx->multi, e) != CURLM_OK) {
        set_result(p, CHECK_CRITICAL, "HTTP %s %s: cannot start the request",
                   p->method, p->url);
        defer(p);
    }
}

struct check_probe *check_probe_start(struct check_uv_ctx *ctx,
                                      const struct check_probe_spec *spec,
                                      check_probe_cb cb,
                                      void *arg)
{
    struct check_probe *p = xcalloc(1, sizeof(*p));
    const char *type = spec->type ? spec->type : "";
    const char *addr = spec->address ? spec->address : "";
    struct check_probe_spec s = *spec;

    p->ctx = ctx;
    p->cb = cb;
    p->arg = arg;
    p->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : 1;
    uv_timer_init(ctx->loop, &p->timer);
    p->timer.data = p;
    p->open = 1;
    snprintf(p->target, sizeof(p->target), "%s%s%s:%d",
             strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "",
             spec->port);
    s.address = addr;
    if (strcmp(type, "tcp") == 0) {
        tcp_start(p, &s);
    } else if (strcmp(type, "http") == 0) {
        http_start(p, &s);
    } else {
        set_result(p, CHECK_CRITICAL, "check type \"%s\" is not supported",
                   type);
        defer(p);
    }
    return p;
}

void check_probe_cancel(struct check_probe *p)
{
    if (p->done)
        return;
    p->done = true;
    probe_close(p);
}

/* ================================================================ checks */

struct check_uv
{
    struct check_uv_ctx *ctx;
    uv_timer_t timer; /* the next run; timer.data == this */
    struct check_state st;
    struct check_probe *probe; /* in flight, or NULL */
    check_uv_cb cb;
    void *arg;
    bool stopped;
    /* The spec's own copies. */
    struct check_probe_spec spec;
    char *type, *address, *protocol, *path, *method, *body;
    struct check_header *headers;
};

static void run_probe(uv_timer_t *t);

static void schedule(struct check_uv *c)
{
    int64_t now = (int64_t)uv_now(c->ctx->loop);
    int64_t delay = c->st.next_run_ms - now;

    uv_timer_start(&c->timer, run_probe, (uint64_t)(delay > 0 ? delay : 0), 0);
}

static void probe_done(void *arg, const struct check_probe_result *r)
{
    struct check_uv *c = arg;
    struct check_step step;
    struct check_uv_event ev;

    c->probe = NULL;
    uv_update_time(c->ctx->loop);
    step = check_state_result(&c->st, r->status, (int64_t)uv_now(c->ctx->loop));
    ev.status = c->st.status;
    ev.changed = step.changed;
    ev.restart = step.restart;
    ev.output = r->output;
    ev.http_code = r->http_code;
    ev.checked_unix_ms = time_wall_unix_ms();
    c->cb(c->arg, c, &ev);
    if (c->stopped) /* the callback stopped it */
        return;
    schedule(c);
}

static void run_probe(uv_timer_t *t)
{
    struct check_uv *c = t->data;

    c->probe = check_probe_start(c->ctx, &c->spec, probe_done, c);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

struct check_uv *check_uv_start(struct check_uv_ctx *ctx,
                                const struct check_probe_spec *spec,
                                const struct check_config *cfg,
                                check_uv_cb cb,
                                void *arg)
{
    struct check_uv *c = xcalloc(1, sizeof(*c));

    c->ctx = ctx;
    c->cb = cb;
    c->arg = arg;
    c->spec = *spec;
    c->spec.type = c->type = dup_or_null(spec->type);
    c->spec.address = c->address = dup_or_null(spec->address);
    c->spec.protocol = c->protocol = dup_or_null(spec->protocol);
    c->spec.path = c->path = dup_or_null(spec->path);
    c->spec.method = c->method = dup_or_null(spec->method);
    c->spec.body = c->body = dup_or_null(spec->body);
    c->spec.timeout_ms = cfg->timeout_ms;
    c->headers = xcalloc(spec->nheaders + 1, sizeof(*c->headers));
    for (size_t i = 0; i < spec->nheaders; i++) {
        c->headers[i].name = xstrdup(spec->headers[i].name);
        strlist_init(&c->headers[i].values);
        for (size_t k = 0; k < spec->headers[i].values.n; k++)
            strlist_push(&c->headers[i].values,
                         spec->headers[i].values.items[k]);
    }
    c->spec.headers = c->headers;
    uv_timer_init(ctx->loop, &c->timer);
    c->timer.data = c;
    check_state_init(&c->st, cfg, (int64_t)uv_now(ctx->loop));
    schedule(c);
    return c;
}

static void check_closed(uv_handle_t *h)
{
    struct check_uv *c = h->data;

    free(c->type);
    free(c->address);
    free(c->protocol);
    free(c->path);
    free(c->method);
    free(c->body);
    for (size_t i = 0; i < c->spec.nheaders; i++) {
        free(c->headers[i].name);
        strlist_release(&c->headers[i].values);
    }
    free(c->headers);
    free(c);
}

void check_uv_stop(struct check_uv *c)
{
    if (c->stopped)
        return;
    c->stopped = true;
    if (c->probe != NULL)
        check_probe_cancel(c->probe);
    c->probe = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, check_closed);
}

const struct check_state *check_uv_state(const struct check_uv *c)
{
    return &c->st;
}
