// Video visits (issue 14; domain/visits/README.md).
//   /visits          a family member books a visit with a resident: picks a time from the
//                    facility's open slots (shown in the facility's time and in their own), sees the
//                    price before anything is held, books; lists upcoming and past visits, cancels or
//                    moves one, sees what was charged;
//   /tablet/visits   the resident's own visits on the tablet, and a request for one (paid from the
//                    trust account);
//   /staff/visits    staff: visits waiting for approval, the day's schedule, and (facility admins,
//                    operators) the time zone, rules, rooms, weekly slots and blackout dates.
// The live visit (item 2) adds its "Join" control through setVisitJoinControl(); until it does,
// no such button shows, so the page never offers what Kite cannot do yet.

import { ApiError, api, currentAccount, newIdempotencyKey } from '../api.js';
import { clearVisitNews, onLive } from '../live.js';
import { h, replace, setTitle } from '../dom.js';
import { confirmAction, field, formKit } from '../forms.js';
import { N_, formatMoney, locale, t } from '../i18n.js';
import { staffFacilityGate } from '../staff-gate.js';
import { chip, emptyNote } from '../widgets.js';

/* ---- the live visit's hook ---- */

let joinControl = null;
/*
 * For the live visit (issue 14 item 2): fn(visit) returns the element that lets this person join
 * that visit (or null when it cannot be joined now). Every visit card calls it.
 */
export function setVisitJoinControl(fn) {
  joinControl = typeof fn === 'function' ? fn : null;
}

/* ---- time: the facility's and the viewer's ---- */

const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
/* How long after this page changed a visit its own change may still come back on the live stream. */
const OWN_CHANGE_ECHO_MS = 10_000;

function timeIn(iso, zone) {
  return new Date(iso).toLocaleString(locale(), {
    timeZone: zone, weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit',
  });
}

/* "Tue, Mar 10, 10:00 AM facility time (America/Chicago)", and the viewer's time when it differs. */
function when(iso, zone) {
  const there = timeIn(iso, zone);
  const here = timeIn(iso, viewerZone());
  return h('span', { class: 'visit-when' },
    h('span', { 'data-testid': 'visit-facility-time' }, t('{time} facility time ({zone})', { time: there, zone })),
    here !== there ? [h('br'), h('span', { class: 'hint', 'data-testid': 'visit-your-time' }, t('{time} your time', { time: here }))] : null);
}

const STATE_WORDS = {
  pending: N_('Waiting for approval'),
  approved: N_('Approved'),
  in_progress: N_('In progress'),
  ended: N_('Ended'),
  declined: N_('Declined'),
  cancelled: N_('Cancelled'),
};
const STATE_KIND = { pending: 'wait', approved: 'ok', in_progress: 'ok', ended: 'quiet', declined: 'stop', cancelled: 'quiet' };
const END_WORDS = {
  completed: N_('The time was up.'),
  ended_by_party: N_('One side hung up.'),
  ended_by_monitor: N_('Facility staff ended it.'),
  cancelled_by_facility: N_('The facility cancelled it.'),
  no_show_resident: N_('The resident did not join.'),
  no_show_contact: N_('The family member did not join.'),
  technical_failure: N_('A technical failure ended it.'),
  connection_lost: N_('The connection was lost; only the minutes connected are charged.'),
};
/* The reasons Kite itself stores on a visit it calls off (src/domain/visits), shown in the reader's language. */
const SYSTEM_REASONS = new Set([N_('Not approved before it began.'), N_('The resident left the facility.'),
  N_('The contact is no longer active.')]);
const WEEKDAYS = [N_('Sunday'), N_('Monday'), N_('Tuesday'), N_('Wednesday'), N_('Thursday'), N_('Friday'), N_('Saturday')];

function stateChip(v) {
  return chip(v.state, t(STATE_WORDS[v.state] || v.state), STATE_KIND[v.state] || 'quiet');
}

function moneyLine(v) {
  if (v.charged_cents === null) return t('{amount} held until the visit; only the minutes connected are charged.', { amount: formatMoney(v.held_cents) });
  return v.charged_cents > 0 ? t('Charged {amount}.', { amount: formatMoney(v.charged_cents) }) : t('Nothing was charged.');
}

/* The cancellation rule in words, from the facility's visit policy. */
function cancelRule(policy) {
  const hours = Math.round(policy.cancel_cutoff_minutes / 60);
  return [
    policy.late_cancel_refund === 'full'
      ? t('Cancel any time before the visit and the whole price comes back to you.')
      : t('Cancel at least {hours} hours before the visit and the whole price comes back to you; later, the facility keeps it.', { hours }),
    ' ', t('If the facility cancels, the whole price always comes back.'),
  ];
}

