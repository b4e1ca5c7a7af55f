/*
 * A node's record set as msgpack, the bytes the mesh carries between
 * agents:
 *
 *   [1, node_id, version, tombstone, [service...]]
 *   service = [id, name, namespace, node_id, datacenter, job_id, alloc_id,
 *              [tag...], address, port, health, output, checked_unix_ms]
 *
 * Every length is bounded before anything is allocated; the indexes are
 * not carried (each agent orders changes with its own counter).
 */
#include <stdlib.h>
#include <string.h>

#include "discovery/catalog.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/map.h"
#include "lib/mp.h"

#define FORMAT_VERSION 1
#define SERVICE_FIELDS 13

void catalog_node_set_encode(const struct catalog_node_set *set,
                             struct buf *out)
{
    mp_put_array(out, 5);
    mp_put_int(out, FORMAT_VERSION);
    mp_put_str(out, set->node_id);
    mp_put_int(out, (int64_t)set->version);
    mp_put_bool(out, set->tombstone);
    mp_put_array(out, (uint32_t)set->n_services);
    for (size_t i = 0; i < set->n_services; i++) {
        const struct catalog_service *s = &set->services[i];

        mp_put_array(out, SERVICE_FIELDS);
        mp_put_str(out, s->id);
        mp_put_str(out, s->service_name);
        mp_put_str(out, s->namespace_);
        mp_put_str(out, s->node_id);
        mp_put_str(out, s->datacenter);
        mp_put_str(out, s->job_id);
        mp_put_str(out, s->alloc_id);
        mp_put_array(out, (uint32_t)s->n_tags);
        for (size_t t = 0; t < s->n_tags; t++)
            mp_put_str(out, s->tags[t]);
        mp_put_str(out, s->address);
        mp_put_int(out, s->port);
        mp_put_int(out, (int64_t)s->health);
        /* Never checked: no output, sent as "" (the decoder wants text). */
        mp_put_str(out, s->health_output ? s->health_output : "");
        mp_put_int(out, s->health_checked_unix_ms);
    }
}

static int bad(struct err *err, const char *what)
{
    return err_set(err, ERR_MALFORMED, "service record set: %s", what);
}

static int read_str(struct mp_reader *r,
                    char **out,
                    const char *what,
                    bool free_text,
                    struct err *err)
{
    const char *s;
    uint32_t len;

    if (mp_read_str(r, &s, &len) != 0)
        return err_set(err, ERR_MALFORMED,
                       "service record set: %s: expected a string", what);
    if (len > CATALOG_MAX_STRING)
        return err_set(err, ERR_MALFORMED,
                       "service record set: %s: %u bytes is more than %d", what,
                       len, CATALOG_MAX_STRING);
    /* Names are keys of the read model: no control characters (the
     * check output is free text, but still a C string). */
    for (uint32_t i = 0; i < len; i++) {
        if (s[i] == '\0' || (!free_text && (unsigned char)s[i] < 0x20))
            return err_set(err, ERR_MALFORMED,
                           "service record set: %s: contains a control "
                           "character",
                           what);
    }
    *out = xstrndup(s, len);
    return 0;
}

static int read_service(struct mp_reader *r,
                        struct catalog_service *s,
                        struct err *err)
{
    char **strs[] = {&s->id,      &s->service_name, &s->namespace_,
                     &s->node_id, &s->datacenter,   &s->job_id,
                     &s->alloc_id};
    static const char *const names[] = {"ID",     "ServiceName", "Namespace",
                                        "NodeID", "Datacenter",  "JobID",
                                        "AllocID"};
    uint32_t n, n_tags;
    int64_t v;

