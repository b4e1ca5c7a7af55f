/*
 * The mesh transport over real sockets on 127.0.0.1: packets both ways,
 * stream exchanges (answered at once and later), frame limits, sealing
 * with one key, with different keys and against plaintext, and the fault
 * injection layer (drop, delay).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "lib/err.h"
#include "mesh/net.h"
#include "mesh/seal.h"
#include "tests/harness/test.h"

/* The loop of the running test, for arrival times. */
static uv_loop_t *the_loop;

struct end
{
    struct net *net;
    struct seal_keyring *kr;
    int packets;
    char last[256];
    struct net_addr last_from;
    uint64_t last_at_ms;
    int streams;
    struct net_stream_req *held; /* answered later by the test */
    bool hold;
    size_t reply_len; /* 0: echo "re:" + request */
};

struct world
{
    uv_loop_t loop;
    struct end e[2];
    int answers;
    int rc;
    char reply[256];
    size_t reply_len;
    int closed;
};

#define RUN_UNTIL(w, cond)                                      \
    do {                                                        \
        for (int spin_ = 0; spin_ < 5000 && !(cond); spin_++) { \
            uv_run(&(w)->loop, UV_RUN_NOWAIT);                  \
            if (!(cond))                                        \
                usleep(1000);                                   \
        }                                                       \
        ck_assert_msg((cond), "timed out waiting for " #cond);  \
    } while (0)

static void on_packet(void *arg,
                      const struct net_addr *from,
                      const void *data,
                      size_t len)
{
    struct end *e = arg;

    e->packets++;
    snprintf(e->last, sizeof(e->last), "%.*s", (int)len, (const char *)data);
    e->last_from = *from;
    e->last_at_ms = uv_now(the_loop);
}

static void on_stream(void *arg,
                      struct net_stream_req *req,
                      const struct net_addr *from,
                      const void *data,
                      size_t len)
{
    struct end *e = arg;
    char reply[300];
    int n;

    (void)from;
    e->streams++;
    if (e->hold) {
        e->held = req;
        return;
    }
    if (e->reply_len > 0) {
        char *big = calloc(1, e->reply_len);

        net_stream_reply(req, big, e->reply_len);
        free(big);
        return;
    }
    n = snprintf(reply, sizeof(reply), "re:%.*s", (int)len, (const char *)data);
    net_stream_reply(req, reply, (size_t)n);
}

static void answered(void *arg, int rc, const void *reply, size_t len)
{
    struct world *w = arg;

    w->answers++;
    w->rc = rc;
    w->reply_len = len;
    snprintf(w->reply, sizeof(w->reply), "%.*s", (int)len,
             rc == 0 ? (const char *)reply : "");
}

static void closed(void *arg)
{
    ((struct world *)arg)->closed++;
}

/* Starts endpoint i; key 0 is plaintext, else a keyring of that byte. */
static void start_end(struct world *w, int i, uint8_t key, size_t max_frame)
{
    struct net_config cfg;
    struct err err = ERR_INIT;
    struct end *e = &w->e[i];

    memset(&cfg, 0, sizeof(cfg));
    e->kr = seal_keyring_new();
    if (key != 0) {
        struct seal_key k;

        memset(k.bytes, key, sizeof(k.bytes));
        ck_assert_int_eq(seal_keyring_install(e->kr, &k, &err), 0);
    }
    cfg.bind_ip = "127.0.0.1";
    cfg.keyring = e->kr;
    cfg.max_frame_bytes = max_frame;
    cfg.stream_timeout_ms = 2000;
    cfg.on_packet = on_packet;
    cfg.on_stream = on_stream;
    cfg.arg = e;
    ck_assert_msg(net_start(&w->loop, &cfg, &e->net, &err) == 0, "%s", err.msg);
    ck_assert_uint_ne(net_port(e->net), 0);
}

static void world_init(struct world *w, uint8_t key0, uint8_t key1)
{
    memset(w, 0, sizeof(*w));
    uv_loop_init(&w->loop);
    the_loop = &w->loop;
    start_end(w, 0, key0, 0);
    start_end(w, 1, key1, 0);
}

static struct net_addr addr_of(struct world *w, int i)
{
    struct net_addr a;
    char s[64];

    snprintf(s, sizeof(s), "127.0.0.1:%u", net_port(w->e[i].net));
    ck_assert_int_eq(net_addr_parse(s, &a, NULL), 0);
    return a;
}

static void world_end(struct world *w)
{
    net_close(w->e[0].net, closed, w);
    net_close(w->e[1].net, closed, w);
    RUN_UNTIL(w, w->closed == 2);
    ck_assert_int_eq(uv_run(&w->loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&w->loop), 0);
    seal_keyring_free(w->e[0].kr);
    seal_keyring_free(w->e[1].kr);
}

START_TEST(addresses_parse_and_print)
{
    struct net_addr a, b;
    struct err err = ERR_INIT;
    char s[NET_ADDR_STRLEN];

    ck_assert_int_eq(net_addr_parse("10.77.0.2:4648", &a, &err), 0);
    net_addr_format(&a, s);
    ck_assert_str_eq(s, "10.77.0.2:4648");
    ck_assert_int_eq(net_addr_parse("[::1]:4648", &b, &err), 0);
    net_addr_format(&b, s);
    ck_assert_str_eq(s, "[::1]:4648");
    ck_assert(!net_addr_equal(&a, &b));
    ck_assert_int_eq(net_addr_parse("node1:4648", &a, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg,
                     "invalid address \"node1:4648\": want ip:port "
                     "or [ipv6]:port");
    ck_assert_int_eq(net_addr_parse("10.0.0.1:70000", &a, &err), ERR_INVALID);
    ck_assert_int_eq(net_addr_parse("10.0.0.1", &a, &err), ERR_INVALID);
    ck_assert_int_eq(net_addr_parse("::1:80", &a, &err), ERR_INVALID);
}
END_TEST

START_TEST(packets_both_ways)
{
    struct world w;
    struct net_addr a0, a1;

    world_init(&w, 0, 0);
    a0 = addr_of(&w, 0);
    a1 = addr_of(&w, 1);
    ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "ping", 4), 0);
    RUN_UNTIL(&w, w.e[1].packets == 1);
    ck_assert_str_eq(w.e[1].last, "ping");
    /* The sender's address is its bound port: a reply finds it. */
    ck_assert(net_addr_equal(&w.e[1].last_from, &a0));
    ck_assert_int_eq(net_send_packet(w.e[1].net, &w.e[1].last_from, "ack", 3),
                     0);
    RUN_UNTIL(&w, w.e[0].packets == 1);
    ck_assert_str_eq(w.e[0].last, "ack");
    /* Over the packet limit: refused before sending. */
    {
        static char big[NET_MAX_PACKET + 1];

        ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, big, sizeof(big)),
                         ERR_TOO_BIG);
    }
    ck_assert_uint_eq(net_stats(w.e[0].net).packets_sent, 1);
    ck_assert_uint_eq(net_stats(w.e[0].net).packets_too_big, 1);
    world_end(&w);
}
END_TEST

