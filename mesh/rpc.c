/* The RPC wire format (rpc.h). */
#include "mesh/rpc.h"

#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/mp.h"

void rpc_msg_release(struct rpc_msg *m)
{
    free(m->body);
    m->body = NULL;
    m->body_len = 0;
}

void rpc_encode(struct buf *out, const struct rpc_msg *m)
{
    size_t start = out->len, n;
    unsigned char len[4] = {0};

    /* The length goes in front once the message is written. */
    buf_append(out, len, 4);
    mp_put_array(out, 5);
    mp_put_int(out, RPC_VERSION);
    mp_put_int(out, m->kind);
    mp_put_int(out, (int64_t)m->seq);
    if (m->kind == RPC_REQUEST)
        mp_put_str(out, m->method);
    else
        mp_put_int(out, m->rc);
    mp_put_bin(out, m->body ? m->body : (const uint8_t *)"", m->body_len);
    n = out->len - start - 4;
    out->data[start] = (char)(n >> 24);
    out->data[start + 1] = (char)(n >> 16);
    out->data[start + 2] = (char)(n >> 8);
    out->data[start + 3] = (char)n;
}

int rpc_decode(const void *data,
               size_t len,
               size_t max_frame,
               struct rpc_msg *m,
               size_t *used,
               struct err *err)
{
    const uint8_t *p = data;
    struct mp_reader r;
    uint32_t n, slen;
    int64_t version, kind, seq, rc;
    const char *s;
    size_t frame;

    memset(m, 0, sizeof(*m));
    if (len < 4)
        return 0;
    frame = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (frame > max_frame)
        return err_set(err, ERR_TOO_BIG,
                       "rpc: frame of %zu bytes is over the %zu limit", frame,
                       max_frame);
    if (len - 4 < frame)
        return 0;
    mp_reader_init(&r, p + 4, frame);
    if (mp_read_array(&r, &n) != 0 || n < 5)
        return err_set(err, ERR_MALFORMED, "rpc: frame is not a message");
    if (mp_read_int(&r, &version) != 0 || version != RPC_VERSION)
        return err_set(err, ERR_MALFORMED, "rpc: unsupported version");
    if (mp_read_int(&r, &kind) != 0 ||
        (kind != RPC_REQUEST && kind != RPC_RESPONSE) ||
        mp_read_int(&r, &seq) != 0 || seq < 0)
        return err_set(err, ERR_MALFORMED, "rpc: bad message header");
    m->kind = (enum rpc_kind)kind;
    m->seq = (uint64_t)seq;
    if (kind == RPC_REQUEST) {
        if (mp_read_str(&r, &s, &slen) != 0 || slen == 0 ||
            slen > RPC_MAX_METHOD || memchr(s, '\0', slen) != NULL)
            return err_set(err, ERR_MALFORMED, "rpc: bad method name");
        memcpy(m->method, s, slen);
        m->method[slen] = '\0';
    } else {
        if (mp_read_int(&r, &rc) != 0 || rc > 0 || rc < INT32_MIN)
            return err_set(err, ERR_MALFORMED, "rpc: bad result code");
        m->rc = (int32_t)rc;
    }
    /* The body length was checked against the frame by mp_read_str. */
    if (mp_read_str(&r, &s, &slen) != 0)
        return err_set(err, ERR_MALFORMED, "rpc: bad body");
    /* Later versions may add fields: skip what we do not know. */
    for (uint32_t i = 5; i < n; i++)
        if (mp_skip(&r) != 0)
            return err_set(err, ERR_MALFORMED, "rpc: bad trailing field");
    if (slen > 0) {
        m->body = xmalloc(slen);
        memcpy(m->body, s, slen);
        m->body_len = slen;
    }
    *used = 4 + frame;
    return 1;
}
