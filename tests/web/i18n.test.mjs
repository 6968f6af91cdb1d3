// Every sentence the pages show has its Spanish, with the same placeholders, and the Spanish
// catalogue holds nothing the pages no longer say.  No browser: this reads web/*.js as text.
//
// What counts as a sentence: the literal first argument of t('...') and N_('...'), the two
// literal forms of tn(n, '...', '...'), and the literal of tp('...', {...}).  A t() of a
// variable is a table word marked with N_ elsewhere.  Building a sentence around t() with +
// or ${} is refused: the Spanish word order differs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const WEB = join(ROOT, 'web');

function jsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'i18n') out.push(...jsFiles(p));
    } else if (name.endsWith('.js') && name !== 'i18n.js') {
      out.push(p);
    }
  }
  return out;
}

/* Reads a JS string literal at src[i] (a quote); returns { value, end } or null when it is not one. */
function literal(src, i) {
  const q = src[i];
  if (q !== '\'' && q !== '"' && q !== '`') return null;
  let value = '';
  let j = i + 1;
  while (j < src.length && src[j] !== q) {
    if (src[j] === '\\') {
      const c = src[j + 1];
      value += c === 'n' ? '\n' : c === 't' ? '\t' : c;
      j += 2;
      continue;
    }
    if (q === '`' && src[j] === '$' && src[j + 1] === '{') return { value, end: j, interpolated: true };
    value += src[j];
    j += 1;
  }
  return { value, end: j + 1, interpolated: false };
}

const skipSpace = (src, i) => {
  while (i < src.length && /\s/.test(src[i])) i += 1;
  return i;
};

/* The index just past the first argument of a call (at the comma at depth 0), or -1. */
function pastFirstArgument(src, i) {
  let depth = 0;
  for (let j = i; j < src.length; j += 1) {
    const c = src[j];
    if (c === '(' || c === '[' || c === '{') depth += 1;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return -1;
      depth -= 1;
    } else if (c === ',' && depth === 0) return j + 1;
  }
  return -1;
}

function lineOf(src, i) {
  return src.slice(0, i).split('\n').length;
}

/* { keys: Map(sentence -> 'file:line'), problems: [] } */
function collect() {
  const keys = new Map();
  const problems = [];
  for (const file of jsFiles(WEB)) {
    const src = readFileSync(file, 'utf8');
    const where = (i) => `${relative(ROOT, file)}:${lineOf(src, i)}`;
    const take = (i, what) => {
      const at = skipSpace(src, i);
      const lit = literal(src, at);
      if (!lit) return { end: at, dynamic: true };
      if (lit.interpolated) {
        problems.push(`${where(at)}: ${what} with \${} inside: use a {placeholder}`);
        return { end: at, dynamic: true };
      }
      const after = skipSpace(src, lit.end);
      if (src[after] === '+') problems.push(`${where(at)}: ${what} joined with +: write one sentence`);
      if (!keys.has(lit.value)) keys.set(lit.value, where(at));
      return { end: after, dynamic: false };
    };
    for (const m of src.matchAll(/(?<![\w.$])(t|N_|tp|tn)\(/g)) {
      const open = m.index + m[0].length;
      if (m[1] === 'tn') {
        let i = pastFirstArgument(src, open);
        if (i < 0) {
          problems.push(`${where(m.index)}: tn( without its forms`);
          continue;
        }
        const one = take(i, 'tn');
        if (one.dynamic) continue;
        i = src[one.end] === ',' ? one.end + 1 : one.end;
        take(i, 'tn');
      } else {
        take(open, m[1]);
      }
    }
  }
  return { keys, problems };
}

const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

async function catalogue() {
  const parts = {};
  const dir = join(WEB, 'i18n', 'es');
  const clashes = [];
  const merged = {};
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.js')).sort()) {
    const part = (await import(pathToFileURL(join(dir, name)).href)).default;
    parts[name] = part;
    for (const [k, v] of Object.entries(part)) {
      if (k in merged && merged[k] !== v) clashes.push(`"${k}" is in two parts with different Spanish`);
      merged[k] = v;
    }
  }
  const whole = (await import(pathToFileURL(join(WEB, 'i18n', 'es.js')).href)).default;
  return { merged, whole, clashes, parts };
}

test('pages build sentences with t(), never around it', () => {
  const { problems } = collect();
  assert.deepEqual(problems, []);
});

test('every sentence the pages show has its Spanish, with the same placeholders', async () => {
  const { keys } = collect();
  const { whole, clashes } = await catalogue();
  assert.deepEqual(clashes, []);
  const missing = [];
  const wrong = [];
  for (const [key, where] of keys) {
    if (key === '') continue;
    const es = whole[key];
    if (typeof es !== 'string' || es.trim() === '') {
      missing.push(`${where}: ${JSON.stringify(key)}`);
      continue;
    }
    if (placeholders(es).join() !== placeholders(key).join()) wrong.push(`${where}: ${JSON.stringify(key)} → ${JSON.stringify(es)}`);
  }
  assert.deepEqual(missing, [], `${missing.length} sentences have no Spanish`);
  assert.deepEqual(wrong, [], 'placeholders differ');
  assert.ok(keys.size > 0);
});

test('the Spanish catalogue holds only sentences the pages still use', async () => {
  const { keys } = collect();
  const { whole } = await catalogue();
  const unused = Object.keys(whole).filter((k) => !keys.has(k));
  assert.deepEqual(unused, [], 'entries no page uses (the English changed?)');
});
