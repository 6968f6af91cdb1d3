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
import { t, tn, N_, formatMoney, formatDate, formatCount, locale } from '../i18n.js';
import { formKit } from '../forms.js';
import { emptyNote } from '../widgets.js';
import { dollarsToCents } from './wallet.js';

/* ---- the public price list ---- */

/* An amount under a dollar in cents ("11¢"), else in dollars; for the reader's language. */
function cents(n) {
  return n < 100 ? t('{n}¢', { n: formatCount(n) }) : formatMoney(n);
}

const stampCount = (n) => tn(n, '{n} stamp', '{n} stamps');
const creditCount = (n) => tn(n, '{n} credit', '{n} credits');

function listRow(term, value) {
  return h('div', { class: 'fact' }, h('dt', null, term), h('dd', null, value));
}

/* units(n): "10 stamps" in the reader's language. */
function bundleTable(offers, units, caption) {
  if (!offers.length) return null;
  return h('table', { class: 'price-table' },
    h('caption', null, caption),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, t('Bundle')), h('th', { scope: 'col' }, t('Price')), h('th', { scope: 'col' }, t('You save')))),
    h('tbody', null, offers.map((b) => h('tr', null,
      h('th', { scope: 'row' }, units(b.count)),
      h('td', null, formatMoney(b.price_cents)),
      h('td', null, b.discount_cents > 0 ? formatMoney(b.discount_cents) : '—')))));
}

/* What one message costs under the facility's model, in words. */
function messageFacts(p) {
  const s = p.schedule;
  if (s.model === 'stamps') {
    return [
      listRow(t('A message'), t('1 stamp for each page of up to {chars} characters', { chars: formatCount(s.page_chars) })),
      listRow(t('A photo'), tn(s.stamps_per_photo, '{n} more stamp', '{n} more stamps')),
      listRow(t('A video message'), tn(s.stamps_per_video, '{n} more stamp', '{n} more stamps')),
      s.reply_stamps > 0 ? listRow(t('A prepaid reply'), stampCount(s.reply_stamps)) : null,
      listRow(t('One stamp'), formatMoney(s.stamp_unit_cents)),
    ];
  }
  if (s.model === 'credits') {
    return [
      listRow(t('A message'), creditCount(s.credits_per_message)),
      listRow(t('A photo'), creditCount(s.credits_per_photo)),
      listRow(t('A video message'), creditCount(s.credits_per_video)),
      listRow(t('One credit'), formatMoney(s.credit_unit_cents)),
    ];
  }
  if (s.model === 'subscription') {
    return [listRow(t('Messages'), t('{price} a month', { price: formatMoney(s.subscription_cents_per_month) })),
      listRow(t('A photo'), cents(s.photo_cents)), listRow(t('A video message'), cents(s.video_cents))];
  }
  const text = s.block_chars > 0
    ? t('{price} for each {chars} characters', { price: cents(s.block_cents), chars: formatCount(s.block_chars) })
    : (s.message_cents > 0 ? t('{price} each', { price: cents(s.message_cents) }) : t('Free'));
  return [listRow(t('A message'), text), s.photo_cents > 0 ? listRow(t('A photo'), cents(s.photo_cents)) : null,
    s.video_cents > 0 ? listRow(t('A video message'), cents(s.video_cents)) : null];
}

