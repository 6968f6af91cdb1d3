// A family member takes their data and deletes their account (GET /api/v1/me/export,
// DELETE /api/v1/me). The export holds the account (never a password hash), contacts,
// every message sent and received with its photos listed, and every statement line.
// Deletion asks for the password and the word DELETE, refuses while the account holds
// money (409 account_has_balance with the amounts), and otherwise anonymises the
// account: it never signs in again, the resident still reads the old messages as from
// "Deleted account", the email registers again, and `kite ledger verify` and
// `kite audit verify` pass. Staff and residents cannot delete themselves (403).
//
// SECURITY: money and personal data. The store is read directly as well as the API.
import { test, before, after } from 'node:test';
import { World, assert, assertError, onPlatform, pair, send, describeRes } from './lib/messaging.mjs';
import { cli, auditVerify, signIn, register, freshAddress } from './lib/kite.mjs';

let w;
let op;
let F; // federal, clean messages delivered at once: free messages, so money is only what a test adds

before(async () => {
  w = await World.start();
  op = await w.operator();
  F = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal', review: 'flagged_only' });
});

after(async () => {
  if (w) {
    const r = await cli(['ledger', 'verify', '--db', w.dbPath]);
    assert.equal(r.code, 0, `kite ledger verify: exit ${r.code}\n${r.stdout}${r.stderr}`);
    await w.close();
  }
});

const del = (who, body) => w.srv.request('DELETE', '/api/v1/me', { body, token: who.token });

async function balance(c) {
  const r = await w.get('/api/v1/wallet', c.token);
  assert.equal(r.status, 200, describeRes(r));
  return r.json.balance_cents;
}

/** Spends the whole balance as one money transfer to the resident (amount + fee = balance). */
async function spendAll(c, r) {
  const total = await balance(c);
  const body = { facility_id: F, resident_number: r.number, resident_last_name: r.last_name, amount_cents: total };
  for (let i = 0; i < 5; i++) {
    const q = await w.post('/api/v1/money-transfers/quote', body, c.token);
    assert.equal(q.status, 200, describeRes(q));
    if (q.json.total_cents === total) break;
    body.amount_cents = total - q.json.fee_cents;
  }
  const res = await w.post('/api/v1/money-transfers', body, c.token, { headers: { 'Idempotency-Key': `del-${Date.now()}` } });
  assert.equal(res.status, 201, describeRes(res));
  assert.equal(await balance(c), 0, 'the balance is spent');
}

