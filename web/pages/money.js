// /money: a family member sends money to a resident's trust account, paid from the Kite balance,
// and sees the transfers sent before.
//
// Design: the person picks the facility, types the resident number, the last name and the amount;
// as soon as the amount and the number are there the page asks Kite for a quote and shows the fee
// and the total before the button (which says the total too), so nothing is paid without being
// seen.  The quote names nobody; the resident's full name appears only in the confirmation, once
// Kite has matched the number and the last name.  Each transfer gets one Idempotency-Key: it is
// kept while the answer is unknown (the network failed, or the server failed) so that pressing the
// button again cannot send the money twice, and replaced as soon as an answer is final or the
// form changes.
//
// SECURITY: amounts are typed in dollars and turned into whole cents from the text, never through
// floating point.  Nothing typed here is stored in the page's storage.

import { api, ApiError, currentAccount, newIdempotencyKey } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { field, formKit } from '../forms.js';
import { formatDate } from '../labels.js';
import { emptyNote, facilityPicker } from '../widgets.js';
import { dollarsToCents, usd } from './wallet.js';

const QUOTE_DELAY_MS = 350;

export async function moneyPage(root, ctx) {
  setTitle('Send money');
  const me = currentAccount();
  if (!me || me.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, 'Send money'),
      h('p', null, me ? 'Only family and friends accounts send money here.' : 'Sign in to send money.'),
      me ? null : h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Fmoney' }, 'Sign in'))));
    return;
  }
  const history = h('div', { 'data-testid': 'money-history' });
  async function loadHistory() {
    try {
      const list = await api('/money-transfers');
      if (ctx.isCurrent()) replace(history, historyList(list.items));
    } catch (e) {
      if (ctx.isCurrent()) replace(history, h('p', { role: 'alert' }, e.message));
    }
  }
  const form = transferForm(ctx, loadHistory);
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, 'Send money'),
      h('p', null, 'Send money from your Kite balance to the trust account of someone in a facility. '
        + 'They can spend it on messages, terminal time and what the facility sells. ',
      h('a', { href: '/wallet' }, 'Your wallet'), ' shows your balance.')),
    h('section', { class: 'card', 'aria-labelledby': 'send-heading' },
      h('h2', { id: 'send-heading', class: 'panel-title' }, 'Who and how much'), form),
    h('section', { class: 'card', 'aria-labelledby': 'history-heading' },
      h('h2', { id: 'history-heading', class: 'panel-title' }, 'Money you sent'), history)));
  await loadHistory();
}

function historyList(items) {
  if (!items.length) return emptyNote('You have not sent money yet.');
  return h('ul', { class: 'items' }, items.map((t) => h('li', { class: 'item' },
    h('div', { class: 'item-main' },
      h('p', { class: 'item-title' }, `${usd(t.amount_cents)} to ${t.resident_name} (${t.resident_number})`),
      h('p', { class: 'item-meta' }, `${formatDate(t.created_at)} · fee ${usd(t.fee_cents)} · total ${usd(t.total_cents)}`)))));
}

