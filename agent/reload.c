/* Configuration reload on SIGHUP (see reload.h). */
#include "agent/reload.h"

#include <stdint.h>
#include <string.h>

#include "agent/config.h"
#include "lib/err.h"
#include "lib/log.h"

static bool str_changed(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a != b;
    return strcmp(a, b) != 0;
}

/* Settings read once at start: a change waits for a restart. */
static void warn_fixed(const struct agent_config *old,
                       const struct agent_config *now,
                       const struct logger *lg)
{
    const struct
    {
        const char *name;
        bool changed;
    } fixed[] = {
        {"data_dir", str_changed(old->data_dir, now->data_dir)},
        {"bind_addr", str_changed(old->bind_addr, now->bind_addr)},
        {"region", str_changed(old->region, now->region)},
        {"datacenter", str_changed(old->datacenter, now->datacenter)},
        {"name", str_changed(old->name, now->name)},
        {"ports.http", old->http_port != now->http_port},
        {"log_json", old->log_json != now->log_json},
        {"server.enabled", old->server_enabled != now->server_enabled},
        {"client.enabled", old->client_enabled != now->client_enabled},
        {"plugin.raw_exec", old->raw_exec_enabled != now->raw_exec_enabled},
    };

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (fixed[i].changed)
            log_warn(lg,
                     "reload: %s changed, but takes effect only when the "
                     "agent restarts",
                     fixed[i].name);
    }
    /* The key only seeds a new keyring file; it is never logged. */
    if (str_changed(old->encrypt, now->encrypt))
        log_warn(lg, "reload: server.encrypt changed, but the keyring file "
                     "in the data dir rules: change keys with 'caravan "
                     "operator gossip keyring'");
}

/* Applies log_level; the line goes out at the more verbose of the two. */
static void reload_log_level(const struct agent_reload *r,
                             const struct agent_config *now,
                             const struct logger *lg)
{
    enum log_level old = log_get_level(), level;
    const char *want = now->log_level;

    if (r->flag_log_level != NULL) {
        if (want != NULL)
            log_info(lg,
                     "reload: log_level stays %s: the -log-level flag "
                     "wins over the files",
                     log_level_name(old));
        return;
    }
    if (want == NULL)
        want = r->dev ? "debug" : "info";
    if (log_level_parse(want, &level) != 0) {
        log_error(lg, "reload: invalid log_level \"%s\": keeping %s", want,
                  log_level_name(old));
        return;
    }
    if (level == old) {
        log_info(lg, "reload: log_level unchanged (%s)", log_level_name(old));
        return;
    }
    if (level < old)
        log_info(lg, "reload: log_level %s -> %s", log_level_name(old),
                 log_level_name(level));
    log_set_level(level);
    if (level > old)
        log_info(lg, "reload: log_level %s -> %s", log_level_name(old),
                 log_level_name(level));
}

int agent_reload(const struct agent_reload *r,
                 const struct logger *lg,
                 struct err *err)
{
    struct agent_config now;
    int rc = 0;

    agent_config_init(&now);
    for (int i = 0; rc == 0 && i < r->running->npaths; i++) {
        const char *path = r->running->paths[i];

        rc = agent_config_load(&now, path, err);
        if (rc != 0)
            log_error(lg,
                      "reload: error loading configuration from %s: %s; "
                      "keeping the running configuration",
                      path, err->msg);
    }
    if (rc == 0) {
        reload_log_level(r, &now, lg);
        warn_fixed(r->running, &now, lg);
    }
    agent_config_release(&now);
    return rc;
}
