/*
 * account.c - accounts, password hashing and registration.
 *
 * SECURITY: passwords arrive from the network.  They are length-capped
 * before hashing, never logged, never stored but as Argon2id strings, and
 * compared only by libsodium.  A registration's answer and work are the same
 * whether or not a verified account has the address (email_verify.h): a row
 * is inserted either way, and only the mail differs, which goes to the
 * address's owner, not to whoever asked.
 */
#include "domain/identity/account.h"

#include "core/alloc.h"
#include "core/secret.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/directory/directory.h"
#include "domain/identity/email_verify.h"
#include "domain/identity/throttle.h"

#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct password_gate {
    sem_t slots;
    unsigned long long opslimit;
    size_t memlimit;
    char dummy_hash[PASSWORD_HASH_MAX]; /* checked for unknown accounts, to keep timing alike */
};

static const char *const role_names[] = {
    [ROLE_CONTACT] = "contact",
    [ROLE_RESIDENT] = "resident",
    [ROLE_REVIEWER] = "reviewer",
    [ROLE_FACILITY_ADMIN] = "facility_admin",
    [ROLE_INVESTIGATOR] = "investigator",
    [ROLE_OPERATOR] = "operator",
};

const char *role_name(role r)
{
    return (size_t)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "unknown";
}

bool role_parse(const char *name, role *out)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++) {
        if (strcmp(role_names[i], name) == 0) {
            *out = (role)i;
            return true;
        }
    }
    return false;
}

static const char *const account_status_names[ACCOUNT_STATUS_COUNT] = {
    [ACCOUNT_ACTIVE] = "active",
    [ACCOUNT_DISABLED] = "disabled",
    [ACCOUNT_DELETED] = "deleted",
};

const char *account_status_name(account_status s)
{
    return (unsigned)s < ACCOUNT_STATUS_COUNT ? account_status_names[s] : "unknown";
}

bool account_status_parse(const char *name, account_status *out)
{
    size_t i = text_index_of(account_status_names, ACCOUNT_STATUS_COUNT, name);
    if (i == ACCOUNT_STATUS_COUNT)
        return false;
    *out = (account_status)i;
    return true;
}

bool role_is_facility_staff(role r)
{
    return r == ROLE_REVIEWER || r == ROLE_FACILITY_ADMIN || r == ROLE_INVESTIGATOR;
}

password_gate *password_gate_new(unsigned max_concurrent, unsigned long long opslimit, size_t memlimit)
{
    password_gate *gate = xcalloc(1, sizeof *gate);
    sem_init(&gate->slots, 0, max_concurrent > 0 ? max_concurrent : 1);
    gate->opslimit = opslimit ? opslimit : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    gate->memlimit = memlimit ? memlimit : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    char random_password[SECRET_TOKEN_HEX];
    secret_token(random_password);
    if (crypto_pwhash_str(gate->dummy_hash, random_password, strlen(random_password), gate->opslimit,
                          gate->memlimit) != 0)
        gate->dummy_hash[0] = '\0';
    return gate;
}

password_gate *password_gate_free(password_gate *gate)
{
    if (gate != NULL) {
        sem_destroy(&gate->slots);
        free(gate);
    }
    return NULL;
}

static void gate_enter(password_gate *gate)
{
    while (sem_wait(&gate->slots) != 0)
        ; /* EINTR */
}

kite_err password_hash(password_gate *gate, const char *password, char out[PASSWORD_HASH_MAX])
{
    _Static_assert(crypto_pwhash_STRBYTES <= PASSWORD_HASH_MAX, "hash buffer too small");
    gate_enter(gate);
    int rc = crypto_pwhash_str(out, password, strlen(password), gate->opslimit, gate->memlimit);
    sem_post(&gate->slots);
    return rc == 0 ? KITE_OK : KITE_ERR_INTERNAL;
}

kite_err password_check(password_gate *gate, const char *hash, const char *password)
{
    gate_enter(gate);
    int rc = crypto_pwhash_str_verify(hash, password, strlen(password));
    sem_post(&gate->slots);
    return rc == 0 ? KITE_OK : KITE_ERR_BAD_CREDENTIALS;
}

void password_check_dummy(password_gate *gate, const char *password)
{
    if (gate->dummy_hash[0] != '\0' && password_check(gate, gate->dummy_hash, password) == KITE_OK)
        return; /* a random 256-bit password was guessed: nothing to do either way */
}

bool password_needs_rehash(const password_gate *gate, const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, gate->opslimit, gate->memlimit) != 0;
}

