/*
 * Tests of agent/http/httpd: a real server on 127.0.0.1 port 0 inside a
 * libuv loop on the test's main thread, and a client on a second thread
 * (libcurl, or raw sockets for what curl will not send). The client thread
 * tells the loop it is done through a uv_async_t; the loop then closes the
 * server and every handle, and the test ends with uv_loop_close() == 0.
 * Where the client must wait for the server to reach a state (a handler
 * entered, a request aborted) it waits on a semaphore the loop posts.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#include "agent/http/httpd.h"
#include "agent/http/httpd_wait.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/time.h"
#include "tests/harness/test.h"

/* ------------------------------------------------------------ fixture */

struct fixture
{
    uv_loop_t loop;
    struct httpd *srv;
    uint16_t port;
    char base[64]; /* "http://127.0.0.1:port" */
    uv_async_t done;
    uv_thread_t thread;
    void (*client)(void);
    bool close_started;
    bool closed;
    /* Loop side -> client: a handler was entered; a request was aborted. */
    uv_sem_t entered;
    uv_sem_t aborted;
    int aborts; /* written on the loop; read by the client after a sem */
    /* Blocking queries. */
    struct httpd_wait wait;
    bool wait_closed;
    uint64_t index;
    int parked;
    int woken;
    int wait_aborts;
    void (*on_parked)(void);
    uv_timer_t timer; /* for the test's own loop-side steps */
};

static struct fixture f;

static void on_srv_closed(void *arg)
{
    (void)arg;
    f.closed = true;
}

/* Closing is allowed once; handlers that close the server use this too. */
static void fx_close(void)
{
    if (f.close_started)
        return;
    f.close_started = true;
    httpd_close(f.srv, on_srv_closed, NULL);
}

static void on_wait_closed(struct httpd_wait *w)
{
    (void)w;
}

static void on_done(uv_async_t *a)
{
    uv_close((uv_handle_t *)a, NULL);
    uv_close((uv_handle_t *)&f.timer, NULL);
    if (!f.wait_closed) {
        f.wait_closed = true;
        httpd_wait_close(&f.wait, on_wait_closed);
    }
    fx_close();
}

static void client_main(void *arg)
{
    (void)arg;
    f.client();
    uv_async_send(&f.done);
}

static void register_routes(void);

/* Creates the server on host with cfg's limits; returns httpd_listen's rc. */
static int fx_start(const char *host, const struct httpd_config *limits)
{
    struct httpd_config cfg = {0};
    struct err err = ERR_INIT;
    int rc;

    if (limits != NULL)
        cfg = *limits;
    cfg.host = host;
    cfg.port = 0;
    ck_assert_int_eq(uv_loop_init(&f.loop), 0);
    f.srv = httpd_new(&f.loop, &cfg);
    register_routes();
    httpd_wait_init(&f.wait, &f.loop);
    uv_timer_init(&f.loop, &f.timer);
    rc = httpd_listen(f.srv, &err);
    if (rc == 0) {
        f.port = httpd_port(f.srv);
        ck_assert_uint_ne(f.port, 0);
        snprintf(f.base, sizeof(f.base),
                 strchr(host, ':') ? "http://[%s]:%u" : "http://%s:%u", host,
                 (unsigned)f.port);
    } else {
        snprintf(f.base, sizeof(f.base), "%.60s", err.msg);
    }
    return rc;
}

/* Runs the loop with client on its own thread until everything closed. */
static void fx_run(void (*client)(void))
{
    f.client = client;
    ck_assert_int_eq(uv_async_init(&f.loop, &f.done, on_done), 0);
    ck_assert_int_eq(uv_thread_create(&f.thread, client_main, NULL), 0);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    uv_thread_join(&f.thread);
    ck_assert(f.closed);
    ck_assert_int_eq(uv_loop_close(&f.loop), 0);
}

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    uv_sem_init(&f.entered, 0);
    uv_sem_init(&f.aborted, 0);
    f.index = 5;
    /* As agent/main.c must: a client hanging up must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void teardown(void)
{
    curl_global_cleanup();
    uv_sem_destroy(&f.entered);
    uv_sem_destroy(&f.aborted);
}

/* ------------------------------------------------------------ handlers */

static void h_job(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond_error(req, 200, "job=%s", httpd_req_param(req, "id"));
}

static void h_job_allocs(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond_error(req, 200, "allocs=%s", httpd_req_param(req, "id"));
}

static void h_literal(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond(req, 200, HTTPD_CONTENT_TEXT, "literal", 7);
}

static void h_ui(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond_error(req, 200, "ui=%s", httpd_req_param(req, "*"));
}

static void h_stop(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond(req, 200, NULL, NULL, 0);
}

static void h_echo(struct httpd_req *req, void *arg)
{
    const char *custom = httpd_header_get(req, "X-Custom");
    const char *body;
    size_t len;

    (void)arg;
    body = httpd_req_body(req, &len);
    httpd_set_header(req, "X-Echo", custom != NULL ? custom : "(none)");
    httpd_respond(req, 201, "application/octet-stream", body, len);
}

static const char *or_null(const char *s)
{
    return s != NULL ? s : "(null)";
}

static void h_query(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond_error(
        req, 200, "a=%s|a1=%s|b=%s|c=%s|d=%s|bad=%s|path=%s",
        or_null(httpd_query_get(req, "a")),
        or_null(httpd_query_get_nth(req, "a", 1)),
        or_null(httpd_query_get(req, "b")), or_null(httpd_query_get(req, "c")),
        or_null(httpd_query_get(req, "d")),
        or_null(httpd_query_get(req, "bad")), httpd_req_path(req));
}

static void h_whoami(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond_error(req, 200, "ns=%s token=%s", httpd_req_namespace(req),
                        or_null(httpd_req_token(req)));
}

