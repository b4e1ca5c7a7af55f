/*
 * The RPC wire format (golden bytes, partial frames, bounds) and RPC over
 * real TCP on 127.0.0.1: calls answered out of order on one connection,
 * unknown methods, a server that goes away and comes back, timeouts, and
 * garbage from a peer closing only that connection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/mp.h"
#include "mesh/rpc.h"
#include "mesh/rpc_uv.h"
#include "tests/harness/test.h"

START_TEST(encode_is_golden)
{
    struct rpc_msg m;
    struct buf b = BUF_INIT;
    /* [1, 0, 7, "Node.Register", bin "hi"] behind its 4-byte length. */
    static const unsigned char want[] = {
        0x00, 0x00, 0x00, 0x16, 0x95, 0x01, 0x00, 0x07, 0xad, 'N',  'o',
        'd',  'e',  '.',  'R',  'e',  'g',  'i',  's',  't',  'e',  'r',
        0xc4, 0x02, 'h',  'i'};

    memset(&m, 0, sizeof(m));
    m.kind = RPC_REQUEST;
    m.seq = 7;
    strcpy(m.method, "Node.Register");
    m.body = (uint8_t *)"hi";
    m.body_len = 2;
    rpc_encode(&b, &m);
    ck_assert_uint_eq(b.len, sizeof(want));
    ck_assert(memcmp(b.data, want, sizeof(want)) == 0);
    buf_release(&b);
}
END_TEST

START_TEST(decode_waits_for_whole_frames)
{
    struct rpc_msg m, out;
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;
    size_t used = 0;

    memset(&m, 0, sizeof(m));
    m.kind = RPC_RESPONSE;
    m.seq = 99;
    m.rc = ERR_NOT_FOUND;
    m.body = (uint8_t *)"node not found";
    m.body_len = 14;
    rpc_encode(&b, &m);
    rpc_encode(&b, &m);
    /* Every prefix of the first frame is "not yet". */
    for (size_t n = 0; n < b.len / 2; n++)
        ck_assert_int_eq(rpc_decode(b.data, n, RPC_MAX_FRAME, &out, &used,
                                    &err),
                         0);
    ck_assert_int_eq(rpc_decode(b.data, b.len, RPC_MAX_FRAME, &out, &used,
                                &err),
                     1);
    ck_assert_uint_eq(used, b.len / 2);
    ck_assert_int_eq(out.kind, RPC_RESPONSE);
    ck_assert_uint_eq(out.seq, 99);
    ck_assert_int_eq(out.rc, ERR_NOT_FOUND);
    ck_assert_uint_eq(out.body_len, 14);
    ck_assert(memcmp(out.body, "node not found", 14) == 0);
    rpc_msg_release(&out);
    buf_release(&b);
}
END_TEST

