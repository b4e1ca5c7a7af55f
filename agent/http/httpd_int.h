/*
 * Internals shared by the files of the httpd module: httpd.c (listening,
 * connections, parsing), httpd_resp.c (responses and streams) and
 * httpd_route.c (route table, URL decoding, request accessors).
 */
#ifndef CARAVAN_AGENT_HTTP_HTTPD_INT_H
#define CARAVAN_AGENT_HTTP_HTTPD_INT_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "agent/http/httpd.h"
#include "lib/buf.h"
#include "lib/list.h"
#include "lib/log.h"

struct err;

/* The most one read takes from a socket. */
#define HTTPD__READ_BYTES (64 * 1024)

/* A name/value pair: headers, query and route parameters. Both owned. */
struct httpd__kv
{
    char *name;
    char *value;
};

struct httpd__kvs
{
    struct httpd__kv *items;
    size_t n;
    size_t cap;
};

/* ------------------------------------------------------------ routes */

enum httpd__seg_kind {
    HTTPD__SEG_LITERAL = 0, /* ordered by precedence: lower wins */
    HTTPD__SEG_PARAM,
    HTTPD__SEG_WILDCARD,
};

struct httpd__seg
{
    enum httpd__seg_kind kind;
    char *text; /* the literal, or the parameter's name without ':' */
};

struct httpd__route
{
    char **methods; /* NULL-terminated; NULL itself means any method */
    struct httpd__seg *segs;
    size_t nsegs;
    httpd_handler_cb handler;
    void *arg;
};

struct httpd__router
{
    struct httpd__route *routes;
    size_t n;
    size_t cap;
};

/* How a path fared against the table. */
enum httpd__match {
    HTTPD__MATCH_OK,
    HTTPD__MATCH_NO_PATH,   /* 404 */
    HTTPD__MATCH_NO_METHOD, /* 405; allow lists the methods that would do */
};

/* ------------------------------------------------------------ objects */

enum httpd__req_state {
    HTTPD__REQ_PARSING,   /* bytes still arriving; no handler has it */
    HTTPD__REQ_HANDLING,  /* handed to a handler, not answered yet */
    HTTPD__REQ_STREAMING, /* stream begun, not ended */
};

struct httpd_req
{
    struct httpd__conn *conn;
    enum httpd__req_state state;
    const char *method; /* static string from http_method_str() */
    unsigned short http_major;
    unsigned short http_minor;
    bool keep_alive;
    struct buf url; /* raw request-target */
    char *path;     /* decoded */
    char **segs;    /* decoded path segments */
    size_t nsegs;
    struct httpd__kvs query;
    struct httpd__kvs params;
    struct httpd__kvs headers;
    struct httpd__kvs resp_headers;
    struct buf body;
    httpd_abort_cb abort_cb;
    void *abort_arg;
};

struct httpd__conn
{
    struct httpd *srv;
    uv_tcp_t tcp; /* tcp.data == this */
    struct list_node link;
    http_parser parser;    /* parser.data == this */
    struct httpd_req *req; /* being parsed or handled; NULL between */
    struct buf in;         /* bytes read, parsed up to in_off */
    size_t in_off;
    struct buf hname; /* header being assembled across reads */
    struct buf hval;
    bool in_value;
    size_t header_bytes;
    int fail_status; /* set by a parser callback that refuses the request */
    const char *fail_reason;
    size_t writes_pending;
    bool paused; /* a request was dispatched; parse no further yet */
    bool reading;
    bool eof;         /* the peer sent FIN */
    bool close_after; /* close once the response in hand is written */
    bool linger;      /* an error response went out: drain, then close */
    size_t linger_bytes;
    bool closing;
};

struct httpd
{
    uv_loop_t *loop;
    struct httpd_config cfg; /* host points at host_copy */
    char *host_copy;
    uv_tcp_t listener;            /* listener.data == this */
    uv_timer_t grace;             /* grace.data == this */
    char rbuf[HTTPD__READ_BYTES]; /* reads land here first; see on_alloc() */
    struct list_node conns;
    struct httpd__router router;
    struct logger log;
    uint16_t port;
    bool closing;
    bool grace_closed;
    int handles_open;
    httpd_close_cb close_cb;
    void *close_arg;
};

/* ------------------------------------------------------------ helpers */

void httpd__kvs_add(struct httpd__kvs *kvs,
                    const char *name,
                    const char *value);
void httpd__kvs_release(struct httpd__kvs *kvs);

void httpd__router_init(struct httpd__router *r);
void httpd__router_release(struct httpd__router *r);
int httpd__router_add(struct httpd__router *r,
                      const char *spec,
                      httpd_handler_cb handler,
                      void *arg,
                      struct err *err);
/*
 * Finds the route for req's method and segments. On MATCH_OK sets *route
 * and fills req->params; on MATCH_NO_METHOD appends "GET, PUT" to allow.
 */
enum httpd__match httpd__router_match(const struct httpd__router *r,
                                      struct httpd_req *req,
                                      const struct httpd__route **route,
                                      struct buf *allow);

/*
 * Percent-decodes s[0..len) into a new heap string; "+" becomes a space
 * when plus_is_space. Fails with ERR_MALFORMED on a bad escape or one that
 * decodes to NUL.
 */
int httpd__pct_decode(const char *s,
                      size_t len,
                      bool plus_is_space,
                      char **out);
/*
 * Splits req->url into the decoded path, its segments and the query. Fails
 * with ERR_MALFORMED and a reason for the 400 body.
 */
int httpd__req_parse_url(struct httpd_req *req, struct err *err);

struct httpd_req *httpd__req_new(struct httpd__conn *conn);
void httpd__req_free(struct httpd_req *req);

/*
 * Finishes req whether or not anything was sent: detaches it from its
 * connection, frees it, and (when the connection is alive) queues the
 * response's last bytes so that the connection moves on once they are out.
 * Takes ownership of both bufs' contents.
 */
void httpd__req_finish(struct httpd_req *req,
                       struct buf *head,
                       struct buf *body);

/*
 * Writes a response that no handler produced (400, 413, 431...) and closes
 * the connection after it.
 */
void httpd__conn_fail(struct httpd__conn *conn, int status, const char *reason);
/* Queues bytes on the connection; takes ownership of both bufs' contents. */
int httpd__conn_write(struct httpd__conn *conn,
                      struct buf *head,
                      struct buf *body,
                      bool last);
/* Starts closing the connection (no-op when already closing). */
void httpd__conn_close(struct httpd__conn *conn);
/* Whether the response now being built should end the connection. */
bool httpd__conn_ends(const struct httpd__conn *conn,
                      const struct httpd_req *req);

/* Appends "HTTP/1.1 <status> <text>\r\n" and the standard headers. */
void httpd__head_begin(struct buf *head, int status);
const char *httpd__status_text(int status);

#endif
