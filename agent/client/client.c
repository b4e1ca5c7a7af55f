/* The client role (see client.h). */
#include "agent/client/client.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent/client/alloc_runner.h"
#include "agent/client/alloc_stats.h"
#include "agent/client/client_state.h"
#include "agent/client/checks.h"
#include "agent/client/services.h"
#include "drivers/driver.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/id.h"
#include "lib/log.h"
#include "lib/map.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_json.h"
#include "lib/model/node.h"
#include "lib/time.h"

#define HEARTBEAT_MS 10000 /* at most; a third of the TTL when shorter */
#define RETRY_MS 1000
#define UPDATE_BATCH_MS 10 /* coalesces the changes of one burst */

struct client
{
    uv_loop_t *loop;
    struct client_rpc rpc;
    struct logger lg;
    struct node *node;
    char *alloc_root;
    bool dev;
    struct driver **drivers;
    size_t ndrivers;
    struct map runners; /* alloc id -> alloc_runner */
    uint64_t alloc_index;
    bool registered;
    uint64_t heartbeat_ms;
    bool watching;
    uv_timer_t heartbeat;
    uv_timer_t batch;
    bool batch_armed;
    struct map dirty; /* alloc ids whose client state changed */
    struct client_state *state;
    struct client_services *services; /* this node's registrations */
    struct client_checks *checks;     /* their health checks; may be NULL */
    bool closing;
    int pending; /* runners closing, rpc calls in flight */
    void (*close_cb)(void *arg);
    void *close_arg;
    int open_handles;
};

static void watch_allocs(struct client *c);
int client_alloc_stats(struct client *c,
                       const char *alloc_id,
                       json_t **out,
                       struct err *err)
{
    struct alloc_runner *ar = map_get(&c->runners, alloc_id);
    struct alloc_stats_clock clock;
    const char *total, *ncores;
    long long mhz = 0, cores = 0;

    *out = NULL;
    if (ar == NULL)
        return err_set(err, ERR_NOT_FOUND, "Unknown allocation \"%s\"",
                       alloc_id);
    total = strmap_get(&c->node->attributes, "cpu.totalcompute");
    ncores = strmap_get(&c->node->attributes, "cpu.numcores");
    if (total != NULL)
        mhz = atoll(total);
    if (ncores != NULL)
        cores = atoll(ncores);
    clock.now_unix_ns = time_wall_unix_ns();
    clock.now_mono_ms = time_mono_ms();
    clock.mhz_per_core = cores > 0 ? (double)mhz / (double)cores : 0.0;
    *out = alloc_stats_json(ar, &clock);
    return 0;
}

static void maybe_free(struct client *c);

/* ------------------------------------------------------------ fingerprint */

static int64_t cpu_total_mhz(int64_t *cores)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    double mhz = 0, sum = 0;
    long n = 0;

    *cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (f != NULL) {
        while (fgets(line, sizeof(line), f)) {
            if (sscanf(line, "cpu MHz : %lf", &mhz) == 1) {
                sum += mhz;
                n++;
            }
        }
        fclose(f);
    }
    if (n == 0) /* no frequency exposed: Nomad assumes 1 GHz cores */
        return *cores * 1000;
    return (int64_t)sum;
}

static int64_t memory_mb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long long kb = 0;

    if (f != NULL) {
        while (fgets(line, sizeof(line), f)) {
            if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
                break;
        }
        fclose(f);
    }
    return kb / 1024;
}

/* The node id survives restarts: allocs are placed on it. */
static char *load_node_id(const char *dir)
{
    char *path = xasprintf("%s/node-id", dir);
    char id[ID_UUID_LEN + 2] = {0};
    FILE *f = fopen(path, "r");

    if (f != NULL) {
        if (fgets(id, sizeof(id), f) != NULL)
            id[strcspn(id, "\n")] = '\0';
        fclose(f);
    }
    if (!id_is_uuid(id)) {
        id_uuid(id);
        f = fopen(path, "w");
        if (f != NULL) {
            fprintf(f, "%s\n", id);
            fclose(f);
        }
    }
    free(path);
    return xstrdup(id);
}

