/*
 * The agent's HTTP/1.1 server: libuv TCP plus http-parser, a route table,
 * and responses that are given at once, later (blocking queries) or in
 * chunks (log following).
 *
 * Everything here runs on the loop thread that owns the server; no function
 * may be called from another thread. libuv writes with write(2), so the
 * process must ignore SIGPIPE (signal(SIGPIPE, SIG_IGN) in agent/main.c);
 * otherwise a client that hangs up mid-response kills the agent.
 *
 * A request's life, as its handler sees it:
 *
 *   parsed -> handler(req) --+-- httpd_respond*()  ---------------> done
 *                            |
 *                            +-- return, keep req --+- httpd_respond*() -> done
 *                            |   (after setting     |
 *                            |    httpd_req_on_abort)+- client gone -> on_abort
 *                            |
 *                            +-- httpd_stream_begin() -- write ... end -> done
 *                                                    \- client gone -> on_abort
 *
 * "done" means the request was handed back: the pointer is dead from then
 * on. on_abort is the other way a request dies: the connection went away
 * (the client disconnected, a write failed, or httpd_close() ran out of
 * patience) before the handler finished it. on_abort is only ever called
 * from a loop callback, never from inside a call the handler made.
 *
 * Requests on one connection are answered in the order they arrived, one at
 * a time: a pipelined request is parsed only after the response before it
 * has been written to the socket.
 */
#ifndef CARAVAN_AGENT_HTTP_HTTPD_H
#define CARAVAN_AGENT_HTTP_HTTPD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct buf;
struct err;
struct httpd;
struct httpd_req;

#define HTTPD_DEFAULT_MAX_HEADER_BYTES ((size_t)64 * 1024)
#define HTTPD_DEFAULT_MAX_BODY_BYTES ((size_t)16 * 1024 * 1024)
#define HTTPD_DEFAULT_CLOSE_GRACE_MS 5000

#define HTTPD_CONTENT_JSON "application/json"
#define HTTPD_CONTENT_TEXT "text/plain; charset=utf-8"

/* Zero fields take the defaults named beside them. */
struct httpd_config
{
    const char *host; /* "127.0.0.1" (NULL), "::1", "0.0.0.0", "[::]"... */
    uint16_t port;    /* 0: the kernel picks; see httpd_port() */
    size_t max_header_bytes; /* request line + headers; 64 KiB */
    size_t max_body_bytes;   /* 16 MiB */
    /* How long httpd_close() lets busy connections finish; 5 s. */
    uint64_t close_grace_ms;
};

/*
 * Called for a request whose route matched. The handler either responds
 * before returning, or keeps req and then must have called
 * httpd_req_on_abort() (asserted) so it learns when req dies.
 */
typedef void (*httpd_handler_cb)(struct httpd_req *req, void *arg);
/* The request died before its handler finished it; drop every reference. */
typedef void (*httpd_abort_cb)(struct httpd_req *req, void *arg);
typedef void (*httpd_close_cb)(void *arg);

/* ------------------------------------------------------------ server */

/*
 * Creates a server on loop that does not listen yet. cfg is copied. The
 * server must be closed with httpd_close(), whatever else happened.
 */
struct httpd *httpd_new(uv_loop_t *loop, const struct httpd_config *cfg);

/*
 * Adds a route. spec is "<methods> <pattern>": methods is one method, a
 * list like "PUT|POST", or "*" for any. The pattern is a path of literal
 * segments, ":name" segments that match one non-empty segment, and an
 * optional last segment "*" that matches the rest of the path (possibly
 * empty, but the "/" before it must be there). Examples: "GET /v1/job/:id",
 * "PUT|POST /v1/jobs", and "GET /ui/" ending in a wildcard segment for a
 * tree of files. When several routes fit a path, the most specific wins,
 * comparing segments from the left (literal over ":name" over "*"); then
 * the one added first. Fails with ERR_INVALID (message in err) on a
 * malformed spec.
 */
int httpd_route(struct httpd *srv,
                const char *spec,
                httpd_handler_cb handler,
                void *arg,
                struct err *err);

/*
 * Binds to cfg->host:cfg->port and starts accepting. Fails with -errno
 * style libuv codes (UV_EADDRINUSE, UV_EADDRNOTAVAIL...) or ERR_INVALID for
 * an unparsable host, with a message naming the address.
 */
int httpd_listen(struct httpd *srv, struct err *err);

/* The bound port (the kernel's pick when cfg->port was 0); 0 before. */
uint16_t httpd_port(const struct httpd *srv);

/*
 * Stops accepting and closes idle connections. Busy connections finish
 * the request in hand (its response carries "Connection: close") and then
 * close; those still busy after close_grace_ms are closed, which aborts
 * their requests. Calls cb(arg) once every handle is closed, then frees
 * srv. Callable once, also after a failed httpd_listen().
 */
void httpd_close(struct httpd *srv, httpd_close_cb cb, void *arg);

