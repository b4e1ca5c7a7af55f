/*
 * libFuzzer: any bytes as a filter expression; what parses is matched
 * against a fixed list item, which must neither crash nor leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bexpr.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *doc;
    struct err err = ERR_INIT;
    struct bexpr *b;
    char *s;

    if (size > 1024)
        return 0;
    if (doc == NULL) {
        doc = json_loads(
            "{\"ID\":\"web\",\"Type\":\"service\",\"Priority\":50,"
            "\"Stop\":false,\"Datacenters\":[\"dc1\",\"dc2\"],"
            "\"Meta\":{\"team\":\"x\",\"key with space\":\"v\"},"
            "\"Ports\":[80,443],\"None\":null,\"Empty\":{}}",
            0, NULL);
        if (doc == NULL)
            abort();
    }
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (bexpr_parse(s, &b, &err) == 0) {
        (void)bexpr_match(b, doc);
        bexpr_free(b);
    } else if (b != NULL || err.msg[0] == '\0') {
        abort();
    }
    free(s);
    return 0;
}
