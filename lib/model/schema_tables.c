/*
 * The field lists of every model struct, in the order of Nomad's API
 * structs, with their JSON names. msgpack encodes the same order: add new
 * fields at the end of a list, never in the middle.
 */
#include <stddef.h>
#include <stdlib.h>

#include "lib/alloc.h"

#include "lib/model/alloc.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/model/schema.h"

#define S(T, n, m) {n, F_STR, offsetof(T, m), 0, 0, NULL}
#define I(T, n, m) {n, F_I64, offsetof(T, m), 0, 0, NULL}
#define N(T, n, m) {n, F_INT, offsetof(T, m), 0, 0, NULL}
#define TM(T, n, m) {n, F_TIME, offsetof(T, m), 0, 0, NULL}
#define TR(T, n, m) {n, F_TRI, offsetof(T, m), 0, 0, NULL}
#define B(T, n, m) {n, F_BOOL, offsetof(T, m), 0, 0, NULL}
#define SL(T, n, m) {n, F_STRLIST, offsetof(T, m), 0, 0, NULL}
#define SM(T, n, m) {n, F_STRMAP, offsetof(T, m), 0, 0, NULL}
#define IM(T, n, m) {n, F_INTMAP, offsetof(T, m), 0, 0, NULL}
#define J(T, n, m) {n, F_JSON, offsetof(T, m), 0, 0, NULL}
#define P(T, n, m, sub) {n, F_PTR, offsetof(T, m), 0, 0, &(sub)}
#define A(T, n, m, cnt, sub) \
    {n, F_ARR, offsetof(T, m), offsetof(T, cnt), 0, &(sub)}
#define AM(T, n, m, cnt, sub) \
    {n, F_ARRMAP, offsetof(T, m), offsetof(T, cnt), 0, &(sub)}
#define E(T, n, m, sub) {n, F_EMBED, offsetof(T, m), 0, 0, &(sub)}
/* A group of the parent's own fields shown as one nested JSON object. */
#define G(n, sub) {n, F_EMBED, 0, 0, 0, &(sub)}

