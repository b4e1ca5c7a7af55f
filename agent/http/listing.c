/* List filtering and paging (see listing.h). */
#include "agent/http/listing.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/http/httpd.h"
#include "lib/alloc.h"
#include "lib/bexpr.h"
#include "lib/err.h"

int listing_init(struct listing *l, struct httpd_req *req, struct err *err)
{
    const char *f = httpd_query_get(req, "filter");
    const char *pp = httpd_query_get(req, "per_page");

    memset(l, 0, sizeof(*l));
    l->next_token = httpd_query_get(req, "next_token");
    if (pp != NULL && *pp != '\0') {
        char *end;
        long n = strtol(pp, &end, 10);

        /* Nomad reads it as an int32 and refuses the rest. */
        if (*end != '\0' || n <= 0 || n > 2147483647L || pp[0] == '+' ||
            pp[0] == ' ')
            return err_set(err, ERR_INVALID,
                           "Invalid per_page value: %s (must be a positive "
                           "integer)",
                           pp);
        l->per_page = (size_t)n;
    }
    if (f != NULL && *f != '\0') {
        int rc = bexpr_parse(f, &l->filter, err);

        if (rc != 0) {
            err_wrap(err, "failed to read filter expression");
            err->code = ERR_INVALID;
            return ERR_INVALID;
        }
    }
    return 0;
}

void listing_release(struct listing *l)
{
    bexpr_free(l->filter);
    l->filter = NULL;
}

/*
 * The token of one item, as Nomad's paginator forms it: namespace and ID
 * for jobs, the version number for job versions, the ID for the rest.
 */
static char *item_token(const json_t *item, bool jobs, bool versions)
{
    const char *id = json_string_value(json_object_get(item, "ID"));
    const char *ns = json_string_value(json_object_get(item, "Namespace"));

    if (versions)
        return xasprintf("%" JSON_INTEGER_FORMAT,
                         json_integer_value(json_object_get(item, "Version")));
    if (jobs)
        return xasprintf("%s.%s", ns ? ns : "", id ? id : "");
    return xstrdup(id ? id : "");
}

/* Keeps the items of list (and the same places of twin) where keep[i]. */
static void keep_only(json_t *list, json_t *twin, const bool *keep, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        if (keep[i])
            continue;
        json_array_remove(list, i);
        if (twin != NULL && i < json_array_size(twin))
            json_array_remove(twin, i);
    }
}

void listing_apply(const struct listing *l, struct httpd_req *req, json_t *body)
{
    json_t *list = body, *twin = NULL;
    const char *path = httpd_req_path(req);
    bool jobs = strcmp(path, "/v1/jobs") == 0, versions = false;
    bool paging = l->per_page > 0 || (l->next_token && *l->next_token);
    size_t n, start = 0, taken = 0, exact = (size_t)-1;
    bool told = false;
    bool *keep;
    char **tokens;

    if (json_is_object(body)) {
        list = json_object_get(body, "Versions");
        twin = json_object_get(body, "Diffs");
        if (!json_is_array(list))
            return;
        if (!json_is_array(twin))
            twin = NULL;
        versions = true;
    } else if (!json_is_array(body)) {
        return;
    }
    n = json_array_size(list);
    if (l->filter == NULL && !paging)
        return;
    keep = xcalloc(n + 1, sizeof(*keep));
    tokens = xcalloc(n + 1, sizeof(*tokens));
    /* Filter first: the page is of the items that match. */
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(list, i);

        keep[i] = l->filter == NULL || bexpr_match(l->filter, item);
        if (keep[i] && paging)
            tokens[i] = item_token(item, jobs, versions);
    }
    /*
     * Resume at the item the token names; when it has gone meanwhile, at
     * the first one past it, as Nomad's ID-ordered iterators do.
     */
    if (l->next_token != NULL && *l->next_token != '\0') {
        for (size_t i = 0; i < n; i++) {
            if (keep[i] && strcmp(tokens[i], l->next_token) == 0) {
                exact = i;
                break;
            }
        }
        if (exact != (size_t)-1) {
            start = exact;
        } else {
            start = n;
            for (size_t i = 0; i < n; i++) {
                if (keep[i] && !versions &&
                    strcmp(tokens[i], l->next_token) > 0) {
                    start = i;
                    break;
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        if (i < start) {
            keep[i] = false;
        } else if (l->per_page > 0 && taken == l->per_page) {
            /* The first item left over is where the next page starts. */
            if (!told)
                httpd_set_header(req, "X-Nomad-NextToken", tokens[i]);
            told = true;
            keep[i] = false;
        } else {
            taken++;
        }
    }
    keep_only(list, twin, keep, n);
    for (size_t i = 0; i < n; i++)
        free(tokens[i]);
    free(tokens);
    free(keep);
}
