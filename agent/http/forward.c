/*
 * Requests a client-only agent passes on to its servers, as Nomad's
 * client agents do: the client side hands them to the forward function
 * of its config; a server answers them by running them through its own
 * HTTP API over loopback, so every route, blocking query and error is
 * exactly what a direct request would get.
 */
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/http/api.h"
#include "agent/http/api_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

/* Bounds what a forwarded answer may hold (the RPC frame limit). */
#define MAX_ANSWER (15u * 1024 * 1024)

/* ------------------------------------------------------- client side */

struct fwd_ctx
{
    struct httpd_req *req;
    bool gone;
};

static void fwd_aborted(struct httpd_req *req, void *arg)
{
    (void)req;
    ((struct fwd_ctx *)arg)->gone = true;
}

static void fwd_answered(void *arg,
                         int rc,
                         const struct http_fwd_resp *resp,
                         const struct err *err)
{
    struct fwd_ctx *f = arg;

    if (f->gone) {
        free(f);
        return;
    }
    httpd_req_on_abort(f->req, NULL, NULL);
    if (rc != 0) {
        httpd_respond_error(f->req, 500, "%s", err->msg);
        free(f);
        return;
    }
    if (resp->index)
        httpd_set_header(f->req, "X-Nomad-Index", resp->index);
    if (resp->last_contact)
        httpd_set_header(f->req, "X-Nomad-LastContact", resp->last_contact);
    if (resp->known_leader)
        httpd_set_header(f->req, "X-Nomad-KnownLeader", resp->known_leader);
    httpd_respond(f->req, resp->status,
                  resp->content_type ? resp->content_type : "text/plain",
                  resp->body, resp->len);
    free(f);
}

void api_forward(struct http_api *api, struct httpd_req *req)
{
    struct fwd_ctx *f = xcalloc(1, sizeof(*f));
    struct http_fwd_req r;

    memset(&r, 0, sizeof(r));
    r.method = httpd_req_method(req);
    r.url = httpd_req_url(req);
    r.token = httpd_header_get(req, "X-Nomad-Token");
    r.content_type = httpd_header_get(req, "Content-Type");
    r.body = httpd_req_body(req, &r.len);
    f->req = req;
    httpd_req_on_abort(req, fwd_aborted, f);
    api->forward(api->forward_ctx, &r, fwd_answered, f);
}

/* ------------------------------------------------------- server side */

struct loopback
{
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    struct buf out;
    http_parser parser;
    struct buf body;
    struct buf field;
    char *content_type, *index, *last_contact, *known_leader;
    char **current; /* the header whose value is being read */
    bool done, failed;
    http_fwd_done cb;
    void *arg;
    char why[128];
};

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct loopback *l = p->data;

    buf_reset(&l->field);
    buf_append(&l->field, at, len);
    l->current = NULL;
    if (strcasecmp(buf_str(&l->field), "Content-Type") == 0)
        l->current = &l->content_type;
    else if (strcasecmp(buf_str(&l->field), "X-Nomad-Index") == 0)
        l->current = &l->index;
    else if (strcasecmp(buf_str(&l->field), "X-Nomad-LastContact") == 0)
        l->current = &l->last_contact;
    else if (strcasecmp(buf_str(&l->field), "X-Nomad-KnownLeader") == 0)
        l->current = &l->known_leader;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct loopback *l = p->data;

    if (l->current != NULL) {
        free(*l->current);
        *l->current = xstrndup(at, len);
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct loopback *l = p->data;

    if (l->body.len + len > MAX_ANSWER) {
        snprintf(l->why, sizeof(l->why), "answer larger than %u bytes",
                 MAX_ANSWER);
        l->failed = true;
        return 1;
    }
    buf_append(&l->body, at, len);
    return 0;
}

static int on_complete(http_parser *p)
{
    ((struct loopback *)p->data)->done = true;
    return 0;
}

static const http_parser_settings settings = {
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_body = on_body,
    .on_message_complete = on_complete,
};

static void loopback_free(uv_handle_t *h)
{
    struct loopback *l = h->data;

    buf_release(&l->out);
    buf_release(&l->body);
    buf_release(&l->field);
    free(l->content_type);
    free(l->index);
    free(l->last_contact);
    free(l->known_leader);
    free(l);
}

