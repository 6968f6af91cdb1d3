/*
 * migration_31.c - step 31: an event can name the visit it is about.
 *
 * visit_notify (domain/visits/visit_notice.c) writes an `events` row for
 * both sides of a visit at every change (booked, approved, declined,
 * cancelled, moved, ended), so the tablet and the family's pages hear of it
 * on the live stream they already read (GET /api/v1/events).  Until now the
 * row carried only the visit's new state, not which visit: a page could
 * not say "your visit on Tuesday was approved", only that something
 * happened.  events.visit_id says which (NULL for message events, as
 * message_id is NULL for visit events); like message_id it is no foreign
 * key, so the events of a visit never hold up what retention removes.
 */
#include "db/migrations.h"

const char kite_migration_31_sqlite[] = "ALTER TABLE events ADD COLUMN visit_id INTEGER;";

const char kite_migration_31_pg[] = "ALTER TABLE events ADD COLUMN visit_id BIGINT;";
