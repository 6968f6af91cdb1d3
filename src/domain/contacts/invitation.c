/*
 * invitation.c - the federal (CorrLinks) way to start contact: the resident
 * enters an email on the tablet, Kite emails a single-use link, the contact
 * accepts it while signed in with that address, within the policy's validity.
 *
 * SECURITY: the invitation token is 256 random bits sent only in the email;
 * the store keeps its SHA-256.  Accepting needs the token AND an account with
 * the invited address, so a forwarded link does not make a stranger a contact.
 */
#include "domain/contacts/invitation.h"

#include "core/secret.h"

#include "domain/audit/audit.h"
#include "domain/contacts/contact_rules.h"
#include "domain/identity/account.h"
#include "domain/identity/email_verify.h"
#include "mail/notice.h"
#include "domain/identity/throttle.h"

#include <inttypes.h>
#include <string.h>

#define DAY_MS (24LL * 60 * 60 * 1000)

/* A list shows the newest INVITATION_LIST_MAX invitations. */
enum { INVITATION_LIST_MAX = 200 };

static bool invitations_allowed(const policy *p)
{
    return p->contact_initiation != INITIATION_CONTACT_REQUESTS;
}

struct create_invitation {
    const kite_ctx *ctx;
    arena *a;
    const account *caller;
    const char *email;
    const char *token;
    int64_t now;
    invitation *out;
    kite_fault throttled;
};

static const throttle_rule invitation_rule = {INVITATIONS_PER_DAY, DAY_MS};

static const notice_text invitation_words[FAULT_LANG_COUNT] = {
    [FAULT_LANG_EN] = {"{name} invites you to write on Kite",
                       {"{name}, at {facility}, has invited you to exchange messages on Kite.",
                        "To accept, sign in to Kite or create a free account with this email address ({email}), then "
                        "open the link below. The invitation is valid until {date} (UTC). If it expires, {first_name} "
                        "can send a new one.",
                        "Facility staff read every message before it is delivered. If you do not know this person, "
                        "ignore this email."},
                       "Accept the invitation"},
    [FAULT_LANG_ES] = {"{name} le invita a escribirse en Kite",
                       {"{name}, en {facility}, le invitó a intercambiar mensajes en Kite.",
                        "Para aceptar, inicie sesión en Kite o cree una cuenta gratis con esta dirección de correo "
                        "({email}) y luego abra el enlace. La invitación vale hasta el {date} (UTC). Si vence, "
                        "{first_name} puede enviarle una nueva.",
                        "El personal del centro lee cada mensaje antes de entregarlo. Si no conoce a esta persona, "
                        "ignore este correo."},
                       "Aceptar la invitación"},
};

/* In the invitee's language when the address has an account; otherwise in English and Spanish. */
static kite_err send_invitation_mail(struct create_invitation *in, db_conn *conn, const resident_place *place)
{
    char expires[RFC3339_LEN];
    clock_format_rfc3339(in->out->expires_at, expires);
    expires[10] = '\0'; /* the date is enough for a person */
    account invitee;
    kite_err err = account_load_by_email(conn, in->a, in->email, &invitee, NULL);
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND)
        return err;
    const char *values[] = {"name", arena_sprintf(in->a, "%s %s", place->r.first_name, place->r.last_name),
                            "facility", place->facility_name, "email", in->email, "date", expires,
                            "first_name", place->r.first_name, NULL};
    notice n = {.to = in->email, .kind = "invitation", .text = invitation_words, .values = values,
                .link_path = arena_sprintf(in->a, "/invitations/accept?token=%s", in->token),
                .lang = err == KITE_OK ? invitee.lang : FAULT_LANG_EN, .bilingual = err != KITE_OK};
    return notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &n);
}

