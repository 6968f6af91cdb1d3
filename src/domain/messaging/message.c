/*
 * message.c - sending, listing, reading and hiding messages (export.c exports them).
 *
 * SECURITY: subject and body come from the network.  They are checked for
 * UTF-8 and control characters, measured in characters against the policy,
 * stored as given (never interpreted), and shown to staff before delivery.
 */
#include "domain/messaging/message.h"

#include "core/secret.h"
#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/contacts/contact_rules.h"
#include "domain/contacts/contact_state.h"
#include "domain/counsel/attorney.h"
#include "domain/identity/email_verify.h"
#include "domain/messaging/attachment.h"
#include "domain/messaging/message_charge.h"
#include "domain/messaging/message_store.h"
#include "mail/notice.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS (60LL * 60 * 1000)
/* The hours send_tally keeps an account: the current one and the 24 before it. */
enum { TALLY_HOURS = 25 };

/* ---- sending ---- */

static kite_err message_run(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft,
                            bool quote_only, message *out, bool *replayed, message_charge *charge, kite_fault *fault);

static bool text_has_bad_controls(const char *s, bool allow_newlines)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7F)
            return true;
    }
    return false;
}

struct send {
    const kite_ctx *ctx;
    arena *a;
    const account *sender;
    const message_draft *draft;
    const char *request_hash;
    int64_t now;
    message *out;
    bool replayed;
    int64_t limit;
    message_charge *charge; /* the price, also when refused for it */
    kite_fault *fault;
    bool quote_only;        /* price the draft and write nothing */
    int64_t videos;         /* of the draft's attachments, how many are videos (check_attachments) */
    int64_t *video_ids;     /* and which (arena) */
};

/* Earlier answer for this idempotency key: KITE_OK with *message_id, or KITE_ERR_NOT_FOUND. */
static kite_err idempotent_replay(struct send *in, db_conn *conn, int64_t *message_id)
{
    db_stmt *s = db_prepare(conn,
        "SELECT endpoint, request_hash, response FROM idempotency_keys WHERE account_id = $1 AND key = $2");
    db_bind_int(s, 1, in->sender->id);
    db_bind_text(s, 2, in->draft->idempotency_key);
    bool found = db_next(s);
    bool same = found && strcmp(db_text(s, 0), "messages") == 0 && strcmp(db_text(s, 1), in->request_hash) == 0;
    if (same)
        *message_id = strtoll(db_text(s, 2), NULL, 10);
    kite_err err = db_done(s);
    if (err != KITE_OK)
        return err;
    return !found ? KITE_ERR_NOT_FOUND : same ? KITE_OK : KITE_ERR_IDEMPOTENCY_KEY_REUSED;
}

/*
 * The draft's attachments: each the sender's own and unsent; photos within
 * the photo rules (attachments_allowed, max_attachments, attachment_max_bytes),
 * videos within the video rule (videos_allowed, one per message).  Counts
 * the videos into in->videos for the price.
 */
static kite_err check_attachments(struct send *in, db_conn *conn, const policy *p)
{
    const message_draft *d = in->draft;
    in->videos = 0;
    in->video_ids = arena_alloc(in->a, MESSAGE_MAX_ATTACHMENTS * sizeof *in->video_ids);
    if (d->attachment_count == 0)
        return KITE_OK;
    if (!p->attachments_allowed && !p->videos_allowed)
        return KITE_ERR_ATTACHMENTS_NOT_ALLOWED;
    int64_t photos = 0;
    for (size_t i = 0; i < d->attachment_count; i++) {
        db_stmt *s = db_prepare(conn, "SELECT size_bytes, kind FROM attachments WHERE id = $1 AND owner_account_id = $2"
                                      " AND message_id IS NULL");
        db_bind_int(s, 1, d->attachment_ids[i]);
        db_bind_int(s, 2, in->sender->id);
        bool mine = db_next(s);
        int64_t size = mine ? db_int(s, 0) : 0;
        attachment_kind kind = mine ? attachment_kind_parse(db_text(s, 1)) : ATTACHMENT_PHOTO;
        kite_err err = db_done(s);
        if (err != KITE_OK)
            return err;
        /* What is not the sender's unsent upload would be a photo: where photos are not taken, that is the answer. */
        if (!mine)
            return p->attachments_allowed ? KITE_ERR_INVALID_FIELD : KITE_ERR_ATTACHMENTS_NOT_ALLOWED;
        if (kind == ATTACHMENT_VIDEO) {
            if (in->videos < MESSAGE_MAX_ATTACHMENTS)
                in->video_ids[in->videos++] = d->attachment_ids[i];
            continue;
        }
        photos++;
        if (size > p->attachment_max_bytes)
            return KITE_ERR_ATTACHMENTS_NOT_ALLOWED;
    }
    if (in->videos > 0 && !p->videos_allowed)
        return fault_set(in->fault, KITE_ERR_ATTACHMENTS_NOT_ALLOWED, NULL, FAULT_VIDEOS_NOT_ALLOWED);
    if (in->videos > 1)
        return fault_set(in->fault, KITE_ERR_ATTACHMENTS_NOT_ALLOWED, NULL, FAULT_ONE_VIDEO);
    if (photos > 0 && (!p->attachments_allowed || photos > p->max_attachments))
        return KITE_ERR_ATTACHMENTS_NOT_ALLOWED;
    return KITE_OK;
}

