/*
 * The gossip mesh with real processes on 127.0.0.1, LAN profile, beside
 * Serf 0.9 agents (the memberlist Nomad uses) when Debian's serf package
 * can be fetched, same N, same machine:
 *
 *   - kill -9 of one member -> every other member reports it failed,
 *     N = 5, 20, 50;
 *   - one member joining -> every member lists it;
 *   - idle RSS, CPU and bytes sent per member (N = 5).
 *
 * Our members are this program re-run as `--member`: a mesh member (the
 * agent's mesh layer, mesh/mesh.h) and nothing else, writing "join",
 * "fail" and "bytes" lines with wall-clock times to its own file. Serf
 * agents write the same through an event handler script.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "lib/err.h"
#include "mesh/mesh.h"
#include "tests/bench/bench_http.h"

#define MAX_N 64

static int64_t wall_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------ member */

struct member_ctx
{
    FILE *out;
    struct mesh *m;
    uv_timer_t stats;
};

static void member_event(void *arg, const struct swim_event *ev)
{
    struct member_ctx *c = arg;

    if (ev->kind == SWIM_EVENT_JOIN)
        fprintf(c->out, "join %s %lld\n", ev->name, (long long)wall_ns());
    else if (ev->kind == SWIM_EVENT_FAIL)
        fprintf(c->out, "fail %s %lld\n", ev->name, (long long)wall_ns());
    fflush(c->out);
}

static void member_stats(uv_timer_t *t)
{
    struct member_ctx *c = t->data;

    fprintf(c->out, "bytes %llu %lld\n",
            (unsigned long long)swim_stats(mesh_swim(c->m))->bytes_out,
            (long long)wall_ns());
    fflush(c->out);
}

static int run_member(const char *name, int port, int join_port,
                      const char *file)
{
    uv_loop_t loop;
    struct mesh_config cfg;
    struct member_ctx c;
    struct err err = ERR_INIT;
    char join[64];
    const char *j = join;

    memset(&c, 0, sizeof(c));
    c.out = fopen(file, "a");
    if (c.out == NULL)
        return 1;
    uv_loop_init(&loop);
    memset(&cfg, 0, sizeof(cfg));
    cfg.name = name;
    cfg.bind_ip = "127.0.0.1";
    cfg.port = (uint16_t)port;
    swim_config_default(&cfg.swim, SWIM_PROFILE_LAN);
    cfg.on_event = member_event;
    cfg.arg = &c;
    if (mesh_start(&loop, &cfg, &c.m, &err) != 0) {
        fprintf(stderr, "bench_mesh: %s: %s\n", name, err.msg);
        return 1;
    }
    if (join_port > 0) {
        snprintf(join, sizeof(join), "127.0.0.1:%d", join_port);
        mesh_join(c.m, &j, 1);
    }
    uv_timer_init(&loop, &c.stats);
    c.stats.data = &c;
    uv_timer_start(&c.stats, member_stats, 1000, 1000);
    uv_run(&loop, UV_RUN_DEFAULT);
    return 0;
}

/* ------------------------------------------------------------ harness */

struct kind
{
    const char *label;
    bool serf;
    const char *bin; /* this program, or serf */
    char handler[PATH_MAX];
};

struct group
{
    int n;
    pid_t pid[MAX_N + 1];
    int port[MAX_N + 1];
    char file[MAX_N + 1][PATH_MAX];
};

static char dir[] = "/tmp/caravan-bench-mesh-XXXXXX";

static pid_t spawn(const struct kind *k, struct group *g, int i, int join_port)
{
    char name[32], port[16], jp[16], bind[64], rpc[64], join[64],
        ev[3 * PATH_MAX];
    pid_t pid;

    snprintf(name, sizeof(name), "m%d", i);
    snprintf(g->file[i], sizeof(g->file[i]), "%s/%s-%s.log", dir,
             k->serf ? "serf" : "ours", name);
    unlink(g->file[i]);
    g->port[i] = free_port();
    pid = fork();
    if (pid != 0) {
        g->pid[i] = pid;
        return pid;
    }
    if (freopen("/dev/null", "w", stdout) == NULL ||
        freopen("/dev/null", "w", stderr) == NULL)
        _exit(127);
    snprintf(port, sizeof(port), "%d", g->port[i]);
    snprintf(jp, sizeof(jp), "%d", join_port);
    if (!k->serf) {
        execl(k->bin, "bench_mesh", "--member", name, port, jp, g->file[i],
              (char *)NULL);
        _exit(127);
    }
    snprintf(bind, sizeof(bind), "-bind=127.0.0.1:%d", g->port[i]);
    snprintf(rpc, sizeof(rpc), "-rpc-addr=127.0.0.1:%d", free_port());
    snprintf(join, sizeof(join), "-join=127.0.0.1:%d", join_port);
    snprintf(ev, sizeof(ev), "-event-handler=member-join,member-failed=%s %s",
             k->handler, g->file[i]);
    if (join_port > 0)
        execl(k->bin, "serf", "agent", "-node", name, bind, rpc, ev, join,
              (char *)NULL);
    else
        execl(k->bin, "serf", "agent", "-node", name, bind, rpc, ev,
              (char *)NULL);
    _exit(127);
}

