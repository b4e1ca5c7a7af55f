/*
 * Job helpers, canonicalization (the defaults Nomad's API and server fill
 * in) and validation (Nomad's checks and messages), reference/jobspec.md
 * §3, §5 and §7.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/cron.h"
#include "lib/err.h"
#include "lib/merr.h"
#include "lib/tz.h"
#include "lib/model/job.h"
#include "lib/time.h"

struct task_group *job_add_group(struct job *job)
{
    job->groups = xrealloc(job->groups, (job->ngroups + 1) * sizeof(*job->groups));
    task_group_init(&job->groups[job->ngroups]);
    return &job->groups[job->ngroups++];
}

struct task *task_group_add_task(struct task_group *g)
{
    g->tasks = xrealloc(g->tasks, (g->ntasks + 1) * sizeof(*g->tasks));
    task_init(&g->tasks[g->ntasks]);
    return &g->tasks[g->ntasks++];
}

struct task_group *job_find_group(const struct job *job, const char *name)
{
    for (size_t i = 0; i < job->ngroups; i++) {
        if (job->groups[i].name && strcmp(job->groups[i].name, name) == 0)
            return &job->groups[i];
    }
    return NULL;
}

struct task *task_group_find_task(const struct task_group *g, const char *name)
{
    for (size_t i = 0; i < g->ntasks; i++) {
        if (g->tasks[i].name && strcmp(g->tasks[i].name, name) == 0)
            return &g->tasks[i];
    }
    return NULL;
}

int job_type_flag(const char *type)
{
    if (type == NULL)
        return 0;
    if (strcmp(type, "service") == 0)
        return JOB_TYPE_SERVICE;
    if (strcmp(type, "batch") == 0)
        return JOB_TYPE_BATCH;
    if (strcmp(type, "system") == 0)
        return JOB_TYPE_SYSTEM;
    if (strcmp(type, "sysbatch") == 0)
        return JOB_TYPE_SYSBATCH;
    return 0;
}

/* ------------------------------------------------------- canonicalize */

#define DEF_STR(p, v)               \
    do {                            \
        if ((p) == NULL)            \
            model_set_str(&(p), v); \
    } while (0)
#define DEF_I64(p, v)          \
    do {                       \
        if ((p) == MODEL_UNSET) \
            (p) = (v);         \
    } while (0)
#define DEF_TRI(p, v)            \
    do {                         \
        if ((p) == TRI_UNSET)    \
            (p) = tri_from_bool(v); \
    } while (0)
/* Field by field: what over sets wins over dst. */
#define OVER_STR(d, o, f)                 \
    do {                                  \
        if ((o)->f != NULL)               \
            model_set_str(&(d)->f, (o)->f); \
    } while (0)
#define OVER_I64(d, o, f)          \
    do {                           \
        if ((o)->f != MODEL_UNSET) \
            (d)->f = (o)->f;       \
    } while (0)
#define OVER_TRI(d, o, f)        \
    do {                         \
        if ((o)->f != TRI_UNSET) \
            (d)->f = (o)->f;     \
    } while (0)

static void restart_merge(struct restart_policy *d,
                          const struct restart_policy *o)
{
    OVER_I64(d, o, attempts);
    OVER_I64(d, o, interval_ns);
    OVER_I64(d, o, delay_ns);
    OVER_STR(d, o, mode);
    OVER_TRI(d, o, render_templates);
}

static void reschedule_merge(struct reschedule_policy *d,
                             const struct reschedule_policy *o)
{
    OVER_I64(d, o, attempts);
    OVER_I64(d, o, interval_ns);
    OVER_I64(d, o, delay_ns);
    OVER_STR(d, o, delay_function);
    OVER_I64(d, o, max_delay_ns);
    OVER_TRI(d, o, unlimited);
}

static void update_merge(struct update_strategy *d,
                         const struct update_strategy *o)
{
    OVER_I64(d, o, stagger_ns);
    OVER_I64(d, o, max_parallel);
    OVER_STR(d, o, health_check);
    OVER_I64(d, o, min_healthy_time_ns);
    OVER_I64(d, o, healthy_deadline_ns);
    OVER_I64(d, o, progress_deadline_ns);
    OVER_I64(d, o, canary);
    OVER_TRI(d, o, auto_revert);
    OVER_TRI(d, o, auto_promote);
}

static void migrate_merge(struct migrate_strategy *d,
                          const struct migrate_strategy *o)
{
    OVER_I64(d, o, max_parallel);
    OVER_STR(d, o, health_check);
    OVER_I64(d, o, min_healthy_time_ns);
    OVER_I64(d, o, healthy_deadline_ns);
}

static void update_defaults(struct update_strategy *u)
{
    DEF_I64(u->stagger_ns, 30 * NS_PER_SEC);
    DEF_I64(u->max_parallel, 1);
    DEF_STR(u->health_check, "checks");
    DEF_I64(u->min_healthy_time_ns, 10 * NS_PER_SEC);
    DEF_I64(u->healthy_deadline_ns, 5 * NS_PER_MIN);
    DEF_I64(u->progress_deadline_ns, 10 * NS_PER_MIN);
    DEF_I64(u->canary, 0);
    DEF_TRI(u->auto_revert, false);
    DEF_TRI(u->auto_promote, false);
}

static void restart_defaults(struct restart_policy *r, int type)
{
    bool batch = type & (JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH);

    DEF_I64(r->attempts, batch ? 3 : 2);
    DEF_I64(r->interval_ns, batch ? 24 * NS_PER_HOUR : 30 * NS_PER_MIN);
    DEF_I64(r->delay_ns, 15 * NS_PER_SEC);
    DEF_STR(r->mode, "fail");
    DEF_TRI(r->render_templates, false);
}

static void reschedule_defaults(struct reschedule_policy *r, int type)
{
    bool batch = type & JOB_TYPE_BATCH;

    DEF_I64(r->attempts, batch ? 1 : 0);
    DEF_I64(r->interval_ns, batch ? 24 * NS_PER_HOUR : 0);
    DEF_I64(r->delay_ns, batch ? 5 * NS_PER_SEC : 30 * NS_PER_SEC);
    DEF_STR(r->delay_function, batch ? "constant" : "exponential");
    DEF_I64(r->max_delay_ns, batch ? 0 : NS_PER_HOUR);
    DEF_TRI(r->unlimited, !batch);
}

static void constraint_canonicalize(struct constraint *c)
{
    DEF_STR(c->operand, "=");
}

static void affinity_canonicalize(struct affinity *a)
{
    DEF_STR(a->operand, "=");
    DEF_I64(a->weight, 50);
}

