/*
 * The SWIM core's anti-entropy: records spread by broadcast (and, when
 * too big for a packet, by a notice that makes members pull), and the
 * push/pull exchange of full state that repairs whatever gossip missed
 * (memberlist's push/pull; SWIM §4.1 leaves dissemination best-effort).
 *
 * Record merge rule (see records.c): per key, the higher version wins;
 * versions come from the owner's counter, so the later change always
 * wins. An owner that finds a version of its own records newer than its
 * counter (it restarted) jumps past it and republishes what it holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/mp.h"
#include "mesh/swim.h"
#include "mesh/swim_codec.h"
#include "mesh/swim_int.h"

/* ------------------------------------------------------------------ records */

static void broadcast_record(struct swim *s,
                             const struct member *owner,
                             const struct record *rec)
{
    struct swim_msg msg;
    char key[SWIM_NAME_MAX + SWIM_RECORD_KEY_MAX + 8];

    memset(&msg, 0, sizeof(msg));
    msg.type = SWIM_MSG_RECORD;
    msg.name = swim__sstr(owner->name);
    msg.key = swim__sstr(rec->key);
    msg.version = rec->version;
    msg.has_value = rec->value != NULL;
    msg.data = rec->value;
    msg.data_len = (uint32_t)rec->len;
    swim__bcast_key("r:", owner->name, rec->key, key, sizeof(key));
    if (rec->len + 64 + strlen(owner->name) + strlen(rec->key) <
        s->cfg.packet_size - 16) {
        swim__broadcast_msg(s, key, &msg);
        return;
    }
    /* Too big to ride along: tell members to pull it from the owner. */
    msg.type = SWIM_MSG_RECNOTE;
    msg.version = owner->records.version;
    swim__bcast_key("n:", owner->name, NULL, key, sizeof(key));
    swim__broadcast_msg(s, key, &msg);
}

/*
 * Someone holds a version of our own record newer than ours: we restarted
 * and lost our counter. Jump past it and publish what we hold now, so our
 * current set wins everywhere.
 */
static bool same_value(const struct record *rec, const struct swim_msg *msg)
{
    if (rec->value == NULL || !msg->has_value)
        return rec->value == NULL && !msg->has_value;
    return rec->len == msg->data_len &&
           (rec->len == 0 || memcmp(rec->value, msg->data, rec->len) == 0);
}

static void reassert_record(struct swim *s,
                            uint64_t now_ms,
                            const struct swim_msg *msg)
{
    struct records *r = &s->self->records;
    struct record *rec = swim__records_find(r, msg->key.p, msg->key.len);
    uint64_t v;

    /* Never hand out a version someone has already seen. */
    if (msg->version > r->version)
        r->version = msg->version;
    if (rec != NULL && rec->version >= msg->version &&
        (rec->version > msg->version || same_value(rec, msg)))
        return; /* they are behind us, or agree */
    if (rec != NULL && same_value(rec, msg)) {
        rec->version = msg->version; /* agree: take their number */
        return;
    }
    if (rec == NULL && !msg->has_value)
        return; /* deleted, as we hold it */
    v = r->version + 1;
    if (rec != NULL && rec->value != NULL) {
        uint8_t *copy = xmalloc(rec->len > 0 ? rec->len : 1);

        memcpy(copy, rec->value, rec->len);
        swim__records_apply(r, rec->key, strlen(rec->key), v, copy, rec->len,
                            now_ms);
        free(copy);
    } else {
        swim__records_apply(r, msg->key.p, msg->key.len, v, NULL, 0, now_ms);
    }
    rec = swim__records_find(r, msg->key.p, msg->key.len);
    if (rec != NULL)
        broadcast_record(s, s->self, rec);
}

void swim__on_record(struct swim *s,
                     uint64_t now_ms,
                     const struct swim_msg *msg)
{
    struct member *m = swim__find(s, msg->name.p, msg->name.len);
    int rc;

    if (m == NULL || m->state == SWIM_MEMBER_LEFT)
        return;
    if (m == s->self) {
        reassert_record(s, now_ms, msg);
        return;
    }
    rc = swim__records_apply(&m->records, msg->key.p, msg->key.len,
                             msg->version, msg->has_value ? msg->data : NULL,
                             msg->data_len, now_ms);
    if (rc < 0) {
        s->stats.decode_errors++;
        return;
    }
    if (rc == 0)
        return;
    swim__emit(s, SWIM_EVENT_RECORDS, m, 0, NULL);
    broadcast_record(s, m,
                     swim__records_find(&m->records, msg->key.p, msg->key.len));
}

void swim__on_recnote(struct swim *s,
                      uint64_t now_ms,
                      const struct swim_msg *msg)
{
    struct member *m = swim__find(s, msg->name.p, msg->name.len);
    char key[SWIM_NAME_MAX + 8];

    if (m == NULL || m == s->self || swim__is_gone(m) ||
        msg->version <= m->records.version || msg->version <= m->pull_version)
        return;
    m->pull_version = msg->version;
    swim__bcast_key("n:", m->name, NULL, key, sizeof(key));
    swim__broadcast_msg(s, key, msg);
    /* One pull at a time per owner, whatever notices keep coming. */
    for (size_t i = 0; i < s->n_streams; i++)
        if (s->streams[i].kind == STREAM_PUSH_PULL &&
            strcmp(s->streams[i].addr, m->addr) == 0)
            return;
    swim__push_pull(s, now_ms, m->addr, STREAM_PUSH_PULL, 0);
}

int swim_record_set(struct swim *s,
                    uint64_t now_ms,
                    const char *key,
                    const void *value,
                    size_t len,
                    struct err *err)
{
    struct records *r = &s->self->records;
    size_t klen = strlen(key);
    int rc;

