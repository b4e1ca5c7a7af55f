/*
 * From an HCL jobspec to a struct job, as Nomad's jobspec2 does.
 *
 * The result is what the user wrote, not yet canonicalized: it is what
 * `job run -output` prints and what the CLI submits. Unknown blocks and
 * attributes, wrong value types, a missing or duplicate job block are
 * errors that name the place: "web.nomad.hcl:12:5: Unsupported argument;
 * An argument named \"cuont\" is not expected here." All the problems
 * found are reported, one per line, not only the first.
 */
#ifndef CARAVAN_LIB_MODEL_JOBSPEC_H
#define CARAVAN_LIB_MODEL_JOBSPEC_H

#include <stddef.h>

struct err;
struct hcl_doc;
struct hcl_options;
struct job;

/* Converts an evaluated HCL document (borrowed) into a new job. */
int jobspec_from_hcl(const struct hcl_doc *doc,
                     struct job **out,
                     struct err *err);

/* Parses (lib/hcl) and converts the file at path. opts may be NULL. */
int jobspec_parse_file(const char *path,
                       const struct hcl_options *opts,
                       struct job **out,
                       struct err *err);

/* As jobspec_parse_file(), on text in memory named filename. */
int jobspec_parse(const char *src,
                  size_t len,
                  const char *filename,
                  const struct hcl_options *opts,
                  struct job **out,
                  struct err *err);

#endif
