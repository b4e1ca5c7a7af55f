/*
 * libFuzzer: any bytes as a received packet or stream frame for a keyring
 * with keys. Nothing but what was sealed under an installed key opens; a
 * message that does open seals and opens back to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "mesh/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct seal_keyring *kr;
    struct buf out = BUF_INIT, again = BUF_INIT, back = BUF_INIT;
    struct err err = ERR_INIT;
    enum seal_context ctx;

    if (kr == NULL) {
        struct seal_key k;

        kr = seal_keyring_new();
        for (uint8_t v = 1; v <= 2; v++) {
            memset(k.bytes, v, sizeof(k.bytes));
            seal_keyring_install(kr, &k, NULL);
        }
    }
    if (size == 0)
        return 0;
    ctx = (data[0] & 1) ? SEAL_STREAM : SEAL_PACKET;
    if (seal_keyring_open(kr, ctx, data + 1, size - 1, &out, &err) == 0) {
        if (out.len + SEAL_OVERHEAD != size - 1)
            abort();
        seal_keyring_seal(kr, ctx, out.data, out.len, &again);
        if (seal_keyring_open(kr, ctx, again.data, again.len, &back, &err) !=
                0 ||
            back.len != out.len || memcmp(back.data, out.data, out.len) != 0)
            abort();
    } else if (out.len != 0) {
        abort();
    }
    buf_release(&out);
    buf_release(&again);
    buf_release(&back);
    return 0;
}
