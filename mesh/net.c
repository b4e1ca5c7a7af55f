/* Addresses of the mesh transport (net.h): parsing and printing. */
#include "mesh/net.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/err.h"

int net_addr_parse(const char *s, struct net_addr *out, struct err *err)
{
    char host[64];
    const char *colon = s ? strrchr(s, ':') : NULL;
    const char *h;
    char *end;
    size_t hl;
    long port;

    memset(out, 0, sizeof(*out));
    if (colon == NULL || colon[1] == '\0')
        goto bad;
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535)
        goto bad;
    h = s;
    hl = (size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof(host))
        goto bad;
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (inet_pton(AF_INET, host, out->ip) == 1)
        out->family = AF_INET;
    else if (h != s && inet_pton(AF_INET6, host, out->ip) == 1)
        out->family = AF_INET6;
    else
        goto bad;
    out->port = (uint16_t)port;
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return err_set(err, ERR_INVALID,
                   "invalid address \"%s\": want ip:port or [ipv6]:port",
                   s ? s : "");
}

void net_addr_format(const struct net_addr *a, char out[NET_ADDR_STRLEN])
{
    char ip[INET6_ADDRSTRLEN] = "?";

    inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, ip,
              sizeof(ip));
    snprintf(out, NET_ADDR_STRLEN, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
             ip, a->port);
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
    size_t n = a->family == AF_INET6 ? 16 : 4;

    return a->family == b->family && a->port == b->port &&
           memcmp(a->ip, b->ip, n) == 0;
}
