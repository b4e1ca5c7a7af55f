/* libFuzzer: any bytes as a Go time.Time in JSON (RFC 3339). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/assert.h"
#include "lib/time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t ns, back;
    char text[40];

    if (time_parse_rfc3339((const char *)data, size, &ns) != 0)
        return 0;
    /* Whatever parses formats, and reads back to the same instant. */
    time_format_rfc3339_nano(ns, text, sizeof(text));
    BUG_ON(time_parse_rfc3339(text, strlen(text), &back) != 0);
    BUG_ON(back != ns);
    return 0;
}
