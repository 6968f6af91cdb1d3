// A facility's prices and revenue.  Three parts: the public price list on the facility page
// (what messages, photos, bundles, transfers, calls and tablet time cost, with the FCC cap, before
// anyone registers), the staff tab where an operator or the facility's admin edits them, and the
// staff tab with the revenue report and its CSV.
//
// Design: amounts are typed in dollars and turned into whole cents by splitting the text
// (dollarsToCents), never by floating point; per-minute phone and video rates are typed in cents,
// as the FCC caps are written.  The edit form sends every number and list, and the server answers
// 422 naming the member at fault: each member has its field (or, for a list, its fieldset), so
// the message appears where the mistake is.

import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { formatDate, formatCount, plural } from '../labels.js';
import { formKit } from '../forms.js';
import { emptyNote } from '../widgets.js';
import { dollarsToCents, usd } from './wallet.js';

/* ---- the public price list ---- */

function cents(n) {
  return n < 100 ? `${n}¢` : usd(n);
}

function listRow(term, value) {
  return h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, value));
}

function bundleTable(offers, unitName, caption) {
  if (!offers.length) return null;
  return h('table', { class: 'price-table' },
    h('caption', null, caption),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Bundle'), h('th', { scope: 'col' }, 'Price'), h('th', { scope: 'col' }, 'You save'))),
    h('tbody', null, offers.map((b) => h('tr', null,
      h('th', { scope: 'row' }, plural(b.count, unitName, `${unitName}s`)),
      h('td', null, usd(b.price_cents)),
      h('td', null, b.discount_cents > 0 ? usd(b.discount_cents) : '—')))));
}

/* What one message costs under the facility's model, in words. */
function messageFacts(p) {
  const s = p.schedule;
  if (s.model === 'stamps') {
    return [
      listRow('A message', `1 stamp for each page of up to ${formatCount(s.page_chars)} characters`),
      listRow('A photo', plural(s.stamps_per_photo, 'more stamp', 'more stamps')),
      s.reply_stamps > 0 ? listRow('A prepaid reply', plural(s.reply_stamps, 'stamp', 'stamps')) : null,
      listRow('One stamp', usd(s.stamp_unit_cents)),
    ];
  }
  if (s.model === 'credits') {
    return [
      listRow('A message', plural(s.credits_per_message, 'credit', 'credits')),
      listRow('A photo', plural(s.credits_per_photo, 'credit', 'credits')),
      listRow('One credit', usd(s.credit_unit_cents)),
    ];
  }
  if (s.model === 'subscription') {
    return [listRow('Messages', `${usd(s.subscription_cents_per_month)} a month`), listRow('A photo', cents(s.photo_cents))];
  }
  const text = s.block_chars > 0
    ? `${cents(s.block_cents)} for each ${formatCount(s.block_chars)} characters`
    : (s.message_cents > 0 ? `${cents(s.message_cents)} each` : 'Free');
  return [listRow('A message', text), s.photo_cents > 0 ? listRow('A photo', cents(s.photo_cents)) : null];
}

/* The price list as a panel; the FCC asks for rates to be disclosed before anyone signs up. */
export function pricesPanel(p) {
  const phone = p.phone;
  const tiers = p.transfers.fee_tiers;
  return h('section', { class: 'panel prices', 'aria-labelledby': 'prices-heading', 'data-testid': 'prices' },
    h('h2', { id: 'prices-heading', class: 'panel-title' }, 'Prices at this facility'),
    h('p', { class: 'muted' }, 'What things cost here, before you pay anything. You are only charged for messages that are delivered.'),
    h('h3', null, 'Messages and photos'),
    h('dl', { class: 'facts facts--grid', 'data-testid': 'message-prices' }, messageFacts(p)),
    bundleTable(p.bundles.stamps, 'stamp', 'Stamps come in bundles: the larger the bundle, the less each stamp costs.'),
    bundleTable(p.bundles.credits, 'credit', 'Credits come in bundles: the larger the bundle, the less each credit costs.'),
    h('h3', null, 'Sending money'),
    h('table', { class: 'price-table', 'data-testid': 'transfer-fees' },
      h('caption', null, `The fee for sending money to someone here. You can send from ${usd(p.transfers.min_cents)} to ${usd(p.transfers.max_cents)} at a time, up to ${usd(p.transfers.monthly_cents)} a month.`),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Amount sent'), h('th', { scope: 'col' }, 'Fee'))),
      h('tbody', null, tiers.map((t, i) => h('tr', null,
        h('th', { scope: 'row' }, `${i === 0 ? usd(p.transfers.min_cents) : usd(tiers[i - 1].up_to_cents + 1)} to ${usd(t.up_to_cents)}`),
        h('td', null, usd(t.fee_cents)))))),
    h('h3', null, 'Phone and video calls'),
    h('dl', { class: 'facts facts--grid', 'data-testid': 'call-prices' },
      listRow('Phone calls', `${cents(phone.audio_cents_per_minute)} a minute (the FCC's limit here: ${cents(phone.audio_cap_cents)})`),
      // Kite does not run video visits yet: the rate is set ahead, and the page must not suggest they exist.
      listRow('Video calls', `${cents(phone.video_cents_per_minute)} a minute once Kite offers video calls, which it does not yet (the FCC's limit here: ${cents(phone.video_cap_cents)})`),
      listRow('Adding money to a phone account', 'No fee'),
      p.terminal.cents_per_minute > 0 ? listRow('Tablet time for the person inside', `${cents(p.terminal.cents_per_minute)} a minute`) : null),
    h('p', { class: 'fineprint' }, `The FCC limits what calls from prisons and jails may cost (${phone.fcc_order}) and forbids fees on phone deposits.`));
}

