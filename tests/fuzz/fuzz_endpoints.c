/*
 * libFuzzer: any bytes as the body of each client RPC a server reads
 * (node id, allocs query, alloc list); nothing crashes or leaks, and
 * decoded alloc lists encode back to a list of the same length.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "agent/server/endpoints.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct alloc **allocs, **again;
    struct buf b = BUF_INIT;
    char id[128];
    uint64_t index, wait;
    size_t n, n2;

    endpoints_decode_node_id(data, size, id, sizeof(id), &err);
    endpoints_decode_allocs_query(data, size, id, sizeof(id), &index, &wait,
                                  &err);
    if (alloc_list_decode_mp(data, size, &allocs, &n, &err) == 0) {
        alloc_list_encode_mp(allocs, n, &b);
        if (alloc_list_decode_mp(b.data, b.len, &again, &n2, &err) != 0 ||
            n2 != n)
            abort();
        alloc_list_free(again, n2);
        alloc_list_free(allocs, n);
    }
    buf_release(&b);
    return 0;
}
