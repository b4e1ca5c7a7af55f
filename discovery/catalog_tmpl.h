/*
 * The template engine's data source over a catalogue: nomadService and
 * nomadServices answered from the local read model, for one namespace
 * (the job's) and one region (the agent's).
 *
 * Answers are cached as template values keyed by query and reused while
 * the name's modify index stays put, so a template re-rendered for an
 * unrelated change does not rebuild its lists.
 */
#ifndef CARAVAN_DISCOVERY_CATALOG_TMPL_H
#define CARAVAN_DISCOVERY_CATALOG_TMPL_H

#include "discovery/catalog.h"
#include "discovery/template/template.h"

struct catalog_tmpl;

struct catalog_tmpl_opts
{
    const struct catalog *catalog; /* borrowed; outlives the adapter */
    const char *namespace_;        /* "default" when NULL */
    const char *region;            /* "global" when NULL */
    /* the task environment (NOMAD_*, node.*, ...); may be NULL */
    const char *(*env)(void *ctx, const char *name);
    void *env_ctx;
};

struct catalog_tmpl *catalog_tmpl_new(const struct catalog_tmpl_opts *opts);
void catalog_tmpl_free(struct catalog_tmpl *ct);

/* Fills *src with callbacks over ct (valid while ct lives). */
void catalog_tmpl_source(struct catalog_tmpl *ct, struct tmpl_source *src);

/*
 * The newest modify index among the catalogue answers a render depended
 * on (names for nomadService, the namespace for nomadServices; env
 * lookups never change). A watcher keeps it after rendering and
 * re-renders only once it differs: an unrelated service moving leaves
 * it alone.
 */
uint64_t catalog_tmpl_deps_index(const struct catalog_tmpl *ct,
                                 const struct tmpl_deps *deps);

#endif
