/*
 * libFuzzer: any bytes as a header line from a checked server. A status
 * line gives a reason that fits its buffer and holds no control bytes;
 * anything else leaves the buffer untouched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[16];
    char *copy;

    memset(out, 'x', sizeof(out));
    if (check_http_reason((const char *)data, size, out, sizeof(out))) {
        size_t n = strnlen(out, sizeof(out));

        if (n == sizeof(out))
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
                abort();
    } else if (out[0] != 'x') {
        abort();
    }
    copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';
    check_output_sanitize(copy);
    for (size_t i = 0; copy[i]; i++)
        if ((unsigned char)copy[i] < 0x20)
            abort();
    free(copy);
    return 0;
}
