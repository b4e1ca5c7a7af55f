/*
 * Host ports of a group's networks on one node (reference/scheduling.md
 * §4, Nomad's NetworkIndex.AssignPorts).
 *
 * Used ports come from the proposed allocs on the node, so ports handed
 * out earlier in the same plan are taken too. Static ports are taken as
 * asked; a collision makes the node infeasible unless the port says
 * ignore_collision. Dynamic ports get up to 20 random picks in the node's
 * [min_dynamic_port, max_dynamic_port], then a precise scan that picks at
 * random among what is free, so a nearly full range still succeeds. The
 * picks come from the run's seeded PRNG: the same seed, the same ports.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/model/alloc.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "scheduler/sched_int.h"

#define PORT_MAX 65535
#define DYNAMIC_MIN_DEFAULT 20000
#define DYNAMIC_MAX_DEFAULT 32000
#define STOCHASTIC_ATTEMPTS 20

struct port_bitmap
{
    uint64_t bits[(PORT_MAX + 1) / 64];
};

static bool bit_get(const struct port_bitmap *b, int64_t port)
{
    return (b->bits[port / 64] >> (port % 64)) & 1U;
}

static void bit_set(struct port_bitmap *b, int64_t port)
{
    b->bits[port / 64] |= UINT64_C(1) << (port % 64);
}

static bool port_valid(int64_t port)
{
    return port > 0 && port <= PORT_MAX;
}

static void mark_used(const struct sched_node *ns, struct port_bitmap *used)
{
    memset(used, 0, sizeof(*used));
    for (size_t i = 0; i < ns->nallocs; i++) {
        const struct alloc *a = ns->allocs[i];

        for (size_t k = 0; k < a->nports; k++) {
            if (port_valid(a->ports[k].value))
                bit_set(used, a->ports[k].value);
        }
    }
}

static const char *host_ip(const struct node *n)
{
    const char *ip = n->resources.ip;

    if (ip == NULL || ip[0] == '\0')
        ip = strmap_get(&n->attributes, "unique.network.ip-address");
    return ip ? ip : "";
}

static void push_port(struct alloc_port **ports,
                      size_t *nports,
                      const struct port *p,
                      int64_t value,
                      const char *ip)
{
    struct alloc_port *ap;

    *ports = xrealloc(*ports, (*nports + 1) * sizeof(**ports));
    ap = &(*ports)[(*nports)++];
    ap->label = xstrdup(model_str(p->label));
    ap->value = value;
    ap->to = p->to == -1 ? value : sched__i64(p->to);
    ap->host_ip = xstrdup(ip);
}

static bool pick_dynamic(struct sched *s,
                         const struct node *n,
                         const struct port_bitmap *used,
                         int64_t *out)
{
    int64_t lo = n->resources.min_dynamic_port;
    int64_t hi = n->resources.max_dynamic_port;
    uint64_t span, free_count = 0, pick;

    if (!port_valid(lo))
        lo = DYNAMIC_MIN_DEFAULT;
    if (!port_valid(hi))
        hi = DYNAMIC_MAX_DEFAULT;
    if (hi < lo)
        return false;
    span = (uint64_t)(hi - lo) + 1;
    for (int i = 0; i < STOCHASTIC_ATTEMPTS; i++) {
        int64_t port = lo + (int64_t)rng_below(&s->rng, span);

        if (!bit_get(used, port)) {
            *out = port;
            return true;
        }
    }
    for (int64_t port = lo; port <= hi; port++)
        free_count += !bit_get(used, port);
    if (free_count == 0)
        return false;
    pick = rng_below(&s->rng, free_count);
    for (int64_t port = lo; port <= hi; port++) {
        if (bit_get(used, port))
            continue;
        if (pick-- == 0) {
            *out = port;
            return true;
        }
    }
    return false;
}

void sched__ports_free(struct alloc_port *ports, size_t nports)
{
    for (size_t i = 0; i < nports; i++) {
        free(ports[i].label);
        free(ports[i].host_ip);
    }
    free(ports);
}

static bool assign_static(const struct task_group *tg,
                          struct port_bitmap *used,
                          const char *ip,
                          struct alloc_port **ports,
                          size_t *nports,
                          char *why,
                          size_t why_size)
{
    for (size_t i = 0; i < tg->nnetworks; i++) {
        const struct network *net = &tg->networks[i];

        for (size_t k = 0; k < net->nreserved_ports; k++) {
            const struct port *p = &net->reserved_ports[k];

            if (!port_valid(p->value) ||
                (bit_get(used, p->value) && !p->ignore_collision)) {
                snprintf(why, why_size, "reserved port collision %s=%lld",
                         model_str(p->label), (long long)p->value);
                return false;
            }
            bit_set(used, p->value);
            push_port(ports, nports, p, p->value, ip);
        }
    }
    return true;
}

bool sched__ports_assign(struct sched *s,
                         const struct sched_node *ns,
                         const struct task_group *tg,
                         struct alloc_port **ports,
                         size_t *nports,
                         char *why,
                         size_t why_size)
{
    struct port_bitmap *used;
    const char *ip = host_ip(ns->node);
    bool ok = true;

    *ports = NULL;
    *nports = 0;
    if (tg->nnetworks == 0)
        return true;
    used = xmalloc(sizeof(*used));
    mark_used(ns, used);
    /* Static ports first, so dynamic picks never take one of them. */
    ok = assign_static(tg, used, ip, ports, nports, why, why_size);
    for (size_t i = 0; ok && i < tg->nnetworks; i++) {
        const struct network *net = &tg->networks[i];

        for (size_t k = 0; ok && k < net->ndynamic_ports; k++) {
            int64_t port;

            ok = pick_dynamic(s, ns->node, used, &port);
            if (!ok) {
                snprintf(why, why_size, "dynamic port selection failed");
                break;
            }
            bit_set(used, port);
            push_port(ports, nports, &net->dynamic_ports[k], port, ip);
        }
    }
    free(used);
    if (!ok) {
        sched__ports_free(*ports, *nports);
        *ports = NULL;
        *nports = 0;
    }
    return ok;
}