/* ---- moving a visit: the new time, its price and the difference first, then the move ---- */

/* What the move does to the money, in words: given back, held more, or nothing. */
function moveDifference(q) {
  const payer = q.payer === 'resident_trust' ? t('your trust account') : t('your balance');
  if (q.difference_cents < 0) return t('You will get {amount} back on {payer}.', { amount: formatMoney(-q.difference_cents), payer });
  if (q.difference_cents > 0) {
    return t('{amount} more will be held from {payer}, which has {balance}.',
      { amount: formatMoney(q.difference_cents), payer, balance: formatMoney(q.balance_cents) });
  }
  return t('The same price: nothing more is held.');
}

function showMoveQuote(v, q, body, summary, { onChange, say }) {
  const key = newIdempotencyKey();
  const problem = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const go = h('button', { type: 'button', class: 'button', 'data-testid': `visit-move-confirm-${v.id}` },
    t('Move it and hold {price}', { price: formatMoney(q.price_cents) }));
  go.addEventListener('click', async () => {
    go.disabled = true;
    problem.hidden = true;
    try {
      const done = await api(`/visits/${v.id}/reschedule`, { method: 'POST', body, headers: { 'Idempotency-Key': key } });
      say(t('Visit moved. {money}', { money: moneyLine(done) }));
      await onChange();
    } catch (e) {
      problem.textContent = e.message;
      problem.hidden = false;
      go.disabled = false;
    }
  });
  replace(summary, h('div', { class: 'card stack', 'data-testid': `visit-move-summary-${v.id}` },
    h('p', null, when(q.starts_at, q.time_zone)),
    h('p', { 'data-testid': `visit-move-price-${v.id}` }, t('New price: {price} ({minutes} minutes at {rate} a minute). Held for this visit now: {held}.',
      { price: formatMoney(q.price_cents), minutes: q.length_minutes, rate: formatMoney(q.rate_cents_per_minute), held: formatMoney(q.held_cents) })),
    h('p', { 'data-testid': `visit-move-difference-${v.id}` }, moveDifference(q)),
    q.approval_required ? h('p', null, t('The facility approves the new time before it takes place.')) : null,
    q.enough ? null : h('p', { role: 'alert' }, t('There is not enough money to hold the new price.')),
    problem, q.enough ? go : null));
  (q.enough ? go : summary).focus();
}

async function loadMoveTimes(v, panel, hooks) {
  const slots = await api(`/facilities/${v.facility_id}/visit-slots`);
  const openings = (slots.openings || []).filter((o) => o.places_left > 0 && !(o.starts_at === v.starts_at && o.slot_id === v.slot_id));
  if (!slots.time_zone || !openings.length) {
    replace(panel, emptyNote(t('No other time is open right now.')));
    return;
  }
  const name = `visit-move-time-${v.id}`;
  const options = openings.map((o, i) => h('div', { class: 'checkbox' },
    h('input', { type: 'radio', id: `${name}-${i}`, name, value: String(i) }),
    h('label', { for: `${name}-${i}` }, when(o.starts_at, slots.time_zone), ' · ',
      t('{minutes} minutes, {price}', { minutes: o.length_minutes, price: formatMoney(o.price_cents) }))));
  const problem = h('p', { class: 'field-error', role: 'alert', hidden: true });
  const summary = h('div', { 'aria-live': 'polite' });
  const look = h('button', { type: 'button', class: 'button', 'data-testid': `visit-move-quote-${v.id}` }, t('See the new price'));
  look.addEventListener('click', async () => {
    problem.hidden = true;
    const picked = panel.querySelector(`input[name="${name}"]:checked`);
    if (!picked) {
      problem.textContent = t('Choose a time first.');
      problem.hidden = false;
      return;
    }
    const o = openings[Number(picked.value)];
    try {
      const q = await api('/visits/quote', { method: 'POST', body: { visit_id: v.id, starts_at: o.starts_at, slot_id: o.slot_id } });
      showMoveQuote(v, q, { starts_at: o.starts_at, slot_id: o.slot_id }, summary, hooks);
    } catch (e) {
      problem.textContent = e.message;
      problem.hidden = false;
    }
  });
  replace(panel, h('fieldset', { class: 'stack' }, h('legend', null, t('Choose the new time')), options), problem, look, summary);
}

