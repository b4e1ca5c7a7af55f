/*
 * Nomad API JSON for the model types.
 *
 * Keys are Nomad's PascalCase field names, durations are integer
 * nanoseconds, unset fields are null (so `job run -output` of a parsed,
 * uncanonicalized job looks like Nomad's), maps are emitted with sorted
 * keys as Go does. Decoding accepts what Nomad's HTTP API accepts: unknown
 * keys are ignored, null means unset, a wrong type is an error naming the
 * path ("Job.TaskGroups[0].Count: expected a number, got a string").
 * Input is untrusted: nesting and sizes are bounded, any bytes give an
 * error or a value, never a crash.
 */
#ifndef CARAVAN_LIB_MODEL_CODEC_JSON_H
#define CARAVAN_LIB_MODEL_CODEC_JSON_H

#include <jansson.h>
#include <stddef.h>

struct alloc;
struct deployment;
struct err;
struct eval;
struct job;
struct node;

/* Returns a new JSON object (reference owned by the caller). */
json_t *job_to_json(const struct job *job);
json_t *node_to_json(const struct node *n);
json_t *alloc_to_json(const struct alloc *a);
json_t *eval_to_json(const struct eval *e);
json_t *deployment_to_json(const struct deployment *d);

/*
 * Fills an _init()ed struct from a JSON object (borrowed). On failure the
 * struct may be partly filled; the caller releases it either way.
 */
int job_from_json(const json_t *obj, struct job *job, struct err *err);
int node_from_json(const json_t *obj, struct node *n, struct err *err);
int alloc_from_json(const json_t *obj, struct alloc *a, struct err *err);
int eval_from_json(const json_t *obj, struct eval *e, struct err *err);
int deployment_from_json(const json_t *obj,
                         struct deployment *d,
                         struct err *err);

/*
 * Parses bytes holding either a bare job object or {"Job": {...}} (the
 * body of POST /v1/jobs and of `job run -json`). ERR_MALFORMED for bad
 * JSON (with line and column), ERR_INVALID for wrong field types.
 */
int job_decode_json(const char *data,
                    size_t len,
                    struct job *job,
                    struct err *err);

/* Returns {"Job": {...}} indented by 4 as `job run -output` prints it. */
char *job_encode_json_wrapped(const struct job *job);

#endif
