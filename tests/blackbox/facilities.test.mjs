// The facility directory: search, filters, pagination, one facility, providers.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, assertJson, directoryRows,
} from './lib/kite.mjs';

let srv;
const rows = directoryRows();
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.cleanup(); });

async function search(params = {}) {
  const qs = new URLSearchParams(params).toString();
  const res = await srv.get(`/api/v1/facilities${qs ? `?${qs}` : ''}`);
  assert.equal(res.status, 200, `GET /api/v1/facilities?${qs}: ${res.status} ${res.text.slice(0, 300)}`);
  const body = assertJson(res);
  assert.ok(Array.isArray(body.items), 'items is not an array');
  assert.ok(body.next_cursor === null || typeof body.next_cursor === 'string', `next_cursor ${body.next_cursor}`);
  assert.equal(typeof body.total, 'number', 'total is not a number');
  return body;
}

/** Follow next_cursor until null; returns every item. */
async function searchAll(params = {}, maxPages = 200) {
  const items = [];
  let cursor = null;
  let total = null;
  for (let page = 0; page < maxPages; page++) {
    const body = await search(cursor ? { ...params, cursor } : params);
    if (total === null) total = body.total;
    items.push(...body.items);
    if (body.next_cursor === null) return { items, total };
    assert.ok(body.items.length > 0, 'a non-final page is empty');
    assert.notEqual(body.next_cursor, cursor, 'cursor did not advance');
    cursor = body.next_cursor;
  }
  throw new Error(`more than ${maxPages} pages`);
}

function assertFacilityShape(f) {
  for (const k of ['id', 'name', 'address', 'city', 'state', 'zip', 'type', 'status', 'population', 'capacity', 'on_platform', 'messaging_provider']) {
    assert.ok(k in f, `facility lacks ${k}: ${JSON.stringify(f)}`);
  }
  assert.equal(typeof f.name, 'string');
  assert.equal(typeof f.zip, 'string', `zip must be a string (leading zeros): ${JSON.stringify(f.zip)}`);
  assert.equal(typeof f.on_platform, 'boolean');
  assert.ok(f.population === null || Number.isInteger(f.population), `population ${f.population}`);
  assert.ok(f.capacity === null || Number.isInteger(f.capacity), `capacity ${f.capacity}`);
  assert.ok(f.messaging_provider && typeof f.messaging_provider.slug === 'string' && typeof f.messaging_provider.name === 'string',
    `messaging_provider ${JSON.stringify(f.messaging_provider)}`);
}

const byName = (items, name) => items.find((f) => f.name === name);
const countWhere = (pred) => rows.filter(pred).length;

test('no query: total is the whole directory (6,737), default page of 20', async () => {
  const body = await search();
  assert.equal(rows.length, 6737, 'test data changed?');
  assert.equal(body.total, 6737);
  assert.equal(body.items.length, 20);
  assert.equal(typeof body.next_cursor, 'string');
  body.items.forEach(assertFacilityShape);
});

test('limit=1 and limit=100 are honoured', async () => {
  assert.equal((await search({ limit: 1 })).items.length, 1);
  assert.equal((await search({ limit: 100 })).items.length, 100);
});

test('bad limits → 422 invalid_field', async () => {
  for (const limit of ['0', '-1', '101', 'abc', '1.5', '99999999999999999999', '10abc']) {
    const res = await srv.get(`/api/v1/facilities?limit=${encodeURIComponent(limit)}`);
    assertError(res, 422, 'invalid_field', `limit=${limit}:`);
  }
});

test('a garbage cursor → 400/422, never 500', async () => {
  for (const cursor of ['garbage', '!!!', 'eyJ4IjoxfQ', '-1', '%FF']) {
    const res = await srv.get(`/api/v1/facilities?cursor=${encodeURIComponent(cursor)}`);
    assertError(res, [400, 422], undefined, `cursor=${cursor}:`);
  }
});

