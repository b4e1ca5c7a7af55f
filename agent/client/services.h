/*
 * The services of the tasks this client runs, as `provider = "nomad"`
 * registrations in the node's catalogue record set: rebuilt from the
 * allocs whenever one changes, so nothing stale outlives a task, an
 * alloc or an agent restart.
 */
#ifndef CARAVAN_AGENT_CLIENT_SERVICES_H
#define CARAVAN_AGENT_CLIENT_SERVICES_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct alloc;
struct client_checks;
struct catalog;
struct watch_hub;
struct client_services;

struct client_services *client_services_new(const char *node_id,
                                            const char *datacenter);
void client_services_free(struct client_services *cs);
/* Starts a new record set; add every alloc; then commit it. */
void client_services_begin(struct client_services *cs);
/*
 * leaving (NULL, or one flag per task of the group, in order): tasks being
 * stopped, whose services go before they are killed, as Nomad
 * deregisters before it kills.
 */
void client_services_add(struct client_services *cs,
                         const struct alloc *a,
                         const bool *leaving);
/* Applies the set at the next version when it differs from the last. */
void client_services_commit(struct client_services *cs, int64_t now_ms);
const struct catalog *client_services_catalog(const struct client_services *cs);
/* Called with the node's set each time a commit changes it (to publish
 * it into the mesh); the set is borrowed for the call. */
struct catalog_node_set;
void client_services_on_publish(struct client_services *cs,
                                void (*fn)(void *arg,
                                           const struct catalog_node_set *set),
                                void *arg);
/* The catalogue itself, for what feeds other nodes' sets into it. */
struct catalog *client_services_catalog_rw(struct client_services *cs);
/* Woken after every commit that moved an answer (discovery/watch.h). */
struct watch_hub *client_services_hub(struct client_services *cs);
/*
 * Takes registration id of name out of the catalogue at the next commit,
 * until its task stops registering it. -1 when there is no such
 * registration.
 */
int client_services_delete(struct client_services *cs,
                           const char *namespace_,
                           const char *name,
                           const char *id);
/*
 * Runs the checks of registrations that have some through cc (borrowed;
 * NULL stops doing so): such a registration appears once its checks have
 * all run, with their health.
 */
void client_services_set_checks(struct client_services *cs,
                                struct client_checks *cc);
/* How many provider = "nomad" services of a's group have checks. */
size_t client_services_checked(const struct alloc *a);

#endif
