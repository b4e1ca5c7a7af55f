/* libFuzzer: any bytes as a job submitted over the HTTP API (or planned). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"
#include "lib/model/job_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct job *job = job_new();

    if (job_decode_json((const char *)data, size, job, &err) == 0) {
        struct job *raw = job_copy(job);
        json_t *diff;
        char *text;

        job_canonicalize(job);
        /* What `job plan` shows of it: new, and against its defaults. */
        diff = job_diff(NULL, raw);
        job_diff_annotate(diff, NULL);
        json_decref(diff);
        diff = job_diff(raw, job);
        job_diff_annotate(diff, NULL);
        json_decref(diff);
        job_free(raw);
        (void)job_validate(job, &err);
        text = job_encode_json_wrapped(job);
        free(text);
    }
    job_free(job);
    return 0;
}
