/*
 * The catalogue: the merge rule as a pure function, record sets applied
 * out of order and more than once, tombstones and their expiry, modify
 * indexes, the read model's filters, the codec's bounds, rendezvous
 * selection, and a template rendered against a catalogue.
 */
#include <stdlib.h>
#include <string.h>

#include "discovery/catalog.h"
#include "discovery/catalog_tmpl.h"
#include "discovery/watch.h"
#include "discovery/template/template.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/mp.h"
#include "lib/rand.h"
#include "tests/harness/test.h"

#define TTL_MS 60000

/* ------------------------------------------------------------------ helpers */

struct svc_spec
{
    const char *id, *name, *dc, *addr;
    int port;
    const char *tags; /* comma-separated, or NULL */
    enum catalog_health health;
};

static void fill_service(struct catalog_service *s,
                         const char *node,
                         const struct svc_spec *sp)
{
    memset(s, 0, sizeof(*s));
    s->id = xstrdup(sp->id);
    s->service_name = xstrdup(sp->name);
    s->namespace_ = xstrdup("default");
    s->node_id = xstrdup(node);
    s->datacenter = xstrdup(sp->dc ? sp->dc : "dc1");
    s->job_id = xstrdup("job");
    s->alloc_id = xstrdup("alloc");
    s->address = xstrdup(sp->addr ? sp->addr : "10.0.0.1");
    s->port = sp->port;
    s->health = sp->health ? sp->health : CATALOG_HEALTH_PASSING;
    s->health_output = xstrdup("ok");
    s->tags = xcalloc(8, sizeof(char *));
    if (sp->tags != NULL) {
        char *copy = xstrdup(sp->tags);

        for (char *t = strtok(copy, ","); t; t = strtok(NULL, ","))
            s->tags[s->n_tags++] = xstrdup(t);
        free(copy);
    }
}

static struct catalog_node_set make_set(const char *node,
                                        uint64_t version,
                                        const struct svc_spec *specs,
                                        size_t n)
{
    struct catalog_node_set set = {0};

    set.node_id = xstrdup(node);
    set.version = version;
    set.services = xcalloc(n ? n : 1, sizeof(*set.services));
    set.n_services = n;
    for (size_t i = 0; i < n; i++)
        fill_service(&set.services[i], node, &specs[i]);
    return set;
}

static enum catalog_merge apply(struct catalog *c,
                                const char *node,
                                uint64_t version,
                                const struct svc_spec *sp,
                                size_t n,
                                int64_t now_ms)
{
    struct catalog_node_set set = make_set(node, version, sp, n);
    enum catalog_merge m = catalog_apply(c, &set, now_ms);

    catalog_node_set_release(&set);
    return m;
}

static enum catalog_merge tombstone(struct catalog *c,
                                    const char *node,
                                    uint64_t version,
                                    int64_t now_ms)
{
    struct catalog_node_set set = make_set(node, version, NULL, 0);
    enum catalog_merge m;

    set.tombstone = true;
    m = catalog_apply(c, &set, now_ms);
    catalog_node_set_release(&set);
    return m;
}

/* "id:port id:port" for name, with the answer's index. */
static char *answer(struct catalog *c,
                    const char *name,
                    const struct catalog_filter *f,
                    uint64_t *index)
{
    const struct catalog_service **list;
    uint64_t idx;
    size_t n = catalog_lookup(c, "default", name, f, &list, &idx);
    struct buf b = BUF_INIT;

    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%s:%lld", i ? " " : "", list[i]->id,
                   (long long)list[i]->port);
    free(list);
    if (index)
        *index = idx;
    return b.data ? buf_detach(&b) : xstrdup("");
}

static void assert_answer(struct catalog *c,
                          const char *name,
                          const struct catalog_filter *f,
                          const char *want)
{
    char *got = answer(c, name, f, NULL);

    ck_assert_str_eq(got, want);
    free(got);
}

/* ------------------------------------------------------------------ merge */

START_TEST(merge_rule_table)
{
    ck_assert_int_eq(catalog_merge_decide(false, 0, 0), CATALOG_MERGE_APPLY);
    ck_assert_int_eq(catalog_merge_decide(false, 9, 1), CATALOG_MERGE_APPLY);
    ck_assert_int_eq(catalog_merge_decide(true, 1, 2), CATALOG_MERGE_APPLY);
    ck_assert_int_eq(catalog_merge_decide(true, 2, 2), CATALOG_MERGE_SAME);
    ck_assert_int_eq(catalog_merge_decide(true, 3, 2), CATALOG_MERGE_STALE);
    ck_assert_int_eq(catalog_merge_decide(true, UINT64_MAX, 0),
                     CATALOG_MERGE_STALE);
}
END_TEST

