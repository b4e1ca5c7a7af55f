/*
 * Tests of the simulation harness: the virtual clock, the simulated network,
 * and a toy protocol (flood broadcast with acks and retransmits) driven only
 * through them, the way the gossip and Raft cores are tested.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/assert.h"
#include "tests/harness/simnet.h"
#include "tests/harness/test.h"
#include "tests/harness/vclock.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --- vclock ------------------------------------------------------------ */

struct rec
{
    struct vclock *vc;
    int tags[4096];
    uint64_t at[4096];
    int n;
};

struct tagged
{
    struct rec *rec;
    int tag;
};

static void record(void *arg)
{
    struct tagged *t = arg;
    struct rec *r = t->rec;

    BUG_ON(r->n >= (int)ARRAY_LEN(r->tags));
    r->tags[r->n] = t->tag;
    r->at[r->n] = vclock_now(r->vc);
    r->n++;
}

/* A local PRNG, so clock tests do not lean on the network under test. */
static uint64_t mix_next(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

START_TEST(vclock_runs_timers_in_time_order)
{
    struct vclock vc;
    struct rec r = {.vc = &vc};
    struct tagged t[4] = {{&r, 30}, {&r, 10}, {&r, 20}, {&r, 0}};
    uint64_t next;

    vclock_init(&vc);
    ck_assert_uint_eq(vclock_now(&vc), 0);
    ck_assert(!vclock_next(&vc, &next));
    ck_assert(!vclock_step(&vc));
    for (size_t i = 0; i < ARRAY_LEN(t); i++)
        vclock_timer_add(&vc, (uint64_t)t[i].tag, record, &t[i]);
    ck_assert_uint_eq(vclock_pending(&vc), 4);
    ck_assert(vclock_next(&vc, &next));
    ck_assert_uint_eq(next, 0);

    for (int i = 0; i < 4; i++) {
        ck_assert(vclock_step(&vc));
        ck_assert_int_eq(r.tags[i], i * 10);
        ck_assert_uint_eq(r.at[i], (uint64_t)(i * 10));
        ck_assert_uint_eq(vclock_now(&vc), (uint64_t)(i * 10));
    }
    ck_assert(!vclock_step(&vc));
    ck_assert_uint_eq(vclock_now(&vc), 30);

    /* A time already past runs now rather than dragging the clock back. */
    vclock_timer_add(&vc, 5, record, &t[3]);
    ck_assert(vclock_step(&vc));
    ck_assert_uint_eq(r.at[4], 30);
    vclock_release(&vc);
}
END_TEST

START_TEST(vclock_ties_run_in_insertion_order)
{
    struct vclock vc;
    struct rec r = {.vc = &vc};
    struct tagged t[60];

    vclock_init(&vc);
    /* Interleave other times so the heap really has to reorder. */
    for (int i = 0; i < 60; i++) {
        uint64_t at = i % 3 == 0 ? 7 : (i % 3 == 1 ? 9 : 3);

        t[i].rec = &r;
        t[i].tag = i;
        vclock_timer_add(&vc, at, record, &t[i]);
    }
    vclock_run_until(&vc, 100);
    ck_assert_int_eq(r.n, 60);
    for (int i = 0; i < 60; i++) {
        /* 20 at time 3, then 20 at 7, then 20 at 9; each in add order. */
        int group = i / 20;
        int expect = (group == 0 ? 2 : (group == 1 ? 0 : 1)) + 3 * (i % 20);

        ck_assert_int_eq(r.tags[i], expect);
    }
    vclock_release(&vc);
}
END_TEST

START_TEST(vclock_cancel_removes_only_that_timer)
{
    struct vclock vc;
    struct rec r = {.vc = &vc};
    struct tagged t[5];
    uint64_t ids[5];

    vclock_init(&vc);
    for (int i = 0; i < 5; i++) {
        t[i].rec = &r;
        t[i].tag = i;
        ids[i] = vclock_timer_add(&vc, (uint64_t)(10 + i), record, &t[i]);
        ck_assert_uint_ne(ids[i], 0);
    }
    ck_assert(vclock_timer_cancel(&vc, ids[2]));
    ck_assert(!vclock_timer_cancel(&vc, ids[2]));
    ck_assert(!vclock_timer_cancel(&vc, 0));
    ck_assert(!vclock_timer_cancel(&vc, ids[4] + 100));
    ck_assert(vclock_timer_cancel(&vc, ids[0]));
    ck_assert_uint_eq(vclock_pending(&vc), 3);

    ck_assert(vclock_step(&vc));
    ck_assert_int_eq(r.tags[0], 1);
    ck_assert_uint_eq(vclock_now(&vc), 11);
    /* Once a timer has run there is nothing left to cancel. */
    ck_assert(!vclock_timer_cancel(&vc, ids[1]));
    vclock_run_until(&vc, 50);
    ck_assert_int_eq(r.n, 3);
    ck_assert_int_eq(r.tags[1], 3);
    ck_assert_int_eq(r.tags[2], 4);
    vclock_release(&vc);
}
END_TEST

struct nesting
{
    struct vclock *vc;
    struct rec *rec;
    struct tagged late;  /* added from the callback at the same instant */
    struct tagged past;  /* added from the callback for a past time */
    struct tagged later; /* added from the callback for the future */
    uint64_t victim;     /* cancelled from the callback */
    bool cancelled;
};

static void nesting_fire(void *arg)
{
    struct nesting *ns = arg;
    uint64_t now = vclock_now(ns->vc);

    vclock_timer_add(ns->vc, now, record, &ns->late);
    vclock_timer_add(ns->vc, now - 5, record, &ns->past);
    vclock_timer_add(ns->vc, now + 1, record, &ns->later);
    ns->cancelled = vclock_timer_cancel(ns->vc, ns->victim);
}

START_TEST(vclock_callbacks_add_and_cancel_timers)
{
    struct vclock vc;
    struct rec r = {.vc = &vc};
    struct nesting ns = {
        .vc = &vc,
        .rec = &r,
        .late = {&r, 100},
        .past = {&r, 101},
        .later = {&r, 102},
    };
    struct tagged same = {&r, 1};
    struct tagged victim = {&r, 2};
    struct tagged last = {&r, 3};

    vclock_init(&vc);
    vclock_timer_add(&vc, 10, nesting_fire, &ns);
    vclock_timer_add(&vc, 10, record, &same);
    ns.victim = vclock_timer_add(&vc, 11, record, &victim);
    vclock_timer_add(&vc, 20, record, &last);

    vclock_run_until(&vc, 15);
    ck_assert(ns.cancelled);
    /*
     * Timers added at the running instant queue behind the ones already
     * due then; the one meant for the past is clamped to now, not lost.
     */
    ck_assert_int_eq(r.n, 4);
    ck_assert_int_eq(r.tags[0], 1);
    ck_assert_int_eq(r.tags[1], 100);
    ck_assert_int_eq(r.tags[2], 101);
    ck_assert_int_eq(r.tags[3], 102);
    ck_assert_uint_eq(r.at[0], 10);
    ck_assert_uint_eq(r.at[1], 10);
    ck_assert_uint_eq(r.at[2], 10);
    ck_assert_uint_eq(r.at[3], 11);
    ck_assert_uint_eq(vclock_now(&vc), 15);

    ck_assert(vclock_run_until_idle(&vc, 1000));
    ck_assert_int_eq(r.n, 5);
    ck_assert_int_eq(r.tags[4], 3);
    vclock_release(&vc);
}
END_TEST

struct ticker
{
    struct vclock *vc;
    uint64_t period;
    int left;
    int fired;
    uint64_t last_at;
};

static void ticker_fire(void *arg)
{
    struct ticker *tk = arg;

    tk->fired++;
    tk->last_at = vclock_now(tk->vc);
    if (--tk->left > 0)
        vclock_timer_add(tk->vc, tk->last_at + tk->period, ticker_fire, tk);
}

START_TEST(vclock_run_until_is_inclusive_and_bounded)
{
    struct vclock vc;
    struct rec r = {.vc = &vc};
    struct tagged t[4] = {{&r, 10}, {&r, 20}, {&r, 20}, {&r, 30}};
    struct ticker tk = {.vc = &vc, .period = 7, .left = 5};

    vclock_init(&vc);
    for (size_t i = 0; i < ARRAY_LEN(t); i++)
        vclock_timer_add(&vc, (uint64_t)t[i].tag, record, &t[i]);
    vclock_run_until(&vc, 20);
    ck_assert_int_eq(r.n, 3);
    ck_assert_uint_eq(vclock_now(&vc), 20);
    vclock_run_until(&vc, 25);
    ck_assert_int_eq(r.n, 3);
    ck_assert_uint_eq(vclock_now(&vc), 25);
    ck_assert(!vclock_run_until_idle(&vc, 29));
    ck_assert_uint_eq(vclock_now(&vc), 29);
    ck_assert_uint_eq(vclock_pending(&vc), 1);
    ck_assert(vclock_run_until_idle(&vc, 1000));
    ck_assert_uint_eq(vclock_now(&vc), 30);
    ck_assert_int_eq(r.n, 4);

    /* A self-rearming timer: run_until follows the chain it builds. */
    vclock_timer_add(&vc, 30, ticker_fire, &tk);
    vclock_run_until(&vc, 50);
    ck_assert_int_eq(tk.fired, 3); /* 30, 37, 44 */
    ck_assert_uint_eq(tk.last_at, 44);
    ck_assert(vclock_run_until_idle(&vc, 1000));
    ck_assert_int_eq(tk.fired, 5);
    ck_assert_uint_eq(tk.last_at, 58);
    ck_assert_uint_eq(vclock_now(&vc), 58);
    vclock_release(&vc);
}
END_TEST

START_TEST(vclock_heap_matches_reference_order)
{
    enum { N = 3000 };
    struct vclock vc;
    struct rec *r = xcalloc(1, sizeof(*r));
    struct tagged *t = xcalloc(N, sizeof(*t));
    uint64_t *ids = xcalloc(N, sizeof(*ids));
    uint64_t *at = xcalloc(N, sizeof(*at));
    bool *gone = xcalloc(N, sizeof(*gone));
    uint64_t state = test_seed();
    int kept = 0;
    int prev = -1;

    vclock_init(&vc);
    r->vc = &vc;
    for (int i = 0; i < N; i++) {
        t[i].rec = r;
        t[i].tag = i;
        at[i] = mix_next(&state) % 50; /* few distinct times: many ties */
        ids[i] = vclock_timer_add(&vc, at[i], record, &t[i]);
    }
    for (int i = 0; i < N; i++) {
        if (mix_next(&state) % 3 == 0) {
            gone[i] = true;
            ck_assert(vclock_timer_cancel(&vc, ids[i]));
        } else {
            kept++;
        }
    }
    ck_assert(vclock_run_until_idle(&vc, 1000));
    ck_assert_int_eq(r->n, kept);
    /* Every survivor exactly once, ordered by (time, insertion). */
    for (int i = 0; i < r->n; i++) {
        int tag = r->tags[i];

        ck_assert(!gone[tag]);
        ck_assert_uint_eq(r->at[i], at[tag]);
        if (prev >= 0) {
            ck_assert(at[prev] < at[tag] ||
                      (at[prev] == at[tag] && prev < tag));
        }
        prev = tag;
    }
    vclock_release(&vc);
    free(gone);
    free(at);
    free(ids);
    free(t);
    free(r);
}
END_TEST

/* --- simnet ------------------------------------------------------------ */

#define PROBE_NODES 8

struct probe;

struct probe_node
{
    struct probe *p;
    int id;
};

/* Nodes that only count what reaches them; payload: send time, sequence. */
struct probe
{
    struct vclock vc;
    struct simnet net;
    int n;
    struct probe_node nodes[PROBE_NODES];
    uint64_t seq;
    uint64_t got[PROBE_NODES];
    uint64_t got_from[PROBE_NODES][PROBE_NODES];
    uint64_t last_seq[PROBE_NODES][PROBE_NODES];
    uint64_t lat_hist[64];
    uint64_t lat_min;
    uint64_t lat_max;
    uint64_t reordered;
    unsigned char *copies; /* per sequence number, when counting copies */
    size_t ncopies;
};

static void probe_recv(void *ctx, int from, const void *msg, size_t len)
{
    struct probe_node *pn = ctx;
    struct probe *p = pn->p;
    uint64_t sent_at;
    uint64_t seq;
    uint64_t lat;

    ck_assert_uint_eq(len, 2 * sizeof(uint64_t));
    memcpy(&sent_at, msg, sizeof(sent_at));
    memcpy(&seq, (const unsigned char *)msg + sizeof(sent_at), sizeof(seq));
    lat = vclock_now(&p->vc) - sent_at;
    if (lat < p->lat_min)
        p->lat_min = lat;
    if (lat > p->lat_max)
        p->lat_max = lat;
    if (lat < ARRAY_LEN(p->lat_hist))
        p->lat_hist[lat]++;
    /* Sequence numbers grow with send order, so a smaller one is late. */
    if (seq < p->last_seq[from][pn->id])
        p->reordered++;
    p->last_seq[from][pn->id] = seq;
    if (p->copies != NULL) {
        ck_assert_uint_lt(seq, p->ncopies);
        p->copies[seq]++;
    }
    p->got[pn->id]++;
    p->got_from[from][pn->id]++;
}

static struct probe *probe_new(int n, const struct simnet_config *cfg)
{
    struct probe *p = xcalloc(1, sizeof(*p));

    BUG_ON(n > PROBE_NODES);
    p->n = n;
    p->lat_min = UINT64_MAX;
    vclock_init(&p->vc);
    simnet_init(&p->net, &p->vc, n, test_seed(), cfg);
    for (int i = 0; i < n; i++) {
        p->nodes[i].p = p;
        p->nodes[i].id = i;
        simnet_attach(&p->net, i, probe_recv, &p->nodes[i]);
    }
    return p;
}

static void probe_free(struct probe *p)
{
    simnet_release(&p->net);
    vclock_release(&p->vc);
    free(p->copies);
    free(p);
}

static void probe_send(struct probe *p, int from, int to)
{
    unsigned char buf[2 * sizeof(uint64_t)];
    uint64_t now = vclock_now(&p->vc);
    uint64_t seq = p->seq++;

    memcpy(buf, &now, sizeof(now));
    memcpy(buf + sizeof(now), &seq, sizeof(seq));
    simnet_send(&p->net, from, to, buf, sizeof(buf));
}

static void probe_send_all_pairs(struct probe *p)
{
    for (int a = 0; a < p->n; a++)
        for (int b = 0; b < p->n; b++)
            if (a != b)
                probe_send(p, a, b);
}

/* Whatever happens, every copy made is either delivered or dropped. */
static void assert_accounted(const struct simnet *net)
{
    const struct simnet_stats *st = simnet_stats(net);

    ck_assert_uint_eq(simnet_in_flight(net), 0);
    ck_assert_uint_eq(st->sent + st->duplicated, st->delivered + st->dropped);
}

START_TEST(simnet_latency_stays_within_bounds)
{
    struct simnet_config cfg = {.latency_ms = 1, .jitter_ms = 9};
    struct probe *p = probe_new(2, &cfg);
    const int count = 10000;

    /* Two sends per millisecond, so jitter has room to reorder them. */
    for (int i = 0; i < count; i++) {
        probe_send(p, 0, 1);
        if (i % 2 == 1)
            vclock_run_until(&p->vc, vclock_now(&p->vc) + 1);
    }
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(p->got[1], (uint64_t)count);
    ck_assert_uint_eq(simnet_stats(&p->net)->delivered, (uint64_t)count);
    ck_assert_uint_eq(p->lat_min, 1);
    ck_assert_uint_eq(p->lat_max, 10);
    /* Uniform over 1..10: each bucket holds about a tenth. */
    for (uint64_t lat = 1; lat <= 10; lat++) {
        ck_assert_uint_gt(p->lat_hist[lat], (uint64_t)count / 10 * 7 / 10);
        ck_assert_uint_lt(p->lat_hist[lat], (uint64_t)count / 10 * 13 / 10);
    }
    ck_assert_uint_gt(p->reordered, 0);
    assert_accounted(&p->net);
    probe_free(p);
}
END_TEST

START_TEST(simnet_fixed_latency_keeps_order)
{
    struct simnet_config cfg = {.latency_ms = 4, .jitter_ms = 0};
    struct probe *p = probe_new(2, &cfg);

    for (int i = 0; i < 500; i++) {
        probe_send(p, 0, 1);
        probe_send(p, 1, 0);
        vclock_run_until(&p->vc, vclock_now(&p->vc) + (uint64_t)(i % 3));
    }
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(p->lat_min, 4);
    ck_assert_uint_eq(p->lat_max, 4);
    /* Same delay and ties broken by send order: a link stays FIFO. */
    ck_assert_uint_eq(p->reordered, 0);
    ck_assert_uint_eq(p->got[0] + p->got[1], 1000);
    probe_free(p);
}
END_TEST

START_TEST(simnet_loss_rate_matches_setting)
{
    struct simnet_config cfg = {.latency_ms = 2, .jitter_ms = 3, .loss = 0.2};
    struct probe *p = probe_new(4, &cfg);
    const struct simnet_stats *st = simnet_stats(&p->net);
    double rate;
    uint64_t before;

    /* 20000 sends: the standard error is 0.003, so 0.02 is ~7 sigma. */
    for (int i = 0; i < 20000; i++) {
        probe_send(p, i % 4, (i + 1 + i / 4 % 3) % 4);
        if (i % 16 == 0)
            vclock_run_until(&p->vc, vclock_now(&p->vc) + 1);
    }
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(st->sent, 20000);
    rate = (double)st->dropped / (double)st->sent;
    ck_assert_double_gt(rate, 0.18);
    ck_assert_double_lt(rate, 0.22);
    ck_assert_uint_eq(st->delivered,
                      p->got[0] + p->got[1] + p->got[2] + p->got[3]);
    assert_accounted(&p->net);

    cfg.loss = 0.0;
    simnet_configure(&p->net, &cfg);
    before = st->dropped;
    for (int i = 0; i < 1000; i++)
        probe_send(p, 0, 1);
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(st->dropped, before);

    cfg.loss = 1.0;
    simnet_configure(&p->net, &cfg);
    before = st->delivered;
    for (int i = 0; i < 1000; i++)
        probe_send(p, 0, 1);
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(st->delivered, before);
    assert_accounted(&p->net);
    probe_free(p);
}
END_TEST

START_TEST(simnet_duplicates_at_configured_rate)
{
    struct simnet_config cfg = {.latency_ms = 1, .jitter_ms = 5, .dup = 0.1};
    struct probe *p = probe_new(2, &cfg);
    const struct simnet_stats *st = simnet_stats(&p->net);
    const size_t count = 20000;
    double rate;
    size_t twice = 0;

    p->copies = xcalloc(count, 1);
    p->ncopies = count;
    for (size_t i = 0; i < count; i++)
        probe_send(p, 0, 1);
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    rate = (double)st->duplicated / (double)st->sent;
    ck_assert_double_gt(rate, 0.085);
    ck_assert_double_lt(rate, 0.115);
    ck_assert_uint_eq(st->delivered, count + st->duplicated);
    for (size_t i = 0; i < count; i++) {
        ck_assert_uint_ge(p->copies[i], 1);
        ck_assert_uint_le(p->copies[i], 2);
        twice += p->copies[i] == 2;
    }
    ck_assert_uint_eq(twice, st->duplicated);
    assert_accounted(&p->net);
    probe_free(p);
}
END_TEST

START_TEST(simnet_copies_payload_at_send)
{
    struct probe *p = probe_new(2, NULL);
    unsigned char buf[2 * sizeof(uint64_t)];
    uint64_t zero = 0;
    uint64_t seq = 77;

    memcpy(buf, &zero, sizeof(zero));
    memcpy(buf + sizeof(zero), &seq, sizeof(seq));
    simnet_send(&p->net, 0, 1, buf, sizeof(buf));
    /* The sender's buffer is reused at once, as a real socket allows. */
    memset(buf, 0xff, sizeof(buf));
    ck_assert_uint_eq(p->got[1], 0); /* delivery is never synchronous */
    ck_assert(vclock_run_until_idle(&p->vc, 100));
    ck_assert_uint_eq(p->got[1], 1);
    ck_assert_uint_eq(p->last_seq[0][1], 77);
    ck_assert_uint_eq(p->lat_min, 1);
    probe_free(p);
}
END_TEST

START_TEST(simnet_partition_blocks_both_ways_until_healed)
{
    struct simnet_config cfg = {.latency_ms = 5, .jitter_ms = 5};
    struct probe *p = probe_new(6, &cfg);
    const int group[] = {0, 2, 4};

    /* Already on the wire when the cut comes: lost with the link. */
    probe_send(p, 0, 1);
    probe_send(p, 1, 0);
    vclock_run_until(&p->vc, 1);
    simnet_partition(&p->net, group, ARRAY_LEN(group));
    ck_assert(simnet_is_blocked(&p->net, 0, 1));
    ck_assert(simnet_is_blocked(&p->net, 1, 0));
    ck_assert(!simnet_is_blocked(&p->net, 0, 2));
    ck_assert(!simnet_is_blocked(&p->net, 1, 3));

    for (int round = 0; round < 10; round++) {
        probe_send_all_pairs(p);
        vclock_run_until(&p->vc, vclock_now(&p->vc) + 3);
    }
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    for (int a = 0; a < 6; a++) {
        for (int b = 0; b < 6; b++) {
            if (a == b)
                continue;
            if (a % 2 == b % 2)
                ck_assert_uint_eq(p->got_from[a][b], 10);
            else
                ck_assert_uint_eq(p->got_from[a][b], 0);
        }
    }
    assert_accounted(&p->net);

    simnet_heal(&p->net);
    ck_assert(!simnet_is_blocked(&p->net, 0, 1));
    probe_send_all_pairs(p);
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++)
            if (a != b)
                ck_assert_uint_eq(p->got_from[a][b], a % 2 == b % 2 ? 11 : 1);
    assert_accounted(&p->net);
    probe_free(p);
}
END_TEST

