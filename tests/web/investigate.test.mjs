// The investigator's pages (/investigate and /investigate/people): an investigator signs in,
// searches a word and a quoted phrase and sees the matched words marked, filters by person,
// opens a message in place, pages on with "More results", and sees who writes to whom as a table
// and as a graph; the same in Spanish, where "abogados" finds a message saying "abogado".
// axe-core at a phone and a desktop; nothing scrolls sideways at 360 px.  A real kite server, a
// real `kite processor-sandbox` (messages are paid for), a real Chromium.
//
// Run from the repository root:  node --test tests/web/investigate.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, PASSWORD, SHOTS, TIMEOUT, DESKTOP, PHONE, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, assertAccessible, startSandbox, stopSandbox, fundContact, fundResident, confirmEmail,
  signInForm, signInRequest, expectText, expectCount,
} from './helpers.mjs';

const NARROW = { width: 360, height: 740 };
const ES = { locale: 'es-US', chosen: 'es' };
const VISITS = 23; // more than a page of 20

let server;
let sandbox;
let base;
let browser;
let tmp;
let prison;
let investigatorEmail;
const sent = {};

/* A family member who asks to write to a resident, approved by the resident: the contact's id. */
async function connect(client, residentClient, residentNumber) {
  const asked = await client.post('/contact-requests', { facility_id: prison.id, resident_number: residentNumber });
  assert.equal(asked.status, 201, JSON.stringify(asked.body));
  assert.equal((await residentClient.post(`/contact-requests/${asked.body.id}/approve`)).status, 200);
  const contacts = (await client.get('/contacts')).body.items;
  return contacts.find((c) => c.resident.resident_number === residentNumber).id;
}

