/* libcurl through dlopen (see curl_lazy.h). */
#include "agent/api/curl_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The real functions, by name, as dlsym finds them in libcurl.so.4. */
static struct
{
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} fn;

static bool loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* dlsym gives an object pointer; POSIX has it hold a function's address. */
#define LOOKUP(h, field, name)                     \
    do {                                           \
        void *sym = dlsym(h, name);                \
        if (sym == NULL)                           \
            return false;                          \
        memcpy(&fn.field, &sym, sizeof(fn.field)); \
    } while (0)

static bool resolve(void *h)
{
    LOOKUP(h, global_init, "curl_global_init");
    LOOKUP(h, global_cleanup, "curl_global_cleanup");
    LOOKUP(h, easy_init, "curl_easy_init");
    LOOKUP(h, easy_setopt, "curl_easy_setopt");
    LOOKUP(h, easy_perform, "curl_easy_perform");
    LOOKUP(h, easy_getinfo, "curl_easy_getinfo");
    LOOKUP(h, easy_cleanup, "curl_easy_cleanup");
    LOOKUP(h, easy_strerror, "curl_easy_strerror");
    LOOKUP(h, slist_append, "curl_slist_append");
    LOOKUP(h, slist_free_all, "curl_slist_free_all");
    return true;
}

static void load(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

    loaded = h != NULL && resolve(h);
}

static bool ready(void)
{
    pthread_once(&once, load);
    return loaded;
}

CURLcode curl_lazy_global_init(long flags)
{
    return ready() ? fn.global_init(flags) : CURLE_FAILED_INIT;
}

void curl_lazy_global_cleanup(void)
{
    /* Nothing to clean up in a library that was never loaded. */
    if (loaded)
        fn.global_cleanup();
}

CURL *curl_lazy_easy_init(void)
{
    return ready() ? fn.easy_init() : NULL;
}

/*
 * The option number says the type of its one argument, as libcurl's own
 * curl_easy_setopt() reads it.
 */
CURLcode curl_lazy_easy_setopt(CURL *curl, CURLoption option, ...)
{
    va_list ap;
    CURLcode cc;

    if (!ready())
        return CURLE_FAILED_INIT;
    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        cc = fn.easy_setopt(curl, option, va_arg(ap, long));
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        cc = fn.easy_setopt(curl, option, va_arg(ap, void *));
    } else if (option < CURLOPTTYPE_OFF_T) {
        cc = fn.easy_setopt(curl, option, va_arg(ap, void (*)(void)));
    } else if (option < CURLOPTTYPE_BLOB) {
        cc = fn.easy_setopt(curl, option, va_arg(ap, curl_off_t));
    } else {
        cc = fn.easy_setopt(curl, option, va_arg(ap, void *));
    }
    va_end(ap);
    return cc;
}

CURLcode curl_lazy_easy_perform(CURL *curl)
{
    return ready() ? fn.easy_perform(curl) : CURLE_FAILED_INIT;
}

/* Every CURLINFO_* argument is a pointer to where the answer goes. */
CURLcode curl_lazy_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    va_list ap;
    void *out;

    if (!ready())
        return CURLE_FAILED_INIT;
    va_start(ap, info);
    out = va_arg(ap, void *);
    va_end(ap);
    return fn.easy_getinfo(curl, info, out);
}

void curl_lazy_easy_cleanup(CURL *curl)
{
    if (curl != NULL && ready())
        fn.easy_cleanup(curl);
}

const char *curl_lazy_easy_strerror(CURLcode code)
{
    return ready() ? fn.easy_strerror(code) : "libcurl.so.4 cannot be loaded";
}

struct curl_slist *curl_lazy_slist_append(struct curl_slist *list,
                                          const char *s)
{
    return ready() ? fn.slist_append(list, s) : NULL;
}

void curl_lazy_slist_free_all(struct curl_slist *list)
{
    if (list != NULL && ready())
        fn.slist_free_all(list);
}