static kite_err create_tx(db_conn *conn, void *data)
{
    struct create_invitation *in = data;
    resident r;
    kite_err err = resident_load_by_account(conn, in->a, in->caller->id, &r);
    if (err != KITE_OK)
        return err == KITE_ERR_NOT_FOUND ? KITE_ERR_FORBIDDEN : err;
    resident_place place;
    if ((err = rules_load_place(conn, in->a, r.id, &place)) != KITE_OK)
        return err;
    if ((err = rules_reachable(&place)) != KITE_OK)
        return err;
    if (!invitations_allowed(&place.p))
        return KITE_ERR_CONTACT_MUST_REQUEST;
    /* Each invitation emails someone outside: a resident cannot make Kite mail without bound. */
    const char *key = arena_sprintf(in->a, "invite:%" PRId64, r.id);
    if ((err = throttle_check(conn, in->now, key, invitation_rule, &in->throttled)) != KITE_OK ||
        (err = throttle_record_failure(conn, in->now, key, invitation_rule)) != KITE_OK)
        return err;
    /* An address that already has an account is checked as that account. */
    account existing;
    err = account_load_by_email(conn, in->a, in->email, &existing, NULL);
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND)
        return err;
    if ((err = rules_may_link(conn, &place, err == KITE_OK ? existing.id : 0, in->email)) != KITE_OK)
        return err;

    /* A new invitation to the same address replaces the pending one. */
    db_stmt *revoke = db_prepare(conn,
        "UPDATE invitations SET status = $3 WHERE resident_id = $1 AND email = $2 AND status = $4");
    db_bind_int(revoke, 1, r.id);
    db_bind_text(revoke, 2, in->email);
    db_bind_text(revoke, 3, invitation_status_name(INVITATION_REVOKED));
    db_bind_text(revoke, 4, invitation_status_name(INVITATION_PENDING));
    if ((err = db_exec(revoke)) != KITE_OK)
        return err;
    char token_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(in->token, strlen(in->token), token_hash);
    int64_t expires_at = in->now + place.p.invitation_valid_days * DAY_MS;
    db_stmt *insert = db_prepare(conn,
        "INSERT INTO invitations (resident_id, email, token_hash, status, created_at, expires_at, facility_id)"
        " VALUES ($1, $2, $3, $6, $4, $5, $7) RETURNING id");
    db_bind_int(insert, 1, r.id);
    db_bind_text(insert, 2, in->email);
    db_bind_text(insert, 3, token_hash);
    db_bind_int(insert, 4, in->now);
    db_bind_int(insert, 5, expires_at);
    db_bind_text(insert, 6, invitation_status_name(INVITATION_PENDING));
    db_bind_int(insert, 7, place.r.facility_id);
    int64_t id = db_next(insert) ? db_int(insert, 0) : 0;
    if ((err = db_done(insert)) != KITE_OK)
        return err;
    *in->out = (invitation){id, r.id, arena_sprintf(in->a, "%s %s", r.first_name, r.last_name), place.facility_name,
                            in->email, INVITATION_PENDING, in->now, expires_at, 0};
    if ((err = send_invitation_mail(in, conn, &place)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id), "invitation.create",
                        audit_target(in->a, "invitation", id),
                        arena_sprintf(in->a, "resident=%" PRId64 " email=%s", r.id, in->email));
}

kite_err invitation_create(const kite_ctx *ctx, arena *a, const account *resident_account, const char *email,
                           invitation *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (resident_account->role != ROLE_RESIDENT)
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    const char *norm;
    if (email == NULL || email_normalize(a, email, &norm) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "email", FAULT_EMAIL);
    char token[SECRET_TOKEN_HEX];
    secret_token(token);
    struct create_invitation in = {ctx, a, resident_account, norm, token, clock_now_ms(&ctx->clock), out, {0}};
    kite_err err = db_write(ctx->store, create_tx, &in);
    /* A refused invitation is not counted: the write rolled back with it. */
    if (err == KITE_ERR_THROTTLED) {
        /* No retry_after_ms, so no Retry-After header (there never was one): the sentence says "tomorrow". */
        fault_set(fault, err, NULL, FAULT_INVITATIONS);
        fault->limit = INVITATIONS_PER_DAY;
    } else if (err == KITE_ERR_INVALID_FIELD) {
        fault_set(fault, err, "email", FAULT_EMAIL);
    }
    return fault_settle(fault, err);
}

struct accept_invitation {
    arena *a;
    const account *caller;
    const char *token_hash;
    int64_t now;
    contact_view *out;
    int64_t contact_id;
};

