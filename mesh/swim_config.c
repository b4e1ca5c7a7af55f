/*
 * The SWIM core's knobs: the three timing profiles, validation, and the
 * names of states and events.
 */
#include <string.h>

#include "lib/err.h"
#include "mesh/swim.h"

/* ------------------------------------------------------------------ config */

void swim_config_default(struct swim_config *cfg, enum swim_profile profile)
{
    memset(cfg, 0, sizeof(*cfg));
    /*
     * LAN: twice memberlist's probe rate with a shorter probe timeout (a
     * LAN round trip is well under 200 ms) and gossip; Lifeguard's
     * dynamic suspicion keeps false positives down while the faster
     * period halves detection time (measured by bench_swim).
     */
    cfg->probe_interval_ms = 400;
    cfg->probe_timeout_ms = 200;
    cfg->indirect_checks = 3;
    cfg->tcp_fallback = true;
    cfg->gossip_interval_ms = 100;
    cfg->gossip_nodes = 3;
    cfg->gossip_to_dead_ms = 30000;
    cfg->suspicion_mult = 4;
    cfg->suspicion_max_mult = 6;
    cfg->retransmit_mult = 4;
    cfg->push_pull_interval_ms = 30000;
    cfg->reconnect_interval_ms = 30000;
    cfg->stream_timeout_ms = 10000;
    cfg->join_retry_ms = 2000;
    cfg->join_max_attempts = 5;
    cfg->reclaim_ms = 30000;
    cfg->reap_ms = 24ULL * 3600 * 1000;
    cfg->tombstone_ttl_ms = 24ULL * 3600 * 1000;
    cfg->awareness_max_mult = 8;
    cfg->packet_size = 1400;
    cfg->lifeguard = true;
    switch (profile) {
    case SWIM_PROFILE_LAN:
        break;
    case SWIM_PROFILE_WAN:
        cfg->probe_interval_ms = 5000;
        cfg->probe_timeout_ms = 3000;
        cfg->gossip_interval_ms = 500;
        cfg->gossip_nodes = 4;
        cfg->gossip_to_dead_ms = 60000;
        cfg->suspicion_mult = 6;
        cfg->push_pull_interval_ms = 60000;
        cfg->reconnect_interval_ms = 60000;
        cfg->stream_timeout_ms = 30000;
        cfg->join_retry_ms = 5000;
        break;
    case SWIM_PROFILE_LOCAL:
        cfg->probe_interval_ms = 1000;
        cfg->probe_timeout_ms = 200;
        cfg->indirect_checks = 1;
        cfg->gossip_interval_ms = 100;
        cfg->gossip_to_dead_ms = 15000;
        cfg->suspicion_mult = 3;
        cfg->retransmit_mult = 2;
        cfg->push_pull_interval_ms = 15000;
        cfg->stream_timeout_ms = 1000;
        cfg->join_retry_ms = 500;
        break;
    }
}

int swim_config_validate(const struct swim_config *cfg, struct err *err)
{
    if (cfg->probe_interval_ms == 0)
        return err_set(err, ERR_INVALID, "swim: probe_interval must be > 0");
    if (cfg->probe_timeout_ms == 0 ||
        cfg->probe_timeout_ms >= cfg->probe_interval_ms)
        return err_set(err, ERR_INVALID,
                       "swim: probe_timeout must be > 0 and below "
                       "probe_interval");
    if (cfg->gossip_interval_ms == 0)
        return err_set(err, ERR_INVALID, "swim: gossip_interval must be > 0");
    if (cfg->suspicion_mult == 0 || cfg->suspicion_max_mult == 0)
        return err_set(err, ERR_INVALID,
                       "swim: suspicion multipliers must be > 0");
    if (cfg->retransmit_mult == 0)
        return err_set(err, ERR_INVALID, "swim: retransmit_mult must be > 0");
    if (cfg->awareness_max_mult == 0 || cfg->awareness_max_mult > 64)
        return err_set(err, ERR_INVALID,
                       "swim: awareness_max_mult must be in 1..64");
    if (cfg->packet_size < 512 || cfg->packet_size > 65000)
        return err_set(err, ERR_INVALID,
                       "swim: packet_size must be in 512..65000 bytes");
    if (cfg->stream_timeout_ms == 0 || cfg->join_retry_ms == 0)
        return err_set(err, ERR_INVALID,
                       "swim: stream_timeout and join_retry must be > 0");
    return 0;
}

const char *swim_member_state_str(enum swim_member_state st)
{
    switch (st) {
    case SWIM_MEMBER_ALIVE:
        return "alive";
    case SWIM_MEMBER_SUSPECT:
        return "suspect";
    case SWIM_MEMBER_DEAD:
        return "dead";
    case SWIM_MEMBER_LEFT:
        return "left";
    }
    return "unknown";
}

const char *swim_event_kind_str(enum swim_event_kind k)
{
    static const char *names[] = {"join",  "update", "suspect", "alive", "fail",
                                  "leave", "reap",   "records", "joined"};

    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k]
                                                          : "unknown";
}