START_TEST(stream_request_and_reply)
{
    struct world w;
    struct net_addr a1;

    world_init(&w, 0, 0);
    a1 = addr_of(&w, 1);
    net_exchange(w.e[0].net, &a1, "state?", 6, 5000, answered, &w);
    RUN_UNTIL(&w, w.answers == 1);
    ck_assert_int_eq(w.rc, 0);
    ck_assert_str_eq(w.reply, "re:state?");
    /* Answered later, outside the callback. */
    w.e[1].hold = true;
    net_exchange(w.e[0].net, &a1, "later", 5, 5000, answered, &w);
    RUN_UNTIL(&w, w.e[1].held != NULL);
    ck_assert_int_eq(w.answers, 1);
    net_stream_reply(w.e[1].held, "now", 3);
    RUN_UNTIL(&w, w.answers == 2);
    ck_assert_str_eq(w.reply, "now");
    /* Nobody listening: refused at once. */
    {
        struct net_addr nobody;

        ck_assert_int_eq(net_addr_parse("127.0.0.1:1", &nobody, NULL), 0);
        net_exchange(w.e[0].net, &nobody, "x", 1, 5000, answered, &w);
        RUN_UNTIL(&w, w.answers == 3);
        ck_assert_int_eq(w.rc, ERR_IO);
    }
    /* An exchange pending at close fails as canceled, and a request held
     * at close is still answered (into nothing) before the net is gone. */
    w.e[1].held = NULL;
    net_exchange(w.e[0].net, &a1, "held", 4, 5000, answered, &w);
    RUN_UNTIL(&w, w.e[1].held != NULL);
    net_close(w.e[0].net, closed, &w);
    ck_assert_int_eq(w.answers, 4);
    ck_assert_int_eq(w.rc, ERR_CANCELED);
    net_close(w.e[1].net, closed, &w);
    RUN_UNTIL(&w, w.closed == 1);
    net_stream_reply(w.e[1].held, "gone", 4);
    RUN_UNTIL(&w, w.closed == 2);
    ck_assert_int_eq(uv_run(&w.loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&w.loop), 0);
    seal_keyring_free(w.e[0].kr);
    seal_keyring_free(w.e[1].kr);
}
END_TEST

