#include "db/migrations.h"

const migration kite_migrations[] = {
    {1, "directory, accounts, sessions, audit",
     "CREATE TABLE meta ("
     "  key TEXT PRIMARY KEY,"
     "  value TEXT NOT NULL);"

     "CREATE TABLE providers ("
     "  id INTEGER PRIMARY KEY,"
     "  slug TEXT NOT NULL UNIQUE,"
     "  name TEXT NOT NULL,"
     "  operator TEXT NOT NULL,"
     "  website TEXT,"
     "  services TEXT NOT NULL,"          /* comma-separated: messaging,phone,video,money,photos */
     "  how_to TEXT NOT NULL);"

     "CREATE TABLE facilities ("
     "  id INTEGER PRIMARY KEY,"
     "  source_id TEXT UNIQUE,"
     "  name TEXT NOT NULL,"
     "  address TEXT, city TEXT, state TEXT, zip TEXT, type TEXT, status TEXT,"
     "  population INTEGER, capacity INTEGER,"
     "  county TEXT, telephone TEXT, website TEXT, security_level TEXT,"
     "  bop_code TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"

     "CREATE TABLE facility_services ("
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  service TEXT NOT NULL,"
     "  provider_id INTEGER NOT NULL REFERENCES providers(id),"
     "  PRIMARY KEY (facility_id, service));"

     "CREATE TABLE accounts ("
     "  id INTEGER PRIMARY KEY,"
     "  role TEXT NOT NULL,"
     "  email TEXT UNIQUE,"                /* normalised: trimmed, lower case; NULL for residents */
     "  full_name TEXT NOT NULL,"
     "  phone TEXT,"
     "  password_hash TEXT NOT NULL,"
     "  facility_id INTEGER REFERENCES facilities(id),"
     "  status TEXT NOT NULL DEFAULT 'active',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"

     "CREATE TABLE sessions ("
     "  id INTEGER PRIMARY KEY,"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  revoked_at INTEGER);"
     "CREATE INDEX sessions_account ON sessions(account_id);"

     "CREATE TABLE signin_throttle ("
     "  key TEXT PRIMARY KEY,"             /* 'account:<email>' or 'address:<ip>' */
     "  failures INTEGER NOT NULL,"
     "  window_start INTEGER NOT NULL);"

     "CREATE TABLE audit_log ("
     "  id INTEGER PRIMARY KEY,"
     "  at INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  target TEXT NOT NULL,"
     "  detail TEXT NOT NULL,"
     "  prev_hash TEXT NOT NULL,"
     "  hash TEXT NOT NULL);"},
    {2, "facility policies, residents, contacts, invitations, requests, blocks, outbox",
     "CREATE TABLE facility_policies ("
     "  facility_id INTEGER PRIMARY KEY REFERENCES facilities(id),"
     "  profile TEXT NOT NULL,"                 /* federal | jpay | connectnetwork */
     "  contact_initiation TEXT NOT NULL,"      /* resident_invites | contact_requests | both */
     "  invitation_valid_days INTEGER NOT NULL,"
     "  contact_limit INTEGER NOT NULL,"
     "  request_lookup TEXT NOT NULL,"          /* number | number_or_name */
     "  approval TEXT NOT NULL,"                /* resident | resident_or_window */
     "  approval_window_hours INTEGER NOT NULL,"
     "  message_max_chars INTEGER NOT NULL,"
     "  page_chars INTEGER NOT NULL,"
     "  attachments_allowed INTEGER NOT NULL,"
     "  attachment_max_bytes INTEGER NOT NULL,"
     "  max_attachments INTEGER NOT NULL,"
     "  pricing TEXT NOT NULL,"                 /* balance | stamps | credits */
     "  review TEXT NOT NULL,"                  /* all | flagged_only */
     "  review_sla_hours INTEGER NOT NULL,"
     "  daily_send_limit INTEGER NOT NULL,"
     "  resident_number_format TEXT NOT NULL,"  /* bop | digits | any */
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL);"

     "CREATE TABLE residents ("
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL UNIQUE REFERENCES accounts(id),"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  resident_number TEXT NOT NULL,"
     "  first_name TEXT NOT NULL,"
     "  last_name TEXT NOT NULL,"
     "  status TEXT NOT NULL,"                  /* active | released */
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  UNIQUE (facility_id, resident_number));"
     "CREATE INDEX residents_last_name ON residents(facility_id, last_name);"

     "CREATE TABLE contacts ("
     "  id INTEGER PRIMARY KEY,"
     "  resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "  contact_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  status TEXT NOT NULL,"                  /* active | suspended | removed | blocked */
     "  origin TEXT NOT NULL,"                  /* invitation | request */
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  UNIQUE (resident_id, contact_account_id));"
     "CREATE INDEX contacts_contact ON contacts(contact_account_id);"

     "CREATE TABLE invitations ("
     "  id INTEGER PRIMARY KEY,"
     "  resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "  email TEXT NOT NULL,"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  status TEXT NOT NULL,"                  /* pending | accepted | revoked */
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  accepted_at INTEGER,"
     "  contact_id INTEGER REFERENCES contacts(id));"
     "CREATE INDEX invitations_resident ON invitations(resident_id);"

     "CREATE TABLE contact_requests ("
     "  id INTEGER PRIMARY KEY,"
     "  resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "  contact_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  status TEXT NOT NULL,"                  /* pending | approved | declined */
     "  created_at INTEGER NOT NULL,"
     "  decided_at INTEGER,"
     "  decided_by TEXT,"
     "  auto_approve_at INTEGER);"
     "CREATE UNIQUE INDEX contact_requests_one_pending ON contact_requests(resident_id, contact_account_id)"
     "  WHERE status = 'pending';"
     "CREATE INDEX contact_requests_contact ON contact_requests(contact_account_id);"

     "CREATE TABLE facility_blocks ("
     "  id INTEGER PRIMARY KEY,"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  resident_id INTEGER REFERENCES residents(id),"  /* NULL: facility-wide */
     "  email TEXT NOT NULL,"
     "  reason TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  created_by TEXT NOT NULL,"
     "  removed_at INTEGER);"
     "CREATE INDEX facility_blocks_email ON facility_blocks(email);"

     "CREATE TABLE outbox ("
     "  id INTEGER PRIMARY KEY,"
     "  to_address TEXT NOT NULL,"
     "  subject TEXT NOT NULL,"
     "  text_body TEXT NOT NULL,"
     "  html_body TEXT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  status TEXT NOT NULL,"                  /* pending | sent | failed */
     "  attempts INTEGER NOT NULL,"
     "  next_attempt_at INTEGER NOT NULL,"
     "  last_error TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  sent_at INTEGER);"
     "CREATE INDEX outbox_due ON outbox(status, next_attempt_at);"},
    {3, "messages, screening rules, review, attachments, events, idempotency",
     "CREATE TABLE messages ("
     "  id INTEGER PRIMARY KEY,"
     "  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"  /* the resident's facility when sent: review scope */
     "  resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "  sender_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  recipient_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  direction TEXT NOT NULL,"            /* to_resident | from_resident */
     "  subject TEXT NOT NULL,"
     "  body TEXT NOT NULL,"
     "  status TEXT NOT NULL,"               /* pending_review | approved | delivered | read | rejected */
     "  held INTEGER NOT NULL,"              /* a hold rule matched: first in the queue, never released by itself */
     "  flagged INTEGER NOT NULL,"           /* a flag rule matched */
     "  price_cents INTEGER NOT NULL,"
     "  reject_reason TEXT,"
     "  reject_note TEXT,"
     "  decided_by INTEGER REFERENCES accounts(id),"
     "  decided_at INTEGER,"
     "  created_at INTEGER NOT NULL,"
     "  delivered_at INTEGER,"
     "  read_at INTEGER);"
     "CREATE INDEX messages_queue ON messages(facility_id, status, held, flagged, created_at);"
     "CREATE INDEX messages_inbox ON messages(recipient_account_id, delivered_at, id);"
     "CREATE INDEX messages_sent ON messages(sender_account_id, id);"
     "CREATE INDEX messages_thread ON messages(contact_id, id);"

     "CREATE TABLE message_events ("
     "  id INTEGER PRIMARY KEY,"
     "  message_id INTEGER NOT NULL REFERENCES messages(id),"
     "  status TEXT NOT NULL,"
     "  at INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  detail TEXT);"
     "CREATE INDEX message_events_message ON message_events(message_id, id);"

     "CREATE TABLE message_hidden ("        /* a user's \"delete\": hidden from that user only */
     "  message_id INTEGER NOT NULL REFERENCES messages(id),"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  hidden_at INTEGER NOT NULL,"
     "  PRIMARY KEY (message_id, account_id));"

     "CREATE TABLE screening_rules ("
     "  id INTEGER PRIMARY KEY,"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  kind TEXT NOT NULL,"                 /* words | pattern | watch_resident | watch_email */
     "  value TEXT NOT NULL,"
     "  action TEXT NOT NULL,"               /* flag | hold */
     "  note TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  created_by TEXT NOT NULL,"
     "  removed_at INTEGER);"
     "CREATE INDEX screening_rules_facility ON screening_rules(facility_id);"

     "CREATE TABLE message_rule_matches ("
     "  message_id INTEGER NOT NULL REFERENCES messages(id),"
     "  rule_id INTEGER NOT NULL REFERENCES screening_rules(id),"
     "  action TEXT NOT NULL,"
     "  matched TEXT NOT NULL,"              /* what matched, for the reviewer */
     "  PRIMARY KEY (message_id, rule_id));"

     "CREATE TABLE facility_reject_reasons ("
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  code TEXT NOT NULL,"
     "  label TEXT NOT NULL,"
     "  PRIMARY KEY (facility_id, code));"

     "CREATE TABLE attachments ("
     "  id INTEGER PRIMARY KEY,"
     "  owner_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  message_id INTEGER REFERENCES messages(id),"
     "  content_type TEXT NOT NULL,"
     "  width INTEGER NOT NULL,"
     "  height INTEGER NOT NULL,"
     "  size_bytes INTEGER NOT NULL,"
     "  sha256 TEXT NOT NULL,"
     "  data BLOB NOT NULL,"
     "  created_at INTEGER NOT NULL);"
     "CREATE INDEX attachments_message ON attachments(message_id);"
     "CREATE INDEX attachments_owner ON attachments(owner_account_id);"

     "CREATE TABLE events ("                 /* what Server-Sent Events streams tell each account */
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  kind TEXT NOT NULL,"
     "  message_id INTEGER,"
     "  status TEXT,"
     "  at INTEGER NOT NULL);"
     "CREATE INDEX events_account ON events(account_id, id);"

     "CREATE TABLE idempotency_keys ("
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  key TEXT NOT NULL,"
     "  endpoint TEXT NOT NULL,"
     "  request_hash TEXT NOT NULL,"
     "  status INTEGER NOT NULL,"
     "  response TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  PRIMARY KEY (account_id, key));"},
    {4, "indexes for unread counts, queue metrics and daily limits",
     "CREATE INDEX messages_unread ON messages(recipient_account_id, contact_id) WHERE status = 'delivered';"
     "CREATE INDEX messages_decided ON messages(facility_id, decided_at);"
     "CREATE INDEX messages_sender_time ON messages(sender_account_id, created_at);"},
    {5, "the label of a rejection reason, as the sender was told it",
     "ALTER TABLE messages ADD COLUMN reject_label TEXT;"},
    /*
     * The ledger (domain/ledger): double-entry in integer units.  An
     * account's owner is whichever of account_id, resident_id and
     * facility_id its kind needs (the others NULL); NULLs are distinct in a
     * UNIQUE constraint on SQLite and PostgreSQL alike, so the one-account-
     * per-owner key is an index on the owners with NULL read as 0.  The
     * cached balance may never pass below zero unless allow_negative (system
     * accounts such as processor_clearing): the CHECK is the store's own
     * guard behind the conditional UPDATE in ledger.c.  Transactions and
     * holds point at each other (a hold's settling transaction, a
     * transaction's hold), so hold_id is added once both tables exist.
     */
    {6, "ledger: accounts, transactions, entries, holds",
     "CREATE TABLE ledger_accounts ("
     "  id INTEGER PRIMARY KEY,"
     "  kind TEXT NOT NULL,"                 /* contact_balance | resident_trust | phone_account | stamps | credits | hold
                                                | facility_revenue | provider_revenue | processor_clearing | fees */
     "  account_id INTEGER REFERENCES accounts(id),"
     "  resident_id INTEGER REFERENCES residents(id),"
     "  facility_id INTEGER REFERENCES facilities(id),"
     "  unit TEXT NOT NULL,"                 /* cents | stamps | credits */
     "  balance INTEGER NOT NULL DEFAULT 0," /* the sum of its entries, kept in step by every posting */
     "  allow_negative INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  CHECK (allow_negative <> 0 OR balance >= 0));"
     "CREATE UNIQUE INDEX ledger_accounts_owner ON ledger_accounts"
     "  (kind, unit, COALESCE(account_id, 0), COALESCE(resident_id, 0), COALESCE(facility_id, 0));"
     "CREATE INDEX ledger_accounts_account ON ledger_accounts(account_id);"
     "CREATE INDEX ledger_accounts_resident ON ledger_accounts(resident_id);"

     "CREATE TABLE ledger_transactions ("
     "  id INTEGER PRIMARY KEY,"
     "  kind TEXT NOT NULL,"                 /* top_up | purchase | transfer | deposit | call | fee | refund
                                                | adjustment | hold | capture | release */
     "  memo TEXT NOT NULL,"
     "  reference TEXT UNIQUE,"              /* the caller's idempotency reference; NULL when none */
     "  created_at INTEGER NOT NULL,"
     "  actor TEXT NOT NULL);"

     "CREATE TABLE ledger_entries ("
     "  id INTEGER PRIMARY KEY,"
     "  transaction_id INTEGER NOT NULL REFERENCES ledger_transactions(id),"
     "  account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),"
     "  amount INTEGER NOT NULL,"            /* signed, in the account's unit; + into the account */
     "  balance_after INTEGER NOT NULL,"     /* the account's balance once this entry was posted */
     "  CHECK (amount <> 0));"
     "CREATE INDEX ledger_entries_account ON ledger_entries(account_id, id);"
     "CREATE INDEX ledger_entries_transaction ON ledger_entries(transaction_id);"

     "CREATE TABLE ledger_holds ("
     "  id INTEGER PRIMARY KEY,"
     "  subject_kind TEXT NOT NULL,"         /* message */
     "  subject_id INTEGER NOT NULL,"
     "  payer_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),"
     "  hold_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),"
     "  amount INTEGER NOT NULL,"
     "  unit TEXT NOT NULL,"
     "  state TEXT NOT NULL,"                /* held | captured | released */
     "  created_at INTEGER NOT NULL,"
     "  settled_at INTEGER,"
     "  settle_transaction_id INTEGER REFERENCES ledger_transactions(id),"
     "  CHECK (amount > 0),"
     "  UNIQUE (subject_kind, subject_id));"
     "CREATE INDEX ledger_holds_open ON ledger_holds(state, created_at);"
     "CREATE INDEX ledger_holds_payer ON ledger_holds(payer_account_id);"

     "ALTER TABLE ledger_transactions ADD COLUMN hold_id INTEGER REFERENCES ledger_holds(id);"
     "CREATE INDEX ledger_transactions_hold ON ledger_transactions(hold_id);"},

    {7, "wallet: card top-ups, one per account and Idempotency-Key",
     "CREATE TABLE wallet_top_ups ("
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  idempotency_key TEXT NOT NULL,"      /* the client's key, unique per account */
     "  processor_key TEXT NOT NULL UNIQUE," /* the key the processor sees: kite-top-up- and 64 random hex digits */
     "  amount_cents INTEGER NOT NULL,"
     "  card_brand TEXT NOT NULL,"           /* visa | mastercard | amex | discover | card: never the number */
     "  card_last4 TEXT NOT NULL,"
     "  state TEXT NOT NULL,"                /* pending | approved | declined | failed */
     "  decline_reason TEXT,"                /* declined | insufficient_funds | expired | invalid */
     "  charge_id TEXT,"                     /* the processor's id */
     "  transaction_id INTEGER REFERENCES ledger_transactions(id),"
     "  created_at INTEGER NOT NULL,"
     "  settled_at INTEGER,"
     "  CHECK (amount_cents > 0),"
     "  UNIQUE (account_id, idempotency_key));"
     "CREATE INDEX wallet_top_ups_state ON wallet_top_ups(state, created_at);"},

    /*
     * A facility's own prices (domain/ledger/prices.c).  A facility without a
     * row charges its profile's defaults.  The pricing model and the page
     * size are the policy's (facility_policies.pricing, .page_chars), kept
     * there only, so this row holds every other number of the schedule.
     * Bundles and fee tiers are child rows, not a JSON column, so the SQL
     * stays portable.  A phone deposit fee is stored to say it is 0: the FCC
     * forbids any other, and the CHECK is the store's own guard.
     */
    {8, "facility prices: schedule, bundles, transfer fee tiers and limits, phone and video rates",
     "CREATE TABLE facility_prices ("
     "  facility_id INTEGER PRIMARY KEY REFERENCES facilities(id),"
     "  message_cents INTEGER NOT NULL,"
     "  block_chars INTEGER NOT NULL,"
     "  block_cents INTEGER NOT NULL,"
     "  photo_cents INTEGER NOT NULL,"
     "  stamps_per_photo INTEGER NOT NULL,"
     "  reply_stamps INTEGER NOT NULL,"
     "  stamp_unit_cents INTEGER NOT NULL,"
     "  credits_per_message INTEGER NOT NULL,"
     "  credits_per_photo INTEGER NOT NULL,"
     "  credit_unit_cents INTEGER NOT NULL,"
     "  subscription_cents_per_month INTEGER NOT NULL,"
     "  terminal_cents_per_minute INTEGER NOT NULL,"
     "  audio_cents_per_minute INTEGER NOT NULL,"
     "  video_cents_per_minute INTEGER NOT NULL,"
     "  deposit_fee_cents INTEGER NOT NULL DEFAULT 0,"
     "  transfer_min_cents INTEGER NOT NULL,"
     "  transfer_max_cents INTEGER NOT NULL,"
     "  transfer_monthly_cents INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  updated_by TEXT NOT NULL,"
     "  CHECK (deposit_fee_cents = 0));"

     "CREATE TABLE facility_price_bundles ("
     "  facility_id INTEGER NOT NULL REFERENCES facility_prices(facility_id),"
     "  unit TEXT NOT NULL,"                 /* stamps | credits */
     "  count INTEGER NOT NULL,"
     "  price_cents INTEGER NOT NULL,"
     "  CHECK (count > 0 AND price_cents > 0),"
     "  PRIMARY KEY (facility_id, unit, count));"

     "CREATE TABLE facility_fee_tiers ("     /* money transfers: amounts up to up_to_cents cost fee_cents */
     "  facility_id INTEGER NOT NULL REFERENCES facility_prices(facility_id),"
     "  up_to_cents INTEGER NOT NULL,"
     "  fee_cents INTEGER NOT NULL,"
     "  CHECK (up_to_cents > 0 AND fee_cents >= 0),"
     "  PRIMARY KEY (facility_id, up_to_cents));"
     /* The revenue report reads a facility's revenue accounts (domain/ledger/revenue.c). */
     "CREATE INDEX ledger_accounts_facility ON ledger_accounts(facility_id, kind);"},
    {9, "money transfers to a resident's trust account; terminal time sessions",
     "CREATE TABLE money_transfers ("
     "  id INTEGER PRIMARY KEY,"
     "  sender_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "  amount_cents INTEGER NOT NULL,"
     "  fee_cents INTEGER NOT NULL,"
     "  state TEXT NOT NULL,"                /* completed */
     "  idempotency_key TEXT NOT NULL,"      /* the sender's key, unique per sender */
     "  transaction_id INTEGER NOT NULL REFERENCES ledger_transactions(id),"
     "  created_at INTEGER NOT NULL,"
     "  CHECK (amount_cents > 0 AND fee_cents >= 0),"
     "  UNIQUE (sender_account_id, idempotency_key));"
     "CREATE INDEX money_transfers_month ON money_transfers(sender_account_id, resident_id, created_at);"

     "CREATE TABLE terminal_sessions ("
     "  id INTEGER PRIMARY KEY,"
     "  resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  cents_per_minute INTEGER NOT NULL,"  /* the rate when the session started */
     "  started_at INTEGER NOT NULL,"
     "  last_heartbeat_at INTEGER NOT NULL,"
     "  minutes_charged INTEGER NOT NULL DEFAULT 0,"
     "  minutes_unpaid INTEGER NOT NULL DEFAULT 0," /* started minutes the trust account could not pay: never charged */
     "  charged_cents INTEGER NOT NULL DEFAULT 0,"
     "  ended_at INTEGER,"                   /* NULL while open */
     "  CHECK (minutes_charged >= 0 AND minutes_unpaid >= 0));"
     "CREATE INDEX terminal_sessions_open ON terminal_sessions(resident_id, ended_at);"},
    {10, "phone: facility API keys, prepaid phone accounts, rated call records",
     "CREATE TABLE facility_api_keys ("
     "  id INTEGER PRIMARY KEY,"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  prefix TEXT NOT NULL,"               /* the key's first characters, shown to tell keys apart */
     "  key_hash TEXT NOT NULL UNIQUE,"      /* hex of crypto_generichash of the whole key; never the key */
     "  created_by TEXT NOT NULL,"           /* audit actor */
     "  created_at INTEGER NOT NULL,"
     "  last_used_at INTEGER,"
     "  revoked_at INTEGER);"
     "CREATE INDEX facility_api_keys_prefix ON facility_api_keys(prefix);"
     "CREATE INDEX facility_api_keys_facility ON facility_api_keys(facility_id);"

     "CREATE TABLE phone_accounts ("
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  phone_number TEXT NOT NULL,"         /* E.164: the number the resident calls */
     "  ledger_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),"
     "  created_at INTEGER NOT NULL,"
     "  last_activity_at INTEGER NOT NULL,"  /* deposits, calls, refunds; nothing is ever taken for inactivity */
     "  UNIQUE (facility_id, phone_number),"
     "  UNIQUE (account_id, facility_id));"

     "CREATE TABLE phone_calls ("
     "  id INTEGER PRIMARY KEY,"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  call_id TEXT NOT NULL,"              /* the phone system's id, its Idempotency-Key */
     "  api_key_id INTEGER NOT NULL REFERENCES facility_api_keys(id),"
     "  phone_account_id INTEGER REFERENCES phone_accounts(id),"
     "  phone_number TEXT NOT NULL,"
     "  resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "  started_at INTEGER NOT NULL,"
     "  reported_seconds INTEGER NOT NULL,"
     "  billed_seconds INTEGER NOT NULL,"
     "  billed_minutes INTEGER NOT NULL,"
     "  rate_cents INTEGER NOT NULL,"
     "  amount_cents INTEGER NOT NULL,"
     "  cut_at_balance INTEGER NOT NULL,"
     "  outcome TEXT NOT NULL,"              /* billed | no_account | balance_empty */
     "  transaction_id INTEGER REFERENCES ledger_transactions(id),"
     "  created_at INTEGER NOT NULL,"
     "  CHECK (reported_seconds >= 0 AND billed_seconds >= 0 AND billed_minutes >= 0 AND amount_cents >= 0),"
     "  UNIQUE (facility_id, call_id));"
     "CREATE INDEX phone_calls_account ON phone_calls(phone_account_id, id);"},
    {11, "messages are paid for: the price in its unit; subscriptions",
     "ALTER TABLE messages ADD COLUMN price_amount INTEGER NOT NULL DEFAULT 0;" /* what was held, in price_unit */
     "ALTER TABLE messages ADD COLUMN price_unit TEXT NOT NULL DEFAULT 'cents';" /* cents | stamps | credits */
     "CREATE TABLE wallet_subscriptions ("
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  facility_id INTEGER NOT NULL REFERENCES facilities(id),"
     "  months INTEGER NOT NULL,"
     "  price_cents INTEGER NOT NULL,"
     "  starts_at INTEGER NOT NULL,"         /* epoch ms; a renewal starts when the previous period ends */
     "  ends_at INTEGER NOT NULL,"
     "  transaction_id INTEGER REFERENCES ledger_transactions(id)," /* NULL when it cost nothing */
     "  idempotency_key TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  CHECK (months > 0 AND ends_at > starts_at),"
     "  UNIQUE (account_id, idempotency_key));"
     "CREATE INDEX wallet_subscriptions_active ON wallet_subscriptions(account_id, facility_id, ends_at);"},

    /* kite ledger verify finds a call posting's row by its transaction; without it, a scan per posting. */
    {12, "an index from phone calls to their postings",
     "CREATE INDEX phone_calls_transaction ON phone_calls(transaction_id);"},

    /*
     * Distribution by facility (docs/scaling.md): every row a facility owns
     * names it, so that a national deployment can place each facility's rows
     * together without a join to find out whose they are.  A resident's own
     * rows (contacts, invitations, contact requests) carry the resident's
     * facility and move with the resident on a transfer (transfer.c); a
     * message's rows (its events, hides, rule matches, the events of the
     * streams, the attachments once attached) carry the message's facility,
     * which never changes.  Each value is taken from the parent row in this
     * same step.
     *
     * NOT NULL where the parent always has a facility.  SQLite's ADD COLUMN
     * cannot add NOT NULL without a default, so those six tables are rebuilt:
     * copied aside, dropped, created again with the column last (where
     * PostgreSQL's ADD COLUMN puts it) and filled back, ids kept, then their
     * indexes made again.  The copy has the old columns in the old order, so
     * "SELECT t.*, <facility>" lines up with the new table; the statements
     * stay short because one step's text must fit the 4095 characters a C
     * string literal may hold.  contacts is the parent of messages and
     * invitations: dropping it would break their REFERENCES for a moment, so
     * the foreign keys are checked at COMMIT instead (defer_foreign_keys
     * lasts for this step's transaction only), by when every parent row is
     * back.  The value is read by a scalar subquery rather than a JOIN so that
     * a row whose parent is missing makes the step fail instead of vanishing.
     *
     * events and attachments stay nullable and are only altered: an upload
     * belongs to its owner and to no facility until it is attached to a
     * message, and the event stream is an account's, whose events today are
     * all about a message but need not be; both tables are also the largest
     * to copy (attachments hold the images).
     */
    {13, "facility_id on every row a facility owns",
     "PRAGMA defer_foreign_keys = ON;"

     "CREATE TEMP TABLE m13 AS SELECT * FROM contacts;"
     "DROP TABLE contacts;"
     "CREATE TABLE contacts ("
     "id INTEGER PRIMARY KEY,"
     "resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "contact_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "status TEXT NOT NULL,"                  /* active | suspended | removed | blocked */
     "origin TEXT NOT NULL,"                  /* invitation | request */
     "created_at INTEGER NOT NULL,"
     "updated_at INTEGER NOT NULL,"
     "facility_id INTEGER NOT NULL REFERENCES facilities(id),"  /* the resident's, now */
     "UNIQUE (resident_id, contact_account_id));"
     "INSERT INTO contacts SELECT t.*, (SELECT facility_id FROM residents WHERE id = t.resident_id) FROM m13 t;"
     "DROP TABLE m13;"
     "CREATE INDEX contacts_contact ON contacts(contact_account_id);"
     "CREATE INDEX contacts_facility ON contacts(facility_id, status);"

     "CREATE TEMP TABLE m13 AS SELECT * FROM invitations;"
     "DROP TABLE invitations;"
     "CREATE TABLE invitations ("
     "id INTEGER PRIMARY KEY,"
     "resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "email TEXT NOT NULL,"
     "token_hash TEXT NOT NULL UNIQUE,"
     "status TEXT NOT NULL,"                  /* pending | accepted | revoked */
     "created_at INTEGER NOT NULL,"
     "expires_at INTEGER NOT NULL,"
     "accepted_at INTEGER,"
     "contact_id INTEGER REFERENCES contacts(id),"
     "facility_id INTEGER NOT NULL REFERENCES facilities(id));"  /* the resident's, now */
     "INSERT INTO invitations SELECT t.*, (SELECT facility_id FROM residents WHERE id = t.resident_id) FROM m13 t;"
     "DROP TABLE m13;"
     "CREATE INDEX invitations_resident ON invitations(resident_id);"

     "CREATE TEMP TABLE m13 AS SELECT * FROM contact_requests;"
     "DROP TABLE contact_requests;"
     "CREATE TABLE contact_requests ("
     "id INTEGER PRIMARY KEY,"
     "resident_id INTEGER NOT NULL REFERENCES residents(id),"
     "contact_account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "status TEXT NOT NULL,"                  /* pending | approved | declined */
     "created_at INTEGER NOT NULL,"
     "decided_at INTEGER,"
     "decided_by TEXT,"
     "auto_approve_at INTEGER,"
     "facility_id INTEGER NOT NULL REFERENCES facilities(id));"  /* the resident's, now */
     "INSERT INTO contact_requests SELECT t.*, (SELECT facility_id FROM residents WHERE id = t.resident_id) FROM m13 t;"
     "DROP TABLE m13;"
     "CREATE UNIQUE INDEX contact_requests_one_pending ON contact_requests(resident_id, contact_account_id)"
     " WHERE status = 'pending';"
     "CREATE INDEX contact_requests_contact ON contact_requests(contact_account_id);"

     "CREATE TEMP TABLE m13 AS SELECT * FROM message_events;"
     "DROP TABLE message_events;"
     "CREATE TABLE message_events ("
     "id INTEGER PRIMARY KEY,"
     "message_id INTEGER NOT NULL REFERENCES messages(id),"
     "status TEXT NOT NULL,"
     "at INTEGER NOT NULL,"
     "actor TEXT NOT NULL,"
     "detail TEXT,"
     "facility_id INTEGER NOT NULL REFERENCES facilities(id));"  /* the message's */
     "INSERT INTO message_events SELECT t.*, (SELECT facility_id FROM messages WHERE id = t.message_id) FROM m13 t;"
     "DROP TABLE m13;"
     "CREATE INDEX message_events_message ON message_events(message_id, id);"

     "CREATE TEMP TABLE m13 AS SELECT * FROM message_hidden;"
     "DROP TABLE message_hidden;"
     "CREATE TABLE message_hidden ("        /* a user's \"delete\": hidden from that user only */
     "message_id INTEGER NOT NULL REFERENCES messages(id),"
     "account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "hidden_at INTEGER NOT NULL,"
     "facility_id INTEGER NOT NULL REFERENCES facilities(id),"  /* the message's */
     "PRIMARY KEY (message_id, account_id));"
     "INSERT INTO message_hidden SELECT t.*, (SELECT facility_id FROM messages WHERE id = t.message_id) FROM m13 t;"
     "DROP TABLE m13;"

     "CREATE TEMP TABLE m13 AS SELECT * FROM message_rule_matches;"
     "DROP TABLE message_rule_matches;"
     "CREATE TABLE message_rule_matches ("
     "message_id INTEGER NOT NULL REFERENCES messages(id),"
     "rule_id INTEGER NOT NULL REFERENCES screening_rules(id),"
     "action TEXT NOT NULL,"
     "matched TEXT NOT NULL,"              /* what matched, for the reviewer */
     "facility_id INTEGER NOT NULL REFERENCES facilities(id),"  /* the message's */
     "PRIMARY KEY (message_id, rule_id));"
     "INSERT INTO message_rule_matches SELECT t.*, (SELECT facility_id FROM messages WHERE id = t.message_id) FROM m13 t;"
     "DROP TABLE m13;"

     "ALTER TABLE events ADD COLUMN facility_id INTEGER REFERENCES facilities(id);"  /* the message's, when about one */
     "UPDATE events SET facility_id = (SELECT facility_id FROM messages WHERE id = events.message_id);"
     "ALTER TABLE attachments ADD COLUMN facility_id INTEGER REFERENCES facilities(id);"  /* the message's, once attached */
     "UPDATE attachments SET facility_id = (SELECT facility_id FROM messages WHERE id = attachments.message_id);"},
    /*
     * The review queue's reads (review.c), each from an index that holds
     * only what it reads.  A message is pending review for minutes to days
     * of its life, so the queue's index keeps just those rows, in the page's
     * order (held first, then flagged, then oldest; id breaks ties), and its
     * depth and age are counted from the same rows; it replaces the index on
     * (facility, status, ...) that every later status change rewrote.  The
     * median decision time reads the decisions people made (decided_by is
     * set) in the last day, with both times in the index, instead of
     * visiting the row of every message decided, by anyone, in that day.
     * An account's hides, by account: the unread count of a page subtracts
     * them instead of looking each unread message up among all hides.
     *
     * Each partial index also holds the column its WHERE names, though every
     * row in it has the same value there: a query must repeat that condition
     * to use the index, and SQLite reads the table row to check it unless the
     * index holds the column.  With it, counts read the index alone.
     */
    {14, "indexes for the review queue (waiting messages, decisions people made), unread counts and an account's hides",
     "DROP INDEX messages_queue;"
     "CREATE INDEX messages_review ON messages(facility_id, held DESC, flagged DESC, created_at, id, status)"
     " WHERE status = 'pending_review';"
     "DROP INDEX messages_decided;"
     "CREATE INDEX messages_reviewed ON messages(facility_id, decided_at, created_at, decided_by)"
     " WHERE decided_by IS NOT NULL;"
     "DROP INDEX messages_unread;"
     "CREATE INDEX messages_unread ON messages(recipient_account_id, contact_id, status) WHERE status = 'delivered';"
     "CREATE INDEX message_hidden_account ON message_hidden(account_id, message_id);"},
    /*
     * The daily send limit, counted by the hour (message.c daily_limit_check):
     * at most 25 rows an account, one per hour of the last 25, reused in turn
     * (slot = hour % 25), so the check reads 25 rows however much the sender
     * sent, where counting messages walked up to the limit's index entries
     * (10,000 at most) on every send.  The rows are filled from the senders'
     * messages of the 25 hours up to the newest one (found per sender on the
     * time index, not by reading every message) before that index goes: its
     * only reader was the count.
     */
    {15, "the daily send limit counted by the hour, not by walking the sender's messages",
     "CREATE TABLE send_tally ("
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  slot INTEGER NOT NULL,"
     "  hour INTEGER NOT NULL,"
     "  sent INTEGER NOT NULL,"
     "  PRIMARY KEY (account_id, slot)) WITHOUT ROWID;"
     SEND_TALLY_FILL_SQL},
    /*
     * Password reset links (domain/identity/password_reset.c): only the
     * token's SHA-256 is kept; a link works once, until expires_at.
     */
    {16, "password reset links",
     "CREATE TABLE password_resets ("
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  used_at INTEGER);"
     "CREATE INDEX password_resets_account ON password_resets(account_id, created_at);"},
    /* How long a resident's tablet may sit untouched before it signs itself out (web/idle.js). */
    {17, "tablet idle sign-out time in the facility policy",
     "ALTER TABLE facility_policies ADD COLUMN tablet_idle_minutes INTEGER NOT NULL DEFAULT 5;"},
    /*
     * The language a person reads (core/lang.h): their error sentences when
     * the request names none, and every mail sent to them.  A mail keeps the
     * language it was written in, for its Content-Language header; "en, es"
     * is the one bilingual mail (an invitation to an address with no account).
     */
    {18, "a language per account and per mail",
     "ALTER TABLE accounts ADD COLUMN lang TEXT NOT NULL DEFAULT 'en' CHECK (lang = 'en' OR lang = 'es');"
     "ALTER TABLE outbox ADD COLUMN lang TEXT NOT NULL DEFAULT 'en'"
     " CHECK (lang = 'en' OR lang = 'es' OR lang = 'en, es');"},
    /*
     * Email verification (domain/identity/email_verify.c) and registration
     * that does not tell who has an account: an address is unique only among
     * verified accounts, so a registration for a taken address makes a real,
     * never-verifiable account and answers exactly as for a free one.
     * SQLite cannot drop the column's UNIQUE, so accounts is copied out,
     * made again without it and filled back, ids kept (as step 13 did for
     * contacts: its children are checked at COMMIT).  Every existing row
     * counts as verified (email_verified_at = created_at): people who
     * registered before verification existed, and staff made by the CLI.
     * The column list is the table as of step 18 (lang included): the copy
     * takes every old column in order, then adds email_verified_at.
     */
    {19, "email verification; an address unique among verified accounts only; email change links",
     "PRAGMA defer_foreign_keys = ON;"
     "CREATE TEMP TABLE m19 AS SELECT * FROM accounts;"
     "DROP TABLE accounts;"
     "CREATE TABLE accounts ("
     "  id INTEGER PRIMARY KEY,"
     "  role TEXT NOT NULL,"
     "  email TEXT,"                       /* normalised; NULL for residents; unique among verified accounts */
     "  full_name TEXT NOT NULL,"
     "  phone TEXT,"
     "  password_hash TEXT NOT NULL,"
     "  facility_id INTEGER REFERENCES facilities(id),"
     "  status TEXT NOT NULL DEFAULT 'active',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  lang TEXT NOT NULL DEFAULT 'en' CHECK (lang = 'en' OR lang = 'es'),"
     "  email_verified_at INTEGER);"       /* NULL until the address is proven */
     "INSERT INTO accounts SELECT t.*, t.created_at FROM m19 t;"
     "DROP TABLE m19;"
     "CREATE UNIQUE INDEX accounts_email_verified ON accounts(email) WHERE email_verified_at IS NOT NULL;"
     "CREATE INDEX accounts_email ON accounts(email, email_verified_at);"
     "CREATE TABLE email_verifications ("
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  used_at INTEGER);"
     "CREATE INDEX email_verifications_account ON email_verifications(account_id, created_at);"
     "CREATE TABLE email_changes ("
     "  id INTEGER PRIMARY KEY,"
     "  account_id INTEGER NOT NULL REFERENCES accounts(id),"
     "  new_email TEXT NOT NULL,"
     "  token_hash TEXT NOT NULL UNIQUE,"
     "  created_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL,"
     "  used_at INTEGER);"
     "CREATE INDEX email_changes_account ON email_changes(account_id, created_at);"},
    /*
     * A family member deleted their account (domain/privacy/account_deletion.c):
     * the row stays, anonymised, because messages, ledger entries and the
     * audit chain point to it; deleted_at says when, and keeps a deleted
     * account apart from a released resident's disabled one.
     */
    {20, "when a family member deleted their account",
     "ALTER TABLE accounts ADD COLUMN deleted_at INTEGER;"},
    /*
     * Progressive sign-in delays instead of lockouts (domain/identity/throttle.h):
     * failures per key (a hash of it: an account and address pair, an address,
     * an account) and when the last one was.  pin_weak marks a resident whose
     * PIN, typed at a sign-in, is one the PIN rules of today refuse (shorter
     * than 6 digits, or trivial): they still sign in, and staff see that the
     * PIN must be reset (domain/facility/pin.h).
     */
    {21, "progressive sign-in delays; residents whose PIN must be reset",
     "CREATE TABLE attempt_delays ("
     "  key TEXT PRIMARY KEY,"
     "  failures INTEGER NOT NULL,"
     "  last_failure_at INTEGER NOT NULL);"
     "ALTER TABLE residents ADD COLUMN pin_weak INTEGER NOT NULL DEFAULT 0;"},
    /*
     * 22: investigators search a facility's messages by their words
     * (domain/oversight).  message_search is an FTS5 index over the subject
     * and the body, tokenized by kite_stem (db/fts_stem.c: unicode61 without
     * diacritics, each word as its English and its Spanish stem).  It is an
     * external-content table: it keeps only the index and reads the text
     * from messages itself, so the private text exists once in the store.
     *
     * No trigger keeps it in step: a trigger would make every writer of
     * messages need the kite_stem tokenizer, and the sqlite3 shell, the
     * benches and tests that seed messages have none ("no such tokenizer").
     * Messages are only ever appended and their text never changes, so the
     * index is complete when it holds every id up to the largest: a search
     * whose read finds messages above the largest id it holds (its own
     * message_search_docsize) adds them in a write and reads again
     * (investigation.c), and this step adds those already stored.  The
     * send path pays nothing for the index.  The PostgreSQL step reaches the
     * same searches with a GIN index (migrations_pg.c); these objects exist
     * on SQLite only (tools/compare-schemas.py skips them, db/copy.c copies
     * no virtual or shadow table: the target's first search indexes what
     * it was given).
     */
    {22, "full-text search of messages for investigators",
     "CREATE VIRTUAL TABLE message_search USING fts5(subject, body, content='messages', content_rowid='id',"
     "  tokenize='kite_stem');"
     "INSERT INTO message_search(rowid, subject, body) SELECT id, subject, body FROM messages ORDER BY id;"
     "CREATE INDEX messages_facility_time ON messages(facility_id, created_at, id);"},
    {23, "attorneys and privileged messages", kite_migration_23_sqlite},
    {24, "retention periods, message and photo tombstones, legal holds, audit checkpoints", kite_migration_24_sqlite},
    {25, "staff two-factor sign-in, recovery codes, idle staff sessions", kite_migration_25_sqlite},
    {26, "video visits: policies, rooms, weekly slots, blackouts, bookings", kite_migration_26_sqlite},
    {27, "live video visits: Janus rooms and the people in them", kite_migration_27_sqlite},
    {28, "video messages: attachment kind, duration and poster; videos_allowed; video prices", kite_migration_28_sqlite},
    {29, "video visits: media seen flowing (packets and times)", kite_migration_29_sqlite},
    {30, "visit moves: a reschedule re-priced, its new hold, its Idempotency-Key", kite_migration_30_sqlite},
    {31, "events name the visit they are about (the tablet and the family hear which visit changed)", kite_migration_31_sqlite},
};

const size_t kite_migration_count = sizeof kite_migrations / sizeof kite_migrations[0];