START_TEST(decode_refuses_bad_frames)
{
    struct rpc_msg out;
    struct err err = ERR_INIT;
    size_t used = 0;
    /* A length over the limit is refused before anything is read. */
    static const unsigned char huge[] = {0x7f, 0xff, 0xff, 0xff, 0x90};
    static const unsigned char not_array[] = {0x00, 0x00, 0x00, 0x01, 0x01};
    static const unsigned char bad_version[] = {0x00, 0x00, 0x00, 0x06, 0x95,
                                                0x02, 0x00, 0x01, 0xa1, 'x'};
    /* A body claiming 200 bytes in a frame of 9. */
    static const unsigned char short_body[] = {0x00, 0x00, 0x00, 0x09, 0x95,
                                               0x01, 0x01, 0x01, 0x00, 0xc4,
                                               0xc8, 'a',  'b'};

    ck_assert_int_eq(rpc_decode(huge, sizeof(huge), RPC_MAX_FRAME, &out,
                                &used, &err),
                     ERR_TOO_BIG);
    ck_assert_int_eq(rpc_decode(not_array, sizeof(not_array), RPC_MAX_FRAME,
                                &out, &used, &err),
                     ERR_MALFORMED);
    ck_assert_int_eq(rpc_decode(bad_version, sizeof(bad_version),
                                RPC_MAX_FRAME, &out, &used, &err),
                     ERR_MALFORMED);
    ck_assert_str_eq(err.msg, "rpc: unsupported version");
    ck_assert_int_eq(rpc_decode(short_body, sizeof(short_body), RPC_MAX_FRAME,
                                &out, &used, &err),
                     ERR_MALFORMED);
    {
        /* A method name one byte over the limit. */
        struct buf b = BUF_INIT;
        char name[RPC_MAX_METHOD + 2];
        size_t n;

        memset(name, 'a', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        buf_append(&b, "\0\0\0\0", 4);
        mp_put_array(&b, 5);
        mp_put_int(&b, 1);
        mp_put_int(&b, 0);
        mp_put_int(&b, 1);
        mp_put_str(&b, name);
        mp_put_bin(&b, "", 0);
        n = b.len - 4;
        b.data[3] = (char)n;
        ck_assert_int_eq(rpc_decode(b.data, b.len, RPC_MAX_FRAME, &out, &used,
                                    &err),
                         ERR_MALFORMED);
        ck_assert_str_eq(err.msg, "rpc: bad method name");
        buf_release(&b);
    }
}
END_TEST

/* ------------------------------------------------------- over TCP */

struct world
{
    uv_loop_t loop;
    struct rpc_server *srv;
    struct rpc_client *cli;
    struct rpc_call *held; /* a call answered later */
    int answers;
    int rcs[8];
    char bodies[8][64];
    int closed;
};

static void echo(struct rpc_call *call, const void *body, size_t len, void *arg)
{
    (void)arg;
    rpc_reply(call, 0, body, len);
}

static void hold(struct rpc_call *call, const void *body, size_t len, void *arg)
{
    struct world *w = arg;

    (void)body;
    (void)len;
    w->held = call;
}

static void got(void *arg, int rc, const void *body, size_t len,
                const char *errmsg)
{
    struct world *w = arg;
    int i = w->answers++;

    if (i >= 8)
        return;
    w->rcs[i] = rc;
    snprintf(w->bodies[i], sizeof(w->bodies[i]), "%.*s",
             rc == 0 ? (int)len : (int)strlen(errmsg),
             rc == 0 ? (const char *)body : errmsg);
}

static void closed(void *arg)
{
    ((struct world *)arg)->closed++;
}

/* Runs the loop until cond holds, for at most ~5 s of loop turns. */
#define RUN_UNTIL(w, cond)                                                    \
    do {                                                                      \
        for (int spin_ = 0; spin_ < 5000 && !(cond); spin_++) {               \
            uv_run(&(w)->loop, UV_RUN_NOWAIT);                                \
            if (!(cond))                                                      \
                usleep(1000);                                                 \
        }                                                                     \
        ck_assert_msg((cond), "timed out waiting for " #cond);               \
    } while (0)

static void start_server(struct world *w, uint16_t port)
{
    struct err err = ERR_INIT;

    ck_assert_msg(rpc_server_start(&w->loop, "127.0.0.1", port, &w->srv,
                                   &err) == 0,
                  "%s", err.msg);
    rpc_server_handle(w->srv, "Test.Echo", echo, w);
    rpc_server_handle(w->srv, "Test.Hold", hold, w);
}

static void start_client(struct world *w)
{
    char addr[64];
    const char *addrs[2] = {"127.0.0.1:1", addr};
    struct err err = ERR_INIT;

    /* The first address refuses: the client moves on to the next. */
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", rpc_server_port(w->srv));
    ck_assert(rpc_client_new(&w->loop, addrs, 2, &w->cli, &err) == 0);
}

START_TEST(calls_multiplex_and_answer_out_of_order)
{
    struct world w;

    memset(&w, 0, sizeof(w));
    uv_loop_init(&w.loop);
    start_server(&w, 0);
    start_client(&w);
    rpc_client_call(w.cli, "Test.Hold", "first", 5, 5000, got, &w);
    rpc_client_call(w.cli, "Test.Echo", "second", 6, 5000, got, &w);
    rpc_client_call(w.cli, "No.Such", "", 0, 5000, got, &w);
    RUN_UNTIL(&w, w.answers == 2 && w.held != NULL);
    /* The later call came back first, on the same connection. */
    ck_assert_int_eq(w.rcs[0], 0);
    ck_assert_str_eq(w.bodies[0], "second");
    ck_assert_int_eq(w.rcs[1], ERR_NOT_FOUND);
    ck_assert_str_eq(w.bodies[1], "rpc: unknown method No.Such");
    rpc_reply(w.held, 0, "late", 4);
    RUN_UNTIL(&w, w.answers == 3);
    ck_assert_str_eq(w.bodies[2], "late");
    rpc_client_close(w.cli, closed, &w);
    rpc_server_close(w.srv, closed, &w);
    RUN_UNTIL(&w, w.closed == 2);
    ck_assert_int_eq(uv_run(&w.loop, UV_RUN_DEFAULT), 0);
    uv_loop_close(&w.loop);
}
END_TEST

START_TEST(client_survives_a_server_restart)
{
    struct world w;
    uint16_t port;

    memset(&w, 0, sizeof(w));
    uv_loop_init(&w.loop);
    start_server(&w, 0);
    port = rpc_server_port(w.srv);
    start_client(&w);
    rpc_client_call(w.cli, "Test.Hold", "x", 1, 5000, got, &w);
    RUN_UNTIL(&w, w.held != NULL);
    /* The server goes away with the call unanswered: it fails at once. */
    rpc_server_close(w.srv, closed, &w);
    RUN_UNTIL(&w, w.answers == 1 && w.closed == 1);
    ck_assert_int_eq(w.rcs[0], ERR_IO);
    rpc_reply(w.held, 0, "", 0); /* goes nowhere, frees the call */
    /* A call made while no server answers waits for one to come back. */
    rpc_client_call(w.cli, "Test.Echo", "again", 5, 10000, got, &w);
    start_server(&w, port);
    RUN_UNTIL(&w, w.answers == 2);
    ck_assert_int_eq(w.rcs[1], 0);
    ck_assert_str_eq(w.bodies[1], "again");
    /* And one that nobody answers in time times out. */
    rpc_client_call(w.cli, "Test.Hold", "y", 1, 200, got, &w);
    RUN_UNTIL(&w, w.answers == 3);
    ck_assert_int_eq(w.rcs[2], ERR_TIMEOUT);
    rpc_reply(w.held, 0, "", 0);
    rpc_client_close(w.cli, closed, &w);
    rpc_server_close(w.srv, closed, &w);
    RUN_UNTIL(&w, w.closed == 3);
    ck_assert_int_eq(uv_run(&w.loop, UV_RUN_DEFAULT), 0);
    uv_loop_close(&w.loop);
}
END_TEST

START_TEST(garbage_closes_only_its_connection)
{
    struct world w;
    struct sockaddr_in sa;
    int fd;
    static const unsigned char junk[] = {0x00, 0x00, 0x00, 0x03, 0xff,
                                         0xff, 0xff};
    static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff};
    char byte;

    memset(&w, 0, sizeof(w));
    uv_loop_init(&w.loop);
    start_server(&w, 0);
    start_client(&w);
    for (int k = 0; k < 2; k++) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        uv_ip4_addr("127.0.0.1", rpc_server_port(w.srv), &sa);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        if (k == 0)
            ck_assert_int_eq(write(fd, junk, sizeof(junk)), sizeof(junk));
        else
            ck_assert_int_eq(write(fd, huge, sizeof(huge)), sizeof(huge));
        /* The server hangs up on it: read sees the end. */
        for (int spin = 0; spin < 2000; spin++) {
            uv_run(&w.loop, UV_RUN_NOWAIT);
            if (recv(fd, &byte, 1, MSG_DONTWAIT) == 0)
                break;
            usleep(1000);
        }
        ck_assert_int_eq(recv(fd, &byte, 1, MSG_DONTWAIT), 0);
        close(fd);
    }
    /* The well-behaved client still gets answers. */
    rpc_client_call(w.cli, "Test.Echo", "fine", 4, 5000, got, &w);
    RUN_UNTIL(&w, w.answers == 1);
    ck_assert_str_eq(w.bodies[0], "fine");
    rpc_client_close(w.cli, closed, &w);
    rpc_server_close(w.srv, closed, &w);
    RUN_UNTIL(&w, w.closed == 2);
    ck_assert_int_eq(uv_run(&w.loop, UV_RUN_DEFAULT), 0);
    uv_loop_close(&w.loop);
}
END_TEST

START_TEST(bad_addresses_are_named)
{
    uv_loop_t loop;
    struct rpc_client *c;
    struct err err = ERR_INIT;
    const char *addrs[] = {"10.0.0.1:4647", "nohost"};

    uv_loop_init(&loop);
    ck_assert_int_eq(rpc_client_new(&loop, addrs, 2, &c, &err), ERR_INVALID);
    ck_assert_str_eq(err.msg,
                     "invalid server address \"nohost\": want ip:port");
    uv_loop_close(&loop);
}
END_TEST

static Suite *rpc_suite(void)
{
    Suite *s = suite_create("mesh_rpc");
    TCase *tc = tcase_create("rpc");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, encode_is_golden);
    tcase_add_test(tc, decode_waits_for_whole_frames);
    tcase_add_test(tc, decode_refuses_bad_frames);
    tcase_add_test(tc, calls_multiplex_and_answer_out_of_order);
    tcase_add_test(tc, client_survives_a_server_restart);
    tcase_add_test(tc, garbage_closes_only_its_connection);
    tcase_add_test(tc, bad_addresses_are_named);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(rpc_suite)