static const struct svc_spec v1[] = {
    {"r1", "redis", NULL, "10.0.0.1", 6379, "db", 0},
};
static const struct svc_spec v2[] = {
    {"r1", "redis", NULL, "10.0.0.1", 7000, "db", 0},
    {"w1", "web", NULL, "10.0.0.1", 8080, "v1", 0},
};

START_TEST(newer_replaces_older_and_reordering_is_ignored)
{
    struct catalog *c = catalog_new(TTL_MS);
    uint64_t version;

    ck_assert_int_eq(apply(c, "n1", 2, v2, 2, 0), CATALOG_MERGE_APPLY);
    /* v1 arrives late: ignored, so redis keeps port 7000 */
    ck_assert_int_eq(apply(c, "n1", 1, v1, 1, 0), CATALOG_MERGE_STALE);
    assert_answer(c, "redis", NULL, "r1:7000");
    assert_answer(c, "web", NULL, "w1:8080");
    /* the same version again (gossip repeats itself): nothing moves */
    ck_assert_int_eq(apply(c, "n1", 2, v1, 1, 0), CATALOG_MERGE_SAME);
    assert_answer(c, "web", NULL, "w1:8080");
    /* a newer set without web deletes it */
    ck_assert_int_eq(apply(c, "n1", 3, v1, 1, 0), CATALOG_MERGE_APPLY);
    assert_answer(c, "web", NULL, "");
    assert_answer(c, "redis", NULL, "r1:6379");
    ck_assert(catalog_node_version(c, "n1", &version));
    ck_assert_uint_eq(version, 3);
    ck_assert(!catalog_node_version(c, "n2", &version));
    catalog_free(c);
}
END_TEST

START_TEST(tombstones_block_late_sets_until_they_expire)
{
    struct catalog *c = catalog_new(TTL_MS);

    apply(c, "n1", 1, v1, 1, 0);
    ck_assert_int_eq(tombstone(c, "n1", 5, 1000), CATALOG_MERGE_APPLY);
    assert_answer(c, "redis", NULL, "");
    /* an older set delivered late does not bring redis back */
    ck_assert_int_eq(apply(c, "n1", 4, v1, 1, 2000), CATALOG_MERGE_STALE);
    assert_answer(c, "redis", NULL, "");
    ck_assert_uint_eq(catalog_expire(c, 1000 + TTL_MS - 1), 0);
    ck_assert_uint_eq(catalog_expire(c, 1000 + TTL_MS), 1);
    /* forgotten: the node may come back with any version */
    ck_assert_int_eq(apply(c, "n1", 1, v1, 1, 70000), CATALOG_MERGE_APPLY);
    assert_answer(c, "redis", NULL, "r1:6379");
    /* a newer set revives a tombstoned node before expiry too */
    tombstone(c, "n1", 2, 80000);
    ck_assert_int_eq(apply(c, "n1", 3, v2, 2, 80001), CATALOG_MERGE_APPLY);
    assert_answer(c, "web", NULL, "w1:8080");
    ck_assert_uint_eq(catalog_expire(c, 1000000), 0); /* live, not expired */
    catalog_free(c);
}
END_TEST

START_TEST(modify_indexes_move_only_with_real_changes)
{
    struct catalog *c = catalog_new(TTL_MS);
    static const struct svc_spec moved[] = {
        {"r1", "redis", NULL, "10.0.0.1", 7000, "db", 0},
        {"w1", "web", NULL, "10.0.0.1", 8081, "v1", 0},
    };
    static const struct svc_spec other_output[] = {
        {"r1", "redis", NULL, "10.0.0.1", 7000, "db", 0},
        {"w1", "web", NULL, "10.0.0.1", 8081, "v1", 0},
    };
    const struct catalog_service **list;
    uint64_t i_redis, i_web, idx;

    apply(c, "n1", 1, v2, 2, 0);
    i_redis = catalog_name_index(c, "default", "redis");
    i_web = catalog_name_index(c, "default", "web");
    ck_assert_uint_gt(i_redis, 0);
    ck_assert_uint_eq(catalog_name_index(c, "default", "nope"), 0);
    /* web moves, redis does not: only web's index changes */
    apply(c, "n1", 2, moved, 2, 0);
    ck_assert_uint_eq(catalog_name_index(c, "default", "redis"), i_redis);
    ck_assert_uint_gt(catalog_name_index(c, "default", "web"), i_web);
    ck_assert_uint_eq(catalog_lookup(c, "default", "web", NULL, &list, &idx),
                      1);
    ck_assert_uint_eq(list[0]->create_index, i_web); /* kept */
    ck_assert_uint_eq(list[0]->modify_index, idx);
    ck_assert_uint_eq(idx, catalog_index(c));
    free(list);
    /* a new version with equal content changes no index */
    idx = catalog_index(c);
    {
        struct catalog_node_set set = make_set("n1", 3, other_output, 2);

        free(set.services[0].health_output);
        set.services[0].health_output = xstrdup("new output, same status");
        /* tags in another order are the same tag set */
        catalog_apply(c, &set, 0);
        catalog_node_set_release(&set);
    }
    ck_assert_uint_eq(catalog_index(c), idx);
    /* health status is a change */
    {
        struct catalog_node_set set = make_set("n1", 4, other_output, 2);

        set.services[0].health = CATALOG_HEALTH_CRITICAL;
        catalog_apply(c, &set, 0);
        catalog_node_set_release(&set);
    }
    ck_assert_uint_gt(catalog_name_index(c, "default", "redis"), i_redis);
    ck_assert_uint_eq(catalog_name_index(c, "default", "web"), idx);
    catalog_free(c);
}
END_TEST