static void h_json(struct httpd_req *req, void *arg)
{
    json_t *v = json_pack("{s:i, s:[i,i]}", "b", 1, "a", 1, 2);

    (void)arg;
    httpd_respond_json(req, 200, v);
    json_decref(v);
}

static void h_notfound_err(struct httpd_req *req, void *arg)
{
    struct err err = ERR_INIT;

    (void)arg;
    err_set(&err, ERR_NOT_FOUND, "job not found");
    httpd_respond_err(req, &err);
}

/* A response given later from a timer; aborted if the client leaves. */
struct later
{
    uv_timer_t timer; /* timer.data == this */
    struct httpd_req *req;
};

static void later_closed(uv_handle_t *h)
{
    free(h->data);
}

static void later_fire(uv_timer_t *t)
{
    struct later *l = t->data;

    httpd_respond(l->req, 200, HTTPD_CONTENT_TEXT, "late", 4);
    uv_close((uv_handle_t *)t, later_closed);
}

static void later_abort(struct httpd_req *req, void *arg)
{
    struct later *l = arg;

    (void)req;
    f.aborts++;
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, later_closed);
    uv_sem_post(&f.aborted);
}

static void later_start(struct httpd_req *req, uint64_t ms)
{
    struct later *l = xcalloc(1, sizeof(*l));

    uv_timer_init(httpd_req_loop(req), &l->timer);
    l->timer.data = l;
    l->req = req;
    httpd_req_on_abort(req, later_abort, l);
    uv_timer_start(&l->timer, later_fire, ms, 0);
}

static void h_async(struct httpd_req *req, void *arg)
{
    (void)arg;
    later_start(req, 20);
}

/* Answers later, after closing the server from inside the handler. */
static void h_slow_close(struct httpd_req *req, void *arg)
{
    (void)arg;
    later_start(req, 50);
    fx_close();
    uv_sem_post(&f.entered);
}

/* Never answers; only the abort ends it. */
static void hang_abort(struct httpd_req *req, void *arg)
{
    (void)req;
    (void)arg;
    f.aborts++;
    uv_sem_post(&f.aborted);
}

static void h_hang(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_req_on_abort(req, hang_abort, NULL);
    uv_sem_post(&f.entered);
}

static void h_hang_close(struct httpd_req *req, void *arg)
{
    h_hang(req, arg);
    fx_close();
}

/* A streamed response: three chunks, or endless ones with ?follow=true. */
struct streamer
{
    uv_timer_t timer; /* timer.data == this */
    struct httpd_req *req;
    int n;
    bool follow;
};

static void streamer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void streamer_tick(uv_timer_t *t)
{
    struct streamer *s = t->data;
    char line[32];
    int len = snprintf(line, sizeof(line), "chunk%d\n", s->n++);

    httpd_stream_write(s->req, line, (size_t)len);
    if (s->n == 1 && s->follow)
        uv_sem_post(&f.entered);
    if (s->n < 3 || s->follow)
        return;
    httpd_stream_end(s->req);
    uv_timer_stop(t);
    uv_close((uv_handle_t *)t, streamer_closed);
}

static void streamer_abort(struct httpd_req *req, void *arg)
{
    struct streamer *s = arg;

    (void)req;
    f.aborts++;
    uv_timer_stop(&s->timer);
    uv_close((uv_handle_t *)&s->timer, streamer_closed);
    uv_sem_post(&f.aborted);
}

static void h_logs(struct httpd_req *req, void *arg)
{
    struct streamer *s = xcalloc(1, sizeof(*s));
    const char *follow = httpd_query_get(req, "follow");

    (void)arg;
    s->req = req;
    s->follow = follow != NULL && strcmp(follow, "true") == 0;
    uv_timer_init(httpd_req_loop(req), &s->timer);
    s->timer.data = s;
    httpd_req_on_abort(req, streamer_abort, s);
    ck_assert_int_eq(httpd_stream_begin(req, 200, HTTPD_CONTENT_TEXT), 0);
    uv_timer_start(&s->timer, streamer_tick, 5, 5);
}

/* A blocking query over f.index, parked on f.wait. */
static void blocking_answer(struct httpd_req *req)
{
    httpd_wait_set_headers(req, f.index, true, 0);
    httpd_respond_error(req, 200, "index=%" PRIu64, f.index);
}

static void on_blocking_wait(struct httpd_req *req,
                             enum httpd_wait_reason why,
                             void *arg)
{
    (void)arg;
    if (why == HTTPD_WAIT_ABORTED) {
        f.wait_aborts++;
        uv_sem_post(&f.aborted);
        return;
    }
    if (why == HTTPD_WAIT_WOKEN)
        f.woken++;
    blocking_answer(req);
}

static void h_blocking(struct httpd_req *req, void *arg)
{
    struct err err = ERR_INIT;
    uint64_t index;
    uint64_t wait_ms;
    int rc;

    (void)arg;
    if (httpd_wait_parse(req, &index, &wait_ms, &err) != 0) {
        httpd_respond_err(req, &err);
        return;
    }
    if (index == 0 || f.index > index) {
        blocking_answer(req);
        return;
    }
    rc = httpd_wait_add(
        &f.wait, req,
        &(struct httpd_wait_opts){
            .min_index = index, .wait_ms = wait_ms, .cb = on_blocking_wait});
    if (rc != 0) {
        blocking_answer(req);
        return;
    }
    f.parked++;
    uv_sem_post(&f.entered);
    if (f.on_parked != NULL)
        f.on_parked();
}

