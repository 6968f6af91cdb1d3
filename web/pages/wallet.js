// The family's wallet: the balance and what is on hold, adding money with a card, paying for
// messages (stamps, credits or a subscription, per facility: wallet-messages.js), and the
// statement with a CSV download.
//
// Design: the amount is typed in dollars and turned into whole cents by splitting the text, never
// through floating point; the charge is shown in words before the button is pressed.  Each
// payment gets one Idempotency-Key: it is kept when the answer is uncertain (the network failed,
// or Kite is still confirming with the card company) so that pressing the button again settles
// the same payment instead of paying twice, and replaced as soon as an answer is final.
//
// SECURITY: the card number and security code are sent once, in the request body, and cleared
// from the form after every answer; they are never stored in the page's storage or shown again.
// The test-card hint appears only when the server says its processor is a local sandbox.

import { api, ApiError, currentAccount, newIdempotencyKey } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { field, formKit } from '../forms.js';
import { formatDate, formatMoney, t, tp } from '../i18n.js';
import { emptyNote } from '../widgets.js';
import { messagePlans } from './wallet-messages.js';

/* "12.5" or "12.50" or "12" dollars as whole cents, or null when it is not an amount. */
export function dollarsToCents(text) {
  const m = /^\s*\$?\s*(\d{1,6})(?:\.(\d{1,2}))?\s*$/.exec(text || '');
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '0').padEnd(2, '0'));
}

/* Cents as money in the reader's language (kept for the pages that import it). */
export function usd(cents) {
  return formatMoney(cents);
}

export async function walletPage(root, ctx) {
  setTitle(t('Your wallet'));
  const me = currentAccount();
  if (!me || me.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('Your wallet')),
      h('p', null, me ? t('Only family and friends accounts have a wallet here.') : t('Sign in to see your wallet.')),
      me ? null : h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Fwallet' }, t('Sign in')))));
    return;
  }
  replace(root, h('div', { class: 'wrap narrow' }, h('p', { class: 'loading', role: 'status' }, t('Loading your wallet…'))));
  let wallet;
  try {
    wallet = await api('/wallet');
  } catch (e) {
    if (!ctx.isCurrent()) return;
    replace(root, h('div', { class: 'wrap narrow' }, h('h1', null, t('Your wallet')),
      h('p', { class: 'notice notice--error', role: 'alert' }, e instanceof ApiError ? e.message : String(e))));
    return;
  }
  if (!ctx.isCurrent()) return;

  const balance = h('dl', { class: 'facts', 'data-testid': 'wallet-balance' });
  const statement = h('div', { 'data-testid': 'wallet-statement' });
  const showBalance = (w) => replace(balance,
    h('dt', null, t('Balance')), h('dd', null, formatMoney(w.balance_cents)),
    h('dt', null, t('On hold for messages not yet delivered and video visits still to come')), h('dd', null, formatMoney(w.held_cents)));
  showBalance(wallet);
  const state = { wallet };
  let plans = null;

  async function refresh() {
    const [w, st] = await Promise.all([api('/wallet'), api('/wallet/transactions?limit=50')]);
    if (!ctx.isCurrent()) return;
    state.wallet = w;
    showBalance(w);
    if (plans) plans.update(w);
    replace(statement, statementList(st.items));
  }
  plans = messagePlans(state, refresh);

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, t('Your wallet')),
      h('p', null, t('Add money to your Kite balance with a card, then pay for messages and send money from it.')),
      h('p', null, h('a', { href: '/money', 'data-testid': 'send-money-link' }, t('Send money to someone in a facility')))),
    h('section', { class: 'card', 'aria-labelledby': 'balance-heading' },
      h('h2', { id: 'balance-heading', class: 'panel-title' }, t('Your balance')), balance),
    h('section', { class: 'card', 'aria-labelledby': 'topup-heading' },
      h('h2', { id: 'topup-heading', class: 'panel-title' }, t('Add money')),
      wallet.top_ups.available ? topUpForm(wallet, refresh) : h('p', { role: 'status' },
        t('Payments are not available right now. Try again later.'))),
    plans.element,
    h('section', { class: 'card', 'aria-labelledby': 'statement-heading' },
      h('h2', { id: 'statement-heading', class: 'panel-title' }, t('Statement')),
      statement,
      h('p', { class: 'actions' },
        h('a', { class: 'button button--secondary', href: '/api/v1/wallet/transactions.csv', download: 'kite-statement.csv' },
          t('Download the statement (CSV)')))),
    h('p', null, tp('{phone}: deposit for calls from a facility, no fee.',
      { phone: h('a', { href: '/phone' }, t('Prepaid phone accounts')) }))));
  try {
    await refresh();
  } catch (e) {
    if (ctx.isCurrent()) replace(statement, h('p', { role: 'alert' }, e.message));
  }
  // Coming from a message refused for want of stamps or a subscription: show that facility.
  await plans.ready;
  const asked = ctx.query.get('facility');
  const section = asked ? plans.sectionOf(asked) : null;
  if (section) ctx.scrollTo(section);
}

