/*
 * app.h - the HTTP API: routes, and the helpers every resource handler uses.
 *
 * Handlers are flat: the *_or_reply helpers answer the client themselves
 * when something is wrong and return false (or NULL), and the handler just
 * returns.  api/ turns HTTP and JSON into domain calls and back; it holds no
 * SQL.
 */
#ifndef KITE_API_APP_H
#define KITE_API_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/fault.h"
#include "domain/context.h"
#include "domain/messaging/event.h"
#include "domain/facility/policy.h"
#include "domain/facility/resident.h"
#include "domain/identity/session.h"
#include "sandbox/image_sandbox.h"
#include "http/proxy.h"
#include "http/server.h"
#include "payment/processor.h"
#include "media/janus.h"

/* Video visits (kite serve --janus-url …): where the media engine is and what the pages are given. */
typedef struct video_config {
    const janus_config *janus; /* NULL: video is off; joining answers 503 */
    const char *turn_url;      /* a coturn relay offered to browsers, or NULL (loopback and LAN need none) */
    const char *turn_secret;   /* coturn's static-auth-secret: TURN REST credentials are derived from it */
    int64_t bitrate;           /* bits per second a side may send (the room's cap) */
} video_config;

typedef struct kite_app {
    kite_ctx ctx;
    bool cookie_secure; /* add Secure to the session cookie (public URL is https) */
    image_sandbox *images; /* photo helpers (POST /api/v1/attachments); NULL answers 503 there */
    image_sandbox *videos; /* video helpers (the same route, video types), made with video_sandbox_config_defaults */
    event_hub *events;  /* wakes GET /api/v1/events streams; NULL answers 503 there */
    const processor_config *processor; /* card payments (kite serve --processor); NULL: top-ups answer 503 */
    bool processor_is_sandbox;         /* the processor is a local `kite processor-sandbox`: test cards work */
    http_trusted metrics_from;         /* who may read GET /metrics (kite serve --metrics-from); none: nobody */
    video_config video;                /* live video visits (api/visit_live.c) */
} kite_app;

extern const http_route api_routes[];
extern const size_t api_route_count;

/* ---- auth.c ---- */
/*
 * The session token as the caller sent it: "Authorization: Bearer TOKEN"
 * when present, else the kite_session cookie; NULL when neither.
 * *from_cookie (may be NULL) says which, since cookies need the CSRF header.
 */
const char *session_token(http_request *req, bool *from_cookie);
/* The signed-in session, or NULL after answering 401 (or 403 for a missing CSRF header). */
const session *require_session_or_reply(http_request *req, kite_app *app);

#define ROLE_BIT(r) (1u << (unsigned)(r))
#define STAFF_ROLES (ROLE_BIT(ROLE_FACILITY_ADMIN) | ROLE_BIT(ROLE_REVIEWER) | ROLE_BIT(ROLE_INVESTIGATOR))
/* The session when its role is in role_mask; NULL after answering 401 or 403. */
const session *require_role_or_reply(http_request *req, kite_app *app, unsigned role_mask);
/*
 * The same, and the caller may act on facility_id: operators anywhere, staff
 * only in their own facility (another facility answers 404, as if it did not exist).
 */
const session *require_facility_role_or_reply(http_request *req, kite_app *app, int64_t facility_id,
                                              unsigned role_mask);
/*
 * Before anything is paid: true when s may pay (its address is proven, or
 * it is no contact); else false after answering 403 email_not_verified.
 */
bool email_verified_or_reply(http_request *req, const session *s);
/* require_role_or_reply, then email_verified_or_reply: the door of every endpoint that charges or moves money. */
const session *require_payer_or_reply(http_request *req, kite_app *app, unsigned role_mask);
/* "account:ID" for audit records. */
const char *session_actor(http_request *req, const session *s);

/* ---- body.c ---- */
/* The JSON object body, or NULL after answering 400/413. */
json_t *parse_body_or_reply(http_request *req);
/*
 * Reads a string member; required ones answer 422 when missing.  Wrong types,
 * invalid UTF-8 and NUL bytes answer 422 naming the field.  Returns false
 * after answering.  *out is NULL when an optional member is absent.
 */