/* ------------------------------------------------------------ request */

/* "GET", "PUT"... Borrowed, valid while req lives. */
const char *httpd_req_method(const struct httpd_req *req);
/* The percent-decoded path, without the query. Borrowed. */
const char *httpd_req_path(const struct httpd_req *req);
/* The request-target as sent: path and query, still escaped. */
const char *httpd_req_url(const struct httpd_req *req);
/*
 * The value of a route parameter (":id" is asked for as "id", the trailing
 * wildcard as "*"), percent-decoded, or NULL. Borrowed.
 */
const char *httpd_req_param(const struct httpd_req *req, const char *name);
/*
 * The first value of query parameter name, decoded as Go's url.Query()
 * does ("+" is a space, malformed pairs are dropped); "" for "?name" with
 * no "="; NULL when absent. Borrowed.
 */
const char *httpd_query_get(const struct httpd_req *req, const char *name);
/* The n-th (from 0) value of a repeated parameter, or NULL. */
const char *httpd_query_get_nth(const struct httpd_req *req,
                                const char *name,
                                size_t n);
/* A request header, name matched case-insensitively, or NULL. Borrowed. */
const char *httpd_header_get(const struct httpd_req *req, const char *name);
/* The body (NUL-terminated after len bytes, "" when empty). Borrowed. */
const char *httpd_req_body(const struct httpd_req *req, size_t *len);
/* The loop the server runs on, for handlers that start timers. */
uv_loop_t *httpd_req_loop(const struct httpd_req *req);

/* Nomad's ?pretty: present with any value but "0". */
bool httpd_req_pretty(const struct httpd_req *req);
/* Nomad's ?namespace=, "default" when absent. Borrowed. */
const char *httpd_req_namespace(const struct httpd_req *req);
/*
 * The ACL token from X-Nomad-Token or "Authorization: Bearer <t>", or
 * NULL. Borrowed; never log it.
 */
const char *httpd_req_token(const struct httpd_req *req);

/*
 * Registers the callback told when req dies unanswered (see the top of
 * this file). A second call replaces the first; cb may be NULL to clear.
 */
void httpd_req_on_abort(struct httpd_req *req, httpd_abort_cb cb, void *arg);

/* ------------------------------------------------------------ response */

/*
 * Sets a response header, replacing one of the same name (any case). Both
 * strings are copied; CR and LF become spaces. Before the response starts.
 */
void httpd_set_header(struct httpd_req *req,
                      const char *name,
                      const char *value);

/*
 * Answers req with a whole body (copied; may be NULL when len is 0).
 * content_type may be NULL for none. Finishes req: the pointer is dead
 * after the call. If the connection is already going away the response is
 * dropped, which is still a finish (no on_abort follows).
 */
void httpd_respond(struct httpd_req *req,
                   int status,
                   const char *content_type,
                   const void *body,
                   size_t len);
/* As httpd_respond(), taking ownership of body's contents (left empty). */
void httpd_respond_buf(struct httpd_req *req,
                       int status,
                       const char *content_type,
                       struct buf *body);
/*
 * Answers with v encoded as JSON (borrowed), compact or, on ?pretty,
 * indented by four spaces. Object keys keep their insertion order.
 */
void httpd_respond_json(struct httpd_req *req, int status, const json_t *v);
/* Answers with JSON text the caller already encoded (copied). */
void httpd_respond_json_text(struct httpd_req *req,
                             int status,
                             const char *json,
                             size_t len);
/*
 * Answers with a plain-text body formatted as by printf: how Nomad sends
 * its errors (the text alone, no status prefix, no newline).
 */
void httpd_respond_error(struct httpd_req *req,
                         int status,
                         const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));
/*
 * A plain-text error from err: ERR_INVALID and ERR_MALFORMED give 400,
 * ERR_NOT_FOUND 404, ERR_TOO_BIG 413, anything else 500.
 */
void httpd_respond_err(struct httpd_req *req, const struct err *err);

/*
 * Starts a streamed response with chunked transfer encoding (HTTP/1.0
 * clients get the bytes raw and the connection closes at the end).
 * The handler must have set on_abort unless it ends the stream before
 * returning. Returns 0, or ERR_CANCELED when the connection is going away.
 */
int httpd_stream_begin(struct httpd_req *req,
                       int status,
                       const char *content_type);
/*
 * Sends one chunk (copied; empty writes send nothing). Returns 0, or
 * ERR_CANCELED when the connection is going away: stop producing and wait
 * for on_abort, or end the stream.
 */
int httpd_stream_write(struct httpd_req *req, const void *data, size_t len);
/* Bytes written but not yet taken by the kernel, to pace a producer. */
size_t httpd_stream_queued_bytes(const struct httpd_req *req);
/* Ends the stream and finishes req: the pointer is dead after the call. */
void httpd_stream_end(struct httpd_req *req);

#endif