static void register_routes(void)
{
    static const struct
    {
        const char *spec;
        httpd_handler_cb handler;
    } routes[] = {
        {"GET /v1/job/:id", h_job},
        {"GET /v1/job/:id/allocations", h_job_allocs},
        {"GET /v1/job/parse", h_literal},
        {"DELETE /v1/job/:id", h_stop},
        {"PUT|POST /v1/jobs", h_echo},
        {"GET /ui/*", h_ui},
        {"GET /v1/query", h_query},
        {"GET /v1/whoami", h_whoami},
        {"GET|HEAD /v1/json", h_json},
        {"GET /v1/missing", h_notfound_err},
        {"GET /v1/async", h_async},
        {"GET /v1/slow-close", h_slow_close},
        {"GET /v1/hang", h_hang},
        {"GET /v1/hang-close", h_hang_close},
        {"GET /v1/client/fs/logs/:alloc", h_logs},
        {"GET /v1/blocking", h_blocking},
    };
    struct err err = ERR_INIT;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        ck_assert_int_eq(
            httpd_route(f.srv, routes[i].spec, routes[i].handler, NULL, &err),
            0);
}

/* ------------------------------------------------------------ curl client */

struct resp
{
    long status;
    struct buf head;
    struct buf body;
    double seconds;
};

static void resp_release(struct resp *r)
{
    buf_release(&r->head);
    buf_release(&r->body);
}

static size_t append_cb(char *p, size_t size, size_t n, void *arg)
{
    buf_append(arg, p, size * n);
    return size * n;
}

/* The value of header name in raw header text, into out ("" if absent). */
static const char *head_get(const struct buf *head,
                            const char *name,
                            char *out,
                            size_t size)
{
    const char *p = buf_str(head);
    size_t nlen = strlen(name);

    out[0] = '\0';
    for (; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
        size_t vlen;

        if (strncasecmp(p, name, nlen) != 0 || p[nlen] != ':')
            continue;
        p += nlen + 1;
        p += strspn(p, " ");
        vlen = strcspn(p, "\r\n");
        snprintf(out, size, "%.*s", (int)vlen, p);
        return out;
    }
    return out;
}

static CURL *easy_new(void)
{
    CURL *c = curl_easy_init();

    ck_assert_ptr_nonnull(c);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_cb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, append_cb);
    return c;
}

static void easy_prepare(CURL *c,
                         const char *method,
                         const char *path,
                         struct buf *body_out,
                         struct buf *head_out)
{
    char url[512];

    snprintf(url, sizeof(url), "%s%s", f.base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body_out);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, head_out);
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
}

/* One request on c (reused connections stay open between calls). */
static void http_do(CURL *c,
                    const char *method,
                    const char *path,
                    const struct buf *body,
                    struct curl_slist *headers,
                    struct resp *r)
{
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    easy_prepare(c, method, path, &r->body, &r->head);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, buf_str(body));
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
                  curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
}

static void http_get(const char *path, struct resp *r)
{
    CURL *c = easy_new();

    http_do(c, "GET", path, NULL, NULL, r);
    curl_easy_cleanup(c);
}

/* Asserts a GET answers status with exactly body. */
static void expect_get(const char *path, long status, const char *body)
{
    struct resp r;

    http_get(path, &r);
    ck_assert_msg(r.status == status, "GET %s: status %ld, want %ld", path,
                  r.status, status);
    ck_assert_str_eq(buf_str(&r.body), body);
    resp_release(&r);
}

/* ------------------------------------------------------------ raw client */

static int raw_connect_to(int family, const char *addr)
{
    struct sockaddr_storage ss;
    socklen_t len;
    struct timeval tv = {.tv_sec = 10};
    int fd = socket(family, SOCK_STREAM, 0);

    ck_assert_int_ne(fd, -1);
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(f.port);
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
        len = sizeof(*s6);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons(f.port);
        inet_pton(AF_INET, addr, &s4->sin_addr);
        len = sizeof(*s4);
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ck_assert_msg(connect(fd, (struct sockaddr *)&ss, len) == 0, "connect: %s",
                  strerror(errno));
    return fd;
}

static int raw_connect(void)
{
    return raw_connect_to(AF_INET, "127.0.0.1");
}

static void raw_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        ck_assert_msg(n > 0, "send: %s", strerror(errno));
        data += n;
        len -= (size_t)n;
    }
}

static void raw_sends(int fd, const char *s)
{
    raw_send(fd, s, strlen(s));
}

struct raw_resp
{
    int status;
    struct buf head;
    struct buf body;
};

static void raw_resp_release(struct raw_resp *r)
{
    buf_release(&r->head);
    buf_release(&r->body);
}

/*
 * Reads one Content-Length delimited response from fd into r; acc holds
 * bytes read past it for the next call. Returns 0, or -1 if the connection
 * ended first.
 */
static int raw_read(int fd, struct buf *acc, struct raw_resp *r)
{
    char tmp[16384];
    char cl[32];

    memset(r, 0, sizeof(*r));
    for (;;) {
        const char *end = acc->len > 0 ? strstr(acc->data, "\r\n\r\n") : NULL;
        ssize_t n;

        if (end != NULL) {
            size_t hlen = (size_t)(end - acc->data) + 4;
            size_t blen;

            buf_reset(&r->head);
            buf_append(&r->head, acc->data, hlen);
            blen = (size_t)strtoul(
                head_get(&r->head, "Content-Length", cl, sizeof(cl)), NULL, 10);
            if (acc->len >= hlen + blen) {
                sscanf(acc->data, "HTTP/1.%*d %d", &r->status);
                buf_append(&r->body, acc->data + hlen, blen);
                memmove(acc->data, acc->data + hlen + blen,
                        acc->len - hlen - blen);
                acc->len -= hlen + blen;
                acc->data[acc->len] = '\0';
                return 0;
            }
        }
        n = recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0)
            return -1;
        buf_append(acc, tmp, (size_t)n);
    }
}

/* Reads the head of a response that has no body (HEAD) into acc. */
static void raw_read_head(int fd, struct buf *acc)
{
    char c;

    while (acc->len < 4 || strcmp(acc->data + acc->len - 4, "\r\n\r\n") != 0) {
        ck_assert_int_eq(recv(fd, &c, 1, 0), 1);
        buf_putc(acc, c);
    }
}

