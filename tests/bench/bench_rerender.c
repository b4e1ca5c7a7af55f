/*
 * A catalogue change reaching a consumer's template on a dev agent: a
 * service registration is deleted through the API and the time until the
 * consumer's file is replaced on disk (inotify sees the rename) is taken;
 * then the service's task is restarted, which registers it again, and the
 * time until the file shows it again is taken too (a service moving:
 * it includes the task's stop and start).
 */
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "tests/bench/bench_http.h"

#define SAMPLES 30

static json_t *get_json(const char *url)
{
    struct buf b = BUF_INIT;
    json_t *j = NULL;

    if (http("GET", url, NULL, &b) == 200)
        j = json_loadb(buf_str(&b), b.len, 0, NULL);
    buf_release(&b);
    return j;
}

/* The file's bytes ("" when missing), at most 255. */
static void read_file(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f != NULL) {
        n = fread(out, 1, size - 1, f);
        fclose(f);
    }
    out[n] = '\0';
}

/* Waits (bounded) until path holds want; returns ms since t0 or -1. */
static double wait_content(int ino, const char *path, const char *want,
                           double t0, double limit_ms)
{
    char got[256], evbuf[4096];

    for (;;) {
        struct pollfd p = {ino, POLLIN, 0};

        read_file(path, got, sizeof(got));
        if (strcmp(got, want) == 0)
            return now_ms() - t0;
        if (now_ms() - t0 > limit_ms)
            return -1;
        if (poll(&p, 1, 100) > 0 && read(ino, evbuf, sizeof(evbuf)) < 0)
            return -1;
    }
}

static const char *job_service =
    "{\"Job\":{\"ID\":\"svc\",\"Type\":\"service\",\"TaskGroups\":[{"
    "\"Name\":\"g\",\"Networks\":[{\"ReservedPorts\":[{\"Label\":\"db\","
    "\"Value\":%d}]}],\"Services\":[{\"Name\":\"bench-svc\",\"PortLabel\":"
    "\"db\",\"Provider\":\"nomad\"}],\"Tasks\":[{\"Name\":\"t\",\"Driver\":"
    "\"raw_exec\",\"Config\":{\"command\":\"/bin/sleep\",\"args\":["
    "\"600\"]},\"Resources\":{\"CPU\":10,\"MemoryMB\":10}}]}]}}";

static const char *job_consumer =
    "{\"Job\":{\"ID\":\"use\",\"Type\":\"service\",\"TaskGroups\":[{"
    "\"Name\":\"g\",\"Tasks\":[{\"Name\":\"t\",\"Driver\":\"raw_exec\","
    "\"Templates\":[{\"EmbeddedTmpl\":\"{{ range nomadService "
    "\\\"bench-svc\\\" }}{{ .Port }}{{ end }}\",\"DestPath\":"
    "\"local/port.txt\",\"ChangeMode\":\"noop\"}],\"Config\":{\"command\":"
    "\"/bin/sleep\",\"args\":[\"600\"]},\"Resources\":{\"CPU\":10,"
    "\"MemoryMB\":10}}]}]}}";

