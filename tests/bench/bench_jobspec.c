/*
 * Benchmark: HCL parse + conversion to a job of a generated 1 MB jobspec
 * (many groups, tasks, services, templates with heredocs). Target from
 * issue #2: at least 100 MB/s on a 2-core machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/model/jobspec.h"

/* CPU time of this thread: the figure is per core, whatever else runs. */
static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gen_task(struct buf *b, int g, int t)
{
    buf_printf(b,
               "    task \"task-%d-%d\" {\n"
               "      driver = \"raw_exec\"\n"
               "      config {\n"
               "        command = \"/usr/bin/python3\"\n"
               "        args    = [\"-m\", \"http.server\", "
               "\"${NOMAD_PORT_http}\", \"--bind\", \"${NOMAD_IP_http}\"]\n"
               "      }\n"
               "      env {\n"
               "        APP_ENV = \"prod\"\n"
               "        INDEX   = \"${NOMAD_ALLOC_INDEX}\"\n"
               "      }\n"
               "      template {\n"
               "        data        = <<EOH\n"
               "{{ range nomadService \"redis-svc\" }}\n"
               "REDIS_HOST={{ .Address }}\n"
               "REDIS_PORT={{ .Port }}\n"
               "{{ end }}\n"
               "EOH\n"
               "        destination = \"local/env-%d.txt\"\n"
               "        env         = true\n"
               "      }\n"
               "      resources {\n"
               "        cpu    = %d\n"
               "        memory = 64\n"
               "      }\n"
               "    }\n",
               g, t, t, 100 + t);
}

static void gen_jobspec(struct buf *b, size_t target_bytes)
{
    int g = 0;

    buf_puts(b, "# generated benchmark jobspec\n"
                "job \"bench\" {\n"
                "  datacenters = [\"dc1\"]\n"
                "  type        = \"service\"\n");
    while (b->len < target_bytes) {
        buf_printf(b,
                   "  group \"group-%d\" {\n"
                   "    count = 2\n"
                   "    network {\n"
                   "      port \"http\" {}\n"
                   "      port \"db\" { to = 6379 }\n"
                   "    }\n"
                   "    service {\n"
                   "      name     = \"svc-%d\"\n"
                   "      provider = \"nomad\"\n"
                   "      port     = \"http\"\n"
                   "      tags     = [\"v1\", \"public\"]\n"
                   "      check {\n"
                   "        type     = \"http\"\n"
                   "        path     = \"/health\"\n"
                   "        interval = \"10s\"\n"
                   "        timeout  = \"2s\"\n"
                   "      }\n"
                   "    }\n"
                   "    restart {\n"
                   "      attempts = 3\n"
                   "      delay    = \"10s\"\n"
                   "    }\n",
                   g, g);
        for (int t = 0; t < 4; t++)
            gen_task(b, g, t);
        buf_puts(b, "  }\n");
        g++;
    }
    buf_puts(b, "}\n");
}

int main(void)
{
    struct buf text = BUF_INIT;
    double start, elapsed;
    size_t total = 0;
    int iterations = 0;

    gen_jobspec(&text, 1u << 20);
    start = now_s();
    do {
        struct err err = ERR_INIT;
        struct job *job = NULL;

        if (jobspec_parse(text.data, text.len, "bench.nomad.hcl", NULL, &job,
                          &err) != 0) {
            fprintf(stderr, "bench_jobspec: %s\n", err.msg);
            return 1;
        }
        job_free(job);
        total += text.len;
        iterations++;
        elapsed = now_s() - start;
    } while (elapsed < 2.0 || iterations < 3);
    printf("jobspec parse+convert of a %.2f MB file: %.1f MB/s "
           "(target >= 100 MB/s)\n",
           (double)text.len / 1e6, (double)total / 1e6 / elapsed);
    buf_release(&text);
    return 0;
}
