/*
 * proxy.c - fuzzes the trusted-proxy parsing (http/proxy.c): the
 * --trusted-proxy CIDRs an operator gives, and the X-Forwarded-For values a
 * client behind a trusted proxy can write anything into.
 *
 * Input: lines.  A line "T <cidr>" adds a trusted network; every other line
 * is one X-Forwarded-For header value, in the order the headers came.
 *
 * Contract checked: an accepted CIDR contains its own address (host bits
 * cleared, prefix kept); and the client address equals what an independent
 * walk gives (entries split at commas, blanks trimmed, from the right, the
 * first that is no address ending the walk, the first not trusted being the
 * client), printed as inet_ntop prints the parsed bytes, never as typed.
 */
#include "http/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { VALUES_MAX = 16, ENTRY_TEXT_MAX = INET6_ADDRSTRLEN + 8 };

static bool parse(const char *text, int *family, unsigned char addr[16])
{
    memset(addr, 0, 16);
    if (inet_pton(AF_INET, text, addr) == 1) {
        *family = AF_INET;
        return true;
    }
    *family = AF_INET6;
    return inet_pton(AF_INET6, text, addr) == 1;
}

static void check_cidr(const char *cidr)
{
    http_trusted t = {0};
    if (!http_trusted_add(&t, cidr))
        return;
    const http_cidr *net = &t.nets[0];
    if (t.count != 1 || (net->family != AF_INET && net->family != AF_INET6) ||
        net->bits > (net->family == AF_INET ? 32u : 128u))
        abort();
    if (!http_trusted_has(&t, net->family, net->addr))
        abort(); /* a network contains its own address */
}

/* The walk as proxy.h describes it, written again plainly. */
static bool oracle(const http_trusted *t, char *const *values, size_t count, char *out, size_t out_len)
{
    bool found = false;
    int family = 0;
    unsigned char addr[16];
    for (size_t v = count; v-- > 0;) {
        const char *value = values[v];
        size_t n = strlen(value);
        for (size_t end = n;;) {
            size_t start = end;
            while (start > 0 && value[start - 1] != ',')
                start--;
            size_t from = start, to = end;
            while (from < to && (value[from] == ' ' || value[from] == '\t'))
                from++;
            while (to > from && (value[to - 1] == ' ' || value[to - 1] == '\t'))
                to--;
            char text[ENTRY_TEXT_MAX];
            int f;
            unsigned char a[16];
            if (to == from || to - from >= sizeof text)
                goto done;
            memcpy(text, value + from, to - from);
            text[to - from] = '\0';
            if (!parse(text, &f, a))
                goto done;
            found = true;
            family = f;
            memcpy(addr, a, 16);
            if (!http_trusted_has(t, f, a))
                goto done;
            if (start == 0)
                break;
            end = start - 1;
        }
    }
done:
    return found && inet_ntop(family, addr, out, (socklen_t)out_len) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    http_trusted t = {0};
    char *values[VALUES_MAX];
    size_t count = 0;
    for (char *line = text, *next; line != NULL; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (strncmp(line, "T ", 2) == 0) {
            check_cidr(line + 2);
            http_trusted_add(&t, line + 2);
        } else if (count < VALUES_MAX) {
            values[count++] = line;
        }
    }
    char got[INET6_ADDRSTRLEN] = "untouched", want[INET6_ADDRSTRLEN] = "untouched";
    bool ok = http_trusted_client(&t, (const char *const *)values, count, got, sizeof got);
    bool expected = oracle(&t, values, count, want, sizeof want);
    if (ok != expected || strcmp(got, want) != 0)
        abort();
    free(text);
    return 0;
}
