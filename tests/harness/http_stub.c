/* The tests' HTTP server (http_stub.h). */
#include "tests/harness/http_stub.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"

struct http_stub_conn
{
    uv_tcp_t tcp; /* tcp.data == this */
    struct http_stub *srv;
    char req[4096];
    size_t len;
    bool answered;
    struct http_stub_conn *next;
};

static void conn_closed(uv_handle_t *h)
{
    struct http_stub_conn *c = h->data;
    struct http_stub *s = c->srv;

    for (struct http_stub_conn **pp = &s->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    s->open_conns--;
    s->closed_conns++;
    free(c);
}

static void conn_close(struct http_stub_conn *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, conn_closed);
}

struct wreq
{
    uv_write_t w;
    char buf[8192];
    struct http_stub_conn *c;
};

static void written(uv_write_t *w, int status)
{
    struct wreq *r = (struct wreq *)w;

    (void)status;
    conn_close(r->c);
    free(r);
}

static void answer(struct http_stub_conn *c,
                   int code,
                   const char *reason,
                   const char *body)
{
    struct wreq *r = xcalloc(1, sizeof(*r));
    uv_buf_t b;

    snprintf(r->buf, sizeof(r->buf),
             "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\nConnection: close"
             "\r\n\r\n%s",
             code, reason, strlen(body), body);
    r->c = c;
    b = uv_buf_init(r->buf, (unsigned)strlen(r->buf));
    uv_write(&r->w, (uv_stream_t *)&c->tcp, &b, 1, written);
}

/* Answers once the head (and a Content-Length body) is in. */
static void maybe_answer(struct http_stub_conn *c)
{
    char *end = strstr(c->req, "\r\n\r\n");
    const char *cl;
    size_t want = 0;
    char path[64] = "";

    if (end == NULL || c->answered)
        return;
    cl = strstr(c->req, "Content-Length: ");
    if (cl != NULL && cl < end)
        want = (size_t)atoi(cl + 16);
    if ((size_t)(end + 4 - c->req) + want > c->len)
        return;
    c->answered = true;
    sscanf(c->req, "%*s %63s", path);
    if (strcmp(path, "/ok") == 0)
        answer(c, c->srv->status_for_ok,
               c->srv->status_for_ok == 200 ? "OK" : "Internal Server Error",
               "fine\n");
    else if (strcmp(path, "/busy") == 0)
        answer(c, 429, "Too Many Requests", "later");
    else if (strcmp(path, "/broken") == 0)
        answer(c, 500, "Internal Server Error", "oops");
    else if (strcmp(path, "/echo") == 0) {
        char body[4200];

        /* The request as received, minus line ends, as the body. */
        snprintf(body, sizeof(body), "%s", c->req);
        for (char *p = body; *p; p++)
            if (*p == '\r' || *p == '\n')
                *p = '|';
        answer(c, 200, "OK", body);
    }
    /* "/slow": never answers; the client must give up. */
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct http_stub_conn *c = h->data;

    (void)hint;
    *b = uv_buf_init(c->req + c->len, (unsigned)(sizeof(c->req) - 1 - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct http_stub_conn *c = st->data;

    (void)b;
    if (n < 0) {
        conn_close(c);
        return;
    }
    c->len += (size_t)n;
    c->req[c->len] = '\0';
    maybe_answer(c);
}

static void on_connection(uv_stream_t *l, int status)
{
    struct http_stub *s = l->data;
    struct http_stub_conn *c;

    if (status != 0) {
        fprintf(stderr, "http_stub: accept: %s\n", uv_strerror(status));
        return;
    }
    c = xcalloc(1, sizeof(*c));
    c->srv = s;
    uv_tcp_init(l->loop, &c->tcp);
    c->tcp.data = c;
    status = uv_accept(l, (uv_stream_t *)&c->tcp);
    if (status != 0) {
        fprintf(stderr, "http_stub: accept: %s\n", uv_strerror(status));
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    c->next = s->conns;
    s->conns = c;
    s->open_conns++;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

void http_stub_start(uv_loop_t *loop, struct http_stub *s)
{
    struct sockaddr_in a;
    struct sockaddr_storage got;
    int len = sizeof(got);

    memset(s, 0, sizeof(*s));
    s->status_for_ok = 200;
    uv_tcp_init(loop, &s->listen);
    s->listen.data = s;
    uv_ip4_addr("127.0.0.1", 0, &a); /* the kernel picks a free port */
    /* Plain checks, not Check's: benches use the stub outside a test. */
    if (uv_tcp_bind(&s->listen, (struct sockaddr *)&a, 0) != 0 ||
        uv_listen((uv_stream_t *)&s->listen, 511, on_connection) != 0) {
        fprintf(stderr, "http_stub: cannot listen on 127.0.0.1\n");
        abort();
    }
    uv_tcp_getsockname(&s->listen, (struct sockaddr *)&got, &len);
    s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

void http_stub_stop(struct http_stub *s)
{
    while (s->conns != NULL) {
        struct http_stub_conn *c = s->conns;

        s->conns = c->next; /* conn_closed finds it gone: fine */
        conn_close(c);
    }
    uv_close((uv_handle_t *)&s->listen, NULL);
}

/* A port nothing listens on: bound once, then closed. */
int http_stub_closed_port(uv_loop_t *loop)
{
    struct http_stub s;

    http_stub_start(loop, &s);
    http_stub_stop(&s);
    uv_run(loop, UV_RUN_NOWAIT);
    return s.port;
}
