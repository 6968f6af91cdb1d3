/*
 * test_proxy.c - trusted proxies: CIDR parsing (IPv4, IPv6, prefixes, host
 * bits), matching (an IPv4-mapped peer as IPv4), and the client address from
 * X-Forwarded-For read from the right.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static bool has(const http_trusted *t, const char *address)
{
    unsigned char a[16] = {0};
    if (inet_pton(AF_INET, address, a) == 1)
        return http_trusted_has(t, AF_INET, a);
    assert_int_equal(inet_pton(AF_INET6, address, a), 1);
    return http_trusted_has(t, AF_INET6, a);
}

static void test_cidr_parsing(void **state)
{
    (void)state;
    http_trusted t = {0};
    assert_true(http_trusted_add(&t, "127.0.0.1"));
    assert_true(http_trusted_add(&t, "10.1.2.3/8"));
    assert_true(http_trusted_add(&t, "192.168.4.0/23"));
    assert_true(http_trusted_add(&t, "2001:db8::/32"));
    assert_true(http_trusted_add(&t, "::1"));
    assert_true(http_trusted_add(&t, "0.0.0.0/0"));
    const char *const bad[] = {"", "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/x", "300.1.1.1", "nonsense",
                               "10.0.0.0/8/8", "[::1]", "1.2.3.4:80", "10.0.0.0/-1", " 10.0.0.1"};
    http_trusted u = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(http_trusted_add(&u, bad[i]));
    assert_int_equal(u.count, 0);
}

static void test_matching(void **state)
{
    (void)state;
    http_trusted t = {0};
    assert_true(http_trusted_add(&t, "127.0.0.1"));
    assert_true(http_trusted_add(&t, "10.1.2.3/8"));
    assert_true(http_trusted_add(&t, "192.168.4.0/23"));
    assert_true(http_trusted_add(&t, "2001:db8::/32"));
    assert_true(has(&t, "127.0.0.1"));
    assert_false(has(&t, "127.0.0.2"));
    assert_true(has(&t, "10.255.0.1"));
    assert_false(has(&t, "11.0.0.1"));
    assert_true(has(&t, "192.168.5.200"));
    assert_false(has(&t, "192.168.6.1"));
    assert_true(has(&t, "2001:db8:ffff::1"));
    assert_false(has(&t, "2001:db9::1"));
    assert_false(has(&t, "::ffff:11.0.0.1"));

    struct sockaddr_in6 mapped = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, "::ffff:10.9.9.9", &mapped.sin6_addr), 1);
    assert_true(http_trusted_has_sockaddr(&t, (const struct sockaddr *)&mapped));
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, "8.8.8.8", &v4.sin_addr), 1);
    assert_false(http_trusted_has_sockaddr(&t, (const struct sockaddr *)&v4));

    http_trusted none = {0};
    assert_false(has(&none, "127.0.0.1"));
}

static const char *client(const http_trusted *t, const char *const *values, size_t count)
{
    static char out[INET6_ADDRSTRLEN];
    strcpy(out, "peer");
    return http_trusted_client(t, values, count, out, sizeof out) ? out : "peer";
}

static void test_forwarded_for(void **state)
{
    (void)state;
    http_trusted t = {0};
    assert_true(http_trusted_add(&t, "10.0.0.0/8"));
    assert_true(http_trusted_add(&t, "::1"));
    const char *one[] = {"198.51.100.1, 203.0.113.7"};
    assert_string_equal(client(&t, one, 1), "203.0.113.7");
    const char *hops[] = {"203.0.113.8, 10.1.2.3,10.0.0.9"};
    assert_string_equal(client(&t, hops, 1), "203.0.113.8");
    const char *all_trusted[] = {"10.0.0.1, ::1"};
    assert_string_equal(client(&t, all_trusted, 1), "10.0.0.1");
    const char *two_headers[] = {"198.51.100.66", "203.0.113.11"};
    assert_string_equal(client(&t, two_headers, 2), "203.0.113.11");
    const char *across[] = {"198.51.100.5", "10.0.0.2"};
    assert_string_equal(client(&t, across, 2), "198.51.100.5");
    const char *v6[] = {"2001:DB8::7"};
    assert_string_equal(client(&t, v6, 1), "2001:db8::7");
    const char *garbage[] = {"not-an-address"};
    assert_string_equal(client(&t, garbage, 1), "peer");
    const char *port[] = {"203.0.113.9:443"};
    assert_string_equal(client(&t, port, 1), "peer");
    const char *garbage_left[] = {"evil, 10.0.0.7"};
    assert_string_equal(client(&t, garbage_left, 1), "10.0.0.7");
    const char *blanks[] = {" 203.0.113.12 ,\t10.0.0.1 "};
    assert_string_equal(client(&t, blanks, 1), "203.0.113.12");
    const char *empty[] = {""};
    assert_string_equal(client(&t, empty, 1), "peer");
    const char *trailing_comma[] = {"203.0.113.13,"};
    assert_string_equal(client(&t, trailing_comma, 1), "peer");
    const char *long_entry[] = {"1111111111111111111111111111111111111111111111111111111111111111111111111111"};
    assert_string_equal(client(&t, long_entry, 1), "peer");
    assert_string_equal(client(&t, NULL, 0), "peer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_parsing),
        cmocka_unit_test(test_matching),
        cmocka_unit_test(test_forwarded_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
