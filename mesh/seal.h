/*
 * The gossip keyring and packet sealing (pure, except for libsodium).
 *
 * A keyring holds up to SEAL_MAX_KEYS 32-byte keys. The first, the
 * primary, seals everything sent; every installed key may open what is
 * received, which lets a cluster rotate keys without a flag day:
 *
 *     install NEW on all   (all still send with OLD, all accept both)
 *     use NEW on all       (senders switch one by one; both still accepted)
 *     remove OLD on all    (nobody sends with it any more)
 *
 * A keyring without keys is plaintext mode: seal and open copy bytes
 * through. A keyring with keys never accepts plaintext: anything that
 * does not authenticate under one of its keys is refused and counted.
 *
 * A sealed message is
 *
 *     version (1 byte) | nonce (24 bytes) | ciphertext | tag (16 bytes)
 *
 * using XChaCha20-Poly1305 (IETF) with a fresh random nonce per message,
 * so no nonce state is kept or shared. The additional data is the version
 * byte and a context byte (packet or stream frame) that is not sent:
 * a UDP packet replayed into a stream, or the other way round, fails to
 * open.
 *
 * Keys travel as standard base64 (44 characters for 32 bytes), the form
 * `caravan operator gossip keyring -generate` prints; URL-safe base64 is
 * accepted on input too. Keys are wiped with sodium_memzero() when they
 * leave the keyring.
 *
 * Not thread-safe: one keyring belongs to the loop thread that uses it.
 */
#ifndef CARAVAN_MESH_SEAL_H
#define CARAVAN_MESH_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;

#define SEAL_VERSION 1
#define SEAL_KEY_BYTES 32
#define SEAL_NONCE_BYTES 24
#define SEAL_TAG_BYTES 16
/* Bytes a sealed message has beyond its plaintext. */
#define SEAL_OVERHEAD (1 + SEAL_NONCE_BYTES + SEAL_TAG_BYTES)
/* Room for a key in base64 with its NUL (44 characters + 1). */
#define SEAL_KEY_B64_SIZE 45
#define SEAL_MAX_KEYS 16
/* The keyring file is a short JSON list; anything longer is not one. */
#define SEAL_FILE_MAX_BYTES (64 * 1024)
/* The keyring file's name inside the data directory. */
#define SEAL_FILE_NAME "keyring"

/* What a sealed message is: part of the additional data, never sent. */
enum seal_context {
    SEAL_PACKET = 'p', /* one UDP datagram */
    SEAL_STREAM = 's', /* one frame of a TCP stream */
};

struct seal_key
{
    uint8_t bytes[SEAL_KEY_BYTES];
};

/* Counters since the keyring was made; they only grow. */
struct seal_stats
{
    uint64_t sealed;            /* messages sealed under the primary */
    uint64_t opened;            /* messages that authenticated */
    uint64_t opened_nonprimary; /* ... under a key other than the primary */
    uint64_t failed_malformed;  /* too short or an unknown version */
    uint64_t failed_auth;       /* no key opened it (plaintext too) */
};

struct seal_keyring;

/* ------------------------------------------------------------------ keys */

/* Fills k with 32 random bytes (libsodium's CSPRNG). */
void seal_key_generate(struct seal_key *k);

/*
 * Decodes a base64 key (standard or URL-safe, padded or not, surrounding
 * whitespace ignored). ERR_INVALID when it is not base64 or does not hold
 * exactly SEAL_KEY_BYTES bytes; the message says which.
 */
int seal_key_decode(const char *b64, struct seal_key *out, struct err *err);

/* Writes k as standard padded base64 into out (SEAL_KEY_B64_SIZE bytes). */
void seal_key_encode(const struct seal_key *k, char out[SEAL_KEY_B64_SIZE]);

/* --------------------------------------------------------------- keyring */

/* A new empty keyring (plaintext mode). Free it with seal_keyring_free(). */
struct seal_keyring *seal_keyring_new(void);
/* Wipes the keys and frees kr; NULL does nothing. */
void seal_keyring_free(struct seal_keyring *kr);

/* Whether kr holds any key (then plaintext is refused). */
bool seal_keyring_is_enabled(const struct seal_keyring *kr);
size_t seal_keyring_count(const struct seal_keyring *kr);
/* Key i (0 is the primary); i < seal_keyring_count(). Borrowed until kr
 * changes. */
