// /two-factor: a staff member or operator sets up two-factor sign-in (the secret for an
// authenticator app, typed in groups or opened as an otpauth:// link, then the first code), sees
// the ten recovery codes once, and later asks for new ones.  A staff account without two-factor
// is sent here after signing in: the server lets its session do nothing else.
// /staff/activity: what a facility's staff did and when (reviews, searches, messages read, policy
// and roster changes, sign-ins), from the audit log; the facility's admin and operators.
//
// The secret and the recovery codes are put in as text nodes only, and are never kept in storage.

import { api, ApiError, currentAccount, homeFor } from '../api.js';
import { h, replace, setTitle, breakable } from '../dom.js';
import { N_, formatDateTime, t, tn } from '../i18n.js';
import { roleName } from '../labels.js';
import { field, formKit, safeNext } from '../forms.js';
import { emptyNote, facilityPicker } from '../widgets.js';

const TWO_FACTOR_ROLES = ['reviewer', 'investigator', 'facility_admin', 'operator'];
const PAGE_SIZE = 50;

function notForYou(root) {
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', { tabindex: '-1' }, t('Staff sign-in needed')),
    h('p', null, t('This page is for facility staff and operators. Sign in with your staff account.')),
    h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin' }, t('Sign in')))));
}

/* "JBSW Y3DP EHPK 3PXP": easier to type into an app by hand. */
const grouped = (secret) => secret.replace(/(.{4})/g, '$1 ').trim();

function codeForm(label, submit, busy, onCode) {
  const code = field({
    name: 'code', label, autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6,
    hint: t('The 6-digit code your authenticator app shows for Kite now.'),
  });
  const kit = formKit([code], submit, busy);
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, code.wrap, kit.button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const typed = code.input.value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(typed)) {
      kit.fieldError('code', t('Enter the 6 digits your authenticator app shows.'));
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await onCode(typed);
    } catch (e) {
      kit.busy(false);
      kit.serverError(e);
    }
  });
  return form;
}

function recoveryList(root, codes, next) {
  setTitle(t('Your recovery codes'));
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', { tabindex: '-1' }, t('Your recovery codes')),
    h('p', { class: 'notice notice--ok', role: 'status' }, t('Two-factor sign-in is on for your account.')),
    h('p', null, t('If you lose your phone, each of these codes signs you in once instead of a code from the app. Print them or write them down and keep them somewhere safe: Kite shows them only this once.')),
    h('ol', { class: 'recovery-codes', 'data-testid': 'recovery-codes' }, codes.map((c) => h('li', null, h('code', null, c)))),
    h('p', { class: 'actions' }, h('a', { class: 'button', href: next }, t('I have saved them, continue')))));
  root.querySelector('h1').focus();
}

async function enrol(root, ctx, next) {
  const begun = await api('/me/two-factor', { method: 'POST' });
  setTitle(t('Set up two-factor sign-in'));
  const form = codeForm(t('Code from the app'), t('Turn on two-factor sign-in'), t('Checking…'), async (code) => {
    const done = await api('/me/two-factor/confirm', { method: 'POST', body: { code } });
    if (ctx.isCurrent()) recoveryList(root, done.recovery_codes, next);
  });
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', { tabindex: '-1' }, t('Set up two-factor sign-in')),
    h('ol', { class: 'steps' },
      h('li', null, t('Open an authenticator app on your phone (for example FreeOTP, Google Authenticator or Microsoft Authenticator) and add an account.')),
      h('li', null, t('Type in this key, or open the link on the phone that has the app:'),
        h('p', { class: 'secret' }, h('code', { 'data-testid': 'totp-secret' }, grouped(begun.secret))),
        h('p', null, h('a', { href: begun.otpauth_uri }, t('Add Kite to my authenticator app')))),
      h('li', null, t('Enter the 6-digit code the app now shows for Kite.'))),
    h('div', { class: 'card' }, form)));
}

async function enrolled(root, state) {
  setTitle(t('Two-factor sign-in'));
  const form = codeForm(t('Code from the app'), t('Make new recovery codes'), t('Making…'), async (code) => {
    const done = await api('/me/two-factor/recovery-codes', { method: 'POST', body: { code } });
    recoveryList(root, done.recovery_codes, '/two-factor');
  });
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', { tabindex: '-1' }, t('Two-factor sign-in')),
    h('p', { class: 'notice notice--ok', role: 'status' }, t('Two-factor sign-in is on for your account.')),
    h('p', null, tn(state.recovery_codes_left, 'You have {n} unused recovery code.', 'You have {n} unused recovery codes.')),
    h('h2', null, t('New recovery codes')),
    h('p', null, t('New codes replace all the old ones. Lost your phone? An operator can turn two-factor sign-in off for your account, and you set it up again.')),
    h('div', { class: 'card' }, form)));
}

