// Every page of Kite, as each kind of person sees it, in English and in Spanish, at a phone
// (390×844), a tablet (800×1280) and a desktop (1366×900): axe-core finds no violation at any
// impact, nothing scrolls sideways, and a screenshot of each is saved under build/screenshots/ for
// a person to look at.  In Spanish, the page says it is Spanish (<html lang="es">) and no sentence
// of the English catalogue shows untranslated.  A real kite server and Chromium; the people are
// made through the API; in English they sign in through the pages, in Spanish through the API
// (the page takes the browser's session, as a new tab does), since the forms' labels differ.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/every-page.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ROOT, PASSWORD, startServer, stopServer, kiteCli, launchBrowser, newPage, apiClient, signedInClient,
  uniqueEmail, signInForm, assertAccessible, hasTotp, nextTotp,
} from './helpers.mjs';

const SIZES = [['phone', { width: 390, height: 844 }], ['tablet', { width: 800, height: 1280 }],
  ['desktop', { width: 1366, height: 900 }]];
const SHOTS = join(ROOT, 'build', 'screenshots');
const LANGS = [['en', 'en-US'], ['es', 'es-US']];

/*
 * The English sentences of the Spanish catalogue that are long enough to be unmistakable: one of
 * them on a Spanish page is a sentence the page forgot to translate.
 */
const catalogue = (await import(pathToFileURL(join(ROOT, 'web', 'i18n', 'es.js')).href)).default;
const ENGLISH_SENTENCES = Object.entries(catalogue)
  .filter(([en, es]) => en !== es && en.length >= 24 && !/\{\w+\}/.test(en))
  .map(([en]) => en);

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
  const investigatorEmail = uniqueEmail('investigator');
  const investigator = await operator.post(`/facilities/${onKite.id}/staff`,
    { email: investigatorEmail, full_name: 'Ivan Investigator', role: 'investigator', password: PASSWORD });
  assert.equal(investigator.status, 201, JSON.stringify(investigator.body));
  people.investigator = { email: investigatorEmail };
  // Staff made through the API set up two-factor sign-in at their first sign-in (here through the API).
  await signedInClient(base, { email: adminEmail, password: PASSWORD });
  await signedInClient(base, { email: investigatorEmail, password: PASSWORD });
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
async function checkPages(page, who, paths, lang = 'en') {
  for (const [size, viewport] of SIZES) {
    await page.setViewportSize(viewport);
    for (const [name, path] of paths) {
      const what = `${who} ${name} (${path}) at ${size} in ${lang}`;
      await page.goto(`${base}${path}`);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      await assertAccessible(page, what);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, `${what}: scrolls sideways`);
      if (lang === 'es') await assertSpanish(page, what);
      await page.screenshot({ path: join(SHOTS, `${who}-${name}-${size}${lang === 'en' ? '' : `-${lang}`}.png`), fullPage: true });
    }
  }
}

async function assertSpanish(page, what) {
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'es', `${what}: <html lang>`);
  const text = await page.evaluate(() => document.body.innerText);
  const left = ENGLISH_SENTENCES.filter((en) => text.includes(en));
  assert.deepEqual(left, [], `${what}: English left on a Spanish page`);
}

/*
 * A browser page for a person in a language: in English signed in through the form, in Spanish
 * with the session the API gives (the page picks it up as a new tab would).
 */
async function pageFor(lang, locale, email) {
  // A Spanish reader who picked Spanish here: the accounts were made in English, and without a
  // choice on the device the page follows the account's language.
  const opened = await newPage(browser, undefined, { locale, chosen: lang === 'es' ? 'es' : null });
  if (!email) return opened;
  if (lang === 'en') {
    await signInForm(opened.page, base, email);
    await opened.page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  } else {
    const data = { email, password: PASSWORD };
    if (hasTotp(email)) data.totp_code = await nextTotp(base, email); // staff: two-factor sign-in
    const res = await opened.context.request.post(`${base}/api/v1/sessions`, { data });
    assert.equal(res.status(), 201);
  }
  return opened;
}

const LONG = { timeout: 600_000 };

