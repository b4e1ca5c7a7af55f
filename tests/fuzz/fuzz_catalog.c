/*
 * libFuzzer: any bytes as a node's service record set (they come from
 * other agents over the mesh). A set that decodes must encode to the same
 * bytes' meaning (decode -> encode -> decode -> encode is stable) and
 * merge into a catalogue whose lookups stay consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/catalog.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct catalog_node_set set, again;
    struct err err = ERR_INIT;
    struct buf a = BUF_INIT, b = BUF_INIT;
    struct catalog *c;

    if (catalog_node_set_decode(data, size, &set, &err) != 0) {
        if (err.msg[0] == '\0')
            abort(); /* every failure says why */
        return 0;
    }
    catalog_node_set_encode(&set, &a);
    if (catalog_node_set_decode(a.data, a.len, &again, &err) != 0)
        abort();
    catalog_node_set_encode(&again, &b);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    c = catalog_new(1000);
    if (catalog_apply(c, &set, 0) != CATALOG_MERGE_APPLY ||
        catalog_apply(c, &again, 0) != CATALOG_MERGE_SAME)
        abort();
    for (size_t i = 0; i < set.n_services; i++) {
        const struct catalog_service **list;
        uint64_t idx;
        size_t n =
            catalog_lookup(c, set.services[i].namespace_,
                           set.services[i].service_name, NULL, &list, &idx);

        if (n == 0 || idx == 0)
            abort();
        n = catalog_choose(list, n, 1, "key");
        free(list);
    }
    catalog_free(c);
    catalog_node_set_release(&set);
    catalog_node_set_release(&again);
    buf_release(&a);
    buf_release(&b);
    return 0;
}