/* The price list as a panel; the FCC asks for rates to be disclosed before anyone signs up. */
export function pricesPanel(p) {
  const phone = p.phone;
  const tiers = p.transfers.fee_tiers;
  return h('section', { class: 'panel prices', 'aria-labelledby': 'prices-heading', 'data-testid': 'prices' },
    h('h2', { id: 'prices-heading', class: 'panel-title' }, t('Prices at this facility')),
    h('p', { class: 'muted' }, t('What things cost here, before you pay anything. You are only charged for messages that are delivered.')),
    h('h3', null, t('Messages and photos')),
    h('dl', { class: 'facts facts--grid', 'data-testid': 'message-prices' }, messageFacts(p)),
    bundleTable(p.bundles.stamps, stampCount, t('Stamps come in bundles: the larger the bundle, the less each stamp costs.')),
    bundleTable(p.bundles.credits, creditCount, t('Credits come in bundles: the larger the bundle, the less each credit costs.')),
    h('h3', null, t('Sending money')),
    h('table', { class: 'price-table', 'data-testid': 'transfer-fees' },
      h('caption', null, t('The fee for sending money to someone here. You can send from {min} to {max} at a time, up to {monthly} a month.', {
        min: formatMoney(p.transfers.min_cents), max: formatMoney(p.transfers.max_cents), monthly: formatMoney(p.transfers.monthly_cents),
      })),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('Amount sent')), h('th', { scope: 'col' }, t('Fee')))),
      h('tbody', null, tiers.map((tier, i) => h('tr', null,
        h('th', { scope: 'row' }, t('{from} to {to}', {
          from: formatMoney(i === 0 ? p.transfers.min_cents : tiers[i - 1].up_to_cents + 1), to: formatMoney(tier.up_to_cents),
        })),
        h('td', null, formatMoney(tier.fee_cents)))))),
    h('h3', null, t('Phone and video calls')),
    h('dl', { class: 'facts facts--grid', 'data-testid': 'call-prices' },
      listRow(t('Phone calls'), t('{price} a minute (the FCC\'s limit here: {cap})',
        { price: cents(phone.audio_cents_per_minute), cap: cents(phone.audio_cap_cents) })),
      // Visits are booked only where the facility publishes visit times, and paid only for the minutes connected.
      listRow(t('Video visits'), t('{price} a minute, only for the minutes a visit is connected, where this facility publishes visit times (the FCC\'s limit here: {cap})',
        { price: cents(phone.video_cents_per_minute), cap: cents(phone.video_cap_cents) })),
      listRow(t('Adding money to a phone account'), t('No fee')),
      p.terminal.cents_per_minute > 0
        ? listRow(t('Tablet time for the person inside'), t('{price} a minute', { price: cents(p.terminal.cents_per_minute) })) : null),
    h('p', { class: 'fineprint' }, t('The FCC limits what calls from prisons and jails may cost ({order}) and forbids fees on phone deposits.',
      { order: phone.fcc_order })));
}

/* ---- staff: editing the prices ---- */

/* kind: usd (typed in dollars), count (a whole number), rate (cents a minute). */
const GROUPS = [
  [N_('Messages and photos'), [
    ['message_cents', N_('Price of a message'), 'usd', N_('Under the balance model, when messages are not priced by length.')],
    ['block_chars', N_('Characters per priced block'), 'count', N_('0 prices each message as one, whatever its length.')],
    ['block_cents', N_('Price of a block of characters'), 'usd'],
    ['photo_cents', N_('Price of a photo'), 'usd'],
    ['video_cents', N_('Price of a video message'), 'usd', N_('On a balance or a subscription; where the policy allows videos.')],
    ['subscription_cents_per_month', N_('Subscription, per month'), 'usd'],
    ['terminal_cents_per_minute', N_('Tablet time, per minute'), 'usd', N_('Paid by the resident from the trust account.')],
  ]],
  [N_('Stamps'), [
    ['stamp_unit_cents', N_('One stamp at full price'), 'usd', N_('Bundle discounts are shown against this price.')],
    ['stamps_per_photo', N_('Stamps for each photo'), 'count'],
    ['stamps_per_video', N_('Stamps for each video message'), 'count'],
    ['reply_stamps', N_('Stamps for a prepaid reply'), 'count', N_('0: no prepaid replies are sold.')],
  ]],
  [N_('Credits'), [
    ['credit_unit_cents', N_('One credit at full price'), 'usd'],
    ['credits_per_message', N_('Credits for each message'), 'count'],
    ['credits_per_photo', N_('Credits for each photo'), 'count'],
    ['credits_per_video', N_('Credits for each video message'), 'count'],
  ]],
  [N_('Sending money'), [
    ['transfer_min_cents', N_('Smallest transfer'), 'usd'],
    ['transfer_max_cents', N_('Largest transfer'), 'usd'],
    ['transfer_monthly_cents', N_('Most one person may send in a month'), 'usd'],
  ]],
  [N_('Phone and video'), [
    ['audio_cents_per_minute', N_('Phone calls, cents per minute'), 'rate'],
    ['video_cents_per_minute', N_('Video visits, cents per minute'), 'rate'],
  ]],
];
/* The pricing model's code in words, in the sentence above the form. */
const MODEL_NAMES = {
  balance: N_('balance'), stamps: N_('stamps'), credits: N_('credits'), subscription: N_('subscription'),
};
const BUNDLE_ROWS = 4;
const TIER_ROWS = 8;

