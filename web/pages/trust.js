// The resident's trust account on the tablet: a summary on the home page, the page
// /tablet/money with the balance, what is on hold and the statement (with a CSV download), and
// the terminal-time meter that runs on every tablet page.
//
// Design: the statement reads GET /api/v1/wallet/transactions, which answers a resident with
// their trust account; each line says when, what (the ledger's words: "Money transfer from …",
// "Terminal time, 1 min", …), how much and the balance after it, in big type.
//
// Terminal time (where the facility charges for it): the meter sends POST
// /api/v1/terminal/heartbeat when it starts and then every 60 s while the page is visible and the
// person has touched or typed in the last 3 minutes (the server ends a session after 5 minutes
// without one).  It asks nothing where the facility's terminal_cents_per_minute is 0, and while
// the trust account cannot pay a minute it stops sending heartbeats (which would only be refused)
// and shows a notice, then looks at the balance once a minute and starts again when money has
// come in.  Nor does it send one while the tablet counts down to its idle sign-out (idle.js), or
// signs out: nobody is using it then, and a heartbeat after the sign-out would only be refused.
// Nothing else on the tablet waits for it.

import { api, ApiError, fetchMe } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { formatDateTime, formatMoney, N_, t } from '../i18n.js';
import { emptyNote } from '../widgets.js';
import { tabletIdle } from '../idle.js';

const HEARTBEAT_MS = 60 * 1000;
const STATEMENT_PAGE = 50;
const ACTIVE_MS = 3 * 60 * 1000;
const NO_MONEY = N_('Your trust account cannot pay for terminal time. You can still read and write; ask your family to send money, or ask the trust office.');

/* ---- the meter ---- */

/*
 * Starts metering terminal time for the signed-in resident of facilityId; stops when the page is
 * left (ctx.onLeave).  The notice it shows sits above the page, in #main.
 */
export function startTerminalMeter(ctx, facilityId) {
  const notice = h('div', { class: 'wrap', 'data-testid': 'terminal-notice', 'aria-live': 'polite' });
  const main = document.getElementById('main');
  const page = document.getElementById('page');
  if (main && page) main.insertBefore(notice, page);
  let lastActive = Date.now();
  let stopped = false;
  let rate = 0;
  let canPay = true;
  const active = () => { lastActive = Date.now(); };
  const events = ['pointerdown', 'keydown', 'touchstart', 'wheel'];
  for (const e of events) document.addEventListener(e, active, { passive: true });

  const show = (text) => replace(notice, text ? h('p', { class: 'notice notice--warning', role: 'status' }, text) : null);

  async function tick() {
    if (stopped || tabletIdle() || document.visibilityState !== 'visible' || Date.now() - lastActive > ACTIVE_MS) return;
    try {
      if (!canPay) {
        const w = await api('/wallet');
        if (stopped || w.balance_cents < rate) return;
        canPay = true;
      }
      const beat = await api('/terminal/heartbeat', { method: 'POST', body: {} });
      if (stopped) return;
      show(beat.metered ? t('Terminal time: {rate} a minute from your trust account ({left} left).',
        { rate: formatMoney(beat.cents_per_minute), left: formatMoney(beat.balance_cents) }) : null);
    } catch (e) {
      if (stopped) return;
      if (e instanceof ApiError && e.status === 402) {
        canPay = false;
        show(t('{reason} You can still read and write.', { reason: e.message }));
      }
      /* other failures: the next tick tries again */
    }
  }

  let timer = null;
  const onVisible = () => { if (document.visibilityState === 'visible') tick(); };
  ctx.onLeave(() => {
    stopped = true;
    clearInterval(timer);
    for (const e of events) document.removeEventListener(e, active);
    document.removeEventListener('visibilitychange', onVisible);
    notice.remove();
  });
  (async () => {
    try {
      const [prices, w] = await Promise.all([api(`/facilities/${facilityId}/prices`), api('/wallet')]);
      rate = prices.schedule.terminal_cents_per_minute || 0;
      if (stopped || rate <= 0) return;
      canPay = w.balance_cents >= rate;
      if (!canPay) show(t(NO_MONEY));
      document.addEventListener('visibilitychange', onVisible);
      timer = setInterval(tick, HEARTBEAT_MS);
      await tick();
    } catch {
      /* the facility's prices are not readable: nothing is metered from this page */
    }
  })();
}

/* ---- the summary on the home page ---- */

