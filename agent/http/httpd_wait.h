/*
 * Blocking queries (Nomad's ?index=&wait=): requests parked until the data
 * they read moves past the index they saw, or until their wait runs out.
 *
 * The usual handler:
 *
 *   rc = httpd_wait_parse(req, &index, &wait_ms, &err);  400 on failure
 *   run the query -> answer at result_index
 *   if (index == 0 || result_index > index) respond now
 *   else httpd_wait_add(&table->waiters, req,
 *                       &(struct httpd_wait_opts){.min_index = index,
 *                                                .wait_ms = wait_ms,
 *                                                .cb = cb, .arg = arg});
 *
 * and whoever changes the table calls httpd_wait_wake(&waiters, new_index).
 * cb then runs the query again and responds (a wake is not proof that the
 * answer changed, as in Nomad).
 *
 * A struct httpd_wait is embedded by its owner (one per table or per
 * watched thing) and holds one libuv timer for all its waiters, which sit
 * in a list sorted by deadline. Loop thread only.
 */
#ifndef CARAVAN_AGENT_HTTP_HTTPD_WAIT_H
#define CARAVAN_AGENT_HTTP_HTTPD_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "lib/list.h"

struct err;
struct httpd_req;

#define HTTPD_WAIT_DEFAULT_MS ((uint64_t)5 * 60 * 1000)
#define HTTPD_WAIT_MAX_MS ((uint64_t)10 * 60 * 1000)

enum httpd_wait_reason {
    HTTPD_WAIT_WOKEN,   /* the index moved past the one asked for */
    HTTPD_WAIT_EXPIRED, /* the wait ran out, or the list is closing */
    HTTPD_WAIT_ABORTED, /* the client went away: do not respond */
};

/*
 * Called once per httpd_wait_add(). For WOKEN and EXPIRED the callback
 * owns req again and must respond, park it again, or set its own on_abort.
 * For ABORTED req is dying: only release what arg holds.
 */
typedef void (*httpd_wait_cb)(struct httpd_req *req,
                              enum httpd_wait_reason why,
                              void *arg);

struct httpd_wait
{
    uv_timer_t timer;         /* timer.data == this */
    struct list_node waiters; /* by deadline, earliest first */
    bool closing;
    void (*closed)(struct httpd_wait *w);
};

/*
 * Reads ?index= (absent: 0; not an unsigned integer: ERR_INVALID "Invalid
 * index") and ?wait= (a Go duration; unparsable: ERR_INVALID "Invalid wait
 * time"; absent or not positive: 5 min; capped at 10 min). The messages
 * are Nomad's 400 bodies.
 */
int httpd_wait_parse(const struct httpd_req *req,
                     uint64_t *index,
                     uint64_t *wait_ms,
                     struct err *err);

/*
 * Sets Nomad's read headers: X-Nomad-Index, X-Nomad-KnownLeader and
 * X-Nomad-LastContact. Before the response starts.
 */
void httpd_wait_set_headers(struct httpd_req *req,
                            uint64_t index,
                            bool known_leader,
                            uint64_t last_contact_ms);

void httpd_wait_init(struct httpd_wait *w, uv_loop_t *loop);

/* What to park a request for; see httpd_wait_add(). */
struct httpd_wait_opts
{
    uint64_t min_index; /* woken by an index above this one */
    uint64_t wait_ms;   /* then EXPIRED; httpd_wait_parse() bounds it */
    httpd_wait_cb cb;
    void *arg;
};

/*
 * Parks req as opts says (copied). Takes over req's on_abort: an abort
 * comes to opts->cb as HTTPD_WAIT_ABORTED. Call it while owning req (in its
 * handler or a wait callback). Fails with ERR_STATE once the list is
 * closing; req is then still the caller's.
 */
int httpd_wait_add(struct httpd_wait *w,
                   struct httpd_req *req,
                   const struct httpd_wait_opts *opts);

/*
 * Wakes the requests parked with min_index < index, earliest deadline
 * first; the others keep waiting. Their callbacks run before this returns,
 * and one may park its request again.
 */
void httpd_wait_wake(struct httpd_wait *w, uint64_t index);

/* How many requests are parked. */
size_t httpd_wait_count(const struct httpd_wait *w);

/*
 * Answers every parked request as EXPIRED (their callbacks run before this
 * returns), then closes the timer and calls closed(w), after which the
 * owner may free w.
 */
void httpd_wait_close(struct httpd_wait *w,
                      void (*closed)(struct httpd_wait *w));

#endif
