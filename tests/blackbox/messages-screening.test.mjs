// Screening (issue 4): per-facility rules — word lists (whole words, caseless,
// any script), PCRE2 patterns, watched residents and contact emails — each
// with action flag or hold; every matching rule stored with the message and
// shown to staff only; the queue puts held first, then flagged, then the
// oldest; under "flagged_only" a clean message is delivered at once while a
// flagged one waits; a catastrophic-backtracking pattern cannot hang the
// server and sends the message to a person.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, onPlatform, pair, send, getMsg, list, decide, queue, addRule, removeRule, describeRes,
} from './lib/messaging.mjs';

let w;
let op;
let A; // jpay, review all
let FO; // jpay, review flagged_only
let OTHER; // federal, no rules
let adminA;
let adminFO;
let revA;
let revFO;

before(async () => {
  w = await World.start();
  op = await w.operator();
  A = await onPlatform(w, op, 'AVENAL STATE PRISON', { profile: 'jpay' });
  FO = await onPlatform(w, op, 'CALIFORNIA STATE PRISON, CORCORAN (COR)', { profile: 'jpay', review: 'flagged_only' });
  OTHER = await onPlatform(w, op, 'FCI ALICEVILLE', { profile: 'federal', review: 'flagged_only' });
  adminA = await w.staff(op.token, A, 'facility_admin');
  adminFO = await w.staff(op.token, FO, 'facility_admin');
  revA = await w.staff(op.token, A, 'reviewer');
  revFO = await w.staff(op.token, FO, 'reviewer');
});
after(async () => { if (w) await w.close(); });

/** The staff view of a message (matched rules included). */
async function staffView(id, staff = revFO) {
  const m = await getMsg(w, staff, id);
  assert.ok(Array.isArray(m.matched_rules), `no matched_rules for staff: ${JSON.stringify(m)}`);
  return m;
}

