/* JSON and msgpack entry points of the model (codec_json.h, codec_mp.h). */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_json.h"
#include "lib/model/codec_mp.h"
#include "lib/model/deployment.h"
#include "lib/model/eval.h"
#include "lib/model/job.h"
#include "lib/model/node.h"
#include "lib/model/schema.h"

#define CODECS(prefix, type, sch, path)                                    \
    json_t *prefix##_to_json(const type *x)                                \
    {                                                                      \
        return schema_to_json(&(sch), x);                                  \
    }                                                                      \
    int prefix##_from_json(const json_t *obj, type *x, struct err *err)    \
    {                                                                      \
        return schema_from_json(&(sch), obj, x, path, err);                \
    }                                                                      \
    void prefix##_encode_mp(const type *x, struct buf *out)                \
    {                                                                      \
        schema_encode_mp(&(sch), x, out);                                  \
    }                                                                      \
    int prefix##_decode_mp(const void *data, size_t len, type *x,          \
                           struct err *err)                                \
    {                                                                      \
        return schema_decode_mp(&(sch), data, len, x, err);                \
    }

CODECS(job, struct job, schema_job, "Job")
CODECS(node, struct node, schema_node, "Node")
CODECS(alloc, struct alloc, schema_alloc, "Allocation")
CODECS(eval, struct eval, schema_eval, "Evaluation")
CODECS(deployment, struct deployment, schema_deployment, "Deployment")

int job_decode_json(const char *data,
                    size_t len,
                    struct job *job,
                    struct err *err)
{
    json_error_t jerr;
    json_t *root, *inner;
    int rc;

    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return err_set(err, ERR_MALFORMED, "%d:%d: %s", jerr.line,
                       jerr.column, jerr.text);
    inner = json_object_get(root, "Job");
    if (inner != NULL && json_is_object(inner))
        rc = job_from_json(inner, job, err);
    else
        rc = job_from_json(root, job, err);
    json_decref(root);
    return rc;
}

char *job_encode_json_wrapped(const struct job *job)
{
    json_t *root = json_object();
    char *text;

    json_object_set_new(root, "Job", job_to_json(job));
    text = json_dumps(root, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return text;
}
