// GET /metrics: Prometheus's text format, for the addresses of kite serve
// --metrics-from only.
//
//   - from an allowed address: 200, text/plain version 0.0.4, every sample
//     line well formed; the answers counted by route and status move with
//     the requests made (a failed sign-in is a 401 of POST /api/v1/sessions),
//     the latency histogram is cumulative and its count covers them; the
//     backlog gauges follow the store: a message waiting for review, mail not
//     yet sent (no SMTP server here), and their oldest ages;
//   - from any other address, signed in or not: the same 404 as a path that
//     does not exist;
//   - a malformed --metrics-from stops kite serve with what to write.

import test, { after, before } from 'node:test';
import { World, assert, describeRes, facilityIdByName, bopNumber, runServe, DATA_DIR } from './lib/flows.mjs';
import { assertError } from './lib/kite.mjs';

let w;
let closed;
let op;

before(async () => {
  w = await World.start({ extraArgs: ['--metrics-from', '127.0.0.0/8,::1'] });
  closed = await World.start({ extraArgs: ['--metrics-from', '10.0.0.0/8'], processor: false });
  op = await w.operator();
});

after(async () => {
  if (w) await w.close();
  if (closed) await closed.close();
});

/** The samples: "name{labels}" → value. */
async function scrape(srv = w.srv) {
  const res = await srv.request('GET', '/metrics');
  assert.equal(res.status, 200, describeRes(res));
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const samples = new Map();
  for (const line of res.text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-z_]+(?:\{[a-z_]+="[^"\\\n]*"(?:,[a-z_]+="[^"\\\n]*")*\})?) (-?[0-9.e+]+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    samples.set(m[1], Number(m[2]));
  }
  return samples;
}

/*
 * Scrapes until pass(samples) holds (at most 5 s): an answer is counted when libmicrohttpd reports
 * it complete, just after its last byte went out, so the client may already be asking for the
 * next page a moment before that answer is counted.
 */
async function scrapeUntil(pass, srv = w.srv) {
  const until = Date.now() + 5000;
  for (;;) {
    const samples = await scrape(srv);
    if (pass(samples) || Date.now() > until) return samples;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const answers = (s, method, route, status) => s.get(`kite_http_requests_total{method="${method}",route="${route}",status="${status}"}`) ?? 0;

test('from an allowed address: counters by route and status, a cumulative histogram, the backlog', async () => {
  const before = await scrape();
  const healthz = answers(before, 'GET', '/healthz', 200);
  const failed = answers(before, 'POST', '/api/v1/sessions', 401);
  for (let i = 0; i < 3; i++) assert.equal((await w.get('/healthz')).status, 200);
  const wrong = await w.post('/api/v1/sessions', { email: op.email, password: 'not the password at all' });
  assert.equal(wrong.status, 401, describeRes(wrong));

  // A message waiting for review (the federal profile reviews every message), and mail not sent.
  const facility = await facilityIdByName(w.srv, 'FCI ALICEVILLE');
  await w.putPolicy(op.token, facility, { profile: 'federal', contact_initiation: 'both' }, 201);
  const r = await w.resident(op.token, facility, { number: bopNumber() });
  const c = await w.contact();
  const item = await w.connectByRequest(r, c);
  const sent = await w.post('/api/v1/messages', { contact_id: item.id, subject: 'Hi', body: 'Waiting for review.' }, c.token);
  assert.equal(sent.status, 202, describeRes(sent));

  const after = await scrapeUntil((x) => answers(x, 'POST', '/api/v1/messages', 202) >= 1 &&
    answers(x, 'POST', '/api/v1/sessions', 401) >= failed + 1 && answers(x, 'GET', '/healthz', 200) >= healthz + 3);
  assert.ok(answers(after, 'GET', '/healthz', 200) >= healthz + 3);
  assert.equal(answers(after, 'POST', '/api/v1/sessions', 401), failed + 1, 'the failed sign-in');
  assert.ok(answers(after, 'POST', '/api/v1/messages', 202) >= 1);
  const buckets = [...after.entries()].filter(([k]) => k.startsWith('kite_http_request_duration_seconds_bucket'));
  assert.ok(buckets.length >= 10, 'histogram buckets');
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i][1] >= buckets[i - 1][1], `not cumulative at ${buckets[i][0]}`);
  assert.equal(buckets.at(-1)[0], 'kite_http_request_duration_seconds_bucket{le="+Inf"}');
  // The count is the sum of the buckets it printed, however many requests ended during the scrape.
  assert.equal(after.get('kite_http_request_duration_seconds_count'), buckets.at(-1)[1]);
  assert.ok(after.get('kite_http_requests_in_flight') >= 1, 'the scrape itself is in flight');
  assert.ok(after.get('kite_review_queue_depth') >= 1, 'the message waiting');
  assert.ok(after.get('kite_review_queue_oldest_age_seconds') >= 0);
  assert.ok(after.get('kite_outbox_pending') >= 1, 'the welcome mails, with no SMTP server');
  assert.ok(after.has('kite_holds_open') && after.has('kite_holds_open_cents'));

  // Decided: the queue is one shorter.
  const decided = await w.post(`/api/v1/review/${sent.json.id}`, { decision: 'approve' }, op.token);
  assert.equal(decided.status, 200, describeRes(decided));
  assert.equal((await scrape()).get('kite_review_queue_depth'), after.get('kite_review_queue_depth') - 1);
});

test('from any other address, signed in or not: the 404 of a path that does not exist', async () => {
  assertError(await closed.srv.request('GET', '/metrics'), 404, 'not_found');
  const o = await closed.operator();
  assertError(await closed.srv.request('GET', '/metrics', { token: o.token }), 404, 'not_found');
});

test('a malformed --metrics-from stops kite serve with what to write', async () => {
  const r = await runServe(['--db', `${w.srv.dir}/other.db`, '--listen', '127.0.0.1:0', '--data', DATA_DIR, '--metrics-from', 'everyone']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--metrics-from takes an IPv4 or IPv6 address or network, e\.g\. 10\.0\.0\.0\/8 or ::1 \(at most 32\); "everyone" is not one/);
});
