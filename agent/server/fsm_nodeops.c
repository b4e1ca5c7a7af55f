/*
 * Applying the node-operation commands (see fsm_int.h): scheduling
 * eligibility, drain strategy and its LastDrain record, allocs marked for
 * migration by the drainer, and garbage collection. Times come from the
 * command, as everywhere in the FSM.
 */
#include "agent/server/fsm_int.h"

#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.h"
#include "agent/server/fsm.h"
#include "agent/server/state/state.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/node.h"

/* Nomad keeps the last 10 events of a node. */
#define NODE_EVENTS_KEPT 10

static void add_event(struct node *n,
                      const char *subsystem,
                      const char *message,
                      int64_t now_ns)
{
    struct node_event *e;

    if (n->nevents == NODE_EVENTS_KEPT) {
        free(n->events[0].message);
        free(n->events[0].subsystem);
        memmove(&n->events[0], &n->events[1],
                (n->nevents - 1) * sizeof(*n->events));
        n->nevents--;
    }
    n->events = xrealloc(n->events, (n->nevents + 1) * sizeof(*n->events));
    e = &n->events[n->nevents++];
    memset(e, 0, sizeof(*e));
    e->message = xstrdup(message);
    e->subsystem = xstrdup(subsystem);
    e->timestamp_unix_ns = now_ns;
}

static int get_node(struct state_txn *txn,
                    const char *id,
                    struct node *n,
                    struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    int rc = state_get_node(view, id, n, err);

    state_snap_release(view);
    return rc;
}

void fsm__keep_server_fields(struct state_txn *txn, struct node *n)
{
    struct node old;
    struct err err = ERR_INIT;

    node_init(&old);
    if (get_node(txn, n->id, &old, &err) == 0) {
        if (old.scheduling_eligibility != NULL)
            model_set_str(&n->scheduling_eligibility,
                          old.scheduling_eligibility);
        free(n->drain_strategy);
        n->drain_strategy = old.drain_strategy;
        old.drain_strategy = NULL;
        n->drain = n->drain_strategy != NULL;
        node_drain_meta_free(n->last_drain);
        n->last_drain = old.last_drain;
        old.last_drain = NULL;
        if (n->nevents == 0) {
            n->events = old.events;
            n->nevents = old.nevents;
            old.events = NULL;
            old.nevents = 0;
        }
    }
    node_release(&old);
}

static int apply_eligibility(struct state_txn *txn,
                             const struct cmd *c,
                             struct fsm_effects *fx,
                             struct err *err)
{
    struct node n;
    bool eligible = strcmp(model_str(c->status), "eligible") == 0;
    int rc;

    node_init(&n);
    rc = get_node(txn, c->id, &n, err);
    if (rc == 0 && strcmp(model_str(n.scheduling_eligibility),
                          model_str(c->status)) != 0) {
        model_set_str(&n.scheduling_eligibility, c->status);
        n.status_updated_at_unix = c->now_unix_ns / 1000000000;
        add_event(&n, "Cluster",
                  eligible ? "Node marked as eligible for scheduling"
                           : "Node marked as ineligible for scheduling",
                  c->now_unix_ns);
        rc = state_upsert_node(txn, &n, err);
        fx->capacity_changed = eligible;
    }
    node_release(&n);
    if (rc == 0)
        rc = fsm__put_evals(txn, c, fx, err);
    fx->tables_changed |= 1u << STATE_NODES;
    return rc;
}

/* Nomad's updateNodeDrainImpl: the strategy, eligibility and LastDrain. */
static void set_drain(struct node *n, const struct cmd *c)
{
    const struct node_drain_strategy *want =
        c->node ? c->node->drain_strategy : NULL;
    const struct node_drain_meta *meta = c->node ? c->node->last_drain : NULL;
    bool was = n->drain_strategy != NULL;
    const char *msg = NULL;

    free(n->drain_strategy);
    n->drain_strategy = NULL;
    if (want != NULL) {
        n->drain_strategy = xmalloc(sizeof(*n->drain_strategy));
        *n->drain_strategy = *want;
        model_set_str(&n->scheduling_eligibility, "ineligible");
        msg = was ? "Node drain strategy updated" : "Node drain strategy set";
    } else if (c->mark_eligible) {
        model_set_str(&n->scheduling_eligibility, "eligible");
    }
    n->drain = want != NULL;
    if (!was && want == NULL)
        return;
    if (n->last_drain == NULL || (!was && want != NULL)) {
        node_drain_meta_free(n->last_drain);
        n->last_drain = node_drain_meta_new();
        n->last_drain->started_at_unix_ns = c->now_unix_ns;
    }
    if (meta != NULL && meta->meta.n > 0) {
        strmap_release(&n->last_drain->meta);
        strmap_copy(&n->last_drain->meta, &meta->meta);
    }
    n->last_drain->updated_at_unix_ns = c->now_unix_ns;
    if (want != NULL) {
        model_set_str(&n->last_drain->status, NODE_DRAIN_DRAINING);
    } else if (c->status != NULL) { /* the drainer finished it */
        model_set_str(&n->last_drain->status, NODE_DRAIN_COMPLETE);
        msg = "Node drain complete";
    } else {
        model_set_str(&n->last_drain->status, NODE_DRAIN_CANCELED);
        msg = "Node drain disabled";
    }
    add_event(n, "Drain", msg, c->now_unix_ns);
}