/* Cents as the text of a dollars input ("0.25"): what dollarsToCents reads back, in any language. */
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
      'aria-label': t('{column}, row {number}', { column: label, number: formatCount(i + 1) }), 'aria-describedby': `f-prices-${name}-error`,
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
    if (n === null) kit.fieldError(f.name, f.kind === 'usd' ? t('Type an amount in dollars, like 0.25.') : t('Type a whole number.'));
    else out[f.name] = n;
  }
  for (const l of lists) {
    const items = [];
    let bad = false;
    for (const pair of l.cells) {
      const texts = pair.map((input) => input.value.trim());
      if (!texts[0] && !texts[1]) continue;
      const values = texts.map((text, c) => (l.cols[c][2] === 'usd' ? dollarsToCents(text) : (/^\d+$/.test(text) ? Number(text) : null)));
      if (values.includes(null)) bad = true;
      else items.push({ [l.cols[0][0]]: values[0], [l.cols[1][0]]: values[1] });
    }
    if (bad) kit.fieldError(l.name, t('Fill both boxes of each row you use, with an amount in dollars or a whole number.'));
    else out[l.name] = items;
  }
  return kit.hasErrors() ? null : out;
}

/* The staff tab: the form, filled with the facility's prices (its defaults until it saves its own). */
export async function pricesTab({ ctx, facility: f, body }, live) {
  replace(body, h('p', { class: 'loading', role: 'status' }, t('Loading the prices…')));
  const p = await api(`/facilities/${f.id}/prices`);
  if (!ctx.isCurrent()) return;
  const caps = { audio_cents_per_minute: p.phone.audio_cap_cents, video_cents_per_minute: p.phone.video_cap_cents };
  const fields = GROUPS.flatMap(([, specs]) => specs.map(([name, label, kind, hint]) => numberField(name, t(label), kind,
    name in caps ? t('The FCC\'s cap here is {cap}¢ a minute ({order}).', { cap: formatCount(caps[name]), order: p.phone.fcc_order })
      : hint && t(hint))));
  const smallestFirst = t('Smallest first. Leave a row empty to sell fewer bundles.');
  const lists = [
    listField('stamp_bundles', t('Stamp bundles'), smallestFirst, BUNDLE_ROWS,
      [['count', t('Stamps'), 'count'], ['price_cents', t('Price in dollars'), 'usd']]),
    listField('credit_bundles', t('Credit bundles'), smallestFirst, BUNDLE_ROWS,
      [['count', t('Credits'), 'count'], ['price_cents', t('Price in dollars'), 'usd']]),
    listField('fee_tiers', t('Transfer fees'), t('Each row: amounts up to this much cost this fee. Smallest first.'), TIER_ROWS,
      [['up_to_cents', t('Up to, in dollars'), 'usd'], ['fee_cents', t('Fee in dollars'), 'usd']]),
  ];
  const kit = formKit([...fields, ...lists], t('Save prices'), t('Saving…'), { buttonClass: 'button' });
  const byName = (n) => fields.find((x) => x.name === n);
  const grid = (names) => h('div', { class: 'policy-grid' }, names.map((n) => byName(n).wrap));
  const form = h('form', { class: 'form prices-form', novalidate: true }, kit.alert,
    GROUPS.map(([title, specs]) => h('fieldset', { class: 'policy-group' }, h('legend', null, t(title)), grid(specs.map(([n]) => n)))),
    lists.map((l) => l.wrap),
    h('p', { class: 'form-buttons' }, kit.button));
  fillForm(fields, lists, p.editable);
  const changed = h('p', { class: 'muted', 'data-testid': 'prices-changed' });
  const describe = (q) => replace(changed, q.custom
    ? t('Last changed {date}. Every change is recorded with its old and new value.', { date: formatDate(q.updated_at) })
    : t('This facility charges its profile\'s default prices. Save to set its own.'));
  describe(p);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const out = readForm(kit, fields, lists);
    if (!out) {
      kit.topError(t('Some prices need a change. They are marked below.'));
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
      live.say(t('The prices are saved. They apply to everything bought from now on.'));
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e);
    }
  });

  replace(body, live.el,
    h('section', { class: 'section', 'aria-labelledby': 'prices-heading' },
      h('h2', { id: 'prices-heading' }, t('Prices')),
      h('p', null, t('The pricing model ({model}) and the page size are set in the policy. Families see these prices on the facility\'s public page before they sign up.',
        { model: MODEL_NAMES[p.schedule.model] ? t(MODEL_NAMES[p.schedule.model]) : p.schedule.model })),
      changed,
      h('div', { class: 'card' }, form)));
}

