/*
 * The exec driver's view of the filesystem: the task dir becomes the
 * task's "/", as Nomad's chroot does, holding
 *
 *   /bin /etc /lib /lib32 /lib64 /sbin /usr   read-only binds of the host's
 *                                              (symlinks, as /bin -> usr/bin
 *                                              on merged-/usr hosts, copied)
 *   /alloc                                     bind of the shared alloc dir
 *   /local /secrets /tmp                       the task dir's own subdirs
 *   /proc                                      a procfs of the task's pid ns
 *   /dev                                       tmpfs with null, zero, full,
 *                                              random, urandom, tty, shm
 *
 * Planning happens in the agent (mount points and symlinks are made in the
 * task dir, as Nomad leaves them there too); the mounts happen in the
 * child, inside its new mount namespace, which is made private first so
 * nothing propagates back to the host. pivot_root then makes the task dir
 * the root and detaches the host's.
 */
#ifndef CARAVAN_DRIVERS_EXEC_ROOT_H
#define CARAVAN_DRIVERS_EXEC_ROOT_H

#include <stdbool.h>

struct err;
struct exec_root;

/*
 * Prepares task_dir to become a root and plans the mounts. alloc_dir (may
 * be NULL) is bound at /alloc. The result is freed with exec_root_free()
 * after the child has exec'd.
 */
int exec_root_plan(const char *task_dir,
                   const char *alloc_dir,
                   struct exec_root **out,
                   struct err *err);
void exec_root_free(struct exec_root *r);

/*
 * True when path (absolute, as the task sees it) lies in a directory bound
 * from the host, so that the host's copy tells whether it exists.
 */
bool exec_root_is_host_path(const char *path);

/* A proc_child_setup_cb: mounts, then pivot_root. Child side only. */
int exec_root_child_setup(void *arg, int *step);
/* A proc_child_step_name_cb for the steps of exec_root_child_setup(). */
const char *exec_root_step_name(void *arg, int step);

#endif
