/*
 * The gossip mesh's transport: UDP packets and one-shot framed TCP
 * streams on one ip:port, sealed through a keyring (seal.h).
 *
 * Packets: one datagram each way, no reply implied, at most
 * max_packet_bytes of payload (before sealing). Received packets that do
 * not open under the keyring are dropped and counted, never delivered.
 *
 * Streams: a request/response exchange for what does not fit a packet
 * (push/pull state sync). The caller connects, sends one frame, reads one
 * frame, closes:
 *
 *     frame = length (4 bytes, big-endian) | body (sealed when keyed)
 *
 * Both sides check the length against their limit before allocating
 * anything for the body; a frame over it ends the connection. The
 * accepting side hands the opened request to on_stream and writes the
 * one reply given to net_stream_reply(), then closes. An exchange fails
 * with ERR_TIMEOUT when the reply has not arrived within its timeout,
 * ERR_IO when the peer refuses or hangs up, ERR_MALFORMED when the reply
 * does not open, ERR_TOO_BIG when either frame is over the limit.
 *
 * Fault injection (for tests; always compiled, off until set): extra
 * delay and a drop probability per destination, applied to what this
 * endpoint sends. A dropped packet vanishes; a dropped exchange is never
 * connected and so times out, as behind a silent firewall. Delayed
 * packets keep their order per delay. This stands in for tc netem, which
 * the test machines lack.
 *
 * Everything runs on the loop thread that started the net.
 */
#ifndef CARAVAN_MESH_NET_H
#define CARAVAN_MESH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct err;
struct net;
struct net_stream_req;
struct seal_keyring;
struct uv_loop_s;

/* Under the 1500-byte Ethernet MTU after IP/UDP headers and sealing. */
#define NET_MAX_PACKET 1400
#define NET_MAX_FRAME (4u * 1024 * 1024)
#define NET_STREAM_TIMEOUT_MS 10000
/* Accepted streams open at once; more are closed at accept, so that a
 * flood of connections cannot make us buffer max_frame_bytes each. */
#define NET_MAX_STREAMS 64
/* "[ffff:...:ffff]:65535" and a NUL. */
#define NET_ADDR_STRLEN 56

/* An IPv4 or IPv6 address and port. */
struct net_addr
{
    int family;     /* AF_INET or AF_INET6 */
    uint8_t ip[16]; /* 4 bytes used for AF_INET */
    uint16_t port;
};

/*
 * Parses "ip:port" or "[ipv6]:port" into out. ERR_INVALID naming s
 * otherwise (names are not resolved here).
 */
int net_addr_parse(const char *s, struct net_addr *out, struct err *err);
/* Formats a as "ip:port" / "[ipv6]:port" into out. */
void net_addr_format(const struct net_addr *a, char out[NET_ADDR_STRLEN]);
bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);

/* A received packet; data is borrowed for the call. */
typedef void (*net_packet_cb)(void *arg,
                              const struct net_addr *from,
                              const void *data,
                              size_t len);
/*
 * A stream request; data is borrowed for the call. Answer with
 * net_stream_reply(), now or later, exactly once.
 */
typedef void (*net_stream_cb)(void *arg,
                              struct net_stream_req *req,
                              const struct net_addr *from,
                              const void *data,
                              size_t len);
/* The end of net_exchange(): rc 0 with the reply (borrowed), or an error. */
typedef void (*net_exchange_cb)(void *arg,
                                int rc,
                                const void *reply,
                                size_t len);

struct net_config
{
    const char *bind_ip; /* "0.0.0.0", "10.77.0.2", "::" */
    uint16_t port;       /* 0: an ephemeral port free for UDP and TCP */
    /* Borrowed, may be NULL (plaintext); must outlive the net. Changes to
     * it (rotation) apply to the next packet. */
    struct seal_keyring *keyring;
    size_t max_packet_bytes;    /* 0: NET_MAX_PACKET */
    size_t max_frame_bytes;     /* 0: NET_MAX_FRAME */
    uint64_t stream_timeout_ms; /* accepting side; 0: NET_STREAM_TIMEOUT_MS */
    net_packet_cb on_packet;    /* may be NULL: packets are dropped */
    net_stream_cb on_stream;    /* may be NULL: streams are closed */
    void *arg;
};

/* Counters since start; they only grow. */
struct net_stats
{
    uint64_t packets_sent;
    uint64_t packets_received; /* delivered to on_packet */
    uint64_t packets_refused;  /* did not open under the keyring */
    uint64_t packets_too_big;  /* over max_packet_bytes, either way */
    uint64_t packets_send_failed;
    uint64_t fault_dropped; /* packets and exchanges */
    uint64_t fault_delayed;
    uint64_t exchanges_started;
    uint64_t exchanges_failed;
    uint64_t streams_accepted;
    uint64_t streams_refused; /* NET_MAX_STREAMS open already */
    uint64_t streams_ended;   /* accepted or refused, closed and freed */
    uint64_t frames_refused;  /* did not open under the keyring */
    uint64_t frames_too_big;  /* length over the limit, either side */
};

/*
 * Binds UDP and TCP on cfg->bind_ip:cfg->port and starts receiving.
 * ERR_INVALID for a bad address, ERR_IO (with the reason) when binding
 * fails. *out is closed with net_close().
 */
int net_start(struct uv_loop_s *loop,
              const struct net_config *cfg,
              struct net **out,
              struct err *err);
/* The port bound (the ephemeral one when 0 was asked for). */
uint16_t net_port(const struct net *n);
struct net_stats net_stats(const struct net *n);

/*
 * Seals and sends one packet to to. Returns 0 once queued (delivery is
 * never known), ERR_TOO_BIG over max_packet_bytes, ERR_STATE when
 * closing. data is copied.
 */
int net_send_packet(struct net *n,
                    const struct net_addr *to,
                    const void *data,
                    size_t len);

/*
 * Opens a stream to to, sends req (copied), and calls cb once with the
 * reply or the failure, within timeout_ms (not counting an injected
 * delay's share, which is part of it). Pending exchanges fail with
 * ERR_CANCELED when the net closes.
 */
void net_exchange(struct net *n,
                  const struct net_addr *to,
                  const void *req,
                  size_t len,
                  uint64_t timeout_ms,
                  net_exchange_cb cb,
                  void *arg);

/*
 * Answers a stream request, exactly once: data (copied) is sealed and
 * written, then the stream closes. A reply over the frame limit closes the
 * stream without one. When the asker is gone, just frees req.
 */
void net_stream_reply(struct net_stream_req *req, const void *data, size_t len);

/* Closes the sockets, fails pending exchanges with ERR_CANCELED, then cb. */
void net_close(struct net *n, void (*cb)(void *arg), void *arg);

/* ------------------------------------------------------- fault injection */

/*
 * From now on, what this net sends to to (NULL: to any destination
 * without an entry of its own) waits delay_ms more and is dropped with
 * probability drop (0..1). delay_ms 0 and drop 0 remove the entry.
 */
void net_fault_set(struct net *n,
                   const struct net_addr *to,
                   uint64_t delay_ms,
                   double drop);
/* Seeds the drop decisions, so a test run replays (default: 1). */
void net_fault_seed(struct net *n, uint64_t seed);
void net_fault_clear(struct net *n);

#endif