/* The most common passwords of 10+ characters in public breach lists. */
static const char *const common_passwords[] = {
    "1234567890", "0123456789", "12345678910", "123456789a", "1234567890a", "0987654321",
    "1111111111", "0000000000", "1q2w3e4r5t", "1qaz2wsx3edc", "qwertyuiop", "asdfghjkl;",
    "qwerty1234", "qwerty12345", "qwerty123456", "password12", "password123", "password1234",
    "password!1", "passw0rd123", "p@ssw0rd12", "iloveyou12", "iloveyou123", "princess12",
    "sunshine12", "football12", "baseball12", "basketball", "superman12", "starwars12",
    "letmein123", "welcome123", "welcome1234", "abc1234567", "abcdefghij", "abcd123456",
    "aaaaaaaaaa", "zxcvbnm123", "q1w2e3r4t5", "1q2w3e4r5t6y", "administrator", "changeme123",
    "monkey1234", "dragon1234", "trustno1234", "michael123", "jennifer12", "computer12",
    "whatever12", "freedom123", "999999999", "9876543210", "1122334455", "1234512345",
    "123123123123", "qazwsxedc123", "asdfghjkl1", "asdfasdfasdf", "loveyou123", "myspace123",
};

kite_err password_policy_check(const char *password)
{
    if (utf8_length(password) < PASSWORD_MIN_CHARS)
        return KITE_ERR_WEAK_PASSWORD;
    char lowered[64];
    size_t len = strlen(password);
    if (len < sizeof lowered) {
        for (size_t i = 0; i <= len; i++) {
            char c = password[i];
            lowered[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        for (size_t i = 0; i < sizeof common_passwords / sizeof common_passwords[0]; i++)
            if (strcmp(lowered, common_passwords[i]) == 0)
                return KITE_ERR_WEAK_PASSWORD;
    }
    /* One character repeated is as weak as anything on the list (a character may be several bytes). */
    size_t first = 1;
    while (first < len && ((unsigned char)password[first] & 0xC0) == 0x80)
        first++;
    bool all_same = len % first == 0;
    for (size_t i = first; all_same && i < len; i += first)
        all_same = memcmp(password + i, password, first) == 0;
    return all_same ? KITE_ERR_WEAK_PASSWORD : KITE_OK;
}

/* Whether lowered (a lower-cased password) holds word, lower-cased, when word is long enough to count. */
static bool holds_word(arena *a, const char *lowered, const char *word)
{
    if (word == NULL || utf8_length(word) < PASSWORD_PERSONAL_MIN_CHARS)
        return false;
    return strstr(lowered, text_lower(a, word)) != NULL;
}

/* s without its spaces (a name typed as one word: "mariamorales"). */
static const char *without_spaces(arena *a, const char *s)
{
    char *out = arena_strdup(a, s);
    char *w = out;
    for (const char *p = s; *p != '\0'; p++)
        if (*p != ' ')
            *w++ = *p;
    *w = '\0';
    return out;
}

kite_err password_personal_check(arena *a, const char *password, const char *email, const char *full_name)
{
    const char *lowered = text_lower(a, password);
    const char *at = email != NULL ? strchr(email, '@') : NULL;
    const char *local = at != NULL ? arena_strndup(a, email, (size_t)(at - email)) : NULL;
    const char *name = full_name != NULL ? text_trim(a, full_name) : NULL;
    if (holds_word(a, lowered, email) || holds_word(a, lowered, local) || holds_word(a, lowered, name) ||
        (name != NULL && holds_word(a, lowered, without_spaces(a, name))))
        return KITE_ERR_WEAK_PASSWORD;
    return KITE_OK;
}

kite_err email_normalize(arena *a, const char *email, const char **out)
{
    char *norm = text_lower(a, text_trim(a, email));
    size_t len = strlen(norm);
    const char *at = strchr(norm, '@');
    if (len < 3 || len > 254 || !utf8_valid(norm, len) || at == NULL || at == norm ||
        strchr(at + 1, '@') != NULL || (size_t)(at - norm) > 64 || strchr(at + 1, '.') == NULL ||
        at[1] == '.' || norm[len - 1] == '.')
        return KITE_ERR_INVALID_FIELD;
    for (const char *p = norm; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7F || *p == '<' || *p == '>' || *p == ',' || *p == ';' || *p == '"')
            return KITE_ERR_INVALID_FIELD;
    *out = norm;
    return KITE_OK;
}

bool text_is_person_name(const char *s, size_t max_chars)
{
    size_t chars = utf8_length(s);
    if (chars < 1 || chars > max_chars || !utf8_valid(s, strlen(s)))
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            return false;
    return true;
}

static kite_err check_name(arena *a, const char *name, const char **out)
{
    const char *trimmed = text_trim(a, name);
    if (!text_is_person_name(trimmed, 200))
        return KITE_ERR_INVALID_FIELD;
    *out = trimmed;
    return KITE_OK;
}

static kite_err check_phone(arena *a, const char *phone, const char **out)
{
    const char *trimmed = text_trim(a, phone);
    size_t digits = 0;
    for (const char *p = trimmed; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (strchr(" +-().", *p) == NULL)
            return KITE_ERR_INVALID_FIELD;
    }
    if (digits < 7 || digits > 15 || strlen(trimmed) > 32)
        return KITE_ERR_INVALID_FIELD;
    *out = trimmed;
    return KITE_OK;
}

struct insert_account {
    const kite_ctx *ctx;
    arena *a;
    account *acct;
    const char *password_hash;
    const char *actor;
    const char *action;
};

static kite_err insert_account_tx(db_conn *conn, void *data)
{
    struct insert_account *in = data;
    account *acct = in->acct;
    if (acct->facility_id > 0) {
        /* Told apart from a taken email: the caller names the facility as the bad field. */
        bool exists = false;
        kite_err found = directory_facility_exists(conn, acct->facility_id, &exists);
        if (found != KITE_OK)
            return found;
        if (!exists)
            return KITE_ERR_CONFLICT;
    }
    /* A contact's address is proven later; the address of a verified account gets a new, unverifiable one. */
    bool contact = acct->role == ROLE_CONTACT, taken = false;
    account owner = {0};
    if (contact) {
        kite_err found = account_load_verified(conn, in->a, acct->email, &owner, NULL);
        if (found != KITE_OK && found != KITE_ERR_NOT_FOUND)
            return found;
        taken = found == KITE_OK;
        if ((found = email_verify_make_room(conn, in->a, acct->email, acct->created_at)) != KITE_OK)
            return found;
    }
    acct->email_verified_at = contact ? 0 : acct->created_at; /* staff are made by people who vouch for them */
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO accounts (role, email, full_name, phone, password_hash, facility_id, status,"
        " created_at, updated_at, email_verified_at, lang) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $7, $8, $9)"
        " RETURNING id");
    db_bind_text(insert, 1, role_name(acct->role));
    db_bind_text(insert, 2, acct->email);
    db_bind_text(insert, 3, acct->full_name);
    db_bind_text(insert, 4, acct->phone);
    db_bind_text(insert, 5, in->password_hash);
    if (acct->facility_id > 0)
        db_bind_int(insert, 6, acct->facility_id);
    else
        db_bind_null(insert, 6);
    db_bind_int(insert, 7, acct->created_at);
    if (contact)
        db_bind_null(insert, 8);
    else
        db_bind_int(insert, 8, acct->created_at);
    db_bind_text(insert, 9, lang_tag(acct->lang));
    if (db_next(insert))
        acct->id = db_int(insert, 0);
    kite_err err = db_done(insert);
    if (err == KITE_ERR_CONFLICT)
        return KITE_ERR_EMAIL_TAKEN;
    if (err != KITE_OK)
        return err;
    const char *target = audit_actor_account(in->a, acct->id);
    const char *actor = in->actor != NULL ? in->actor : target;
    const char *detail = arena_sprintf(in->a, "role=%s email=%s%s", role_name(acct->role), acct->email,
                                       taken ? " address_has_verified_account" : "");
    err = audit_append(conn, acct->created_at, actor, in->action, target, detail);
    if (err != KITE_OK)
        return err;
    if (!contact) /* a verified address: the unverified accounts that claimed it go */
        return email_verify_retire_others(conn, in->a, acct->id, acct->email, acct->created_at);
    if (taken)
        return email_verify_notice_taken(conn, in->ctx, in->a, acct->email, owner.lang, acct->created_at);
    return email_verify_issue(conn, in->ctx, in->a, acct, acct->created_at, true);
}

static kite_err validate_password_field(arena *a, const account *acct, const char *password, fault_detail invalid,
                                        kite_fault *fault)
{
    if (password == NULL || strlen(password) > PASSWORD_MAX_BYTES || !utf8_valid(password, strlen(password)))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "password", invalid);
    kite_err err = password_policy_check(password);
    if (err != KITE_OK)
        return fault_set(fault, err, "password", FAULT_NONE);
    err = password_personal_check(a, password, acct->email, acct->full_name);
    return fault_set(fault, err, "password", err != KITE_OK ? FAULT_PASSWORD_PERSONAL : FAULT_NONE);
}

static kite_err store_new_account(const kite_ctx *ctx, arena *a, account *acct, const char *password,
                                  const char *actor, const char *action)
{
    char hash[PASSWORD_HASH_MAX];
    kite_err err = password_hash(ctx->passwords, password, hash);
    if (err != KITE_OK)
        return err;
    acct->status = ACCOUNT_ACTIVE;
    acct->created_at = clock_now_ms(&ctx->clock);
    struct insert_account in = {ctx, a, acct, hash, actor, action};
    return db_write(ctx->store, insert_account_tx, &in);
}

/*
 * New accounts per client address per hour.  Each registration sends a
 * welcome email to the address given, so without a bound one client could
 * make Kite mail thousands of strangers; a family on a shared connection
 * (a library, a shelter) stays far below it.
 */
static const throttle_rule registration_rule = {60, 60LL * 60 * 1000};

struct registration_gate {
    const char *key;
    int64_t now;
    kite_fault fault;
};

static kite_err registration_check_tx(db_conn *conn, void *data)
{
    struct registration_gate *in = data;
    return throttle_check(conn, in->now, in->key, registration_rule, &in->fault);
}

static kite_err registration_count_tx(db_conn *conn, void *data)
{
    struct registration_gate *in = data;
    return throttle_record_failure(conn, in->now, in->key, registration_rule);
}

kite_err account_registration_allowed(const kite_ctx *ctx, arena *a, const char *client_address,
                                      kite_fault *fault)
{
    struct registration_gate in = {arena_sprintf(a, "register:%s", client_address), clock_now_ms(&ctx->clock), {0}};
    kite_err err = db_read(ctx->store, registration_check_tx, &in);
    *fault = in.fault;
    fault->detail = err == KITE_ERR_THROTTLED ? FAULT_REGISTRATIONS : FAULT_NONE;
    return fault_settle(fault, err);
}

kite_err account_registration_count(const kite_ctx *ctx, arena *a, const char *client_address)
{
    struct registration_gate in = {arena_sprintf(a, "register:%s", client_address), clock_now_ms(&ctx->clock), {0}};
    return db_write(ctx->store, registration_count_tx, &in);
}

kite_err account_register(const kite_ctx *ctx, arena *a, const registration *reg, const char *actor,
                          account *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    out->role = ROLE_CONTACT;
    out->lang = reg->lang;
    /* A person registering is told which field to correct. */
    if (reg->email == NULL || email_normalize(a, reg->email, &out->email) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "email", FAULT_NOT_VALID);
    if (reg->full_name == NULL || check_name(a, reg->full_name, &out->full_name) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "full_name", FAULT_NOT_VALID);
    /* A living account must not pass for a deleted one (account_name_in). */
    if (strcasecmp(out->full_name, ACCOUNT_DELETED_NAME) == 0 || strcasecmp(out->full_name, ACCOUNT_DELETED_NAME_ES) == 0)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "full_name", FAULT_NAME_RESERVED);
    if (reg->phone == NULL || check_phone(a, reg->phone, &out->phone) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "phone", FAULT_NOT_VALID);
    kite_err err = validate_password_field(a, out, reg->password, FAULT_NOT_VALID, fault);
    if (err != KITE_OK)
        return err;
    err = store_new_account(ctx, a, out, reg->password, actor, "account.register");
    /* No email_taken: the unique index covers verified accounts only, and a contact is never one here. */
    return fault_set(fault, err, NULL, FAULT_NONE);
}

