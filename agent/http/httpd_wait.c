/*
 * Blocking-query waiters: one timer per list, waiters sorted by deadline.
 *
 * Blocking queries mostly carry the same ?wait=, so a new waiter's deadline
 * is nearly always the latest; inserting from the tail keeps that O(1).
 * Every path that fires callbacks first moves the waiters concerned onto a
 * local list and re-arms the timer, so a callback that parks its request
 * again (or wakes this list) finds the list consistent.
 */
#include "agent/http/httpd_wait.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/http/httpd.h"
#include "lib/alloc.h"
#include "lib/assert.h"
#include "lib/err.h"
#include "lib/time.h"

struct waiter
{
    struct list_node link;
    struct httpd_wait *w;
    struct httpd_req *req;
    uint64_t min_index;
    uint64_t deadline_ms; /* on the loop's clock, uv_now() */
    httpd_wait_cb cb;
    void *arg;
};

/* ------------------------------------------------------------ query */

/* Go's strconv.ParseUint(s, 10, 64): digits only, no sign, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return ERR_INVALID;
    for (; *s != '\0'; s++) {
        uint64_t d = (uint64_t)(*s - '0');

        if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
            return ERR_INVALID;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int httpd_wait_parse(const struct httpd_req *req,
                     uint64_t *index,
                     uint64_t *wait_ms,
                     struct err *err)
{
    const char *s = httpd_query_get(req, "index");
    int64_t ns;

    *index = 0;
    *wait_ms = HTTPD_WAIT_DEFAULT_MS;
    /* As in Nomad, "?index=" with nothing after it is no index at all. */
    if (s != NULL && *s != '\0' && parse_u64(s, index) != 0)
        return err_set(err, ERR_INVALID, "Invalid index");
    s = httpd_query_get(req, "wait");
    if (s == NULL || *s == '\0')
        return 0;
    if (duration_parse(s, &ns, NULL) != 0)
        return err_set(err, ERR_INVALID, "Invalid wait time");
    if (ns <= 0)
        return 0;
    /* Round up: "500us" must still wait, not spin. */
    *wait_ms = (uint64_t)((ns + NS_PER_MS - 1) / NS_PER_MS);
    if (*wait_ms > HTTPD_WAIT_MAX_MS)
        *wait_ms = HTTPD_WAIT_MAX_MS;
    return 0;
}

void httpd_wait_set_headers(struct httpd_req *req,
                            uint64_t index,
                            bool known_leader,
                            uint64_t last_contact_ms)
{
    char v[32];

    snprintf(v, sizeof(v), "%" PRIu64, index);
    httpd_set_header(req, "X-Nomad-Index", v);
    httpd_set_header(req, "X-Nomad-KnownLeader",
                     known_leader ? "true" : "false");
    snprintf(v, sizeof(v), "%" PRIu64, last_contact_ms);
    httpd_set_header(req, "X-Nomad-LastContact", v);
}

/* ------------------------------------------------------------ list */

static void on_timer(uv_timer_t *t);

void httpd_wait_init(struct httpd_wait *w, uv_loop_t *loop)
{
    int rc;

    rc = uv_timer_init(loop, &w->timer);
    assert(rc == 0);
    w->timer.data = w;
    list_init(&w->waiters);
    w->closing = false;
    w->closed = NULL;
}

static void rearm(struct httpd_wait *w)
{
    struct waiter *first;
    uint64_t now;

    if (w->closing)
        return;
    if (list_empty(&w->waiters)) {
        uv_timer_stop(&w->timer);
        return;
    }
    first = list_entry(w->waiters.next, struct waiter, link);
    now = uv_now(w->timer.loop);
    uv_timer_start(&w->timer, on_timer,
                   first->deadline_ms > now ? first->deadline_ms - now : 0, 0);
}

/* Hands each waiter on the local list back to its callback. */
static void fire(struct list_node *batch, enum httpd_wait_reason why)
{
    while (!list_empty(batch)) {
        struct waiter *wt = list_entry(batch->next, struct waiter, link);
        struct httpd_req *req = wt->req;
        httpd_wait_cb cb = wt->cb;
        void *arg = wt->arg;

        list_del(&wt->link);
        free(wt);
        /* The callback owns req again; no abort may reach a freed waiter. */
        httpd_req_on_abort(req, NULL, NULL);
        cb(req, why, arg);
    }
}

static void on_req_abort(struct httpd_req *req, void *arg)
{
    struct waiter *wt = arg;
    httpd_wait_cb cb = wt->cb;
    void *cb_arg = wt->arg;

    list_del(&wt->link);
    rearm(wt->w);
    free(wt);
    cb(req, HTTPD_WAIT_ABORTED, cb_arg);
}

int httpd_wait_add(struct httpd_wait *w,
                   struct httpd_req *req,
                   const struct httpd_wait_opts *opts)
{
    struct waiter *wt;
    struct list_node *pos;

    assert(opts->cb != NULL);
    if (w->closing)
        return ERR_STATE;
    wt = xcalloc(1, sizeof(*wt));
    wt->w = w;
    wt->req = req;
    wt->min_index = opts->min_index;
    wt->deadline_ms = uv_now(w->timer.loop) + opts->wait_ms;
    wt->cb = opts->cb;
    wt->arg = opts->arg;
    pos = w->waiters.prev;
    while (pos != &w->waiters &&
           list_entry(pos, struct waiter, link)->deadline_ms > wt->deadline_ms)
        pos = pos->prev;
    /* After pos: equal deadlines keep their arrival order. */
    list_insert_(&wt->link, pos, pos->next);
    httpd_req_on_abort(req, on_req_abort, wt);
    rearm(w);
    return 0;
}

static void on_timer(uv_timer_t *t)
{
    struct httpd_wait *w = t->data;
    struct list_node batch = LIST_INIT(batch);
    uint64_t now = uv_now(t->loop);

    while (!list_empty(&w->waiters)) {
        struct waiter *wt = list_entry(w->waiters.next, struct waiter, link);

        if (wt->deadline_ms > now)
            break;
        list_del(&wt->link);
        list_add_tail(&batch, &wt->link);
    }
    rearm(w);
    fire(&batch, HTTPD_WAIT_EXPIRED);
}

void httpd_wait_wake(struct httpd_wait *w, uint64_t index)
{
    struct list_node batch = LIST_INIT(batch);
    struct waiter *wt;
    struct waiter *tmp;

    list_for_each_entry_safe(wt, tmp, &w->waiters, struct waiter, link)
    {
        if (wt->min_index >= index)
            continue;
        list_del(&wt->link);
        list_add_tail(&batch, &wt->link);
    }
    rearm(w);
    fire(&batch, HTTPD_WAIT_WOKEN);
}

size_t httpd_wait_count(const struct httpd_wait *w)
{
    return list_length(&w->waiters);
}

static void on_closed(uv_handle_t *h)
{
    struct httpd_wait *w = h->data;

    if (w->closed != NULL)
        w->closed(w);
}

void httpd_wait_close(struct httpd_wait *w,
                      void (*closed)(struct httpd_wait *w))
{
    struct list_node batch = LIST_INIT(batch);

    assert(!w->closing);
    w->closing = true;
    w->closed = closed;
    uv_timer_stop(&w->timer);
    while (!list_empty(&w->waiters)) {
        struct list_node *n = w->waiters.next;

        list_del(n);
        list_add_tail(&batch, n);
    }
    fire(&batch, HTTPD_WAIT_EXPIRED);
    uv_close((uv_handle_t *)&w->timer, on_closed);
}
