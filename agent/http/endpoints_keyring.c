/*
 * The gossip keyring endpoints (Nomad's /v1/agent/keyring/...):
 *
 *     GET /v1/agent/keyring/list
 *         {"Messages":{},"Keys":{"<key>":<members>},"NumNodes":<members>}
 *     PUT|POST /v1/agent/keyring/install|use|remove
 *         {"Key":"<base64>"}
 *
 * A change made on one agent spreads to every member of the mesh; the
 * list counts, for each key, the alive members holding it (NumNodes: how
 * many are alive), as Nomad answers for the whole cluster.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/api_int.h"
#include "lib/err.h"

static json_t *keyring_response(json_t *keys, int nodes)
{
    return json_pack("{s:{},s:o,s:i}", "Messages", "Keys", keys, "NumNodes",
                     nodes);
}

static void get_list(struct httpd_req *req, void *arg)
{
    struct http_api *api = arg;
    struct err err = ERR_INIT;
    char **keys = NULL;
    int *counts = NULL, nodes = 1;
    size_t n = 0;
    json_t *v, *k;

    if (api->keyring->list(api->keyring_ctx, &keys, &counts, &n, &nodes,
                           &err) != 0) {
        httpd_respond_err(req, &err);
        return;
    }
    k = json_object();
    for (size_t i = 0; i < n; i++) {
        json_object_set_new(k, keys[i], json_integer(counts[i]));
        free(keys[i]);
    }
    free(keys);
    free(counts);
    v = keyring_response(k, nodes);
    httpd_respond_json(req, 200, v);
    json_decref(v);
}

static void change(struct httpd_req *req,
                   struct http_api *api,
                   enum http_keyring_op op)
{
    struct err err = ERR_INIT;
    json_error_t jerr;
    size_t len = 0;
    const char *body = httpd_req_body(req, &len);
    json_t *in = json_loadb(body, len, 0, &jerr), *v;
    const char *key;
    int rc;

    if (in == NULL) {
        httpd_respond_error(req, 400, "Request decode failed: %s", jerr.text);
        return;
    }
    key = json_string_value(json_object_get(in, "Key"));
    if (key == NULL || key[0] == '\0') {
        json_decref(in);
        httpd_respond_error(req, 400, "Request decode failed: missing Key");
        return;
    }
    rc = api->keyring->change(api->keyring_ctx, op, key, &err);
    json_decref(in);
    if (rc != 0) {
        /* Bad keys are the caller's; a refused operation is reported as
         * Nomad reports the keyring's errors, with a 500. */
        if (err.code == ERR_INVALID &&
            strcmp(err.msg, "Removing the primary key is not allowed") == 0)
            err.code = ERR_STATE;
        if (err.code == ERR_NOT_FOUND)
            err.code = ERR_STATE;
        httpd_respond_err(req, &err);
        return;
    }
    v = keyring_response(json_object(), 1);
    httpd_respond_json(req, 200, v);
    json_decref(v);
}

static void put_install(struct httpd_req *req, void *arg)
{
    change(req, arg, HTTP_KEYRING_INSTALL);
}

static void put_use(struct httpd_req *req, void *arg)
{
    change(req, arg, HTTP_KEYRING_USE);
}

static void put_remove(struct httpd_req *req, void *arg)
{
    change(req, arg, HTTP_KEYRING_REMOVE);
}

int api_keyring_routes_add(struct http_api *api, struct err *err)
{
    int rc = api_routes_add(api, "GET /v1/agent/keyring/list", get_list, err);

    if (rc == 0)
        rc = api_routes_add(api, "PUT|POST /v1/agent/keyring/install",
                            put_install, err);
    if (rc == 0)
        rc =
            api_routes_add(api, "PUT|POST /v1/agent/keyring/use", put_use, err);
    if (rc == 0)
        rc = api_routes_add(api, "PUT|POST /v1/agent/keyring/remove",
                            put_remove, err);
    return rc;
}
