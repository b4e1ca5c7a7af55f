/*
 * `kill -HUP <agent>`: re-reads the agent's -config files and applies
 * what can change while the agent runs, as Nomad's agent does on SIGHUP.
 * Today that is log_level. Changes to settings that only take effect at
 * start (data_dir, ports, region, ...) are named in a warning and left
 * alone. A file that no longer loads is reported and changes nothing: the
 * agent keeps running on what it has.
 *
 * Threads: the loop thread (the SIGHUP handler).
 */
#ifndef CARAVAN_AGENT_RELOAD_H
#define CARAVAN_AGENT_RELOAD_H

#include <stdbool.h>
#include <stddef.h>

struct agent_config;
struct err;
struct logger;

struct agent_reload
{
    const char *flag_log_level; /* -log-level, which wins; or NULL */
    bool dev;                   /* the default level is debug */
    /* The files as the agent started; their paths are read again. */
    const struct agent_config *running;
};

/*
 * Re-reads the files and applies what it can, logging each change on lg.
 * Returns 0, or the error of a file that did not load (message in err,
 * also logged); then nothing changed.
 */
int agent_reload(const struct agent_reload *r,
                 const struct logger *lg,
                 struct err *err);

#endif
