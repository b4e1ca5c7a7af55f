/*
 * libFuzzer: any bytes as the keyring file. A file that parses encodes
 * back to one that parses to the same keys.
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
    struct seal_keyring *kr = NULL, *back = NULL;
    struct err err = ERR_INIT;
    struct buf b = BUF_INIT;

    if (seal_keyring_decode(data, size, &kr, &err) != 0) {
        if (kr != NULL)
            abort();
        return 0;
    }
    seal_keyring_encode(kr, &b);
    if (seal_keyring_decode(b.data, b.len, &back, &err) != 0 ||
        seal_keyring_count(back) != seal_keyring_count(kr))
        abort();
    for (size_t i = 0; i < seal_keyring_count(kr); i++) {
        if (memcmp(seal_keyring_key(kr, i)->bytes,
                   seal_keyring_key(back, i)->bytes, SEAL_KEY_BYTES) != 0)
            abort();
    }
    buf_release(&b);
    seal_keyring_free(back);
    seal_keyring_free(kr);
    return 0;
}
