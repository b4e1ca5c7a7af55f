/*
 * libFuzzer: any bytes as a msgpack job record (Raft log, RPC, LMDB). A
 * record that decodes must encode to one that decodes to an equal job.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/codec_mp.h"
#include "lib/model/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct job *job = job_new();

    if (job_decode_mp(data, size, job, &err) == 0) {
        struct buf b = BUF_INIT;
        struct job *again = job_new();

        job_encode_mp(job, &b);
        if (job_decode_mp(b.data, b.len, again, &err) != 0 ||
            !job_equal(job, again))
            abort();
        job_free(again);
        buf_release(&b);
    }
    job_free(job);
    return 0;
}
