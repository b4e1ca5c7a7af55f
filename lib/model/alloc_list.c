/*
 * A list of alloc records in msgpack: [bin record...], as the client RPCs
 * carry allocs between clients and servers. The count is bounded by the
 * bytes before anything is allocated.
 */
#include "lib/model/alloc_list.h"

#include <stdlib.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_mp.h"
#include "lib/mp.h"

void alloc_list_encode_mp(struct alloc *const *allocs, size_t n, struct buf *out)
{
    mp_put_array(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        struct buf rec = BUF_INIT;

        alloc_encode_mp(allocs[i], &rec);
        mp_put_bin(out, rec.data, rec.len);
        buf_release(&rec);
    }
}

int alloc_list_decode_mp(const void *body,
                            size_t len,
                            struct alloc ***out,
                            size_t *nout,
                            struct err *err)
{
    struct mp_reader r;
    struct alloc **allocs;
    uint32_t n;
    int rc = 0;

    *out = NULL;
    *nout = 0;
    mp_reader_init(&r, body, len);
    /* Each record takes at least a byte: the count is bounded by them. */
    if (mp_read_array(&r, &n) != 0 || n > ALLOC_LIST_MAX ||
        n > mp_remaining(&r))
        return err_set(err, ERR_MALFORMED, "rpc: malformed alloc list");
    allocs = xcalloc(n ? n : 1, sizeof(*allocs));
    for (uint32_t i = 0; i < n; i++) {
        const char *rec;
        uint32_t rlen;

        allocs[i] = alloc_new();
        *nout = i + 1;
        if (mp_read_str(&r, &rec, &rlen) != 0) {
            rc = err_set(err, ERR_MALFORMED, "rpc: malformed alloc list");
            break;
        }
        rc = alloc_decode_mp(rec, rlen, allocs[i], err);
        if (rc == 0 && allocs[i]->id == NULL)
            rc = err_set(err, ERR_MALFORMED, "rpc: an alloc without an id");
        if (rc != 0)
            break;
    }
    *out = allocs;
    if (rc != 0) {
        alloc_list_free(allocs, *nout);
        *out = NULL;
        *nout = 0;
    }
    return rc;
}

void alloc_list_free(struct alloc **allocs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        alloc_free(allocs[i]);
    free(allocs);
}
