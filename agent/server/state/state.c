/*
 * The LMDB state store (see state.h).
 *
 * Layout: one named database per table, records encoded with
 * lib/model/codec_mp.c. Keys are strings joined by NUL bytes so that a
 * prefix scan over "namespace\0" or "node\0" finds exactly one owner's
 * rows:
 *
 *   jobs            ns \0 id                     -> job (current version)
 *   job_versions    ns \0 id \0 be64(version)    -> job
 *   evals           id                           -> eval
 *   evals_by_job    ns \0 job \0 id              -> ""
 *   allocs          id                           -> alloc
 *   allocs_by_node  node \0 id                   -> ""
 *   allocs_by_job   ns \0 job \0 id              -> ""
 *   nodes           id                           -> node
 *   deployments     id                           -> deployment
 *   deps_by_job     ns \0 job \0 id              -> ""
 *   meta            "index" / "index:<table>"    -> be64
 */
#include "agent/server/state/state.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/assert.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_mp.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"

/* Nomad keeps this many versions of a job (job_tracked_versions). */
#define STATE_JOB_VERSIONS_KEPT 6

enum dbi {
    DBI_JOBS,
    DBI_JOB_VERSIONS,
    DBI_EVALS,
    DBI_EVALS_BY_JOB,
    DBI_ALLOCS,
    DBI_ALLOCS_BY_NODE,
    DBI_ALLOCS_BY_JOB,
    DBI_NODES,
    DBI_DEPLOYMENTS,
    DBI_DEPS_BY_JOB,
    DBI_META,
    DBI_COUNT,
};

static const char *const dbi_names[DBI_COUNT] = {
    "jobs",        "job_versions",   "evals",         "evals_by_job",
    "allocs",      "allocs_by_node", "allocs_by_job", "nodes",
    "deployments", "deps_by_job",    "meta",
};

static const char *const table_names[STATE_NTABLES] = {
    "jobs", "job_versions", "evals", "allocs", "nodes", "deployments",
};

struct state_store
{
    MDB_env *env;
    MDB_dbi dbi[DBI_COUNT];
};

struct state_txn
{
    struct state_store *store;
    MDB_txn *txn;
    uint64_t index;
    bool touched[STATE_NTABLES];
};

/* Group commit: the entries' transactions nest inside this one. */
struct state_batch
{
    struct state_store *store;
    MDB_txn *txn;
};

struct state_snap
{
    struct state_store *store;
    MDB_txn *txn;
    bool borrowed; /* a view of a write txn: not ours to end */
    uint64_t last_index;
    uint64_t table_index[STATE_NTABLES];
};

/* ============================================================ helpers */

static int mdb_fail(struct err *err, int rc, const char *what)
{
    return err_set(err, rc > 0 ? -rc : ERR_IO, "state: %s: %s", what,
                   mdb_strerror(rc));
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Builds a key of NUL-joined parts; the last part is not terminated. */
static void key_join(struct buf *k, const char *a, const char *b, const char *c)
{
    buf_reset(k);
    buf_puts(k, a ? a : "");
    if (b != NULL) {
        buf_putc(k, '\0');
        buf_puts(k, b);
    }
    if (c != NULL) {
        buf_putc(k, '\0');
        buf_puts(k, c);
    }
}

static MDB_val val_of(const struct buf *b)
{
    MDB_val v = {b->len, b->data ? b->data : (void *)""};

    return v;
}

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *out)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(txn, dbi, &k, &v);

    *out = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *out = get_be64(v.mv_data);
    return 0;
}

static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t v)
{
    unsigned char raw[8];
    MDB_val k = {strlen(name), (void *)name}, d = {8, raw};

    put_be64(raw, v);
    return mdb_put(txn, dbi, &k, &d, 0);
}

/* ============================================================ open/close */

int state_open(const char *dir,
               const struct state_options *opts,
               struct state_store **out,
               struct err *err)
{
    struct state_store *s = xcalloc(1, sizeof(*s));
    size_t map =
        opts && opts->map_size_bytes ? opts->map_size_bytes : (size_t)1 << 30;
    unsigned flags = MDB_NOTLS | (opts && opts->no_sync ? MDB_NOSYNC : 0);
    MDB_txn *txn = NULL;
    int rc;

    if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
        int e = errno;

        free(s);
        return err_set(err, -e, "state: %s: %s", dir, strerror(e));
    }
    rc = mdb_env_create(&s->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(s->env, DBI_COUNT);
    if (rc == 0)
        rc = mdb_env_set_mapsize(s->env, map);
    if (rc == 0)
        rc = mdb_env_open(s->env, dir, flags, 0600);
    if (rc == 0)
        rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    for (int i = 0; rc == 0 && i < DBI_COUNT; i++)
        rc = mdb_dbi_open(txn, dbi_names[i], MDB_CREATE, &s->dbi[i]);
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (rc != 0) {
        mdb_fail(err, rc, dir);
        if (txn != NULL)
            mdb_txn_abort(txn);
        mdb_env_close(s->env);
        free(s);
        return err ? err->code : ERR_IO;
    }
    *out = s;
    return 0;
}

