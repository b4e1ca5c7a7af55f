/*
 * Gossip sealing cost: seal and open of a full 1400-byte packet under a
 * keyring of 3 keys, when the primary opens it and when the sender still
 * uses the oldest key (mid-rotation, the worst case: two failed tries
 * first). Packets per second of one core.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "mesh/net.h"
#include "mesh/seal.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(struct seal_keyring *tx, struct seal_keyring *rx, size_t n)
{
    static char msg[NET_MAX_PACKET];
    struct buf wire = BUF_INIT, out = BUF_INIT;
    struct err err = ERR_INIT;
    double t0 = now_s();

    for (size_t i = 0; i < n; i++) {
        buf_reset(&wire);
        buf_reset(&out);
        msg[0] = (char)i;
        seal_keyring_seal(tx, SEAL_PACKET, msg, sizeof(msg), &wire);
        if (seal_keyring_open(rx, SEAL_PACKET, wire.data, wire.len, &out,
                              &err) != 0) {
            fprintf(stderr, "bench_seal: %s\n", err.msg);
            return 0;
        }
    }
    buf_release(&wire);
    buf_release(&out);
    return (double)n / (now_s() - t0);
}

int main(void)
{
    struct seal_keyring *rx = seal_keyring_new(), *tx = seal_keyring_new();
    struct seal_key k;
    const size_t n = 200000;
    double same, old;

    for (uint8_t v = 3; v >= 1; v--) {
        memset(k.bytes, v, sizeof(k.bytes));
        seal_keyring_install(rx, &k, NULL);
    }
    /* rx: primary 3, then 2, then 1. */
    memset(k.bytes, 3, sizeof(k.bytes));
    seal_keyring_install(tx, &k, NULL);
    same = run(tx, rx, n);
    seal_keyring_free(tx);
    tx = seal_keyring_new();
    memset(k.bytes, 1, sizeof(k.bytes));
    seal_keyring_install(tx, &k, NULL);
    old = run(tx, rx, n);
    printf(
        "seal+open of a %d-byte packet, primary key: %.0f per second "
        "(target >= 100000 per second)\n",
        NET_MAX_PACKET, same);
    printf(
        "seal+open of a %d-byte packet, third key of the ring: %.0f per "
        "second (target >= 50000 per second)\n",
        NET_MAX_PACKET, old);
    seal_keyring_free(tx);
    seal_keyring_free(rx);
    return 0;
}