/*
 * The daily limit, counted by the hour in send_tally (migration 15): the
 * current hour and the 24 before it, so a message counts for 24 to 25 hours
 * after it was sent, never less: nobody sends more than the limit in any 24
 * hours, and the check reads at most 25 rows, however much the sender sent.
 * Both run in the send's write transaction, so a burst cannot slip between
 * the count and the insert it allows.
 */
static kite_err daily_limit_check(db_conn *conn, int64_t sender_id, int64_t now, int64_t limit)
{
    db_stmt *s = db_prepare(conn, "SELECT COALESCE(SUM(sent), 0) FROM send_tally WHERE account_id = $1 AND hour >= $2");
    db_bind_int(s, 1, sender_id);
    db_bind_int(s, 2, now / HOUR_MS - TALLY_HOURS + 1);
    int64_t sent = db_next(s) ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    return err != KITE_OK ? err : sent >= limit ? KITE_ERR_DAILY_LIMIT_REACHED : KITE_OK;
}

/* Runs a send_tally statement on the sender's row for the hour of `at` ($1 account, $2 slot, $3 hour). */
static kite_err exec_tally(db_stmt *s, int64_t sender_id, int64_t at)
{
    int64_t hour = at / HOUR_MS;
    db_bind_int(s, 1, sender_id);
    db_bind_int(s, 2, hour % TALLY_HOURS);
    db_bind_int(s, 3, hour);
    return db_exec(s);
}

/* One more message in the sender's hour; the slot of an hour 25 hours gone starts again at 1. */
static kite_err daily_tally_add(db_conn *conn, int64_t sender_id, int64_t now)
{
    db_stmt *s = db_prepare(conn,
        "INSERT INTO send_tally (account_id, slot, hour, sent) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (account_id, slot) DO UPDATE SET"
        " sent = CASE WHEN send_tally.hour = excluded.hour THEN send_tally.sent + 1 ELSE 1 END, hour = excluded.hour");
    return exec_tally(s, sender_id, now);
}

/* A withdrawn message stops counting: one less in the hour it was sent, while that hour is still tallied. */
static kite_err daily_tally_remove(db_conn *conn, int64_t sender_id, int64_t sent_at)
{
    db_stmt *s = db_prepare(conn,
        "UPDATE send_tally SET sent = sent - 1 WHERE account_id = $1 AND slot = $2 AND hour = $3 AND sent > 0");
    return exec_tally(s, sender_id, sent_at);
}

/* The message row as it ends this transaction: its status, times and price are final here, never updated after. */
static kite_err insert_message(struct send *in, db_conn *conn, message *m, const rule_match *matches, size_t nmatch)
{
    const message_charge *c = in->charge;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO messages (contact_id, facility_id, resident_id, sender_account_id, recipient_account_id,"
        " direction, subject, body, status, held, flagged, price_cents, price_amount, price_unit, created_at,"
        " decided_at, delivered_at, privileged)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $12, $9, $10, $13, $14, $15, $11, $16, $17, $18) RETURNING id");
    db_bind_int(s, 1, m->contact_id);
    db_bind_int(s, 2, m->facility_id);
    db_bind_int(s, 3, m->resident_id);
    db_bind_int(s, 4, m->sender_account_id);
    db_bind_int(s, 5, m->recipient_account_id);
    db_bind_text(s, 6, message_direction_name(m->direction));
    db_bind_text(s, 7, m->subject);
    db_bind_text(s, 8, m->body);
    db_bind_int(s, 9, m->held);
    db_bind_int(s, 10, m->flagged);
    db_bind_int(s, 11, in->now);
    db_bind_text(s, 12, message_status_name(m->status));
    db_bind_int(s, 13, c->price_cents);
    db_bind_int(s, 14, c->amount);
    db_bind_text(s, 15, ledger_unit_name(c->unit));
    if (m->decided_at != 0)
        db_bind_int(s, 16, m->decided_at);
    else
        db_bind_null(s, 16);
    if (m->delivered_at != 0)
        db_bind_int(s, 17, m->delivered_at);
    else
        db_bind_null(s, 17);
    db_bind_int(s, 18, m->privileged);
    m->id = db_next(s) ? db_int(s, 0) : 0;
    kite_err err = db_done(s);
    for (size_t i = 0; err == KITE_OK && i < nmatch; i++) {
        db_stmt *x = db_prepare(conn,
            "INSERT INTO message_rule_matches (message_id, rule_id, action, matched, facility_id)"
            " VALUES ($1, $2, $3, $4, $5)");
        db_bind_int(x, 1, m->id);
        db_bind_int(x, 2, matches[i].rule_id);
        db_bind_text(x, 3, rule_action_name(matches[i].action));
        db_bind_text(x, 4, matches[i].matched);
        db_bind_int(x, 5, m->facility_id);
        err = db_exec(x);
    }
    for (size_t i = 0; err == KITE_OK && i < in->draft->attachment_count; i++) {
        db_stmt *at = db_prepare(conn, "UPDATE attachments SET message_id = $1, facility_id = $3 WHERE id = $2");
        db_bind_int(at, 1, m->id);
        db_bind_int(at, 2, in->draft->attachment_ids[i]);
        db_bind_int(at, 3, m->facility_id);
        err = db_exec(at);
    }
    if (err == KITE_OK && in->draft->idempotency_key != NULL) {
        db_stmt *key = db_prepare(conn,
            "INSERT INTO idempotency_keys (account_id, key, endpoint, request_hash, status, response, created_at)"
            " VALUES ($1, $2, 'messages', $3, 202, $4, $5)");
        db_bind_int(key, 1, in->sender->id);
        db_bind_text(key, 2, in->draft->idempotency_key);
        db_bind_text(key, 3, in->request_hash);
        db_bind_text(key, 4, arena_sprintf(in->a, "%" PRId64, m->id));
        db_bind_int(key, 5, in->now);
        err = db_exec(key);
    }
    return err;
}