/* The time in file at which `what name` was written, or -1. */
static int64_t event_at(const char *file, const char *what, const char *name)
{
    FILE *f = fopen(file, "r");
    char w[32], n[64];
    long long t;
    int64_t at = -1;

    if (f == NULL)
        return -1;
    while (fscanf(f, "%31s %63s %lld", w, n, &t) == 3) {
        if (strcmp(w, what) == 0 && strcmp(n, name) == 0) {
            at = t;
            break;
        }
    }
    fclose(f);
    return at;
}

static int count_events(const char *file, const char *what)
{
    FILE *f = fopen(file, "r");
    char w[32], n[64];
    long long t;
    int c = 0;

    if (f == NULL)
        return 0;
    while (fscanf(f, "%31s %63s %lld", w, n, &t) == 3)
        c += strcmp(w, what) == 0;
    fclose(f);
    return c;
}

/*
 * The latest time any of members [0, n) wrote `what name`, waiting up to
 * limit_ms for all of them; -1 if one never did.
 */
static int64_t all_saw(const struct group *g, int n, const char *what,
                       const char *name, int limit_ms)
{
    int64_t deadline = wall_ns() + (int64_t)limit_ms * 1000000, last;

    for (;;) {
        bool all = true;

        last = 0;
        for (int i = 0; i < n && all; i++) {
            int64_t t = event_at(g->file[i], what, name);

            all = t >= 0;
            if (t > last)
                last = t;
        }
        if (all)
            return last;
        if (wall_ns() > deadline)
            return -1;
        usleep(20000);
    }
}

static void stop_all(struct group *g, int n)
{
    for (int i = 0; i < n; i++) {
        if (g->pid[i] > 0) {
            kill(g->pid[i], SIGKILL);
            waitpid(g->pid[i], NULL, 0);
            g->pid[i] = 0;
        }
    }
}

/* Starts n members, all joining member 0; waits until each lists all. */
static bool form(const struct kind *k, struct group *g, int n)
{
    int64_t deadline;

    g->n = n;
    spawn(k, g, 0, 0);
    usleep(200000);
    for (int i = 1; i < n; i++)
        spawn(k, g, i, g->port[0]);
    /* Serf's agents with their handler scripts start slowly on 2 cores. */
    deadline = wall_ns() + (k->serf ? 180LL : 60LL) * 1000000000;
    for (;;) {
        bool all = true;

        for (int i = 0; i < n && all; i++)
            all = count_events(g->file[i], "join") >= n - 1;
        if (all)
            return true;
        if (wall_ns() > deadline)
            return false;
        usleep(50000);
    }
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1, v;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Rss: %ld kB", &v) == 1)
            kb = v;
    fclose(f);
    return kb;
}

/* CPU time of pid in seconds, all its threads, to the nanosecond. */
static double cpu_s(pid_t pid)
{
    char path[384];
    unsigned long long sum = 0;

    for (;;) {
        DIR *d;
        struct dirent *e;

        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        d = opendir(path);
        if (d == NULL)
            return -1;
        while ((e = readdir(d)) != NULL) {
            unsigned long long ns;
            FILE *f;

            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat",
                     (int)pid, e->d_name);
            f = fopen(path, "r");
            if (f == NULL)
                continue;
            if (fscanf(f, "%llu", &ns) == 1)
                sum += ns;
            fclose(f);
        }
        closedir(d);
        break;
    }
    return (double)sum / 1e9;
}

static unsigned long long last_bytes(const char *file)
{
    FILE *f = fopen(file, "r");
    char w[32], n[64];
    long long t;
    unsigned long long b = 0;

    if (f == NULL)
        return 0;
    while (fscanf(f, "%31s %63s %lld", w, n, &t) == 3)
        if (strcmp(w, "bytes") == 0)
            b = strtoull(n, NULL, 10);
    fclose(f);
    return b;
}

struct result
{
    double detect_s[3], join_s[3];
    double rss_mb, cpu_ms_s, bytes_s;
    bool ok;
};

static const int sizes[3] = {5, 20, 50};

