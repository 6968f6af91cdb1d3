// Retention and legal holds in the browser: an investigator places a legal hold with a case
// reference on a resident at /investigate/holds, sees it listed, lifts it and finds it among the
// lifted holds; a wrong resident number is answered beside its field; a facility admin sets the
// retention periods on the policy page (an audit period under 365 days is refused there) and
// reaches the legal holds from it; a family reads on the facility's page how long messages and
// photos are kept.  English and Spanish; axe-core at a phone and a desktop; nothing scrolls
// sideways at 360 px.  A real kite server and a real Chromium.
//
// Run from the repository root:  node --test tests/web/retention.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, PASSWORD, SHOTS, TIMEOUT, DESKTOP, PHONE, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, assertAccessible, signInForm, expectText, expectCount,
} from './helpers.mjs';

const NARROW = { width: 360, height: 740 };
const ES = { locale: 'es-US', chosen: 'es' };

let server;
let base;
let browser;
let tmp;
let prison;
let operator;
const emails = {};

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-retention-'));
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  const db = join(tmp, 'kite.db');
  const operatorEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', operatorEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  operator = await signedInClient(base, { email: operatorEmail, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`);
  prison = found.body.items.find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(prison, 'the directory has AVENAL STATE PRISON');
  assert.equal((await operator.put(`/facilities/${prison.id}/policy`,
    { profile: 'jpay', message_retention_days: 90, photo_retention_days: 30 })).status, 201);
  const added = await operator.post(`/facilities/${prison.id}/residents`, { resident_number: 'E5001', first_name: 'Eva', last_name: 'Marsh', pin: '864213' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  for (const [key, role, name] of [['investigator', 'investigator', 'Ivan Investigator'], ['admin', 'facility_admin', 'Ada Admin']]) {
    emails[key] = uniqueEmail(key);
    const staff = await operator.post(`/facilities/${prison.id}/staff`, { email: emails[key], full_name: name, role, password: PASSWORD });
    assert.equal(staff.status, 201, JSON.stringify(staff.body));
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/* axe-core at a phone and a desktop, nothing sideways at 360 px, a screenshot of each. */
async function checkPage(page, what) {
  await assertAccessible(page, `${what} at the desktop`);
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  await assertAccessible(page, `${what} on a phone`);
  await page.setViewportSize(NARROW);
  await page.waitForTimeout(100);
  assert.equal(await overflow(page), 0, `${what} scrolls sideways at 360 px`);
  await page.screenshot({ path: join(SHOTS, `retention-${what.replace(/\W+/g, '-')}-360.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(100);
}

/* Signs in through the page by the inputs' names, so it works whatever the language. */
async function signIn(page, email) {
  await signInForm(page, base, email); // staff: the code of their authenticator app too
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

const rows = (page) => page.locator('[data-testid=holds-table] tbody tr');

test('an investigator places a legal hold on a resident, sees it, lifts it, and finds it among the lifted', TIMEOUT, async () => {
  const opened = await newPage(browser, DESKTOP);
  const { page } = opened;
  await signInForm(page, base, emails.investigator);
  await page.waitForURL(`${base}/investigate`);
  await page.getByRole('navigation', { name: 'Investigation sections' }).getByRole('link', { name: 'Legal holds' }).click();
  await page.waitForURL(`${base}/investigate/holds`);
  await page.getByRole('heading', { level: 1, name: 'Legal holds' }).waitFor();
  await expectText(page.getByTestId('retention-periods'), /keeps messages for 90 days and photos for 30 days/);
  await page.getByText('No standing legal holds.').waitFor();
  await checkPage(page, 'no holds');

  // Nothing filled in: each field says what it needs.
  await page.getByRole('button', { name: 'Place hold' }).click();
  await expectText(page.locator('#f-hold-subject-error'), /Say whose messages to keep/);
  await expectText(page.locator('#f-hold-case_reference-error'), /Give the case reference/);
  // A resident who is not at this facility: the server's answer, beside the field.
  await page.getByLabel('Resident number').fill('NOPE-1');
  await page.getByLabel('Case reference').fill('CASE-77');
  await page.getByRole('button', { name: 'Place hold' }).click();
  await page.locator('#f-hold-subject-error').filter({ hasText: /Nobody with this id belongs to the facility/ }).waitFor();

  await page.getByLabel('Resident number').fill('E5001');
  await page.getByLabel('Note (optional)').or(page.getByLabel('Note')).first().fill('Grand jury subpoena');
  await page.getByRole('button', { name: 'Place hold' }).click();
  await rows(page).first().waitFor();
  await expectCount(rows(page), 1);
  const row = await rows(page).first().textContent();
  assert.match(row, /CASE-77/);
  assert.match(row, /Grand jury subpoena/);
  assert.match(row, /E5001 Eva Marsh/);
  assert.match(row, /Standing/);
  await expectText(page.getByTestId('holds-status'), /Hold placed for case CASE-77/);
  await checkPage(page, 'one hold');

  // The kind changes what the second field asks for.
  await page.getByLabel('Hold the messages of').selectOption('thread');
  await page.getByLabel('Conversation number').waitFor();

  await page.getByRole('button', { name: 'Lift the hold for case CASE-77' }).click();
  await page.getByText('No standing legal holds.').waitFor();
  await expectText(page.getByTestId('holds-status'), /The hold for case CASE-77 is lifted/);
  await page.getByRole('link', { name: 'Show lifted holds too' }).click();
  await page.waitForURL(`${base}/investigate/holds?all=1`);
  await rows(page).first().waitFor();
  await expectText(rows(page).first(), /CASE-77.*Lifted/s);
  await checkPage(page, 'lifted holds');
  await opened.close([/status of 422/]);
});

test('a facility admin sets the retention periods; under a year of audit records is refused; the legal holds are a link away', TIMEOUT, async () => {
  const opened = await newPage(browser, DESKTOP);
  const { page } = opened;
  await signInForm(page, base, emails.admin);
  await page.waitForURL(/\/staff/);
  await page.goto(`${base}/staff?facility=${prison.id}&tab=policy`);
  const group = page.getByRole('group', { name: 'Retention' });
  await group.waitFor();
  assert.equal(await page.locator('#f-pol-message_retention_days').inputValue(), '90');
  assert.equal(await page.locator('#f-pol-photo_retention_days').inputValue(), '30');
  assert.equal(await page.locator('#f-pol-audit_retention_days').inputValue(), '2555');
  await page.locator('#f-pol-audit_retention_days').fill('300');
  await page.locator('form.policy-form button[type=submit]').click();
  await expectText(page.locator('#f-pol-audit_retention_days-error'), /from 365 to 3,650/);
  await page.locator('#f-pol-audit_retention_days').fill('400');
  await page.locator('#f-pol-message_retention_days').fill('60');
  await page.locator('form.policy-form button[type=submit]').click();
  await page.getByText('The policy is saved. It applies from now on.').waitFor();
  const saved = (await operator.get(`/facilities/${prison.id}/policy`)).body;
  assert.deepEqual([saved.message_retention_days, saved.photo_retention_days, saved.audit_retention_days], [60, 30, 400]);
  await checkPage(page, 'policy retention');
  await page.getByRole('link', { name: 'Legal holds: keep a case’s messages past these periods' }).click();
  await page.waitForURL(`${base}/investigate/holds`);
  await page.getByRole('heading', { level: 1, name: 'Legal holds' }).waitFor();
  await page.getByRole('button', { name: 'Place hold' }).waitFor();
  await opened.close();
});

test('a family reads on the facility page how long messages and photos are kept', TIMEOUT, async () => {
  const opened = await newPage(browser, DESKTOP);
  const { page } = opened;
  await page.goto(`${base}/facilities/${prison.id}`);
  const facts = page.getByTestId('policy-facts');
  await facts.waitFor();
  await expectText(facts, /Messages are kept60 days, then deleted/);
  await expectText(facts, /Photos are kept30 days, then deleted/);
  await opened.close();
});

test('in Spanish: the legal holds page, a hold placed and listed, the policy\'s retention and the family\'s facts', TIMEOUT, async () => {
  const opened = await newPage(browser, DESKTOP, ES);
  const { page } = opened;
  await signIn(page, emails.investigator);
  await page.goto(`${base}/investigate/holds`);
  await page.getByRole('heading', { level: 1, name: 'Retenciones legales' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  await expectText(page.getByTestId('retention-periods'), /guarda los mensajes 60 días y las fotos 30 días/);
  await page.getByLabel('Número de residente').fill('E5001');
  await page.getByLabel('Referencia del caso').fill('CAUSA-12');
  await page.getByRole('button', { name: 'Poner retención' }).click();
  await rows(page).first().waitFor();
  await expectText(rows(page).first(), /CAUSA-12.*Vigente/s);
  await checkPage(page, 'es one hold');
  await opened.close();

  const admin = await newPage(browser, DESKTOP, ES);
  await signIn(admin.page, emails.admin);
  await admin.page.goto(`${base}/staff?facility=${prison.id}&tab=policy`);
  await admin.page.getByRole('group', { name: 'Conservación' }).waitFor();
  await expectText(admin.page.locator('#f-pol-audit_retention_days-hint'), /al menos un año/);
  await checkPage(admin.page, 'es policy retention');
  await admin.close();

  const family = await newPage(browser, DESKTOP, ES);
  await family.page.goto(`${base}/facilities/${prison.id}`);
  await family.page.getByTestId('policy-facts').waitFor();
  await expectText(family.page.getByTestId('policy-facts'), /Los mensajes se guardan60 días, y luego se borran/);
  await family.close();
});