START_TEST(simnet_block_is_one_way)
{
    struct probe *p = probe_new(3, NULL);

    simnet_block(&p->net, 0, 1);
    ck_assert(simnet_is_blocked(&p->net, 0, 1));
    ck_assert(!simnet_is_blocked(&p->net, 1, 0));
    for (int i = 0; i < 20; i++) {
        probe_send(p, 0, 1);
        probe_send(p, 1, 0);
        probe_send(p, 0, 2);
        probe_send(p, 2, 1);
    }
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(p->got_from[0][1], 0);
    ck_assert_uint_eq(p->got_from[1][0], 20);
    ck_assert_uint_eq(p->got_from[0][2], 20);
    ck_assert_uint_eq(p->got_from[2][1], 20);
    ck_assert_uint_eq(simnet_stats(&p->net)->dropped, 20);

    simnet_heal(&p->net);
    probe_send(p, 0, 1);
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(p->got_from[0][1], 1);
    assert_accounted(&p->net);
    probe_free(p);
}
END_TEST

START_TEST(simnet_down_node_gets_nothing)
{
    struct simnet_config cfg = {.latency_ms = 5, .jitter_ms = 5};
    struct probe *p = probe_new(3, &cfg);

    /* In flight both ways when node 1 crashes at t=2. */
    probe_send(p, 0, 1);
    probe_send(p, 1, 2);
    vclock_run_until(&p->vc, 2);
    simnet_down(&p->net, 1);
    ck_assert(simnet_is_down(&p->net, 1));
    probe_send(p, 0, 1);
    probe_send(p, 1, 0);
    probe_send(p, 0, 2);
    /* Restarted before the old messages land: they are still gone. */
    vclock_run_until(&p->vc, 3);
    simnet_up(&p->net, 1);
    ck_assert(!simnet_is_down(&p->net, 1));
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(p->got[1], 0);
    ck_assert_uint_eq(p->got_from[1][2], 0);
    ck_assert_uint_eq(p->got[0], 0);
    ck_assert_uint_eq(p->got_from[0][2], 1);
    ck_assert_uint_eq(simnet_stats(&p->net)->dropped, 4);

    /* Down again with nothing in flight, then back: a clean restart. */
    simnet_down(&p->net, 1);
    for (int i = 0; i < 5; i++)
        probe_send(p, 2, 1);
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(p->got[1], 0);
    simnet_up(&p->net, 1);
    probe_send(p, 0, 1);
    probe_send(p, 1, 0);
    ck_assert(vclock_run_until_idle(&p->vc, UINT64_MAX));
    ck_assert_uint_eq(p->got_from[0][1], 1);
    ck_assert_uint_eq(p->got_from[1][0], 1);
    assert_accounted(&p->net);
    probe_free(p);
}
END_TEST

