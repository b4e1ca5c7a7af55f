/*
 * The SWIM wire format (msgpack), shared by datagrams and streams.
 *
 *   packet  = [1, msg, msg, ...]              version first, then messages
 *   msg     = [type, fields...]                per type below
 *   PING     [1, seq, target, from, from_addr]
 *   PING_REQ [2, seq, target, target_addr, from, want_nack]
 *   ACK      [3, seq]
 *   NACK     [4, seq]
 *   ALIVE    [5, name, addr, incarnation, tags]   tags: map str -> str
 *   SUSPECT  [6, name, incarnation, from]
 *   DEAD     [7, name, incarnation, from]        from == name: it left
 *   RECORD   [8, owner, key, version, value]     value nil: deleted
 *   RECNOTE  [9, owner, version]                 too big: pull from owner
 *   STATE    [10, bin state]                     push/pull (streams only)
 *
 *   state   = [1, from, join, [member...], [owner_records...]]
 *   member  = [name, addr, incarnation, state, tags]
 *   owner_records = [owner, [[key, version, value|nil], ...]]
 *
 * A message may carry more fields than listed (a later minor revision):
 * they are skipped. Unknown message types are skipped and counted. Every
 * string and count is bounded (mesh/swim.h) before anything is allocated;
 * decoded strings point into the input.
 */
#ifndef CARAVAN_MESH_SWIM_CODEC_H
#define CARAVAN_MESH_SWIM_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct err;

#define SWIM_WIRE_VERSION 1

enum swim_msg_type {
    SWIM_MSG_PING = 1,
    SWIM_MSG_PING_REQ = 2,
    SWIM_MSG_ACK = 3,
    SWIM_MSG_NACK = 4,
    SWIM_MSG_ALIVE = 5,
    SWIM_MSG_SUSPECT = 6,
    SWIM_MSG_DEAD = 7,
    SWIM_MSG_RECORD = 8,
    SWIM_MSG_RECNOTE = 9,
    SWIM_MSG_STATE = 10,
};

/* Bytes inside the decoded input; not NUL-terminated. */
struct swim_str
{
    const char *p;
    uint32_t len;
};

struct swim_msg
{
    enum swim_msg_type type;
    uint64_t seq;         /* PING, PING_REQ, ACK, NACK */
    uint64_t version;     /* RECORD, RECNOTE */
    uint32_t incarnation; /* ALIVE, SUSPECT, DEAD */
    bool want_nack;       /* PING_REQ */
    bool has_value;       /* RECORD: false = tombstone */
    struct swim_str name; /* target / subject / owner */
    struct swim_str addr; /* PING_REQ target, ALIVE subject address */
    struct swim_str from; /* PING, PING_REQ sender; SUSPECT, DEAD accuser */
    struct swim_str from_addr; /* PING */
    struct swim_str key;       /* RECORD */
    const uint8_t *data;       /* ALIVE tags, RECORD value, STATE bytes */
    uint32_t data_len;
};

struct swim_packet
{
    uint32_t n;
    struct swim_msg *msgs; /* heap; swim_packet_release() frees */
    uint32_t skipped;      /* messages of unknown type */
};

/*
 * Decodes a packet. On success p->msgs points into data (which must
 * outlive p). ERR_VERSION for another wire version, ERR_MALFORMED or
 * ERR_TOO_BIG otherwise, with err naming the message and field.
 */
int swim_packet_decode(const void *data,
                       size_t len,
                       struct swim_packet *p,
                       struct err *err);
void swim_packet_release(struct swim_packet *p);

/* Appends one encoded message (without the packet header) to out. */
void swim_msg_encode(const struct swim_msg *m, struct buf *out);
/*
 * Appends a packet made of n pre-encoded messages (concatenated in msgs,
 * msgs_len bytes) to out.
 */
void swim_packet_frame(uint32_t n,
                       const void *msgs,
                       size_t msgs_len,
                       struct buf *out);
/* Bytes the packet header takes for n messages. */
size_t swim_packet_header_size(uint32_t n);

/* One member of a push/pull state. */
struct swim_state_member
{
    struct swim_str name;
    struct swim_str addr;
    uint32_t incarnation;
    uint32_t state; /* enum swim_member_state */
    const uint8_t *tags;
    uint32_t tags_len;
};

struct swim_state_record
{
    struct swim_str owner;
    struct swim_str key;
    uint64_t version;
    bool has_value;
    const uint8_t *value;
    uint32_t value_len;
};

struct swim_state
{
    struct swim_str from;
    bool join;
    uint32_t n_members;
    struct swim_state_member *members; /* heap */
    uint32_t n_records;
    struct swim_state_record *records; /* heap, grouped by owner */
};

/* Decodes a push/pull state; like swim_packet_decode() for errors. */
int swim_state_decode(const void *data,
                      size_t len,
                      struct swim_state *st,
                      struct err *err);
void swim_state_release(struct swim_state *st);

/*
 * Checks encoded tags: a map of at most SWIM_TAGS_MAX str -> str pairs
 * within their bounds, SWIM_TAGS_BYTES_MAX bytes in all.
 */
int swim_tags_validate(const uint8_t *tags, size_t len, struct err *err);
/* Encodes n tags into out (a msgpack map). */
void swim_tags_encode(const char *const *keys,
                      const char *const *values,
                      size_t n,
                      struct buf *out);

#endif