test('rules: create (201), list, delete (204); bad kind, action, value or PCRE2 → 422 naming the field; who may manage them', async () => {
  const r = await addRule(w, adminA, A, { kind: 'words', value: 'alpha, beta', action: 'flag', note: 'test words' });
  assert.equal(r.kind, 'words');
  assert.equal(r.value, 'alpha, beta');
  assert.equal(r.action, 'flag');
  assert.equal(r.note, 'test words');
  assert.equal(r.facility_id, A);
  const byOp = await addRule(w, op, A, { kind: 'pattern', value: 'gam+a', action: 'hold' });
  const listed = await w.get(`/api/v1/facilities/${A}/screening-rules`, revA.token);
  assert.equal(listed.status, 200, describeRes(listed));
  assert.deepEqual(listed.json.items.map((x) => x.id), [r.id, byOp.id]);

  const bad = [
    [{ kind: 'regex', value: 'x', action: 'flag' }, 'kind'],
    [{ kind: 'words', value: 'x', action: 'delete' }, 'action'],
    [{ kind: 'words', value: '   ', action: 'flag' }, 'value'],
    [{ kind: 'words', value: ' , , ', action: 'flag' }, 'value'],
    [{ kind: 'pattern', value: '(unclosed', action: 'flag' }, 'value'],
    [{ kind: 'pattern', value: 'a{2,1}', action: 'flag' }, 'value'],
    [{ kind: 'pattern', value: '[z-a]', action: 'hold' }, 'value'],
    [{ kind: 'pattern', value: 'x'.repeat(4001), action: 'hold' }, 'value'],
    [{ kind: 'watch_email', value: 'not an email', action: 'flag' }, 'value'],
    [{ kind: 'words', value: 'x', action: 'flag', note: 'n'.repeat(501) }, 'note'],
  ];
  for (const [body, field] of bad) {
    const res = await w.post(`/api/v1/facilities/${A}/screening-rules`, body, adminA.token);
    const e = assertError(res, 422, 'invalid_field', `${JSON.stringify(body).slice(0, 70)}:`);
    assert.equal(e.field, field);
    assert.ok(e.message.includes(`"${field}"`) || e.message.includes(field), `the message does not name ${field}: ${e.message}`);
  }
  const missing = await w.post(`/api/v1/facilities/${A}/screening-rules`, { kind: 'words', action: 'flag' }, adminA.token);
  assert.equal(assertError(missing, [400, 422]).field, 'value');

  assertError(await w.post(`/api/v1/facilities/${A}/screening-rules`, { kind: 'words', value: 'x', action: 'flag' }, revA.token), 403, 'forbidden', 'reviewer:');
  assertError(await w.post(`/api/v1/facilities/${A}/screening-rules`, { kind: 'words', value: 'x', action: 'flag' }, adminFO.token), 404, 'not_found', 'admin elsewhere:');
  const pair1 = await pair(w, op, A, 'jpay');
  assertError(await w.post(`/api/v1/facilities/${A}/screening-rules`, { kind: 'words', value: 'x', action: 'flag' }, pair1.contact.token), 403, 'forbidden');
  assertError(await w.get(`/api/v1/facilities/${A}/screening-rules`, pair1.resident.token), 403, 'forbidden', 'resident listing rules:');
  assertError(await w.get(`/api/v1/facilities/${A}/screening-rules`, revFO.token), 404, 'not_found', 'reviewer elsewhere listing:');
  assertError(await w.get(`/api/v1/facilities/${A}/screening-rules`), 401, 'unauthenticated');

  assertError(await w.del(`/api/v1/facilities/${A}/screening-rules/${r.id}`, revA.token), 403, 'forbidden');
  assertError(await w.del(`/api/v1/facilities/${FO}/screening-rules/${r.id}`, adminFO.token), 404, 'not_found', 'deleting through another facility:');
  await removeRule(w, adminA, A, r.id);
  await removeRule(w, adminA, A, byOp.id);
  assertError(await w.del(`/api/v1/facilities/${A}/screening-rules/${r.id}`, adminA.token), 404, 'not_found', 'deleting twice:');
  assert.deepEqual((await w.get(`/api/v1/facilities/${A}/screening-rules`, adminA.token)).json.items, []);
  const audit = w.auditRows("action IN ('screening_rule.add', 'screening_rule.remove')");
  assert.equal(audit.length, 4);
});

test('words: whole words, caseless, in any script, in subject or body; the match is stored and shown to staff only', async () => {
  const rule = await addRule(w, adminFO, FO, { kind: 'words', value: 'contraband, drone drop\nпривет, café, سلاح, 炸弹, Straße', action: 'flag', note: 'words' });
  const { resident, contact, contactId } = await pair(w, op, FO, 'jpay');
  const cases = [
    ['bring the CONTRABAND tomorrow', 'CONTRABAND'],
    ['Contraband.', 'Contraband'],
    ['the Drone Drop is at noon', 'Drone Drop'],
    ['ПРИВЕТ, мама', 'ПРИВЕТ'],
    ['meet at the CAFÉ', 'CAFÉ'],
    ['أين السلاح ؟', null], // "the weapon": the article is joined to the word, so not a whole-word match
    ['هل سلاح هنا', 'سلاح'],
    ['炸弹', '炸弹'],
    ['STRAßE 5', 'STRAßE'],
  ];
  for (const [body, matched] of cases) {
    const m = await send(w, contact, contactId, 'words', body);
    const sv = await staffView(m.id);
    if (matched === null) {
      assert.equal(m.status, 'delivered', `${body}: should be clean`);
      assert.deepEqual(sv.matched_rules, []);
      continue;
    }
    assert.equal(m.status, 'pending_review', `${body}: a flagged message under flagged_only must wait`);
    assert.equal(sv.flagged, true);
    assert.equal(sv.held, false);
    assert.deepEqual(sv.matched_rules, [{ rule_id: rule.id, kind: 'words', action: 'flag', matched }], body);
    await getMsg(w, resident, m.id, 404);
  }
  // Not whole words, and near misses: clean, delivered at once.
  for (const body of ['contrabands are not a thing', 'ContrabandX', 'drone dropping', 'приветствую вас', 'cafés', 'the drone\ndrop', 'Strasse']) {
    const m = await send(w, contact, contactId, 'clean', body);
    assert.equal(m.status, 'delivered', `${JSON.stringify(body)} was flagged`);
    assert.deepEqual((await staffView(m.id)).matched_rules, []);
  }
  // The subject is screened too.
  const s = await send(w, contact, contactId, 'about the contraband', 'nothing in the body');
  assert.equal(s.status, 'pending_review');
  assert.equal((await staffView(s.id)).matched_rules[0].matched, 'contraband');
  // The sender and (after approval) the recipient never see the screening.
  for (const who of [contact]) {
    const v = await getMsg(w, who, s.id);
    assert.equal(v.matched_rules, undefined);
    assert.equal(v.flagged, undefined);
  }
  await decide(w, revFO, s.id, 'approve');
  const rv = await getMsg(w, resident, s.id);
  assert.equal(rv.matched_rules, undefined);
  assert.equal(rv.held, undefined);
  await removeRule(w, adminFO, FO, rule.id);
  const after = await send(w, contact, contactId, 'again', 'bring the contraband');
  assert.equal(after.status, 'delivered', 'a removed rule still applies');
  assert.equal((await staffView(s.id)).matched_rules.length, 1, 'removing a rule erased what it matched');
});

