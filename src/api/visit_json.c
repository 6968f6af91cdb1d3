/*
 * visit_json.c - the JSON shapes of video visits (visit_json.h).
 *
 * Times are written twice: RFC 3339 UTC ("starts_at") and the facility's
 * wall time with its offset ("starts_at_local"), beside the zone's name
 * ("time_zone"), so that no page has to guess a zone.
 */
#include "api/visit_json.h"

#include "api/app.h"

json_t *visit_local_json(const char *zone, int64_t ms)
{
    char text[VISIT_LOCAL_TIME_MAX];
    return zone[0] && visit_zone_local_string(zone, ms, text, sizeof text) ? json_string(text) : json_null();
}

static json_t *time_or_null(int64_t ms)
{
    return ms ? json_time(ms) : json_null();
}

json_t *visit_json(const visit_info *v, const account *viewer)
{
    bool settled = v->state == VISIT_ENDED || v->state == VISIT_DECLINED || v->state == VISIT_CANCELLED;
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:s, s:I}", "id",
                          (json_int_t)v->id, "facility_id", (json_int_t)v->facility_id, "resident_id",
                          (json_int_t)v->resident_id, "contact_id", (json_int_t)v->contact_id, "room_id",
                          (json_int_t)v->room_id, "slot_id", (json_int_t)v->slot_id, "state",
                          visit_state_name(v->state), "starts_at", json_time(v->starts_at), "ends_at",
                          json_time(v->ends_at), "starts_at_local", visit_local_json(v->time_zone, v->starts_at),
                          "ends_at_local", visit_local_json(v->time_zone, v->ends_at), "time_zone", v->time_zone,
                          "length_minutes", (json_int_t)v->length_minutes);
    json_object_set_new(o, "price_cents", json_integer(v->price_cents));
    json_object_set_new(o, "rate_cents_per_minute", json_integer(v->rate_cents_per_minute));
    json_object_set_new(o, "charged_cents", settled ? json_integer(v->charged_cents) : json_null());
    json_object_set_new(o, "held_cents", settled ? json_integer(0) : json_integer(v->price_cents));
    json_object_set_new(o, "payer", json_string(v->booker_account_id == v->resident_account_id ? "resident_trust"
                                                                                                : "contact_balance"));
    json_object_set_new(o, "monitoring_required", json_boolean(v->monitoring_required));
    json_object_set_new(o, "privileged", json_boolean(v->privileged));
    json_object_set_new(o, "connected_at", time_or_null(v->connected_at));
    json_object_set_new(o, "media_seen_at", time_or_null(v->media_seen_at));
    json_object_set_new(o, "ended_at", time_or_null(v->ended_at));
    json_object_set_new(o, "end_reason",
                        v->end_reason == VISIT_END_NONE ? json_null() : json_string(visit_end_reason_name(v->end_reason)));
    json_object_set_new(o, "reason", v->reason[0] ? json_string(v->reason) : json_null());
    json_object_set_new(o, "resident_name", json_string(v->resident_name));
    json_object_set_new(o, "resident_number", json_string(v->resident_number));
    json_object_set_new(o, "contact_name", json_string(v->contact_name));
    json_object_set_new(o, "created_at", json_time(v->created_at));
    json_object_set_new(o, "updated_at", json_time(v->updated_at));
    (void)viewer;
    return o;
}

json_t *visit_quote_json(const visit_quote *q)
{
    json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:s, s:I}", "facility_id", (json_int_t)q->facility_id,
                          "slot_id", (json_int_t)q->slot_id, "room_id", (json_int_t)q->room_id, "starts_at",
                          json_time(q->starts_at), "ends_at", json_time(q->ends_at), "starts_at_local",
                          visit_local_json(q->time_zone, q->starts_at), "ends_at_local",
                          visit_local_json(q->time_zone, q->ends_at), "time_zone", q->time_zone, "length_minutes",
                          (json_int_t)q->length_minutes);
    json_object_set_new(o, "rate_cents_per_minute", json_integer(q->rate_cents_per_minute));
    json_object_set_new(o, "price_cents", json_integer(q->price_cents));
    json_object_set_new(o, "balance_cents", json_integer(q->balance_cents));
    json_object_set_new(o, "enough", json_boolean(q->enough));
    if (q->visit_id != 0) {
        json_object_set_new(o, "visit_id", json_integer(q->visit_id));
        json_object_set_new(o, "held_cents", json_integer(q->held_cents));
        json_object_set_new(o, "difference_cents", json_integer(q->difference_cents));
    }
    json_object_set_new(o, "payer", json_string(q->payer_is_trust ? "resident_trust" : "contact_balance"));
    json_object_set_new(o, "approval_required", json_boolean(q->approval_required));
    json_object_set_new(o, "monitoring_required", json_boolean(q->monitoring_required));
    json_object_set_new(o, "privileged", json_boolean(q->privileged));
    return o;
}

json_t *visit_policy_json(const visit_policy *p)
{
    json_t *o = json_pack("{s:I, s:o, s:I, s:I, s:b, s:b, s:I, s:s, s:I, s:b}", "facility_id",
                          (json_int_t)p->facility_id, "time_zone",
                          p->time_zone[0] ? json_string(p->time_zone) : json_null(), "lead_minutes",
                          (json_int_t)p->lead_minutes, "horizon_days", (json_int_t)p->horizon_days,
                          "approval_required", p->approval_required, "monitoring_required", p->monitoring_required,
                          "cancel_cutoff_minutes", (json_int_t)p->cancel_cutoff_minutes, "late_cancel_refund",
                          visit_late_refund_name(p->late_cancel_refund), "no_show_grace_minutes",
                          (json_int_t)p->no_show_grace_minutes, "stored", p->stored);
    json_object_set_new(o, "suggested_time_zone", p->suggested_zone[0] ? json_string(p->suggested_zone) : json_null());
    return o;
}
