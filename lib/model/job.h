/*
 * The job and everything inside it: task groups, tasks and their blocks.
 *
 * Field names follow Nomad's API structs (reference/jobspec.md §3), in
 * snake_case; JSON names are PascalCase in codec_json.c. Durations are
 * int64 nanoseconds (`_ns`). Every struct here is a plain value owned by
 * its parent: _init() sets all fields unset (see lib/model/types.h),
 * _release() frees what it owns, _copy() makes a deep copy. Arrays of
 * children are `struct x *xs; size_t nxs;` owned by the parent.
 *
 * Life of a job: the jobspec parser (jobspec.c) or the JSON decoder fills
 * what the user wrote; job_canonicalize() fills Nomad's defaults (§5);
 * job_validate() reports every problem at once, in Nomad's words (§7).
 */
#ifndef CARAVAN_LIB_MODEL_JOB_H
#define CARAVAN_LIB_MODEL_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/model/types.h"

struct err;

/* ------------------------------------------------------------ constraints */

struct constraint
{
    char *ltarget; /* attribute: "${attr.kernel.name}" */
    char *rtarget; /* value */
    char *operand; /* "=", "!=", "regexp", "distinct_hosts", ... */
};

struct affinity
{
    char *ltarget;
    char *rtarget;
    char *operand;
    int64_t weight; /* -100..100, default 50 */
};

struct spread_target
{
    char *value;
    int64_t percent;
};

struct spread
{
    char *attribute;
    int64_t weight; /* 0..100, default 50 */
    struct spread_target *targets;
    size_t ntargets;
};

/* ---------------------------------------------------------------- network */

struct port
{
    char *label;
    int64_t value; /* static host port; 0 = dynamic */
    int64_t to;    /* port inside the task; -1 = same as host port */
    char *host_network;
    bool ignore_collision;
};

struct dns_config
{
    struct strlist servers;
    struct strlist searches;
    struct strlist options;
};

struct network
{
    char *mode; /* "host" (default), "bridge", "none", "cni/<name>" */
    char *hostname;
    char *device;
    char *cidr;
    char *ip;
    int64_t mbits;
    struct port *reserved_ports; /* static */
    size_t nreserved_ports;
    struct port *dynamic_ports;
    size_t ndynamic_ports;
    struct dns_config *dns; /* NULL when absent */
};

/* --------------------------------------------------------- service, check */

struct check_restart
{
    int64_t limit;
    int64_t grace_ns;
    bool ignore_warnings;
};

struct check_header
{
    char *name;
    struct strlist values;
};

struct service_check
{
    char *name;
    char *type; /* "http", "tcp" (nomad provider); "script", "grpc" */
    char *command;
    struct strlist args;
    char *path;
    char *protocol;
    char *port_label;
    char *address_mode;
    int64_t interval_ns;
    int64_t timeout_ns;
    char *initial_status;
    char *method;
    char *body;
    struct check_header *headers;
    size_t nheaders;
    bool headers_set;
    char *task_name;
    int64_t success_before_passing;
    int64_t failures_before_critical;
    int64_t failures_before_warning;
    char *on_update;
    bool tls_skip_verify;
    struct check_restart *check_restart; /* NULL when absent */
};

struct service
{
    char *name;
    char *task_name;
    char *port_label;
    char *address_mode;
    char *address;
    char *provider; /* "consul" by default; "nomad" for native discovery */
    char *on_update;
    struct strlist tags;
    struct strlist canary_tags;
    struct strmap meta;
    struct strmap canary_meta;
    bool enable_tag_override;
    struct service_check *checks;
    size_t nchecks;
};

/* ----------------------------------------------------------------- policies */

/* restart {}: group and task; a task block merges over the group's. */
struct restart_policy
{
    int64_t attempts;
    int64_t interval_ns;
    int64_t delay_ns;
    char *mode; /* "fail" or "delay" */
    enum tri render_templates;
};

struct reschedule_policy
{
    int64_t attempts;
    int64_t interval_ns;
    int64_t delay_ns;
    char *delay_function; /* "constant", "exponential", "fibonacci" */
    int64_t max_delay_ns;
    enum tri unlimited;
};

struct update_strategy
{
    int64_t stagger_ns;
    int64_t max_parallel;
    char *health_check; /* "checks", "task_states", "manual" */
    int64_t min_healthy_time_ns;
    int64_t healthy_deadline_ns;
    int64_t progress_deadline_ns;
    int64_t canary;
    enum tri auto_revert;
    enum tri auto_promote;
};