/* Sets of 3 nodes at versions 1..6, delivered shuffled and duplicated,
 * end in the same answers as delivered in order. */
START_TEST(random_delivery_order_converges)
{
    uint64_t seed = test_seed();
    struct rng rng;
    struct catalog *ordered = catalog_new(TTL_MS);
    struct catalog *shuffled = catalog_new(TTL_MS);
    struct catalog_node_set sets[3 * 6 * 2];
    size_t n = 0;
    char ids[3][6][16];

    rng_seed(&rng, seed);
    for (int node = 0; node < 3; node++) {
        for (int v = 1; v <= 6; v++) {
            struct svc_spec sp[2] = {
                {ids[node][v - 1], "redis", NULL, NULL, 6000 + v, NULL, 0},
                {"web-fixed", "web", NULL, NULL, 80, NULL, 0},
            };
            char node_id[8];

            snprintf(ids[node][v - 1], sizeof(ids[node][v - 1]), "r%d-%d", node,
                     v % 3);
            snprintf(node_id, sizeof(node_id), "n%d", node);
            sets[n] = make_set(node_id, (uint64_t)v, sp, v == 6 ? 1 : 2);
            catalog_apply(ordered, &sets[n], 0);
            n++;
            sets[n] = make_set(node_id, (uint64_t)v, sp, v == 6 ? 1 : 2);
            n++; /* a duplicate delivery */
        }
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(&rng, i + 1);
        struct catalog_node_set t = sets[i];

        sets[i] = sets[j];
        sets[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        catalog_apply(shuffled, &sets[i], 0);
    {
        char *a = answer(ordered, "redis", NULL, NULL);
        char *b = answer(shuffled, "redis", NULL, NULL);
        char *wa = answer(ordered, "web", NULL, NULL);
        char *wb = answer(shuffled, "web", NULL, NULL);

        ck_assert_msg(strcmp(a, b) == 0, "seed %llu: %s vs %s",
                      (unsigned long long)seed, a, b);
        ck_assert_str_eq(a, "r0-0:6006 r1-0:6006 r2-0:6006");
        ck_assert_str_eq(wa, wb);
        ck_assert_str_eq(wb, "");
        free(a);
        free(b);
        free(wa);
        free(wb);
    }
    for (size_t i = 0; i < n; i++)
        catalog_node_set_release(&sets[i]);
    catalog_free(ordered);
    catalog_free(shuffled);
}
END_TEST

/* ------------------------------------------------------------------ reads */

START_TEST(lookups_filter_by_tag_datacenter_and_health)
{
    struct catalog *c = catalog_new(TTL_MS);
    static const struct svc_spec a[] = {
        {"w3", "web", "dc1", NULL, 1, "v1,public", CATALOG_HEALTH_PASSING},
        {"w1", "web", "dc2", NULL, 2, "v2", CATALOG_HEALTH_WARNING},
    };
    static const struct svc_spec b[] = {
        {"w2", "web", "dc1", NULL, 3, "v1", CATALOG_HEALTH_CRITICAL},
        {"db", "db", "dc1", NULL, 4, NULL, 0},
    };
    struct catalog_filter f = {0};
    struct catalog_name *names;
    const char **nss;
    uint64_t idx;
    size_t n;

    apply(c, "n1", 1, a, 2, 0);
    apply(c, "n2", 1, b, 2, 0);
    assert_answer(c, "web", NULL, "w1:2 w2:3 w3:1"); /* by ID */
    f.tag = "v1";
    assert_answer(c, "web", &f, "w2:3 w3:1");
    f.tag = NULL;
    f.datacenter = "dc1";
    assert_answer(c, "web", &f, "w2:3 w3:1");
    f.datacenter = NULL;
    f.health = CATALOG_HEALTH_PASSING;
    assert_answer(c, "web", &f, "w3:1");
    f.health = CATALOG_HEALTH_PASSING | CATALOG_HEALTH_WARNING;
    assert_answer(c, "web", &f, "w1:2 w3:1");
    f.tag = "v1";
    f.datacenter = "dc2";
    assert_answer(c, "web", &f, "");
    assert_answer(c, "nope", NULL, "");

    n = catalog_names(c, "default", &names, &idx);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(names[0].name, "db");
    ck_assert_uint_eq(names[0].n_tags, 0);
    ck_assert_str_eq(names[1].name, "web");
    ck_assert_uint_eq(names[1].n_tags, 3);
    ck_assert_str_eq(names[1].tags[0], "public");
    ck_assert_str_eq(names[1].tags[1], "v1");
    ck_assert_str_eq(names[1].tags[2], "v2");
    ck_assert_uint_eq(idx, catalog_index(c));
    catalog_names_free(names, n);
    ck_assert_uint_eq(catalog_names(c, "other", &names, &idx), 0);
    ck_assert_uint_eq(idx, 0);
    catalog_names_free(names, 0);
    n = catalog_namespaces(c, &nss);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(nss[0], "default");
    free(nss);
    catalog_free(c);
}
END_TEST

START_TEST(choose_is_a_stable_rendezvous_subset)
{
    struct catalog *c = catalog_new(TTL_MS);
    static const struct svc_spec s[] = {
        {"a", "web", NULL, "10.0.0.1", 1, NULL, 0},
        {"b", "web", NULL, "10.0.0.2", 2, NULL, 0},
        {"c", "web", NULL, "10.0.0.3", 3, NULL, 0},
        {"d", "web", NULL, "10.0.0.4", 4, NULL, 0},
    };
    const struct catalog_service **list, *rev[4];
    const char *first_k1[2];
    uint64_t idx;
    size_t n;

    apply(c, "n1", 1, s, 4, 0);
    n = catalog_lookup(c, "default", "web", NULL, &list, &idx);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < 4; i++)
        rev[i] = list[3 - i];
    ck_assert_uint_eq(catalog_choose(list, n, 2, "k1"), 2);
    first_k1[0] = list[0]->id;
    first_k1[1] = list[1]->id;
    /* the input order does not matter: every agent picks the same */
    ck_assert_uint_eq(catalog_choose(rev, 4, 2, "k1"), 2);
    ck_assert_str_eq(rev[0]->id, first_k1[0]);
    ck_assert_str_eq(rev[1]->id, first_k1[1]);
    ck_assert_uint_eq(catalog_choose(list, 2, 5, "k1"), 2);
    free(list);
    catalog_free(c);
}
END_TEST

/* ------------------------------------------------------------------ codec */

START_TEST(codec_round_trip)
{
    static const struct svc_spec s[] = {
        {"r1", "redis", "dc1", "10.0.0.1", 6379, "db,primary",
         CATALOG_HEALTH_WARNING},
    };
    struct catalog_node_set set = make_set("n1", 42, s, 1), back;
    struct buf b = BUF_INIT, again = BUF_INIT;
    struct err err = ERR_INIT;

    set.services[0].health_checked_unix_ms = 1700000000000;
    catalog_node_set_encode(&set, &b);
    ck_assert_int_eq(catalog_node_set_decode(b.data, b.len, &back, &err), 0);
    ck_assert_str_eq(back.node_id, "n1");
    ck_assert_uint_eq(back.version, 42);
    ck_assert_uint_eq(back.n_services, 1);
    ck_assert_str_eq(back.services[0].id, "r1");
    ck_assert_str_eq(back.services[0].tags[1], "primary");
    ck_assert_int_eq(back.services[0].port, 6379);
    ck_assert_int_eq(back.services[0].health, CATALOG_HEALTH_WARNING);
    ck_assert_int_eq(back.services[0].health_checked_unix_ms, 1700000000000);
    catalog_node_set_encode(&back, &again);
    ck_assert_uint_eq(again.len, b.len);
    ck_assert(memcmp(again.data, b.data, b.len) == 0);
    catalog_node_set_release(&set);
    catalog_node_set_release(&back);
    buf_release(&b);
    buf_release(&again);
}
END_TEST

static void expect_decode_error(const struct buf *b, int code, const char *msg)
{
    struct catalog_node_set back;
    struct err err = ERR_INIT;

    ck_assert_int_eq(catalog_node_set_decode(b->data, b->len, &back, &err),
                     code);
    ck_assert_msg(strstr(err.msg, msg) != NULL, "%s", err.msg);
    ck_assert_ptr_null(back.services);
}

START_TEST(codec_rejects_bad_sets)
{
    static const struct svc_spec two[] = {
        {"r1", "redis", NULL, NULL, 1, NULL, 0},
        {"r1", "redis", NULL, NULL, 2, NULL, 0},
    };
    struct catalog_node_set set = make_set("n1", 1, two, 2);
    struct buf b = BUF_INIT;

    catalog_node_set_encode(&set, &b);
    expect_decode_error(&b, ERR_MALFORMED, "duplicate service ID \"r1\"");
    for (size_t cut = 0; cut < b.len; cut += 7) {
        struct buf t = BUF_INIT;

        buf_append(&t, b.data, cut);
        expect_decode_error(&t, ERR_MALFORMED, "service record set");
        buf_release(&t);
    }
    buf_reset(&b);
    mp_put_array(&b, 5);
    mp_put_int(&b, 2);
    mp_put_str(&b, "n1");
    mp_put_int(&b, 1);
    mp_put_bool(&b, false);
    mp_put_array(&b, 0);
    expect_decode_error(&b, ERR_VERSION, "format version 2");
    buf_reset(&b);
    mp_put_array(&b, 5);
    mp_put_int(&b, 1);
    mp_put_str(&b, "n1");
    mp_put_int(&b, 1);
    mp_put_bool(&b, false);
    mp_put_array(&b, CATALOG_MAX_SERVICES_PER_NODE + 1);
    for (int i = 0; i <= CATALOG_MAX_SERVICES_PER_NODE; i++)
        mp_put_nil(&b);
    expect_decode_error(&b, ERR_MALFORMED, "services is more than");
    /* a tombstone that carries services */
    set.services[1].id[1] = '2';
    set.tombstone = true;
    buf_reset(&b);
    catalog_node_set_encode(&set, &b);
    expect_decode_error(&b, ERR_MALFORMED, "a tombstone holds no services");
    /* too many tags */
    set.tombstone = false;
    set.services[0].tags = xrealloc(set.services[0].tags, 100 * sizeof(char *));
    for (size_t i = set.services[0].n_tags; i < 100; i++)
        set.services[0].tags[i] = xstrdup("t");
    set.services[0].n_tags = 100;
    buf_reset(&b);
    catalog_node_set_encode(&set, &b);
    expect_decode_error(&b, ERR_MALFORMED, "100 tags is more than 64");
    /* port out of range */
    set.services[0].n_tags = 1;
    for (size_t i = 1; i < 100; i++)
        free(set.services[0].tags[i]);
    set.services[0].port = 70000;
    buf_reset(&b);
    catalog_node_set_encode(&set, &b);
    expect_decode_error(&b, ERR_MALFORMED, "Port");
    catalog_node_set_release(&set);
    buf_release(&b);
}
END_TEST

/* ------------------------------------------------------------------ templates
 */

static const char *task_env(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "NOMAD_ALLOC_ID") == 0 ? "alloc-7" : NULL;
}

