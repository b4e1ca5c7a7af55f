/* libFuzzer: any bytes as a job submitted over the HTTP API. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct job *job = job_new();

    if (job_decode_json((const char *)data, size, job, &err) == 0) {
        char *text;

        job_canonicalize(job);
        (void)job_validate(job, &err);
        text = job_encode_json_wrapped(job);
        free(text);
    }
    job_free(job);
    return 0;
}