test('a word with "\\E" in it is that word: it cannot end the quoting and turn the rest into a pattern', async () => {
  // Found by fuzz/screening.c: words are quoted as \Q...\E, so a "\E" inside a word ended the quote early and
  // "x\E|." became the pattern x|. , flagging every message.
  const rule = await addRule(w, adminFO, FO, { kind: 'words', value: 'x\\E|., sha\\Ek', action: 'flag' });
  const { contact, contactId } = await pair(w, op, FO, 'jpay');
  for (const body of ['hello there', 'shak', 'x']) {
    const m = await send(w, contact, contactId, 'clean', body);
    assert.equal(m.status, 'delivered', `${JSON.stringify(body)} was flagged`);
  }
  for (const [body, matched] of [['path x\\E|. here', 'x\\E|.'], ['a SHA\\EK b', 'SHA\\EK']]) {
    const m = await send(w, contact, contactId, 'words', body);
    assert.equal(m.status, 'pending_review', `${JSON.stringify(body)} was not flagged`);
    assert.deepEqual((await staffView(m.id)).matched_rules, [{ rule_id: rule.id, kind: 'words', action: 'flag', matched }]);
  }
  await removeRule(w, adminFO, FO, rule.id);
});

test('patterns and watch lists; every matching rule is stored; rules of another facility do not apply', async () => {
  const phone = await addRule(w, adminFO, FO, { kind: 'pattern', value: '\\b\\d{3}-\\d{3}-\\d{4}\\b', action: 'flag' });
  const cash = await addRule(w, adminFO, FO, { kind: 'pattern', value: '(?i)cash\\s*app|venmo', action: 'hold' });
  const { resident, contact, contactId } = await pair(w, op, FO, 'jpay');
  const m = await send(w, contact, contactId, 'numbers', 'call 555-123-4567 and send it by CashApp');
  assert.equal(m.status, 'pending_review');
  const sv = await staffView(m.id);
  assert.equal(sv.held, true);
  assert.equal(sv.flagged, true);
  assert.deepEqual(sv.matched_rules.map((x) => [x.rule_id, x.kind, x.action, x.matched]),
    [[phone.id, 'pattern', 'flag', '555-123-4567'], [cash.id, 'pattern', 'hold', 'CashApp']]);
  const clean = await send(w, contact, contactId, 'clean', 'call 5551234567 tomorrow');
  assert.equal(clean.status, 'delivered');

  // Watch a resident: every message to or from them is flagged.
  const watched = await pair(w, op, FO, 'jpay');
  const wr = await addRule(w, adminFO, FO, { kind: 'watch_resident', value: watched.resident.number, action: 'flag' });
  for (const who of [watched.contact, watched.resident]) {
    const x = await send(w, who, watched.contactId, 'hello', 'an ordinary message');
    assert.equal(x.status, 'pending_review');
    const v = await staffView(x.id);
    assert.equal(v.matched_rules.length, 1);
    assert.equal(v.matched_rules[0].rule_id, wr.id);
    assert.equal(v.matched_rules[0].kind, 'watch_resident');
    assert.ok(v.matched_rules[0].matched.includes(watched.resident.number));
  }
  // Watch a contact email (given in another case): held, both directions.
  const we = await addRule(w, adminFO, FO, { kind: 'watch_email', value: `  ${contact.email.toUpperCase()} `, action: 'hold' });
  assert.equal(we.value, contact.email.toLowerCase());
  for (const who of [contact, resident]) {
    const x = await send(w, who, contactId, 'plain', 'nothing special here');
    assert.equal(x.status, 'pending_review');
    const v = await staffView(x.id);
    assert.equal(v.held, true);
    assert.deepEqual(v.matched_rules.map((y) => [y.rule_id, y.kind, y.action]), [[we.id, 'watch_email', 'hold']]);
  }
  // Not watched: clean.
  const other = await pair(w, op, FO, 'jpay');
  assert.equal((await send(w, other.contact, other.contactId, 'plain', 'nothing special here')).status, 'delivered');
  // Another facility's messages are not screened by these rules.
  const fed = await pair(w, op, OTHER, 'federal');
  const f = await send(w, fed.contact, fed.contactId, 'numbers', 'call 555-123-4567 by venmo');
  assert.equal(f.status, 'delivered', "another facility's rules applied");
  for (const id of [phone.id, cash.id, wr.id, we.id]) await removeRule(w, adminFO, FO, id);
});