static void spread_canonicalize(struct spread *s)
{
    DEF_I64(s->weight, 50);
    for (size_t i = 0; i < s->ntargets; i++)
        DEF_I64(s->targets[i].percent, 0);
}

static void placement_canonicalize(struct constraint *c,
                                   size_t nc,
                                   struct affinity *a,
                                   size_t na,
                                   struct spread *s,
                                   size_t ns)
{
    for (size_t i = 0; i < nc; i++)
        constraint_canonicalize(&c[i]);
    for (size_t i = 0; i < na; i++)
        affinity_canonicalize(&a[i]);
    for (size_t i = 0; i < ns; i++)
        spread_canonicalize(&s[i]);
}

static void service_canonicalize(struct service *s,
                                 const struct job *job,
                                 const struct task_group *g,
                                 const struct task *t)
{
    if (s->name == NULL || s->name[0] == '\0') {
        char *name = t ? xasprintf("%s-%s-%s", model_str(job->name),
                                   model_str(g->name), model_str(t->name))
                       : xasprintf("%s-%s", model_str(job->name),
                                   model_str(g->name));

        model_set_str(&s->name, name);
        free(name);
    }
    DEF_STR(s->provider, "consul");
    DEF_STR(s->address_mode, "auto");
    DEF_STR(s->on_update, "require_healthy");
    if (t != NULL)
        DEF_STR(s->task_name, t->name);
    for (size_t i = 0; i < s->nchecks; i++) {
        struct service_check *c = &s->checks[i];

        if (c->name == NULL || c->name[0] == '\0') {
            char *name = xasprintf("service: \"%s\" check", s->name);

            model_set_str(&c->name, name);
            free(name);
        }
        DEF_STR(c->on_update, s->on_update);
        DEF_I64(c->success_before_passing, 0);
        DEF_I64(c->failures_before_critical, 0);
        DEF_I64(c->failures_before_warning, 0);
        if (c->check_restart != NULL)
            DEF_I64(c->check_restart->grace_ns, 1 * NS_PER_SEC);
    }
}

static void task_canonicalize(struct task *t,
                              const struct job *job,
                              const struct task_group *g)
{
    struct restart_policy *r = xmalloc(sizeof(*r));

    /* The group's policy, with the task's own block merged over it. */
    restart_policy_init(r);
    if (g->restart_policy != NULL) {
        restart_merge(r, g->restart_policy);
    }
    if (t->restart_policy != NULL) {
        restart_merge(r, t->restart_policy);
        restart_policy_release(t->restart_policy);
        free(t->restart_policy);
    }
    restart_defaults(r, job_type_flag(job->type));
    t->restart_policy = r;

    if (t->resources == NULL) {
        t->resources = xmalloc(sizeof(*t->resources));
        resources_init(t->resources);
    }
    DEF_I64(t->resources->cores, 0);
    DEF_I64(t->resources->cpu, t->resources->cores > 0 ? 0 : 100);
    DEF_I64(t->resources->memory_mb, 300);
    DEF_I64(t->resources->memory_max_mb, 0);
    DEF_I64(t->resources->disk_mb, 0);

    if (t->log_config == NULL) {
        t->log_config = xmalloc(sizeof(*t->log_config));
        log_config_init(t->log_config);
    }
    DEF_I64(t->log_config->max_files, 10);
    DEF_I64(t->log_config->max_file_size_mb, 10);
    DEF_TRI(t->log_config->disabled, false);

    DEF_I64(t->kill_timeout_ns, 5 * NS_PER_SEC);
    DEF_I64(t->shutdown_delay_ns, 0);
    DEF_TRI(t->leader, false);
    placement_canonicalize(t->constraints, t->nconstraints, t->affinities,
                           t->naffinities, NULL, 0);
    for (size_t i = 0; i < t->nservices; i++)
        service_canonicalize(&t->services[i], job, g, t);

    for (size_t i = 0; i < t->ntemplates; i++) {
        struct task_template *tp = &t->templates[i];

        DEF_STR(tp->change_mode, "restart");
        if (strcmp(tp->change_mode, "signal") == 0 &&
            (tp->change_signal == NULL || tp->change_signal[0] == '\0'))
            model_set_str(&tp->change_signal, "SIGHUP");
        if (tp->change_signal != NULL) {
            for (char *p = tp->change_signal; *p; p++)
                *p = (char)toupper((unsigned char)*p);
        }
        if (tp->change_script != NULL) {
            DEF_I64(tp->change_script->timeout_ns, 5 * NS_PER_SEC);
            DEF_TRI(tp->change_script->fail_on_error, false);
        }
        DEF_I64(tp->splay_ns, 5 * NS_PER_SEC);
        DEF_STR(tp->perms, "0644");
        DEF_STR(tp->left_delim, "{{");
        DEF_STR(tp->right_delim, "}}");
        DEF_TRI(tp->envvars, false);
        DEF_I64(tp->vault_grace_ns, 0);
        DEF_TRI(tp->err_missing_key, false);
        DEF_TRI(tp->once, false);
    }
    for (size_t i = 0; i < t->nartifacts; i++) {
        DEF_STR(t->artifacts[i].getter_mode, "any");
        DEF_STR(t->artifacts[i].relative_dest, "local/");
    }
}

