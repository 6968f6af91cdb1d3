/*
 * proxy.c - trusted reverse proxies and the client address they report.
 *
 * Behind a TLS proxy or a load balancer every connection comes from the
 * proxy, so every client would share one address for the throttles and the
 * access log.  A proxy the operator names (--trusted-proxy) appends the
 * address it saw to X-Forwarded-For; Kite reads that list only when the TCP
 * peer is such a proxy, from the right, and stops at the first address that
 * is not a trusted proxy: everything left of it was written by the client
 * and proves nothing.
 *
 * SECURITY: the header values are untrusted text.  This file only splits
 * them at commas and trims blanks; every address is read by inet_pton (an
 * entry with a port or brackets is no address and ends the walk), and what
 * the caller gets back is inet_ntop's rendering of the parsed bytes, never
 * the header's own text, so nothing a client typed reaches a log line or a
 * throttle key.
 */
#include "http/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ENTRY_MAX = INET6_ADDRSTRLEN + 8 };

/* One address (no prefix) into family and bytes, by inet_pton. */
static bool parse_address(const char *text, int *family, unsigned char addr[16])
{
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, text, addr) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, addr) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

bool http_trusted_add(http_trusted *t, const char *cidr)
{
    if (t->count >= HTTP_MAX_TRUSTED_PROXIES || cidr == NULL)
        return false;
    char text[ENTRY_MAX];
    size_t len = strlen(cidr);
    if (len == 0 || len >= sizeof text)
        return false;
    memcpy(text, cidr, len + 1);
    char *slash = strchr(text, '/');
    long bits = -1;
    if (slash != NULL) {
        char *end = NULL;
        *slash = '\0';
        bits = strtol(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0')
            return false;
    }
    http_cidr net = {0};
    if (!parse_address(text, &net.family, net.addr))
        return false;
    long max = net.family == AF_INET ? 32 : 128;
    if (bits < 0)
        bits = max;
    if (bits > max)
        return false;
    net.bits = (unsigned)bits;
    /* Clear the host bits, so matching compares whole bytes and one last partial byte. */
    for (unsigned i = 0; i < 16; i++) {
        unsigned keep = net.bits > i * 8 ? net.bits - i * 8 : 0;
        if (keep < 8)
            net.addr[i] &= (unsigned char)(0xff00u >> keep);
    }
    t->nets[t->count++] = net;
    return true;
}

bool http_trusted_has(const http_trusted *t, int family, const void *addr)
{
    const unsigned char *a = addr;
    for (size_t n = 0; t != NULL && n < t->count; n++) {
        const http_cidr *net = &t->nets[n];
        if (net->family != family)
            continue;
        unsigned whole = net->bits / 8, rest = net->bits % 8;
        if (memcmp(net->addr, a, whole) != 0)
            continue;
        if (rest == 0 || (a[whole] & (unsigned char)(0xff00u >> rest)) == net->addr[whole])
            return true;
    }
    return false;
}

bool http_trusted_has_sockaddr(const http_trusted *t, const struct sockaddr *sa)
{
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET)
        return http_trusted_has(t, AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr);
    if (sa->sa_family != AF_INET6)
        return false;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6))
        return http_trusted_has(t, AF_INET, &a6->s6_addr[12]);
    return http_trusted_has(t, AF_INET6, a6);
}

/* The entry text[start, end) without surrounding blanks, parsed; false when it is no address. */
static bool entry_address(const char *start, const char *end, int *family, unsigned char addr[16])
{
    size_t from = strspn(start, " \t"), to = (size_t)(end - start);
    if (from >= to)
        return false;
    while (start[to - 1] == ' ' || start[to - 1] == '\t')
        to--;
    char text[ENTRY_MAX];
    if (to - from >= sizeof text)
        return false;
    memcpy(text, start + from, to - from);
    text[to - from] = '\0';
    return parse_address(text, family, addr);
}

bool http_trusted_client(const http_trusted *t, const char *const *values, size_t count, char *out, size_t out_len)
{
    bool found = false;
    int family = 0;
    unsigned char addr[16];
    for (size_t v = count; v-- > 0;) {
        const char *value = values[v];
        const char *end = value + strlen(value);
        for (;;) {
            const char *comma = end;
            while (comma > value && comma[-1] != ',')
                comma--;
            int f;
            unsigned char a[16];
            if (!entry_address(comma, end, &f, a))
                goto done; /* not an address: nothing left of it can be believed */
            found = true;
            family = f;
            memcpy(addr, a, sizeof addr);
            if (!http_trusted_has(t, f, a))
                goto done; /* the first hop no trusted proxy vouches for: the client */
            if (comma == value)
                break;
            end = comma - 1;
        }
    }
done:
    if (!found)
        return false;
    return inet_ntop(family, addr, out, (socklen_t)out_len) != NULL;
}
