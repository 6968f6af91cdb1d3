/*
 * account.h - people who sign in with an email and a password.
 *
 * Contacts register themselves; staff and operators are created from the
 * command line.  Passwords are hashed with Argon2id (libsodium) behind a
 * password_gate that caps how many hashes run at once: each takes 64 MiB,
 * and sign-in floods must not exhaust memory.
 */
#ifndef KITE_DOMAIN_IDENTITY_ACCOUNT_H
#define KITE_DOMAIN_IDENTITY_ACCOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "domain/context.h"

typedef enum role {
    ROLE_CONTACT,
    ROLE_RESIDENT,
    ROLE_REVIEWER,
    ROLE_FACILITY_ADMIN,
    ROLE_INVESTIGATOR,
    ROLE_OPERATOR,
} role;

const char *role_name(role r);
bool role_parse(const char *name, role *out);
/* Staff roles belong to exactly one facility. */
bool role_is_facility_staff(role r);

/*
 * Whether the account may sign in: disabled for released residents; deleted
 * for a family member who deleted their account (anonymised, for good:
 * domain/privacy/account_deletion.h).  Only active accounts sign in.
 */
typedef enum account_status { ACCOUNT_ACTIVE, ACCOUNT_DISABLED, ACCOUNT_DELETED, ACCOUNT_STATUS_COUNT } account_status;

/* The name a deleted account shows where it once showed a person's (messages, contact lists). */
#define ACCOUNT_DELETED_NAME "Deleted account"
#define ACCOUNT_DELETED_NAME_ES "Cuenta eliminada" /* as a Spanish reader sees it */
/*
 * A person's name as a reader of lang sees it: the stored name, except the
 * deleted account's, which is stored in English and shown in the reader's
 * language.
 */
const char *account_name_in(const char *name, fault_lang lang);

/* The stored name ("active", "disabled", "deleted"); "unknown" for a value outside the enum. */
const char *account_status_name(account_status s);
/* False when name is NULL or not a status (*out unchanged). */
bool account_status_parse(const char *name, account_status *out);

typedef struct account {
    int64_t id;
    role role;
    const char *email;
    const char *full_name;
    const char *phone;      /* may be NULL */
    int64_t facility_id;    /* 0 when none */
    account_status status;
    int64_t created_at;
    int64_t email_verified_at; /* 0: the address is not proven yet (email_verify.h) */
    fault_lang lang;        /* what the person reads: their sentences and mail (core/lang.h) */
} account;

/*
 * Unverified accounts one address may have at once (email_verify.h): a
 * registration past it retires the oldest, so nobody can heap accounts on
 * someone else's address, and sign-in tries at most this many plus one.
 */
enum { ACCOUNT_UNVERIFIED_PER_EMAIL = 3 };

enum { PASSWORD_MIN_CHARS = 10, PASSWORD_MAX_BYTES = 1024, PASSWORD_HASH_MAX = 128 };

/* max_concurrent hashes; opslimit/memlimit as crypto_pwhash takes them (0, 0 = interactive). */
password_gate *password_gate_new(unsigned max_concurrent, unsigned long long opslimit, size_t memlimit);
password_gate *password_gate_free(password_gate *gate);
kite_err password_hash(password_gate *gate, const char *password, char out[PASSWORD_HASH_MAX]) KITE_WUR;
/* KITE_OK when password matches hash, KITE_ERR_BAD_CREDENTIALS otherwise. */
kite_err password_check(password_gate *gate, const char *hash, const char *password) KITE_WUR;
/* Spends the time of a real check, for accounts that do not exist. */
void password_check_dummy(password_gate *gate, const char *password);
bool password_needs_rehash(const password_gate *gate, const char *hash);
/* KITE_ERR_WEAK_PASSWORD when too short or on the common-password list. */
kite_err password_policy_check(const char *password) KITE_WUR;
/*
 * KITE_ERR_WEAK_PASSWORD when the password is, or holds, without regard to
 * case, the account's whole email, the part of it before the @, or its name
 * (with or without its spaces): each only when it has at least
 * PASSWORD_PERSONAL_MIN_CHARS characters, since a short one ("Al") is in
 * many good passwords by chance.  email and full_name may be NULL.  The
 * first thing anyone guesses is what they already know about the account.
 */
