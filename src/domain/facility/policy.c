/*
 * policy.c - profiles, validation and storage of facility policies.
 */
#include "domain/facility/policy.h"

#include "core/text.h"
#include "domain/audit/audit.h"
#include "domain/directory/directory.h"
#include "domain/directory/providers.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The name tables of the policy's enums, each NULL-terminated for whoever lists the choices. */
static const char *const profile_names[PROFILE_COUNT + 1] = {
    [PROFILE_FEDERAL] = "federal", [PROFILE_JPAY] = "jpay", [PROFILE_CONNECTNETWORK] = "connectnetwork"};
static const char *const initiation_names[INITIATION_COUNT + 1] = {
    [INITIATION_RESIDENT_INVITES] = "resident_invites", [INITIATION_CONTACT_REQUESTS] = "contact_requests",
    [INITIATION_BOTH] = "both"};
static const char *const lookup_names[LOOKUP_COUNT + 1] = {
    [LOOKUP_NUMBER] = "number", [LOOKUP_NUMBER_OR_NAME] = "number_or_name"};
static const char *const approval_names[APPROVAL_COUNT + 1] = {
    [APPROVAL_RESIDENT] = "resident", [APPROVAL_RESIDENT_OR_WINDOW] = "resident_or_window"};
static const char *const pricing_names[PRICING_COUNT + 1] = {
    [PRICING_BALANCE] = "balance", [PRICING_STAMPS] = "stamps", [PRICING_CREDITS] = "credits",
    [PRICING_SUBSCRIPTION] = "subscription"};
static const char *const review_names[REVIEW_COUNT + 1] = {[REVIEW_ALL] = "all", [REVIEW_FLAGGED_ONLY] = "flagged_only"};
static const char *const number_format_names[NUMBER_FORMAT_COUNT + 1] = {
    [NUMBER_FORMAT_BOP] = "bop", [NUMBER_FORMAT_DIGITS] = "digits", [NUMBER_FORMAT_ANY] = "any"};

/* Choice fields are read and written through policy_fields as ints: every enum above must be one. */
_Static_assert(sizeof(policy_profile) == sizeof(int) && sizeof(contact_initiation) == sizeof(int) &&
               sizeof(request_lookup) == sizeof(int) && sizeof(approval_mode) == sizeof(int) &&
               sizeof(pricing_model) == sizeof(int) && sizeof(review_mode) == sizeof(int) &&
               sizeof(number_format) == sizeof(int), "policy choices are stored as int");

#define CHOICE_FIELD(name, names, count) {#name, POLICY_CHOICE, names, count, 0, 0, offsetof(policy, name)}
#define INT_FIELD(name, lo, hi) {#name, POLICY_INT, NULL, 0, lo, hi, offsetof(policy, name)}
#define BOOL_FIELD(name) {#name, POLICY_BOOL, NULL, 0, 0, 1, offsetof(policy, name)}

const policy_field policy_fields[] = {
    CHOICE_FIELD(profile, profile_names, PROFILE_COUNT),
    CHOICE_FIELD(contact_initiation, initiation_names, INITIATION_COUNT),
    INT_FIELD(invitation_valid_days, 1, 365),
    INT_FIELD(contact_limit, 1, 1000),
    CHOICE_FIELD(request_lookup, lookup_names, LOOKUP_COUNT),
    CHOICE_FIELD(approval, approval_names, APPROVAL_COUNT),
    INT_FIELD(approval_window_hours, 0, 720),
    INT_FIELD(message_max_chars, 1, 100000),
    INT_FIELD(page_chars, 0, 100000),
    BOOL_FIELD(attachments_allowed),
    INT_FIELD(attachment_max_bytes, 0, 25 * 1024 * 1024),
    INT_FIELD(max_attachments, 0, 20),
    CHOICE_FIELD(pricing, pricing_names, PRICING_COUNT),
    CHOICE_FIELD(review, review_names, REVIEW_COUNT),
    INT_FIELD(review_sla_hours, 1, 720),
    INT_FIELD(daily_send_limit, 1, 10000),
    CHOICE_FIELD(resident_number_format, number_format_names, NUMBER_FORMAT_COUNT),
    INT_FIELD(tablet_idle_minutes, 1, 60),
    INT_FIELD(message_retention_days, 1, 3650),
    INT_FIELD(photo_retention_days, 1, 3650),
    INT_FIELD(audit_retention_days, POLICY_AUDIT_RETENTION_MIN_DAYS, 3650),
    BOOL_FIELD(videos_allowed),
};
const size_t policy_field_count = sizeof policy_fields / sizeof policy_fields[0];

/*
 * The same periods for every profile; where each comes from is in
 * docs/retention.md: three years of messages, one of photos (the bulk of
 * what is stored, and the most personal), seven of audit records.
 */