START_TEST(simnet_release_cancels_in_flight)
{
    struct simnet_config cfg = {.latency_ms = 10, .jitter_ms = 10};
    struct vclock vc;
    struct simnet net;
    struct rec r = {.vc = &vc};
    struct tagged mine = {&r, 1};
    char msg[32] = "payload";

    vclock_init(&vc);
    simnet_init(&net, &vc, 3, test_seed(), &cfg);
    vclock_timer_add(&vc, 50, record, &mine);
    for (int i = 0; i < 100; i++)
        simnet_send(&net, i % 3, (i + 1) % 3, msg, sizeof(msg));
    ck_assert_uint_eq(simnet_in_flight(&net), 100);
    ck_assert_uint_eq(vclock_pending(&vc), 101);
    /* The clock outlives the net: no delivery may touch freed memory. */
    simnet_release(&net);
    ck_assert_uint_eq(vclock_pending(&vc), 1);
    ck_assert(vclock_run_until_idle(&vc, 1000));
    ck_assert_int_eq(r.n, 1);
    vclock_release(&vc);
}
END_TEST

/* --- toy protocol: flood broadcast with acks and retransmits ------------ */

/*
 * A pure core in the style of the gossip and Raft ones: it never reads a
 * clock or touches a socket. It is given now and inputs, and answers with
 * messages in an outbox; the driver below moves them over the simnet.
 *
 * Each node may hold up to FLOOD_MAX_ITEMS items. A node that learns an
 * item sends it to every peer that may lack it and resends on every tick
 * until that peer acks. Loss only delays it; a partition stalls it.
 */