    if (klen == 0 || klen > SWIM_RECORD_KEY_MAX)
        return err_set(err, ERR_INVALID, "record key: %zu bytes, want 1..%d",
                       klen, SWIM_RECORD_KEY_MAX);
    if (value != NULL && len > SWIM_RECORD_VALUE_MAX)
        return err_set(err, ERR_INVALID,
                       "record \"%s\": value of %zu bytes, over %d", key, len,
                       SWIM_RECORD_VALUE_MAX);
    rc = swim__records_apply(r, key, klen, r->version + 1, value,
                             value != NULL ? len : 0, now_ms);
    if (rc < 0)
        return err_set(err, rc, "record \"%s\": over %d keys or %d bytes", key,
                       SWIM_RECORDS_MAX, SWIM_RECORDS_BYTES_MAX);
    swim__emit(s, SWIM_EVENT_RECORDS, s->self, 0, NULL);
    broadcast_record(s, s->self, swim__records_find(r, key, klen));
    return 0;
}

size_t swim_records(struct swim *s,
                    const char *name,
                    const struct swim_record **out)
{
    struct member *m = swim__find(s, name, strlen(name));
    struct records *r;

    *out = NULL;
    if (m == NULL)
        return 0;
    r = &m->records;
    XGROW(r->view, r->view_cap, r->n > 0 ? r->n : 1);
    for (size_t i = 0; i < r->n; i++) {
        r->view[i].key = r->items[i].key;
        r->view[i].version = r->items[i].version;
        r->view[i].value = r->items[i].value;
        r->view[i].len = r->items[i].len;
    }
    *out = r->view;
    return r->n;
}

/* ------------------------------------------------------------------ push/pull
 */

void swim__state_packet(struct swim *s, bool join, struct buf *out)
{
    struct buf st = BUF_INIT;
    struct buf msg = BUF_INIT;
    struct swim_msg m;
    uint32_t owners = 0;

    mp_put_array(&st, 5);
    mp_put_int(&st, SWIM_WIRE_VERSION);
    mp_put_str(&st, s->self->name);
    mp_put_bool(&st, join);
    mp_put_array(&st, (uint32_t)s->n_members);
    for (size_t i = 0; i < s->n_members; i++) {
        const struct member *mb = s->members[i];

        mp_put_array(&st, 5);
        mp_put_str(&st, mb->name);
        mp_put_str(&st, mb->addr);
        mp_put_int(&st, mb->incarnation);
        mp_put_int(&st, mb->state);
        if (mb->tags_len > 0)
            buf_append(&st, mb->tags, mb->tags_len);
        else
            mp_put_map(&st, 0);
        owners += mb->records.n > 0;
    }
    mp_put_array(&st, owners);
    for (size_t i = 0; i < s->n_members; i++) {
        const struct records *r = &s->members[i]->records;

        if (r->n == 0)
            continue;
        mp_put_array(&st, 2);
        mp_put_str(&st, s->members[i]->name);
        mp_put_array(&st, (uint32_t)r->n);
        for (size_t j = 0; j < r->n; j++) {
            mp_put_array(&st, 3);
            mp_put_str(&st, r->items[j].key);
            mp_put_int(&st, (int64_t)r->items[j].version);
            if (r->items[j].value != NULL)
                mp_put_bin(&st, r->items[j].value, r->items[j].len);
            else
                mp_put_nil(&st);
        }
    }
    memset(&m, 0, sizeof(m));
    m.type = SWIM_MSG_STATE;
    m.data = (const uint8_t *)st.data;
    m.data_len = (uint32_t)st.len;
    swim_msg_encode(&m, &msg);
    swim_packet_frame(1, msg.data, msg.len, out);
    buf_release(&msg);
    buf_release(&st);
}

/*
 * Another member's whole view, merged as if each entry had come as a
 * message. A member the remote holds dead is only suspected here: we give
 * it the chance to refute rather than trust a view that may be old
 * (memberlist does the same).
 */
void swim__merge_state(struct swim *s,
                       uint64_t now_ms,
                       const struct swim_state *st)
{
    for (uint32_t i = 0; i < st->n_members; i++) {
        const struct swim_state_member *sm = &st->members[i];
        struct swim_msg msg;

        memset(&msg, 0, sizeof(msg));
        msg.name = sm->name;
        msg.addr = sm->addr;
        msg.incarnation = sm->incarnation;
        msg.data = sm->tags;
        msg.data_len = sm->tags_len;
        switch ((enum swim_member_state)sm->state) {
        case SWIM_MEMBER_ALIVE:
            msg.type = SWIM_MSG_ALIVE;
            swim__on_alive(s, now_ms, &msg);
            break;
        case SWIM_MEMBER_SUSPECT:
        case SWIM_MEMBER_DEAD:
            msg.type = SWIM_MSG_SUSPECT;
            msg.from = swim__sstr(s->self->name);
            swim__on_suspect(s, now_ms, &msg);
            break;
        case SWIM_MEMBER_LEFT:
            msg.type = SWIM_MSG_DEAD;
            msg.from = sm->name;
            swim__on_dead(s, now_ms, &msg);
            break;
        }
    }
    for (uint32_t i = 0; i < st->n_records; i++) {
        const struct swim_state_record *r = &st->records[i];
        struct swim_msg msg;

        memset(&msg, 0, sizeof(msg));
        msg.type = SWIM_MSG_RECORD;
        msg.name = r->owner;
        msg.key = r->key;
        msg.version = r->version;
        msg.has_value = r->has_value;
        msg.data = r->value;
        msg.data_len = r->value_len;
        swim__on_record(s, now_ms, &msg);
    }
}
