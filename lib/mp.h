/*
 * msgpack helpers: writing through msgpack-c's packer into a struct buf,
 * and a bounded reader for bytes that come from the wire, the Raft log or
 * disk.
 *
 * The reader never trusts a length: a string or binary length must fit in
 * the bytes that remain, and an array or map count must be no larger than
 * the bytes that remain (every element takes at least one byte), so a
 * small message can never make us allocate much. Nesting is bounded too.
 * Every function returns 0 or ERR_MALFORMED (never reads past the end).
 */
#ifndef CARAVAN_LIB_MP_H
#define CARAVAN_LIB_MP_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* ------------------------------------------------------------------ writer */

/* Initialises pk so every pack call appends to out. */
void mp_writer_init(msgpack_packer *pk, struct buf *out);
/* Packs s (NULL packs nil). */
void mp_pack_str(msgpack_packer *pk, const char *s);
void mp_pack_strn(msgpack_packer *pk, const char *s, size_t len);

/*
 * Direct writers into a buf, for the hot paths (state store, Raft log):
 * msgpack-c's packer goes through a callback per fragment, which costs
 * more than the encoding itself for records full of short strings.
 */
void mp_put_nil(struct buf *b);
void mp_put_bool(struct buf *b, bool v);
void mp_put_int(struct buf *b, int64_t v);
void mp_put_float(struct buf *b, double v);
void mp_put_str(struct buf *b, const char *s); /* NULL puts nil */
void mp_put_strn(struct buf *b, const char *s, size_t len);
void mp_put_bin(struct buf *b, const void *data, size_t len);
void mp_put_array(struct buf *b, uint32_t n);
void mp_put_map(struct buf *b, uint32_t n);

/* ------------------------------------------------------------------ reader */

#define MP_MAX_DEPTH 64

enum mp_type {
    MP_NIL,
    MP_BOOL,
    MP_INT, /* positive or negative integer */
    MP_FLOAT,
    MP_STR,
    MP_BIN,
    MP_ARRAY,
    MP_MAP,
    MP_EXT,
    MP_INVALID, /* a reserved byte, or nothing left */
};

struct mp_reader
{
    const uint8_t *p;
    const uint8_t *end;
};

void mp_reader_init(struct mp_reader *r, const void *data, size_t len);
static inline size_t mp_remaining(const struct mp_reader *r)
{
    return (size_t)(r->end - r->p);
}
/* The type of the next value, without consuming it. */
enum mp_type mp_peek(const struct mp_reader *r);
/* Consumes a nil if the next value is one; returns whether it did. */
static inline bool mp_try_nil(struct mp_reader *r)
{
    if (r->p < r->end && *r->p == 0xc0) {
        r->p++;
        return true;
    }
    return false;
}
int mp_read_bool(struct mp_reader *r, bool *out);
/* Any integer that fits int64 (uint64 above INT64_MAX is malformed). */
int mp_read_int(struct mp_reader *r, int64_t *out);
int mp_read_float(struct mp_reader *r, double *out);
/* A str (or bin); *s points into the input and is not NUL-terminated. */
int mp_read_str(struct mp_reader *r, const char **s, uint32_t *len);
int mp_read_array(struct mp_reader *r, uint32_t *n);
int mp_read_map(struct mp_reader *r, uint32_t *n);
/* Skips one value of any type, including nested ones up to MP_MAX_DEPTH. */
int mp_skip(struct mp_reader *r);

#endif
