/*
 * Keyring and XChaCha20-Poly1305 sealing (seal.h). No I/O here: the
 * keyring file's reading and writing is in seal_file.c.
 */
#include "mesh/seal.h"

#include <assert.h>
#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json.h"

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == SEAL_KEY_BYTES,
              "keys are XChaCha20-Poly1305 keys");
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == SEAL_NONCE_BYTES,
              "the nonce travels in full");
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == SEAL_TAG_BYTES,
              "one tag per message");

struct seal_keyring
{
    struct seal_key keys[SEAL_MAX_KEYS]; /* keys[0] is the primary */
    size_t n;
    struct seal_stats stats;
};

/* sodium_init() is idempotent and thread-safe; call it before use. */
static void sodium_ready(void)
{
    if (sodium_init() < 0)
        abort(); /* no usable randomness: nothing can be sealed safely */
}

/* ------------------------------------------------------------------ keys */

void seal_key_generate(struct seal_key *k)
{
    sodium_ready();
    randombytes_buf(k->bytes, sizeof(k->bytes));
}

int seal_key_decode(const char *b64, struct seal_key *out, struct err *err)
{
    static const int variants[] = {sodium_base64_VARIANT_ORIGINAL,
                                   sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                                   sodium_base64_VARIANT_URLSAFE,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    uint8_t bin[SEAL_KEY_BYTES + 16];
    const char *s = b64, *e;
    bool decoded = false;
    size_t n = 0;

    sodium_ready();
    if (b64 == NULL)
        return err_set(err, ERR_INVALID, "no key given");
    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        e--;
    if (e == s)
        return err_set(err, ERR_INVALID, "no key given");
    /* Longer than any 32-byte key's base64 can be: not a key. */
    if ((size_t)(e - s) > 4 * ((sizeof(bin) + 2) / 3))
        return err_set(err, ERR_INVALID,
                       "key size must be %d bytes, got more than %zu",
                       SEAL_KEY_BYTES, sizeof(bin));
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        if (sodium_base642bin(bin, sizeof(bin), s, (size_t)(e - s), NULL, &n,
                              NULL, variants[i]) == 0) {
            decoded = true;
            break;
        }
    }
    if (!decoded) {
        sodium_memzero(bin, sizeof(bin));
        return err_set(err, ERR_INVALID, "key is not valid base64");
    }
    if (n != SEAL_KEY_BYTES) {
        sodium_memzero(bin, sizeof(bin));
        return err_set(err, ERR_INVALID, "key size must be %d bytes, got %zu",
                       SEAL_KEY_BYTES, n);
    }
    memcpy(out->bytes, bin, SEAL_KEY_BYTES);
    sodium_memzero(bin, sizeof(bin));
    return 0;
}

void seal_key_encode(const struct seal_key *k, char out[SEAL_KEY_B64_SIZE])
{
    static_assert(SEAL_KEY_B64_SIZE ==
                      sodium_base64_ENCODED_LEN(SEAL_KEY_BYTES,
                                                sodium_base64_VARIANT_ORIGINAL),
                  "44 characters and a NUL");
    sodium_bin2base64(out, SEAL_KEY_B64_SIZE, k->bytes, SEAL_KEY_BYTES,
                      sodium_base64_VARIANT_ORIGINAL);
}

/* --------------------------------------------------------------- keyring */

struct seal_keyring *seal_keyring_new(void)
{
    sodium_ready();
    return xcalloc(1, sizeof(struct seal_keyring));
}

void seal_keyring_free(struct seal_keyring *kr)
{
    if (kr == NULL)
        return;
    sodium_memzero(kr, sizeof(*kr));
    free(kr);
}

bool seal_keyring_is_enabled(const struct seal_keyring *kr)
{
    return kr->n > 0;
}

size_t seal_keyring_count(const struct seal_keyring *kr)
{
    return kr->n;
}

const struct seal_key *seal_keyring_key(const struct seal_keyring *kr, size_t i)
{
    assert(i < kr->n);
    return &kr->keys[i];
}

struct seal_stats seal_keyring_stats(const struct seal_keyring *kr)
{
    return kr->stats;
}

