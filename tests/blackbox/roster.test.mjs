// Rosters and resident sign-in: adding residents through the API (number format
// per policy, PIN 6–12 digits), listing with a cursor, changes, the CSV import
// (`kite roster import`, idempotent by resident number), sign-in with facility
// + number + PIN, wrong PIN 401, throttling (a growing wait, 429), and staff
// management. SPEC.md "People", issue 3 items 2 and 3.
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, facilityIdByName, describeRes, cli, fs, path, uniqueEmail, strongPassword,
} from './lib/flows.mjs';
import { freshAddress, failUntilWaiting } from './lib/kite.mjs';

let w;
let op;
let D; // digits-only numbers
let ANY; // any numbers
let OFF; // not on Kite
let admin;

before(async () => {
  w = await World.start();
  op = await w.operator();
  D = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  ANY = await facilityIdByName(w.srv, 'CALIFORNIA STATE PRISON, SACRAMENTO (SAC)');
  OFF = await facilityIdByName(w.srv, 'ALACHUA COUNTY JAIL');
  await w.putPolicy(op.token, D, { profile: 'jpay', resident_number_format: 'digits' }, 201);
  await w.putPolicy(op.token, ANY, { profile: 'jpay' }, 201);
  admin = await w.staff(op.token, D, 'facility_admin');
});
after(async () => { if (w) await w.close(); });

const residentsPath = (fid) => `/api/v1/facilities/${fid}/residents`;

test('adding a resident: 201 with its fields; validation names the field; 409 on a duplicate; 422 off the platform', async () => {
  const res = await w.post(residentsPath(D), { resident_number: '100200300', first_name: ' Ida ', last_name: 'Brandt', pin: '246813' }, admin.token);
  assert.equal(res.status, 201, describeRes(res));
  const r = res.json;
  assert.ok(Number.isInteger(r.id));
  assert.equal(r.facility_id, D);
  assert.equal(r.resident_number, '100200300');
  assert.equal(r.first_name, 'Ida', 'names are trimmed');
  assert.equal(r.last_name, 'Brandt');
  assert.equal(r.status, 'active');
  assert.equal(r.has_pin, true);
  assert.ok(!('pin' in r) && !JSON.stringify(r).includes('246813'), 'the PIN is echoed back');

  const cases = [
    ['resident_number', { resident_number: 'AB-12', first_name: 'A', last_name: 'B' }],
    ['resident_number', { resident_number: '1234567890123', first_name: 'A', last_name: 'B' }],
    ['resident_number', { first_name: 'A', last_name: 'B' }],
    ['first_name', { resident_number: '5551', first_name: '', last_name: 'B' }],
    ['first_name', { resident_number: '5551', last_name: 'B' }],
    ['last_name', { resident_number: '5551', first_name: 'A', last_name: 'x'.repeat(101) }],
    ['pin', { resident_number: '5551', first_name: 'A', last_name: 'B', pin: '123' }],
    ['pin', { resident_number: '5551', first_name: 'A', last_name: 'B', pin: '4821' }],
    ['pin', { resident_number: '5551', first_name: 'A', last_name: 'B', pin: '123456' }],
    ['pin', { resident_number: '5551', first_name: 'A', last_name: 'B', pin: '1234567890123' }],
    ['pin', { resident_number: '5551', first_name: 'A', last_name: 'B', pin: '12a456' }],
    ['pin', { resident_number: '5551', first_name: 'A', last_name: 'B', pin: 482107 }],
  ];
  for (const [field, body] of cases) {
    const bad = await w.post(residentsPath(D), body, admin.token);
    const err = assertError(bad, 422, 'invalid_field', JSON.stringify(body));
    assert.equal(err.field, field, `${JSON.stringify(body)}: field ${err.field}`);
  }
  const dup = await w.post(residentsPath(D), { resident_number: '100200300', first_name: 'X', last_name: 'Y' }, admin.token);
  assertError(dup, 409, 'resident_exists');
  const off = await w.post(residentsPath(OFF), { resident_number: '1', first_name: 'A', last_name: 'B' }, op.token);
  assertError(off, 422, 'facility_not_on_platform');
  // "any" format: letters, digits and dashes.
  const any = await w.post(residentsPath(ANY), { resident_number: 'CDC-T12345', first_name: 'A', last_name: 'B' }, op.token);
  assert.equal(any.status, 201, describeRes(any));
  assert.equal(any.json.has_pin, false);
  const anyBad = await w.post(residentsPath(ANY), { resident_number: 'has space', first_name: 'A', last_name: 'B' }, op.token);
  assert.equal(assertError(anyBad, 422, 'invalid_field').field, 'resident_number');
});