static void group_canonicalize(struct task_group *g, struct job *job)
{
    int type = job_type_flag(job->type);

    DEF_I64(g->count, 1);
    placement_canonicalize(g->constraints, g->nconstraints, g->affinities,
                           g->naffinities, g->spreads, g->nspreads);

    if (g->restart_policy == NULL) {
        g->restart_policy = xmalloc(sizeof(*g->restart_policy));
        restart_policy_init(g->restart_policy);
    }
    restart_defaults(g->restart_policy, type);

    if (type & (JOB_TYPE_SERVICE | JOB_TYPE_BATCH)) {
        struct reschedule_policy *r = xmalloc(sizeof(*r));

        reschedule_policy_init(r);
        if (job->reschedule != NULL)
            reschedule_merge(r, job->reschedule);
        if (g->reschedule_policy != NULL) {
            reschedule_merge(r, g->reschedule_policy);
            reschedule_policy_release(g->reschedule_policy);
            free(g->reschedule_policy);
        }
        reschedule_defaults(r, type);
        g->reschedule_policy = r;
    }

    if (job->update != NULL || g->update != NULL) {
        struct update_strategy *u = xmalloc(sizeof(*u));

        update_strategy_init(u);
        if (job->update != NULL)
            update_merge(u, job->update);
        if (g->update != NULL) {
            update_merge(u, g->update);
            update_strategy_release(g->update);
            free(g->update);
        }
        update_defaults(u);
        g->update = u;
    }

    if (type & JOB_TYPE_SERVICE) {
        struct migrate_strategy *m = xmalloc(sizeof(*m));

        migrate_strategy_init(m);
        if (job->migrate != NULL)
            migrate_merge(m, job->migrate);
        if (g->migrate != NULL) {
            migrate_merge(m, g->migrate);
            migrate_strategy_release(g->migrate);
            free(g->migrate);
        }
        DEF_I64(m->max_parallel, 1);
        DEF_STR(m->health_check, "checks");
        DEF_I64(m->min_healthy_time_ns, 10 * NS_PER_SEC);
        DEF_I64(m->healthy_deadline_ns, 5 * NS_PER_MIN);
        g->migrate = m;
    }

    if (g->ephemeral_disk == NULL) {
        g->ephemeral_disk = xmalloc(sizeof(*g->ephemeral_disk));
        ephemeral_disk_init(g->ephemeral_disk);
    }
    DEF_TRI(g->ephemeral_disk->sticky, false);
    DEF_TRI(g->ephemeral_disk->migrate, false);
    DEF_I64(g->ephemeral_disk->size_mb, 300);

    for (size_t i = 0; i < g->nnetworks; i++)
        DEF_STR(g->networks[i].mode, "host");
    for (size_t i = 0; i < g->nservices; i++)
        service_canonicalize(&g->services[i], job, g, NULL);
    for (size_t i = 0; i < g->ntasks; i++)
        task_canonicalize(&g->tasks[i], job, g);
}

void job_canonicalize(struct job *job)
{
    int type;

    DEF_STR(job->id, "");
    DEF_STR(job->name, job->id);
    DEF_STR(job->namespace, "default");
    DEF_STR(job->region, "global");
    DEF_STR(job->type, "service");
    DEF_STR(job->node_pool, "default");
    DEF_I64(job->priority, 50);
    DEF_TRI(job->all_at_once, false);
    DEF_TRI(job->stop, false);
    DEF_TRI(job->dispatched, false);
    DEF_TRI(job->stable, false);
    DEF_STR(job->parent_id, "");
    DEF_STR(job->consul_token, "");
    DEF_STR(job->vault_token, "");
    DEF_STR(job->status, "");
    DEF_STR(job->status_description, "");
    DEF_I64(job->version, 0);
    DEF_I64(job->submit_time, 0);
    DEF_I64(job->create_index, 0);
    DEF_I64(job->modify_index, 0);
    DEF_I64(job->job_modify_index, 0);
    if (job->datacenters.n == 0) {
        strlist_release(&job->datacenters);
        strlist_push(&job->datacenters, "*");
    }
    type = job_type_flag(job->type);
    if (job->update == NULL && (type & (JOB_TYPE_SERVICE | JOB_TYPE_SYSTEM))) {
        job->update = xmalloc(sizeof(*job->update));
        update_strategy_init(job->update);
    }
    if (job->update != NULL)
        update_defaults(job->update);
    placement_canonicalize(job->constraints, job->nconstraints,
                           job->affinities, job->naffinities, job->spreads,
                           job->nspreads);
    if (job->periodic != NULL) {
        DEF_TRI(job->periodic->enabled, true);
        DEF_STR(job->periodic->spec_type, "cron");
        DEF_TRI(job->periodic->prohibit_overlap, false);
        DEF_STR(job->periodic->time_zone, "UTC");
    }
    if (job->parameterized != NULL) {
        DEF_STR(job->parameterized->payload, "optional");
        job->parameterized->meta_required.set = true;
        job->parameterized->meta_optional.set = true;
    }
    for (size_t i = 0; i < job->ngroups; i++)
        group_canonicalize(&job->groups[i], job);
}

/* ----------------------------------------------------------- validate */

static const char *dur(int64_t ns, char *buf, size_t size)
{
    duration_format(ns, buf, size);
    return buf;
}

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++) {
        if (s != NULL && strcmp(s, *set) == 0)
            return true;
    }
    return false;
}

static const char *const constraint_ops[] = {
    "=", "==", "is", "!=", "not", ">", ">=", "<", "<=", "regexp",
    "set_contains", "set_contains_all", "set_contains_any", "version",
    "semver", "is_set", "is_not_set", "distinct_hosts", "distinct_property",
    NULL};

static void constraint_validate(const struct constraint *c,
                                struct merr *m)
{
    const char *op = model_str(c->operand);
    bool needs_l = true, needs_r = true;

    if (op[0] == '\0') {
        merr_add(m, "Missing constraint operand");
        return;
    }
    if (!one_of(op, constraint_ops)) {
        merr_add(m, "Unknown constraint type %s", op);
        return;
    }
    if (strcmp(op, "distinct_hosts") == 0) {
        needs_l = needs_r = false;
    } else if (strcmp(op, "distinct_property") == 0) {
        needs_r = false;
        if (c->rtarget != NULL && c->rtarget[0] != '\0') {
            char *end;
            long long v = strtoll(c->rtarget, &end, 10);

            if (*end != '\0' || v < 1)
                merr_add(m,
                         "Distinct Property must have an allowed count of 1 "
                         "or greater: %s",
                         c->rtarget);
        }
    } else if (strcmp(op, "is_set") == 0 || strcmp(op, "is_not_set") == 0) {
        needs_r = false;
        if (c->rtarget != NULL && c->rtarget[0] != '\0')
            merr_add(m, "Operator \"%s\" does not support an RTarget", op);
    } else if (strcmp(op, "regexp") == 0 && c->rtarget != NULL) {
        regex_t re;
        int rc = regcomp(&re, c->rtarget, REG_EXTENDED | REG_NOSUB);

        if (rc != 0) {
            char msg[128];

            regerror(rc, &re, msg, sizeof(msg));
            merr_add(m, "Regular expression failed to compile: %s", msg);
        } else {
            regfree(&re);
        }
    }
    if (needs_l && (c->ltarget == NULL || c->ltarget[0] == '\0'))
        merr_add(m, "No LTarget provided but is required by constraint");
    if (needs_r && (c->rtarget == NULL || c->rtarget[0] == '\0'))
        merr_add(m, "No RTarget provided but is required by constraint");
}

