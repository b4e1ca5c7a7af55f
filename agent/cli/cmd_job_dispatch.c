/*
 * `caravan job dispatch`, as Nomad's job_dispatch.go: a child of a
 * parameterized job with -meta and an optional payload (a file, or - for
 * stdin), then the child's evaluation monitor.
 */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/api.h"
#include "agent/cli/cli.h"
#include "agent/cli/cmd_status.h"
#include "agent/cli/flags.h"
#include "agent/cli/format.h"
#include "agent/cli/monitor.h"
#include "agent/cli/query.h"
#include "agent/cli/table.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

/* Past the server's 16 KiB limit, which it reports itself. */
#define MAX_READ (1024 * 1024)

const char cli_help_job_dispatch[] =
    "Usage: caravan job dispatch [options] <parameterized job> [input source]\n"
    "\n"
    "  Dispatch creates an instance of a parameterized job. A data payload "
    "to the\n"
    "  dispatched instance can be provided via stdin by using \"-\" or by "
    "specifying a\n"
    "  path to a file. Metadata can be supplied by using the meta flag one "
    "or more\n"
    "  times.\n"
    "\n" CLI_GENERAL_OPTIONS
    "\n"
    "Dispatch Options:\n"
    "\n"
    "  -meta <key>=<value>\n"
    "    Meta takes a key/value pair separated by \"=\". The metadata key "
    "will be\n"
    "    merged into the job's metadata. The job may define a default value "
    "for the\n"
    "    key which is overridden when dispatching. The flag can be provided "
    "more than\n"
    "    once to inject multiple metadata key/value pairs. Arbitrary keys "
    "are not\n"
    "    allowed. The parameterized job must allow the key to be merged.\n"
    "\n"
    "  -detach\n"
    "    Return immediately instead of entering monitor mode. After job "
    "dispatch,\n"
    "    the evaluation ID will be printed to the screen, which can be used "
    "to\n"
    "    examine the evaluation using the eval status command.\n"
    "\n"
    "  -idempotency-token\n"
    "    Optional identifier used to prevent more than one instance of the "
    "job from\n"
    "    being dispatched.\n"
    "\n"
    "  -id-prefix-template\n"
    "    Optional prefix template for dispatched job IDs.\n"
    "\n"
    "  -verbose\n"
    "    Display full information.\n";

static int read_payload(const char *src, struct buf *out, struct err *err)
{
    FILE *f = strcmp(src, "-") == 0 ? stdin : fopen(src, "rb");
    char chunk[4096];
    size_t n;

    if (f == NULL)
        return err_set(err, ERR_IO, "Error reading input data: %s",
                       strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        buf_append(out, chunk, n);
        if (out->len > MAX_READ)
            break;
    }
    if (f != stdin)
        fclose(f);
    return 0;
}