#define SCHEMA_(storage, var, T, list)                                   \
    static unsigned char *var##_image;                                   \
    storage const struct schema var = {#T, sizeof(T), list,              \
                                       sizeof(list) / sizeof(list[0]),   \
                                       &var##_image}
#define SCHEMA(var, T, list) SCHEMA_(, var, T, list)
#define SCHEMA_STATIC(var, T, list) SCHEMA_(static, var, T, list)

/* ---------------------------------------------------------------- job */

static const struct field constraint_f[] = {
    S(struct constraint, "LTarget", ltarget),
    S(struct constraint, "RTarget", rtarget),
    S(struct constraint, "Operand", operand),
};
SCHEMA_STATIC(constraint_s, struct constraint, constraint_f);

static const struct field affinity_f[] = {
    S(struct affinity, "LTarget", ltarget),
    S(struct affinity, "RTarget", rtarget),
    S(struct affinity, "Operand", operand),
    I(struct affinity, "Weight", weight),
};
SCHEMA_STATIC(affinity_s, struct affinity, affinity_f);

static const struct field spread_target_f[] = {
    S(struct spread_target, "Value", value),
    I(struct spread_target, "Percent", percent),
};
SCHEMA_STATIC(spread_target_s, struct spread_target, spread_target_f);

static const struct field spread_f[] = {
    S(struct spread, "Attribute", attribute),
    I(struct spread, "Weight", weight),
    A(struct spread, "SpreadTarget", targets, ntargets, spread_target_s),
};
SCHEMA_STATIC(spread_s, struct spread, spread_f);

static const struct field port_f[] = {
    S(struct port, "Label", label),
    N(struct port, "Value", value),
    N(struct port, "To", to),
    S(struct port, "HostNetwork", host_network),
    B(struct port, "IgnoreCollision", ignore_collision),
};
SCHEMA_STATIC(port_s, struct port, port_f);

static const struct field dns_f[] = {
    SL(struct dns_config, "Servers", servers),
    SL(struct dns_config, "Searches", searches),
    SL(struct dns_config, "Options", options),
};
SCHEMA_STATIC(dns_s, struct dns_config, dns_f);

static const struct field network_f[] = {
    S(struct network, "Mode", mode),
    S(struct network, "Device", device),
    S(struct network, "CIDR", cidr),
    S(struct network, "IP", ip),
    S(struct network, "Hostname", hostname),
    I(struct network, "MBits", mbits),
    P(struct network, "DNS", dns, dns_s),
    A(struct network, "ReservedPorts", reserved_ports, nreserved_ports,
      port_s),
    A(struct network, "DynamicPorts", dynamic_ports, ndynamic_ports, port_s),
};
SCHEMA_STATIC(network_s, struct network, network_f);

static const struct field check_restart_f[] = {
    N(struct check_restart, "Limit", limit),
    I(struct check_restart, "Grace", grace_ns),
    B(struct check_restart, "IgnoreWarnings", ignore_warnings),
};
SCHEMA_STATIC(check_restart_s, struct check_restart, check_restart_f);

static const struct field check_f[] = {
    S(struct service_check, "Name", name),
    S(struct service_check, "Type", type),
    S(struct service_check, "Command", command),
    SL(struct service_check, "Args", args),
    S(struct service_check, "Path", path),
    S(struct service_check, "Protocol", protocol),
    S(struct service_check, "PortLabel", port_label),
    S(struct service_check, "AddressMode", address_mode),
    I(struct service_check, "Interval", interval_ns),
    I(struct service_check, "Timeout", timeout_ns),
    S(struct service_check, "InitialStatus", initial_status),
    S(struct service_check, "Method", method),
    S(struct service_check, "Body", body),
    {"Header", F_HEADERS, offsetof(struct service_check, headers),
     offsetof(struct service_check, nheaders),
     offsetof(struct service_check, headers_set), NULL},
    S(struct service_check, "TaskName", task_name),
    I(struct service_check, "SuccessBeforePassing", success_before_passing),
    I(struct service_check, "FailuresBeforeCritical",
      failures_before_critical),
    I(struct service_check, "FailuresBeforeWarning", failures_before_warning),
    S(struct service_check, "OnUpdate", on_update),
    B(struct service_check, "TLSSkipVerify", tls_skip_verify),
    P(struct service_check, "CheckRestart", check_restart, check_restart_s),
};
SCHEMA_STATIC(check_s, struct service_check, check_f);

static const struct field service_f[] = {
    S(struct service, "Name", name),
    SL(struct service, "Tags", tags),
    SL(struct service, "CanaryTags", canary_tags),
    B(struct service, "EnableTagOverride", enable_tag_override),
    S(struct service, "PortLabel", port_label),
    S(struct service, "AddressMode", address_mode),
    S(struct service, "Address", address),
    A(struct service, "Checks", checks, nchecks, check_s),
    SM(struct service, "Meta", meta),
    SM(struct service, "CanaryMeta", canary_meta),
    S(struct service, "TaskName", task_name),
    S(struct service, "OnUpdate", on_update),
    S(struct service, "Provider", provider),
};
SCHEMA_STATIC(service_s, struct service, service_f);

static const struct field restart_f[] = {
    I(struct restart_policy, "Interval", interval_ns),
    I(struct restart_policy, "Attempts", attempts),
    I(struct restart_policy, "Delay", delay_ns),
    S(struct restart_policy, "Mode", mode),
    TR(struct restart_policy, "RenderTemplates", render_templates),
};
SCHEMA_STATIC(restart_s, struct restart_policy, restart_f);

static const struct field reschedule_f[] = {
    I(struct reschedule_policy, "Attempts", attempts),
    I(struct reschedule_policy, "Interval", interval_ns),
    I(struct reschedule_policy, "Delay", delay_ns),
    S(struct reschedule_policy, "DelayFunction", delay_function),
    I(struct reschedule_policy, "MaxDelay", max_delay_ns),
    TR(struct reschedule_policy, "Unlimited", unlimited),
};
SCHEMA_STATIC(reschedule_s, struct reschedule_policy, reschedule_f);

static const struct field update_f[] = {
    I(struct update_strategy, "Stagger", stagger_ns),
    I(struct update_strategy, "MaxParallel", max_parallel),
    S(struct update_strategy, "HealthCheck", health_check),
    I(struct update_strategy, "MinHealthyTime", min_healthy_time_ns),
    I(struct update_strategy, "HealthyDeadline", healthy_deadline_ns),
    I(struct update_strategy, "ProgressDeadline", progress_deadline_ns),
    I(struct update_strategy, "Canary", canary),
    TR(struct update_strategy, "AutoRevert", auto_revert),
    TR(struct update_strategy, "AutoPromote", auto_promote),
};
SCHEMA_STATIC(update_s, struct update_strategy, update_f);

static const struct field migrate_f[] = {
    I(struct migrate_strategy, "MaxParallel", max_parallel),
    S(struct migrate_strategy, "HealthCheck", health_check),
    I(struct migrate_strategy, "MinHealthyTime", min_healthy_time_ns),
    I(struct migrate_strategy, "HealthyDeadline", healthy_deadline_ns),
};
SCHEMA_STATIC(migrate_s, struct migrate_strategy, migrate_f);

static const struct field disk_f[] = {
    TR(struct ephemeral_disk, "Sticky", sticky),
    TR(struct ephemeral_disk, "Migrate", migrate),
    I(struct ephemeral_disk, "SizeMB", size_mb),
};
SCHEMA_STATIC(disk_s, struct ephemeral_disk, disk_f);

static const struct field periodic_f[] = {
    TR(struct periodic_config, "Enabled", enabled),
    S(struct periodic_config, "Spec", spec),
    SL(struct periodic_config, "Specs", specs),
    S(struct periodic_config, "SpecType", spec_type),
    TR(struct periodic_config, "ProhibitOverlap", prohibit_overlap),
    S(struct periodic_config, "TimeZone", time_zone),
};
SCHEMA_STATIC(periodic_s, struct periodic_config, periodic_f);

static const struct field param_f[] = {
    S(struct parameterized_config, "Payload", payload),
    SL(struct parameterized_config, "MetaRequired", meta_required),
    SL(struct parameterized_config, "MetaOptional", meta_optional),
};
SCHEMA_STATIC(param_s, struct parameterized_config, param_f);

static const struct field resources_f[] = {
    I(struct resources, "CPU", cpu),
    I(struct resources, "Cores", cores),
    I(struct resources, "MemoryMB", memory_mb),
    I(struct resources, "MemoryMaxMB", memory_max_mb),
    I(struct resources, "DiskMB", disk_mb),
};
SCHEMA_STATIC(resources_s, struct resources, resources_f);

static const struct field log_f[] = {
    I(struct log_config, "MaxFiles", max_files),
    I(struct log_config, "MaxFileSizeMB", max_file_size_mb),
    TR(struct log_config, "Disabled", disabled),
};
SCHEMA_STATIC(log_s, struct log_config, log_f);

static const struct field wait_f[] = {
    I(struct template_wait, "Min", min_ns),
    I(struct template_wait, "Max", max_ns),
};
SCHEMA_STATIC(wait_s, struct template_wait, wait_f);

static const struct field script_f[] = {
    S(struct change_script, "Command", command),
    SL(struct change_script, "Args", args),
    I(struct change_script, "Timeout", timeout_ns),
    TR(struct change_script, "FailOnError", fail_on_error),
};
SCHEMA_STATIC(script_s, struct change_script, script_f);

static const struct field template_f[] = {
    S(struct task_template, "SourcePath", source_path),
    S(struct task_template, "DestPath", dest_path),
    S(struct task_template, "EmbeddedTmpl", embedded_tmpl),
    S(struct task_template, "ChangeMode", change_mode),
    S(struct task_template, "ChangeSignal", change_signal),
    P(struct task_template, "ChangeScript", change_script, script_s),
    I(struct task_template, "Splay", splay_ns),
    S(struct task_template, "Perms", perms),
    I(struct task_template, "Uid", uid),
    I(struct task_template, "Gid", gid),
    S(struct task_template, "LeftDelim", left_delim),
    S(struct task_template, "RightDelim", right_delim),
    TR(struct task_template, "Envvars", envvars),
    I(struct task_template, "VaultGrace", vault_grace_ns),
    P(struct task_template, "Wait", wait, wait_s),
    TR(struct task_template, "ErrMissingKey", err_missing_key),
    TR(struct task_template, "Once", once),
};
SCHEMA_STATIC(template_s, struct task_template, template_f);

static const struct field artifact_f[] = {
    S(struct artifact, "GetterSource", getter_source),
    SM(struct artifact, "GetterOptions", getter_options),
    SM(struct artifact, "GetterHeaders", getter_headers),
    S(struct artifact, "GetterMode", getter_mode),
    S(struct artifact, "RelativeDest", relative_dest),
    S(struct artifact, "Chown", chown),
};
SCHEMA_STATIC(artifact_s, struct artifact, artifact_f);

static const struct field lifecycle_f[] = {
    S(struct task_lifecycle, "Hook", hook),
    B(struct task_lifecycle, "Sidecar", sidecar),
};
SCHEMA_STATIC(lifecycle_s, struct task_lifecycle, lifecycle_f);

static const struct field payload_f[] = {
    S(struct dispatch_payload, "File", file),
};
SCHEMA_STATIC(payload_s, struct dispatch_payload, payload_f);

static const struct field task_f[] = {
    S(struct task, "Name", name),
    S(struct task, "Driver", driver),
    S(struct task, "User", user),
    P(struct task, "Lifecycle", lifecycle, lifecycle_s),
    J(struct task, "Config", config),
    A(struct task, "Constraints", constraints, nconstraints, constraint_s),
    A(struct task, "Affinities", affinities, naffinities, affinity_s),
    SM(struct task, "Env", env),
    A(struct task, "Services", services, nservices, service_s),
    P(struct task, "Resources", resources, resources_s),
    P(struct task, "RestartPolicy", restart_policy, restart_s),
    SM(struct task, "Meta", meta),
    I(struct task, "KillTimeout", kill_timeout_ns),
    P(struct task, "LogConfig", log_config, log_s),
    A(struct task, "Artifacts", artifacts, nartifacts, artifact_s),
    A(struct task, "Templates", templates, ntemplates, template_s),
    P(struct task, "DispatchPayload", dispatch_payload, payload_s),
    TR(struct task, "Leader", leader),
    I(struct task, "ShutdownDelay", shutdown_delay_ns),
    S(struct task, "KillSignal", kill_signal),
    S(struct task, "Kind", kind),
};
SCHEMA(schema_task, struct task, task_f);

static const struct field group_f[] = {
    S(struct task_group, "Name", name),
    I(struct task_group, "Count", count),
    A(struct task_group, "Constraints", constraints, nconstraints,
      constraint_s),
    A(struct task_group, "Affinities", affinities, naffinities, affinity_s),
    A(struct task_group, "Tasks", tasks, ntasks, schema_task),
    A(struct task_group, "Spreads", spreads, nspreads, spread_s),
    P(struct task_group, "RestartPolicy", restart_policy, restart_s),
    P(struct task_group, "ReschedulePolicy", reschedule_policy, reschedule_s),
    P(struct task_group, "EphemeralDisk", ephemeral_disk, disk_s),
    P(struct task_group, "Update", update, update_s),
    P(struct task_group, "Migrate", migrate, migrate_s),
    A(struct task_group, "Networks", networks, nnetworks, network_s),
    SM(struct task_group, "Meta", meta),
    A(struct task_group, "Services", services, nservices, service_s),
    I(struct task_group, "ShutdownDelay", shutdown_delay_ns),
    I(struct task_group, "StopAfterClientDisconnect",
      stop_after_client_disconnect_ns),
};
SCHEMA(schema_task_group, struct task_group, group_f);

static const struct field job_f[] = {
    S(struct job, "Region", region),
    S(struct job, "Namespace", namespace),
    S(struct job, "ID", id),
    S(struct job, "Name", name),
    S(struct job, "Type", type),
    I(struct job, "Priority", priority),
    TR(struct job, "AllAtOnce", all_at_once),
    SL(struct job, "Datacenters", datacenters),
    S(struct job, "NodePool", node_pool),
    A(struct job, "Constraints", constraints, nconstraints, constraint_s),
    A(struct job, "Affinities", affinities, naffinities, affinity_s),
    A(struct job, "TaskGroups", groups, ngroups, schema_task_group),
    P(struct job, "Update", update, update_s),
    A(struct job, "Spreads", spreads, nspreads, spread_s),
    P(struct job, "Periodic", periodic, periodic_s),
    P(struct job, "ParameterizedJob", parameterized, param_s),
    P(struct job, "Reschedule", reschedule, reschedule_s),
    P(struct job, "Migrate", migrate, migrate_s),
    SM(struct job, "Meta", meta),
    S(struct job, "ConsulToken", consul_token),
    S(struct job, "VaultToken", vault_token),
    TR(struct job, "Stop", stop),
    S(struct job, "ParentID", parent_id),
    TR(struct job, "Dispatched", dispatched),
    S(struct job, "DispatchIdempotencyToken", dispatch_idempotency_token),
    S(struct job, "Payload", payload),
    S(struct job, "Status", status),
    S(struct job, "StatusDescription", status_description),
    TR(struct job, "Stable", stable),
    I(struct job, "Version", version),
    I(struct job, "SubmitTime", submit_time),
    I(struct job, "CreateIndex", create_index),
    I(struct job, "ModifyIndex", modify_index),
    I(struct job, "JobModifyIndex", job_modify_index),
};
SCHEMA(schema_job, struct job, job_f);

/* --------------------------------------------------------------- node */

static const struct field driver_f[] = {
    S(struct node_driver, "Name", name),
    SM(struct node_driver, "Attributes", attributes),
    B(struct node_driver, "Detected", detected),
    B(struct node_driver, "Healthy", healthy),
    S(struct node_driver, "HealthDescription", health_description),
    N(struct node_driver, "UpdateTime", update_time_unix_ns),
};
SCHEMA_STATIC(driver_s, struct node_driver, driver_f);

static const struct field node_res_f[] = {
    N(struct node_resources, "CpuShares", cpu_shares),
    N(struct node_resources, "TotalCores", total_cores),
    N(struct node_resources, "MemoryMB", memory_mb),
    N(struct node_resources, "DiskMB", disk_mb),
    N(struct node_resources, "MinDynamicPort", min_dynamic_port),
    N(struct node_resources, "MaxDynamicPort", max_dynamic_port),
    S(struct node_resources, "IP", ip),
};
SCHEMA_STATIC(node_res_s, struct node_resources, node_res_f);

static const struct field node_event_f[] = {
    S(struct node_event, "Message", message),
    S(struct node_event, "Subsystem", subsystem),
    N(struct node_event, "Timestamp", timestamp_unix_ns),
    N(struct node_event, "CreateIndex", create_index),
};
SCHEMA_STATIC(node_event_s, struct node_event, node_event_f);

static const struct field drain_strategy_f[] = {
    N(struct node_drain_strategy, "Deadline", deadline_ns),
    B(struct node_drain_strategy, "IgnoreSystemJobs", ignore_system_jobs),
    N(struct node_drain_strategy, "ForceDeadline", force_deadline_unix_ns),
    N(struct node_drain_strategy, "StartedAt", started_at_unix_ns),
};
SCHEMA_STATIC(drain_strategy_s, struct node_drain_strategy, drain_strategy_f);

static const struct field drain_meta_f[] = {
    N(struct node_drain_meta, "StartedAt", started_at_unix_ns),
    N(struct node_drain_meta, "UpdatedAt", updated_at_unix_ns),
    S(struct node_drain_meta, "Status", status),
    S(struct node_drain_meta, "AccessorID", accessor_id),
    SM(struct node_drain_meta, "Meta", meta),
};
SCHEMA_STATIC(drain_meta_s, struct node_drain_meta, drain_meta_f);

static const struct field node_f[] = {
    S(struct node, "ID", id),
    S(struct node, "SecretID", secret_id),
    S(struct node, "Name", name),
    S(struct node, "Datacenter", datacenter),
    S(struct node, "NodePool", node_pool),
    S(struct node, "NodeClass", node_class),
    S(struct node, "ComputedClass", computed_class),
    S(struct node, "HTTPAddr", http_addr),
    S(struct node, "Version", version),
    SM(struct node, "Attributes", attributes),
    SM(struct node, "Meta", meta),
    AM(struct node, "Drivers", drivers, ndrivers, driver_s),
    E(struct node, "NodeResources", resources, node_res_s),
    E(struct node, "ReservedResources", reserved, node_res_s),
    S(struct node, "Status", status),
    S(struct node, "StatusDescription", status_description),
    N(struct node, "StatusUpdatedAt", status_updated_at_unix),
    S(struct node, "SchedulingEligibility", scheduling_eligibility),
    B(struct node, "Drain", drain),
    A(struct node, "Events", events, nevents, node_event_s),
    N(struct node, "CreateIndex", create_index),
    N(struct node, "ModifyIndex", modify_index),
    P(struct node, "DrainStrategy", drain_strategy, drain_strategy_s),
    P(struct node, "LastDrain", last_drain, drain_meta_s),
};
SCHEMA(schema_node, struct node, node_f);

/* --------------------------------------------------------------- eval */

static const struct field metric_f[] = {
    N(struct alloc_metric, "NodesEvaluated", nodes_evaluated),
    N(struct alloc_metric, "NodesFiltered", nodes_filtered),
    N(struct alloc_metric, "NodesInPool", nodes_in_pool),
    IM(struct alloc_metric, "NodesAvailable", nodes_available),
    IM(struct alloc_metric, "ClassFiltered", class_filtered),
    IM(struct alloc_metric, "ConstraintFiltered", constraint_filtered),
    N(struct alloc_metric, "NodesExhausted", nodes_exhausted),
    IM(struct alloc_metric, "ClassExhausted", class_exhausted),
    IM(struct alloc_metric, "DimensionExhausted", dimension_exhausted),
    N(struct alloc_metric, "CoalescedFailures", coalesced_failures),
    N(struct alloc_metric, "AllocationTime", allocation_time_ns),
};
SCHEMA(schema_alloc_metric, struct alloc_metric, metric_f);

static const struct field failed_f[] = {
    S(struct failed_tg_alloc, "Group", group),
    E(struct failed_tg_alloc, "", metric, schema_alloc_metric),
};
SCHEMA_STATIC(failed_s, struct failed_tg_alloc, failed_f);

static const struct field eval_f[] = {
    S(struct eval, "ID", id),
    S(struct eval, "Namespace", namespace),
    N(struct eval, "Priority", priority),
    S(struct eval, "Type", type),
    S(struct eval, "TriggeredBy", triggered_by),
    S(struct eval, "JobID", job_id),
    N(struct eval, "JobModifyIndex", job_modify_index),
    S(struct eval, "NodeID", node_id),
    N(struct eval, "NodeModifyIndex", node_modify_index),
    S(struct eval, "DeploymentID", deployment_id),
    S(struct eval, "Status", status),
    S(struct eval, "StatusDescription", status_description),
    N(struct eval, "Wait", wait_ns),
    N(struct eval, "WaitUntil", wait_until_unix_ns),
    S(struct eval, "NextEval", next_eval),
    S(struct eval, "PreviousEval", previous_eval),
    S(struct eval, "BlockedEval", blocked_eval),
    AM(struct eval, "FailedTGAllocs", failed_tg_allocs, nfailed_tg_allocs,
       failed_s),
    IM(struct eval, "QueuedAllocations", queued_allocations),
    B(struct eval, "EscapedComputedClass", escaped_computed_class),
    B(struct eval, "AnnotatePlan", annotate_plan),
    N(struct eval, "SnapshotIndex", snapshot_index),
    N(struct eval, "CreateIndex", create_index),
    N(struct eval, "ModifyIndex", modify_index),
    N(struct eval, "CreateTime", create_time_unix_ns),
    N(struct eval, "ModifyTime", modify_time_unix_ns),
};
SCHEMA(schema_eval, struct eval, eval_f);

/* -------------------------------------------------------------- alloc */

static const struct field event_f[] = {
    S(struct task_event, "Type", type),
    N(struct task_event, "Time", time_unix_ns),
    S(struct task_event, "DisplayMessage", display_message),
    SM(struct task_event, "Details", details),
    N(struct task_event, "ExitCode", exit_code),
    N(struct task_event, "Signal", signal),
    S(struct task_event, "Message", message),
    B(struct task_event, "FailsTask", fails_task),
    N(struct task_event, "StartDelay", restart_reason_delay_ns),
};
SCHEMA(schema_task_event, struct task_event, event_f);

static const struct field state_f[] = {
    S(struct task_state, "Task", task),
    S(struct task_state, "State", state),
    B(struct task_state, "Failed", failed),
    N(struct task_state, "Restarts", restarts),
    N(struct task_state, "LastRestart", last_restart_unix_ns),
    N(struct task_state, "StartedAt", started_at_unix_ns),
    N(struct task_state, "FinishedAt", finished_at_unix_ns),
    A(struct task_state, "Events", events, nevents, schema_task_event),
};
SCHEMA(schema_task_state, struct task_state, state_f);

static const struct field aport_f[] = {
    S(struct alloc_port, "Label", label),
    N(struct alloc_port, "Value", value),
    N(struct alloc_port, "To", to),
    S(struct alloc_port, "HostIP", host_ip),
};
SCHEMA_STATIC(aport_s, struct alloc_port, aport_f);

static const struct field ares_f[] = {
    S(struct alloc_task_resources, "Task", task),
    N(struct alloc_task_resources, "CpuShares", cpu_shares),
    N(struct alloc_task_resources, "Cores", cores),
    N(struct alloc_task_resources, "MemoryMB", memory_mb),
    N(struct alloc_task_resources, "MemoryMaxMB", memory_max_mb),
};
SCHEMA_STATIC(ares_s, struct alloc_task_resources, ares_f);

static const struct field adep_f[] = {
    TR(struct alloc_deployment_status, "Healthy", healthy),
    TM(struct alloc_deployment_status, "Timestamp", timestamp_unix_ns),
    B(struct alloc_deployment_status, "Canary", canary),
    N(struct alloc_deployment_status, "ModifyIndex", modify_index),
};
SCHEMA_STATIC(adep_s, struct alloc_deployment_status, adep_f);

static const struct field resched_f[] = {
    N(struct reschedule_event, "RescheduleTime", reschedule_time_unix_ns),
    S(struct reschedule_event, "PrevAllocID", prev_alloc_id),
    S(struct reschedule_event, "PrevNodeID", prev_node_id),
    N(struct reschedule_event, "Delay", delay_ns),
};
SCHEMA_STATIC(resched_s, struct reschedule_event, resched_f);

static const struct field transition_f[] = {
    TR(struct alloc, "Migrate", desired_migrate),
    TR(struct alloc, "Reschedule", desired_reschedule),
    TR(struct alloc, "ForceReschedule", desired_force_reschedule),
};
static const struct schema transition_s = {
    "DesiredTransition", 0, transition_f,
    sizeof(transition_f) / sizeof(transition_f[0]), NULL};

static const struct field tracker_f[] = {
    A(struct alloc, "Events", reschedule_events, nreschedule_events,
      resched_s),
};
static const struct schema tracker_s = {
    "RescheduleTracker", 0, tracker_f,
    sizeof(tracker_f) / sizeof(tracker_f[0]), NULL};

static const struct field alloc_f[] = {
    S(struct alloc, "ID", id),
    S(struct alloc, "Namespace", namespace),
    S(struct alloc, "EvalID", eval_id),
    S(struct alloc, "Name", name),
    S(struct alloc, "NodeID", node_id),
    S(struct alloc, "NodeName", node_name),
    S(struct alloc, "JobID", job_id),
    P(struct alloc, "Job", job, schema_job),
    S(struct alloc, "TaskGroup", task_group),
    AM(struct alloc, "TaskResources", task_resources, ntask_resources,
       ares_s),
    N(struct alloc, "SharedDiskMB", shared_disk_mb),
    A(struct alloc, "Ports", ports, nports, aport_s),
    E(struct alloc, "Metrics", metrics, schema_alloc_metric),
    S(struct alloc, "DesiredStatus", desired_status),
    S(struct alloc, "DesiredDescription", desired_description),
    G("DesiredTransition", transition_s),
    S(struct alloc, "ClientStatus", client_status),
    S(struct alloc, "ClientDescription", client_description),
    AM(struct alloc, "TaskStates", task_states, ntask_states,
       schema_task_state),
    P(struct alloc, "DeploymentStatus", deployment_status, adep_s),
    S(struct alloc, "DeploymentID", deployment_id),
    S(struct alloc, "PreviousAllocation", previous_allocation),
    S(struct alloc, "NextAllocation", next_allocation),
    S(struct alloc, "FollowupEvalID", followup_eval_id),
    G("RescheduleTracker", tracker_s),
    N(struct alloc, "CreateIndex", create_index),
    N(struct alloc, "ModifyIndex", modify_index),
    N(struct alloc, "AllocModifyIndex", alloc_modify_index),
    N(struct alloc, "CreateTime", create_time_unix_ns),
    N(struct alloc, "ModifyTime", modify_time_unix_ns),
};
SCHEMA(schema_alloc, struct alloc, alloc_f);

/* --------------------------------------------------------- deployment */

static const struct field dgroup_f[] = {
    S(struct deployment_group, "Name", name),
    B(struct deployment_group, "AutoRevert", auto_revert),
    B(struct deployment_group, "AutoPromote", auto_promote),
    N(struct deployment_group, "ProgressDeadline", progress_deadline_ns),
    TM(struct deployment_group, "RequireProgressBy",
       require_progress_by_unix_ns),
    B(struct deployment_group, "Promoted", promoted),
    SL(struct deployment_group, "PlacedCanaries", placed_canaries),
    N(struct deployment_group, "DesiredCanaries", desired_canaries),
    N(struct deployment_group, "DesiredTotal", desired_total),
    N(struct deployment_group, "PlacedAllocs", placed_allocs),
    N(struct deployment_group, "HealthyAllocs", healthy_allocs),
    N(struct deployment_group, "UnhealthyAllocs", unhealthy_allocs),
};
SCHEMA_STATIC(dgroup_s, struct deployment_group, dgroup_f);

static const struct field deployment_f[] = {
    S(struct deployment, "ID", id),
    S(struct deployment, "Namespace", namespace),
    S(struct deployment, "JobID", job_id),
    N(struct deployment, "JobVersion", job_version),
    N(struct deployment, "JobModifyIndex", job_modify_index),
    N(struct deployment, "JobSpecModifyIndex", job_spec_modify_index),
    N(struct deployment, "JobCreateIndex", job_create_index),
    AM(struct deployment, "TaskGroups", groups, ngroups, dgroup_s),
    S(struct deployment, "Status", status),
    S(struct deployment, "StatusDescription", status_description),
    N(struct deployment, "EvalPriority", eval_priority),
    N(struct deployment, "CreateIndex", create_index),
    N(struct deployment, "ModifyIndex", modify_index),
    N(struct deployment, "CreateTime", create_time_unix_ns),
    N(struct deployment, "ModifyTime", modify_time_unix_ns),
};
SCHEMA(schema_deployment, struct deployment, deployment_f);

/* ------------------------------------------- init/release, new/free... */

SCHEMA_INIT_RELEASE(constraint, struct constraint, constraint_s)
SCHEMA_INIT_RELEASE(affinity, struct affinity, affinity_s)
SCHEMA_INIT_RELEASE(spread, struct spread, spread_s)
SCHEMA_INIT_RELEASE(port, struct port, port_s)
SCHEMA_INIT_RELEASE(network, struct network, network_s)
SCHEMA_INIT_RELEASE(service_check, struct service_check, check_s)
SCHEMA_INIT_RELEASE(service, struct service, service_s)
SCHEMA_INIT_RELEASE(restart_policy, struct restart_policy, restart_s)
SCHEMA_INIT_RELEASE(reschedule_policy, struct reschedule_policy, reschedule_s)
SCHEMA_INIT_RELEASE(update_strategy, struct update_strategy, update_s)
SCHEMA_INIT_RELEASE(migrate_strategy, struct migrate_strategy, migrate_s)
SCHEMA_INIT_RELEASE(periodic_config, struct periodic_config, periodic_s)
SCHEMA_INIT_RELEASE(parameterized_config,
                    struct parameterized_config,
                    param_s)
SCHEMA_INIT_RELEASE(task_template, struct task_template, template_s)
SCHEMA_INIT_RELEASE(artifact, struct artifact, artifact_s)
SCHEMA_INIT_RELEASE(task, struct task, schema_task)
SCHEMA_INIT_RELEASE(task_group, struct task_group, schema_task_group)
SCHEMA_INIT_RELEASE(job, struct job, schema_job)
SCHEMA_INIT_RELEASE(node, struct node, schema_node)
SCHEMA_INIT_RELEASE(alloc_metric, struct alloc_metric, schema_alloc_metric)
SCHEMA_INIT_RELEASE(eval, struct eval, schema_eval)
SCHEMA_INIT_RELEASE(task_event, struct task_event, schema_task_event)
SCHEMA_INIT_RELEASE(task_state, struct task_state, schema_task_state)
SCHEMA_INIT_RELEASE(alloc, struct alloc, schema_alloc)
SCHEMA_INIT_RELEASE(deployment, struct deployment, schema_deployment)

void ephemeral_disk_init(struct ephemeral_disk *d)
{
    schema_init(&disk_s, d);
}

void resources_init(struct resources *r)
{
    schema_init(&resources_s, r);
}

void log_config_init(struct log_config *l)
{
    schema_init(&log_s, l);
}

SCHEMA_HEAP(job, struct job, schema_job)
SCHEMA_HEAP(node, struct node, schema_node)

struct node_drain_meta *node_drain_meta_new(void)
{
    struct node_drain_meta *m = xmalloc(sizeof(*m));

    schema_init(&drain_meta_s, m);
    return m;
}

void node_drain_meta_free(struct node_drain_meta *m)
{
    if (m == NULL)
        return;
    schema_release(&drain_meta_s, m);
    free(m);
}
SCHEMA_HEAP(eval, struct eval, schema_eval)
SCHEMA_HEAP(alloc, struct alloc, schema_alloc)
SCHEMA_HEAP(deployment, struct deployment, schema_deployment)

/* Every schema's unset image, built before main() so that no thread ever
 * races to build one. */
__attribute__((constructor)) static void build_images(void)
{
    static const struct schema *const all[] = {
        &constraint_s,
        &affinity_s,
        &spread_target_s,
        &spread_s,
        &port_s,
        &dns_s,
        &network_s,
        &check_restart_s,
        &check_s,
        &service_s,
        &restart_s,
        &reschedule_s,
        &update_s,
        &migrate_s,
        &disk_s,
        &periodic_s,
        &param_s,
        &resources_s,
        &log_s,
        &wait_s,
        &script_s,
        &template_s,
        &artifact_s,
        &lifecycle_s,
        &payload_s,
        &schema_task,
        &schema_task_group,
        &schema_job,
        &driver_s,
        &node_res_s,
        &node_event_s,
        &drain_strategy_s,
        &drain_meta_s,
        &schema_node,
        &schema_alloc_metric,
        &failed_s,
        &schema_eval,
        &schema_task_event,
        &schema_task_state,
        &aport_s,
        &ares_s,
        &adep_s,
        &resched_s,
        &schema_alloc,
        &dgroup_s,
        &schema_deployment,
    };

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        schema_build_image(all[i]);
}