static char *render(struct catalog_tmpl *ct, const char *text, struct err *err)
{
    struct tmpl_source src;
    struct tmpl *t = NULL;
    struct buf out = BUF_INIT;
    int rc;

    catalog_tmpl_source(ct, &src);
    rc = tmpl_parse(text, strlen(text), NULL, &t, err);
    if (rc == 0)
        rc = tmpl_render(t, &src, NULL, &out, NULL, err);
    tmpl_free(t);
    if (rc != 0) {
        buf_release(&out);
        return NULL;
    }
    return out.data ? buf_detach(&out) : xstrdup("");
}

START_TEST(template_renders_from_the_catalogue)
{
    struct catalog *c = catalog_new(TTL_MS);
    struct catalog_tmpl_opts opts = {.catalog = c, .env = task_env};
    struct catalog_tmpl *ct = catalog_tmpl_new(&opts);
    static const struct svc_spec redis[] = {
        {"r1", "redis-svc", NULL, "10.0.0.9", 6379, "cache", 0},
        {"r2", "redis-svc", NULL, "10.0.0.8", 6380, NULL,
         CATALOG_HEALTH_CRITICAL},
    };
    static const struct svc_spec moved[] = {
        {"r1", "redis-svc", NULL, "10.0.0.9", 7777, "cache", 0},
    };
    const char *text =
        "{{ range nomadService \"redis-svc|passing\" }}"
        "REDIS_HOST={{ .Address }}\nREDIS_PORT={{ .Port }}\n"
        "{{ end }}";
    struct err err = ERR_INIT;
    char *out;

    out = render(ct, text, &err);
    ck_assert_str_eq(out, ""); /* nothing registered yet */
    free(out);
    apply(c, "n1", 1, redis, 2, 0);
    out = render(ct, text, &err);
    ck_assert_str_eq(out, "REDIS_HOST=10.0.0.9\nREDIS_PORT=6379\n");
    free(out);
    apply(c, "n1", 2, moved, 1, 0);
    out = render(ct, text, &err);
    ck_assert_str_eq(out, "REDIS_HOST=10.0.0.9\nREDIS_PORT=7777\n");
    free(out);
    out = render(ct,
                 "{{ range nomadService \"cache.redis-svc\" }}{{ .ID }} "
                 "{{ .Tags }}{{ end }}|{{ range nomadServices }}"
                 "{{ .Name }}={{ .Tags }}{{ end }}|"
                 "{{ len (nomadService 1 (env \"NOMAD_ALLOC_ID\") "
                 "\"redis-svc\") }}",
                 &err);
    ck_assert_str_eq(out, "r1 [cache]|redis-svc=[cache]|1");
    free(out);
    ck_assert_ptr_null(render(ct, "{{ nomadService \"redis-svc@eu\" }}", &err));
    ck_assert_ptr_nonnull(strstr(err.msg, "region \"eu\" is not reachable"));
    catalog_tmpl_free(ct);
    catalog_free(c);
}
END_TEST