static void constraints_validate(const struct constraint *c,
                                 size_t n,
                                 bool task_level,
                                 struct merr *m)
{
    for (size_t i = 0; i < n; i++) {
        struct merr inner = MERR_INIT;
        char prefix[64];

        constraint_validate(&c[i], &inner);
        snprintf(prefix, sizeof(prefix), "Constraint %zu validation failed",
                 i + 1);
        merr_nest(m, &inner, prefix);
        if (task_level && c[i].operand &&
            (strcmp(c[i].operand, "distinct_hosts") == 0 ||
             strcmp(c[i].operand, "distinct_property") == 0))
            merr_add(m, "Constraint %zu has disallowed Operator at task level: %s",
                     i + 1, c[i].operand);
    }
}

static void affinities_validate(const struct affinity *a,
                                size_t n,
                                struct merr *m)
{
    for (size_t i = 0; i < n; i++) {
        struct merr inner = MERR_INIT;
        char prefix[64];

        if (a[i].operand == NULL || a[i].operand[0] == '\0')
            merr_add(&inner, "Missing affinity operand");
        else if (!one_of(a[i].operand, constraint_ops) ||
                 strcmp(a[i].operand, "distinct_hosts") == 0 ||
                 strcmp(a[i].operand, "distinct_property") == 0 ||
                 strcmp(a[i].operand, "is_set") == 0 ||
                 strcmp(a[i].operand, "is_not_set") == 0)
            merr_add(&inner, "Unknown affinity operator \"%s\"",
                     a[i].operand);
        if (a[i].ltarget == NULL || a[i].ltarget[0] == '\0')
            merr_add(&inner, "Missing affinity LTarget");
        if (a[i].weight == 0)
            merr_add(&inner, "Affinity weight cannot be zero");
        if (a[i].weight != MODEL_UNSET &&
            (a[i].weight > 100 || a[i].weight < -100))
            merr_add(&inner,
                     "Affinity weight must be within the range [-100,100]");
        snprintf(prefix, sizeof(prefix), "Affinity %zu validation failed",
                 i + 1);
        merr_nest(m, &inner, prefix);
    }
}

static void spreads_validate(const struct spread *s, size_t n, struct merr *m)
{
    for (size_t i = 0; i < n; i++) {
        struct merr inner = MERR_INIT;
        char prefix[64];
        int64_t sum = 0;

        if (s[i].attribute == NULL || s[i].attribute[0] == '\0')
            merr_add(&inner, "Missing spread attribute");
        if (s[i].weight != MODEL_UNSET && (s[i].weight <= 0 || s[i].weight > 100))
            merr_add(&inner,
                     "Spread block must have a positive weight from 0 to 100");
        for (size_t k = 0; k < s[i].ntargets; k++) {
            const struct spread_target *t = &s[i].targets[k];

            for (size_t q = 0; q < k; q++) {
                if (t->value && s[i].targets[q].value &&
                    strcmp(t->value, s[i].targets[q].value) == 0)
                    merr_add(&inner, "Spread target value \"%s\" already defined",
                             t->value);
            }
            if (t->percent != MODEL_UNSET) {
                if (t->percent < 0 || t->percent > 100)
                    merr_add(&inner,
                             "Spread target percentage for value \"%s\" must "
                             "be between 0 and 100",
                             model_str(t->value));
                else
                    sum += t->percent;
            }
        }
        if (sum > 100)
            merr_add(&inner,
                     "Sum of spread target percentages must not be greater "
                     "than 100%%; got %lld%%",
                     (long long)sum);
        snprintf(prefix, sizeof(prefix), "Spread %zu validation failed",
                 i + 1);
        merr_nest(m, &inner, prefix);
    }
}

static void restart_validate(const struct restart_policy *r,
                             const char *group,
                             struct merr *m)
{
    char a[32], b[32];

    if (r == NULL) {
        merr_add(m, "Task Group %s should have a restart policy", group);
        return;
    }
    if (r->mode == NULL || (strcmp(r->mode, "delay") != 0 &&
                            strcmp(r->mode, "fail") != 0))
        merr_add(m, "Unsupported restart mode: \"%s\"", model_str(r->mode));
    if (r->attempts == 0 && r->mode && strcmp(r->mode, "fail") != 0)
        merr_add(m, "Restart policy \"%s\" with %lld attempts is ambiguous",
                 r->mode, (long long)r->attempts);
    if (r->interval_ns < 5 * NS_PER_SEC)
        merr_add(m, "Interval can not be less than 5s (got %s)",
                 dur(r->interval_ns, a, sizeof(a)));
    if (r->attempts > 0 && r->delay_ns > 0 &&
        r->attempts > r->interval_ns / r->delay_ns)
        merr_add(m,
                 "Nomad can't restart the TaskGroup %lld times in an interval "
                 "of: %s with a delay of: %s",
                 (long long)r->attempts, dur(r->interval_ns, a, sizeof(a)),
                 dur(r->delay_ns, b, sizeof(b)));
}

static void reschedule_validate(const struct reschedule_policy *r,
                                struct merr *m)
{
    static const char *const funcs[] = {"constant", "exponential",
                                        "fibonacci", NULL};
    char a[32];

    if (r == NULL)
        return;
    if (tri_is_true(r->unlimited) || r->attempts > 0) {
        if (!one_of(r->delay_function, funcs))
            merr_add(m,
                     "Invalid delay function \"%s\", must be one of "
                     "[\"constant\" \"exponential\" \"fibonacci\"]",
                     model_str(r->delay_function));
        if (r->delay_ns < 5 * NS_PER_SEC)
            merr_add(m, "Delay cannot be less than 5s (got %s)",
                     dur(r->delay_ns, a, sizeof(a)));
        if (r->delay_function && strcmp(r->delay_function, "constant") != 0 &&
            r->max_delay_ns < r->delay_ns)
            merr_add(m, "Max Delay cannot be less than Delay %s (got %s)",
                     dur(r->delay_ns, a, sizeof(a)),
                     dur(r->max_delay_ns, (char[32]){0}, 32));
    }
    if (r->attempts < 0)
        merr_add(m, "Attempts must be >= 0");
}

