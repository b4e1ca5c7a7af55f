/*
 * libFuzzer: any bytes as a TZif file (time_zone of periodic jobs reads
 * them from the system); what parses must answer offsets within bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/err.h"
#include "lib/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t probes[] = {-5000000000LL, 0, 1711846800,
                                     1729990800, 4102444800LL};
    struct err err = ERR_INIT;
    struct tz *z;

    if (tz_parse("fuzz", data, size, &z, &err) != 0)
        return 0;
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        int32_t off = tz_offset_at(z, probes[i]);
        int64_t u;

        if (off <= -90000 || off >= 93600)
            abort();
        tz_wall_to_utc(z, probes[i], &u);
    }
    tz_free(z);
    return 0;
}