/* "Move visit" opens the times; nothing is held or given back until the new price was shown and confirmed. */
function moveControl(v, hooks) {
  const panel = h('div', { class: 'stack', 'data-testid': `visit-move-panel-${v.id}` });
  const open = h('button', { type: 'button', class: 'button button--secondary', 'aria-expanded': 'false', 'data-testid': `visit-move-${v.id}` },
    t('Move visit'));
  open.addEventListener('click', async () => {
    const opening = open.getAttribute('aria-expanded') !== 'true';
    open.setAttribute('aria-expanded', String(opening));
    replace(panel, opening ? h('p', { class: 'loading', role: 'status' }, t('Loading…')) : null);
    if (!opening) return;
    try {
      await loadMoveTimes(v, panel, hooks);
    } catch (e) {
      replace(panel, h('p', { role: 'alert' }, e.message));
    }
  });
  return h('div', { class: 'visit-move stack' }, open, panel);
}

/* ---- one visit, as a party sees it ---- */

function visitCard(v, { who, onChange, say }) {
  const other = who === 'resident' ? v.contact_name : v.resident_name;
  const actions = h('div', { class: 'visit-actions' });
  const live = v.state === 'pending' || v.state === 'approved';
  if (joinControl) {
    const join = joinControl(v);
    if (join) actions.append(join);
  }
  if (live && Date.parse(v.starts_at) > Date.now()) {
    actions.append(confirmAction({
      label: t('Cancel visit'), question: t('Cancel this visit?'), yes: t('Yes, cancel it'), no: t('Keep it'),
      testid: `visit-cancel-${v.id}`,
      onConfirm: async () => {
        const done = await api(`/visits/${v.id}/cancel`, { method: 'POST', body: {} });
        say(t('Visit cancelled. {money}', { money: moneyLine(done) }));
        await onChange();
      },
    }));
    actions.append(moveControl(v, { onChange, say }));
  }
  return h('li', { class: 'card visit-card', 'data-testid': `visit-${v.id}` },
    h('h3', { class: 'panel-title' }, t('Visit with {name}', { name: other })),
    h('p', null, when(v.starts_at, v.time_zone)),
    h('p', null, stateChip(v), ' ', t('{minutes} minutes', { minutes: v.length_minutes })),
    h('p', { 'data-testid': `visit-money-${v.id}` }, moneyLine(v)),
    v.end_reason && END_WORDS[v.end_reason] ? h('p', { class: 'hint' }, t(END_WORDS[v.end_reason])) : null,
    v.reason ? h('p', { class: 'hint' }, t('Reason: {reason}', { reason: SYSTEM_REASONS.has(v.reason) ? t(v.reason) : v.reason })) : null,
    actions);
}

/*
 * A list of visit cards a page at a time: the first page now, "More visits" appends the next (the
 * server answers at most 100 and a next_cursor).  Returns the list's element, or the empty note.
 */
function pagedCards(first, path, card, empty, say) {
  if (!first.items.length) return emptyNote(empty);
  const list = h('ul', { class: 'plain-list' }, first.items.map(card));
  let cursor = first.next_cursor;
  const more = h('button', { type: 'button', class: 'button button--secondary', 'data-testid': 'visits-more', hidden: !cursor },
    t('More visits'));
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const next = await api(`${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`);
      for (const v of next.items) list.append(card(v));
      cursor = next.next_cursor;
      more.hidden = !cursor;
    } catch (e) {
      say(e.message);
    } finally {
      more.disabled = false;
    }
  });
  return h('div', { class: 'stack' }, list, more);
}

async function listVisits(target, who, say, touched = () => {}) {
  const draw = async () => {
    const [upcoming, past] = await Promise.all([api('/visits?box=upcoming'), api('/visits?box=past')]);
    const card = (v) => visitCard(v, { who, onChange: () => { touched(); return draw(); }, say });
    replace(target,
      h('section', { class: 'stack', 'aria-labelledby': 'visits-upcoming' },
        h('h2', { id: 'visits-upcoming' }, t('Upcoming visits')),
        pagedCards(upcoming, '/visits?box=upcoming', card, t('No visits booked.'), say)),
      h('section', { class: 'stack', 'aria-labelledby': 'visits-past' },
        h('h2', { id: 'visits-past' }, t('Past visits')),
        pagedCards(past, '/visits?box=past', card, t('No past visits yet.'), say)));
  };
  await draw();
  return draw;
}

/* ---- booking: a contact, a time, the price, then the booking ---- */

