/*
 * The health checks of the services this client registers: one set of
 * running checks (discovery/check_uv.h) per registration that has checks,
 * started when its task runs and stopped when it no longer does.
 *
 * The registration's health is the worst of its checks (any critical ->
 * critical, else any warning -> warning, else passing). It exists once
 * every check has a status, from its first result or its initial_status;
 * until then the registration is held back. The
 * client is told (env.changed) when a registration's health moves, and
 * asked (env.restart) to restart a task when a check_restart block says
 * so.
 *
 * Used like client_services: client_checks_begin(), one
 * client_checks_want() per registration, client_checks_end(). Loop
 * thread only.
 */
#ifndef CARAVAN_AGENT_CLIENT_CHECKS_H
#define CARAVAN_AGENT_CLIENT_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "discovery/catalog.h"

struct alloc;
struct err;
struct service;
struct client_checks;

struct client_checks_env
{
    uv_loop_t *loop;
    /* A registration's health moved (or became known): rebuild the set.
     * Called from the loop, never from inside client_checks_want(). */
    void (*changed)(void *arg);
    /* A check asks for task of alloc_id to restart (reason for the event);
     * task NULL: a group service's check, for every running task. */
    void (*restart)(void *arg,
                    const char *alloc_id,
                    const char *task,
                    const char *reason);
    void *arg;
};

int client_checks_new(const struct client_checks_env *env,
                      struct client_checks **out,
                      struct err *err);
/* Stops every check and frees cc; cb(arg) runs once all is closed. */
void client_checks_close(struct client_checks *cc,
                         void (*cb)(void *arg),
                         void *arg);

/* A registration with checks, as client_services builds it. */
struct client_checks_reg
{
    const char *id; /* the registration's ID */
    const struct alloc *alloc;
    const char *task; /* the task it belongs to; NULL for group services */
    const struct service *svc;
    const char *address;
    int64_t port; /* the service's port */
};

struct client_checks_health
{
    enum catalog_health health;
    const char *output; /* borrowed until the next call */
    int64_t checked_unix_ms;
};

void client_checks_begin(struct client_checks *cc);
/*
 * Keeps reg's checks running (starting them the first time, or again when
 * their definition or address changed). Returns true with its health in
 * *out once every check has run; false before.
 */
bool client_checks_want(struct client_checks *cc,
                        const struct client_checks_reg *reg,
                        struct client_checks_health *out);
/* Stops the checks of registrations not wanted since begin. */
void client_checks_end(struct client_checks *cc);

/*
 * Deployment health by checks: true when the alloc's registrations with
 * checks number at least `expected` and every check counts as healthy
 * under its on_update (require_healthy: passing; ignore_warnings:
 * passing or warning; ignore: any result).
 */
bool client_checks_alloc_healthy(const struct client_checks *cc,
                                 const char *alloc_id,
                                 size_t expected);

/*
 * Nomad's check results of an alloc (GET /v1/client/allocation/:id/checks):
 * an object of check ID -> {ID, Check, Group, Mode, Output, Service,
 * Status ("success", "failure", "pending"; Caravan adds "warning"),
 * StatusCode, Task, Timestamp (unix s)}. A new reference; {} when the
 * alloc has no running checks.
 */
json_t *client_checks_alloc_json(const struct client_checks *cc,
                                 const char *alloc_id);

#endif
