// Browser tests for the Kite web UI: a real kite server and a real Chromium, nothing mocked.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/ui.test.mjs
// Environment: KITE_BIN (default build/src/kite), CHROMIUM (default /usr/bin/chromium),
// KITE_SHOTS (default /tmp/kite-shots) for the screenshots.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, SHOTS, PASSWORD, TIMEOUT, startServer, stopServer, launchBrowser, newPage,
  uniqueEmail, register as registerAt, signInForm as signInAt, expectText, expectCount,
} from './helpers.mjs';

let server;
let base;
let browser;
let tmp;
let coleman; // FCI COLEMAN LOW as the API answers it

async function apiGet(path, headers = {}) {
  const res = await fetch(`${base}/api/v1${path}`, { headers });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

async function apiPost(path, body) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), retryAfter: Number(res.headers.get('retry-after')) };
}

/* ---- pages ---- */

const openPage = (viewport) => newPage(browser, viewport);

async function search(page, text) {
  await page.fill('#q', text);
  await page.waitForFunction(() => {
    const list = document.getElementById('results');
    const count = document.getElementById('result-count');
    return list && !list.hasAttribute('aria-busy') && count && count.textContent.trim() !== '';
  });
}

/* The number in "1,234 facilities found …"; 0 for "No facilities found". */
async function shownTotal(page) {
  const text = await page.textContent('#result-count');
  const m = /^([\d,]+) facilit/.exec(text.trim());
  return m ? Number(m[1].replace(/,/g, '')) : 0;
}

async function waitForResults(page, predicate) {
  await page.waitForFunction(() => {
    const list = document.getElementById('results');
    return list && !list.hasAttribute('aria-busy');
  });
  if (predicate) await page.waitForFunction(predicate);
}

const register = (page, who) => registerAt(page, base, who);
const signInForm = (page, email, password) => signInAt(page, base, email, password);

/* ---- set-up ---- */

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-test-'));
  mkdirSync(SHOTS, { recursive: true });
  const started = await startServer(tmp);
  server = started.child;
  base = started.url;
  browser = await launchBrowser();
  const found = await apiGet(`/facilities?q=${encodeURIComponent('coleman fci')}`);
  coleman = found.body.items.find((f) => f.name === 'FCI COLEMAN LOW');
  assert.ok(coleman, 'the directory has FCI COLEMAN LOW');
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* ---- directory ---- */

test('search "colman fci": nothing counted as found, "Did you mean coleman fci?" with FCI COLEMAN LOW and its CorrLinks badge', TIMEOUT, async () => {
  const { page, close } = await openPage();
  await page.goto(`${base}/`);
  await search(page, 'colman fci');
  const item = page.locator('#results li', { has: page.getByRole('link', { name: 'FCI COLEMAN LOW', exact: true }) });
  await item.waitFor();
  await expectCount(item, 1);
  await expectText(item.locator('.badge--provider'), /^Messaging:\s+CorrLinks$/);
  await expectText(item, /SUMTERVILLE, FL/);
  await expectText(item, /Federal facility/);
  assert.match(await page.textContent('#result-count'), /No facilities found for “colman fci”/);
  assert.equal(await page.getAttribute('#result-count', 'aria-live'), 'polite');
  assert.equal(await page.textContent('#did-you-mean'), 'coleman fci');
  assert.equal(new URL(page.url()).search, '?q=colman+fci', 'the search is in the address bar');
  await page.click('#did-you-mean');
  await page.waitForFunction(() => /found for “coleman fci”/.test(document.querySelector('#result-count')?.textContent || ''));
  assert.match(await page.textContent('#result-count'), /facilit(y|ies) found for “coleman fci”/);
  assert.equal(new URL(page.url()).search, '?q=coleman+fci', 'the suggestion is now the search');
  await close();
});

test('facilities without a known provider say so in their badge', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const unknown = (await apiGet('/facilities?state=WV&type=county&limit=100')).body.items
    .find((f) => f.messaging_provider.slug === 'unknown');
  assert.ok(unknown, 'a facility whose messaging provider is not known');
  await page.goto(`${base}/?state=WV&type=county`);
  await waitForResults(page);
  const badges = await page.locator('#results .badge--unknown').allTextContents();
  assert.ok(badges.length > 0);
  for (const b of badges) assert.match(b, /^Messaging:\s+not known yet$/);
  await close();
});

