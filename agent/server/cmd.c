/* Log command codec (see cmd.h). */
#include "agent/server/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_mp.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/mp.h"

#define CMD_VERSION 1

void cmd_init(struct cmd *c, enum cmd_type type)
{
    memset(c, 0, sizeof(*c));
    c->type = type;
}

void cmd_release(struct cmd *c)
{
    job_free(c->job);
    free(c->namespace);
    free(c->id);
    for (size_t i = 0; i < c->nevals; i++)
        eval_free(c->evals[i]);
    free(c->evals);
    for (size_t i = 0; i < c->nallocs; i++)
        alloc_free(c->allocs[i]);
    free(c->allocs);
    for (size_t i = 0; i < c->nstops; i++) {
        free(c->stops[i].id);
        free(c->stops[i].desired_status);
        free(c->stops[i].description);
        free(c->stops[i].client_status);
        free(c->stops[i].followup_eval_id);
    }
    free(c->stops);
    deployment_free(c->deployment);
    node_free(c->node);
    free(c->status);
    free(c->description);
    for (size_t i = 0; i < c->nkeys; i++) {
        free(c->keys[i].namespace);
        free(c->keys[i].id);
    }
    free(c->keys);
    cmd_init(c, c->type);
}

void cmd_add_eval(struct cmd *c, struct eval *e)
{
    c->evals = xrealloc(c->evals, (c->nevals + 1) * sizeof(*c->evals));
    c->evals[c->nevals++] = e;
}

void cmd_add_alloc(struct cmd *c, struct alloc *a)
{
    c->allocs = xrealloc(c->allocs, (c->nallocs + 1) * sizeof(*c->allocs));
    c->allocs[c->nallocs++] = a;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void cmd_add_stop(struct cmd *c,
                  const char *id,
                  const char *desired,
                  const char *description,
                  const char *client_status)
{
    struct alloc_stop *s;

    c->stops = xrealloc(c->stops, (c->nstops + 1) * sizeof(*c->stops));
    s = &c->stops[c->nstops++];
    memset(s, 0, sizeof(*s));
    s->id = xstrdup(id);
    s->desired_status = dup_or_null(desired);
    s->description = dup_or_null(description);
    s->client_status = dup_or_null(client_status);
}

void cmd_add_key(struct cmd *c, int kind, const char *ns, const char *id)
{
    struct cmd_key *k;

    c->keys = xrealloc(c->keys, (c->nkeys + 1) * sizeof(*c->keys));
    k = &c->keys[c->nkeys++];
    k->kind = kind;
    k->namespace = dup_or_null(ns);
    k->id = xstrdup(id);
}

const char *cmd_type_name(enum cmd_type t)
{
    static const char *const names[] = {
        "?",           "JobRegister",         "JobDeregister",
        "EvalUpdate",  "PlanResult",          "AllocClientUpdate",
        "NodeRegister", "NodeStatus",         "NodeDeregister",
        "DeploymentStatus", "DeploymentPromote", "NodeEligibility",
        "NodeDrain", "AllocTransition", "GC", "JobStability"};

    if ((size_t)t < sizeof(names) / sizeof(names[0]))
        return names[t];
    return "?";
}

/* A model record as a bin blob, or nil. */
#define PUT_RECORD(b, x, enc)              \
    do {                                   \
        if ((x) == NULL) {                 \
            mp_put_nil(b);                 \
        } else {                           \
            struct buf rec_ = BUF_INIT;    \
            enc((x), &rec_);               \
            mp_put_bin(b, rec_.data, rec_.len); \
            buf_release(&rec_);            \
        }                                  \
    } while (0)

void cmd_encode(const struct cmd *c, struct buf *out)
{
    /* 17 fields. Writers before AllocTransition said 16 for their 15. */
    mp_put_array(out, 17);
    mp_put_int(out, CMD_VERSION);
    mp_put_int(out, c->type);
    mp_put_int(out, c->now_unix_ns);
    PUT_RECORD(out, c->job, job_encode_mp);
    mp_put_str(out, c->namespace);
    mp_put_str(out, c->id);
    mp_put_bool(out, c->purge);
    mp_put_array(out, (uint32_t)c->nevals);
    for (size_t i = 0; i < c->nevals; i++)
        PUT_RECORD(out, c->evals[i], eval_encode_mp);
    mp_put_array(out, (uint32_t)c->nallocs);
    for (size_t i = 0; i < c->nallocs; i++)
        PUT_RECORD(out, c->allocs[i], alloc_encode_mp);
    mp_put_array(out, (uint32_t)c->nstops);
    for (size_t i = 0; i < c->nstops; i++) {
        mp_put_array(out, 5);
        mp_put_str(out, c->stops[i].id);
        mp_put_str(out, c->stops[i].desired_status);
        mp_put_str(out, c->stops[i].description);
        mp_put_str(out, c->stops[i].client_status);
        mp_put_str(out, c->stops[i].followup_eval_id);
    }
    PUT_RECORD(out, c->deployment, deployment_encode_mp);
    PUT_RECORD(out, c->node, node_encode_mp);
    mp_put_str(out, c->status);
    mp_put_str(out, c->description);
    mp_put_bool(out, c->job_stable);
    mp_put_bool(out, c->mark_eligible);
    mp_put_array(out, (uint32_t)c->nkeys);
    for (size_t i = 0; i < c->nkeys; i++) {
        mp_put_array(out, 3);
        mp_put_int(out, c->keys[i].kind);
        mp_put_str(out, c->keys[i].namespace);
        mp_put_str(out, c->keys[i].id);
    }
}

static int get_str(struct mp_reader *r, char **out)
{
    const char *s;
    uint32_t len;

    if (mp_try_nil(r))
        return 0;
    if (mp_read_str(r, &s, &len) != 0)
        return ERR_MALFORMED;
    *out = xstrndup(s, len);
    return 0;
}

/* get_<type>: reads a bin blob (or nil) holding a record into a new one. */
#define GET_RECORD_FN(type, newf, dec)                                   \
    static int get_##type(struct mp_reader *r, struct type **out,        \
                          struct err *err)                               \
    {                                                                    \
        const char *s;                                                   \
        uint32_t len;                                                    \
                                                                         \
        if (mp_try_nil(r))                                               \
            return 0;                                                    \
        if (mp_read_str(r, &s, &len) != 0)                               \
            return ERR_MALFORMED;                                        \
        *out = newf();                                                   \
        return dec(s, len, *out, err);                                   \
    }