function bookingForm(contacts, who, { onBooked, say }) {
  const usable = contacts.filter((c) => c.can_message);
  if (!usable.length) return emptyNote(t('You need an approved contact at a facility on Kite to book a video visit.'));
  const choose = field({
    form: 'visit', name: 'contact_id', label: who === 'resident' ? t('Who to visit with') : t('Who to visit'), kind: 'select',
    options: usable.map((c) => [String(c.id), who === 'resident' ? c.contact.full_name
      : t('{name} at {facility}', { name: `${c.resident.first_name} ${c.resident.last_name}`, facility: c.facility.name })]),
  });
  const times = h('div', { 'data-testid': 'visit-times' });
  const summary = h('div', { 'aria-live': 'polite' });
  const section = h('section', { class: 'card stack', 'aria-labelledby': 'visit-book-heading' },
    h('h2', { id: 'visit-book-heading', class: 'panel-title' }, who === 'resident' ? t('Ask for a video visit') : t('Book a video visit')),
    choose.wrap, times, summary);

  async function loadTimes() {
    replace(summary);
    const contact = usable.find((c) => String(c.id) === choose.input.value);
    replace(times, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
    const [slots, policy] = await Promise.all([
      api(`/facilities/${contact.facility.id}/visit-slots`), api(`/facilities/${contact.facility.id}/visit-policy`),
    ]);
    if (!slots.time_zone || !slots.openings.length) {
      replace(times, emptyNote(t('This facility offers no video visit times right now.')));
      return;
    }
    const name = `visit-time-${contact.id}`;
    const options = slots.openings.map((o, i) => {
      const id = `${name}-${i}`;
      const full = o.places_left === 0;
      return h('div', { class: 'checkbox' },
        h('input', { type: 'radio', id, name, value: String(i), disabled: full }),
        h('label', { for: id }, when(o.starts_at, slots.time_zone), ' · ',
          t('{minutes} minutes, {price}', { minutes: o.length_minutes, price: formatMoney(o.price_cents) }),
          full ? [' · ', t('Full')] : null));
    });
    const look = h('button', { type: 'button', class: 'button', 'data-testid': 'visit-quote' }, t('See the price'));
    const problem = h('p', { class: 'field-error', role: 'alert', hidden: true });
    look.addEventListener('click', async () => {
      problem.hidden = true;
      const picked = times.querySelector(`input[name="${name}"]:checked`);
      if (!picked) {
        problem.textContent = t('Choose a time first.');
        problem.hidden = false;
        return;
      }
      const o = slots.openings[Number(picked.value)];
      const body = { contact_id: contact.id, starts_at: o.starts_at, slot_id: o.slot_id };
      try {
        const q = await api('/visits/quote', { method: 'POST', body });
        showQuote(q, body, policy);
      } catch (e) {
        problem.textContent = e.message;
        problem.hidden = false;
      }
    });
    replace(times, h('fieldset', { class: 'stack' }, h('legend', null, t('Choose a time')), options), problem, look);
  }

  function showQuote(q, body, policy) {
    const key = newIdempotencyKey();
    const book = h('button', { type: 'button', class: 'button', 'data-testid': 'visit-book' },
      t('Book and hold {price}', { price: formatMoney(q.price_cents) }));
    const problem = h('p', { class: 'field-error', role: 'alert', hidden: true });
    book.addEventListener('click', async () => {
      book.disabled = true;
      problem.hidden = true;
      try {
        const v = await api('/visits', { method: 'POST', body, headers: { 'Idempotency-Key': key } });
        replace(summary);
        say(v.state === 'pending' ? t('Booked. The facility still has to approve it; you will be told.') : t('Booked and confirmed.'));
        await onBooked();
      } catch (e) {
        problem.textContent = e.message;
        problem.hidden = false;
        book.disabled = false;
      }
    });
    const payer = q.payer === 'resident_trust' ? t('your trust account') : t('your balance');
    replace(summary, h('div', { class: 'card stack', 'data-testid': 'visit-summary' },
      h('p', null, when(q.starts_at, q.time_zone)),
      h('p', { 'data-testid': 'visit-price' }, t('Price: {price} ({minutes} minutes at {rate} a minute), held from {payer}, which has {balance}.',
        { price: formatMoney(q.price_cents), minutes: q.length_minutes, rate: formatMoney(q.rate_cents_per_minute), payer, balance: formatMoney(q.balance_cents) })),
      h('p', null, t('You are charged only for the minutes you are connected; the rest comes back after the visit.')),
      h('p', null, cancelRule(policy)),
      q.approval_required ? h('p', null, t('The facility approves each visit before it takes place.')) : null,
      q.monitoring_required ? h('p', null, t('Facility staff may watch and listen to this visit.')) : null,
      q.privileged ? h('p', null, t('A visit with your attorney is not monitored or recorded.')) : null,
      q.enough ? null : h('p', { role: 'alert' }, t('There is not enough money to hold this price.')),
      problem, book));
    book.focus();
  }

  choose.input.addEventListener('change', () => loadTimes().catch((e) => replace(times, h('p', { role: 'alert' }, e.message))));
  loadTimes().catch((e) => replace(times, h('p', { role: 'alert' }, e.message)));
  return section;
}

async function partyPage(root, ctx, who) {
  const title = who === 'resident' ? t('Your video visits') : t('Video visits');
  setTitle(title);
  const me = currentAccount();
  const intro = h('div', { class: 'page-intro' }, h('h1', null, title),
    h('p', { class: 'lead' }, t('Visits are booked in the facility\'s time; this page also shows each time in yours.')));
  if (!me || me.role !== who) {
    replace(root, h('div', { class: 'wrap' }, intro,
      h('p', null, who === 'resident' ? t('Sign in on the tablet to see your visits.') : t('Sign in with your family-and-friends account to book video visits.'))));
    return;
  }
  const live = h('div', { class: 'live', role: 'status', tabindex: '-1' });
  const say = (text) => {
    replace(live, h('p', { class: 'notice notice--success' }, text));
    live.focus();
  };
  const book = h('div', null, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
  const lists = h('div', { class: 'stack' });
  replace(root, h('div', { class: 'wrap' }, intro, live, book, lists));
  clearVisitNews(); // the person is looking at their visits now
  // News of a change made elsewhere (staff approved a visit, the other side moved or cancelled one)
  // is said here with a button that shows it; the list is not redrawn under the person's hands.
  const news = h('div', { 'data-testid': 'visit-news' });
  try {
    let ownChangeAt = 0; // this page's own changes come back as news too: not news to this person
    const touched = () => {
      ownChangeAt = Date.now();
      replace(news);
    };
    const [contacts, draw] = await Promise.all([api('/contacts'), listVisits(lists, who, say, touched)]);
    if (!ctx.isCurrent()) return;
    const redraw = () => {
      touched();
      return draw();
    };
    replace(book, bookingForm(contacts.items, who, { onBooked: redraw, say }));
    lists.before(news);
    const stop = onLive(({ type }) => {
      if (type !== 'visit.status' && type !== 'resync') return;
      clearVisitNews();
      if (Date.now() - ownChangeAt < OWN_CHANGE_ECHO_MS) return;
      const show = h('button', { type: 'button', class: 'button button--secondary', 'data-testid': 'visit-news-show' }, t('Show the latest'));
      show.addEventListener('click', () => {
        replace(news);
        draw().catch((e) => say(e.message));
      });
      replace(news, h('div', { class: 'notice notice--info', role: 'status' },
        h('p', null, t('One of your visits changed.')), h('p', { class: 'actions' }, show)));
    });
    ctx.onLeave(stop);
  } catch (e) {
    if (ctx.isCurrent()) replace(book, h('p', { role: 'alert' }, e.message));
  }
}

export const visitsPage = (root, ctx) => partyPage(root, ctx, 'contact');
export const tabletVisitsPage = (root, ctx) => partyPage(root, ctx, 'resident');

/* ---- staff ---- */

function staffVisitCard(v, { onChange, say }) {
  const actions = h('div', { class: 'visit-actions' });
  if (v.state === 'pending') {
    const approve = h('button', { type: 'button', class: 'button', 'data-testid': `visit-approve-${v.id}` }, t('Approve'));
    approve.addEventListener('click', async () => {
      approve.disabled = true;
      try {
        await api(`/visits/${v.id}/approve`, { method: 'POST', body: {} });
        say(t('Approved.'));
        await onChange();
      } catch (e) {
        say(e.message);
        approve.disabled = false;
      }
    });
    const reason = field({ form: `decline-${v.id}`, name: 'reason', label: t('Reason for declining'), autocomplete: 'off', maxlength: '500' });
    const kit = formKit([reason], t('Decline'), t('Declining…'), { buttonClass: 'button button--secondary' });
    const decline = h('form', { class: 'form', novalidate: true, 'data-testid': `visit-decline-${v.id}` }, kit.alert, reason.wrap, kit.button);
    decline.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      kit.clear();
      if (!reason.input.value.trim()) {
        kit.fieldError('reason', t('Say why, so the family knows.'));
        kit.focusFirstInvalid();
        return;
      }
      kit.busy(true);
      try {
        await api(`/visits/${v.id}/decline`, { method: 'POST', body: { reason: reason.input.value } });
        say(t('Declined. The whole price went back to the payer.'));
        await onChange();
      } catch (e) {
        kit.serverError(e);
      } finally {
        kit.busy(false);
      }
    });
    actions.append(approve, decline);
  }
  if ((v.state === 'pending' || v.state === 'approved') && !v.connected_at) {
    actions.append(confirmAction({
      label: t('Cancel for the facility'), question: t('Cancel this visit? The whole price goes back to the payer.'),
      yes: t('Yes, cancel it'), no: t('Keep it'), testid: `visit-staff-cancel-${v.id}`,
      onConfirm: async () => {
        await api(`/visits/${v.id}/cancel`, { method: 'POST', body: {} });
        say(t('Cancelled. The whole price went back to the payer.'));
        await onChange();
      },
    }));
  }
  return h('li', { class: 'card visit-card', 'data-testid': `staff-visit-${v.id}` },
    h('h3', { class: 'panel-title' }, t('{resident} ({number}) with {contact}', { resident: v.resident_name, number: v.resident_number, contact: v.contact_name })),
    h('p', null, when(v.starts_at, v.time_zone)),
    h('p', null, stateChip(v), ' ', t('{minutes} minutes', { minutes: v.length_minutes }),
      v.privileged ? [' · ', t('Attorney visit: not monitored')] : v.monitoring_required ? [' · ', t('Monitored')] : null),
    joinControl ? joinControl(v) : null,
    actions);
}