bool body_string_or_reply(http_request *req, json_t *body, const char *name, bool required, const char **out);
bool body_int_or_reply(http_request *req, json_t *body, const char *name, bool required, int64_t *out, bool *present);
/* A query parameter as an integer in [min, max], or fallback when absent; answers 422 otherwise. */
bool query_int_or_reply(http_request *req, const char *name, int64_t min, int64_t max, int64_t fallback, int64_t *out);
/* The request's Idempotency-Key, which every paid request needs; NULL after answering 422. */
const char *idempotency_key_or_reply(http_request *req);
/* The route's i-th capture as a positive id; answers 404 when it is not one. */
bool param_id_or_reply(http_request *req, size_t i, int64_t *out);
/* Answers a domain error (logs it when it is a server fault). */
void reply_kite_error(http_request *req, kite_err err);
/*
 * Answers a fault: its code, the table's sentence (core/fault.c), its field
 * as the answer's "field", and Retry-After when it carries a delay.  Logs
 * server faults like reply_kite_error.
 */
void reply_fault(http_request *req, const kite_fault *fault);
/* The same for a fault found at the edge (a body member's shape, a query parameter): no numbers. */
void reply_fault_of(http_request *req, kite_err code, const char *field, fault_detail detail);
/* The sentence of a successful answer (a FAULT_NOTE_* detail) in the request's language. */
const char *note_sentence(http_request *req, fault_detail note);

/* ---- json_out.c ---- */
json_t *json_time(int64_t epoch_ms);
json_t *json_string_or_null(const char *s);
json_t *account_to_json(const account *acct);
/* One CSV text field (RFC 4180): always quoted, quotes doubled, a leading formula character defused. */
void csv_text(buf *out, const char *text);

/*
 * A JSON writer for the answers that carry many records (pages of
 * messages): the text is appended to a buf in one pass, with no tree of
 * nodes to allocate, hash and walk again.  The caller writes keys and
 * values in order; the writer places the commas.  Strings are written as
 * given (UTF-8, checked where they came in) with JSON's escapes.
 */
typedef struct json_writer {
    buf *out;
    bool comma; /* a value was written at this level: the next one needs a comma */
} json_writer;

void jw_init(json_writer *w, buf *out);
void jw_object(json_writer *w);
void jw_object_end(json_writer *w);
void jw_array(json_writer *w);
void jw_array_end(json_writer *w);
void jw_key(json_writer *w, const char *key);
/* NULL writes null. */
void jw_string(json_writer *w, const char *s);
void jw_int(json_writer *w, int64_t v);
void jw_bool(json_writer *w, bool v);
void jw_null(json_writer *w);
/* An RFC 3339 time; with jw_time_or_null, 0 (not yet) writes null. */
void jw_time(json_writer *w, int64_t epoch_ms);
void jw_time_or_null(json_writer *w, int64_t epoch_ms);
/* A value already in JSON (e.g. from json_dumps). */
void jw_raw(json_writer *w, const char *json);