/* The index of key in kr, or -1. Constant time per comparison. */
static long find_key(const struct seal_keyring *kr, const struct seal_key *key)
{
    for (size_t i = 0; i < kr->n; i++) {
        if (sodium_memcmp(kr->keys[i].bytes, key->bytes, SEAL_KEY_BYTES) == 0)
            return (long)i;
    }
    return -1;
}

int seal_keyring_install(struct seal_keyring *kr,
                         const struct seal_key *key,
                         struct err *err)
{
    if (find_key(kr, key) >= 0)
        return 0;
    if (kr->n == SEAL_MAX_KEYS)
        return err_set(err, ERR_TOO_BIG,
                       "the keyring holds %d keys already: remove one first",
                       SEAL_MAX_KEYS);
    kr->keys[kr->n++] = *key;
    return 0;
}

int seal_keyring_use(struct seal_keyring *kr,
                     const struct seal_key *key,
                     struct err *err)
{
    long i = find_key(kr, key);
    struct seal_key tmp;

    if (i < 0)
        return err_set(err, ERR_NOT_FOUND,
                       "Requested key is not in the keyring");
    /* The old primary stays installed, right behind the new one: it is
     * the likeliest key of what peers not yet switched still send. */
    tmp = kr->keys[i];
    memmove(&kr->keys[1], &kr->keys[0], (size_t)i * sizeof(kr->keys[0]));
    kr->keys[0] = tmp;
    sodium_memzero(&tmp, sizeof(tmp));
    return 0;
}

int seal_keyring_remove(struct seal_keyring *kr,
                        const struct seal_key *key,
                        struct err *err)
{
    long i = find_key(kr, key);

    if (i < 0)
        return 0;
    if (i == 0)
        return err_set(err, ERR_INVALID,
                       "Removing the primary key is not allowed");
    memmove(&kr->keys[i], &kr->keys[i + 1],
            (kr->n - (size_t)i - 1) * sizeof(kr->keys[0]));
    kr->n--;
    sodium_memzero(&kr->keys[kr->n], sizeof(kr->keys[0]));
    return 0;
}

typedef int (*key_op)(struct seal_keyring *kr,
                      const struct seal_key *key,
                      struct err *err);

static int with_b64(struct seal_keyring *kr,
                    const char *b64,
                    key_op op,
                    struct err *err)
{
    struct seal_key k;
    int rc = seal_key_decode(b64, &k, err);

    if (rc == 0)
        rc = op(kr, &k, err);
    sodium_memzero(&k, sizeof(k));
    return rc;
}

int seal_keyring_install_b64(struct seal_keyring *kr,
                             const char *b64,
                             struct err *err)
{
    return with_b64(kr, b64, seal_keyring_install, err);
}

int seal_keyring_use_b64(struct seal_keyring *kr,
                         const char *b64,
                         struct err *err)
{
    return with_b64(kr, b64, seal_keyring_use, err);
}

int seal_keyring_remove_b64(struct seal_keyring *kr,
                            const char *b64,
                            struct err *err)
{
    return with_b64(kr, b64, seal_keyring_remove, err);
}

/* ------------------------------------------------------- seal and open */

static void make_ad(enum seal_context ctx, uint8_t ad[2])
{
    ad[0] = SEAL_VERSION;
    ad[1] = (uint8_t)ctx;
}

void seal_keyring_seal(struct seal_keyring *kr,
                       enum seal_context ctx,
                       const void *msg,
                       size_t len,
                       struct buf *out)
{
    uint8_t ad[2];
    uint8_t *p;
    unsigned long long clen = 0;

    if (kr->n == 0) {
        buf_append(out, msg, len);
        return;
    }
    make_ad(ctx, ad);
    buf_reserve(out, SEAL_OVERHEAD + len);
    p = (uint8_t *)out->data + out->len;
    p[0] = SEAL_VERSION;
    randombytes_buf(p + 1, SEAL_NONCE_BYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(p + 1 + SEAL_NONCE_BYTES, &clen,
                                               msg, len, ad, sizeof(ad), NULL,
                                               p + 1, kr->keys[0].bytes);
    out->len += 1 + SEAL_NONCE_BYTES + (size_t)clen;
    out->data[out->len] = '\0';
    kr->stats.sealed++;
}

int seal_keyring_open(struct seal_keyring *kr,
                      enum seal_context ctx,
                      const void *in,
                      size_t len,
                      struct buf *out,
                      struct err *err)
{
    const uint8_t *p = in;
    uint8_t ad[2];
    size_t clen;

