/* Simulated network: per-message vclock timers, lib/rand for chance. */
#include "tests/harness/simnet.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/rand.h"
#include "lib/assert.h"
#include "tests/harness/vclock.h"

struct simnet_msg
{
    struct simnet *net;
    struct simnet_msg *prev;
    struct simnet_msg *next;
    uint64_t timer;
    int from;
    int to;
    /* The incarnations at send time: a restart in between loses it. */
    uint64_t from_inc;
    uint64_t to_inc;
    size_t len;
    unsigned char data[];
};

uint64_t simnet_rand(struct simnet *net)
{
    return rng_u64(&net->rng);
}

uint64_t simnet_rand_below(struct simnet *net, uint64_t bound)
{
    assert(bound > 0);
    return rng_below(&net->rng, bound);
}

/*
 * Draws even when p is 0 or 1, so that changing a rate does not shift
 * every later draw of the run.
 */
static bool chance(struct simnet *net, double p)
{
    double u = rng_double(&net->rng);

    return u < p;
}

static uint64_t draw_latency(struct simnet *net)
{
    return net->cfg.latency_ms + simnet_rand_below(net, net->cfg.jitter_ms + 1);
}

/* FNV-1a: tiny, and any change in a delivery changes the hash. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static void check_node(const struct simnet *net, int node)
{
    assert(node >= 0 && node < net->n);
}

static uint64_t cut_key(int from, int to)
{
    return (uint64_t)(uint32_t)from << 32 | (uint32_t)to;
}

/* Index of key in the sorted cuts, or where it would go. */
static size_t cut_search(const struct simnet *net, uint64_t key, bool *found)
{
    size_t lo = 0, hi = net->n_cuts;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (net->cuts[mid] == key) {
            *found = true;
            return mid;
        }
        if (net->cuts[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static bool link_cut(const struct simnet *net, int from, int to)
{
    bool found = false;

    if (net->color[from] != net->color[to])
        return true;
    if (net->n_cuts > 0)
        cut_search(net, cut_key(from, to), &found);
    return found;
}

/* splitmix64's finaliser: new side colours that never meet by chance. */
static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void check_config(const struct simnet_config *cfg)
{
    assert(cfg->loss >= 0.0 && cfg->loss <= 1.0);
    assert(cfg->dup >= 0.0 && cfg->dup <= 1.0);
    assert(cfg->jitter_ms < UINT64_MAX);
}

void simnet_init(struct simnet *net,
                 struct vclock *vc,
                 int n,
                 uint64_t seed,
                 const struct simnet_config *cfg)
{
    static const struct simnet_config defaults = {1, 0, 0.0, 0.0};

    assert(n > 0);
    memset(net, 0, sizeof(*net));
    net->vc = vc;
    net->n = n;
    simnet_configure(net, cfg != NULL ? cfg : &defaults);
    rng_seed(&net->rng, seed);
    net->nodes = xcalloc((size_t)n, sizeof(*net->nodes));
    net->color = xcalloc((size_t)n, sizeof(*net->color));
    net->trace = UINT64_C(0xcbf29ce484222325);
}

void simnet_release(struct simnet *net)
{
    struct simnet_msg *m = net->inflight;

    while (m != NULL) {
        struct simnet_msg *next = m->next;

        vclock_timer_cancel(net->vc, m->timer);
        free(m);
        m = next;
    }
    free(net->nodes);
    free(net->color);
    free(net->cuts);
    memset(net, 0, sizeof(*net));
}

void simnet_configure(struct simnet *net, const struct simnet_config *cfg)
{
    check_config(cfg);
    net->cfg = *cfg;
}

void simnet_attach(struct simnet *net,
                   int node,
                   simnet_recv_fn *recv,
                   void *ctx)
{
    check_node(net, node);
    net->nodes[node].recv = recv;
    net->nodes[node].ctx = ctx;
}

static bool link_open(const struct simnet *net,
                      int from,
                      int to,
                      uint64_t from_inc,
                      uint64_t to_inc)
{
    const struct simnet_node *f = &net->nodes[from];
    const struct simnet_node *t = &net->nodes[to];

    return !f->down && !t->down && f->incarnation == from_inc &&
           t->incarnation == to_inc && !link_cut(net, from, to);
}

static void unlink_msg(struct simnet *net, struct simnet_msg *m)
{
    if (m->prev != NULL)
        m->prev->next = m->next;
    else
        net->inflight = m->next;
    if (m->next != NULL)
        m->next->prev = m->prev;
    BUG_ON(net->n_inflight == 0);
    net->n_inflight--;
}

static void trace_delivery(struct simnet *net, const struct simnet_msg *m)
{
    uint64_t now = vclock_now(net->vc);
    uint64_t len = m->len;
    uint64_t h = net->trace;

    h = fnv(h, &now, sizeof(now));
    h = fnv(h, &m->from, sizeof(m->from));
    h = fnv(h, &m->to, sizeof(m->to));
    h = fnv(h, &len, sizeof(len));
    net->trace = fnv(h, m->data, m->len);
}

static void deliver(void *arg)
{
    struct simnet_msg *m = arg;
    struct simnet *net = m->net;
    const struct simnet_node *to = &net->nodes[m->to];

    unlink_msg(net, m);
    if (!link_open(net, m->from, m->to, m->from_inc, m->to_inc)) {
        net->stats.dropped++;
    } else {
        net->stats.delivered++;
        trace_delivery(net, m);
        if (to->recv != NULL)
            to->recv(to->ctx, m->from, m->data, m->len);
    }
    free(m);
}

static void schedule(struct simnet *net,
                     int from,
                     int to,
                     const void *msg,
                     size_t len)
{
    struct simnet_msg *m = xmalloc(sizeof(*m) + len);
    uint64_t at = vclock_now(net->vc) + draw_latency(net);

    m->net = net;
    m->prev = NULL;
    m->next = net->inflight;
    if (net->inflight != NULL)
        net->inflight->prev = m;
    net->inflight = m;
    net->n_inflight++;
    m->from = from;
    m->to = to;
    m->from_inc = net->nodes[from].incarnation;
    m->to_inc = net->nodes[to].incarnation;
    m->len = len;
    if (len > 0)
        memcpy(m->data, msg, len);
    m->timer = vclock_timer_add(net->vc, at, deliver, m);
}

void simnet_send(struct simnet *net,
                 int from,
                 int to,
                 const void *msg,
                 size_t len)
{
    check_node(net, from);
    check_node(net, to);
    assert(msg != NULL || len == 0);
    net->stats.sent++;
    if (!link_open(net, from, to, net->nodes[from].incarnation,
                   net->nodes[to].incarnation) ||
        chance(net, net->cfg.loss)) {
        net->stats.dropped++;
        return;
    }
    schedule(net, from, to, msg, len);
    if (chance(net, net->cfg.dup)) {
        net->stats.duplicated++;
        schedule(net, from, to, msg, len);
    }
}

void simnet_partition(struct simnet *net, const int *groupA, size_t nA)
{
    bool *in_a = xcalloc((size_t)net->n, sizeof(*in_a));
    uint64_t p = ++net->partitions;

    for (size_t i = 0; i < nA; i++) {
        check_node(net, groupA[i]);
        in_a[groupA[i]] = true;
    }
    /*
     * Each side's colour folds in this partition and the side, so nodes
     * keep talking only when they were together in every cut so far.
     */
    for (int a = 0; a < net->n; a++)
        net->color[a] = mix(net->color[a] ^ mix(p * 2 + in_a[a]));
    free(in_a);
}

void simnet_block(struct simnet *net, int from, int to)
{
    uint64_t key = cut_key(from, to);
    bool found;
    size_t i;

    check_node(net, from);
    check_node(net, to);
    i = cut_search(net, key, &found);
    if (found)
        return;
    XGROW(net->cuts, net->cap_cuts, net->n_cuts + 1);
    memmove(&net->cuts[i + 1], &net->cuts[i],
            (net->n_cuts - i) * sizeof(*net->cuts));
    net->cuts[i] = key;
    net->n_cuts++;
}

void simnet_heal(struct simnet *net)
{
    memset(net->color, 0, (size_t)net->n * sizeof(*net->color));
    net->n_cuts = 0;
}

bool simnet_is_blocked(const struct simnet *net, int from, int to)
{
    check_node(net, from);
    check_node(net, to);
    return link_cut(net, from, to);
}

void simnet_down(struct simnet *net, int node)
{
    check_node(net, node);
    if (net->nodes[node].down)
        return;
    net->nodes[node].down = true;
    net->nodes[node].incarnation++;
}

void simnet_up(struct simnet *net, int node)
{
    check_node(net, node);
    net->nodes[node].down = false;
}

bool simnet_is_down(const struct simnet *net, int node)
{
    check_node(net, node);
    return net->nodes[node].down;
}

const struct simnet_stats *simnet_stats(const struct simnet *net)
{
    return &net->stats;
}

size_t simnet_in_flight(const struct simnet *net)
{
    return net->n_inflight;
}

uint64_t simnet_trace_hash(const struct simnet *net)
{
    return net->trace;
}
