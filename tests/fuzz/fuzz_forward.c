/*
 * libFuzzer: any bytes as an HTTP.Forward request and as its answer; what
 * decodes encodes back to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/api.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = ERR_INIT;
    struct http_fwd_req r, r2;
    struct http_fwd_resp p, p2;
    struct buf b = BUF_INIT;

    if (http_fwd_decode_req(data, size, &r, &err) == 0) {
        http_fwd_encode_req(&r, &b);
        if (http_fwd_decode_req(b.data, b.len, &r2, &err) != 0 ||
            !same(r.method, r2.method) || !same(r.url, r2.url) ||
            !same(r.token, r2.token) ||
            !same(r.content_type, r2.content_type) || r.len != r2.len ||
            (r.len && memcmp(r.body, r2.body, r.len) != 0))
            abort();
        http_fwd_req_release(&r2);
        http_fwd_req_release(&r);
    }
    buf_reset(&b);
    if (http_fwd_decode_resp(data, size, &p, &err) == 0) {
        http_fwd_encode_resp(&p, &b);
        if (http_fwd_decode_resp(b.data, b.len, &p2, &err) != 0 ||
            p.status != p2.status || !same(p.index, p2.index) ||
            !same(p.content_type, p2.content_type) || p.len != p2.len)
            abort();
        http_fwd_resp_release(&p2);
        http_fwd_resp_release(&p);
    }
    buf_release(&b);
    return 0;
}