test('queue order: held first, then flagged, then the oldest; each item with held, flagged and its matches', async () => {
  const hold = await addRule(w, adminA, A, { kind: 'words', value: 'escape', action: 'hold' });
  const flag = await addRule(w, adminA, A, { kind: 'words', value: 'money', action: 'flag' });
  const { contact, contactId } = await pair(w, op, A, 'jpay');
  const order = [];
  const sendOne = async (label, body) => {
    const m = await send(w, contact, contactId, label, body);
    assert.equal(m.status, 'pending_review');
    order.push([label, m.id]);
    await new Promise((r) => setTimeout(r, 15));
    return m.id;
  };
  const clean1 = await sendOne('clean1', 'how are you');
  const flag1 = await sendOne('flag1', 'I need money');
  const hold1 = await sendOne('hold1', 'plan the escape');
  const clean2 = await sendOne('clean2', 'fine thanks');
  const both = await sendOne('both', 'money for the escape');
  const flag2 = await sendOne('flag2', 'more money');
  const hold2 = await sendOne('hold2', 'ESCAPE now');
  const q = await queue(w, revA, A, '&limit=100');
  const mine = new Set(order.map((x) => x[1]));
  const got = q.items.filter((x) => mine.has(x.id)).map((x) => x.id);
  assert.deepEqual(got, [hold1, both, hold2, flag1, flag2, clean1, clean2], 'held (oldest first), flagged (oldest first), then the rest');
  const byId = Object.fromEntries(q.items.map((x) => [x.id, x]));
  assert.deepEqual([byId[hold1].held, byId[hold1].flagged], [true, true]);
  assert.deepEqual([byId[flag1].held, byId[flag1].flagged], [false, true]);
  assert.deepEqual([byId[clean1].held, byId[clean1].flagged], [false, false]);
  assert.deepEqual(byId[both].matched_rules.map((x) => [x.rule_id, x.action]).sort(), [[hold.id, 'hold'], [flag.id, 'flag']].sort());
  assert.ok(q.metrics.depth >= 7);
  // A held message is never released by itself, even under flagged_only (it waits for a person); approving releases it.
  await decide(w, revA, hold1, 'approve');
  assert.ok(!(await queue(w, revA, A, '&limit=100')).items.some((x) => x.id === hold1));
  await removeRule(w, adminA, A, hold.id);
  await removeRule(w, adminA, A, flag.id);
});