/* True once the peer closed: recv gives EOF (or a reset). */
static bool raw_closed(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, 0);

    return n == 0 || (n == -1 && errno == ECONNRESET);
}

/* ------------------------------------------------------------ tests */

static void client_routes(void)
{
    expect_get("/v1/job/web", 200, "job=web");
    expect_get("/v1/job/a%2Fb", 200, "job=a/b");
    expect_get("/v1/job/web/allocations", 200, "allocs=web");
    expect_get("/v1/job/parse", 200, "literal");
    expect_get("/v1/client/fs/logs/3f2a", 200, "chunk0\nchunk1\nchunk2\n");
    expect_get("/ui/a/b%20c", 200, "ui=a/b c");
    expect_get("/ui/", 200, "ui=");
}

START_TEST(routes_match_params_and_wildcard)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_routes);
}
END_TEST

static void client_not_found(void)
{
    struct resp r;
    char ct[128];

    http_get("/nope", &r);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(buf_str(&r.body), "404 page not found");
    ck_assert_str_eq(head_get(&r.head, "Content-Type", ct, sizeof(ct)),
                     HTTPD_CONTENT_TEXT);
    resp_release(&r);
    expect_get("/v1/job/", 404, "404 page not found");
    expect_get("/ui", 404, "404 page not found");
    expect_get("/v1/job/web/allocations/x", 404, "404 page not found");
    /* A handler's own not-found error keeps its text. */
    expect_get("/v1/missing", 404, "job not found");
}

START_TEST(unknown_path_is_404)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_not_found);
}
END_TEST

static void client_wrong_method(void)
{
    CURL *c = easy_new();
    struct resp r;
    char allow[128];

    http_do(c, "PUT", "/v1/job/web", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(buf_str(&r.body), "Invalid method");
    ck_assert_str_eq(head_get(&r.head, "Allow", allow, sizeof(allow)),
                     "GET, DELETE");
    resp_release(&r);
    http_do(c, "DELETE", "/v1/job/web", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    resp_release(&r);
    http_do(c, "GET", "/v1/jobs", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(head_get(&r.head, "Allow", allow, sizeof(allow)),
                     "PUT, POST");
    resp_release(&r);
    curl_easy_cleanup(c);
}

START_TEST(wrong_method_is_405_with_allow)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_wrong_method);
}
END_TEST

static void client_query(void)
{
    expect_get("/v1/query?a=x%20y+z&b=%E2%9C%93&c&a=2&bad=%zz&d=", 200,
               "a=x y z|a1=2|b=\xe2\x9c\x93|c=|d=|bad=(null)|path=/v1/query");
    expect_get("/v1/query", 200,
               "a=(null)|a1=(null)|b=(null)|c=(null)|d=(null)|bad=(null)|"
               "path=/v1/query");
    /* "+" is literal in a path, and %2B decodes to "+" in a query. */
    expect_get("/v1/job/a+b?x=1", 200, "job=a+b");
    expect_get("/v1/query?a=%2B", 200,
               "a=+|a1=(null)|b=(null)|c=(null)|d=(null)|bad=(null)|"
               "path=/v1/query");
}

START_TEST(query_is_percent_decoded)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_query);
}
END_TEST

static void client_token(void)
{
    CURL *c = easy_new();
    struct curl_slist *h = NULL;
    struct resp r;

    expect_get("/v1/whoami", 200, "ns=default token=(null)");
    h = curl_slist_append(h, "x-nomad-token: s3cret");
    http_do(c, "GET", "/v1/whoami?namespace=prod", NULL, h, &r);
    ck_assert_str_eq(buf_str(&r.body), "ns=prod token=s3cret");
    resp_release(&r);
    curl_slist_free_all(h);
    h = curl_slist_append(NULL, "Authorization: Bearer abc");
    http_do(c, "GET", "/v1/whoami", NULL, h, &r);
    ck_assert_str_eq(buf_str(&r.body), "ns=default token=abc");
    resp_release(&r);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

START_TEST(token_and_namespace_are_read)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_token);
}
END_TEST

static void client_echo(void)
{
    CURL *c = easy_new();
    struct curl_slist *h = curl_slist_append(NULL, "x-CUSTOM: v1");
    struct buf body = BUF_INIT;
    struct resp r;
    char v[64];

    buf_puts(&body, "hello");
    http_do(c, "POST", "/v1/jobs", &body, h, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_str_eq(buf_str(&r.body), "hello");
    ck_assert_str_eq(head_get(&r.head, "X-Echo", v, sizeof(v)), "v1");
    resp_release(&r);
    /* Large enough to go through "Expect: 100-continue". */
    buf_reset(&body);
    for (int i = 0; i < 300000; i++)
        buf_putc(&body, (char)('a' + i % 26));
    curl_slist_free_all(h);
    h = curl_slist_append(NULL, "Expect: 100-continue");
    http_do(c, "PUT", "/v1/jobs", &body, h, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_uint_eq(r.body.len, body.len);
    ck_assert(memcmp(r.body.data, body.data, body.len) == 0);
    ck_assert_str_eq(head_get(&r.head, "X-Echo", v, sizeof(v)), "(none)");
    resp_release(&r);
    curl_slist_free_all(h);
    buf_release(&body);
    curl_easy_cleanup(c);
}

START_TEST(body_and_headers_reach_handler)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_echo);
}
END_TEST

