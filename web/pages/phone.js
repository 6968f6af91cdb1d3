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
import { formatDateTime, plural } from '../labels.js';
import { emptyNote, facilityPicker } from '../widgets.js';
import { dollarsToCents, usd } from './wallet.js';

const NO_FEE = 'No fee: the whole deposit goes to the phone account. The FCC forbids fees on phone deposits.';
const MIN_CENTS = 100;
const MAX_CENTS = 50000;

/* Any answer but a lost one (no connection) or an internal error is final: the next request gets a new key. */
const isFinal = (e) => e instanceof ApiError && e.status > 0 && e.status !== 500;

export async function phonePage(root, ctx) {
  setTitle('Phone accounts');
  const me = currentAccount();
  if (!me || me.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, 'Phone accounts'),
      h('p', null, me ? 'Only family and friends accounts have phone accounts here.' : 'Sign in to see your phone accounts.'),
      me ? null : h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Fphone' }, 'Sign in'))));
    return;
  }
  const balance = h('p', { class: 'count-line', 'data-testid': 'phone-kite-balance' });
  const accounts = h('div', { 'data-testid': 'phone-accounts' }, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  const names = new Map();
  const notice = h('div', { role: 'status', 'data-testid': 'phone-notice' });
  const say = (text) => replace(notice, h('p', { class: 'notice notice--success' }, text));

  async function facilityName(id) {
    if (!names.has(id)) {
      try {
        names.set(id, (await api(`/facilities/${id}`)).name);
      } catch {
        names.set(id, `Facility ${id}`);
      }
    }
    return names.get(id);
  }

  async function refresh() {
    const [w, list] = await Promise.all([api('/wallet'), api('/phone-accounts')]);
    const details = await Promise.all(list.items.map((a) => api(`/phone-accounts/${a.id}?limit=20`)));
    const labels = await Promise.all(list.items.map((a) => facilityName(a.facility_id)));
    if (!ctx.isCurrent()) return;
    replace(balance, `Your Kite balance: ${usd(w.balance_cents)}. Deposits come from it; refunds go back to it. `,
      h('a', { href: '/wallet' }, 'Add money to your balance'));
    replace(accounts, details.length
      ? details.map((a, i) => accountCard(a, labels[i], w.balance_cents, { refresh, say }))
      : emptyNote('You have no phone account yet. Open one below.'));
  }

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, 'Phone accounts'),
      h('p', null, 'Prepaid phone accounts pay for the calls the person inside makes to your number. '
        + 'Calls are charged per started minute at the facility\'s rate. Money you do not use is yours: '
        + 'it never expires, and you can take it back to your Kite balance at any time.')),
    balance, notice, accounts,
    h('section', { class: 'card', 'aria-labelledby': 'phone-open-heading' },
      h('h2', { id: 'phone-open-heading', class: 'panel-title' }, 'Open a phone account'),
      openForm({ refresh, say }))));
  try {
    await refresh();
  } catch (e) {
    if (ctx.isCurrent()) replace(accounts, h('p', { class: 'notice notice--error', role: 'alert' }, e.message));
  }
}