#define RETENTION_DEFAULTS .message_retention_days = 1095, .photo_retention_days = 365, .audit_retention_days = 2555

static const policy profile_defaults[PROFILE_COUNT] = {
    [PROFILE_FEDERAL] =
    {.profile = PROFILE_FEDERAL, .contact_initiation = INITIATION_RESIDENT_INVITES, .invitation_valid_days = 30,
     .contact_limit = 30, .request_lookup = LOOKUP_NUMBER, .approval = APPROVAL_RESIDENT, .approval_window_hours = 0,
     .message_max_chars = 13000, .page_chars = 0, .attachments_allowed = false, .attachment_max_bytes = 0,
     .max_attachments = 0, .pricing = PRICING_BALANCE, .review = REVIEW_ALL, .review_sla_hours = 24,
     .daily_send_limit = 100, .resident_number_format = NUMBER_FORMAT_BOP, .tablet_idle_minutes = 5,
     RETENTION_DEFAULTS, .videos_allowed = false},
    [PROFILE_JPAY] =
    {.profile = PROFILE_JPAY, .contact_initiation = INITIATION_CONTACT_REQUESTS, .invitation_valid_days = 30,
     .contact_limit = 50, .request_lookup = LOOKUP_NUMBER, .approval = APPROVAL_RESIDENT, .approval_window_hours = 0,
     .message_max_chars = 12500, .page_chars = 2500, .attachments_allowed = true,
     .attachment_max_bytes = 5 * 1024 * 1024, .max_attachments = 5, .pricing = PRICING_STAMPS, .review = REVIEW_ALL,
     .review_sla_hours = 48, .daily_send_limit = 100, .resident_number_format = NUMBER_FORMAT_ANY,
     .tablet_idle_minutes = 5, RETENTION_DEFAULTS, .videos_allowed = true},
    [PROFILE_CONNECTNETWORK] =
    {.profile = PROFILE_CONNECTNETWORK, .contact_initiation = INITIATION_CONTACT_REQUESTS, .invitation_valid_days = 30,
     .contact_limit = 50, .request_lookup = LOOKUP_NUMBER_OR_NAME, .approval = APPROVAL_RESIDENT_OR_WINDOW,
     .approval_window_hours = 72, .message_max_chars = 500, .page_chars = 0, .attachments_allowed = false,
     .attachment_max_bytes = 0, .max_attachments = 0, .pricing = PRICING_CREDITS, .review = REVIEW_ALL,
     .review_sla_hours = 24, .daily_send_limit = 100, .resident_number_format = NUMBER_FORMAT_ANY,
     .tablet_idle_minutes = 5, RETENTION_DEFAULTS, .videos_allowed = true},
};

kite_err policy_defaults(const char *profile, policy *out)
{
    size_t i = text_index_of(profile_names, PROFILE_COUNT, profile);
    if (i == PROFILE_COUNT)
        return KITE_ERR_INVALID_FIELD;
    *out = profile_defaults[i];
    return KITE_OK;
}

const policy_field *policy_field_find(const char *name)
{
    for (size_t i = 0; i < policy_field_count; i++)
        if (strcmp(policy_fields[i].name, name) == 0)
            return &policy_fields[i];
    return NULL;
}

/* A choice field's value, as an index into f->choices (f->choice_count when it is none of them). */
static size_t choice_get(const policy *p, const policy_field *f)
{
    int v;
    memcpy(&v, (const char *)p + f->offset, sizeof v);
    return v >= 0 && (size_t)v < f->choice_count ? (size_t)v : f->choice_count;
}

const char *policy_choice_name(const policy *p, const policy_field *f)
{
    size_t i = choice_get(p, f);
    return i < f->choice_count ? f->choices[i] : "unknown";
}

void policy_choice_set(policy *p, const policy_field *f, const char *name)
{
    int v = (int)text_index_of(f->choices, f->choice_count, name);
    memcpy((char *)p + f->offset, &v, sizeof v);
}

/* The field's own bounds travel with the fault, so the sentence names the range the table holds. */
static kite_err field_invalid(const policy_field *f, fault_detail detail, kite_fault *fault)
{
    fault_set(fault, KITE_ERR_INVALID_FIELD, f->name, detail);
    fault->min = f->min;
    fault->max = f->max;
    fault->choices = f->choices;
    return KITE_ERR_INVALID_FIELD;
}

