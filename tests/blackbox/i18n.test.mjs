// Spanish on the server: Accept-Language (es, es-MX, es-419 ... with q-values) or the account's
// lang chooses the language of every error's message, with the same code and a Content-Language
// header; a malformed header falls back to English and never fails; PATCH /api/v1/me changes lang
// (for residents too). Mail in the recipient's language, with a name in accents, ñ and emoji
// RFC 2047-encoded in headers and UTF-8 in the body.
import { test, before, after } from 'node:test';
import {
  startServer, assert, assertError, register, signIn, session, uniqueEmail, freshAddress, sleep, failUntilWaiting,
} from './lib/kite.mjs';
import { SmtpSink, parseMessage } from './lib/smtp-sink.mjs';

const ES = { 'Accept-Language': 'es' };
let srv;
let sink;
before(async () => {
  sink = new SmtpSink();
  await sink.start();
  srv = await startServer({
    extraArgs: ['--smtp', sink.url, '--public-url', 'https://kite.test.example', '--mail-from',
      'Kite <no-reply@kite.test.example>'],
  });
});
after(async () => {
  if (srv) await srv.cleanup();
  if (sink) await sink.stop();
});

function assertSpanish(res, status, code, context) {
  assertError(res, status, code, context);
  assert.equal(res.headers['content-language'], 'es', `${context}: Content-Language`);
  assert.match(res.json.error.message, /[áéíóúñ¿¡]|\b(el|la|de|su|Usted|intente)\b/i, `${context}: not Spanish: ${res.json.error.message}`);
}

function assertEnglish(res, status, code, context) {
  assertError(res, status, code, context);
  assert.equal(res.headers['content-language'], 'en', `${context}: Content-Language`);
  assert.doesNotMatch(res.json.error.message, /[áéíóúñ]|\bintente\b/, `${context}: not English: ${res.json.error.message}`);
}

test('Accept-Language: es gives Spanish sentences with the same codes', async () => {
  const missing = { email: uniqueEmail(), password: 'Kite-long-password-1', phone: '+1 555 0100' };
  const en = await srv.post('/api/v1/accounts', missing);
  const es = await srv.post('/api/v1/accounts', missing, { headers: ES });
  assertEnglish(en, 422, 'invalid_field', 'missing field, en');
  assertSpanish(es, 422, 'invalid_field', 'missing field, es');
  assert.equal(es.json.error.field, 'full_name');
  assert.equal(es.json.error.message, 'El campo "full_name" es obligatorio.');

  const badEmail = await srv.post('/api/v1/accounts',
    { email: 'not-an-address', password: 'Kite-long-password-1', full_name: 'Ana', phone: '+1 555 0100' }, { headers: ES });
  assertSpanish(badEmail, 422, 'invalid_field', 'bad email');
  assert.equal(badEmail.json.error.field, 'email');

  const who = await register(srv);
  const wrong = await signIn(srv, who.email, 'wrong-password-123', { headers: ES, localAddress: freshAddress() });
  assertSpanish(wrong, 401, 'invalid_credentials', 'wrong password');

  const nothing = await srv.get('/api/v1/facilities/999999999', { headers: ES });
  assertSpanish(nothing, 404, 'not_found', '404');

  const noSession = await srv.get('/api/v1/me', { headers: { 'Accept-Language': 'es-419' } });
  assertSpanish(noSession, 401, 'unauthenticated', 'es-419 without a session');
});

test('a throttled sign-in says how long to wait, in Spanish', async () => {
  const victim = await register(srv);
  const addr = freshAddress();
  await failUntilWaiting((i) => signIn(srv, victim.email, `wrong-password-${i}`, { localAddress: addr }));
  const res = await signIn(srv, victim.email, victim.password, { headers: ES, localAddress: addr });
  assertSpanish(res, 429, 'too_many_attempts', 'throttle');
  assert.match(res.headers['retry-after'], /^\d+$/);
  assert.match(res.json.error.message, /espere (\d+ segundos|unos \d+ minutos) e intente de nuevo/, res.json.error.message);
});

