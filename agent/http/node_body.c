/* Node write request bodies (see node_body.h). */
#include "agent/http/node_body.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"

/*
 * Parses a request body into a JSON object. Nomad's Go decoder answers
 * "EOF" for an empty body and names the Go field for a wrong type; the
 * messages here follow it.
 */
static json_t *body_object(const char *body, size_t len, struct err *err)
{
    json_error_t je;
    json_t *j;

    if (len == 0) {
        err_set(err, ERR_INVALID, "EOF");
        return NULL;
    }
    j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        err_set(err, ERR_INVALID, "invalid JSON at line %d column %d: %s",
                je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        err_set(err, ERR_INVALID,
                "json: cannot unmarshal %s into Go value of type object",
                json_is_array(j) ? "array" : "value");
        return NULL;
    }
    return j;
}

/* The JSON kind as Go's decoder names it in type errors. */
static const char *json_kind(const json_t *v)
{
    if (json_is_string(v))
        return "string";
    if (json_is_number(v))
        return "number";
    if (json_is_boolean(v))
        return "bool";
    if (json_is_array(v))
        return "array";
    return "object";
}

static int type_error(struct err *err,
                      const json_t *v,
                      const char *strct,
                      const char *field,
                      const char *type)
{
    return err_set(err, ERR_INVALID,
                   "json: cannot unmarshal %s into Go struct field "
                   "%s.%s of type %s",
                   json_kind(v), strct, field, type);
}

/* A string member: absent or null leaves *out NULL. */
static int get_str(const json_t *o,
                   const char *strct,
                   const char *key,
                   const char **out,
                   struct err *err)
{
    const json_t *v = json_object_get(o, key);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return type_error(err, v, strct, key, "string");
    *out = json_string_value(v);
    return 0;
}

static int get_bool(const json_t *o,
                    const char *strct,
                    const char *key,
                    bool *out,
                    struct err *err)
{
    const json_t *v = json_object_get(o, key);

    *out = false;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return type_error(err, v, strct, key, "bool");
    *out = json_is_true(v);
    return 0;
}

static int drain_spec(const json_t *spec,
                      struct node_drain_body *d,
                      struct err *err)
{
    const json_t *deadline = json_object_get(spec, "Deadline");

    if (!json_is_object(spec))
        return type_error(err, spec, "NodeUpdateDrainRequest", "DrainSpec",
                          "api.DrainSpec");
    d->enable = true;
    if (deadline != NULL && !json_is_null(deadline)) {
        if (!json_is_integer(deadline))
            return type_error(err, deadline, "DrainSpec", "Deadline",
                              "time.Duration");
        d->deadline_ns = (int64_t)json_integer_value(deadline);
    }
    return get_bool(spec, "DrainSpec", "IgnoreSystemJobs",
                    &d->ignore_system_jobs, err);
}

static int drain_meta(const json_t *meta, struct strmap *out, struct err *err)
{
    const char *k;
    json_t *v;

    if (meta == NULL || json_is_null(meta))
        return 0;
    if (!json_is_object(meta))
        return type_error(err, meta, "NodeUpdateDrainRequest", "Meta",
                          "map[string]string");
    json_object_foreach((json_t *)meta, k, v)
    {
        if (!json_is_string(v))
            return type_error(err, v, "NodeUpdateDrainRequest", "Meta",
                              "string");
        strmap_set(out, k, json_string_value(v));
    }
    return 0;
}

void node_eligibility_body_release(struct node_eligibility_body *b)
{
    free(b->node_id);
    free(b->eligibility);
    memset(b, 0, sizeof(*b));
}

int node_eligibility_body_parse(const char *body,
                                size_t len,
                                struct node_eligibility_body *out,
                                struct err *err)
{
    const char *node_id, *elig;
    json_t *j = body_object(body, len, err);
    int rc;

    memset(out, 0, sizeof(*out));
    if (j == NULL)
        return err->code;
    rc = get_str(j, "NodeUpdateEligibilityRequest", "NodeID", &node_id, err);
    if (rc == 0)
        rc = get_str(j, "NodeUpdateEligibilityRequest", "Eligibility", &elig,
                     err);
    if (rc == 0) {
        out->node_id = node_id ? xstrdup(node_id) : NULL;
        out->eligibility = xstrdup(elig ? elig : "");
    }
    json_decref(j);
    return rc;
}

void node_drain_body_release(struct node_drain_body *b)
{
    strmap_release(&b->meta);
    memset(b, 0, sizeof(*b));
}

int node_drain_body_parse(const char *body,
                          size_t len,
                          struct node_drain_body *out,
                          struct err *err)
{
    json_t *j = body_object(body, len, err);
    const json_t *spec;
    int rc;

    memset(out, 0, sizeof(*out));
    strmap_init(&out->meta);
    if (j == NULL)
        return err->code;
    spec = json_object_get(j, "DrainSpec");
    rc = spec != NULL && !json_is_null(spec) ? drain_spec(spec, out, err) : 0;
    if (rc == 0)
        rc = get_bool(j, "NodeUpdateDrainRequest", "MarkEligible",
                      &out->mark_eligible, err);
    if (rc == 0)
        rc = drain_meta(json_object_get(j, "Meta"), &out->meta, err);
    json_decref(j);
    if (rc != 0)
        node_drain_body_release(out);
    return rc;
}