    if (kr->n == 0) {
        buf_append(out, in, len);
        return 0;
    }
    if (len < SEAL_OVERHEAD) {
        kr->stats.failed_malformed++;
        return err_set(err, ERR_MALFORMED,
                       "seal: message of %zu bytes is shorter than the %d of "
                       "an empty sealed one",
                       len, SEAL_OVERHEAD);
    }
    if (p[0] != SEAL_VERSION) {
        kr->stats.failed_malformed++;
        return err_set(err, ERR_MALFORMED,
                       "seal: unknown version %u (plaintext sent to an "
                       "encrypted agent?)",
                       p[0]);
    }
    make_ad(ctx, ad);
    clen = len - 1 - SEAL_NONCE_BYTES;
    buf_reserve(out, clen);
    for (size_t i = 0; i < kr->n; i++) {
        unsigned long long mlen = 0;

        if (crypto_aead_xchacha20poly1305_ietf_decrypt(
                (uint8_t *)out->data + out->len, &mlen, NULL,
                p + 1 + SEAL_NONCE_BYTES, clen, ad, sizeof(ad), p + 1,
                kr->keys[i].bytes) == 0) {
            out->len += (size_t)mlen;
            out->data[out->len] = '\0';
            kr->stats.opened++;
            if (i > 0)
                kr->stats.opened_nonprimary++;
            return 0;
        }
    }
    kr->stats.failed_auth++;
    return err_set(err, ERR_MALFORMED,
                   "seal: no installed key opens the message (another "
                   "cluster's key, or tampered)");
}

/* ------------------------------------------------------- keyring file */

void seal_keyring_encode(const struct seal_keyring *kr, struct buf *out)
{
    char b64[SEAL_KEY_B64_SIZE];

    buf_putc(out, '[');
    for (size_t i = 0; i < kr->n; i++) {
        seal_key_encode(&kr->keys[i], b64);
        buf_printf(out, "%s\n  \"%s\"", i ? "," : "", b64);
    }
    buf_puts(out, kr->n ? "\n]\n" : "]\n");
    sodium_memzero(b64, sizeof(b64));
}

int seal_keyring_decode(const void *data,
                        size_t len,
                        struct seal_keyring **out,
                        struct err *err)
{
    struct seal_keyring *kr = NULL;
    struct jr r;
    bool more = false;
    int rc, i = 0;

    *out = NULL;
    if (len > SEAL_FILE_MAX_BYTES)
        return err_set(err, ERR_TOO_BIG,
                       "keyring file of %zu bytes: a keyring is at most %d",
                       len, SEAL_FILE_MAX_BYTES);
    kr = seal_keyring_new();
    jr_init(&r, data, len, err);
    rc = jr_arr_begin(&r);
    while (rc == 0 && (rc = jr_arr_next(&r, &more)) == 0 && more) {
        const char *s;
        size_t n;

        rc = jr_str(&r, &s, &n);
        if (rc != 0)
            break;
        if (strlen(s) != n) {
            rc =
                err_set(err, ERR_INVALID, "key %d: key is not valid base64", i);
            break;
        }
        rc = seal_keyring_install_b64(kr, s, err);
        if (rc != 0) {
            err_wrap(err, "key %d", i);
            break;
        }
        i++;
    }
    if (rc == 0)
        rc = jr_end(&r);
    /* The reader's scratch space held the keys' text. */
    if (r.scratch.data != NULL)
        sodium_memzero(r.scratch.data, r.scratch.cap);
    jr_release(&r);
    if (rc != 0) {
        seal_keyring_free(kr);
        return err_wrap(err, "keyring file");
    }
    *out = kr;
    return 0;
}