function statementList(items) {
  if (!items.length) return emptyNote(t('No money has moved yet.'));
  return h('ul', { class: 'items' }, items.map((l) => {
    const words = { date: formatDate(l.date), amount: formatMoney(Math.abs(l.amount_cents)), balance: formatMoney(l.balance_after_cents) };
    return h('li', { class: 'item' },
      h('div', { class: 'item-main' },
        h('p', { class: 'item-title' }, l.memo || l.kind),
        h('p', { class: 'item-meta' }, l.amount_cents < 0
          ? t('{date} · paid {amount} · balance {balance}', words)
          : t('{date} · added {amount} · balance {balance}', words))));
  }));
}

function topUpForm(wallet, refresh) {
  const { min_cents: min, max_cents: max } = wallet.top_ups;
  const range = { min: formatMoney(min), max: formatMoney(max) };
  const amount = field({ form: 'topup', name: 'amount_cents', label: t('Amount in dollars'), inputmode: 'decimal',
    hint: t('From {min} to {max}.', range), value: '25.00' });
  const number = field({ form: 'topup', name: 'card_number', label: t('Card number'), inputmode: 'numeric',
    autocomplete: 'cc-number', maxlength: 23,
    hint: wallet.top_ups.test_cards ? t('This is a test system: use test card 4242 4242 4242 4242, any future expiry and any 3-digit code.') : null });
  const month = field({ form: 'topup', name: 'exp_month', label: t('Expiry month (1–12)'), inputmode: 'numeric', autocomplete: 'cc-exp-month', maxlength: 2 });
  const year = field({ form: 'topup', name: 'expiry', label: t('Expiry year (4 digits)'), inputmode: 'numeric', autocomplete: 'cc-exp-year', maxlength: 4 });
  const cvc = field({ form: 'topup', name: 'cvc', label: t('Security code (CVC)'), inputmode: 'numeric', autocomplete: 'cc-csc', maxlength: 4 });
  const fields = [amount, number, month, year, cvc];
  const kit = formKit(fields, t('Pay'), t('Paying…'));
  const summary = h('p', { class: 'count-line', 'aria-live': 'polite', 'data-testid': 'topup-summary' });
  const result = h('div', { role: 'status', 'data-testid': 'topup-result' });
  let key = newIdempotencyKey();
  let uncertain = null; // what was sent when the answer was not final

  const cents = () => dollarsToCents(amount.input.value);
  const showSummary = () => {
    const c = cents();
    const ok = c !== null && c >= min && c <= max;
    kit.setLabel(ok ? t('Pay {amount}', { amount: formatMoney(c) }) : t('Pay'));
    summary.textContent = ok
      ? t('Your card will be charged {amount}, and {amount} will be added to your balance.', { amount: formatMoney(c) })
      : t('Type an amount from {min} to {max}.', range);
  };
  amount.input.addEventListener('input', showSummary);
  showSummary();

  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'topup-form' },
    kit.alert, amount.wrap, summary, number.wrap, h('div', { class: 'field-row' }, month.wrap, year.wrap, cvc.wrap),
    kit.button, result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    replace(result);
    const c = cents();
    if (c === null || c < min || c > max) {
      kit.fieldError('amount_cents', t('Type an amount from {min} to {max}, for example 25.00.', range));
      kit.focusFirstInvalid();
      return;
    }
    const body = {
      amount_cents: c,
      card: { number: number.input.value, exp_month: Number(month.input.value) || 0, exp_year: Number(year.input.value) || 0, cvc: cvc.input.value },
    };
    const sent = JSON.stringify([c, body.card.number.replace(/\D/g, ''), body.card.exp_month, body.card.exp_year]);
    if (uncertain !== sent) key = newIdempotencyKey();
    kit.busy(true);
    try {
      const paid = await api('/wallet/top-ups', { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      if (paid.state === 'pending') {
        uncertain = sent;
        replace(result, h('p', { class: 'notice' }, paid.message || t('Kite is confirming this payment with the card company.')));
      } else {
        uncertain = null;
        key = newIdempotencyKey();
        number.input.value = '';
        cvc.input.value = '';
        replace(result, h('p', { class: 'notice notice--success' },
          t('Added {amount} with your {brand} card ending {last4}.',
            { amount: formatMoney(paid.amount_cents), brand: paid.card.brand, last4: paid.card.last4 })));
      }
      await refresh();
    } catch (e) {
      // Any answer but a lost one (no connection) or an internal error is final: a new payment gets a new key.
      const final = e instanceof ApiError && e.status > 0 && e.status !== 500;
      uncertain = final ? null : sent;
      if (final) {
        key = newIdempotencyKey();
        cvc.input.value = '';
      }
      const fieldName = { card_number: 'card_number', expiry: 'expiry', cvc: 'cvc', amount_cents: 'amount_cents' }[e.field];
      kit.serverError(fieldName ? e : new ApiError(e.status, e.code, e.message, null));
    } finally {
      kit.busy(false);
    }
  });
  return form;
}
