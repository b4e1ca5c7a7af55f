/* msgpack writer glue and bounded reader (see mp.h). */
#include "lib/mp.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"

static int buf_write(void *data, const char *bytes, size_t len)
{
    buf_append(data, bytes, len);
    return 0;
}

void mp_writer_init(msgpack_packer *pk, struct buf *out)
{
    msgpack_packer_init(pk, out, buf_write);
}

void mp_pack_str(msgpack_packer *pk, const char *s)
{
    if (s == NULL)
        msgpack_pack_nil(pk);
    else
        mp_pack_strn(pk, s, strlen(s));
}

void mp_pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, s, len);
}

static void put_be(struct buf *b, uint8_t tag, uint64_t v, int n)
{
    char *p;

    buf_reserve(b, (size_t)n + 1);
    p = b->data + b->len;
    *p++ = (char)tag;
    for (int i = n - 1; i >= 0; i--)
        *p++ = (char)(v >> (8 * i));
    b->len += (size_t)n + 1;
    b->data[b->len] = '\0';
}

void mp_put_nil(struct buf *b)
{
    put_be(b, 0xc0, 0, 0);
}

void mp_put_bool(struct buf *b, bool v)
{
    put_be(b, v ? 0xc3 : 0xc2, 0, 0);
}

void mp_put_int(struct buf *b, int64_t v)
{
    if (v >= 0) {
        uint64_t u = (uint64_t)v;

        if (u <= 0x7f)
            put_be(b, (uint8_t)u, 0, 0);
        else if (u <= 0xff)
            put_be(b, 0xcc, u, 1);
        else if (u <= 0xffff)
            put_be(b, 0xcd, u, 2);
        else if (u <= 0xffffffff)
            put_be(b, 0xce, u, 4);
        else
            put_be(b, 0xcf, u, 8);
    } else if (v >= -32) {
        put_be(b, (uint8_t)(int8_t)v, 0, 0);
    } else if (v >= INT8_MIN) {
        put_be(b, 0xd0, (uint64_t)v, 1);
    } else if (v >= INT16_MIN) {
        put_be(b, 0xd1, (uint64_t)v, 2);
    } else if (v >= INT32_MIN) {
        put_be(b, 0xd2, (uint64_t)v, 4);
    } else {
        put_be(b, 0xd3, (uint64_t)v, 8);
    }
}

void mp_put_float(struct buf *b, double v)
{
    uint64_t u;

    memcpy(&u, &v, sizeof(u));
    put_be(b, 0xcb, u, 8);
}

void mp_put_strn(struct buf *b, const char *s, size_t len)
{
    if (len <= 31)
        put_be(b, (uint8_t)(0xa0 | len), 0, 0);
    else if (len <= 0xff)
        put_be(b, 0xd9, len, 1);
    else if (len <= 0xffff)
        put_be(b, 0xda, len, 2);
    else
        put_be(b, 0xdb, len, 4);
    buf_append(b, s, len);
}

void mp_put_bin(struct buf *b, const void *data, size_t len)
{
    if (len <= 0xff)
        put_be(b, 0xc4, len, 1);
    else if (len <= 0xffff)
        put_be(b, 0xc5, len, 2);
    else
        put_be(b, 0xc6, len, 4);
    buf_append(b, data, len);
}

void mp_put_str(struct buf *b, const char *s)
{
    if (s == NULL)
        mp_put_nil(b);
    else
        mp_put_strn(b, s, strlen(s));
}

void mp_put_array(struct buf *b, uint32_t n)
{
    if (n <= 15)
        put_be(b, (uint8_t)(0x90 | n), 0, 0);
    else if (n <= 0xffff)
        put_be(b, 0xdc, n, 2);
    else
        put_be(b, 0xdd, n, 4);
}

void mp_put_map(struct buf *b, uint32_t n)
{
    if (n <= 15)
        put_be(b, (uint8_t)(0x80 | n), 0, 0);
    else if (n <= 0xffff)
        put_be(b, 0xde, n, 2);
    else
        put_be(b, 0xdf, n, 4);
}

