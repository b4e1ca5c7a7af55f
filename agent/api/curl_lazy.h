/*
 * libcurl, loaded at its first use. caravan is one binary for the agent
 * and the CLI, and only the CLI speaks HTTP through libcurl: linking it
 * would map libcurl with its TLS, Kerberos, LDAP and SSH libraries into
 * every agent, some 5 MB of resident pages in an idle one. Code of ours
 * that uses libcurl includes this header instead of <curl/curl.h>: the
 * calls below go to wrappers that dlopen("libcurl.so.4") once, and the
 * binary is linked with --as-needed, so it does not depend on libcurl.
 *
 * A curl call not wrapped here still works (the linker then makes the
 * binary depend on libcurl again), it only gives those pages back.
 * curl_easy_init() returns NULL and curl_global_init() CURLE_FAILED_INIT
 * when libcurl cannot be loaded. Thread-safe.
 */
#ifndef CARAVAN_AGENT_API_CURL_LAZY_H
#define CARAVAN_AGENT_API_CURL_LAZY_H

#include <curl/curl.h>

CURLcode curl_lazy_global_init(long flags);
void curl_lazy_global_cleanup(void);
CURL *curl_lazy_easy_init(void);
CURLcode curl_lazy_easy_setopt(CURL *curl, CURLoption option, ...);
CURLcode curl_lazy_easy_perform(CURL *curl);
CURLcode curl_lazy_easy_getinfo(CURL *curl, CURLINFO info, ...);
void curl_lazy_easy_cleanup(CURL *curl);
const char *curl_lazy_easy_strerror(CURLcode code);
struct curl_slist *curl_lazy_slist_append(struct curl_slist *list,
                                          const char *s);
void curl_lazy_slist_free_all(struct curl_slist *list);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init curl_lazy_global_init
#define curl_global_cleanup curl_lazy_global_cleanup
#define curl_easy_init curl_lazy_easy_init
#define curl_easy_setopt curl_lazy_easy_setopt
#define curl_easy_perform curl_lazy_easy_perform
#define curl_easy_getinfo curl_lazy_easy_getinfo
#define curl_easy_cleanup curl_lazy_easy_cleanup
#define curl_easy_strerror curl_lazy_easy_strerror
#define curl_slist_append curl_lazy_slist_append
#define curl_slist_free_all curl_lazy_slist_free_all

#endif
