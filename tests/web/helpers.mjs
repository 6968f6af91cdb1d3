// What the browser test files share: a real kite server on a temporary database, a real
// Chromium, and pages that fail the test on any console error the test did not expect.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { newTotpSecret, totpCode, usableStep } from '../blackbox/lib/kite.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KITE_BIN = process.env.KITE_BIN || join(ROOT, 'build/src/kite');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = process.env.KITE_SHOTS || '/tmp/kite-shots';
export const PASSWORD = 'a calm river 2026';
export const TIMEOUT = { timeout: 90_000 };
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/* ---- the server ---- */

/* Starts `kite serve` on a free port; extra: more arguments, env: more environment. */
export function startServer(dir, { db = join(dir, 'kite.db'), extra = [], env = {} } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(KITE_BIN, ['serve', '--db', db, '--listen', '127.0.0.1:0',
      '--web', join(ROOT, 'web'), '--data', join(ROOT, 'data'), ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kite did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk) => {
      output += chunk;
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        const url = m[1].replace(/\/$/, '');
        const offset = extra.indexOf('--test-clock-offset');
        clockOffsets.set(url, offset >= 0 ? Number(extra[offset + 1]) * 1000 : 0);
        resolvePromise({ child, url });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kite exited with ${code} before listening:\n${output}`));
    });
  });
}

export function stopServer(child) {
  return new Promise((resolvePromise) => {
    if (!child || child.exitCode !== null) return resolvePromise();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

/* ---- two-factor sign-in for staff: the codes an authenticator app would show ---- */
//
// Every staff and operator account `kite user add` makes here is enrolled with a secret the
// helpers keep (kiteCli adds --totp-secret); staff made through the API enrol at their first
// sign-in (signedInClient through the API, signInForm through the page, as a person would).
// The server takes each 30-second step once per account and a step either side of now: the
// helpers spend the steps in order and wait for a new one when three are spent.

const clockOffsets = new Map(); // server URL -> its --test-clock-offset in ms
const totpAccounts = new Map(); // lower-cased email -> { secret, lastStep }

export function rememberTotp(email, secret, lastStep = 0) {
  totpAccounts.set(email.toLowerCase(), { secret, lastStep });
}

export const hasTotp = (email) => totpAccounts.has(String(email).toLowerCase());

/* The next code the server has not seen for this account, as the server's clock (base) counts. */
export async function nextTotp(base, email) {
  const a = totpAccounts.get(email.toLowerCase());
  for (;;) {
    // The previous step only with 10 s of this one left: the server takes one step either side of its own.
    const step = usableStep({ clockOffsetMs: clockOffsets.get(base) || 0 }, a.lastStep);
    if (step !== null) {
      a.lastStep = step;
      return totpCode(a.secret, step);
    }
    await new Promise((r) => { setTimeout(r, 1000); });
  }
}

/* Runs the kite command line to its end; input goes to its stdin. */
export function kiteCli(args, input = '') {
  if (args[0] === 'user' && args[1] === 'add' && !args.includes('--totp-secret')) {
    const role = args[args.indexOf('--role') + 1];
    const email = args[args.indexOf('--email') + 1];
    if (role !== 'contact' && role !== 'resident') {
      const secret = newTotpSecret();
      return kiteCliRun([...args, '--totp-secret', secret], input).then((out) => {
        rememberTotp(email, secret);
        return out;
      });
    }
  }
  return kiteCliRun(args, input);
}

function kiteCliRun(args, input) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(KITE_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => { output += c; });
    child.stderr.on('data', (c) => { output += c; });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`kite ${args[0]} exited with ${code}:\n${output}`))));
    child.stdin.end(input);
  });
}

/* ---- the browser ---- */

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/*
 * A page in a fresh browser context (own cookies and sessionStorage) that records every console
 * error and uncaught exception.  `allow` lists console texts a test expects, such as the
 * "Failed to load resource ... 401" Chromium logs for a refused sign-in.
 */
export async function newPage(browser, viewport = DESKTOP, { locale = 'en-US', chosen = null } = {}) {
  // locale: the browser's language ('es-US' for a Spanish reader); Kite's first visit follows it.
  // chosen: a language the person already picked on this device (web/i18n.js keeps it), which
  // wins over the account's own: without it, a page signed in to an account made in English
  // (by the CLI, or an admin) turns English.
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale });
  if (chosen) {
    await context.addInitScript((code) => {
      if (!localStorage.getItem('kite.lang')) localStorage.setItem('kite.lang', code);
    }, chosen);
  }
  const page = await context.newPage();
  const problems = [];
  // A staff sign-in with the password alone answers 401 two_factor_required, and the page then asks
  // for the code: that refusal, counted from the answers, is not a problem; any other 401 still is.
  let askedForCode = 0;
  const signIn401 = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    const text = `console ${msg.type()}: ${msg.text()}`;
    if (/status of 401/.test(msg.text()) && /\/api\/v1\/sessions$/.test(msg.location().url || '')) signIn401.push(text);
    else problems.push(text);
  });
  page.on('response', async (res) => {
    if (res.status() !== 401 || !res.url().endsWith('/api/v1/sessions') || res.request().method() !== 'POST') return;
    try {
      if ((await res.json()).error.code === 'two_factor_required') askedForCode += 1;
    } catch {
      /* not JSON: the console entry stays a problem */
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    const failure = req.failure();
    if (failure && !/ERR_ABORTED/.test(failure.errorText)) problems.push(`request failed: ${req.url()} ${failure.errorText}`);
  });
  return {
    page,
    context,
    problems,
    async close(allow = []) {
      await context.close();
      problems.push(...signIn401.slice(askedForCode));
      const unexpected = problems.filter((p) => !allow.some((re) => re.test(p)));
      assert.deepEqual(unexpected, [], 'no console errors, warnings or page errors');
    },
  };
}

/* ---- the HTTP API, as a script would use it ---- */

export function apiClient(base, token) {
  const call = async (method, path, body, extraHeaders = {}) => {
    const headers = { Accept: 'application/json', ...extraHeaders };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body, headers) => call('POST', path, body, headers),
    put: (path, body) => call('PUT', path, body),
    patch: (path, body) => call('PATCH', path, body),
    del: (path) => call('DELETE', path),
  };
}

/* ---- money: messages are paid for ---- */

/* `kite processor-sandbox` on a free port, for top-ups with its test cards: {child, url}. */
export function startSandbox(extra = []) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(KITE_BIN, ['processor-sandbox', '--listen', '127.0.0.1:0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the sandbox did not start:\n${out}`)); }, 30_000);
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the sandbox exited with ${code}:\n${out}`)); });
  });
}

export function stopSandbox(sandbox) {
  if (!sandbox) return;
  sandbox.child.removeAllListeners('exit');
  sandbox.child.kill('SIGTERM');
}

let fundingKeys = 0;
const fundingKey = (what) => `web-fund-${what}-${process.pid}-${++fundingKeys}`;

/* A contact tops up $50 with the approved test card and buys count units (stamps or credits) for a facility. */
export async function fundContact(client, facilityId, unit, count) {
  const card = { number: '4242 4242 4242 4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
  const top = await client.post('/wallet/top-ups', { amount_cents: 5000, card }, { 'Idempotency-Key': fundingKey('top-up') });
  assert.equal(top.status, 201, `top-up ${JSON.stringify(top.body)}`);
  const bundle = await client.post('/wallet/bundles', { facility_id: facilityId, unit, count }, { 'Idempotency-Key': fundingKey('bundle') });
  assert.equal(bundle.status, 201, `bundle ${JSON.stringify(bundle.body)}`);
}

/* The facility (an operator's or admin's client) deposits cents into a resident's trust account. */
export async function fundResident(staffClient, residentId, cents = 5000) {
  const r = await staffClient.post(`/residents/${residentId}/trust-deposits`, { amount_cents: cents, memo: 'Wages' },
    { 'Idempotency-Key': fundingKey('trust') });
  assert.equal(r.status, 201, `trust deposit ${JSON.stringify(r.body)}`);
}

/*
 * Signs in through the API and returns a client that carries the token.  A staff account sends its
 * next two-factor code; one that has not enrolled yet enrols here first.
 */
export async function signedInClient(base, credentials) {
  const body = { ...credentials };
  if (body.email && hasTotp(body.email) && !body.totp_code) body.totp_code = await nextTotp(base, body.email);
  const r = await apiClient(base).post('/sessions', body);
  assert.equal(r.status, 201, `sign-in ${JSON.stringify(r.body)}`);
  const client = apiClient(base, r.body.token);
  if (r.body.two_factor_enrollment_required) {
    const begun = await client.post('/me/two-factor', {});
    assert.equal(begun.status, 201, `two-factor enrolment ${JSON.stringify(begun.body)}`);
    rememberTotp(credentials.email, begun.body.secret);
    const done = await client.post('/me/two-factor/confirm', { code: await nextTotp(base, credentials.email) });
    assert.equal(done.status, 200, `two-factor confirmation ${JSON.stringify(done.body)}`);
  }
  return client;
}

let emailCounter = 0;
export function uniqueEmail(tag) {
  emailCounter += 1;
  return `${tag}.${process.pid}.${Date.now()}.${emailCounter}@example.org`;
}

/* ---- forms ---- */

export async function register(page, base, { name, email, phone = '+1 (555) 010-2000', password = PASSWORD }, path = '/register') {
  if (path !== null) await page.goto(`${base}${path}`);
  await page.getByLabel('Full name').fill(name);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Phone number').fill(phone);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

/* Confirms a registered address with the support CLI (kite user verify-email): paying needs it. */
export function confirmEmail(db, email) {
  return new Promise((done, fail) => {
    const child = spawn(KITE_BIN, ['user', 'verify-email', '--db', db, email], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => { err += c; });
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`verify-email ${email}: ${err}`))));
  });
}

/*
 * Signs in through the page (by the inputs' names, so in either language).  Staff finish the way a
 * person would: the code of their authenticator app when the page asks for it, or, for staff who
 * have not set up two-factor sign-in, the setup page (finishSignIn).
 */
export async function signInForm(page, base, email, password = PASSWORD) {
  await page.goto(`${base}/signin`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await finishSignIn(page, base, email);
}

/*
 * After the sign-in form was sent: waits for the page to leave /signin, or to ask for a code (then
 * types the next one), or to show an error (then returns).  On /two-factor it sets two-factor up
 * with the key the page shows, and goes on with the recovery codes' Continue.
 */
export async function finishSignIn(page, base, email) {
  const code = page.locator('input[name=code]');
  const refused = page.locator('.form-alert:not([hidden]), [aria-invalid="true"]');
  for (let i = 0; i < 300; i += 1) {
    const path = new URL(page.url()).pathname;
    if (path.startsWith('/two-factor')) {
      await enrolInPage(page, base, email);
      return;
    }
    if (!path.startsWith('/signin')) return;
    if (await refused.count() > 0) return;
    // The page may move on at any moment: short waits, and a missed one is tried again next round.
    const empty = hasTotp(email) && await code.isVisible() && await code.inputValue({ timeout: 500 }).catch(() => null) === '';
    if (empty) {
      await code.fill(await nextTotp(base, email), { timeout: 2000 }).catch(() => {});
      await page.locator('form button[type=submit]').click({ timeout: 2000 }).catch(() => {});
    }
    await page.waitForTimeout(100);
  }
}

/* Signs a browser context in through the API (the page then takes the session, as a new tab does). */
export async function signInRequest(context, base, email, password = PASSWORD) {
  const data = { email, password };
  if (hasTotp(email)) data.totp_code = await nextTotp(base, email); // staff: two-factor sign-in
  return context.request.post(`${base}/api/v1/sessions`, { data });
}

/* /two-factor for a staff account that has none yet: set up, the first code, then Continue. */
export async function enrolInPage(page, base, email) {
  await page.locator('.actions button').click();
  const shown = page.getByTestId('totp-secret');
  await shown.waitFor();
  rememberTotp(email, (await shown.textContent()).replace(/\s+/g, ''));
  await page.locator('input[name=code]').fill(await nextTotp(base, email));
  await page.locator('form button[type=submit]').click();
  await page.getByTestId('recovery-codes').waitFor();
  await page.locator('.actions a.button').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/two-factor'));
}

/* ---- accessibility ---- */

/* axe-core (npm, tests/web/package.json), read once and put into each page checked. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/* The rules checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/*
 * Runs axe-core on the page as it is now and fails, listing each violation (rule, impact, what
 * to fix, the elements), when there is any.  The script is evaluated through the browser's
 * debugging protocol, which the page's Content-Security-Policy does not govern, so the policy
 * stays as strict in the test as in production.  `what` names the page in the failure.
 */
export async function assertAccessible(page, what) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
  const lines = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`);
  assert.deepEqual(lines, [], `axe-core found accessibility violations on ${what}:\n${lines.join('\n')}`);
}