static void fingerprint(struct client *c,
                        const struct client_config *cfg,
                        const char *client_dir)
{
    struct node *n = node_new();
    struct utsname u;
    int64_t cores;
    char v[64];

    n->id = load_node_id(client_dir);
    n->secret_id = xstrdup(n->id);
    n->name = xstrdup(cfg->node_name);
    n->datacenter = xstrdup(cfg->datacenter ? cfg->datacenter : "dc1");
    n->node_pool = xstrdup(cfg->node_pool ? cfg->node_pool : "default");
    n->status = xstrdup(NODE_STATUS_READY);
    n->version = xstrdup("0.1.0");
    n->resources.cpu_shares = cpu_total_mhz(&cores);
    n->resources.total_cores = cores;
    n->resources.memory_mb = memory_mb();
    n->resources.disk_mb = 100 * 1024;
    n->resources.ip = xstrdup(cfg->bind_ip ? cfg->bind_ip : "127.0.0.1");
    if (uname(&u) == 0) {
        strmap_set(&n->attributes, "kernel.name", "linux");
        strmap_set(&n->attributes, "kernel.version", u.release);
        strmap_set(&n->attributes, "cpu.arch",
                   strcmp(u.machine, "x86_64") == 0 ? "amd64" : u.machine);
        strmap_set(&n->attributes, "unique.hostname", u.nodename);
    }
    strmap_set(&n->attributes, "os.name", "linux");
    snprintf(v, sizeof(v), "%lld", (long long)cores);
    strmap_set(&n->attributes, "cpu.numcores", v);
    snprintf(v, sizeof(v), "%lld", (long long)n->resources.cpu_shares);
    strmap_set(&n->attributes, "cpu.totalcompute", v);
    snprintf(v, sizeof(v), "%lld", (long long)n->resources.memory_mb << 20);
    strmap_set(&n->attributes, "memory.totalbytes", v);
    strmap_set(&n->attributes, "unique.network.ip-address", n->resources.ip);
    strmap_set(&n->attributes, "nomad.version", "0.1.0");
    for (size_t i = 0; i < c->ndrivers; i++) {
        struct driver_fingerprint fp;
        struct node_driver *d;

        driver_fingerprint(c->drivers[i], &fp);
        n->drivers = xrealloc(n->drivers, (n->ndrivers + 1) * sizeof(*d));
        d = &n->drivers[n->ndrivers++];
        memset(d, 0, sizeof(*d));
        d->name = xstrdup(driver_name(c->drivers[i]));
        d->detected = fp.detected;
        d->healthy = fp.healthy;
        d->health_description = xstrdup(fp.health_desc);
        d->update_time_unix_ns = time_wall_unix_ns();
        strmap_init(&d->attributes);
        for (size_t k = 0; k < fp.attrs_len; k++) {
            strmap_set(&d->attributes, fp.attrs[k].key, fp.attrs[k].value);
            if (fp.detected)
                strmap_set(&n->attributes, fp.attrs[k].key, fp.attrs[k].value);
        }
        log_info(&c->lg, "driver %s: %s", d->name,
                 fp.healthy ? "healthy" : fp.health_desc);
    }
    node_canonicalize(n);
    c->node = n;
}

static struct driver *driver_by_name(void *arg, const char *name)
{
    struct client *c = arg;

    for (size_t i = 0; i < c->ndrivers; i++) {
        if (strcmp(driver_name(c->drivers[i]), name) == 0)
            return c->drivers[i];
    }
    return NULL;
}

/* ------------------------------------------------------- status updates */

static void flush_updates(uv_timer_t *t);

static void update_sent(void *arg, int rc, const struct err *err)
{
    struct client *c = arg;
    struct map_iter it;
    const char *id;
    void *v;

    c->pending--;
    if (rc != 0 && !c->closing) {
        /* The servers may be out of reach: send every state again soon. */
        log_warn(&c->lg, "updating alloc status: %s; retrying", err->msg);
        map_iter_init(&it, &c->runners);
        while (map_next(&it, &id, &v))
            map_put(&c->dirty, id, NULL);
        if (!c->batch_armed) {
            c->batch_armed = true;
            uv_timer_start(&c->batch, flush_updates, RETRY_MS, 0);
        }
    }
    maybe_free(c);
}

