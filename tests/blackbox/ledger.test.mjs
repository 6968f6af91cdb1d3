// kite ledger verify: on a fresh demo store the ledger is whole ("ledger:
// ok", exit 0); on a store corrupted behind Kite's back (sqlite3 CLI or psql) it
// names the first breach and exits 1; a usage error exits 2 before any store
// is opened.
//
// SECURITY: money. The corruptions are the ones an attacker with write access
// to the file could make (including turning off the store's own CHECK); the
// verifier must name each rather than report "ok".

import test, { after } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, cli, sqlite, requireSqlite3, storeIn, dropStore, isPg, DATA_DIR } from './lib/kite.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-ledger-'));
const stores = [];
after(() => {
  for (const db of stores) if (isPg(db)) dropStore(db);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function demoStore(name) {
  const db = await storeIn(dir, name);
  stores.push(db);
  const r = await cli(['demo', '--db', db, '--data', DATA_DIR], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `kite demo: exit ${r.code}\n${r.stderr}`);
  return db;
}

function verify(db) {
  return cli(['ledger', 'verify', '--db', db]);
}

function assertOk(r, transactions, accounts) {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, `ledger: ok (${transactions} transactions, ${accounts} accounts)\n`);
}

function assertBreach(r, breach) {
  assert.equal(r.code, 1, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, `ledger: breach: ${breach}\n`);
}

test('sqlite3 CLI is available (apt-get install -y sqlite3 if this fails)', () => {
  requireSqlite3();
});

// What `kite demo` puts in the ledger so its people can send paid messages: the family's top-up
// (processor_clearing, contact_balance), its bundle of 50 stamps (provider_revenue in cents and
// stamps, the family's stamps), Dee's wages (trust_fund, resident_trust) and the two messages'
// holds (a hold account in stamps and one in cents).
const DEMO_TRANSACTIONS = 5;
const DEMO_ACCOUNTS = 9;

test('a fresh demo store: ledger: ok, exit 0', async () => {
  assertOk(await verify(await demoStore('fresh')), DEMO_TRANSACTIONS, DEMO_ACCOUNTS);
});

test('a transaction that does not balance is named, exit 1', async () => {
  const db = await demoStore('unbalanced');
  sqlite(db, `
    INSERT INTO ledger_accounts (id, kind, facility_id, unit, balance, allow_negative, created_at)
      VALUES (1001, 'trust_fund', 2520, 'cents', -500, 1, 0);
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (1002, 'contact_balance', (SELECT MIN(id) FROM accounts), 'cents', 495, 0, 0);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor) VALUES (1042, 'top_up', '', 0, 'cli');
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1042, 1001, -500, -500);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1042, 1002, 495, 495);`);
  assertBreach(await verify(db), 'transaction 1042 does not balance (cents: -5)');
  // Made whole again, it verifies; then a cached balance that lies is named.
  sqlite(db, `UPDATE ledger_entries SET amount = 500, balance_after = 500 WHERE account_id = 1002;
              UPDATE ledger_accounts SET balance = 500 WHERE id = 1002;`);
  assertOk(await verify(db), DEMO_TRANSACTIONS + 1, DEMO_ACCOUNTS + 2);
  sqlite(db, 'UPDATE ledger_accounts SET balance = 900 WHERE id = 1002;');
  assertBreach(await verify(db), 'account 1002 has balance 900 but its entries sum to 500');
});

test('a balance below zero is named even when the store\'s own CHECK was bypassed', async () => {
  const db = await demoStore('negative');
  // PostgreSQL has no switch to skip a CHECK: its owner drops the constraints instead.
  const bypass = isPg(db) ? `DO $$ DECLARE c text; BEGIN
      FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = 'ledger_accounts'::regclass AND contype = 'c' LOOP
        EXECUTE format('ALTER TABLE ledger_accounts DROP CONSTRAINT %I', c);
      END LOOP; END $$;` : 'PRAGMA ignore_check_constraints = ON;';
  sqlite(db, `${bypass}
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (1007, 'contact_balance', (SELECT MIN(id) FROM accounts), 'cents', -5, 0, 0);`);
  assertBreach(await verify(db), 'account 1007 (contact_balance) is below zero (cents: -5)');
});

test('a message hold that disagrees with its message is named: nobody pays for an undelivered message', async () => {
  const db = await demoStore('holds');
  // The demo's messages are paid for already; message 1001 is a copy of message 1 without a hold,
  // sent by another account (the demo's first, which has no money of its own). A whole ledger for
  // it: money paid in (a trust office's clearing account, as the demo's processor one is taken),
  // then its price held and captured.  The hold names its capture before the capture is written:
  // the sqlite3 CLI does not enforce foreign keys, and on PostgreSQL the owner turns them off.
  sqlite(db, `${isPg(db) ? 'SET session_replication_role = replica;' : ''}
    INSERT INTO messages (id, contact_id, facility_id, resident_id, sender_account_id, recipient_account_id, direction,
                          subject, body, status, held, flagged, price_cents, created_at)
      SELECT 1001, contact_id, facility_id, resident_id, (SELECT MIN(id) FROM accounts), recipient_account_id,
             direction, subject, body, 'pending_review', 0, 0, 100, created_at FROM messages WHERE id = 1;
    INSERT INTO ledger_accounts (id, kind, facility_id, unit, balance, allow_negative, created_at)
      VALUES (1001, 'trust_fund', 2520, 'cents', -100, 1, 0);
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (1002, 'contact_balance', (SELECT sender_account_id FROM messages WHERE id = 1001), 'cents', 0, 0, 0);
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (1003, 'hold', (SELECT sender_account_id FROM messages WHERE id = 1001), 'cents', 0, 0, 0);
    INSERT INTO ledger_accounts (id, kind, unit, balance, allow_negative, created_at)
      VALUES (1004, 'provider_revenue', 'cents', 100, 0, 0);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor) VALUES (1001, 'top_up', '', 0, 'cli');
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1001, 1001, -100, -100);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1001, 1002, 100, 100);
    INSERT INTO ledger_holds (id, subject_kind, subject_id, payer_account_id, hold_account_id, amount, unit, state,
                              created_at, settled_at, settle_transaction_id)
      VALUES (1001, 'message', 1001, 1002, 1003, 100, 'cents', 'captured',
              (SELECT created_at FROM messages WHERE id = 1001), (SELECT created_at + 1 FROM messages WHERE id = 1001), 1003);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor, hold_id) VALUES (1002, 'hold', '', 0, 'cli', 1001);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1002, 1002, -100, 0);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1002, 1003, 100, 100);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor, hold_id) VALUES (1003, 'capture', '', 0, 'cli', 1001);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1003, 1003, -100, 0);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1003, 1004, 100, 100);`);
  // Captured while the message still waits for review: a charge for an undelivered message.
  assertBreach(await verify(db), 'message 1001 is pending_review but its hold 1001 is captured, not held');
  sqlite(db, "UPDATE messages SET status = 'delivered' WHERE id = 1001;");
  assertOk(await verify(db), DEMO_TRANSACTIONS + 3, DEMO_ACCOUNTS + 4);
  sqlite(db, "UPDATE messages SET status = 'rejected' WHERE id = 1001;");
  assertBreach(await verify(db), 'message 1001 is rejected but its hold 1001 is captured, not released');
});

test('usage errors exit 2 with the usage line, before any store is opened; --help exits 0', async () => {
  const db = path.join(dir, 'never.db');
  for (const args of [
    ['ledger', 'verify', '--db', db, '--frobnicate', 'x'],
    ['ledger', 'verify', '--dbb', db],
    ['ledger', 'verify'],
    ['ledger', 'verify', '--db'],
    ['ledger', 'verify', '--db', db, 'stray'],
    ['ledger', 'check', '--db', db],
    ['ledger'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /^usage: kite ledger verify --db PATH/m, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.ok(!fs.existsSync(db), `${args.join(' ')}: the store was opened`);
  }
  const help = await cli(['ledger', 'verify', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: kite ledger verify --db PATH/m);
});