/* An unchanged answer is the same cached value (no rebuild). */
static int capture(void *ctx,
                   const struct tmpl_service_query *q,
                   struct tv **out,
                   struct err *err)
{
    struct tmpl_source *inner = ctx;

    return inner->service(inner->ctx, q, out, err);
}

START_TEST(adapter_reuses_unchanged_answers)
{
    struct catalog *c = catalog_new(TTL_MS);
    struct catalog_tmpl_opts opts = {.catalog = c};
    struct catalog_tmpl *ct = catalog_tmpl_new(&opts);
    struct tmpl_source src, outer;
    struct tmpl_service_query q = {.name = "redis"};
    struct err err = ERR_INIT;
    struct tv *a, *b, *d;

    catalog_tmpl_source(ct, &src);
    outer = src;
    outer.ctx = &src;
    outer.service = capture;
    apply(c, "n1", 1, v1, 1, 0);
    ck_assert_int_eq(outer.service(outer.ctx, &q, &a, &err), 0);
    apply(c, "n2", 1, v2 + 1, 1, 0); /* web only: redis unchanged */
    ck_assert_int_eq(outer.service(outer.ctx, &q, &b, &err), 0);
    ck_assert_ptr_eq(a, b);
    apply(c, "n1", 2, v2, 1, 0); /* redis moves */
    ck_assert_int_eq(outer.service(outer.ctx, &q, &d, &err), 0);
    ck_assert_ptr_ne(a, d);
    ck_assert_int_eq(d->u.list.items[0]->u.map.vals[4]->u.i, 7000);
    tv_unref(a);
    tv_unref(b);
    tv_unref(d);
    catalog_tmpl_free(ct);
    catalog_free(c);
}
END_TEST

