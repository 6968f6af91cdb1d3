// The permission matrix: every endpoint × every role × own facility (A) and
// another facility (B, also on the platform). The expected answers are written
// out below as a table; they follow SPEC.md "People (roles)":
//
//   - public endpoints (health, OpenAPI, directory, providers, a facility's
//     public policy, registration, sign-in) answer everyone;
//   - no token → 401; a role that may never do something → 403;
//   - staff (facility_admin, reviewer, investigator) belong to facility A and
//     get 404 for anything of facility B — never 403 ("a reviewer of facility A
//     gets 404 for anything of facility B"); the operator may do everything;
//   - residents and contacts only reach their own invitations, requests and
//     contacts; somebody else's answers 404.
//
// Allowed calls send a minimal valid body and must answer 2xx, except where the
// table says 422: there the body is deliberately wrong (e.g. a transfer to the
// same facility) so that the call proves access without moving anyone.
import { test, before, after } from 'node:test';
import {
  World, assert, facilityIdByName, describeRes, bopNumber, anyNumber, uniqueEmail, strongPassword,
} from './lib/flows.mjs';
import { session } from './lib/kite.mjs';

const ROLES = ['anonymous', 'contact', 'resident', 'reviewer', 'investigator', 'facility_admin', 'operator'];
const OK = 'ok';

