/*
 * Replays a fuzz target's seed corpus (and every crash found so far, kept
 * in the corpus) as part of `make check`, with the normal sanitizer build:
 * the fuzzers themselves need clang and run under `make fuzz`.
 * Usage: replay_<name> reads $TOP_SRCDIR/tests/fuzz/corpus/<name>/.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(void)
{
    const char *top = getenv("TOP_SRCDIR");
    struct dirent **names;
    char *dir;
    int n, count = 0;

    dir = xasprintf("%s/tests/fuzz/corpus/%s", top ? top : ".", FUZZ_NAME);
    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        printf("not ok 1 - corpus %s is missing\n1..1\n", dir);
        free(dir);
        return 1;
    }
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
            printf("ok %d - %s %s\n", ++count, FUZZ_NAME, names[i]->d_name);
        }
        buf_release(&b);
        free(path);
        free(names[i]);
    }
    free(names);
    free(dir);
    printf("1..%d\n", count);
    return count > 0 ? 0 : 1;
}