static void measure(const struct kind *k, struct result *r)
{
    memset(r, 0, sizeof(*r));
    r->ok = true;
    for (int s = 0; s < 3; s++) {
        struct group g;
        int n = sizes[s];
        char name[32];
        int64_t t0, t;

        memset(&g, 0, sizeof(g));
        if (!form(k, &g, n)) {
            fprintf(stderr, "bench_mesh: %s: %d members never converged\n",
                    k->label, n);
            stop_all(&g, n);
            r->detect_s[s] = r->join_s[s] = -1;
            if (s == 0)
                r->ok = false;
            continue;
        }
        if (s == 0) {
            double c0[MAX_N], c1[MAX_N];
            unsigned long long b0[MAX_N], b1[MAX_N];
            long rss = 0;

            sleep(2);
            for (int i = 0; i < n; i++) {
                c0[i] = cpu_s(g.pid[i]);
                b0[i] = last_bytes(g.file[i]);
            }
            sleep(10);
            for (int i = 0; i < n; i++) {
                c1[i] = cpu_s(g.pid[i]);
                b1[i] = last_bytes(g.file[i]);
                rss += rss_kb(g.pid[i]);
                r->cpu_ms_s += (c1[i] - c0[i]) * 1000.0 / 10.0 / n;
                r->bytes_s += (double)(b1[i] - b0[i]) / 10.0 / n;
            }
            r->rss_mb = (double)rss / 1024.0 / n;
        }
        /* One more member joins through member 0. */
        snprintf(name, sizeof(name), "m%d", n);
        t0 = wall_ns();
        spawn(k, &g, n, g.port[0]);
        t = all_saw(&g, n, "join", name, 30000);
        r->join_s[s] = t < 0 ? -1 : (double)(t - t0) / 1e9;
        /* It is killed; every other member must call it failed. */
        sleep(2);
        kill(g.pid[n], SIGKILL);
        t0 = wall_ns();
        waitpid(g.pid[n], NULL, 0);
        g.pid[n] = 0;
        t = all_saw(&g, n, "fail", name, 60000);
        r->detect_s[s] = t < 0 ? -1 : (double)(t - t0) / 1e9;
        stop_all(&g, n + 1);
    }
}

/* Debian's serf, unpacked into the bench dir (never installed). */
static bool fetch_serf(struct kind *k, char *bin, size_t size)
{
    char cmd[PATH_MAX * 2];
    FILE *h;

    if (access("/usr/bin/serf", X_OK) == 0) {
        snprintf(bin, size, "/usr/bin/serf");
    } else {
        snprintf(cmd, sizeof(cmd),
                 "cd %s && apt-get download serf >/dev/null 2>&1 && "
                 "dpkg -x serf_*.deb serf-root >/dev/null 2>&1",
                 dir);
        if (system(cmd) != 0)
            return false;
        snprintf(bin, size, "%s/serf-root/usr/bin/serf", dir);
        if (access(bin, X_OK) != 0)
            return false;
    }
    snprintf(k->handler, sizeof(k->handler), "%s/serf-handler.sh", dir);
    h = fopen(k->handler, "w");
    if (h == NULL)
        return false;
    fprintf(h, "#!/bin/sh\n"
               "case $SERF_EVENT in member-join) w=join ;; *) w=fail ;; esac\n"
               "while read -r n rest; do\n"
               "  echo \"$w $n $(date +%%s%%N)\" >>\"$1\"\n"
               "done\n");
    fclose(h);
    chmod(k->handler, 0755);
    k->bin = bin;
    return true;
}

static void fmt(char *out, size_t size, double v, const char *unit)
{
    if (v < 0)
        snprintf(out, size, "never");
    else
        snprintf(out, size, "%.2f %s", v, unit);
}

int main(int argc, char **argv)
{
    struct kind ours = {"caravan", false, NULL, ""}, serf = {"serf", true,
                                                            NULL, ""};
    struct result ro, rs = {{0}, {0}, 0, 0, 0, false};
    char self[PATH_MAX], serf_bin[PATH_MAX], cmd[PATH_MAX + 16];
    bool have_serf;
    ssize_t len;

    if (argc == 6 && strcmp(argv[1], "--member") == 0)
        return run_member(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len <= 0 || mkdtemp(dir) == NULL)
        return 1;
    self[len] = '\0';
    ours.bin = self;
    have_serf = fetch_serf(&serf, serf_bin, sizeof(serf_bin));
    measure(&ours, &ro);
    if (have_serf)
        measure(&serf, &rs);
    for (int s = 0; s < 3; s++) {
        char a[32], b[32], c[32], d[32];

        fmt(a, sizeof(a), ro.detect_s[s], "s");
        fmt(b, sizeof(b), have_serf && rs.ok ? rs.detect_s[s] : -1, "s");
        fmt(c, sizeof(c), ro.join_s[s], "s");
        fmt(d, sizeof(d), have_serf && rs.ok ? rs.join_s[s] : -1, "s");
        printf("mesh N=%d: kill -9 -> all report failed: caravan %s, serf %s "
               "(target <= half of serf's)\n",
               sizes[s], a, have_serf ? b : "n/a (not fetched)");
        printf("mesh N=%d: join -> all list it: caravan %s, serf %s "
               "(target <= serf's)\n",
               sizes[s], c, have_serf ? d : "n/a (not fetched)");
    }
    printf("mesh idle per member (N=5): RSS caravan %.1f MB, serf %.1f MB "
           "(target <= 3 MB)\n",
           ro.rss_mb, have_serf ? rs.rss_mb : -1.0);
    printf("mesh idle per member (N=5): CPU caravan %.2f ms/s, serf %.2f ms/s "
           "(target <= 1 ms/s)\n",
           ro.cpu_ms_s, have_serf ? rs.cpu_ms_s : -1.0);
    printf("mesh idle per member (N=5): sent caravan %.0f B/s, serf not "
           "measured here (target <= serf's, about 300 B/s)\n",
           ro.bytes_s);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_mesh: could not remove %s\n", dir);
    return ro.ok ? 0 : 1;
}
