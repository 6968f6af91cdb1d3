// kite ledger verify: on a fresh demo store the ledger is whole ("ledger:
// ok", exit 0); on a store corrupted behind Kite's back (sqlite3 CLI) it
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
import { assert, cli, sqlite, requireSqlite3, DATA_DIR } from './lib/kite.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-ledger-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function demoStore(name) {
  const db = path.join(dir, `${name}.db`);
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

test('a fresh demo store: ledger: ok, exit 0', async () => {
  assertOk(await verify(await demoStore('fresh')), 0, 0);
});

test('a transaction that does not balance is named, exit 1', async () => {
  const db = await demoStore('unbalanced');
  sqlite(db, `
    INSERT INTO ledger_accounts (id, kind, unit, balance, allow_negative, created_at)
      VALUES (1, 'processor_clearing', 'cents', -500, 1, 0);
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (2, 'contact_balance', (SELECT MIN(id) FROM accounts), 'cents', 495, 0, 0);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor) VALUES (42, 'top_up', '', 0, 'cli');
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (42, 1, -500, -500);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (42, 2, 495, 495);`);
  assertBreach(await verify(db), 'transaction 42 does not balance (cents: -5)');
  // Made whole again, it verifies; then a cached balance that lies is named.
  sqlite(db, `UPDATE ledger_entries SET amount = 500, balance_after = 500 WHERE account_id = 2;
              UPDATE ledger_accounts SET balance = 500 WHERE id = 2;`);
  assertOk(await verify(db), 1, 2);
  sqlite(db, 'UPDATE ledger_accounts SET balance = 900 WHERE id = 2;');
  assertBreach(await verify(db), 'account 2 has balance 900 but its entries sum to 500');
});

test('a balance below zero is named even when the store\'s own CHECK was bypassed', async () => {
  const db = await demoStore('negative');
  sqlite(db, `PRAGMA ignore_check_constraints = ON;
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (7, 'contact_balance', (SELECT MIN(id) FROM accounts), 'cents', -5, 0, 0);`);
  assertBreach(await verify(db), 'account 7 (contact_balance) is below zero (cents: -5)');
});

test('a message hold that disagrees with its message is named: nobody pays for an undelivered message', async () => {
  const db = await demoStore('holds');
  // A whole ledger: a top-up, then message 1's price held and captured.
  sqlite(db, `
    INSERT INTO ledger_accounts (id, kind, unit, balance, allow_negative, created_at)
      VALUES (1, 'processor_clearing', 'cents', -100, 1, 0);
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (2, 'contact_balance', (SELECT sender_account_id FROM messages WHERE id = 1), 'cents', 0, 0, 0);
    INSERT INTO ledger_accounts (id, kind, account_id, unit, balance, allow_negative, created_at)
      VALUES (3, 'hold', (SELECT sender_account_id FROM messages WHERE id = 1), 'cents', 0, 0, 0);
    INSERT INTO ledger_accounts (id, kind, unit, balance, allow_negative, created_at)
      VALUES (4, 'provider_revenue', 'cents', 100, 0, 0);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor) VALUES (1, 'top_up', '', 0, 'cli');
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1, 1, -100, -100);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (1, 2, 100, 100);
    INSERT INTO ledger_holds (id, subject_kind, subject_id, payer_account_id, hold_account_id, amount, unit, state,
                              created_at, settled_at, settle_transaction_id)
      VALUES (1, 'message', 1, 2, 3, 100, 'cents', 'captured',
              (SELECT created_at FROM messages WHERE id = 1), (SELECT created_at + 1 FROM messages WHERE id = 1), 3);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor, hold_id) VALUES (2, 'hold', '', 0, 'cli', 1);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (2, 2, -100, 0);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (2, 3, 100, 100);
    INSERT INTO ledger_transactions (id, kind, memo, created_at, actor, hold_id) VALUES (3, 'capture', '', 0, 'cli', 1);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (3, 3, -100, 0);
    INSERT INTO ledger_entries (transaction_id, account_id, amount, balance_after) VALUES (3, 4, 100, 100);`);
  // Captured while the message still waits for review: a charge for an undelivered message.
  assertBreach(await verify(db), 'message 1 is pending_review but its hold 1 is captured, not held');
  sqlite(db, "UPDATE messages SET status = 'delivered' WHERE id = 1;");
  assertOk(await verify(db), 3, 4);
  sqlite(db, "UPDATE messages SET status = 'rejected' WHERE id = 1;");
  assertBreach(await verify(db), 'message 1 is rejected but its hold 1 is captured, not released');
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