/* ---- staff: editing the prices ---- */

/* kind: usd (typed in dollars), count (a whole number), rate (cents a minute). */
const GROUPS = [
  ['Messages and photos', [
    ['message_cents', 'Price of a message', 'usd', 'Under the balance model, when messages are not priced by length.'],
    ['block_chars', 'Characters per priced block', 'count', '0 prices each message as one, whatever its length.'],
    ['block_cents', 'Price of a block of characters', 'usd'],
    ['photo_cents', 'Price of a photo', 'usd'],
    ['subscription_cents_per_month', 'Subscription, per month', 'usd'],
    ['terminal_cents_per_minute', 'Tablet time, per minute', 'usd', 'Paid by the resident from the trust account.'],
  ]],
  ['Stamps', [
    ['stamp_unit_cents', 'One stamp at full price', 'usd', 'Bundle discounts are shown against this price.'],
    ['stamps_per_photo', 'Stamps for each photo', 'count'],
    ['reply_stamps', 'Stamps for a prepaid reply', 'count', '0: no prepaid replies are sold.'],
  ]],
  ['Credits', [
    ['credit_unit_cents', 'One credit at full price', 'usd'],
    ['credits_per_message', 'Credits for each message', 'count'],
    ['credits_per_photo', 'Credits for each photo', 'count'],
  ]],
  ['Sending money', [
    ['transfer_min_cents', 'Smallest transfer', 'usd'],
    ['transfer_max_cents', 'Largest transfer', 'usd'],
    ['transfer_monthly_cents', 'Most one person may send in a month', 'usd'],
  ]],
  ['Phone and video', [
    ['audio_cents_per_minute', 'Phone calls, cents per minute', 'rate'],
    ['video_cents_per_minute', 'Video calls, cents per minute', 'rate'],
  ]],
];
const BUNDLE_ROWS = 4;
const TIER_ROWS = 8;

function moneyText(c) {
  return (c / 100).toFixed(2);
}

function numberField(name, label, kind, hint) {
  const id = `f-prices-${name}`;
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  const input = h('input', {
    id, name, type: 'text', autocomplete: 'off', inputmode: kind === 'usd' ? 'decimal' : 'numeric',
    'aria-describedby': [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' '),
  });
  const prefix = kind === 'usd' ? h('span', { class: 'input-prefix', 'aria-hidden': 'true' }, '$') : null;
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, error,
    prefix ? h('div', { class: 'input-with-prefix' }, prefix, input) : input);
  return { name, wrap, input, error, labelText: label, kind };
}

/* A list (bundles or fee tiers) as rows of two inputs, with one error for the whole list. */
function listField(name, legend, hint, rows, [first, second]) {
  const error = h('p', { id: `f-prices-${name}-error`, class: 'field-error', hidden: true });
  const cells = [];
  const body = [];
  for (let i = 0; i < rows; i += 1) {
    const pair = [first, second].map(([col, label, kind]) => h('input', {
      id: `f-prices-${name}-${i}-${col}`, type: 'text', autocomplete: 'off', inputmode: kind === 'usd' ? 'decimal' : 'numeric',
      'aria-label': `${label}, row ${i + 1}`, 'aria-describedby': `f-prices-${name}-error`,
    }));
    cells.push(pair);
    body.push(h('div', { class: 'list-row' }, pair));
  }
  const wrap = h('fieldset', { class: 'policy-group price-list', id: `f-prices-${name}` },
    h('legend', null, legend), h('p', { class: 'hint' }, hint),
    h('div', { class: 'list-row list-head', 'aria-hidden': 'true' }, h('span', null, first[1]), h('span', null, second[1])),
    error, body);
  return { name, wrap, input: cells[0][0], error, labelText: legend, cells, cols: [first, second] };
}