function settingsForm(fid, policy, say) {
  const zone = field({ form: 'visit-policy', name: 'time_zone', label: t('Time zone'), autocomplete: 'off', value: policy.time_zone || '',
    hint: policy.suggested_time_zone ? t('An IANA name such as {zone} (the state\'s).', { zone: policy.suggested_time_zone }) : t('An IANA name such as America/Chicago.') });
  const lead = field({ form: 'visit-policy', name: 'lead_minutes', label: t('Book at least this many hours ahead'), type: 'number', value: String(policy.lead_minutes / 60) });
  const horizon = field({ form: 'visit-policy', name: 'horizon_days', label: t('Book at most this many days ahead'), type: 'number', value: String(policy.horizon_days) });
  const cutoff = field({ form: 'visit-policy', name: 'cancel_cutoff_minutes', label: t('Free cancellation until this many hours before'), type: 'number', value: String(policy.cancel_cutoff_minutes / 60) });
  const late = field({ form: 'visit-policy', name: 'late_cancel_refund', label: t('A later family cancellation gets back'), kind: 'select', value: policy.late_cancel_refund,
    options: [['full', t('The whole price')], ['none', t('Nothing')]] });
  const grace = field({ form: 'visit-policy', name: 'no_show_grace_minutes', label: t('Minutes to wait for a late side'), type: 'number', value: String(policy.no_show_grace_minutes) });
  const approval = field({ form: 'visit-policy', name: 'approval_required', label: t('Staff approve each visit'), kind: 'checkbox', checked: policy.approval_required });
  const monitoring = field({ form: 'visit-policy', name: 'monitoring_required', label: t('Visits are monitored'), kind: 'checkbox', checked: policy.monitoring_required });
  const fields = [zone, lead, horizon, cutoff, late, grace, approval, monitoring];
  const kit = formKit(fields, t('Save the visit rules'), t('Saving…'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'visit-policy-form' }, kit.alert, fields.map((f) => f.wrap), kit.button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    kit.busy(true);
    try {
      await api(`/facilities/${fid}/visit-policy`, { method: 'PUT', body: {
        time_zone: zone.input.value.trim() || null, lead_minutes: Math.round(Number(lead.input.value) * 60),
        horizon_days: Number(horizon.input.value), cancel_cutoff_minutes: Math.round(Number(cutoff.input.value) * 60),
        late_cancel_refund: late.input.value, no_show_grace_minutes: Number(grace.input.value),
        approval_required: approval.input.checked, monitoring_required: monitoring.input.checked,
      } });
      say(t('Visit rules saved.'));
    } catch (e) {
      kit.serverError(e);
    } finally {
      kit.busy(false);
    }
  });
  return form;
}

