#include "core/secret.h"

#include "core/text.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <string.h>

/* liboath (two-factor codes, domain/identity/totp.c) asks the same once-before-threads start as libsodium. */
kite_err secret_init(void)
{
    return sodium_init() < 0 || oath_init() != OATH_OK ? KITE_ERR_INTERNAL : KITE_OK;
}

void secret_token(char out[SECRET_TOKEN_HEX])
{
    unsigned char bytes[SECRET_TOKEN_BYTES];
    randombytes_buf(bytes, sizeof bytes);
    text_hex(bytes, sizeof bytes, out);
    sodium_memzero(bytes, sizeof bytes);
}

void secret_sha256_hex(const void *data, size_t len, char out[SECRET_SHA256_HEX])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    text_hex(digest, sizeof digest, out);
}

void secret_derive_hex(const char *key, const char *message, char out[SECRET_SHA256_HEX])
{
    unsigned char digest[32];
    unsigned char keybytes[crypto_generichash_KEYBYTES];
    crypto_generichash(keybytes, sizeof keybytes, (const unsigned char *)key, strlen(key), NULL, 0);
    crypto_generichash(digest, sizeof digest, (const unsigned char *)message, strlen(message),
                       keybytes, sizeof keybytes);
    text_hex(digest, sizeof digest, out);
}
