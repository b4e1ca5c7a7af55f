/* libFuzzer: any bytes as a duration string ("1h30m"). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    char *s = malloc(size + 1);
    int64_t ns;

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (duration_parse(s, &ns, &err) == 0) {
        char text[64];
        int64_t again;

        /* What we print must parse back to the same value. */
        duration_format(ns, text, sizeof(text));
        if (duration_parse(text, &again, &err) != 0 || again != ns)
            abort();
    }
    free(s);
    return 0;
}
