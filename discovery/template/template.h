/*
 * Templates as Nomad renders them: Go's text/template language with the
 * consul-template functions Nomad jobs use (nomadService, env, ...).
 *
 * Pure: text and a data source go in, bytes come out. The data source is
 * a struct of callbacks, so the catalogue, the task environment and the
 * tests all plug in the same way. A render reports the lookups it made
 * (its dependencies), so the caller re-renders only when one of those
 * answers changes.
 *
 * Templates come from users: the input size, the nesting of blocks and
 * parentheses and the output size are bounded, and every error names the
 * template, the line and the column, as Go does:
 *   template: local/env.txt:3:7: executing "local/env.txt" at <.Port>: ...
 */
#ifndef CARAVAN_DISCOVERY_TEMPLATE_TEMPLATE_H
#define CARAVAN_DISCOVERY_TEMPLATE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "discovery/template/value.h"

struct buf;
struct err;
struct tmpl;

#define TMPL_MAX_INPUT_BYTES (4u << 20)
#define TMPL_DEFAULT_MAX_OUTPUT_BYTES (64u << 20)
#define TMPL_DEFAULT_MAX_DEPTH 100
#define TMPL_DEFAULT_MAX_STEPS 50000000ull

struct tmpl_opts
{
    const char *name;            /* in messages; "" when NULL */
    const char *left_delimiter;  /* "{{" when NULL or empty */
    const char *right_delimiter; /* "}}" when NULL or empty */
    bool error_on_missing_key;   /* missing map key: error, not <no value> */
    size_t max_output_bytes;     /* 0: TMPL_DEFAULT_MAX_OUTPUT_BYTES */
    int max_depth;               /* 0: TMPL_DEFAULT_MAX_DEPTH */
    /* actions and range iterations per render, so `{{ range 1e18 }}`
     * ends; 0: TMPL_DEFAULT_MAX_STEPS */
    uint64_t max_steps;
};

/* Instance health, as the catalogue knows it (beyond Nomad): a mask. */
enum tmpl_health {
    TMPL_HEALTH_PASSING = 1 << 0,
    TMPL_HEALTH_WARNING = 1 << 1,
    TMPL_HEALTH_CRITICAL = 1 << 2,
};

/*
 * One nomadService lookup. `"v1.web@eu|passing"` gives tag "v1", name
 * "web", region "eu", health TMPL_HEALTH_PASSING. choose_n > 0 asks for the
 * rendezvous subset of choose_n instances for choose_key (Nomad's
 * `?choose=n|key`).
 */
struct tmpl_service_query
{
    const char *name;
    const char *tag;    /* NULL: no tag filter */
    const char *region; /* NULL: the local region */
    unsigned health;    /* TMPL_HEALTH_* mask; 0: every registration (Nomad) */
    int64_t choose_n;
    const char *choose_key;
};

/*
 * Where a render's data comes from. Every callback may be NULL (env then
 * answers "", the service lookups fail). Lookups return new references
 * to lists built with tmpl_service_list()/tmpl_service_names(); a source
 * should cache them per answer so repeated renders share one value.
 * Failures fill err and return a negative code; the render stops.
 */
struct tmpl_source
{
    void *ctx;
    /* Borrowed string valid during the render, or NULL for unset. */
    const char *(*env)(void *ctx, const char *name);
    int (*service)(void *ctx,
                   const struct tmpl_service_query *q,
                   struct tv **out,
                   struct err *err);
    /* Names and tags of the namespace's services; region may be NULL. */
    int (*services)(void *ctx,
                    const char *region,
                    struct tv **out,
                    struct err *err);
};

/* One service instance, with Nomad's (consul-template's) field names. */
struct tmpl_service
{
    const char *id;
    const char *name;
    const char *node;
    const char *address;
    int64_t port;
    const char *datacenter;
    const char *const *tags; /* any order: the record gets a sorted copy */
    size_t n_tags;
    const char *job_id;
    const char *alloc_id;
    const char *namespace_;
};

/* A NomadService record (fields .ID .Name .Node .Address .Port ...). */
struct tv *tmpl_service_record(const struct tmpl_service *s);
/* { .Name .Tags } for nomadServices; tags copied and sorted. */
struct tv *tmpl_service_name_record(const char *name,
                                    const char *const *tags,
                                    size_t n_tags);

enum tmpl_dep_kind {
    TMPL_DEP_ENV,
    TMPL_DEP_SERVICE,  /* key: the query text, e.g. "v1.web@eu|passing" */
    TMPL_DEP_SERVICES, /* key: the region or "" */
};

struct tmpl_dep
{
    enum tmpl_dep_kind kind;
    char *key;
    struct tmpl_service_query query; /* TMPL_DEP_SERVICE; strings owned */
};

/* The distinct lookups of one render, in first-use order. */
struct tmpl_deps
{
    struct tmpl_dep *items;
    size_t n;
    size_t cap;
};

void tmpl_deps_init(struct tmpl_deps *d);
void tmpl_deps_release(struct tmpl_deps *d);
/* "nomad.service(web)", "env(HOME)", "nomad.services" (consul-template's). */
const char *tmpl_dep_string(const struct tmpl_dep *dep, char *out, size_t size);

/*
 * Parses text. On success *out owns the template (free with tmpl_free).
 * Fails with ERR_INVALID and "template: NAME:LINE:COL: ..." in err, or
 * ERR_TOO_BIG / ERR_TOO_DEEP past the bounds.
 */
int tmpl_parse(const char *text,
               size_t len,
               const struct tmpl_opts *opts,
               struct tmpl **out,
               struct err *err);
void tmpl_free(struct tmpl *t);

/*
 * Renders t with dot as the data (borrowed; NULL for none) and appends the
 * output to out. deps (may be NULL) receives the lookups made, also when
 * the render fails. On failure out holds a partial result the caller
 * must not use, and err says "template: NAME:LINE:COL: executing ...".
 * One thread at a time per template: rendering caches field lookups in t.
 */
int tmpl_render(const struct tmpl *t,
                const struct tmpl_source *src,
                struct tv *dot,
                struct buf *out,
                struct tmpl_deps *deps,
                struct err *err);

#endif