function openForm({ refresh, say }) {
  let facility = null;
  const chosen = h('p', { class: 'count-line', 'aria-live': 'polite', 'data-testid': 'phone-facility' }, 'No facility chosen yet.');
  const picker = facilityPicker({
    id: 'phone-facility-search', label: 'Facility', hint: 'Search by name, town or facility number.', onlyOnKite: true,
    onPick: (f) => {
      facility = f;
      chosen.textContent = `Facility: ${f.name}`;
    },
  });
  const number = field({ form: 'phone', name: 'phone_number', label: 'Phone number the person calls', type: 'tel',
    autocomplete: 'tel', inputmode: 'tel', hint: 'A US number such as (415) 555-0123, or an international number starting with +.' });
  const kit = formKit([number], 'Open the phone account', 'Opening…');
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'phone-open-form' },
    kit.alert, picker.wrap, chosen, number.wrap, kit.button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    if (!facility) {
      kit.serverError(new ApiError(422, 'invalid_field', 'Choose the facility first.', null));
      return;
    }
    if (!validPhone(number.input.value)) {
      kit.fieldError('phone_number', 'Type the phone number, for example (415) 555-0123.');
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const a = await api('/phone-accounts', { method: 'POST', body: { facility_id: facility.id, phone_number: number.input.value } });
      number.input.value = '';
      await refresh();
      say(`Opened a phone account for ${a.phone_number}. Deposit money into it so calls can connect.`);
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
      h('dt', null, 'Phone balance'), h('dd', null, usd(a.balance_cents)),
      h('dt', null, 'Rate'), h('dd', null, `${usd(a.rate_cents_per_minute)} per started minute`)),
    h('div', { class: 'results-section' }, h('h3', null, 'Deposit'), depositForm(a, kiteBalance, env)),
    h('div', { class: 'results-section' }, h('h3', null, 'Calls'), callList(a.calls.items),
      a.balance_cents > 0 ? h('p', { class: 'actions' }, refundButton(a, env)) : null));
}

function depositForm(a, kiteBalance, { refresh, say }) {
  const amount = field({ form: `phone-deposit-${a.id}`, name: 'amount_cents', label: 'Deposit in dollars', inputmode: 'decimal',
    hint: `From ${usd(MIN_CENTS)} to ${usd(MAX_CENTS)}, from your Kite balance.`, value: '10.00' });
  const kit = formKit([amount], 'Deposit', 'Depositing…');
  const summary = h('p', { class: 'count-line', 'aria-live': 'polite', 'data-testid': 'phone-deposit-summary' });
  let key = newIdempotencyKey();
  let uncertain = null;
  const cents = () => dollarsToCents(amount.input.value);
  const showSummary = () => {
    const c = cents();
    const ok = c !== null && c >= MIN_CENTS && c <= MAX_CENTS;
    kit.setLabel(ok ? `Deposit ${usd(c)}` : 'Deposit');
    summary.textContent = ok
      ? `${usd(c)} will leave your Kite balance and ${usd(c)} will reach the phone account. ${NO_FEE}`
      : `Type an amount from ${usd(MIN_CENTS)} to ${usd(MAX_CENTS)}. ${NO_FEE}`;
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
      kit.fieldError('amount_cents', `Type an amount from ${usd(MIN_CENTS)} to ${usd(MAX_CENTS)}, for example 10.00.`);
      kit.focusFirstInvalid();
      return;
    }
    if (c > kiteBalance) {
      kit.fieldError('amount_cents', `Your Kite balance is ${usd(kiteBalance)}. Add money to it first, or deposit less.`);
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
      say(`Deposited ${usd(m.amount_cents)}, no fee. The phone balance is now ${usd(m.phone_balance_cents)}.`);
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
  if (!items.length) return emptyNote('No calls yet.');
  return h('ul', { class: 'items', 'data-testid': 'phone-calls' }, items.map((c) => h('li', { class: 'item' },
    h('div', { class: 'item-main' },
      h('p', { class: 'item-title' }, `${formatDateTime(c.started_at)} · ${plural(c.billed_minutes, 'minute', 'minutes')} · ${usd(c.amount_cents)}`),
      c.cut_at_balance
        ? h('p', { class: 'item-meta' }, `Cut at balance: the call lasted ${plural(Math.ceil(c.duration_seconds / 60), 'minute', 'minutes')}; the balance paid for ${plural(c.billed_minutes, 'minute', 'minutes')}.`)
        : null,
      c.billed ? null : h('p', { class: 'item-meta' }, 'Not charged: the balance did not pay for one minute.')))));
}

function refundButton(a, { refresh, say }) {
  let key = newIdempotencyKey();
  return confirmAction({
    label: `Refund ${usd(a.balance_cents)} to my Kite balance`,
    question: `Move the whole phone balance, ${usd(a.balance_cents)}, back to your Kite balance? Calls to ${a.phone_number} will not connect until you deposit again.`,
    yes: 'Yes, refund it',
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
      say(`Refunded ${usd(m.amount_cents)} to your Kite balance, no fee.`);
    },
  });
}
