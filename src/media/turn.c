/*
 * turn.c - TURN REST credentials (see turn.h), HMAC-SHA1 and base64 from
 * OpenSSL's libcrypto (what coturn itself uses for them).
 */
#include "media/turn.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

void turn_credentials(const char *secret, int64_t now_s, int64_t ttl_s, int64_t label,
                      char username[TURN_USERNAME_MAX], char credential[TURN_CREDENTIAL_MAX])
{
    snprintf(username, TURN_USERNAME_MAX, "%lld:kite%lld", (long long)(now_s + ttl_s), (long long)label);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)username, strlen(username), mac,
             &mac_len) == NULL) {
        credential[0] = '\0';
        return;
    }
    /* 20 bytes of SHA-1 are 28 characters of base64, well inside TURN_CREDENTIAL_MAX. */
    EVP_EncodeBlock((unsigned char *)credential, mac, (int)mac_len);
}