export async function twoFactorPage(root, ctx) {
  setTitle(t('Two-factor sign-in'));
  const account = currentAccount();
  if (!account || !TWO_FACTOR_ROLES.includes(account.role)) {
    notForYou(root);
    return;
  }
  const next = safeNext(ctx.query) || homeFor(account.role);
  const state = await api('/me/two-factor');
  if (!ctx.isCurrent()) return;
  if (state.enrolled) {
    await enrolled(root, state);
    return;
  }
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', { tabindex: '-1' }, t('Set up two-factor sign-in')),
    h('p', { class: 'lead' }, t('Staff accounts sign in with their password and a code from an authenticator app on their phone, so a stolen password alone cannot open messages or records. Until it is set up, your account can do nothing else.')),
    h('p', { class: 'actions' }, (() => {
      const start = h('button', { type: 'button', class: 'button' }, t('Set it up now'));
      start.addEventListener('click', async () => {
        start.disabled = true;
        try {
          await enrol(root, ctx, next);
          root.querySelector('h1').focus();
        } catch (e) {
          start.disabled = false;
          if (!(e instanceof ApiError)) throw e;
          replace(root.querySelector('.actions'), h('p', { class: 'notice notice--error', role: 'alert' }, e.message));
        }
      });
      return start;
    })())));
}

/* ---- the staff-activity report ---- */

const KINDS = {
  review: N_('Review'), search: N_('Search'), read: N_('Read a message'), policy: N_('Policy'),
  roster: N_('Roster'), sign_in: N_('Sign-in'), other: N_('Other'),
};

function activityTable(items) {
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('Staff activity') },
    h('table', { class: 'price-table activity-table', 'data-testid': 'staff-activity' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('When')), h('th', { scope: 'col' }, t('Who')), h('th', { scope: 'col' }, t('What')),
        h('th', { scope: 'col' }, t('Action')), h('th', { scope: 'col' }, t('On')), h('th', { scope: 'col' }, t('Details')))),
      h('tbody', null, items.map((x) => h('tr', null,
        h('td', null, formatDateTime(x.at)),
        h('td', null, x.name, h('br'), h('span', { class: 'muted' }, roleName(x.role))),
        h('td', null, t(KINDS[x.kind] || KINDS.other)),
        h('td', null, h('code', null, x.action)),
        h('td', null, h('code', null, x.target)),
        h('td', null, breakable(x.detail)))))));
}

export async function staffActivityPage(root, ctx) {
  setTitle(t('Staff activity'));
  const account = currentAccount();
  if (!account || !['facility_admin', 'operator'].includes(account.role)) {
    notForYou(root);
    return;
  }
  const wanted = ctx.query.get('facility');
  const facilityId = account.role === 'operator' ? (wanted && /^\d{1,10}$/.test(wanted) ? Number(wanted) : null) : account.facility_id;
  const head = [
    h('h1', { tabindex: '-1' }, t('Staff activity')),
    h('p', { class: 'lead' }, t('Who reviewed, searched, read and changed what, and when: taken from the audit record, newest first.')),
  ];
  if (!facilityId) {
    const picker = facilityPicker({
      id: 'activity-facility', label: t('Facility'), onlyOnKite: true,
      hint: t('Type a name, a town or a facility number. Only facilities on Kite have messages to search.'),
      onPick: (f) => ctx.navigate(`/staff/activity?facility=${f.id}`),
    });
    ctx.onLeave(picker.stop);
    replace(root, h('div', { class: 'wrap narrow' }, ...head, h('div', { class: 'card' }, picker.wrap)));
    return;
  }
  const from = field({ name: 'from', label: t('From'), type: 'date', optional: true, value: ctx.query.get('from') || null });
  const to = field({ name: 'to', label: t('To'), type: 'date', optional: true, value: ctx.query.get('to') || null });
  const kit = formKit([from, to], t('Show'), t('Loading…'), { buttonClass: 'button' });
  const form = h('form', { class: 'form form--inline', novalidate: true }, kit.alert, from.wrap, to.wrap, kit.button);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (account.role === 'operator') q.set('facility', String(facilityId));
    if (from.input.value) q.set('from', from.input.value);
    if (to.input.value) q.set('to', to.input.value);
    ctx.navigate(`/staff/activity${q.toString() ? `?${q}` : ''}`);
  });
  const results = h('div', { class: 'activity-results' });
  const more = h('button', { type: 'button', class: 'button button--secondary', hidden: true }, t('Older activity'));
  let cursor = null;
  const load = async () => {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const k of ['from', 'to']) if (ctx.query.get(k)) q.set(k, ctx.query.get(k));
    if (cursor) q.set('cursor', cursor);
    const page = await api(`/facilities/${facilityId}/staff-activity?${q}`);
    if (!ctx.isCurrent()) return;
    if (!cursor && page.items.length === 0) results.append(emptyNote(t('No staff activity in this time.')));
    else if (page.items.length) results.append(activityTable(page.items));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      await load();
    } finally {
      more.disabled = false;
    }
  });
  await load();
  if (!ctx.isCurrent()) return;
  const csvQuery = new URLSearchParams();
  for (const k of ['from', 'to']) if (ctx.query.get(k)) csvQuery.set(k, ctx.query.get(k));
  const csvHref = `/api/v1/facilities/${facilityId}/staff-activity.csv${csvQuery.toString() ? `?${csvQuery}` : ''}`;
  replace(root, h('div', { class: 'wrap' }, ...head,
    h('p', null, t('Facility number {id}', { id: facilityId }), ' · ',
      h('a', { href: csvHref, download: '', 'data-testid': 'activity-csv' }, t('Download as a spreadsheet (CSV)'))),
    h('div', { class: 'card' }, form), results, h('p', { class: 'actions' }, more)));
}