function fillForm(fields, lists, editable) {
  for (const f of fields) {
    const v = editable[f.name];
    f.input.value = f.kind === 'usd' ? moneyText(v) : String(v);
  }
  for (const l of lists) {
    const items = editable[l.name] || [];
    l.cells.forEach((pair, i) => pair.forEach((input, c) => {
      const [col, , kind] = l.cols[c];
      const item = items[i];
      input.value = item ? (kind === 'usd' ? moneyText(item[col]) : String(item[col])) : '';
    }));
  }
}

/* The body of the PUT, or null after marking the fields that cannot be read. */
function readForm(kit, fields, lists) {
  const out = {};
  for (const f of fields) {
    const text = f.input.value.trim();
    const n = f.kind === 'usd' ? dollarsToCents(text) : (/^\d+$/.test(text) ? Number(text) : null);
    if (n === null) kit.fieldError(f.name, f.kind === 'usd' ? 'Type an amount in dollars, like 0.25.' : 'Type a whole number.');
    else out[f.name] = n;
  }
  for (const l of lists) {
    const items = [];
    let bad = false;
    for (const pair of l.cells) {
      const texts = pair.map((input) => input.value.trim());
      if (!texts[0] && !texts[1]) continue;
      const values = texts.map((t, c) => (l.cols[c][2] === 'usd' ? dollarsToCents(t) : (/^\d+$/.test(t) ? Number(t) : null)));
      if (values.includes(null)) bad = true;
      else items.push({ [l.cols[0][0]]: values[0], [l.cols[1][0]]: values[1] });
    }
    if (bad) kit.fieldError(l.name, 'Fill both boxes of each row you use, with an amount in dollars or a whole number.');
    else out[l.name] = items;
  }
  return kit.hasErrors() ? null : out;
}

/* The staff tab: the form, filled with the facility's prices (its defaults until it saves its own). */
export async function pricesTab({ ctx, facility: f, body }, live) {
  replace(body, h('p', { class: 'loading', role: 'status' }, 'Loading the prices…'));
  const p = await api(`/facilities/${f.id}/prices`);
  if (!ctx.isCurrent()) return;
  const caps = { audio_cents_per_minute: p.phone.audio_cap_cents, video_cents_per_minute: p.phone.video_cap_cents };
  const fields = GROUPS.flatMap(([, specs]) => specs.map(([name, label, kind, hint]) => numberField(name, label, kind,
    name in caps ? `The FCC's cap here is ${caps[name]}¢ a minute (${p.phone.fcc_order}).` : hint)));
  const lists = [
    listField('stamp_bundles', 'Stamp bundles', 'Smallest first. Leave a row empty to sell fewer bundles.', BUNDLE_ROWS,
      [['count', 'Stamps', 'count'], ['price_cents', 'Price in dollars', 'usd']]),
    listField('credit_bundles', 'Credit bundles', 'Smallest first. Leave a row empty to sell fewer bundles.', BUNDLE_ROWS,
      [['count', 'Credits', 'count'], ['price_cents', 'Price in dollars', 'usd']]),
    listField('fee_tiers', 'Transfer fees', 'Each row: amounts up to this much cost this fee. Smallest first.', TIER_ROWS,
      [['up_to_cents', 'Up to, in dollars', 'usd'], ['fee_cents', 'Fee in dollars', 'usd']]),
  ];
  const kit = formKit([...fields, ...lists], 'Save prices', 'Saving…', { buttonClass: 'button' });
  const byName = (n) => fields.find((x) => x.name === n);
  const grid = (names) => h('div', { class: 'policy-grid' }, names.map((n) => byName(n).wrap));
  const form = h('form', { class: 'form prices-form', novalidate: true }, kit.alert,
    GROUPS.map(([title, specs]) => h('fieldset', { class: 'policy-group' }, h('legend', null, title), grid(specs.map(([n]) => n)))),
    lists.map((l) => l.wrap),
    h('p', { class: 'form-buttons' }, kit.button));
  fillForm(fields, lists, p.editable);
  const changed = h('p', { class: 'muted', 'data-testid': 'prices-changed' });
  const describe = (q) => replace(changed, q.custom
    ? `Last changed ${formatDate(q.updated_at)}. Every change is recorded with its old and new value.`
    : 'This facility charges its profile\'s default prices. Save to set its own.');
  describe(p);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const out = readForm(kit, fields, lists);
    if (!out) {
      kit.topError('Some prices need a change. They are marked below.');
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const saved = await api(`/facilities/${f.id}/prices`, { method: 'PUT', body: out });
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      fillForm(fields, lists, saved.editable);
      describe(saved);
      live.say('The prices are saved. They apply to everything bought from now on.');
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e);
    }
  });

  replace(body, live.el,
    h('section', { class: 'section', 'aria-labelledby': 'prices-heading' },
      h('h2', { id: 'prices-heading' }, 'Prices'),
      h('p', null, `The pricing model (${p.schedule.model}) and the page size are set in the policy. Families see these prices on the facility's public page before they sign up.`),
      changed,
      h('div', { class: 'card' }, form)));
}

