// kite import-facilities: re-import by source_id, updates, additions, bad input,
// and a second start on an existing database.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertJson, importFacilities, auditCount, tmpFile, FACILITIES_CSV,
} from './lib/kite.mjs';

let srv;
let dir;
const HEADER = 'id,name,address,city,state,zip,type,status,population,capacity,source_id';
const NEW_NAME = 'QUOKKA RIDGE DETENTION CENTER, UNIT "B"';
before(async () => { srv = await startServer(); dir = srv.dir; });
after(async () => { if (srv) await srv.cleanup(); });

async function search(params) {
  const res = await srv.get(`/api/v1/facilities?${new URLSearchParams(params)}`);
  assert.equal(res.status, 200, res.text);
  return assertJson(res);
}
const total = async () => (await search({ limit: 1 })).total;

let yellowId;
let colemanLowId;
test('initial directory: 6,737 facilities', async () => {
  assert.equal(await total(), 6737);
  const y = (await search({ q: 'yellow medicine county jail' })).items.find((f) => f.name === 'YELLOW MEDICINE COUNTY JAIL');
  assert.ok(y, 'YELLOW MEDICINE COUNTY JAIL not found');
  yellowId = y.id;
  const c = (await search({ q: 'fci coleman low' })).items.find((f) => f.name === 'FCI COLEMAN LOW');
  colemanLowId = c.id;
});

test('re-importing data/facilities.csv changes nothing (same count, same ids)', async () => {
  const before = await auditCount(srv.dbPath);
  const r = await importFacilities(srv.dbPath, FACILITIES_CSV);
  assert.equal(r.code, 0, `import failed: ${r.stdout}\n${r.stderr}`);
  assert.equal(await total(), 6737);
  const c = (await search({ q: 'fci coleman low' })).items.find((f) => f.name === 'FCI COLEMAN LOW');
  assert.equal(String(c.id), String(colemanLowId), 'facility id changed on re-import');
  assert.equal(c.messaging_provider.slug, 'corrlinks', 'provider lost on re-import');
  assert.ok(await auditCount(srv.dbPath) > before, 'import wrote no audit record');
});

test('importing a changed row updates it in place; a new source_id adds a facility; search sees both', async () => {
  const csv = [
    HEADER,
    '4,ZEBRAWOOD COUNTY JAIL,415 9TH AVENUE,GRANITE FALLS,MN,56241,county,open,27,36,10003033',
    `99001,"${NEW_NAME.replace(/"/g, '""')}",1 MARSUPIAL WAY,WOMBAT FLATS,OR,97001,county,open,12,40,99999901`,
    '',
  ].join('\n');
  const file = tmpFile(dir, 'small.csv', csv);
  const r = await importFacilities(srv.dbPath, file);
  assert.equal(r.code, 0, `import failed: ${r.stdout}\n${r.stderr}`);

  const z = await search({ q: 'zebrawood' });
  assert.equal(z.total, 1, `"zebrawood": ${JSON.stringify(z.items.map((f) => f.name))}`);
  assert.equal(String(z.items[0].id), String(yellowId), 'the renamed row got a new id');
  assert.equal(z.items[0].name, 'ZEBRAWOOD COUNTY JAIL');
  assert.equal(z.items[0].city, 'GRANITE FALLS');

  const old = await search({ q: 'yellow medicine', limit: 100 });
  assert.ok(!old.items.some((f) => String(f.id) === String(yellowId)), 'the old name still finds the renamed facility');

  const q = await search({ q: 'quokka' });
  assert.equal(q.total, 1, `"quokka": ${JSON.stringify(q.items.map((f) => f.name))}`);
  const nf = q.items[0];
  assert.equal(nf.name, NEW_NAME, 'CSV quoting not honoured');
  assert.equal(nf.city, 'WOMBAT FLATS');
  assert.equal(nf.zip, '97001');
  assert.equal(nf.on_platform, false);
  assert.equal(nf.messaging_provider.slug, 'unknown');
  const byCity = await search({ q: 'wombat' });
  assert.equal(byCity.total, 1);

  const d = await srv.get(`/api/v1/facilities/${nf.id}`);
  assert.equal(d.status, 200);
  assert.equal(d.json.name, NEW_NAME);
  assert.equal(d.json.population, 12);
  assert.equal(d.json.capacity, 40);

  assert.equal(await total(), 6738);
  assert.equal((await search({ state: 'OR', zip: '97001' })).total, 1);
});

test('re-importing the same small CSV does not duplicate', async () => {
  const r = await importFacilities(srv.dbPath, `${dir}/small.csv`);
  assert.equal(r.code, 0, `import failed: ${r.stdout}\n${r.stderr}`);
  assert.equal(await total(), 6738);
  assert.equal((await search({ q: 'quokka' })).total, 1);
});

test('a CSV with the wrong header, or a missing file → non-zero exit, nothing changes', async () => {
  const bad = tmpFile(dir, 'bad.csv', 'foo,bar\n1,2\n');
  const r1 = await importFacilities(srv.dbPath, bad);
  assert.notEqual(r1.code, 0, 'wrong header accepted');
  const r2 = await importFacilities(srv.dbPath, `${dir}/does-not-exist.csv`);
  assert.notEqual(r2.code, 0, 'missing file accepted');
  assert.equal(await total(), 6738);
});

test('import while stopped, then a second start on the same database: no reload, changes kept', async () => {
  await srv.stopAndAssertClean();
  const file = tmpFile(dir, 'small2.csv', `${HEADER}\n4,ARMADILLO COUNTY JAIL,415 9TH AVENUE,GRANITE FALLS,MN,56241,county,open,27,36,10003033\n`);
  const r = await importFacilities(srv.dbPath, file);
  assert.equal(r.code, 0, `import on a stopped server failed: ${r.stdout}\n${r.stderr}`);
  srv = await startServer({ dir });
  assert.equal(await total(), 6738, 'second start duplicated or lost rows');
  const a = await search({ q: 'armadillo' });
  assert.equal(a.total, 1);
  assert.equal(String(a.items[0].id), String(yellowId));
  assert.equal((await search({ q: 'zebrawood' })).total, 0, 'old name still indexed after restart');
  const c = (await search({ q: 'fci coleman low' })).items.find((f) => f.name === 'FCI COLEMAN LOW');
  assert.equal(c.messaging_provider.slug, 'corrlinks');
});

test('SIGTERM → exit 0 within 10 s', async () => {
  await srv.stopAndAssertClean();
});
