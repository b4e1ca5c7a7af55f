/*
 * The `template` blocks of a task, rendered into its directory before it
 * starts: data or source, destination kept inside the alloc dir, perms,
 * and `env = true` files merged into the task's environment. Lookups of
 * `env` read the task's environment; service lookups go to svc.
 */
#ifndef CARAVAN_AGENT_CLIENT_TEMPLATE_HOOK_H
#define CARAVAN_AGENT_CLIENT_TEMPLATE_HOOK_H

#include <stddef.h>

struct err;
struct strmap;
struct task;
struct tmpl_source;

/*
 * Renders every template of t (task_dir: its directory on this host).
 * svc answers nomadService/nomadServices (NULL: no instances anywhere).
 * On failure err names the template and nothing half-written is left.
 */
int template_hook_render(const struct task *t,
                         const char *task_dir,
                         struct strmap *env,
                         const struct tmpl_source *svc,
                         struct err *err);

/* KEY=VALUE lines (comments, `export`, quotes) into env, as Nomad reads an
 * `env = true` file. */
int template_hook_parse_env(const char *text,
                            size_t len,
                            struct strmap *env,
                            struct err *err);

#endif
