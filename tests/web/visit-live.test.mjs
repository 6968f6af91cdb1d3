// The live video visit in real browsers through a real Janus: a visit is booked and approved through
// the API; the family page and the resident's tablet page join it and wait for the monitor (the
// facility's policy requires one); a reviewer's page joins; then each party's page RECEIVES the
// other's video (frames decoded, read from the page: the <video> element's decoded frame count,
// above zero and growing), and the monitor's page receives both.  The monitor mutes the resident's
// audio (the family page's poll sees it) and ends the visit with a reason, which both pages show.
// The server's clock is moved in place while the visit runs (POST /api/v1/test/clock); the ledger
// then charges exactly the connected minutes, counted from the times the server recorded.  The
// visit is connected only once Janus says both sides' media arrives (its admin API); a second visit's
// two pages are closed while the monitor's stays, and the server ends it as connection_lost, charged
// only up to the last time media was seen.
//
// Chromium runs here with fake media devices (--use-fake-device-for-media-stream: a test pattern and
// a tone) and camera/microphone permission granted without a prompt (--use-fake-ui-for-media-stream);
// only this test adds those flags.  Janus is tools/janus.sh's (make test sets KITE_TEST_JANUS); the
// test is skipped, saying why, only when it is unset.
//
// Run from the repository root:  node --test tests/web/visit-live.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, PASSWORD, PHONE, DESKTOP, startServer, stopServer, kiteCli, newPage, apiClient, signedInClient,
  uniqueEmail, startSandbox, stopSandbox, hasTotp, nextTotp, assertAccessible, confirmEmail,
} from './helpers.mjs';

const JANUS = process.env.KITE_TEST_JANUS || '';
const SECRET = process.env.KITE_TEST_JANUS_SECRET || '';
// Janus's admin API (tools/janus.sh admin-url; its port is the API's plus one): Kite asks it whether media flows.
const JANUS_ADMIN = process.env.KITE_TEST_JANUS_ADMIN || (process.env.KITE_TEST_JANUS || '').replace(/:(\d+)\/janus$/, (_, port) => `:${Number(port) + 1}/admin`);
const skip = JANUS ? false : 'needs Janus: KITE_TEST_JANUS is unset (tools/janus.sh start DIR prints it; make test sets it)';
const LONG = { timeout: 300_000, skip };

let tmp;
let server;
let base;
let sandbox;
let browser;
let operator;
let facility;
const people = {};

