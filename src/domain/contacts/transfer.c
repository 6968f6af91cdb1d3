/*
 * transfer.c - a resident moves to another facility, and their contacts
 * follow under its policy or are told who serves it now.
 */
#include "domain/contacts/transfer.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_rules.h"
#include "domain/directory/directory.h"
#include "domain/directory/providers.h"
#include "domain/identity/session.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <string.h>

struct transfer {
    const kite_ctx *ctx;
    arena *a;
    int64_t facility_id;
    const char *number;
    int64_t to_facility_id;
    const char *new_number;
    const char *actor;
    int64_t now;
    transfer_report *out;
    kite_fault *fault;
};

/* The moved-away mail: [0] when Kite does not know the new facility's service, [1] when it does. */
static const notice_text moved_words[2][FAULT_LANG_COUNT] = {
    {[FAULT_LANG_EN] = {"{name} has moved",
                        {"{name} has moved to {facility}. Kite does not serve that facility, so you can no longer "
                         "write to them on Kite.",
                         "Kite does not know yet which service handles messages there: call the facility and ask, "
                         "or write by post with their full name and number.",
                         "Your messages so far stay in your Kite account."},
                        "See where to write now"},
     [FAULT_LANG_ES] = {"{name} cambió de centro",
                        {"{name} ahora está en {facility}. Kite no atiende ese centro, así que ya no puede "
                         "escribirle por Kite.",
                         "Kite todavía no sabe qué servicio lleva los mensajes allí: llame al centro y pregunte, o "
                         "escríbale por correo postal con su nombre completo y su número.",
                         "Los mensajes que ya tiene se quedan en su cuenta de Kite."},
                        "Ver dónde escribirle ahora"}},
    {[FAULT_LANG_EN] = {"{name} has moved",
                        {"{name} has moved to {facility}. Kite does not serve that facility, so you can no longer "
                         "write to them on Kite.",
                         "Messages to that facility go through {service}.",
                         "Your messages so far stay in your Kite account."},
                        "See where to write now"},
     [FAULT_LANG_ES] = {"{name} cambió de centro",
                        {"{name} ahora está en {facility}. Kite no atiende ese centro, así que ya no puede "
                         "escribirle por Kite.",
                         "Los mensajes a ese centro se envían por {service}.",
                         "Los mensajes que ya tiene se quedan en su cuenta de Kite."},
                        "Ver dónde escribirle ahora"}},
};

/* Tells the resident's active contacts that Kite no longer reaches them, and who does. */
static kite_err tell_contacts_moved_away(struct transfer *in, db_conn *conn, const resident_place *place,
                                         const provider *messaging)
{
    db_stmt *s = db_prepare(conn,
        "SELECT a.email, a.lang FROM contacts c JOIN accounts a ON a.id = c.contact_account_id"
        " WHERE c.resident_id = $1 AND c.status = 'active' AND a.email IS NOT NULL");
    db_bind_int(s, 1, place->r.id);
    const char *emails[256];
    fault_lang langs[256];
    size_t n = 0;
    while (n < 256 && db_next(s)) {
        emails[n] = arena_strdup(in->a, db_text(s, 0));
        if (!lang_parse(db_text(s, 1), &langs[n]))
            langs[n] = FAULT_LANG_EN;
        n++;
    }
    kite_err err = db_done(s);
    /* Whether Kite knows the service there decides the second paragraph: two versions of the words. */
    bool known = strcmp(messaging->slug, "unknown") != 0;
    const char *values[] = {"name", arena_sprintf(in->a, "%s %s", place->r.first_name, place->r.last_name),
                            "facility", place->facility_name, "service", messaging->name, NULL};
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        notice note = {.to = emails[i], .kind = "resident_moved", .text = moved_words[known], .values = values,
                       .link_path = arena_sprintf(in->a, "/facilities/%" PRId64, in->to_facility_id), .lang = langs[i]};
        err = notice_enqueue(conn, in->ctx->public_url, in->a, in->now, &note);
    }
    return err;
}

static kite_err count_active_contacts(db_conn *conn, int64_t resident_id, int64_t *out)
{
    db_stmt *count = db_prepare(conn, "SELECT COUNT(*) FROM contacts WHERE resident_id = $1 AND status = 'active'");
    db_bind_int(count, 1, resident_id);
    *out = db_next(count) ? db_int(count, 0) : 0;
    return db_done(count);
}

/*
 * Under the new facility's policy: blocked pairs stop, and the newest contacts
 * over the limit wait (active|suspended -> facility_blocked, active -> suspended;
 * see contact_state.h).
 */