/* ---- handlers, one file per resource ---- */
void handle_healthz(http_request *req, void *app);
void handle_investigations_messages(http_request *req, void *data);
void handle_investigations_correspondents(http_request *req, void *data);
void handle_attorneys_create(http_request *req, void *data);
void handle_attorneys_me(http_request *req, void *data);
void handle_attorneys_list(http_request *req, void *data);
void handle_attorneys_verify(http_request *req, void *data);
void handle_attorneys_refuse(http_request *req, void *data);
void handle_two_factor_get(http_request *req, void *data);
void handle_two_factor_begin(http_request *req, void *data);
void handle_two_factor_confirm(http_request *req, void *data);
void handle_two_factor_recovery_codes(http_request *req, void *data);
void handle_account_two_factor_reset(http_request *req, void *data);
void handle_facility_staff_activity(http_request *req, void *data);
void handle_facility_staff_activity_csv(http_request *req, void *data);
/* ---- visits.c, visit_setup.c: video visits (domain/visits/) ---- */
void handle_visits_quote(http_request *req, void *data);
void handle_visits_create(http_request *req, void *data);
void handle_visits_list(http_request *req, void *data);
void handle_visits_get(http_request *req, void *data);
void handle_visits_approve(http_request *req, void *data);
void handle_visits_decline(http_request *req, void *data);
void handle_visits_cancel(http_request *req, void *data);
void handle_visits_reschedule(http_request *req, void *data);
void handle_facility_visits(http_request *req, void *data);
void handle_visit_policy_get(http_request *req, void *data);
void handle_visit_policy_put(http_request *req, void *data);
void handle_visit_rooms_list(http_request *req, void *data);
void handle_visit_rooms_create(http_request *req, void *data);
void handle_visit_slots_list(http_request *req, void *data);
void handle_visit_slots_create(http_request *req, void *data);
void handle_visit_slots_retire(http_request *req, void *data);
void handle_visit_blackouts_list(http_request *req, void *data);
void handle_visit_blackouts_create(http_request *req, void *data);
void handle_visit_blackouts_delete(http_request *req, void *data);
void handle_metrics(http_request *req, void *app);
void handle_openapi(http_request *req, void *app);
void handle_sessions_get_current(http_request *req, void *data);
void handle_sessions_delete_all(http_request *req, void *data);
void handle_me_password(http_request *req, void *data);
void handle_me_email(http_request *req, void *data);
void handle_me_email_verification(http_request *req, void *data);
void handle_email_verifications_confirm(http_request *req, void *data);
void handle_email_changes_confirm(http_request *req, void *data);
void handle_roster_import(http_request *req, void *data);
void handle_password_resets_create(http_request *req, void *data);
void handle_password_resets_confirm(http_request *req, void *data);
void handle_accounts_create(http_request *req, void *app);
void handle_sessions_create(http_request *req, void *app);
void handle_sessions_delete_current(http_request *req, void *app);
void handle_me(http_request *req, void *app);
void handle_me_update(http_request *req, void *app);
void handle_facilities_list(http_request *req, void *app);
void handle_facilities_get(http_request *req, void *app);
void handle_providers_list(http_request *req, void *app);
void handle_policy_get(http_request *req, void *app);
void handle_policy_put(http_request *req, void *app);
void handle_legal_holds_create(http_request *req, void *app);
void handle_legal_holds_list(http_request *req, void *app);
void handle_legal_holds_lift(http_request *req, void *app);

