/*
 * Responses: whole bodies, JSON, plain-text errors as Nomad sends them, and
 * chunked streams. Every response ends in httpd__req_finish(), which frees
 * the request and queues the last bytes; the connection moves on to the
 * next request only once those bytes are written.
 */
#include "agent/http/httpd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent/http/httpd_int.h"
#include "lib/alloc.h"
#include "lib/assert.h"
#include "lib/err.h"
#include "lib/time.h"

/* ------------------------------------------------------------ head */

const char *httpd__status_text(int status)
{
    const char *s = http_status_str((enum http_status)status);

    /* http-parser knows every registered code; keep the line well formed. */
    return strcmp(s, "<unknown>") == 0 ? "Unknown" : s;
}

void httpd__head_begin(struct buf *head, int status)
{
    time_t now = (time_t)(time_wall_unix_ms() / 1000);
    struct tm tm;
    char date[64];

    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    buf_printf(head, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
               httpd__status_text(status), date);
}

static bool is_head(const struct httpd_req *req)
{
    return strcmp(req->method, "HEAD") == 0;
}

/* Statuses that never carry a body (RFC 9110 §6.4.1). */
static bool status_has_body(int status)
{
    return !(status < 200 || status == 204 || status == 304);
}

/*
 * Appends the headers every response gets after the status line: the
 * caller's, Content-Type, and Connection. Marks the connection to close
 * after this response when it must.
 */
static void head_common(struct httpd_req *req,
                        int status,
                        const char *content_type,
                        struct buf *head)
{
    struct httpd__conn *conn = req->conn;
    bool ends = httpd__conn_ends(conn, req);

    httpd__head_begin(head, status);
    if (content_type != NULL)
        httpd_set_header(req, "Content-Type", content_type);
    for (size_t i = 0; i < req->resp_headers.n; i++)
        buf_printf(head, "%s: %s\r\n", req->resp_headers.items[i].name,
                   req->resp_headers.items[i].value);
    if (ends) {
        conn->close_after = true;
        buf_puts(head, "Connection: close\r\n");
    } else if (req->http_minor == 0) {
        buf_puts(head, "Connection: keep-alive\r\n");
    }
}

/* ------------------------------------------------------------ finishing */

void httpd__req_finish(struct httpd_req *req,
                       struct buf *head,
                       struct buf *body)
{
    struct httpd__conn *conn = req->conn;

    if (conn == NULL) {
        /* Answered from inside on_abort: the abort path frees req. */
        buf_release(head);
        buf_release(body);
        return;
    }
    assert(conn->req == req);
    conn->req = NULL;
    httpd__req_free(req);
    httpd__conn_write(conn, head, body, true);
}

void httpd_set_header(struct httpd_req *req,
                      const char *name,
                      const char *value)
{
    char *v = xstrdup(value);

    assert(req->state != HTTPD__REQ_PARSING);
    /* A CR or LF would let a value forge headers of its own. */
    for (char *p = v; *p != '\0'; p++) {
        if (*p == '\r' || *p == '\n')
            *p = ' ';
    }
    for (size_t i = 0; i < req->resp_headers.n; i++) {
        struct httpd__kv *kv = &req->resp_headers.items[i];

        if (strcasecmp(kv->name, name) == 0) {
            free(kv->value);
            kv->value = v;
            return;
        }
    }
    httpd__kvs_add(&req->resp_headers, name, v);
    free(v);
}

void httpd_respond_buf(struct httpd_req *req,
                       int status,
                       const char *content_type,
                       struct buf *body)
{
    struct buf head = BUF_INIT;

    assert(req->state == HTTPD__REQ_HANDLING);
    if (req->conn == NULL || req->conn->closing) {
        buf_release(body);
        httpd__req_finish(req, &head, body);
        return;
    }
    head_common(req, status, content_type, &head);
    if (status_has_body(status))
        buf_printf(&head, "Content-Length: %zu\r\n", body->len);
    buf_puts(&head, "\r\n");
    if (is_head(req) || !status_has_body(status))
        buf_release(body);
    httpd__req_finish(req, &head, body);
}