/* A repeat of an earlier request with the same key answers with its message; KITE_ERR_NOT_FOUND: send anew. */
static kite_err replay_earlier(struct send *in, db_conn *conn)
{
    if (in->draft->idempotency_key == NULL)
        return KITE_ERR_NOT_FOUND;
    int64_t earlier = 0;
    kite_err err = idempotent_replay(in, conn, &earlier);
    if (err != KITE_OK)
        return err;
    in->replayed = true;
    err = message_load(conn, in->a, earlier, in->out);
    return err != KITE_OK ? err : message_load_details(conn, in->a, in->out);
}

/* The contact a draft goes over, seen from the sender's side. */
struct send_contact {
    int64_t resident_id, contact_account, resident_account;
    const char *contact_email;
    const char *contact_name, *resident_name; /* the accounts' names, as a message shows them */
};

/* Loads the draft's contact; it must be active (KITE_ERR_CONTACT_BLOCKED, KITE_ERR_CONTACT_NOT_ACTIVE). */
static kite_err load_send_contact(struct send *in, db_conn *conn, struct send_contact *out)
{
    db_stmt *c = db_prepare(conn,
        "SELECT c.status, c.resident_id, c.contact_account_id, r.account_id, a.email, a.full_name, ra.full_name"
        " FROM contacts c JOIN residents r ON r.id = c.resident_id JOIN accounts a ON a.id = c.contact_account_id"
        " JOIN accounts ra ON ra.id = r.account_id"
        " WHERE c.id = $1 AND (c.contact_account_id = $2 OR r.account_id = $2)");
    db_bind_int(c, 1, in->draft->contact_id);
    db_bind_int(c, 2, in->sender->id);
    bool found = db_next(c);
    contact_status status = CONTACT_REMOVED; /* rows hold only names from the table; were one not: not active */
    if (found) {
        (void)contact_status_parse(db_text(c, 0), &status);
        *out = (struct send_contact){db_int(c, 1), db_int(c, 2), db_int(c, 3), arena_strdup(in->a, db_text(c, 4)),
                                     arena_strdup(in->a, db_text(c, 5)), arena_strdup(in->a, db_text(c, 6))};
    }
    kite_err err = db_done(c);
    if (err != KITE_OK)
        return err;
    return found ? rules_contact_open(status) : KITE_ERR_NOT_FOUND;
}

/* What the facility's policy says of this draft, checked in the order a person would want to hear it. */
static kite_err check_against_policy(struct send *in, db_conn *conn, const resident_place *place)
{
    kite_err err = rules_reachable(place);
    if (err != KITE_OK)
        return err;
    if ((int64_t)utf8_length(in->draft->body) > place->p.message_max_chars) {
        in->limit = place->p.message_max_chars;
        return KITE_ERR_MESSAGE_TOO_LONG;
    }
    if ((err = check_attachments(in, conn, &place->p)) != KITE_OK)
        return err;
    return daily_limit_check(conn, in->sender->id, in->now, place->p.daily_send_limit);
}

/* The new message in *m (pending review), flagged or held by what the facility's rules matched. */
static kite_err compose_and_screen(struct send *in, db_conn *conn, const struct send_contact *c,
                                   const resident_place *place, message *m, rule_match **matches, size_t *nmatch)
{
    const message_draft *d = in->draft;
    bool from_resident = in->sender->id == c->resident_account;
    memset(m, 0, sizeof *m);
    m->contact_id = d->contact_id;
    m->facility_id = place->r.facility_id;
    m->resident_id = c->resident_id;
    m->sender_account_id = in->sender->id;
    m->recipient_account_id = from_resident ? c->contact_account : c->resident_account;
    m->direction = from_resident ? MESSAGE_FROM_RESIDENT : MESSAGE_TO_RESIDENT;
    m->sender_name = from_resident ? c->resident_name : c->contact_name;
    m->recipient_name = from_resident ? c->contact_name : c->resident_name;
    m->subject = d->subject;
    m->body = d->body;
    m->size_bytes = (int64_t)(strlen(d->subject) + strlen(d->body));
    m->status = MESSAGE_PENDING_REVIEW;
    m->created_at = in->now;
    *matches = NULL;
    *nmatch = 0;
    /* Legal mail over a verified attorney's contact is screened for nothing (docs/privilege.md). */
    kite_err err = counsel_account_verified(conn, c->contact_account, &m->privileged);
    if (err != KITE_OK || m->privileged)
        return err;
    screening_subject subject = {place->r.facility_id, place->r.resident_number, c->contact_email, d->subject, d->body};
    if ((err = screening_run(conn, in->a, &subject, matches, nmatch)) != KITE_OK)
        return err;
    for (size_t i = 0; i < *nmatch; i++) {
        m->flagged = true;
        m->held = m->held || (*matches)[i].action == RULE_HOLD;
    }
    return KITE_OK;
}

