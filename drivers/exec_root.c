/* The exec driver's root filesystem; see exec_root.h. */
#include "drivers/exec_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/err.h"

/* Nomad's default chroot_env, minus /run/resolvconf. */
static const char *const host_dirs[] = {
    "/bin", "/etc", "/lib", "/lib32", "/lib64", "/sbin", "/usr",
};

#define HOST_DIRS_LEN (sizeof(host_dirs) / sizeof(host_dirs[0]))

static const char *const dev_files[] = {
    "null", "zero", "full", "random", "urandom", "tty",
};

#define DEV_FILES_LEN (sizeof(dev_files) / sizeof(dev_files[0]))

enum mnt_kind {
    MNT_BIND_RO,
    MNT_BIND_RW,
    MNT_TMPFS,
    MNT_PROC,
    MNT_MKFILE,
    MNT_MKDIR,
    MNT_SYMLINK,
};

struct mnt_op
{
    enum mnt_kind kind;
    char *src;        /* bind source, symlink target; may be NULL */
    char *dst;        /* absolute host path under the task dir */
    const char *data; /* tmpfs options */
};

struct exec_root
{
    char *root;
    struct mnt_op *ops;
    size_t len, cap;
    char step_buf[PATH_MAX + 64]; /* exec_root_step_name() result */
};

enum {
    STEP_PRIVATE = -1,
    STEP_SELF_BIND = -2,
    STEP_PIVOT = -3,
};

/* ------------------------------------------------------------ planning */

static void add_op(struct exec_root *r,
                   enum mnt_kind kind,
                   const char *src,
                   const char *rel,
                   const char *data)
{
    struct mnt_op *op;

    XGROW(r->ops, r->cap, r->len + 1);
    op = &r->ops[r->len++];
    op->kind = kind;
    op->src = src ? xstrdup(src) : NULL;
    op->dst = xasprintf("%s%s", r->root, rel);
    op->data = data;
}

