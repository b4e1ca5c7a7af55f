/*
 * The HTTP server: listening, connections, and http-parser driven request
 * parsing. Responses are built in httpd_resp.c, routes matched in
 * httpd_route.c.
 *
 * A connection's states:
 *
 *   reading --message end--> paused (handler has req, or its response is
 *      ^                        |     being written)
 *      |                        | last byte of the response written
 *      +----- resume: parse ----+---- close_after / server closing --> closed
 *             buffered bytes
 *
 * Reading goes on while paused, so a client that disconnects while its
 * blocking query waits is noticed at once (its request is aborted), and
 * pipelined requests pile up in conn->in; past max_header_bytes of them
 * reading stops until the connection resumes.
 *
 * Failure modes: a malformed request gets 400, a too large one 413 or
 * 431, each with "Connection: close"; the connection then half-closes and
 * drains what the client still sends (so the client reads the error
 * rather than a reset) until EOF or LINGER_MAX_BYTES. A read or write error
 * closes the connection at once, aborting the request in hand.
 */
#include "agent/http/httpd.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/http/httpd_int.h"
#include "lib/alloc.h"
#include "lib/assert.h"
#include "lib/err.h"

#define LISTEN_BACKLOG 511
#define LINGER_MAX_BYTES ((size_t)1024 * 1024)

static const http_parser_settings parser_settings;

/* ------------------------------------------------------------ server */

struct httpd *httpd_new(uv_loop_t *loop, const struct httpd_config *cfg)
{
    struct httpd *srv = xcalloc(1, sizeof(*srv));
    int rc;

    srv->loop = loop;
    srv->cfg = *cfg;
    srv->host_copy = xstrdup(cfg->host != NULL ? cfg->host : "127.0.0.1");
    srv->cfg.host = srv->host_copy;
    if (srv->cfg.max_header_bytes == 0)
        srv->cfg.max_header_bytes = HTTPD_DEFAULT_MAX_HEADER_BYTES;
    if (srv->cfg.max_body_bytes == 0)
        srv->cfg.max_body_bytes = HTTPD_DEFAULT_MAX_BODY_BYTES;
    if (srv->cfg.close_grace_ms == 0)
        srv->cfg.close_grace_ms = HTTPD_DEFAULT_CLOSE_GRACE_MS;
    list_init(&srv->conns);
    httpd__router_init(&srv->router);
    logger_init(&srv->log, "http", NULL);
    /* Neither init can fail for a TCP handle without flags. */
    rc = uv_tcp_init(loop, &srv->listener);
    assert(rc == 0);
    srv->listener.data = srv;
    rc = uv_timer_init(loop, &srv->grace);
    assert(rc == 0);
    srv->grace.data = srv;
    srv->handles_open = 2;
    return srv;
}

int httpd_route(struct httpd *srv,
                const char *spec,
                httpd_handler_cb handler,
                void *arg,
                struct err *err)
{
    assert(handler != NULL);
    return httpd__router_add(&srv->router, spec, handler, arg, err);
}

/* Accepts "1.2.3.4", "::1" and "[::1]". */
static int parse_addr(const char *host,
                      uint16_t port,
                      struct sockaddr_storage *ss)
{
    char bare[INET6_ADDRSTRLEN + 16];
    size_t len = strlen(host);

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        if (len - 2 >= sizeof(bare))
            return ERR_INVALID;
        memcpy(bare, host + 1, len - 2);
        bare[len - 2] = '\0';
    } else {
        if (len >= sizeof(bare))
            return ERR_INVALID;
        memcpy(bare, host, len + 1);
    }
    memset(ss, 0, sizeof(*ss));
    if (uv_ip4_addr(bare, port, (struct sockaddr_in *)ss) == 0)
        return 0;
    if (uv_ip6_addr(bare, port, (struct sockaddr_in6 *)ss) == 0)
        return 0;
    return ERR_INVALID;
}