static void client_too_large(void)
{
    CURL *c = easy_new();
    struct buf body = BUF_INIT;
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    struct resp r;
    int fd;

    for (int i = 0; i < 4096; i++)
        buf_putc(&body, 'x');
    http_do(c, "POST", "/v1/jobs", &body, NULL, &r);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(buf_str(&r.body), "Request body too large");
    resp_release(&r);
    curl_easy_cleanup(c);
    /* Chunked: no length up front, so the limit trips while reading. */
    fd = raw_connect();
    raw_sends(fd,
              "POST /v1/jobs HTTP/1.1\r\nHost: x\r\n"
              "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 5; i++) {
        raw_sends(fd, "200\r\n");
        raw_send(fd, body.data, 0x200);
        raw_sends(fd, "\r\n");
    }
    raw_sends(fd, "0\r\n\r\n");
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_int_eq(rr.status, 413);
    ck_assert_str_eq(buf_str(&rr.body), "Request body too large");
    ck_assert(raw_closed(fd));
    raw_resp_release(&rr);
    close(fd);
    buf_release(&acc);
    /* The server is fine afterwards, and a body at the limit passes. */
    expect_get("/v1/job/ok", 200, "job=ok");
    c = easy_new();
    buf_reset(&body);
    for (int i = 0; i < 1024; i++)
        buf_putc(&body, 'z');
    http_do(c, "POST", "/v1/jobs", &body, NULL, &r);
    ck_assert_int_eq(r.status, 201);
    ck_assert_uint_eq(r.body.len, 1024);
    resp_release(&r);
    curl_easy_cleanup(c);
    buf_release(&body);
}

START_TEST(body_over_limit_is_413)
{
    struct httpd_config limits = {.max_body_bytes = 1024};

    ck_assert_int_eq(fx_start("127.0.0.1", &limits), 0);
    fx_run(client_too_large);
}
END_TEST

static void client_header_too_large(void)
{
    struct buf req = BUF_INIT;
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    int fd = raw_connect();

    buf_puts(&req, "GET /v1/job/x HTTP/1.1\r\nX-Big: ");
    for (int i = 0; i < 70000; i++)
        buf_putc(&req, 'y');
    buf_puts(&req, "\r\n\r\n");
    raw_send(fd, req.data, req.len);
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_int_eq(rr.status, 431);
    ck_assert(raw_closed(fd));
    raw_resp_release(&rr);
    close(fd);
    buf_release(&acc);
    buf_release(&req);
}

START_TEST(header_over_limit_is_431)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_header_too_large);
}
END_TEST

/* Sends one malformed request on a new connection; expects 400 + close. */
static void expect_400(const char *request, const char *reason_part)
{
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    char conn[32];
    int fd = raw_connect();

    raw_sends(fd, request);
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_int_eq(rr.status, 400);
    ck_assert_msg(strstr(buf_str(&rr.body), reason_part) != NULL,
                  "body \"%s\" lacks \"%s\"", buf_str(&rr.body), reason_part);
    ck_assert_str_eq(head_get(&rr.head, "Connection", conn, sizeof(conn)),
                     "close");
    ck_assert(raw_closed(fd));
    raw_resp_release(&rr);
    buf_release(&acc);
    close(fd);
}

static void client_malformed(void)
{
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    int fd;

    expect_400("BLAH /x HTTP/1.1\r\n\r\n", "Malformed HTTP request");
    expect_400("GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
               "Malformed HTTP request");
    expect_400("GET /x HTTP/9\r\n\r\n", "Malformed HTTP request");
    expect_400("\x01\x02\x03\r\n\r\n", "Malformed HTTP request");
    /* A bad escape in the path is a 400 of its own; the connection stays. */
    fd = raw_connect();
    raw_sends(fd,
              "GET /v1/job/%zz HTTP/1.1\r\nHost: x\r\n\r\n"
              "GET /v1/job/%00 HTTP/1.1\r\nHost: x\r\n\r\n"
              "GET /v1/job/fine HTTP/1.1\r\nHost: x\r\n\r\n");
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
        ck_assert_int_eq(rr.status, 400);
        ck_assert_str_eq(buf_str(&rr.body), "invalid URL escape in path");
        raw_resp_release(&rr);
    }
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "job=fine");
    raw_resp_release(&rr);
    close(fd);
    buf_release(&acc);
    expect_get("/v1/job/after", 200, "job=after");
}

START_TEST(malformed_request_is_400)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_malformed);
}
END_TEST

static void client_keep_alive(void)
{
    CURL *c = easy_new();
    struct resp r;
    long port1;
    long port2;
    long connects;

    http_do(c, "GET", "/v1/job/one", NULL, NULL, &r);
    ck_assert_str_eq(buf_str(&r.body), "job=one");
    curl_easy_getinfo(c, CURLINFO_LOCAL_PORT, &port1);
    resp_release(&r);
    http_do(c, "GET", "/v1/async", NULL, NULL, &r);
    ck_assert_str_eq(buf_str(&r.body), "late");
    curl_easy_getinfo(c, CURLINFO_LOCAL_PORT, &port2);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    resp_release(&r);
    ck_assert_int_eq(connects, 0); /* the second request made no new one */
    ck_assert_int_eq(port1, port2);
    curl_easy_cleanup(c);
}

START_TEST(keep_alive_serves_two_requests_on_one_connection)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_keep_alive);
}
END_TEST

static void client_pipeline(void)
{
    struct buf req = BUF_INIT;
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    char want[32];
    int fd = raw_connect();

    /* The first answer comes late from a timer; order must still hold. */
    raw_sends(fd,
              "GET /v1/async HTTP/1.1\r\nHost: x\r\n\r\n"
              "GET /v1/job/a HTTP/1.1\r\nHost: x\r\n\r\n"
              "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
              "\r\nabcGET /v1/job/b HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "late");
    raw_resp_release(&rr);
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "job=a");
    raw_resp_release(&rr);
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "abc");
    raw_resp_release(&rr);
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "job=b");
    raw_resp_release(&rr);
    /* A burst far larger than one read, with async requests in it. */
    for (int i = 0; i < 2000; i++) {
        if (i % 500 == 0)
            buf_puts(&req, "GET /v1/async HTTP/1.1\r\nHost: x\r\n\r\n");
        else
            buf_printf(&req, "GET /v1/job/%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    }
    raw_send(fd, req.data, req.len);
    for (int i = 0; i < 2000; i++) {
        ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
        if (i % 500 == 0)
            snprintf(want, sizeof(want), "late");
        else
            snprintf(want, sizeof(want), "job=%d", i);
        ck_assert_str_eq(buf_str(&rr.body), want);
        raw_resp_release(&rr);
    }
    close(fd);
    buf_release(&acc);
    buf_release(&req);
}

START_TEST(pipelined_requests_are_answered_in_order)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_pipeline);
}
END_TEST