static void update_validate(const struct update_strategy *u, struct merr *m)
{
    static const char *const checks[] = {"checks", "task_states", "manual",
                                         NULL};
    char a[32], b[32];

    if (!one_of(u->health_check, checks))
        merr_add(m, "Invalid health check given: \"%s\"",
                 model_str(u->health_check));
    if (u->max_parallel < 0)
        merr_add(m, "Max parallel can not be less than zero: %lld < 0",
                 (long long)u->max_parallel);
    if (u->canary < 0)
        merr_add(m, "Canary count can not be less than zero: %lld < 0",
                 (long long)u->canary);
    if (u->min_healthy_time_ns < 0)
        merr_add(m, "Minimum healthy time may not be less than zero: %s",
                 dur(u->min_healthy_time_ns, a, sizeof(a)));
    if (u->healthy_deadline_ns <= 0)
        merr_add(m, "Healthy deadline must be greater than zero: %s",
                 dur(u->healthy_deadline_ns, a, sizeof(a)));
    if (u->progress_deadline_ns < 0)
        merr_add(m, "Progress deadline must be zero or greater: %s",
                 dur(u->progress_deadline_ns, a, sizeof(a)));
    if (u->min_healthy_time_ns >= u->healthy_deadline_ns)
        merr_add(m,
                 "Minimum healthy time must be less than healthy deadline: "
                 "%s > %s",
                 dur(u->min_healthy_time_ns, a, sizeof(a)),
                 dur(u->healthy_deadline_ns, b, sizeof(b)));
    if (u->progress_deadline_ns != 0 &&
        u->healthy_deadline_ns >= u->progress_deadline_ns)
        merr_add(m,
                 "Healthy deadline must be less than progress deadline: "
                 "%s > %s",
                 dur(u->healthy_deadline_ns, a, sizeof(a)),
                 dur(u->progress_deadline_ns, b, sizeof(b)));
    if (u->stagger_ns <= 0)
        merr_add(m, "Stagger must be greater than zero: %s",
                 dur(u->stagger_ns, a, sizeof(a)));
}

/* RFC 1123 label, case-insensitive, as Nomad checks service names. */
static bool service_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (strstr(s, "${") != NULL) /* resolved at runtime */
        return true;
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    }
    return true;
}

static bool group_has_port(const struct task_group *g, const char *label)
{
    for (size_t i = 0; i < g->nnetworks; i++) {
        const struct network *n = &g->networks[i];

        for (size_t k = 0; k < n->nreserved_ports; k++) {
            if (n->reserved_ports[k].label &&
                strcmp(n->reserved_ports[k].label, label) == 0)
                return true;
        }
        for (size_t k = 0; k < n->ndynamic_ports; k++) {
            if (n->dynamic_ports[k].label &&
                strcmp(n->dynamic_ports[k].label, label) == 0)
                return true;
        }
    }
    return false;
}

static bool is_number(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
    }
    return true;
}

/* The check fields the runner relies on, in Nomad's words where it has
 * them (ServiceCheck.validate and CheckRestart.Validate). */
static void check_validate_more(const struct service_check *c,
                                struct merr *m)
{
    static const char *const modes[] = {"host", "driver", "alloc",
                                        "alloc_ipv6", NULL};
    static const char *const on_update[] = {"require_healthy",
                                            "ignore_warnings", "ignore", NULL};
    const struct check_restart *cr = c->check_restart;

    if (strcmp(model_str(c->type), "http") == 0 && c->path != NULL &&
        strstr(c->path, "://") != NULL)
        merr_add(m, "http type must have a relative http path");
    if (c->protocol != NULL && c->protocol[0] != '\0' &&
        strcmp(c->protocol, "http") != 0 && strcmp(c->protocol, "https") != 0)
        merr_add(m, "invalid protocol (\"%s\"), must be one of http, https",
                 c->protocol);
    if (c->address_mode != NULL && strcmp(c->address_mode, "auto") == 0)
        merr_add(m, "invalid address_mode \"auto\" - auto only valid for "
                    "services");
    else if (c->address_mode != NULL && c->address_mode[0] != '\0' &&
             !one_of(c->address_mode, modes))
        merr_add(m, "invalid address_mode \"%s\"", c->address_mode);
    if (c->on_update != NULL && c->on_update[0] != '\0' &&
        !one_of(c->on_update, on_update))
        merr_add(m, "on_update must be \"require_healthy\", "
                    "\"ignore_warnings\", or \"ignore\"; got \"%s\"",
                 c->on_update);
    if (c->success_before_passing != MODEL_UNSET &&
        c->success_before_passing < 0)
        merr_add(m, "success_before_passing must be non-negative");
    if (c->failures_before_critical != MODEL_UNSET &&
        c->failures_before_critical < 0)
        merr_add(m, "failures_before_critical must be non-negative");
    if (c->failures_before_warning != MODEL_UNSET &&
        c->failures_before_warning < 0)
        merr_add(m, "failures_before_warning must be non-negative");
    if (cr != NULL && cr->limit != MODEL_UNSET && cr->limit < 0)
        merr_add(m, "limit must be greater than or equal to 0 but found %lld",
                 (long long)cr->limit);
    if (cr != NULL && cr->grace_ns != MODEL_UNSET && cr->grace_ns < 0)
        merr_add(m, "grace period must be greater than or equal to 0 but "
                    "found %lld",
                 (long long)cr->grace_ns);
}

static void service_validate(const struct service *s,
                             const struct task_group *g,
                             struct merr *m)
{
    static const char *const providers[] = {"consul", "nomad", NULL};
    static const char *const modes[] = {"auto", "host", "driver", "alloc",
                                        "alloc_ipv6", NULL};
    static const char *const on_update[] = {"require_healthy",
                                            "ignore_warnings", "ignore", NULL};
    struct merr inner = MERR_INIT;
    bool nomad = s->provider && strcmp(s->provider, "nomad") == 0;
    char a[32];