function launchWithFakeMedia() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      // Janus offers loopback candidates only; Chromium must offer real host addresses, not mDNS names.
      '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
}

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-live-'));
  sandbox = await startSandbox();
  const started = await startServer(tmp, {
    extra: ['--test-clock-offset', '0', '--processor', sandbox.url,
      '--janus-url', JANUS, '--janus-api-secret', SECRET, '--janus-admin-secret', SECRET, '--janus-admin-url', JANUS_ADMIN],
    env: { KITE_ALLOW_TEST_CLOCK: '1' },
  });
  server = started.child;
  base = started.url;
  const db = join(tmp, 'kite.db');
  const opEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', opEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  operator = await signedInClient(base, { email: opEmail, password: PASSWORD });
  facility = (await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`)).body.items
    .find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(facility);
  assert.equal((await operator.put(`/facilities/${facility.id}/policy`, { profile: 'jpay' })).status, 201);
  // Visits: UTC, no lead time, approval by staff, and a monitor required before a visit starts.
  const vp = await operator.put(`/facilities/${facility.id}/visit-policy`,
    { time_zone: 'UTC', lead_minutes: 0, approval_required: true, monitoring_required: true });
  assert.ok(vp.status === 200 || vp.status === 201, JSON.stringify(vp.body));
  const reviewerEmail = uniqueEmail('reviewer');
  assert.equal((await operator.post(`/facilities/${facility.id}/staff`,
    { email: reviewerEmail, full_name: 'Rita Reviewer', role: 'reviewer', password: PASSWORD })).status, 201);
  people.reviewer = { email: reviewerEmail, client: await signedInClient(base, { email: reviewerEmail, password: PASSWORD }) };
  assert.equal((await operator.post(`/facilities/${facility.id}/residents`,
    { resident_number: 'E7001', first_name: 'Rosa', last_name: 'Vega', pin: '864213' })).status, 201);
  const famEmail = uniqueEmail('family');
  assert.equal((await apiClient(base).post('/accounts',
    { email: famEmail, password: PASSWORD, full_name: 'Marco Vega', phone: '+1 555 010 4100' })).status, 201);
  await confirmEmail(db, famEmail);
  const family = await signedInClient(base, { email: famEmail, password: PASSWORD });
  people.family = { email: famEmail, client: family };
  const asked = await family.post('/contact-requests', { facility_id: facility.id, resident_number: 'E7001' });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  const resident = await signedInClient(base, { facility_id: facility.id, resident_number: 'E7001', pin: '864213' });
  assert.equal((await resident.post(`/contact-requests/${asked.body.id}/approve`)).status, 200);
  people.resident = { client: resident };
  const contacts = (await family.get('/contacts')).body;
  people.contactId = (contacts.items || contacts)[0].id;
  const card = { number: '4242 4242 4242 4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
  const top = await family.post('/wallet/top-ups', { amount_cents: 5000, card }, { 'Idempotency-Key': `live-top-up-${process.pid}` });
  assert.equal(top.status, 201, JSON.stringify(top.body));
  browser = await launchWithFakeMedia();
  // The second test's monitor signs in now: staff sign in with a code of the server's clock, which the
  // first test moves (the helpers count codes from the clock the server started with).
  people.laterMonitor = await pageAs('reviewer', DESKTOP);
  people.lastMonitor = await pageAs('reviewer', DESKTOP);
});

after(async () => {
  if (browser) await browser.close();
  if (server) await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* A signed-in browser page: a family member or staff by email (staff with their two-factor code), or the resident. */
async function pageAs(who, viewport) {
  const opened = await newPage(browser, viewport);
  let data;
  if (who === 'resident') data = { facility_id: facility.id, resident_number: 'E7001', pin: '864213' };
  else {
    data = { email: people[who].email, password: PASSWORD };
    if (hasTotp(data.email)) data.totp_code = await nextTotp(base, data.email);
  }
  const res = await opened.context.request.post(`${base}/api/v1/sessions`, { data });
  assert.equal(res.status(), 201, `${who} sign-in`);
  return opened;
}

/* Waits until the <video> in testid decodes frames, and keeps decoding: read from the page itself. */
async function receivesVideo(page, testid, what) {
  const frames = () => page.evaluate((id) => {
    const v = document.querySelector(`[data-testid="${id}"]`);
    return v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
  }, testid);
  await page.waitForFunction((id) => {
    const v = document.querySelector(`[data-testid="${id}"]`);
    return v && v.getVideoPlaybackQuality && v.getVideoPlaybackQuality().totalVideoFrames > 0;
  }, testid, { timeout: 90_000 });
  const first = await frames();
  await page.waitForFunction(([id, n]) => {
    const v = document.querySelector(`[data-testid="${id}"]`);
    return v.getVideoPlaybackQuality().totalVideoFrames > n;
  }, [testid, first], { timeout: 30_000 });
  assert.ok((await frames()) > first, `${what}: frames keep coming`);
}

/* Waits until the server saw both sides' media flowing at or after sinceMs (its clock): a page's poll looked. */
async function mediaSeenSince(client, id, sinceMs) {
  for (;;) {
    const v = (await client.get(`/visits/${id}`)).body;
    if (v.media_seen_at && Date.parse(v.media_seen_at) >= sinceMs) return v;
    assert.equal(v.state, 'in_progress', `the visit runs while we wait for its media to be seen: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/* A slot of its own starting at the next whole minute a minute or more from the server's now, booked and approved. */
async function bookedSoon(roomName) {
  const now = Date.parse((await apiClient(base).post('/test/clock', { advance_seconds: 0 })).body.now);
  const start = new Date(Math.ceil(now / 60_000) * 60_000 + 60_000);
  const hhmm = `${String(start.getUTCHours()).padStart(2, '0')}:${String(start.getUTCMinutes()).padStart(2, '0')}`;
  const room = await operator.post(`/facilities/${facility.id}/visit-rooms`, { name: roomName });
  assert.equal(room.status, 201, JSON.stringify(room.body));
  const slot = await operator.post(`/facilities/${facility.id}/visit-slots`,
    { room_id: room.body.id, weekday: start.getUTCDay(), start_time: hhmm, length_minutes: 30, capacity: 2 });
  assert.equal(slot.status, 201, JSON.stringify(slot.body));
  const booked = await people.family.client.post('/visits', { contact_id: people.contactId, starts_at: start.toISOString() },
    { 'Idempotency-Key': `live-book-${roomName}-${process.pid}` });
  assert.equal(booked.status, 201, JSON.stringify(booked.body));
  assert.equal((await people.reviewer.client.post(`/visits/${booked.body.id}/approve`, {})).status, 200);
  return booked.body.id;
}

test('a family page and a tablet page see each other through Janus; a monitor watches, mutes, ends; the connected minutes are charged', LONG, async () => {
  const family = people.family.client;
  const before = (await family.get('/wallet')).body;
  // A slot starting within two minutes (its room opens five minutes before), booked and approved.
  const start = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000);
  const hhmm = `${String(start.getUTCHours()).padStart(2, '0')}:${String(start.getUTCMinutes()).padStart(2, '0')}`;
  const room = await operator.post(`/facilities/${facility.id}/visit-rooms`, { name: 'Kiosk A' });
  assert.equal(room.status, 201, JSON.stringify(room.body));
  const slot = await operator.post(`/facilities/${facility.id}/visit-slots`,
    { room_id: room.body.id, weekday: start.getUTCDay(), start_time: hhmm, length_minutes: 30, capacity: 2 });
  assert.equal(slot.status, 201, JSON.stringify(slot.body));
  const booked = await family.post('/visits', { contact_id: people.contactId, starts_at: start.toISOString() },
    { 'Idempotency-Key': `live-book-${process.pid}` });
  assert.equal(booked.status, 201, JSON.stringify(booked.body));
  const id = booked.body.id;
  assert.equal((await people.reviewer.client.post(`/visits/${id}/approve`, {})).status, 200);

  // The family on a phone, the resident on the tablet page: both wait for the monitor.
  const fam = await pageAs('family', PHONE);
  const tab = await pageAs('resident', DESKTOP);
  // Each joins from the visit's card: the "Join the visit" control the visits pages carry (their hook).
  await fam.page.goto(`${base}/visits`);
  await fam.page.getByTestId(`visit-join-${id}`).click();
  await tab.page.goto(`${base}/tablet/visits`);
  await tab.page.getByTestId(`visit-join-${id}`).click();
  await fam.page.waitForURL(`${base}/visits/${id}/live`);
  await tab.page.waitForURL(`${base}/visits/${id}/live`);
  for (const p of [fam.page, tab.page]) {
    await p.getByTestId('visit-status').filter({ hasText: 'Waiting for facility staff' }).waitFor({ timeout: 30_000 });
  }
  await assertAccessible(fam.page, 'the family\'s visit page, waiting for the monitor, at 390 px');
  const overflow = await fam.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'the visit page does not scroll sideways on a phone');

  // The monitor joins: the visit starts, and each side receives the other's video.
  const mon = await pageAs('reviewer', DESKTOP);
  // The monitor finds it on the list of the visits running or due, and watches from there.
  await mon.page.goto(`${base}/staff/visits/live`);
  const listed = mon.page.getByTestId('live-visits').locator('li').filter({ hasText: new RegExp(`Visit ${id}(?!\\d)`) });
  await listed.getByRole('link', { name: 'Watch' }).waitFor();
  await assertAccessible(mon.page, 'the monitor\'s list of visits running or due');
  await listed.getByRole('link', { name: 'Watch' }).click();
  await mon.page.waitForURL(`${base}/visits/${id}/live`);
  await mon.page.getByRole('heading', { name: 'Monitoring a video visit' }).waitFor();
  await receivesVideo(fam.page, 'video-remote', 'the family receives the resident');
  await receivesVideo(tab.page, 'video-remote', 'the resident receives the family');
  await receivesVideo(mon.page, 'video-contact', 'the monitor receives the family');
  await receivesVideo(mon.page, 'video-resident', 'the monitor receives the resident');
  await assertAccessible(mon.page, 'the monitor\'s page during a visit');
  // Connected once both sides' media reached Janus (a poll saw it): the pages say so.
  await fam.page.getByTestId('visit-status').filter({ hasText: /^Connected\.$/ }).waitFor({ timeout: 30_000 });
  await mon.page.getByTestId('visit-status').filter({ hasText: 'Both sides are connected.' }).waitFor({ timeout: 30_000 });
  const running = (await family.get(`/visits/${id}`)).body;
  assert.equal(running.state, 'in_progress');
  assert.ok(running.connected_at, 'both sides connected');

  // The monitor mutes the resident's audio; the family's page learns it from its poll.
  await mon.page.getByTestId('mute-resident-audio').click();
  await mon.page.waitForFunction(() => document.querySelector('[data-testid="mute-resident-audio"]').getAttribute('aria-pressed') === 'true');
  const seen = await family.get(`/visits/${id}/live`);
  assert.equal(seen.body.sides.resident.audio_muted, true);

  // Two and a half minutes pass on the server's clock; the monitor ends the visit with a reason.
  const moved = await apiClient(base).post('/test/clock', { advance_seconds: 150 });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  // The media keeps flowing: a poll after the jump sees it (a visit is charged up to the last time media was seen).
  await mediaSeenSince(family, id, Date.parse(moved.body.now));
  await mon.page.getByTestId('end-reason').fill('Talk of contraband.');
  await mon.page.getByTestId('end-visit').click();
  for (const p of [fam.page, tab.page]) {
    await p.getByTestId('visit-ended').filter({ hasText: 'Facility staff ended this visit.' }).waitFor({ timeout: 30_000 });
    await p.getByTestId('visit-end-note').filter({ hasText: 'Talk of contraband.' }).waitFor();
  }

  // Exactly the connected minutes (a started minute counts), at the visit's rate, from the balance.
  const ended = (await family.get(`/visits/${id}`)).body;
  assert.equal(ended.state, 'ended');
  assert.equal(ended.end_reason, 'ended_by_monitor');
  // Charged to the end, or to 10 s past the last time media was seen if that came first (the pages poll every 2 s).
  const chargedEnd = Math.min(Date.parse(ended.ended_at), Date.parse(ended.media_seen_at) + 10_000);
  const minutes = Math.ceil((chargedEnd - Date.parse(ended.connected_at)) / 60_000);
  assert.ok(minutes >= 3, `two and a half minutes and more were connected: ${minutes}`);
  assert.equal(ended.charged_cents, minutes * ended.rate_cents_per_minute, 'the connected minutes at the rate');
  const after = (await family.get('/wallet')).body;
  assert.equal(before.balance_cents - after.balance_cents, ended.charged_cents, 'the balance paid that and nothing more');

  // 409s are the visit's designed waits (for the monitor; for a side whose media has not reached Janus yet): the pages poll on.
  const waits = [/status of 409/];
  await fam.close(waits);
  await tab.close(waits);
  await mon.close(waits);
});