/* ---- staff: the revenue report ---- */

const KIND_NAMES = {
  purchase: N_('Bundles sold'),
  capture: N_('Messages delivered'),
  transfer: N_('Money transfers'),
  deposit: N_('Phone account deposits'),
  call: N_('Phone calls'),
  fee: N_('Fees'),
  refund: N_('Refunds'),
  adjustment: N_('Corrections'),
  subscription: N_('Subscriptions'),
  terminal_time: N_('Terminal time'),
};
const REVENUE_COLUMNS = [N_('What'), N_('Count'), N_('Facility'), N_('Provider'), N_('Fees'), N_('Total')];

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

/* A YYYY-MM-DD day in words, read as the UTC day it names (not the browser's time zone). */
function dayName(day) {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(locale(), { timeZone: 'UTC', year: 'numeric', month: 'long', day: 'numeric' });
}

function reportTable(r) {
  const rows = [...r.items.map((i) => [KIND_NAMES[i.kind] ? t(KIND_NAMES[i.kind]) : i.kind, i]), [t('Total'), r.total]];
  // Six columns may be wider than a phone: the table scrolls in a region a keyboard can reach,
  // and the period is said above it, where it does not scroll away.
  const period = t('Revenue from {from} to {to}, in dollars.', { from: dayName(r.from), to: dayName(r.to) });
  return [h('p', { class: 'muted', 'aria-hidden': 'true' }, period),
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('Revenue by kind') }, h('table', { class: 'price-table revenue-table', 'data-testid': 'revenue-table' },
      h('caption', { class: 'visually-hidden' }, period),
    h('thead', null, h('tr', null, REVENUE_COLUMNS.map((col) => h('th', { scope: 'col' }, t(col))))),
    h('tbody', null, rows.map(([name, l]) => h('tr', { class: l === r.total ? 'total' : null },
      h('th', { scope: 'row' }, name), h('td', null, formatCount(l.transactions)),
      [l.facility_revenue_cents, l.provider_revenue_cents, l.fees_cents, l.total_cents].map((c) => h('td', null, formatMoney(c))))))))];
}

export async function revenueTab({ ctx, facility: f, body }) {
  const today = new Date();
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
  const from = h('input', { id: 'f-rev-from', type: 'date', value: isoDay(first), 'aria-describedby': 'f-rev-from-error' });
  const to = h('input', { id: 'f-rev-to', type: 'date', value: isoDay(today), 'aria-describedby': 'f-rev-to-error' });
  const fromField = { name: 'from', input: from, error: h('p', { id: 'f-rev-from-error', class: 'field-error', hidden: true }), labelText: t('From') };
  const toField = { name: 'to', input: to, error: h('p', { id: 'f-rev-to-error', class: 'field-error', hidden: true }), labelText: t('To') };
  fromField.wrap = h('div', { class: 'field' }, h('label', { for: from.id }, t('From')), fromField.error, from);
  toField.wrap = h('div', { class: 'field' }, h('label', { for: to.id }, t('To (included)')), toField.error, to);
  const kit = formKit([fromField, toField], t('Show the report'), t('Loading…'), { buttonClass: 'button' });
  const result = h('div', { class: 'revenue-result', role: 'status' });
  const download = h('a', { class: 'button button--secondary', 'data-testid': 'revenue-csv' }, t('Download CSV'));
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
      replace(result, r.items.length ? reportTable(r) : emptyNote(t('Nothing was earned in this period.')),
        h('p', { class: 'muted' }, [
          t('Stamps sold: {sold}, spent: {spent}.', { sold: formatCount(units.stamps.sold), spent: formatCount(units.stamps.spent) }),
          t('Credits sold: {sold}, spent: {spent}.', { sold: formatCount(units.credits.sold), spent: formatCount(units.credits.spent) }),
        ].join(' ')));
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
    h('h2', { id: 'revenue-heading' }, t('Revenue')),
    h('p', null, t('What this facility earned, by kind, from the ledger. Days are in UTC. The CSV has the same lines.')),
    h('div', { class: 'card' }, form), result));
  await show();
}
