/* Check runner with TAP output, seeds, temporary directories. */
#define _XOPEN_SOURCE 700
#include "tests/harness/test.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"

static uint64_t seed;
static int seed_ready;

uint64_t test_seed(void)
{
    if (!seed_ready) {
        const char *env = getenv("TEST_SEED");
        struct timespec ts;

        if (env != NULL && *env != '\0') {
            seed = strtoull(env, NULL, 0);
        } else {
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                   ((uint64_t)getpid() << 40);
        }
        seed_ready = 1;
    }
    return seed;
}

TCase *test_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    const char *env = getenv("TEST_TIMEOUT");

    tcase_set_timeout(tc, env ? atof(env) : 30.0);
    return tc;
}

int test_run(Suite *suite)
{
    SRunner *sr = srunner_create(suite);
    int failed;

    /* Fix the seed in the parent so every forked test sees the same one. */
    printf("# TEST_SEED=%" PRIu64 "\n", test_seed());
    fflush(stdout);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (failed > 0)
        printf("# %d test(s) failed; replay with TEST_SEED=%" PRIu64 "\n",
               failed, test_seed());
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

char *test_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *path = xasprintf("%s/caravan-test-XXXXXX", base ? base : "/tmp");

    if (mkdtemp(path) == NULL) {
        fprintf(stderr, "mkdtemp %s: %s\n", path, strerror(errno));
        abort();
    }
    return path;
}

static int rm_entry(const char *path,
                    const struct stat *sb,
                    int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void test_rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *test_data_dir(void)
{
    const char *dir = getenv("TEST_DATA_DIR");

    return dir ? dir : "tests/data";
}