int main(void)
{
    const char *top = getenv("TOP_BUILDDIR");
    char bin[4096], base[64], url[512], port_s[16], body[2048], dir[] =
        "/tmp/caravan-bench-rerender-XXXXXX";
    char path[PATH_MAX] = "", local[PATH_MAX] = "", want[32], svc_alloc[64] = "",
                                                    svc_id[256] = "";
    double t0, del[SAMPLES], back[SAMPLES];
    int port = free_port(), svc_port = free_port(), n = 0, ino, rc = 1;
    json_t *j;
    pid_t pid;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(bin, sizeof(bin), "%s/caravan", top ? top : ".");
    snprintf(port_s, sizeof(port_s), "%d", port);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execl(bin, "caravan", "agent", "-dev", "-http-port", port_s,
              "-data-dir", dir, "-log-level", "error", (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof(url), "%s/v1/nodes", base);
    t0 = now_ms();
    while (now_ms() - t0 < 10000) {
        j = get_json(url);
        const char *st =
            json_string_value(json_object_get(json_array_get(j, 0), "Status"));

        if (st != NULL && strcmp(st, "ready") == 0) {
            json_decref(j);
            break;
        }
        json_decref(j);
        usleep(20000);
    }
    snprintf(url, sizeof(url), "%s/v1/jobs", base);
    snprintf(body, sizeof(body), job_service, svc_port);
    {
        struct buf b = BUF_INIT;

        if (http("PUT", url, body, &b) != 200 ||
            http("PUT", url, job_consumer, &b) != 200) {
            fprintf(stderr, "bench_rerender: job registration failed\n");
            buf_release(&b);
            goto out;
        }
        buf_release(&b);
    }
    /* The consumer's alloc dir, once it runs. */
    snprintf(url, sizeof(url), "%s/v1/job/use/allocations", base);
    t0 = now_ms();
    while (now_ms() - t0 < 20000 && path[0] != '/') {
        j = get_json(url);
        if (j && json_array_size(j) > 0)
            snprintf(local, sizeof(local), "%s/alloc/%s/t/local", dir,
                     json_string_value(
                         json_object_get(json_array_get(j, 0), "ID")));
        json_decref(j);
        snprintf(path, sizeof(path), "%s/port.txt", local);
        if (access(path, R_OK) != 0)
            path[0] = '\0';
        else
            break;
        usleep(20000);
    }
    if (path[0] != '/') {
        fprintf(stderr, "bench_rerender: the consumer never rendered\n");
        goto out;
    }
    ino = inotify_init1(IN_NONBLOCK);
    inotify_add_watch(ino, local, IN_MOVED_TO | IN_CLOSE_WRITE);
    snprintf(want, sizeof(want), "%d", svc_port);
    if (wait_content(ino, path, want, now_ms(), 20000) < 0) {
        fprintf(stderr, "bench_rerender: the service never showed\n");
        goto out;
    }
    for (n = 0; n < SAMPLES; n++) {
        struct buf b = BUF_INIT;

        snprintf(url, sizeof(url), "%s/v1/service/bench-svc", base);
        j = get_json(url);
        if (j == NULL || json_array_size(j) != 1) {
            json_decref(j);
            break;
        }
        snprintf(svc_id, sizeof(svc_id), "%s",
                 json_string_value(json_object_get(json_array_get(j, 0), "ID")));
        snprintf(svc_alloc, sizeof(svc_alloc), "%s",
                 json_string_value(
                     json_object_get(json_array_get(j, 0), "AllocID")));
        json_decref(j);
        snprintf(url, sizeof(url), "%s/v1/service/bench-svc/%s", base, svc_id);
        t0 = now_ms();
        if (http("DELETE", url, NULL, &b) != 200) {
            fprintf(stderr, "bench_rerender: DELETE %s: %s\n", url,
                    buf_str(&b));
            buf_release(&b);
            break;
        }
        del[n] = wait_content(ino, path, "", t0, 5000);
        snprintf(url, sizeof(url), "%s/v1/client/allocation/%s/restart", base,
                 svc_alloc);
        t0 = now_ms();
        http("POST", url, "{}", &b);
        buf_release(&b);
        back[n] = wait_content(ino, path, want, t0, 10000);
        if (del[n] < 0 || back[n] < 0) {
            fprintf(stderr, "bench_rerender: the file did not follow (%s)\n",
                    del[n] < 0 ? "delete" : "restart");
            break;
        }
    }
    close(ino);
    if (n < SAMPLES) {
        fprintf(stderr, "bench_rerender: sample %d did not complete\n", n);
        goto out;
    }
    qsort(del, SAMPLES, sizeof(double), cmp_double);
    qsort(back, SAMPLES, sizeof(double), cmp_double);
    printf("catalogue change -> re-rendered file on disk (a registration "
           "deleted): median %.2f ms, p90 %.2f ms, %d samples "
           "(target median < 20 ms)\n",
           del[SAMPLES / 2], del[SAMPLES * 9 / 10], SAMPLES);
    printf("service task restarted -> consumer's file shows it again "
           "(task stop + start + render): median %.1f ms, p90 %.1f ms "
           "(target < 100 ms)\n",
           back[SAMPLES / 2], back[SAMPLES * 9 / 10]);
    rc = 0;
out:
    kill(pid, SIGINT);
    waitpid(pid, NULL, 0);
    {
        char cmd[PATH_MAX + 16];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_rerender: could not remove %s\n", dir);
    }
    return rc;
}
