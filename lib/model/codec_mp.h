/*
 * msgpack encoding of the model types, for the Raft log, RPC and LMDB.
 *
 * Each record is an array [version, fields...] so records can evolve: a
 * decoder accepts every version up to MODEL_MP_VERSION and fails with
 * ERR_VERSION on a newer one. Every length read from the bytes is bounded
 * before anything is allocated (lib/mp.h), and any byte sequence yields a
 * value or ERR_MALFORMED, never a crash. Encoding then decoding gives a
 * struct equal (x_equal) to the original, unset fields included.
 */
#ifndef CARAVAN_LIB_MODEL_CODEC_MP_H
#define CARAVAN_LIB_MODEL_CODEC_MP_H

#include <stddef.h>

struct alloc;
struct buf;
struct deployment;
struct err;
struct eval;
struct job;
struct node;

#define MODEL_MP_VERSION 1

/* Appends the encoding to out. */
void job_encode_mp(const struct job *job, struct buf *out);
void node_encode_mp(const struct node *n, struct buf *out);
void alloc_encode_mp(const struct alloc *a, struct buf *out);
void eval_encode_mp(const struct eval *e, struct buf *out);
void deployment_encode_mp(const struct deployment *d, struct buf *out);

/*
 * Decodes one record from data (len bytes) into an _init()ed struct. The
 * caller releases the struct whatever the result.
 */
int job_decode_mp(const void *data,
                  size_t len,
                  struct job *job,
                  struct err *err);
int node_decode_mp(const void *data,
                   size_t len,
                   struct node *n,
                   struct err *err);
int alloc_decode_mp(const void *data,
                    size_t len,
                    struct alloc *a,
                    struct err *err);
int eval_decode_mp(const void *data,
                   size_t len,
                   struct eval *e,
                   struct err *err);
int deployment_decode_mp(const void *data,
                         size_t len,
                         struct deployment *d,
                         struct err *err);

#endif