test('the whole directory through the cursor: every row once, exactly as in facilities.csv', async () => {
  const { items, total } = await searchAll({ limit: 100 });
  assert.equal(total, 6737);
  assert.equal(items.length, 6737);
  const ids = new Set(items.map((f) => String(f.id)));
  assert.equal(ids.size, 6737, 'duplicate ids across pages');
  items.forEach(assertFacilityShape);
  const norm = (v) => (v === null || v === undefined ? '' : String(v));
  const key = (f) => [f.name, f.address, f.city, f.state, f.zip, f.type, f.status, f.population, f.capacity].map(norm).join('|');
  const got = items.map(key).sort();
  const want = rows.map(key).sort();
  const missing = want.filter((k, i) => got[i] !== k).slice(0, 3);
  assert.deepEqual(got, want, `API rows differ from facilities.csv, e.g. ${missing.join(' ; ')}`);
  assert.ok(items.every((f) => f.on_platform === false), 'a directory facility is on_platform');
});

test('cursor pagination over a ranked search yields each result once', async () => {
  const small = await searchAll({ q: 'county', state: 'TX', limit: 7 });
  const big = await searchAll({ q: 'county', state: 'TX', limit: 100 });
  assert.ok(small.items.length > 100, `expected many TX county results, got ${small.items.length}`);
  const ids = small.items.map((f) => String(f.id));
  assert.equal(new Set(ids).size, ids.length, 'duplicates across pages');
  assert.equal(ids.length, small.total, 'items seen ≠ total');
  assert.deepEqual(new Set(ids), new Set(big.items.map((f) => String(f.id))), 'page size changes the result set');
  assert.ok(small.items.every((f) => f.state === 'TX'));
});

test('filters: state, type, zip, status, and combined — totals match facilities.csv', async () => {
  const cases = [
    [{ state: 'FL' }, (r) => r.state === 'FL'],
    [{ type: 'federal' }, (r) => r.type === 'federal'],
    [{ zip: '33521' }, (r) => r.zip === '33521'],
    [{ status: 'open' }, (r) => r.status === 'open'],
    [{ status: 'closed' }, (r) => r.status === 'closed'],
    [{ state: 'FL', type: 'federal' }, (r) => r.state === 'FL' && r.type === 'federal'],
    [{ state: 'TX', type: 'county', status: 'open' }, (r) => r.state === 'TX' && r.type === 'county' && r.status === 'open'],
  ];
  for (const [params, pred] of cases) {
    const body = await search({ ...params, limit: 100 });
    const want = countWhere(pred);
    assert.ok(want > 0);
    assert.equal(body.total, want, `total for ${JSON.stringify(params)}`);
    for (const f of body.items) {
      for (const [k, v] of Object.entries(params)) assert.equal(f[k], v, `${JSON.stringify(params)} returned ${f.name} with ${k}=${f[k]}`);
    }
  }
  const all = await searchAll({ state: 'FL', limit: 100 });
  assert.equal(all.items.length, countWhere((r) => r.state === 'FL'));
  const zip = await search({ zip: '33521' });
  assert.deepEqual(zip.items.map((f) => f.name).sort(),
    ['FCI COLEMAN LOW', 'FCI COLEMAN LOW CAMP', 'FCI COLEMAN MEDIUM', 'USP COLEMAN I', 'USP COLEMAN II']);
});

test('a filter that matches nothing → 200, empty items, next_cursor null, total 0', async () => {
  const body = await search({ q: 'xqzvwjkp' });
  assert.deepEqual(body.items, []);
  assert.equal(body.next_cursor, null);
  assert.equal(body.total, 0);
  const z = await search({ zip: '00000' });
  assert.equal(z.total, 0);
});

