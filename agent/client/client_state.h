/*
 * The client's memory across restarts, in LMDB under <data_dir>/client:
 * each alloc it runs with the driver handles of its tasks, so a restarted
 * agent (even after kill -9) finds its tasks again instead of starting
 * them twice. Written on every change of an alloc's client state.
 */
#ifndef CARAVAN_AGENT_CLIENT_CLIENT_STATE_H
#define CARAVAN_AGENT_CLIENT_CLIENT_STATE_H

#include <stddef.h>

struct err;
struct client_state;

int client_state_open(const char *dir,
                      struct client_state **out,
                      struct err *err);
void client_state_close(struct client_state *cs);
/* Stores the record of alloc id (opaque bytes); fsync'd. */
int client_state_put(struct client_state *cs,
                     const char *id,
                     const void *data,
                     size_t len,
                     struct err *err);
int client_state_del(struct client_state *cs, const char *id, struct err *err);
/* Calls fn for every stored record. */
int client_state_each(
    struct client_state *cs,
    void (*fn)(void *arg, const char *id, const void *data, size_t len),
    void *arg,
    struct err *err);

#endif