static kite_err recheck_contacts(struct transfer *in, db_conn *conn, const resident_place *place)
{
    db_stmt *blocked = db_prepare(conn,
        "UPDATE contacts SET status = 'facility_blocked', updated_at = $1 WHERE resident_id = $2"
        " AND status IN ('active', 'suspended') AND contact_account_id IN (SELECT a.id FROM accounts a"
        " JOIN facility_blocks b ON b.email = a.email WHERE b.facility_id = $3 AND b.removed_at IS NULL"
        " AND (b.resident_id IS NULL OR b.resident_id = $2))");
    db_bind_int(blocked, 1, in->now);
    db_bind_int(blocked, 2, place->r.id);
    db_bind_int(blocked, 3, place->r.facility_id);
    kite_err err = db_exec(blocked);
    if (err != KITE_OK)
        return err;
    in->out->contacts_suspended += db_changes(conn);
    int64_t active = 0;
    if ((err = count_active_contacts(conn, place->r.id, &active)) != KITE_OK || active <= place->p.contact_limit)
        return err;
    db_stmt *newest = db_prepare(conn,
        "SELECT id FROM contacts WHERE resident_id = $1 AND status = 'active' ORDER BY created_at DESC, id DESC LIMIT $2");
    db_bind_int(newest, 1, place->r.id);
    db_bind_int(newest, 2, active - place->p.contact_limit);
    int64_t *ids = arena_alloc(in->a, (size_t)(active - place->p.contact_limit) * sizeof *ids);
    size_t n = 0;
    while (db_next(newest))
        ids[n++] = db_int(newest, 0);
    if ((err = db_done(newest)) != KITE_OK)
        return err;
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        db_stmt *suspend = db_prepare(conn, "UPDATE contacts SET status = 'suspended', updated_at = $1 WHERE id = $2");
        db_bind_int(suspend, 1, in->now);
        db_bind_int(suspend, 2, ids[i]);
        err = db_exec(suspend);
    }
    in->out->contacts_suspended += (int64_t)n;
    return err;
}

/*
 * The resident's own rows go with them: contacts, invitations and contact
 * requests, ended or not, name the resident's facility now, so that a store
 * distributed by facility keeps a resident and everything theirs together.
 * Messages stay under the facility that reviewed them, and their rows
 * (events, hides, rule matches, attachments, stream events) with them.
 */
static kite_err move_resident_rows(struct transfer *in, db_conn *conn, int64_t resident_id)
{
    static const char *const moves[] = {
        "UPDATE contacts SET facility_id = $1 WHERE resident_id = $2",
        "UPDATE invitations SET facility_id = $1 WHERE resident_id = $2",
        "UPDATE contact_requests SET facility_id = $1 WHERE resident_id = $2",
    };
    kite_err err = KITE_OK;
    for (size_t i = 0; err == KITE_OK && i < sizeof moves / sizeof moves[0]; i++) {
        db_stmt *s = db_prepare(conn, moves[i]);
        db_bind_int(s, 1, in->to_facility_id);
        db_bind_int(s, 2, resident_id);
        err = db_exec(s);
    }
    return err;
}

/* The resident, and their account, now belong to the new facility under `number`. */
static kite_err move_resident(struct transfer *in, db_conn *conn, const resident *r, const char *number)
{
    db_stmt *move = db_prepare(conn,
        "UPDATE residents SET facility_id = $1, resident_number = $2, updated_at = $3 WHERE id = $4");
    db_bind_int(move, 1, in->to_facility_id);
    db_bind_text(move, 2, number);
    db_bind_int(move, 3, in->now);
    db_bind_int(move, 4, r->id);
    kite_err err = db_exec(move);
    if (err != KITE_OK)
        return err == KITE_ERR_CONFLICT ? KITE_ERR_RESIDENT_EXISTS : err;
    db_stmt *acct = db_prepare(conn, "UPDATE accounts SET facility_id = $1, updated_at = $2 WHERE id = $3");
    db_bind_int(acct, 1, in->to_facility_id);
    db_bind_int(acct, 2, in->now);
    db_bind_int(acct, 3, r->account_id);
    if ((err = db_exec(acct)) != KITE_OK)
        return err;
    return move_resident_rows(in, conn, r->id);
}

/* What was pending was asked under the old facility's rules: invitations are revoked, requests cancelled. */
static kite_err end_pending(struct transfer *in, db_conn *conn, int64_t resident_id)
{
    db_stmt *invitations = db_prepare(conn, "UPDATE invitations SET status = 'revoked' WHERE resident_id = $1 AND status = 'pending'");
    db_bind_int(invitations, 1, resident_id);
    kite_err err = db_exec(invitations);
    if (err != KITE_OK)
        return err;
    db_stmt *requests = db_prepare(conn,
        "UPDATE contact_requests SET status = 'cancelled', decided_at = $1, decided_by = 'transfer'"
        " WHERE resident_id = $2 AND status = 'pending'");
    db_bind_int(requests, 1, in->now);
    db_bind_int(requests, 2, resident_id);
    return db_exec(requests);
}