void state_close(struct state_store *s)
{
    if (s == NULL)
        return;
    mdb_env_close(s->env);
    free(s);
}

/* ============================================================ write txns */

static int write_begin(struct state_store *s,
                       MDB_txn *parent,
                       uint64_t index,
                       struct state_txn **out,
                       struct err *err)
{
    struct state_txn *t = xcalloc(1, sizeof(*t));
    uint64_t last;
    int rc;

    t->store = s;
    t->index = index;
    rc = mdb_txn_begin(s->env, parent, 0, &t->txn);
    if (rc == 0)
        rc = meta_get(t->txn, s->dbi[DBI_META], "index", &last);
    if (rc != 0) {
        if (t->txn != NULL)
            mdb_txn_abort(t->txn);
        free(t);
        return mdb_fail(err, rc, "begin");
    }
    /* Applying entry n+2 after n, or n twice, corrupts the state. */
    BUG_ON(index <= last);
    *out = t;
    return 0;
}

int state_write_begin(struct state_store *s,
                      uint64_t index,
                      struct state_txn **out,
                      struct err *err)
{
    return write_begin(s, NULL, index, out, err);
}

int state_batch_begin(struct state_store *s,
                      struct state_batch **out,
                      struct err *err)
{
    struct state_batch *b = xcalloc(1, sizeof(*b));
    int rc;

    b->store = s;
    rc = mdb_txn_begin(s->env, NULL, 0, &b->txn);
    if (rc != 0) {
        free(b);
        return mdb_fail(err, rc, "begin");
    }
    *out = b;
    return 0;
}

int state_batch_write_begin(struct state_batch *b,
                            uint64_t index,
                            struct state_txn **out,
                            struct err *err)
{
    return write_begin(b->store, b->txn, index, out, err);
}

int state_batch_commit(struct state_batch *b, struct err *err)
{
    int rc = mdb_txn_commit(b->txn);

    free(b);
    return rc != 0 ? mdb_fail(err, rc, "commit") : 0;
}

void state_batch_abort(struct state_batch *b)
{
    if (b == NULL)
        return;
    mdb_txn_abort(b->txn);
    free(b);
}

unsigned state_txn_touched(const struct state_txn *t)
{
    unsigned bits = 0;

    for (int i = 0; i < STATE_NTABLES; i++) {
        if (t->touched[i])
            bits |= 1u << i;
    }
    return bits;
}

int state_write_commit(struct state_txn *t, struct err *err)
{
    char name[64];
    int rc;

    rc = meta_put(t->txn, t->store->dbi[DBI_META], "index", t->index);
    for (int i = 0; rc == 0 && i < STATE_NTABLES; i++) {
        if (!t->touched[i])
            continue;
        snprintf(name, sizeof(name), "index:%s", table_names[i]);
        rc = meta_put(t->txn, t->store->dbi[DBI_META], name, t->index);
    }
    if (rc != 0) {
        mdb_txn_abort(t->txn);
        free(t);
        return mdb_fail(err, rc, "commit");
    }
    rc = mdb_txn_commit(t->txn);
    free(t);
    if (rc != 0)
        return mdb_fail(err, rc, "commit");
    return 0;
}

void state_write_abort(struct state_txn *t)
{
    if (t == NULL)
        return;
    mdb_txn_abort(t->txn);
    free(t);
}

static int put_raw(struct state_txn *t,
                   enum dbi d,
                   const struct buf *key,
                   const struct buf *val,
                   struct err *err)
{
    MDB_val k = val_of(key), v = val_of(val);
    int rc = mdb_put(t->txn, t->store->dbi[d], &k, &v, 0);

    return rc ? mdb_fail(err, rc, dbi_names[d]) : 0;
}

static int del_raw(struct state_txn *t,
                   enum dbi d,
                   const struct buf *key,
                   struct err *err)
{
    MDB_val k = val_of(key);
    int rc = mdb_del(t->txn, t->store->dbi[d], &k, NULL);

    if (rc == MDB_NOTFOUND)
        return ERR_NOT_FOUND;
    return rc ? mdb_fail(err, rc, dbi_names[d]) : 0;
}

static int get_raw(MDB_txn *txn,
                   MDB_dbi dbi,
                   const struct buf *key,
                   MDB_val *out)
{
    MDB_val k = val_of(key);
    int rc = mdb_get(txn, dbi, &k, out);

    if (rc == MDB_NOTFOUND)
        return ERR_NOT_FOUND;
    return rc == 0 ? 0 : ERR_IO;
}

/* ============================================================ record kinds */

/* What the generic read and scan code needs to know of a record type. */
struct kind
{
    enum dbi dbi;
    size_t size;
    void (*init)(void *rec);
    void (*release)(void *rec);
    int (*decode)(const void *data, size_t len, void *rec, struct err *err);
};

