// Browser tests for a Spanish reader (the browser's language is es-US, nothing picked on the site):
// the directory search, a facility, the messages page, a conversation with its composer (counter,
// price, sending, withdrawing) and the wallet's part for messages, all in Spanish, with money as
// es-US shows it ("$0.50") and dates in Spanish ("4 de diciembre de 2026").  axe-core checks each
// page, no console errors, and nothing scrolls sideways at 360 px.
//
// Run from the repository root:  node --test --test-reporter=tap tests/web/spanish-messages.test.mjs
// Environment: KITE_BIN (default build/src/kite), CHROMIUM (default /usr/bin/chromium).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, SHOTS, PASSWORD, TIMEOUT, DESKTOP, startServer, stopServer, kiteCli,
  launchBrowser, newPage, apiClient, signedInClient, uniqueEmail, assertAccessible,
  startSandbox, stopSandbox, fundContact, fundResident,
  finishSignIn,
} from './helpers.mjs';

const OPERATOR = 'op.spanish@example.org';
const NARROW = { width: 360, height: 740 };
// A Spanish reader who picked Spanish here (the accounts are made in English by the API).
const ES = { locale: 'es-US', chosen: 'es' };
const JAIL = 'COLEMAN COUNTY JAIL'; // messages paid from the balance, 50 cents each
const PRISON = 'AVENAL STATE PRISON'; // jpay: stamps
const RAY = { number: 'S5510', first: 'Ray', last: 'Moss', pin: '246813' };
const ANA = { number: 'S5520', first: 'Ana', last: 'Ruiz', pin: '135724' };

let server;
let sandbox;
let base;
let browser;
let tmp;
let jail;
let prison;
let family; // { email, client, contactId (Ray's) }

/* The Spanish name of this month, as the pages write dates ("de diciembre"). */
const month = new Date().toLocaleDateString('es-US', { month: 'long' });

