/* Go-style flag parsing for the CLI. */
#include "agent/cli/flags.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"

static const struct flag *find_flag(const struct flag *flags,
                                    size_t n,
                                    const char *name,
                                    size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(flags[i].name) == len &&
            strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    }
    return NULL;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};

    for (size_t i = 0; i < 6; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int set_value(const struct flag *f, const char *value, struct err *err)
{
    switch (f->type) {
    case FLAG_BOOL:
        if (parse_bool(value, f->dest) != 0)
            return err_set(err, ERR_INVALID,
                           "invalid boolean value \"%s\" for -%s: parse error",
                           value, f->name);
        return 0;
    case FLAG_STRING:
        *(const char **)f->dest = value;
        return 0;
    case FLAG_STRLIST: {
        struct flag_list *l = f->dest;

        l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
        l->items[l->n++] = value;
        return 0;
    }
    case FLAG_INT: {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(value, &end, 0);
        if (errno != 0 || *value == '\0' || *end != '\0')
            return err_set(err, ERR_INVALID,
                           "invalid value \"%s\" for flag -%s: parse error",
                           value, f->name);
        *(int64_t *)f->dest = v;
        return 0;
    }
    default:
        return err_set(err, ERR_INVALID, "bad flag type");
    }
}

int flags_parse(const struct flag *flags,
                size_t n,
                int argc,
                char **argv,
                int *first_arg,
                struct err *err)
{
    int i = 0;

    while (i < argc) {
        const char *arg = argv[i];
        const char *name, *eq;
        const struct flag *f;
        size_t len;
        int rc;

        if (arg[0] != '-' || arg[1] == '\0')
            break;
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        name = arg + 1;
        if (*name == '-')
            name++;
        if (*name == '\0' || *name == '-' || *name == '=')
            return err_set(err, ERR_INVALID, "bad flag syntax: %s", arg);
        if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0)
            return FLAGS_HELP;
        eq = strchr(name, '=');
        len = eq ? (size_t)(eq - name) : strlen(name);
        f = find_flag(flags, n, name, len);
        if (f == NULL)
            return err_set(err, ERR_INVALID,
                           "flag provided but not defined: -%.*s", (int)len,
                           name);
        i++;
        if (eq != NULL) {
            rc = set_value(f, eq + 1, err);
        } else if (f->type == FLAG_BOOL) {
            rc = set_value(f, "true", err);
        } else {
            if (i >= argc)
                return err_set(err, ERR_INVALID, "flag needs an argument: -%s",
                               f->name);
            rc = set_value(f, argv[i++], err);
        }
        if (rc != 0)
            return rc;
    }
    *first_arg = i;
    return 0;
}

void flag_list_release(struct flag_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}