    if (!service_name_ok(model_str(s->name)))
        merr_add(&inner,
                 "Service name must be valid per RFC 1123 and can contain "
                 "only alphanumeric characters or dashes: \"%s\"",
                 model_str(s->name));
    if (!one_of(s->provider, providers))
        merr_add(&inner, "Service provider must be one of \"consul\" or "
                         "\"nomad\"; got \"%s\"",
                 model_str(s->provider));
    if (!one_of(s->address_mode, modes))
        merr_add(&inner, "Service address_mode must be one of [auto host "
                         "driver alloc alloc_ipv6]; got \"%s\"",
                 model_str(s->address_mode));
    if (!one_of(s->on_update, on_update))
        merr_add(&inner, "Service on_update must be one of "
                         "[require_healthy ignore_warnings ignore]; got "
                         "\"%s\"",
                 model_str(s->on_update));
    if (s->port_label && s->port_label[0] && !is_number(s->port_label) &&
        strstr(s->port_label, "${") == NULL &&
        !group_has_port(g, s->port_label))
        merr_add(&inner,
                 "Port label \"%s\" referenced by service %s does not exist",
                 s->port_label, model_str(s->name));
    for (size_t i = 0; i < s->nchecks; i++) {
        const struct service_check *c = &s->checks[i];
        const char *type = model_str(c->type);
        struct merr ci = MERR_INIT;
        char cp[300];

        if (nomad && strcmp(type, "http") != 0 && strcmp(type, "tcp") != 0)
            merr_add(&ci, "invalid check type (\"%s\"), must be one of tcp, "
                          "http", type);
        else if (!nomad && strcmp(type, "http") != 0 &&
                 strcmp(type, "tcp") != 0 && strcmp(type, "script") != 0 &&
                 strcmp(type, "grpc") != 0)
            merr_add(&ci, "invalid type (\"%s\"), must be one of http, tcp, "
                          "script, grpc", type);
        if (strcmp(type, "http") == 0 &&
            (c->path == NULL || c->path[0] == '\0'))
            merr_add(&ci, "http type must have http path");
        if (c->interval_ns == MODEL_UNSET || c->interval_ns < NS_PER_SEC)
            merr_add(&ci, "interval (%s) cannot be lower than 1s",
                     dur(c->interval_ns == MODEL_UNSET ? 0 : c->interval_ns,
                         a, sizeof(a)));
        if (c->timeout_ns == MODEL_UNSET || c->timeout_ns < NS_PER_SEC)
            merr_add(&ci, "timeout (%s) is lower than required minimum "
                          "timeout 1s",
                     dur(c->timeout_ns == MODEL_UNSET ? 0 : c->timeout_ns, a,
                         sizeof(a)));
        if (c->initial_status && c->initial_status[0] &&
            strcmp(c->initial_status, "passing") != 0 &&
            strcmp(c->initial_status, "warning") != 0 &&
            strcmp(c->initial_status, "critical") != 0)
            merr_add(&ci, "invalid initial check state (%s), must be one of "
                          "passing, warning, critical or empty",
                     c->initial_status);
        check_validate_more(c, &ci);
        if (c->port_label && c->port_label[0] && !is_number(c->port_label) &&
            !group_has_port(g, c->port_label))
            merr_add(&ci, "Port label \"%s\" referenced by check does not "
                          "exist",
                     c->port_label);
        snprintf(cp, sizeof(cp), "Check %s invalid", model_str(c->name));
        merr_nest(&inner, &ci, cp);
    }
    for (size_t i = 0; i < inner.n; i++)
        merr_add(m, "%s", inner.items[i]);
    merr_release(&inner);
}

static void task_validate(const struct task *t,
                          const struct job *job,
                          const struct task_group *g,
                          struct merr *m)
{
    static const char *const hooks[] = {"prestart", "poststart", "poststop",
                                        NULL};
    static const char *const change_modes[] = {"restart", "signal", "noop",
                                               "script", NULL};

    if (t->name == NULL || t->name[0] == '\0')
        merr_add(m, "Missing task name");
    else if (strchr(t->name, '/') != NULL)
        merr_add(m, "Task name cannot include slashes");
    if (t->driver == NULL || t->driver[0] == '\0')
        merr_add(m, "Missing task driver");
    if (t->kill_timeout_ns < 0)
        merr_add(m, "KillTimeout must be a positive value");
    if (t->shutdown_delay_ns < 0)
        merr_add(m, "ShutdownDelay must be a positive value");
    if (t->resources != NULL) {
        struct merr ri = MERR_INIT;

        if (t->resources->cores > 0 && t->resources->cpu > 0)
            merr_add(&ri, "Task can only ask for 'cpu' or 'cores' resource, "
                          "not both.");
        else if (t->resources->cores <= 0 && t->resources->cpu < 1)
            merr_add(&ri, "minimum CPU value is 1; got %lld",
                     (long long)t->resources->cpu);
        if (t->resources->memory_mb < 10)
            merr_add(&ri, "minimum MemoryMB value is 10; got %lld",
                     (long long)t->resources->memory_mb);
        if (t->resources->memory_max_mb != 0 &&
            t->resources->memory_max_mb < t->resources->memory_mb)
            merr_add(&ri, "MemoryMaxMB value (%lld) should be larger than "
                          "MemoryMB value (%lld)",
                     (long long)t->resources->memory_max_mb,
                     (long long)t->resources->memory_mb);
        merr_nest(m, &ri, "Task resources validation failed");
    }
    if (t->log_config != NULL && g->ephemeral_disk != NULL) {
        int64_t need = t->log_config->max_files * t->log_config->max_file_size_mb;

        if (t->log_config->max_files < 1)
            merr_add(m, "Task log validation failed: minimum number of files "
                        "is 1; got %lld",
                     (long long)t->log_config->max_files);
        else if (need >= g->ephemeral_disk->size_mb)
            merr_add(m, "log storage (%lld MB) must be less than requested "
                        "disk capacity (%lld MB)",
                     (long long)need, (long long)g->ephemeral_disk->size_mb);
    }
    constraints_validate(t->constraints, t->nconstraints, true, m);
    affinities_validate(t->affinities, t->naffinities, m);
    if (t->lifecycle != NULL && !one_of(t->lifecycle->hook, hooks))
        merr_add(m, "invalid hook: %s", model_str(t->lifecycle->hook));
    for (size_t i = 0; i < t->nservices; i++)
        service_validate(&t->services[i], g, m);
    for (size_t i = 0; i < t->nartifacts; i++) {
        if (t->artifacts[i].getter_source == NULL ||
            t->artifacts[i].getter_source[0] == '\0')
            merr_add(m, "Artifact %zu validation failed: source must be "
                        "specified",
                     i + 1);
    }
    for (size_t i = 0; i < t->ntemplates; i++) {
        const struct task_template *tp = &t->templates[i];
        struct merr ti = MERR_INIT;
        char prefix[64];
        bool src = tp->source_path && tp->source_path[0];
        bool data = tp->embedded_tmpl != NULL;

        if (!src && !data)
            merr_add(&ti, "Must specify a source path or have an embedded "
                          "template");
        if (src && data && tp->embedded_tmpl[0])
            merr_add(&ti, "Cannot specify a source path and an embedded "
                          "template");
        if (tp->dest_path == NULL || tp->dest_path[0] == '\0')
            merr_add(&ti, "Must specify a destination for the template");
        if (!one_of(tp->change_mode, change_modes))
            merr_add(&ti, "Invalid change mode (\"%s\")",
                     model_str(tp->change_mode));
        else if (strcmp(tp->change_mode, "signal") == 0 &&
                 (tp->change_signal == NULL || !tp->change_signal[0]))
            merr_add(&ti, "Must specify signal value when change mode is "
                          "signal");
        else if (strcmp(tp->change_mode, "signal") == 0 &&
                 tri_is_true(tp->envvars))
            merr_add(&ti, "cannot use signals with env var templates");
        else if (strcmp(tp->change_mode, "script") == 0 &&
                 (tp->change_script == NULL ||
                  tp->change_script->command == NULL))
            merr_add(&ti, "must specify change script configuration value "
                          "when change mode is script");
        if (tp->splay_ns < 0)
            merr_add(&ti, "Must specify positive splay value");
        if (tp->perms != NULL) {
            char *end;

            (void)strtol(tp->perms, &end, 8);
            if (*end != '\0' || tp->perms[0] == '\0')
                merr_add(&ti, "Failed to parse %s as octal: invalid syntax",
                         tp->perms);
        }
        snprintf(prefix, sizeof(prefix), "Template %zu validation failed",
                 i + 1);
        merr_nest(m, &ti, prefix);
        for (size_t k = 0; k < i; k++) {
            if (tp->dest_path && t->templates[k].dest_path &&
                strcmp(tp->dest_path, t->templates[k].dest_path) == 0)
                merr_add(m, "Template %zu has same destination as %zu", k + 1,
                         i + 1);
        }
    }
    if (t->dispatch_payload != NULL && job->parameterized == NULL)
        merr_add(m, "Dispatch payload block can only be used in a "
                    "parameterized job");
}

