// Every page of Kite, as each kind of person sees it, at a phone (390×844), a tablet (800×1280) and
// a desktop (1366×900): axe-core finds no violation at any impact, nothing scrolls sideways, and a
// screenshot of each is saved under build/screenshots/ for a person to look at.  A real kite server
// and Chromium; the people are made through the API and sign in through the pages.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/every-page.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ROOT, PASSWORD, startServer, stopServer, kiteCli, launchBrowser, newPage, apiClient, signedInClient,
  uniqueEmail, signInForm, assertAccessible,
} from './helpers.mjs';

const SIZES = [['phone', { width: 390, height: 844 }], ['tablet', { width: 800, height: 1280 }],
  ['desktop', { width: 1366, height: 900 }]];
const SHOTS = join(ROOT, 'build', 'screenshots');

let server;
let base;
let browser;
let tmp;
let onKite; // AVENAL STATE PRISON, jpay profile
let offKite; // FCI DUBLIN: CorrLinks
const people = {};

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-every-'));
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  const db = join(tmp, 'kite.db');
  const opEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', opEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  people.operator = { email: opEmail };
  const operator = await signedInClient(base, { email: opEmail, password: PASSWORD });
  const find = async (q, name) => (await apiClient(base).get(`/facilities?q=${encodeURIComponent(q)}`)).body.items
    .find((x) => x.name === name);
  onKite = await find('avenal state prison', 'AVENAL STATE PRISON');
  offKite = await find('fci dublin', 'FCI DUBLIN');
  assert.ok(onKite && offKite);
  assert.equal((await operator.put(`/facilities/${onKite.id}/policy`, { profile: 'jpay' })).status, 201);
  const adminEmail = uniqueEmail('admin');
  const admin = await operator.post(`/facilities/${onKite.id}/staff`,
    { email: adminEmail, full_name: 'Ada Admin', role: 'facility_admin', password: PASSWORD });
  assert.equal(admin.status, 201, JSON.stringify(admin.body));
  people.admin = { email: adminEmail };
  assert.equal((await operator.post(`/facilities/${onKite.id}/residents`,
    { resident_number: 'E5001', first_name: 'Eva', last_name: 'Marsh', pin: '864213' })).status, 201);
  const famEmail = uniqueEmail('family');
  assert.equal((await apiClient(base).post('/accounts',
    { email: famEmail, password: PASSWORD, full_name: 'Frank Marsh', phone: '+1 555 010 4000' })).status, 201);
  people.family = { email: famEmail };
  const family = await signedInClient(base, { email: famEmail, password: PASSWORD });
  const asked = await family.post('/contact-requests', { facility_id: onKite.id, resident_number: 'E5001' });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  const resident = await signedInClient(base, { facility_id: onKite.id, resident_number: 'E5001', pin: '864213' });
  assert.equal((await resident.post(`/contact-requests/${asked.body.id}/approve`)).status, 200);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* Each page at each size: in place, no axe violation, no sideways scrolling, a screenshot. */
async function checkPages(page, who, paths) {
  for (const [size, viewport] of SIZES) {
    await page.setViewportSize(viewport);
    for (const [name, path] of paths) {
      await page.goto(`${base}${path}`);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      await assertAccessible(page, `${who} ${name} (${path}) at ${size}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `${who} ${name} scrolls sideways at ${size}`);
      await page.screenshot({ path: join(SHOTS, `${who}-${name}-${size}.png`), fullPage: true });
    }
  }
}

const LONG = { timeout: 600_000 };

test('the public pages', LONG, async () => {
  const { page, close } = await newPage(browser);
  await checkPages(page, 'public', [
    ['home', '/'], ['search', '/?q=cook%20county%20jail'], ['did-you-mean', '/?q=colman%20fci'],
    ['facility-on-kite', `/facilities/${onKite.id}`], ['facility-elsewhere', `/facilities/${offKite.id}`],
    ['providers', '/providers'], ['signin', '/signin'], ['register', '/register'], ['forgot-password', '/forgot-password'],
    ['reset-password', `/reset-password?token=${'a'.repeat(64)}`], ['tablet-signin', '/tablet'], ['not-found', '/no-such-page'],
  ]);
  await close();
});

test('a family member\'s pages', LONG, async () => {
  const { page, close } = await newPage(browser);
  await signInForm(page, base, people.family.email);
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  await checkPages(page, 'family', [
    ['account', '/account'], ['contacts', '/contacts'], ['messages', '/messages'], ['wallet', '/wallet'],
    ['phone', '/phone'], ['money', '/money'],
  ]);
  await close();
});

test('a resident\'s tablet', LONG, async () => {
  const { page, close } = await newPage(browser);
  await page.goto(`${base}/tablet`);
  await page.getByLabel('Your facility').fill('avenal state prison');
  await page.locator(`.picker-option[data-id="${onKite.id}"]`).click();
  await page.getByLabel('Your resident number').fill('E5001');
  await page.getByLabel('Your PIN').fill('864213');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Hello, Eva' }).waitFor();
  await checkPages(page, 'resident', [['home', '/tablet'], ['money', '/tablet/money']]);
  await close();
});

test('staff pages: a facility administrator and the operator', LONG, async () => {
  const admin = await newPage(browser);
  await signInForm(admin.page, base, people.admin.email);
  await admin.page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  const tabs = ['roster', 'staff', 'blocks', 'policy', 'prices', 'revenue'];
  await checkPages(admin.page, 'admin', [
    ...tabs.map((t) => [`staff-${t}`, `/staff?facility=${onKite.id}&tab=${t}`]),
    ['review', '/review'], ['phone-keys', `/staff/phone-keys?facility=${onKite.id}`],
  ]);
  await admin.close();
  const op = await newPage(browser);
  await signInForm(op.page, base, people.operator.email);
  await op.page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  await checkPages(op.page, 'operator', [['staff', '/staff'], ['put-on-kite', `/staff?facility=${offKite.id}`]]);
  await op.close();
});
