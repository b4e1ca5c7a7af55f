/* The one place a BUG_ON lands: report and abort so a core file exists. */
#include "lib/assert.h"

#include <stdio.h>
#include <stdlib.h>

void assert__bug(const char *cond, const char *file, int line)
{
    fprintf(stderr, "caravan: BUG at %s:%d: %s\n", file, line, cond);
    abort();
}