/* Sends the changed allocs' client state in one call, as Nomad batches. */
static void flush_updates(uv_timer_t *t)
{
    struct client *c = t->data;
    struct alloc **batch = NULL;
    size_t n = 0;
    struct map_iter it;
    const char *id;
    void *v;

    c->batch_armed = false;
    map_iter_init(&it, &c->dirty);
    while (map_next(&it, &id, &v)) {
        struct alloc_runner *ar = map_get(&c->runners, id);
        const struct alloc *a;
        struct alloc *u;

        if (ar == NULL)
            continue;
        a = alloc_runner_alloc(ar);
        u = alloc_new();
        u->id = xstrdup(a->id);
        u->client_status = xstrdup(model_str(a->client_status));
        u->client_description = xstrdup(model_str(a->client_description));
        /* Says which deployment the health below is about. */
        if (a->deployment_id != NULL)
            u->deployment_id = xstrdup(a->deployment_id);
        {
            struct alloc *copy = alloc_copy(a);

            u->task_states = copy->task_states;
            u->ntask_states = copy->ntask_states;
            u->deployment_status = copy->deployment_status;
            copy->task_states = NULL;
            copy->ntask_states = 0;
            copy->deployment_status = NULL;
            alloc_free(copy);
        }
        batch = xrealloc(batch, (n + 1) * sizeof(*batch));
        batch[n++] = u;
    }
    map_release(&c->dirty, NULL);
    map_init(&c->dirty);
    if (n > 0) {
        c->pending++;
        c->rpc.alloc_update(c->rpc.ctx, batch, n, update_sent, c);
    }
    for (size_t i = 0; i < n; i++)
        alloc_free(batch[i]);
    free(batch);
}

/* Saves what a restarted agent needs to find this alloc's tasks again. */
static void persist(struct client *c, const struct alloc_runner *ar)
{
    json_t *rec = json_object();
    struct err err = ERR_INIT;
    char *text;

    if (c->state == NULL)
        return;
    json_object_set_new(rec, "Alloc", alloc_to_json(alloc_runner_alloc(ar)));
    json_object_set_new(rec, "Handles", alloc_runner_handles(ar));
    text = json_dumps(rec, JSON_COMPACT);
    if (client_state_put(c->state, alloc_runner_alloc(ar)->id, text,
                         strlen(text), &err) != 0)
        log_warn(&c->lg, "saving alloc state: %s", err.msg);
    free(text);
    json_decref(rec);
}

/* The node's services, rebuilt from every runner's alloc. */
static void refresh_services(struct client *c)
{
    struct map_iter it;
    const char *id;
    void *v;

    if (c->services == NULL)
        return;
    client_services_begin(c->services);
    map_iter_init(&it, &c->runners);
    while (map_next(&it, &id, &v))
    {
        bool leaving[64];
        size_t n = alloc_runner_ntasks(v);

        for (size_t i = 0; i < n && i < 64; i++)
            leaving[i] = alloc_runner_task_leaving(v, i);
        client_services_add(c->services, alloc_runner_alloc(v),
                            n <= 64 ? leaving : NULL);
    }
    client_services_commit(c->services, time_wall_unix_ms());
}

static void runner_changed(void *arg, struct alloc_runner *ar)
{
    struct client *c = arg;

    persist(c, ar);
    refresh_services(c);
    map_put(&c->dirty, alloc_runner_alloc(ar)->id, NULL);
    if (!c->batch_armed && !c->closing) {
        c->batch_armed = true;
        uv_timer_start(&c->batch, flush_updates, UPDATE_BATCH_MS, 0);
    }
}

/* ------------------------------------------------------------ checks */

static bool alloc_checks_healthy(void *arg, const struct alloc *a)
{
    struct client *c = arg;

    return c->checks == NULL ||
           client_checks_alloc_healthy(c->checks, a->id,
                                       client_services_checked(a));
}

/* A registration's health moved: republish, and let deployments see it. */
static void checks_changed(void *arg)
{
    struct client *c = arg;
    struct map_iter it;
    const char *id;
    void *v;

    if (c->closing)
        return;
    refresh_services(c);
    map_iter_init(&it, &c->runners);
    while (map_next(&it, &id, &v))
        alloc_runner_checks_changed(v);
}