/* Who serves messaging at the new facility (the "unknown" provider when nobody said). */
static kite_err load_messaging_provider(struct transfer *in, db_conn *conn, provider *out)
{
    db_stmt *svc = db_prepare(conn,
        "SELECT p.slug FROM facility_services fs JOIN providers p ON p.id = fs.provider_id"
        " WHERE fs.facility_id = $1 AND fs.service = 'messaging'");
    db_bind_int(svc, 1, in->to_facility_id);
    const char *slug = db_next(svc) ? arena_strdup(in->a, db_text(svc, 0)) : "unknown";
    kite_err err = db_done(svc);
    if (err != KITE_OK)
        return err;
    provider *all;
    size_t n;
    if ((err = providers_list(conn, in->a, &all, &n)) != KITE_OK)
        return err;
    *out = (provider){0, "unknown", "Not known yet", "", NULL, "", ""};
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i].slug, slug) == 0)
            *out = all[i];
    return KITE_OK;
}

static kite_err transfer_tx(db_conn *conn, void *data)
{
    struct transfer *in = data;
    resident r;
    kite_err err = resident_load(conn, in->a, in->facility_id, in->number, &r);
    if (err != KITE_OK)
        return err;
    bool target_exists = false;
    if ((err = directory_facility_exists(conn, in->to_facility_id, &target_exists)) != KITE_OK)
        return err;
    if (!target_exists)
        return fault_set(in->fault, KITE_ERR_INVALID_FIELD, "to_facility_id", FAULT_TRANSFER);
    const char *number = in->new_number != NULL ? text_trim(in->a, in->new_number) : r.resident_number;
    if ((err = move_resident(in, conn, &r, number)) != KITE_OK || (err = end_pending(in, conn, r.id)) != KITE_OK)
        return err;
    /* Another facility: messages sent under the old one and not delivered are rejected, their holds given back. */
    if (in->to_facility_id != in->facility_id && in->ctx->resident_leaving != NULL &&
        (err = in->ctx->resident_leaving(conn, in->a, r.id, in->now, in->actor)) != KITE_OK)
        return err;

    resident_place place;
    if ((err = rules_load_place(conn, in->a, r.id, &place)) != KITE_OK)
        return err;
    in->out->resident_id = r.id;
    in->out->to_platform = place.on_platform;
    if (place.on_platform) {
        if (!policy_resident_number_valid(&place.p, number))
            return fault_set(in->fault, KITE_ERR_INVALID_FIELD, "resident_number", FAULT_TRANSFER);
        if ((err = recheck_contacts(in, conn, &place)) != KITE_OK)
            return err;
    } else {
        /* Sessions on the old facility's tablets end; sign-in stays closed while Kite does not serve them. */
        if ((err = session_end_all(conn, r.account_id, in->now)) != KITE_OK)
            return err;
    }
    provider messaging;
    if ((err = count_active_contacts(conn, r.id, &in->out->contacts_moved)) != KITE_OK ||
        (err = load_messaging_provider(in, conn, &messaging)) != KITE_OK)
        return err;
    in->out->messaging_slug = messaging.slug;
    in->out->messaging_name = messaging.name;
    if (!place.on_platform && (err = tell_contacts_moved_away(in, conn, &place, &messaging)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, in->actor, "resident.transfer", audit_target(in->a, "resident", r.id),
                        arena_sprintf(in->a, "from=%" PRId64 " to=%" PRId64 " number=%s on_platform=%s active=%" PRId64
                                             " suspended=%" PRId64, in->facility_id, in->to_facility_id, number,
                                      place.on_platform ? "yes" : "no", in->out->contacts_moved,
                                      in->out->contacts_suspended));
}

kite_err resident_transfer(const kite_ctx *ctx, arena *a, int64_t facility_id, const char *number,
                           int64_t to_facility_id, const char *new_number, const char *actor, transfer_report *out,
                           kite_fault *fault)
{
    memset(out, 0, sizeof *out);
    *fault = (kite_fault){0};
    if (to_facility_id == facility_id && new_number == NULL)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "to_facility_id", FAULT_TRANSFER);
    struct transfer in = {ctx, a, facility_id, number, to_facility_id, new_number, actor, clock_now_ms(&ctx->clock), out,
                          fault};
    return fault_settle(fault, db_write(ctx->store, transfer_tx, &in));
}