test('flagged_only: a clean message is delivered at once while a flagged or held one waits for a reviewer', async () => {
  await addRule(w, adminFO, FO, { kind: 'words', value: 'package', action: 'flag' });
  await addRule(w, adminFO, FO, { kind: 'words', value: 'tunnel', action: 'hold' });
  const { resident, contact, contactId } = await pair(w, op, FO, 'jpay');
  const clean = await send(w, contact, contactId, 'hi', 'all good at home');
  const flagged = await send(w, contact, contactId, 'hi', 'did the package arrive');
  const held = await send(w, contact, contactId, 'hi', 'the tunnel is dug');
  assert.equal(clean.status, 'delivered');
  assert.equal(flagged.status, 'pending_review');
  assert.equal(held.status, 'pending_review');
  const inbox = await list(w, resident, 'box=inbox');
  assert.deepEqual(inbox.items.map((x) => x.id), [clean.id]);
  const q = await queue(w, revFO, FO, '&limit=100');
  const ids = q.items.map((x) => x.id);
  assert.ok(!ids.includes(clean.id));
  assert.ok(ids.indexOf(held.id) >= 0 && ids.indexOf(held.id) < ids.indexOf(flagged.id), 'held before flagged');
  await decide(w, revFO, flagged.id, 'approve');
  await decide(w, revFO, held.id, 'reject', 'security_threat');
  const after = await list(w, resident, 'box=inbox');
  assert.deepEqual(after.items.map((x) => x.id), [flagged.id, clean.id]);
});

test('a catastrophic-backtracking pattern does not hang the server: quick answer, and the message goes to a person', async () => {
  const evil = await addRule(w, adminFO, FO, { kind: 'pattern', value: '(a+)+$', action: 'flag' });
  const nested = await addRule(w, adminFO, FO, { kind: 'pattern', value: '^(\\w+\\s?)*$', action: 'flag' });
  const { contact, contactId } = await pair(w, op, FO, 'jpay');
  const bodies = ['aaaaaaaaaaaaaaaaaaaaaaaaaaaa!', `${'a'.repeat(5000)}!`, `${'word '.repeat(2000)}!`];
  for (const body of bodies) {
    const started = Date.now();
    const [res, health] = await Promise.all([
      w.srv.request('POST', '/api/v1/messages', { body: { contact_id: contactId, subject: 'aaa', body }, token: contact.token, timeoutMs: 20_000 }),
      new Promise((r) => setTimeout(r, 50)).then(() => w.get('/healthz')),
    ]);
    const took = Date.now() - started;
    assert.equal(res.status, 202, describeRes(res));
    assert.ok(took < 5000, `the send took ${took} ms`);
    assert.equal(health.status, 200, 'the server stopped answering while screening');
    assert.equal(res.json.status, 'pending_review', 'a message the pattern could not check was released unreviewed');
    const sv = await staffView(res.json.id);
    assert.equal(sv.flagged, true);
    assert.ok(sv.matched_rules.some((x) => x.rule_id === evil.id || x.rule_id === nested.id), JSON.stringify(sv.matched_rules));
  }
  // A body the evil pattern matches quickly, and a clean one, behave normally. (The nested pattern
  // matches any text of words and spaces, so it goes first.)
  await removeRule(w, adminFO, FO, nested.id);
  const plain = await send(w, contact, contactId, 'x', 'bbb');
  assert.equal(plain.status, 'delivered');
  const ok = await send(w, contact, contactId, 'x', 'baaa');
  assert.equal(ok.status, 'pending_review');
  assert.equal((await staffView(ok.id)).matched_rules.find((x) => x.rule_id === evil.id)?.matched, 'aaa');
  await w.auditOk();
});
