/*
 * In-place or destructive: does moving an alloc to a new job version need
 * a new alloc? (Nomad's tasksUpdated(); reference/scheduling.md §3
 * "service".)
 *
 * Destructive: the set of tasks, the group's networks and ephemeral disk,
 * and per task the driver, user, config, env, meta (job, group and task
 * meta all reach the task's environment), resources, templates,
 * artifacts, lifecycle, log config, dispatch payload, leader and kind.
 * Everything else (count, constraints, affinities, spreads, services and
 * checks, restart/reschedule/update policies, kill timeout) is applied in
 * place.
 *
 * The comparison walks the Nomad API JSON of both jobs, so a field added
 * to the model is compared as soon as the codec knows it. Results are
 * cached per (old version, group) because every alloc carries its own
 * copy of the job.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"
#include "scheduler/sched_int.h"

static const char *const group_keys[] = {"EphemeralDisk", "Networks", "Meta",
                                         NULL};
static const char *const task_keys[] = {
    "Driver",    "User",      "Config",    "Env",
    "Meta",      "Resources", "Templates", "Artifacts",
    "Lifecycle", "LogConfig", "Leader",    "DispatchPayload",
    "Kind",      NULL};

static bool keys_equal(const json_t *a,
                       const json_t *b,
                       const char *const *keys)
{
    for (; *keys != NULL; keys++) {
        json_t *x = json_object_get(a, *keys);
        json_t *y = json_object_get(b, *keys);

        if (json_is_null(x))
            x = NULL;
        if (json_is_null(y))
            y = NULL;
        if ((x == NULL) != (y == NULL))
            return false;
        if (x != NULL && !json_equal(x, y))
            return false;
    }
    return true;
}

static json_t *find_named(const json_t *array, const char *name)
{
    size_t i;
    json_t *v;

    json_array_foreach(array, i, v)
    {
        const char *n = json_string_value(json_object_get(v, "Name"));

        if (n != NULL && strcmp(n, name) == 0)
            return v;
    }
    return NULL;
}

static bool groups_differ(const json_t *old_job,
                          const json_t *new_job,
                          const char *group)
{
    json_t *og = find_named(json_object_get(old_job, "TaskGroups"), group);
    json_t *ng = find_named(json_object_get(new_job, "TaskGroups"), group);
    json_t *ot, *nt, *task;
    size_t i;

    if (og == NULL || ng == NULL)
        return true;
    if (!keys_equal(old_job, new_job, (const char *const[]){"Meta", NULL}) ||
        !keys_equal(og, ng, group_keys))
        return true;
    ot = json_object_get(og, "Tasks");
    nt = json_object_get(ng, "Tasks");
    if (json_array_size(ot) != json_array_size(nt))
        return true;
    json_array_foreach(nt, i, task)
    {
        const char *name = json_string_value(json_object_get(task, "Name"));
        json_t *old_task = name ? find_named(ot, name) : NULL;

        if (old_task == NULL || !keys_equal(old_task, task, task_keys))
            return true;
    }
    return false;
}

static struct sched_diff_entry *cached(struct sched *s,
                                       const struct job *old,
                                       const char *group)
{
    for (size_t i = 0; i < s->ndiffs; i++) {
        struct sched_diff_entry *e = &s->diffs[i];

        if (e->version == old->version &&
            e->job_modify_index == old->job_modify_index &&
            e->create_index == old->create_index &&
            strcmp(e->group, group) == 0)
            return e;
    }
    return NULL;
}

bool sched__destructive(struct sched *s,
                        const struct job *old,
                        const char *group)
{
    struct sched_diff_entry *e;
    json_t *old_json;
    bool differ;

    if (old == NULL)
        return true;
    e = cached(s, old, group);
    if (e != NULL)
        return e->destructive;
    if (s->job_json == NULL)
        s->job_json = job_to_json(s->job);
    old_json = job_to_json(old);
    differ = groups_differ(old_json, s->job_json, group);
    json_decref(old_json);

    XGROW(s->diffs, s->capdiffs, s->ndiffs + 1);
    e = &s->diffs[s->ndiffs++];
    e->version = old->version;
    e->job_modify_index = old->job_modify_index;
    e->create_index = old->create_index;
    e->group = xstrdup(group);
    e->destructive = differ;
    return differ;
}
