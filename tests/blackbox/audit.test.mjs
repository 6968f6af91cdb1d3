// The audit chain: state changes append records; `kite audit verify` detects
// tampering behind the server's back. Also: no secrets in the audit log or the
// access log.
import { test, before, after } from 'node:test';
import {
  startServer, assert, register, signIn, session, auditVerify, auditCount, freshAddress, sqlite, requireSqlite3, ON_PG,
} from './lib/kite.mjs';

let srv;
let user;
let token;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.cleanup(); });

test('sqlite3 CLI is available (apt-get install -y sqlite3 if this fails)', () => {
  requireSqlite3();
});

test('audit verify passes on a fresh database', async () => {
  const r = await auditVerify(srv.dbPath);
  assert.equal(r.code, 0, `audit verify on a fresh db: code ${r.code}\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /\d+/, 'no count printed');
});

test('registration appends an audit record', async () => {
  const n0 = await auditCount(srv.dbPath);
  user = await register(srv);
  assert.ok(await auditCount(srv.dbPath) > n0, 'registration not audited');
});

test('successful sign-in appends an audit record', async () => {
  const n0 = await auditCount(srv.dbPath);
  token = (await session(srv, user.email, user.password)).token;
  assert.ok(await auditCount(srv.dbPath) > n0, 'sign-in not audited');
});

test('failed sign-in appends an audit record', async () => {
  const n0 = await auditCount(srv.dbPath);
  const r = await signIn(srv, user.email, 'definitely-wrong-1', { localAddress: freshAddress() });
  assert.equal(r.status, 401);
  assert.ok(await auditCount(srv.dbPath) > n0, 'failed sign-in not audited');
});

test('sign-out appends an audit record', async () => {
  const n0 = await auditCount(srv.dbPath);
  const r = await srv.del('/api/v1/sessions/current', { token });
  assert.equal(r.status, 204);
  assert.ok(await auditCount(srv.dbPath) > n0, 'sign-out not audited');
});

test('reads do not append audit records', async () => {
  const n0 = await auditCount(srv.dbPath);
  await srv.get('/api/v1/facilities?q=coleman');
  await srv.get('/healthz');
  assert.equal(await auditCount(srv.dbPath), n0);
});

test('neither the audit log nor the access log contains a password or a token', async () => {
  const s = await session(srv, user.email, user.password);
  await srv.get('/api/v1/me', { token: s.token });
  await srv.get('/api/v1/me', { cookie: s.token });
  await new Promise((r) => setTimeout(r, 200));
  const dump = sqlite(srv.dbPath, 'SELECT * FROM audit_log;');
  assert.ok(dump.length > 0, 'audit_log is empty');
  for (const secret of [user.password, s.token, s.csrf_token, 'definitely-wrong-1']) {
    assert.ok(!dump.includes(secret), `audit_log contains a secret (${secret.slice(0, 6)}…)`);
    assert.ok(!srv.readLog().includes(secret), `the access log contains a secret (${secret.slice(0, 6)}…)`);
  }
});

test('the audit_log table is consistent with the verify count', async () => {
  const n = await auditCount(srv.dbPath);
  const rows = Number(sqlite(srv.dbPath, 'SELECT count(*) FROM audit_log;').trim());
  assert.equal(rows, n);
  assert.ok(n >= 5);
});

function dropAuditTriggers() {
  // An attacker with the file (or the database's owner) can drop any append-only triggers first.
  const list = ON_PG
    ? "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal;"
    : "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log';";
  const triggers = sqlite(srv.dbPath, list).split('\n').map((s) => s.trim()).filter(Boolean);
  for (const t of triggers) sqlite(srv.dbPath, ON_PG ? `DROP TRIGGER "${t}" ON audit_log;` : `DROP TRIGGER "${t}";`);
}

let originalDetail;
test('editing one audit row behind the server\'s back → audit verify fails and names record 2', async () => {
  dropAuditTriggers();
  originalDetail = sqlite(srv.dbPath, `SELECT ${ON_PG ? 'quote_literal' : 'quote'}(detail) FROM audit_log WHERE id=2;`).trim();
  assert.ok(originalDetail.length > 0, 'no audit record with id 2');
  sqlite(srv.dbPath, "UPDATE audit_log SET detail='tampered' WHERE id=2;");
  const r = await auditVerify(srv.dbPath);
  const out = `${r.stdout}\n${r.stderr}`;
  assert.notEqual(r.code, 0, `audit verify passed a tampered chain: ${out}`);
  assert.match(out, /\b2\b/, `audit verify output does not name record 2: ${out}`);
});

test('restoring the row makes the chain whole again', async () => {
  sqlite(srv.dbPath, `UPDATE audit_log SET detail=${originalDetail} WHERE id=2;`);
  const r = await auditVerify(srv.dbPath);
  assert.equal(r.code, 0, `chain not whole after restoring: ${r.stdout}\n${r.stderr}`);
});

test('deleting a middle audit row → audit verify fails', async () => {
  sqlite(srv.dbPath, 'DELETE FROM audit_log WHERE id=3;');
  const r = await auditVerify(srv.dbPath);
  assert.notEqual(r.code, 0, `audit verify passed with record 3 deleted: ${r.stdout}\n${r.stderr}`);
});

test('the server keeps answering; SIGTERM → exit 0 within 10 s', async () => {
  assert.equal((await srv.get('/healthz')).status, 200);
  await srv.stopAndAssertClean();
});
