/*
 * secret.h - random tokens and hashes (libsodium underneath).
 */
#ifndef KITE_CORE_SECRET_H
#define KITE_CORE_SECRET_H

#include <stddef.h>

#include "core/error.h"

enum {
    SECRET_TOKEN_BYTES = 32,                      /* 256 bits */
    SECRET_TOKEN_HEX = 2 * SECRET_TOKEN_BYTES + 1, /* with the NUL */
    SECRET_SHA256_HEX = 65,
};

/* Must run once before any thread uses the functions below. */
kite_err secret_init(void) KITE_WUR;

/* A new 256-bit random token as lowercase hex. */
void secret_token(char out[SECRET_TOKEN_HEX]);
/* SHA-256 of data as lowercase hex. */
void secret_sha256_hex(const void *data, size_t len, char out[SECRET_SHA256_HEX]);
/* Keyed hash (BLAKE2b) of message under key, as hex: derives one secret from another. */
void secret_derive_hex(const char *key, const char *message, char out[SECRET_SHA256_HEX]);

#endif