kite_err policy_validate(const policy *p, kite_fault *fault)
{
    *fault = (kite_fault){0};
    for (size_t i = 0; i < policy_field_count; i++) {
        const policy_field *f = &policy_fields[i];
        const char *base = (const char *)p + f->offset;
        if (f->kind == POLICY_CHOICE && choice_get(p, f) == f->choice_count)
            return field_invalid(f, FAULT_CHOICE, fault);
        if (f->kind == POLICY_INT) {
            int64_t v = *(const int64_t *)(const void *)base;
            if (v < f->min || v > f->max)
                return field_invalid(f, FAULT_RANGE, fault);
        }
    }
    if (p->approval == APPROVAL_RESIDENT_OR_WINDOW && p->approval_window_hours < 1)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "approval_window_hours", FAULT_DEPENDS);
    if (p->pricing == PRICING_STAMPS && p->page_chars < 1)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "page_chars", FAULT_DEPENDS);
    if (p->attachments_allowed && (p->max_attachments < 1 || p->attachment_max_bytes < 1024))
        return fault_set(fault, KITE_ERR_INVALID_FIELD, p->max_attachments < 1 ? "max_attachments" : "attachment_max_bytes",
                         FAULT_DEPENDS);
    if (p->photo_retention_days > p->message_retention_days)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "photo_retention_days", FAULT_DEPENDS);
    return KITE_OK;
}

#define POLICY_COLUMNS                                                                                   \
    "profile, contact_initiation, invitation_valid_days, contact_limit, request_lookup, approval,"        \
    " approval_window_hours, message_max_chars, page_chars, attachments_allowed, attachment_max_bytes,"  \
    " max_attachments, pricing, review, review_sla_hours, daily_send_limit, resident_number_format,"     \
    " tablet_idle_minutes, message_retention_days, photo_retention_days, audit_retention_days,"         \
    " videos_allowed, created_at, updated_at"

kite_err policy_load(db_conn *conn, arena *a, int64_t facility_id, policy *out)
{
    db_stmt *s = db_prepare(conn, "SELECT " POLICY_COLUMNS " FROM facility_policies WHERE facility_id = $1");
    db_bind_int(s, 1, facility_id);
    bool found = db_next(s);
    if (found) {
        int col = 0;
        for (size_t i = 0; i < policy_field_count; i++, col++) {
            const policy_field *f = &policy_fields[i];
            char *base = (char *)out + f->offset;
            if (f->kind == POLICY_CHOICE)
                policy_choice_set(out, f, db_text(s, col));
            else if (f->kind == POLICY_INT)
                *(int64_t *)(void *)base = db_int(s, col);
            else
                *(bool *)(void *)base = db_int(s, col) != 0;
        }
        out->created_at = db_int(s, col);
        out->updated_at = db_int(s, col + 1);
    }
    kite_err err = db_done(s);
    return err != KITE_OK ? err : found ? KITE_OK : KITE_ERR_NOT_FOUND;
}

struct get_policy {
    arena *a;
    int64_t facility_id;
    policy *out;
};

static kite_err get_tx(db_conn *conn, void *data)
{
    struct get_policy *in = data;
    return policy_load(conn, in->a, in->facility_id, in->out);
}

kite_err policy_get(const kite_ctx *ctx, arena *a, int64_t facility_id, policy *out)
{
    struct get_policy in = {a, facility_id, out};
    return db_read(ctx->store, get_tx, &in);
}

static void bind_policy(db_stmt *s, const policy *p)
{
    for (size_t i = 0; i < policy_field_count; i++) {
        const policy_field *f = &policy_fields[i];
        const char *base = (const char *)p + f->offset;
        int n = (int)i + 2;
        if (f->kind == POLICY_CHOICE)
            db_bind_text(s, n, policy_choice_name(p, f));
        else if (f->kind == POLICY_INT)
            db_bind_int(s, n, *(const int64_t *)(const void *)base);
        else
            db_bind_int(s, n, *(const bool *)(const void *)base ? 1 : 0);
    }
}

static const char *field_value_text(arena *a, const policy *p, const policy_field *f)
{
    const char *base = (const char *)p + f->offset;
    if (f->kind == POLICY_CHOICE)
        return policy_choice_name(p, f);
    if (f->kind == POLICY_INT)
        return arena_sprintf(a, "%" PRId64, *(const int64_t *)(const void *)base);
    return *(const bool *)(const void *)base ? "true" : "false";
}

struct put_policy {
    arena *a;
    int64_t facility_id;
    const policy *p;
    const char *actor;
    int64_t now;
    bool may_create;
    bool created;
};

/* "field: old -> new" for every field that changed, separated by "; ". */
static const char *policy_diff(arena *a, const policy *old, const policy *new_policy)
{
    const char *diff = "";
    for (size_t i = 0; i < policy_field_count; i++) {
        const policy_field *f = &policy_fields[i];
        const char *before = old != NULL ? field_value_text(a, old, f) : "(none)";
        const char *after = field_value_text(a, new_policy, f);
        if (strcmp(before, after) != 0)
            diff = arena_sprintf(a, "%s%s%s: %s -> %s", diff, *diff ? "; " : "", f->name, before, after);
    }
    return *diff ? diff : "no change";
}