static uint16_t bound_port(const uv_tcp_t *tcp)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof(ss);

    if (uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void on_connection(uv_stream_t *server, int status);

int httpd_listen(struct httpd *srv, struct err *err)
{
    struct sockaddr_storage ss;
    int rc;

    assert(!srv->closing);
    if (parse_addr(srv->cfg.host, srv->cfg.port, &ss) != 0)
        return err_set(err, ERR_INVALID, "http: invalid bind address \"%s\"",
                       srv->cfg.host);
    rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    /* libuv reports some bind errors (EADDRINUSE) only from listen. */
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, LISTEN_BACKLOG,
                       on_connection);
    if (rc != 0)
        return err_set(err, rc, "http: listen on %s port %u: %s", srv->cfg.host,
                       (unsigned)srv->cfg.port, uv_strerror(rc));
    srv->port = bound_port(&srv->listener);
    logger_init(&srv->log, "http", "addr=%s port=%u", srv->cfg.host,
                (unsigned)srv->port);
    log_info(&srv->log, "listening");
    return 0;
}

uint16_t httpd_port(const struct httpd *srv)
{
    return srv->port;
}

static void on_srv_handle_closed(uv_handle_t *h);

static void srv_maybe_finish(struct httpd *srv)
{
    httpd_close_cb cb;
    void *arg;

    if (!srv->closing)
        return;
    if (list_empty(&srv->conns) && !srv->grace_closed) {
        srv->grace_closed = true;
        uv_timer_stop(&srv->grace);
        uv_close((uv_handle_t *)&srv->grace, on_srv_handle_closed);
    }
    if (srv->handles_open > 0)
        return;
    cb = srv->close_cb;
    arg = srv->close_arg;
    httpd__router_release(&srv->router);
    free(srv->host_copy);
    free(srv);
    if (cb != NULL)
        cb(arg);
}

static void on_srv_handle_closed(uv_handle_t *h)
{
    struct httpd *srv = h->data;

    srv->handles_open--;
    srv_maybe_finish(srv);
}

static void on_grace(uv_timer_t *t)
{
    struct httpd *srv = t->data;
    struct httpd__conn *conn;
    struct httpd__conn *tmp;

    log_warn(&srv->log, "closing busy connections after grace period");
    list_for_each_entry_safe(conn, tmp, &srv->conns, struct httpd__conn, link)
    {
        httpd__conn_close(conn);
    }
}

void httpd_close(struct httpd *srv, httpd_close_cb cb, void *arg)
{
    struct httpd__conn *conn;
    struct httpd__conn *tmp;

    assert(!srv->closing);
    srv->closing = true;
    srv->close_cb = cb;
    srv->close_arg = arg;
    uv_close((uv_handle_t *)&srv->listener, on_srv_handle_closed);
    /* Idle connections go now; busy ones close when they resume. */
    list_for_each_entry_safe(conn, tmp, &srv->conns, struct httpd__conn, link)
    {
        if (!conn->paused || (conn->linger && conn->writes_pending == 0))
            httpd__conn_close(conn);
    }
    if (list_empty(&srv->conns)) {
        srv->grace_closed = true;
        uv_close((uv_handle_t *)&srv->grace, on_srv_handle_closed);
        return;
    }
    uv_timer_start(&srv->grace, on_grace, srv->cfg.close_grace_ms, 0);
}

/* ------------------------------------------------------------ connections */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b);

static void conn_read_start(struct httpd__conn *conn)
{
    int rc;

    if (conn->reading || conn->closing || conn->eof)
        return;
    rc = uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
    if (rc != 0) {
        httpd__conn_close(conn);
        return;
    }
    conn->reading = true;
}