/*
 * Clean, and this facility reviews only what its rules flag: approved and
 * delivered at once.  The row is written in its last state (no UPDATE after
 * the INSERT) and its history still shows each step.
 */
static kite_err release_unreviewed(struct send *in, message *m)
{
    if (!message_transition_allowed(MESSAGE_PENDING_REVIEW, MESSAGE_APPROVED) ||
        !message_transition_allowed(MESSAGE_APPROVED, MESSAGE_DELIVERED))
        return KITE_ERR_CONFLICT;
    m->status = MESSAGE_DELIVERED;
    m->decided_at = in->now;
    m->delivered_at = in->now;
    return KITE_OK;
}

/* What a reader of the new message is shown, from what this transaction wrote: no reading it back. */
static void describe_sent(struct send *in, message *m, const message_event *steps, size_t nsteps,
                          const rule_match *matches, size_t nmatch)
{
    const message_charge *c = in->charge;
    m->price_cents = c->price_cents;
    m->price_amount = c->amount;
    m->price_unit = c->unit;
    m->has_hold = c->amount > 0;
    if (m->has_hold) {
        m->hold_state = m->status == MESSAGE_DELIVERED ? LEDGER_CAPTURED : LEDGER_HELD;
        m->hold_amount = c->amount;
        m->hold_unit = c->unit;
        m->hold_created_at = in->now;
        m->hold_settled_at = m->status == MESSAGE_DELIVERED ? in->now : 0;
    }
    m->events = arena_alloc(in->a, nsteps * sizeof *m->events);
    memcpy(m->events, steps, nsteps * sizeof *m->events);
    m->event_count = nsteps;
    /* As message_load_details shows them: by rule id (screening runs the rules in that order), at most 16. */
    m->match_count = nmatch < MESSAGE_MATCHES_SHOWN ? nmatch : MESSAGE_MATCHES_SHOWN;
    m->matches = arena_alloc(in->a, (m->match_count ? m->match_count : 1) * sizeof *m->matches);
    if (m->match_count > 0)
        memcpy(m->matches, matches, m->match_count * sizeof *m->matches);
    const message_draft *d = in->draft;
    m->attachment_ids = arena_alloc(in->a, MESSAGE_MAX_ATTACHMENTS * sizeof *m->attachment_ids);
    for (size_t i = 0; i < d->attachment_count && i < MESSAGE_MAX_ATTACHMENTS; i++) {
        size_t j = m->attachment_count++;
        for (; j > 0 && m->attachment_ids[j - 1] > d->attachment_ids[i]; j--)
            m->attachment_ids[j] = m->attachment_ids[j - 1];
        m->attachment_ids[j] = d->attachment_ids[i];
    }
    m->video_ids = in->video_ids;
    m->video_count = (size_t)in->videos;
}

/* The fault for a price that is no longer the one the client showed: from what it showed to what it is now. */
static kite_err price_changed(struct send *in)
{
    const message_charge *c = in->charge;
    fault_detail d = c->unit == LEDGER_UNIT_STAMPS    ? FAULT_PRICE_CHANGED_STAMPS
                     : c->unit == LEDGER_UNIT_CREDITS ? FAULT_PRICE_CHANGED_CREDITS
                                                      : FAULT_PRICE_CHANGED_CENTS;
    fault_set(in->fault, KITE_ERR_CONFLICT, "expected_amount", d);
    in->fault->min = in->draft->expected_amount;
    in->fault->max = c->amount;
    return KITE_ERR_CONFLICT;
}

/* What the draft costs its sender; refused when the price changed since shown, or cannot be paid. */
static kite_err price_draft(struct send *in, db_conn *conn, const struct send_contact *c, const resident_place *place)
{
    bool from_resident = in->sender->id == c->resident_account;
    message_payer payer = {place->r.facility_id, in->sender->id, c->resident_id, from_resident,
                           place->p.profile == PROFILE_FEDERAL};
    message_shape shape = {in->draft->body, (int64_t)in->draft->attachment_count - in->videos, in->videos,
                           in->draft->with_reply_stamp};
    kite_err err = message_charge_quote(conn, in->a, in->now, &payer, &shape, in->charge, in->fault);
    /*
     * The price is shown to anyone (prices before paying); sending what costs the contact anything
     * waits for a proven address (email_verify.h).
     */
    if (err != KITE_OK || in->quote_only)
        return err;
    if (!from_resident && (in->charge->amount > 0 || in->charge->needs_subscription) &&
        (err = email_verify_require(in->sender, in->fault)) != KITE_OK)
        return err;
    const message_draft *d = in->draft;
    if (d->has_expected && (d->expected_amount != in->charge->amount || d->expected_unit != in->charge->unit))
        return price_changed(in);
    return message_charge_check(in->charge, in->fault);
}