static kite_err accept_tx(db_conn *conn, void *data)
{
    struct accept_invitation *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT id, resident_id, email, status, expires_at FROM invitations WHERE token_hash = $1");
    db_bind_text(s, 1, in->token_hash);
    int64_t id = 0, resident_id = 0, expires_at = 0;
    const char *email = NULL;
    invitation_status status = INVITATION_REVOKED; /* rows hold only names from the table; were one not: used */
    if (db_next(s)) {
        id = db_int(s, 0);
        resident_id = db_int(s, 1);
        email = arena_strdup(in->a, db_text(s, 2));
        (void)invitation_status_parse(db_text(s, 3), &status);
        expires_at = db_int(s, 4);
    }
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    if (id == 0)
        return KITE_ERR_NOT_FOUND;
    /* As stored first: a used or withdrawn invitation says so even once its time has passed. */
    if (!invitation_transition_allowed(status, INVITATION_ACCEPTED)) {
        /* Withdrawn because of a block: say so, rather than "already used". */
        resident_place place;
        if (status == INVITATION_REVOKED && (err = rules_load_place(conn, in->a, resident_id, &place)) == KITE_OK) {
            err = rules_check_facility_blocks(conn, place.r.facility_id, resident_id, email);
            if (err == KITE_OK)
                err = rules_check_pair(conn, resident_id, in->caller->id);
            if (err == KITE_ERR_CONTACT_BLOCKED || kite_err_is_store_failure(err))
                return err;
        }
        return KITE_ERR_INVITATION_USED;
    }
    if (!invitation_transition_allowed(invitation_status_at(status, expires_at, in->now), INVITATION_ACCEPTED))
        return KITE_ERR_INVITATION_EXPIRED;
    if (in->caller->email == NULL || strcmp(in->caller->email, email) != 0)
        return KITE_ERR_INVITATION_NOT_FOR_YOU;

    resident_place place;
    if ((err = rules_load_place(conn, in->a, resident_id, &place)) != KITE_OK)
        return err;
    if ((err = rules_may_link(conn, &place, in->caller->id, email)) != KITE_OK)
        return err;
    if ((err = rules_link(conn, in->now, resident_id, place.r.facility_id, in->caller->id, "invitation",
                          &in->contact_id)) != KITE_OK)
        return err;
    db_stmt *mark = db_prepare(conn,
        "UPDATE invitations SET status = $4, accepted_at = $1, contact_id = $2 WHERE id = $3 AND status = $5");
    db_bind_int(mark, 1, in->now);
    db_bind_text(mark, 4, invitation_status_name(INVITATION_ACCEPTED));
    db_bind_text(mark, 5, invitation_status_name(status));
    db_bind_int(mark, 2, in->contact_id);
    db_bind_int(mark, 3, id);
    if ((err = db_exec(mark)) != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_INVITATION_USED;
    const char *actor = audit_actor_account(in->a, in->caller->id);
    if ((err = audit_append(conn, in->now, actor, "invitation.accept", audit_target(in->a, "invitation", id),
                            arena_sprintf(in->a, "contact=%" PRId64 " resident=%" PRId64, in->contact_id,
                                          resident_id))) != KITE_OK)
        return err;
    /* The token came from that mailbox: the address is proven (email_verify.h), as by its own link. */
    bool marked = false;
    return email_verify_mark(conn, in->a, in->caller->id, actor, "invitation", in->now, &marked);
}

kite_err invitation_accept(const kite_ctx *ctx, arena *a, const account *contact_account, const char *token,
                           contact_view *out)
{
    if (contact_account->role != ROLE_CONTACT)
        return KITE_ERR_FORBIDDEN;
    if (strlen(token) != SECRET_TOKEN_HEX - 1)
        return KITE_ERR_NOT_FOUND;
    char token_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(token, strlen(token), token_hash);
    struct accept_invitation in = {a, contact_account, token_hash, clock_now_ms(&ctx->clock), out, 0};
    kite_err err = db_write(ctx->store, accept_tx, &in);
    if (err != KITE_OK)
        return err;
    return contact_get(ctx, a, contact_account, in.contact_id, out);
}

struct list_invitations {
    arena *a;
    const account *caller;
    int64_t now;
    invitation *items;
    size_t count;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_invitations *in = data;
    bool resident_side = in->caller->role == ROLE_RESIDENT;
    db_stmt *s = db_prepare(conn, resident_side
        ? "SELECT i.id, i.resident_id, r.first_name || ' ' || r.last_name, f.name, i.email, i.status, i.created_at,"
          " i.expires_at, COALESCE(i.accepted_at, 0) FROM invitations i JOIN residents r ON r.id = i.resident_id"
          " JOIN facilities f ON f.id = r.facility_id WHERE r.account_id = $1 ORDER BY i.id DESC LIMIT $3"
        : "SELECT i.id, i.resident_id, r.first_name || ' ' || r.last_name, f.name, i.email, i.status, i.created_at,"
          " i.expires_at, COALESCE(i.accepted_at, 0) FROM invitations i JOIN residents r ON r.id = i.resident_id"
          " JOIN facilities f ON f.id = r.facility_id WHERE i.email = $2 AND i.status = 'pending'"
          " ORDER BY i.id DESC LIMIT $3");
    if (resident_side)
        db_bind_int(s, 1, in->caller->id);
    else
        db_bind_text(s, 2, in->caller->email);
    db_bind_int(s, 3, INVITATION_LIST_MAX);
    size_t cap = 16;
    in->items = arena_alloc(in->a, cap * sizeof *in->items);
    while (db_next(s)) {
        in->items = arena_grow(in->a, in->items, in->count, &cap, sizeof *in->items);
        invitation *v = &in->items[in->count++];
        v->id = db_int(s, 0);
        v->resident_id = db_int(s, 1);
        v->resident_name = arena_strdup(in->a, db_text(s, 2));
        v->facility_name = arena_strdup(in->a, db_text(s, 3));
        v->email = arena_strdup(in->a, db_text(s, 4));
        v->status = INVITATION_REVOKED;
        (void)invitation_status_parse(db_text(s, 5), &v->status);
        v->created_at = db_int(s, 6);
        v->expires_at = db_int(s, 7);
        v->accepted_at = db_int(s, 8);
        v->status = invitation_status_at(v->status, v->expires_at, in->now);
    }
    return db_done(s);
}

kite_err invitation_list(const kite_ctx *ctx, arena *a, const account *caller, invitation **items, size_t *count)
{
    if (caller->role != ROLE_RESIDENT && caller->role != ROLE_CONTACT)
        return KITE_ERR_FORBIDDEN;
    struct list_invitations in = {a, caller, clock_now_ms(&ctx->clock), NULL, 0};
    kite_err err = db_read(ctx->store, list_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

struct preview {
    arena *a;
    const char *token_hash;
    int64_t now;
    invitation *out;
    bool found;
};

static kite_err preview_tx(db_conn *conn, void *data)
{
    struct preview *in = data;
    db_stmt *s = db_prepare(conn,
        "SELECT i.id, i.resident_id, r.first_name || ' ' || r.last_name, f.name, i.email, i.status, i.created_at,"
        " i.expires_at, COALESCE(i.accepted_at, 0) FROM invitations i JOIN residents r ON r.id = i.resident_id"
        " JOIN facilities f ON f.id = r.facility_id WHERE i.token_hash = $1");
    db_bind_text(s, 1, in->token_hash);
    in->found = db_next(s);
    if (in->found) {
        invitation *v = in->out;
        invitation_status stored = INVITATION_REVOKED;
        (void)invitation_status_parse(db_text(s, 5), &stored);
        *v = (invitation){db_int(s, 0), db_int(s, 1), arena_strdup(in->a, db_text(s, 2)), arena_strdup(in->a, db_text(s, 3)),
                          arena_strdup(in->a, db_text(s, 4)), invitation_status_at(stored, db_int(s, 7), in->now),
                          db_int(s, 6), db_int(s, 7), db_int(s, 8)};
    }
    return db_done(s);
}

kite_err invitation_preview(const kite_ctx *ctx, arena *a, const char *token, invitation *out)
{
    if (token == NULL || strlen(token) != SECRET_TOKEN_HEX - 1)
        return KITE_ERR_NOT_FOUND;
    char token_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(token, strlen(token), token_hash);
    struct preview in = {a, token_hash, clock_now_ms(&ctx->clock), out, false};
    kite_err err = db_read(ctx->store, preview_tx, &in);
    return err != KITE_OK ? err : in.found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

/* ---- a resident withdraws a pending invitation ---- */

struct cancel_invitation {
    arena *a;
    const account *caller;
    int64_t id;
    int64_t now;
};

static kite_err cancel_tx(db_conn *conn, void *data)
{
    struct cancel_invitation *in = data;
    resident r;
    kite_err err = resident_load_by_account(conn, in->a, in->caller->id, &r);
    if (err != KITE_OK)
        return err == KITE_ERR_NOT_FOUND ? KITE_ERR_FORBIDDEN : err;
    db_stmt *s = db_prepare(conn, "SELECT status FROM invitations WHERE id = $1 AND resident_id = $2");
    db_bind_int(s, 1, in->id);
    db_bind_int(s, 2, r.id);
    bool found = db_next(s);
    invitation_status status = INVITATION_REVOKED;
    bool pending = found && invitation_status_parse(db_text(s, 0), &status) && status == INVITATION_PENDING;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    if (!found)
        return KITE_ERR_NOT_FOUND; /* another resident's invitation is not there for this one */
    if (!pending)
        return KITE_ERR_ALREADY_DECIDED;
    db_stmt *revoke = db_prepare(conn, "UPDATE invitations SET status = $1 WHERE id = $2 AND status = $3");
    db_bind_text(revoke, 1, invitation_status_name(INVITATION_REVOKED));
    db_bind_int(revoke, 2, in->id);
    db_bind_text(revoke, 3, invitation_status_name(INVITATION_PENDING));
    if ((err = db_exec(revoke)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id), "invitation.cancel",
                        audit_target(in->a, "invitation", in->id), arena_sprintf(in->a, "resident=%" PRId64, r.id));
}

kite_err invitation_cancel(const kite_ctx *ctx, arena *a, const account *resident_account, int64_t id)
{
    if (resident_account->role != ROLE_RESIDENT)
        return KITE_ERR_FORBIDDEN;
    struct cancel_invitation in = {a, resident_account, id, clock_now_ms(&ctx->clock)};
    return db_write(ctx->store, cancel_tx, &in);
}
