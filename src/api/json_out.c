#include "api/app.h"

#include "core/clock.h"

json_t *json_time(int64_t epoch_ms)
{
    char text[RFC3339_LEN];
    clock_format_rfc3339(epoch_ms, text);
    return json_string(text);
}

json_t *json_string_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

json_t *account_to_json(const account *acct)
{
    json_t *out = json_pack("{s:I, s:s, s:o, s:s, s:o, s:s, s:o}",
                            "id", (json_int_t)acct->id,
                            "role", role_name(acct->role),
                            "email", json_string_or_null(acct->email),
                            "full_name", acct->full_name,
                            "phone", json_string_or_null(acct->phone),
                            "status", account_status_name(acct->status),
                            "created_at", json_time(acct->created_at));
    json_object_set_new(out, "facility_id", acct->facility_id > 0 ? json_integer(acct->facility_id) : json_null());
    return out;
}
