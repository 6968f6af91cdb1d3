// Facility policy: putting a directory facility on the platform with a profile
// (federal | jpay | connectnetwork), overrides, validation of every field (each
// 422 names its field), who may create and who may replace a policy, and the
// audit rows with old and new values. SPEC.md "Facility policy".
import { test, before, after } from 'node:test';
import {
  World, assert, assertError, facilityIdByName, describeRes,
} from './lib/flows.mjs';

let w;
let op;
const F = {}; // facility ids by key

const PROFILE_DEFAULTS = {
  federal: {
    profile: 'federal', contact_initiation: 'resident_invites', invitation_valid_days: 30, contact_limit: 30,
    message_max_chars: 13000, attachments_allowed: false, resident_number_format: 'bop', tablet_idle_minutes: 5,
  },
  jpay: {
    profile: 'jpay', contact_initiation: 'contact_requests', request_lookup: 'number', approval: 'resident',
    contact_limit: 50, attachments_allowed: true, pricing: 'stamps', resident_number_format: 'any',
  },
  connectnetwork: {
    profile: 'connectnetwork', contact_initiation: 'contact_requests', request_lookup: 'number_or_name',
    approval: 'resident_or_window', approval_window_hours: 72, message_max_chars: 500, pricing: 'credits',
  },
};

const ALL_FIELDS = [
  'profile', 'contact_initiation', 'invitation_valid_days', 'contact_limit', 'request_lookup', 'approval',
  'approval_window_hours', 'message_max_chars', 'page_chars', 'attachments_allowed', 'attachment_max_bytes',
  'max_attachments', 'pricing', 'review', 'review_sla_hours', 'daily_send_limit', 'resident_number_format',
  'tablet_idle_minutes', 'message_retention_days', 'photo_retention_days', 'audit_retention_days',
];

// Integer fields: [name, min, max]
const INT_RANGES = [
  ['invitation_valid_days', 1, 365],
  ['contact_limit', 1, 1000],
  ['approval_window_hours', 0, 720],
  ['message_max_chars', 1, 100000],
  ['page_chars', 0, 100000],
  ['attachment_max_bytes', 0, 26214400],
  ['max_attachments', 0, 20],
  ['review_sla_hours', 1, 720],
  ['daily_send_limit', 1, 10000],
  ['tablet_idle_minutes', 1, 60],
  ['message_retention_days', 1, 3650],
  ['photo_retention_days', 1, 3650],
  ['audit_retention_days', 365, 3650],
];
const ENUMS = {
  contact_initiation: ['resident_invites', 'contact_requests', 'both'],
  request_lookup: ['number', 'number_or_name'],
  approval: ['resident', 'resident_or_window'],
  pricing: ['balance', 'stamps', 'credits'],
  review: ['all', 'flagged_only'],
  resident_number_format: ['bop', 'digits', 'any'],
};

function assertPolicyHas(policy, expected, context) {
  for (const [k, v] of Object.entries(expected)) {
    assert.deepEqual(policy[k], v, `${context}: policy.${k} = ${JSON.stringify(policy[k])}, expected ${JSON.stringify(v)}`);
  }
}

function assertFullPolicy(policy, context) {
  for (const f of ALL_FIELDS) assert.ok(f in policy, `${context}: policy lacks ${f}: ${JSON.stringify(policy)}`);
}

before(async () => {
  w = await World.start();
  op = await w.operator();
  F.federal = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  F.jpay = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  F.cn = await facilityIdByName(w.srv, 'ANDERSON COUNTY JAIL');
  F.validation = await facilityIdByName(w.srv, 'FCI ASHLAND');
  F.offPlatform = await facilityIdByName(w.srv, 'ALACHUA COUNTY JAIL');
  F.adminHome = await facilityIdByName(w.srv, 'FCI BASTROP');
});
after(async () => { if (w) await w.close(); });

test('a directory facility is not on the platform: public policy 404, facility shows policy null', async () => {
  const res = await w.get(`/api/v1/facilities/${F.federal}/policy`);
  assertError(res, 404, 'not_found', 'GET policy of an off-platform facility:');
  const f = await w.get(`/api/v1/facilities/${F.federal}`);
  assert.equal(f.status, 200);
  assert.equal(f.json.on_platform, false);
  assert.equal(f.json.policy, null);
  assert.equal(f.json.messaging_provider.slug, 'corrlinks', 'a BOP facility off the platform is served by CorrLinks');
});

