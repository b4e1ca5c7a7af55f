/* Tests of the base containers: list, heap, map, PRNG and UUIDs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/heap.h"
#include "lib/id.h"
#include "lib/list.h"
#include "lib/map.h"
#include "lib/rand.h"
#include "tests/harness/test.h"

struct item
{
    int v;
    size_t idx;
    struct list_node node;
};

START_TEST(list_order_and_safe_delete)
{
    struct list_node head = LIST_INIT(head);
    struct item items[10], *pos, *tmp;
    int expect = 0;

    ck_assert(list_empty(&head));
    for (int i = 0; i < 10; i++) {
        items[i].v = i;
        list_add_tail(&head, &items[i].node);
    }
    ck_assert_uint_eq(list_length(&head), 10);
    list_for_each_entry(pos, &head, struct item, node)
    {
        ck_assert_int_eq(pos->v, expect++);
    }
    list_for_each_entry_safe(pos, tmp, &head, struct item, node)
    {
        if (pos->v % 2)
            list_del(&pos->node);
    }
    ck_assert_uint_eq(list_length(&head), 5);
    expect = 0;
    list_for_each_entry(pos, &head, struct item, node)
    {
        ck_assert_int_eq(pos->v, expect);
        expect += 2;
    }
    list_del(&items[1].node); /* already unlinked: harmless */
    list_add_head(&head, &items[1].node);
    ck_assert_int_eq(list_entry(head.next, struct item, node)->v, 1);
}
END_TEST

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;

    return (x->v > y->v) - (x->v < y->v);
}

static void moved(void *e, size_t i)
{
    ((struct item *)e)->idx = i;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

START_TEST(heap_sorts_like_qsort)
{
    enum { N = 10000 };
    struct rng r;
    struct heap h;
    struct item *items = xcalloc(N, sizeof(*items));
    int *sorted = xcalloc(N, sizeof(*sorted));

    rng_seed(&r, test_seed());
    heap_init(&h, cmp_item, moved);
    for (int i = 0; i < N; i++) {
        items[i].v = sorted[i] = (int)rng_below(&r, 1000);
        heap_push(&h, &items[i]);
    }
    qsort(sorted, N, sizeof(*sorted), cmp_int);
    for (int i = 0; i < N; i++) {
        struct item *it = heap_pop(&h);

        ck_assert_int_eq(it->v, sorted[i]);
        ck_assert_uint_eq(it->idx, HEAP_NONE);
    }
    ck_assert_ptr_null(heap_pop(&h));
    heap_release(&h);
    free(items);
    free(sorted);
}
END_TEST

START_TEST(heap_remove_by_index_keeps_order)
{
    enum { N = 2000 };
    struct rng r;
    struct heap h;
    struct item *items = xcalloc(N, sizeof(*items));
    int last = -1;
    size_t left = 0;

    rng_seed(&r, test_seed());
    heap_init(&h, cmp_item, moved);
    for (int i = 0; i < N; i++) {
        items[i].v = (int)rng_below(&r, 100000);
        heap_push(&h, &items[i]);
    }
    for (int i = 0; i < N; i += 3) /* cancel a third, from anywhere */
        ck_assert_ptr_eq(heap_remove(&h, items[i].idx), &items[i]);
    for (int i = 0; i < N; i++)
        left += i % 3 != 0;
    ck_assert_uint_eq(heap_size(&h), left);
    while (heap_size(&h) > 0) {
        struct item *it = heap_pop(&h);

        ck_assert_int_ge(it->v, last);
        last = it->v;
    }
    heap_release(&h);
    free(items);
}
END_TEST

START_TEST(map_put_get_del_overwrite)
{
    struct map m;
    int a = 1, b = 2;

    map_init(&m);
    ck_assert_ptr_null(map_get(&m, "x"));
    ck_assert_ptr_null(map_del(&m, "x"));
    ck_assert_ptr_null(map_put(&m, "x", &a));
    ck_assert_ptr_eq(map_put(&m, "x", &b), &a);
    ck_assert_ptr_eq(map_get(&m, "x"), &b);
    ck_assert(map_has(&m, "x"));
    ck_assert_uint_eq(map_size(&m), 1);
    ck_assert_ptr_eq(map_del(&m, "x"), &b);
    ck_assert(!map_has(&m, "x"));
    ck_assert_uint_eq(map_size(&m), 0);
    map_release(&m, NULL);
}
END_TEST

START_TEST(map_grows_and_iterates_each_key_once)
{
    enum { N = 100000 };
    struct map m;
    struct map_iter it;
    const char *key;
    void *value;
    char *seen = xcalloc(N, 1);
    size_t count = 0;

    map_init(&m);
    for (long i = 0; i < N; i++) {
        char k[32];

        snprintf(k, sizeof(k), "job-%ld", i);
        map_put(&m, k, (void *)(i + 1));
    }
    ck_assert_uint_eq(map_size(&m), N);
    map_iter_init(&it, &m);
    while (map_next(&it, &key, &value)) {
        long i = (long)value - 1;
        char k[32];

        snprintf(k, sizeof(k), "job-%ld", i);
        ck_assert_str_eq(key, k);
        ck_assert_int_eq(seen[i], 0);
        seen[i] = 1;
        count++;
    }
    ck_assert_uint_eq(count, N);
    map_release(&m, NULL);
    free(seen);
}
END_TEST

START_TEST(map_survives_churn)
{
    struct map m;
    struct rng r;
    char present[512] = {0};
    size_t n = 0;

    rng_seed(&r, test_seed());
    map_init(&m);
    for (int step = 0; step < 50000; step++) {
        int k = (int)rng_below(&r, 512);
        char key[16];

        snprintf(key, sizeof(key), "k%d", k);
        if (rng_below(&r, 2)) {
            if (!present[k])
                n++;
            present[k] = 1;
            free(map_put(&m, key, xstrdup(key)));
        } else if (present[k]) {
            free(map_del(&m, key));
            present[k] = 0;
            n--;
        } else {
            ck_assert_ptr_null(map_del(&m, key));
        }
        ck_assert_uint_eq(map_size(&m), n);
    }
    for (int k = 0; k < 512; k++) {
        char key[16];

        snprintf(key, sizeof(key), "k%d", k);
        ck_assert_int_eq(map_has(&m, key), present[k]);
        if (present[k])
            ck_assert_str_eq(map_get(&m, key), key);
    }
    map_release(&m, free);
}
END_TEST

START_TEST(rng_is_deterministic_per_seed)
{
    struct rng a, b, c;
    int same = 0;

    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a);

        ck_assert_uint_eq(x, rng_u64(&b));
        same += x == rng_u64(&c);
    }
    ck_assert_int_eq(same, 0);
}
END_TEST