int cli_cmd_job_dispatch(const struct cli_command *cmd, int argc, char **argv)
{
    struct cli_api_opts ao = {0};
    bool detach = false, verbose = false;
    const char *token = NULL, *tpl = NULL;
    struct flag_list metas = {NULL, 0};
    struct flag flags[] = {
        CLI_API_FLAGS(ao),
        {"meta", FLAG_STRLIST, &metas, "meta key=value"},
        {"detach", FLAG_BOOL, &detach, "do not monitor"},
        {"verbose", FLAG_BOOL, &verbose, "full ids"},
        {"idempotency-token", FLAG_STRING, &token, "idempotency token"},
        {"id-prefix-template", FLAG_STRING, &tpl, "id prefix template"},
    };
    struct api_client c;
    struct api_response resp;
    struct err err = ERR_INIT;
    struct buf path = BUF_INIT, payload = BUF_INIT;
    json_t *body = NULL, *meta, *reply = NULL;
    char *id = NULL, *ns = NULL, *esc = NULL, *prefix = NULL, *text = NULL;
    char short_id[9];
    int first, status, nargs;

    status = cli_flags(cmd, flags, sizeof(flags) / sizeof(flags[0]), argc, argv,
                       &first);
    if (status >= 0) {
        flag_list_release(&metas);
        return status;
    }
    nargs = argc - first;
    if (nargs < 1 || nargs > 2) {
        flag_list_release(&metas);
        return cli_arg_error(cmd, "This command takes one or two argument: "
                                  "<parameterized job> [input source]");
    }
    meta = json_object();
    for (size_t i = 0; i < metas.n; i++) {
        const char *eq = strchr(metas.items[i], '=');
        char *k;

        if (eq == NULL) {
            fprintf(stderr, "Error parsing meta value: %s\n", metas.items[i]);
            json_decref(meta);
            flag_list_release(&metas);
            return 1;
        }
        k = xstrndup(metas.items[i], (size_t)(eq - metas.items[i]));
        json_object_set_new(meta, k, json_string(eq + 1));
        free(k);
    }
    flag_list_release(&metas);
    if (nargs == 2 && read_payload(argv[first + 1], &payload, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        json_decref(meta);
        return 1;
    }
    cli_api_client(&c, &ao);
    status = 1;
    prefix = cli_trim_dup(argv[first]);
    if (cli_job_by_prefix_kind(&c, prefix, "ParameterizedJob",
                               "parameterized", &id, &ns) != 0) {
        json_decref(meta);
        goto out;
    }
    if (ns[0] != '\0') {
        free(c.namespace);
        c.namespace = xstrdup(ns);
    }
    body = json_object();
    json_object_set_new(body, "JobID", json_string(id));
    json_object_set_new(body, "Meta", meta);
    if (payload.len > 0) {
        size_t n = sodium_base64_ENCODED_LEN(payload.len,
                                             sodium_base64_VARIANT_ORIGINAL);
        char *b64 = xmalloc(n);

        sodium_bin2base64(b64, n, (const unsigned char *)payload.data,
                          payload.len, sodium_base64_VARIANT_ORIGINAL);
        json_object_set_new(body, "Payload", json_string(b64));
        free(b64);
    }
    if (tpl != NULL)
        json_object_set_new(body, "IdPrefixTemplate", json_string(tpl));
    esc = cli_escape(id);
    buf_printf(&path, "/v1/job/%s/dispatch", esc);
    if (token != NULL) {
        char *t = cli_escape(token);

        buf_printf(&path, "?idempotency_token=%s", t);
        free(t);
    }
    text = json_dumps(body, JSON_COMPACT);
    api_response_init(&resp);
    if (api_request(&c, "POST", buf_str(&path), text, strlen(text), &resp,
                    &err) == 0 &&
        resp.status / 100 != 2)
        api_status_error(&resp, &err);
    if (err.code == 0)
        reply = json_loadb(buf_str(&resp.body), resp.body.len, 0, NULL);
    api_response_release(&resp);
    if (err.code != 0 || reply == NULL) {
        fprintf(stderr, "Failed to dispatch job: %s\n",
                err.code ? err.msg : "malformed answer");
        goto out;
    }
    {
        struct rows r = ROWS_INIT;
        struct buf kv = BUF_INIT;
        const char *eval = cli_jstr(reply, "EvalID");

        rows_addf(&r, "Dispatched Job ID|%s",
                  cli_jstr(reply, "DispatchedJobID"));
        if (eval[0])
            rows_addf(&r, "Evaluation ID|%s",
                      format_short_id(eval, verbose, short_id));
        rows_format_kv(&r, &kv);
        cli_output(&kv);
        buf_release(&kv);
        rows_release(&r);
        status = 0;
        /* A periodic child, or a repeated token: no evaluation to follow. */
        if (!detach && eval[0]) {
            printf("\n");
            status = monitor_eval(&c, eval, verbose);
        }
    }
out:
    free(text);
    json_decref(body);
    json_decref(reply);
    buf_release(&path);
    buf_release(&payload);
    free(esc);
    free(id);
    free(ns);
    free(prefix);
    api_client_release(&c);
    return status;
}
