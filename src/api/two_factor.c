/*
 * two_factor.c - a staff member's own two-factor sign-in (/api/v1/me/two-factor),
 * an operator's reset of someone else's, and the staff-activity report of a
 * facility (domain/identity/totp.h, domain/facility/staff_activity.h).
 *
 * SECURITY: codes are read as strings and checked by the domain; the secret
 * and the recovery codes are answered once, to the account's own session
 * (JSON answers carry Cache-Control: no-store).  The enrolment routes are
 * the only ones a staff session without two-factor reaches (auth.c).  The report's door is
 * require_facility_role_or_reply: another facility's staff get 404, any
 * role but facility_admin and operator 403.
 */
#include "api/app.h"

#include "core/buf.h"
#include "core/clock.h"
#include "domain/facility/staff_activity.h"
#include "domain/identity/totp.h"

#define TWO_FACTOR_ROLES (STAFF_ROLES | ROLE_BIT(ROLE_OPERATOR))
#define ACTIVITY_READERS (ROLE_BIT(ROLE_FACILITY_ADMIN) | ROLE_BIT(ROLE_OPERATOR))

void handle_two_factor_get(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, TWO_FACTOR_ROLES);
    if (s == NULL)
        return;
    totp_status st;
    kite_err err = totp_status_read(&app->ctx, http_arena(req), s->account.id, &st);
    if (err != KITE_OK) {
        reply_kite_error(req, err);
        return;
    }
    http_reply_json(req, 200, json_pack("{s:b, s:I}", "enrolled", st.enrolled, "recovery_codes_left",
                                        (json_int_t)st.recovery_codes_left));
}

void handle_two_factor_begin(http_request *req, void *data)
{
    kite_app *app = data;
    const session *s = require_role_or_reply(req, app, TWO_FACTOR_ROLES);
    if (s == NULL)
        return;
    totp_enrolment e;
    kite_fault fault;
    if (totp_begin(&app->ctx, http_arena(req), &s->account, &e, &fault) != KITE_OK) {
        reply_fault(req, &fault);
        return;
    }
    http_reply_json(req, 201, json_pack("{s:s, s:s, s:i, s:i}", "secret", e.secret, "otpauth_uri", e.uri, "digits",
                                        TOTP_DIGITS, "period", TOTP_STEP_SECONDS));
}

static void reply_recovery(http_request *req, const totp_recovery *r)
{
    json_t *codes = json_array();
    for (size_t i = 0; i < TOTP_RECOVERY_CODES; i++)
        json_array_append_new(codes, json_string(r->codes[i]));
    http_reply_json(req, 200, json_pack("{s:b, s:o}", "enrolled", 1, "recovery_codes", codes));
}

/* POST .../confirm (renew false) and POST .../recovery-codes (renew true): both take {code}. */
static void code_then_recovery(http_request *req, kite_app *app, bool renew)
{
    const session *s = require_role_or_reply(req, app, TWO_FACTOR_ROLES);
    if (s == NULL)
        return;
    json_t *body = parse_body_or_reply(req);
    if (body == NULL)
        return;
    const char *code = NULL;
    if (body_string_or_reply(req, body, "code", true, &code)) {
        totp_recovery r;
        kite_fault fault;
        kite_err err = renew ? totp_recovery_renew(&app->ctx, http_arena(req), &s->account, code, &r, &fault)
                             : totp_confirm(&app->ctx, http_arena(req), &s->account, code, &r, &fault);
        if (err != KITE_OK)
            reply_fault(req, &fault);
        else
            reply_recovery(req, &r);
    }
    json_decref(body);
}

void handle_two_factor_confirm(http_request *req, void *data)
{
    code_then_recovery(req, data, false);
}

void handle_two_factor_recovery_codes(http_request *req, void *data)
{
    code_then_recovery(req, data, true);
}

void handle_account_two_factor_reset(http_request *req, void *data)
{
    kite_app *app = data;
    int64_t account_id;
    const session *s = require_role_or_reply(req, app, ROLE_BIT(ROLE_OPERATOR));
    if (s == NULL || !param_id_or_reply(req, 0, &account_id))
        return;
    kite_fault fault;
    if (totp_reset(&app->ctx, http_arena(req), &s->account, account_id, &fault) != KITE_OK) {
        reply_fault(req, &fault);
        return;
    }
    http_reply_empty(req, 204);
}