static kite_err put_tx(db_conn *conn, void *data)
{
    struct put_policy *in = data;
    bool facility_found = false;
    kite_err err = directory_facility_exists(conn, in->facility_id, &facility_found);
    if (err != KITE_OK)
        return err;
    if (!facility_found)
        return KITE_ERR_NOT_FOUND;

    policy old;
    err = policy_load(conn, in->a, in->facility_id, &old);
    bool had_policy = err == KITE_OK;
    if (err != KITE_OK && err != KITE_ERR_NOT_FOUND)
        return err;
    if (!had_policy && !in->may_create)
        return KITE_ERR_FORBIDDEN;

    db_stmt *upsert = db_prepare(conn,
        "INSERT INTO facility_policies (facility_id, " POLICY_COLUMNS ")"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $24)"
        " ON CONFLICT (facility_id) DO UPDATE SET profile = excluded.profile,"
        " contact_initiation = excluded.contact_initiation, invitation_valid_days = excluded.invitation_valid_days,"
        " contact_limit = excluded.contact_limit, request_lookup = excluded.request_lookup,"
        " approval = excluded.approval, approval_window_hours = excluded.approval_window_hours,"
        " message_max_chars = excluded.message_max_chars, page_chars = excluded.page_chars,"
        " attachments_allowed = excluded.attachments_allowed, attachment_max_bytes = excluded.attachment_max_bytes,"
        " max_attachments = excluded.max_attachments, pricing = excluded.pricing, review = excluded.review,"
        " review_sla_hours = excluded.review_sla_hours, daily_send_limit = excluded.daily_send_limit,"
        " resident_number_format = excluded.resident_number_format,"
        " tablet_idle_minutes = excluded.tablet_idle_minutes,"
        " message_retention_days = excluded.message_retention_days,"
        " photo_retention_days = excluded.photo_retention_days,"
        " audit_retention_days = excluded.audit_retention_days, videos_allowed = excluded.videos_allowed,"
        " updated_at = excluded.updated_at");
    db_bind_int(upsert, 1, in->facility_id);
    bind_policy(upsert, in->p);
    db_bind_int(upsert, (int)policy_field_count + 2, in->now);
    if ((err = db_exec(upsert)) != KITE_OK)
        return err;

    /* On the platform, Kite is the facility's messaging provider. */
    int64_t kite_id;
    if ((err = provider_id_by_slug(conn, "kite", &kite_id)) != KITE_OK)
        return err;
    db_stmt *service = db_prepare(conn,
        "INSERT INTO facility_services (facility_id, service, provider_id) VALUES ($1, 'messaging', $2)"
        " ON CONFLICT (facility_id, service) DO UPDATE SET provider_id = excluded.provider_id");
    db_bind_int(service, 1, in->facility_id);
    db_bind_int(service, 2, kite_id);
    if ((err = db_exec(service)) != KITE_OK)
        return err;
    if (!had_policy) {
        /* The search index caches on_platform through the provider; make it look again. */
        if ((err = directory_touch(conn)) != KITE_OK)
            return err;
    }
    in->created = !had_policy;
    return audit_append(conn, in->now, in->actor, had_policy ? "policy.update" : "policy.create",
                        audit_target(in->a, "facility", in->facility_id),
                        policy_diff(in->a, had_policy ? &old : NULL, in->p));
}

kite_err policy_put(const kite_ctx *ctx, arena *a, int64_t facility_id, const policy *p, const char *actor,
                    bool may_create, bool *created)
{
    struct put_policy in = {a, facility_id, p, actor, clock_now_ms(&ctx->clock), may_create, false};
    kite_err err = db_write(ctx->store, put_tx, &in);
    *created = in.created;
    return err;
}

bool policy_resident_number_valid(const policy *p, const char *number)
{
    size_t len = strlen(number);
    if (p->resident_number_format == NUMBER_FORMAT_BOP) {
        if (len != 9 || number[5] != '-')
            return false;
        for (size_t i = 0; i < len; i++)
            if (i != 5 && (number[i] < '0' || number[i] > '9'))
                return false;
        return true;
    }
    bool digits_only = p->resident_number_format == NUMBER_FORMAT_DIGITS;
    if (len < 1 || len > (digits_only ? 12 : 20))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = number[i];
        bool digit = c >= '0' && c <= '9';
        bool other = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-';
        if (!digit && (digits_only || !other))
            return false;
    }
    return true;
}
