/* cgroup v1 and v2 for the exec driver; see cgroup.h for the layout. */
#include "drivers/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "drivers/driver.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define MIB (UINT64_C(1024) * 1024)
/* A SIGKILLed process can fork once more before it dies; a few rounds of
 * kill-what-is-listed catch those children. */
#define KILL_ROUNDS 8

/* ------------------------------------------------------------ files */

static int write_file(const char *dir, const char *name, const char *value)
{
    char path[CGROUP_PATH_MAX * 2];
    size_t len = strlen(value);
    ssize_t n;
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd == -1)
        return -errno;
    n = write(fd, value, len);
    if (n == -1)
        rc = -errno;
    else if ((size_t)n != len)
        rc = -EIO;
    close(fd);
    return rc;
}

static int read_file(const char *dir, const char *name, struct buf *out)
{
    char path[CGROUP_PATH_MAX * 2];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return buf_read_file(out, path, NULL);
}

static bool file_exists(const char *dir, const char *name)
{
    char path[CGROUP_PATH_MAX * 2];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* The value of "key N" lines (memory.events, memory.oom_control). */
static uint64_t keyed_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    const char *p = text;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
            return strtoull(p + klen + 1, NULL, 10);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return 0;
}

/* ------------------------------------------------------------ detection */

static bool is_fs(const char *path, long magic)
{
    struct statfs sf;

    return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

static bool v2_has_controller(const char *dir, const char *ctrl)
{
    struct buf b = BUF_INIT;
    bool found = false;
    char *save = NULL;

    if (read_file(dir, "cgroup.controllers", &b) == 0 && b.data != NULL) {
        for (char *w = strtok_r(b.data, " \n", &save); w != NULL;
             w = strtok_r(NULL, " \n", &save)) {
            if (strcmp(w, ctrl) == 0)
                found = true;
        }
    }
    buf_release(&b);
    return found;
}

static void find_v1(char *out, const char *root, const char *const *names)
{
    char path[CGROUP_PATH_MAX];

    out[0] = '\0';
    for (; *names != NULL; names++) {
        snprintf(path, sizeof(path), "%s/%s", root, *names);
        if (is_fs(path, CGROUP_SUPER_MAGIC)) {
            snprintf(out, CGROUP_PATH_MAX, "%s", path);
            return;
        }
    }
}

void cgroup_env_detect(struct cgroup_env *env, const char *root)
{
    static const char *const mem[] = {"memory", NULL};
    static const char *const cpu[] = {"cpu", "cpu,cpuacct", NULL};
    static const char *const pids[] = {"pids", NULL};
    char unified[CGROUP_PATH_MAX];

    memset(env, 0, sizeof(*env));
    if (is_fs(root, CGROUP2_SUPER_MAGIC)) {
        snprintf(env->v2, sizeof(env->v2), "%s", root);
    } else {
        find_v1(env->v1_memory, root, mem);
        find_v1(env->v1_cpu, root, cpu);
        find_v1(env->v1_pids, root, pids);
        snprintf(unified, sizeof(unified), "%s/unified", root);
        if (is_fs(unified, CGROUP2_SUPER_MAGIC))
            snprintf(env->v2, sizeof(env->v2), "%s", unified);
    }
    if (env->v1_memory[0] != '\0') {
        env->mode = CGROUP_MODE_V1;
        snprintf(env->desc, sizeof(env->desc), "v1 (memory%s%s)%s",
                 env->v1_cpu[0] ? " cpu" : "", env->v1_pids[0] ? " pids" : "",
                 env->v2[0] ? " + v2 for kill" : "");
        return;
    }
    if (env->v2[0] != '\0' && v2_has_controller(env->v2, "memory")) {
        env->mode = CGROUP_MODE_V2;
        snprintf(env->desc, sizeof(env->desc), "v2 at %s", env->v2);
        return;
    }
    env->mode = CGROUP_MODE_NONE;
    snprintf(env->desc, sizeof(env->desc),
             "no cgroup hierarchy with a memory controller under %s", root);
}

/* ------------------------------------------------------------ create */

/* Makes base/rel one component at a time; enables controllers on the way
 * down when v2 limits are wanted (the no-internal-process rule allows it:
 * our intermediate cgroups hold no processes). */
static int make_path(const char *base, const char *rel, bool enable_ctrls)
{
    struct buf path = BUF_INIT;
    const char *p = rel, *slash;
    int rc = 0;

    buf_puts(&path, base);
    while (rc == 0 && *p != '\0') {
        if (enable_ctrls) {
            write_file(path.data, "cgroup.subtree_control", "+memory");
            write_file(path.data, "cgroup.subtree_control", "+cpu");
            write_file(path.data, "cgroup.subtree_control", "+pids");
        }
        slash = strchr(p, '/');
        buf_putc(&path, '/');
        buf_append(&path, p, slash ? (size_t)(slash - p) : strlen(p));
        if (mkdir(path.data, 0755) == -1 && errno != EEXIST)
            rc = -errno;
        p = slash ? slash + 1 : p + strlen(p);
    }
    buf_release(&path);
    return rc;
}

static char *dir_of(const char *base, const char *rel)
{
    return base[0] != '\0' ? xasprintf("%s/%s", base, rel) : NULL;
}

static void fill_dirs(struct cgroup *cg,
                      const struct cgroup_env *env,
                      const char *rel)
{
    memset(cg, 0, sizeof(*cg));
    if (env->mode == CGROUP_MODE_V1) {
        cg->dirs[CGROUP_DIR_MEMORY] = dir_of(env->v1_memory, rel);
        cg->dirs[CGROUP_DIR_CPU] = dir_of(env->v1_cpu, rel);
        cg->dirs[CGROUP_DIR_PIDS] = dir_of(env->v1_pids, rel);
    }
    if (env->mode != CGROUP_MODE_NONE)
        cg->dirs[CGROUP_DIR_UNIFIED] = dir_of(env->v2, rel);
}

static const char *base_of(const struct cgroup_env *env, int i)
{
    switch (i) {
    case CGROUP_DIR_MEMORY:
        return env->v1_memory;
    case CGROUP_DIR_CPU:
        return env->v1_cpu;
    case CGROUP_DIR_PIDS:
        return env->v1_pids;
    default:
        return env->v2;
    }
}

int cgroup_create(struct cgroup *cg,
                  const struct cgroup_env *env,
                  const char *rel,
                  struct err *err)
{
    int rc;

    fill_dirs(cg, env, rel);
    for (int i = 0; i < CGROUP_DIRS; i++) {
        if (cg->dirs[i] == NULL)
            continue;
        rc = make_path(base_of(env, i), rel,
                       i == CGROUP_DIR_UNIFIED && env->mode == CGROUP_MODE_V2);
        if (rc != 0) {
            err_set(err, rc, "creating cgroup %s: %s", cg->dirs[i],
                    strerror(-rc));
            cgroup_remove(cg);
            cgroup_release(cg);
            return rc;
        }
    }
    return 0;
}

void cgroup_open(struct cgroup *cg,
                 const struct cgroup_env *env,
                 const char *rel)
{
    struct stat st;

    fill_dirs(cg, env, rel);
    for (int i = 0; i < CGROUP_DIRS; i++) {
        if (cg->dirs[i] != NULL && stat(cg->dirs[i], &st) == -1) {
            free(cg->dirs[i]);
            cg->dirs[i] = NULL;
        }
    }
}

void cgroup_release(struct cgroup *cg)
{
    for (int i = 0; i < CGROUP_DIRS; i++) {
        free(cg->dirs[i]);
        cg->dirs[i] = NULL;
    }
}

/* ------------------------------------------------------------ limits */

static int set(const char *dir, const char *name, uint64_t v, struct err *err)
{
    char value[32];
    int rc;

    snprintf(value, sizeof(value), "%llu", (unsigned long long)v);
    rc = write_file(dir, name, value);
    if (rc != 0)
        return err_set(err, rc, "setting %s/%s to %s: %s", dir, name, value,
                       strerror(-rc));
    return 0;
}

static int limits_v1(const struct cgroup *cg,
                     const struct driver_resources *res,
                     struct err *err)
{
    const char *mem = cg->dirs[CGROUP_DIR_MEMORY];
    const char *cpu = cg->dirs[CGROUP_DIR_CPU];
    uint64_t hard = res->memory_max_mb ? res->memory_max_mb : res->memory_mb;
    int rc = 0;

    if (mem != NULL && hard > 0) {
        rc = set(mem, "memory.limit_in_bytes", hard * MIB, err);
        /* memsw >= limit must hold; equal means no swap for the task. */
        if (rc == 0 && file_exists(mem, "memory.memsw.limit_in_bytes"))
            rc = set(mem, "memory.memsw.limit_in_bytes", hard * MIB, err);
        if (rc == 0 && res->memory_max_mb > 0 && res->memory_mb > 0)
            rc = set(mem, "memory.soft_limit_in_bytes",
                     (uint64_t)res->memory_mb * MIB, err);
    }
    /* Nomad gives MHz as cpu shares (at least 2, the kernel minimum). */
    if (rc == 0 && cpu != NULL && res->cpu_mhz > 0)
        rc = set(cpu, "cpu.shares", res->cpu_mhz < 2 ? 2 : res->cpu_mhz, err);
    return rc;
}

static int limits_v2(const struct cgroup *cg,
                     const struct driver_resources *res,
                     struct err *err)
{
    const char *dir = cg->dirs[CGROUP_DIR_UNIFIED];
    uint64_t hard = res->memory_max_mb ? res->memory_max_mb : res->memory_mb;
    uint64_t shares, weight;
    int rc = 0;

    if (hard > 0) {
        rc = set(dir, "memory.max", hard * MIB, err);
        if (rc == 0 && file_exists(dir, "memory.swap.max"))
            rc = set(dir, "memory.swap.max", 0, err);
        if (rc == 0 && res->memory_max_mb > 0 && res->memory_mb > 0)
            rc = set(dir, "memory.low", (uint64_t)res->memory_mb * MIB, err);
    }
    if (rc == 0 && res->cpu_mhz > 0) {
        /* runc's shares -> weight mapping: [2, 262144] onto [1, 10000]. */
        shares = res->cpu_mhz < 2 ? 2 : res->cpu_mhz;
        shares = shares > 262144 ? 262144 : shares;
        weight = 1 + ((shares - 2) * 9999) / 262142;
        rc = set(dir, "cpu.weight", weight, err);
    }
    return rc;
}

int cgroup_set_limits(const struct cgroup *cg,
                      const struct cgroup_env *env,
                      const struct driver_resources *res,
                      struct err *err)
{
    switch (env->mode) {
    case CGROUP_MODE_V1:
        return limits_v1(cg, res, err);
    case CGROUP_MODE_V2:
        return limits_v2(cg, res, err);
    case CGROUP_MODE_NONE:
        return 0;
    }
    return 0;
}

/* ------------------------------------------------------------ processes */

int cgroup_join(const struct cgroup *cg, pid_t pid, struct err *err)
{
    char value[32];
    int rc;

    snprintf(value, sizeof(value), "%d", (int)pid);
    for (int i = 0; i < CGROUP_DIRS; i++) {
        if (cg->dirs[i] == NULL)
            continue;
        rc = write_file(cg->dirs[i], "cgroup.procs", value);
        if (rc != 0)
            return err_set(err, rc, "joining cgroup %s: %s", cg->dirs[i],
                           strerror(-rc));
    }
    return 0;
}

/* SIGKILLs what dir/cgroup.procs lists; returns how many it listed. */
static size_t kill_listed(const char *dir)
{
    struct buf b = BUF_INIT;
    size_t n = 0;
    char *p, *end;
    long pid;

    if (read_file(dir, "cgroup.procs", &b) == 0 && b.data != NULL) {
        for (p = b.data;; p = end) {
            pid = strtol(p, &end, 10);
            if (end == p)
                break;
            if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
                n++;
        }
    }
    buf_release(&b);
    return n;
}

void cgroup_kill(const struct cgroup *cg)
{
    /* Any hierarchy lists the same processes; pids is the usual one. */
    static const enum cgroup_dir order[] = {CGROUP_DIR_PIDS, CGROUP_DIR_MEMORY,
                                            CGROUP_DIR_CPU, CGROUP_DIR_UNIFIED};
    const char *v2 = cg->dirs[CGROUP_DIR_UNIFIED];
    const char *listed = NULL;

    /* cgroup.kill (Linux 5.14) kills the whole cgroup at once, forks in
     * flight included. */
    if (v2 != NULL && write_file(v2, "cgroup.kill", "1") == 0)
        return;
    for (size_t i = 0; i < 4 && listed == NULL; i++)
        listed = cg->dirs[order[i]];
    if (listed == NULL)
        return;
    for (int round = 0; round < KILL_ROUNDS; round++) {
        if (kill_listed(listed) == 0)
            break;
    }
}

bool cgroup_oom_killed(const struct cgroup *cg)
{
    struct buf b = BUF_INIT;
    uint64_t n = 0;

    if (cg->dirs[CGROUP_DIR_MEMORY] != NULL) {
        if (read_file(cg->dirs[CGROUP_DIR_MEMORY], "memory.oom_control", &b) ==
            0)
            n = keyed_value(buf_str(&b), "oom_kill");
    } else if (cg->dirs[CGROUP_DIR_UNIFIED] != NULL) {
        if (read_file(cg->dirs[CGROUP_DIR_UNIFIED], "memory.events", &b) == 0)
            n = keyed_value(buf_str(&b), "oom_kill");
    }
    buf_release(&b);
    return n > 0;
}

uint64_t cgroup_memory_bytes(const struct cgroup *cg)
{
    struct buf b = BUF_INIT;
    uint64_t v = 0;
    int rc = -ENOENT;

    if (cg->dirs[CGROUP_DIR_MEMORY] != NULL)
        rc =
            read_file(cg->dirs[CGROUP_DIR_MEMORY], "memory.usage_in_bytes", &b);
    else if (cg->dirs[CGROUP_DIR_UNIFIED] != NULL)
        rc = read_file(cg->dirs[CGROUP_DIR_UNIFIED], "memory.current", &b);
    if (rc == 0)
        v = strtoull(buf_str(&b), NULL, 10);
    buf_release(&b);
    return v;
}

int cgroup_remove(const struct cgroup *cg)
{
    int rc = 0;

    for (int i = 0; i < CGROUP_DIRS; i++) {
        if (cg->dirs[i] == NULL)
            continue;
        if (rmdir(cg->dirs[i]) == -1 && errno != ENOENT)
            rc = errno == EBUSY ? -EBUSY : -errno;
    }
    return rc;
}
