/* The bodies of the client RPCs as a server reads them (endpoints.h). */
#include <stdlib.h>
#include <string.h>

#include "agent/server/endpoints.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/model/alloc.h"
#include "lib/model/codec_mp.h"
#include "lib/mp.h"

int endpoints_decode_node_id(const void *body,
                             size_t len,
                             char *out,
                             size_t size,
                             struct err *err)
{
    struct mp_reader r;
    const char *s;
    uint32_t n;

    mp_reader_init(&r, body, len);
    if (mp_read_str(&r, &s, &n) != 0 || n == 0 || n >= size ||
        memchr(s, '\0', n) != NULL)
        return err_set(err, ERR_MALFORMED, "rpc: bad node id");
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int endpoints_decode_allocs_query(const void *body,
                                  size_t len,
                                  char *id,
                                  size_t size,
                                  uint64_t *index,
                                  uint64_t *wait_ms,
                                  struct err *err)
{
    struct mp_reader r;
    const char *s;
    uint32_t n, slen;
    int64_t i, w;

    mp_reader_init(&r, body, len);
    if (mp_read_array(&r, &n) != 0 || n != 3 ||
        mp_read_str(&r, &s, &slen) != 0 || slen == 0 || slen >= size ||
        memchr(s, '\0', slen) != NULL || mp_read_int(&r, &i) != 0 || i < 0 ||
        mp_read_int(&r, &w) != 0 || w < 0)
        return err_set(err, ERR_MALFORMED,
                       "rpc: malformed Node.GetClientAllocs request");
    memcpy(id, s, slen);
    id[slen] = '\0';
    *index = (uint64_t)i;
    *wait_ms = (uint64_t)w;
    return 0;
}