test('opening FCI COLEMAN LOW shows the how-to steps and the not-on-Kite notice', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const detail = (await apiGet(`/facilities/${coleman.id}`)).body;
  await page.goto(`${base}/`);
  await search(page, 'colman fci');
  await page.getByRole('link', { name: 'FCI COLEMAN LOW', exact: true }).click();
  await page.waitForURL(`${base}/facilities/${coleman.id}`);
  await page.locator('.howto').waitFor();
  assert.equal(await page.textContent('h1'), 'FCI COLEMAN LOW');
  assert.match(await page.title(), /FCI COLEMAN LOW/);

  const howto = page.getByRole('region', { name: 'How to message someone here' });
  const notice = await howto.getByTestId('platform-notice').textContent();
  assert.match(notice, /Kite does not serve this facility/);
  assert.match(notice, /Use CorrLinks/);
  const steps = await howto.locator('ol.steps li').allTextContents();
  assert.deepEqual(steps, detail.how_to_message.steps);
  const go = howto.getByRole('link', { name: /Go to CorrLinks/ });
  assert.equal(await go.getAttribute('href'), 'https://www.corrlinks.com/');
  assert.equal(await go.getAttribute('rel'), 'noopener noreferrer');

  const services = await page.getByTestId('services').textContent();
  assert.match(services, /MessagesCorrLinks/);
  assert.match(services, /Sending moneyAccess Corrections/);
  assert.match(await page.textContent('.facility'), /\(352\) 689-4000/);
  assert.match(await page.textContent('.facility'), /846 NORTHEAST 54TH TERRACE/);
  assert.match(await page.textContent('.facility'), /2,415/);

  // Back returns to the same results, with focus on the result opened.
  await page.getByRole('link', { name: '← Back to search' }).click();
  await page.waitForURL(`${base}/?q=colman+fci`);
  await page.getByRole('link', { name: 'FCI COLEMAN LOW', exact: true }).waitFor();
  assert.equal(await page.inputValue('#q'), 'colman fci');
  await page.waitForFunction(() => document.activeElement?.textContent === 'FCI COLEMAN LOW');
  // The browser's Back does the same.
  await page.getByRole('link', { name: 'FCI COLEMAN LOW', exact: true }).click();
  await page.waitForURL(`${base}/facilities/${coleman.id}`);
  await page.goBack();
  await page.waitForURL(`${base}/?q=colman+fci`);
  await page.waitForFunction(() => document.activeElement?.textContent === 'FCI COLEMAN LOW');
  await close();
});

test('the facility page works on direct load and on reload', TIMEOUT, async () => {
  const { page, close } = await openPage();
  await page.goto(`${base}/facilities/${coleman.id}`);
  await page.locator('.howto').waitFor();
  assert.equal(await page.textContent('h1'), 'FCI COLEMAN LOW');
  await page.reload();
  await page.locator('.howto').waitFor();
  assert.equal(await page.textContent('h1'), 'FCI COLEMAN LOW');
  await expectText(page.getByTestId('platform-notice'), /Kite does not serve this facility/);
  // An address that is not a facility number says so, without asking the server.
  await page.goto(`${base}/facilities/not-a-number`);
  assert.equal(await page.textContent('h1'), 'We could not find this facility');
  await close();
});

test('a facility that does not exist shows a way back', TIMEOUT, async () => {
  const { page, close } = await openPage();
  await page.goto(`${base}/facilities/987654321`);
  await page.getByRole('heading', { name: 'We could not find this facility' }).waitFor();
  assert.ok(await page.getByRole('link', { name: 'Search the directory' }).isVisible());
  await close([/status of 404/]);
});