const struct seal_key *seal_keyring_key(const struct seal_keyring *kr,
                                        size_t i);
struct seal_stats seal_keyring_stats(const struct seal_keyring *kr);

/*
 * Adds key for receiving. Into an empty keyring it becomes the primary
 * (encryption turns on). Installing a key already there does nothing.
 * ERR_TOO_BIG past SEAL_MAX_KEYS.
 */
int seal_keyring_install(struct seal_keyring *kr,
                         const struct seal_key *key,
                         struct err *err);
/*
 * Makes an installed key the primary. ERR_NOT_FOUND "Requested key is not
 * in the keyring" otherwise.
 */
int seal_keyring_use(struct seal_keyring *kr,
                     const struct seal_key *key,
                     struct err *err);
/*
 * Removes a key. The primary cannot be removed (ERR_INVALID "Removing the
 * primary key is not allowed"); use another first. Removing a key that is
 * not installed does nothing, so repeating a rotation step is harmless.
 */
int seal_keyring_remove(struct seal_keyring *kr,
                        const struct seal_key *key,
                        struct err *err);
/* The same three, taking base64; a bad key fails with ERR_INVALID. */
int seal_keyring_install_b64(struct seal_keyring *kr,
                             const char *b64,
                             struct err *err);
int seal_keyring_use_b64(struct seal_keyring *kr,
                         const char *b64,
                         struct err *err);
int seal_keyring_remove_b64(struct seal_keyring *kr,
                            const char *b64,
                            struct err *err);

/* ------------------------------------------------------- seal and open */

/*
 * Appends the sealed form of msg[0..len) to out: with keys, under the
 * primary (SEAL_OVERHEAD bytes more than len); without, msg unchanged.
 */
void seal_keyring_seal(struct seal_keyring *kr,
                       enum seal_context ctx,
                       const void *msg,
                       size_t len,
                       struct buf *out);

/*
 * Opens in[0..len) into out (appended). With keys it tries the primary,
 * then the other keys in order; ERR_MALFORMED when the message is too
 * short or has another version, or when no key opens it (plaintext
 * included). Each failure is counted in the stats; out is unchanged on
 * failure. Without keys, in is copied through.
 */
int seal_keyring_open(struct seal_keyring *kr,
                      enum seal_context ctx,
                      const void *in,
                      size_t len,
                      struct buf *out,
                      struct err *err);

/* ------------------------------------------------------- keyring file */

/*
 * The keyring file: a JSON list of base64 keys, primary first, e.g.
 *     ["HD5Y61iE+neTxd1n6TnXhCPViPIUq5QpWq8WW8012XA=", "AOUf..."]
 * An empty list is plaintext mode.
 */

/* Appends kr as the file's JSON to out. */
void seal_keyring_encode(const struct seal_keyring *kr, struct buf *out);

/*
 * Parses the file's bytes into a new keyring (*out, the caller frees).
 * ERR_TOO_BIG past SEAL_FILE_MAX_BYTES; ERR_MALFORMED / ERR_INVALID with
 * the line and column or the index of the bad key.
 */
int seal_keyring_decode(const void *data,
                        size_t len,
                        struct seal_keyring **out,
                        struct err *err);

/*
 * Reads dir/SEAL_FILE_NAME into *out. ERR_NOT_FOUND when there is no file.
 * Blocking I/O: meant for agent start.
 */
int seal_keyring_load(const char *dir,
                      struct seal_keyring **out,
                      struct err *err);

/*
 * Writes kr to dir/SEAL_FILE_NAME atomically: a temporary file in dir,
 * fsync, rename over the old one, fsync of dir. Mode 0600: the file
 * holds secrets. Blocking I/O of a few hundred bytes: agent start and
 * operator keyring changes only.
 */
int seal_keyring_save(const struct seal_keyring *kr,
                      const char *dir,
                      struct err *err);

/*
 * What an agent does at start: load dir's keyring file; when there is
 * none, make a keyring holding initial_b64 (may be NULL: plaintext) and
 * save it. initial_b64 is ignored when the file exists, as with serf,
 * so that keys rotated at run time survive a restart with the old flag.
 * *created says whether the file was written now.
 */
int seal_keyring_open_dir(const char *dir,
                          const char *initial_b64,
                          struct seal_keyring **out,
                          bool *created,
                          struct err *err);

#endif
