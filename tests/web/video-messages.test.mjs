// Browser test for video messages (issue 14, item 4): a family member records a video in the
// conversation with Chromium's fake camera and microphone (launched with those flags for this test
// only), sees the countdown, stops, sees the preview, sends; the reviewer plays it in the queue
// (the video element reaches HAVE_CURRENT_DATA) and approves; the resident plays it on the tablet
// and records a video reply there.
// The pages are checked with axe and at 360 px.  A real kite server and a real Chromium.
//
// Run from the repository root:  node --test tests/web/video-messages.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import {
  KITE_BIN, CHROMIUM, SHOTS, PASSWORD, TIMEOUT, DESKTOP, startServer, stopServer, kiteCli,
  newPage, apiClient, signedInClient, uniqueEmail, signInForm, startSandbox, stopSandbox, fundContact,
  fundResident, confirmEmail, assertAccessible, expectText,
} from './helpers.mjs';

const OPERATOR = 'op.video@example.org';
const NUMBER = 'V2210';
const PIN = '135792';
const LONG = { timeout: 240_000 };

let server;
let sandbox;
let base;
let browser;
let tmp;
let county;
let operator;
let family;
let reviewerEmail;
let residentClient;

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-video-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', OPERATOR, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  // The fake camera and microphone, and no permission prompt: this test's browser only.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
  });
  operator = await signedInClient(base, { email: OPERATOR, password: PASSWORD });
  const found = await apiClient(base).get('/facilities?q=coleman%20county%20jail');
  county = found.body.items.find((x) => x.name === 'COLEMAN COUNTY JAIL');
  assert.ok(county);
  assert.equal((await operator.put(`/facilities/${county.id}/policy`, { profile: 'jpay', review: 'all' })).status, 201);
  const added = await operator.post(`/facilities/${county.id}/residents`,
    { resident_number: NUMBER, first_name: 'Vic', last_name: 'Vale', pin: PIN });
  assert.equal(added.status, 201);
  await fundResident(operator, added.body.id);
  reviewerEmail = uniqueEmail('rv');
  assert.equal((await operator.post(`/facilities/${county.id}/staff`,
    { email: reviewerEmail, full_name: 'Rae Reviewer', role: 'reviewer', password: PASSWORD })).status, 201);
  const email = uniqueEmail('vera');
  assert.equal((await apiClient(base).post('/accounts',
    { email, password: PASSWORD, full_name: 'Vera Vale', phone: '555 010 4401' })).status, 201);
  const client = await signedInClient(base, { email, password: PASSWORD });
  assert.equal((await client.post('/contact-requests', { facility_id: county.id, resident_number: NUMBER })).status, 201);
  const resident = await signedInClient(base, { facility_id: county.id, resident_number: NUMBER, pin: PIN });
  residentClient = resident;
  const pending = (await resident.get('/contact-requests')).body.items.find((q) => q.status === 'pending');
  assert.equal((await resident.post(`/contact-requests/${pending.id}/approve`)).status, 200);
  const contact = (await client.get('/contacts')).body.items[0];
  family = { email, client, contactId: contact.id };
  await confirmEmail(join(tmp, 'kite.db'), email);
  await fundContact(client, county.id, 'stamps', 50);
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function signedInAs(email) {
  const p = await newPage(browser, DESKTOP);
  await signInForm(p.page, base, email);
  await p.page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  return p;
}

/* The video element has a frame to show (HTMLMediaElement.HAVE_CURRENT_DATA or more). */
async function playable(locator) {
  await locator.waitFor();
  await locator.evaluate((v) => new Promise((resolve, reject) => {
    const ok = () => v.readyState >= 2;
    if (ok()) { resolve(); return; }
    v.addEventListener('loadeddata', () => resolve(), { once: true });
    v.addEventListener('error', () => reject(new Error(`the video did not load: ${v.error && v.error.message}`)), { once: true });
    v.preload = 'auto';
    v.load();
  }));
  assert.ok(await locator.evaluate((v) => v.readyState >= 2), 'readyState >= 2');
}