void httpd_respond(struct httpd_req *req,
                   int status,
                   const char *content_type,
                   const void *body,
                   size_t len)
{
    struct buf b = BUF_INIT;

    if (len > 0)
        buf_append(&b, body, len);
    httpd_respond_buf(req, status, content_type, &b);
}

static int dump_to_buf(const char *s, size_t len, void *arg)
{
    buf_append(arg, s, len);
    return 0;
}

void httpd_respond_json(struct httpd_req *req, int status, const json_t *v)
{
    struct buf b = BUF_INIT;
    bool pretty = httpd_req_pretty(req);
    size_t flags = JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
                   (pretty ? JSON_INDENT(4) : JSON_COMPACT);

    if (json_dump_callback(v, dump_to_buf, &b, flags) != 0) {
        buf_release(&b);
        httpd_respond_error(req, 500, "failed to encode response");
        return;
    }
    if (pretty)
        buf_putc(&b, '\n');
    httpd_respond_buf(req, status, HTTPD_CONTENT_JSON, &b);
}

void httpd_respond_json_text(struct httpd_req *req,
                             int status,
                             const char *json,
                             size_t len)
{
    httpd_respond(req, status, HTTPD_CONTENT_JSON, json, len);
}

void httpd_respond_error(struct httpd_req *req,
                         int status,
                         const char *fmt,
                         ...)
{
    struct buf b = BUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    httpd_respond_buf(req, status, HTTPD_CONTENT_TEXT, &b);
}

void httpd_respond_err(struct httpd_req *req, const struct err *err)
{
    int status;

    switch (err->code) {
    case ERR_INVALID:
    case ERR_MALFORMED:
        status = 400;
        break;
    case ERR_NOT_FOUND:
        status = 404;
        break;
    case ERR_TOO_BIG:
        status = 413;
        break;
    default:
        status = 500;
        break;
    }
    httpd_respond_error(req, status, "%s",
                        err->msg[0] != '\0' ? err->msg : err_str(err->code));
}

/* ------------------------------------------------------------ streams */

/* HTTP/1.0 has no chunked encoding: the body ends when the socket does. */
static bool stream_chunked(const struct httpd_req *req)
{
    return req->http_major > 1 || (req->http_major == 1 && req->http_minor > 0);
}

int httpd_stream_begin(struct httpd_req *req,
                       int status,
                       const char *content_type)
{
    struct buf head = BUF_INIT;
    struct buf none = BUF_INIT;

    assert(req->state == HTTPD__REQ_HANDLING);
    req->state = HTTPD__REQ_STREAMING;
    if (req->conn == NULL || req->conn->closing)
        return ERR_CANCELED;
    if (!stream_chunked(req))
        req->conn->close_after = true;
    head_common(req, status, content_type, &head);
    if (stream_chunked(req))
        buf_puts(&head, "Transfer-Encoding: chunked\r\n");
    buf_puts(&head, "\r\n");
    return httpd__conn_write(req->conn, &head, &none, false);
}

int httpd_stream_write(struct httpd_req *req, const void *data, size_t len)
{
    struct buf head = BUF_INIT;
    struct buf body = BUF_INIT;

    assert(req->state == HTTPD__REQ_STREAMING);
    if (req->conn == NULL || req->conn->closing)
        return ERR_CANCELED;
    /* A zero-length chunk would end the stream. */
    if (len == 0 || is_head(req))
        return 0;
    if (stream_chunked(req)) {
        buf_printf(&head, "%zx\r\n", len);
        buf_append(&body, data, len);
        buf_puts(&body, "\r\n");
    } else {
        buf_append(&body, data, len);
    }
    return httpd__conn_write(req->conn, &head, &body, false);
}

size_t httpd_stream_queued_bytes(const struct httpd_req *req)
{
    if (req->conn == NULL || req->conn->closing)
        return 0;
    return uv_stream_get_write_queue_size((const uv_stream_t *)&req->conn->tcp);
}

void httpd_stream_end(struct httpd_req *req)
{
    struct buf last = BUF_INIT;
    struct buf none = BUF_INIT;

    assert(req->state == HTTPD__REQ_STREAMING);
    if (req->conn != NULL && !req->conn->closing && stream_chunked(req) &&
        !is_head(req))
        buf_puts(&last, "0\r\n\r\n");
    httpd__req_finish(req, &last, &none);
}