test('filters narrow the results', TIMEOUT, async () => {
  const { page, close } = await openPage();
  await page.goto(`${base}/`);
  await page.selectOption('#state', 'FL');
  await waitForResults(page, () => /found/.test(document.getElementById('result-count').textContent));
  const florida = await shownTotal(page);
  assert.equal(florida, (await apiGet('/facilities?state=FL')).body.total);

  await page.selectOption('#type', 'federal');
  await waitForResults(page, () => /federal facility/.test(document.getElementById('result-count').textContent));
  const federal = await shownTotal(page);
  assert.ok(federal > 0 && federal < florida, `federal in FL (${federal}) is fewer than all of FL (${florida})`);
  assert.equal(federal, (await apiGet('/facilities?state=FL&type=federal')).body.total);
  for (const text of await page.locator('#results li .result-meta').allTextContents()) {
    assert.match(text, /, FL \d{5}/);
    assert.match(text, /Federal facility/);
  }

  await page.selectOption('#status', 'closed');
  await waitForResults(page, () => /closed only/.test(document.getElementById('result-count').textContent));
  const closed = await shownTotal(page);
  assert.equal(closed, (await apiGet('/facilities?state=FL&type=federal&status=closed')).body.total);
  assert.ok(closed < federal);

  const url = new URL(page.url());
  assert.equal(url.searchParams.get('state'), 'FL');
  assert.equal(url.searchParams.get('type'), 'federal');

  // A search with no match says what to try next.
  await search(page, 'zzqqxx nothing like this');
  assert.match(await page.textContent('#result-count'), /^No facilities found/);
  assert.match(await page.textContent('.empty'), /Remove a filter/);

  // Clear search goes back to the start.
  await page.getByRole('button', { name: 'Clear search' }).click();
  await page.locator('.intro .panel').waitFor();
  assert.equal(await page.inputValue('#state'), '');
  assert.equal(new URL(page.url()).search, '');
  await close();
});

