/*
 * One `template` block rendered and written (template_runner.c decides
 * when): data or source, destination kept inside the alloc dir, perms,
 * and `env = true` files read into the task's environment. Lookups of
 * `env` read the task's environment; service lookups go to svc.
 */
#ifndef CARAVAN_AGENT_CLIENT_TEMPLATE_HOOK_H
#define CARAVAN_AGENT_CLIENT_TEMPLATE_HOOK_H

#include <stddef.h>

struct buf;
struct err;
struct strmap;
struct task;
struct task_template;
struct tmpl_deps;
struct tmpl_source;

/*
 * One template rendered into out, without touching the disk; deps (may
 * be NULL) gets the lookups it made. Errors name the template.
 */
int template_hook_render_one(const struct task_template *tt,
                             const char *task_dir,
                             const struct strmap *env,
                             const struct tmpl_source *svc,
                             struct buf *out,
                             struct tmpl_deps *deps,
                             struct err *err);

/* Writes out to tt's destination (temp file + rename), with its perms and
 * owner, refusing a destination that escapes the alloc dir. */
int template_hook_write(const struct task_template *tt,
                        const char *task_dir,
                        const struct buf *out,
                        struct err *err);

/* KEY=VALUE lines (comments, `export`, quotes) into env, as Nomad reads an
 * `env = true` file. */
int template_hook_parse_env(const char *text,
                            size_t len,
                            struct strmap *env,
                            struct err *err);

#endif
