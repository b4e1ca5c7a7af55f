/*
 * The gossip keyring and sealing: round trips, refusals (wrong key,
 * tampering, truncation, plaintext into an encrypted keyring, a packet
 * replayed as a stream frame), key rotation with two agents mid-way still
 * talking, Nomad's errors for the keyring operations, and the keyring
 * file (format, atomic save, first start with -encrypt).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "mesh/seal.h"
#include "tests/harness/test.h"

/* Three fixed keys: 32 bytes of 0x01.., 0x02.., 0x03... */
static void fixed_key(struct seal_key *k, uint8_t v)
{
    memset(k->bytes, v, sizeof(k->bytes));
}

static struct seal_keyring *ring_with(uint8_t v)
{
    struct seal_keyring *kr = seal_keyring_new();
    struct seal_key k;

    fixed_key(&k, v);
    ck_assert_int_eq(seal_keyring_install(kr, &k, NULL), 0);
    return kr;
}

/* Seals msg on a and opens it on b; returns open's rc, out the message. */
static int send_msg(struct seal_keyring *a,
                    struct seal_keyring *b,
                    const char *msg,
                    struct buf *out)
{
    struct buf wire = BUF_INIT;
    struct err err = ERR_INIT;
    int rc;

    seal_keyring_seal(a, SEAL_PACKET, msg, strlen(msg), &wire);
    rc = seal_keyring_open(b, SEAL_PACKET, wire.data, wire.len, out, &err);
    buf_release(&wire);
    return rc;
}

START_TEST(round_trip)
{
    struct seal_keyring *a = ring_with(1), *b = ring_with(1);
    struct buf wire = BUF_INIT, out = BUF_INIT;
    struct err err = ERR_INIT;
    const char *msg = "ping 10.77.0.2:4648 seq=7";

    seal_keyring_seal(a, SEAL_PACKET, msg, strlen(msg), &wire);
    ck_assert_uint_eq(wire.len, strlen(msg) + SEAL_OVERHEAD);
    ck_assert_uint_eq((uint8_t)wire.data[0], SEAL_VERSION);
    /* The plaintext does not show. */
    ck_assert_ptr_null(memmem(wire.data, wire.len, "ping", 4));
    ck_assert_int_eq(
        seal_keyring_open(b, SEAL_PACKET, wire.data, wire.len, &out, &err), 0);
    ck_assert_str_eq(buf_str(&out), msg);
    /* Two seals of one message differ: fresh nonces. */
    {
        struct buf again = BUF_INIT;

        seal_keyring_seal(a, SEAL_PACKET, msg, strlen(msg), &again);
        ck_assert(memcmp(again.data, wire.data, wire.len) != 0);
        buf_release(&again);
    }
    /* An empty message seals and opens too. */
    buf_reset(&wire);
    buf_reset(&out);
    seal_keyring_seal(a, SEAL_STREAM, "", 0, &wire);
    ck_assert_uint_eq(wire.len, SEAL_OVERHEAD);
    ck_assert_int_eq(
        seal_keyring_open(b, SEAL_STREAM, wire.data, wire.len, &out, &err), 0);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_uint_eq(seal_keyring_stats(a).sealed, 3);
    ck_assert_uint_eq(seal_keyring_stats(b).opened, 2);
    buf_release(&wire);
    buf_release(&out);
    seal_keyring_free(a);
    seal_keyring_free(b);
}
END_TEST