static int make_dir(const char *root, const char *rel, struct err *err)
{
    char *p = xasprintf("%s%s", root, rel);
    int rc = 0;

    if (mkdir(p, 0755) == -1 && errno != EEXIST)
        rc = err_set(err, -errno, "mkdir %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

/* Mirrors a host symlink such as /bin -> usr/bin inside the root. */
static int copy_symlink(const char *root, const char *dir, struct err *err)
{
    char target[PATH_MAX], *p;
    ssize_t n = readlink(dir, target, sizeof(target) - 1);
    int rc = 0;

    if (n == -1)
        return err_set(err, -errno, "readlink %s: %s", dir, strerror(errno));
    target[n] = '\0';
    p = xasprintf("%s%s", root, dir);
    if (symlink(target, p) == -1 && errno != EEXIST)
        rc = err_set(err, -errno, "symlink %s: %s", p, strerror(errno));
    free(p);
    return rc;
}

static int plan_host_dirs(struct exec_root *r, struct err *err)
{
    struct stat st;
    int rc;

    for (size_t i = 0; i < HOST_DIRS_LEN; i++) {
        if (lstat(host_dirs[i], &st) == -1)
            continue;
        if (S_ISLNK(st.st_mode)) {
            rc = copy_symlink(r->root, host_dirs[i], err);
        } else if (S_ISDIR(st.st_mode)) {
            rc = make_dir(r->root, host_dirs[i], err);
            if (rc == 0)
                add_op(r, MNT_BIND_RO, host_dirs[i], host_dirs[i], NULL);
        } else {
            rc = 0;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void plan_dev(struct exec_root *r)
{
    char rel[64];

    add_op(r, MNT_TMPFS, NULL, "/dev", "mode=755,size=64k");
    for (size_t i = 0; i < DEV_FILES_LEN; i++) {
        struct stat st;
        char host[64];

        snprintf(rel, sizeof(rel), "/dev/%s", dev_files[i]);
        snprintf(host, sizeof(host), "/dev/%s", dev_files[i]);
        /* Hosts that are containers themselves may lack some (tty). */
        if (stat(host, &st) == -1 || !S_ISCHR(st.st_mode))
            continue;
        add_op(r, MNT_MKFILE, NULL, rel, NULL);
        add_op(r, MNT_BIND_RW, host, rel, NULL);
    }
    add_op(r, MNT_SYMLINK, "/proc/self/fd", "/dev/fd", NULL);
    add_op(r, MNT_SYMLINK, "/proc/self/fd/0", "/dev/stdin", NULL);
    add_op(r, MNT_SYMLINK, "/proc/self/fd/1", "/dev/stdout", NULL);
    add_op(r, MNT_SYMLINK, "/proc/self/fd/2", "/dev/stderr", NULL);
    add_op(r, MNT_MKDIR, NULL, "/dev/shm", NULL);
    add_op(r, MNT_TMPFS, NULL, "/dev/shm", "mode=1777,size=64m");
}

int exec_root_plan(const char *task_dir,
                   const char *alloc_dir,
                   struct exec_root **out,
                   struct err *err)
{
    struct exec_root *r = xcalloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    r->root = xstrdup(task_dir);
    rc = plan_host_dirs(r, err);
    if (rc == 0 && alloc_dir != NULL) {
        rc = make_dir(r->root, "/alloc", err);
        if (rc == 0)
            add_op(r, MNT_BIND_RW, alloc_dir, "/alloc", NULL);
    }
    if (rc == 0)
        rc = make_dir(r->root, "/proc", err);
    if (rc == 0) {
        add_op(r, MNT_PROC, NULL, "/proc", NULL);
        rc = make_dir(r->root, "/dev", err);
    }
    if (rc != 0) {
        exec_root_free(r);
        return rc;
    }
    plan_dev(r);
    *out = r;
    return 0;
}

void exec_root_free(struct exec_root *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->len; i++) {
        free(r->ops[i].src);
        free(r->ops[i].dst);
    }
    free(r->ops);
    free(r->root);
    free(r);
}

bool exec_root_is_host_path(const char *path)
{
    for (size_t i = 0; i < HOST_DIRS_LEN; i++) {
        size_t n = strlen(host_dirs[i]);

        if (strncmp(path, host_dirs[i], n) == 0 && path[n] == '/')
            return true;
    }
    return false;
}

const char *exec_root_step_name(void *arg, int step)
{
    struct exec_root *r = arg;

    switch (step) {
    case STEP_PRIVATE:
        return "making mounts private";
    case STEP_SELF_BIND:
        snprintf(r->step_buf, sizeof(r->step_buf), "binding %s", r->root);
        return r->step_buf;
    case STEP_PIVOT:
        snprintf(r->step_buf, sizeof(r->step_buf), "pivot_root to %s", r->root);
        return r->step_buf;
    default:
        break;
    }
    if (step < 0 || (size_t)step >= r->len)
        return "mount";
    snprintf(r->step_buf, sizeof(r->step_buf), "mounting %s", r->ops[step].dst);
    return r->step_buf;
}

/* ------------------------------------------------------------ the child */

static int run_op(const struct mnt_op *op)
{
    const unsigned long ro = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID;
    int fd;

    switch (op->kind) {
    case MNT_BIND_RO:
        if (mount(op->src, op->dst, NULL, MS_BIND | MS_REC, NULL) == -1)
            return -errno;
        /* A bind inherits the source's flags; read-only needs a remount. */
        return mount(NULL, op->dst, NULL, ro, NULL) == -1 ? -errno : 0;
    case MNT_BIND_RW:
        return mount(op->src, op->dst, NULL, MS_BIND | MS_REC, NULL) == -1
                   ? -errno
                   : 0;
    case MNT_TMPFS:
        return mount("tmpfs", op->dst, "tmpfs", MS_NOSUID, op->data) == -1
                   ? -errno
                   : 0;
    case MNT_PROC:
        return mount("proc", op->dst, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     NULL) == -1
                   ? -errno
                   : 0;
    case MNT_MKFILE:
        fd = open(op->dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd == -1)
            return -errno;
        close(fd);
        return 0;
    case MNT_MKDIR:
        return mkdir(op->dst, 0755) == -1 && errno != EEXIST ? -errno : 0;
    case MNT_SYMLINK:
        return symlink(op->src, op->dst) == -1 && errno != EEXIST ? -errno : 0;
    }
    return -EINVAL;
}

int exec_root_child_setup(void *arg, int *step)
{
    const struct exec_root *r = arg;
    int rc;

    /* Before anything is mounted: a shared "/" would carry every bind
     * below back into the host's namespace. */
    *step = STEP_PRIVATE;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
        return -errno;
    /* pivot_root wants the new root to be a mount point. */
    *step = STEP_SELF_BIND;
    if (mount(r->root, r->root, NULL, MS_BIND | MS_REC, NULL) == -1)
        return -errno;
    for (size_t i = 0; i < r->len; i++) {
        *step = (int)i;
        rc = run_op(&r->ops[i]);
        if (rc != 0)
            return rc;
    }
    /* pivot_root(".", ".") stacks the old root on the new one; detaching
     * it leaves the task nothing of the host but what was bound. */
    *step = STEP_PIVOT;
    if (chdir(r->root) == -1 || syscall(SYS_pivot_root, ".", ".") == -1 ||
        umount2(".", MNT_DETACH) == -1 || chdir("/") == -1)
        return -errno;
    return 0;
}