static void client_async(void)
{
    struct resp r;

    http_get("/v1/async", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(buf_str(&r.body), "late");
    /* The timer ran for 20 ms before the answer. */
    ck_assert(r.seconds >= 0.019);
    resp_release(&r);
}

START_TEST(async_response_after_timer)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_async);
    ck_assert_int_eq(f.aborts, 0);
}
END_TEST

static void client_disconnect(void)
{
    int fd = raw_connect();

    raw_sends(fd, "GET /v1/hang HTTP/1.1\r\nHost: x\r\n\r\n");
    uv_sem_wait(&f.entered);
    close(fd);
    uv_sem_wait(&f.aborted);
    ck_assert_int_eq(f.aborts, 1);
}

START_TEST(client_disconnect_calls_on_abort)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_disconnect);
    ck_assert_int_eq(f.aborts, 1);
}
END_TEST

/* Both requests are parked: move the index to 7 on the next loop turn. */
static void bump_to_7(uv_timer_t *t)
{
    (void)t;
    f.index = 7;
    httpd_wait_wake(&f.wait, 7);
}

static void wake_when_two_parked(void)
{
    if (f.parked == 2)
        uv_timer_start(&f.timer, bump_to_7, 0, 0);
}

static void client_blocking_wake(void)
{
    const char *paths[2] = {"/v1/blocking?index=5&wait=10s",
                            "/v1/blocking?index=20&wait=300ms"};
    struct resp r[2];
    CURL *c[2];
    CURLM *m = curl_multi_init();
    int order[2] = {-1, -1};
    int finished = 0;
    int running = 1;
    char v[32];

    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        c[i] = easy_new();
        easy_prepare(c[i], "GET", paths[i], &r[i].body, &r[i].head);
        curl_multi_add_handle(m, c[i]);
    }
    while (running > 0) {
        CURLMsg *msg;
        int left;

        ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            ck_assert_int_eq(msg->msg, CURLMSG_DONE);
            ck_assert_int_eq(msg->data.result, CURLE_OK);
            order[finished++] = msg->easy_handle == c[0] ? 0 : 1;
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 1000, NULL);
    }
    /* index=5 is woken by 7; index=20 is not, and waits out its 300 ms. */
    ck_assert_int_eq(order[0], 0);
    ck_assert_int_eq(order[1], 1);
    for (int i = 0; i < 2; i++) {
        curl_easy_getinfo(c[i], CURLINFO_RESPONSE_CODE, &r[i].status);
        curl_easy_getinfo(c[i], CURLINFO_TOTAL_TIME, &r[i].seconds);
        ck_assert_int_eq(r[i].status, 200);
        ck_assert_str_eq(head_get(&r[i].head, "X-Nomad-Index", v, sizeof(v)),
                         "7");
        ck_assert_str_eq(buf_str(&r[i].body), "index=7");
        curl_multi_remove_handle(m, c[i]);
        curl_easy_cleanup(c[i]);
    }
    ck_assert(r[1].seconds >= 0.299);
    ck_assert(r[0].seconds < 5.0);
    for (int i = 0; i < 2; i++)
        resp_release(&r[i]);
    curl_multi_cleanup(m);
}

START_TEST(blocking_query_wakes_only_lower_indexes)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    f.on_parked = wake_when_two_parked;
    fx_run(client_blocking_wake);
    ck_assert_int_eq(f.parked, 2);
    ck_assert_int_eq(f.woken, 1);
}
END_TEST

static void client_blocking_timeout(void)
{
    struct resp r;
    char v[32];

    /* Index 0 and an index already passed answer at once. */
    expect_get("/v1/blocking", 200, "index=5");
    expect_get("/v1/blocking?index=4&wait=10m", 200, "index=5");
    http_get("/v1/blocking?index=5&wait=100ms", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.seconds >= 0.099);
    ck_assert_str_eq(buf_str(&r.body), "index=5");
    ck_assert_str_eq(head_get(&r.head, "X-Nomad-Index", v, sizeof(v)), "5");
    ck_assert_str_eq(head_get(&r.head, "X-Nomad-KnownLeader", v, sizeof(v)),
                     "true");
    ck_assert_str_eq(head_get(&r.head, "X-Nomad-LastContact", v, sizeof(v)),
                     "0");
    resp_release(&r);
    expect_get("/v1/blocking?index=x", 400, "Invalid index");
    expect_get("/v1/blocking?index=-1", 400, "Invalid index");
    expect_get("/v1/blocking?index=5&wait=soon", 400, "Invalid wait time");
}

START_TEST(blocking_query_times_out_on_wait)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_blocking_timeout);
    ck_assert_int_eq(f.woken, 0);
}
END_TEST

static void client_blocking_gone(void)
{
    int fd = raw_connect();

    raw_sends(fd, "GET /v1/blocking?index=5&wait=10m HTTP/1.1\r\n\r\n");
    uv_sem_wait(&f.entered);
    close(fd);
    uv_sem_wait(&f.aborted);
    ck_assert_int_eq(f.wait_aborts, 1);
}

START_TEST(blocking_query_client_gone_is_dropped)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_blocking_gone);
    ck_assert_int_eq(f.wait_aborts, 1);
}
END_TEST

static void close_wait(uv_timer_t *t)
{
    (void)t;
    f.wait_closed = true;
    httpd_wait_close(&f.wait, on_wait_closed);
}

static void close_wait_when_parked(void)
{
    uv_timer_start(&f.timer, close_wait, 0, 0);
}