test('"coleman" → the BOP Coleman institutions on CorrLinks; Coleman County Jail is unknown', async () => {
  const body = await search({ q: 'coleman' });
  for (const name of ['USP COLEMAN I', 'USP COLEMAN II', 'FCI COLEMAN LOW', 'FCI COLEMAN MEDIUM']) {
    const f = byName(body.items, name);
    assert.ok(f, `"coleman" lacks ${name}; got ${body.items.map((x) => x.name).join(', ')}`);
    assert.equal(f.messaging_provider.slug, 'corrlinks', `${name} provider`);
    assert.match(f.messaging_provider.name, /corrlinks/i);
    assert.equal(f.state, 'FL');
    assert.equal(f.on_platform, false);
  }
  const jail = byName(body.items, 'COLEMAN COUNTY JAIL');
  assert.ok(jail, '"coleman" lacks COLEMAN COUNTY JAIL');
  assert.equal(jail.messaging_provider.slug, 'unknown');
  assert.equal(jail.state, 'TX');
  const nelson = byName(body.items, 'NELSON COLEMAN CORRECTIONAL CENTER');
  assert.ok(nelson, 'lacks NELSON COLEMAN CORRECTIONAL CENTER');
  assert.notEqual(nelson.messaging_provider.slug, 'corrlinks');
});

test('search is case-insensitive and word-order-free', async () => {
  const ids = (b) => b.items.map((f) => f.id).sort();
  const a = await search({ q: 'coleman', limit: 100 });
  const b = await search({ q: 'COLEMAN', limit: 100 });
  const c = await search({ q: 'CoLeMaN', limit: 100 });
  assert.deepEqual(ids(a), ids(b));
  assert.deepEqual(ids(a), ids(c));
  const d = await search({ q: 'fci coleman', limit: 100 });
  const e = await search({ q: 'coleman fci', limit: 100 });
  assert.deepEqual(ids(d), ids(e));
});

test('prefix matching on name and city words', async () => {
  const p = await search({ q: 'colem fci' });
  assert.ok(byName(p.items, 'FCI COLEMAN LOW'), `"colem fci": ${p.items.map((f) => f.name).join(', ')}`);
  const city = await search({ q: 'sumtervil' });
  assert.ok(byName(city.items, 'USP COLEMAN II'), `city prefix "sumtervil": ${city.items.map((f) => f.name).join(', ')}`);
  const nameCity = await search({ q: 'medium sumterville' });
  assert.ok(byName(nameCity.items, 'FCI COLEMAN MEDIUM'), 'name word + city word');
});

test('a typo is not counted as found: "colman fci" finds nothing and offers did_you_mean "coleman fci" with its first page', async () => {
  const body = await search({ q: 'colman fci' });
  assert.equal(body.total, 0);
  assert.deepEqual(body.items, []);
  assert.equal(body.did_you_mean.q, 'coleman fci');
  const names = body.did_you_mean.items.map((f) => f.name);
  for (const n of ['FCI COLEMAN LOW', 'FCI COLEMAN MEDIUM']) {
    assert.ok(names.includes(n), `did_you_mean lacks ${n}; got ${names.join(', ')}`);
    assert.ok(names.indexOf(n) < 5, `${n} ranked ${names.indexOf(n) + 1}`);
  }
  const fixed = await search({ q: 'coleman fci' });
  assert.equal(fixed.did_you_mean, null, 'a search that finds something suggests nothing');
  assert.equal(body.did_you_mean.total, fixed.total);
  for (const [q, want] of [['colaman', 'coleman'], ['colemann', 'coleman'], ['sumtervile', 'sumterville'], ['san quinten', 'san quentin']]) {
    const r = await search({ q });
    assert.equal(r.total, 0, `"${q}" counted typo matches as found`);
    assert.equal(r.did_you_mean?.q, want, `"${q}" suggested ${JSON.stringify(r.did_you_mean?.q)}`);
  }
  const none = await search({ q: 'zzqxv' });
  assert.equal(none.total, 0);
  assert.equal(none.did_you_mean, null);
});