test('both pages close during a connected visit: the server ends it as connection_lost, charged only to the last time media was seen', LONG, async () => {
  const family = people.family.client;
  const before = (await family.get('/wallet')).body;
  const id = await bookedSoon('Kiosk B');
  const fam = await pageAs('family', PHONE);
  const tab = await pageAs('resident', DESKTOP);
  const mon = people.laterMonitor;
  await mon.page.goto(`${base}/visits/${id}/live`);
  await mon.page.getByRole('heading', { name: 'Monitoring a video visit' }).waitFor();
  await fam.page.goto(`${base}/visits/${id}/live`);
  await tab.page.goto(`${base}/visits/${id}/live`);
  await receivesVideo(mon.page, 'video-contact', 'the monitor receives the family');
  await receivesVideo(mon.page, 'video-resident', 'the monitor receives the resident');
  await mon.page.getByTestId('visit-status').filter({ hasText: 'Both sides are connected.' }).waitFor({ timeout: 30_000 });
  const connected = (await family.get(`/visits/${id}`)).body;
  assert.equal(connected.state, 'in_progress');
  assert.ok(connected.connected_at && connected.media_seen_at, JSON.stringify(connected));

  // Ninety seconds pass with the media flowing (a poll after the jump sees it)...
  const moved = await apiClient(base).post('/test/clock', { advance_seconds: 90 });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  await mediaSeenSince(family, id, Date.parse(moved.body.now));
  // ...then both parties' browsers go away without a word (no "leave"); the monitor's page stays and polls.
  await fam.close([/status of 409/]);
  await tab.close([/status of 409/]);
  // The monitor's poll soon sees neither side's media arrive (seen growing within 10 s counts as arriving).
  for (;;) {
    const l = (await people.reviewer.client.get(`/visits/${id}/live`)).body;
    if (!l.media.contact && !l.media.resident) break;
    assert.equal(l.state, 'in_progress', JSON.stringify(l));
    await new Promise((r) => setTimeout(r, 500));
  }
  const lastSeen = (await family.get(`/visits/${id}`)).body.media_seen_at;
  assert.ok(lastSeen, 'when media was last seen');

  // Five minutes pass on the server's clock, more than the minute of grace: the visit ends as connection_lost.
  assert.equal((await apiClient(base).post('/test/clock', { advance_seconds: 300 })).status, 200);
  await mon.page.getByTestId('visit-ended')
    .filter({ hasText: 'The connection was lost; you are charged only for the minutes connected.' }).waitFor({ timeout: 60_000 });
  await assertAccessible(mon.page, 'the monitor\'s page after the connection was lost');
  const ended = (await family.get(`/visits/${id}`)).body;
  assert.equal(ended.state, 'ended');
  assert.equal(ended.end_reason, 'connection_lost');
  assert.equal(ended.media_seen_at, lastSeen, 'no media was seen after the pages closed');
  // From connected_at to the last time media was seen (a started minute counts), not to when the server noticed.
  const minutes = Math.ceil((Date.parse(ended.media_seen_at) - Date.parse(ended.connected_at)) / 60_000);
  assert.ok(minutes >= 2 && minutes <= 3, `ninety seconds and a little were connected: ${minutes}`);
  const noticed = Math.ceil((Date.parse(ended.ended_at) - Date.parse(ended.connected_at)) / 60_000);
  assert.ok(noticed >= minutes + 5, `the server noticed five minutes and more later: ${noticed}`);
  assert.equal(ended.charged_cents, minutes * ended.rate_cents_per_minute, 'the minutes media flowed, at the rate');
  const after = (await family.get('/wallet')).body;
  assert.equal(before.balance_cents - after.balance_cents, ended.charged_cents, 'the balance paid that and nothing more');
  assert.match(await kiteCli(['ledger', 'verify', '--db', join(tmp, 'kite.db')]), /ledger: ok/);
  await mon.close([/status of 409/]);
});