/* Answers once, then closes. */
static void finish(struct loopback *l)
{
    struct err err = ERR_INIT;
    struct http_fwd_resp resp;

    if (l->cb == NULL)
        return;
    if (!l->done || l->failed) {
        err_set(&err, ERR_IO, "forwarding to the server's HTTP API: %s",
                l->why[0] ? l->why : "no complete answer");
        l->cb(l->arg, ERR_IO, NULL, &err);
    } else {
        memset(&resp, 0, sizeof(resp));
        resp.status = (int)l->parser.status_code;
        resp.content_type = l->content_type;
        resp.index = l->index;
        resp.last_contact = l->last_contact;
        resp.known_leader = l->known_leader;
        resp.body = l->body.data;
        resp.len = l->body.len;
        l->cb(l->arg, 0, &resp, NULL);
    }
    l->cb = NULL;
    if (!uv_is_closing((uv_handle_t *)&l->tcp))
        uv_close((uv_handle_t *)&l->tcp, loopback_free);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    (void)h;
    (void)suggested;
    out->base = xmalloc(64 * 1024);
    out->len = 64 * 1024;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct loopback *l = s->data;

    if (n > 0) {
        size_t used = http_parser_execute(&l->parser, &settings, b->base,
                                          (size_t)n);

        if (used != (size_t)n && !l->failed) {
            snprintf(l->why, sizeof(l->why), "%s",
                     http_errno_description(HTTP_PARSER_ERRNO(&l->parser)));
            l->failed = true;
        }
    } else if (n < 0) {
        /* The end of a Connection: close answer without a length. */
        http_parser_execute(&l->parser, &settings, NULL, 0);
        if (!l->done && !l->failed)
            snprintf(l->why, sizeof(l->why), "%s", uv_strerror((int)n));
    }
    free(b->base);
    if (l->done || l->failed || n < 0)
        finish(l);
}

static void on_written(uv_write_t *w, int status)
{
    struct loopback *l = w->data;

    if (status < 0) {
        snprintf(l->why, sizeof(l->why), "%s", uv_strerror(status));
        l->failed = true;
        finish(l);
    }
}

static void on_connected(uv_connect_t *c, int status)
{
    struct loopback *l = c->data;
    uv_buf_t b;

    if (status < 0 ||
        uv_read_start((uv_stream_t *)&l->tcp, alloc_cb, on_read) != 0) {
        snprintf(l->why, sizeof(l->why), "%s",
                 status < 0 ? uv_strerror(status) : "cannot read");
        l->failed = true;
        finish(l);
        return;
    }
    b = uv_buf_init(l->out.data, (unsigned)l->out.len);
    l->write.data = l;
    if (uv_write(&l->write, (uv_stream_t *)&l->tcp, &b, 1, on_written) != 0) {
        snprintf(l->why, sizeof(l->why), "cannot write");
        l->failed = true;
        finish(l);
    }
}

/* Only what is safe to put on a request line and in a header. */
static bool clean(const char *s)
{
    for (; s != NULL && *s; s++)
        if (*s == '\r' || *s == '\n' || *s == ' ' || (unsigned char)*s < 0x20)
            return false;
    return true;
}

void http_api_loopback(struct http_api *api,
                       const struct http_fwd_req *r,
                       http_fwd_done done,
                       void *arg)
{
    struct loopback *l;
    struct sockaddr_in sa;
    struct err err = ERR_INIT;

    if (r->method == NULL || r->url == NULL || r->url[0] != '/' ||
        !clean(r->method) || !clean(r->url) || !clean(r->content_type) ||
        (r->token && strpbrk(r->token, "\r\n"))) {
        err_set(&err, ERR_INVALID, "forwarded request is malformed");
        done(arg, ERR_INVALID, NULL, &err);
        return;
    }
    l = xcalloc(1, sizeof(*l));
    l->cb = done;
    l->arg = arg;
    http_parser_init(&l->parser, HTTP_RESPONSE);
    l->parser.data = l;
    buf_printf(&l->out,
               "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               "Content-Length: %zu\r\n",
               r->method, r->url, r->len);
    if (r->token && r->token[0])
        buf_printf(&l->out, "X-Nomad-Token: %s\r\n", r->token);
    if (r->content_type && r->content_type[0])
        buf_printf(&l->out, "Content-Type: %s\r\n", r->content_type);
    buf_puts(&l->out, "\r\n");
    if (r->len > 0)
        buf_append(&l->out, r->body, r->len);
    uv_tcp_init(api->loop, &l->tcp);
    l->tcp.data = l;
    l->connect.data = l;
    /* Our own listener (loopback when bound to every address). */
    if (uv_ip4_addr(api->host, http_api_port(api), &sa) != 0)
        uv_ip4_addr("127.0.0.1", http_api_port(api), &sa);
    if (uv_tcp_connect(&l->connect, &l->tcp, (struct sockaddr *)&sa,
                       on_connected) != 0) {
        snprintf(l->why, sizeof(l->why), "cannot connect");
        l->failed = true;
        finish(l);
    }
}