test('names people use: aliases, BOP abbreviations both ways, places, and the facility meant first', async () => {
  const first = async (q) => (await search({ q, limit: 3 })).items[0];
  const rikers = await search({ q: 'rikers', limit: 20 });
  assert.ok(rikers.total >= 9, `rikers: ${rikers.total}`);
  for (const f of rikers.items) assert.equal(f.city, 'EAST ELMHURST', `"rikers" found ${f.name} in ${f.city}`);
  assert.equal((await first('cook county jail')).city, 'CHICAGO');
  assert.equal((await first('angola')).name, 'LOUISIANA STATE PENITENTIARY');
  assert.equal((await first('la county jail')).name, "MEN'S CENTRAL JAIL");
  assert.equal((await first('federal correctional institution dublin')).name, 'FCI DUBLIN');
  assert.equal((await first('united states penitentiary atlanta')).name, 'USP ATLANTA');
  assert.equal((await first('federal prison in houston')).name, 'FDC HOUSTON');
  assert.equal((await first('estelle unit')).name, 'ESTELLE PRISON');
  assert.equal((await first('jail in chicago')).name, 'COOK COUNTY JAILS');
  assert.equal((await first('federal prison florence colorado')).state, 'CO');
});

test('ranking: the exact name comes first', async () => {
  const body = await search({ q: 'fci coleman medium' });
  assert.equal(body.items[0]?.name, 'FCI COLEMAN MEDIUM', `got ${body.items.map((f) => f.name).join(', ')}`);
});

test('query + filter: "coleman" in FL excludes the TX and LA Colemans', async () => {
  const body = await search({ q: 'coleman', state: 'FL' });
  assert.ok(body.items.length >= 4);
  assert.ok(body.items.every((f) => f.state === 'FL'));
  assert.ok(!byName(body.items, 'COLEMAN COUNTY JAIL'));
});

test('BOP institutions are CorrLinks; non-BOP federal facilities (ICE) are not', async () => {
  for (const name of ['FCI TERRE HAUTE', 'USP TERRE HAUTE', 'FMC DEVENS', 'FCI FORT DIX', 'FDC PHILADELPHIA', 'FCI ALICEVILLE']) {
    const body = await search({ q: name });
    const f = byName(body.items, name);
    if (!f && !rows.some((r) => r.name === name)) continue; // not in the data set
    assert.ok(f, `search "${name}" lacks it; got ${body.items.map((x) => x.name).slice(0, 5).join(', ')}`);
    assert.equal(f.messaging_provider.slug, 'corrlinks', `${name}`);
  }
  for (const name of ['ADELANTO ICE PROCESSING CENTER', 'ELOY DETENTION CENTER', 'OTAY MESA DETENTION CENTER', 'UTAH COUNTY JAIL']) {
    const body = await search({ q: name });
    const f = byName(body.items, name);
    assert.ok(f, `search "${name}" lacks it`);
    assert.equal(f.type, 'federal');
    assert.notEqual(f.messaging_provider.slug, 'corrlinks', `${name} is not a BOP institution`);
  }
});

test('zip codes keep their leading zeros; empty numbers are null; UTF-8 names survive', async () => {
  const k = await search({ q: 'kennebec county jail', state: 'ME' });
  const kennebec = byName(k.items, 'KENNEBEC COUNTY JAIL');
  assert.ok(kennebec);
  assert.equal(kennebec.zip, '04330');
  const b = await search({ q: 'barbara culver' });
  const culver = byName(b.items, 'BARBARA CULVER JUVENILE DETENTION CENTER');
  assert.ok(culver);
  assert.equal(culver.population, null);
  assert.equal(culver.capacity, 24);
  const u = await search({ q: 'TRATAMIENTO BAYAMÓN', limit: 100 });
  assert.ok(byName(u.items, 'CENTRO DE DETENCIÓN Y TRATAMIENTO SOCIAL DE BAYAMÓN'), `got ${u.items.map((f) => f.name).join(', ')}`);
});

test('hostile queries → never 500', async () => {
  for (const q of ["' OR 1=1 --", '%', '_', '"', '\\', '*', 'a'.repeat(5000), 'ñ', '\u0000', '😀', 'NOT AND OR NEAR', 'coleman*']) {
    const res = await srv.get(`/api/v1/facilities?q=${encodeURIComponent(q)}`);
    assert.ok(res.status < 500, `q=${JSON.stringify(q.slice(0, 20))}: ${res.status} ${res.text.slice(0, 200)}`);
    if (res.status !== 200) assertError(res, [400, 422]);
  }
});