    if (mp_read_array(r, &n) != 0 || n != SERVICE_FIELDS)
        return bad(err, "a service must be an array of 13 fields");
    for (size_t i = 0; i < 7; i++) {
        if (read_str(r, strs[i], names[i], false, err) != 0)
            return ERR_MALFORMED;
    }
    if (*s->id == '\0' || *s->service_name == '\0')
        return bad(err, "a service needs an ID and a ServiceName");
    if (mp_read_array(r, &n_tags) != 0)
        return bad(err, "Tags: expected an array");
    if (n_tags > CATALOG_MAX_TAGS)
        return err_set(err, ERR_MALFORMED,
                       "service record set: %u tags is more than %d", n_tags,
                       CATALOG_MAX_TAGS);
    s->tags = xcalloc(n_tags ? n_tags : 1, sizeof(char *));
    for (uint32_t t = 0; t < n_tags; t++) {
        if (read_str(r, &s->tags[t], "Tags", false, err) != 0)
            return ERR_MALFORMED;
        s->n_tags++;
    }
    if (read_str(r, &s->address, "Address", false, err) != 0)
        return ERR_MALFORMED;
    if (mp_read_int(r, &v) != 0 || v < 0 || v > 65535)
        return bad(err, "Port: expected an integer from 0 to 65535");
    s->port = v;
    if (mp_read_int(r, &v) != 0 ||
        (v != CATALOG_HEALTH_PASSING && v != CATALOG_HEALTH_WARNING &&
         v != CATALOG_HEALTH_CRITICAL))
        return bad(err, "health: expected passing, warning or critical");
    s->health = (enum catalog_health)v;
    if (read_str(r, &s->health_output, "health output", true, err) != 0)
        return ERR_MALFORMED;
    if (mp_read_int(r, &s->health_checked_unix_ms) != 0)
        return bad(err, "health time: expected an integer");
    return 0;
}

static int decode(struct mp_reader *r,
                  struct catalog_node_set *set,
                  struct err *err)
{
    uint32_t n, n_svc;
    int64_t v;
    bool b;
    struct map ids;
    int rc = 0;

    if (mp_read_array(r, &n) != 0 || n < 1)
        return bad(err, "expected an array");
    if (mp_read_int(r, &v) != 0)
        return bad(err, "format version: expected an integer");
    if (v != FORMAT_VERSION)
        return err_set(err, ERR_VERSION,
                       "service record set: format version %lld is not "
                       "supported (want %d)",
                       (long long)v, FORMAT_VERSION);
    if (n != 5)
        return bad(err, "expected 5 fields");
    if (read_str(r, &set->node_id, "node ID", false, err) != 0)
        return ERR_MALFORMED;
    if (*set->node_id == '\0')
        return bad(err, "empty node ID");
    if (mp_read_int(r, &v) != 0 || v < 0)
        return bad(err, "version: expected a non-negative integer");
    set->version = (uint64_t)v;
    if (mp_read_bool(r, &b) != 0)
        return bad(err, "tombstone: expected a bool");
    set->tombstone = b;
    if (mp_read_array(r, &n_svc) != 0)
        return bad(err, "services: expected an array");
    if (n_svc > CATALOG_MAX_SERVICES_PER_NODE)
        return err_set(err, ERR_MALFORMED,
                       "service record set: %u services is more than %d", n_svc,
                       CATALOG_MAX_SERVICES_PER_NODE);
    if (set->tombstone && n_svc > 0)
        return bad(err, "a tombstone holds no services");
    set->services = xcalloc(n_svc ? n_svc : 1, sizeof(*set->services));
    map_init(&ids);
    for (uint32_t i = 0; i < n_svc && rc == 0; i++) {
        struct catalog_service *s = &set->services[i];
        char *key;

        set->n_services++;
        rc = read_service(r, s, err);
        if (rc != 0)
            break;
        key = xasprintf("%s\x1f%s", s->namespace_, s->id);
        if (map_put(&ids, key, s) != NULL)
            rc = err_set(err, ERR_MALFORMED,
                         "service record set: duplicate service ID \"%s\"",
                         s->id);
        free(key);
    }
    map_release(&ids, NULL);
    if (rc == 0 && mp_remaining(r) != 0)
        rc = bad(err, "trailing bytes");
    return rc;
}

int catalog_node_set_decode(const void *data,
                            size_t len,
                            struct catalog_node_set *set,
                            struct err *err)
{
    struct mp_reader r;
    int rc;

    memset(set, 0, sizeof(*set));
    mp_reader_init(&r, data, len);
    rc = decode(&r, set, err);
    if (rc != 0)
        catalog_node_set_release(set);
    return rc;
}
