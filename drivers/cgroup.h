/*
 * cgroups for the exec driver: resource limits, and a handle on every
 * process a task starts so that all of them can be killed at once.
 *
 * Two layouts are supported, chosen once by cgroup_env_detect():
 *
 *   v1: limits in the memory, cpu and pids hierarchies
 *       (<root>/<ctrl>/<rel>). On a hybrid host, which keeps the v2
 *       hierarchy at <root>/unified without controllers, the task is also
 *       put there, because cgroup.kill kills a whole v2 cgroup atomically.
 *   v2: one cgroup in the unified hierarchy (<root>/<rel>), with the
 *       memory, cpu and pids controllers enabled down to it.
 *
 * <rel> is "<parent>/<alloc id>-<task>", parent "caravan" by default.
 */
#ifndef CARAVAN_DRIVERS_CGROUP_H
#define CARAVAN_DRIVERS_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct err;
struct driver_resources;

enum cgroup_mode {
    CGROUP_MODE_NONE,
    CGROUP_MODE_V1,
    CGROUP_MODE_V2,
};

#define CGROUP_PATH_MAX 256

struct cgroup_env
{
    enum cgroup_mode mode;
    char v1_memory[CGROUP_PATH_MAX]; /* hierarchy mounts; "" when absent */
    char v1_cpu[CGROUP_PATH_MAX];
    char v1_pids[CGROUP_PATH_MAX];
    char v2[CGROUP_PATH_MAX];        /* unified mount: limits (v2), kill (v1) */
    char desc[CGROUP_PATH_MAX + 64]; /* "v1 (memory cpu pids) + v2 for kill" */
};

/*
 * Looks at the cgroup filesystems under root ("/sys/fs/cgroup") and picks
 * a mode: v1 when a v1 memory hierarchy exists, else v2 when the unified
 * hierarchy offers the memory controller, else NONE with env->desc saying
 * why. Never fails; reads only.
 */
void cgroup_env_detect(struct cgroup_env *env, const char *root);

enum cgroup_dir {
    CGROUP_DIR_MEMORY,
    CGROUP_DIR_CPU,
    CGROUP_DIR_PIDS,
    CGROUP_DIR_UNIFIED,
    CGROUP_DIRS,
};

/* One task's cgroups: a directory per hierarchy in use. */
struct cgroup
{
    char *dirs[CGROUP_DIRS]; /* heap; NULL when not used */
};

/*
 * Creates the task's cgroups under rel (every component made if missing).
 * On failure nothing is left behind. Release cg with cgroup_release().
 */
int cgroup_create(struct cgroup *cg,
                  const struct cgroup_env *env,
                  const char *rel,
                  struct err *err);
/* Finds the existing cgroups of rel (after an agent restart). */
void cgroup_open(struct cgroup *cg,
                 const struct cgroup_env *env,
                 const char *rel);
void cgroup_release(struct cgroup *cg);

/* Writes the memory and cpu limits of res. */
int cgroup_set_limits(const struct cgroup *cg,
                      const struct cgroup_env *env,
                      const struct driver_resources *res,
                      struct err *err);
/* Moves pid into every cgroup of cg. */
int cgroup_join(const struct cgroup *cg, pid_t pid, struct err *err);
/* SIGKILLs every process in the cgroups. */
void cgroup_kill(const struct cgroup *cg);
/* True when the memory controller's OOM killer fired in the cgroup. */
bool cgroup_oom_killed(const struct cgroup *cg);
/* Current memory use, 0 when unknown. */
uint64_t cgroup_memory_bytes(const struct cgroup *cg);
/* Removes the directories; -EBUSY while processes remain. */
int cgroup_remove(const struct cgroup *cg);

#endif