static void client_wait_close(void)
{
    struct resp r;

    http_get("/v1/blocking?index=5&wait=10m", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(buf_str(&r.body), "index=5");
    ck_assert(r.seconds < 5.0);
    resp_release(&r);
    /* Parking on a closed list fails; the handler answers at once. */
    expect_get("/v1/blocking?index=5&wait=10m", 200, "index=5");
}

START_TEST(wait_close_answers_parked_requests)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    f.on_parked = close_wait_when_parked;
    fx_run(client_wait_close);
    ck_assert_int_eq(f.parked, 1);
}
END_TEST

static void client_stream(void)
{
    struct resp r;
    char te[32];
    char cl[32];

    http_get("/v1/client/fs/logs/3f2a", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(buf_str(&r.body), "chunk0\nchunk1\nchunk2\n");
    ck_assert_str_eq(head_get(&r.head, "Transfer-Encoding", te, sizeof(te)),
                     "chunked");
    ck_assert_str_eq(head_get(&r.head, "Content-Length", cl, sizeof(cl)), "");
    resp_release(&r);
    /* The connection is still good for the next request. */
    expect_get("/v1/job/after", 200, "job=after");
}

/* Reads everything until the server closes. */
static void raw_read_all(int fd, struct buf *out)
{
    char tmp[4096];
    ssize_t n;

    while ((n = recv(fd, tmp, sizeof(tmp), 0)) > 0)
        buf_append(out, tmp, (size_t)n);
    ck_assert_int_eq(n, 0);
}

static void client_stream10(void)
{
    struct buf all = BUF_INIT;
    const char *body;
    int fd = raw_connect();

    /* HTTP/1.0 has no chunks: raw bytes, and the close ends them. */
    raw_sends(fd, "GET /v1/client/fs/logs/3f2a HTTP/1.0\r\n\r\n");
    raw_read_all(fd, &all);
    ck_assert_ptr_null(strstr(all.data, "Transfer-Encoding"));
    ck_assert_ptr_nonnull(strstr(all.data, "Connection: close\r\n"));
    body = strstr(all.data, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    ck_assert_str_eq(body + 4, "chunk0\nchunk1\nchunk2\n");
    buf_release(&all);
    close(fd);
}

START_TEST(http10_stream_ends_with_close)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_stream10);
}
END_TEST

START_TEST(chunked_stream_delivers_all_chunks)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_stream);
}
END_TEST

static void client_stream_gone(void)
{
    char buf[256];
    int fd = raw_connect();

    raw_sends(fd, "GET /v1/client/fs/logs/3f2a?follow=true HTTP/1.1\r\n\r\n");
    uv_sem_wait(&f.entered); /* the first chunk is out */
    ck_assert_int_gt(recv(fd, buf, sizeof(buf), 0), 0);
    close(fd);
    uv_sem_wait(&f.aborted);
    ck_assert_int_eq(f.aborts, 1);
}

START_TEST(stream_client_gone_calls_on_abort)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_stream_gone);
}
END_TEST

static void client_pretty(void)
{
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    struct resp r;
    char ct[64];
    int fd;

    http_get("/v1/json", &r);
    ck_assert_str_eq(buf_str(&r.body), "{\"b\":1,\"a\":[1,2]}");
    ck_assert_str_eq(head_get(&r.head, "Content-Type", ct, sizeof(ct)),
                     HTTPD_CONTENT_JSON);
    resp_release(&r);
    expect_get(
        "/v1/json?pretty", 200,
        "{\n    \"b\": 1,\n    \"a\": [\n        1,\n        2\n    ]\n}\n");
    expect_get("/v1/json?pretty=0", 200, "{\"b\":1,\"a\":[1,2]}");
    /* HEAD: the length of the body, but not the body. */
    fd = raw_connect();
    raw_sends(fd,
              "HEAD /v1/json HTTP/1.1\r\n\r\nGET /v1/json HTTP/1.1\r\n\r\n");
    raw_read_head(fd, &acc);
    ck_assert_str_eq(head_get(&acc, "Content-Length", ct, sizeof(ct)), "17");
    buf_reset(&acc);
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "{\"b\":1,\"a\":[1,2]}");
    raw_resp_release(&rr);
    buf_release(&acc);
    close(fd);
}

START_TEST(json_is_compact_or_pretty)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_pretty);
}
END_TEST

static void client_http10(void)
{
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    char v[32];
    int fd = raw_connect();

    raw_sends(fd, "GET /v1/job/old HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "job=old");
    ck_assert_str_eq(head_get(&rr.head, "Connection", v, sizeof(v)), "close");
    ck_assert(raw_closed(fd));
    raw_resp_release(&rr);
    close(fd);
    fd = raw_connect();
    for (int i = 0; i < 2; i++) {
        raw_sends(fd,
                  "GET /v1/job/ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
        ck_assert_str_eq(buf_str(&rr.body), "job=ka");
        ck_assert_str_eq(head_get(&rr.head, "Connection", v, sizeof(v)),
                         "keep-alive");
        raw_resp_release(&rr);
    }
    close(fd);
    buf_release(&acc);
}

START_TEST(http10_closes_unless_keep_alive)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_http10);
}
END_TEST