void mp_reader_init(struct mp_reader *r, const void *data, size_t len)
{
    r->p = data;
    r->end = r->p + len;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

enum mp_type mp_peek(const struct mp_reader *r)
{
    uint8_t b;

    if (r->p >= r->end)
        return MP_INVALID;
    b = *r->p;
    if (b <= 0x7f || b >= 0xe0)
        return MP_INT;
    if (b >= 0x80 && b <= 0x8f)
        return MP_MAP;
    if (b >= 0x90 && b <= 0x9f)
        return MP_ARRAY;
    if (b >= 0xa0 && b <= 0xbf)
        return MP_STR;
    switch (b) {
    case 0xc0:
        return MP_NIL;
    case 0xc2:
    case 0xc3:
        return MP_BOOL;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        return MP_BIN;
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return MP_EXT;
    case 0xca:
    case 0xcb:
        return MP_FLOAT;
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return MP_INT;
    case 0xd9:
    case 0xda:
    case 0xdb:
        return MP_STR;
    case 0xdc:
    case 0xdd:
        return MP_ARRAY;
    case 0xde:
    case 0xdf:
        return MP_MAP;
    default:
        return MP_INVALID;
    }
}

/* Takes the n bytes after the tag byte; fails when they are not there. */
static int take(struct mp_reader *r, size_t n, const uint8_t **out)
{
    if (mp_remaining(r) < n)
        return ERR_MALFORMED;
    *out = r->p;
    r->p += n;
    return 0;
}

int mp_read_bool(struct mp_reader *r, bool *out)
{
    if (r->p >= r->end || (*r->p != 0xc2 && *r->p != 0xc3))
        return ERR_MALFORMED;
    *out = *r->p++ == 0xc3;
    return 0;
}

int mp_read_int(struct mp_reader *r, int64_t *out)
{
    const uint8_t *p;
    uint8_t b;
    uint64_t u;

    if (r->p >= r->end)
        return ERR_MALFORMED;
    b = *r->p;
    if (b <= 0x7f) {
        r->p++;
        *out = b;
        return 0;
    }
    if (b >= 0xe0) {
        r->p++;
        *out = (int8_t)b;
        return 0;
    }
    if (b < 0xcc || b > 0xd3)
        return ERR_MALFORMED;
    r->p++;
    {
        static const int width[] = {1, 2, 4, 8, 1, 2, 4, 8};
        int w = width[b - 0xcc];

        if (take(r, (size_t)w, &p) != 0)
            return ERR_MALFORMED;
        u = be(p, w);
        if (b <= 0xcf) {
            if (u > INT64_MAX)
                return ERR_MALFORMED;
            *out = (int64_t)u;
        } else if (w == 1) {
            *out = (int8_t)u;
        } else if (w == 2) {
            *out = (int16_t)u;
        } else if (w == 4) {
            *out = (int32_t)u;
        } else {
            *out = (int64_t)u;
        }
    }
    return 0;
}

int mp_read_float(struct mp_reader *r, double *out)
{
    const uint8_t *p;

    if (r->p >= r->end)
        return ERR_MALFORMED;
    if (*r->p == 0xca) {
        uint32_t u;
        float f;

        r->p++;
        if (take(r, 4, &p) != 0)
            return ERR_MALFORMED;
        u = (uint32_t)be(p, 4);
        memcpy(&f, &u, sizeof(f));
        *out = f;
        return 0;
    }
    if (*r->p == 0xcb) {
        uint64_t u;

        r->p++;
        if (take(r, 8, &p) != 0)
            return ERR_MALFORMED;
        u = be(p, 8);
        memcpy(out, &u, sizeof(*out));
        return 0;
    }
    return ERR_MALFORMED;
}

/* Reads the length that follows a tag of lw bytes, bounded by what is left. */
static int read_len(struct mp_reader *r, int lw, uint32_t *n)
{
    const uint8_t *p;

    r->p++;
    if (take(r, (size_t)lw, &p) != 0)
        return ERR_MALFORMED;
    *n = (uint32_t)be(p, lw);
    return 0;
}

int mp_read_str(struct mp_reader *r, const char **s, uint32_t *len)
{
    uint8_t b;
    uint32_t n;

    if (r->p >= r->end)
        return ERR_MALFORMED;
    b = *r->p;
    if (b >= 0xa0 && b <= 0xbf) {
        r->p++;
        n = b & 0x1f;
    } else if (b == 0xd9 || b == 0xc4) {
        if (read_len(r, 1, &n) != 0)
            return ERR_MALFORMED;
    } else if (b == 0xda || b == 0xc5) {
        if (read_len(r, 2, &n) != 0)
            return ERR_MALFORMED;
    } else if (b == 0xdb || b == 0xc6) {
        if (read_len(r, 4, &n) != 0)
            return ERR_MALFORMED;
    } else {
        return ERR_MALFORMED;
    }
    if (n > mp_remaining(r))
        return ERR_MALFORMED;
    *s = (const char *)r->p;
    *len = n;
    r->p += n;
    return 0;
}

static int read_count(struct mp_reader *r,
                      uint8_t fix_lo,
                      uint8_t b16,
                      uint8_t b32,
                      uint32_t per,
                      uint32_t *n)
{
    uint8_t b;

    if (r->p >= r->end)
        return ERR_MALFORMED;
    b = *r->p;
    if (b >= fix_lo && b <= fix_lo + 0x0f) {
        r->p++;
        *n = b & 0x0f;
    } else if (b == b16) {
        if (read_len(r, 2, n) != 0)
            return ERR_MALFORMED;
    } else if (b == b32) {
        if (read_len(r, 4, n) != 0)
            return ERR_MALFORMED;
    } else {
        return ERR_MALFORMED;
    }
    if ((uint64_t)*n * per > mp_remaining(r))
        return ERR_MALFORMED;
    return 0;
}

int mp_read_array(struct mp_reader *r, uint32_t *n)
{
    return read_count(r, 0x90, 0xdc, 0xdd, 1, n);
}

int mp_read_map(struct mp_reader *r, uint32_t *n)
{
    return read_count(r, 0x80, 0xde, 0xdf, 2, n);
}

static int skip(struct mp_reader *r, int depth)
{
    const uint8_t *p;
    const char *s;
    uint32_t n;
    int64_t i;
    double d;
    bool b;

    if (depth > MP_MAX_DEPTH)
        return ERR_MALFORMED;
    switch (mp_peek(r)) {
    case MP_NIL:
        r->p++;
        return 0;
    case MP_BOOL:
        return mp_read_bool(r, &b);
    case MP_INT:
        if (*r->p == 0xcf) { /* uint64 beyond int64 is still skippable */
            r->p++;
            return take(r, 8, &p);
        }
        return mp_read_int(r, &i);
    case MP_FLOAT:
        return mp_read_float(r, &d);
    case MP_STR:
    case MP_BIN:
        return mp_read_str(r, &s, &n);
    case MP_ARRAY:
        if (mp_read_array(r, &n) != 0)
            return ERR_MALFORMED;
        for (uint32_t k = 0; k < n; k++) {
            if (skip(r, depth + 1) != 0)
                return ERR_MALFORMED;
        }
        return 0;
    case MP_MAP:
        if (mp_read_map(r, &n) != 0)
            return ERR_MALFORMED;
        for (uint32_t k = 0; k < 2 * n; k++) {
            if (skip(r, depth + 1) != 0)
                return ERR_MALFORMED;
        }
        return 0;
    case MP_EXT: {
        static const struct
        {
            uint8_t tag;
            int lw;
            uint32_t fixed;
        } ext[] = {{0xd4, 0, 1},  {0xd5, 0, 2}, {0xd6, 0, 4}, {0xd7, 0, 8},
                   {0xd8, 0, 16}, {0xc7, 1, 0}, {0xc8, 2, 0}, {0xc9, 4, 0}};

        for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
            if (ext[k].tag != *r->p)
                continue;
            if (ext[k].lw == 0) {
                r->p++;
                n = ext[k].fixed;
            } else if (read_len(r, ext[k].lw, &n) != 0) {
                return ERR_MALFORMED;
            }
            return take(r, (size_t)n + 1, &p); /* type byte + data */
        }
        return ERR_MALFORMED;
    }
    case MP_INVALID:
    default:
        return ERR_MALFORMED;
    }
}

int mp_skip(struct mp_reader *r)
{
    return skip(r, 0);
}
