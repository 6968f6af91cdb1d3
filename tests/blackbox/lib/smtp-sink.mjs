// A tiny SMTP server for black-box tests: it accepts every mail and records it.
//
//   const sink = new SmtpSink();
//   await sink.start();               // 127.0.0.1, an ephemeral port (sink.port, sink.url)
//   sink.failNext(1, { stage: 'data', code: 451 });   // refuse the next transaction once
//   await sink.waitForMessages(1);
//   sink.messages[0]                  // { from, to: [...], data, rawData, receivedAt, session }
//   await sink.stop();                // closes the port; start() again reuses the SAME port
//   sink.stall = true;                // accept connections but never answer (a hung relay)
//
// Speaks EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET, NOOP,
// VRFY, QUIT. No TLS, no AUTH. node:net only.
//
// parseMessage(data) splits a received message into headers and MIME parts and
// decodes RFC 2047 encoded-words, quoted-printable and base64, so tests can check
// what a person would read.

import net from 'node:net';

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

export class SmtpSink {
  constructor({ host = '127.0.0.1', port = 0, greeting = 'kite-test-sink ESMTP' } = {}) {
    this.host = host;
    this.port = port;
    this.greeting = greeting;
    this.server = null;
    this.sockets = new Set();
    this.messages = [];     // accepted transactions
    this.rejected = [];     // transactions refused by failNext, with the stage and code
    this.log = [];          // every command line received, in order: { session, line }
    this.sessions = 0;      // connections accepted so far
    this.failures = [];     // queue of { stage, code, text }
    this.stall = false;     // when true, new connections are accepted and never answered
    this.waiters = [];
  }

  get url() {
    return `smtp://${this.host}:${this.port}`;
  }

  get running() {
    return this.server !== null;
  }