static void checks_restart(void *arg,
                           const char *alloc_id,
                           const char *task,
                           const char *reason)
{
    struct client *c = arg;
    struct alloc_runner *ar = map_get(&c->runners, alloc_id);
    struct err err = ERR_INIT;

    if (c->closing || ar == NULL)
        return;
    log_info(&c->lg, "alloc %.8s task %s: restarting: %s", alloc_id,
             task ? task : "(group)", reason);
    if (alloc_runner_check_restart(ar, task, reason, &err) != 0)
        log_warn(&c->lg, "alloc %.8s task %s: check restart: %s", alloc_id,
                 task ? task : "(group)", err.msg);
}

int client_alloc_checks(struct client *c,
                        const char *alloc_id,
                        json_t **out,
                        struct err *err)
{
    *out = NULL;
    if (map_get(&c->runners, alloc_id) == NULL)
        return err_set(err, ERR_NOT_FOUND, "Unknown allocation \"%s\"",
                       alloc_id);
    *out = c->checks ? client_checks_alloc_json(c->checks, alloc_id)
                     : json_object();
    return 0;
}

static void checks_closed(void *arg)
{
    struct client *c = arg;

    c->pending--;
    maybe_free(c);
}

static void start_checks(struct client *c)
{
    struct client_checks_env env = {c->loop, checks_changed, checks_restart,
                                    c};
    struct err err = ERR_INIT;

    if (client_checks_new(&env, &c->checks, &err) != 0) {
        log_warn(&c->lg, "service checks will not run: %s", err.msg);
        c->checks = NULL;
        return;
    }
    client_services_set_checks(c->services, c->checks);
}

/* ------------------------------------------------------------ allocs */

struct runner_close
{
    struct client *c;
    char *id;
};

static void runner_closed(void *arg)
{
    struct runner_close *rc = arg;

    rc->c->pending--;
    maybe_free(rc->c);
    free(rc->id);
    free(rc);
}

static void close_runner(struct client *c, const char *id, bool leave)
{
    struct alloc_runner *ar = map_del(&c->runners, id);
    struct runner_close *rc;

    if (ar == NULL)
        return;
    refresh_services(c);
    rc = xcalloc(1, sizeof(*rc));
    rc->c = c;
    rc->id = xstrdup(id);
    c->pending++;
    alloc_runner_close(ar, leave, runner_closed, rc);
}

static void allocs_received(void *arg,
                            int rc,
                            struct alloc *const *allocs,
                            size_t n,
                            uint64_t index,
                            const struct err *err)
{
    struct client *c = arg;
    struct alloc_runner_env env = {c->loop,
                                   c->alloc_root,
                                   c->node,
                                   driver_by_name,
                                   runner_changed,
                                   c,
                                   client_services_catalog(c->services),
                                   client_services_hub(c->services),
                                   alloc_checks_healthy};

    c->watching = false;
    c->pending--;
    if (c->closing) {
        maybe_free(c);
        return;
    }
    if (rc != 0) {
        log_warn(&c->lg, "reading allocs: %s", err->msg);
        watch_allocs(c);
        return;
    }
    c->alloc_index = index;
    for (size_t i = 0; i < n; i++) {
        const struct alloc *a = allocs[i];
        struct alloc_runner *ar = map_get(&c->runners, a->id);

        if (ar != NULL) {
            alloc_runner_update(ar, a);
            continue;
        }
        /* An alloc already finished (before a restart) is not rerun. */
        if (alloc_is_terminal(a))
            continue;
        log_info(&c->lg, "starting alloc %.8s (%s.%s)", a->id,
                 model_str(a->job_id), model_str(a->task_group));
        ar = alloc_runner_new(&env, a);
        map_put(&c->runners, a->id, ar);
        alloc_runner_run(ar);
    }
    watch_allocs(c);
}

static void watch_allocs(struct client *c)
{
    if (c->closing || c->watching || !c->registered)
        return;
    c->watching = true;
    c->pending++;
    c->rpc.node_allocs(c->rpc.ctx, c->node->id, c->alloc_index, allocs_received,
                       c);
}

/* ---------------------------------------------------------- lifecycle */

