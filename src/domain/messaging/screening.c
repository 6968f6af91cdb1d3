#include "domain/messaging/screening.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/text.h"
#include "domain/identity/account.h"
#include "domain/audit/audit.h"

#include <inttypes.h>
#include <string.h>

enum { MATCH_LIMIT = 100000, DEPTH_LIMIT = 5000, MATCHED_MAX = 200 };

/*
 * One word quoted for PCRE2: \Q...\E, except that a "\E" inside the word
 * would end the quote early (the rest of the word would be read as pattern
 * syntax: "x\E|." would flag every message), so it is written as \E\\E\Q,
 * a literal backslash and E between two quotes.  Found by fuzz/screening.c.
 */
static const char *quote_word(arena *a, const char *word, size_t len)
{
    const char *out = "\\Q";
    for (size_t i = 0; i < len;) {
        const char *end = memmem(word + i, len - i, "\\E", 2);
        size_t n = end != NULL ? (size_t)(end - (word + i)) : len - i;
        out = arena_sprintf(a, "%s%.*s%s", out, (int)n, word + i, end != NULL ? "\\E\\\\E\\Q" : "");
        i += n + (end != NULL ? 2 : 0);
    }
    return arena_sprintf(a, "%s\\E", out);
}

/* Words become one caseless pattern of whole words: \b(?:w1|w2)\b with each word quoted. */
static const char *words_pattern(arena *a, const char *value)
{
    const char *pattern = "";
    const char *p = value;
    while (*p) {
        while (*p == ',' || *p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, ",\n\r");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0)
            pattern = arena_sprintf(a, "%s%s%s", pattern, *pattern ? "|" : "", quote_word(a, p, len));
        p += strcspn(p, ",\n\r");
    }
    return *pattern ? arena_sprintf(a, "(?<![\\p{L}\\p{N}])(?:%s)(?![\\p{L}\\p{N}])", pattern) : NULL;
}

/* Compiles a rule's text as PCRE2; NULL with fault (when given) saying why when it does not compile. */
static pcre2_code *compile(arena *a, const char *pattern, kite_fault *fault)
{
    int error = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF, &error,
                                     &offset, NULL);
    if (code == NULL && fault != NULL) {
        PCRE2_UCHAR text[160];
        pcre2_get_error_message(error, text, sizeof text);
        fault_set(fault, KITE_ERR_INVALID_FIELD, "value", FAULT_PATTERN);
        fault->note = arena_strdup(a, (const char *)text);
        fault->at = (int64_t)offset;
    }
    return code;
}

/* Runs code over text; true on a match (or when the limits were hit), with what matched. */
static bool pattern_matches(arena *a, pcre2_code *code, const char *text, const char **matched)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, MATCH_LIMIT);
    pcre2_set_depth_limit(mc, DEPTH_LIMIT);
    int rc = pcre2_match(code, (PCRE2_SPTR)text, strlen(text), 0, 0, md, mc);
    bool hit = rc >= 0 || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT;
    if (rc >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t len = ov[1] - ov[0];
        *matched = arena_strndup(a, text + ov[0], len > MATCHED_MAX ? MATCHED_MAX : len);
    } else if (hit) {
        *matched = "(too complex to check: sent to a reviewer)";
    }
    pcre2_match_context_free(mc);
    pcre2_match_data_free(md);
    return hit;
}

static const char *const rule_kind_names[RULE_KIND_COUNT] = {
    [RULE_WORDS] = "words",
    [RULE_PATTERN] = "pattern",
    [RULE_WATCH_RESIDENT] = "watch_resident",
    [RULE_WATCH_EMAIL] = "watch_email",
};

static const char *const rule_action_names[RULE_ACTION_COUNT] = {
    [RULE_FLAG] = "flag",
    [RULE_HOLD] = "hold",
};

const char *rule_kind_name(rule_kind k)
{
    return (unsigned)k < RULE_KIND_COUNT ? rule_kind_names[k] : "unknown";
}

bool rule_kind_parse(const char *name, rule_kind *out)
{
    size_t i = text_index_of(rule_kind_names, RULE_KIND_COUNT, name);
    if (i == RULE_KIND_COUNT)
        return false;
    *out = (rule_kind)i;
    return true;
}

const char *rule_action_name(rule_action x)
{
    return (unsigned)x < RULE_ACTION_COUNT ? rule_action_names[x] : "unknown";
}