#define KIND_WRAPPERS(type, prefix)                               \
    static void prefix##_kinit(void *r)                           \
    {                                                             \
        prefix##_init(r);                                         \
    }                                                             \
    static void prefix##_krelease(void *r)                        \
    {                                                             \
        prefix##_release(r);                                      \
    }                                                             \
    static int prefix##_kdecode(const void *d, size_t n, void *r, \
                                struct err *e)                    \
    {                                                             \
        return prefix##_decode_mp(d, n, (struct type *)r, e);     \
    }

KIND_WRAPPERS(job, job)
KIND_WRAPPERS(eval, eval)
KIND_WRAPPERS(alloc, alloc)
KIND_WRAPPERS(node, node)
KIND_WRAPPERS(deployment, deployment)

#define KIND(type, prefix, d)                                      \
    {                                                              \
        d, sizeof(struct type), prefix##_kinit, prefix##_krelease, \
            prefix##_kdecode                                       \
    }

static const struct kind kind_job = KIND(job, job, DBI_JOBS);
static const struct kind kind_job_version = KIND(job, job, DBI_JOB_VERSIONS);
static const struct kind kind_eval = KIND(eval, eval, DBI_EVALS);
static const struct kind kind_alloc = KIND(alloc, alloc, DBI_ALLOCS);
static const struct kind kind_node = KIND(node, node, DBI_NODES);
static const struct kind kind_deployment =
    KIND(deployment, deployment, DBI_DEPLOYMENTS);

/* Reads the record under key of kind k into rec (already initialised). */
static int read_record(MDB_txn *txn,
                       struct state_store *s,
                       const struct kind *k,
                       const struct buf *key,
                       void *rec,
                       struct err *err)
{
    MDB_val v;
    int rc = get_raw(txn, s->dbi[k->dbi], key, &v);

    if (rc == ERR_NOT_FOUND)
        return err_set(err, ERR_NOT_FOUND, "%s not found", dbi_names[k->dbi]);
    if (rc != 0)
        return err_set(err, rc, "state: reading %s", dbi_names[k->dbi]);
    rc = k->decode(v.mv_data, v.mv_size, rec, err);
    if (rc != 0)
        return err_wrap(err, "state: corrupt record in %s", dbi_names[k->dbi]);
    return 0;
}

/* ============================================================ jobs */

/* Compares two jobs on what the user wrote, not on server bookkeeping. */
static bool job_spec_equal(const struct job *a, const struct job *b)
{
    struct job *x = job_copy(a), *y = job_copy(b);
    struct job *both[2] = {x, y};
    bool same;

    for (int i = 0; i < 2; i++) {
        struct job *j = both[i];

        model_set_str(&j->status, NULL);
        model_set_str(&j->status_description, NULL);
        j->stable = TRI_UNSET;
        j->version = j->submit_time = MODEL_UNSET;
        j->create_index = j->modify_index = j->job_modify_index = MODEL_UNSET;
    }
    same = job_equal(x, y);
    job_free(x);
    job_free(y);
    return same;
}

static int put_job_version(struct state_txn *t,
                           const struct job *job,
                           struct err *err)
{
    struct buf key = BUF_INIT, val = BUF_INIT;
    unsigned char ver[8];
    int rc;

    key_join(&key, job->namespace, job->id, "");
    put_be64(ver, (uint64_t)job->version);
    buf_append(&key, ver, 8);
    job_encode_mp(job, &val);
    rc = put_raw(t, DBI_JOB_VERSIONS, &key, &val, err);
    buf_release(&key);
    buf_release(&val);
    return rc;
}

int state_put_job_version(struct state_txn *t,
                          const struct job *job,
                          struct err *err)
{
    int rc = put_job_version(t, job, err);

    t->touched[STATE_JOB_VERSIONS] = true;
    return rc;
}

/* Drops versions older than the newest STATE_JOB_VERSIONS_KEPT. */
static int trim_job_versions(struct state_txn *t,
                             const struct job *job,
                             struct err *err)
{
    struct buf key = BUF_INIT;
    unsigned char ver[8];
    int rc = 0;

