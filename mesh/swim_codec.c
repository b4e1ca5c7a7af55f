/*
 * SWIM packets and push/pull states in msgpack (format in swim_codec.h).
 * Decoding never trusts a length: lib/mp bounds every string and count by
 * the bytes that remain, and the fields are bounded again here by the
 * protocol's limits before any array is allocated.
 */
#include "mesh/swim_codec.h"

#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/mp.h"
#include "mesh/swim.h"

/* ------------------------------------------------------------------ helpers */

static int read_u64(struct mp_reader *r, uint64_t *out)
{
    int64_t v;

    if (mp_read_int(r, &v) != 0 || v < 0)
        return ERR_MALFORMED;
    *out = (uint64_t)v;
    return 0;
}

static int read_u32(struct mp_reader *r, uint32_t *out)
{
    uint64_t v;

    if (read_u64(r, &v) != 0 || v > UINT32_MAX)
        return ERR_MALFORMED;
    *out = (uint32_t)v;
    return 0;
}

/* A string of 1..max bytes (0..max when may_be_empty) with no NUL. */
static int read_name(struct mp_reader *r,
                     struct swim_str *out,
                     uint32_t max,
                     bool may_be_empty)
{
    const char *s;
    uint32_t len;

    if (mp_peek(r) != MP_STR || mp_read_str(r, &s, &len) != 0)
        return ERR_MALFORMED;
    if (len > max || (len == 0 && !may_be_empty) ||
        memchr(s, '\0', len) != NULL)
        return ERR_MALFORMED;
    out->p = s;
    out->len = len;
    return 0;
}

static int read_bytes(struct mp_reader *r,
                      const uint8_t **p,
                      uint32_t *len,
                      uint32_t max)
{
    const char *s;

    if (mp_read_str(r, &s, len) != 0 || *len > max)
        return ERR_MALFORMED;
    *p = (const uint8_t *)s;
    return 0;
}

/* The raw bytes of the next value (a tags map), validated. */
static int read_tags(struct mp_reader *r, const uint8_t **p, uint32_t *len)
{
    const uint8_t *start = r->p;

    if (mp_peek(r) != MP_MAP || mp_skip(r) != 0)
        return ERR_MALFORMED;
    if ((size_t)(r->p - start) > SWIM_TAGS_BYTES_MAX)
        return ERR_TOO_BIG;
    if (swim_tags_validate(start, (size_t)(r->p - start), NULL) != 0)
        return ERR_MALFORMED;
    *p = start;
    *len = (uint32_t)(r->p - start);
    return 0;
}

static void put_sstr(struct buf *b, struct swim_str s)
{
    mp_put_strn(b, s.p != NULL ? s.p : "", s.len);
}

/* ------------------------------------------------------------------ tags */

int swim_tags_validate(const uint8_t *tags, size_t len, struct err *err)
{
    struct mp_reader r;
    uint32_t n;

    if (len > SWIM_TAGS_BYTES_MAX)
        return err_set(err, ERR_TOO_BIG, "tags: %zu bytes, over %d", len,
                       SWIM_TAGS_BYTES_MAX);
    mp_reader_init(&r, tags, len);
    if (mp_read_map(&r, &n) != 0)
        return err_set(err, ERR_MALFORMED, "tags: not a map");
    if (n > SWIM_TAGS_MAX)
        return err_set(err, ERR_TOO_BIG, "tags: %u pairs, over %d", n,
                       SWIM_TAGS_MAX);
    for (uint32_t i = 0; i < n; i++) {
        struct swim_str k, v;

        if (read_name(&r, &k, SWIM_TAG_KEY_MAX, false) != 0)
            return err_set(err, ERR_MALFORMED, "tags: key %u is bad", i);
        if (read_name(&r, &v, SWIM_TAG_VALUE_MAX, true) != 0)
            return err_set(err, ERR_MALFORMED, "tags: value of \"%.*s\" is bad",
                           (int)k.len, k.p);
    }
    if (mp_remaining(&r) != 0)
        return err_set(err, ERR_MALFORMED, "tags: trailing bytes");
    return 0;
}

