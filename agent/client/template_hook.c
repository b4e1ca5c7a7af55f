/* Rendering a task's templates (template_hook.h). */
#include "agent/client/template_hook.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "discovery/template/template.h"
#include "discovery/template/value.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/job.h"
#include "lib/model/types.h"

struct source_ctx
{
    const struct strmap *env;
    const struct tmpl_source *svc;
};

static const char *env_lookup(void *ctx, const char *name)
{
    return strmap_get(((struct source_ctx *)ctx)->env, name);
}

static int service_lookup(void *ctx,
                          const struct tmpl_service_query *q,
                          struct tv **out,
                          struct err *err)
{
    struct source_ctx *s = ctx;

    if (s->svc != NULL && s->svc->service != NULL)
        return s->svc->service(s->svc->ctx, q, out, err);
    *out = tv_list_new(0);
    return 0;
}

static int services_lookup(void *ctx,
                           const char *region,
                           struct tv **out,
                           struct err *err)
{
    struct source_ctx *s = ctx;

    if (s->svc != NULL && s->svc->services != NULL)
        return s->svc->services(s->svc->ctx, region, out, err);
    *out = tv_list_new(0);
    return 0;
}

/* A relative path that cannot climb out: no "..", not absolute. */
static bool contained(const char *rel)
{
    const char *p = rel;

    if (rel == NULL || rel[0] == '\0' || rel[0] == '/')
        return false;
    while (*p) {
        if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
            return false;
        p = strchr(p, '/');
        if (p == NULL)
            break;
        p++;
    }
    return true;
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return 0;
}

/*
 * The real path of dest's directory, which must stay inside the alloc
 * dir even through symlinks a task could have planted.
 */
static int check_real_parent(const char *task_dir,
                             const char *dest,
                             struct err *err)
{
    char *alloc = xasprintf("%s/..", task_dir), *parent = xstrdup(dest);
    char ra[PATH_MAX], rp[PATH_MAX];
    char *slash = strrchr(parent, '/');
    int rc = 0;

    if (slash != NULL)
        *slash = '\0';
    if (realpath(alloc, ra) == NULL || realpath(parent, rp) == NULL)
        rc = err_set(err, ERR_IO, "template destination %s: %s", dest,
                     strerror(errno));
    else if (strncmp(rp, ra, strlen(ra)) != 0 ||
             (rp[strlen(ra)] != '/' && rp[strlen(ra)] != '\0'))
        rc = err_set(err, ERR_INVALID,
                     "template destination %s escapes the allocation "
                     "directory",
                     dest);
    free(alloc);
    free(parent);
    return rc;
}