static void registered(void *arg,
                       int rc,
                       uint64_t ttl_ms,
                       const struct err *err);

static void heartbeat(uv_timer_t *t);

/* Heartbeats well inside the TTL the servers gave, so one lost is fine. */
static void pace_heartbeats(struct client *c, uint64_t ttl_ms)
{
    uint64_t every = ttl_ms > 0 ? ttl_ms / 3 : HEARTBEAT_MS;

    if (every > HEARTBEAT_MS)
        every = HEARTBEAT_MS;
    if (every < 100)
        every = 100;
    if (every != c->heartbeat_ms) {
        c->heartbeat_ms = every;
        uv_timer_start(&c->heartbeat, heartbeat, every, every);
    }
}

static void heartbeat_sent(void *arg,
                           int rc,
                           uint64_t ttl_ms,
                           const struct err *err)
{
    struct client *c = arg;

    c->pending--;
    if (rc != 0)
        log_warn(&c->lg, "heartbeat: %s", err->msg);
    else if (!c->closing && c->registered)
        pace_heartbeats(c, ttl_ms);
    /* A server that lost the node (a new cluster) needs it again. */
    if (rc == ERR_NOT_FOUND && !c->closing && c->registered) {
        c->registered = false;
        uv_timer_stop(&c->heartbeat);
        c->pending++;
        c->rpc.node_register(c->rpc.ctx, c->node, registered, c);
    }
    maybe_free(c);
}

static void heartbeat(uv_timer_t *t)
{
    struct client *c = t->data;

    if (c->closing)
        return;
    c->pending++;
    c->rpc.node_heartbeat(c->rpc.ctx, c->node->id, heartbeat_sent, c);
}

static void register_again(uv_timer_t *t)
{
    struct client *c = t->data;

    if (c->closing)
        return;
    c->pending++;
    c->rpc.node_register(c->rpc.ctx, c->node, registered, c);
}

static void registered(void *arg,
                       int rc,
                       uint64_t ttl_ms,
                       const struct err *err)
{
    struct client *c = arg;

    c->pending--;
    if (c->closing) {
        maybe_free(c);
        return;
    }
    if (rc != 0) {
        log_error(&c->lg, "registering node: %s; retrying", err->msg);
        uv_timer_start(&c->heartbeat, register_again, RETRY_MS, 0);
        return;
    }
    log_info(&c->lg, "node %s registered as %s", c->node->name, c->node->id);
    c->registered = true;
    c->heartbeat_ms = 0;
    pace_heartbeats(c, ttl_ms);
    watch_allocs(c);
}

static void recover_one(void *arg, const char *id, const void *data, size_t len)
{
    struct client *c = arg;
    struct alloc_runner_env env = {c->loop,
                                   c->alloc_root,
                                   c->node,
                                   driver_by_name,
                                   runner_changed,
                                   c,
                                   client_services_catalog(c->services),
                                   client_services_hub(c->services),
                                   alloc_checks_healthy};
    json_t *rec = json_loadb(data, len, 0, NULL);
    struct alloc *a = alloc_new();
    struct err err = ERR_INIT;
    struct alloc_runner *ar;

    if (rec == NULL ||
        alloc_from_json(json_object_get(rec, "Alloc"), a, &err) != 0) {
        log_warn(&c->lg, "alloc %s: unreadable saved state, dropped", id);
        client_state_del(c->state, id, &err);
        goto out;
    }
    if (alloc_client_is_terminal(a)) {
        goto out; /* finished before the restart: nothing to run */
    }
    ar = alloc_runner_recover(&env, a, json_object_get(rec, "Handles"));
    map_put(&c->runners, a->id, ar);
    log_info(&c->lg, "recovering alloc %.8s", a->id);
    alloc_runner_run(ar);
out:
    alloc_free(a);
    json_decref(rec);
}