    if (job->version < STATE_JOB_VERSIONS_KEPT)
        return 0;
    key_join(&key, job->namespace, job->id, "");
    put_be64(ver, (uint64_t)(job->version - STATE_JOB_VERSIONS_KEPT));
    buf_append(&key, ver, 8);
    rc = del_raw(t, DBI_JOB_VERSIONS, &key, err);
    buf_release(&key);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int state_upsert_job(struct state_txn *t, struct job *job, struct err *err)
{
    struct buf key = BUF_INIT, val = BUF_INIT;
    struct job old;
    int64_t idx = (int64_t)t->index;
    int rc;

    job_init(&old);
    key_join(&key, job->namespace, job->id, NULL);
    rc = read_record(t->txn, t->store, &kind_job, &key, &old, NULL);
    if (rc == 0) {
        job->create_index = old.create_index;
        if (job_spec_equal(job, &old)) {
            job->version = old.version;
            job->job_modify_index = old.job_modify_index;
        } else {
            job->version = old.version + 1;
            job->job_modify_index = idx;
        }
    } else if (rc == ERR_NOT_FOUND) {
        job->create_index = idx;
        job->job_modify_index = idx;
        job->version = 0;
    } else {
        goto out;
    }
    job->modify_index = idx;
    job_encode_mp(job, &val);
    rc = put_raw(t, DBI_JOBS, &key, &val, err);
    if (rc == 0)
        rc = put_job_version(t, job, err);
    if (rc == 0)
        rc = trim_job_versions(t, job, err);
    t->touched[STATE_JOBS] = t->touched[STATE_JOB_VERSIONS] = true;
out:
    job_release(&old);
    buf_release(&key);
    buf_release(&val);
    return rc;
}

/* Deletes every key of dbi d that starts with prefix. */
static int del_prefix(struct state_txn *t,
                      enum dbi d,
                      const struct buf *prefix,
                      struct err *err)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = mdb_cursor_open(t->txn, t->store->dbi[d], &cur);

    if (rc != 0)
        return mdb_fail(err, rc, dbi_names[d]);
    for (;;) {
        k = val_of(prefix);
        rc = mdb_cursor_get(cur, &k, &v,
                            prefix->len == 0 ? MDB_FIRST : MDB_SET_RANGE);
        if (rc != 0 || k.mv_size < prefix->len ||
            (prefix->len > 0 &&
             memcmp(k.mv_data, prefix->data, prefix->len) != 0))
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0)
            break;
    }
    mdb_cursor_close(cur);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return mdb_fail(err, rc, dbi_names[d]);
    return 0;
}

static int delete_periodic_launch(struct state_txn *t,
                                  const char *namespace,
                                  const char *id,
                                  struct err *err);

int state_delete_job(struct state_txn *t,
                     const char *namespace,
                     const char *id,
                     struct err *err)
{
    struct buf key = BUF_INIT;
    int rc;

    key_join(&key, namespace, id, NULL);
    rc = del_raw(t, DBI_JOBS, &key, err);
    if (rc == ERR_NOT_FOUND)
        err_set(err, ERR_NOT_FOUND, "job not found");
    if (rc == 0) {
        key_join(&key, namespace, id, "");
        rc = del_prefix(t, DBI_JOB_VERSIONS, &key, err);
        if (rc == 0)
            rc = delete_periodic_launch(t, namespace, id, err);
        t->touched[STATE_JOBS] = t->touched[STATE_JOB_VERSIONS] = true;
    }
    buf_release(&key);
    return rc;
}

/* ============================================================ periodic launches */

/*
 * The last launch of each periodic job lives in the meta table next to
 * the indexes: one small number per job, written in the same transaction
 * as the child job it launched.
 */
static char *launch_key(const char *namespace, const char *id)
{
    return xasprintf("launch\x1f%s\x1f%s", namespace, id);
}

int state_put_periodic_launch(struct state_txn *t,
                              const char *namespace,
                              const char *id,
                              int64_t launch_ns,
                              struct err *err)
{
    char *key = launch_key(namespace, id);
    int rc = meta_put(t->txn, t->store->dbi[DBI_META], key,
                      (uint64_t)launch_ns);

    free(key);
    return rc ? mdb_fail(err, rc, "periodic launch") : 0;
}

static int delete_periodic_launch(struct state_txn *t,
                                  const char *namespace,
                                  const char *id,
                                  struct err *err)
{
    char *key = launch_key(namespace, id);
    MDB_val k = {strlen(key), key};
    int rc = mdb_del(t->txn, t->store->dbi[DBI_META], &k, NULL);

    free(key);
    return rc && rc != MDB_NOTFOUND ? mdb_fail(err, rc, "periodic launch") : 0;
}

int state_get_periodic_launch(struct state_snap *snap,
                              const char *namespace,
                              const char *id,
                              int64_t *launch_ns,
                              struct err *err)
{
    char *key = launch_key(namespace, id);
    uint64_t v;
    int rc = meta_get(snap->txn, snap->store->dbi[DBI_META], key, &v);

    free(key);
    if (rc != 0)
        return mdb_fail(err, rc, "periodic launch");
    *launch_ns = (int64_t)v;
    return v == 0 ? err_set(err, ERR_NOT_FOUND, "no periodic launch") : 0;
}

int state_each_periodic_launch(struct state_snap *snap,
                               state_launch_cb cb,
                               void *arg,
                               struct err *err)
{
    static const char prefix[] = "launch\x1f";
    const size_t plen = sizeof(prefix) - 1;
    MDB_cursor *cur = NULL;
    MDB_val key = {plen, (void *)prefix}, val;
    MDB_cursor_op op = MDB_SET_RANGE;
    int rc = mdb_cursor_open(snap->txn, snap->store->dbi[DBI_META], &cur);