async function setupSections(target, fid, say) {
  const draw = async () => {
    const [policy, rooms, slots, blackouts] = await Promise.all([api(`/facilities/${fid}/visit-policy`),
      api(`/facilities/${fid}/visit-rooms`), api(`/facilities/${fid}/visit-slots`), api(`/facilities/${fid}/visit-blackouts`)]);
    const roomName = new Map(rooms.items.map((r) => [r.id, r.name]));
    const act = (path, method, body, words) => async () => {
      await api(path, { method, body });
      say(words);
      await draw();
    };
    const simpleForm = (testid, fields, label, path, bodyOf, words) => {
      const kit = formKit(fields, label, t('Saving…'), { buttonClass: 'button' });
      const form = h('form', { class: 'form', novalidate: true, 'data-testid': testid }, kit.alert, fields.map((f) => f.wrap), kit.button);
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        kit.clear();
        kit.busy(true);
        try {
          await act(path, 'POST', bodyOf(), words)();
        } catch (e) {
          kit.serverError(e);
        } finally {
          kit.busy(false);
        }
      });
      return form;
    };
    const roomField = field({ form: 'visit-room', name: 'name', label: t('Room or kiosk name'), autocomplete: 'off', maxlength: '100' });
    const slotRoom = field({ form: 'visit-slot', name: 'room_id', label: t('Room or kiosk'), kind: 'select', options: rooms.items.map((r) => [String(r.id), r.name]) });
    const slotDay = field({ form: 'visit-slot', name: 'weekday', label: t('Day of the week'), kind: 'select', options: WEEKDAYS.map((d, i) => [String(i), t(d)]) });
    const slotStart = field({ form: 'visit-slot', name: 'start_time', label: t('Starts at (facility time)'), type: 'time', value: '10:00' });
    const slotLength = field({ form: 'visit-slot', name: 'length_minutes', label: t('Minutes'), type: 'number', value: '30' });
    const slotCapacity = field({ form: 'visit-slot', name: 'capacity', label: t('Visits at once'), type: 'number', value: '1' });
    const dayField = field({ form: 'visit-blackout', name: 'day', label: t('Date (facility time)'), type: 'date' });
    const dayReason = field({ form: 'visit-blackout', name: 'reason', label: t('Reason'), autocomplete: 'off', maxlength: '500', optional: true });
    replace(target,
      h('section', { class: 'card stack', 'aria-labelledby': 'visit-rules' }, h('h2', { id: 'visit-rules', class: 'panel-title' }, t('Visit rules')),
        settingsForm(fid, policy, say)),
      h('section', { class: 'card stack', 'aria-labelledby': 'visit-rooms' }, h('h2', { id: 'visit-rooms', class: 'panel-title' }, t('Rooms and kiosks')),
        rooms.items.length ? h('ul', null, rooms.items.map((r) => h('li', null, r.name))) : emptyNote(t('No rooms yet.')),
        simpleForm('visit-room-form', [roomField], t('Add room'), `/facilities/${fid}/visit-rooms`, () => ({ name: roomField.input.value }), t('Room added.'))),
      h('section', { class: 'card stack', 'aria-labelledby': 'visit-slots' }, h('h2', { id: 'visit-slots', class: 'panel-title' }, t('Weekly slots')),
        slots.items.length ? h('ul', { class: 'plain-list' }, slots.items.map((s) => h('li', { 'data-testid': `visit-slot-${s.id}` },
          t('{day} {time}, {minutes} minutes, {capacity} at once, {room}', { day: t(WEEKDAYS[s.weekday]), time: s.start_time, minutes: s.length_minutes, capacity: s.capacity, room: roomName.get(s.room_id) || '' }), ' ',
          confirmAction({ label: t('Retire'), question: t('Stop offering this slot? Visits already booked keep it.'), yes: t('Yes, retire it'), no: t('Keep it'),
            testid: `visit-slot-retire-${s.id}`, onConfirm: act(`/facilities/${fid}/visit-slots/${s.id}`, 'DELETE', undefined, t('Slot retired.')) }))))
          : emptyNote(t('No weekly slots yet.')),
        policy.time_zone && rooms.items.length
          ? simpleForm('visit-slot-form', [slotRoom, slotDay, slotStart, slotLength, slotCapacity], t('Add slot'), `/facilities/${fid}/visit-slots`, () => ({
            room_id: Number(slotRoom.input.value), weekday: Number(slotDay.input.value), start_time: slotStart.input.value,
            length_minutes: Number(slotLength.input.value), capacity: Number(slotCapacity.input.value) }), t('Slot added.'))
          : h('p', { class: 'hint' }, t('Set the time zone and add a room first.'))),
      h('section', { class: 'card stack', 'aria-labelledby': 'visit-blackouts' }, h('h2', { id: 'visit-blackouts', class: 'panel-title' }, t('Blackout dates')),
        blackouts.items.length ? h('ul', { class: 'plain-list' }, blackouts.items.map((b) => h('li', null, `${b.day} · ${b.reason}`, ' ',
          confirmAction({ label: t('Remove'), question: t('Offer visits on this date again?'), yes: t('Yes, remove it'), no: t('Keep it'),
            testid: `visit-blackout-remove-${b.id}`, onConfirm: act(`/facilities/${fid}/visit-blackouts/${b.id}`, 'DELETE', undefined, t('Blackout removed.')) }))))
          : emptyNote(t('No blackout dates.')),
        simpleForm('visit-blackout-form', [dayField, dayReason], t('Add blackout date'), `/facilities/${fid}/visit-blackouts`, () => ({
          day: dayField.input.value, reason: dayReason.input.value || undefined }), t('Blackout date added.'))));
  };
  await draw();
}