kite_err account_create_staff(const kite_ctx *ctx, arena *a, role r, const char *email,
                              const char *full_name, const char *password, int64_t facility_id,
                              account *out, kite_fault *fault)
{
    return account_create_staff_as(ctx, a, "cli", r, email, full_name, password, facility_id, out, fault);
}

kite_err account_create_staff_as(const kite_ctx *ctx, arena *a, const char *actor, role r, const char *email,
                                 const char *full_name, const char *password, int64_t facility_id,
                                 account *out, kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    out->role = r;
    out->facility_id = facility_id;
    /* Staff are made by operators and admins, who get the generic sentence naming the field. */
    if (r == ROLE_CONTACT || r == ROLE_RESIDENT)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "role", FAULT_NONE);
    if (role_is_facility_staff(r) != (facility_id > 0))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "facility", FAULT_NONE);
    if (email == NULL || email_normalize(a, email, &out->email) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "email", FAULT_NONE);
    if (full_name == NULL || check_name(a, full_name, &out->full_name) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "full_name", FAULT_NONE);
    kite_err err = validate_password_field(a, out, password, FAULT_NONE, fault);
    if (err != KITE_OK)
        return err;
    err = store_new_account(ctx, a, out, password, actor, "account.create");
    /* The only foreign key: no such facility. */
    return fault_set(fault, err, err == KITE_ERR_CONFLICT ? "facility" : NULL, FAULT_NONE);
}

