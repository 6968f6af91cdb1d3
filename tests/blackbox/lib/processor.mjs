// Starts `kite processor-sandbox` the way lib/kite.mjs starts `kite serve`:
// on 127.0.0.1:0, waiting for the "kite: listening on http://HOST:PORT"
// line, and hands back the same Server handle (stop, logs, HTTP helpers).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KITE_BIN, Server } from './kite.mjs';

const READY_RE = /kite: listening on (http:\/\/127\.0\.0\.1:(\d+))/;

export async function startSandbox(extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kite-bb-processor-'));
  const logPath = path.join(dir, 'sandbox.stderr.log');
  const outPath = path.join(dir, 'sandbox.stdout.log');
  const args = ['processor-sandbox', '--listen', '127.0.0.1:0', ...extraArgs];
  const proc = spawn(KITE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr.pipe(fs.createWriteStream(logPath));
  const out = fs.createWriteStream(outPath);
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('the sandbox did not say where it listens within 30 s')); }, 30_000);
    proc.stdout.on('data', (chunk) => {
      out.write(chunk);
      buf += chunk.toString('utf8');
      const m = READY_RE.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve({ baseUrl: m[1], port: Number(m[2]) });
      }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the sandbox exited before it was ready (code ${code}, signal ${signal}); stdout: ${buf}`));
    });
  });
  return new Server({ proc, dir, dbPath: null, logPath, outPath, exited, run: 1, ...ready });
}

// The documented test cards (src/payment/README.md).
export const CARDS = {
  approved: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
  processorError: '4000 0000 0000 0119',
  slow: '4000 0000 0000 3220',
  expired: '4000 0000 0000 0069',
};

export function chargeBody(number, amountCents = 1000, overrides = {}) {
  return {
    amount_cents: amountCents,
    currency: 'usd',
    card: { number, exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123', ...overrides },
  };
}
