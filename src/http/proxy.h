/*
 * proxy.h - trusted reverse proxies: the peers whose X-Forwarded-For and
 * X-Forwarded-Proto Kite believes (kite serve --trusted-proxy CIDR).
 */
#ifndef KITE_HTTP_PROXY_H
#define KITE_HTTP_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

enum { HTTP_MAX_TRUSTED_PROXIES = 32 };

typedef struct http_cidr {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char addr[16];  /* network byte order; 4 bytes used for AF_INET */
    unsigned bits;           /* prefix length */
} http_cidr;

typedef struct http_trusted {
    http_cidr nets[HTTP_MAX_TRUSTED_PROXIES];
    size_t count;
} http_trusted;

/*
 * Adds "ADDRESS" or "ADDRESS/BITS" (IPv4 or IPv6, read by inet_pton); false
 * when it is neither or the list is full.  Host bits under the prefix are
 * cleared, so 10.1.2.3/8 means 10.0.0.0/8.
 */
bool http_trusted_add(http_trusted *t, const char *cidr);
/* True when addr (of family AF_INET or AF_INET6, network byte order) is inside one of the networks. */
bool http_trusted_has(const http_trusted *t, int family, const void *addr);
/* The same for a socket address (an IPv4-mapped IPv6 address counts as the IPv4 one). */
bool http_trusted_has_sockaddr(const http_trusted *t, const struct sockaddr *sa);

/*
 * The client's address from the X-Forwarded-For values of a request whose
 * peer is trusted: the lists are read as one (headers in order, entries
 * split at commas), from the right; the first entry that is not itself a
 * trusted proxy is the client.  An entry that is no address ends the walk:
 * the last trusted hop is then the client, as nothing before it can be
 * believed.  Writes the address as inet_ntop prints it into out; false
 * (out untouched) when no entry names an address.
 */
bool http_trusted_client(const http_trusted *t, const char *const *values, size_t count, char *out, size_t out_len);

#endif