START_TEST(watchers_rerender_only_when_their_answers_move)
{
    struct catalog *c = catalog_new(TTL_MS);
    struct catalog_tmpl_opts opts = {.catalog = c, .env = task_env};
    struct catalog_tmpl *ct = catalog_tmpl_new(&opts);
    const char *text =
        "{{ env \"NOMAD_ALLOC_ID\" }}"
        "{{ range nomadService \"redis\" }}{{ .Port }}"
        "{{ end }}";
    static const struct svc_spec web_only[] = {
        {"w9", "web", NULL, NULL, 9, NULL, 0},
    };
    struct tmpl_source src;
    struct tmpl_deps deps;
    struct tmpl *t = NULL;
    struct err err = ERR_INIT;
    struct buf out = BUF_INIT;
    uint64_t seen;

    catalog_tmpl_source(ct, &src);
    tmpl_deps_init(&deps);
    ck_assert_int_eq(tmpl_parse(text, strlen(text), NULL, &t, &err), 0);
    ck_assert_int_eq(tmpl_render(t, &src, NULL, &out, &deps, &err), 0);
    seen = catalog_tmpl_deps_index(ct, &deps);
    ck_assert_uint_eq(seen, 0); /* redis not registered yet */
    apply(c, "n2", 1, web_only, 1, 0);
    ck_assert_uint_eq(catalog_tmpl_deps_index(ct, &deps), seen);
    apply(c, "n1", 1, v1, 1, 0);
    ck_assert_uint_gt(catalog_tmpl_deps_index(ct, &deps), seen);
    seen = catalog_tmpl_deps_index(ct, &deps);
    apply(c, "n2", 2, v2 + 1, 1, 0); /* web changes again */
    ck_assert_uint_eq(catalog_tmpl_deps_index(ct, &deps), seen);
    tmpl_deps_release(&deps);
    tmpl_free(t);
    buf_release(&out);
    catalog_tmpl_free(ct);
    catalog_free(c);
}
END_TEST