for (const [key, profile] of [['federal', 'federal'], ['jpay', 'jpay'], ['cn', 'connectnetwork']]) {
  test(`operator puts a facility on the platform with profile ${profile}: 201, defaults, on_platform, provider kite`, async () => {
    // Searched twice first: the second answer is a kept one, which the policy must replace.
    const { name } = (await w.get(`/api/v1/facilities/${F[key]}`)).json;
    for (let i = 0; i < 2; i++) {
      const early = await w.get(`/api/v1/facilities?q=${encodeURIComponent(name)}&limit=50`);
      assert.equal(early.json.items.find((x) => x.id === F[key])?.on_platform, false, 'on the platform before its policy');
    }
    const res = await w.put(`/api/v1/facilities/${F[key]}/policy`, { profile }, op.token);
    assert.equal(res.status, 201, `first PUT: ${describeRes(res)}`);
    assertFullPolicy(res.json, 'PUT answer');
    assertPolicyHas(res.json, PROFILE_DEFAULTS[profile], `PUT ${profile}`);

    const f = await w.get(`/api/v1/facilities/${F[key]}`);
    assert.equal(f.status, 200);
    assert.equal(f.json.on_platform, true);
    assert.deepEqual(f.json.messaging_provider.slug, 'kite');
    // Kite provides what its own provider row lists: the page shows Kite's prices for calls and money.
    const services = Object.fromEntries(Object.entries(f.json.providers).map(([k, v]) => [k, v.slug]));
    assert.deepEqual([services.messaging, services.phone, services.money, services.photos], ['kite', 'kite', 'kite', 'kite'],
      `providers ${JSON.stringify(f.json.providers)}`);
    assert.notEqual(services.video, 'kite', 'Kite has no video visits yet');
    assert.ok(f.json.policy, 'GET facility has no policy');
    assertFullPolicy(f.json.policy, 'GET facility policy');
    assertPolicyHas(f.json.policy, PROFILE_DEFAULTS[profile], `GET facility ${profile}`);

    const pub = await w.get(`/api/v1/facilities/${F[key]}/policy`);
    assert.equal(pub.status, 200, `public GET policy: ${describeRes(pub)}`);
    for (const field of ALL_FIELDS) assert.deepEqual(pub.json[field], f.json.policy[field], `public policy.${field}`);

    // The directory search shows it on the platform too.
    const search = await w.get(`/api/v1/facilities?q=${encodeURIComponent(f.json.name)}&limit=50`);
    const hit = search.json.items.find((x) => x.id === F[key]);
    assert.ok(hit, 'facility not found by name');
    assert.equal(hit.on_platform, true, 'search result does not show on_platform');
    assert.equal(hit.messaging_provider.slug, 'kite');
  });
}

test('replacing a policy with overrides: 200, the overrides win, other fields keep the profile defaults', async () => {
  const res = await w.put(`/api/v1/facilities/${F.federal}/policy`,
    { profile: 'federal', contact_limit: 2, invitation_valid_days: 10, message_max_chars: 5000, review: 'flagged_only' }, op.token);
  assert.equal(res.status, 200, describeRes(res));
  assertPolicyHas(res.json, {
    profile: 'federal', contact_limit: 2, invitation_valid_days: 10, message_max_chars: 5000, review: 'flagged_only',
    contact_initiation: 'resident_invites', attachments_allowed: false, resident_number_format: 'bop',
  }, 'override');
  const pub = await w.get(`/api/v1/facilities/${F.federal}/policy`);
  assertPolicyHas(pub.json, { contact_limit: 2, invitation_valid_days: 10, message_max_chars: 5000 }, 'GET after override');

  // An override that changes the model: a federal facility that also takes contact requests.
  const both = await w.put(`/api/v1/facilities/${F.federal}/policy`, { profile: 'federal', contact_initiation: 'both' }, op.token);
  assert.equal(both.status, 200, describeRes(both));
  assert.equal(both.json.contact_initiation, 'both');
  assert.equal(both.json.contact_limit, 30, 'a replace without contact_limit goes back to the profile default');
});

test('every field at its minimum and its maximum is accepted', async () => {
  for (const [name, min, max] of INT_RANGES) {
    for (const value of [min, max]) {
      const body = { profile: 'jpay', [name]: value };
      // keep the cross-field rules satisfied
      if (name === 'page_chars' && value === 0) body.pricing = 'credits';
      if ((name === 'max_attachments' || name === 'attachment_max_bytes') && value === 0) body.attachments_allowed = false;
      if (name === 'message_retention_days') body.photo_retention_days = Math.min(value, 365);
      if (name === 'photo_retention_days') body.message_retention_days = Math.max(value, 1095);
      const res = await w.put(`/api/v1/facilities/${F.validation}/policy`, body, op.token);
      assert.ok(res.status === 200 || res.status === 201, `${name}=${value}: ${describeRes(res)}`);
      assert.equal(res.json[name], value, `${name}=${value} stored as ${res.json[name]}`);
    }
  }
  for (const [name, values] of Object.entries(ENUMS)) {
    for (const value of values) {
      const body = { profile: 'federal', [name]: value };
      if (name === 'approval' && value === 'resident_or_window') body.approval_window_hours = 24;
      if (name === 'pricing' && value === 'stamps') body.page_chars = 2000;
      const res = await w.put(`/api/v1/facilities/${F.validation}/policy`, body, op.token);
      assert.equal(res.status, 200, `${name}=${value}: ${describeRes(res)}`);
      assert.equal(res.json[name], value);
    }
  }
  for (const value of [true, false]) {
    const body = { profile: 'federal', attachments_allowed: value, max_attachments: 2, attachment_max_bytes: 1048576 };
    const res = await w.put(`/api/v1/facilities/${F.validation}/policy`, body, op.token);
    assert.equal(res.status, 200, `attachments_allowed=${value}: ${describeRes(res)}`);
    assert.equal(res.json.attachments_allowed, value);
  }
});