const char *account_name_in(const char *name, fault_lang lang)
{
    if (lang == FAULT_LANG_ES && name != NULL && strcmp(name, ACCOUNT_DELETED_NAME) == 0)
        return ACCOUNT_DELETED_NAME_ES;
    return name;
}

#define ACCOUNT_COLUMNS \
    "id, role, email, full_name, phone, facility_id, status, created_at, password_hash, email_verified_at, lang"

static void read_account(db_stmt *row, arena *a, account *out, const char **password_hash)
{
    out->id = db_int(row, 0);
    if (!role_parse(db_text(row, 1), &out->role))
        out->role = ROLE_CONTACT;
    out->email = arena_strdup(a, db_text(row, 2));
    out->full_name = arena_strdup(a, db_text(row, 3));
    out->phone = arena_strdup(a, db_text(row, 4));
    out->facility_id = db_is_null(row, 5) ? 0 : db_int(row, 5);
    if (!account_status_parse(db_text(row, 6), &out->status))
        out->status = ACCOUNT_DISABLED; /* like an unknown role: the least an unreadable row may do */
    out->created_at = db_int(row, 7);
    if (!lang_parse(db_text(row, 10), &out->lang))
        out->lang = FAULT_LANG_EN; /* the CHECK allows no other; English is what every reader can be given */
    if (password_hash != NULL)
        *password_hash = arena_strdup(a, db_text(row, 8));
    out->email_verified_at = db_is_null(row, 9) ? 0 : db_int(row, 9);
}

