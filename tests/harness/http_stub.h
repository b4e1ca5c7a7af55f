/*
 * A small HTTP/1.1 server for tests, on 127.0.0.1 at a port the kernel
 * picks, run by the test's own loop. It answers by path:
 *   /ok      status_for_ok (200 unless the test changes it), "fine\n"
 *   /busy    429
 *   /broken  500
 *   /echo    200 with the request as received ('\r' and '\n' as '|')
 *   /slow    never: the client has to give up
 * and counts connections, so a test can see a client walk away.
 */
#ifndef CARAVAN_TESTS_HARNESS_HTTP_STUB_H
#define CARAVAN_TESTS_HARNESS_HTTP_STUB_H

#include <uv.h>

struct http_stub_conn;

struct http_stub
{
    uv_tcp_t listen;
    int port;
    struct http_stub_conn *conns;
    int open_conns;    /* accepted and not yet closed */
    int closed_conns;  /* closed by the peer or us */
    int status_for_ok; /* what /ok answers: lets a test flip it */
};

/* Listens (aborting on failure); fills s->port. */
void http_stub_start(uv_loop_t *loop, struct http_stub *s);
/* Closes the listener and every connection; run the loop to finish. */
void http_stub_stop(struct http_stub *s);
/* A port nothing listens on: bound once, then closed. */
int http_stub_closed_port(uv_loop_t *loop);

#endif