struct migrate_strategy
{
    int64_t max_parallel;
    char *health_check;
    int64_t min_healthy_time_ns;
    int64_t healthy_deadline_ns;
};

struct ephemeral_disk
{
    enum tri sticky;
    enum tri migrate;
    int64_t size_mb;
};

struct periodic_config
{
    enum tri enabled;
    char *spec;           /* cron = "..." */
    struct strlist specs; /* crons = [...] */
    char *spec_type;      /* always "cron" */
    enum tri prohibit_overlap;
    char *time_zone;
};

struct parameterized_config
{
    char *payload; /* "optional", "required", "forbidden" */
    struct strlist meta_required;
    struct strlist meta_optional;
};

/* -------------------------------------------------------------------- task */

struct resources
{
    int64_t cpu; /* MHz */
    int64_t cores;
    int64_t memory_mb;
    int64_t memory_max_mb;
    int64_t disk_mb;
};

struct log_config
{
    int64_t max_files;
    int64_t max_file_size_mb;
    enum tri disabled;
};

struct template_wait
{
    int64_t min_ns;
    int64_t max_ns;
};

struct change_script
{
    char *command;
    struct strlist args;
    int64_t timeout_ns;
    enum tri fail_on_error;
};

struct task_template
{
    char *source_path;
    char *dest_path;
    char *embedded_tmpl;
    char *change_mode; /* "restart", "signal", "noop", "script" */
    char *change_signal;
    struct change_script *change_script;
    int64_t splay_ns;
    char *perms;
    int64_t uid;
    int64_t gid;
    char *left_delim;
    char *right_delim;
    enum tri envvars;
    int64_t vault_grace_ns;
    struct template_wait *wait;
    enum tri err_missing_key;
    enum tri once;
};

struct artifact
{
    char *getter_source;
    struct strmap getter_options;
    struct strmap getter_headers;
    char *getter_mode; /* "any", "file", "dir" */
    char *relative_dest;
    char *chown;
};

struct task_lifecycle
{
    char *hook; /* "prestart", "poststart", "poststop" */
    bool sidecar;
};

struct dispatch_payload
{
    char *file;
};

struct task
{
    char *name;
    char *driver;
    char *user;
    json_t *config; /* driver config object, owned; NULL when absent */
    struct strmap env;
    struct strmap meta;
    struct resources *resources;
    struct restart_policy *restart_policy;
    struct service *services;
    size_t nservices;
    struct constraint *constraints;
    size_t nconstraints;
    struct affinity *affinities;
    size_t naffinities;
    struct task_template *templates;
    size_t ntemplates;
    struct artifact *artifacts;
    size_t nartifacts;
    struct log_config *log_config;
    struct task_lifecycle *lifecycle;
    struct dispatch_payload *dispatch_payload;
    int64_t kill_timeout_ns;
    char *kill_signal;
    int64_t shutdown_delay_ns;
    enum tri leader;
    char *kind;
};

/* -------------------------------------------------------------- task group */

struct task_group
{
    char *name;
    int64_t count;
    struct constraint *constraints;
    size_t nconstraints;
    struct affinity *affinities;
    size_t naffinities;
    struct spread *spreads;
    size_t nspreads;
    struct restart_policy *restart_policy;
    struct reschedule_policy *reschedule_policy;
    struct update_strategy *update;
    struct migrate_strategy *migrate;
    struct ephemeral_disk *ephemeral_disk;
    struct network *networks;
    size_t nnetworks;
    struct service *services;
    size_t nservices;
    struct task *tasks;
    size_t ntasks;
    struct strmap meta;
    int64_t shutdown_delay_ns;
    int64_t stop_after_client_disconnect_ns;
};

/* --------------------------------------------------------------------- job */

enum job_type_flags {
    JOB_TYPE_SERVICE = 1 << 0,
    JOB_TYPE_BATCH = 1 << 1,
    JOB_TYPE_SYSTEM = 1 << 2,
    JOB_TYPE_SYSBATCH = 1 << 3,
};

struct job
{
    /* What the user submits. */
    char *region;
    char *namespace;
    char *id;
    char *name;
    char *type;
    int64_t priority;
    enum tri all_at_once;
    struct strlist datacenters;
    char *node_pool;
    struct constraint *constraints;
    size_t nconstraints;
    struct affinity *affinities;
    size_t naffinities;
    struct spread *spreads;
    size_t nspreads;
    struct task_group *groups;
    size_t ngroups;
    struct update_strategy *update;
    struct reschedule_policy *reschedule; /* input only, merged into groups */
    struct migrate_strategy *migrate;     /* input only, merged into groups */
    struct periodic_config *periodic;
    struct parameterized_config *parameterized;
    struct strmap meta;
    char *consul_token;
    char *vault_token;