async function scheduleSections(target, fid, say) {
  const day = h('input', { type: 'date', id: 'visit-day', value: new Date().toISOString().slice(0, 10) });
  const list = h('div');
  const pending = h('div');
  const draw = async () => {
    // A day is read in the facility's time: without a time zone there is no day to show yet.
    const policy = await api(`/facilities/${fid}/visit-policy`);
    const waitingPath = `/facilities/${fid}/visits?state=pending&to=${encodeURIComponent(new Date(Date.now() + 91 * 86400000).toISOString())}`;
    const dayPath = `/facilities/${fid}/visits?day=${encodeURIComponent(day.value)}`;
    const [waiting, today] = await Promise.all([api(waitingPath), policy.time_zone ? api(dayPath) : { items: [] }]);
    const card = (v) => staffVisitCard(v, { onChange: draw, say });
    replace(pending, pagedCards(waiting, waitingPath, card, t('No visits are waiting for approval.'), say));
    replace(list, pagedCards(today, dayPath, card, t('No visits on this day.'), say));
  };
  day.addEventListener('change', () => draw().catch((e) => say(e.message)));
  replace(target,
    h('section', { class: 'stack', 'aria-labelledby': 'visits-waiting' }, h('h2', { id: 'visits-waiting' }, t('Waiting for approval')), pending),
    h('section', { class: 'stack', 'aria-labelledby': 'visits-day' }, h('h2', { id: 'visits-day' }, t('Schedule')),
      h('div', { class: 'field' }, h('label', { for: 'visit-day' }, t('Day (facility time)')), day), list));
  await draw();
}

