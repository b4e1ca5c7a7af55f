/*
 * Codec throughput on a realistic canonicalized job (the tutorial's web
 * job): JSON as the HTTP API sees it, msgpack as the Raft log and the
 * state store see it. Each figure is a full round trip (encode + decode).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/codec_json.h"
#include "lib/model/codec_mp.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"

/* CPU time of this thread: the figure is per core, whatever else runs. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *top = getenv("TOP_SRCDIR");
    char path[4096];
    struct err err = ERR_INIT;
    struct job *job = NULL;
    struct buf b = BUF_INIT;
    double t0, dt, enc, dec;
    size_t size = 0;
    int n;

    snprintf(path, sizeof(path), "%s",
             argc > 1 ? argv[1] : "examples/getting-started/pytechco-web.nomad.hcl");
    if (argc == 1 && top != NULL)
        snprintf(path, sizeof(path),
                 "%s/examples/getting-started/pytechco-web.nomad.hcl", top);
    if (jobspec_parse_file(path, NULL, &job, &err) != 0) {
        fprintf(stderr, "bench_codec: %s\n", err.msg);
        return 1;
    }
    job_canonicalize(job);

    n = 20000;
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        struct job *back = job_new();
        char *text = job_encode_json_wrapped(job);

        if (job_decode_json(text, strlen(text), back, &err) != 0)
            return 1;
        size = strlen(text);
        free(text);
        job_free(back);
    }
    dt = now_s() - t0;
    printf("job JSON round trip (%zu bytes): %.0f jobs/s (target >= 20000 "
           "jobs/s)\n",
           size, n / dt);

    n = 200000;
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        buf_reset(&b);
        job_encode_mp(job, &b);
    }
    enc = now_s() - t0;
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        struct job back;

        job_init(&back);
        if (job_decode_mp(b.data, b.len, &back, &err) != 0)
            return 1;
        job_release(&back);
    }
    dec = now_s() - t0;
    printf("job msgpack encode (%zu bytes): %.0f jobs/s, decode: %.0f jobs/s\n",
           b.len, n / enc, n / dec);
    printf("job msgpack round trip: %.0f jobs/s (target >= 200000 jobs/s)\n",
           n / (enc + dec));
    buf_release(&b);
    job_free(job);
    return 0;
}
