/*
 * Native service discovery: GET /v1/services and /v1/service/:name,
 * answered from the catalogue of this agent's client, with blocking
 * queries (?index=&wait=) woken by a catalogue watcher on exactly the
 * answer asked for; DELETE /v1/service/:name/:id.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/client/client.h"
#include "agent/http/api_int.h"
#include "agent/http/httpd_wait.h"
#include "discovery/catalog.h"
#include "discovery/watch.h"
#include "lib/alloc.h"
#include "lib/err.h"

static void set_index(struct httpd_req *req, uint64_t index)
{
    char idx[24];

    snprintf(idx, sizeof(idx), "%" PRIu64, index ? index : 1);
    httpd_set_header(req, "X-Nomad-Index", idx);
    httpd_set_header(req, "X-Nomad-KnownLeader", "true");
    httpd_set_header(req, "X-Nomad-LastContact", "0");
}

static json_t *names_of(const struct catalog *cat, const char *ns,
                        uint64_t *index)
{
    struct catalog_name *names;
    size_t n = catalog_names(cat, ns, &names, index);
    json_t *list = json_array();

    for (size_t i = 0; i < n; i++) {
        json_t *tags = json_array();

        for (size_t k = 0; k < names[i].n_tags; k++)
            json_array_append_new(tags, json_string(names[i].tags[k]));
        json_array_append_new(list,
                              json_pack("{s:s,s:o}", "ServiceName",
                                        names[i].name, "Tags", tags));
    }
    catalog_names_free(names, n);
    return list;
}

static void answer_services(struct http_api *api, struct httpd_req *req)
{
    const struct catalog *cat = api->catalog;
    const char *want = httpd_req_namespace(req);
    json_t *out = json_array();
    uint64_t index = catalog_index(cat), ignored;
    const char **nss;
    size_t n = catalog_namespaces(cat, &nss);

    for (size_t i = 0; i < n; i++) {
        json_t *services;

        if (strcmp(want, "*") != 0 && strcmp(want, nss[i]) != 0)
            continue;
        services = names_of(cat, nss[i], &ignored);
        if (json_array_size(services) == 0) {
            json_decref(services);
            continue;
        }
        json_array_append_new(out, json_pack("{s:s,s:o}", "Namespace",
                                             nss[i], "Services", services));
    }
    free(nss);
    set_index(req, index);
    httpd_respond_json(req, 200, out);
    json_decref(out);
}

/*
 * Caravan's fields beyond Nomad's: the registration's check health
 * ("passing" for a service without checks), the output of the check that
 * decided it, and when that was (unix ms; 0: no checks).
 */
static json_t *with_health(json_t *reg, const struct catalog_service *s)
{
    const char *health = s->health == CATALOG_HEALTH_CRITICAL  ? "critical"
                         : s->health == CATALOG_HEALTH_WARNING ? "warning"
                                                               : "passing";

    json_object_set_new(reg, "Health", json_string(health));
    json_object_set_new(reg, "HealthOutput",
                        json_string(s->health_output ? s->health_output : ""));
    json_object_set_new(reg, "HealthCheckedUnixMs",
                        json_integer((json_int_t)s->health_checked_unix_ms));
    return reg;
}

static json_t *registration(const struct catalog_service *s)
{
    json_t *tags = json_array();

    for (size_t i = 0; i < s->n_tags; i++)
        json_array_append_new(tags, json_string(s->tags[i]));
    return with_health(json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:I,s:I,s:I}",
                     "ID", s->id, "ServiceName", s->service_name, "Namespace",
                     s->namespace_, "NodeID", s->node_id, "Datacenter",
                     s->datacenter, "JobID", s->job_id, "AllocID", s->alloc_id,
                     "Tags", tags, "Address", s->address, "Port",
                     (json_int_t)s->port, "CreateIndex",
                     (json_int_t)s->create_index, "ModifyIndex",
                     (json_int_t)s->modify_index), s);
}

static void answer_service(struct http_api *api, struct httpd_req *req)
{
    const struct catalog *cat = api->catalog;
    const char *name = httpd_req_param(req, "name");
    const char *choose = httpd_query_get(req, "choose");
    struct catalog_filter f = {httpd_query_get(req, "tag"), NULL, 0};
    const struct catalog_service **list;
    uint64_t index = 0;
    size_t n, keep;
    json_t *out;

    if (name == NULL || name[0] == '\0') {
        httpd_respond_error(req, 400, "missing service name");
        return;
    }
    n = catalog_lookup(cat, httpd_req_namespace(req), name, &f, &list, &index);
    keep = n;
    if (choose != NULL) {
        const char *bar = strchr(choose, '|');
        char *end;
        long want = bar ? strtol(choose, &end, 10) : 0;

        if (bar == NULL || end != bar || want < 1 || bar[1] == '\0') {
            free(list);
            httpd_respond_error(req, 400,
                                "failed to choose services: invalid choose "
                                "value \"%s\": want <n>|<key>",
                                choose);
            return;
        }
        keep = catalog_choose(list, n, (size_t)want, bar + 1);
    }
    out = json_array();
    for (size_t i = 0; i < keep; i++)
        json_array_append_new(out, registration(list[i]));
    free(list);
    set_index(req, index ? index : catalog_index(cat));
    httpd_respond_json(req, 200, out);
    json_decref(out);
}