test('the export holds sent and received messages and statement lines, never a password hash', async () => {
  const p = await pair(w, op, F, 'federal');
  await send(w, p.contact, p.contactId, 'From outside', 'Hello from home.');
  await send(w, p.resident, p.contactId, 'From inside', 'Hello from here.');
  await w.topUp(p.contact, 700);

  const res = await w.get('/api/v1/me/export', p.contact.token);
  assert.equal(res.status, 200, describeRes(res));
  assert.match(res.headers['content-disposition'], /^attachment; filename="kite-export-\d{4}-\d{2}-\d{2}\.json"$/);
  const doc = res.json;
  assert.equal(doc.account.id, p.contact.account.id);
  assert.equal(doc.account.email, p.contact.email.toLowerCase());
  const subjects = doc.messages.map((m) => m.subject);
  assert.ok(subjects.includes('From outside') && subjects.includes('From inside'), `messages: ${subjects}`);
  const sent = doc.messages.find((m) => m.subject === 'From outside');
  assert.ok(Array.isArray(sent.history) && sent.history.length >= 1, 'the sender gets the status history');
  assert.equal(doc.contacts.length, 1);
  assert.ok(doc.wallet.statement.some((l) => l.kind === 'top_up' && l.amount_cents === 700), 'the top-up line');
  assert.equal(doc.wallet.balance_cents, 700);
  for (const key of ['attachments', 'money_transfers', 'phone_accounts', 'subscriptions', 'contact_requests']) {
    assert.ok(Array.isArray(doc[key]), `${key} is a list`);
  }
  assert.ok(!/password|argon2/i.test(res.text), 'no password or hash in the export');
  assert.ok(Number(w.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'account.export'`)) >= 1, 'the export is audited');

  // Staff and residents have no export of this kind.
  assert.equal((await w.get('/api/v1/me/export', p.resident.token)).status, 403);
});

test('deletion: password and DELETE, refused with a balance, then the account is anonymised', async () => {
  const p = await pair(w, op, F, 'federal', { residentNames: { first_name: 'Ana', last_name: 'Rivera' } });
  await send(w, p.contact, p.contactId, 'Before I go', 'Take care.');
  await w.topUp(p.contact, 600);

  assertError(await del(p.contact, { current_password: p.contact.password, confirm: 'delete' }), 422, 'invalid_field');
  const wrong = await del(p.contact, { current_password: 'not the password at all', confirm: 'DELETE' });
  assertError(wrong, 422, 'invalid_field');
  assert.equal(wrong.json.error.field, 'current_password');

  const refused = await del(p.contact, { current_password: p.contact.password, confirm: 'DELETE' });
  assertError(refused, 409, 'account_has_balance');
  assert.equal(refused.json.error.balances.balance_cents, 600);
  assert.match(refused.json.error.message, /\$6\.00/);
  assert.equal((await w.get('/api/v1/me', p.contact.token)).status, 200, 'nothing changed');

  await spendAll(p.contact, p.resident);
  const gone = await del(p.contact, { current_password: p.contact.password, confirm: 'DELETE' });
  assert.equal(gone.status, 204, describeRes(gone));

  assert.equal((await w.get('/api/v1/me', p.contact.token)).status, 401, 'every session ended');
  assert.equal((await signIn(w.srv, p.contact.email, p.contact.password, { localAddress: freshAddress() })).status, 401);
  const row = w.sql(`SELECT COALESCE(email, '-') || '|' || full_name || '|' || COALESCE(phone, '-') || '|' || status`
    + ` FROM accounts WHERE id = ${p.contact.account.id}`);
  assert.equal(row, '-|Deleted account|-|deleted');

  // The resident still reads the old message, from "Deleted account"; the contact has ended.
  const inbox = await w.get('/api/v1/messages?box=inbox', p.resident.token);
  assert.equal(inbox.status, 200, describeRes(inbox));
  const old = inbox.json.items.find((m) => m.subject === 'Before I go');
  assert.ok(old, 'the resident keeps the message');
  assert.equal(old.sender.name, 'Deleted account');
  // The name is stored in English; a Spanish reader reads it in Spanish, here and in the contact list.
  const es = { token: p.resident.token, headers: { 'Accept-Language': 'es' } };
  const inboxEs = await w.srv.request('GET', '/api/v1/messages?box=inbox', es);
  assert.equal(inboxEs.json.items.find((m) => m.subject === 'Before I go').sender.name, 'Cuenta eliminada');
  const contactsEs = await w.srv.request('GET', '/api/v1/contacts', es);
  const endedEs = contactsEs.json.items.find((c) => c.id === p.contactId);
  if (endedEs) assert.equal(endedEs.contact.full_name, 'Cuenta eliminada');
  const contacts = await w.contacts(p.resident);
  const ended = contacts.find((c) => c.id === p.contactId);
  assert.ok(!ended || ended.status !== 'active', 'the contact ended');

  // The email is free again.
  const again = await register(w.srv, { email: p.contact.email });
  assert.equal(again.email, p.contact.email);

  const audit = await auditVerify(w.dbPath);
  assert.equal(audit.code, 0, `kite audit verify: ${audit.stdout}${audit.stderr}`);
  assert.equal(Number(w.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'account.delete'`
    + ` AND target = 'account:${p.contact.account.id}'`)), 1);
});

test('a phone balance refuses deletion and names the refund', async () => {
  const c = await w.contact();
  await w.topUp(c, 500);
  const number = `+1 205 555 ${String(1000 + Math.floor(Math.random() * 8999))}`;
  const acct = await w.post('/api/v1/phone-accounts', { facility_id: F, phone_number: number }, c.token);
  assert.equal(acct.status, 201, describeRes(acct));
  const dep = await w.srv.request('POST', `/api/v1/phone-accounts/${acct.json.id}/deposits`, {
    body: { amount_cents: 500 }, token: c.token, headers: { 'Idempotency-Key': `del-dep-${Date.now()}` },
  });
  assert.equal(dep.status, 201, describeRes(dep));
  const refused = await del(c, { current_password: c.password, confirm: 'DELETE' });
  assertError(refused, 409, 'account_has_balance');
  assert.equal(refused.json.error.balances.phone_cents, 500);
  assert.match(refused.json.error.message, /Refund/);
});

test('staff and residents cannot delete themselves', async () => {
  const p = await pair(w, op, F, 'federal');
  assertError(await del(p.resident, { current_password: 'x', confirm: 'DELETE' }), 403, 'forbidden');
  assertError(await del(op, { current_password: op.password, confirm: 'DELETE' }), 403, 'forbidden');
  assert.equal((await w.get('/api/v1/me', op.token)).status, 200);
});