// --- one facility ----------------------------------------------------------

test('GET /api/v1/facilities/{id} → fields, providers per service, policy null, on_platform false', async () => {
  const body = await search({ q: 'fci coleman low' });
  const low = byName(body.items, 'FCI COLEMAN LOW');
  assert.ok(low);
  const res = await srv.get(`/api/v1/facilities/${low.id}`);
  assert.equal(res.status, 200, res.text);
  const f = assertJson(res);
  assertFacilityShape(f);
  assert.equal(String(f.id), String(low.id));
  assert.equal(f.name, 'FCI COLEMAN LOW');
  assert.equal(f.address, '846 NORTHEAST 54TH TERRACE');
  assert.equal(f.city, 'SUMTERVILLE');
  assert.equal(f.state, 'FL');
  assert.equal(f.zip, '33521');
  assert.equal(f.type, 'federal');
  assert.equal(f.status, 'open');
  assert.equal(f.population, 2415);
  assert.equal(f.capacity, 1536);
  assert.equal(f.on_platform, false);
  assert.ok('policy' in f, 'no policy field');
  assert.equal(f.policy, null);
  assert.ok(f.providers && typeof f.providers === 'object', 'providers missing');
  for (const service of ['messaging', 'phone', 'video', 'money', 'photos']) {
    const p = f.providers[service];
    assert.ok(p && typeof p.slug === 'string' && typeof p.name === 'string', `providers.${service} = ${JSON.stringify(p)}`);
  }
  assert.equal(f.providers.messaging.slug, 'corrlinks');
  assert.equal(f.messaging_provider.slug, 'corrlinks');
});

test('a county jail: messaging provider unknown, same in list and detail', async () => {
  const body = await search({ q: 'coleman county jail' });
  const jail = byName(body.items, 'COLEMAN COUNTY JAIL');
  assert.ok(jail);
  const res = await srv.get(`/api/v1/facilities/${jail.id}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.providers.messaging.slug, 'unknown');
  assert.equal(res.json.messaging_provider.slug, 'unknown');
  assert.equal(res.json.policy, null);
  assert.equal(res.json.on_platform, false);
});

test('unknown or non-numeric facility id → 404 not_found', async () => {
  for (const id of ['999999999', '0', '-1', 'abc', '1abc', '99999999999999999999999', '1.5', '%20', '0x10']) {
    const res = await srv.get(`/api/v1/facilities/${id}`);
    assertError(res, 404, 'not_found', `id ${id}:`);
  }
});

// --- providers ---------------------------------------------------------------

test('GET /api/v1/providers → the real providers with their services', async () => {
  const res = await srv.get('/api/v1/providers');
  assert.equal(res.status, 200);
  const body = assertJson(res);
  assert.ok(Array.isArray(body.items));
  const slugs = body.items.map((p) => p.slug);
  assert.equal(new Set(slugs).size, slugs.length, 'duplicate slugs');
  for (const s of ['corrlinks', 'jpay', 'connectnetwork', 'gettingout', 'securus', 'kite']) {
    assert.ok(slugs.includes(s), `providers lack ${s}: ${slugs.join(', ')}`);
  }
  for (const p of body.items) {
    assert.equal(typeof p.name, 'string', `${p.slug} name`);
    assert.ok('website' in p, `${p.slug} has no website field`);
    assert.ok(p.website === null || typeof p.website === 'string');
    assert.ok(Array.isArray(p.services), `${p.slug} services`);
  }
  const corr = body.items.find((p) => p.slug === 'corrlinks');
  assert.ok(corr.services.includes('messaging'), `corrlinks services: ${corr.services}`);
  assert.match(corr.name, /corrlinks/i);
  // Kite lists what it does, no more and no less: money transfers yes, video visits not yet.
  const kite = body.items.find((p) => p.slug === 'kite');
  assert.deepEqual([...kite.services].sort(), ['messaging', 'money', 'phone', 'photos']);
});

test('SIGTERM → exit 0 within 10 s', async () => {
  await srv.stopAndAssertClean();
});
