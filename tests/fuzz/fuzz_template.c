/*
 * libFuzzer: any bytes as a template (users write them), parsed and
 * rendered against fixed data and a fake service source. Errors are
 * fine; crashes, leaks, hangs and unbounded output are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery/template/template.h"
#include "lib/buf.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_env(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "HOME") == 0 ? "/root" : NULL;
}

static int fuzz_service(void *ctx,
                        const struct tmpl_service_query *q,
                        struct tv **out,
                        struct err *err)
{
    static const char *const tags[] = {"v1", "db"};

    (void)ctx;
    if (q->region != NULL && strcmp(q->region, "global") != 0)
        return err_set(err, ERR_NOT_FOUND, "no region %s", q->region);
    *out = tv_list_new(3);
    for (int i = 0; i < 3; i++) {
        struct tmpl_service s = {.id = "id",
                                 .name = q->name,
                                 .node = "n",
                                 .address = "10.0.0.1",
                                 .port = 8000 + i,
                                 .datacenter = "dc1",
                                 .tags = tags,
                                 .n_tags = 2,
                                 .job_id = "j",
                                 .alloc_id = "a",
                                 .namespace_ = "default"};

        tv_list_push(*out, tmpl_service_record(&s));
    }
    return 0;
}

static int fuzz_services(void *ctx,
                         const char *region,
                         struct tv **out,
                         struct err *err)
{
    static const char *const tags[] = {"b", "a"};

    (void)ctx;
    (void)region;
    (void)err;
    *out = tv_list_new(1);
    tv_list_push(*out, tmpl_service_name_record("web", tags, 2));
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct tmpl_source src = {
        .env = fuzz_env, .service = fuzz_service, .services = fuzz_services};
    bool alt = size >= 2 && data[0] == '[' && data[1] == '[';
    struct tmpl_opts opts = {
        .name = "fuzz",
        .left_delimiter = alt ? "[[" : NULL,
        .right_delimiter = alt ? "]]" : NULL,
        .error_on_missing_key = size > 0 && (data[size - 1] & 1),
        .max_output_bytes = 1 << 20,
    };
    json_t *j = json_pack("{s:s, s:i, s:[s,s], s:{s:f}, s:n}", "Name", "web",
                          "Port", 80, "List", "a", "b", "Map", "x", 1.5, "Nil");
    struct tv *dot = tv_from_json(j);
    struct tmpl *t = NULL;
    struct err err = ERR_INIT;
    struct buf out = BUF_INIT;
    struct tmpl_deps deps;

    json_decref(j);
    tmpl_deps_init(&deps);
    if (tmpl_parse((const char *)data, size, &opts, &t, &err) == 0) {
        if (tmpl_render(t, &src, dot, &out, &deps, &err) == 0 &&
            out.len > opts.max_output_bytes + 65536)
            abort(); /* the bound did not hold */
        tmpl_free(t);
    } else if (err.msg[0] == '\0') {
        abort(); /* every failure says why */
    }
    tmpl_deps_release(&deps);
    buf_release(&out);
    tv_unref(dot);
    return 0;
}
