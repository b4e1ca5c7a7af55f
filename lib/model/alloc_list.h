/* Lists of alloc records in msgpack, for the client RPCs. */
#ifndef CARAVAN_LIB_MODEL_ALLOC_LIST_H
#define CARAVAN_LIB_MODEL_ALLOC_LIST_H

#include <stddef.h>

struct alloc;
struct buf;
struct err;

#define ALLOC_LIST_MAX 100000

/* Appends [bin record...] to out. */
void alloc_list_encode_mp(struct alloc *const *allocs, size_t n, struct buf *out);
/*
 * Reads [bin record...]: *out (free with alloc_list_free) holds *nout
 * allocs, each with an id. ERR_MALFORMED with nothing allocated else.
 */
int alloc_list_decode_mp(const void *body,
                         size_t len,
                         struct alloc ***out,
                         size_t *nout,
                         struct err *err);
void alloc_list_free(struct alloc **allocs, size_t n);

#endif