/* ------------------------------------------------------------------ watch */

struct woken
{
    int runs;
    struct watch *other; /* freed by the callback when set */
    struct watch *self;
    bool free_self;
};

static void on_wake(struct watch *w, void *arg)
{
    struct woken *k = arg;

    (void)w;
    k->runs++;
    if (k->other != NULL) {
        watch_free(k->other);
        k->other = NULL;
    }
    if (k->free_self) {
        watch_free(k->self);
        k->self = NULL;
    }
}

START_TEST(watch_wakes_only_the_answers_that_moved)
{
    struct catalog *c = catalog_new(TTL_MS);
    struct watch_hub *h = watch_hub_new(c);
    struct woken kr = {0}, kw = {0}, kns = {0}, kall = {0}, kother = {0};
    struct watch *wr = watch_new(h, on_wake, &kr);
    struct watch *ww = watch_new(h, on_wake, &kw);
    struct watch *wns = watch_new(h, on_wake, &kns);
    struct watch *wall = watch_new(h, on_wake, &kall);
    struct watch *wother = watch_new(h, on_wake, &kother);
    static const struct svc_spec redis[] = {
        {"r1", "redis", NULL, NULL, 6379, NULL, 0},
    };
    static const struct svc_spec redis_moved[] = {
        {"r1", "redis", NULL, NULL, 6380, NULL, 0},
    };
    static const struct svc_spec web[] = {
        {"w1", "web", NULL, NULL, 80, NULL, 0},
    };

    watch_add(wr, "default", "redis");
    watch_add(wr, "default", "redis"); /* twice: still woken once */
    watch_add(ww, "default", "web");
    watch_add(wns, "default", NULL);
    watch_add(wall, NULL, NULL);
    watch_add(wother, "prod", NULL);

    apply(c, "n1", 1, redis, 1, 0);
    ck_assert_uint_eq(watch_hub_pending(h), 3); /* redis, ns, all */
    ck_assert_uint_eq(watch_hub_run(h), 3);
    ck_assert_int_eq(kr.runs, 1);
    ck_assert_int_eq(kw.runs, 0);
    ck_assert_int_eq(kns.runs, 1);
    ck_assert_int_eq(kall.runs, 1);
    ck_assert_int_eq(kother.runs, 0);

    /* The same set at a newer version moves nothing: nobody wakes. */
    apply(c, "n1", 2, redis, 1, 0);
    ck_assert_uint_eq(watch_hub_run(h), 0);

    apply(c, "n2", 1, web, 1, 0);
    ck_assert_uint_eq(watch_hub_run(h), 3);
    ck_assert_int_eq(kr.runs, 1);
    ck_assert_int_eq(kw.runs, 1);

    /* A port move wakes redis's watcher; after clear it no longer does. */
    apply(c, "n1", 3, redis_moved, 1, 0);
    ck_assert_uint_eq(watch_hub_run(h), 3);
    ck_assert_int_eq(kr.runs, 2);
    watch_clear(wr);
    apply(c, "n1", 4, redis, 1, 0);
    watch_hub_run(h);
    ck_assert_int_eq(kr.runs, 2);
    ck_assert_int_eq(kns.runs, 4);

    /* A tombstone removes redis: the namespace watchers see it. */
    tombstone(c, "n1", 5, 0);
    ck_assert_uint_eq(watch_hub_run(h), 2);
    ck_assert_int_eq(kother.runs, 0);

    watch_free(wr);
    watch_free(ww);
    watch_free(wns);
    watch_free(wall);
    watch_free(wother);
    watch_hub_free(h);
    catalog_free(c);
}
END_TEST