#define FLOOD_MAX_NODES 32
#define FLOOD_MAX_ITEMS 8
#define FLOOD_DATA 1
#define FLOOD_ACK 2
#define FLOOD_DATA_LEN 6 /* type, item, value (big-endian u32) */
#define FLOOD_ACK_LEN 2  /* type, item */

struct flood_msg
{
    int to;
    size_t len;
    unsigned char buf[FLOOD_DATA_LEN];
};

struct flood_outbox
{
    struct flood_msg msgs[FLOOD_MAX_NODES * (FLOOD_MAX_ITEMS + 1)];
    size_t len;
};

struct flood_node
{
    int self;
    int n;
    uint32_t known; /* bit i: holds item i */
    uint32_t values[FLOOD_MAX_ITEMS];
    uint32_t owed[FLOOD_MAX_ITEMS]; /* bit p: peer p has not acked item */
    uint64_t learned_ms[FLOOD_MAX_ITEMS];
};

static uint32_t bit(int i)
{
    return UINT32_C(1) << i;
}

static void outbox_push(struct flood_outbox *out,
                        int to,
                        const unsigned char *buf,
                        size_t len)
{
    struct flood_msg *m;

    BUG_ON(out->len >= ARRAY_LEN(out->msgs));
    m = &out->msgs[out->len++];
    m->to = to;
    m->len = len;
    memcpy(m->buf, buf, len);
}

