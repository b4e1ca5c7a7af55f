/*
 * What the agent benchmarks share: a free TCP port on 127.0.0.1, one
 * blocking HTTP request through libcurl answering its status code, a
 * monotonic clock in ms and a comparison for sorting samples.
 * Header-only: each benchmark is one program.
 */
#ifndef CARAVAN_TESTS_BENCH_BENCH_HTTP_H
#define CARAVAN_TESTS_BENCH_BENCH_HTTP_H

#include <curl/curl.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/buf.h"

static inline double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* For qsort() of doubles, ascending. */
static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static inline size_t collect(char *data, size_t size, size_t n, void *arg)
{
    buf_append((struct buf *)arg, data, size * n);
    return size * n;
}

/* A port nobody listens on now (the kernel's choice for port 0). */
static inline int free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* method url [body] -> HTTP status (0: no answer); the body into out. */
static inline long http(const char *method,
                        const char *url,
                        const char *body,
                        struct buf *out)
{
    CURL *c = curl_easy_init();
    long status = 0;

    if (c == NULL)
        return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

#endif