START_TEST(oversized_frames_are_refused)
{
    struct world w;
    struct net_addr a1;
    struct sockaddr_in sa;
    static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff};
    char byte;
    int fd;

    memset(&w, 0, sizeof(w));
    uv_loop_init(&w.loop);
    the_loop = &w.loop;
    start_end(&w, 0, 0, 100); /* accepts replies of 100 bytes at most */
    start_end(&w, 1, 0, 0);
    a1 = addr_of(&w, 1);
    /* A 4 GiB length: the connection ends, nothing is allocated for it. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    uv_ip4_addr("127.0.0.1", net_port(w.e[1].net), &sa);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(write(fd, huge, sizeof(huge)), sizeof(huge));
    RUN_UNTIL(&w, net_stats(w.e[1].net).frames_too_big == 1);
    RUN_UNTIL(&w, recv(fd, &byte, 1, MSG_DONTWAIT) == 0);
    close(fd);
    ck_assert_int_eq(w.e[1].streams, 0);
    /* A request over the sender's own limit never leaves. */
    {
        static char big[101];

        net_exchange(w.e[0].net, &a1, big, sizeof(big), 5000, answered, &w);
        ck_assert_int_eq(w.answers, 1);
        ck_assert_int_eq(w.rc, ERR_TOO_BIG);
    }
    /* A reply over the asker's limit fails the exchange. */
    w.e[1].reply_len = 1000;
    net_exchange(w.e[0].net, &a1, "big?", 4, 5000, answered, &w);
    RUN_UNTIL(&w, w.answers == 2);
    ck_assert_int_eq(w.rc, ERR_TOO_BIG);
    ck_assert_uint_eq(net_stats(w.e[0].net).frames_too_big, 2);
    world_end(&w);
}
END_TEST

START_TEST(sealed_with_one_key)
{
    struct world w;
    struct net_addr a1;
    struct seal_key k2;

    world_init(&w, 7, 7);
    a1 = addr_of(&w, 1);
    ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "alive", 5), 0);
    RUN_UNTIL(&w, w.e[1].packets == 1);
    ck_assert_str_eq(w.e[1].last, "alive");
    net_exchange(w.e[0].net, &a1, "push", 4, 5000, answered, &w);
    RUN_UNTIL(&w, w.answers == 1);
    ck_assert_int_eq(w.rc, 0);
    ck_assert_str_eq(w.reply, "re:push");
    /* Everything went sealed: packet, request and reply frames. */
    ck_assert_uint_eq(seal_keyring_stats(w.e[0].kr).sealed, 2);
    ck_assert_uint_eq(seal_keyring_stats(w.e[1].kr).opened, 2);
    /* The keyring is borrowed: a rotation applies to the next packet. */
    memset(k2.bytes, 8, sizeof(k2.bytes));
    ck_assert_int_eq(seal_keyring_install(w.e[1].kr, &k2, NULL), 0);
    ck_assert_int_eq(seal_keyring_install(w.e[0].kr, &k2, NULL), 0);
    ck_assert_int_eq(seal_keyring_use(w.e[0].kr, &k2, NULL), 0);
    ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "rotated", 7), 0);
    RUN_UNTIL(&w, w.e[1].packets == 2);
    ck_assert_uint_eq(seal_keyring_stats(w.e[1].kr).opened_nonprimary, 1);
    world_end(&w);
}
END_TEST