async function noOverflowAt360(page, what) {
  await page.setViewportSize({ width: 360, height: 780 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, `${what}: no horizontal scrolling at 360 px`);
  await page.screenshot({ path: join(SHOTS, `video-${what}-360.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

test('record with the camera, see the countdown, stop, preview, send; the reviewer plays it; the resident plays it', LONG, async () => {
  const fam = await signedInAs(family.email);
  const page = fam.page;
  await page.goto(`${base}/messages?contact=${family.contactId}`);
  await page.getByRole('heading', { level: 1, name: 'Messages with Vic Vale' }).waitFor();
  const field = page.getByTestId('video-field');
  await field.waitFor();
  await assertAccessible(page, 'the conversation with the video field');

  await page.getByTestId('video-record').click();
  const countdown = page.getByTestId('video-countdown');
  await countdown.waitFor();
  await expectText(countdown, /^Recording: 0:(30|29|28) left$/);
  // Let it record until the countdown has moved on by two seconds, then stop.
  await page.waitForFunction(() => /0:(2[0-7]|1\d|0\d) left/.test(document.querySelector('[data-testid=video-countdown]').textContent));
  await assertAccessible(page, 'the conversation while recording');
  await page.getByTestId('video-stop').click();
  await page.getByTestId('video-status').getByText(/Video ready to send/).waitFor({ timeout: 120_000 });
  assert.equal(await page.getByTestId('video-preview').isVisible(), true, 'the preview shows');
  await expectText(page.getByTestId('video-record'), 'Record again');
  // Not happy with it: record again; the first take is dropped (its preview goes), a second is made.
  await page.getByTestId('video-record').click();
  await countdown.waitFor();
  assert.equal(await page.getByTestId('video-preview').isVisible(), false, 'the first take is gone');
  await page.waitForFunction(() => /0:(2[0-8]|1\d|0\d) left/.test(document.querySelector('[data-testid=video-countdown]').textContent));
  await page.getByTestId('video-stop').click();
  await page.getByTestId('video-status').getByText(/Video ready to send/).waitFor({ timeout: 120_000 });
  await noOverflowAt360(page, 'compose');

  await page.getByLabel('Your message').fill('A video from home.');
  await page.getByTestId('price-quote').getByText(/4 stamps/).waitFor();
  await page.getByRole('button', { name: 'Send message' }).click();
  await page.getByText(/Sent\./).first().waitFor();
  const sent = (await family.client.get('/messages?box=sent')).body.items[0];
  assert.equal(sent.video_ids.length, 1, 'the message carries one video');
  const videoId = sent.video_ids[0];
  const player = page.locator(`[data-testid=thread] video[data-attachment-id="${videoId}"]`);
  await playable(player);
  await fam.close();

  // The reviewer plays it in the queue before approving.
  const rev = await signedInAs(reviewerEmail);
  await rev.page.goto(`${base}/review`);
  const item = rev.page.locator(`[data-testid=review-queue] li[data-message-id="${sent.id}"]`);
  await item.waitFor();
  const reviewPlayer = item.locator(`video[data-attachment-id="${videoId}"]`);
  await playable(reviewPlayer);
  await expectText(item, /No captions/);
  await assertAccessible(rev.page, 'the review queue with a video');
  await noOverflowAt360(rev.page, 'review');
  await item.getByRole('button', { name: 'Approve' }).click();
  await item.waitFor({ state: 'detached' });
  await rev.close();

  // The resident plays it on the tablet.
  const tab = await newPage(browser, DESKTOP);
  await tab.page.goto(`${base}/tablet?facility=${county.id}`);
  await tab.page.getByLabel('Your resident number').fill(NUMBER);
  await tab.page.getByLabel('Your PIN').fill(PIN);
  await tab.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await tab.page.getByRole('heading', { level: 1, name: 'Hello, Vic' }).waitFor();
  await tab.page.getByRole('link', { name: /Vera Vale/ }).first().click();
  await playable(tab.page.locator(`video[data-attachment-id="${videoId}"]`));
  await assertAccessible(tab.page, 'the tablet conversation with a video');
  // And answers with a video of their own, recorded on the tablet.
  await tab.page.getByTestId('video-record').click();
  await tab.page.getByTestId('video-countdown').waitFor();
  await tab.page.waitForFunction(() => /0:(2[0-8]|1\d|0\d) left/.test(document.querySelector('[data-testid=video-countdown]').textContent));
  await tab.page.getByTestId('video-stop').click();
  await tab.page.getByTestId('video-status').getByText(/Video ready to send/).waitFor({ timeout: 120_000 });
  await tab.page.getByLabel('Your message').fill('Thank you. Here I am.');
  await tab.page.getByRole('button', { name: 'Send message' }).click();
  await tab.page.getByText(/Sent\./).first().waitFor();
  const reply = (await residentClient.get('/messages?box=sent')).body.items.find((m) => m.body === 'Thank you. Here I am.');
  assert.ok(reply, 'the resident\'s reply was sent');
  assert.equal(reply.video_ids.length, 1, 'with its video');
  assert.equal(reply.status, 'pending_review', 'and waits for review like any message');
  await tab.close();
});