export async function staffVisitsPage(root, ctx) {
  // The staff door every facility page shares (staff-gate.js): signed out, another role, an
  // operator choosing a facility, a facility number that does not exist.
  const gate = await staffFacilityGate(root, ctx, {
    roles: ['facility_admin', 'reviewer', 'operator'], path: '/staff/visits', title: t('Video visits'),
    signedOut: t('This page is for facility staff. Sign in with your staff account.'),
    wrongRoleTitle: t('This page is for facility staff'),
    wrongRole: t('Reviewers and facility admins approve their facility’s video visits here.'),
    pickerId: 'visits-facility', pickerTitle: t('Video visits'),
    pickerLead: t('Choose the facility whose video visits you want to approve or set up.'),
  });
  if (!gate) return;
  const me = gate.account;
  const fid = gate.facility.id;
  const intro = h('div', { class: 'page-intro' }, h('h1', null, t('Video visits')),
    h('p', { class: 'lead' }, t('Approve visits, see the day\'s schedule, and set the facility\'s visit times.')),
    gate.isOperator ? h('p', null, gate.facility.name) : null);
  const live = h('div', { class: 'live', role: 'status', tabindex: '-1' });
  const say = (text) => {
    replace(live, h('p', { class: 'notice' }, text));
    live.focus();
  };
  const schedule = h('div', { class: 'stack' }, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
  const setup = h('div', { class: 'stack' });
  replace(root, h('div', { class: 'wrap' }, intro, live, schedule, setup));
  try {
    await scheduleSections(schedule, fid, say);
    if (me.role !== 'reviewer') await setupSections(setup, fid, say);
  } catch (e) {
    if (ctx.isCurrent()) replace(schedule, h('p', { role: 'alert' }, e instanceof ApiError ? e.message : String(e)));
  }
}
