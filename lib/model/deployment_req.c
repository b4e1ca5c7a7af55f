/* Deployment write request bodies (see deployment_req.h). */
#include "lib/model/deployment_req.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"

void deployment_req_init(struct deployment_req *r)
{
    memset(r, 0, sizeof(*r));
    strlist_init(&r->groups);
    strlist_init(&r->healthy);
    strlist_init(&r->unhealthy);
    r->job_version = -1;
}

void deployment_req_release(struct deployment_req *r)
{
    free(r->deployment_id);
    free(r->job_id);
    strlist_release(&r->groups);
    strlist_release(&r->healthy);
    strlist_release(&r->unhealthy);
    deployment_req_init(r);
}

static int get_bool(const json_t *o,
                    const char *key,
                    bool *out,
                    struct err *err)
{
    const json_t *v = json_object_get(o, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return err_set(err, ERR_INVALID, "%s must be a boolean", key);
    *out = json_is_true(v);
    return 0;
}

static int get_names(const json_t *o,
                     const char *key,
                     size_t max,
                     struct strlist *out,
                     struct err *err)
{
    const json_t *g = json_object_get(o, key);

    if (g == NULL || json_is_null(g))
        return 0;
    if (!json_is_array(g) || json_array_size(g) > max)
        return err_set(err, ERR_INVALID,
                       "%s must be an array of at most %zu names", key, max);
    for (size_t i = 0; i < json_array_size(g); i++) {
        const json_t *v = json_array_get(g, i);

        if (!json_is_string(v))
            return err_set(err, ERR_INVALID, "%s[%zu] must be a string", key,
                           i);
        strlist_push(out, json_string_value(v));
    }
    return 0;
}

static int get_string(const json_t *o,
                      const char *key,
                      char **out,
                      struct err *err)
{
    const json_t *v = json_object_get(o, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return err_set(err, ERR_INVALID, "%s must be a string", key);
    *out = xstrdup(json_string_value(v));
    return 0;
}

static int get_version(const json_t *o, int64_t *out, struct err *err)
{
    const json_t *v = json_object_get(o, "JobVersion");

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return err_set(err, ERR_INVALID,
                       "JobVersion must be a non-negative integer");
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static int decode(const json_t *o, struct deployment_req *r, struct err *err)
{
    const json_t *id = json_object_get(o, "DeploymentID");

    if (id != NULL && !json_is_null(id)) {
        if (!json_is_string(id))
            return err_set(err, ERR_INVALID, "DeploymentID must be a string");
        r->deployment_id = xstrdup(json_string_value(id));
    }
    if (get_bool(o, "All", &r->all, err) != 0 ||
        get_bool(o, "Pause", &r->pause, err) != 0 ||
        get_bool(o, "Stable", &r->stable, err) != 0 ||
        get_string(o, "JobID", &r->job_id, err) != 0 ||
        get_version(o, &r->job_version, err) != 0)
        return err->code;
    if (get_names(o, "Groups", DEPLOYMENT_REQ_GROUPS_MAX, &r->groups, err) ||
        get_names(o, "HealthyAllocationIDs", DEPLOYMENT_REQ_ALLOCS_MAX,
                  &r->healthy, err) ||
        get_names(o, "UnhealthyAllocationIDs", DEPLOYMENT_REQ_ALLOCS_MAX,
                  &r->unhealthy, err))
        return err->code;
    return 0;
}

int deployment_req_decode_json(const char *text,
                               size_t len,
                               struct deployment_req *r,
                               struct err *err)
{
    json_error_t jerr;
    json_t *o;
    int rc;

    if (len == 0)
        return 0;
    o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return err_set(err, ERR_INVALID, "request body: %s (line %d)",
                       jerr.text, jerr.line);
    if (!json_is_object(o)) {
        json_decref(o);
        return err_set(err, ERR_INVALID, "request body must be an object");
    }
    rc = decode(o, r, err);
    json_decref(o);
    if (rc != 0)
        deployment_req_release(r);
    return rc;
}