static void group_validate(const struct task_group *g,
                           const struct job *job,
                           struct merr *m)
{
    int type = job_type_flag(job->type);
    const char *provider = NULL;
    size_t leaders = 0;

    if (g->count < 0)
        merr_add(m, "Task group count can't be negative");
    if (g->ntasks == 0)
        merr_add(m, "Missing tasks for task group");
    constraints_validate(g->constraints, g->nconstraints, false, m);
    affinities_validate(g->affinities, g->naffinities, m);
    spreads_validate(g->spreads, g->nspreads, m);
    restart_validate(g->restart_policy, model_str(g->name), m);
    if (type & (JOB_TYPE_SYSTEM | JOB_TYPE_SYSBATCH)) {
        if (g->reschedule_policy != NULL)
            merr_add(m, "System jobs should not have a reschedule policy");
    } else if (g->reschedule_policy != NULL) {
        struct merr ri = MERR_INIT;

        reschedule_validate(g->reschedule_policy, &ri);
        merr_nest(m, &ri, "Task Group Reschedule Policy validation failed");
    }
    if (g->update != NULL) {
        if (type & (JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH)) {
            merr_add(m, "Job type \"%s\" does not allow update block",
                     job->type);
        } else {
            struct merr ui = MERR_INIT;

            update_validate(g->update, &ui);
            if (g->update->canary > 0 && (type & JOB_TYPE_SYSTEM))
                merr_add(&ui, "System jobs may not have canaries");
            merr_nest(m, &ui, "Task group update validation failed");
        }
    }
    if (g->ephemeral_disk != NULL && g->ephemeral_disk->size_mb < 10)
        merr_add(m, "Task group ephemeral disk validation failed: minimum "
                    "DiskMB value is 10; got %lld",
                 (long long)g->ephemeral_disk->size_mb);
    if (g->nnetworks > 1)
        merr_add(m, "Only one network resource is allowed");
    for (size_t i = 0; i < g->nnetworks; i++) {
        const struct network *n = &g->networks[i];
        const struct port *all[2] = {n->reserved_ports, n->dynamic_ports};
        size_t cnt[2] = {n->nreserved_ports, n->ndynamic_ports};

        for (int s = 0; s < 2; s++) {
            for (size_t k = 0; k < cnt[s]; k++) {
                const struct port *p = &all[s][k];

                if (p->label == NULL || p->label[0] == '\0')
                    merr_add(m, "Port label must not be empty");
                if (p->value < 0 || p->value > 65535)
                    merr_add(m, "Port \"%s\" has invalid static value %lld",
                             model_str(p->label), (long long)p->value);
                if (p->to < -1 || p->to > 65535)
                    merr_add(m, "Port \"%s\" has invalid to value %lld",
                             model_str(p->label), (long long)p->to);
                for (int s2 = 0; s2 <= s; s2++) {
                    for (size_t q = 0; q < (s2 < s ? cnt[s2] : k); q++) {
                        const struct port *o = &all[s2][q];

                        if (p->label && o->label &&
                            strcmp(p->label, o->label) == 0)
                            merr_add(m, "Port label %s already in use",
                                     p->label);
                        if (s == 0 && s2 == 0 && p->value == o->value)
                            merr_add(m, "Static port %lld already reserved "
                                        "by %s",
                                     (long long)p->value,
                                     model_str(o->label));
                    }
                }
            }
        }
    }
    for (size_t i = 0; i < g->nservices; i++)
        service_validate(&g->services[i], g, m);
    for (size_t i = 0; i < g->ntasks; i++) {
        const struct task *t = &g->tasks[i];

        for (size_t k = 0; k < t->nservices; k++) {
            const char *p = model_str(t->services[k].provider);

            if (provider == NULL)
                provider = p;
            else if (strcmp(provider, p) != 0)
                provider = "";
        }
        if (tri_is_true(t->leader))
            leaders++;
    }
    for (size_t i = 0; i < g->nservices; i++) {
        const char *p = model_str(g->services[i].provider);

        if (provider == NULL)
            provider = p;
        else if (strcmp(provider, p) != 0)
            provider = "";
        for (size_t k = 0; k < i; k++) {
            if (g->services[k].name && g->services[i].name &&
                strcmp(g->services[k].name, g->services[i].name) == 0 &&
                strcmp(model_str(g->services[k].port_label),
                       model_str(g->services[i].port_label)) == 0)
                merr_add(m, "Service %s is duplicate", g->services[i].name);
        }
    }
    if (provider != NULL && provider[0] == '\0')
        merr_add(m, "Multiple service providers used: task group services "
                    "must use the same provider");
    for (size_t i = 0; i < g->ntasks; i++) {
        const char *name = g->tasks[i].name;

        if (name == NULL || name[0] == '\0')
            continue;
        for (size_t k = 0; k < i; k++) {
            if (g->tasks[k].name && strcmp(g->tasks[k].name, name) == 0) {
                merr_add(m, "Task %zu redefines '%s' from task %zu", i + 1,
                         name, k + 1);
                break;
            }
        }
    }
    if (leaders > 1)
        merr_add(m, "Only one task may be marked as leader");
    for (size_t i = 0; i < g->ntasks; i++) {
        struct merr ti = MERR_INIT;
        char *prefix;

        task_validate(&g->tasks[i], job, g, &ti);
        prefix = xasprintf("Task %s validation failed",
                           model_str(g->tasks[i].name));
        merr_nest(m, &ti, prefix);
        free(prefix);
    }
}