bool rule_action_parse(const char *name, rule_action *out)
{
    size_t i = text_index_of(rule_action_names, RULE_ACTION_COUNT, name);
    if (i == RULE_ACTION_COUNT)
        return false;
    *out = (rule_action)i;
    return true;
}

struct add_rule {
    arena *a;
    int64_t facility_id;
    const screening_rule *rule;
    const char *actor;
    int64_t now;
    screening_rule *out;
};

static kite_err add_tx(db_conn *conn, void *data)
{
    struct add_rule *in = data;
    db_stmt *exists = db_prepare(conn, "SELECT 1 FROM facility_policies WHERE facility_id = $1");
    db_bind_int(exists, 1, in->facility_id);
    bool on_platform = db_next(exists);
    kite_err err = db_done(exists);
    if (err != KITE_OK)
        return err;
    if (!on_platform)
        return KITE_ERR_NOT_ON_PLATFORM;
    db_stmt *s = db_prepare(conn,
        "INSERT INTO screening_rules (facility_id, kind, value, action, note, created_at, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id");
    db_bind_int(s, 1, in->facility_id);
    db_bind_text(s, 2, rule_kind_name(in->rule->kind));
    db_bind_text(s, 3, in->rule->value);
    db_bind_text(s, 4, rule_action_name(in->rule->action));
    db_bind_text(s, 5, in->rule->note);
    db_bind_int(s, 6, in->now);
    db_bind_text(s, 7, in->actor);
    int64_t id = db_next(s) ? db_int(s, 0) : 0;
    if ((err = db_done(s)) != KITE_OK)
        return err;
    *in->out = *in->rule;
    in->out->id = id;
    in->out->facility_id = in->facility_id;
    in->out->created_at = in->now;
    in->out->created_by = in->actor;
    return audit_append(conn, in->now, in->actor, "screening_rule.add", audit_target(in->a, "screening_rule", id),
                        arena_sprintf(in->a, "facility=%" PRId64 " kind=%s action=%s", in->facility_id,
                                      rule_kind_name(in->rule->kind), rule_action_name(in->rule->action)));
}

kite_err screening_rule_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const screening_rule *rule,
                            const char *actor, screening_rule *out, kite_fault *fault)
{
    *fault = (kite_fault){0};
    screening_rule clean = *rule;
    if ((unsigned)rule->kind >= RULE_KIND_COUNT)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "kind", FAULT_CHOICE);
    if ((unsigned)rule->action >= RULE_ACTION_COUNT)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "action", FAULT_CHOICE);
    clean.value = rule->value != NULL ? text_trim(a, rule->value) : "";
    if (*clean.value == '\0' || strlen(clean.value) > SCREENING_VALUE_MAX_BYTES ||
        !utf8_valid(clean.value, strlen(clean.value))) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "value", FAULT_LENGTH);
        fault->limit = SCREENING_VALUE_MAX_BYTES;
        return KITE_ERR_INVALID_FIELD;
    }
    if (rule->kind == RULE_WATCH_EMAIL && email_normalize(a, clean.value, &clean.value) != KITE_OK)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "value", FAULT_EMAIL);
    const char *pattern = rule->kind == RULE_WORDS ? words_pattern(a, clean.value)
                          : rule->kind == RULE_PATTERN ? clean.value : NULL;
    if (rule->kind == RULE_WORDS && pattern == NULL)
        return fault_set(fault, KITE_ERR_INVALID_FIELD, "value", FAULT_NO_WORDS);
    if (pattern != NULL) {
        pcre2_code *code = compile(a, pattern, fault);
        if (code == NULL)
            return KITE_ERR_INVALID_FIELD;
        pcre2_code_free(code);
    }
    clean.note = rule->note != NULL ? text_trim(a, rule->note) : "";
    if (utf8_length(clean.note) > SCREENING_NOTE_MAX_CHARS) {
        fault_set(fault, KITE_ERR_INVALID_FIELD, "note", FAULT_LENGTH);
        fault->limit = SCREENING_NOTE_MAX_CHARS;
        return KITE_ERR_INVALID_FIELD;
    }
    struct add_rule in = {a, facility_id, &clean, actor, clock_now_ms(&ctx->clock), out};
    return fault_settle(fault, db_write(ctx->store, add_tx, &in));
}