/* One account from a query of ACCOUNT_COLUMNS with one text or id parameter. */
static kite_err load_one(db_stmt *s, arena *a, account *out, const char **password_hash)
{
    bool found = db_next(s);
    if (found)
        read_account(s, a, out, password_hash);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err account_load(db_conn *conn, arena *a, int64_t id, account *out)
{
    return account_load_secret(conn, a, id, out, NULL);
}

kite_err account_load_secret(db_conn *conn, arena *a, int64_t id, account *out, const char **password_hash)
{
    db_stmt *s = db_prepare(conn, "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE id = $1");
    db_bind_int(s, 1, id);
    return load_one(s, a, out, password_hash);
}

kite_err account_load_by_email(db_conn *conn, arena *a, const char *email, account *out,
                               const char **password_hash)
{
    /* The verified account first; an address may also have unverified ones (email_verify.h). */
    kite_err err = account_load_verified(conn, a, email, out, password_hash);
    if (err != KITE_ERR_NOT_FOUND)
        return err;
    size_t count = 0;
    const char *hash = NULL;
    err = account_load_unverified(conn, a, email, out, &hash, 1, &count);
    if (err == KITE_OK && password_hash != NULL)
        *password_hash = hash;
    return err != KITE_OK ? err : count == 1 ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err account_load_verified(db_conn *conn, arena *a, const char *email, account *out, const char **password_hash)
{
    db_stmt *s = db_prepare(conn,
        "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE email = $1 AND email_verified_at IS NOT NULL");
    db_bind_text(s, 1, email);
    return load_one(s, a, out, password_hash);
}

kite_err account_load_unverified(db_conn *conn, arena *a, const char *email, account *out, const char **hashes,
                                 size_t max, size_t *count)
{
    db_stmt *s = db_prepare(conn,
        "SELECT " ACCOUNT_COLUMNS " FROM accounts WHERE email = $1 AND email_verified_at IS NULL"
        " AND status = 'active' ORDER BY id DESC LIMIT $2");
    db_bind_text(s, 1, email);
    db_bind_int(s, 2, (int64_t)max);
    *count = 0;
    while (*count < max && db_next(s)) {
        read_account(s, a, &out[*count], &hashes[*count]);
        (*count)++;
    }
    return db_done(s);
}

struct set_lang {
    int64_t account_id, now;
    fault_lang lang;
};

static kite_err set_lang_tx(db_conn *conn, void *data)
{
    const struct set_lang *in = data;
    db_stmt *s = db_prepare(conn, "UPDATE accounts SET lang = $1, updated_at = $2 WHERE id = $3 RETURNING id");
    db_bind_text(s, 1, lang_tag(in->lang));
    db_bind_int(s, 2, in->now);
    db_bind_int(s, 3, in->account_id);
    bool found = db_next(s);
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

kite_err account_set_lang(const kite_ctx *ctx, int64_t account_id, fault_lang lang)
{
    struct set_lang in = {account_id, clock_now_ms(&ctx->clock), lang};
    return db_write(ctx->store, set_lang_tx, &in);
}
