/*
 * libFuzzer: any bytes as an RPC stream; frames that decode encode back to
 * the same message, and no length is trusted before it is checked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "mesh/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;

    while (off < size) {
        struct rpc_msg m, again;
        struct err err = ERR_INIT;
        struct buf b = BUF_INIT;
        size_t used = 0, used2 = 0;
        int rc = rpc_decode(data + off, size - off, 1 << 20, &m, &used, &err);

        if (rc <= 0)
            break;
        rpc_encode(&b, &m);
        if (rpc_decode(b.data, b.len, 1 << 20, &again, &used2, &err) != 1 ||
            used2 != b.len || again.kind != m.kind || again.seq != m.seq ||
            again.rc != m.rc || strcmp(again.method, m.method) != 0 ||
            again.body_len != m.body_len ||
            (m.body_len && memcmp(again.body, m.body, m.body_len) != 0))
            abort();
        rpc_msg_release(&again);
        rpc_msg_release(&m);
        buf_release(&b);
        off += used;
    }
    return 0;
}
