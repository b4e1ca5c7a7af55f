/* Blocking HTTP requests to an agent through libcurl. */
#include "agent/api/api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/api/curl_lazy.h"
#include "lib/alloc.h"
#include "lib/err.h"

static char *from_env(const char *given,
                      const char *ours,
                      const char *nomad,
                      const char *fallback)
{
    const char *v = given;

    if (v == NULL || *v == '\0')
        v = getenv(ours);
    if (v == NULL || *v == '\0')
        v = getenv(nomad);
    if (v == NULL || *v == '\0')
        v = fallback;
    return v ? xstrdup(v) : NULL;
}

void api_client_init(struct api_client *c,
                     const char *address,
                     const char *token,
                     const char *region,
                     const char *namespace)
{
    size_t len;

    c->address = from_env(address, "CARAVAN_ADDR", "NOMAD_ADDR",
                          "http://127.0.0.1:4646");
    len = strlen(c->address);
    while (len > 0 && c->address[len - 1] == '/')
        c->address[--len] = '\0';
    c->token = from_env(token, "CARAVAN_TOKEN", "NOMAD_TOKEN", NULL);
    c->region = from_env(region, "CARAVAN_REGION", "NOMAD_REGION", NULL);
    c->namespace =
        from_env(namespace, "CARAVAN_NAMESPACE", "NOMAD_NAMESPACE", NULL);
    c->timeout_ms = 0;
}

void api_client_release(struct api_client *c)
{
    free(c->address);
    free(c->token);
    free(c->region);
    free(c->namespace);
    memset(c, 0, sizeof(*c));
}

void api_response_init(struct api_response *r)
{
    r->status = 0;
    buf_init(&r->body);
}

void api_response_release(struct api_response *r)
{
    buf_release(&r->body);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    buf_append(arg, data, size * nmemb);
    return size * nmemb;
}

static char *build_url(const struct api_client *c, const char *path)
{
    const char *sep = strchr(path, '?') ? "&" : "?";

    if (c->region != NULL && c->namespace != NULL)
        return xasprintf("%s%s%sregion=%s&namespace=%s", c->address, path, sep,
                         c->region, c->namespace);
    if (c->region != NULL)
        return xasprintf("%s%s%sregion=%s", c->address, path, sep, c->region);
    if (c->namespace != NULL)
        return xasprintf("%s%s%snamespace=%s", c->address, path, sep,
                         c->namespace);
    return xasprintf("%s%s", c->address, path);
}

int api_request(struct api_client *c,
                const char *method,
                const char *path,
                const char *body,
                size_t body_len,
                struct api_response *resp,
                struct err *err)
{
    struct curl_slist *headers = NULL;
    char *url = build_url(c, path);
    char *auth = NULL;
    CURL *curl = curl_easy_init();
    CURLcode cc;
    int rc = 0;

    if (curl == NULL) {
        rc = err_set(err, ERR_IO, "cannot initialise libcurl");
        goto out;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json");
    if (c->token != NULL) {
        auth = xasprintf("X-Nomad-Token: %s", c->token);
        headers = curl_slist_append(headers, auth);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp->body);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    if (c->timeout_ms > 0)
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)body_len);
    }
    cc = curl_easy_perform(curl);
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST) {
        rc = err_set(err, -ECONNREFUSED, "%s %s: %s", method, url,
                     curl_easy_strerror(cc));
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = err_set(err, ERR_IO, "%s %s: %s", method, url,
                     curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
out:
    if (auth != NULL)
        explicit_bzero(auth, strlen(auth));
    free(auth);
    curl_slist_free_all(headers);
    if (curl != NULL)
        curl_easy_cleanup(curl);
    free(url);
    return rc;
}

int api_status_error(const struct api_response *resp, struct err *err)
{
    const char *body = buf_str(&resp->body);
    size_t len = strlen(body);

    while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == ' '))
        len--;
    return err_set(err, ERR_IO, "Unexpected response code: %ld (%.*s)",
                   resp->status, (int)len, body);
}

struct stream_ctx
{
    CURL *curl;
    bool (*sink)(void *arg, const char *data, size_t len);
    void *arg;
    struct buf *errbody;
};

static size_t on_stream(char *data, size_t size, size_t nmemb, void *arg)
{
    struct stream_ctx *s = arg;
    long status = 0;

    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status / 100 != 2) {
        buf_append(s->errbody, data, size * nmemb);
        return size * nmemb;
    }
    return s->sink(s->arg, data, size * nmemb) ? size * nmemb : 0;
}

int api_stream(struct api_client *c,
               const char *path,
               bool (*sink)(void *arg, const char *data, size_t len),
               void *arg,
               struct api_response *resp,
               struct err *err)
{
    struct curl_slist *headers = NULL;
    char *url = build_url(c, path);
    char *auth = NULL;
    struct stream_ctx ctx = {curl_easy_init(), sink, arg, &resp->body};
    CURLcode cc;
    int rc = 0;

    if (ctx.curl == NULL) {
        rc = err_set(err, ERR_IO, "cannot initialise libcurl");
        goto out;
    }
    if (c->token != NULL) {
        auth = xasprintf("X-Nomad-Token: %s", c->token);
        headers = curl_slist_append(headers, auth);
    }
    curl_easy_setopt(ctx.curl, CURLOPT_URL, url);
    curl_easy_setopt(ctx.curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(ctx.curl, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(ctx.curl, CURLOPT_WRITEDATA, &ctx);
    curl_easy_setopt(ctx.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(ctx.curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    cc = curl_easy_perform(ctx.curl);
    curl_easy_getinfo(ctx.curl, CURLINFO_RESPONSE_CODE, &resp->status);
    if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
        rc = err_set(err, -ECONNREFUSED, "GET %s: %s", url,
                     curl_easy_strerror(cc));
    else if (cc != CURLE_OK && cc != CURLE_WRITE_ERROR)
        rc = err_set(err, ERR_IO, "GET %s: %s", url, curl_easy_strerror(cc));
out:
    if (auth != NULL)
        explicit_bzero(auth, strlen(auth));
    free(auth);
    curl_slist_free_all(headers);
    if (ctx.curl != NULL)
        curl_easy_cleanup(ctx.curl);
    free(url);
    return rc;
}
