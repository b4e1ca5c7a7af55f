/* libFuzzer: any bytes as "<base>\0<file name>" for logfile_index(). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/logfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 2), *name, *again;
    uint32_t idx;
    size_t blen;

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    s[size + 1] = '\0';
    blen = strlen(s);
    name = s + blen + 1; /* "" when there is no NUL: s[size + 1] */
    if (logfile_index(name, s, &idx)) {
        /* An accepted name is exactly what the writer would make. */
        again = malloc(blen + 16);
        if (again == NULL)
            abort();
        snprintf(again, blen + 16, "%s.%u", s, idx);
        if (strcmp(again, name) != 0)
            abort();
        free(again);
    }
    free(s);
    return 0;
}