for (const [lang, locale] of LANGS) {
  test(`the public pages in ${lang}`, LONG, async () => {
    const { page, close } = await pageFor(lang, locale);
    await checkPages(page, 'public', [
      ['home', '/'], ['search', '/?q=cook%20county%20jail'], ['did-you-mean', '/?q=colman%20fci'],
      ['facility-on-kite', `/facilities/${onKite.id}`], ['facility-elsewhere', `/facilities/${offKite.id}`],
      ['providers', '/providers'], ['signin', '/signin'], ['register', '/register'], ['forgot-password', '/forgot-password'],
      ['reset-password', `/reset-password?token=${'a'.repeat(64)}`], ['tablet-signin', '/tablet'], ['not-found', '/no-such-page'],
      ['verify-email', `/verify-email?token=${'a'.repeat(64)}`], ['confirm-email', `/confirm-email?token=${'a'.repeat(64)}`],
    ], lang);
    await close([/status of 404/]); // the two links above are no link Kite sent: the pages say so
  });

  test(`a family member's pages in ${lang}`, LONG, async () => {
    const { page, close } = await pageFor(lang, locale, people.family.email);
    await checkPages(page, 'family', [
      ['account', '/account'], ['contacts', '/contacts'], ['messages', '/messages'], ['wallet', '/wallet'],
      ['phone', '/phone'], ['money', '/money'], ['visits', '/visits'],
    ], lang);
    await close();
    // The attorney registration: asking for one's registration before there is one answers 404.
    const attorney = await pageFor(lang, locale, people.family.email);
    await checkPages(attorney.page, 'family', [['attorney', '/attorney']], lang);
    await attorney.close([/status of 404/]);
    // The live video visit in its waiting state: a visit that is not theirs answers 404, and the page says they cannot join.
    const visit = await pageFor(lang, locale, people.family.email);
    await checkPages(visit.page, 'family', [['visit-live-refused', '/visits/999999/live']], lang);
    await visit.close([/status of 404/]);
  });

  test(`a resident's tablet in ${lang}`, LONG, async () => {
    const { page, context, close } = await pageFor(lang, locale);
    if (lang === 'en') {
      await page.goto(`${base}/tablet`);
      await page.getByLabel('Your facility').fill('avenal state prison');
      await page.locator(`.picker-option[data-id="${onKite.id}"]`).click();
      await page.getByLabel('Your resident number').fill('E5001');
      await page.getByLabel('Your PIN').fill('864213');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Hello, Eva' }).waitFor();
    } else {
      const res = await context.request.post(`${base}/api/v1/sessions`,
        { data: { facility_id: onKite.id, resident_number: 'E5001', pin: '864213' } });
      assert.equal(res.status(), 201);
    }
    await checkPages(page, 'resident', [['home', '/tablet'], ['money', '/tablet/money'], ['visits', '/tablet/visits']], lang);
    await checkPages(page, 'resident', [['visit-live-refused', '/visits/999999/live']], lang);
    await close([/status of 404/]);
  });

  test(`staff pages in ${lang}: a facility administrator and the operator`, LONG, async () => {
    const admin = await pageFor(lang, locale, people.admin.email);
    const tabs = ['roster', 'staff', 'blocks', 'policy', 'prices', 'revenue'];
    await checkPages(admin.page, 'admin', [
      ...tabs.map((t) => [`staff-${t}`, `/staff?facility=${onKite.id}&tab=${t}`]),
      ['review', '/review'], ['phone-keys', `/staff/phone-keys?facility=${onKite.id}`],
      ['legal-holds', '/investigate/holds'],
      ['two-factor', '/two-factor'], ['staff-activity', '/staff/activity'], ['visits', '/staff/visits'],
      ['live-visits', '/staff/visits/live'],
    ], lang);
    await admin.close();
    const op = await pageFor(lang, locale, people.operator.email);
    await checkPages(op.page, 'operator', [['staff', '/staff'], ['put-on-kite', `/staff?facility=${offKite.id}`],
      ['investigate-choose', '/investigate'], ['investigate', `/investigate?facility=${onKite.id}`],
      ['attorneys', '/staff/attorneys'],
      ['staff-activity-choose', '/staff/activity'], ['staff-activity', `/staff/activity?facility=${onKite.id}`],
      ['visits-choose', '/staff/visits'], ['visits', `/staff/visits?facility=${onKite.id}`]], lang);
    await op.close();
  });

  test(`an investigator's pages in ${lang}`, LONG, async () => {
    const inv = await pageFor(lang, locale, people.investigator.email);
    await checkPages(inv.page, 'investigator', [
      ['search', '/investigate'], ['search-nothing-found', '/investigate?q=%22money%20order%22&status=rejected'],
      ['bad-dates', '/investigate?from=2026-13-45'],
      ['people', '/investigate/people'], ['people-resident', '/investigate/people?resident=E5001'],
      ['people-unknown', '/investigate/people?resident=NOPE'],
      ['legal-holds', '/investigate/holds'], ['legal-holds-all', '/investigate/holds?all=1'],
      ['roster', '/staff'],
    ], lang);
    await inv.close([/status of 4\d\d/]);
  });
}
