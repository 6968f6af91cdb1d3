// The wallet's part for messages: for each facility the family member writes to, how its messages
// are paid and what they have to pay them with, and the way to buy it: a bundle of stamps or
// credits, or months of the facility's subscription, paid from the Kite balance.
//
// Design: the facilities come from the person's contacts, the prices from the facility's public
// price list, what they hold (stamps, credits, subscription periods) from GET /wallet.  Each
// section renders once and `update(wallet)` refreshes only what is held, so a purchase's answer
// stays on screen.  The price of the choice is in the summary and on the button before it is
// pressed.  Each purchase gets one Idempotency-Key: kept while the answer is unknown (the network
// failed, or the server failed) and the choice is the same, so pressing again cannot buy twice;
// replaced as soon as an answer is final or the choice changes.  /wallet?facility=ID (the link
// from a message refused for want of stamps or a subscription) shows that facility's section
// (the wallet page passes it to ctx.scrollTo once `ready` has settled).
//
// SECURITY: money.  The client sends only what is bought (facility, unit and count, or months);
// the price is the server's, from the facility's schedule, and the balance cannot go below zero
// (the server answers 402).  Nothing here is stored in the page's storage.

import { api, ApiError, newIdempotencyKey } from '../api.js';
import { h, replace } from '../dom.js';
import { formKit } from '../forms.js';
import { t, tn, formatCount, formatDate, formatMoney } from '../i18n.js';

const SUBSCRIPTION_MONTHS = [1, 3, 6, 12];

const unitWords = (unit, n) => (unit === 'stamps' ? tn(n, '{n} stamp', '{n} stamps') : tn(n, '{n} credit', '{n} credits'));

/* The facilities the person writes to (active contacts at facilities on Kite), each once. */
async function facilitiesWrittenTo() {
  const contacts = await api('/contacts');
  const seen = new Map();
  for (const c of contacts.items) {
    if (c.status !== 'active' || !c.facility.on_platform || seen.has(c.facility.id)) continue;
    seen.set(c.facility.id, { id: c.facility.id, name: c.facility.name, residents: [] });
  }
  for (const c of contacts.items) {
    const f = seen.get(c.facility.id);
    if (f && c.status === 'active') f.residents.push(`${c.resident.first_name} ${c.resident.last_name}`);
  }
  return [...seen.values()];
}

/*
 * A purchase form: a choice among options ({label, cents, body}), the price in the summary and on
 * the button, one Idempotency-Key per purchase.  onDone(answer) reads the answer and refreshes.
 */
function purchaseForm({ id, legend, options, path, balance, onDone, doneWords }) {
  const legendEl = h('legend', null, typeof legend === 'function' ? legend() : legend);
  const fieldset = h('fieldset', { class: 'choice' }, legendEl);
  const radios = options.map((o, i) => {
    const rid = `${id}-opt-${i}`;
    const radio = h('input', { type: 'radio', id: rid, name: `${id}-choice`, value: String(i), checked: i === 0 });
    fieldset.append(h('div', { class: 'radio' }, radio, h('label', { for: rid }, o.label)));
    return radio;
  });
  const kit = formKit([], t('Pay'), t('Paying…'));
  const summary = h('p', { class: 'count-line', 'aria-live': 'polite', 'data-testid': `${id}-summary` });
  const result = h('div', { role: 'status', 'data-testid': `${id}-result` });
  let key = newIdempotencyKey();
  let uncertain = null; // the choice sent when the answer was not final

  const chosen = () => options[Math.max(0, radios.findIndex((r) => r.checked))];
  const showSummary = () => {
    if (typeof legend === 'function') legendEl.textContent = legend();
    const o = chosen();
    kit.setLabel(t('Pay {price}', { price: formatMoney(o.cents) }));
    const now = balance();
    summary.textContent = o.cents <= now
      ? t('{price} will be taken from your balance of {balance}.', { price: formatMoney(o.cents), balance: formatMoney(now) })
      : t('This costs {price} and your balance is {balance}. Add money above first.', { price: formatMoney(o.cents), balance: formatMoney(now) });
  };
  for (const r of radios) r.addEventListener('change', showSummary);
  showSummary();

  const form = h('form', { class: 'form', novalidate: true, 'data-testid': `${id}-form` },
    kit.alert, fieldset, summary, kit.button, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (kit.button.disabled) return;
    kit.clear();
    replace(result);
    const o = chosen();
    const sent = JSON.stringify(o.body);
    if (uncertain !== sent) key = newIdempotencyKey();
    kit.busy(true);
    try {
      const answer = await api(path, { method: 'POST', body: o.body, headers: { 'Idempotency-Key': key } });
      uncertain = null;
      key = newIdempotencyKey();
      replace(result, h('p', { class: 'notice notice--success' }, doneWords(answer, o)));
      await onDone(answer);
    } catch (e) {
      // Any answer but a lost one (no connection) or an internal error is final: a new purchase gets a new key.
      const final = e instanceof ApiError && e.status > 0 && e.status !== 500;
      uncertain = final ? null : sent;
      if (final) key = newIdempotencyKey();
      kit.serverError(new ApiError(e.status, e.code, e.message, null));
    } finally {
      kit.busy(false);
      showSummary();
    }
  });
  return { form, showSummary };
}

/* The periods of a facility's subscription that are bought, merged: from the first start to the last end. */
function activePeriod(wallet, facilityId) {
  const subs = (wallet.subscriptions || []).filter((s) => s.facility_id === facilityId);
  if (!subs.length) return null;
  const starts = subs.map((s) => s.starts_at).sort();
  const ends = subs.map((s) => s.ends_at).sort();
  return { starts_at: starts[0], ends_at: ends[ends.length - 1] };
}