static int mkdir_p(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int client_new(uv_loop_t *loop,
               const struct client_config *cfg,
               const struct client_rpc *rpc,
               struct client **out,
               struct err *err)
{
    struct client *c = xcalloc(1, sizeof(*c));
    char *client_dir = xasprintf("%s/client", cfg->data_dir), *cdir;
    size_t n;
    const struct driver_ops *const *ops = driver_registry_list(&n);
    int rc;

    c->loop = loop;
    c->rpc = *rpc;
    c->dev = cfg->dev;
    logger_init(&c->lg, "client", NULL);
    map_init(&c->runners);
    map_init(&c->dirty);
    c->alloc_root = xasprintf("%s/alloc", cfg->data_dir);
    if ((rc = mkdir_p(cfg->data_dir)) != 0 || (rc = mkdir_p(client_dir)) != 0 ||
        (rc = mkdir_p(c->alloc_root)) != 0) {
        err_set(err, rc, "client: cannot create directories under %s: %s",
                cfg->data_dir, strerror(-rc));
        free(client_dir);
        free(c->alloc_root);
        map_release(&c->runners, NULL);
        map_release(&c->dirty, NULL);
        free(c);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct driver *d;
        struct err derr = ERR_INIT;

        /* The mock driver is for tests only. */
        if (strncmp(ops[i]->name, "mock", 4) == 0)
            continue;
        json_t *pcfg = NULL;
        int drc;

        if (strcmp(ops[i]->name, "raw_exec") == 0 && cfg->raw_exec)
            pcfg = json_pack("{s:b}", "enabled", 1);
        drc = driver_new(loop, ops[i]->name, pcfg, &d, &derr);
        json_decref(pcfg);
        if (drc != 0) {
            log_warn(&c->lg, "driver %s: %s", ops[i]->name, derr.msg);
            continue;
        }
        c->drivers = xrealloc(c->drivers, (c->ndrivers + 1) * sizeof(d));
        c->drivers[c->ndrivers++] = d;
    }
    fingerprint(c, cfg, client_dir);
    cdir = client_dir;
    uv_timer_init(loop, &c->heartbeat);
    uv_timer_init(loop, &c->batch);
    c->heartbeat.data = c->batch.data = c;
    c->open_handles = 2;
    c->services = client_services_new(c->node->id, cfg->datacenter);
    start_checks(c);
    /* After the timers: recovered runners report changes at once. */
    {
        char *sdir = xasprintf("%s/state", cdir);
        struct err serr = ERR_INIT;

        if (client_state_open(sdir, &c->state, &serr) != 0)
            log_warn(&c->lg, "%s: tasks will not survive a restart", serr.msg);
        else
            client_state_each(c->state, recover_one, c, &serr);
        /* Every recovered task's services before any template reads them. */
        refresh_services(c);
        free(sdir);
    }
    free(cdir);
    c->pending++;
    c->rpc.node_register(c->rpc.ctx, c->node, registered, c);
    *out = c;
    return 0;
}

const struct catalog *client_catalog(const struct client *c)
{
    return client_services_catalog(c->services);
}

struct catalog *client_catalog_rw(struct client *c)
{
    return client_services_catalog_rw(c->services);
}

void client_on_services(struct client *c,
                        void (*fn)(void *arg,
                                   const struct catalog_node_set *set),
                        void *arg)
{
    client_services_on_publish(c->services, fn, arg);
    /* What was set up before we were asked goes out now. */
    refresh_services(c);
}

struct watch_hub *client_catalog_watch(struct client *c)
{
    return client_services_hub(c->services);
}

int client_service_delete(struct client *c,
                          const char *namespace_,
                          const char *name,
                          const char *id,
                          struct err *err)
{
    if (client_services_delete(c->services, namespace_, name, id) != 0)
        return err_set(err, ERR_NOT_FOUND,
                       "service registration not found");
    refresh_services(c);
    return 0;
}

const char *client_node_id(const struct client *c)
{
    return c->node->id;
}

char *client_alloc_dir(const struct client *c, const char *alloc_id)
{
    char *dir;
    struct stat st;

    /* The id comes from a URL: it must not walk out of alloc_root. */
    if (!id_is_uuid(alloc_id))
        return NULL;
    dir = xasprintf("%s/%s", c->alloc_root, alloc_id);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(dir);
        return NULL;
    }
    return dir;
}

bool client_alloc_active(const struct client *c, const char *alloc_id)
{
    const struct alloc_runner *ar = map_get(&c->runners, alloc_id);

    return ar != NULL && !alloc_runner_done(ar);
}