  /** Listens (on the port of the previous start, if any). Resolves when listening. */
  async start() {
    if (this.server) return this;
    const server = net.createServer((sock) => this.#session(sock));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = server.address().port;
    return this;
  }

  /** Stops listening and drops every open connection. The port is kept for start(). */
  async stop() {
    if (!this.server) return;
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise((resolve) => server.close(() => resolve()));
  }

  /**
   * Makes the next n transactions fail at stage ('mail', 'rcpt', 'data' = the DATA
   * command, 'end' = after the message was received) with code (default 451).
   */
  failNext(n = 1, { stage = 'data', code = 451, text } = {}) {
    for (let i = 0; i < n; i++) this.failures.push({ stage, code, text: text || 'Requested action aborted: try again later' });
  }

  /** Resolves when at least count messages were accepted; rejects after timeoutMs. */
  waitForMessages(count, timeoutMs = 15_000) {
    if (this.messages.length >= count) return Promise.resolve(this.messages);
    return new Promise((resolve, reject) => {
      const waiter = { count, resolve, timer: null };
      waiter.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`SMTP sink: ${this.messages.length} of ${count} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Messages sent to address (case-insensitive, with or without angle brackets). */
  messagesTo(address) {
    const a = address.toLowerCase();
    return this.messages.filter((m) => m.to.some((t) => t.toLowerCase() === a));
  }

  #accepted(msg) {
    this.messages.push(msg);
    const ready = this.waiters.filter((w) => this.messages.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.messages.length < w.count);
    for (const w of ready) {
      clearTimeout(w.timer);
      w.resolve(this.messages);
    }
  }

  #takeFailure(stage) {
    if (this.failures.length && this.failures[0].stage === stage) return this.failures.shift();
    return null;
  }

  #session(sock) {
    this.sockets.add(sock);
    this.sessions += 1;
    const session = this.sessions;
    let buf = Buffer.alloc(0);
    let inData = false;
    let dataLines = [];
    let dataBytes = 0;
    let tx = null; // { from, to: [] }
    const reply = (text) => { if (!sock.destroyed) sock.write(`${text}\r\n`); };
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    if (this.stall) return; // a relay that hangs: no greeting, ever
    reply(`220 ${this.greeting}`);

    const command = (line) => {
      this.log.push({ session, line });
      const verb = line.split(' ')[0].toUpperCase();
      const arg = line.slice(verb.length).trim();
      switch (verb) {
        case 'EHLO':
          tx = null;
          reply('250-kite-test-sink greets you');
          reply('250-8BITMIME');
          reply('250-SMTPUTF8');
          reply(`250 SIZE ${MAX_MESSAGE_BYTES}`);
          return;
        case 'HELO':
          tx = null;
          reply('250 kite-test-sink');
          return;
        case 'MAIL': {
          const m = /^FROM:\s*<([^>]*)>/i.exec(arg);
          if (!m) { reply('501 Syntax: MAIL FROM:<address>'); return; }
          if (tx) { reply('503 Nested MAIL command'); return; }
          const f = this.#takeFailure('mail');
          if (f) { this.rejected.push({ stage: 'mail', code: f.code, from: m[1], to: [], session }); reply(`${f.code} ${f.text}`); return; }
          tx = { from: m[1], to: [] };
          reply('250 OK');
          return;
        }
        case 'RCPT': {
          const m = /^TO:\s*<([^>]*)>/i.exec(arg);
          if (!m) { reply('501 Syntax: RCPT TO:<address>'); return; }
          if (!tx) { reply('503 MAIL first'); return; }
          const f = this.#takeFailure('rcpt');
          if (f) { this.rejected.push({ stage: 'rcpt', code: f.code, from: tx.from, to: [m[1]], session }); reply(`${f.code} ${f.text}`); return; }
          tx.to.push(m[1]);
          reply('250 OK');
          return;
        }
        case 'DATA': {
          if (!tx || tx.to.length === 0) { reply('503 RCPT first'); return; }
          const f = this.#takeFailure('data');
          if (f) {
            this.rejected.push({ stage: 'data', code: f.code, from: tx.from, to: tx.to, session });
            tx = null;
            reply(`${f.code} ${f.text}`);
            return;
          }
          inData = true;
          dataLines = [];
          dataBytes = 0;
          reply('354 End data with <CR><LF>.<CR><LF>');
          return;
        }
        case 'RSET':
          tx = null;
          reply('250 OK');
          return;
        case 'NOOP':
          reply('250 OK');
          return;
        case 'VRFY':
          reply('252 Cannot VRFY user');
          return;
        case 'QUIT':
          reply('221 Bye');
          sock.end();
          return;
        default:
          reply('500 Command not recognised');
      }
    };

    const endOfData = () => {
      inData = false;
      const rawData = dataLines.join('\r\n') + (dataLines.length ? '\r\n' : '');
      const f = this.#takeFailure('end');
      if (f) {
        this.rejected.push({ stage: 'end', code: f.code, from: tx.from, to: tx.to, data: rawData, session });
        reply(`${f.code} ${f.text}`);
      } else if (dataBytes > MAX_MESSAGE_BYTES) {
        reply('552 Message too big');
      } else {
        const msg = { from: tx.from, to: tx.to, data: rawData, receivedAt: Date.now(), session };
        this.#accepted(msg);
        reply(`250 OK queued as ${this.messages.length}`);
      }
      tx = null;
    };

    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) break;
        let line = buf.subarray(0, nl);
        buf = buf.subarray(nl + 1);
        if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        const text = line.toString('utf8');
        if (inData) {
          if (text === '.') { endOfData(); continue; }
          const unstuffed = text.startsWith('.') ? text.slice(1) : text;
          dataBytes += Buffer.byteLength(unstuffed) + 2;
          if (dataBytes <= MAX_MESSAGE_BYTES) dataLines.push(unstuffed);
        } else {
          command(text);
        }
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Reading what was received

/** Decodes RFC 2047 encoded-words (B and Q) in a header value; folding removed first. */
export function decodeHeader(value) {
  const unfolded = value.replace(/\r?\n[ \t]/g, ' ');
  // White space between two adjacent encoded-words is not part of the text.
  return unfolded
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?[^?]+\?[BbQq]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset, enc, text) => {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return bytes.toString(/^utf-?8$/i.test(charset) ? 'utf8' : 'latin1');
    });
}

/** Decodes a quoted-printable body to a string (UTF-8). */
export function decodeQuotedPrintable(text) {
  const noSoft = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < noSoft.length; i++) {
    const c = noSoft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(noSoft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(noSoft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function splitHead(text) {
  const sep = text.indexOf('\r\n\r\n');
  const head = sep < 0 ? text : text.slice(0, sep);
  const body = sep < 0 ? '' : text.slice(sep + 4);
  const headers = {};
  const order = [];
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    (headers[name] ||= []).push(value);
    order.push(name);
  }
  return { headers, order, body, rawHead: head };
}

function decodeBody(body, headers) {
  const cte = (headers['content-transfer-encoding']?.[0] || '7bit').toLowerCase();
  if (cte === 'quoted-printable') return decodeQuotedPrintable(body);
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/**
 * Parses a message (CRLF line ends). Returns
 * { headers: {lower-name: [raw values]}, header(name) → decoded first value,
 *   parts: [{ type, charset, encoding, headers, raw, text }], text (the text/plain), html, rawHead, lines }.
 */
export function parseMessage(data) {
  const { headers, order, body, rawHead } = splitHead(data);
  const header = (name) => {
    const v = headers[name.toLowerCase()];
    return v ? decodeHeader(v[0]) : undefined;
  };
  const ctype = headers['content-type']?.[0] || 'text/plain';
  const parts = [];
  const bm = /boundary="?([^";]+)"?/i.exec(ctype);
  if (/^multipart\//i.test(ctype) && bm) {
    const delim = `--${bm[1]}`;
    const chunks = body.split(`\r\n${delim}`);
    // chunks[0] is the preamble (which may itself start with the delimiter when empty)
    for (let i = 1; i < chunks.length; i++) {
      const chunk = chunks[i];
      if (chunk.startsWith('--')) break; // close delimiter
      const partText = chunk.replace(/^[ \t]*\r\n/, '');
      const p = splitHead(partText);
      const pct = p.headers['content-type']?.[0] || 'text/plain';
      parts.push({
        type: pct.split(';')[0].trim().toLowerCase(),
        charset: (/charset="?([^";]+)"?/i.exec(pct)?.[1] || '').toLowerCase(),
        encoding: (p.headers['content-transfer-encoding']?.[0] || '7bit').toLowerCase(),
        headers: p.headers,
        raw: p.body,
        text: decodeBody(p.body, p.headers),
      });
    }
  } else {
    parts.push({
      type: ctype.split(';')[0].trim().toLowerCase(),
      charset: (/charset="?([^";]+)"?/i.exec(ctype)?.[1] || '').toLowerCase(),
      encoding: (headers['content-transfer-encoding']?.[0] || '7bit').toLowerCase(),
      headers,
      raw: body,
      text: decodeBody(body, headers),
    });
  }
  return {
    headers,
    order,
    header,
    parts,
    text: parts.find((p) => p.type === 'text/plain')?.text,
    html: parts.find((p) => p.type === 'text/html')?.text,
    rawHead,
    lines: data.split('\r\n'),
  };
}