/* ------------------------------------------------------ blocking */

static void answer(struct http_api *api, struct httpd_req *req, bool one_name)
{
    if (one_name)
        answer_service(api, req);
    else
        answer_services(api, req);
}

struct parked
{
    struct http_api *api;
    struct httpd_req *req;
    struct watch *watch;
    uv_timer_t timer;
    bool one_name; /* /v1/service/:name, else /v1/services */
};

static void parked_free(uv_handle_t *h)
{
    free(h->data);
}

static void parked_end(struct parked *p)
{
    watch_free(p->watch);
    p->watch = NULL;
    uv_timer_stop(&p->timer);
    uv_close((uv_handle_t *)&p->timer, parked_free);
}

static void parked_fire(struct parked *p)
{
    httpd_req_on_abort(p->req, NULL, NULL);
    answer(p->api, p->req, p->one_name);
    parked_end(p);
}

static void parked_woken(struct watch *w, void *arg)
{
    (void)w;
    parked_fire(arg);
}

static void parked_timeout(uv_timer_t *t)
{
    parked_fire(t->data);
}

static void parked_aborted(struct httpd_req *req, void *arg)
{
    (void)req;
    parked_end(arg);
}

/*
 * Answers now, or with ?index= at or past the answer's index, once the
 * answer moves (only then: a watcher on this name or namespace) or the
 * wait runs out.
 */
static void serve(struct http_api *api, struct httpd_req *req, bool one_name)
{
    const struct catalog *cat;
    const char *ns = httpd_req_namespace(req);
    const char *name = httpd_req_param(req, "name");
    uint64_t min_index, wait_ms, now;
    struct err err = ERR_INIT;
    struct parked *p;

    if (api->catalog == NULL) {
        /* An agent without a catalogue answers as an empty one. */
        json_t *empty = json_array();

        set_index(req, 1);
        httpd_respond_json(req, 200, empty);
        json_decref(empty);
        return;
    }
    if (httpd_wait_parse(req, &min_index, &wait_ms, &err) != 0) {
        httpd_respond_err(req, &err);
        return;
    }
    cat = api->catalog;
    if (one_name)
        now = catalog_name_index(cat, ns, name ? name : "");
    else
        now = catalog_index(cat);
    if (min_index == 0 || (now ? now : 1) > min_index ||
        (one_name && (name == NULL || name[0] == '\0'))) {
        answer(api, req, one_name);
        return;
    }
    p = xcalloc(1, sizeof(*p));
    p->api = api;
    p->req = req;
    p->one_name = one_name;
    p->watch = watch_new(api->catalog_hub, parked_woken, p);
    if (!one_name)
        watch_add(p->watch, strcmp(ns, "*") == 0 ? NULL : ns, NULL);
    else if (strcmp(ns, "*") == 0)
        watch_add(p->watch, NULL, NULL);
    else
        watch_add(p->watch, ns, name);
    uv_timer_init(api->loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(&p->timer, parked_timeout, wait_ms, 0);
    httpd_req_on_abort(req, parked_aborted, p);
}

static void get_services(struct httpd_req *req, void *arg)
{
    serve(arg, req, false);
}

static void get_service(struct httpd_req *req, void *arg)
{
    serve(arg, req, true);
}

static void delete_service(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;

    /* Nomad answers an unknown registration with a 500 and these words. */
    if (api->client == NULL ||
        client_service_delete(api->client, httpd_req_namespace(req),
                              httpd_req_param(req, "name"),
                              httpd_req_param(req, "id"), &err) != 0) {
        httpd_respond_error(req, 500, "service registration not found");
        return;
    }
    httpd_respond(req, 200, NULL, NULL, 0);
}

int api_routes_services(struct http_api *api, struct err *err)
{
    int rc = api_routes_add(api, "GET /v1/services", get_services, err);

    if (rc == 0)
        rc = api_routes_add(api, "GET /v1/service/:name", get_service, err);
    if (rc == 0)
        rc = api_routes_add(api, "DELETE /v1/service/:name/:id",
                            delete_service, err);
    return rc;
}