/* Signal names as Nomad's signals table spells them. */
static int signal_from_name(const char *name)
{
    static const struct
    {
        const char *name;
        int signo;
    } table[] = {
        {"SIGHUP", SIGHUP},   {"SIGINT", SIGINT},   {"SIGQUIT", SIGQUIT},
        {"SIGKILL", SIGKILL}, {"SIGUSR1", SIGUSR1}, {"SIGUSR2", SIGUSR2},
        {"SIGTERM", SIGTERM}, {"SIGALRM", SIGALRM}, {"SIGCONT", SIGCONT},
        {"SIGSTOP", SIGSTOP}, {"SIGTSTP", SIGTSTP}, {"SIGWINCH", SIGWINCH},
        {"SIGPIPE", SIGPIPE}, {"SIGABRT", SIGABRT},
    };

    for (size_t i = 0; name != NULL && i < sizeof(table) / sizeof(table[0]);
         i++) {
        if (strcmp(table[i].name, name) == 0)
            return table[i].signo;
    }
    return -1;
}

static struct alloc_runner *live_runner(struct client *c,
                                        const char *alloc_id,
                                        struct err *err)
{
    struct alloc_runner *ar = map_get(&c->runners, alloc_id);

    if (ar == NULL || alloc_runner_done(ar)) {
        err_set(err, ERR_NOT_FOUND, "Unknown allocation \"%s\"", alloc_id);
        return NULL;
    }
    return ar;
}

int client_alloc_restart(struct client *c,
                         const char *alloc_id,
                         const char *task,
                         bool all,
                         struct err *err)
{
    struct alloc_runner *ar = live_runner(c, alloc_id, err);

    if (ar == NULL)
        return err->code;
    if (all && task != NULL && task[0] != '\0')
        return err_set(err, ERR_INVALID,
                       "task name cannot be set when restarting all tasks");
    return alloc_runner_restart(ar, task, all, err);
}

int client_alloc_signal(struct client *c,
                        const char *alloc_id,
                        const char *task,
                        const char *signal,
                        struct err *err)
{
    struct alloc_runner *ar = live_runner(c, alloc_id, err);
    int signo = signal_from_name(signal);

    if (ar == NULL)
        return err->code;
    if (signo <= 0)
        return err_set(err, ERR_INVALID, "Invalid signal \"%s\"", signal);
    return alloc_runner_signal(ar, task, signo, signal, err);
}

static void maybe_free(struct client *c)
{
    if (!c->closing || c->pending > 0 || c->open_handles > 0)
        return;
    for (size_t i = 0; i < c->ndrivers; i++)
        driver_free(c->drivers[i]);
    free(c->drivers);
    map_release(&c->runners, NULL);
    map_release(&c->dirty, NULL);
    client_state_close(c->state);
    client_services_free(c->services);
    node_free(c->node);
    free(c->alloc_root);
    if (c->close_cb)
        c->close_cb(c->close_arg);
    free(c);
}

static void handle_closed(uv_handle_t *h)
{
    struct client *c = h->data;

    c->open_handles--;
    maybe_free(c);
}

void client_close(struct client *c, void (*cb)(void *arg), void *arg)
{
    struct map_iter it;
    const char *id;
    void *v;
    char **ids = NULL;
    size_t n = 0;

    c->closing = true;
    c->close_cb = cb;
    c->close_arg = arg;
    uv_timer_stop(&c->heartbeat);
    uv_timer_stop(&c->batch);
    uv_close((uv_handle_t *)&c->heartbeat, handle_closed);
    uv_close((uv_handle_t *)&c->batch, handle_closed);
    map_iter_init(&it, &c->runners);
    while (map_next(&it, &id, &v)) {
        ids = xrealloc(ids, (n + 1) * sizeof(*ids));
        ids[n++] = xstrdup(id);
    }
    /* A dev agent takes its tasks with it; others reattach after restart. */
    for (size_t i = 0; i < n; i++) {
        close_runner(c, ids[i], !c->dev);
        free(ids[i]);
    }
    free(ids);
    if (c->checks != NULL) {
        client_services_set_checks(c->services, NULL);
        c->pending++;
        client_checks_close(c->checks, checks_closed, c);
        c->checks = NULL;
    }
    maybe_free(c);
}