    if (rc != 0)
        return mdb_fail(err, rc, "periodic launches");
    while ((rc = mdb_cursor_get(cur, &key, &val, op)) == 0) {
        const char *k = key.mv_data, *sep;
        char *ns, *id;
        int stop;

        op = MDB_NEXT;
        if (key.mv_size < plen || memcmp(k, prefix, plen) != 0)
            break;
        sep = memchr(k + plen, '\x1f', key.mv_size - plen);
        if (sep == NULL || val.mv_size != 8)
            continue;
        ns = xstrndup(k + plen, (size_t)(sep - k) - plen);
        id = xstrndup(sep + 1, key.mv_size - (size_t)(sep + 1 - k));
        stop = cb(ns, id, (int64_t)get_be64(val.mv_data), arg);
        free(ns);
        free(id);
        if (stop)
            break;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : mdb_fail(err, rc, "periodic launches");
}

/* ============================================================ evals, allocs,
 * nodes, deployments: a main table plus index tables keyed by owner */

/* Writes rec under id in d and stamps create/modify indexes. */
static int put_encoded(struct state_txn *t,
                       enum dbi d,
                       const char *id,
                       const struct buf *val,
                       struct err *err)
{
    struct buf key = BUF_INIT;
    int rc;

    key_join(&key, id, NULL, NULL);
    rc = put_raw(t, d, &key, val, err);
    buf_release(&key);
    return rc;
}

static int put_index(struct state_txn *t,
                     enum dbi d,
                     const char *a,
                     const char *b,
                     const char *c,
                     struct err *err)
{
    struct buf key = BUF_INIT, empty = BUF_INIT;
    int rc;

    key_join(&key, a, b, c);
    rc = put_raw(t, d, &key, &empty, err);
    buf_release(&key);
    return rc;
}

static int del_index(struct state_txn *t,
                     enum dbi d,
                     const char *a,
                     const char *b,
                     const char *c,
                     struct err *err)
{
    struct buf key = BUF_INIT;
    int rc;

    key_join(&key, a, b, c);
    rc = del_raw(t, d, &key, err);
    buf_release(&key);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* Keeps create_index from the stored version, sets modify_index. */
static void stamp(int64_t *create,
                  int64_t *modify,
                  bool existed,
                  int64_t old_create,
                  uint64_t index)
{
    *create = existed ? old_create : (int64_t)index;
    *modify = (int64_t)index;
}

int state_upsert_eval(struct state_txn *t, struct eval *e, struct err *err)
{
    struct buf key = BUF_INIT, val = BUF_INIT;
    struct eval old;
    int rc;

    eval_init(&old);
    key_join(&key, e->id, NULL, NULL);
    rc = read_record(t->txn, t->store, &kind_eval, &key, &old, NULL);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        goto out;
    stamp(&e->create_index, &e->modify_index, rc == 0, old.create_index,
          t->index);
    eval_encode_mp(e, &val);
    rc = put_encoded(t, DBI_EVALS, e->id, &val, err);
    if (rc == 0)
        rc =
            put_index(t, DBI_EVALS_BY_JOB, e->namespace, e->job_id, e->id, err);
    t->touched[STATE_EVALS] = true;
out:
    eval_release(&old);
    buf_release(&key);
    buf_release(&val);
    return rc;
}

int state_delete_eval(struct state_txn *t, const char *id, struct err *err)
{
    struct buf key = BUF_INIT;
    struct eval old;
    int rc;

    eval_init(&old);
    key_join(&key, id, NULL, NULL);
    rc = read_record(t->txn, t->store, &kind_eval, &key, &old, err);
    if (rc == 0)
        rc = del_raw(t, DBI_EVALS, &key, err);
    if (rc == 0)
        rc = del_index(t, DBI_EVALS_BY_JOB, old.namespace, old.job_id, id, err);
    t->touched[STATE_EVALS] = true;
    eval_release(&old);
    buf_release(&key);
    return rc;
}

int state_upsert_alloc(struct state_txn *t, struct alloc *a, struct err *err)
{
    struct buf key = BUF_INIT, val = BUF_INIT;
    struct alloc old;
    bool existed;
    int rc;

    alloc_init(&old);
    key_join(&key, a->id, NULL, NULL);
    rc = read_record(t->txn, t->store, &kind_alloc, &key, &old, NULL);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        goto out;
    existed = rc == 0;
    stamp(&a->create_index, &a->modify_index, existed, old.create_index,
          t->index);
    if (existed && old.node_id != NULL &&
        strcmp(old.node_id, a->node_id ? a->node_id : "") != 0) {
        rc = del_index(t, DBI_ALLOCS_BY_NODE, old.node_id, a->id, NULL, err);
        if (rc != 0)
            goto out;
    }
    alloc_encode_mp(a, &val);
    rc = put_encoded(t, DBI_ALLOCS, a->id, &val, err);
    if (rc == 0 && a->node_id != NULL)
        rc = put_index(t, DBI_ALLOCS_BY_NODE, a->node_id, a->id, NULL, err);
    if (rc == 0)
        rc = put_index(t, DBI_ALLOCS_BY_JOB, a->namespace, a->job_id, a->id,
                       err);
    t->touched[STATE_ALLOCS] = true;
out:
    alloc_release(&old);
    buf_release(&key);
    buf_release(&val);
    return rc;
}

int state_delete_alloc(struct state_txn *t, const char *id, struct err *err)
{
    struct buf key = BUF_INIT;
    struct alloc old;
    int rc;

    alloc_init(&old);
    key_join(&key, id, NULL, NULL);
    rc = read_record(t->txn, t->store, &kind_alloc, &key, &old, err);
    if (rc == 0)
        rc = del_raw(t, DBI_ALLOCS, &key, err);
    if (rc == 0 && old.node_id != NULL)
        rc = del_index(t, DBI_ALLOCS_BY_NODE, old.node_id, id, NULL, err);
    if (rc == 0)
        rc =
            del_index(t, DBI_ALLOCS_BY_JOB, old.namespace, old.job_id, id, err);
    t->touched[STATE_ALLOCS] = true;
    alloc_release(&old);
    buf_release(&key);
    return rc;
}

int state_upsert_node(struct state_txn *t, struct node *n, struct err *err)
{
    struct buf key = BUF_INIT, val = BUF_INIT;
    struct node old;
    int rc;

    node_init(&old);
    key_join(&key, n->id, NULL, NULL);
    rc = read_record(t->txn, t->store, &kind_node, &key, &old, NULL);
    if (rc == 0 || rc == ERR_NOT_FOUND) {
        stamp(&n->create_index, &n->modify_index, rc == 0, old.create_index,
              t->index);
        node_encode_mp(n, &val);
        rc = put_encoded(t, DBI_NODES, n->id, &val, err);
        t->touched[STATE_NODES] = true;
    }
    node_release(&old);
    buf_release(&key);
    buf_release(&val);
    return rc;
}

int state_delete_node(struct state_txn *t, const char *id, struct err *err)
{
    struct buf key = BUF_INIT;
    int rc;

    key_join(&key, id, NULL, NULL);
    rc = del_raw(t, DBI_NODES, &key, err);
    if (rc == ERR_NOT_FOUND)
        err_set(err, ERR_NOT_FOUND, "node not found");
    t->touched[STATE_NODES] = true;
    buf_release(&key);
    return rc;
}

int state_upsert_deployment(struct state_txn *t,
                            struct deployment *d,
                            struct err *err)
{
    struct buf key = BUF_INIT, val = BUF_INIT;
    struct deployment old;
    int rc;