    /* Set by the server. */
    enum tri stop;
    char *parent_id;
    enum tri dispatched;
    char *dispatch_idempotency_token;
    char *payload; /* base64 as in JSON; NULL when none */
    char *status;
    char *status_description;
    enum tri stable;
    int64_t version;
    int64_t submit_time; /* unix ns */
    int64_t create_index;
    int64_t modify_index;
    int64_t job_modify_index;
};

/* Every struct above has init/release/copy; _init leaves all fields unset. */
void constraint_init(struct constraint *c);
void constraint_release(struct constraint *c);
void affinity_init(struct affinity *a);
void affinity_release(struct affinity *a);
void spread_init(struct spread *s);
void spread_release(struct spread *s);
void port_init(struct port *p);
void port_release(struct port *p);
void network_init(struct network *n);
void network_release(struct network *n);
void service_check_init(struct service_check *c);
void service_check_release(struct service_check *c);
void service_init(struct service *s);
void service_release(struct service *s);
void restart_policy_init(struct restart_policy *r);
void restart_policy_release(struct restart_policy *r);
void reschedule_policy_init(struct reschedule_policy *r);
void reschedule_policy_release(struct reschedule_policy *r);
void update_strategy_init(struct update_strategy *u);
void update_strategy_release(struct update_strategy *u);
void migrate_strategy_init(struct migrate_strategy *m);
void migrate_strategy_release(struct migrate_strategy *m);
void ephemeral_disk_init(struct ephemeral_disk *d);
void periodic_config_init(struct periodic_config *p);
void periodic_config_release(struct periodic_config *p);
void parameterized_config_init(struct parameterized_config *p);
void parameterized_config_release(struct parameterized_config *p);
void resources_init(struct resources *r);
void log_config_init(struct log_config *l);
void task_template_init(struct task_template *t);
void task_template_release(struct task_template *t);
void artifact_init(struct artifact *a);
void artifact_release(struct artifact *a);
void task_init(struct task *t);
void task_release(struct task *t);
void task_group_init(struct task_group *g);
void task_group_release(struct task_group *g);
void job_init(struct job *job);
void job_release(struct job *job);

/* Heap jobs: job_new() returns an initialised job; job_free(NULL) is a no-op.
 */
struct job *job_new(void);
void job_free(struct job *job);
/* Returns a deep copy owned by the caller. */
struct job *job_copy(const struct job *job);

/* Appends a zero-initialised, _init()ed element and returns it. */
struct task_group *job_add_group(struct job *job);
struct task *task_group_add_task(struct task_group *g);

/* Looks up by name; NULL when absent. Borrowed. */
struct task_group *job_find_group(const struct job *job, const char *name);
struct task *task_group_find_task(const struct task_group *g, const char *name);

/* Returns the JOB_TYPE_* flag of job->type, or 0 for an unknown type. */
int job_type_flag(const char *type);

/*
 * Fills the defaults Nomad's API and server canonicalization fill
 * (reference/jobspec.md §5): names, namespace, region, priority,
 * datacenters ["*"], counts, restart/reschedule/update/migrate policies by
 * job type with job-level blocks merged under group-level ones, task
 * restart merged over the group's, resources, log config, service and
 * check names, template defaults, periodic and parameterized defaults.
 * Idempotent. Never fails: invalid values are left for job_validate().
 */
void job_canonicalize(struct job *job);

/*
 * Checks a canonicalized job as Nomad's server does, collecting every
 * problem. Returns 0 or ERR_INVALID; on error err->msg holds Nomad's
 * multi-error text ("N errors occurred:\n\t* ...\n\n").
 */
int job_validate(const struct job *job, struct err *err);

/*
 * The next launch of a periodic config strictly after `after` (Unix
 * seconds), the earliest of its crons in its time_zone; *next is 0 when
 * none comes (years in the past). Errors for bad specs or zones.
 */
int periodic_next(const struct periodic_config *p,
                  int64_t after,
                  int64_t *next,
                  struct err *err);

/* True when the two jobs hold the same values in every field. */
bool job_equal(const struct job *a, const struct job *b);

#endif
