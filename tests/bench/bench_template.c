/*
 * Renders a template ranging over 10,000 service instances (address and
 * port each), as a load balancer's config would, against a source that
 * hands out one cached list (as the catalogue adapter does between
 * changes). Timed in CPU time of this thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discovery/template/template.h"
#include "lib/buf.h"
#include "lib/err.h"

#define INSTANCES 10000

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cached_service(void *ctx,
                          const struct tmpl_service_query *q,
                          struct tv **out,
                          struct err *err)
{
    (void)q;
    (void)err;
    *out = tv_ref(ctx);
    return 0;
}

int main(void)
{
    static const char *const tags[] = {"v1", "http"};
    const char *text =
        "upstream web {\n"
        "{{- range nomadService \"web\" }}\n"
        "  server {{ .Address }}:{{ .Port }};\n"
        "{{- end }}\n}\n";
    struct tv *list = tv_list_new(INSTANCES);
    struct tmpl_source src = {.ctx = list, .service = cached_service};
    struct err err = ERR_INIT;
    struct buf out = BUF_INIT;
    struct tmpl *t = NULL;
    double t0, dt;
    int n = 0;

    for (int i = 0; i < INSTANCES; i++) {
        char id[64], addr[32];
        struct tmpl_service s = {.id = id,
                                 .name = "web",
                                 .node = "node",
                                 .address = addr,
                                 .port = 20000 + i % 10000,
                                 .datacenter = "dc1",
                                 .tags = tags,
                                 .n_tags = 2,
                                 .job_id = "web",
                                 .alloc_id = id,
                                 .namespace_ = "default"};

        snprintf(id, sizeof(id), "_nomad-task-%08d-web-web-http", i);
        snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
                 i & 255);
        tv_list_push(list, tmpl_service_record(&s));
    }
    if (tmpl_parse(text, strlen(text), NULL, &t, &err) != 0) {
        fprintf(stderr, "bench_template: %s\n", err.msg);
        return 1;
    }
    t0 = now_s();
    do {
        buf_reset(&out);
        if (tmpl_render(t, &src, NULL, &out, NULL, &err) != 0) {
            fprintf(stderr, "bench_template: %s\n", err.msg);
            return 1;
        }
        n++;
        dt = now_s() - t0;
    } while (dt < 2.0);
    printf(
        "template over %d instances (%zu bytes out): %.0f renders/s "
        "(target >= 1000 renders/s)\n",
        INSTANCES, out.len, n / dt);
    tmpl_free(t);
    tv_unref(list);
    buf_release(&out);
    return 0;
}
