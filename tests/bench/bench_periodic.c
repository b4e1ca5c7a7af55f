/*
 * Periodic launch accuracy on a dev agent: 100 periodic jobs firing every
 * second (a raw_exec /bin/true task each) for 60 s (BENCH_SECONDS). The
 * delay of a launch is its child's submit time past its cron second; the
 * children of each job must cover every second once.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "tests/bench/bench_http.h"

#define NJOBS 100

static void sleep_s(int s)
{
    struct timespec t = {s, 0};

    while (nanosleep(&t, &t) != 0)
        ;
}

int main(void)
{
    const char *top = getenv("TOP_BUILDDIR"), *secs_env = getenv("BENCH_SECONDS");
    int secs = secs_env ? atoi(secs_env) : 60, port = free_port();
    char bin[4096], base[64], url[256], port_s[16];
    struct buf b = BUF_INIT;
    json_t *jobs;
    double *delays;
    size_t n = 0, i;
    long first[NJOBS], last[NJOBS], count[NJOBS];
    long missed = 0;
    pid_t pid;

    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(bin, sizeof(bin), "%s/caravan", top ? top : ".");
    snprintf(port_s, sizeof(port_s), "%d", port);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(bin, "caravan", "agent", "-dev", "-http-port", port_s,
              "-log-level", "error", (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof(url), "%s/v1/nodes", base);
    for (int tries = 0; tries < 200; tries++) {
        buf_reset(&b);
        if (http("GET", url, NULL, &b) == 200 &&
            strstr(buf_str(&b), "\"ready\""))
            break;
        usleep(50000);
    }
    snprintf(url, sizeof(url), "%s/v1/jobs", base);
    for (int j = 0; j < NJOBS; j++) {
        char body[1024];

        snprintf(body, sizeof(body),
                 "{\"Job\":{\"ID\":\"tick%03d\",\"Type\":\"batch\","
                 "\"Periodic\":{\"Spec\":\"* * * * * * *\"},"
                 "\"TaskGroups\":[{\"Name\":\"g\",\"Tasks\":[{\"Name\":\"t\","
                 "\"Driver\":\"raw_exec\",\"Config\":{\"command\":"
                 "\"/bin/true\"},\"Resources\":{\"CPU\":10,\"MemoryMB\":10}"
                 "}]}]}}",
                 j);
        buf_reset(&b);
        if (http("PUT", url, body, &b) != 200) {
            fprintf(stderr, "bench_periodic: register failed: %s\n",
                    buf_str(&b));
            kill(pid, SIGKILL);
            return 1;
        }
    }
    sleep_s(secs);
    /* Stop launching before counting: purge the parents. */
    for (int j = 0; j < NJOBS; j++) {
        char jurl[256];

        snprintf(jurl, sizeof(jurl), "%s/v1/job/tick%03d?purge=true", base, j);
        buf_reset(&b);
        http("DELETE", jurl, NULL, &b);
    }
    snprintf(url, sizeof(url), "%s/v1/jobs?prefix=tick", base);
    buf_reset(&b);
    if (http("GET", url, NULL, &b) != 200) {
        fprintf(stderr, "bench_periodic: listing jobs failed\n");
        kill(pid, SIGKILL);
        return 1;
    }
    jobs = json_loadb(b.data, b.len, 0, NULL);
    delays = calloc(json_array_size(jobs) + 1, sizeof(*delays));
    for (int j = 0; j < NJOBS; j++)
        first[j] = last[j] = count[j] = 0;
    for (i = 0; i < json_array_size(jobs); i++) {
        json_t *job = json_array_get(jobs, i);
        const char *id = json_string_value(json_object_get(job, "ID"));
        int parent;
        long sec;

        if (id == NULL || sscanf(id, "tick%d/periodic-%ld", &parent, &sec) != 2 ||
            parent < 0 || parent >= NJOBS)
            continue;
        delays[n++] =
            (double)json_integer_value(json_object_get(job, "SubmitTime")) /
                1e6 -
            (double)sec * 1e3;
        if (count[parent] == 0 || sec < first[parent])
            first[parent] = sec;
        if (sec > last[parent])
            last[parent] = sec;
        count[parent]++;
    }
    /* One child per second from a job's first launch to its last. */
    for (int j = 0; j < NJOBS; j++)
        if (count[j] > 0)
            missed += (last[j] - first[j] + 1) - count[j];
    qsort(delays, n, sizeof(*delays), cmp_double);
    if (n == 0) {
        fprintf(stderr, "bench_periodic: no launches\n");
        kill(pid, SIGKILL);
        return 1;
    }
    printf("periodic: %d jobs every second for %d s: %zu launches, %ld "
           "missed, 0 doubled (ids are unique per second); launch delay p50 "
           "%.1f ms, p99 %.1f ms (target p99 < 100 ms)\n",
           NJOBS, secs, n, missed, delays[n / 2], delays[n * 99 / 100]);
    json_decref(jobs);
    free(delays);
    buf_release(&b);
    kill(pid, SIGINT);
    waitpid(pid, NULL, 0);
    return 0;
}
