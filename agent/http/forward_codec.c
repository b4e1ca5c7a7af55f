/*
 * HTTP.Forward bodies (api.h): a request [method, url, token, content
 * type, body] and its answer [status, content type, index, last contact,
 * known leader, body], strings or nil, the bodies as bin.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/http/api.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/mp.h"

static void put_str_or_nil(struct buf *b, const char *s)
{
    if (s != NULL)
        mp_put_str(b, s);
    else
        mp_put_nil(b);
}

static bool read_str_or_nil(struct mp_reader *r, const char **out)
{
    const char *s;
    uint32_t n;

    *out = NULL;
    if (mp_try_nil(r))
        return true;
    if (mp_read_str(r, &s, &n) != 0 || memchr(s, '\0', n) != NULL)
        return false;
    *out = xstrndup(s, n);
    return true;
}

void http_fwd_encode_req(const struct http_fwd_req *r, struct buf *out)
{
    mp_put_array(out, 5);
    mp_put_str(out, r->method);
    mp_put_str(out, r->url);
    put_str_or_nil(out, r->token);
    put_str_or_nil(out, r->content_type);
    mp_put_bin(out, r->body ? r->body : "", r->len);
}

void http_fwd_req_release(struct http_fwd_req *r)
{
    free((char *)r->method);
    free((char *)r->url);
    free((char *)r->token);
    free((char *)r->content_type);
    memset(r, 0, sizeof(*r));
}

int http_fwd_decode_req(const void *data,
                        size_t len,
                        struct http_fwd_req *r,
                        struct err *err)
{
    struct mp_reader rd;
    const char *body;
    uint32_t n, blen;

    memset(r, 0, sizeof(*r));
    mp_reader_init(&rd, data, len);
    if (mp_read_array(&rd, &n) != 0 || n != 5 ||
        !read_str_or_nil(&rd, &r->method) || r->method == NULL ||
        !read_str_or_nil(&rd, &r->url) || r->url == NULL ||
        !read_str_or_nil(&rd, &r->token) ||
        !read_str_or_nil(&rd, &r->content_type) ||
        mp_read_str(&rd, &body, &blen) != 0) {
        http_fwd_req_release(r);
        return err_set(err, ERR_MALFORMED,
                       "rpc: malformed HTTP.Forward request");
    }
    r->body = body;
    r->len = blen;
    return 0;
}

void http_fwd_encode_resp(const struct http_fwd_resp *r, struct buf *out)
{
    mp_put_array(out, 6);
    mp_put_int(out, r->status);
    put_str_or_nil(out, r->content_type);
    put_str_or_nil(out, r->index);
    put_str_or_nil(out, r->last_contact);
    put_str_or_nil(out, r->known_leader);
    mp_put_bin(out, r->body ? r->body : "", r->len);
}

void http_fwd_resp_release(struct http_fwd_resp *r)
{
    free((char *)r->content_type);
    free((char *)r->index);
    free((char *)r->last_contact);
    free((char *)r->known_leader);
    memset(r, 0, sizeof(*r));
}

int http_fwd_decode_resp(const void *data,
                         size_t len,
                         struct http_fwd_resp *r,
                         struct err *err)
{
    struct mp_reader rd;
    const char *body;
    uint32_t n, blen;
    int64_t status;

    memset(r, 0, sizeof(*r));
    mp_reader_init(&rd, data, len);
    if (mp_read_array(&rd, &n) != 0 || n != 6 ||
        mp_read_int(&rd, &status) != 0 || status < 100 || status > 599 ||
        !read_str_or_nil(&rd, &r->content_type) ||
        !read_str_or_nil(&rd, &r->index) ||
        !read_str_or_nil(&rd, &r->last_contact) ||
        !read_str_or_nil(&rd, &r->known_leader) ||
        mp_read_str(&rd, &body, &blen) != 0) {
        http_fwd_resp_release(r);
        return err_set(err, ERR_MALFORMED, "malformed answer from the server");
    }
    r->status = (int)status;
    r->body = body;
    r->len = blen;
    return 0;
}