void swim_tags_encode(const char *const *keys,
                      const char *const *values,
                      size_t n,
                      struct buf *out)
{
    mp_put_map(out, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        mp_put_str(out, keys[i]);
        mp_put_str(out, values[i]);
    }
}

bool swim_tags_get(const uint8_t *tags,
                   size_t len,
                   const char *key,
                   char *out,
                   size_t out_size)
{
    struct mp_reader r;
    uint32_t n;
    size_t klen = strlen(key);

    mp_reader_init(&r, tags, len);
    if (len == 0 || mp_read_map(&r, &n) != 0)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        const char *k, *v;
        uint32_t kl, vl;

        if (mp_read_str(&r, &k, &kl) != 0 || mp_read_str(&r, &v, &vl) != 0)
            return false;
        if (kl == klen && memcmp(k, key, kl) == 0) {
            if (out_size == 0)
                return true;
            if (vl >= out_size)
                vl = (uint32_t)(out_size - 1);
            memcpy(out, v, vl);
            out[vl] = '\0';
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ encode */

void swim_msg_encode(const struct swim_msg *m, struct buf *out)
{
    switch (m->type) {
    case SWIM_MSG_PING:
        mp_put_array(out, 5);
        mp_put_int(out, m->type);
        mp_put_int(out, (int64_t)m->seq);
        put_sstr(out, m->name);
        put_sstr(out, m->from);
        put_sstr(out, m->from_addr);
        break;
    case SWIM_MSG_PING_REQ:
        mp_put_array(out, 6);
        mp_put_int(out, m->type);
        mp_put_int(out, (int64_t)m->seq);
        put_sstr(out, m->name);
        put_sstr(out, m->addr);
        put_sstr(out, m->from);
        mp_put_bool(out, m->want_nack);
        break;
    case SWIM_MSG_ACK:
    case SWIM_MSG_NACK:
        mp_put_array(out, 2);
        mp_put_int(out, m->type);
        mp_put_int(out, (int64_t)m->seq);
        break;
    case SWIM_MSG_ALIVE:
        mp_put_array(out, 5);
        mp_put_int(out, m->type);
        put_sstr(out, m->name);
        put_sstr(out, m->addr);
        mp_put_int(out, m->incarnation);
        if (m->data_len > 0)
            buf_append(out, m->data, m->data_len);
        else
            mp_put_map(out, 0);
        break;
    case SWIM_MSG_SUSPECT:
    case SWIM_MSG_DEAD:
        mp_put_array(out, 4);
        mp_put_int(out, m->type);
        put_sstr(out, m->name);
        mp_put_int(out, m->incarnation);
        put_sstr(out, m->from);
        break;
    case SWIM_MSG_RECORD:
        mp_put_array(out, 5);
        mp_put_int(out, m->type);
        put_sstr(out, m->name);
        put_sstr(out, m->key);
        mp_put_int(out, (int64_t)m->version);
        if (m->has_value)
            mp_put_bin(out, m->data != NULL ? m->data : (const uint8_t *)"",
                       m->data_len);
        else
            mp_put_nil(out);
        break;
    case SWIM_MSG_RECNOTE:
        mp_put_array(out, 3);
        mp_put_int(out, m->type);
        put_sstr(out, m->name);
        mp_put_int(out, (int64_t)m->version);
        break;
    case SWIM_MSG_STATE:
        mp_put_array(out, 2);
        mp_put_int(out, m->type);
        mp_put_bin(out, m->data, m->data_len);
        break;
    }
}

size_t swim_packet_header_size(uint32_t n)
{
    /* array header (1, 3 or 5 bytes) + the version (a fixint) */
    return (n + 1 <= 15 ? 1 : n + 1 <= 0xffff ? 3 : 5) + 1;
}

void swim_packet_frame(uint32_t n,
                       const void *msgs,
                       size_t msgs_len,
                       struct buf *out)
{
    mp_put_array(out, n + 1);
    mp_put_int(out, SWIM_WIRE_VERSION);
    buf_append(out, msgs, msgs_len);
}

/* ------------------------------------------------------------------ decode */

static const char *type_name(int64_t t)
{
    static const char *names[] = {"?",      "ping",    "ping-req", "ack",
                                  "nack",   "alive",   "suspect",  "dead",
                                  "record", "recnote", "state"};

    return t >= 1 && t <= SWIM_MSG_STATE ? names[t] : "unknown";
}

/* Reads the fields of m->type; nf is how many the array holds in all. */
static int decode_fields(struct mp_reader *r, uint32_t nf, struct swim_msg *m)
{
    uint32_t want = 0;

    switch (m->type) {
    case SWIM_MSG_PING:
        want = 5;
        if (nf < want || read_u64(r, &m->seq) != 0 ||
            read_name(r, &m->name, SWIM_NAME_MAX, true) != 0 ||
            read_name(r, &m->from, SWIM_NAME_MAX, false) != 0 ||
            read_name(r, &m->from_addr, SWIM_ADDR_MAX, true) != 0)
            return ERR_MALFORMED;
        break;
    case SWIM_MSG_PING_REQ:
        want = 6;
        if (nf < want || read_u64(r, &m->seq) != 0 ||
            read_name(r, &m->name, SWIM_NAME_MAX, false) != 0 ||
            read_name(r, &m->addr, SWIM_ADDR_MAX, false) != 0 ||
            read_name(r, &m->from, SWIM_NAME_MAX, false) != 0 ||
            mp_read_bool(r, &m->want_nack) != 0)
            return ERR_MALFORMED;
        break;
    case SWIM_MSG_ACK:
    case SWIM_MSG_NACK:
        want = 2;
        if (nf < want || read_u64(r, &m->seq) != 0)
            return ERR_MALFORMED;
        break;
    case SWIM_MSG_ALIVE:
        want = 5;
        if (nf < want || read_name(r, &m->name, SWIM_NAME_MAX, false) != 0 ||
            read_name(r, &m->addr, SWIM_ADDR_MAX, false) != 0 ||
            read_u32(r, &m->incarnation) != 0 ||
            read_tags(r, &m->data, &m->data_len) != 0)
            return ERR_MALFORMED;
        break;
    case SWIM_MSG_SUSPECT:
    case SWIM_MSG_DEAD:
        want = 4;
        if (nf < want || read_name(r, &m->name, SWIM_NAME_MAX, false) != 0 ||
            read_u32(r, &m->incarnation) != 0 ||
            read_name(r, &m->from, SWIM_NAME_MAX, false) != 0)
            return ERR_MALFORMED;
        break;
    case SWIM_MSG_RECORD:
        want = 5;
        if (nf < want || read_name(r, &m->name, SWIM_NAME_MAX, false) != 0 ||
            read_name(r, &m->key, SWIM_RECORD_KEY_MAX, false) != 0 ||
            read_u64(r, &m->version) != 0 || m->version == 0)
            return ERR_MALFORMED;
        m->has_value = !mp_try_nil(r);
        if (m->has_value &&
            read_bytes(r, &m->data, &m->data_len, SWIM_RECORD_VALUE_MAX) != 0)
            return ERR_MALFORMED;
        break;
    case SWIM_MSG_RECNOTE:
        want = 3;
        if (nf < want || read_name(r, &m->name, SWIM_NAME_MAX, false) != 0 ||
            read_u64(r, &m->version) != 0)
            return ERR_MALFORMED;
        break;
    case SWIM_MSG_STATE:
        want = 2;
        if (nf < want || mp_peek(r) != MP_BIN ||
            read_bytes(r, &m->data, &m->data_len, UINT32_MAX) != 0)
            return ERR_MALFORMED;
        break;
    }
    for (uint32_t i = want; i < nf; i++)
        if (mp_skip(r) != 0)
            return ERR_MALFORMED;
    return 0;
}

int swim_packet_decode(const void *data,
                       size_t len,
                       struct swim_packet *p,
                       struct err *err)
{
    struct mp_reader r;
    uint32_t n;
    int64_t version;

    memset(p, 0, sizeof(*p));
    mp_reader_init(&r, data, len);
    if (mp_read_array(&r, &n) != 0 || n < 1)
        return err_set(err, ERR_MALFORMED, "swim packet: not an array");
    if (mp_read_int(&r, &version) != 0)
        return err_set(err, ERR_MALFORMED, "swim packet: no version");
    if (version != SWIM_WIRE_VERSION)
        return err_set(err, ERR_VERSION, "swim packet: version %lld",
                       (long long)version);
    n--;
    if (n > SWIM_PACKET_MSGS_MAX)
        return err_set(err, ERR_TOO_BIG, "swim packet: %u messages, over %d", n,
                       SWIM_PACKET_MSGS_MAX);
    /* mp_read_array bounded n by the bytes left: this is small. */
    p->msgs = xcalloc(n > 0 ? n : 1, sizeof(*p->msgs));
    for (uint32_t i = 0; i < n; i++) {
        struct swim_msg *m = &p->msgs[p->n];
        uint32_t nf;
        int64_t type;
        int rc;

        if (mp_read_array(&r, &nf) != 0 || nf < 1 ||
            mp_read_int(&r, &type) != 0) {
            swim_packet_release(p);
            return err_set(err, ERR_MALFORMED,
                           "swim packet: message %u has no type", i);
        }
        if (type < SWIM_MSG_PING || type > SWIM_MSG_STATE) {
            for (uint32_t f = 1; f < nf; f++) {
                if (mp_skip(&r) != 0) {
                    swim_packet_release(p);
                    return err_set(err, ERR_MALFORMED,
                                   "swim packet: message %u is cut short", i);
                }
            }
            p->skipped++;
            continue;
        }
        memset(m, 0, sizeof(*m));
        m->type = (enum swim_msg_type)type;
        rc = decode_fields(&r, nf, m);
        if (rc != 0) {
            swim_packet_release(p);
            return err_set(err, rc, "swim packet: message %u (%s) is bad", i,
                           type_name(type));
        }
        p->n++;
    }
    if (mp_remaining(&r) != 0) {
        swim_packet_release(p);
        return err_set(err, ERR_MALFORMED, "swim packet: trailing bytes");
    }
    return 0;
}

void swim_packet_release(struct swim_packet *p)
{
    free(p->msgs);
    memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ state */

static int decode_member(struct mp_reader *r, struct swim_state_member *m)
{
    uint32_t nf;

    if (mp_read_array(r, &nf) != 0 || nf < 5 ||
        read_name(r, &m->name, SWIM_NAME_MAX, false) != 0 ||
        read_name(r, &m->addr, SWIM_ADDR_MAX, false) != 0 ||
        read_u32(r, &m->incarnation) != 0 || read_u32(r, &m->state) != 0 ||
        m->state > SWIM_MEMBER_LEFT ||
        read_tags(r, &m->tags, &m->tags_len) != 0)
        return ERR_MALFORMED;
    for (uint32_t i = 5; i < nf; i++)
        if (mp_skip(r) != 0)
            return ERR_MALFORMED;
    return 0;
}

static int decode_record(struct mp_reader *r,
                         struct swim_str owner,
                         struct swim_state_record *rec)
{
    uint32_t nf;

    rec->owner = owner;
    if (mp_read_array(r, &nf) != 0 || nf < 3 ||
        read_name(r, &rec->key, SWIM_RECORD_KEY_MAX, false) != 0 ||
        read_u64(r, &rec->version) != 0 || rec->version == 0)
        return ERR_MALFORMED;
    rec->has_value = !mp_try_nil(r);
    if (rec->has_value &&
        read_bytes(r, &rec->value, &rec->value_len, SWIM_RECORD_VALUE_MAX) != 0)
        return ERR_MALFORMED;
    for (uint32_t i = 3; i < nf; i++)
        if (mp_skip(r) != 0)
            return ERR_MALFORMED;
    return 0;
}

/*
 * Records come grouped by owner; the total is not known up front, so the
 * array grows, but every element consumed input bytes and every owner's
 * count is bounded first.
 */
static int decode_records(struct mp_reader *r,
                          struct swim_state *st,
                          struct err *err)
{
    uint32_t n_owners;
    size_t cap = 0;

    if (mp_read_array(r, &n_owners) != 0)
        return err_set(err, ERR_MALFORMED, "swim state: records not a list");
    if (n_owners > SWIM_MEMBERS_MAX)
        return err_set(err, ERR_TOO_BIG, "swim state: %u record owners",
                       n_owners);
    for (uint32_t o = 0; o < n_owners; o++) {
        struct swim_str owner;
        uint32_t nf, n;

        if (mp_read_array(r, &nf) != 0 || nf < 2 ||
            read_name(r, &owner, SWIM_NAME_MAX, false) != 0 ||
            mp_read_array(r, &n) != 0)
            return err_set(err, ERR_MALFORMED,
                           "swim state: record owner %u is bad", o);
        if (n > SWIM_RECORDS_MAX)
            return err_set(err, ERR_TOO_BIG,
                           "swim state: %u records of \"%.*s\", over %d", n,
                           (int)owner.len, owner.p, SWIM_RECORDS_MAX);
        XGROW(st->records, cap, (size_t)st->n_records + n);
        for (uint32_t i = 0; i < n; i++) {
            if (decode_record(r, owner, &st->records[st->n_records]) != 0)
                return err_set(err, ERR_MALFORMED,
                               "swim state: record %u of \"%.*s\" is bad", i,
                               (int)owner.len, owner.p);
            st->n_records++;
        }
        for (uint32_t i = 2; i < nf; i++)
            if (mp_skip(r) != 0)
                return err_set(err, ERR_MALFORMED,
                               "swim state: record owner %u is bad", o);
    }
    return 0;
}

static int decode_state(struct mp_reader *r,
                        struct swim_state *st,
                        struct err *err)
{
    uint32_t nf, n;
    int64_t version;
    int rc;

    if (mp_read_array(r, &nf) != 0 || nf < 5)
        return err_set(err, ERR_MALFORMED, "swim state: not a state");
    if (mp_read_int(r, &version) != 0)
        return err_set(err, ERR_MALFORMED, "swim state: no version");
    if (version != SWIM_WIRE_VERSION)
        return err_set(err, ERR_VERSION, "swim state: version %lld",
                       (long long)version);
    if (read_name(r, &st->from, SWIM_NAME_MAX, false) != 0 ||
        mp_read_bool(r, &st->join) != 0)
        return err_set(err, ERR_MALFORMED, "swim state: bad sender");
    if (mp_read_array(r, &n) != 0)
        return err_set(err, ERR_MALFORMED, "swim state: members not a list");
    if (n > SWIM_MEMBERS_MAX)
        return err_set(err, ERR_TOO_BIG, "swim state: %u members, over %d", n,
                       SWIM_MEMBERS_MAX);
    st->members = xcalloc(n > 0 ? n : 1, sizeof(*st->members));
    for (uint32_t i = 0; i < n; i++) {
        if (decode_member(r, &st->members[i]) != 0)
            return err_set(err, ERR_MALFORMED, "swim state: member %u is bad",
                           i);
        st->n_members++;
    }
    rc = decode_records(r, st, err);
    if (rc != 0)
        return rc;
    for (uint32_t i = 5; i < nf; i++)
        if (mp_skip(r) != 0)
            return err_set(err, ERR_MALFORMED,
                           "swim state: bad trailing field");
    if (mp_remaining(r) != 0)
        return err_set(err, ERR_MALFORMED, "swim state: trailing bytes");
    return 0;
}

int swim_state_decode(const void *data,
                      size_t len,
                      struct swim_state *st,
                      struct err *err)
{
    struct mp_reader r;
    int rc;

    memset(st, 0, sizeof(*st));
    mp_reader_init(&r, data, len);
    rc = decode_state(&r, st, err);
    if (rc != 0)
        swim_state_release(st);
    return rc;
}

void swim_state_release(struct swim_state *st)
{
    free(st->members);
    free(st->records);
    memset(st, 0, sizeof(*st));
}