static kite_err send_steps(struct send *in, db_conn *conn)
{
    kite_err err = in->quote_only ? KITE_ERR_NOT_FOUND : replay_earlier(in, conn);
    if (err != KITE_ERR_NOT_FOUND || in->replayed)
        return err; /* replayed, or failed */
    struct send_contact c;
    resident_place place;
    if ((err = load_send_contact(in, conn, &c)) != KITE_OK ||
        (err = rules_load_place(conn, in->a, c.resident_id, &place)) != KITE_OK ||
        (err = check_against_policy(in, conn, &place)) != KITE_OK ||
        (err = price_draft(in, conn, &c, &place)) != KITE_OK || in->quote_only)
        return err;
    message *m = in->out;
    rule_match *matches;
    size_t nmatch;
    if ((err = compose_and_screen(in, conn, &c, &place, m, &matches, &nmatch)) != KITE_OK)
        return err;
    const char *actor = audit_actor_account(in->a, in->sender->id);
    message_event steps[3] = {{MESSAGE_PENDING_REVIEW, in->now, actor}};
    size_t nsteps = 1;
    /* Privileged mail is reviewed by nobody: its history names why it skipped review ("privileged"). */
    if (m->privileged || (place.p.review == REVIEW_FLAGGED_ONLY && !m->flagged)) {
        const char *by = m->privileged ? MESSAGE_ACTOR_PRIVILEGED : "system";
        if ((err = release_unreviewed(in, m)) != KITE_OK)
            return err;
        steps[nsteps++] = (message_event){MESSAGE_APPROVED, in->now, by};
        steps[nsteps++] = (message_event){MESSAGE_DELIVERED, in->now, by};
    }
    /* The same writes, in the same order, as pending review -> approved -> delivered one at a time. */
    if ((err = insert_message(in, conn, m, matches, nmatch)) != KITE_OK ||
        (err = daily_tally_add(conn, in->sender->id, in->now)) != KITE_OK ||
        (err = message_charge_hold(conn, in->now, actor, m->id, in->charge)) != KITE_OK ||
        (err = message_record_send(conn, in->a, m, steps, nsteps)) != KITE_OK)
        return err;
    /* From a resident, the recipient is the contact, whose email load_send_contact read. */
    const char *recipient_email = m->direction == MESSAGE_FROM_RESIDENT ? c.contact_email : NULL;
    if (m->status == MESSAGE_DELIVERED &&
        (err = message_delivered(conn, in->ctx, in->a, m, in->now, "system", recipient_email)) != KITE_OK)
        return err;
    describe_sent(in, m, steps, nsteps, matches, nmatch);
    return KITE_OK;
}

static kite_err send_tx(db_conn *conn, void *data)
{
    /* The send's audit records go to the store together, at its end (audit.h). */
    audit_defer_begin(conn);
    return audit_defer_end(conn, send_steps(data, conn));
}

kite_err message_send(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft, message *out,
                      bool *replayed, kite_fault *fault)
{
    message_charge charge;
    return message_send_priced(ctx, a, sender, draft, out, replayed, &charge, fault);
}

kite_err message_quote(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft,
                       message_charge *charge, kite_fault *fault)
{
    message m;
    bool replayed;
    return message_run(ctx, a, sender, draft, true, &m, &replayed, charge, fault);
}

kite_err message_send_priced(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft,
                             message *out, bool *replayed, message_charge *charge, kite_fault *fault)
{
    return message_run(ctx, a, sender, draft, false, out, replayed, charge, fault);
}

/* A send, or its quote (quote_only: the same checks and price, nothing written). */
static kite_err message_run(const kite_ctx *ctx, arena *a, const account *sender, const message_draft *draft,
                            bool quote_only, message *out, bool *replayed, message_charge *charge, kite_fault *fault)
{
    *replayed = false;
    *fault = (kite_fault){0};
    *charge = (message_charge){0};
    if (sender->role != ROLE_CONTACT && sender->role != ROLE_RESIDENT)
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    message_draft d = *draft;
    d.subject = text_trim(a, draft->subject != NULL ? draft->subject : "");
    if (utf8_length(d.subject) > SUBJECT_MAX_CHARS || !utf8_valid(d.subject, strlen(d.subject)) ||
        text_has_bad_controls(d.subject, false)) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "subject", FAULT_LENGTH);
        fault->limit = SUBJECT_MAX_CHARS;
        return KITE_ERR_INVALID_FIELD;
    }
    if (draft->body == NULL || !utf8_valid(draft->body, strlen(draft->body)) || text_has_bad_controls(draft->body, true) ||
        *text_trim(a, draft->body) == '\0')
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "body", FAULT_EMPTY);
    if (draft->attachment_count > MESSAGE_MAX_ATTACHMENTS)
        return fault_settle(fault, KITE_ERR_ATTACHMENTS_NOT_ALLOWED);
    if (draft->idempotency_key != NULL &&
        (strlen(draft->idempotency_key) < 1 || strlen(draft->idempotency_key) > IDEMPOTENCY_KEY_MAX_BYTES)) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "Idempotency-Key", FAULT_LENGTH);
        fault->limit = IDEMPOTENCY_KEY_MAX_BYTES;
        return KITE_ERR_INVALID_FIELD;
    }

    /* Same key, same request: a hash over what the request asks for. */
    const char *request = arena_sprintf(a, "%" PRId64 "\n%s\n%s", d.contact_id, d.subject, d.body);
    for (size_t i = 0; i < d.attachment_count; i++)
        request = arena_sprintf(a, "%s\n%" PRId64, request, d.attachment_ids[i]);
    if (d.with_reply_stamp)
        request = arena_sprintf(a, "%s\nreply", request);
    char request_hash[SECRET_SHA256_HEX];
    secret_sha256_hex(request, strlen(request), request_hash);
    struct send in = {ctx, a, sender, &d, request_hash, clock_now_ms(&ctx->clock), out, false, 0, charge, fault,
                      quote_only, 0, NULL};
    kite_err err = quote_only ? db_read(ctx->store, send_tx, &in) : db_write(ctx->store, send_tx, &in);
    *replayed = in.replayed;
    if (fault->code == err && err != KITE_OK)
        return err; /* the price's own fault: a reply stamp not sold, a changed price, not enough to pay */
    if (err == KITE_ERR_INVALID_FIELD) /* the store refuses only attachments that are not the sender's unsent photos */
        fault_set(fault, err, "attachment_ids", FAULT_UNKNOWN);
    else if (err == KITE_ERR_NOT_FOUND)
        fault_set(fault, err, "contact_id", FAULT_UNKNOWN);
    else if (err == KITE_ERR_MESSAGE_TOO_LONG) {
        fault_set(fault, err, "body", FAULT_LENGTH);
        fault->limit = in.limit;
    }
    return fault_settle(fault, err);
}

