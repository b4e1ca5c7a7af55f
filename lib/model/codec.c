/* JSON and msgpack entry points of the model (codec_json.h, codec_mp.h). */
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "lib/err.h"
#include "lib/json.h"
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
    const char *key;
    size_t klen;
    bool wrapped = false;
    struct jr r;
    int rc = 0;

    /* Either a bare job or {"Job": {...}}: read the outer object as a job,
     * and if it turns out to hold a "Job" object, that is the job. */
    jr_init(&r, data, len, err);
    if (jr_peek(&r) != JR_OBJECT) {
        rc = jr_peek(&r) == JR_INVALID
                 ? jr_syntax(&r, "expected a JSON object")
                 : err_set(err, ERR_INVALID, "Job: expected an object");
        goto out;
    }
    if (jr_obj_begin(&r) != 0) {
        rc = err->code;
        goto out;
    }
    for (;;) {
        char name[64];

        if (jr_obj_next(&r, &key, &klen) != 0) {
            rc = ERR_MALFORMED;
            goto out;
        }
        if (key == NULL)
            break;
        if (klen == 3 && memcmp(key, "Job", 3) == 0 &&
            jr_peek(&r) == JR_OBJECT && !wrapped) {
            wrapped = true;
            job_release(job);
            rc = schema_read_json(&schema_job, &r, job, "Job");
        } else if (wrapped || klen >= sizeof(name)) {
            rc = jr_skip(&r);
        } else {
            /* One field of a bare job: decode it as a one-key object. */
            rc = schema_read_json_field(&schema_job, &r, job, key, klen,
                                        "Job");
        }
        if (rc != 0)
            goto out;
    }
    rc = jr_end(&r);
out:
    jr_release(&r);
    return rc;
}

char *job_encode_json_wrapped(const struct job *job)
{
    struct buf b = BUF_INIT;
    struct jw w;

    jw_init(&w, &b, 4);
    jw_obj_begin(&w);
    jw_key(&w, "Job");
    schema_write_json(&schema_job, job, &w);
    jw_obj_end(&w);
    return buf_detach(&b);
}