static void cron_validate(const char *spec, struct merr *m)
{
    struct err err = ERR_INIT;
    struct cron c;

    if (cron_parse(spec, &c, &err) != 0)
        merr_add(m, "Invalid cron spec \"%s\": %s", spec, err.msg);
}

static void periodic_validate(const struct periodic_config *p, struct merr *m)
{
    bool one = p->spec && p->spec[0];
    bool many = p->specs.n > 0;
    struct err err = ERR_INIT;
    struct tz *z;

    if (one && many)
        merr_add(m, "Only cron or crons may be used");
    else if (!one && !many)
        merr_add(m, "Must specify a spec");
    if (p->spec_type && strcmp(p->spec_type, "cron") != 0)
        merr_add(m, "Unknown periodic specification type \"%s\"",
                 p->spec_type);
    else if (one)
        cron_validate(p->spec, m);
    else
        for (size_t i = 0; i < p->specs.n; i++)
            cron_validate(p->specs.items[i], m);
    if (p->time_zone && tz_load(p->time_zone, NULL, &z, &err) != 0)
        merr_add(m, "Invalid time zone \"%s\": unknown time zone %s",
                 p->time_zone, p->time_zone);
    else if (p->time_zone)
        tz_free(z);
}

int periodic_next(const struct periodic_config *p,
                  int64_t after,
                  int64_t *next,
                  struct err *err)
{
    const char *one[1];
    const char *const *specs = (const char *const *)p->specs.items;
    size_t n = p->specs.n;
    struct tz *z;
    int rc;

    *next = 0;
    if (p->spec && p->spec[0]) {
        one[0] = p->spec;
        specs = one;
        n = 1;
    }
    rc = tz_load(p->time_zone, NULL, &z, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct cron c;
        int64_t t;

        rc = cron_parse(specs[i], &c, err);
        if (rc != 0) {
            err_wrap(err, "cron spec \"%s\"", specs[i]);
            break;
        }
        t = cron_next(&c, z, after);
        if (t != 0 && (*next == 0 || t < *next))
            *next = t;
    }
    tz_free(z);
    return rc;
}

int job_validate(const struct job *job, struct err *err)
{
    struct merr m = MERR_INIT;
    int type = job_type_flag(job->type);
    int rc;

    if (job->region == NULL || job->region[0] == '\0')
        merr_add(&m, "Missing job region");
    if (job->id == NULL || job->id[0] == '\0')
        merr_add(&m, "Missing job ID");
    else if (strchr(job->id, ' ') != NULL)
        merr_add(&m, "Job ID contains a space");
    if (job->name == NULL || job->name[0] == '\0')
        merr_add(&m, "Missing job name");
    if (job->namespace == NULL || job->namespace[0] == '\0')
        merr_add(&m, "Job must be in a namespace");
    if (job->type == NULL || job->type[0] == '\0')
        merr_add(&m, "Missing job type");
    else if (type == 0)
        merr_add(&m, "Invalid job type: \"%s\"", job->type);
    if (job->priority < 1 || job->priority > 100)
        merr_add(&m, "job priority must be between [1, 100]");
    if (job->datacenters.n == 0)
        merr_add(&m, "Missing job datacenters");
    for (size_t i = 0; i < job->datacenters.n; i++) {
        if (job->datacenters.items[i][0] == '\0')
            merr_add(&m, "Job datacenter must be non-empty string");
    }
    if (job->ngroups == 0)
        merr_add(&m, "Missing job task groups");
    constraints_validate(job->constraints, job->nconstraints, false, &m);
    affinities_validate(job->affinities, job->naffinities, &m);
    spreads_validate(job->spreads, job->nspreads, &m);

    for (size_t i = 0; i < job->ngroups; i++) {
        const struct task_group *g = &job->groups[i];

        if (g->name == NULL || g->name[0] == '\0') {
            merr_add(&m, "Job task group %zu missing name", i + 1);
        } else {
            for (size_t k = 0; k < i; k++) {
                if (job->groups[k].name &&
                    strcmp(job->groups[k].name, g->name) == 0) {
                    merr_add(&m, "Job task group %zu redefines '%s' from "
                                 "group %zu",
                             i + 1, g->name, k + 1);
                    break;
                }
            }
        }
        if (g->shutdown_delay_ns != MODEL_UNSET && g->shutdown_delay_ns < 0)
            merr_add(&m, "ShutdownDelay must be a positive value");
        if (type == JOB_TYPE_SYSTEM && g->count > 1)
            merr_add(&m, "Job task group %s has count %lld. Count cannot "
                         "exceed 1 with system scheduler",
                     model_str(g->name), (long long)g->count);
    }
    for (size_t i = 0; i < job->ngroups; i++) {
        struct merr gi = MERR_INIT;
        char *prefix;

        group_validate(&job->groups[i], job, &gi);
        prefix = xasprintf("Task group %s validation failed",
                           model_str(job->groups[i].name));
        merr_nest(&m, &gi, prefix);
        free(prefix);
    }
    if (job->periodic != NULL && job->periodic->enabled != TRI_FALSE) {
        if (!(type & (JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH)))
            merr_add(&m, "Periodic can only be used with \"batch\" or "
                         "\"sysbatch\" scheduler");
        periodic_validate(job->periodic, &m);
    }
    if (job->parameterized != NULL) {
        const struct parameterized_config *p = job->parameterized;
        static const char *const payloads[] = {"optional", "required",
                                               "forbidden", NULL};

        if (!(type & (JOB_TYPE_BATCH | JOB_TYPE_SYSBATCH)))
            merr_add(&m, "Parameterized job can only be used with \"batch\" "
                         "or \"sysbatch\" scheduler");
        if (!one_of(p->payload, payloads))
            merr_add(&m, "Unknown payload requirement: \"%s\"",
                     model_str(p->payload));
        for (size_t i = 0; i < p->meta_required.n; i++) {
            if (strlist_contains(&p->meta_optional, p->meta_required.items[i]))
                merr_add(&m, "Required and optional meta keys should be "
                             "disjoint. Following keys exist in both: [%s]",
                         p->meta_required.items[i]);
        }
    }
    rc = merr_to_err(&m, ERR_INVALID, err);
    merr_release(&m);
    return rc;
}
