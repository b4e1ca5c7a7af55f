/*
 * The keyring file in the data directory (seal.h): read at agent start,
 * rewritten atomically when an operator changes the keyring. Blocking
 * POSIX I/O on a file of a few hundred bytes; it happens at start and on
 * operator requests, never per packet.
 */
#include "mesh/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

/* Reads at most SEAL_FILE_MAX_BYTES + 1 bytes of fd into b. */
static int read_bounded(int fd,
                        struct buf *b,
                        const char *path,
                        struct err *err)
{
    for (;;) {
        ssize_t n;

        buf_reserve(b, 4096);
        n = read(fd, b->data + b->len, 4096);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return err_set(err, -errno, "read %s: %s", path, strerror(errno));
        if (n == 0)
            return 0;
        b->len += (size_t)n;
        b->data[b->len] = '\0';
        if (b->len > SEAL_FILE_MAX_BYTES)
            return err_set(err, ERR_TOO_BIG,
                           "%s: longer than the %d bytes a keyring file may "
                           "have",
                           path, SEAL_FILE_MAX_BYTES);
    }
}

int seal_keyring_load(const char *dir,
                      struct seal_keyring **out,
                      struct err *err)
{
    char *path = xasprintf("%s/%s", dir, SEAL_FILE_NAME);
    struct buf b = BUF_INIT;
    int fd, rc;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        rc = errno == ENOENT
                 ? err_set(err, ERR_NOT_FOUND, "%s: no keyring file", path)
                 : err_set(err, -errno, "open %s: %s", path, strerror(errno));
        goto out;
    }
    rc = read_bounded(fd, &b, path, err);
    close(fd);
    if (rc == 0) {
        rc = seal_keyring_decode(b.data ? b.data : "", b.len, out, err);
        if (rc != 0)
            err_wrap(err, "%s", path);
    }
out:
    if (b.data != NULL)
        sodium_memzero(b.data, b.cap);
    buf_release(&b);
    free(path);
    return rc;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Makes the rename durable: the directory entry is what changed. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd == -1)
        return -errno;
    if (fsync(fd) == -1)
        rc = -errno;
    close(fd);
    return rc;
}

int seal_keyring_save(const struct seal_keyring *kr,
                      const char *dir,
                      struct err *err)
{
    char *path = xasprintf("%s/%s", dir, SEAL_FILE_NAME);
    char *tmp =
        xasprintf("%s/.%s.tmp.%ld", dir, SEAL_FILE_NAME, (long)getpid());
    struct buf b = BUF_INIT;
    const char *what = "write";
    int fd, rc;

    seal_keyring_encode(kr, &b);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd == -1) {
        rc = -errno;
        what = "create";
        goto fail;
    }
    rc = write_all(fd, b.data, b.len);
    if (rc == 0 && fsync(fd) == -1) {
        rc = -errno;
        what = "fsync";
    }
    if (close(fd) == -1 && rc == 0)
        rc = -errno;
    if (rc != 0)
        goto fail;
    if (rename(tmp, path) == -1) {
        rc = -errno;
        what = "rename";
        goto fail;
    }
    rc = sync_dir(dir);
    if (rc != 0)
        err_set(err, rc, "fsync %s: %s", dir, strerror(-rc));
    goto out;
fail:
    err_set(err, rc, "%s %s: %s", what, tmp, strerror(-rc));
    unlink(tmp);
out:
    sodium_memzero(b.data, b.cap);
    buf_release(&b);
    free(tmp);
    free(path);
    return rc;
}

int seal_keyring_open_dir(const char *dir,
                          const char *initial_b64,
                          struct seal_keyring **out,
                          bool *created,
                          struct err *err)
{
    struct seal_keyring *kr = NULL;
    int rc;

    *out = NULL;
    *created = false;
    /* A bad -encrypt is an error even when the file wins over it. */
    if (initial_b64 != NULL && initial_b64[0] != '\0') {
        struct seal_key k;

        rc = seal_key_decode(initial_b64, &k, err);
        sodium_memzero(&k, sizeof(k));
        if (rc != 0)
            return err_wrap(err, "encrypt");
    }
    rc = seal_keyring_load(dir, &kr, err);
    if (rc == 0) {
        *out = kr;
        return 0;
    }
    if (rc != ERR_NOT_FOUND)
        return rc;
    err_clear(err);
    kr = seal_keyring_new();
    if (initial_b64 != NULL && initial_b64[0] != '\0') {
        rc = seal_keyring_install_b64(kr, initial_b64, err);
        if (rc != 0) {
            seal_keyring_free(kr);
            return err_wrap(err, "encrypt");
        }
    }
    rc = seal_keyring_save(kr, dir, err);
    if (rc != 0) {
        seal_keyring_free(kr);
        return rc;
    }
    *created = true;
    *out = kr;
    return 0;
}