static void push_data(const struct flood_node *fn,
                      int item,
                      int to,
                      struct flood_outbox *out)
{
    uint32_t v = fn->values[item];
    unsigned char buf[FLOOD_DATA_LEN] = {
        FLOOD_DATA,
        (unsigned char)item,
        (unsigned char)(v >> 24),
        (unsigned char)(v >> 16),
        (unsigned char)(v >> 8),
        (unsigned char)v,
    };

    outbox_push(out, to, buf, sizeof(buf));
}

static void flood_init(struct flood_node *fn, int self, int n)
{
    BUG_ON(n > FLOOD_MAX_NODES || self < 0 || self >= n);
    memset(fn, 0, sizeof(*fn));
    fn->self = self;
    fn->n = n;
}

/* skip: a peer known to hold the item already (its sender), or -1. */
static void flood_learn(struct flood_node *fn,
                        int item,
                        uint32_t value,
                        int skip,
                        uint64_t now,
                        struct flood_outbox *out)
{
    fn->known |= bit(item);
    fn->values[item] = value;
    fn->learned_ms[item] = now;
    fn->owed[item] = 0;
    for (int p = 0; p < fn->n; p++) {
        if (p == fn->self || p == skip)
            continue;
        fn->owed[item] |= bit(p);
        push_data(fn, item, p, out);
    }
}