/* ---- staff: the revenue report ---- */

const KIND_NAMES = {
  purchase: 'Bundles sold',
  capture: 'Messages delivered',
  transfer: 'Money transfers',
  deposit: 'Phone account deposits',
  call: 'Phone calls',
  fee: 'Fees',
  refund: 'Refunds',
  adjustment: 'Corrections',
  subscription: 'Subscriptions',
  terminal_time: 'Terminal time',
};

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

/* A YYYY-MM-DD day in words, read as the UTC day it names (not the browser's time zone). */
function dayName(day) {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' });
}

function reportTable(r) {
  const rows = [...r.items.map((i) => [KIND_NAMES[i.kind] || i.kind, i]), ['Total', r.total]];
  // Six columns may be wider than a phone: the table scrolls in a region a keyboard can reach,
  // and the period is said above it, where it does not scroll away.
  const period = `Revenue from ${dayName(r.from)} to ${dayName(r.to)}, in dollars.`;
  return [h('p', { class: 'muted', 'aria-hidden': 'true' }, period),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Revenue by kind' }, h('table', { class: 'price-table revenue-table', 'data-testid': 'revenue-table' },
      h('caption', { class: 'visually-hidden' }, period),
    h('thead', null, h('tr', null, ['What', 'Count', 'Facility', 'Provider', 'Fees', 'Total'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map(([name, l]) => h('tr', { class: l === r.total ? 'total' : null },
      h('th', { scope: 'row' }, name), h('td', null, formatCount(l.transactions)),
      [l.facility_revenue_cents, l.provider_revenue_cents, l.fees_cents, l.total_cents].map((c) => h('td', null, usd(c))))))))];
}

export async function revenueTab({ ctx, facility: f, body }) {
  const today = new Date();
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const from = h('input', { id: 'f-rev-from', type: 'date', value: isoDay(first), 'aria-describedby': 'f-rev-from-error' });
  const to = h('input', { id: 'f-rev-to', type: 'date', value: isoDay(today), 'aria-describedby': 'f-rev-to-error' });
  const fromField = { name: 'from', input: from, error: h('p', { id: 'f-rev-from-error', class: 'field-error', hidden: true }), labelText: 'From' };
  const toField = { name: 'to', input: to, error: h('p', { id: 'f-rev-to-error', class: 'field-error', hidden: true }), labelText: 'To' };
  fromField.wrap = h('div', { class: 'field' }, h('label', { for: from.id }, 'From'), fromField.error, from);
  toField.wrap = h('div', { class: 'field' }, h('label', { for: to.id }, 'To (included)'), toField.error, to);
  const kit = formKit([fromField, toField], 'Show the report', 'Loading…', { buttonClass: 'button' });
  const result = h('div', { class: 'revenue-result', role: 'status' });
  const download = h('a', { class: 'button button--secondary', 'data-testid': 'revenue-csv' }, 'Download CSV');
  const form = h('form', { class: 'form revenue-form', novalidate: true }, kit.alert,
    h('div', { class: 'field-row' }, fromField.wrap, toField.wrap), h('p', { class: 'form-buttons' }, kit.button, ' ', download));

  async function show() {
    kit.clear();
    const query = new URLSearchParams({ from: from.value, to: to.value });
    download.href = `/api/v1/facilities/${f.id}/revenue.csv?${query}`;
    download.setAttribute('download', `kite-revenue-${f.id}-${from.value}-${to.value}.csv`);
    kit.busy(true);
    try {
      const r = await api(`/facilities/${f.id}/revenue?${query}`);
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      const units = r.units;
      replace(result, r.items.length ? reportTable(r) : emptyNote('Nothing was earned in this period.'),
        h('p', { class: 'muted' }, `Stamps sold: ${formatCount(units.stamps.sold)}, spent: ${formatCount(units.stamps.spent)}. `
          + `Credits sold: ${formatCount(units.credits.sold)}, spent: ${formatCount(units.credits.spent)}.`));
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  replace(body, h('section', { class: 'section', 'aria-labelledby': 'revenue-heading' },
    h('h2', { id: 'revenue-heading' }, 'Revenue'),
    h('p', null, 'What this facility earned, by kind, from the ledger. Days are in UTC. The CSV has the same lines.'),
    h('div', { class: 'card' }, form), result));
  await show();
}
