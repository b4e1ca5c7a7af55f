/*
 * The dev agent as a user meets it: start to HTTP ready, idle memory, and
 * `job run` to a running raw_exec task (/bin/sleep), measured against the
 * caravan binary of the build tree ($TOP_BUILDDIR/caravan).
 */
#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "tests/bench/bench_http.h"

/* Resident kB of pid from smaps_rollup: field "Rss" or "Anonymous". */
static long rss_kb(pid_t pid, const char *field)
{
    char path[64], line[256], name[64];
    long kb = -1, v;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%63[^:]: %ld kB", name, &v) == 2 &&
            strcmp(name, field) == 0) {
            kb = v;
            break;
        }
    }
    fclose(f);
    return kb;
}

struct reg_thread
{
    const char *base;
    int first, n, failed;
};

/* One client registering its share of jobs on one keep-alive connection. */
static void *register_jobs(void *arg)
{
    struct reg_thread *t = arg;
    CURL *c = curl_easy_init();
    char url[256], body[1024];
    struct buf sink = BUF_INIT;

    snprintf(url, sizeof(url), "%s/v1/jobs", t->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    for (int i = t->first; i < t->first + t->n; i++) {
        long status = 0;

        snprintf(body, sizeof(body),
                 "{\"Job\":{\"ID\":\"reg%d\",\"Type\":\"batch\","
                 "\"Datacenters\":[\"nowhere\"],\"TaskGroups\":[{\"Name\":"
                 "\"g\",\"Tasks\":[{\"Name\":\"t\",\"Driver\":"
                 "\"raw_exec\",\"Config\":{\"command\":\"/bin/true\"}}]}]}}",
                 i);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        buf_reset(&sink);
        if (curl_easy_perform(c) != CURLE_OK ||
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) !=
                CURLE_OK ||
            status != 200)
            t->failed++;
    }
    buf_release(&sink);
    curl_easy_cleanup(c);
    return NULL;
}

/* 10,000 registrations from 16 concurrent clients; all must read back. */
static int bench_registrations(const char *base)
{
    enum { CLIENTS = 16, JOBS = 10000 };
    struct reg_thread t[CLIENTS];
    pthread_t th[CLIENTS];
    struct buf b = BUF_INIT;
    char url[256];
    double t0, dt;
    int failed = 0, found = 0;
    const char *p;

    t0 = now_ms();
    for (int i = 0; i < CLIENTS; i++) {
        t[i] = (struct reg_thread){base, i * (JOBS / CLIENTS), JOBS / CLIENTS,
                                   0};
        pthread_create(&th[i], NULL, register_jobs, &t[i]);
    }
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(th[i], NULL);
        failed += t[i].failed;
    }
    dt = now_ms() - t0;
    snprintf(url, sizeof(url), "%s/v1/jobs?prefix=reg", base);
    http("GET", url, NULL, &b);
    for (p = buf_str(&b); (p = strstr(p, "\"ID\":\"reg")) != NULL; p++)
        found++;
    buf_release(&b);
    printf("%d job registrations over HTTP by %d clients: %.0f/s, %d failed, "
           "%d readable (target >= 5000/s, all readable)\n",
           JOBS, CLIENTS, JOBS / (dt / 1000.0), failed, found);
    return failed == 0 && found == JOBS ? 0 : 1;
}

int main(void)
{
    const char *top = getenv("TOP_BUILDDIR");
    char bin[4096], base[64], url[256], port_s[16];
    double t0, ready = -1, runs[20];
    int port = free_port(), nruns = 0;
    pid_t pid;

    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(bin, sizeof(bin), "%s/caravan", top ? top : ".");
    snprintf(port_s, sizeof(port_s), "%d", port);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    t0 = now_ms();
    pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(bin, "caravan", "agent", "-dev", "-http-port", port_s,
              "-log-level", "error", (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof(url), "%s/v1/status/leader", base);
    while (now_ms() - t0 < 10000) {
        struct buf b = BUF_INIT;
        long st = http("GET", url, NULL, &b);

        buf_release(&b);
        if (st == 200) {
            ready = now_ms() - t0;
            break;
        }
    }
    if (ready < 0) {
        fprintf(stderr, "bench_agent: the agent at %s never answered\n", bin);
        kill(pid, SIGKILL);
        return 1;
    }
    printf("agent -dev start to HTTP ready: %.1f ms (target < 50 ms)\n",
           ready);
    {
        struct timespec settle = {1, 0}; /* let the client register */

        nanosleep(&settle, NULL);
    }
    printf(
        "agent -dev idle RSS: %.1f MB, %.1f MB of it anonymous "
        "(target < 10 MB)\n",
        (double)rss_kb(pid, "Rss") / 1024.0,
        (double)rss_kb(pid, "Anonymous") / 1024.0);

    for (int i = 0; i < 20; i++) {
        char body[1024], jurl[256];
        struct buf b = BUF_INIT;
        double start;
        bool running = false;

        snprintf(body, sizeof(body),
                 "{\"Job\":{\"ID\":\"sleep%d\",\"Type\":\"batch\","
                 "\"TaskGroups\":[{\"Name\":\"g\",\"Tasks\":[{\"Name\":\"t\","
                 "\"Driver\":\"raw_exec\",\"Config\":{\"command\":"
                 "\"/bin/sleep\",\"args\":[\"30\"]},\"Resources\":{\"CPU\":"
                 "10,\"MemoryMB\":10}}]}]}}",
                 i);
        snprintf(url, sizeof(url), "%s/v1/jobs", base);
        start = now_ms();
        if (http("PUT", url, body, &b) != 200) {
            fprintf(stderr, "bench_agent: register failed: %s\n",
                    buf_str(&b));
            break;
        }
        buf_release(&b);
        snprintf(jurl, sizeof(jurl), "%s/v1/job/sleep%d/allocations", base,
                 i);
        while (!running && now_ms() - start < 10000) {
            struct buf a = BUF_INIT;

            if (http("GET", jurl, NULL, &a) == 200 &&
                strstr(buf_str(&a), "\"ClientStatus\":\"running\""))
                running = true;
            buf_release(&a);
        }
        if (!running)
            break;
        runs[nruns++] = now_ms() - start;
    }
    if (nruns > 0) {
        qsort(runs, (size_t)nruns, sizeof(runs[0]), cmp_double);
        printf("job run -> task running (raw_exec /bin/sleep), median of "
               "%d: %.1f ms (target < 30 ms)\n",
               nruns, runs[nruns / 2]);
    }
    {
        int reg = bench_registrations(base);

        kill(pid, SIGINT);
        waitpid(pid, NULL, 0);
        curl_global_cleanup();
        return nruns == 20 && reg == 0 ? 0 : 1;
    }
}