static void conn_read_stop(struct httpd__conn *conn)
{
    if (!conn->reading)
        return;
    uv_read_stop((uv_stream_t *)&conn->tcp);
    conn->reading = false;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct httpd *srv = server->data;
    struct httpd__conn *conn;
    int rc;

    if (status < 0) {
        log_warn(&srv->log, "accept: %s", uv_strerror(status));
        return;
    }
    if (srv->closing)
        return;
    conn = xcalloc(1, sizeof(*conn));
    conn->srv = srv;
    rc = uv_tcp_init(srv->loop, &conn->tcp);
    assert(rc == 0);
    conn->tcp.data = conn;
    list_add_tail(&srv->conns, &conn->link);
    srv->handles_open++;
    http_parser_init(&conn->parser, HTTP_REQUEST);
    conn->parser.data = conn;
    rc = uv_accept(server, (uv_stream_t *)&conn->tcp);
    if (rc != 0) {
        log_warn(&srv->log, "accept: %s", uv_strerror(rc));
        httpd__conn_close(conn);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    conn_read_start(conn);
}

static void on_conn_closed(uv_handle_t *h)
{
    struct httpd__conn *conn = h->data;
    struct httpd *srv = conn->srv;
    struct httpd_req *req = conn->req;

    conn->req = NULL;
    if (req != NULL && req->state != HTTPD__REQ_PARSING) {
        /* Detached first, so a response given from on_abort is dropped. */
        req->conn = NULL;
        if (req->abort_cb != NULL)
            req->abort_cb(req, req->abort_arg);
    }
    httpd__req_free(req);
    list_del(&conn->link);
    buf_release(&conn->in);
    buf_release(&conn->hname);
    buf_release(&conn->hval);
    free(conn);
    srv->handles_open--;
    srv_maybe_finish(srv);
}

void httpd__conn_close(struct httpd__conn *conn)
{
    if (conn->closing)
        return;
    conn->closing = true;
    conn->reading = false;
    uv_close((uv_handle_t *)&conn->tcp, on_conn_closed);
}

bool httpd__conn_ends(const struct httpd__conn *conn,
                      const struct httpd_req *req)
{
    return conn->close_after || conn->srv->closing || conn->eof ||
           !req->keep_alive;
}

/* ------------------------------------------------------------ writing */

struct write_req
{
    uv_write_t w; /* first: the callback casts back */
    struct buf head;
    struct buf body;
    bool last; /* the end of a response: resume the connection after it */
    char empty[1];
};

static void on_shutdown(uv_shutdown_t *sr, int status)
{
    struct httpd__conn *conn = sr->data;

    free(sr);
    if (status != 0)
        httpd__conn_close(conn);
}

/* After an error response: FIN, then drain until the client closes. */
static void conn_linger(struct httpd__conn *conn)
{
    uv_shutdown_t *sr = xcalloc(1, sizeof(*sr));

    sr->data = conn;
    if (uv_shutdown(sr, (uv_stream_t *)&conn->tcp, on_shutdown) != 0) {
        free(sr);
        httpd__conn_close(conn);
        return;
    }
    conn_read_start(conn);
}

static size_t conn_parse(struct httpd__conn *conn,
                         const char *data,
                         size_t len);
static void conn_parse_buffered(struct httpd__conn *conn);
static void conn_parse_shared(struct httpd__conn *conn,
                              const char *data,
                              size_t len);

/* The response in hand is out: close, or go on with the next request. */
static void conn_resume(struct httpd__conn *conn)
{
    if (conn->closing)
        return;
    if (conn->linger) {
        conn_linger(conn);
        return;
    }
    if (conn->close_after || conn->srv->closing) {
        httpd__conn_close(conn);
        return;
    }
    conn->paused = false;
    http_parser_pause(&conn->parser, 0);
    conn_parse_buffered(conn);
    if (conn->closing || conn->paused)
        return;
    if (conn->eof) {
        httpd__conn_close(conn);
        return;
    }
    conn_read_start(conn);
}

static void on_write(uv_write_t *w, int status)
{
    struct write_req *wr = (struct write_req *)w;
    struct httpd__conn *conn = w->handle->data;
    bool last = wr->last;

    buf_release(&wr->head);
    buf_release(&wr->body);
    free(wr);
    conn->writes_pending--;
    if (status < 0) {
        if (status != UV_ECANCELED)
            log_debug(&conn->srv->log, "write: %s", uv_strerror(status));
        httpd__conn_close(conn);
        return;
    }
    if (last)
        conn_resume(conn);
}

int httpd__conn_write(struct httpd__conn *conn,
                      struct buf *head,
                      struct buf *body,
                      bool last)
{
    struct write_req *wr;
    uv_buf_t bufs[2];
    unsigned int nbufs = 0;
    int rc;

    if (conn->closing) {
        buf_release(head);
        buf_release(body);
        return ERR_CANCELED;
    }
    wr = xcalloc(1, sizeof(*wr));
    wr->head = *head;
    wr->body = *body;
    wr->last = last;
    buf_init(head);
    buf_init(body);
    assert(wr->head.len <= UINT_MAX && wr->body.len <= UINT_MAX);
    if (wr->head.len > 0)
        bufs[nbufs++] = uv_buf_init(wr->head.data, (unsigned)wr->head.len);
    if (wr->body.len > 0)
        bufs[nbufs++] = uv_buf_init(wr->body.data, (unsigned)wr->body.len);
    /*
     * A response may end with nothing left to send (an HTTP/1.0 stream);
     * an empty write still completes after the ones queued before it,
     * which is when the connection may move on.
     */
    if (nbufs == 0)
        bufs[nbufs++] = uv_buf_init(wr->empty, 0);
    rc = uv_write(&wr->w, (uv_stream_t *)&conn->tcp, bufs, nbufs, on_write);
    if (rc != 0) {
        buf_release(&wr->head);
        buf_release(&wr->body);
        free(wr);
        httpd__conn_close(conn);
        return rc;
    }
    conn->writes_pending++;
    return 0;
}

void httpd__conn_fail(struct httpd__conn *conn, int status, const char *reason)
{
    struct buf head = BUF_INIT;
    struct buf body = BUF_INIT;

    if (conn->closing)
        return;
    log_debug(&conn->srv->log, "refusing request: %d %s", status, reason);
    /* Only a request still being parsed fails here; no handler knows it. */
    assert(conn->req == NULL || conn->req->state == HTTPD__REQ_PARSING);
    httpd__req_free(conn->req);
    conn->req = NULL;
    conn->paused = true;
    conn->linger = true;
    buf_puts(&body, reason);
    httpd__head_begin(&head, status);
    buf_printf(&head,
               "Content-Type: " HTTPD_CONTENT_TEXT
               "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
               body.len);
    httpd__conn_write(conn, &head, &body, true);
}

/* ------------------------------------------------------------ reading */

/*
 * Reads land in the server's one read buffer unless the connection holds
 * unparsed bytes, which new ones must follow; so an idle connection, or one
 * whose blocking query waits, holds no read memory of its own.
 */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct httpd__conn *conn = h->data;
    struct buf *in = &conn->in;

    (void)suggested;
    if (conn->in_off == in->len) {
        b->base = conn->srv->rbuf;
        b->len = sizeof(conn->srv->rbuf);
        return;
    }
    /* Keep only unparsed bytes, at the front. */
    if (conn->in_off > 0) {
        memmove(in->data, in->data + conn->in_off, in->len - conn->in_off);
        in->len -= conn->in_off;
        conn->in_off = 0;
    }
    buf_reserve(in, HTTPD__READ_BYTES);
    b->base = in->data + in->len;
    b->len = in->cap - in->len - 1;
}

