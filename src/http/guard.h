/*
 * guard.h - connection caps and request deadlines (server.c's helper; handlers never see it).
 */
#ifndef KITE_HTTP_GUARD_H
#define KITE_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>

#include "http/proxy.h"

typedef struct http_guard http_guard;
typedef struct guard_conn guard_conn;

typedef struct guard_config {
    unsigned max_per_address;  /* open connections from one address; trusted proxies are not capped */
    unsigned header_timeout_s; /* a request's head, from the connection or the previous answer */
    unsigned body_timeout_s;   /* its body, from the end of the head */
    const http_trusted *trusted;
} guard_config;

/* What a connection is doing, for the deadlines. */
typedef enum guard_phase {
    GUARD_HEAD,   /* waiting for a request's headers: header_timeout_s */
    GUARD_BODY,   /* headers read, body coming: body_timeout_s */
    GUARD_ANSWER, /* being answered (handlers, streams, sending): only libmicrohttpd's idle timeout */
} guard_phase;

/* Starts the watchdog thread; config->trusted must outlive the guard. */
http_guard *guard_start(const guard_config *config);
/* Stops the watchdog; call after the daemon has stopped (no callback may run any more). NULL-safe. */
http_guard *guard_stop(http_guard *guard);

/* libmicrohttpd's accept policy (MHD_AcceptPolicyCallback): refuses an address at its cap. */
enum MHD_Result guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* libmicrohttpd's connection notification (MHD_NotifyConnectionCallback): opens and closes the accounting. */
void guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context, enum MHD_ConnectionNotificationCode code);

/* The connection's record (from MHD_CONNECTION_INFO_SOCKET_CONTEXT), or NULL. */
guard_conn *guard_of(struct MHD_Connection *conn);
/* Moves the connection to phase; its deadline, if any, counts from now. NULL-safe. */
void guard_enter(guard_conn *gc, guard_phase phase);

#endif