async function send(client, contactId, subject, body) {
  const r = await client.post('/messages', { contact_id: contactId, subject, body });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.id;
}

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-investigate-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  const db = join(tmp, 'kite.db');
  const operatorEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', db, '--role', 'operator', '--email', operatorEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  const operator = await signedInClient(base, { email: operatorEmail, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`);
  prison = found.body.items.find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(prison, 'the directory has AVENAL STATE PRISON');
  assert.equal((await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay', review: 'all' })).status, 201);
  const residents = {};
  for (const [number, first, last, pin] of [['E5001', 'Eva', 'Marsh', '864213'], ['E5002', 'Ana', 'Lopez', '975324']]) {
    const added = await operator.post(`/facilities/${prison.id}/residents`, { resident_number: number, first_name: first, last_name: last, pin });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    await fundResident(operator, added.body.id);
    residents[number] = await signedInClient(base, { facility_id: prison.id, resident_number: number, pin });
  }
  investigatorEmail = uniqueEmail('investigator');
  const staff = await operator.post(`/facilities/${prison.id}/staff`,
    { email: investigatorEmail, full_name: 'Ivan Investigator', role: 'investigator', password: PASSWORD });
  assert.equal(staff.status, 201, JSON.stringify(staff.body));

  // Frank writes to both residents (he stands out); Gina, in Spanish, to Eva only.
  const family = {};
  for (const [key, name] of [['frank', 'Frank Marsh'], ['gina', 'Gina Park']]) {
    const email = uniqueEmail(key);
    const made = await apiClient(base).post('/accounts', { email, password: PASSWORD, full_name: name, phone: '+1 555 010 4000' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    await confirmEmail(db, email);
    const client = await signedInClient(base, { email, password: PASSWORD });
    await fundContact(client, prison.id, 'stamps', key === 'frank' ? 50 : 5);
    family[key] = { client, email };
  }
  const frankEva = await connect(family.frank.client, residents.E5001, 'E5001');
  const frankAna = await connect(family.frank.client, residents.E5002, 'E5002');
  const ginaEva = await connect(family.gina.client, residents.E5001, 'E5001');

  sent.lawyer = await send(family.frank.client, frankEva, 'About the case', 'I called the lawyer today. She says the hearing moved to March.');
  sent.money = await send(family.frank.client, frankEva, 'Money', 'I mailed a money order on Friday; tell me when it arrives. Order more stamps too.');
  sent.ana = await send(family.frank.client, frankAna, 'Hello Ana', 'Your cousin says hello. We miss you.');
  sent.abogado = await send(family.gina.client, ginaEva, 'Noticias', 'Hablé con el abogado ayer y dice que todo va bien con tu caso.');
  for (let i = 1; i <= VISITS; i += 1) {
    await send(family.frank.client, frankEva, `Visit ${i}`, `Planning the visit number ${i} for the weekend.`);
  }
  // Eva answers Frank once (messages each way); two messages are approved.
  const evaContacts = (await residents.E5001.get('/contacts')).body.items;
  const evaFrank = evaContacts.find((c) => c.contact.full_name === 'Frank Marsh').id;
  sent.reply = await send(residents.E5001, evaFrank, 'Re: case', 'Thank you for calling the lawyer.');
  for (const id of [sent.lawyer, sent.ana]) {
    const r = await operator.post(`/review/${id}`, { decision: 'approve' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
const results = (page) => page.locator('[data-testid=inv-results] > li');

/* axe-core at a phone and a desktop, nothing sideways at 360 px, a screenshot of each. */
async function checkPage(page, what) {
  await assertAccessible(page, `${what} at the desktop`);
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  await assertAccessible(page, `${what} on a phone`);
  await page.setViewportSize(NARROW);
  await page.waitForTimeout(100);
  assert.equal(await overflow(page), 0, `${what} scrolls sideways at 360 px`);
  await page.screenshot({ path: join(SHOTS, `investigate-${what.replace(/\W+/g, '-')}-360.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
  await page.waitForTimeout(100);
  await page.screenshot({ path: join(SHOTS, `investigate-${what.replace(/\W+/g, '-')}-desktop.png`), fullPage: true });
}

/* Fills the search form (by the inputs' names, whatever the language) and waits for the answer. */
async function search(page, { q = '', person = '' } = {}) {
  await page.locator('input[name=q]').fill(q);
  await page.locator('input[name=person]').fill(person);
  await page.locator('form.inv-form button[type=submit]').click();
  await page.waitForFunction(() => {
    const line = document.querySelector('.inv-results-section .count-line');
    return line && line.textContent && !/…$/.test(line.textContent);
  });
}

test('an investigator searches words and phrases, filters by person, reads a message, pages on, and sees who writes to whom', TIMEOUT, async () => {
  const opened = await newPage(browser, DESKTOP);
  const { page } = opened;
  await signInForm(page, base, investigatorEmail);
  // An investigator lands on the search.
  await page.waitForURL(`${base}/investigate`);
  const mainNav = page.getByRole('navigation', { name: 'Main' });
  assert.deepEqual(await mainNav.locator('a').allTextContents(), ['Investigate', 'Roster', 'Find a facility', 'Providers']);
  await mainNav.getByRole('link', { name: 'Investigate' }).click();
  await page.waitForURL(`${base}/investigate`);
  await page.getByRole('heading', { level: 1, name: 'Search messages' }).waitFor();
  await expectText(page.getByTestId('audit-note'), /Every search you make and every message you open is recorded/);
  await expectText(page.locator('#f-inv-q-hint'), /double quotes/);
  await checkPage(page, 'search form');

  // A word: its other forms match too, and each is marked in the snippet.
  await search(page, { q: 'lawyer' });
  await expectCount(results(page), 2);
  await expectText(page.locator('.inv-results-section .count-line'), /^2 messages found\.$/);
  for (const mark of await page.locator('.inv-snippet mark').allTextContents()) assert.match(mark, /^lawyer$/i);
  await expectCount(page.locator('.inv-snippet mark'), 2);
  const lawyerItem = page.locator(`[data-testid=inv-results] li[data-message-id="${sent.lawyer}"]`);
  await expectText(lawyerItem.locator('.inv-who'), /^Frank Marsh → Eva Marsh \(E5001\)$/);
  await expectText(lawyerItem.locator('.inv-head time'), /^[A-Z][a-z]+ \d{1,2}, \d{4}/);
  await expectText(lawyerItem.locator('.status'), 'Delivered');
  assert.equal(page.url(), `${base}/investigate?q=lawyer`);

  // A quoted phrase: only the message with the words side by side; both words marked.
  await search(page, { q: '"money order"' });
  await expectCount(results(page), 1);
  assert.equal(await results(page).first().getAttribute('data-message-id'), String(sent.money));
  assert.deepEqual((await page.locator('.inv-snippet mark').allTextContents()).slice(0, 2).map((x) => x.toLowerCase()), ['money', 'order']);
  // The snippet's text is the message's text, never markup.
  assert.equal(await page.locator('.inv-snippet').first().evaluate((p) => [...p.childNodes].every((n) => n.nodeType === 3 || n.tagName === 'MARK')), true);

  // Open the message in place: the whole text, what happened to it.
  const open = results(page).first().getByRole('button', { name: 'Read the message' });
  await open.click();
  await page.getByTestId('inv-body').waitFor();
  await expectText(page.getByTestId('inv-body'), 'I mailed a money order on Friday; tell me when it arrives. Order more stamps too.');
  assert.equal(await results(page).first().getByRole('button', { name: 'Hide the message' }).getAttribute('aria-expanded'), 'true');
  await checkPage(page, 'a phrase and its message open');

  // A person: only messages to or from Ana.
  await search(page, { person: 'E5002' });
  await expectCount(results(page), 1);
  await expectText(results(page).first().locator('.inv-who'), /Ana Lopez \(E5002\)/);

  // Nothing found: the page says so.
  await search(page, { q: 'zeppelin' });
  await expectCount(results(page), 0);
  await page.getByText('No message matches this search. Try fewer words, another spelling, or wider dates.').waitFor();

  // Paging: 20, then the rest with "More results".
  await search(page, { q: 'visit' });
  await expectCount(results(page), 20);
  await expectText(page.locator('.inv-results-section .count-line'), /^Showing the first 20 results\.$/);
  await page.getByRole('button', { name: 'More results' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=inv-results] > li').length === n, VISITS);
  await expectCount(page.getByRole('button', { name: 'More results' }), 0);
  await expectText(page.locator('.inv-results-section .count-line'), new RegExp(`^${VISITS} messages found\\.$`));
  const ids = await results(page).evaluateAll((lis) => lis.map((li) => li.dataset.messageId));
  assert.equal(new Set(ids).size, VISITS, 'no result shown twice');
  await checkPage(page, 'a search paged on');

  // Who writes to whom: from a result's person.
  await results(page).first().getByRole('link', { name: 'Eva Marsh (E5001)' }).click();
  await page.waitForURL(/\/investigate\/people\?resident=E5001$/);
  await page.getByRole('heading', { level: 2, name: 'Who writes to Eva Marsh (E5001)' }).waitFor();
  const table = page.getByTestId('correspondents-table');
  assert.deepEqual(await table.locator('thead th').allTextContents(), ['Name', 'From Eva Marsh', 'To Eva Marsh', 'First and last message']);
  await expectCount(table.locator('tbody tr'), 2);
  const frank = table.locator('tbody tr', { hasText: 'Frank Marsh' });
  assert.deepEqual(await frank.locator('td').allTextContents().then((x) => x.slice(0, 2)), ['1', String(VISITS + 2)]);
  await expectText(frank, /Writes to 2 residents/);
  assert.doesNotMatch(await table.locator('tbody tr', { hasText: 'Gina Park' }).textContent(), /Writes to/);
  const graph = page.getByTestId('correspondents-graph');
  assert.equal(await graph.getAttribute('role'), 'img');
  assert.match(await graph.getAttribute('aria-label'), /Eva Marsh \(E5001\) in the centre and 2 correspondents/);
  await expectCount(graph.locator('.graph-node'), 3);
  assert.deepEqual((await graph.locator('.graph-node text').allTextContents()).map((x) => x.replace(/\s+\d+$/, '')).sort(),
    ['Eva Marsh (E5001)', 'Frank Marsh', 'Gina Park']);
  await expectCount(graph.locator('.graph-node--several'), 1);
  await expectText(frank.locator('td').nth(2), /^[A-Z][a-z]{2} \d{1,2}, \d{4} – [A-Z][a-z]{2} \d{1,2}, \d{4}$/);
  await checkPage(page, 'who writes to a resident');
  // Drawn for a phone: a narrower picture, every name still there.
  await page.setViewportSize(NARROW);
  await page.reload();
  await page.getByTestId('correspondents-graph').waitFor();
  assert.equal(await page.getByTestId('correspondents-graph').getAttribute('viewBox'), '0 0 400 440');
  await expectCount(page.getByTestId('correspondents-graph').locator('.graph-node'), 3);
  assert.equal(await overflow(page), 0, 'the graph fits a 360 px phone');
  await page.screenshot({ path: join(SHOTS, 'investigate-who-writes-phone-drawn-360.png'), fullPage: true });
  await page.setViewportSize(DESKTOP);

  // And from the other side: the residents Frank writes to.
  await frank.getByRole('link', { name: 'Frank Marsh' }).click();
  await page.getByRole('heading', { level: 2, name: 'Who writes to Frank Marsh' }).waitFor();
  assert.deepEqual((await table.locator('tbody th').allTextContents()).sort(), ['Ana Lopez (E5002)', 'Eva Marsh (E5001)']);

  // The form: a resident number.
  await page.getByLabel('Resident number or family member’s email').fill('E5002');
  await page.getByRole('button', { name: 'Show correspondents' }).click();
  await page.getByRole('heading', { level: 2, name: 'Who writes to Ana Lopez (E5002)' }).waitFor();
  await expectCount(table.locator('tbody tr'), 1);
  await opened.close();
});

test('the investigator’s pages in Spanish: a Spanish stem found, dates and words in Spanish', TIMEOUT, async () => {
  const opened = await newPage(browser, DESKTOP, ES);
  const { page, context } = opened;
  const res = await signInRequest(context, base, investigatorEmail);
  assert.equal(res.status(), 201);
  await page.goto(`${base}/investigate`);
  await page.getByRole('heading', { level: 1, name: 'Buscar mensajes' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  assert.equal(await page.getByRole('navigation', { name: 'Principal' }).getByRole('link', { name: 'Investigar' }).getAttribute('aria-current'), 'page');
  await expectText(page.getByTestId('audit-note'), /^Cada búsqueda que hace y cada mensaje que abre quedan registrados/);
  await expectText(page.locator('#f-inv-q-hint'), /comillas dobles/);
  await page.getByLabel('Palabras').fill('abogados');
  await page.getByRole('button', { name: 'Buscar', exact: true }).click();
  await page.waitForFunction(() => /encontr/.test(document.querySelector('.inv-results-section .count-line')?.textContent || ''));
  await expectCount(results(page), 1);
  assert.equal(await results(page).first().getAttribute('data-message-id'), String(sent.abogado));
  await expectText(page.locator('.inv-results-section .count-line'), 'Se encontró 1 mensaje.');
  assert.deepEqual(await page.locator('.inv-snippet mark').allTextContents(), ['abogado']);
  await expectText(results(page).first().locator('.inv-head time'), /^\d{1,2} de [a-z]+ de \d{4}/);
  await expectText(results(page).first().locator('.status'), 'Esperando revisión');
  await results(page).first().getByRole('button', { name: 'Leer el mensaje' }).click();
  await expectText(page.getByTestId('inv-body'), 'Hablé con el abogado ayer y dice que todo va bien con tu caso.');
  await checkPage(page, 'es a Spanish stem found');

  // Nothing found, in Spanish; then paging.
  await page.getByLabel('Palabras').fill('zepelín');
  await page.getByRole('button', { name: 'Buscar', exact: true }).click();
  await page.getByText('Ningún mensaje coincide con esta búsqueda.', { exact: false }).waitFor();
  await page.getByLabel('Palabras').fill('visit');
  await page.getByRole('button', { name: 'Buscar', exact: true }).click();
  await page.getByRole('button', { name: 'Más resultados' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=inv-results] > li').length === n, VISITS);

  await page.getByRole('link', { name: 'Quién escribe a quién' }).click();
  await page.getByLabel('Número de residente o correo electrónico del familiar').fill('E5001');
  await page.getByRole('button', { name: 'Ver corresponsales' }).click();
  await page.getByRole('heading', { level: 2, name: 'Quién escribe a Eva Marsh (E5001)' }).waitFor();
  const table = page.getByTestId('correspondents-table');
  assert.deepEqual(await table.locator('thead th').allTextContents(), ['Nombre', 'De Eva Marsh', 'Para Eva Marsh', 'Primer y último mensaje']);
  await expectText(table.locator('tbody tr', { hasText: 'Frank Marsh' }), /Escribe a 2 residentes/);
  await expectText(table.locator('tbody td').nth(2), /^\d{1,2} [a-z]+\.? \d{4} – \d{1,2} [a-z]+\.? \d{4}$/);
  assert.match(await page.getByTestId('correspondents-graph').getAttribute('aria-label'), /^Gráfico: Eva Marsh \(E5001\) en el centro y 2 corresponsales/);
  await expectCount(page.getByTestId('correspondents-graph').locator('.graph-node'), 3);
  await checkPage(page, 'es who writes to a resident');
  await opened.close();
});
