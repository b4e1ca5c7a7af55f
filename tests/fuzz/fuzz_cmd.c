/*
 * libFuzzer: any bytes as a log command (the Raft log's entries). A
 * command that decodes must encode to bytes that decode again to the same
 * encoding. The codec is compiled in here, as the fuzz build links only
 * lib/ (see `make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/server/cmd.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct cmd c;

    if (cmd_decode(data, size, &c, &err) == 0) {
        struct buf b1 = BUF_INIT, b2 = BUF_INIT;
        struct cmd again;

        cmd_encode(&c, &b1);
        if (cmd_decode(b1.data, b1.len, &again, &err) != 0)
            abort();
        cmd_encode(&again, &b2);
        if (b1.len != b2.len || memcmp(b1.data, b2.data, b1.len) != 0)
            abort();
        cmd_release(&again);
        cmd_release(&c);
        buf_release(&b1);
        buf_release(&b2);
    }
    return 0;
}