/* ---- reading ---- */

static bool is_staff_in_scope(const account *caller, const message *m)
{
    return caller->role == ROLE_OPERATOR ||
           (role_is_facility_staff(caller->role) && caller->facility_id == m->facility_id);
}

static bool visible_to(const account *caller, const message *m)
{
    if (caller->id == m->sender_account_id)
        return true;
    if (caller->id == m->recipient_account_id)
        return message_status_visible_to_recipient(m->status);
    return is_staff_in_scope(caller, m);
}

struct list_messages {
    arena *a;
    const account *caller;
    message_box box;
    int64_t contact_id;
    int64_t cursor_time, cursor_id;
    size_t limit;
    message_page *out;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_messages *in = data;
    const char *sql;
    /* Each box reads its index in the ORDER BY's order and stops at the page; the row value lets a cursor seek. */
    if (in->box == BOX_INBOX)
        sql = MESSAGE_SELECT " WHERE m.recipient_account_id = $1 AND m.status IN ('delivered', 'read')"
                             " AND (m.delivered_at, m.id) < ($2, $3)"
                             " AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = m.id AND h.account_id = $1)"
                             " ORDER BY m.delivered_at DESC, m.id DESC LIMIT $4";
    else if (in->box == BOX_SENT)
        sql = MESSAGE_SELECT " WHERE m.sender_account_id = $1 AND m.id < $3"
                             " AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = m.id AND h.account_id = $1)"
                             " ORDER BY m.id DESC LIMIT $4";
    else
        sql = MESSAGE_SELECT " WHERE m.contact_id = $5 AND m.id < $3"
                             " AND (m.sender_account_id = $1 OR (m.recipient_account_id = $1 AND m.status IN ('delivered', 'read')))"
                             " AND NOT EXISTS (SELECT 1 FROM message_hidden h WHERE h.message_id = m.id AND h.account_id = $1)"
                             " ORDER BY m.id DESC LIMIT $4";
    db_stmt *s = db_prepare(conn, sql);
    db_bind_int(s, 1, in->caller->id);
    if (in->box == BOX_INBOX)
        db_bind_int(s, 2, in->cursor_time);
    db_bind_int(s, 3, in->cursor_id);
    db_bind_int(s, 4, (int64_t)in->limit + 1);
    if (in->box == BOX_THREAD)
        db_bind_int(s, 5, in->contact_id);
    message_page *page = in->out;
    page->items = arena_alloc(in->a, (in->limit + 1) * sizeof *page->items);
    while (db_next(s))
        message_read_row(s, in->a, &page->items[page->count++]);
    kite_err err = db_done(s);
    if (err != KITE_OK ||
        (err = message_load_details_for(conn, in->a, page->items, page->count < in->limit ? page->count : in->limit,
                                        in->caller)) != KITE_OK)
        return err;
    if (page->count > in->limit) {
        page->count = in->limit;
        const message *last = &page->items[in->limit - 1];
        page->next_cursor = in->box == BOX_INBOX ? arena_sprintf(in->a, "%" PRId64 ".%" PRId64, last->delivered_at, last->id)
                                                 : arena_sprintf(in->a, "%" PRId64, last->id);
    }
    /*
     * The unread count steps through the unread messages' index and takes away
     * those the caller hid, found from the caller's own hides: no lookup per
     * unread message.
     */
    db_stmt *unread = db_prepare(conn, in->box == BOX_THREAD
        ? "SELECT (SELECT COUNT(*) FROM messages WHERE recipient_account_id = $1 AND status = 'delivered' AND contact_id = $2)"
          " - (SELECT COUNT(*) FROM message_hidden h WHERE h.account_id = $1 AND EXISTS (SELECT 1 FROM messages m"
          " WHERE m.id = h.message_id AND m.recipient_account_id = $1 AND m.status = 'delivered' AND m.contact_id = $2))"
        : "SELECT (SELECT COUNT(*) FROM messages WHERE recipient_account_id = $1 AND status = 'delivered')"
          " - (SELECT COUNT(*) FROM message_hidden h WHERE h.account_id = $1 AND EXISTS (SELECT 1 FROM messages m"
          " WHERE m.id = h.message_id AND m.recipient_account_id = $1 AND m.status = 'delivered'))");
    db_bind_int(unread, 1, in->caller->id);
    if (in->box == BOX_THREAD)
        db_bind_int(unread, 2, in->contact_id);
    page->unread = db_next(unread) ? db_int(unread, 0) : 0;
    return db_done(unread);
}