/* ---- visit_live.c: the live video visit through Janus ---- */
void handle_visit_join(http_request *req, void *app);
void handle_visit_live(http_request *req, void *app);
void handle_visit_media(http_request *req, void *app);
void handle_visit_mute(http_request *req, void *app);
void handle_visit_end(http_request *req, void *app);
void handle_staff_create(http_request *req, void *app);
void handle_staff_list(http_request *req, void *app);
void handle_residents_create(http_request *req, void *app);
void handle_residents_list(http_request *req, void *app);
void handle_residents_get(http_request *req, void *app);
void handle_residents_update(http_request *req, void *app);
void handle_invitations_create(http_request *req, void *app);
void handle_invitations_cancel(http_request *req, void *data);
void handle_invitations_list(http_request *req, void *app);
void handle_invitations_accept(http_request *req, void *app);
void handle_invitations_preview(http_request *req, void *app);
void handle_contact_requests_create(http_request *req, void *app);
void handle_contact_requests_list(http_request *req, void *app);
void handle_contact_requests_approve(http_request *req, void *app);
void handle_contact_requests_decline(http_request *req, void *app);
void handle_contacts_list(http_request *req, void *app);
void handle_contacts_get(http_request *req, void *app);
void handle_contacts_delete(http_request *req, void *app);
void handle_blocks_create(http_request *req, void *app);
void handle_blocks_list(http_request *req, void *app);
void handle_blocks_delete(http_request *req, void *app);
void handle_residents_transfer(http_request *req, void *app);
void handle_messages_create(http_request *req, void *app);
void handle_messages_list(http_request *req, void *app);
void handle_messages_get(http_request *req, void *app);
void handle_messages_read(http_request *req, void *app);
void handle_messages_delete(http_request *req, void *app);
void handle_messages_export(http_request *req, void *app);
void handle_review_queue(http_request *req, void *app);
void handle_review_decide(http_request *req, void *app);
void handle_review_bulk(http_request *req, void *app);
void handle_reject_reasons(http_request *req, void *app);
void handle_screening_rules_list(http_request *req, void *app);
void handle_screening_rules_create(http_request *req, void *app);
void handle_screening_rules_delete(http_request *req, void *app);
void handle_attachments_create(http_request *req, void *app);
void handle_attachments_get(http_request *req, void *app);
void handle_attachments_poster(http_request *req, void *app);
/* http_config.max_body_for: photo uploads may be larger than JSON bodies (attachments.c). */
size_t api_max_body_for(const char *method, const char *path);
void handle_events(http_request *req, void *app);
void handle_wallet_get(http_request *req, void *app);
void handle_wallet_top_ups_create(http_request *req, void *app);
void handle_wallet_transactions(http_request *req, void *app);
void handle_wallet_transactions_csv(http_request *req, void *app);
void handle_wallet_bundles_create(http_request *req, void *app);
void handle_messages_quote(http_request *req, void *app);
void handle_trust_deposits_create(http_request *req, void *app);
void handle_wallet_subscriptions_create(http_request *req, void *app);
/* GET /api/v1/wallet's "subscriptions": the contact's active ones (api/subscriptions.c). */
json_t *subscriptions_json(kite_app *app, int64_t account_id);
/* attorneys.c: the caller's own attorney registration for their export, null when none; NULL when the store failed. */
json_t *attorney_export_json(kite_app *app, arena *a, const account *caller);
/* visits.c: the caller's video visits for their export (upcoming, then past; at most 100 each); NULL when the store failed. */
json_t *visits_export_json(kite_app *app, arena *a, const account *caller);
/* Every move of those visits (who, from when to when, the price before and after); NULL when the store fails. */
json_t *visit_moves_export_json(kite_app *app, arena *a, const account *caller);
void handle_facility_prices(http_request *req, void *app);
/* ---- phone.c ---- */
void handle_phone_keys_list(http_request *req, void *app);
void handle_phone_keys_create(http_request *req, void *app);
void handle_phone_keys_revoke(http_request *req, void *app);
void handle_phone_calls_create(http_request *req, void *app);
void handle_phone_accounts_list(http_request *req, void *app);
void handle_phone_accounts_create(http_request *req, void *app);
void handle_phone_accounts_get(http_request *req, void *app);
void handle_phone_deposits_create(http_request *req, void *app);
void handle_phone_refunds_create(http_request *req, void *app);
void handle_money_transfers_quote(http_request *req, void *app);
void handle_money_transfers_create(http_request *req, void *app);
void handle_money_transfers_list(http_request *req, void *app);
void handle_terminal_heartbeat(http_request *req, void *app);
void handle_facility_prices_put(http_request *req, void *app);
void handle_facility_revenue(http_request *req, void *app);
void handle_facility_revenue_csv(http_request *req, void *app);
void handle_messages_withdraw(http_request *req, void *app);
json_t *policy_to_json(const policy *p);
/* ---- privacy.c: GET /api/v1/me/export, DELETE /api/v1/me, and the shapes they borrow ---- */
void handle_me_export(http_request *req, void *app);
void handle_me_delete(http_request *req, void *app);
struct contact_view;
struct contact_request;
struct money_transfer;
struct phone_account;
struct message;
json_t *contact_to_json(const struct contact_view *c, fault_lang lang);    /* contacts.c; names as lang reads them */
json_t *request_to_json(const struct contact_request *q, fault_lang lang); /* contacts.c */
json_t *transfer_json(const struct money_transfer *t);        /* money_transfers.c */
json_t *phone_account_to_json(const struct phone_account *p); /* phone.c */
/* Messages as the viewer may see them, as one JSON array (messages.c). */
void messages_write(json_writer *w, const struct message *items, size_t count, const account *viewer, fault_lang lang);
json_t *resident_to_json(const resident *r);

#endif