test('listing with limit and cursor, one by number, 404 for an unknown number', async () => {
  for (let i = 0; i < 5; i++) await w.addResident(admin.token, D, { number: `77000${i}`, pin: null });
  const seen = [];
  let cursor = null;
  for (let page = 0; page < 10; page++) {
    const res = await w.get(`${residentsPath(D)}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, admin.token);
    assert.equal(res.status, 200, describeRes(res));
    assert.ok(res.json.items.length <= 2);
    seen.push(...res.json.items.map((x) => x.resident_number));
    cursor = res.json.next_cursor;
    if (cursor === null) break;
  }
  assert.equal(cursor, null, 'the cursor never ended');
  assert.equal(new Set(seen).size, seen.length, `a resident appears twice: ${seen}`);
  for (let i = 0; i < 5; i++) assert.ok(seen.includes(`77000${i}`), `770000${i} missing from the pages`);
  assert.ok(seen.includes('100200300'));
  for (const limit of ['0', '101', 'x']) {
    assertError(await w.get(`${residentsPath(D)}?limit=${limit}`, admin.token), 422, 'invalid_field', `limit=${limit}`);
  }
  const one = await w.get(`${residentsPath(D)}/770003`, admin.token);
  assert.equal(one.status, 200);
  assert.equal(one.json.resident_number, '770003');
  assertError(await w.get(`${residentsPath(D)}/999999`, admin.token), 404, 'not_found');
});

test('resident sign-in with facility + number + PIN; wrong PIN, wrong facility, no PIN → 401; /me shows the facility', async () => {
  const r = await w.addResident(admin.token, D, { number: '880001', first_name: 'Jon', last_name: 'Eck', pin: '135709' });
  const res = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880001', pin: '135709' });
  assert.equal(res.status, 201, describeRes(res));
  assert.equal(res.json.account.role, 'resident');
  assert.equal(typeof res.json.token, 'string');
  assert.equal(typeof res.json.csrf_token, 'string');
  const me = await w.get('/api/v1/me', res.json.token);
  assert.equal(me.status, 200);
  assert.equal(me.json.role, 'resident');
  assert.equal(me.json.resident.resident_number, '880001');
  assert.equal(me.json.resident.facility.id, D);
  assert.equal(me.json.resident.facility.on_platform, true);
  assert.equal(me.json.resident.facility.messaging_provider.slug, 'kite');

  const addr = freshAddress();
  const wrong = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880001', pin: '000000' }, undefined, { localAddress: addr });
  assertError(wrong, 401, 'invalid_credentials');
  const elsewhere = await w.post('/api/v1/sessions', { facility_id: ANY, resident_number: '880001', pin: '135709' }, undefined, { localAddress: addr });
  assertError(elsewhere, 401, 'invalid_credentials');
  const nobody = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '000001', pin: '135709' }, undefined, { localAddress: addr });
  assertError(nobody, 401, 'invalid_credentials');
  await w.addResident(admin.token, D, { number: '880002', pin: null });
  const noPin = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880002', pin: '' }, undefined, { localAddress: addr });
  assert.ok([401, 422].includes(noPin.status), `no PIN set: ${describeRes(noPin)}`);
  const noPin2 = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880002', pin: '583920' }, undefined, { localAddress: addr });
  assertError(noPin2, 401, 'invalid_credentials', 'a resident without a PIN cannot sign in:');
  assert.equal(r.number, '880001');
});

test('PIN throttling: wrong PINs make that address wait (429, Retry-After, growing), even with the right PIN; the right PIN from another address signs in', async () => {
  await w.addResident(admin.token, D, { number: '880010', pin: '428153' });
  const addr = freshAddress();
  const { failures } = await failUntilWaiting((i) => w.post('/api/v1/sessions',
    { facility_id: D, resident_number: '880010', pin: `1${String(i).padStart(2, '0')}906` }, undefined, { localAddress: addr }));
  assert.ok(failures >= 3, `a few wrong PINs cost nothing: the wait came after ${failures}`);
  const right = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880010', pin: '428153' }, undefined, { localAddress: addr });
  assertError(right, 429, 'too_many_attempts', 'the right PIN from the waiting address:');
  assert.ok(Number(right.headers['retry-after']) > 0, `Retry-After: ${right.headers['retry-after']}`);
  // The resident at another tablet is not held up by someone else's guesses.
  const elsewhere = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880010', pin: '428153' }, undefined, { localAddress: freshAddress() });
  assert.equal(elsewhere.status, 201, `the right PIN from another address: ${describeRes(elsewhere)}`);
  // Another resident is not paused, even from the same address.
  await w.addResident(admin.token, D, { number: '880011', pin: '539184' });
  const other = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880011', pin: '539184' }, undefined, { localAddress: addr });
  assert.equal(other.status, 201, `another resident from the same address: ${describeRes(other)}`);
  const acct = w.sql(`SELECT account_id FROM residents WHERE facility_id = ${D} AND resident_number = '880010'`);
  const failed = w.sql(`SELECT COUNT(*) FROM audit_log WHERE action = 'signin.failed' AND target = 'account:${acct}'`);
  assert.ok(Number(failed) >= 3, `failed sign-ins audited: ${failed}`);
});

test('PATCH: names change; a new PIN ends the sessions and replaces the old one', async () => {
  const r = await w.resident(admin.token, D, { number: '880020', pin: '192837' });
  const path1 = `${residentsPath(D)}/880020`;
  const named = await w.patch(path1, { first_name: 'Kay', last_name: 'Lowe' }, admin.token);
  assert.equal(named.status, 200, describeRes(named));
  assert.equal(named.json.first_name, 'Kay');
  assert.equal(named.json.last_name, 'Lowe');
  assert.equal((await w.get('/api/v1/me', r.token)).status, 200, 'a name change ended the session');
  const pin = await w.patch(path1, { pin: '564738' }, admin.token);
  assert.equal(pin.status, 200);
  assert.equal(pin.json.has_pin, true);
  assertError(await w.get('/api/v1/me', r.token), 401, 'unauthenticated', 'the session after a PIN change:');
  const addr = freshAddress();
  assertError(await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880020', pin: '192837' }, undefined, { localAddress: addr }), 401, 'invalid_credentials');
  assert.equal((await w.post('/api/v1/sessions', { facility_id: D, resident_number: '880020', pin: '564738' })).status, 201);
  const badPin = await w.patch(path1, { pin: '12' }, admin.token);
  assert.equal(assertError(badPin, 422, 'invalid_field').field, 'pin');
  assertError(await w.patch(`${residentsPath(D)}/999999`, { first_name: 'X' }, admin.token), 404, 'not_found');
});

test('roster CSV import: added, then idempotent (0 added, N unchanged), updates by number, rejects bad rows; imported PINs sign in', async () => {
  const dir = fs.mkdtempSync(path.join(w.dir, 'roster-'));
  const file = path.join(dir, 'roster.csv');
  fs.writeFileSync(file, [
    'resident_number,first_name,last_name,pin',
    '600001,Liam,Nash,719264',
    '600002,Mia,"O\'Neil, Jr",250836',
    '600003,Noah,Park,',
    '600004,Olga,Quist,481729',
  ].join('\r\n') + '\r\n');
  const first = await cli(['roster', 'import', '--db', w.dbPath, '--facility', String(D), file]);
  assert.equal(first.code, 0, `${first.stdout} ${first.stderr}`);
  assert.match(first.stdout, /4 rows, 4 added, 0 updated, 0 unchanged, 0 rejected/);
  const second = await cli(['roster', 'import', '--db', w.dbPath, '--facility', String(D), file]);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /4 rows, 0 added, 0 updated, 4 unchanged, 0 rejected/, `second run: ${second.stdout}`);

  const r2 = await w.get(`${residentsPath(D)}/600002`, admin.token);
  assert.equal(r2.status, 200);
  assert.equal(r2.json.last_name, "O'Neil, Jr");
  assert.equal(r2.json.has_pin, true);
  assert.equal((await w.get(`${residentsPath(D)}/600003`, admin.token)).json.has_pin, false);
  const signed = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '600004', pin: '481729' });
  assert.equal(signed.status, 201, `an imported PIN does not sign in: ${describeRes(signed)}`);

  fs.writeFileSync(file, [
    'last_name,first_name,resident_number', // other column order, no pin column
    'Nash,Liam,600001',
    'Nash-Price,Mia,600002',
    'Ray,Pia,600005',
    'Bad,Row,NOT-DIGITS',
  ].join('\n') + '\n');
  const third = await cli(['roster', 'import', '--db', w.dbPath, '--facility', String(D), file]);
  assert.equal(third.code, 0, `${third.stdout} ${third.stderr}`);
  assert.match(third.stdout, /4 rows, 1 added, 1 updated, 1 unchanged, 1 rejected/, third.stdout);
  assert.match(third.stdout, /line 5.*resident_number/, `the rejected row is named: ${third.stdout}`);
  assert.equal((await w.get(`${residentsPath(D)}/600002`, admin.token)).json.last_name, 'Nash-Price');
  assert.equal((await w.post('/api/v1/sessions', { facility_id: D, resident_number: '600002', pin: '250836' })).status, 201,
    'an update by import lost the PIN');

  const off = await cli(['roster', 'import', '--db', w.dbPath, '--facility', String(OFF), file]);
  assert.equal(off.code, 1);
  assert.match(off.stderr, /not on Kite/);
  const noHeader = path.join(dir, 'bad.csv');
  fs.writeFileSync(noHeader, 'number,name\n1,x\n');
  const bad = await cli(['roster', 'import', '--db', w.dbPath, '--facility', String(D), noHeader]);
  assert.notEqual(bad.code, 0, 'a file without the required columns was accepted');
  const usage = await cli(['roster', 'import', '--db', w.dbPath, file]);
  assert.equal(usage.code, 2);
  const audit = w.auditRows(`action = 'roster.import' AND target = 'facility:${D}'`);
  assert.equal(audit.length, 3, `one audit row per import: ${JSON.stringify(audit)}`);
});

test('roster upload over HTTP (POST /roster, text/csv): counts, every refused row with its line and why; staff of the facility only', async () => {
  const csv = [
    'resident_number,first_name,last_name,pin',
    '700100200,Nora,Quint,135792',
    '700100201,Omar,Reyes,',
    'ABC-1,Bad,Number,',
    '700100203,,Nameless,',
    '700100204,Pia,Soto,12',
  ].join('\n');
  const send = (body, token, type = 'text/csv') => w.srv.request('POST', `/api/v1/facilities/${D}/roster`,
    { body: Buffer.from(body), token, headers: { 'Content-Type': type } });
  const res = await send(csv, admin.token);
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.json.rows, 5);
  assert.equal(res.json.added, 2);
  assert.equal(res.json.rejected, 3);
  assert.deepEqual(res.json.problems.map((p) => [p.line, p.field]), [[4, 'resident_number'], [5, 'first_name'], [6, 'pin']]);
  for (const p of res.json.problems) assert.ok(p.message.length > 10, `a sentence for line ${p.line}: ${p.message}`);
  const again = await send(csv, admin.token);
  assert.equal(again.json.added, 0);
  assert.equal(again.json.unchanged, 2);
  const nora = await w.post('/api/v1/sessions', { facility_id: D, resident_number: '700100200', pin: '135792' });
  assert.equal(nora.status, 201, 'an uploaded PIN signs in');

  const noColumns = await send('number,name\n1,A\n', admin.token);
  assertError(noColumns, 422, 'invalid_field');
  assert.equal(noColumns.json.error.field, 'file');
  assert.match(noColumns.json.error.message, /resident_number, first_name and last_name/);
  assertError(await send(csv, admin.token, 'application/json'), 415, 'unsupported_media_type');
  const otherAdmin = await w.staff(op.token, ANY, 'facility_admin');
  assertError(await send(csv, otherAdmin.token), 404, 'not_found', 'another facility\'s admin learns nothing of this one:');
  const reviewer = await w.staff(op.token, D, 'reviewer');
  assertError(await send(csv, reviewer.token), 403, 'forbidden', 'a reviewer:');
});

test('staff through the API: the admin adds staff to its facility only; roles are checked', async () => {
  const email = uniqueEmail('rev');
  const password = strongPassword();
  const add = await w.post(`/api/v1/facilities/${D}/staff`, { email, full_name: 'Rae Viewer', role: 'reviewer', password }, admin.token);
  assert.equal(add.status, 201, describeRes(add));
  assert.equal(add.json.role, 'reviewer');
  assert.equal(add.json.email, email);
  assert.equal(add.json.facility_id, D);
  assert.ok(!('password' in add.json) && !('password_hash' in add.json));
  const list = await w.get(`/api/v1/facilities/${D}/staff`, admin.token);
  assert.equal(list.status, 200);
  assert.ok(list.json.items.some((s) => s.email === email && s.role === 'reviewer'));
  const asOperator = await w.post(`/api/v1/facilities/${D}/staff`, { email: uniqueEmail(), full_name: 'X', role: 'operator', password: strongPassword() }, admin.token);
  assert.equal(assertError(asOperator, 422, 'invalid_field').field, 'role');
  const weak = await w.post(`/api/v1/facilities/${D}/staff`, { email: uniqueEmail(), full_name: 'X', role: 'reviewer', password: 'password' }, admin.token);
  assertError(weak, 422, 'weak_password');
  const elsewhere = await w.post(`/api/v1/facilities/${ANY}/staff`, { email: uniqueEmail(), full_name: 'X', role: 'reviewer', password: strongPassword() }, admin.token);
  assertError(elsewhere, 404, 'not_found');
  const reviewer = await w.signInAgain({ email, password });
  const byReviewer = await w.post(`/api/v1/facilities/${D}/staff`, { email: uniqueEmail(), full_name: 'X', role: 'reviewer', password: strongPassword() }, reviewer.token);
  assertError(byReviewer, 403, 'forbidden');
  const taken = await w.post(`/api/v1/facilities/${D}/staff`, { email, full_name: 'Again', role: 'investigator', password: strongPassword() }, admin.token);
  assert.ok(taken.status === 409 || taken.status === 404 || taken.status === 422, `a taken email: ${describeRes(taken)}`);
});

test('kite audit verify passes', async () => {
  await w.auditOk();
});