START_TEST(rng_below_is_bounded_and_uniform)
{
    enum { K = 10, N = 100000 };
    struct rng r;
    long counts[K] = {0};
    double chi = 0;

    rng_seed(&r, test_seed());
    for (int i = 0; i < N; i++) {
        uint64_t x = rng_below(&r, K);

        ck_assert_uint_lt(x, K);
        counts[x]++;
    }
    for (int k = 0; k < K; k++) {
        double d = (double)counts[k] - N / K;

        chi += d * d / (N / K);
    }
    /* 9 degrees of freedom: p(chi > 40) is about 1e-5. */
    ck_assert_msg(chi < 40, "chi-square %f", chi);
    for (int i = 0; i < 1000; i++) {
        double d = rng_double(&r);

        ck_assert(d >= 0 && d < 1);
    }
}
END_TEST

START_TEST(rng_shuffle_is_a_permutation)
{
    struct rng r;
    int v[100], seen[100] = {0}, moved_count = 0;

    rng_seed(&r, test_seed());
    for (int i = 0; i < 100; i++)
        v[i] = i;
    rng_shuffle(&r, v, 100, sizeof(v[0]));
    for (int i = 0; i < 100; i++) {
        seen[v[i]]++;
        moved_count += v[i] != i;
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);
    ck_assert_int_gt(moved_count, 50);
}
END_TEST

START_TEST(uuid_form_and_uniqueness)
{
    enum { N = 10000 };
    struct map m;
    char id[ID_UUID_LEN + 1], s[ID_SHORT_LEN + 1];

    map_init(&m);
    for (int i = 0; i < N; i++) {
        id_uuid(id);
        ck_assert(id_is_uuid(id));
        ck_assert_int_eq(id[14], '4');
        ck_assert(strchr("89ab", id[19]) != NULL);
        ck_assert_ptr_null(map_put(&m, id, id));
    }
    ck_assert_uint_eq(map_size(&m), N);
    map_release(&m, NULL);
    id_short("0123abcd-0000-4000-8000-000000000000", s);
    ck_assert_str_eq(s, "0123abcd");
    id_short("abc", s);
    ck_assert_str_eq(s, "abc");
}
END_TEST

START_TEST(uuid_rejects_bad_forms)
{
    ck_assert(!id_is_uuid(NULL));
    ck_assert(!id_is_uuid(""));
    ck_assert(!id_is_uuid("0123abcd-0000-4000-8000-00000000000"));
    ck_assert(!id_is_uuid("0123abcd-0000-4000-8000-0000000000000"));
    ck_assert(!id_is_uuid("0123abcd00000-4000-8000-000000000000"));
    ck_assert(!id_is_uuid("0123abcg-0000-4000-8000-000000000000"));
    ck_assert(id_is_uuid("0123ABCD-0000-4000-8000-000000000000"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("containers");
    TCase *tc = test_tcase("containers");

    tcase_add_test(tc, list_order_and_safe_delete);
    tcase_add_test(tc, heap_sorts_like_qsort);
    tcase_add_test(tc, heap_remove_by_index_keeps_order);
    tcase_add_test(tc, map_put_get_del_overwrite);
    tcase_add_test(tc, map_grows_and_iterates_each_key_once);
    tcase_add_test(tc, map_survives_churn);
    tcase_add_test(tc, rng_is_deterministic_per_seed);
    tcase_add_test(tc, rng_below_is_bounded_and_uniform);
    tcase_add_test(tc, rng_shuffle_is_a_permutation);
    tcase_add_test(tc, uuid_form_and_uniqueness);
    tcase_add_test(tc, uuid_rejects_bad_forms);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