    deployment_init(&old);
    key_join(&key, d->id, NULL, NULL);
    rc = read_record(t->txn, t->store, &kind_deployment, &key, &old, NULL);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        goto out;
    stamp(&d->create_index, &d->modify_index, rc == 0, old.create_index,
          t->index);
    deployment_encode_mp(d, &val);
    rc = put_encoded(t, DBI_DEPLOYMENTS, d->id, &val, err);
    if (rc == 0)
        rc = put_index(t, DBI_DEPS_BY_JOB, d->namespace, d->job_id, d->id, err);
    t->touched[STATE_DEPLOYMENTS] = true;
out:
    deployment_release(&old);
    buf_release(&key);
    buf_release(&val);
    return rc;
}

int state_delete_deployment(struct state_txn *t,
                            const char *id,
                            struct err *err)
{
    struct buf key = BUF_INIT;
    struct deployment old;
    int rc;

    deployment_init(&old);
    key_join(&key, id, NULL, NULL);
    rc = read_record(t->txn, t->store, &kind_deployment, &key, &old, err);
    if (rc == 0)
        rc = del_raw(t, DBI_DEPLOYMENTS, &key, err);
    if (rc == 0)
        rc = del_index(t, DBI_DEPS_BY_JOB, old.namespace, old.job_id, id, err);
    t->touched[STATE_DEPLOYMENTS] = true;
    deployment_release(&old);
    buf_release(&key);
    return rc;
}

/* ============================================================ snapshots */

int state_snapshot(struct state_store *s,
                   struct state_snap **out,
                   struct err *err)
{
    struct state_snap *snap = xcalloc(1, sizeof(*snap));
    char name[64];
    int rc;

