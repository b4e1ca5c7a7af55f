/*
 * Constraint and affinity matching of one node, as Nomad's feasibility
 * checkers do (reference/scheduling.md §3, jobspec.md constraint block).
 *
 * Pure: no clock, no I/O. Compiled regular expressions are cached in a
 * struct constraint_cache owned by one scheduler run, because the same
 * pattern is tested against every node.
 */
#ifndef CARAVAN_SCHEDULER_CONSTRAINT_H
#define CARAVAN_SCHEDULER_CONSTRAINT_H

#include <stdbool.h>

struct constraint;
struct node;

struct constraint_cache;

struct constraint_cache *constraint_cache_new(void);
void constraint_cache_free(struct constraint_cache *c);

/*
 * Resolves a target against node: "${attr.kernel.name}", "${meta.rack}",
 * "${node.unique.id}", "${node.unique.name}", "${node.datacenter}",
 * "${node.class}", "${node.pool}"; anything not of the form "${...}" is a
 * literal. Returns false when the target names something the node does
 * not have. *out is borrowed from node or target.
 */
bool constraint_resolve(const struct node *node,
                        const char *target,
                        const char **out);

/*
 * Applies operand to the resolved values, with Nomad's rules for missing
 * values: "=" needs both, "!=" holds when either is missing, is_set and
 * is_not_set look only at the left. Operands: = == is != not < <= > >=
 * regexp version semver set_contains set_contains_all set_contains_any
 * is_set is_not_set. Unknown operands never match. cache may be NULL.
 */
bool constraint_check(struct constraint_cache *cache,
                      const char *operand,
                      const char *lval,
                      bool lfound,
                      const char *rval,
                      bool rfound);

/* True when node satisfies c. distinct_hosts / distinct_property need
 * the plan and are checked elsewhere: here they always hold. */
bool constraint_node_ok(struct constraint_cache *cache,
                        const struct node *node,
                        const struct constraint *c);

/*
 * Compares versions as hashicorp/go-version does ("1.2.3", "v1.2",
 * "1.2.3-beta.1+meta"); returns -1, 0 or 1 in *cmp, false if either is not
 * a version.
 */
bool constraint_version_compare(const char *a, const char *b, int *cmp);

/*
 * Checks version against a constraint list such as ">= 1.2, < 2.0" or
 * "~> 1.3" (go-version syntax). strict_semver applies semver's rules on
 * pre-releases (operand "semver"): a pre-release only satisfies a
 * constraint that names the same major.minor.patch with a pre-release.
 */
bool constraint_version_match(const char *version,
                              const char *constraints,
                              bool strict_semver);

#endif