test('every validation error is 422 invalid_field naming its field, and changes nothing', async () => {
  const known = await w.put(`/api/v1/facilities/${F.validation}/policy`, { profile: 'jpay', contact_limit: 77 }, op.token);
  assert.equal(known.status, 200, describeRes(known));
  const cases = [];
  for (const [name, min, max] of INT_RANGES) {
    cases.push([name, { [name]: min - 1 }], [name, { [name]: max + 1 }], [name, { [name]: String(min + 1) }],
      [name, { [name]: min + 0.5 }], [name, { [name]: null }], [name, { [name]: true }]);
  }
  for (const name of Object.keys(ENUMS)) {
    cases.push([name, { [name]: 'nonsense' }], [name, { [name]: 3 }], [name, { [name]: '' }],
      [name, { [name]: ENUMS[name][0].toUpperCase() }]);
  }
  cases.push(
    ['attachments_allowed', { attachments_allowed: 'yes' }],
    ['attachments_allowed', { attachments_allowed: 1 }],
    ['profile', { profile: 'corrlinks' }],
    ['profile', { profile: 5 }],
    ['profile', { profile: undefined }],
    ['colour', { colour: 'blue' }],
    ['contactLimit', { contactLimit: 3 }],
    // cross-field rules
    ['approval_window_hours', { profile: 'connectnetwork', approval_window_hours: 0 }],
    ['approval_window_hours', { approval: 'resident_or_window', approval_window_hours: 0 }],
    ['page_chars', { pricing: 'stamps', page_chars: 0 }],
    ['max_attachments', { attachments_allowed: true, max_attachments: 0 }],
  );
  for (const [field, override] of cases) {
    const body = { profile: 'jpay', ...override };
    if ('profile' in override && override.profile === undefined) delete body.profile;
    const res = await w.put(`/api/v1/facilities/${F.validation}/policy`, body, op.token);
    const err = assertError(res, 422, 'invalid_field', `PUT ${JSON.stringify(body)}:`);
    assert.equal(err.field, field, `PUT ${JSON.stringify(body)}: error.field ${err.field}, expected ${field}`);
    assert.ok(err.message.includes(field), `message does not name ${field}: ${err.message}`);
  }
  const after = await w.get(`/api/v1/facilities/${F.validation}/policy`);
  assert.equal(after.json.contact_limit, 77, 'a refused PUT changed the policy');
  assert.equal(after.json.profile, 'jpay');
});

test('malformed bodies: not JSON → 400, not an object → 400, never 500', async () => {
  const bad = await w.srv.request('PUT', `/api/v1/facilities/${F.validation}/policy`, { body: '{"profile": ', token: op.token });
  assertError(bad, 400, 'malformed_json');
  const arr = await w.put(`/api/v1/facilities/${F.validation}/policy`, [{ profile: 'jpay' }], op.token);
  assertError(arr, 400, 'bad_request');
  const nofac = await w.put('/api/v1/facilities/99999999/policy', { profile: 'jpay' }, op.token);
  assertError(nofac, 404, 'not_found', 'unknown facility:');
  const badId = await w.put('/api/v1/facilities/abc/policy', { profile: 'jpay' }, op.token);
  assert.ok([400, 404, 422].includes(badId.status), `non-numeric id: ${describeRes(badId)}`);
});