test('the state filter offers all 55 states and territories', TIMEOUT, async () => {
  const { page, close } = await openPage();
  await page.goto(`${base}/`);
  // The page renders after the load event (it first asks for the browser's session): wait for it.
  await page.locator('#state option[value="WY"]').waitFor({ state: 'attached' });
  const codes = await page.locator('#state option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.equal(codes.length, 55);
  assert.equal(new Set(codes).size, 55);
  for (const c of ['CA', 'DC', 'PR', 'GU', 'VI', 'MP', 'WY']) assert.ok(codes.includes(c), c);
  await close();
});

test('a ZIP code finds the facilities there', TIMEOUT, async () => {
  const { page, close } = await openPage();
  await page.goto(`${base}/`);
  await search(page, '33521');
  const names = await page.locator('#results li h3').allTextContents();
  assert.ok(names.includes('FCI COLEMAN LOW'), names.join(', '));
  await close();
});

test('Load more appends results without duplicates', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const api = (await apiGet('/facilities?state=TX&limit=20')).body;
  assert.ok(api.total > 40);
  await page.goto(`${base}/?state=TX`);
  await waitForResults(page, () => document.querySelectorAll('#results li').length === 20);
  const first = await page.locator('#results li').evaluateAll((ls) => ls.map((l) => l.dataset.id));
  assert.match(await page.textContent('.shown-count'), new RegExp(`Showing 20 of ${api.total.toLocaleString('en-US')}`));

  await page.getByRole('button', { name: 'Load more results' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#results li').length === 40);
  let ids = await page.locator('#results li').evaluateAll((ls) => ls.map((l) => l.dataset.id));
  assert.deepEqual(ids.slice(0, 20), first, 'the first results stay in place');
  assert.equal(new Set(ids).size, ids.length, 'no facility appears twice');
  // Focus moves to the first new result, so a keyboard user continues where the new ones start.
  assert.equal(await page.evaluate(() => document.activeElement.closest('li').dataset.id), ids[20]);

  await page.getByRole('button', { name: 'Load more results' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#results li').length === 60);
  ids = await page.locator('#results li').evaluateAll((ls) => ls.map((l) => l.dataset.id));
  assert.equal(new Set(ids).size, 60);
  assert.match(await page.textContent('.shown-count'), /Showing 60 of/);
  await close();
});

test('the keyboard reaches a result and opens it', TIMEOUT, async () => {
  const { page, close } = await openPage();
  await page.goto(`${base}/`);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to main content');
  await search(page, 'colman fci');
  await page.focus('#q');
  // search box → Search button → three filters → Clear search → "Did you mean" → first result
  for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'coleman fci');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'FCI COLEMAN LOW');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base}/facilities/${coleman.id}`);
  await page.locator('.howto').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'focus moves to the new page heading');
  await close();
});

test('the providers page lists each provider with its services and steps', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const providers = (await apiGet('/providers')).body.items;
  await page.goto(`${base}/facilities/${coleman.id}`);
  await page.getByRole('link', { name: 'CorrLinks', exact: true }).click();
  await page.waitForURL(`${base}/providers#provider-corrlinks`);
  const corrlinks = page.locator('#provider-corrlinks');
  await corrlinks.waitFor();
  const api = providers.find((p) => p.slug === 'corrlinks');
  assert.deepEqual(await corrlinks.locator('ol.steps li').allTextContents(), api.steps);
  assert.deepEqual(await corrlinks.locator('.chip').allTextContents(), ['Messages']);
  const companies = providers.filter((p) => p.slug !== 'unknown' && p.slug !== 'none');
  await expectCount(page.locator('ul.providers > li'), companies.length);
  await close();
});

/* ---- accounts ---- */

test('register, sign out, sign in, see the name in the header and the account page, sign out', TIMEOUT, async () => {
  const { page, context, close } = await openPage();
  const email = uniqueEmail('family');
  const name = 'Dana Whitfield';
  await register(page, { name, email });
  await page.waitForURL(`${base}/account`);
  await page.getByTestId('account-name').waitFor();
  await expectText(page.getByTestId('account-name'), name);
  assert.match(await page.textContent('#notice'), /Your account is ready/);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(`${base}/`);
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  assert.match(await page.textContent('#notice'), /You are signed out/);

  await signInForm(page, email, PASSWORD);
  await page.waitForURL(`${base}/account`);
  const header = page.locator('.site-header');
  await expectText(header.getByTestId('account-name'), name);
  await expectText(header, /Family or friend/);
  const details = await page.getByTestId('account-details').textContent();
  assert.match(details, new RegExp(email.replace(/\./g, '\\.')));
  assert.match(details, /Family or friend/);
  assert.match(details, /\+1 \(555\) 010-2000/);

  // The header stays on other pages and after a reload.
  await page.getByRole('link', { name: 'Providers' }).click();
  await page.reload();
  await page.locator('#provider-corrlinks').waitFor();
  await expectText(page.getByTestId('account-name'), name);

  const cookie = (await context.cookies()).find((c) => c.name === 'kite_session');
  assert.ok(cookie && cookie.httpOnly, 'an HttpOnly session cookie');
  assert.equal((await apiGet('/me', { Cookie: `kite_session=${cookie.value}` })).status, 200);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(`${base}/`);
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  assert.equal((await apiGet('/me', { Cookie: `kite_session=${cookie.value}` })).status, 401, 'the server ended the session');
  await page.goto(`${base}/account`);
  assert.equal(await page.textContent('h1'), 'You are not signed in');
  await close();
});

test('a registration with an address that already has an account looks like any other: nothing tells a stranger', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const email = uniqueEmail('taken');
  const first = await apiPost('/accounts', { email, password: PASSWORD, full_name: 'First Person', phone: '555 010 3000' });
  assert.equal(first.status, 201);
  await register(page, { name: 'Second Person', email });
  // Signed in to an account of its own, unconfirmed, exactly as a new address would be.
  await page.waitForURL((url) => url.pathname === '/account');
  assert.equal(await page.textContent('[data-testid="account-name"]'), 'Second Person');
  await page.getByTestId('email-unverified').waitFor();
  await expectText(page.getByTestId('email-unverified'), /Open it to confirm your address/);
  await expectCount(page.locator('#f-email-error'), 0);
  await close();
});

test('the register form checks fields before sending', TIMEOUT, async () => {
  const { page, close } = await openPage();
  let posted = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST') posted += 1;
  });
  await register(page, { name: 'Short Password', email: uniqueEmail('short'), phone: '12', password: 'short' });
  await page.locator('#f-password-error').waitFor();
  assert.match(await page.textContent('#f-password-error'), /at least 10 characters/);
  assert.match(await page.textContent('#f-phone-error'), /7 to 15 digits/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-phone');
  assert.equal(posted, 0, 'nothing was sent');
  await close();
});

