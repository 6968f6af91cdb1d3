/*
 * guard.c - connection caps per address and request deadlines that a slow
 * client cannot stretch.
 *
 * libmicrohttpd's own timeout (MHD_OPTION_CONNECTION_TIMEOUT) is an idle
 * timeout: every byte resets it, so a client that sends one header byte a
 * minute keeps a connection for ever, and ~1,000 of them fill the server's
 * connection limit for everyone.  Its per-address limit
 * (MHD_OPTION_PER_IP_CONNECTION_LIMIT) would cap a trusted proxy, through
 * which every client comes, like anyone else.  So Kite keeps its own books:
 *
 * Caps: libmicrohttpd tells us of every connection that opens and closes
 * (MHD_OPTION_NOTIFY_CONNECTION); the count per address lives here.  The
 * accept policy refuses an address at its cap before a connection is set
 * up; it only reads the count, since libmicrohttpd may still drop the
 * connection after asking (then no "closed" would ever come to balance an
 * increment).  The count is taken when the connection is announced, and
 * connections that raced past the policy on other threads and find their
 * address over the cap are shut at once.  Trusted proxies are not capped
 * (they carry everyone); the total is libmicrohttpd's MHD_OPTION_CONNECTION_LIMIT.
 *
 * Deadlines: each connection is in a phase (guard_phase) that server.c sets
 * as a request moves: its head must be complete within header_timeout_s of
 * the connection opening or the previous answer ending (this also bounds an
 * idle keep-alive connection, as Apache's short KeepAliveTimeout does), and
 * its body within body_timeout_s of the head.  While a request is being
 * answered (a handler, an event stream, the answer going out) no deadline
 * runs: streams are long-lived on purpose.  A watchdog thread looks every
 * GUARD_TICK_MS and shuts the socket of a connection past its deadline
 * (shutdown(2), not close: libmicrohttpd still owns the descriptor, sees
 * the end of the stream on its next read and closes it the ordinary way).
 * The descriptor cannot be reused under us: libmicrohttpd announces the
 * close (our registry lock) before it closes the socket.
 *
 * SECURITY: this is the defence against slow clients.  It trusts nothing
 * the client sends: phases move on libmicrohttpd's events, time is the
 * monotonic clock, addresses come from accept().
 */
#include "http/guard.h"

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum { GUARD_TICK_MS = 200, GUARD_BUCKETS = 1024 };

/* Open connections from one address. */
typedef struct addr_count {
    int family;
    unsigned char addr[16];
    unsigned count;
    struct addr_count *next;
} addr_count;

struct guard_conn {
    int fd;
    char shown[INET6_ADDRSTRLEN]; /* the peer, for the log */
    addr_count *slot;             /* NULL when not capped (a trusted proxy, or no IP address) */
    atomic_int phase;
    atomic_llong since_ms;
    bool cut;                     /* shut by the guard: once */
    guard_conn *prev, *next;
};

struct http_guard {
    guard_config config;
    pthread_mutex_t lock; /* the list, the counts, cut */
    pthread_cond_t wake;
    bool stopping;
    pthread_t thread;
    bool started;
    guard_conn *head;
    addr_count *buckets[GUARD_BUCKETS];
};

/* An IP address as family and 16 bytes (IPv4-mapped IPv6 as IPv4); false for other families. */
static bool address_key(const struct sockaddr *sa, int *family, unsigned char addr[16])
{
    memset(addr, 0, 16);
    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET) {
        *family = AF_INET;
        memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family != AF_INET6)
        return false;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
        *family = AF_INET;
        memcpy(addr, &a6->s6_addr[12], 4);
    } else {
        *family = AF_INET6;
        memcpy(addr, a6, 16);
    }
    return true;
}

static unsigned bucket_of(int family, const unsigned char addr[16])
{
    uint32_t h = 2166136261u ^ (uint32_t)family; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 16777619u;
    return h % GUARD_BUCKETS;
}

/* With the lock held: the address's entry, made when create and absent. */
static addr_count *count_find(http_guard *g, int family, const unsigned char addr[16], bool create)
{
    addr_count **b = &g->buckets[bucket_of(family, addr)];
    for (addr_count *c = *b; c != NULL; c = c->next)
        if (c->family == family && memcmp(c->addr, addr, 16) == 0)
            return c;
    if (!create)
        return NULL;
    addr_count *c = xcalloc(1, sizeof *c);
    c->family = family;
    memcpy(c->addr, addr, 16);
    c->next = *b;
    *b = c;
    return c;
}

/* With the lock held: one connection fewer; the entry goes at zero. */
static void count_release(http_guard *g, addr_count *slot)
{
    if (--slot->count > 0)
        return;
    addr_count **b = &g->buckets[bucket_of(slot->family, slot->addr)];
    while (*b != slot)
        b = &(*b)->next;
    *b = slot->next;
    free(slot);
}

enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    http_guard *g = cls;
    int family;
    unsigned char key[16];
    if (g->config.max_per_address == 0 || !address_key(addr, &family, key) ||
        http_trusted_has_sockaddr(g->config.trusted, addr))
        return MHD_YES;
    pthread_mutex_lock(&g->lock);
    const addr_count *c = count_find(g, family, key, false);
    bool full = c != NULL && c->count >= g->config.max_per_address;
    pthread_mutex_unlock(&g->lock);
    return full ? MHD_NO : MHD_YES;
}

static void conn_opened(http_guard *g, struct MHD_Connection *conn, void **socket_context)
{
    guard_conn *gc = xcalloc(1, sizeof *gc);
    const union MHD_ConnectionInfo *fd_info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *addr_info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = addr_info != NULL ? addr_info->client_addr : NULL;
    gc->fd = fd_info != NULL ? fd_info->connect_fd : -1;
    atomic_store(&gc->phase, GUARD_HEAD);
    atomic_store(&gc->since_ms, clock_mono_ms());
    int family;
    unsigned char key[16];
    bool keyed = address_key(sa, &family, key);
    if (!keyed || inet_ntop(family, key, gc->shown, sizeof gc->shown) == NULL)
        strcpy(gc->shown, "unknown");
    bool capped = keyed && g->config.max_per_address > 0 && !http_trusted_has_sockaddr(g->config.trusted, sa);
    pthread_mutex_lock(&g->lock);
    if (capped) {
        gc->slot = count_find(g, family, key, true);
        gc->slot->count++;
        if (gc->slot->count > g->config.max_per_address && gc->fd >= 0) {
            /* Raced past the accept policy on another thread: over the cap all the same. */
            gc->cut = true;
            (void)shutdown(gc->fd, SHUT_RDWR);
        }
    }
    gc->next = g->head;
    if (g->head != NULL)
        g->head->prev = gc;
    g->head = gc;
    pthread_mutex_unlock(&g->lock);
    *socket_context = gc;
}

static void conn_closed(http_guard *g, void **socket_context)
{
    guard_conn *gc = *socket_context;
    if (gc == NULL)
        return;
    *socket_context = NULL;
    pthread_mutex_lock(&g->lock);
    if (gc->prev != NULL)
        gc->prev->next = gc->next;
    else
        g->head = gc->next;
    if (gc->next != NULL)
        gc->next->prev = gc->prev;
    if (gc->slot != NULL)
        count_release(g, gc->slot);
    pthread_mutex_unlock(&g->lock);
    free(gc);
}

void guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        conn_opened(cls, conn, socket_context);
    else if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        conn_closed(cls, socket_context);
}

guard_conn *guard_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != NULL ? info->socket_context : NULL;
}

void guard_enter(guard_conn *gc, guard_phase phase)
{
    if (gc == NULL)
        return;
    /* since first: the watchdog may read between the two stores and must never see an old time with the new phase. */
    atomic_store(&gc->since_ms, clock_mono_ms());
    atomic_store(&gc->phase, (int)phase);
}

/* With the lock held: shuts every connection past its phase's deadline. */
static void cut_late(http_guard *g, int64_t now)
{
    int64_t head_ms = (int64_t)g->config.header_timeout_s * 1000, body_ms = (int64_t)g->config.body_timeout_s * 1000;
    for (guard_conn *gc = g->head; gc != NULL; gc = gc->next) {
        if (gc->cut || gc->fd < 0)
            continue;
        int phase = atomic_load(&gc->phase);
        int64_t age = now - atomic_load(&gc->since_ms);
        bool late = (phase == GUARD_HEAD && head_ms > 0 && age > head_ms) ||
                    (phase == GUARD_BODY && body_ms > 0 && age > body_ms);
        if (!late)
            continue;
        gc->cut = true;
        (void)shutdown(gc->fd, SHUT_RDWR);
        log_info("http: closed a connection from %s: its request %s was not complete within %u s", gc->shown,
                 phase == GUARD_HEAD ? "head" : "body",
                 phase == GUARD_HEAD ? g->config.header_timeout_s : g->config.body_timeout_s);
    }
}

static void *watchdog_main(void *data)
{
    http_guard *g = data;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += GUARD_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
        if (!g->stopping)
            cut_late(g, clock_mono_ms());
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

http_guard *guard_start(const guard_config *config)
{
    http_guard *g = xcalloc(1, sizeof *g);
    g->config = *config;
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (config->header_timeout_s > 0 || config->body_timeout_s > 0) {
        g->started = pthread_create(&g->thread, NULL, watchdog_main, g) == 0;
        if (!g->started)
            log_warn("http: no request deadlines: the watchdog thread did not start");
    }
    return g;
}

http_guard *guard_stop(http_guard *g)
{
    if (g == NULL)
        return NULL;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    if (g->started)
        pthread_join(g->thread, NULL);
    /* The daemon has stopped, so every connection was announced closed; free what a failed start left. */
    while (g->head != NULL) {
        guard_conn *gc = g->head;
        g->head = gc->next;
        free(gc);
    }
    for (size_t i = 0; i < GUARD_BUCKETS; i++)
        while (g->buckets[i] != NULL) {
            addr_count *c = g->buckets[i];
            g->buckets[i] = c->next;
            free(c);
        }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
    return NULL;
}