START_TEST(other_key_and_plaintext_are_dropped)
{
    struct world w;
    struct net_addr a1, a2;

    world_init(&w, 7, 9);
    a1 = addr_of(&w, 1);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "alive", 5), 0);
    RUN_UNTIL(&w, net_stats(w.e[1].net).packets_refused == 3);
    ck_assert_int_eq(w.e[1].packets, 0);
    ck_assert_uint_eq(seal_keyring_stats(w.e[1].kr).failed_auth, 3);
    /* A stream under another key: refused and closed. */
    net_exchange(w.e[0].net, &a1, "push", 4, 5000, answered, &w);
    RUN_UNTIL(&w, w.answers == 1);
    ck_assert_int_eq(w.rc, ERR_IO);
    ck_assert_int_eq(w.e[1].streams, 0);
    ck_assert_uint_eq(net_stats(w.e[1].net).frames_refused, 1);
    /* A third endpoint in plaintext mode gets nothing through either. */
    {
        struct end *e0 = &w.e[0];

        net_close(e0->net, closed, &w);
        RUN_UNTIL(&w, w.closed == 1);
        seal_keyring_free(e0->kr);
        start_end(&w, 0, 0, 0);
        w.closed = 0;
    }
    ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "hello", 5), 0);
    RUN_UNTIL(&w, net_stats(w.e[1].net).packets_refused == 4);
    net_exchange(w.e[0].net, &a1, "push", 4, 5000, answered, &w);
    RUN_UNTIL(&w, w.answers == 2);
    ck_assert_int_eq(w.rc, ERR_IO);
    ck_assert_int_eq(w.e[1].packets, 0);
    ck_assert_int_eq(w.e[1].streams, 0);
    /* And what the encrypted one sends is gibberish to the plaintext one:
     * its bytes never read as the message. */
    a2 = addr_of(&w, 0);
    ck_assert_int_eq(net_send_packet(w.e[1].net, &a2, "secret", 6), 0);
    RUN_UNTIL(&w, w.e[0].packets == 1);
    ck_assert_ptr_null(strstr(w.e[0].last, "secret"));
    world_end(&w);
}
END_TEST

START_TEST(injected_drop_and_delay)
{
    struct world w;
    struct net_addr a1;
    uint64_t sent_at;
    int dropped;

    world_init(&w, 3, 3);
    a1 = addr_of(&w, 1);
    /* Everything to 1 is dropped: packets vanish, exchanges time out. */
    net_fault_set(w.e[0].net, &a1, 0, 1.0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "lost", 4), 0);
    net_exchange(w.e[0].net, &a1, "lost", 4, 300, answered, &w);
    RUN_UNTIL(&w, w.answers == 1);
    ck_assert_int_eq(w.rc, ERR_TIMEOUT);
    ck_assert_uint_eq(net_stats(w.e[0].net).fault_dropped, 6);
    ck_assert_uint_eq(net_stats(w.e[0].net).packets_sent, 0);
    ck_assert_int_eq(w.e[1].streams, 0);
    /* Half dropped, from a fixed seed: every packet is either dropped by
     * the layer or delivered (loopback loses nothing). */
    net_fault_seed(w.e[0].net, 42);
    net_fault_set(w.e[0].net, &a1, 0, 0.5);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "half", 4), 0);
    dropped = (int)net_stats(w.e[0].net).fault_dropped - 6;
    ck_assert_int_gt(dropped, 20);
    ck_assert_int_lt(dropped, 80);
    RUN_UNTIL(&w, w.e[1].packets == 100 - dropped);
    /* A delay holds packets back at least that long, in order; an entry
     * for any destination applies where there is none of its own. */
    net_fault_clear(w.e[0].net);
    net_fault_set(w.e[0].net, NULL, 150, 0);
    w.e[1].packets = 0;
    sent_at = uv_now(&w.loop);
    ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "first", 5), 0);
    ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "second", 6), 0);
    RUN_UNTIL(&w, w.e[1].packets == 2);
    ck_assert_str_eq(w.e[1].last, "second");
    ck_assert_uint_ge(w.e[1].last_at_ms, sent_at + 150);
    ck_assert_uint_eq(net_stats(w.e[0].net).fault_delayed, 2);
    /* An exchange is delayed too, and still answered. */
    sent_at = uv_now(&w.loop);
    net_exchange(w.e[0].net, &a1, "slow", 4, 5000, answered, &w);
    RUN_UNTIL(&w, w.answers == 2);
    ck_assert_int_eq(w.rc, 0);
    ck_assert_uint_ge(uv_now(&w.loop), sent_at + 150);
    /* Removing the entry restores the link. */
    net_fault_set(w.e[0].net, NULL, 0, 0);
    ck_assert_int_eq(net_send_packet(w.e[0].net, &a1, "fast", 4), 0);
    RUN_UNTIL(&w, w.e[1].packets == 3);
    ck_assert_uint_eq(net_stats(w.e[0].net).fault_delayed, 3);
    world_end(&w);
}
END_TEST

