/*
 * The catalogue's read model at scale: 100,000 registrations from 1,000
 * nodes (100 each) over 2,000 service names, then lookups by name (50
 * instances per answer). Prints the indexing rate and the lookup p50.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discovery/catalog.h"
#include "lib/alloc.h"

#define NODES 1000
#define PER_NODE 100
#define NAMES 2000
#define LOOKUPS 200000

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(void)
{
    struct catalog *c = catalog_new(60000);
    char *tags[] = {"v1", "http"};
    double t0, dt, *lat = xmalloc(LOOKUPS * sizeof(double));
    size_t total = 0;
    unsigned seed = 1;

    t0 = now_s();
    for (int n = 0; n < NODES; n++) {
        struct catalog_service s[PER_NODE];
        char ids[PER_NODE][64], names[PER_NODE][32], node[32], addr[32];
        struct catalog_node_set set = {.node_id = node,
                                       .version = 1,
                                       .services = s,
                                       .n_services = PER_NODE};

        snprintf(node, sizeof(node), "node-%04d", n);
        snprintf(addr, sizeof(addr), "10.0.%d.%d", n >> 8, n & 255);
        for (int i = 0; i < PER_NODE; i++) {
            snprintf(ids[i], sizeof(ids[i]), "_nomad-task-%04d-%03d-http", n,
                     i);
            snprintf(names[i], sizeof(names[i]), "svc-%d",
                     (n * PER_NODE + i) % NAMES);
            s[i] = (struct catalog_service){.id = ids[i],
                                            .service_name = names[i],
                                            .namespace_ = "default",
                                            .node_id = node,
                                            .datacenter = "dc1",
                                            .job_id = "job",
                                            .alloc_id = ids[i],
                                            .tags = tags,
                                            .n_tags = 2,
                                            .address = addr,
                                            .port = 20000 + i,
                                            .health = CATALOG_HEALTH_PASSING,
                                            .health_output = ""};
        }
        catalog_apply(c, &set, 0);
    }
    dt = now_s() - t0;
    printf("catalog: %d registrations indexed in %.2f s (%.0f/s)\n",
           NODES * PER_NODE, dt, NODES * PER_NODE / dt);
    for (int i = 0; i < LOOKUPS; i++) {
        const struct catalog_service **list;
        char name[32];
        uint64_t idx;
        double a;

        seed = seed * 1103515245u + 12345u;
        snprintf(name, sizeof(name), "svc-%u", (seed >> 8) % NAMES);
        a = now_s();
        total += catalog_lookup(c, "default", name, NULL, &list, &idx);
        free(list);
        lat[i] = now_s() - a;
    }
    qsort(lat, LOOKUPS, sizeof(double), cmp_double);
    printf(
        "catalog lookup by name (%zu instances each): p50 %.2f us, p99 "
        "%.2f us (target p50 < 5 us)\n",
        total / LOOKUPS, lat[LOOKUPS / 2] * 1e6, lat[LOOKUPS * 99 / 100] * 1e6);
    free(lat);
    catalog_free(c);
    return 0;
}