test('facility_admin: replaces its own policy (200), cannot create one, and sees 404 elsewhere', async () => {
  const admin = await w.staff(op.token, F.jpay, 'facility_admin');
  const own = await w.put(`/api/v1/facilities/${F.jpay}/policy`, { profile: 'jpay', contact_limit: 40 }, admin.token);
  assert.equal(own.status, 200, `admin on own facility: ${describeRes(own)}`);
  assert.equal(own.json.contact_limit, 40);

  // Another on-platform facility: 404, not 403.
  const other = await w.put(`/api/v1/facilities/${F.federal}/policy`, { profile: 'jpay' }, admin.token);
  assertError(other, 404, 'not_found', 'admin on another on-platform facility:');
  // An off-platform facility: 404 as well (it is not theirs).
  const off = await w.put(`/api/v1/facilities/${F.offPlatform}/policy`, { profile: 'jpay' }, admin.token);
  assertError(off, 404, 'not_found', 'admin creating a policy elsewhere:');
  assert.equal((await w.get(`/api/v1/facilities/${F.offPlatform}`)).json.on_platform, false);
  // Validation errors come after the scope check.
  const otherBad = await w.put(`/api/v1/facilities/${F.federal}/policy`, { profile: 'nope' }, admin.token);
  assertError(otherBad, 404, 'not_found', 'admin with a bad body on another facility:');

  // An admin whose own facility is not yet on the platform cannot put it there: only an operator can.
  const homeAdmin = await w.cliUser('facility_admin', F.adminHome);
  const create = await w.put(`/api/v1/facilities/${F.adminHome}/policy`, { profile: 'federal' }, homeAdmin.token);
  assertError(create, 403, 'forbidden', 'admin creating its own facility policy:');
  assert.equal((await w.get(`/api/v1/facilities/${F.adminHome}`)).json.on_platform, false);
});

test('roles that may never set a policy: 403; no token: 401', async () => {
  const reviewer = await w.staff(op.token, F.jpay, 'reviewer');
  const investigator = await w.staff(op.token, F.jpay, 'investigator');
  const contact = await w.contact();
  for (const [who, token] of [['reviewer', reviewer.token], ['investigator', investigator.token], ['contact', contact.token]]) {
    const res = await w.put(`/api/v1/facilities/${F.jpay}/policy`, { profile: 'jpay' }, token);
    assertError(res, 403, 'forbidden', `${who} PUT policy:`);
  }
  const resident = await w.resident(op.token, F.jpay, { number: 'POL-1' });
  const r = await w.put(`/api/v1/facilities/${F.jpay}/policy`, { profile: 'jpay' }, resident.token);
  assertError(r, 403, 'forbidden', 'resident PUT policy:');
  const anon = await w.put(`/api/v1/facilities/${F.jpay}/policy`, { profile: 'jpay' });
  assertError(anon, 401, 'unauthenticated');
  assert.equal((await w.get(`/api/v1/facilities/${F.jpay}/policy`)).json.contact_limit, 40, 'a refused PUT changed the policy');
});

test('policy changes are audited with old and new values', async () => {
  const rows = w.auditRows(`action LIKE 'policy.%' AND target = 'facility:${F.federal}'`);
  assert.ok(rows.length >= 3, `expected ≥3 policy rows for the federal facility: ${JSON.stringify(rows)}`);
  const create = rows[0];
  assert.equal(create.action, 'policy.create');
  assert.equal(create.actor, `account:${op.account.id}`);
  for (const part of ['profile: (none) -> federal', 'contact_limit: (none) -> 30', 'invitation_valid_days: (none) -> 30',
    'message_max_chars: (none) -> 13000', 'resident_number_format: (none) -> bop']) {
    assert.ok(create.detail.includes(part), `policy.create detail lacks "${part}": ${create.detail}`);
  }
  const update = rows[1];
  assert.equal(update.action, 'policy.update');
  for (const part of ['contact_limit: 30 -> 2', 'invitation_valid_days: 30 -> 10', 'message_max_chars: 13000 -> 5000', 'review: all -> flagged_only']) {
    assert.ok(update.detail.includes(part), `policy.update detail lacks "${part}": ${update.detail}`);
  }
  assert.ok(!update.detail.includes('profile:'), `unchanged fields must not be listed: ${update.detail}`);
  const third = rows[2];
  assert.ok(third.detail.includes('contact_limit: 2 -> 30') && third.detail.includes('contact_initiation: resident_invites -> both'),
    `third update: ${third.detail}`);

  // The facility_admin's change names the admin as the actor.
  const jrows = w.auditRows(`action = 'policy.update' AND target = 'facility:${F.jpay}'`);
  assert.equal(jrows.length, 1, `one update of the jpay facility: ${JSON.stringify(jrows)}`);
  assert.ok(jrows[0].detail.includes('contact_limit: 50 -> 40'), jrows[0].detail);
  assert.notEqual(jrows[0].actor, `account:${op.account.id}`, 'the admin is the actor, not the operator');
  // Refused PUTs left no audit rows.
  const offRows = w.auditRows(`target = 'facility:${F.offPlatform}' OR target = 'facility:${F.adminHome}'`);
  assert.deepEqual(offRows, [], 'refused policy writes were audited as changes');
});

test('kite audit verify passes', async () => {
  await w.auditOk();
});
