/*
 * libFuzzer: any bytes as a SWIM datagram (they come from anyone who can
 * reach the port). A packet that decodes must re-encode message by message
 * to a packet that decodes to the same messages; and any bytes, fed to a
 * core as a datagram and as a stream request, must leave it consistent.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "mesh/swim.h"
#include "mesh/swim_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same_str(struct swim_str a, struct swim_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static void check_same(const struct swim_msg *a, const struct swim_msg *b)
{
    if (a->type != b->type || a->seq != b->seq || a->version != b->version ||
        a->incarnation != b->incarnation || a->want_nack != b->want_nack ||
        a->has_value != b->has_value || !same_str(a->name, b->name) ||
        !same_str(a->from, b->from) || !same_str(a->key, b->key) ||
        a->data_len != b->data_len ||
        (a->data_len > 0 && memcmp(a->data, b->data, a->data_len) != 0))
        abort();
}

static void feed_core(const uint8_t *data, size_t size)
{
    struct swim_config cfg;
    struct swim *s;
    struct swim_output out;
    struct buf reply = BUF_INIT;
    struct err err = ERR_INIT;

    swim_config_default(&cfg, SWIM_PROFILE_LAN);
    s = swim_new(&cfg, "a", "10.0.0.1:7946", 1, 0);
    swim_learn(s, 0, "b", "10.0.0.2:7946");
    swim_learn(s, 0, "c", "10.0.0.3:7946");
    swim_recv_packet(s, 10, "10.0.0.2:7946", data, size);
    if (swim_stream_serve(s, 20, "10.0.0.3:7946", data, size, &reply, &err) !=
            0 &&
        err.msg[0] == '\0')
        abort(); /* every failure says why */
    for (uint64_t t = 0; t < 5000; t += 100) {
        swim_tick(s, t + 30);
        while (swim_poll(s, &out))
            ;
    }
    if (swim_alive_count(s) > swim_member_count(s))
        abort();
    buf_release(&reply);
    swim_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct swim_packet p, q;
    struct err err = ERR_INIT;
    struct buf msgs = BUF_INIT, pkt = BUF_INIT;

    feed_core(data, size);
    if (swim_packet_decode(data, size, &p, &err) != 0) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    for (uint32_t i = 0; i < p.n; i++)
        swim_msg_encode(&p.msgs[i], &msgs);
    swim_packet_frame(p.n, msgs.data, msgs.len, &pkt);
    if (swim_packet_decode(pkt.data, pkt.len, &q, &err) != 0 || q.n != p.n)
        abort();
    for (uint32_t i = 0; i < p.n; i++)
        check_same(&p.msgs[i], &q.msgs[i]);
    swim_packet_release(&p);
    swim_packet_release(&q);
    buf_release(&msgs);
    buf_release(&pkt);
    return 0;
}