static void conn_on_eof(struct httpd__conn *conn)
{
    conn->eof = true;
    conn->reading = false; /* libuv stops reading at EOF */
    if (conn->linger) {
        httpd__conn_close(conn);
        return;
    }
    /*
     * A handler holding the request means the client gave up waiting: that
     * is what aborts a blocking query. With no request dispatched, nothing
     * more can complete. Otherwise the response in hand is being written
     * and conn_resume() finishes the requests still buffered.
     */
    if (!conn->paused || conn->req != NULL)
        httpd__conn_close(conn);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct httpd__conn *conn = s->data;
    struct buf *in = &conn->in;

    if (nread == 0 || conn->closing)
        return;
    if (nread < 0) {
        if (nread == UV_EOF) {
            conn_on_eof(conn);
            return;
        }
        log_debug(&conn->srv->log, "read: %s", uv_strerror((int)nread));
        httpd__conn_close(conn);
        return;
    }
    if (conn->linger) {
        conn->linger_bytes += (size_t)nread;
        buf_release(in);
        conn->in_off = 0;
        if (conn->linger_bytes > LINGER_MAX_BYTES)
            httpd__conn_close(conn);
        return;
    }
    if (b->base == conn->srv->rbuf)
        conn_parse_shared(conn, b->base, (size_t)nread);
    else
        in->len += (size_t)nread;
    conn_parse_buffered(conn);
    if (conn->paused &&
        in->len - conn->in_off > conn->srv->cfg.max_header_bytes)
        conn_read_stop(conn);
}

