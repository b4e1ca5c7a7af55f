/*
 * Replays a fuzz target's seed corpus (and every crash found so far, kept
 * in the corpus) as part of `make check`, with the normal sanitizer build:
 * the fuzzers themselves need clang and run under `make fuzz`.
 * Usage: replay_<name> reads $TOP_SRCDIR/tests/fuzz/corpus/<name>/ and the
 * folders of FUZZ_SEED_DIRS (test data that doubles as seeds).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_SEED_DIRS
#define FUZZ_SEED_DIRS ""
#endif

/* Runs every file of dir through the target; returns how many or -1. */
static int replay_dir(const char *dir, int count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);

    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        struct buf b = BUF_INIT;
        struct err err = ERR_INIT;
        char *path;

        if (names[i]->d_name[0] == '.') {
            free(names[i]);
            continue;
        }
        path = xasprintf("%s/%s", dir, names[i]->d_name);
        if (buf_read_file(&b, path, &err) != 0) {
            printf("not ok %d - %s: %s\n", ++count, path, err.msg);
        } else {
            /* A crash or sanitizer report ends the process: the test fails. */
            LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
            printf("ok %d - %s %s\n", ++count, FUZZ_NAME, path);
        }
        buf_release(&b);
        free(path);
        free(names[i]);
    }
    free(names);
    return count;
}

int main(void)
{
    const char *top = getenv("TOP_SRCDIR");
    char *dirs = xasprintf("tests/fuzz/corpus/%s:%s", FUZZ_NAME,
                           FUZZ_SEED_DIRS);
    int count = 0, failed = 0;

    for (char *d = strtok(dirs, ":"); d != NULL; d = strtok(NULL, ":")) {
        char *dir = xasprintf("%s/%s", top ? top : ".", d);
        int c = replay_dir(dir, count);

        if (c < 0) {
            printf("not ok %d - seed folder %s is missing\n", ++count, dir);
            failed = 1;
        } else {
            count = c;
        }
        free(dir);
    }
    free(dirs);
    printf("1..%d\n", count);
    return failed || count == 0;
}
