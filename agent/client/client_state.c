/* Client state in LMDB (see client_state.h). */
#include "agent/client/client_state.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/alloc.h"
#include "lib/err.h"

struct client_state
{
    MDB_env *env;
    MDB_dbi dbi;
};

static int fail(struct err *err, int rc, const char *what)
{
    return err_set(err, ERR_IO, "client state %s: %s", what, mdb_strerror(rc));
}

int client_state_open(const char *dir,
                      struct client_state **out,
                      struct err *err)
{
    struct client_state *cs = xcalloc(1, sizeof(*cs));
    MDB_txn *txn;
    int rc;

    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        free(cs);
        return err_set(err, -errno, "cannot create %s", dir);
    }
    if ((rc = mdb_env_create(&cs->env)) != 0 ||
        (rc = mdb_env_set_mapsize(cs->env, (size_t)256 << 20)) != 0 ||
        (rc = mdb_env_open(cs->env, dir, 0, 0600)) != 0 ||
        (rc = mdb_txn_begin(cs->env, NULL, 0, &txn)) != 0) {
        if (cs->env)
            mdb_env_close(cs->env);
        free(cs);
        return fail(err, rc, "open");
    }
    if ((rc = mdb_dbi_open(txn, NULL, 0, &cs->dbi)) != 0 ||
        (rc = mdb_txn_commit(txn)) != 0) {
        mdb_env_close(cs->env);
        free(cs);
        return fail(err, rc, "open");
    }
    *out = cs;
    return 0;
}

void client_state_close(struct client_state *cs)
{
    if (cs == NULL)
        return;
    mdb_env_close(cs->env);
    free(cs);
}

int client_state_put(struct client_state *cs,
                     const char *id,
                     const void *data,
                     size_t len,
                     struct err *err)
{
    MDB_txn *txn;
    MDB_val k = {strlen(id), (void *)id}, v = {len, (void *)data};
    int rc;

    if ((rc = mdb_txn_begin(cs->env, NULL, 0, &txn)) != 0)
        return fail(err, rc, "put");
    if ((rc = mdb_put(txn, cs->dbi, &k, &v, 0)) != 0) {
        mdb_txn_abort(txn);
        return fail(err, rc, "put");
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        return fail(err, rc, "commit");
    return 0;
}

int client_state_del(struct client_state *cs, const char *id, struct err *err)
{
    MDB_txn *txn;
    MDB_val k = {strlen(id), (void *)id};
    int rc;

    if ((rc = mdb_txn_begin(cs->env, NULL, 0, &txn)) != 0)
        return fail(err, rc, "delete");
    rc = mdb_del(txn, cs->dbi, &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return fail(err, rc, "delete");
    }
    if ((rc = mdb_txn_commit(txn)) != 0)
        return fail(err, rc, "commit");
    return 0;
}

int client_state_each(
    struct client_state *cs,
    void (*fn)(void *arg, const char *id, const void *data, size_t len),
    void *arg,
    struct err *err)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc;

    if ((rc = mdb_txn_begin(cs->env, NULL, MDB_RDONLY, &txn)) != 0)
        return fail(err, rc, "read");
    if ((rc = mdb_cursor_open(txn, cs->dbi, &cur)) != 0) {
        mdb_txn_abort(txn);
        return fail(err, rc, "read");
    }
    while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
        char *id = xstrndup(k.mv_data, k.mv_size);

        fn(arg, id, v.mv_data, v.mv_size);
        free(id);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return 0;
}