static kite_err load_rules(db_conn *conn, arena *a, int64_t facility_id, screening_rule **items, size_t *count)
{
    size_t cap = 16, n = 0;
    screening_rule *list = arena_alloc(a, cap * sizeof *list);
    db_stmt *s = db_prepare(conn,
        "SELECT id, kind, value, action, note, created_at, created_by FROM screening_rules"
        " WHERE facility_id = $1 AND removed_at IS NULL ORDER BY id");
    db_bind_int(s, 1, facility_id);
    while (db_next(s)) {
        list = arena_grow(a, list, n, &cap, sizeof *list);
        /* Rows hold only names from the tables; were one not, it would run as a pattern that flags, as before. */
        rule_kind kind = RULE_PATTERN;
        rule_action action = RULE_FLAG;
        (void)rule_kind_parse(db_text(s, 1), &kind);
        (void)rule_action_parse(db_text(s, 3), &action);
        list[n++] = (screening_rule){db_int(s, 0), facility_id, kind, arena_strdup(a, db_text(s, 2)), action,
                                     arena_strdup(a, db_text(s, 4)), db_int(s, 5), arena_strdup(a, db_text(s, 6))};
    }
    *items = list;
    *count = n;
    return db_done(s);
}

struct list_rules {
    arena *a;
    int64_t facility_id;
    screening_rule *items;
    size_t count;
};

static kite_err list_tx(db_conn *conn, void *data)
{
    struct list_rules *in = data;
    return load_rules(conn, in->a, in->facility_id, &in->items, &in->count);
}

kite_err screening_rule_list(const kite_ctx *ctx, arena *a, int64_t facility_id, screening_rule **items, size_t *count)
{
    struct list_rules in = {a, facility_id, NULL, 0};
    kite_err err = db_read(ctx->store, list_tx, &in);
    *items = in.items;
    *count = in.count;
    return err;
}

kite_err screening_rule_remove(const kite_ctx *ctx, arena *a, int64_t facility_id, int64_t rule_id, const char *actor)
{
    audit_removal in = {
        a, "UPDATE screening_rules SET removed_at = $1 WHERE id = $2 AND facility_id = $3 AND removed_at IS NULL",
        clock_now_ms(&ctx->clock), rule_id, facility_id, actor, "screening_rule.remove", "screening_rule"};
    return db_write(ctx->store, audit_removal_tx, &in);
}

kite_err screening_value_match(arena *a, rule_kind kind, const char *value, const char *text, const char **matched)
{
    *matched = NULL;
    const char *pattern = kind == RULE_WORDS ? words_pattern(a, value) : kind == RULE_PATTERN ? value : NULL;
    pcre2_code *code = pattern != NULL ? compile(a, pattern, NULL) : NULL;
    if (code == NULL)
        return KITE_ERR_INVALID_FIELD;
    if (!pattern_matches(a, code, text, matched))
        *matched = NULL;
    pcre2_code_free(code);
    return KITE_OK;
}

kite_err screening_run(db_conn *conn, arena *a, const screening_subject *subject, rule_match **matches, size_t *count)
{
    screening_rule *rules;
    size_t n;
    kite_err err = load_rules(conn, a, subject->facility_id, &rules, &n);
    *matches = arena_alloc(a, (n ? n : 1) * sizeof **matches);
    *count = 0;
    if (err != KITE_OK)
        return err;
    const char *text = arena_sprintf(a, "%s\n%s", subject->subject, subject->body);
    for (size_t i = 0; i < n; i++) {
        const screening_rule *r = &rules[i];
        const char *matched = NULL;
        if (r->kind == RULE_WATCH_RESIDENT) {
            if (subject->resident_number != NULL && strcasecmp(r->value, subject->resident_number) == 0)
                matched = arena_sprintf(a, "resident %s is on the watch list", subject->resident_number);
        } else if (r->kind == RULE_WATCH_EMAIL) {
            if (subject->contact_email != NULL && strcmp(r->value, subject->contact_email) == 0)
                matched = arena_sprintf(a, "%s is on the watch list", subject->contact_email);
        } else if (screening_value_match(a, r->kind, r->value, text, &matched) != KITE_OK) {
            matched = NULL; /* a stored value that does not compile (it did when added) matches nothing */
        }
        if (matched != NULL)
            (*matches)[(*count)++] = (rule_match){r->id, r->kind, r->action, matched};
    }
    return KITE_OK;
}