START_TEST(refusals_are_counted)
{
    struct seal_keyring *a = ring_with(1), *b = ring_with(2);
    struct seal_keyring *plain = seal_keyring_new();
    struct buf wire = BUF_INIT, out = BUF_INIT;
    struct err err = ERR_INIT;
    const char *msg = "alive node-1 incarnation 3";

    /* Another cluster's key. */
    ck_assert_int_eq(send_msg(a, b, msg, &out), ERR_MALFORMED);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_uint_eq(seal_keyring_stats(b).failed_auth, 1);
    /* Plaintext into an encrypted keyring, whatever its first byte. */
    ck_assert_int_eq(send_msg(plain, b, msg, &out), ERR_MALFORMED);
    ck_assert_uint_eq(seal_keyring_stats(b).failed_malformed, 1);
    {
        char fake[64];

        memset(fake, 'x', sizeof(fake));
        fake[0] = SEAL_VERSION;
        ck_assert_int_eq(
            seal_keyring_open(b, SEAL_PACKET, fake, sizeof(fake), &out, &err),
            ERR_MALFORMED);
        ck_assert_uint_eq(seal_keyring_stats(b).failed_auth, 2);
    }
    /* Each byte flipped in turn, and every truncation, fail. */
    seal_keyring_seal(a, SEAL_PACKET, msg, strlen(msg), &wire);
    for (size_t i = 0; i < wire.len; i++) {
        wire.data[i] ^= 0x20;
        ck_assert_int_eq(
            seal_keyring_open(a, SEAL_PACKET, wire.data, wire.len, &out, &err),
            ERR_MALFORMED);
        wire.data[i] ^= 0x20;
    }
    for (size_t n = 0; n < wire.len; n++)
        ck_assert_int_eq(
            seal_keyring_open(a, SEAL_PACKET, wire.data, n, &out, &err),
            ERR_MALFORMED);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_uint_eq(seal_keyring_stats(a).failed_auth +
                          seal_keyring_stats(a).failed_malformed,
                      2 * wire.len);
    /* A packet replayed as a stream frame does not open. */
    ck_assert_int_eq(
        seal_keyring_open(a, SEAL_STREAM, wire.data, wire.len, &out, &err),
        ERR_MALFORMED);
    ck_assert_int_eq(
        seal_keyring_open(a, SEAL_PACKET, wire.data, wire.len, &out, &err), 0);
    ck_assert_str_eq(buf_str(&out), msg);
    buf_release(&wire);
    buf_release(&out);
    seal_keyring_free(a);
    seal_keyring_free(b);
    seal_keyring_free(plain);
}
END_TEST

START_TEST(plaintext_mode_copies_through)
{
    struct seal_keyring *p = seal_keyring_new(), *q = seal_keyring_new();
    struct buf out = BUF_INIT;

    ck_assert(!seal_keyring_is_enabled(p));
    ck_assert_int_eq(send_msg(p, q, "hello", &out), 0);
    ck_assert_str_eq(buf_str(&out), "hello");
    buf_release(&out);
    seal_keyring_free(p);
    seal_keyring_free(q);
}
END_TEST

/*
 * install NEW everywhere, use NEW one agent at a time, remove OLD one at
 * a time: at every step both agents still open what the other sends.
 */
START_TEST(rotation_keeps_both_sides_talking)
{
    struct seal_keyring *kr[2] = {ring_with(1), ring_with(1)};
    struct seal_key old_key, new_key;
    struct buf out = BUF_INIT;
    struct err err = ERR_INIT;
    int step = 0;

    fixed_key(&old_key, 1);
    fixed_key(&new_key, 2);
#define BOTH_WAYS()                                                    \
    do {                                                               \
        for (int from = 0; from < 2; from++) {                         \
            buf_reset(&out);                                           \
            ck_assert_msg(                                             \
                send_msg(kr[from], kr[1 - from], "gossip", &out) == 0, \
                "step %d: %d to %d failed", step, from, 1 - from);     \
            ck_assert_str_eq(buf_str(&out), "gossip");                 \
        }                                                              \
        step++;                                                        \
    } while (0)
    BOTH_WAYS();
    ck_assert_int_eq(seal_keyring_install(kr[0], &new_key, &err), 0);
    BOTH_WAYS();
    ck_assert_int_eq(seal_keyring_install(kr[1], &new_key, &err), 0);
    BOTH_WAYS();
    ck_assert_int_eq(seal_keyring_use(kr[0], &new_key, &err), 0);
    BOTH_WAYS(); /* 0 sends with NEW, 1 with OLD */
    ck_assert_int_eq(seal_keyring_use(kr[1], &new_key, &err), 0);
    BOTH_WAYS();
    ck_assert_int_eq(seal_keyring_remove(kr[0], &old_key, &err), 0);
    BOTH_WAYS();
    ck_assert_int_eq(seal_keyring_remove(kr[1], &old_key, &err), 0);
    BOTH_WAYS();
    ck_assert_uint_eq(seal_keyring_count(kr[0]), 1);
    ck_assert(memcmp(seal_keyring_key(kr[0], 0)->bytes, new_key.bytes,
                     SEAL_KEY_BYTES) == 0);
    /* Once OLD is gone, something sealed with it no longer opens. */
    {
        struct seal_keyring *stale = ring_with(1);

        ck_assert_int_eq(send_msg(stale, kr[0], "late", &out), ERR_MALFORMED);
        seal_keyring_free(stale);
    }
#undef BOTH_WAYS
    buf_release(&out);
    seal_keyring_free(kr[0]);
    seal_keyring_free(kr[1]);
}
END_TEST