function unitsHeld(wallet, facilityId, unit) {
  const b = (wallet.bundles || []).find((x) => x.facility_id === facilityId && x.unit === unit);
  return b ? b.balance : 0;
}

/* One facility's section: how its messages are paid, what is held, what can be bought. */
function facilitySection(f, prices, state, refresh) {
  const s = prices.schedule;
  const hid = `plan-${f.id}-heading`;
  const held = h('dl', { class: 'facts', 'data-testid': `plan-held-${f.id}` });
  const who = f.residents.length ? t('You write to {names} here.', { names: f.residents.join(', ') }) : '';
  let intro;
  let buy = null;
  let update = () => {};
  const balance = () => state.wallet.balance_cents;

  if (s.model === 'stamps' || s.model === 'credits') {
    const unit = s.model;
    const offers = prices.bundles[unit];
    intro = unit === 'stamps'
      ? t('Messages here are paid with stamps: 1 stamp for each page of up to {chars} characters.', { chars: formatCount(s.page_chars) })
      : tn(s.credits_per_message, 'Messages here are paid with credits: {n} credit a message.', 'Messages here are paid with credits: {n} credits a message.');
    update = (w) => replace(held, h('dt', null, unit === 'stamps' ? t('Your stamps here') : t('Your credits here')),
      h('dd', null, unitWords(unit, unitsHeld(w, f.id, unit))));
    if (offers.length) {
      buy = purchaseForm({
        id: `bundle-${f.id}`,
        legend: unit === 'stamps' ? t('Buy stamps') : t('Buy credits'),
        options: offers.map((o) => ({
          label: o.discount_cents > 0
            ? t('{amount} for {price} (you save {saving})', { amount: unitWords(unit, o.count), price: formatMoney(o.price_cents), saving: formatMoney(o.discount_cents) })
            : t('{amount} for {price}', { amount: unitWords(unit, o.count), price: formatMoney(o.price_cents) }),
          cents: o.price_cents,
          body: { facility_id: f.id, unit, count: o.count },
        })),
        path: '/wallet/bundles',
        balance,
        onDone: refresh,
        doneWords: (a) => t('Bought {amount} for {price}. You now have {held} here.',
          { amount: unitWords(unit, a.count), price: formatMoney(a.price_cents), held: unitWords(unit, a.units_balance) }),
      });
    }
  } else if (s.model === 'subscription') {
    const monthly = s.subscription_cents_per_month;
    intro = t('Messages here need a subscription: {price} a month. While it lasts, the text of every message costs nothing.', { price: formatMoney(monthly) });
    update = (w) => {
      const p = activePeriod(w, f.id);
      replace(held, h('dt', null, t('Your subscription')),
        h('dd', null, p ? t('Active from {start} until {end}', { start: formatDate(p.starts_at), end: formatDate(p.ends_at) }) : t('None yet')));
    };
    buy = purchaseForm({
      id: `subscription-${f.id}`,
      legend: () => (activePeriod(state.wallet, f.id) ? t('Extend your subscription') : t('Subscribe')),
      options: SUBSCRIPTION_MONTHS.map((m) => ({
        label: tn(m, '{n} month for {price}', '{n} months for {price}', { price: formatMoney(m * monthly) }),
        cents: m * monthly,
        body: { facility_id: f.id, months: m },
      })),
      path: '/wallet/subscriptions',
      balance,
      onDone: refresh,
      doneWords: (a) => tn(a.months, 'Subscribed for {n} month ({price}), until {date}.', 'Subscribed for {n} months ({price}), until {date}.',
        { price: formatMoney(a.price_cents), date: formatDate(a.ends_at) }),
    });
  } else if (s.message_cents === 0 && s.block_cents === 0) {
    intro = t('The text of a message here costs nothing to send.');
  } else {
    intro = t("Messages here are paid from your balance; each one's price is shown before you send it.");
  }
  update(state.wallet);
  const section = h('section', { class: 'card plan', id: `facility-${f.id}`, 'aria-labelledby': hid, 'data-testid': `plan-${f.id}` },
    h('h3', { id: hid, class: 'panel-title' }, f.name),
    h('p', null, who ? [who, ' ', intro] : intro),
    held.childNodes.length ? held : null,
    buy ? buy.form : null);
  return {
    section,
    update(w) {
      update(w);
      if (buy) buy.showSummary();
    },
  };
}

/*
 * The wallet's "Paying for messages" card.  state.wallet is the wallet as last read (the page
 * keeps it current); refresh() reads the wallet and the statement again and calls update.
 * Returns {element, ready (settles once the facilities are shown), sectionOf(id), update(wallet)}.
 */
export function messagePlans(state, refresh) {
  const body = h('div', { 'data-testid': 'message-plans' }, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
  const element = h('section', { class: 'card', 'aria-labelledby': 'plans-heading' },
    h('h2', { id: 'plans-heading', class: 'panel-title' }, t('Paying for messages')), body);
  let sections = [];
  const ready = (async () => {
    try {
      const facilities = await facilitiesWrittenTo();
      if (!facilities.length) {
        replace(body, h('p', null, t('Once a contact at a facility on Kite is approved, how its messages are paid appears here.')));

        return;
      }
      const prices = await Promise.all(facilities.map((f) => api(`/facilities/${f.id}/prices`)));
      sections = facilities.map((f, i) => facilitySection(f, prices[i], state, refresh));
      replace(body, sections.map((x) => x.section));
    } catch (e) {
      replace(body, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
    }
  })();
  return {
    element,
    ready,
    /* The section of one facility, once ready (null when the person does not write there). */
    sectionOf: (facilityId) => element.querySelector(`#facility-${Number(facilityId)}`),
    update(w) {
      for (const x of sections) x.update(w);
    },
  };
}
