/*
 * The logmon helper and how the client starts it (see logmon.h).
 *
 *   agent ──clone──► intermediate ──clone──► logmon (setsid, exec self)
 *     │                   └── _exit(0) at once
 *     └── reaps the intermediate: logmon is then nobody's child but
 *         init's, so the agent has no zombie to collect and may die.
 */
#include "agent/client/logmon.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/logfile.h"

#define LOGMON_BUF_BYTES 65536

/* ------------------------------------------------------------ the helper */

struct logmon
{
    const char *dir, *base;
    uint32_t max_files;
    uint64_t max_bytes;
    uint32_t index; /* the file being written */
    uint64_t size;  /* its size */
    int fd;
};

static int open_index(struct logmon *m)
{
    char path[PATH_MAX];
    off_t end;

    snprintf(path, sizeof(path), "%s/%s.%u", m->dir, m->base, m->index);
    m->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (m->fd == -1) {
        fprintf(stderr, "logmon: open %s: %s\n", path, strerror(errno));
        return -1;
    }
    end = lseek(m->fd, 0, SEEK_END);
    m->size = end > 0 ? (uint64_t)end : 0;
    return 0;
}

/* Deletes what is older than the newest max_files files. */
static void prune(struct logmon *m)
{
    uint32_t first, last, keep = logfile_keep_from(m->index, m->max_files);
    char path[PATH_MAX];

    if (logfile_range(m->dir, m->base, &first, &last) != 0)
        return;
    for (uint32_t i = first; i < keep; i++) {
        snprintf(path, sizeof(path), "%s/%s.%u", m->dir, m->base, i);
        if (unlink(path) == -1 && errno != ENOENT)
            fprintf(stderr, "logmon: unlink %s: %s\n", path, strerror(errno));
    }
}

static int rotate(struct logmon *m)
{
    close(m->fd);
    m->index++;
    if (open_index(m) != 0)
        return -1;
    prune(m);
    return 0;
}

static int write_all(struct logmon *m, const char *p, size_t len)
{
    while (len > 0) {
        uint64_t room = logfile_room(m->size, len, m->max_bytes);
        ssize_t n;

        if (room == 0) {
            if (rotate(m) != 0)
                return -1;
            continue;
        }
        n = write(m->fd, p, (size_t)room);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1) {
            fprintf(stderr, "logmon: write: %s\n", strerror(errno));
            return -1;
        }
        m->size += (uint64_t)n;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || s[0] == '-' || s[0] == '\0' || v == 0 ||
        v > max)
        return -1;
    *out = v;
    return 0;
}

int logmon_main(int argc, char **argv)
{
    struct logmon m = {0};
    uint64_t files, bytes;
    uint32_t first, last;
    char *buf;
    ssize_t n;
    int rc = 0;

    if (argc != 4 || parse_u64(argv[2], INT32_MAX, &files) != 0 ||
        parse_u64(argv[3], UINT64_MAX / 2, &bytes) != 0) {
        fprintf(stderr,
                "usage: caravan logmon <dir> <base> <max_files> "
                "<max_file_size_bytes>\n");
        return 1;
    }
    m.dir = argv[0];
    m.base = argv[1];
    m.max_files = (uint32_t)files;
    m.max_bytes = bytes;
    /* A restarted task goes on in the newest file, as Nomad's logmon. */
    if (logfile_range(m.dir, m.base, &first, &last) == 0)
        m.index = last;
    if (open_index(&m) != 0)
        return 1;
    prune(&m);
    buf = xmalloc(LOGMON_BUF_BYTES);
    for (;;) {
        n = read(0, buf, LOGMON_BUF_BYTES);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (write_all(&m, buf, (size_t)n) != 0) {
            rc = 1;
            break;
        }
    }
    free(buf);
    close(m.fd);
    return rc;
}

/* ------------------------------------------------------------ spawning */

static pid_t raw_fork(void)
{
    return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
}

/*
 * Runs in a clone of the agent: async-signal-safe calls only (another
 * thread may have held a lock when it was made).
 */
static _Noreturn void grandchild(int read_fd, const char *exe, char **argv)
{
    sigset_t none;
    int null_fd;

    if (raw_fork() != 0)
        _exit(0); /* the intermediate; the grandchild goes on */
    setsid();
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    null_fd = open("/dev/null", O_RDWR);
    if (dup2(read_fd, 0) == -1 || null_fd == -1 || dup2(null_fd, 1) == -1)
        _exit(127);
    if (close_range(3, ~0U, 0) == -1) {
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    }
    execv(exe, argv);
    _exit(127);
}

int logmon_spawn(const struct logmon_opts *o, int *write_fd, struct err *err)
{
    char exe[PATH_MAX], files[16], bytes[32];
    char *argv[7];
    sigset_t all, old;
    ssize_t len;
    int fds[2], status, rc = 0;
    pid_t pid;

    *write_fd = -1;
    len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len == -1)
        return err_set(err, -errno, "finding the caravan binary: %s",
                       strerror(errno));
    exe[len] = '\0';
    if (pipe2(fds, O_CLOEXEC) == -1)
        return err_set(err, -errno, "pipe: %s", strerror(errno));
    snprintf(files, sizeof(files), "%u", o->max_files);
    snprintf(bytes, sizeof(bytes), "%llu",
             (unsigned long long)o->max_file_size_bytes);
    argv[0] = exe;
    argv[1] = (char *)"logmon";
    argv[2] = (char *)o->dir;
    argv[3] = (char *)o->base;
    argv[4] = files;
    argv[5] = bytes;
    argv[6] = NULL;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pid = raw_fork();
    if (pid == 0)
        grandchild(fds[0], exe, argv);
    rc = pid == -1 ? -errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(fds[0]);
    if (pid == -1) {
        close(fds[1]);
        return err_set(err, rc, "fork: %s", strerror(-rc));
    }
    while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
    }
    *write_fd = fds[1];
    return 0;
}
