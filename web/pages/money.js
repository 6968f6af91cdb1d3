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
import { formatDate, formatMoney, t, tp } from '../i18n.js';
import { emptyNote, facilityPicker } from '../widgets.js';
import { dollarsToCents } from './wallet.js';

const QUOTE_DELAY_MS = 350;

export async function moneyPage(root, ctx) {
  setTitle(t('Send money'));
  const me = currentAccount();
  if (!me || me.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('Send money')),
      h('p', null, me ? t('Only family and friends accounts send money here.') : t('Sign in to send money.')),
      me ? null : h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Fmoney' }, t('Sign in')))));
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
    h('div', { class: 'page-intro' }, h('h1', null, t('Send money')),
      h('p', null, tp('Send money from your Kite balance to the trust account of someone in a facility. They can spend it on messages, terminal time and what the facility sells. {wallet} shows your balance.',
        { wallet: h('a', { href: '/wallet' }, t('Your wallet')) }))),
    h('section', { class: 'card', 'aria-labelledby': 'send-heading' },
      h('h2', { id: 'send-heading', class: 'panel-title' }, t('Who and how much')), form),
    h('section', { class: 'card', 'aria-labelledby': 'history-heading' },
      h('h2', { id: 'history-heading', class: 'panel-title' }, t('Money you sent')), history)));
  await loadHistory();
}

function historyList(items) {
  if (!items.length) return emptyNote(t('You have not sent money yet.'));
  return h('ul', { class: 'items' }, items.map((x) => h('li', { class: 'item' },
    h('div', { class: 'item-main' },
      h('p', { class: 'item-title' }, t('{amount} to {name} ({number})',
        { amount: formatMoney(x.amount_cents), name: x.resident_name, number: x.resident_number })),
      h('p', { class: 'item-meta' }, t('{date} · fee {fee} · total {total}',
        { date: formatDate(x.created_at), fee: formatMoney(x.fee_cents), total: formatMoney(x.total_cents) }))))));
}

function transferForm(ctx, loadHistory) {
  let facility = null;
  const facilityBox = h('div');
  const number = field({ form: 'money', name: 'resident_number', label: t('Their resident number'), autocomplete: 'off',
    hint: t('The ID number the facility uses for them.') });
  const lastName = field({ form: 'money', name: 'resident_last_name', label: t('Their last name'), autocomplete: 'off',
    hint: t('As the facility writes it. Capital letters do not matter.') });
  const amount = field({ form: 'money', name: 'amount_cents', label: t('Amount in dollars'), inputmode: 'decimal',
    value: '20.00' });
  number.input.setAttribute('autocapitalize', 'characters');
  const kit = formKit([number, lastName, amount], t('Send'), t('Sending…'));
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
    kit.setLabel(t('Send'));
    if (!facility || !r.resident_number || r.amount_cents === null || r.amount_cents < 1) {
      summary.textContent = t('Choose the facility, then type the resident number and an amount to see the fee.');
      return;
    }
    controller = new AbortController();
    try {
      const q = await api('/money-transfers/quote', { method: 'POST', signal: controller.signal,
        body: { facility_id: r.facility_id, resident_number: r.resident_number, amount_cents: r.amount_cents } });
      if (!ctx.isCurrent()) return;
      quoted = { key: quoteKey(r), q };
      const words = { amount: formatMoney(q.amount_cents), fee: formatMoney(q.fee_cents), total: formatMoney(q.total_cents) };
      kit.setLabel(t('Send {amount} (total {total})', words));
      replace(summary,
        h('p', null, t('Fee {fee}. Your balance pays {total}: {amount} goes to their trust account and {fee} is the facility\'s fee.', words)),
        q.enough ? null : h('p', { class: 'notice notice--error' },
          tp('Your balance is {balance}. {wallet} first.',
            { balance: formatMoney(q.balance_cents), wallet: h('a', { href: '/wallet' }, t('Add money to your wallet')) })));
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
      const change = h('button', { type: 'button', class: 'button button--link' }, t('Change facility'));
      change.addEventListener('click', () => {
        facility = null;
        showFacility();
        quote();
        picker.focus();
      });
      replace(facilityBox, h('div', { class: 'chosen-facility', 'data-testid': 'money-facility' },
        h('span', { class: 'chosen-label' }, t('Facility')), h('strong', { class: 'chosen-name' }, facility.name), change));
    } else {
      picker = facilityPicker({
        id: 'money-facility', label: t('Their facility'), onlyOnKite: true,
        hint: t('Type the name of the facility, or its number.'),
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
    if (!facility) kit.topError(t('Choose the facility first.'));
    if (!r.resident_number) kit.fieldError('resident_number', t('Type their resident number.'));
    if (!r.resident_last_name) kit.fieldError('resident_last_name', t('Type their last name.'));
    if (r.amount_cents === null || r.amount_cents < 1) kit.fieldError('amount_cents', t('Type an amount, for example 20.00.'));
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
      const sentOne = await api('/money-transfers', { method: 'POST', body: r, headers: { 'Idempotency-Key': key } });
      uncertain = null;
      key = newIdempotencyKey();
      replace(result, h('p', { class: 'notice notice--success' },
        t('Sent {amount} to {name}. Fee {fee}; your balance is now {balance}.', {
          amount: formatMoney(sentOne.amount_cents), name: sentOne.resident_name,
          fee: formatMoney(sentOne.fee_cents), balance: formatMoney(sentOne.balance_after_cents),
        })));
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