static int write_atomic(const char *dest, const struct buf *b, mode_t mode,
                        struct err *err)
{
    char *tmp = xasprintf("%s.tmp.%ld", dest, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int rc = 0;

    if (f == NULL || fwrite(b->data ? b->data : "", 1, b->len, f) != b->len)
        rc = err_set(err, ERR_IO, "writing %s: %s", dest, strerror(errno));
    if (f != NULL && fclose(f) != 0 && rc == 0)
        rc = err_set(err, ERR_IO, "writing %s: %s", dest, strerror(errno));
    if (rc == 0 && chmod(tmp, mode) != 0)
        rc = err_set(err, ERR_IO, "chmod %s: %s", dest, strerror(errno));
    if (rc == 0 && rename(tmp, dest) != 0)
        rc = err_set(err, ERR_IO, "renaming into %s: %s", dest,
                     strerror(errno));
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int template_hook_render_one(const struct task_template *tt,
                             const char *task_dir,
                             const struct strmap *env,
                             const struct tmpl_source *svc,
                             struct buf *out,
                             struct tmpl_deps *deps,
                             struct err *err)
{
    struct source_ctx ctx = {env, svc};
    struct tmpl_source src = {&ctx, env_lookup, service_lookup,
                              services_lookup};
    struct tmpl_opts opts;
    struct tmpl *t = NULL;
    struct buf text = BUF_INIT;
    int rc;

    if (!contained(tt->dest_path))
        return err_set(err, ERR_INVALID,
                       "template destination \"%s\" must be a path inside "
                       "the task directory",
                       model_str(tt->dest_path));
    if (tt->embedded_tmpl != NULL && tt->embedded_tmpl[0] != '\0') {
        buf_puts(&text, tt->embedded_tmpl);
    } else if (tt->source_path != NULL && tt->source_path[0] != '\0') {
        char *path;

        if (!contained(tt->source_path))
            return err_set(err, ERR_INVALID,
                           "template source \"%s\" must be a path inside the "
                           "task directory",
                           tt->source_path);
        path = xasprintf("%s/%s", task_dir, tt->source_path);
        rc = buf_read_file(&text, path, err);
        free(path);
        if (rc != 0) {
            err_wrap(err, "template source %s", tt->source_path);
            buf_release(&text);
            return rc;
        }
    }
    memset(&opts, 0, sizeof(opts));
    opts.name = tt->dest_path;
    opts.left_delimiter = tt->left_delim;
    opts.right_delimiter = tt->right_delim;
    opts.error_on_missing_key = tri_is_true(tt->err_missing_key);
    rc = tmpl_parse(text.data ? text.data : "", text.len, &opts, &t, err);
    if (rc == 0)
        rc = tmpl_render(t, &src, NULL, out, deps, err);
    tmpl_free(t);
    buf_release(&text);
    return rc;
}

int template_hook_write(const struct task_template *tt,
                        const char *task_dir,
                        const struct buf *out,
                        struct err *err)
{
    char *dest = NULL, *end;
    long mode = 0644;
    int rc;

    if (!contained(tt->dest_path))
        return err_set(err, ERR_INVALID,
                       "template destination \"%s\" must be a path inside "
                       "the task directory",
                       model_str(tt->dest_path));
    if (tt->perms != NULL && tt->perms[0] != '\0') {
        mode = strtol(tt->perms, &end, 8);
        if (*end != '\0' || mode < 0 || mode > 07777)
            return err_set(err, ERR_INVALID, "template %s: invalid perms %s",
                           tt->dest_path, tt->perms);
    }
    dest = xasprintf("%s/%s", task_dir, tt->dest_path);
    if (mkdirs(dest) != 0) {
        rc = err_set(err, ERR_IO, "template destination %s: %s",
                     tt->dest_path, strerror(errno));
        goto out;
    }
    rc = check_real_parent(task_dir, dest, err);
    if (rc == 0)
        rc = write_atomic(dest, out, (mode_t)mode, err);
    if (rc == 0 && (tt->uid > 0 || tt->gid > 0) &&
        chown(dest, tt->uid > 0 ? (uid_t)tt->uid : (uid_t)-1,
              tt->gid > 0 ? (gid_t)tt->gid : (gid_t)-1) != 0)
        rc = err_set(err, ERR_IO, "chown %s: %s", tt->dest_path,
                     strerror(errno));
out:
    free(dest);
    return rc;
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

int template_hook_parse_env(const char *text,
                            size_t len,
                            struct strmap *env,
                            struct err *err)
{
    const char *p = text, *end = text + len;
    int lineno = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end, *k, *eq, *v, *ve;
        char *key, *val;

        lineno++;
        k = skip_space(p, line_end);
        p = nl ? nl + 1 : end;
        if (k == line_end || *k == '#' || *k == '\r')
            continue;
        if (memchr(k, '\0', (size_t)(line_end - k)) != NULL)
            return err_set(err, ERR_INVALID,
                           "env template line %d: a NUL byte", lineno);
        if ((size_t)(line_end - k) > 7 && strncmp(k, "export ", 7) == 0)
            k = skip_space(k + 7, line_end);
        eq = memchr(k, '=', (size_t)(line_end - k));
        if (eq == NULL)
            return err_set(err, ERR_INVALID,
                           "env template line %d: want KEY=VALUE", lineno);
        ve = line_end;
        while (ve > eq + 1 && (ve[-1] == ' ' || ve[-1] == '\t' ||
                               ve[-1] == '\r'))
            ve--;
        v = skip_space(eq + 1, ve);
        if (ve - v >= 2 && (*v == '"' || *v == '\'') && ve[-1] == *v) {
            v++;
            ve--;
        }
        {
            const char *ke = eq;

            while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
                ke--;
            if (ke == k)
                return err_set(err, ERR_INVALID,
                               "env template line %d: empty key", lineno);
            key = xstrndup(k, (size_t)(ke - k));
        }
        val = xstrndup(v, (size_t)(ve - v));
        strmap_set(env, key, val);
        free(key);
        free(val);
    }
    return 0;
}
