// /phone: the family's prepaid phone accounts.  Open one for a facility and the number the
// person inside calls, move money into it from the Kite balance (no fee: the FCC forbids fees on
// phone deposits, and the page says so before the button), see the balance and the calls the
// facility's phone system recorded (date, minutes, cost, and whether a call was cut because the
// balance ran out), and take the whole unused balance back at any time, after a confirmation.
//
// Design: amounts are typed in dollars and turned into whole cents by splitting the text
// (dollarsToCents, shared with the wallet), never through floating point.  Each deposit or refund
// gets one Idempotency-Key, kept while the answer is unknown (no connection, or Kite failed inside)
// so that pressing again settles the same request instead of moving money twice, and replaced as
// soon as an answer is final, as on the wallet page.
//
// SECURITY: money.  The page shows what the server answers; it computes no balance itself.

import { api, ApiError, currentAccount, newIdempotencyKey } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { confirmAction, field, formKit, validPhone } from '../forms.js';
import { formatDateTime, formatMoney, N_, t, tn, tp } from '../i18n.js';
import { emptyNote, facilityPicker } from '../widgets.js';
import { dollarsToCents } from './wallet.js';

const NO_FEE = N_('No fee: the whole deposit goes to the phone account. The FCC forbids fees on phone deposits.');
const MIN_CENTS = 100;
const MAX_CENTS = 50000;

/* Any answer but a lost one (no connection) or an internal error is final: the next request gets a new key. */
const isFinal = (e) => e instanceof ApiError && e.status > 0 && e.status !== 500;

export async function phonePage(root, ctx) {
  setTitle(t('Phone accounts'));
  const me = currentAccount();
  if (!me || me.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('Phone accounts')),
      h('p', null, me ? t('Only family and friends accounts have phone accounts here.') : t('Sign in to see your phone accounts.')),
      me ? null : h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Fphone' }, t('Sign in')))));
    return;
  }
  const balance = h('p', { class: 'count-line', 'data-testid': 'phone-kite-balance' });
  const accounts = h('div', { 'data-testid': 'phone-accounts' }, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
  const names = new Map();
  const notice = h('div', { role: 'status', 'data-testid': 'phone-notice' });
  const say = (text) => replace(notice, h('p', { class: 'notice notice--success' }, text));

  async function facilityName(id) {
    if (!names.has(id)) {
      try {
        names.set(id, (await api(`/facilities/${id}`)).name);
      } catch {
        names.set(id, t('Facility {id}', { id }));
      }
    }
    return names.get(id);
  }

  async function refresh() {
    const [w, list] = await Promise.all([api('/wallet'), api('/phone-accounts')]);
    const details = await Promise.all(list.items.map((a) => api(`/phone-accounts/${a.id}?limit=20`)));
    const labels = await Promise.all(list.items.map((a) => facilityName(a.facility_id)));
    if (!ctx.isCurrent()) return;
    replace(balance, tp('Your Kite balance: {balance}. Deposits come from it; refunds go back to it. {wallet}',
      { balance: formatMoney(w.balance_cents), wallet: h('a', { href: '/wallet' }, t('Add money to your balance')) }));
    replace(accounts, details.length
      ? details.map((a, i) => accountCard(a, labels[i], w.balance_cents, { refresh, say }))
      : emptyNote(t('You have no phone account yet. Open one below.')));
  }

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, t('Phone accounts')),
      h('p', null, t('Prepaid phone accounts pay for the calls the person inside makes to your number. Calls are charged per started minute at the facility\'s rate. Money you do not use is yours: it never expires, and you can take it back to your Kite balance at any time.'))),
    balance, notice, accounts,
    h('section', { class: 'card', 'aria-labelledby': 'phone-open-heading' },
      h('h2', { id: 'phone-open-heading', class: 'panel-title' }, t('Open a phone account')),
      openForm({ refresh, say }))));
  try {
    await refresh();
  } catch (e) {
    if (ctx.isCurrent()) replace(accounts, h('p', { class: 'notice notice--error', role: 'alert' }, e.message));
  }
}

function openForm({ refresh, say }) {
  let facility = null;
  const chosen = h('p', { class: 'count-line', 'aria-live': 'polite', 'data-testid': 'phone-facility' }, t('No facility chosen yet.'));
  const picker = facilityPicker({
    id: 'phone-facility-search', label: t('Facility'), hint: t('Search by name, town or facility number.'), onlyOnKite: true,
    onPick: (f) => {
      facility = f;
      chosen.textContent = t('Facility: {name}', { name: f.name });
    },
  });
  const number = field({ form: 'phone', name: 'phone_number', label: t('Phone number the person calls'), type: 'tel',
    autocomplete: 'tel', inputmode: 'tel', hint: t('A US number such as (415) 555-0123, or an international number starting with +.') });
  const kit = formKit([number], t('Open the phone account'), t('Opening…'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'phone-open-form' },
    kit.alert, picker.wrap, chosen, number.wrap, kit.button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    if (!facility) {
      kit.serverError(new ApiError(422, 'invalid_field', t('Choose the facility first.'), null));
      return;
    }
    if (!validPhone(number.input.value)) {
      kit.fieldError('phone_number', t('Type the phone number, for example (415) 555-0123.'));
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const a = await api('/phone-accounts', { method: 'POST', body: { facility_id: facility.id, phone_number: number.input.value } });
      number.input.value = '';
      await refresh();
      say(t('Opened a phone account for {phone}. Deposit money into it so calls can connect.', { phone: a.phone_number }));
    } catch (e) {
      kit.serverError(e.field === 'phone_number' ? e : new ApiError(e.status, e.code, e.message, null));
    } finally {
      kit.busy(false);
    }
  });
  return form;
}