static void client_ipv6(void)
{
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    int fd;

    expect_get("/v1/job/six", 200, "job=six");
    fd = raw_connect_to(AF_INET6, "::1");
    raw_sends(fd, "GET /v1/job/raw6 HTTP/1.1\r\n\r\n");
    ck_assert_int_eq(raw_read(fd, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "job=raw6");
    raw_resp_release(&rr);
    close(fd);
    buf_release(&acc);
}

START_TEST(ipv6_loopback_bind)
{
    int rc = fx_start("::1", NULL);

    if (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT) {
        /* No ::1 in this network namespace: nothing to test. */
        printf("# SKIP ipv6_loopback_bind: ::1 unavailable: %s\n", f.base);
        fflush(stdout);
        fx_close();
        uv_close((uv_handle_t *)&f.timer, NULL);
        httpd_wait_close(&f.wait, on_wait_closed);
        uv_run(&f.loop, UV_RUN_DEFAULT);
        ck_assert(f.closed);
        ck_assert_int_eq(uv_loop_close(&f.loop), 0);
        return;
    }
    ck_assert_msg(rc == 0, "listen on ::1: %s", f.base);
    ck_assert_ptr_nonnull(strstr(f.base, "[::1]"));
    fx_run(client_ipv6);
}
END_TEST

static void client_graceful(void)
{
    struct buf acc = BUF_INIT;
    struct raw_resp rr;
    char v[32];
    int idle = raw_connect();
    int busy = raw_connect();
    int again;

    raw_sends(busy, "GET /v1/slow-close HTTP/1.1\r\nHost: x\r\n\r\n");
    uv_sem_wait(&f.entered); /* the server is closing now */
    ck_assert(raw_closed(idle));
    /* The busy one gets its answer, marked as the last. */
    ck_assert_int_eq(raw_read(busy, &acc, &rr), 0);
    ck_assert_str_eq(buf_str(&rr.body), "late");
    ck_assert_str_eq(head_get(&rr.head, "Connection", v, sizeof(v)), "close");
    ck_assert(raw_closed(busy));
    raw_resp_release(&rr);
    close(idle);
    close(busy);
    buf_release(&acc);
    /* Nobody listens any more. */
    again = socket(AF_INET, SOCK_STREAM, 0);
    {
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port = htons(f.port)};

        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
        ck_assert_int_eq(connect(again, (struct sockaddr *)&sin, sizeof(sin)),
                         -1);
    }
    close(again);
}

START_TEST(close_lets_busy_connection_finish)
{
    ck_assert_int_eq(fx_start("127.0.0.1", NULL), 0);
    fx_run(client_graceful);
    ck_assert_int_eq(f.aborts, 0);
}
END_TEST

static void client_grace_expires(void)
{
    int fd = raw_connect();

    raw_sends(fd, "GET /v1/hang-close HTTP/1.1\r\nHost: x\r\n\r\n");
    uv_sem_wait(&f.entered);
    /* Nothing answers; after the grace period the server hangs up. */
    ck_assert(raw_closed(fd));
    uv_sem_wait(&f.aborted);
    close(fd);
}

START_TEST(close_aborts_requests_after_grace)
{
    struct httpd_config limits = {.close_grace_ms = 30};

    ck_assert_int_eq(fx_start("127.0.0.1", &limits), 0);
    fx_run(client_grace_expires);
    ck_assert_int_eq(f.aborts, 1);
}
END_TEST

static void noop_handler(struct httpd_req *req, void *arg)
{
    (void)arg;
    httpd_respond(req, 204, NULL, NULL, 0);
}

START_TEST(bad_route_specs_are_refused)
{
    static const char *const bad[] = {
        "GET",    "GET v1/x", "get /x",   "GET /a/*/b",  "GET /a/:",  " GET /x",
        "GET|/x", "GET /a*",  "GET /%41", "GET|PUT| /x", "GET /a /b",
    };
    struct err err = ERR_INIT;
    struct httpd *srv;
    uv_loop_t loop;

    ck_assert_int_eq(uv_loop_init(&loop), 0);
    srv = httpd_new(&loop, &(struct httpd_config){0});
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err_clear(&err);
        ck_assert_msg(
            httpd_route(srv, bad[i], noop_handler, NULL, &err) == ERR_INVALID,
            "accepted \"%s\"", bad[i]);
        ck_assert_ptr_nonnull(strstr(err.msg, "route"));
    }
    ck_assert_int_eq(httpd_route(srv, "* /", noop_handler, NULL, &err), 0);
    ck_assert_int_eq(httpd_route(srv, "GET /ui/*", noop_handler, NULL, &err),
                     0);
    ck_assert_int_eq(httpd_route(srv, "PUT|POST /v1/job/:id/dispatch",
                                 noop_handler, NULL, &err),
                     0);
    httpd_close(srv, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *httpd_suite(void)
{
    Suite *s = suite_create("httpd");
    TCase *tc = test_tcase("httpd");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, routes_match_params_and_wildcard);
    tcase_add_test(tc, unknown_path_is_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, query_is_percent_decoded);
    tcase_add_test(tc, token_and_namespace_are_read);
    tcase_add_test(tc, body_and_headers_reach_handler);
    tcase_add_test(tc, body_over_limit_is_413);
    tcase_add_test(tc, header_over_limit_is_431);
    tcase_add_test(tc, malformed_request_is_400);
    tcase_add_test(tc, keep_alive_serves_two_requests_on_one_connection);
    tcase_add_test(tc, pipelined_requests_are_answered_in_order);
    tcase_add_test(tc, async_response_after_timer);
    tcase_add_test(tc, client_disconnect_calls_on_abort);
    tcase_add_test(tc, blocking_query_wakes_only_lower_indexes);
    tcase_add_test(tc, blocking_query_times_out_on_wait);
    tcase_add_test(tc, blocking_query_client_gone_is_dropped);
    tcase_add_test(tc, wait_close_answers_parked_requests);
    tcase_add_test(tc, chunked_stream_delivers_all_chunks);
    tcase_add_test(tc, stream_client_gone_calls_on_abort);
    tcase_add_test(tc, http10_stream_ends_with_close);
    tcase_add_test(tc, json_is_compact_or_pretty);
    tcase_add_test(tc, http10_closes_unless_keep_alive);
    tcase_add_test(tc, ipv6_loopback_bind);
    tcase_add_test(tc, close_lets_busy_connection_finish);
    tcase_add_test(tc, close_aborts_requests_after_grace);
    tcase_add_test(tc, bad_route_specs_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(httpd_suite)