export function trustSummary() {
  const box = h('section', { class: 'section', 'aria-labelledby': 'trust-heading', 'data-testid': 'trust-summary' },
    h('h2', { id: 'trust-heading' }, t('Your trust account')),
    h('p', { class: 'loading' }, t('Loading…')));
  (async () => {
    try {
      const w = await api('/wallet');
      const words = { balance: formatMoney(w.balance_cents), held: formatMoney(w.held_cents) };
      replace(box, h('h2', { id: 'trust-heading' }, t('Your trust account')),
        h('p', { class: 'lead' }, w.held_cents ? t('Balance {balance} · on hold {held}', words) : t('Balance {balance}', words)),
        h('p', { class: 'actions' }, h('a', { class: 'button button--big', href: '/tablet/money' }, t('See your statement'))));
    } catch (e) {
      replace(box, h('h2', { id: 'trust-heading' }, t('Your trust account')), h('p', { role: 'alert' }, e.message));
    }
  })();
  return box;
}

/* ---- /tablet/money ---- */

function statementLine(l) {
  const words = { date: formatDateTime(l.date), amount: formatMoney(Math.abs(l.amount_cents)), balance: formatMoney(l.balance_after_cents) };
  return h('li', { class: 'item' },
    h('div', { class: 'item-main' },
      h('p', { class: 'item-title' }, l.memo || l.kind),
      h('p', { class: 'item-meta' }, l.amount_cents < 0
        ? t('{date} · paid {amount} · balance after {balance}', words)
        : t('{date} · received {amount} · balance after {balance}', words))));
}

/* The first page of the statement, and a button for each older page. */
function statementLines(page) {
  if (!page.items.length) return emptyNote(t('No money has moved in your trust account yet.'));
  const list = h('ul', { class: 'items statement', 'data-testid': 'trust-statement' }, page.items.map(statementLine));
  const more = h('p', { class: 'actions' });
  const offer = (cursor) => {
    if (!cursor) {
      replace(more);
      return;
    }
    const button = h('button', { type: 'button', class: 'button button--secondary button--big' }, t('Show older lines'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const next = await api(`/wallet/transactions?limit=${STATEMENT_PAGE}&cursor=${cursor}`);
        for (const l of next.items) list.append(statementLine(l));
        offer(next.next_cursor);
      } catch (e) {
        replace(more, h('p', { role: 'alert' }, e.message));
      }
    });
    replace(more, button);
  };
  offer(page.next_cursor);
  return h('div', null, list, more);
}

export async function trustPage(root, ctx, me) {
  setTitle(t('Your trust account'));
  replace(root, h('div', { class: 'wrap narrow tablet-home' }, h('p', { class: 'loading', role: 'status' }, t('Loading…'))));
  let w;
  let st;
  try {
    [w, st] = await Promise.all([api('/wallet'), api(`/wallet/transactions?limit=${STATEMENT_PAGE}`)]);
  } catch (e) {
    if (ctx.isCurrent()) replace(root, h('div', { class: 'wrap narrow' }, h('h1', null, t('Your trust account')), h('p', { role: 'alert' }, e.message)));
    return;
  }
  if (!ctx.isCurrent()) return;
  replace(root, h('div', { class: 'wrap narrow tablet-home' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Your trust account')),
      h('p', { class: 'lead' }, me && me.resident
        ? t('{name} · resident number {number}', { name: me.resident.first_name, number: me.resident.resident_number }) : null)),
    h('section', { class: 'card', 'aria-labelledby': 'balance-heading' },
      h('h2', { id: 'balance-heading', class: 'panel-title' }, t('Your balance')),
      h('dl', { class: 'facts', 'data-testid': 'trust-balance' },
        h('dt', null, t('Balance')), h('dd', null, formatMoney(w.balance_cents)),
        h('dt', null, t('On hold for messages not yet delivered and video visits still to come')), h('dd', null, formatMoney(w.held_cents)))),
    h('section', { class: 'card', 'aria-labelledby': 'statement-heading' },
      h('h2', { id: 'statement-heading', class: 'panel-title' }, t('Statement')),
      statementLines(st),
      h('p', { class: 'actions' },
        h('a', { class: 'button button--secondary button--big', href: '/api/v1/wallet/transactions.csv', download: 'kite-statement.csv' },
          t('Download the statement (CSV)')))),
    h('p', { class: 'actions' }, h('a', { class: 'button button--big', href: '/tablet' }, t('Back to your home')))));
}

/* The route /tablet/money: the signed-in resident's statement, metered like the other tablet pages. */
export async function tabletMoneyPage(root, ctx) {
  const me = await fetchMe();
  if (!ctx.isCurrent()) return;
  if (!me || me.role !== 'resident' || !me.resident) {
    ctx.navigate('/tablet', { replace: true });
    return;
  }
  if (me.resident.facility.on_platform) startTerminalMeter(ctx, me.resident.facility.id);
  await trustPage(root, ctx, me);
}