/* ------------------------------------------------------------ parsing */

static void dispatch(struct httpd__conn *conn);

static void conn_parse_buffered(struct httpd__conn *conn)
{
    struct buf *in = &conn->in;

    while (!conn->paused && !conn->closing && conn->in_off < in->len)
        conn->in_off +=
            conn_parse(conn, in->data + conn->in_off, in->len - conn->in_off);
    if (conn->in_off == in->len) {
        buf_release(in);
        conn->in_off = 0;
    }
}

/*
 * Parses bytes from the shared read buffer; what is left when a request
 * pauses the parser is copied to conn->in, since the next read reuses it.
 */
static void conn_parse_shared(struct httpd__conn *conn,
                              const char *data,
                              size_t len)
{
    assert(conn->in_off == conn->in.len);
    while (len > 0 && !conn->paused && !conn->closing) {
        size_t n = conn_parse(conn, data, len);

        data += n;
        len -= n;
    }
    if (len > 0 && !conn->closing)
        buf_append(&conn->in, data, len);
}

static void parse_failed(struct httpd__conn *conn, enum http_errno e)
{
    char reason[128];

    if (conn->fail_status != 0) {
        httpd__conn_fail(conn, conn->fail_status, conn->fail_reason);
        return;
    }
    if (e == HPE_HEADER_OVERFLOW) {
        httpd__conn_fail(conn, 431, "Request header too large");
        return;
    }
    snprintf(reason, sizeof(reason), "Malformed HTTP request: %s",
             http_errno_description(e));
    httpd__conn_fail(conn, 400, reason);
}

