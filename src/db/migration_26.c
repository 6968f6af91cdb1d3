/*
 * migration_26.c - step 26: video visits (domain/visits/README.md).
 *
 * visit_policies: one row per facility that offers visits: its IANA time
 * zone (NULL until the facility admin sets it; no slot is offered before)
 * and the booking rules: lead time and horizon, whether staff approve,
 * whether a monitor must watch, the families' cancellation cut-off and what
 * a late family cancellation gives back (full | none), no-show grace.
 *
 * visit_rooms: the rooms or kiosks visits happen in.  visit_slots: weekly
 * slots of a room in the facility's local wall time (weekday 0 = Sunday,
 * start_minute after local midnight), so a 10:00 slot stays 10:00 across a
 * DST change and only its UTC instant moves.  visit_blackouts: local dates
 * (YYYY-MM-DD) on which no visit happens.
 *
 * visits: one booking.  Times are epoch ms UTC; the price, the rate and the
 * payer are fixed at booking (the hold in ledger_holds, subject 'visit').
 * visit_occupancy counts the live bookings of one slot occurrence
 * (slot_id, starts_at): booking raises it with a conditional UPDATE
 * (taken < capacity), decided by the store under its row lock, so two
 * bookings for the last place cannot both succeed on either engine.
 * (booker_account_id, idempotency_key) makes a retried booking return the
 * first one.  contact_joined_at and resident_joined_at record each side's
 * first join (the live visit's), so a no-show names the side that stayed away.
 */
#include "db/migrations.h"

#define VISIT_TABLES(INT, ID, TEXT)                                                                                \
    "CREATE TABLE visit_policies ("                                                                               \
    "  facility_id " INT " PRIMARY KEY REFERENCES facilities(id),"                                               \
    "  time_zone " TEXT ","                                                                                        \
    "  lead_minutes " INT " NOT NULL,"                                                                            \
    "  horizon_days " INT " NOT NULL,"                                                                            \
    "  approval_required " INT " NOT NULL,"                                                                       \
    "  monitoring_required " INT " NOT NULL,"                                                                     \
    "  cancel_cutoff_minutes " INT " NOT NULL,"                                                                   \
    "  late_cancel_refund " TEXT " NOT NULL,"                                                                     \
    "  no_show_grace_minutes " INT " NOT NULL,"                                                                   \
    "  updated_at " INT " NOT NULL);"                                                                             \
    "CREATE TABLE visit_rooms ("                                                                                  \
    "  id " ID ","                                                                                                \
    "  facility_id " INT " NOT NULL REFERENCES facilities(id),"                                                  \
    "  name " TEXT " NOT NULL,"                                                                                   \
    "  active " INT " NOT NULL,"                                                                                  \
    "  created_at " INT " NOT NULL,"                                                                              \
    "  UNIQUE (facility_id, name));"                                                                              \
    "CREATE TABLE visit_slots ("                                                                                  \
    "  id " ID ","                                                                                                \
    "  facility_id " INT " NOT NULL REFERENCES facilities(id),"                                                  \
    "  room_id " INT " NOT NULL REFERENCES visit_rooms(id),"                                                     \
    "  weekday " INT " NOT NULL,"                                                                                 \
    "  start_minute " INT " NOT NULL,"                                                                            \
    "  length_minutes " INT " NOT NULL,"                                                                          \
    "  capacity " INT " NOT NULL,"                                                                                \
    "  active " INT " NOT NULL,"                                                                                  \
    "  created_at " INT " NOT NULL,"                                                                              \
    "  CHECK (weekday >= 0 AND weekday <= 6), CHECK (capacity > 0), CHECK (length_minutes > 0));"                      \
    "CREATE INDEX visit_slots_facility ON visit_slots(facility_id, weekday);"                                     \
    "CREATE TABLE visit_blackouts ("                                                                              \
    "  id " ID ","                                                                                                \
    "  facility_id " INT " NOT NULL REFERENCES facilities(id),"                                                  \
    "  day " TEXT " NOT NULL,"                                                                                    \
    "  reason " TEXT " NOT NULL,"                                                                                 \
    "  created_at " INT " NOT NULL,"                                                                              \
    "  UNIQUE (facility_id, day));"                                                                               \
    "CREATE TABLE visits ("                                                                                       \
    "  id " ID ","                                                                                                \
    "  facility_id " INT " NOT NULL REFERENCES facilities(id),"                                                  \
    "  resident_id " INT " NOT NULL REFERENCES residents(id),"                                                   \
    "  contact_id " INT " NOT NULL REFERENCES contacts(id),"                                                     \
    "  contact_account_id " INT " NOT NULL REFERENCES accounts(id),"                                             \
    "  resident_account_id " INT " NOT NULL REFERENCES accounts(id),"                                            \
    "  booker_account_id " INT " NOT NULL REFERENCES accounts(id),"                                              \
    "  room_id " INT " NOT NULL REFERENCES visit_rooms(id),"                                                     \
    "  slot_id " INT " NOT NULL REFERENCES visit_slots(id),"                                                     \
    "  starts_at " INT " NOT NULL,"                                                                               \
    "  ends_at " INT " NOT NULL,"                                                                                 \
    "  state " TEXT " NOT NULL,"                                                                                  \
    "  price_cents " INT " NOT NULL,"                                                                             \
    "  rate_cents_per_minute " INT " NOT NULL,"                                                                   \
    "  payer_account_id " INT " REFERENCES ledger_accounts(id),"                                                 \
    "  hold_id " INT " REFERENCES ledger_holds(id),"                                                             \
    "  monitoring_required " INT " NOT NULL,"                                                                     \
    "  privileged " INT " NOT NULL,"                                                                              \
    "  contact_joined_at " INT ","                                                                                \
    "  resident_joined_at " INT ","                                                                               \
    "  connected_at " INT ","                                                                                     \
    "  ended_at " INT ","                                                                                         \
    "  end_reason " TEXT ","                                                                                      \
    "  charged_cents " INT ","                                                                                    \
    "  reason " TEXT ","                                                                                          \
    "  idempotency_key " TEXT ","                                                                                 \
    "  created_at " INT " NOT NULL,"                                                                              \
    "  updated_at " INT " NOT NULL,"                                                                              \
    "  UNIQUE (booker_account_id, idempotency_key));"                                                             \
    "CREATE INDEX visits_facility_time ON visits(facility_id, starts_at);"                                        \
    "CREATE INDEX visits_resident_time ON visits(resident_id, starts_at);"                                        \
    "CREATE INDEX visits_contact_time ON visits(contact_account_id, starts_at);"                                  \
    "CREATE INDEX visits_open ON visits(state, ends_at);"                                                         \
    "CREATE TABLE visit_occupancy ("                                                                              \
    "  slot_id " INT " NOT NULL REFERENCES visit_slots(id),"                                                     \
    "  starts_at " INT " NOT NULL,"                                                                               \
    "  taken " INT " NOT NULL,"                                                                                   \
    "  PRIMARY KEY (slot_id, starts_at),"                                                                         \
    "  CHECK (taken >= 0));"

const char kite_migration_26_sqlite[] = VISIT_TABLES("INTEGER", "INTEGER PRIMARY KEY", "TEXT");

const char kite_migration_26_pg[] =
    VISIT_TABLES("BIGINT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "TEXT COLLATE \"C\"");