GET_RECORD_FN(job, job_new, job_decode_mp)
GET_RECORD_FN(eval, eval_new, eval_decode_mp)
GET_RECORD_FN(alloc, alloc_new, alloc_decode_mp)
GET_RECORD_FN(deployment, deployment_new, deployment_decode_mp)
GET_RECORD_FN(node, node_new, node_decode_mp)

int cmd_decode(const void *data, size_t len, struct cmd *c, struct err *err)
{
    struct mp_reader r;
    uint32_t n, k;
    int64_t v, type, now;
    bool b;

    cmd_init(c, 0);
    mp_reader_init(&r, data, len);
    if (mp_read_array(&r, &n) != 0 || n < 16 || mp_read_int(&r, &v) != 0)
        goto bad;
    if (v != CMD_VERSION) {
        return err_set(err, ERR_VERSION, "log command version %lld unknown",
                       (long long)v);
    }
    if (mp_read_int(&r, &type) != 0 || mp_read_int(&r, &now) != 0)
        goto bad;
    c->type = (enum cmd_type)type;
    c->now_unix_ns = now;
    if (get_job(&r, &c->job, err) ||
        get_str(&r, &c->namespace) || get_str(&r, &c->id) ||
        mp_read_bool(&r, &b) != 0)
        goto bad;
    c->purge = b;
    if (mp_read_array(&r, &k) != 0)
        goto bad;
    c->evals = xcalloc(k ? k : 1, sizeof(*c->evals));
    for (uint32_t i = 0; i < k; i++) {
        c->nevals++;
        if (get_eval(&r, &c->evals[i], err))
            goto bad;
    }
    if (mp_read_array(&r, &k) != 0)
        goto bad;
    c->allocs = xcalloc(k ? k : 1, sizeof(*c->allocs));
    for (uint32_t i = 0; i < k; i++) {
        c->nallocs++;
        if (get_alloc(&r, &c->allocs[i], err))
            goto bad;
    }
    if (mp_read_array(&r, &k) != 0)
        goto bad;
    c->stops = xcalloc(k ? k : 1, sizeof(*c->stops));
    for (uint32_t i = 0; i < k; i++) {
        struct alloc_stop *s = &c->stops[c->nstops++];
        uint32_t five;

        if (mp_read_array(&r, &five) != 0 || five != 5 ||
            get_str(&r, &s->id) || get_str(&r, &s->desired_status) ||
            get_str(&r, &s->description) || get_str(&r, &s->client_status) ||
            get_str(&r, &s->followup_eval_id) || s->id == NULL)
            goto bad;
    }
    if (get_deployment(&r, &c->deployment, err) ||
        get_node(&r, &c->node, err) ||
        get_str(&r, &c->status) || get_str(&r, &c->description) ||
        mp_read_bool(&r, &b) != 0)
        goto bad;
    c->job_stable = b;
    if (n >= 17) {
        if (mp_read_bool(&r, &b) != 0 || mp_read_array(&r, &k) != 0 ||
            k > mp_remaining(&r))
            goto bad;
        c->mark_eligible = b;
        c->keys = xcalloc(k ? k : 1, sizeof(*c->keys));
        for (uint32_t i = 0; i < k; i++) {
            struct cmd_key *key = &c->keys[c->nkeys++];
            uint32_t three;
            int64_t kind;

            if (mp_read_array(&r, &three) != 0 || three != 3 ||
                mp_read_int(&r, &kind) != 0 || get_str(&r, &key->namespace) ||
                get_str(&r, &key->id) || key->id == NULL)
                goto bad;
            key->kind = (int)kind;
        }
    }
    for (uint32_t i = n >= 17 ? 17 : 16; i < n; i++) { /* newer writer */
        if (mp_skip(&r) != 0)
            goto bad;
    }
    if (mp_remaining(&r) != 0)
        goto bad;
    return 0;
bad:
    cmd_release(c);
    if (err->code == 0)
        err_set(err, ERR_MALFORMED, "malformed log command");
    return err->code;
}