function transferForm(ctx, loadHistory) {
  let facility = null;
  const facilityBox = h('div');
  const number = field({ form: 'money', name: 'resident_number', label: 'Their resident number', autocomplete: 'off',
    hint: 'The ID number the facility uses for them.' });
  const lastName = field({ form: 'money', name: 'resident_last_name', label: 'Their last name', autocomplete: 'off',
    hint: 'As the facility writes it. Capital letters do not matter.' });
  const amount = field({ form: 'money', name: 'amount_cents', label: 'Amount in dollars', inputmode: 'decimal',
    value: '20.00' });
  number.input.setAttribute('autocapitalize', 'characters');
  const kit = formKit([number, lastName, amount], 'Send', 'Sending…');
  const summary = h('div', { class: 'count-line', 'aria-live': 'polite', 'data-testid': 'money-quote' });
  const result = h('div', { role: 'status', 'data-testid': 'money-result' });
  let key = newIdempotencyKey();
  let uncertain = null; // what was sent when the answer was not known
  let quoted = null; // the latest quote, for the request it answered
  let timer = null;
  let controller = null;

  const request = () => ({
    facility_id: facility ? facility.id : 0,
    resident_number: number.input.value.trim(),
    resident_last_name: lastName.input.value.trim(),
    amount_cents: dollarsToCents(amount.input.value),
  });
  const quoteKey = (r) => JSON.stringify([r.facility_id, r.resident_number, r.amount_cents]);

  async function quote() {
    clearTimeout(timer);
    if (controller) controller.abort();
    controller = null;
    const r = request();
    quoted = null;
    kit.setLabel('Send');
    if (!facility || !r.resident_number || r.amount_cents === null || r.amount_cents < 1) {
      summary.textContent = 'Choose the facility, then type the resident number and an amount to see the fee.';
      return;
    }
    controller = new AbortController();
    try {
      const q = await api('/money-transfers/quote', { method: 'POST', signal: controller.signal,
        body: { facility_id: r.facility_id, resident_number: r.resident_number, amount_cents: r.amount_cents } });
      if (!ctx.isCurrent()) return;
      quoted = { key: quoteKey(r), q };
      kit.setLabel(`Send ${usd(q.amount_cents)} (total ${usd(q.total_cents)})`);
      replace(summary,
        h('p', null, `Fee ${usd(q.fee_cents)}. Your balance pays ${usd(q.total_cents)}: ${usd(q.amount_cents)} `
          + `goes to their trust account and ${usd(q.fee_cents)} is the facility's fee.`),
        q.enough ? null : h('p', { class: 'notice notice--error' },
          `Your balance is ${usd(q.balance_cents)}. `, h('a', { href: '/wallet' }, 'Add money to your wallet'), ' first.'));
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      if (ctx.isCurrent()) summary.textContent = e instanceof ApiError ? e.message : String(e);
    }
  }
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(quote, QUOTE_DELAY_MS);
  };
  ctx.onLeave(() => {
    clearTimeout(timer);
    if (controller) controller.abort();
  });
  for (const f of [number, amount]) f.input.addEventListener('input', soon);

  let picker = null;
  ctx.onLeave(() => { if (picker) picker.stop(); });
  function showFacility() {
    if (picker) picker.stop();
    picker = null;
    if (facility) {
      const change = h('button', { type: 'button', class: 'button button--link' }, 'Change facility');
      change.addEventListener('click', () => {
        facility = null;
        showFacility();
        quote();
        picker.focus();
      });
      replace(facilityBox, h('div', { class: 'chosen-facility', 'data-testid': 'money-facility' },
        h('span', { class: 'chosen-label' }, 'Facility'), h('strong', { class: 'chosen-name' }, facility.name), change));
    } else {
      picker = facilityPicker({
        id: 'money-facility', label: 'Their facility', onlyOnKite: true,
        hint: 'Type the name of the facility, or its number.',
        onPick: (f) => {
          facility = { id: f.id, name: f.name };
          showFacility();
          quote();
          number.input.focus();
        },
      });
      replace(facilityBox, picker.wrap);
    }
  }
  showFacility();
  quote();

  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'money-form' },
    kit.alert, facilityBox, number.wrap, lastName.wrap, amount.wrap, summary, kit.button, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    replace(result);
    const r = request();
    if (!facility) kit.topError('Choose the facility first.');
    if (!r.resident_number) kit.fieldError('resident_number', 'Type their resident number.');
    if (!r.resident_last_name) kit.fieldError('resident_last_name', 'Type their last name.');
    if (r.amount_cents === null || r.amount_cents < 1) kit.fieldError('amount_cents', 'Type an amount, for example 20.00.');
    if (!facility || kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    if (!quoted || quoted.key !== quoteKey(r)) {
      await quote(); // the fee is always shown before paying: show it, and let them press again
      return;
    }
    const sent = JSON.stringify(r);
    if (uncertain !== sent) key = newIdempotencyKey();
    kit.busy(true);
    try {
      const t = await api('/money-transfers', { method: 'POST', body: r, headers: { 'Idempotency-Key': key } });
      uncertain = null;
      key = newIdempotencyKey();
      replace(result, h('p', { class: 'notice notice--success' },
        `Sent ${usd(t.amount_cents)} to ${t.resident_name}. Fee ${usd(t.fee_cents)}; `
        + `your balance is now ${usd(t.balance_after_cents)}.`));
      lastName.input.value = '';
      amount.input.value = '';
      await Promise.all([loadHistory(), quote()]);
    } catch (e) {
      // An answer the server gave is final; a lost answer (no connection) or a server failure is not.
      const final = e instanceof ApiError && e.status > 0 && e.status < 500;
      uncertain = final ? null : sent;
      if (final) key = newIdempotencyKey();
      kit.serverError(e);
    } finally {
      kit.busy(false);
    }
  });
  return form;
}