test('every page of a connected visit closes: the live sweeper asks Janus itself and ends it as connection_lost at the last media seen', LONG, async () => {
  const family = people.family.client;
  const before = (await family.get('/wallet')).body;
  const id = await bookedSoon('Kiosk C');
  const fam = await pageAs('family', PHONE);
  const tab = await pageAs('resident', DESKTOP);
  const mon = people.lastMonitor;
  await mon.page.goto(`${base}/visits/${id}/live`);
  await mon.page.getByRole('heading', { name: 'Monitoring a video visit' }).waitFor();
  await fam.page.goto(`${base}/visits/${id}/live`);
  await tab.page.goto(`${base}/visits/${id}/live`);
  await fam.page.getByTestId('visit-status').filter({ hasText: /^Connected\.$/ }).waitFor({ timeout: 90_000 });
  const moved = await apiClient(base).post('/test/clock', { advance_seconds: 60 });
  assert.equal(moved.status, 200, JSON.stringify(moved.body));
  await mediaSeenSince(family, id, Date.parse(moved.body.now));
  // Every page goes; nobody polls /live any more (GET /visits/{id} below asks Janus nothing).
  await fam.close([/status of 409/]);
  await tab.close([/status of 409/]);
  await mon.close([/status of 409/]);
  const closedAt = Date.parse((await apiClient(base).post('/test/clock', { advance_seconds: 0 })).body.now);
  assert.equal((await apiClient(base).post('/test/clock', { advance_seconds: 300 })).status, 200);
  let ended;
  for (;;) {
    ended = (await family.get(`/visits/${id}`)).body;
    if (ended.state !== 'in_progress') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(ended.state, 'ended', JSON.stringify(ended));
  assert.equal(ended.end_reason, 'connection_lost');
  assert.ok(Date.parse(ended.media_seen_at) <= closedAt, `media last seen before the pages closed: ${ended.media_seen_at}`);
  assert.ok(Date.parse(ended.ended_at) >= closedAt + 300_000, 'ended after the clock moved, by the sweeper');
  const minutes = Math.ceil((Date.parse(ended.media_seen_at) - Date.parse(ended.connected_at)) / 60_000);
  assert.ok(minutes >= 2 && minutes <= 3, `a minute and a little were connected: ${minutes}`);
  assert.equal(ended.charged_cents, minutes * ended.rate_cents_per_minute, 'the minutes media flowed, not the slot');
  const after = (await family.get('/wallet')).body;
  assert.equal(before.balance_cents - after.balance_cents, ended.charged_cents, 'the balance paid that and nothing more');
  assert.match(await kiteCli(['ledger', 'verify', '--db', join(tmp, 'kite.db')]), /ledger: ok/);
});