START_TEST(operations_fail_as_nomad_does)
{
    struct seal_keyring *kr = seal_keyring_new();
    struct seal_key k1, k2;
    struct err err = ERR_INIT;

    fixed_key(&k1, 1);
    fixed_key(&k2, 2);
    /* Into an empty keyring, the first key becomes the primary. */
    ck_assert_int_eq(seal_keyring_install(kr, &k1, &err), 0);
    ck_assert(seal_keyring_is_enabled(kr));
    ck_assert_int_eq(seal_keyring_use(kr, &k2, &err), ERR_NOT_FOUND);
    ck_assert_str_eq(err.msg, "Requested key is not in the keyring");
    ck_assert_int_eq(seal_keyring_remove(kr, &k1, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "Removing the primary key is not allowed");
    /* Installing twice and removing what is absent change nothing. */
    ck_assert_int_eq(seal_keyring_install(kr, &k2, &err), 0);
    ck_assert_int_eq(seal_keyring_install(kr, &k2, &err), 0);
    ck_assert_uint_eq(seal_keyring_count(kr), 2);
    ck_assert_int_eq(seal_keyring_use(kr, &k2, &err), 0);
    ck_assert(memcmp(seal_keyring_key(kr, 0)->bytes, k2.bytes, 32) == 0);
    ck_assert(memcmp(seal_keyring_key(kr, 1)->bytes, k1.bytes, 32) == 0);
    ck_assert_int_eq(seal_keyring_remove(kr, &k1, &err), 0);
    ck_assert_int_eq(seal_keyring_remove(kr, &k1, &err), 0);
    ck_assert_uint_eq(seal_keyring_count(kr), 1);
    /* The keyring is bounded. */
    for (uint8_t v = 10; v < 10 + SEAL_MAX_KEYS - 1; v++) {
        struct seal_key k;

        fixed_key(&k, v);
        ck_assert_int_eq(seal_keyring_install(kr, &k, &err), 0);
    }
    {
        struct seal_key k;

        fixed_key(&k, 99);
        ck_assert_int_eq(seal_keyring_install(kr, &k, &err), ERR_TOO_BIG);
    }
    seal_keyring_free(kr);
}
END_TEST

START_TEST(keys_in_base64)
{
    struct seal_key k, back;
    char b64[SEAL_KEY_B64_SIZE];
    struct err err = ERR_INIT;

    seal_key_generate(&k);
    seal_key_encode(&k, b64);
    ck_assert_uint_eq(strlen(b64), 44);
    ck_assert_int_eq(b64[43], '=');
    ck_assert_int_eq(seal_key_decode(b64, &back, &err), 0);
    ck_assert(memcmp(k.bytes, back.bytes, 32) == 0);
    /* Whitespace around it (a pasted line) is fine. */
    {
        char padded[64];

        snprintf(padded, sizeof(padded), "  %s\n", b64);
        ck_assert_int_eq(seal_key_decode(padded, &back, &err), 0);
    }
    /* URL-safe base64 of the same bytes. */
    fixed_key(&k, 0xfb);
    ck_assert_int_eq(
        seal_key_decode("-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s=", &back,
                        &err),
        0);
    ck_assert(memcmp(k.bytes, back.bytes, 32) == 0);
    ck_assert_int_eq(seal_key_decode("not base64!", &back, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "key is not valid base64");
    /* 16 bytes: a valid serf key elsewhere, but this keyring wants 32. */
    ck_assert_int_eq(seal_key_decode("AAAAAAAAAAAAAAAAAAAAAA==", &back, &err),
                     ERR_INVALID);
    ck_assert_str_eq(err.msg, "key size must be 32 bytes, got 16");
    ck_assert_int_eq(seal_key_decode("", &back, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg, "no key given");
    {
        char longer[200];

        memset(longer, 'A', sizeof(longer) - 1);
        longer[sizeof(longer) - 1] = '\0';
        ck_assert_int_eq(seal_key_decode(longer, &back, &err), ERR_INVALID);
    }
}
END_TEST

START_TEST(keyring_file_format)
{
    struct seal_keyring *kr = ring_with(1), *back = NULL;
    struct seal_key k2;
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;

    fixed_key(&k2, 2);
    ck_assert_int_eq(seal_keyring_install(kr, &k2, &err), 0);
    seal_keyring_encode(kr, &b);
    ck_assert_str_eq(buf_str(&b),
                     "[\n  \"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\",\n"
                     "  \"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\"\n]\n");
    ck_assert_int_eq(seal_keyring_decode(b.data, b.len, &back, &err), 0);
    ck_assert_uint_eq(seal_keyring_count(back), 2);
    ck_assert_int_eq(seal_keyring_key(back, 0)->bytes[0], 1);
    seal_keyring_free(back);
    ck_assert_int_eq(seal_keyring_decode("[]", 2, &back, &err), 0);
    ck_assert(!seal_keyring_is_enabled(back));
    seal_keyring_free(back);
    /* Bad files name what is wrong. */
    ck_assert_int_eq(seal_keyring_decode("{}", 2, &back, &err), ERR_MALFORMED);
    ck_assert_ptr_null(back);
    ck_assert_int_eq(seal_keyring_decode("[\"AAAA\"]", 8, &back, &err),
                     ERR_INVALID);
    ck_assert_str_eq(err.msg,
                     "keyring file: key 0: key size must be 32 bytes, got 3");
    ck_assert_int_eq(seal_keyring_decode("[1]", 3, &back, &err), ERR_MALFORMED);
    ck_assert_int_eq(seal_keyring_decode("[] x", 4, &back, &err),
                     ERR_MALFORMED);
    buf_release(&b);
    seal_keyring_free(kr);
}
END_TEST

START_TEST(keyring_file_in_data_dir)
{
    char *dir = test_tmpdir();
    char path[512];
    struct seal_keyring *kr = NULL;
    struct seal_key k2;
    struct err err = ERR_INIT;
    struct stat st;
    bool created = false;
    const char *k1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    snprintf(path, sizeof(path), "%s/%s", dir, SEAL_FILE_NAME);
    ck_assert_int_eq(seal_keyring_load(dir, &kr, &err), ERR_NOT_FOUND);
    /* A bad -encrypt fails even before anything is written. */
    ck_assert_int_eq(seal_keyring_open_dir(dir, "short", &kr, &created, &err),
                     ERR_INVALID);
    ck_assert_int_eq(stat(path, &st), -1);
    /* First start with -encrypt: the file is made, 0600. */
    ck_assert_int_eq(seal_keyring_open_dir(dir, k1, &kr, &created, &err), 0);
    ck_assert(created);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    /* Rotate at run time, save, restart with the old flag: the file wins. */
    fixed_key(&k2, 2);
    ck_assert_int_eq(seal_keyring_install(kr, &k2, &err), 0);
    ck_assert_int_eq(seal_keyring_use(kr, &k2, &err), 0);
    ck_assert_int_eq(seal_keyring_save(kr, dir, &err), 0);
    seal_keyring_free(kr);
    ck_assert_int_eq(seal_keyring_open_dir(dir, k1, &kr, &created, &err), 0);
    ck_assert(!created);
    ck_assert_uint_eq(seal_keyring_count(kr), 2);
    ck_assert_int_eq(seal_keyring_key(kr, 0)->bytes[0], 2);
    seal_keyring_free(kr);
    /* A corrupt file stops the start, naming the file. */
    {
        FILE *f = fopen(path, "w");

        fputs("[\"AQ==\"", f);
        fclose(f);
    }
    ck_assert_int_ne(seal_keyring_open_dir(dir, NULL, &kr, &created, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    ck_assert_ptr_null(kr);
    /* Without -encrypt and without a file: plaintext, and a file saying so. */
    remove(path);
    ck_assert_int_eq(seal_keyring_open_dir(dir, NULL, &kr, &created, &err), 0);
    ck_assert(created && !seal_keyring_is_enabled(kr));
    seal_keyring_free(kr);
    test_rmtree(dir);
    free(dir);
}
END_TEST

static Suite *seal_suite(void)
{
    Suite *s = suite_create("mesh_seal");
    TCase *tc = test_tcase("seal");

    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, refusals_are_counted);
    tcase_add_test(tc, plaintext_mode_copies_through);
    tcase_add_test(tc, rotation_keeps_both_sides_talking);
    tcase_add_test(tc, operations_fail_as_nomad_does);
    tcase_add_test(tc, keys_in_base64);
    tcase_add_test(tc, keyring_file_format);
    tcase_add_test(tc, keyring_file_in_data_dir);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(seal_suite)