function accountCard(a, facilityName, kiteBalance, env) {
  const headingId = `phone-${a.id}-heading`;
  return h('section', { class: 'card', 'aria-labelledby': headingId, 'data-testid': `phone-account-${a.id}` },
    h('h2', { id: headingId, class: 'panel-title' }, `${facilityName} · ${a.phone_number}`),
    h('dl', { class: 'facts', 'data-testid': 'phone-balance' },
      h('dt', null, t('Phone balance')), h('dd', null, formatMoney(a.balance_cents)),
      h('dt', null, t('Rate')), h('dd', null, t('{rate} per started minute', { rate: formatMoney(a.rate_cents_per_minute) }))),
    h('div', { class: 'results-section' }, h('h3', null, t('Deposit')), depositForm(a, kiteBalance, env)),
    h('div', { class: 'results-section' }, h('h3', null, t('Calls')), callList(a.calls.items),
      a.balance_cents > 0 ? h('p', { class: 'actions' }, refundButton(a, env)) : null));
}

function depositForm(a, kiteBalance, { refresh, say }) {
  const range = { min: formatMoney(MIN_CENTS), max: formatMoney(MAX_CENTS), noFee: t(NO_FEE) };
  const amount = field({ form: `phone-deposit-${a.id}`, name: 'amount_cents', label: t('Deposit in dollars'), inputmode: 'decimal',
    hint: t('From {min} to {max}, from your Kite balance.', range), value: '10.00' });
  const kit = formKit([amount], t('Deposit'), t('Depositing…'));
  const summary = h('p', { class: 'count-line', 'aria-live': 'polite', 'data-testid': 'phone-deposit-summary' });
  let key = newIdempotencyKey();
  let uncertain = null;
  const cents = () => dollarsToCents(amount.input.value);
  const showSummary = () => {
    const c = cents();
    const ok = c !== null && c >= MIN_CENTS && c <= MAX_CENTS;
    kit.setLabel(ok ? t('Deposit {amount}', { amount: formatMoney(c) }) : t('Deposit'));
    summary.textContent = ok
      ? t('{amount} will leave your Kite balance and {amount} will reach the phone account. {noFee}', { amount: formatMoney(c), noFee: range.noFee })
      : t('Type an amount from {min} to {max}. {noFee}', range);
  };
  amount.input.addEventListener('input', showSummary);
  showSummary();
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'phone-deposit-form' },
    kit.alert, amount.wrap, summary, kit.button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    const c = cents();
    if (c === null || c < MIN_CENTS || c > MAX_CENTS) {
      kit.fieldError('amount_cents', t('Type an amount from {min} to {max}, for example 10.00.', range));
      kit.focusFirstInvalid();
      return;
    }
    if (c > kiteBalance) {
      kit.fieldError('amount_cents', t('Your Kite balance is {balance}. Add money to it first, or deposit less.', { balance: formatMoney(kiteBalance) }));
      kit.focusFirstInvalid();
      return;
    }
    if (uncertain !== c) key = newIdempotencyKey();
    kit.busy(true);
    try {
      const m = await api(`/phone-accounts/${a.id}/deposits`, { method: 'POST', body: { amount_cents: c }, headers: { 'Idempotency-Key': key } });
      uncertain = null;
      key = newIdempotencyKey();
      await refresh();
      say(t('Deposited {amount}, no fee. The phone balance is now {balance}.',
        { amount: formatMoney(m.amount_cents), balance: formatMoney(m.phone_balance_cents) }));
    } catch (e) {
      uncertain = isFinal(e) ? null : c;
      if (isFinal(e)) key = newIdempotencyKey();
      kit.serverError(e.field === 'amount_cents' ? e : new ApiError(e.status, e.code, e.message, null));
    } finally {
      kit.busy(false);
    }
  });
  return form;
}

function callList(items) {
  if (!items.length) return emptyNote(t('No calls yet.'));
  const minutes = (n) => tn(n, '{n} minute', '{n} minutes');
  return h('ul', { class: 'items', 'data-testid': 'phone-calls' }, items.map((c) => h('li', { class: 'item' },
    h('div', { class: 'item-main' },
      h('p', { class: 'item-title' }, tn(c.billed_minutes, '{date} · {n} minute · {amount}', '{date} · {n} minutes · {amount}',
        { date: formatDateTime(c.started_at), amount: formatMoney(c.amount_cents) })),
      c.cut_at_balance
        ? h('p', { class: 'item-meta' }, t('Cut at balance: the call lasted {lasted}; the balance paid for {paid}.',
          { lasted: minutes(Math.ceil(c.duration_seconds / 60)), paid: minutes(c.billed_minutes) }))
        : null,
      c.billed ? null : h('p', { class: 'item-meta' }, t('Not charged: the balance did not pay for one minute.'))))));
}

function refundButton(a, { refresh, say }) {
  let key = newIdempotencyKey();
  return confirmAction({
    label: t('Refund {amount} to my Kite balance', { amount: formatMoney(a.balance_cents) }),
    question: t('Move the whole phone balance, {amount}, back to your Kite balance? Calls to {phone} will not connect until you deposit again.',
      { amount: formatMoney(a.balance_cents), phone: a.phone_number }),
    yes: t('Yes, refund it'),
    no: t('Cancel'),
    testid: `phone-refund-${a.id}`,
    onConfirm: async () => {
      let m;
      try {
        m = await api(`/phone-accounts/${a.id}/refunds`, { method: 'POST', headers: { 'Idempotency-Key': key } });
      } catch (e) {
        if (isFinal(e)) key = newIdempotencyKey();
        throw e;
      }
      await refresh();
      say(t('Refunded {amount} to your Kite balance, no fee.', { amount: formatMoney(m.amount_cents) }));
    },
  });
}