    snap->store = s;
    rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &snap->txn);
    if (rc == 0)
        rc = meta_get(snap->txn, s->dbi[DBI_META], "index", &snap->last_index);
    for (int i = 0; rc == 0 && i < STATE_NTABLES; i++) {
        snprintf(name, sizeof(name), "index:%s", table_names[i]);
        rc = meta_get(snap->txn, s->dbi[DBI_META], name, &snap->table_index[i]);
    }
    if (rc != 0) {
        if (snap->txn != NULL)
            mdb_txn_abort(snap->txn);
        free(snap);
        return mdb_fail(err, rc, "snapshot");
    }
    *out = snap;
    return 0;
}

void state_snap_release(struct state_snap *snap)
{
    if (snap == NULL)
        return;
    if (!snap->borrowed)
        mdb_txn_abort(snap->txn);
    free(snap);
}

struct state_snap *state_txn_view(struct state_txn *txn)
{
    struct state_snap *snap = xcalloc(1, sizeof(*snap));

    snap->store = txn->store;
    snap->txn = txn->txn;
    snap->borrowed = true;
    snap->last_index = txn->index;
    for (int i = 0; i < STATE_NTABLES; i++)
        snap->table_index[i] = txn->index;
    return snap;
}

uint64_t state_snap_last_index(const struct state_snap *snap)
{
    return snap->last_index;
}

uint64_t state_snap_table_index(const struct state_snap *snap,
                                enum state_table table)
{
    assert(table < STATE_NTABLES);
    return snap->table_index[table];
}

static int get_by_key(struct state_snap *snap,
                      const struct kind *k,
                      const char *a,
                      const char *b,
                      void *out,
                      struct err *err)
{
    struct buf key = BUF_INIT;
    int rc;

    key_join(&key, a, b, NULL);
    rc = read_record(snap->txn, snap->store, k, &key, out, err);
    buf_release(&key);
    return rc;
}

int state_get_job(struct state_snap *snap,
                  const char *namespace,
                  const char *id,
                  struct job *out,
                  struct err *err)
{
    int rc = get_by_key(snap, &kind_job, namespace, id, out, err);

    if (rc == ERR_NOT_FOUND)
        err_set(err, rc, "job not found");
    return rc;
}

int state_get_job_version(struct state_snap *snap,
                          const char *namespace,
                          const char *id,
                          int64_t version,
                          struct job *out,
                          struct err *err)
{
    struct buf key = BUF_INIT;
    unsigned char ver[8];
    int rc;

    key_join(&key, namespace, id, "");
    put_be64(ver, (uint64_t)version);
    buf_append(&key, ver, 8);
    rc = read_record(snap->txn, snap->store, &kind_job_version, &key, out, err);
    if (rc == ERR_NOT_FOUND)
        err_set(err, rc, "job version not found");
    buf_release(&key);
    return rc;
}

#define GETTER(type, kindv, what)                                 \
    int state_get_##type(struct state_snap *snap, const char *id, \
                         struct type *out, struct err *err)       \
    {                                                             \
        int rc = get_by_key(snap, &kindv, id, NULL, out, err);    \
                                                                  \
        if (rc == ERR_NOT_FOUND)                                  \
            err_set(err, rc, what " not found");                  \
        return rc;                                                \
    }

GETTER(eval, kind_eval, "eval")
GETTER(alloc, kind_alloc, "alloc")
GETTER(node, kind_node, "node")
GETTER(deployment, kind_deployment, "deployment")

/* ============================================================ scans */

typedef int (*rec_cb)(const void *rec, void *arg);

/*
 * Calls cb for each record of kind k whose key starts with prefix. With
 * via_index, the scan walks index table idx instead and looks each id (the
 * key's last part) up in the main table.
 */
static int scan(struct state_snap *snap,
                const struct kind *k,
                enum dbi idx,
                bool via_index,
                const struct buf *prefix,
                rec_cb cb,
                void *arg,
                struct err *err)
{
    struct state_store *s = snap->store;
    MDB_cursor *cur = NULL;
    MDB_val key = val_of(prefix), val;
    void *rec = xmalloc(k->size);
    struct buf id = BUF_INIT;
    int rc = mdb_cursor_open(snap->txn, s->dbi[via_index ? idx : k->dbi], &cur);
    /* LMDB refuses an empty key for SET_RANGE: an empty prefix is "all". */
    int op = prefix->len == 0 ? MDB_FIRST : MDB_SET_RANGE;

