// The staff pages for a Spanish reader (a browser set to es-US): the staff console (roster with a
// CSV upload and its row-by-row report, staff, policy editor, prices, revenue), the review queue
// and its screening rules, and the phone system API keys, as the facility's admin, a mail-room
// reviewer and an operator see them.  Each page: <html lang="es">, Spanish headings, buttons,
// labels and messages, money and dates for es-US, a form error where it is cheap, axe-core finds
// nothing, and nothing scrolls sideways at 360 px.  A real kite server, a real
// `kite processor-sandbox` (messages are paid for), a real Chromium.
//
// Run from the repository root:  node --test tests/web/spanish-staff.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  KITE_BIN, CHROMIUM, PASSWORD, SHOTS, TIMEOUT, DESKTOP, startServer, stopServer, kiteCli, launchBrowser, newPage,
  apiClient, signedInClient, uniqueEmail, assertAccessible, startSandbox, stopSandbox, fundContact, fundResident, confirmEmail,
  finishSignIn, expectText,
} from './helpers.mjs';

const NARROW = { width: 360, height: 740 };
// A Spanish reader who picked Spanish here (the accounts are made in English by the API).
const ES = { locale: 'es-US', chosen: 'es' };

let server;
let sandbox;
let base;
let browser;
let tmp;
let prison; // AVENAL STATE PRISON, jpay profile, every message reviewed
let operatorEmail;
let adminEmail;
let reviewerEmail;
let family;