/* The page (csv false: ?limit=, at most a page) or the export (csv true: the newest STAFF_ACTIVITY_CSV_MAX). */
static bool activity_or_reply(http_request *req, kite_app *app, bool csv, activity_page *page, int64_t *facility)
{
    int64_t facility_id, limit = STAFF_ACTIVITY_CSV_MAX;
    if (!param_id_or_reply(req, 0, &facility_id) ||
        require_facility_role_or_reply(req, app, facility_id, ACTIVITY_READERS) == NULL ||
        (!csv && !query_int_or_reply(req, "limit", 1, STAFF_ACTIVITY_PAGE_MAX, 50, &limit)))
        return false;
    *facility = facility_id;
    activity_query q = {facility_id, http_query(req, "from"), http_query(req, "to"), http_query(req, "cursor"),
                        (size_t)limit};
    kite_fault fault;
    if (staff_activity_list(&app->ctx, http_arena(req), &q, page, &fault) != KITE_OK) {
        reply_fault(req, &fault);
        return false;
    }
    return true;
}

static void write_item(json_writer *w, const activity_item *it)
{
    jw_object(w);
    jw_key(w, "id");
    jw_int(w, it->id);
    jw_key(w, "at");
    jw_time(w, it->at);
    jw_key(w, "account_id");
    jw_int(w, it->account_id);
    jw_key(w, "name");
    jw_string(w, it->name);
    jw_key(w, "role");
    jw_string(w, role_name(it->role));
    jw_key(w, "kind");
    jw_string(w, activity_kind_name(it->kind));
    jw_key(w, "action");
    jw_string(w, it->action);
    jw_key(w, "target");
    jw_string(w, it->target);
    jw_key(w, "detail");
    jw_string(w, it->detail);
    jw_object_end(w);
}

void handle_facility_staff_activity(http_request *req, void *data)
{
    activity_page page;
    int64_t facility_id;
    if (!activity_or_reply(req, data, false, &page, &facility_id))
        return;
    buf out;
    buf_init(&out, http_arena(req));
    json_writer w;
    jw_init(&w, &out);
    jw_object(&w);
    jw_key(&w, "items");
    jw_array(&w);
    for (size_t i = 0; i < page.count; i++)
        write_item(&w, &page.items[i]);
    jw_array_end(&w);
    jw_key(&w, "next_cursor");
    jw_string(&w, page.next_cursor);
    jw_object_end(&w);
    http_reply_buf(req, 200, "application/json", &out);
}

/* The same records as CSV for a spreadsheet: names, actions and details are text people wrote or chose. */
void handle_facility_staff_activity_csv(http_request *req, void *data)
{
    activity_page page;
    int64_t facility_id;
    if (!activity_or_reply(req, data, true, &page, &facility_id))
        return;
    buf out;
    buf_init(&out, http_arena(req));
    buf_puts(&out, "id,at,account_id,name,role,kind,action,target,detail\r\n");
    for (size_t i = 0; i < page.count; i++) {
        const activity_item *it = &page.items[i];
        char at[RFC3339_LEN];
        clock_format_rfc3339(it->at, at);
        buf_printf(&out, "%lld,%s,%lld,", (long long)it->id, at, (long long)it->account_id);
        csv_text(&out, it->name);
        buf_printf(&out, ",%s,%s,", role_name(it->role), activity_kind_name(it->kind));
        csv_text(&out, it->action);
        buf_puts(&out, ",");
        csv_text(&out, it->target);
        buf_puts(&out, ",");
        csv_text(&out, it->detail);
        buf_puts(&out, "\r\n");
    }
    http_reply_header(req, "Content-Disposition",
                      arena_sprintf(http_arena(req), "attachment; filename=\"kite-staff-activity-%lld.csv\"",
                                    (long long)facility_id));
    http_reply_buf(req, 200, "text/csv; charset=utf-8", &out);
}
