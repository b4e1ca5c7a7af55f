/*
 * The test harness on top of Check.
 *
 * Every unit test binary holds one suite per module and runs each test in
 * a forked child with a timeout, so a crash or a hang fails one test and
 * not the suite. Results are printed as TAP for the automake driver.
 * Randomised tests take their seed from test_seed(): TEST_SEED=<n> replays
 * a run, and a failing run prints the seed it used.
 */
#ifndef CARAVAN_TESTS_HARNESS_TEST_H
#define CARAVAN_TESTS_HARNESS_TEST_H

#include <check.h>
#include <stdint.h>

/* The run's seed: $TEST_SEED when set, else fresh randomness. */
uint64_t test_seed(void);

/* A test case with the harness's default timeout (TEST_TIMEOUT, 30 s). */
TCase *test_tcase(const char *name);

/* Runs the suite, prints TAP to stdout, returns the process exit status. */
int test_run(Suite *suite);

/*
 * Makes a fresh directory under $TMPDIR for one test and returns its path
 * (heap string). test_rmtree() removes it again.
 */
char *test_tmpdir(void);
void test_rmtree(const char *path);

/* The directory holding test data (tests/data), from $TEST_DATA_DIR. */
const char *test_data_dir(void);

#define TEST_MAIN(suite_fn)          \
    int main(void)                   \
    {                                \
        return test_run(suite_fn()); \
    }

#endif
