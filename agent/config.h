/*
 * The agent's configuration files (`caravan agent -config FILE|DIR`), in
 * Nomad's HCL or JSON format: the subset this agent uses. Command-line
 * flags override what the files say; files in a directory are read in
 * lexical order, later ones overriding earlier ones.
 */
#ifndef CARAVAN_AGENT_CONFIG_H
#define CARAVAN_AGENT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct err;

struct agent_config
{
    char *data_dir;
    char *bind_addr;
    char *region;
    char *datacenter;
    char *name;
    char *log_level;
    int log_json; /* -1 unset */
    int server_enabled; /* -1 unset */
    int client_enabled; /* -1 unset */
    int64_t http_port;  /* 0 unset */
    int raw_exec_enabled; /* plugin "raw_exec" { config { enabled } } */
    /* server { job_gc_interval = "5m" ... }: durations, 0 unset */
    int64_t job_gc_interval_ns;
    int64_t job_gc_threshold_ns;
    int64_t eval_gc_threshold_ns;
    int64_t batch_eval_gc_threshold_ns;
    int64_t deployment_gc_threshold_ns;
    int64_t node_gc_threshold_ns;
    int64_t min_heartbeat_ttl_ns; /* server { min_heartbeat_ttl } */
    int64_t heartbeat_grace_ns;   /* server { heartbeat_grace } */
    int64_t rpc_port;             /* ports { rpc }, 0 unset */
    char *encrypt;                /* server { encrypt }: gossip key, base64 */
    char **servers;               /* client { servers = [...] } */
    int nservers;
    /* the gossip mesh */
    int64_t serf_port;      /* ports { serf }, 0 unset */
    char *advertise_serf;   /* advertise { serf = "ip[:port]" } */
    int leave_on_interrupt; /* -1 unset */
    int leave_on_terminate; /* -1 unset */
    char **start_join;      /* server_join { start_join } (and -join) */
    int nstart_join;
    char **retry_join;      /* server_join { retry_join } */
    int nretry_join;
    int64_t retry_interval_ns; /* 0 unset */
    int retry_max;             /* -1 unset */
    struct agent_gossip_config
    {
        char *profile; /* "lan", "wan", "local" */
        int64_t probe_interval_ns, probe_timeout_ns, gossip_interval_ns,
            push_pull_interval_ns, reconnect_interval_ns, reap_ns,
            reclaim_ns; /* 0 unset */
        int64_t gossip_nodes, suspicion_mult, suspicion_max_mult,
            retransmit_mult, indirect_checks; /* 0 unset */
    } gossip;
    char **loaded; /* files read, for the banner */
    int nloaded;
    char **paths; /* as given to agent_config_load(): what a reload reads */
    int npaths;
};

void agent_config_init(struct agent_config *c);
void agent_config_release(struct agent_config *c);
/* Reads path (a file, or a directory of *.hcl and *.json) into c. */
int agent_config_load(struct agent_config *c, const char *path, struct err *err);

#endif
