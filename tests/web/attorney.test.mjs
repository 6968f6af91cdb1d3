// Attorneys and privileged legal mail in the browser (docs/privilege.md): a family-and-friends
// account registers its bar number on /attorney; the operator verifies it on /staff/attorneys
// (and refuses another with a reason); the attorney's conversation with a client then marks every
// message "Privileged legal mail" for the attorney and for the resident on the tablet.  The same
// in Spanish ("Correo legal privilegiado").  axe-core at a phone and a desktop; nothing scrolls
// sideways at 360 px.  A real kite server, a real `kite processor-sandbox`, a real Chromium.
//
// Run from the repository root:  node --test tests/web/attorney.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, PASSWORD, SHOTS, TIMEOUT, DESKTOP, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, assertAccessible, startSandbox, stopSandbox, fundContact, fundResident, confirmEmail,
  signInForm, signInRequest, expectText, expectCount,
} from './helpers.mjs';

const NARROW = { width: 360, height: 740 };
const ES = { locale: 'es-US', chosen: 'es' };

let server;
let sandbox;
let base;
let browser;
let tmp;
let db;
let prison;
let operatorEmail;
let operator;
let resident; // Eva's API client
const RESIDENT = { number: 'E7001', pin: '864213' };

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/* A family-and-friends account with a confirmed address and stamps, connected to Eva: {client, email, contactId}. */
async function lawyerAccount(name) {
  const email = uniqueEmail('lawyer');
  const made = await apiClient(base).post('/accounts', { email, password: PASSWORD, full_name: name, phone: '+1 555 010 4000' });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  await confirmEmail(db, email);
  const client = await signedInClient(base, { email, password: PASSWORD });
  await fundContact(client, prison.id, 'stamps', 10);
  const asked = await client.post('/contact-requests', { facility_id: prison.id, resident_number: RESIDENT.number });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  assert.equal((await resident.post(`/contact-requests/${asked.body.id}/approve`)).status, 200);
  const contactId = (await client.get('/contacts')).body.items[0].id;
  return { client, email, contactId, name };
}

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-attorney-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  db = join(tmp, 'kite.db');
  operatorEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', operatorEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  operator = await signedInClient(base, { email: operatorEmail, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`);
  prison = found.body.items.find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(prison);
  assert.equal((await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay', review: 'all' })).status, 201);
  const added = await operator.post(`/facilities/${prison.id}/residents`,
    { resident_number: RESIDENT.number, first_name: 'Eva', last_name: 'Marsh', pin: RESIDENT.pin });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await fundResident(operator, added.body.id);
  resident = await signedInClient(base, { facility_id: prison.id, resident_number: RESIDENT.number, pin: RESIDENT.pin });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* The attorney registers on /attorney, through the form; returns the registration id. */
async function registerInPage(opened, lawyer, words) {
  const { page } = opened;
  if (words.lang === 'en') {
    await signInForm(page, base, lawyer.email);
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
  } else {
    const res = await opened.context.request.post(`${base}/api/v1/sessions`, { data: { email: lawyer.email, password: PASSWORD } });
    assert.equal(res.status(), 201);
  }
  await page.goto(`${base}/account`);
  await page.getByTestId('attorney-link').click();
  await page.getByRole('heading', { level: 1, name: words.title }).waitFor();
  await assertAccessible(page, `${words.lang} /attorney, not registered`);
  // A state that is none: the server's sentence at its field.
  await page.getByLabel(words.number, { exact: true }).fill('ca-551234');
  await page.getByLabel(words.state, { exact: true }).fill('ZZ');
  await page.getByRole('button', { name: words.register }).click();
  await page.locator('#f-attorney-bar_state-error').getByText(words.badState).waitFor();
  await page.getByLabel(words.state, { exact: true }).fill('ca');
  await page.getByRole('button', { name: words.register }).click();
  await page.getByTestId('attorney-status').getByText(words.pending).waitFor();
  await page.getByTestId('attorney-status').getByText('CA-551234').waitFor();
  await assertAccessible(page, `${words.lang} /attorney, pending`);
  return (await lawyer.client.get('/attorneys/me')).body.id;
}

async function operatorVerifies(lang, id, name, words, { refuseId } = {}) {
  const opened = await newPage(browser, DESKTOP, lang === 'es' ? ES : undefined);
  const { page } = opened;
  if (lang === 'en') {
    await signInForm(page, base, operatorEmail);
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
    await page.goto(`${base}/staff`);
    await page.getByTestId('attorneys-link').click();
  } else {
    const res = await signInRequest(opened.context, base, operatorEmail);
    assert.equal(res.status(), 201);
    await page.goto(`${base}/staff/attorneys`);
  }
  await page.getByRole('heading', { level: 1, name: words.opTitle }).waitFor();
  await page.getByTestId(`attorney-${id}`).getByText(name).waitFor();
  await assertAccessible(page, `${lang} /staff/attorneys`);
  if (refuseId) {
    const row = page.getByTestId(`attorney-refuse-${refuseId}`);
    await row.getByRole('button', { name: words.refuse }).click();
    await row.getByText(words.sayWhy).waitFor(); // a refusal needs its reason
    await row.getByLabel(words.reason).fill('Not on the California roll');
    await row.getByRole('button', { name: words.refuse }).click();
    await page.getByTestId(`attorney-${refuseId}`).waitFor({ state: 'detached' });
  }
  await page.getByTestId(`attorney-verify-${id}`).click();
  await page.locator('.live').getByText(words.verified).waitFor();
  await page.getByTestId(`attorney-${id}`).waitFor({ state: 'detached' });
  await page.setViewportSize(NARROW);
  assert.equal(await overflow(page), 0, `${lang} /staff/attorneys scrolls sideways at 360 px`);
  await page.screenshot({ path: join(SHOTS, `attorneys-operator-${lang}.png`), fullPage: true });
  await opened.close();
}

async function threadMarked(lang, lawyer, words) {
  // The attorney writes; the client answers: both privileged, delivered without review.
  const sent = await lawyer.client.post('/messages', { contact_id: lawyer.contactId, subject: words.subject, body: words.body });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  assert.equal(sent.body.privileged, true);
  assert.equal(sent.body.status, 'delivered');
  const evaSide = (await resident.get('/contacts')).body.items.find((c) => c.contact.full_name === lawyer.name);
  assert.equal(evaSide.privileged, true);
  const answer = await resident.post('/messages', { contact_id: evaSide.id, subject: 'Re', body: words.reply });
  assert.equal(answer.status, 202, JSON.stringify(answer.body));

  // The attorney's thread: every message marked, the note above it.
  const opened = await newPage(browser, DESKTOP, lang === 'es' ? ES : undefined);
  const { page } = opened;
  const res = await opened.context.request.post(`${base}/api/v1/sessions`, { data: { email: lawyer.email, password: PASSWORD } });
  assert.equal(res.status(), 201);
  // The conversation list marks the conversation; the thread marks each message.
  await page.goto(`${base}/messages`);
  await page.locator(`[data-contact-id="${lawyer.contactId}"]`).getByTestId('msg-privileged').waitFor();
  await assertAccessible(page, `${lang} the attorney's conversations`);
  await page.goto(`${base}/messages?contact=${lawyer.contactId}`);
  await page.getByTestId('thread').getByText(words.body).waitFor();
  await page.getByTestId('thread').getByText(words.reply).waitFor();
  const marks = page.getByTestId('thread').getByTestId('msg-privileged');
  await expectCount(marks, 2, 'each message carries the mark');
  assert.equal((await marks.first().textContent()).trim(), words.badge);
  assert.ok((await page.getByTestId('privileged-note').textContent()).includes(words.badge));
  // The form does not say staff read what is written here.
  await expectText(page.locator('#f-msg-body-hint'), words.hint);
  await assertAccessible(page, `${lang} the attorney's thread`);
  await page.setViewportSize(NARROW);
  assert.equal(await overflow(page), 0, `${lang} the attorney's thread scrolls sideways at 360 px`);
  await page.screenshot({ path: join(SHOTS, `attorney-thread-${lang}.png`), fullPage: true });
  await opened.close();

  // The resident's tablet shows the same mark.
  const tablet = await newPage(browser, { width: 800, height: 1280 }, lang === 'es' ? ES : undefined);
  const r = await tablet.context.request.post(`${base}/api/v1/sessions`,
    { data: { facility_id: prison.id, resident_number: RESIDENT.number, pin: RESIDENT.pin } });
  assert.equal(r.status(), 201);
  await tablet.page.goto(`${base}/tablet`);
  await tablet.page.locator(`[data-contact-id="${evaSide.id}"]`).getByTestId('msg-privileged').waitFor();
  await tablet.page.goto(`${base}/tablet?contact=${evaSide.id}`);
  await tablet.page.getByText(words.body).waitFor();
  assert.ok(await tablet.page.getByTestId('msg-privileged').count() >= 2, 'the resident sees the mark');
  await assertAccessible(tablet.page, `${lang} the resident's privileged thread`);
  await tablet.page.screenshot({ path: join(SHOTS, `attorney-tablet-${lang}.png`), fullPage: true });
  await tablet.close();
}

const WORDS = {
  en: {
    lang: 'en', title: 'Attorney registration', number: 'Bar number', state: 'Bar state', register: 'Register as an attorney',
    badState: 'The bar state must be the two-letter code', pending: 'Waiting for an operator to verify it',
    opTitle: 'Attorneys to verify', refuse: 'Refuse', reason: 'Reason for refusing', sayWhy: 'Say why, so the attorney knows what to correct.',
    verified: 'Verified:', verifiedStatus: 'Verified: your messages with your clients are privileged',
    subject: 'Your hearing', body: 'The hearing is on Monday; we will talk before it.', reply: 'Thank you, I will be ready.',
    badge: 'Privileged legal mail', hint: 'Privileged legal mail: delivered at once, and no facility staff can read it.',
  },
  es: {
    lang: 'es', title: 'Registro de abogado', number: 'Número de colegiatura', state: 'Estado del colegio de abogados',
    register: 'Registrarse como abogado', badState: 'El estado del colegio de abogados debe ser el código',
    pending: 'Esperando a que un operador lo verifique', opTitle: 'Abogados por verificar', refuse: 'Rechazar',
    reason: 'Motivo del rechazo', sayWhy: 'Diga por qué, para que el abogado sepa qué corregir.', verified: 'Verificado:',
    verifiedStatus: 'Verificado: sus mensajes con sus clientes son privilegiados',
    subject: 'Su audiencia', body: 'La audiencia es el lunes; hablaremos antes.', reply: 'Gracias, estaré listo.',
    badge: 'Correo legal privilegiado', hint: 'Correo legal privilegiado: se entrega de inmediato y nadie del personal del centro puede leerlo.',
  },
};

for (const lang of ['en', 'es']) {
  test(`${lang}: an attorney registers, the operator verifies, both parties see privileged legal mail`, TIMEOUT, async () => {
    const words = WORDS[lang];
    const lawyer = await lawyerAccount(lang === 'en' ? 'Dana Counsel' : 'Diego Abogado');
    if (lang === 'es') assert.equal((await lawyer.client.patch('/me', { lang: 'es' })).status, 200);
    const other = await lawyerAccount(lang === 'en' ? 'Rex Refused' : 'Raúl Rechazado');
    const otherId = (await other.client.post('/attorneys', { bar_number: '999', bar_state: 'NV' })).body.id;
    const opened = await newPage(browser, DESKTOP, lang === 'es' ? ES : undefined);
    const id = await registerInPage(opened, lawyer, words);
    await operatorVerifies(lang, id, lawyer.name, words, { refuseId: otherId });
    // The attorney's page now says verified.
    await opened.page.reload();
    await opened.page.getByTestId('attorney-status').getByText(words.verifiedStatus).waitFor();
    await opened.page.setViewportSize(NARROW);
    assert.equal(await overflow(opened.page), 0, `${lang} /attorney scrolls sideways at 360 px`);
    await assertAccessible(opened.page, `${lang} /attorney, verified, at 360 px`);
    await opened.page.screenshot({ path: join(SHOTS, `attorney-registration-${lang}.png`), fullPage: true });
    await opened.close([/status of 422/, /status of 404/]); // the state refused, and no registration before the first
    assert.equal((await other.client.get('/attorneys/me')).body.status, 'refused');
    await threadMarked(lang, lawyer, words);
  });
}