test('a server field error is shown next to that field', TIMEOUT, async () => {
  const { page, close } = await openPage();
  // Ten characters, so the page sends it; the server refuses it as a common password.
  await register(page, { name: 'Common Password', email: uniqueEmail('weak'), password: 'password123' });
  await page.locator('#f-password-error').waitFor();
  assert.match(await page.textContent('#f-password-error'), /not a common password/);
  await close([/status of 422/]);
});

test('a wrong password shows the error', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const email = uniqueEmail('wrongpw');
  assert.equal((await apiPost('/accounts', { email, password: PASSWORD, full_name: 'Wrong Password', phone: '555 010 4000' })).status, 201);
  await signInForm(page, email, 'not the right password');
  const alert = page.locator('.form-alert');
  await alert.waitFor();
  await expectText(alert, /That email and password do not match an account/);
  assert.equal(await alert.getAttribute('role'), 'alert');
  assert.equal(new URL(page.url()).pathname, '/signin');
  assert.ok(await page.getByRole('link', { name: 'Sign in', exact: true }).isVisible(), 'still signed out');
  await close([/status of 401/]);
});

test('too many sign-in attempts show how long to wait', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const email = uniqueEmail('throttle');
  assert.equal((await apiPost('/accounts', { email, password: PASSWORD, full_name: 'Many Tries', phone: '555 010 5000' })).status, 201);
  // Sign-in waits grow (1 s, 2 s, 4 s ... after three free failures): fail, waiting out short
  // waits as a client would, until the wait is long enough for the page to meet it.
  for (let i = 0; i < 40; i++) {
    const r = await apiPost('/sessions', { email, password: `wrong password ${i}` });
    if (r.status === 429 && r.retryAfter >= 16) break;
    if (r.status === 429) await new Promise((done) => setTimeout(done, r.retryAfter * 1000 + 50));
  }
  await signInForm(page, email, PASSWORD);
  const alert = page.locator('.form-alert');
  await alert.waitFor();
  await expectText(alert, /Too many sign-in attempts/);
  await expectText(alert, /Time left: (\d+ min )?\d+ s\./);
  assert.ok(await page.locator('form button[type=submit]').isDisabled());
  await close([/status of 429/]);
});

/* ---- every page, for console errors ---- */

test('no console errors on any page', TIMEOUT, async () => {
  const { page, close } = await openPage();
  const email = uniqueEmail('console');
  const visit = async (path, ready) => {
    await page.goto(`${base}${path}`);
    await page.locator(ready).first().waitFor();
  };
  await visit('/', '.intro .panel');
  await visit('/?q=colman+fci', '#results li');
  await visit('/?state=CA&type=state&status=open', '#results li');
  await visit(`/facilities/${coleman.id}`, '.howto');
  await visit('/providers', '#provider-kite');
  await visit('/register', 'form');
  await visit('/signin', 'form');
  await visit('/account', 'h1');
  await visit('/no-such-page', 'h1');
  assert.equal(await page.textContent('h1'), 'This page does not exist');
  await register(page, { name: 'Console Check', email });
  await page.waitForURL(`${base}/account`);
  await visit('/account', '[data-testid=account-details]');
  await visit(`/facilities/${coleman.id}`, '.howto');
  await visit('/signin', 'h1');
  assert.equal(await page.textContent('h1'), 'You are signed in');
  await close();
});

/* ---- screenshots, to look at ---- */

test('screenshots of home, facility and sign-in at desktop and phone widths', TIMEOUT, async () => {
  for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
    const { page, close } = await openPage(viewport);
    await page.goto(`${base}/`);
    await search(page, 'colman fci');
    await page.screenshot({ path: join(SHOTS, `home-results-${label}.png`), fullPage: true });
    await page.goto(`${base}/facilities/${coleman.id}`);
    await page.locator('.howto').waitFor();
    await page.screenshot({ path: join(SHOTS, `facility-${label}.png`), fullPage: true });
    await page.goto(`${base}/signin`);
    await page.locator('form').waitFor();
    await page.screenshot({ path: join(SHOTS, `signin-${label}.png`), fullPage: true });
    // Nothing sticks out sideways on a phone.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, `no horizontal scrolling at ${viewport.width}px`);
    await close();
  }
});