START_TEST(watch_callbacks_may_free_watchers)
{
    struct catalog *c = catalog_new(TTL_MS);
    struct watch_hub *h = watch_hub_new(c);
    struct woken ka = {0}, kb = {0}, kc = {0};
    struct watch *wa = watch_new(h, on_wake, &ka);
    struct watch *wb = watch_new(h, on_wake, &kb);
    struct watch *wc = watch_new(h, on_wake, &kc);
    static const struct svc_spec redis[] = {
        {"r1", "redis", NULL, NULL, 6379, NULL, 0},
    };

    watch_add(wa, "default", "redis");
    watch_add(wb, "default", "redis");
    watch_add(wc, "default", "redis");
    ka.other = wb; /* a runs first and frees b, which was woken too */
    kc.self = wc;
    kc.free_self = true;
    apply(c, "n1", 1, redis, 1, 0);
    ck_assert_uint_eq(watch_hub_pending(h), 3);
    ck_assert_uint_eq(watch_hub_run(h), 2);
    ck_assert_int_eq(ka.runs, 1);
    ck_assert_int_eq(kb.runs, 0);
    ck_assert_int_eq(kc.runs, 1);
    ck_assert_uint_eq(watch_hub_pending(h), 0);
    /* The hub may go first: wa stays ours, and never wakes again. */
    watch_hub_free(h);
    /* The catalogue no longer calls the freed hub. */
    apply(c, "n1", 2, NULL, 0, 0);
    ck_assert_int_eq(ka.runs, 1);
    watch_clear(wa);
    watch_free(wa);
    catalog_free(c);
}
END_TEST

START_TEST(codec_carries_a_never_checked_service)
{
    static const struct svc_spec one[] = {
        {"a1", "web", NULL, NULL, 80, NULL, 0},
    };
    struct catalog_node_set set = make_set("n1", 7, one, 1), back;
    struct buf b = BUF_INIT;
    struct err err = ERR_INIT;

    free(set.services[0].health_output);
    set.services[0].health_output = NULL; /* as a service with no checks */
    catalog_node_set_encode(&set, &b);
    ck_assert_int_eq(catalog_node_set_decode(b.data, b.len, &back, &err), 0);
    ck_assert_uint_eq(back.n_services, 1);
    ck_assert_str_eq(back.services[0].health_output, "");
    catalog_node_set_release(&back);
    catalog_node_set_release(&set);
    buf_release(&b);
}
END_TEST

START_TEST(forget_lets_the_same_version_back)
{
    struct catalog *c = catalog_new(TTL_MS);
    static const struct svc_spec one[] = {
        {"a1", "web", NULL, NULL, 80, NULL, 0},
    };
    const struct catalog_service **list;
    uint64_t idx, before;

    apply(c, "n1", 5, one, 1, 0);
    before = catalog_name_index(c, "default", "web");
    catalog_forget(c, "n1", 0);
    ck_assert_uint_eq(catalog_lookup(c, "default", "web", NULL, &list, &idx), 0);
    free(list);
    ck_assert_uint_gt(idx, before);
    ck_assert(!catalog_node_version(c, "n1", &idx));
    /* The mesh hands the node's set again at the version it had. */
    ck_assert_int_eq(apply(c, "n1", 5, one, 1, 0), CATALOG_MERGE_APPLY);
    ck_assert_uint_eq(catalog_lookup(c, "default", "web", NULL, &list, &idx), 1);
    free(list);
    catalog_forget(c, "nobody", 0); /* unknown: nothing happens */
    catalog_free(c);
}
END_TEST

static Suite *catalog_suite(void)
{
    Suite *s = suite_create("catalog");
    TCase *tc = test_tcase("catalog");

    tcase_add_test(tc, merge_rule_table);
    tcase_add_test(tc, newer_replaces_older_and_reordering_is_ignored);
    tcase_add_test(tc, tombstones_block_late_sets_until_they_expire);
    tcase_add_test(tc, modify_indexes_move_only_with_real_changes);
    tcase_add_test(tc, random_delivery_order_converges);
    tcase_add_test(tc, lookups_filter_by_tag_datacenter_and_health);
    tcase_add_test(tc, choose_is_a_stable_rendezvous_subset);
    tcase_add_test(tc, codec_round_trip);
    tcase_add_test(tc, forget_lets_the_same_version_back);
    tcase_add_test(tc, codec_carries_a_never_checked_service);
    tcase_add_test(tc, codec_rejects_bad_sets);
    tcase_add_test(tc, template_renders_from_the_catalogue);
    tcase_add_test(tc, adapter_reuses_unchanged_answers);
    tcase_add_test(tc, watchers_rerender_only_when_their_answers_move);
    tcase_add_test(tc, watch_wakes_only_the_answers_that_moved);
    tcase_add_test(tc, watch_callbacks_may_free_watchers);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(catalog_suite)