/*
 * Asserts a locator's text: equal to `expected` (a string) or matching it (a RegExp).  The text is
 * read again until it holds, for up to `timeout` ms, because the page may still be drawing what
 * the last action changed (a list redrawn after its answer, a status set after a request): a
 * single read right after the action is a race the test can lose on a busy machine.  On failure
 * the last text read is in the message.
 */
export async function expectText(locator, expected, message, timeout = 10_000) {
  const holds = (text) => (expected instanceof RegExp ? expected.test(text) : text === expected);
  const text = await readUntil(() => locator.textContent(), holds, timeout);
  if (expected instanceof RegExp) assert.match(text, expected, message);
  else assert.equal(text, expected, message);
}

/* Asserts how many elements a locator finds, reading again until it holds (as expectText does). */
export async function expectCount(locator, expected, message, timeout = 10_000) {
  assert.equal(await readUntil(() => locator.count(), (n) => n === expected, timeout), expected, message);
}

/* read() every 100 ms until holds(value) or timeout ms have passed; the last value read. */
async function readUntil(read, holds, timeout) {
  const until = Date.now() + timeout;
  let value = await read();
  while (!holds(value) && Date.now() < until) {
    await new Promise((done) => setTimeout(done, 100));
    value = await read();
  }
  return value;
}
