/*
 * The HTTP client the CLI uses to talk to an agent's HTTP API (libcurl).
 *
 * The address comes from -address, else $CARAVAN_ADDR, else $NOMAD_ADDR
 * (users arrive with Nomad's environment), else http://127.0.0.1:4646.
 * Likewise the token ($CARAVAN_TOKEN / $NOMAD_TOKEN, sent as
 * X-Nomad-Token), region and namespace. Calls block: the CLI has no loop.
 */
#ifndef CARAVAN_AGENT_API_API_H
#define CARAVAN_AGENT_API_API_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

struct err;

struct api_client
{
    char *address; /* "http://127.0.0.1:4646", no trailing slash */
    char *token;
    char *region;
    char *namespace;
    long timeout_ms;
};

struct api_response
{
    long status; /* HTTP status */
    struct buf body;
};

/*
 * Sets up a client. Each argument may be NULL to take the environment or
 * the default. Strings are copied.
 */
void api_client_init(struct api_client *c,
                     const char *address,
                     const char *token,
                     const char *region,
                     const char *namespace);
void api_client_release(struct api_client *c);

void api_response_init(struct api_response *r);
void api_response_release(struct api_response *r);

/*
 * Sends one request; body may be NULL. Any HTTP status is a success of
 * this call (look at resp->status). Fails with -ECONNREFUSED when no agent
 * answers at the address (callers may fall back to local work), or with
 * ERR_IO for other transport failures, the message naming the URL.
 */
int api_request(struct api_client *c,
                const char *method,
                const char *path,
                const char *body,
                size_t body_len,
                struct api_response *resp,
                struct err *err);

/*
 * A GET whose 2xx body is handed to sink as it arrives (log following);
 * any other body is kept in resp->body for the error. sink returns false
 * to stop.
 */
int api_stream(struct api_client *c,
               const char *path,
               bool (*sink)(void *arg, const char *data, size_t len),
               void *arg,
               struct api_response *resp,
               struct err *err);

/* Formats a non-2xx response as Nomad's client does:
 * "Unexpected response code: 404 (job not found)". */
int api_status_error(const struct api_response *resp, struct err *err);

#endif