// ---------------------------------------------------------------------------
// The expected table. Scope: A = the staff's and the resident's own facility
// (or, for contacts/requests, the caller's own item); B = another facility
// (or somebody else's item); '-' = the endpoint has no facility or item.
//
//   method  path                                                  scope   anon  contact resident reviewer investig f_admin operator
const TABLE = [
  ['GET',    '/healthz',                                             '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/openapi.json',                                 '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/accounts',                                     '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/sessions',                                     '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/me',                                           '-', [401, OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities',                                   '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/providers',                                    '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}',                              'A', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}',                              'B', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/policy',                       'A', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/policy',                       'B', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['PUT',    '/api/v1/facilities/{id}/policy',                       'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['PUT',    '/api/v1/facilities/{id}/policy',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/staff',                        'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/staff',                        'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/staff',                        'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/staff',                        'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/residents',                    'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/residents',                    'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/residents',                    'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/residents',                    'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/facilities/{id}/residents/{number}',           'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/residents/{number}',           'B', [401, 403, 403, 404, 404, 404, OK]],
  ['PATCH',  '/api/v1/facilities/{id}/residents/{number}',           'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['PATCH',  '/api/v1/facilities/{id}/residents/{number}',           'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/residents/{number}/transfer',  'A', [401, 403, 403, 403, 403, 422, 422]],
  ['POST',   '/api/v1/facilities/{id}/residents/{number}/transfer',  'B', [401, 403, 403, 404, 404, 404, 422]],
  ['GET',    '/api/v1/facilities/{id}/blocks',                       'A', [401, 403, 403, OK,  OK,  OK,  OK]],
  ['GET',    '/api/v1/facilities/{id}/blocks',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['POST',   '/api/v1/facilities/{id}/blocks',                       'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['POST',   '/api/v1/facilities/{id}/blocks',                       'B', [401, 403, 403, 404, 404, 404, OK]],
  ['DELETE', '/api/v1/facilities/{id}/blocks/{block_id}',            'A', [401, 403, 403, 403, 403, OK,  OK]],
  ['DELETE', '/api/v1/facilities/{id}/blocks/{block_id}',            'B', [401, 403, 403, 404, 404, 404, OK]],
  ['GET',    '/api/v1/invitations',                                  '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/invitations',                                  '-', [401, 403, OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/invitations/preview',                          '-', [OK,  OK,  OK,  OK,  OK,  OK,  OK]],
  ['POST',   '/api/v1/invitations/accept',                           '-', [401, OK,  403, 403, 403, 403, 403]],
  ['GET',    '/api/v1/contact-requests',                             '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests',                             '-', [401, OK,  403, 403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/approve',                'A', [401, 403, OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/approve',                'B', [401, 403, 404, 403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/decline',                'A', [401, 403, OK,  403, 403, 403, 403]],
  ['POST',   '/api/v1/contact-requests/{id}/decline',                'B', [401, 403, 404, 403, 403, 403, 403]],
  ['GET',    '/api/v1/contacts',                                     '-', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/contacts/{id}',                                'A', [401, OK,  OK,  403, 403, 403, 403]],
  ['GET',    '/api/v1/contacts/{id}',                                'B', [401, 404, 404, 403, 403, 403, 403]],
  ['DELETE', '/api/v1/contacts/{id}',                                'A', [401, OK,  OK,  403, 403, 403, 403]],
  ['DELETE', '/api/v1/contacts/{id}',                                'B', [401, 404, 404, 403, 403, 403, 403]],
  ['DELETE', '/api/v1/sessions/current',                             '-', [401, OK,  OK,  OK,  OK,  OK,  OK]],
];

// The error code each refusal must carry.
const CODE_FOR = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 422: 'invalid_field' };

let w;
let op;
const FAC = {}; // A, B ids
const people = {}; // role → {token, ...}
const fixtures = {};

before(async () => {
  w = await World.start();
  op = await w.operator();
  FAC.A = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  FAC.B = await facilityIdByName(w.srv, 'AVENAL STATE PRISON');
  // A takes both invitations and requests, so every contact flow has an "own" case there.
  await w.putPolicy(op.token, FAC.A, { profile: 'federal', contact_initiation: 'both' }, 201);
  await w.putPolicy(op.token, FAC.B, { profile: 'jpay' }, 201);

  people.operator = op;
  people.facility_admin = await w.staff(op.token, FAC.A, 'facility_admin');
  people.reviewer = await w.staff(op.token, FAC.A, 'reviewer');
  people.investigator = await w.staff(op.token, FAC.A, 'investigator');
  people.contact = await w.contact();
  people.resident = await w.resident(op.token, FAC.A, { number: bopNumber(), first_name: 'Ava', last_name: 'Matrix' });
  people.anonymous = { token: undefined };

  const ra2 = await w.resident(op.token, FAC.A, { number: bopNumber(), first_name: 'Abe', last_name: 'Matrix' });
  const rb = await w.resident(op.token, FAC.B, { number: anyNumber('B'), first_name: 'Bea', last_name: 'Matrix' });
  const rb2 = await w.resident(op.token, FAC.B, { number: anyNumber('B'), first_name: 'Bo', last_name: 'Matrix' });
  fixtures.number = { A: people.resident.number, B: rb.number };
  fixtures.rb2 = rb2;

  // The matrix contact is a contact of the matrix resident (own item); Z and Bea are somebody else's.
  fixtures.ownContact = (await w.connectByInvitation(people.resident, people.contact)).id;
  const z = await w.contact();
  fixtures.otherContact = (await w.connectByRequest(rb, z)).id;
  // Pending requests: two to the matrix resident (approve, decline), one to Bea (somebody else's).
  const x1 = await w.contact();
  const x2 = await w.contact();
  const z2 = await w.contact();
  fixtures.request = {
    approve: { A: (await w.request(x1, { facility_id: FAC.A, resident_number: people.resident.number })).json.id },
    decline: { A: (await w.request(x2, { facility_id: FAC.A, resident_number: people.resident.number })).json.id },
  };
  const zReq = (await w.request(z2, { facility_id: FAC.B, resident_number: rb.number })).json.id;
  fixtures.request.approve.B = zReq;
  fixtures.request.decline.B = zReq;
  // An invitation for the matrix contact from another resident of A, for the accept call.
  await w.invite(ra2, people.contact.email);
  fixtures.acceptToken = await w.inviteToken(people.contact.email, { after: 1 });
  const previewed = uniqueEmail('preview');
  await w.invite(ra2, previewed);
  fixtures.previewToken = await w.inviteToken(previewed);
  // One block per (role, facility) to delete.
  fixtures.blocks = { A: {}, B: {} };
  for (const scope of ['A', 'B']) {
    for (const role of ROLES) {
      const b = await w.post(`/api/v1/facilities/${FAC[scope]}/blocks`, { email: uniqueEmail('blk') }, op.token);
      assert.equal(b.status, 201, describeRes(b));
      fixtures.blocks[scope][role] = b.json.id;
    }
  }
});
after(async () => { if (w) await w.close(); });

// ---------------------------------------------------------------------------
// How to call each endpoint as `role` in `scope`: the concrete path and a minimal body.

async function build(method, template, scope, role) {
  const fid = scope === '-' ? null : FAC[scope];
  let p = template.replace('{id}', String(fid));
  let body;
  let token = people[role].token;
  const key = `${method} ${template}`;
  switch (key) {
    case 'POST /api/v1/accounts':
      body = { email: uniqueEmail('reg'), password: strongPassword(), full_name: 'Matrix Person', phone: '+1 555 0199' };
      break;
    case 'POST /api/v1/sessions':
      body = { email: people.contact.email, password: people.contact.password };
      break;
    case 'DELETE /api/v1/sessions/current':
      // A throwaway session, so the role's main token keeps working.
      if (role === 'resident') {
        const s = await w.post('/api/v1/sessions', { facility_id: FAC.A, resident_number: people.resident.number, pin: people.resident.pin });
        token = s.json.token;
      } else if (role !== 'anonymous') {
        token = (await session(w.srv, people[role].email, people[role].password)).token;
      }
      break;
    case 'PUT /api/v1/facilities/{id}/policy':
      body = scope === 'A' ? { profile: 'federal', contact_initiation: 'both' } : { profile: 'jpay' };
      break;
    case 'POST /api/v1/facilities/{id}/staff':
      body = { email: uniqueEmail('stf'), full_name: 'Matrix Staff', role: 'reviewer', password: strongPassword() };
      break;
    case 'POST /api/v1/facilities/{id}/residents':
      body = { resident_number: scope === 'A' ? bopNumber() : anyNumber('M'), first_name: 'New', last_name: 'Matrix' };
      break;
    case 'PATCH /api/v1/facilities/{id}/residents/{number}':
      body = { first_name: scope === 'A' ? 'Ava' : 'Bea' };
      break;
    case 'POST /api/v1/facilities/{id}/residents/{number}/transfer':
      body = { to_facility_id: fid }; // the same facility: 422, nobody moves
      break;
    case 'POST /api/v1/facilities/{id}/blocks':
      body = { email: uniqueEmail('blk') };
      break;
    case 'DELETE /api/v1/facilities/{id}/blocks/{block_id}':
      p = p.replace('{block_id}', String(fixtures.blocks[scope][role]));
      break;
    case 'POST /api/v1/invitations':
      body = { email: uniqueEmail('inv') };
      break;
    case 'GET /api/v1/invitations/preview':
      p = `${template}?token=${fixtures.previewToken}`;
      break;
    case 'POST /api/v1/invitations/accept':
      body = { token: fixtures.acceptToken };
      break;
    case 'POST /api/v1/contact-requests':
      body = { facility_id: FAC.B, resident_number: fixtures.rb2.number };
      break;
    case 'POST /api/v1/contact-requests/{id}/approve':
      p = template.replace('{id}', String(fixtures.request.approve[scope]));
      break;
    case 'POST /api/v1/contact-requests/{id}/decline':
      p = template.replace('{id}', String(fixtures.request.decline[scope]));
      break;
    case 'GET /api/v1/contacts/{id}':
    case 'DELETE /api/v1/contacts/{id}':
      p = template.replace('{id}', String(scope === 'A' ? fixtures.ownContact : fixtures.otherContact));
      break;
    default:
      break;
  }
  if (p.includes('{number}')) p = p.replace('{number}', encodeURIComponent(fixtures.number[scope]));
  return { path: p, body, token };
}

function matches(expected, res) {
  if (expected === OK) return res.status >= 200 && res.status < 300;
  if (res.status !== expected) return false;
  return res.json?.error?.code === CODE_FOR[expected];
}

test('openapi.json lists exactly the endpoints of this table', async () => {
  const res = await w.get('/api/v1/openapi.json');
  assert.equal(res.status, 200);
  const served = new Set();
  for (const [p, ops] of Object.entries(res.json.paths || {})) {
    for (const m of Object.keys(ops)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(m)) served.add(`${m.toUpperCase()} ${p}`);
    }
  }
  const table = new Set(TABLE.map(([m, p]) => `${m} ${p}`));
  const notInTable = [...served].filter((e) => !table.has(e));
  const notServed = [...table].filter((e) => !served.has(e));
  assert.deepEqual(notInTable, [], `endpoints in openapi.json without a row in the permission table: ${notInTable.join(', ')}`);
  assert.deepEqual(notServed, [], `endpoints the server routes but openapi.json does not describe (${served.size} described): ${notServed.join(', ')}`);
});

// The endpoints API.md lists as the minimum contract. Those the server routes (an
// anonymous call answers anything but 404) must be described in openapi.json.
const API_MD = [
  ['GET', '/healthz'], ['POST', '/api/v1/accounts'], ['POST', '/api/v1/sessions'], ['DELETE', '/api/v1/sessions/current'],
  ['GET', '/api/v1/me'], ['GET', '/api/v1/facilities'], ['GET', '/api/v1/facilities/{id}'], ['GET', '/api/v1/providers'],
  ['POST', '/api/v1/facilities/{id}/residents'], ['POST', '/api/v1/invitations'], ['POST', '/api/v1/invitations/accept'],
  ['POST', '/api/v1/contact-requests'], ['POST', '/api/v1/contact-requests/{id}/approve'],
  ['POST', '/api/v1/contact-requests/{id}/decline'], ['GET', '/api/v1/contacts'], ['DELETE', '/api/v1/contacts/{id}'],
  ['POST', '/api/v1/messages'], ['GET', '/api/v1/messages'], ['GET', '/api/v1/messages/{id}'],
  ['GET', '/api/v1/review/queue'], ['POST', '/api/v1/review/{message_id}'], ['GET', '/api/v1/wallet'],
  ['POST', '/api/v1/wallet/top-ups'], ['GET', '/api/v1/wallet/transactions'], ['POST', '/api/v1/money-transfers'],
  ['POST', '/api/v1/phone-accounts'], ['POST', '/api/v1/phone-accounts/{id}/deposits'], ['POST', '/api/v1/facilities/{id}/calls'],
];

test('openapi.json describes every API.md endpoint the server answers', async () => {
  const doc = (await w.get('/api/v1/openapi.json')).json;
  const missing = [];
  for (const [method, template] of API_MD) {
    const path = template.replace(/\{[a-z_]+\}/g, '1');
    const res = await w.srv.request(method, path, { body: method === 'GET' || method === 'DELETE' ? undefined : {} });
    if (res.status === 404 || res.status === 405) continue; // not built yet
    const ops = doc.paths?.[template];
    if (!ops || !ops[method.toLowerCase()]) missing.push(`${method} ${template} (answers ${res.status})`);
  }
  assert.deepEqual(missing, [], `routed but not in openapi.json: ${missing.join(', ')}`);
});

for (const [method, template, scope, expected] of TABLE) {
  const title = `${method} ${template}${scope === '-' ? '' : ` (${scope === 'A' ? 'own facility/item' : 'other facility/item'})`}`;
  test(title, async () => {
    const wrong = [];
    for (let i = 0; i < ROLES.length; i++) {
      const role = ROLES[i];
      const { path, body, token } = await build(method, template, scope, role);
      const res = await w.srv.request(method, path, { body, token });
      assert.ok(res.status < 500, `${role}: ${method} ${path} → ${describeRes(res)}`);
      if (!matches(expected[i], res)) {
        wrong.push(`${role}: expected ${expected[i]}${CODE_FOR[expected[i]] ? ` ${CODE_FOR[expected[i]]}` : ''}, got ${res.status} ${res.json?.error?.code ?? ''}`);
      }
    }
    assert.deepEqual(wrong, [], `${method} ${template} [${scope}]:\n  ${wrong.join('\n  ')}`);
  });
}

test('what the allowed calls did is visible, and the refused ones changed nothing', async () => {
  // Only the resident decided the own requests; the other resident's request is still pending.
  const status = (id) => w.sql(`SELECT status FROM contact_requests WHERE id = ${id}`);
  assert.equal(status(fixtures.request.approve.A), 'approved');
  assert.equal(status(fixtures.request.decline.A), 'declined');
  assert.equal(status(fixtures.request.approve.B), 'pending');
  // The other contact pair was untouched by the outsiders' DELETE attempts.
  assert.equal(w.sql(`SELECT status FROM contacts WHERE id = ${fixtures.otherContact}`), 'active');
  // Blocks: deleted exactly where the table allows it.
  for (const scope of ['A', 'B']) {
    for (const role of ROLES) {
      const removed = w.sql(`SELECT removed_at IS NOT NULL FROM facility_blocks WHERE id = ${fixtures.blocks[scope][role]}`);
      const allowed = role === 'operator' || (role === 'facility_admin' && scope === 'A');
      assert.equal(removed, allowed ? '1' : '0', `block of ${role} at ${scope}: removed=${removed}`);
    }
  }
  // Nobody was moved by the transfer calls.
  assert.equal(w.sql(`SELECT facility_id FROM residents WHERE resident_number = '${fixtures.number.A}'`), String(FAC.A));
  assert.equal(w.sql(`SELECT facility_id FROM residents WHERE resident_number = '${fixtures.number.B}'`), String(FAC.B));
});

test('kite audit verify passes', async () => {
  await w.auditOk();
});