test('q-values, regions and malformed headers', async () => {
  const path = '/api/v1/facilities/999999999';
  const weighted = await srv.get(path, { headers: { 'Accept-Language': 'es-MX;q=0.9,en;q=0.8' } });
  assertSpanish(weighted, 404, 'not_found', 'es-MX;q=0.9,en;q=0.8');
  const english = await srv.get(path, { headers: { 'Accept-Language': 'en-US,en;q=0.9,es;q=0.8' } });
  assertEnglish(english, 404, 'not_found', 'en first');
  for (const header of ['es;q=2', 'es;;', '!!', 'es-' + 'x'.repeat(20), 'fr', 'es;q=0', '*', 'es;q=0.5 en', 'x'.repeat(600)]) {
    const res = await srv.get(path, { headers: { 'Accept-Language': header } });
    assertEnglish(res, 404, 'not_found', `"${header.slice(0, 30)}"`);
  }
  const none = await srv.get(path);
  assertEnglish(none, 404, 'not_found', 'no header');
});

test('the account\'s lang speaks when the header does not; the header wins; PATCH /me changes it', async () => {
  const ana = await register(srv, { lang: 'es' });
  assert.equal(ana.account.lang, 'es', 'POST /accounts takes lang');
  const s = await session(srv, ana.email, ana.password);
  const me = await srv.get('/api/v1/me', { token: s.token });
  assert.equal(me.json.lang, 'es');

  // A fault after sign-in, without the header: Spanish from the account.
  const bad = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: { lang: 'fr' } });
  assertSpanish(bad, 422, 'invalid_field', 'PATCH lang fr, account es');
  assert.equal(bad.json.error.field, 'lang');
  // The header overrides the account.
  const en = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: { lang: 'fr' }, headers: { 'Accept-Language': 'en' } });
  assertEnglish(en, 422, 'invalid_field', 'PATCH lang fr, header en');
  assert.equal(en.json.error.message, 'The field "lang" must be en (English) or es (Spanish).');

  const unknown = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: { lang: 'en', full_name: 'X' } });
  assertError(unknown, 422, 'invalid_field', 'unknown member');
  assert.equal(unknown.json.error.field, 'full_name');
  const notString = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: { lang: 1 } });
  assertError(notString, 422, 'invalid_field', 'lang not a string');
  const empty = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: {} });
  assertError(empty, 422, 'invalid_field', 'no lang');

  const toEn = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: { lang: 'en' } });
  assert.equal(toEn.status, 200, toEn.text);
  assert.equal(toEn.json.lang, 'en');
  assert.equal((await srv.get('/api/v1/me', { token: s.token })).json.lang, 'en');
  const nowEnglish = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: { lang: 'de' } });
  assertEnglish(nowEnglish, 422, 'invalid_field', 'after switching to en');

  const back = await srv.request('PATCH', '/api/v1/me', { token: s.token, body: { lang: 'es' } });
  assert.equal(back.status, 200);
  assert.equal(back.json.lang, 'es');

  // Registration: the header chooses when the body does not; a bad lang is refused.
  const plain = await register(srv);
  assert.equal(plain.account.lang, 'en', 'no lang, no header: en');
  const viaHeader = await srv.post('/api/v1/accounts', { email: uniqueEmail(), password: 'Kite-long-password-1',
    full_name: 'Luz', phone: '+1 555 0100' }, { headers: ES });
  assert.equal(viaHeader.status, 201, viaHeader.text);
  assert.equal(viaHeader.json.lang, 'es');
  const badLang = await srv.post('/api/v1/accounts', { email: uniqueEmail(), password: 'Kite-long-password-1',
    full_name: 'Luz', phone: '+1 555 0100', lang: 'pt' });
  assertError(badLang, 422, 'invalid_field', 'register lang pt');
  assert.equal(badLang.json.error.field, 'lang');
  assert.equal((await srv.request('PATCH', '/api/v1/me', { body: { lang: 'es' } })).status, 401);
});

/** Decodes one header's raw value, checking that every encoded-word is a valid RFC 2047 UTF-8 B word. */
function decodeRfc2047(raw) {
  const unfolded = raw.replace(/\r\n[ \t]/g, ' ');
  const words = unfolded.split(' ');
  let out = '';
  for (const w of words) {
    const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(w);
    assert.ok(m, `not an RFC 2047 encoded-word: ${w}`);
    assert.ok(w.length <= 75, `an encoded-word longer than 75 characters: ${w}`);
    out += Buffer.from(m[1], 'base64').toString('utf8');
  }
  return out;
}

