/*
 * Command-line flags parsed the way Go's flag package (and so Nomad's CLI)
 * parses them: `-name=value`, `-name value`, `--name`, booleans as `-name`
 * or `-name=false`, parsing stops at the first argument that is not a flag
 * or after `--`. Repeatable string flags (`-var k=v -var x=y`) collect into
 * a list.
 */
#ifndef CARAVAN_AGENT_CLI_FLAGS_H
#define CARAVAN_AGENT_CLI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;

enum flag_type {
    FLAG_BOOL,    /* dest: bool * */
    FLAG_STRING,  /* dest: const char ** (points into argv) */
    FLAG_STRLIST, /* dest: struct flag_list *, repeatable */
    FLAG_INT,     /* dest: int64_t * */
};

struct flag_list
{
    const char **items; /* point into argv; the array is heap-owned */
    size_t n;
};

struct flag
{
    const char *name; /* without the dash */
    enum flag_type type;
    void *dest;
    const char *usage; /* one line for help; NULL hides the flag */
};

/*
 * Parses argv[0..argc) against flags (n entries). On success *first_arg is
 * the index of the first positional argument. Fails with ERR_INVALID and
 * Go's messages: "flag provided but not defined: -x", "flag needs an
 * argument: -var", "invalid boolean value \"y\" for -detach". Returns
 * FLAGS_HELP (positive) when -h, -help or --help is among the flags.
 */
#define FLAGS_HELP 1

int flags_parse(const struct flag *flags,
                size_t n,
                int argc,
                char **argv,
                int *first_arg,
                struct err *err);

void flag_list_release(struct flag_list *l);

#endif