static bool parse_cursor(const char *cursor, message_box box, int64_t *t, int64_t *id)
{
    *t = INT64_MAX;
    *id = INT64_MAX;
    if (cursor == NULL || *cursor == '\0')
        return true;
    char *end;
    long long a = strtoll(cursor, &end, 10);
    if (box == BOX_INBOX) {
        if (*end != '.')
            return false;
        long long b = strtoll(end + 1, &end, 10);
        *t = a;
        *id = b;
    } else {
        *id = a;
    }
    return *end == '\0' && a >= 0;
}

kite_err message_list(const kite_ctx *ctx, arena *a, const account *caller, message_box box, int64_t contact_id,
                      const char *cursor, size_t limit, message_page *out)
{
    memset(out, 0, sizeof *out);
    if (caller->role != ROLE_CONTACT && caller->role != ROLE_RESIDENT)
        return KITE_ERR_FORBIDDEN;
    struct list_messages in = {a, caller, box, contact_id, 0, 0, limit, out};
    if (!parse_cursor(cursor, box, &in.cursor_time, &in.cursor_id))
        return KITE_ERR_INVALID_FIELD;
    return db_read(ctx->store, list_tx, &in);
}

struct get_message {
    const kite_ctx *ctx;
    arena *a;
    const account *caller;
    int64_t id;
    int64_t now;
    message *out;
};

static kite_err get_tx(db_conn *conn, void *data)
{
    struct get_message *in = data;
    kite_err err = message_load(conn, in->a, in->id, in->out);
    if (err != KITE_OK)
        return err;
    if (!visible_to(in->caller, in->out))
        return KITE_ERR_NOT_FOUND;
    if ((err = message_load_details(conn, in->a, in->out)) != KITE_OK)
        return err;
    if (!message_is_party(in->out, in->caller->id))
        message_withhold_content(in->out);
    return KITE_OK;
}

/* Staff reads are part of the record: who read what, when. */
static kite_err staff_read_tx(db_conn *conn, void *data)
{
    struct get_message *in = data;
    /* Of privileged mail staff opened only the fact, and the record says so. */
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id),
                        in->out->privileged ? "message.privileged_fact_read" : "message.staff_read",
                        audit_target(in->a, "message", in->id),
                        arena_sprintf(in->a, "role=%s facility=%" PRId64 "%s", role_name(in->caller->role),
                                      in->out->facility_id, in->out->privileged ? " content=withheld" : ""));
}

kite_err message_get(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, message *out)
{
    struct get_message in = {ctx, a, caller, id, clock_now_ms(&ctx->clock), out};
    /*
     * The message is read without the writer; a staff read then writes its
     * audit record alone, and the message is shown only once that committed.
     */
    kite_err err = db_read(ctx->store, get_tx, &in);
    if (err != KITE_OK || caller->id == out->sender_account_id || caller->id == out->recipient_account_id)
        return err;
    return db_write(ctx->store, staff_read_tx, &in);
}

static kite_err read_tx(db_conn *conn, void *data)
{
    struct get_message *in = data;
    kite_err err = message_load(conn, in->a, in->id, in->out);
    if (err != KITE_OK)
        return err;
    if (in->caller->id != in->out->recipient_account_id || !visible_to(in->caller, in->out))
        return KITE_ERR_NOT_FOUND;
    /* Reading a read message again changes nothing. */
    if (message_transition_allowed(in->out->status, MESSAGE_READ)) {
        db_stmt *s = db_prepare(conn, "UPDATE messages SET status = $3, read_at = $1 WHERE id = $2 AND status = $4");
        db_bind_int(s, 1, in->now);
        db_bind_int(s, 2, in->id);
        db_bind_text(s, 3, message_status_name(MESSAGE_READ));
        db_bind_text(s, 4, message_status_name(in->out->status));
        if ((err = db_exec(s)) != KITE_OK)
            return err;
        if ((err = message_record(conn, in->a, in->out, MESSAGE_READ, in->now,
                                  audit_actor_account(in->a, in->caller->id))) != KITE_OK)
            return err;
        in->out->status = MESSAGE_READ;
        in->out->read_at = in->now;
    }
    return message_load_details(conn, in->a, in->out);
}

kite_err message_mark_read(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, message *out)
{
    struct get_message in = {ctx, a, caller, id, clock_now_ms(&ctx->clock), out};
    return db_write(ctx->store, read_tx, &in);
}

static kite_err hide_tx(db_conn *conn, void *data)
{
    struct get_message *in = data;
    kite_err err = message_load(conn, in->a, in->id, in->out);
    if (err != KITE_OK)
        return err;
    bool party = in->caller->id == in->out->sender_account_id ||
                 (in->caller->id == in->out->recipient_account_id && visible_to(in->caller, in->out));
    if (!party)
        return KITE_ERR_NOT_FOUND;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO message_hidden (message_id, account_id, hidden_at, facility_id) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (message_id, account_id) DO NOTHING");
    db_bind_int(s, 1, in->id);
    db_bind_int(s, 2, in->caller->id);
    db_bind_int(s, 3, in->now);
    db_bind_int(s, 4, in->out->facility_id);
    if ((err = db_exec(s)) != KITE_OK)
        return err;
    return audit_append(conn, in->now, audit_actor_account(in->a, in->caller->id), "message.hide",
                        audit_target(in->a, "message", in->id), "hidden from this account only");
}

