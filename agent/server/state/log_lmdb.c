/* Single-node command log in LMDB (see log.h). */
#include "agent/server/log.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/err.h"

struct cmd_log
{
    MDB_env *env;
    MDB_dbi dbi;
    uint64_t last;
};

static int fail(struct err *err, int rc, const char *what)
{
    return err_set(err, ERR_IO, "log %s: %s", what, mdb_strerror(rc));
}

/* Keys are big-endian so LMDB's byte order is index order. */
static void key_of(uint64_t index, unsigned char k[8])
{
    for (int i = 0; i < 8; i++)
        k[i] = (unsigned char)(index >> (56 - 8 * i));
}

static uint64_t index_of(const MDB_val *k)
{
    const unsigned char *p = k->mv_data;
    uint64_t v = 0;

    for (size_t i = 0; i < k->mv_size && i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

int cmdlog_open(const char *dir,
                bool no_sync,
                struct cmd_log **out,
                struct err *err)
{
    struct cmd_log *log = xcalloc(1, sizeof(*log));
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc;

    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        rc = -errno;
        free(log);
        return err_set(err, rc, "log: cannot create %s: %s", dir,
                       err_str(rc));
    }
    if ((rc = mdb_env_create(&log->env)) != 0 ||
        (rc = mdb_env_set_mapsize(log->env, (size_t)1 << 30)) != 0 ||
        (rc = mdb_env_open(log->env, dir, no_sync ? MDB_NOSYNC : 0, 0600)) !=
            0) {
        if (log->env)
            mdb_env_close(log->env);
        free(log);
        return err_set(err, ERR_IO, "log: cannot open %s: %s", dir,
                       mdb_strerror(rc));
    }
    if ((rc = mdb_txn_begin(log->env, NULL, 0, &txn)) != 0)
        goto fail_open;
    if ((rc = mdb_dbi_open(txn, NULL, 0, &log->dbi)) != 0) {
        mdb_txn_abort(txn);
        goto fail_open;
    }
    if ((rc = mdb_cursor_open(txn, log->dbi, &cur)) != 0) {
        mdb_txn_abort(txn);
        goto fail_open;
    }
    if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0)
        log->last = index_of(&k);
    mdb_cursor_close(cur);
    if ((rc = mdb_txn_commit(txn)) != 0)
        goto fail_open;
    *out = log;
    return 0;
fail_open:
    mdb_env_close(log->env);
    free(log);
    return fail(err, rc, "open");
}

void cmdlog_close(struct cmd_log *log)
{
    if (log == NULL)
        return;
    mdb_env_close(log->env);
    free(log);
}

int cmdlog_append(struct cmd_log *log,
                  const void *data,
                  size_t len,
                  uint64_t *index,
                  struct err *err)
{
    struct cmdlog_entry e = {data, len};

    return cmdlog_append_batch(log, &e, 1, index, err);
}

int cmdlog_append_batch(struct cmd_log *log,
                        const struct cmdlog_entry *entries,
                        size_t n,
                        uint64_t *first_index,
                        struct err *err)
{
    unsigned char kb[8];
    MDB_txn *txn;
    int rc;

    if ((rc = mdb_txn_begin(log->env, NULL, 0, &txn)) != 0)
        return fail(err, rc, "append");
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {8, kb}, v = {entries[i].len, (void *)entries[i].data};

        key_of(log->last + 1 + i, kb);
        if ((rc = mdb_put(txn, log->dbi, &k, &v, MDB_APPEND)) != 0) {
            mdb_txn_abort(txn);
            return fail(err, rc, "append");
        }
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        return fail(err, rc, "commit");
    *first_index = log->last + 1;
    log->last += n;
    return 0;
}

uint64_t cmdlog_last_index(struct cmd_log *log)
{
    return log->last;
}

int cmdlog_replay(struct cmd_log *log,
                  uint64_t after,
                  int (*fn)(uint64_t index,
                            const void *data,
                            size_t len,
                            void *arg),
                  void *arg,
                  struct err *err)
{
    unsigned char kb[8];
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k = {8, kb}, v;
    int rc, op = MDB_SET_RANGE;

    key_of(after + 1, kb);
    if ((rc = mdb_txn_begin(log->env, NULL, MDB_RDONLY, &txn)) != 0)
        return fail(err, rc, "replay");
    if ((rc = mdb_cursor_open(txn, log->dbi, &cur)) != 0) {
        mdb_txn_abort(txn);
        return fail(err, rc, "replay");
    }
    while ((rc = mdb_cursor_get(cur, &k, &v, (MDB_cursor_op)op)) == 0) {
        op = MDB_NEXT;
        rc = fn(index_of(&k), v.mv_data, v.mv_size, arg);
        if (rc != 0)
            break;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != 0 && rc != MDB_NOTFOUND)
        return err->code ? err->code : fail(err, rc, "replay");
    return 0;
}
