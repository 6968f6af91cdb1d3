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
     "  email TEXT NOT NULL UNIQUE,"       /* normalised: trimmed, lower case */
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
};

const size_t kite_migration_count = sizeof kite_migrations / sizeof kite_migrations[0];