static int apply_drain(struct state_txn *txn,
                       const struct cmd *c,
                       struct fsm_effects *fx,
                       struct err *err)
{
    struct node n;
    int rc;

    node_init(&n);
    rc = get_node(txn, c->id, &n, err);
    if (rc == 0) {
        bool was_eligible =
            strcmp(model_str(n.scheduling_eligibility), "eligible") == 0;

        set_drain(&n, c);
        n.status_updated_at_unix = c->now_unix_ns / 1000000000;
        rc = state_upsert_node(txn, &n, err);
        if (!was_eligible &&
            strcmp(model_str(n.scheduling_eligibility), "eligible") == 0)
            fx->capacity_changed = true;
    }
    node_release(&n);
    if (rc == 0)
        rc = fsm__put_evals(txn, c, fx, err);
    fx->tables_changed |= 1u << STATE_NODES;
    return rc;
}

static int apply_transition(struct state_txn *txn,
                            const struct cmd *c,
                            struct fsm_effects *fx,
                            struct err *err)
{
    struct state_snap *view = state_txn_view(txn);
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < c->nkeys; i++) {
        struct alloc a;

        if (c->keys[i].kind != CMD_KEY_ALLOC)
            continue;
        alloc_init(&a);
        rc = state_get_alloc(view, c->keys[i].id, &a, err);
        if (rc == ERR_NOT_FOUND) { /* collected meanwhile */
            err_clear(err);
            rc = 0;
        } else if (rc == 0) {
            a.desired_migrate = TRI_TRUE;
            a.modify_time_unix_ns = c->now_unix_ns;
            rc = state_upsert_alloc(txn, &a, err);
        }
        alloc_release(&a);
    }
    state_snap_release(view);
    if (rc == 0)
        rc = fsm__put_evals(txn, c, fx, err);
    fx->tables_changed |= 1u << STATE_ALLOCS;
    return rc;
}

static int apply_gc(struct state_txn *txn,
                    const struct cmd *c,
                    struct fsm_effects *fx,
                    struct err *err)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < c->nkeys; i++) {
        const struct cmd_key *k = &c->keys[i];

        switch (k->kind) {
        case CMD_KEY_JOB:
            rc = state_delete_job(txn, model_str(k->namespace), k->id, err);
            fx->tables_changed |= 1u << STATE_JOBS | 1u << STATE_JOB_VERSIONS;
            break;
        case CMD_KEY_EVAL:
            rc = state_delete_eval(txn, k->id, err);
            fx->tables_changed |= 1u << STATE_EVALS;
            break;
        case CMD_KEY_ALLOC:
            rc = state_delete_alloc(txn, k->id, err);
            fx->tables_changed |= 1u << STATE_ALLOCS;
            break;
        case CMD_KEY_NODE:
            rc = state_delete_node(txn, k->id, err);
            fx->tables_changed |= 1u << STATE_NODES;
            break;
        case CMD_KEY_DEPLOYMENT:
            rc = state_delete_deployment(txn, k->id, err);
            fx->tables_changed |= 1u << STATE_DEPLOYMENTS;
            break;
        default:
            rc =
                err_set(err, ERR_INVALID, "GC key of unknown kind %d", k->kind);
            break;
        }
        if (rc == ERR_NOT_FOUND) { /* already gone: nothing to collect */
            err_clear(err);
            rc = 0;
        }
    }
    return rc;
}

int fsm__apply_nodeops(struct state_txn *txn,
                       const struct cmd *c,
                       struct fsm_effects *fx,
                       struct err *err)
{
    switch (c->type) {
    case CMD_NODE_ELIGIBILITY:
        return apply_eligibility(txn, c, fx, err);
    case CMD_NODE_DRAIN:
        return apply_drain(txn, c, fx, err);
    case CMD_ALLOC_TRANSITION:
        return apply_transition(txn, c, fx, err);
    case CMD_GC:
        return apply_gc(txn, c, fx, err);
    default:
        return err_set(err, ERR_INVALID, "not a node command: %d", c->type);
    }
}
