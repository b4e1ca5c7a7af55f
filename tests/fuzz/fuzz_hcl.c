/* libFuzzer: any bytes through the HCL parser and the jobspec decoder. */
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/hcl/hcl.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hcl_options opts = {0};
    struct err err = ERR_INIT;
    struct job *job = NULL;

    opts.max_depth = 32;
    if (jobspec_parse((const char *)data, size, "fuzz.hcl", &opts, &job,
                      &err) == 0) {
        job_canonicalize(job);
        (void)job_validate(job, &err);
        job_free(job);
    }
    return 0;
}