    if (rc != 0) {
        free(rec);
        return mdb_fail(err, rc, "scan");
    }
    while ((rc = mdb_cursor_get(cur, &key, &val, (MDB_cursor_op)op)) == 0) {
        op = MDB_NEXT;
        if (key.mv_size < prefix->len ||
            (prefix->len > 0 &&
             memcmp(key.mv_data, prefix->data, prefix->len) != 0))
            break;
        k->init(rec);
        if (via_index) {
            const char *p = key.mv_data;
            const char *last = memrchr(p, '\0', key.mv_size);
            size_t off = last ? (size_t)(last - p) + 1 : 0;

            buf_reset(&id);
            buf_append(&id, p + off, key.mv_size - off);
            rc = read_record(snap->txn, s, k, &id, rec, err);
        } else {
            rc = k->decode(val.mv_data, val.mv_size, rec, err);
        }
        if (rc == 0)
            rc = cb(rec, arg);
        k->release(rec);
        if (rc != 0)
            break;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    mdb_cursor_close(cur);
    buf_release(&id);
    free(rec);
    return rc;
}

/* Adapters from the typed callbacks of state.h to rec_cb. */
struct typed_cb
{
    void (*fn)(void);
    void *arg;
};

#define TYPED_CALL(type)                                \
    static int call_##type(const void *rec, void *arg)  \
    {                                                   \
        struct typed_cb *t = arg;                       \
                                                        \
        return ((state_##type##_cb)t->fn)(rec, t->arg); \
    }

TYPED_CALL(job)
TYPED_CALL(eval)
TYPED_CALL(alloc)
TYPED_CALL(node)
TYPED_CALL(deployment)

static int scan_prefix(struct state_snap *snap,
                       const struct kind *k,
                       enum dbi idx,
                       bool via_index,
                       const char *a,
                       const char *b,
                       const char *c,
                       rec_cb call,
                       struct typed_cb *t,
                       struct err *err)
{
    struct buf prefix = BUF_INIT;
    int rc;

    key_join(&prefix, a, b, c);
    rc = scan(snap, k, idx, via_index, &prefix, call, t, err);
    buf_release(&prefix);
    return rc;
}

struct job_prefix_filter
{
    const char *prefix;
    struct typed_cb *inner;
};

static int call_job_filtered(const void *rec, void *arg)
{
    const struct job_prefix_filter *f = arg;
    const struct job *job = rec;

    if (strncmp(model_str(job->id), f->prefix, strlen(f->prefix)) != 0)
        return 0;
    return call_job(rec, f->inner);
}

int state_each_job(struct state_snap *snap,
                   const char *namespace,
                   const char *prefix,
                   state_job_cb cb,
                   void *arg,
                   struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};
    struct job_prefix_filter f = {prefix ? prefix : "", &t};
    struct buf all = BUF_INIT;
    int rc;

    if (namespace != NULL)
        return scan_prefix(snap, &kind_job, DBI_JOBS, false, namespace,
                           f.prefix, NULL, call_job, &t, err);
    /* Across namespaces the id prefix is not a key prefix: filter. */
    rc = scan(snap, &kind_job, DBI_JOBS, false, &all, call_job_filtered, &f,
              err);
    buf_release(&all);
    return rc;
}

int state_each_job_version(struct state_snap *snap,
                           const char *namespace,
                           const char *id,
                           state_job_cb cb,
                           void *arg,
                           struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_job_version, DBI_JOB_VERSIONS, false,
                       namespace, id, "", call_job, &t, err);
}

int state_each_eval(struct state_snap *snap,
                    const char *prefix,
                    state_eval_cb cb,
                    void *arg,
                    struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_eval, DBI_EVALS, false, prefix, NULL, NULL,
                       call_eval, &t, err);
}

int state_each_eval_by_job(struct state_snap *snap,
                           const char *namespace,
                           const char *job_id,
                           state_eval_cb cb,
                           void *arg,
                           struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_eval, DBI_EVALS_BY_JOB, true, namespace,
                       job_id, "", call_eval, &t, err);
}

int state_each_alloc(struct state_snap *snap,
                     const char *prefix,
                     state_alloc_cb cb,
                     void *arg,
                     struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_alloc, DBI_ALLOCS, false, prefix, NULL, NULL,
                       call_alloc, &t, err);
}

int state_each_alloc_by_node(struct state_snap *snap,
                             const char *node_id,
                             state_alloc_cb cb,
                             void *arg,
                             struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_alloc, DBI_ALLOCS_BY_NODE, true, node_id, "",
                       NULL, call_alloc, &t, err);
}

int state_each_alloc_by_job(struct state_snap *snap,
                            const char *namespace,
                            const char *job_id,
                            state_alloc_cb cb,
                            void *arg,
                            struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_alloc, DBI_ALLOCS_BY_JOB, true, namespace,
                       job_id, "", call_alloc, &t, err);
}

int state_each_node(struct state_snap *snap,
                    const char *prefix,
                    state_node_cb cb,
                    void *arg,
                    struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_node, DBI_NODES, false, prefix, NULL, NULL,
                       call_node, &t, err);
}

int state_each_deployment(struct state_snap *snap,
                          const char *prefix,
                          state_deployment_cb cb,
                          void *arg,
                          struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_deployment, DBI_DEPLOYMENTS, false, prefix,
                       NULL, NULL, call_deployment, &t, err);
}

int state_each_deployment_by_job(struct state_snap *snap,
                                 const char *namespace,
                                 const char *job_id,
                                 state_deployment_cb cb,
                                 void *arg,
                                 struct err *err)
{
    struct typed_cb t = {(void (*)(void))cb, arg};

    return scan_prefix(snap, &kind_deployment, DBI_DEPS_BY_JOB, true, namespace,
                       job_id, "", call_deployment, &t, err);
}