enum { PASSWORD_PERSONAL_MIN_CHARS = 4 };
kite_err password_personal_check(arena *a, const char *password, const char *email, const char *full_name) KITE_WUR;

/* Trimmed, lower-cased email into *out (arena); KITE_ERR_INVALID_FIELD when not an address. */
kite_err email_normalize(arena *a, const char *email, const char **out) KITE_WUR;

typedef struct registration {
    const char *email;
    const char *password;
    const char *full_name;
    const char *phone;
    fault_lang lang;        /* the language chosen (the body's "lang", else the request's) */
} registration;

/*
 * Registers a contact, unverified.  A free address is mailed a welcome and a
 * verification link; an address a verified account has gets a real account
 * all the same (same answer, never verifiable), and its owner a notice
 * instead of a link, so the answer tells nobody who has an account.  On
 * failure *fault names the field (KITE_ERR_INVALID_FIELD, KITE_ERR_WEAK_PASSWORD).
 * The account, its audit record and its mail commit together.
 */
kite_err account_register(const kite_ctx *ctx, arena *a, const registration *reg, const char *actor,
                          account *out, kite_fault *fault) KITE_WUR;

/*
 * Registrations per client address: KITE_ERR_THROTTLED (with the fault's
 * retry_after_ms) when the address made too many accounts this hour; count
 * each one made.
 */
kite_err account_registration_allowed(const kite_ctx *ctx, arena *a, const char *client_address,
                                      kite_fault *fault) KITE_WUR;
kite_err account_registration_count(const kite_ctx *ctx, arena *a, const char *client_address) KITE_WUR;

/*
 * Creates a staff or operator account (command line).  *fault names the field
 * of KITE_ERR_INVALID_FIELD and KITE_ERR_WEAK_PASSWORD, and "facility" with
 * KITE_ERR_CONFLICT (no such facility).
 */
kite_err account_create_staff(const kite_ctx *ctx, arena *a, role r, const char *email,
                              const char *full_name, const char *password, int64_t facility_id,
                              account *out, kite_fault *fault) KITE_WUR;

/* The same, recording actor (e.g. "account:7" for a facility admin) in the audit log. */
kite_err account_create_staff_as(const kite_ctx *ctx, arena *a, const char *actor, role r, const char *email,
                                 const char *full_name, const char *password, int64_t facility_id,
                                 account *out, kite_fault *fault) KITE_WUR;

/* A name a person may carry: valid UTF-8, 1..max_chars characters, no control characters. */
bool text_is_person_name(const char *s, size_t max_chars);

/* Sets the account's language (PATCH /api/v1/me); KITE_ERR_NOT_FOUND when there is no such account. */
kite_err account_set_lang(const kite_ctx *ctx, int64_t account_id, fault_lang lang) KITE_WUR;

/* Reads one account inside a transaction; KITE_ERR_NOT_FOUND when there is none. */
kite_err account_load(db_conn *conn, arena *a, int64_t id, account *out) KITE_WUR;
/* The same, with *password_hash the stored hash (arena). */
kite_err account_load_secret(db_conn *conn, arena *a, int64_t id, account *out, const char **password_hash) KITE_WUR;
/*
 * The account of a normalised email: the verified one, else the newest
 * active unverified one; *password_hash (may be NULL) receives its hash.
 */
kite_err account_load_by_email(db_conn *conn, arena *a, const char *email, account *out,
                               const char **password_hash) KITE_WUR;
/* Only the verified account of the address (sign-in's first candidate). */
kite_err account_load_verified(db_conn *conn, arena *a, const char *email, account *out,
                               const char **password_hash) KITE_WUR;
/*
 * The active unverified accounts of the address, newest first, at most max
 * (sign-in's other candidates): *count of them in out and hashes.
 */
kite_err account_load_unverified(db_conn *conn, arena *a, const char *email, account *out, const char **hashes,
                                 size_t max, size_t *count) KITE_WUR;

#endif
