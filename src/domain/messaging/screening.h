/*
 * screening.h - a facility's rules that flag or hold messages for review.
 *
 * Rules: a list of words (whole words, any case), a PCRE2 pattern, or a
 * watched person (a resident of the facility, or a contact's email).  Each
 * rule says flag (reviewed first) or hold (reviewed first, and never released
 * without a reviewer, even where clean messages are released at once).
 *
 * SECURITY: patterns come from staff but run over text from anyone; they are
 * compiled when saved (a pattern that does not compile is refused) and run
 * with match and depth limits, and a pattern that hits a limit counts as a
 * match, so a costly message goes to a person rather than through.
 */
#ifndef KITE_DOMAIN_MESSAGING_SCREENING_H
#define KITE_DOMAIN_MESSAGING_SCREENING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/fault.h"
#include "db/db.h"
#include "domain/context.h"

typedef enum rule_kind {
    RULE_WORDS,
    RULE_PATTERN,
    RULE_WATCH_RESIDENT,
    RULE_WATCH_EMAIL,
    RULE_KIND_COUNT /* also what a request that names no kind gets: screening_rule_add refuses it */
} rule_kind;

typedef enum rule_action {
    RULE_FLAG,
    RULE_HOLD,
    RULE_ACTION_COUNT /* likewise */
} rule_action;

/* The stored names ("words", "hold", ...); "unknown" for a value outside the enum. */
const char *rule_kind_name(rule_kind k);
/* False when name is NULL or not a kind (*out unchanged); likewise for actions. */
bool rule_kind_parse(const char *name, rule_kind *out);
const char *rule_action_name(rule_action x);
bool rule_action_parse(const char *name, rule_action *out);

typedef struct screening_rule {
    int64_t id;
    int64_t facility_id;
    rule_kind kind;
    const char *value;  /* words separated by commas or new lines; a pattern; a resident number; an email */
    rule_action action;
    const char *note;
    int64_t created_at;
    const char *created_by;
} screening_rule;

typedef struct rule_match {
    int64_t rule_id;
    rule_kind kind;
    rule_action action;
    const char *matched; /* the words or text that matched, or the watched person */
} rule_match;

enum { SCREENING_VALUE_MAX_BYTES = 4000, SCREENING_NOTE_MAX_CHARS = 500 };

/*
 * *fault says what is wrong with a refused rule (KITE_ERR_INVALID_FIELD):
 * its field and detail; a pattern that does not compile carries PCRE2's
 * message (note, in a) and where it stopped (at).
 */
kite_err screening_rule_add(const kite_ctx *ctx, arena *a, int64_t facility_id, const screening_rule *rule,
                            const char *actor, screening_rule *out, kite_fault *fault) KITE_WUR;
kite_err screening_rule_list(const kite_ctx *ctx, arena *a, int64_t facility_id, screening_rule **items,
                             size_t *count) KITE_WUR;
kite_err screening_rule_remove(const kite_ctx *ctx, arena *a, int64_t facility_id, int64_t rule_id,
                               const char *actor) KITE_WUR;

typedef struct screening_subject {
    int64_t facility_id;
    const char *resident_number; /* the resident on either side */
    const char *contact_email;   /* the contact on either side */
    const char *subject;
    const char *body;
} screening_subject;

/*
 * One words or pattern rule's value against text, as screening_run runs it
 * (caseless PCRE2 with match limits; words quoted, whole words only):
 * KITE_OK with *matched what matched (arena) or NULL when nothing did;
 * KITE_ERR_INVALID_FIELD when the value does not compile (or is no words or
 * pattern rule).  Also what fuzz/screening.c runs on staff-written values.
 */
kite_err screening_value_match(arena *a, rule_kind kind, const char *value, const char *text,
                               const char **matched) KITE_WUR;

/* Every rule of the facility that matches, inside the caller's transaction. */
kite_err screening_run(db_conn *conn, arena *a, const screening_subject *s, rule_match **matches,
                       size_t *count) KITE_WUR;

#endif