/* Idle connections past NET_MAX_STREAMS are closed at once. */
START_TEST(stream_flood_is_bounded)
{
    struct world w;
    struct sockaddr_in sa;
    int fds[NET_MAX_STREAMS + 4];
    const int nfd = (int)(sizeof(fds) / sizeof(fds[0]));
    struct net_addr a1;

    world_init(&w, 0, 0);
    uv_ip4_addr("127.0.0.1", net_port(w.e[1].net), &sa);
    for (int i = 0; i < nfd; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        ck_assert_int_eq(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)),
                         0);
    }
    RUN_UNTIL(&w, net_stats(w.e[1].net).streams_accepted +
                          net_stats(w.e[1].net).streams_refused ==
                      (uint64_t)nfd);
    ck_assert_uint_eq(net_stats(w.e[1].net).streams_accepted, NET_MAX_STREAMS);
    ck_assert_uint_eq(net_stats(w.e[1].net).streams_refused, 4);
    /* Once they go, exchanges are served again. */
    for (int i = 0; i < nfd; i++)
        close(fds[i]);
    RUN_UNTIL(&w, net_stats(w.e[1].net).streams_ended == (uint64_t)nfd);
    a1 = addr_of(&w, 1);
    net_exchange(w.e[0].net, &a1, "again", 5, 5000, answered, &w);
    RUN_UNTIL(&w, w.answers == 1);
    ck_assert_int_eq(w.rc, 0);
    ck_assert_str_eq(w.reply, "re:again");
    world_end(&w);
}
END_TEST

START_TEST(bind_errors_are_named)
{
    uv_loop_t loop;
    struct net_config cfg;
    struct net *n = NULL, *m = NULL;
    struct err err = ERR_INIT;
    char want[128];

    uv_loop_init(&loop);
    memset(&cfg, 0, sizeof(cfg));
    cfg.bind_ip = "not-an-ip";
    ck_assert_int_eq(net_start(&loop, &cfg, &n, &err), ERR_INVALID);
    cfg.bind_ip = "127.0.0.1";
    ck_assert_int_eq(net_start(&loop, &cfg, &n, &err), 0);
    /* The same port again is taken. */
    cfg.port = net_port(n);
    ck_assert_int_eq(net_start(&loop, &cfg, &m, &err), ERR_IO);
    snprintf(want, sizeof(want),
             "mesh: bind 127.0.0.1:%u (UDP and TCP): Address already in use",
             cfg.port);
    ck_assert_str_eq(err.msg, want);
    net_close(n, NULL, NULL);
    ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *net_suite(void)
{
    Suite *s = suite_create("mesh_net_uv");
    TCase *tc = test_tcase("net");

    tcase_add_test(tc, addresses_parse_and_print);
    tcase_add_test(tc, packets_both_ways);
    tcase_add_test(tc, stream_request_and_reply);
    tcase_add_test(tc, oversized_frames_are_refused);
    tcase_add_test(tc, sealed_with_one_key);
    tcase_add_test(tc, other_key_and_plaintext_are_dropped);
    tcase_add_test(tc, injected_drop_and_delay);
    tcase_add_test(tc, stream_flood_is_bounded);
    tcase_add_test(tc, bind_errors_are_named);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(net_suite)