static void flood_originate(struct flood_node *fn,
                            int item,
                            uint32_t value,
                            uint64_t now,
                            struct flood_outbox *out)
{
    BUG_ON(item < 0 || item >= FLOOD_MAX_ITEMS || (fn->known & bit(item)));
    flood_learn(fn, item, value, -1, now, out);
}

static void flood_receive(struct flood_node *fn,
                          int from,
                          const void *msg,
                          size_t len,
                          uint64_t now,
                          struct flood_outbox *out)
{
    const unsigned char *b = msg;
    int item;

    /* Malformed input is ignored, as a real core must. */
    if (len < 2 || b[1] >= FLOOD_MAX_ITEMS || from < 0 || from >= fn->n)
        return;
    item = b[1];
    if (b[0] == FLOOD_DATA && len == FLOOD_DATA_LEN) {
        uint32_t value = (uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 |
                         (uint32_t)b[4] << 8 | (uint32_t)b[5];
        unsigned char ack[FLOOD_ACK_LEN] = {FLOOD_ACK, (unsigned char)item};

        /* Ack duplicates too: the first ack may be the thing that got lost. */
        outbox_push(out, from, ack, sizeof(ack));
        if (!(fn->known & bit(item)))
            flood_learn(fn, item, value, from, now, out);
        else
            fn->owed[item] &= ~bit(from); /* it plainly has the item */
    } else if (b[0] == FLOOD_ACK && len == FLOOD_ACK_LEN) {
        fn->owed[item] &= ~bit(from);
    }
}

static void flood_tick(const struct flood_node *fn, struct flood_outbox *out)
{
    for (int item = 0; item < FLOOD_MAX_ITEMS; item++)
        for (int p = 0; p < fn->n; p++)
            if (fn->owed[item] & bit(p))
                push_data(fn, item, p, out);
}

static bool flood_busy(const struct flood_node *fn)
{
    for (int item = 0; item < FLOOD_MAX_ITEMS; item++)
        if (fn->owed[item] != 0)
            return true;
    return false;
}

/* The driver: glues each core to the simnet and to a retransmit timer. */
struct flood_sim;

struct flood_peer
{
    struct flood_sim *sim;
    int id;
    uint64_t tick; /* retransmit timer, 0 when none is armed */
};

struct flood_sim
{
    struct vclock vc;
    struct simnet net;
    int n;
    uint64_t rto_ms;
    struct flood_node nodes[FLOOD_MAX_NODES];
    struct flood_peer peers[FLOOD_MAX_NODES];
    struct flood_outbox out;
    uint64_t recv_hash; /* the test's own record of what each node saw */
};

static void sim_tick(void *arg);

static void sim_flush(struct flood_sim *s, int from)
{
    struct flood_peer *peer = &s->peers[from];

    /*
     * simnet_send() never delivers synchronously, so no receive callback
     * can refill the outbox while it is being drained.
     */
    for (size_t i = 0; i < s->out.len; i++)
        simnet_send(&s->net, from, s->out.msgs[i].to, s->out.msgs[i].buf,
                    s->out.msgs[i].len);
    s->out.len = 0;
    /* Armed only while there is something to resend, so runs go idle. */
    if (peer->tick == 0 && flood_busy(&s->nodes[from]))
        peer->tick = vclock_timer_add(&s->vc, vclock_now(&s->vc) + s->rto_ms,
                                      sim_tick, peer);
}

static void sim_tick(void *arg)
{
    struct flood_peer *peer = arg;
    struct flood_sim *s = peer->sim;

    peer->tick = 0;
    flood_tick(&s->nodes[peer->id], &s->out);
    sim_flush(s, peer->id);
}

static void sim_recv(void *ctx, int from, const void *msg, size_t len)
{
    struct flood_peer *peer = ctx;
    struct flood_sim *s = peer->sim;
    uint64_t now = vclock_now(&s->vc);
    const unsigned char *b = msg;
    uint64_t h = s->recv_hash;

    h = (h ^ now) * UINT64_C(0x100000001b3);
    h = (h ^ (uint64_t)peer->id) * UINT64_C(0x100000001b3);
    h = (h ^ (uint64_t)from) * UINT64_C(0x100000001b3);
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    s->recv_hash = h;
    flood_receive(&s->nodes[peer->id], from, msg, len, now, &s->out);
    sim_flush(s, peer->id);
}

static struct flood_sim *sim_new(int n,
                                 uint64_t seed,
                                 const struct simnet_config *cfg,
                                 uint64_t rto_ms)
{
    struct flood_sim *s = xcalloc(1, sizeof(*s));

    BUG_ON(n > FLOOD_MAX_NODES);
    s->n = n;
    s->rto_ms = rto_ms;
    s->recv_hash = UINT64_C(0xcbf29ce484222325);
    vclock_init(&s->vc);
    simnet_init(&s->net, &s->vc, n, seed, cfg);
    for (int i = 0; i < n; i++) {
        flood_init(&s->nodes[i], i, n);
        s->peers[i].sim = s;
        s->peers[i].id = i;
        simnet_attach(&s->net, i, sim_recv, &s->peers[i]);
    }
    return s;
}

static void sim_free(struct flood_sim *s)
{
    simnet_release(&s->net);
    vclock_release(&s->vc);
    free(s);
}

static void sim_originate(struct flood_sim *s, int node, int item)
{
    flood_originate(&s->nodes[node], item, (uint32_t)(1000 + item),
                    vclock_now(&s->vc), &s->out);
    sim_flush(s, node);
}

static bool sim_converged(const struct flood_sim *s, uint32_t items)
{
    for (int i = 0; i < s->n; i++)
        if (s->nodes[i].known != items)
            return false;
    return true;
}

static bool sim_busy(const struct flood_sim *s)
{
    for (int i = 0; i < s->n; i++)
        if (flood_busy(&s->nodes[i]))
            return true;
    return false;
}

/* Steps the clock until every node holds items; false past limit_ms. */
static bool sim_run_until_converged(struct flood_sim *s,
                                    uint32_t items,
                                    uint64_t limit_ms)
{
    uint64_t next;

    while (!sim_converged(s, items)) {
        if (!vclock_next(&s->vc, &next) || next > limit_ms)
            return false;
        vclock_step(&s->vc);
    }
    return true;
}

static void assert_values(const struct flood_sim *s)
{
    for (int i = 0; i < s->n; i++)
        for (int item = 0; item < FLOOD_MAX_ITEMS; item++)
            if (s->nodes[i].known & bit(item))
                ck_assert_uint_eq(s->nodes[i].values[item],
                                  (uint32_t)(1000 + item));
}

static const int flood_sizes[] = {5, 12, 20};

START_TEST(flood_converges_under_loss)
{
    struct simnet_config cfg = {
        .latency_ms = 1, .jitter_ms = 9, .loss = 0.2, .dup = 0.02};
    int n = flood_sizes[_i];
    struct flood_sim *s = sim_new(n, test_seed() + (uint64_t)_i, &cfg, 30);
    const uint32_t all = bit(0) | bit(1) | bit(2);
    const struct simnet_stats *st = simnet_stats(&s->net);

    sim_originate(s, 0, 0);
    sim_originate(s, n - 1, 1);
    sim_originate(s, n / 2, 2);
    /*
     * Each retransmit round reaches a given peer with p = 0.8, so missing
     * 2000 ms (over 60 rounds from the originator alone) is 0.2^60 odds.
     */
    ck_assert(sim_run_until_converged(s, all, 2000));
    ck_assert_uint_gt(vclock_now(&s->vc), 0);
    assert_values(s);
    /* Acks get through in the end too, and then the network falls silent. */
    ck_assert(vclock_run_until_idle(&s->vc, 30000));
    ck_assert(!sim_busy(s));
    assert_accounted(&s->net);
    ck_assert_uint_gt(st->dropped, 0);
    ck_assert_uint_gt(st->sent, (uint64_t)(3 * (n - 1)));
    sim_free(s);
}
END_TEST

START_TEST(flood_stalls_across_partition_until_healed)
{
    struct simnet_config cfg = {.latency_ms = 1, .jitter_ms = 9, .loss = 0.1};
    struct flood_sim *s = sim_new(10, test_seed(), &cfg, 30);
    const int left[] = {0, 1, 2, 3, 4};
    const struct simnet_stats *st = simnet_stats(&s->net);
    uint64_t dropped;

    simnet_partition(&s->net, left, ARRAY_LEN(left));
    sim_originate(s, 0, 0);
    sim_originate(s, 9, 1);
    vclock_run_until(&s->vc, 5000);
    /* Each side floods its own half and no further, however long it tries. */
    ck_assert(!sim_converged(s, bit(0) | bit(1)));
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(s->nodes[i].known, i < 5 ? bit(0) : bit(1));
    for (int i = 0; i < 10; i++)
        ck_assert(flood_busy(&s->nodes[i])); /* still owed across the cut */
    dropped = st->dropped;
    vclock_run_until(&s->vc, 5100);
    ck_assert_uint_gt(st->dropped, dropped); /* retransmits keep hitting it */

    simnet_heal(&s->net);
    ck_assert(sim_run_until_converged(s, bit(0) | bit(1), 5100 + 2000));
    assert_values(s);
    ck_assert(vclock_run_until_idle(&s->vc, 60000));
    ck_assert(!sim_busy(s));
    assert_accounted(&s->net);
    sim_free(s);
}
END_TEST

START_TEST(flood_reaches_node_after_restart)
{
    struct simnet_config cfg = {.latency_ms = 2, .jitter_ms = 4, .loss = 0.2};
    struct flood_sim *s = sim_new(6, test_seed(), &cfg, 25);

    simnet_down(&s->net, 3);
    sim_originate(s, 0, 0);
    vclock_run_until(&s->vc, 1000);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(s->nodes[i].known, i == 3 ? 0 : bit(0));
    simnet_up(&s->net, 3);
    /* Five peers retransmit to it every 25 ms: 500 ms is ample. */
    ck_assert(sim_run_until_converged(s, bit(0), 1500));
    ck_assert_uint_ge(s->nodes[3].learned_ms[0], 1000);
    ck_assert(vclock_run_until_idle(&s->vc, 30000));
    assert_accounted(&s->net);
    sim_free(s);
}
END_TEST

/* --- determinism --------------------------------------------------------- */

struct outcome
{
    uint64_t trace;
    uint64_t recv_hash;
    struct simnet_stats stats;
    uint64_t end_ms;
    uint64_t learned[FLOOD_MAX_NODES];
};

/* Loss, duplicates, a partition and a crash: every source of chance. */
static void run_scenario(uint64_t seed, struct outcome *o)
{
    struct simnet_config cfg = {
        .latency_ms = 1, .jitter_ms = 14, .loss = 0.2, .dup = 0.05};
    struct flood_sim *s = sim_new(12, seed, &cfg, 20);
    const int minority[] = {0, 1, 2, 3};
    const uint32_t all = bit(0) | bit(1) | bit(2);

    sim_originate(s, 0, 0);
    sim_originate(s, 6, 1);
    vclock_run_until(&s->vc, 30);
    simnet_partition(&s->net, minority, ARRAY_LEN(minority));
    sim_originate(s, 11, 2);
    vclock_run_until(&s->vc, 100);
    simnet_down(&s->net, 5);
    vclock_run_until(&s->vc, 400);
    simnet_heal(&s->net);
    vclock_run_until(&s->vc, 500);
    simnet_up(&s->net, 5);
    ck_assert(vclock_run_until_idle(&s->vc, 60000));
    ck_assert(sim_converged(s, all));
    assert_accounted(&s->net);

    memset(o, 0, sizeof(*o));
    o->trace = simnet_trace_hash(&s->net);
    o->recv_hash = s->recv_hash;
    o->stats = *simnet_stats(&s->net);
    o->end_ms = vclock_now(&s->vc);
    for (int i = 0; i < s->n; i++)
        o->learned[i] = s->nodes[i].learned_ms[2];
    sim_free(s);
}

START_TEST(same_seed_replays_identical_trace)
{
    struct outcome a;
    struct outcome b;

    run_scenario(test_seed(), &a);
    run_scenario(test_seed(), &b);
    ck_assert_uint_gt(a.stats.delivered, 100);
    ck_assert_uint_eq(a.trace, b.trace);
    ck_assert_uint_eq(a.recv_hash, b.recv_hash);
    ck_assert_uint_eq(a.stats.sent, b.stats.sent);
    ck_assert_uint_eq(a.stats.delivered, b.stats.delivered);
    ck_assert_uint_eq(a.stats.dropped, b.stats.dropped);
    ck_assert_uint_eq(a.stats.duplicated, b.stats.duplicated);
    ck_assert_uint_eq(a.end_ms, b.end_ms);
    ck_assert(memcmp(a.learned, b.learned, sizeof(a.learned)) == 0);
}
END_TEST

START_TEST(different_seed_changes_trace)
{
    struct outcome a;
    struct outcome b;
    struct outcome c;

    run_scenario(test_seed(), &a);
    run_scenario(test_seed() + 1, &b);
    run_scenario(test_seed() ^ UINT64_C(0x5bd1e995), &c);
    ck_assert_uint_ne(a.trace, b.trace);
    ck_assert_uint_ne(a.trace, c.trace);
    ck_assert_uint_ne(b.trace, c.trace);
    ck_assert_uint_ne(a.recv_hash, b.recv_hash);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("harness_sim");
    TCase *clock = test_tcase("vclock");
    TCase *net = test_tcase("simnet");
    TCase *proto = test_tcase("protocol");

    tcase_add_test(clock, vclock_runs_timers_in_time_order);
    tcase_add_test(clock, vclock_ties_run_in_insertion_order);
    tcase_add_test(clock, vclock_cancel_removes_only_that_timer);
    tcase_add_test(clock, vclock_callbacks_add_and_cancel_timers);
    tcase_add_test(clock, vclock_run_until_is_inclusive_and_bounded);
    tcase_add_test(clock, vclock_heap_matches_reference_order);
    suite_add_tcase(s, clock);

    tcase_add_test(net, simnet_latency_stays_within_bounds);
    tcase_add_test(net, simnet_fixed_latency_keeps_order);
    tcase_add_test(net, simnet_loss_rate_matches_setting);
    tcase_add_test(net, simnet_duplicates_at_configured_rate);
    tcase_add_test(net, simnet_copies_payload_at_send);
    tcase_add_test(net, simnet_partition_blocks_both_ways_until_healed);
    tcase_add_test(net, simnet_block_is_one_way);
    tcase_add_test(net, simnet_down_node_gets_nothing);
    tcase_add_test(net, simnet_release_cancels_in_flight);
    suite_add_tcase(s, net);

    tcase_add_loop_test(proto, flood_converges_under_loss, 0,
                        (int)ARRAY_LEN(flood_sizes));
    tcase_add_test(proto, flood_stalls_across_partition_until_healed);
    tcase_add_test(proto, flood_reaches_node_after_restart);
    tcase_add_test(proto, same_seed_replays_identical_trace);
    tcase_add_test(proto, different_seed_changes_trace);
    suite_add_tcase(s, proto);
    return s;
}

TEST_MAIN(sim_suite)