kite_err message_hide(const kite_ctx *ctx, arena *a, const account *caller, int64_t id)
{
    message m;
    struct get_message in = {ctx, a, caller, id, clock_now_ms(&ctx->clock), &m};
    if (caller->role != ROLE_CONTACT && caller->role != ROLE_RESIDENT)
        return KITE_ERR_FORBIDDEN;
    return db_write(ctx->store, hide_tx, &in);
}

/* ---- withdrawing ---- */

/*
 * The sender takes back a message nobody has reviewed yet.  The status
 * change, its history, event and audit record, and the release of its hold
 * are one transaction: a withdrawn message is never charged.  The status
 * condition on the UPDATE makes a withdrawal and a reviewer's decision that
 * race settle on whichever commits first; the other is refused.
 */
/* m (just loaded, its sender checked) becomes withdrawn and its hold goes back: the one withdrawal path. */
static kite_err withdraw_found(db_conn *conn, arena *a, const message *m, int64_t now, const char *actor)
{
    if (!message_transition_allowed(m->status, MESSAGE_WITHDRAWN))
        return KITE_ERR_ALREADY_DECIDED;
    db_stmt *s = db_prepare(conn, "UPDATE messages SET status = $1, decided_at = $2 WHERE id = $3 AND status = $4");
    db_bind_text(s, 1, message_status_name(MESSAGE_WITHDRAWN));
    db_bind_int(s, 2, now);
    db_bind_int(s, 3, m->id);
    db_bind_text(s, 4, message_status_name(m->status));
    kite_err err = db_exec(s);
    if (err != KITE_OK)
        return err;
    if (db_changes(conn) != 1)
        return KITE_ERR_ALREADY_DECIDED;
    if ((err = message_record(conn, a, m, MESSAGE_WITHDRAWN, now, actor)) != KITE_OK)
        return err;
    if ((err = message_charge_release(conn, now, actor, m->id)) != KITE_OK) /* nobody pays for it */
        return err;
    return daily_tally_remove(conn, m->sender_account_id, m->created_at);
}

static kite_err withdraw_tx(db_conn *conn, void *data)
{
    struct get_message *in = data;
    message *m = in->out;
    kite_err err = message_load(conn, in->a, in->id, m);
    if (err != KITE_OK)
        return err;
    if (in->caller->id != m->sender_account_id)
        return KITE_ERR_NOT_FOUND; /* someone else's message: never say it exists */
    if ((err = withdraw_found(conn, in->a, m, in->now, audit_actor_account(in->a, in->caller->id))) != KITE_OK)
        return err;
    if ((err = message_load(conn, in->a, m->id, m)) != KITE_OK)
        return err;
    return message_load_details(conn, in->a, m);
}

kite_err message_withdraw(const kite_ctx *ctx, arena *a, const account *caller, int64_t id, message *out,
                          kite_fault *fault)
{
    *fault = (kite_fault){0};
    if (caller->role != ROLE_CONTACT && caller->role != ROLE_RESIDENT)
        return fault_settle(fault, KITE_ERR_FORBIDDEN);
    struct get_message in = {ctx, a, caller, id, clock_now_ms(&ctx->clock), out};
    kite_err err = db_write(ctx->store, withdraw_tx, &in);
    return fault_set(fault, err, NULL, err == KITE_ERR_ALREADY_DECIDED ? FAULT_WITHDRAW_TOO_LATE : FAULT_NONE);
}

/* ---- an account that is deleted ---- */

/* The ids of account_id's messages in one direction that are still waiting (pending review or approved). */
static kite_err waiting_ids(db_conn *conn, arena *a, int64_t account_id, bool sent, int64_t **ids, size_t *n)
{
    db_stmt *s = db_prepare(conn, sent ? "SELECT id FROM messages WHERE sender_account_id = $1 AND status IN ($2, $3)"
                                         " ORDER BY id"
                                       : "SELECT id FROM messages WHERE recipient_account_id = $1 AND status IN ($2, $3)"
                                         " ORDER BY id");
    db_bind_int(s, 1, account_id);
    db_bind_text(s, 2, message_status_name(MESSAGE_PENDING_REVIEW));
    db_bind_text(s, 3, message_status_name(MESSAGE_APPROVED));
    size_t cap = 16;
    *n = 0;
    *ids = arena_alloc(a, cap * sizeof **ids);
    while (db_next(s)) {
        *ids = arena_grow(a, *ids, *n, &cap, sizeof **ids);
        (*ids)[(*n)++] = db_int(s, 0);
    }
    return db_done(s);
}

kite_err message_close_for_account(db_conn *conn, arena *a, int64_t account_id, int64_t now, const char *actor,
                                   size_t *closed)
{
    int64_t *ids;
    size_t n;
    *closed = 0;
    kite_err err = waiting_ids(conn, a, account_id, true, &ids, &n);
    for (size_t i = 0; err == KITE_OK && i < n; i++) {
        message m;
        if ((err = message_load(conn, a, ids[i], &m)) == KITE_OK)
            err = withdraw_found(conn, a, &m, now, actor);
    }
    *closed += n;
    if (err != KITE_OK || (err = waiting_ids(conn, a, account_id, false, &ids, &n)) != KITE_OK)
        return err;
    for (size_t i = 0; err == KITE_OK && i < n; i++)
        err = message_close_one(conn, a, ids[i], now, actor, MESSAGE_CONTACT_LEFT_REASON, MESSAGE_CONTACT_LEFT_LABEL);
    *closed += n;
    return err;
}