before(async () => {
  if (!existsSync(KITE_BIN)) throw new Error(`no kite binary at ${KITE_BIN}: build it (ninja -C build) or set KITE_BIN`);
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM`);
  tmp = mkdtempSync(join(tmpdir(), 'kite-web-es-staff-'));
  mkdirSync(SHOTS, { recursive: true });
  sandbox = await startSandbox();
  const started = await startServer(tmp, { extra: ['--processor', sandbox.url] });
  server = started.child;
  base = started.url;
  operatorEmail = uniqueEmail('operator');
  await kiteCli(['user', 'add', '--db', join(tmp, 'kite.db'), '--role', 'operator', '--email', operatorEmail, '--name', 'Olive Operator'], `${PASSWORD}\n`);
  const operator = await signedInClient(base, { email: operatorEmail, password: PASSWORD });
  const found = await apiClient(base).get(`/facilities?q=${encodeURIComponent('avenal state prison')}`);
  prison = found.body.items.find((x) => x.name === 'AVENAL STATE PRISON');
  assert.ok(prison, 'the directory has AVENAL STATE PRISON');
  assert.equal((await operator.put(`/facilities/${prison.id}/policy`, { profile: 'jpay', review: 'all' })).status, 201);
  const added = await operator.post(`/facilities/${prison.id}/residents`,
    { resident_number: 'E5001', first_name: 'Eva', last_name: 'Marsh', pin: '864213' });
  assert.equal(added.status, 201);
  await fundResident(operator, added.body.id);
  adminEmail = uniqueEmail('admin');
  reviewerEmail = uniqueEmail('reviewer');
  assert.equal((await operator.post(`/facilities/${prison.id}/staff`,
    { email: adminEmail, full_name: 'Ada Admin', role: 'facility_admin', password: PASSWORD })).status, 201);
  assert.equal((await operator.post(`/facilities/${prison.id}/staff`,
    { email: reviewerEmail, full_name: 'Rita Reviewer', role: 'reviewer', password: PASSWORD })).status, 201);

  // A family member with a contact and stamps, whose message waits for review.
  const email = uniqueEmail('family');
  assert.equal((await apiClient(base).post('/accounts',
    { email, password: PASSWORD, full_name: 'Frank Marsh', phone: '+1 555 010 4000' })).status, 201);
  const client = await signedInClient(base, { email, password: PASSWORD });
  assert.equal((await client.post('/contact-requests', { facility_id: prison.id, resident_number: 'E5001' })).status, 201);
  const resident = await signedInClient(base, { facility_id: prison.id, resident_number: 'E5001', pin: '864213' });
  const pending = (await resident.get('/contact-requests')).body.items.find((q) => q.status === 'pending');
  assert.equal((await resident.post(`/contact-requests/${pending.id}/approve`)).status, 200);
  const contact = (await client.get('/contacts')).body.items[0];
  await confirmEmail(join(tmp, 'kite.db'), email);
  await fundContact(client, prison.id, 'stamps', 10);
  family = { client, contactId: contact.id };
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  await stopServer(server);
  stopSandbox(sandbox);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/* Signs in through the page by the inputs' names, so it works whatever the language. */
async function signIn(page, email) {
  await page.goto(`${base}/signin`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await finishSignIn(page, base, email); // staff: the two-factor code
  await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
}

const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/* The page in Spanish, accessible, not wider than a 360 px phone; then back to the desktop. */
async function checkPage(page, what) {
  assert.equal(await page.locator('html').getAttribute('lang'), 'es', `${what}: <html lang="es">`);
  await assertAccessible(page, `${what} in Spanish`);
  await page.setViewportSize(NARROW);
  await page.waitForTimeout(100);
  assert.equal(await overflow(page), 0, `${what} scrolls sideways at 360 px in Spanish`);
  await page.screenshot({ path: join(SHOTS, `es-${what.replace(/\W+/g, '-')}-360.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

test('the facility admin runs the roster, staff, policy, prices and revenue in Spanish', TIMEOUT, async () => {
  const admin = await newPage(browser, DESKTOP, ES);
  const { page } = admin;
  await signIn(page, adminEmail);
  await page.goto(`${base}/staff`);
  await page.getByRole('heading', { level: 1, name: 'AVENAL STATE PRISON' }).waitFor();
  assert.deepEqual(await page.locator('.tabs a').allTextContents(),
    ['Lista de residentes', 'Personal', 'Bloqueos', 'Normas', 'Precios', 'Ingresos']);
  await page.getByRole('heading', { level: 2, name: 'Lista de residentes' }).waitFor();
  await page.locator('[data-testid=roster] li[data-number="E5001"]').waitFor();
  await expectText(page.locator('.count-line'), /^Se muestra 1 persona\.$/);
  await expectText(page.locator('[data-testid=roster]'), /Activo/);
  await page.getByRole('link', { name: 'Claves API del sistema telefónico' }).waitFor();

  // A form error in Spanish, next to its field.
  await page.getByRole('button', { name: 'Agregar a la lista' }).click();
  await expectText(page.locator('#f-add-resident_number-error'), /Escriba el número de residente\.$/);

  // The roster file: one good row, one without a first name; the report says which, in Spanish.
  await page.getByRole('heading', { name: 'Importar un archivo de residentes' }).waitFor();
  // The file button is the page's, in Spanish (the browser's own would speak the browser's language).
  await page.locator('label.file-button', { hasText: 'Elegir un archivo' }).waitFor();
  await expectText(page.getByTestId('roster-file-name'), 'Ningún archivo elegido');
  await page.getByLabel('Archivo de la lista de residentes (CSV)').setInputFiles({
    name: 'lista.csv', mimeType: 'text/csv',
    buffer: Buffer.from('resident_number,first_name,last_name,pin\nE5002,Ana,Lopez,246801\nE5003,,Sinnombre,\n'),
  });
  await page.getByRole('button', { name: 'Importar lista' }).click();
  const report = page.getByTestId('roster-import-result');
  await report.getByText('lista.csv: 2 filas leídas. Agregadas: 1, actualizadas: 0, sin cambios: 0, rechazadas: 1.').waitFor();
  const problems = page.getByTestId('roster-problems');
  await expectText(problems.locator('caption'), /^Filas no importadas/);
  assert.deepEqual(await problems.locator('th').allTextContents(), ['Línea', 'Motivo']);
  await expectText(problems.locator('tbody td').first(), '3');
  await page.locator('[data-testid=roster] li[data-number="E5002"]').waitFor();
  await expectText(page.locator('.count-line'), /^Se muestran 2 personas\.$/);
  await checkPage(page, 'staff roster after an import');

  // Staff.
  await page.getByRole('link', { name: 'Personal', exact: true }).click();
  await page.getByRole('heading', { name: 'Agregar a alguien al personal' }).waitFor();
  await expectText(page.getByTestId('staff-list'), /Ada Admin/);
  await page.getByRole('button', { name: 'Agregar al personal' }).click();
  await expectText(page.locator('#f-staff-full_name-error'), /Escriba su nombre completo\.$/);
  await checkPage(page, 'staff accounts');

  // Blocks: the empty list.
  await page.getByRole('link', { name: 'Bloqueos' }).click();
  await page.getByRole('heading', { name: 'Bloquear una dirección' }).waitFor();
  await page.getByText('No hay bloqueos.', { exact: false }).waitFor();
  await checkPage(page, 'staff blocks');

  // The policy editor: each field's label and hint, a number out of range refused in Spanish.
  await page.getByRole('link', { name: 'Normas' }).click();
  await page.getByRole('heading', { level: 2, name: 'Normas' }).waitFor();
  assert.deepEqual(await page.locator('.policy-group legend').allTextContents(),
    ['Inicio del contacto', 'Mensajes', 'Revisión y lista de residentes', 'Conservación']);
  const limit = page.getByLabel('Máximo de contactos por residente');
  await limit.waitFor();
  await expectText(page.locator('#f-pol-contact_limit-hint'), 'De 1 a 1,000.');
  await expectText(page.locator('#f-pol-contact_initiation option[value=contact_requests]'),
    'Familiares y amigos envían una solicitud');
  await expectText(page.locator('.section .muted').first(), /^Último cambio: \d{1,2} de [a-z]+ de \d{4}\./);
  await limit.fill('5000');
  await page.getByRole('button', { name: 'Guardar normas' }).click();
  await expectText(page.locator('#f-pol-contact_limit-error'), /Escriba un número de 1 a 1,000\.$/);
  await page.getByText('Algunas reglas necesitan un cambio. Están marcadas abajo.').waitFor();
  await checkPage(page, 'policy editor with an error');

  // Prices: the form in Spanish, money in dollars as es-US writes them, a bad amount refused.
  await page.getByRole('link', { name: 'Precios' }).click();
  await page.getByRole('heading', { level: 2, name: 'Precios' }).waitFor();
  await expectText(page.getByTestId('prices-changed'), /precios predeterminados/);
  await expectText(page.locator('#f-prices-audio_cents_per_minute-hint'), /^El límite de la FCC aquí es de 11\u00a0¢ por minuto/);
  await page.getByLabel('Precio de un mensaje', { exact: true }).fill('tres');
  await page.getByRole('button', { name: 'Guardar precios' }).click();
  await expectText(page.locator('#f-prices-message_cents-error'), /Escriba una cantidad en dólares, como 0\.25\.$/);
  await checkPage(page, 'prices editor with an error');

  // Revenue: the stamps the family bought, the period's dates in Spanish.
  await page.getByRole('link', { name: 'Ingresos' }).click();
  await page.getByRole('heading', { level: 2, name: 'Ingresos' }).waitFor();
  const table = page.getByTestId('revenue-table');
  await table.waitFor();
  assert.deepEqual(await table.locator('thead th').allTextContents(), ['Concepto', 'Cantidad', 'Centro', 'Proveedor', 'Cargos', 'Total']);
  await expectText(table.getByRole('row', { name: /^Paquetes vendidos/ }), /\$\d+\.\d\d/);
  await expectText(page.locator('.revenue-result p.muted').first(),
    /^Ingresos del \d{1,2} de [a-z]+ de \d{4} al \d{1,2} de [a-z]+ de \d{4}, en dólares\.$/);
  await page.getByText(/^Estampillas vendidas: 10, usadas: 0\./).waitFor();
  await checkPage(page, 'revenue report');

  // The public price list, which the same module draws on the facility page.
  await page.goto(`${base}/facilities/${prison.id}`);
  const prices = page.getByTestId('prices');
  await prices.getByRole('heading', { name: 'Precios en este centro' }).waitFor();
  await expectText(prices.getByTestId('call-prices'), /Llamadas telefónicas11\u00a0¢ por minuto \(el límite de la FCC aquí: 11\u00a0¢\)/);
  await expectText(prices.getByTestId('transfer-fees'), /De \$0\.01 a \$20\.00\$3\.50/);
  await expectText(prices.getByRole('table', { name: /Las estampillas vienen en paquetes/ }), /10 estampillas\$\d+\.\d\d/);
  await admin.close();
});

test('the facility admin makes and revokes a phone system key in Spanish', TIMEOUT, async () => {
  const admin = await newPage(browser, DESKTOP, ES);
  const { page } = admin;
  await signIn(page, adminEmail);
  await page.goto(`${base}/staff/phone-keys?facility=${prison.id}`);
  await page.getByRole('heading', { level: 1, name: 'Claves API del sistema telefónico' }).waitFor();
  await page.getByText('Todavía no hay claves.').waitFor();
  await checkPage(page, 'phone keys, none yet');
  await page.getByRole('button', { name: 'Crear una clave nueva' }).click();
  await page.getByText('Copie esta clave en el sistema telefónico ahora.', { exact: false }).waitFor();
  const row = page.getByTestId('phone-keys').locator('li').first();
  await expectText(row, /creada el \d{1,2} de [a-z]+ de \d{4}.* · nunca usada · activa/);
  await checkPage(page, 'phone keys with a new key');
  await row.getByRole('button', { name: 'Revocar' }).click();
  await page.getByText('¿Revocar la clave', { exact: false }).waitFor();
  await page.getByRole('button', { name: 'Sí, revocarla' }).click();
  await page.getByTestId('phone-keys').getByText(/revocada el/).waitFor();
  await admin.close();
});

test('a mail-room reviewer works the queue and reads the screening rules in Spanish', TIMEOUT, async () => {
  const sent = await family.client.post('/messages', { contact_id: family.contactId, subject: 'Hola Eva', body: 'Te escribo el domingo.' });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const rev = await newPage(browser, DESKTOP, ES);
  const { page } = rev;
  await signIn(page, reviewerEmail);
  await page.goto(`${base}/review`);
  await page.getByRole('heading', { level: 1, name: 'Revisar mensajes' }).waitFor();
  assert.deepEqual(await page.locator('.tabs a').allTextContents(), ['Cola', 'Reglas de filtrado']);
  const item = page.locator(`[data-testid=review-queue] li[data-message-id="${sent.body.id}"]`);
  await item.waitFor();
  await expectText(item.locator('.review-who'),
    /^De Frank Marsh para Eva Marsh \(residente\) · enviado el \d{1,2} de [a-z]+ de \d{4}/);
  await expectText(item.locator('.review-age'), /^En espera .* · plazo /);
  await expectText(page.getByTestId('queue-metrics'), /En espera1/);
  await expectText(page.locator('.keys-help'), /^Teclas: j \/ k siguiente y anterior/);
  await checkPage(page, 'review queue');

  // The reject form: no reason chosen is refused in Spanish; then cancelled.
  await item.getByRole('button', { name: 'Rechazar', exact: true }).click();
  await item.getByRole('heading', { name: 'Rechazar este mensaje' }).waitFor();
  await item.getByRole('button', { name: 'Rechazar mensaje' }).click();
  await expectText(item.locator(`#f-rej-${sent.body.id}-reason-error`), /Elija el motivo que verá quien lo envió\.$/);
  await expectText(item.locator(`#f-rej-${sent.body.id}-reason option[value=""]`), 'Elija un motivo…');
  await checkPage(page, 'review queue with the reject form');
  await item.getByRole('button', { name: 'Cancelar' }).click();

  // Approve: the live line, then the empty queue.
  await item.getByRole('button', { name: 'Aprobar', exact: true }).click();
  await page.locator('.live').getByText(/^Aprobado: “Hola Eva” de Frank Marsh\./).waitFor();
  await page.getByText('No hay nada que revisar.', { exact: false }).waitFor();
  await checkPage(page, 'empty review queue');

  await page.getByRole('link', { name: 'Reglas de filtrado' }).click();
  await page.getByRole('heading', { level: 2, name: 'Reglas de filtrado' }).waitFor();
  await page.getByText('No hay reglas de filtrado.', { exact: false }).waitFor();
  await checkPage(page, 'screening rules, read only');

  // A reviewer reads the roster and cannot change it.
  await page.goto(`${base}/staff`);
  await page.getByText('Puede leer la lista de residentes. Los administradores del centro la cambian.').waitFor();
  await checkPage(page, 'roster for a reviewer');
  await rev.close();
});

test('the operator chooses a facility and edits its screening rules in Spanish', TIMEOUT, async () => {
  const op = await newPage(browser, DESKTOP, ES);
  const { page } = op;
  await signIn(page, operatorEmail);
  await page.goto(`${base}/staff`);
  await page.getByRole('heading', { level: 1, name: 'Elija un centro' }).waitFor();
  await page.getByLabel('Centro', { exact: true }).waitFor();
  await checkPage(page, 'operator facility picker');
  await page.goto(`${base}/review?facility=${prison.id}&tab=rules`);
  await page.getByRole('heading', { name: 'Agregar una regla' }).waitFor();
  await page.getByRole('button', { name: 'Agregar regla' }).click();
  await expectText(page.locator('#f-rule-value-error'), /Escriba qué busca la regla\.$/);
  await page.getByLabel('Qué buscar').fill('contrabando');
  await page.getByLabel('Cuando coincide').selectOption('hold');
  await page.getByRole('button', { name: 'Agregar regla' }).click();
  await page.getByText('Regla agregada: los mensajes nuevos que coincidan con “contrabando” se retienen.').waitFor();
  await checkPage(page, 'screening rules for the operator');
  await op.close();
});
