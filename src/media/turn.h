/*
 * turn.h - time-limited TURN credentials (the "TURN REST API" that coturn's
 * use-auth-secret / static-auth-secret implements).
 *
 * Design: Kite and coturn share one secret; Kite hands a browser a username
 * "EXPIRY:LABEL" (EXPIRY in Unix seconds) and a password
 * base64(HMAC-SHA1(secret, username)); coturn recomputes it and refuses the
 * username once EXPIRY has passed.  No call to coturn, no state.
 *
 * SECURITY: the shared secret never leaves Kite; a credential is good for
 * ttl seconds and for the relay only.  LABEL is Kite's (an account id), never
 * a client's text.
 */
#ifndef KITE_MEDIA_TURN_H
#define KITE_MEDIA_TURN_H

#include <stddef.h>
#include <stdint.h>

enum { TURN_USERNAME_MAX = 64, TURN_CREDENTIAL_MAX = 64 };

/* Fills username and credential (NUL-terminated) for a credential valid until now_s + ttl_s. */
void turn_credentials(const char *secret, int64_t now_s, int64_t ttl_s, int64_t label,
                      char username[TURN_USERNAME_MAX], char credential[TURN_CREDENTIAL_MAX]);

#endif