/* Feeds bytes to the parser; returns how many it took. */
static size_t conn_parse(struct httpd__conn *conn, const char *data, size_t len)
{
    size_t n = http_parser_execute(&conn->parser, &parser_settings, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(&conn->parser);

    if (e == HPE_PAUSED) {
        dispatch(conn);
        return n;
    }
    if (e != HPE_OK) {
        parse_failed(conn, e);
        return len;
    }
    /* Without an error the parser takes everything. */
    return len;
}

static int refuse(struct httpd__conn *conn, int status, const char *reason)
{
    conn->fail_status = status;
    conn->fail_reason = reason;
    return -1;
}

static int count_header_bytes(struct httpd__conn *conn, size_t len)
{
    conn->header_bytes += len;
    if (conn->header_bytes > conn->srv->cfg.max_header_bytes)
        return refuse(conn, 431, "Request header too large");
    return 0;
}

static void header_push(struct httpd__conn *conn)
{
    if (conn->in_value && conn->req != NULL)
        httpd__kvs_add(&conn->req->headers, buf_str(&conn->hname),
                       buf_str(&conn->hval));
    buf_reset(&conn->hname);
    buf_reset(&conn->hval);
    conn->in_value = false;
}

static int on_message_begin(http_parser *p)
{
    struct httpd__conn *conn = p->data;

    assert(conn->req == NULL);
    conn->req = httpd__req_new(conn);
    conn->header_bytes = 0;
    conn->fail_status = 0;
    buf_reset(&conn->hname);
    buf_reset(&conn->hval);
    conn->in_value = false;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    struct httpd__conn *conn = p->data;

    if (count_header_bytes(conn, len) != 0)
        return -1;
    buf_append(&conn->req->url, at, len);
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct httpd__conn *conn = p->data;

    if (count_header_bytes(conn, len) != 0)
        return -1;
    if (conn->in_value)
        header_push(conn);
    buf_append(&conn->hname, at, len);
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct httpd__conn *conn = p->data;

    if (count_header_bytes(conn, len) != 0)
        return -1;
    conn->in_value = true;
    buf_append(&conn->hval, at, len);
    return 0;
}

/* curl and Go clients wait for "100 Continue" before a large body. */
static void maybe_continue(struct httpd__conn *conn, struct httpd_req *req)
{
    const char *expect = httpd_header_get(req, "Expect");
    struct buf head = BUF_INIT;
    struct buf none = BUF_INIT;

    if (expect == NULL || strcasecmp(expect, "100-continue") != 0)
        return;
    if (req->http_major != 1 || req->http_minor < 1)
        return;
    buf_puts(&head, "HTTP/1.1 100 Continue\r\n\r\n");
    httpd__conn_write(conn, &head, &none, false);
}

static int on_headers_complete(http_parser *p)
{
    struct httpd__conn *conn = p->data;
    struct httpd_req *req = conn->req;

    header_push(conn);
    req->method = http_method_str((enum http_method)p->method);
    req->http_major = p->http_major;
    req->http_minor = p->http_minor;
    /* The bytes after an Upgrade request are not HTTP. */
    if (p->upgrade)
        conn->close_after = true;
    if (!(p->flags & F_CHUNKED) && p->content_length != UINT64_MAX &&
        p->content_length > conn->srv->cfg.max_body_bytes)
        return refuse(conn, 413, "Request body too large");
    if ((p->flags & F_CHUNKED) ||
        (p->content_length != UINT64_MAX && p->content_length > 0))
        maybe_continue(conn, req);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct httpd__conn *conn = p->data;
    struct httpd_req *req = conn->req;

    if (req->body.len + len > conn->srv->cfg.max_body_bytes)
        return refuse(conn, 413, "Request body too large");
    buf_append(&req->body, at, len);
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct httpd__conn *conn = p->data;

    header_push(conn); /* a trailer */
    conn->req->keep_alive = http_should_keep_alive(p) != 0;
    /* One request at a time: the rest waits in conn->in. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ------------------------------------------------------------ dispatch */

static void dispatch(struct httpd__conn *conn)
{
    struct httpd_req *req = conn->req;
    const struct httpd__route *route = NULL;
    struct buf allow = BUF_INIT;
    struct err err = ERR_INIT;

    conn->paused = true;
    req->state = HTTPD__REQ_HANDLING;
    if (httpd__req_parse_url(req, &err) != 0) {
        httpd_respond_error(req, 400, "%s", err.msg);
        return;
    }
    switch (httpd__router_match(&conn->srv->router, req, &route, &allow)) {
    case HTTPD__MATCH_NO_PATH:
        httpd_respond_error(req, 404, "404 page not found");
        break;
    case HTTPD__MATCH_NO_METHOD:
        httpd_set_header(req, "Allow", buf_str(&allow));
        httpd_respond_error(req, 405, "Invalid method");
        break;
    case HTTPD__MATCH_OK:
        route->handler(req, route->arg);
        /* Still ours after the handler returned: it kept req. */
        if (conn->req != req)
            break;
        assert(req->abort_cb != NULL);
        /* A pipelined request behind a FIN: nobody will read the answer. */
        if (conn->eof)
            httpd__conn_close(conn);
        break;
    }
    buf_release(&allow);
}