async function facilityNamed(name) {
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent(name)}`);
  const f = found.body.items.find((x) => x.name === name);
  assert.ok(f, `the directory has ${name}`);
  return f;
}

async function addResident(operator, facility, r) {
  const added = await operator.post(`/facilities/${facility.id}/residents`,
    { resident_number: r.number, first_name: r.first, last_name: r.last, pin: r.pin });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await fundResident(operator, added.body.id);
}

/* The family member asks, the resident approves: an active contact.  Returns the contact's id. */
async function connect(client, facility, r) {
  assert.equal((await client.post('/contact-requests', { facility_id: facility.id, resident_number: r.number })).status, 201);
  const resident = await signedInClient(base, { facility_id: facility.id, resident_number: r.number, pin: r.pin });
  const pending = (await resident.get('/contact-requests')).body.items.find((q) => q.status === 'pending');
  assert.equal((await resident.post(`/contact-requests/${pending.id}/approve`)).status, 200);
  return (await client.get('/contacts')).body.items.find((c) => c.facility.id === facility.id).id;
}

/* Signs in through the form, found by its fields' names (the labels are in Spanish). */
async function signIn(page, email) {
  await page.goto(`${base}/signin`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await finishSignIn(page, base, email); // staff: the two-factor code
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
}

async function noSideways(page, what) {
  const size = page.viewportSize();
  await page.setViewportSize(NARROW);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.screenshot({ path: join(SHOTS, `es-${what}-360.png`), fullPage: true });
  assert.equal(overflow, 0, `${what} scrolls sideways at 360 px in Spanish`);
  await page.setViewportSize(size);
}

const text = (locator) => locator.textContent().then((s) => s.replace(/\s+/g, ' ').trim());

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-spanish-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', OPERATOR, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  const operator = await signedInClient(base, { email: OPERATOR, password: PASSWORD });

  jail = await facilityNamed(JAIL);
  const jp = await operator.put(`/facilities/${jail.id}/policy`, { profile: 'jpay', pricing: 'balance', review: 'all' });
  assert.ok([200, 201].includes(jp.status), JSON.stringify(jp.body));
  const priced = await operator.put(`/facilities/${jail.id}/prices`, { message_cents: 50 });
  assert.equal(priced.status, 200, JSON.stringify(priced.body));
  await addResident(operator, jail, RAY);

  prison = await facilityNamed(PRISON);
  const pp = await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay', review: 'all' });
  assert.ok([200, 201].includes(pp.status), JSON.stringify(pp.body));
  await addResident(operator, prison, ANA);

  const email = uniqueEmail('lucia');
  assert.equal((await apiClient(base).post('/accounts',
    { email, password: PASSWORD, full_name: 'Lucía Moss', phone: '555 010 4410' })).status, 201);
  // Paying needs a confirmed address (the support CLI confirms it; a server that asks no confirmation has no such command).
  await kiteCli(['user', 'verify-email', '--db', join(tmp, 'kite.db'), email]).catch(() => {});
  const client = await signedInClient(base, { email, password: PASSWORD });
  // Her account reads Spanish too, where the server keeps a language (otherwise this is ignored).
  await client.patch('/me', { lang: 'es' });
  const contactId = await connect(client, jail, RAY);
  await connect(client, prison, ANA);
  // $50 on her balance, and 5 stamps for the prison.
  await fundContact(client, prison.id, 'stamps', 5);
  family = { email, client, contactId };
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the directory in Spanish: search, a typo\'s suggestion, nothing found, a facility', TIMEOUT, async () => {
  const visitor = await newPage(browser, DESKTOP, ES);
  const { page } = visitor;
  await page.goto(`${base}/`);
  // The page's modules (and the Spanish catalogue) have run once the heading is there.
  await page.getByRole('heading', { level: 1, name: 'Buscar un centro' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  assert.equal(await page.title().then((s) => s.startsWith('Buscar un centro')), true);
  await page.getByRole('heading', { name: 'Cómo funciona' }).waitFor();
  await page.getByRole('button', { name: 'Buscar', exact: true }).waitFor();
  const box = page.getByLabel('Nombre del centro, ciudad o código postal');
  await page.getByRole('search', { name: 'Directorio de centros' }).waitFor();
  await page.getByLabel('Estado o territorio').waitFor();
  await page.getByLabel('Tipo de centro').waitFor();
  await assertAccessible(page, 'the search page in Spanish');

  // A typo: the suggestion, in Spanish.
  await box.fill('colman county jail');
  await page.locator('#did-you-mean').waitFor();
  assert.match(await text(page.locator('#result-count')), /^No se encontraron centros para “colman county jail”\.$/);
  assert.match(await text(page.locator('.suggestion .panel-title')), /^¿Quiso decir coleman county jail\?$/);
  assert.match(await text(page.locator('.suggestion')), /centros? encontrados? para “coleman county jail”/);
  await assertAccessible(page, 'a suggestion in Spanish');

  // Nothing at all: what to try.
  await box.fill('qqqqxxxxzzzz');
  await page.getByRole('heading', { name: 'No hubo coincidencias. Puede intentar lo siguiente:' }).waitFor();
  assert.match(await text(page.locator('.empty')), /Revise la ortografía/);

  // Found, counted in Spanish, with a state filter.
  await box.fill('coleman');
  await page.waitForFunction(() => /encontrados? para “coleman”/.test(document.getElementById('result-count').textContent));
  await page.getByLabel('Estado o territorio').selectOption('TX');
  await page.waitForFunction(() => /en Texas/.test(document.getElementById('result-count').textContent));
  assert.match(await text(page.locator('#result-count')), /^[\d,]+ centros? encontrados? para “coleman” \(en Texas\)\.$/);
  assert.match(await text(page.locator('summary')), /\(1 en uso\)/);
  const result = page.locator('li.result').filter({ hasText: JAIL });
  assert.match(await text(result.locator('.badge--kite')), /^En Kite$/);
  assert.match(await text(result.locator('.badge-label').first()), /^Mensajes:$/);
  await assertAccessible(page, 'the results in Spanish');
  await noSideways(page, 'search');

  // The facility.
  await result.getByRole('link', { name: JAIL }).click();
  await page.getByRole('heading', { level: 1, name: JAIL }).waitFor();
  await page.getByRole('heading', { level: 2, name: 'Cómo enviar mensajes a alguien de aquí' }).waitFor();
  assert.match(await text(page.getByTestId('platform-notice')), /^Kite da servicio a este centro\. Puede intercambiar mensajes/);
  await page.getByRole('heading', { name: 'Pida ser su contacto' }).waitFor();
  await page.getByRole('heading', { name: 'Normas de este centro' }).waitFor();
  await page.getByRole('heading', { name: 'Dirección y contacto' }).waitFor();
  await page.getByRole('heading', { name: 'Quién ofrece cada servicio' }).waitFor();
  await page.getByRole('heading', { name: 'Sobre este centro' }).waitFor();
  await page.getByRole('link', { name: '← Volver a la búsqueda' }).waitFor();
  await page.locator('.request-box').getByRole('link', { name: 'Iniciar sesión' }).waitFor();
  assert.match(await text(page.locator('.fineprint').last()), /^Estos datos vienen de registros públicos/);
  await page.getByTestId('prices').waitFor();
  await assertAccessible(page, 'a facility in Spanish');
  await noSideways(page, 'facility');

  // Back to the same results.
  await page.getByRole('link', { name: '← Volver a la búsqueda' }).click();
  await page.waitForFunction(() => /en Texas/.test(document.getElementById('result-count')?.textContent || ''));

  // A facility that is not there.
  await page.goto(`${base}/facilities/999999999`);
  await page.getByRole('heading', { level: 1, name: 'No pudimos encontrar este centro' }).waitFor();
  await page.getByRole('link', { name: 'Buscar en el directorio' }).waitFor();
  await visitor.close([/404/]);
});

test('a contact in Spanish: the request form, the messages page, a conversation, the price and counter, send and withdraw; the wallet\'s plans', TIMEOUT, async () => {
  const fam = await newPage(browser, DESKTOP, ES);
  const { page } = fam;
  await signIn(page, family.email);

  // The facility's request form: an empty request is refused at the field, in Spanish.
  await page.goto(`${base}/facilities/${jail.id}`);
  const form = page.locator('form.request-form');
  await page.getByRole('heading', { name: 'Pida ser su contacto' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  await form.getByRole('button', { name: 'Enviar solicitud' }).click();
  assert.match(await text(page.locator('#f-req-resident_number-error')), /Escriba su número de residente\.$/);
  await page.getByRole('link', { name: 'Ver sus contactos y solicitudes' }).waitFor();
  await assertAccessible(page, 'the request form with an error, in Spanish');

  // The messages page.
  await page.goto(`${base}/messages`);
  await page.getByRole('heading', { level: 1, name: 'Mensajes' }).waitFor();
  await page.getByRole('heading', { level: 2, name: '2 conversaciones' }).waitFor();
  const convo = page.locator(`li[data-contact-id="${family.contactId}"]`);
  assert.equal(await text(convo.locator('.convo-meta')), `${JAIL} · número de residente ${RAY.number}`);
  assert.equal(await text(convo.locator('.convo-last')), 'Todavía no hay mensajes.');
  await page.getByRole('heading', { name: 'Guarde una copia de todos sus mensajes' }).waitFor();
  await page.getByRole('link', { name: 'Descargar como datos (.json)' }).waitFor();
  await assertAccessible(page, 'the messages page in Spanish');
  await noSideways(page, 'messages');

  // The conversation.
  await convo.getByRole('link').click();
  await page.getByRole('heading', { level: 1, name: 'Mensajes con Ray Moss' }).waitFor();
  assert.equal(await page.title().then((s) => s.startsWith('Mensajes con Ray Moss')), true);
  assert.equal(await text(page.locator('.thread-empty')), 'Todavía no hay mensajes. Escriba el primero abajo.');
  await page.getByRole('heading', { level: 2, name: 'Escribir a Ray Moss' }).waitFor();
  await page.getByRole('link', { name: '← Todos los mensajes' }).waitFor();
  assert.equal(await page.getAttribute('[data-testid=thread]', 'aria-label'), 'Mensajes con Ray Moss');
  const send = page.getByRole('button', { name: 'Enviar mensaje' });
  await send.click();
  assert.match(await text(page.locator('#f-msg-body-error')), /Escriba su mensaje\.$/);
  await assertAccessible(page, 'the composer with an error, in Spanish');

  // The counter and the price before sending: es-US money.
  const body = 'Hola Ray, ¿cómo estás? Los niños te mandan saludos.';
  await page.getByLabel('Su mensaje').fill(body);
  assert.equal(await text(page.getByTestId('char-count')), `${[...body].length} de 12,500 caracteres`);
  const quote = page.getByTestId('price-quote');
  await page.waitForFunction(() => /cuesta/.test(document.querySelector('[data-testid=price-quote]').textContent));
  assert.equal(await text(quote), `Este mensaje cuesta $0.50. Usted tiene ${await balanceShown()}. Solo se cobra si se entrega.`);
  await noSideways(page, 'thread');

  // Sent: the notice, the status, what is held, the time in Spanish.
  await send.click();
  await page.getByText('Enviado. Ray Moss lo recibirá después de que el centro lo revise.').waitFor();
  const sent = (await family.client.get('/messages?box=sent')).body.items[0];
  const card = page.locator(`[data-testid=thread] li[data-message-id="${sent.id}"]`);
  assert.match(await text(card.getByTestId('msg-status')), /^En espera de la revisión del centro$/);
  assert.equal(await text(card.getByTestId('msg-price')), 'Cantidad retenida hasta la entrega: $0.50. Si no se entrega, se le devuelve.');
  assert.match(await card.locator('article').getAttribute('aria-label'), new RegExp(`^Usted escribió, \\d{1,2} de ${month} de \\d{4}`));
  assert.equal(await text(card.locator('.msg-from')), 'Usted');
  await assertAccessible(page, 'a conversation in Spanish');

  // Withdrawn, with the question asked first.
  await card.getByTestId('msg-withdraw').click();
  assert.match(await text(card.locator('.confirm-question')),
    /^¿Retirar este mensaje\? Ray Moss nunca lo recibirá y el centro no lo revisará\. Se le devuelve lo retenido \(\$0\.50\)\. Esto no se puede deshacer\.$/);
  await card.getByRole('button', { name: 'Sí, retirarlo' }).click();
  await page.locator('.live').getByText('Retirado. No se le cobró este mensaje.').waitFor();
  await page.waitForFunction((id) => document.querySelector(`li[data-message-id="${id}"]`)?.dataset.status === 'withdrawn', sent.id);
  assert.match(await text(page.locator(`li[data-message-id="${sent.id}"] [data-testid=msg-status]`)), /^Retirado .*Retirado\. No se le cobró este mensaje\.$/);

  // The wallet's part for messages: stamps at the prison, es-US money.
  await page.goto(`${base}/wallet`);
  const plans = page.getByTestId('message-plans');
  await page.getByRole('heading', { name: 'Pago de mensajes' }).waitFor();
  const plan = page.getByTestId(`plan-${prison.id}`);
  await plan.waitFor();
  assert.match(await text(plan), /Usted le escribe a Ana Ruiz en este centro\. Aquí los mensajes se pagan con estampillas: 1 estampilla por cada página de hasta 2,500 caracteres\./);
  assert.match(await text(plan), /Sus estampillas aquí5 estampillas/);
  await plan.getByRole('group', { name: 'Comprar estampillas' }).waitFor();
  await plan.getByRole('radio', { name: '5 estampillas por $2.00' }).waitFor();
  assert.match(await text(page.getByTestId(`bundle-${prison.id}-summary`)), /^Se descontarán \$2\.00 de su saldo de \$\d+\.\d\d\.$/);
  await plan.getByRole('button', { name: 'Pagar $2.00' }).waitFor();
  assert.match(await text(page.getByTestId(`plan-${jail.id}`)), /Aquí los mensajes se pagan con su saldo; el precio de cada uno se muestra antes de enviarlo\./);
  assert.ok(await plans.isVisible());
  await assertAccessible(page, 'the wallet\'s plans in Spanish');
  await noSideways(page, 'wallet');
  await fam.close();

  /* The balance as the wallet says it, in es-US money. */
  async function balanceShown() {
    const w = (await family.client.get('/wallet')).body;
    return new Intl.NumberFormat('es-US', { style: 'currency', currency: 'USD' }).format(w.balance_cents / 100);
  }
});