async function mailTo(to, subject) {
  const until = Date.now() + 20_000;
  for (;;) {
    const found = sink.messagesTo(to).map((m) => ({ m, p: parseMessage(m.data) })).find((x) => x.p.header('Subject') === subject);
    if (found) return found;
    if (Date.now() > until) {
      const got = sink.messagesTo(to).map((m) => parseMessage(m.data).header('Subject'));
      assert.fail(`no mail "${subject}" to ${to}; got ${JSON.stringify(got)}`);
    }
    await sleep(100);
  }
}

test('a Spanish reader\'s mail: Spanish words, RFC 2047 headers, UTF-8 body with the name', async () => {
  const name = 'María José Núñez 🌻';
  const reg = await register(srv, { full_name: name, lang: 'es' });
  const email = reg.email.toLowerCase();
  assert.equal(reg.account.full_name, name);
  const res = await srv.post('/api/v1/password-resets', { email });
  assert.equal(res.status, 202);
  const subject = 'Cambie su contraseña de Kite';
  const { p } = await mailTo(email, subject);
  const rawSubject = p.headers.subject[0];
  assert.notEqual(rawSubject, subject, 'a non-ASCII subject is encoded');
  assert.equal(decodeRfc2047(rawSubject), subject);
  assert.ok(/^[\x20-\x7e\r\n\t]*$/.test(p.rawHead), 'the header block is 7-bit ASCII');
  assert.equal(p.header('Content-Language'), 'es');
  for (const part of p.parts) {
    assert.equal(part.charset, 'utf-8');
    assert.ok(['quoted-printable', 'base64'].includes(part.encoding), part.encoding);
    assert.ok(/^[\x20-\x7e\r\n\t]*$/.test(part.raw), 'the body is 7-bit on the wire');
  }
  assert.ok(p.text.includes(`Hola, ${name}:`), p.text);
  assert.ok(p.text.includes('El enlace de abajo funciona una sola vez'), p.text);
  assert.ok(p.html.includes(name), 'the HTML has the name');
  assert.ok(p.html.includes('lang="es"'));
  // The welcome mail was Spanish too.
  const welcome = await mailTo(email, 'Bienvenido a Kite');
  assert.equal(welcome.p.header('Content-Language'), 'es');
  assert.ok(welcome.p.text.includes(name));
});

test('an English reader\'s mail stays English, with the same name intact', async () => {
  const name = 'Zoë Ñandú 🌻';
  const reg = await register(srv, { full_name: name });
  const email = reg.email.toLowerCase();
  await srv.post('/api/v1/password-resets', { email });
  const { p } = await mailTo(email, 'Reset your Kite password');
  assert.equal(p.header('Content-Language'), 'en');
  assert.ok(p.text.includes(`Hello ${name},`), p.text);
});

test('the providers Kite describes itself are in Spanish too; company names stay as they are', async () => {
  const en = await srv.get('/api/v1/providers');
  const es = await srv.get('/api/v1/providers', { headers: ES });
  assert.equal(en.status, 200);
  assert.equal(es.status, 200);
  const by = (res, slug) => res.json.items.find((p) => p.slug === slug);
  assert.equal(by(en, 'unknown').name, 'Not known yet');
  assert.equal(by(es, 'unknown').name, 'Todavía no se sabe');
  assert.equal(by(es, 'none').name, 'Solo correo postal');
  assert.equal(by(es, 'jpay').name, 'JPay', 'a company is named as it names itself');
  assert.match(by(es, 'jpay').steps[0], /^Cree una cuenta gratis de JPay/);
  assert.match(by(en, 'jpay').steps[0], /^Create a free JPay account/);
  assert.equal(by(es, 'jpay').steps.length, by(en, 'jpay').steps.length);
  // A facility's page: each service's provider and the steps to message someone there.
  const found = await srv.get('/api/v1/facilities?q=fci%20dublin');
  const facility = await srv.get(`/api/v1/facilities/${found.json.items[0].id}`, { headers: ES });
  assert.equal(facility.json.how_to_message.provider.name, 'CorrLinks');
  assert.match(facility.json.how_to_message.steps[0], /TRULINCS/);
  assert.match(facility.json.how_to_message.steps[0], /^Usted no puede iniciar el contacto/);
  assert.equal(facility.json.providers.phone.name, 'Todavía no se sabe');
});
