// The signed-in person's own account, as the server knows it.

import { api, fetchMe, currentAccount, homeFor, signOutEverywhere, forget } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { field, formKit, showPasswordToggle } from '../forms.js';
import { roleName, formatCount, formatDate, formatMoney } from '../labels.js';
import { N_, t, tn } from '../i18n.js';
import { unverifiedNotice } from './email.js';

const MIN_PASSWORD = 10;

/* An account's status other than active, in words. */
const ACCOUNT_STATUSES = { disabled: N_('Disabled') };

export async function accountPage(root, ctx) {
  setTitle(t('Your account'));
  if (!currentAccount()) {
    signedOut(root);
    return;
  }
  replace(root, h('div', { class: 'wrap narrow' }, h('p', { class: 'loading', role: 'status' }, t('Loading your account…'))));
  const me = await fetchMe();
  if (!ctx.isCurrent()) return;
  if (!me) {
    signedOut(root, true);
    return;
  }
  const rows = [
    [t('Name'), me.full_name],
    [t('Email address'), me.email],
    [t('Phone number'), me.phone],
    [t('Account type'), roleName(me.role)],
    me.status && me.status !== 'active' ? [t('Account status'), ACCOUNT_STATUSES[me.status] ? t(ACCOUNT_STATUSES[me.status]) : me.status] : null,
    me.created_at ? [t('Member since'), formatDate(me.created_at)] : null,
  ].filter((r) => r && r[1]);
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, t('Your account'))),
    unverifiedNotice(me),
    h('section', { class: 'card', 'aria-labelledby': 'details-heading' },
      h('h2', { id: 'details-heading', class: 'panel-title' }, t('Your details')),
      h('dl', { class: 'facts', 'data-testid': 'account-details' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]))),
    me.role === 'contact'
      ? h('section', { class: 'panel panel--quiet', 'aria-labelledby': 'next-heading' },
        h('h2', { id: 'next-heading', class: 'panel-title' }, t('Next step')),
        h('p', null, t('Find the facility where your loved one is held to see how to reach them, and whether Kite serves it.')),
        h('p', { class: 'actions' },
          h('a', { class: 'button', href: '/' }, t('Find a facility')),
          h('a', { class: 'button button--secondary', href: '/contacts' }, t('Your contacts')),
          h('a', { class: 'button button--secondary', href: '/messages' }, t('Your messages')),
          h('a', { class: 'button button--secondary', href: '/wallet' }, t('Your wallet'))),
        h('p', null, h('a', { href: '/attorney', 'data-testid': 'attorney-link' }, t('Are you an attorney? Register your bar number'))))
      : h('p', { class: 'actions' },
        h('a', { class: 'button', href: homeFor(me.role) }, me.role === 'resident' ? t('Go to your home') : t('Go to the staff page'))),
    me.email ? securitySection(ctx) : null,
    me.role === 'contact' ? deleteSection(ctx) : null));
}

const CONFIRM_WORD = 'DELETE';

/* What the account still holds, from a 409 account_has_balance, as a list a person can act on. */
function balanceList(b) {
  if (!b) return null;
  const items = [
    b.balance_cents ? t('Kite balance: {amount}', { amount: formatMoney(b.balance_cents) }) : null,
    b.held_cents ? t('On hold for messages waiting for review and video visits still to come: {amount}', { amount: formatMoney(b.held_cents) }) : null,
    b.phone_cents ? t('Phone accounts: {amount} (refund it on the Phone page)', { amount: formatMoney(b.phone_cents) }) : null,
    b.stamps_and_credits ? t('Stamps or credits: {count}', { count: formatCount(b.stamps_and_credits) }) : null,
  ].filter(Boolean);
  return items.length ? h('ul', { 'data-testid': 'delete-balances' }, items.map((x) => h('li', null, x))) : null;
}

/*
 * Take your data, then delete the account: the download first, and the
 * deletion behind the password and the typed word, with plain words on what
 * stays (the facility's copy of the messages) and what must happen first (money).
 */
function deleteSection(ctx) {
  const fields = [
    field({ form: 'delete', name: 'confirm', label: t('Type {word} to confirm', { word: CONFIRM_WORD }), autocomplete: 'off' }),
    field({ form: 'delete', name: 'current_password', label: t('Current password'), type: 'password',
      autocomplete: 'current-password' }),
  ];
  const kit = formKit(fields, t('Delete my account'), t('Deleting it…'), { buttonClass: 'button button--danger' });
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'delete-heading', id: 'delete-account' },
    kit.alert, fields.map((f) => f.wrap), kit.button);
  const money = h('div', { role: 'status' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    replace(money);
    const confirm = form.elements.confirm.value.trim();
    const current = form.elements.current_password.value;
    if (confirm !== CONFIRM_WORD) kit.fieldError('confirm', t('Type {word} in capital letters.', { word: CONFIRM_WORD }));
    if (!current) kit.fieldError('current_password', t('Enter your current password.'));
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/me', { method: 'DELETE', body: { current_password: current, confirm } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e);
      if (e.code === 'account_has_balance') replace(money, balanceList(e.balances));
      return;
    }
    forget();
    ctx.flash(t('Your account is deleted. The messages you exchanged stay with the facility under its rules, shown as from "Deleted account".'));
    ctx.navigate('/');
  });
  return h('section', { class: 'card', 'aria-labelledby': 'delete-heading', 'data-testid': 'delete-account-card' },
    h('h2', { id: 'delete-heading', class: 'panel-title' }, t('Delete your account')),
    h('h3', null, t('Download your data first')),
    h('p', null, t('One file with everything Kite holds about you: your account, contacts, messages, statement, money transfers and phone accounts.')),
    h('p', { class: 'actions' },
      h('a', { class: 'button button--secondary', href: '/api/v1/me/export', download: 'kite-export.json', 'data-testid': 'export-data' },
        t('Download your data'))),
    h('h3', null, t('What deleting does')),
    h('ul', null,
      h('li', null, t('Your name, email address, phone number and password are removed, and you are signed out everywhere. You can register again later with the same email.')),
      h('li', null, t('The messages you exchanged stay with the facility for as long as its rules require; the people you wrote to see them as from "Deleted account".')),
      h('li', null, t('Your balance must be spent or refunded first, and phone account money refunded: Kite does not delete an account that holds money.')),
      h('li', null, t('Messages still waiting for review are withdrawn. This cannot be undone.'))),
    money, form);
}

/* Change the password (every other device is signed out), or sign out every device now. */
function securitySection(ctx) {
  const fields = [
    field({ name: 'current_password', label: t('Current password'), type: 'password', autocomplete: 'current-password' }),
    field({ name: 'new_password', label: t('New password'), type: 'password', autocomplete: 'new-password',
      hint: tn(MIN_PASSWORD,
        'At least {n} character. A few words you will remember work well; avoid common passwords.',
        'At least {n} characters. A few words you will remember work well; avoid common passwords.'),
      extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, t('Change password'), t('Changing it…'), { buttonClass: 'button' });
  const form = h('form', { class: 'form', novalidate: true, 'aria-labelledby': 'password-heading' },
    kit.alert, fields.map((f) => f.wrap), kit.button);
  const done = h('p', { class: 'notice notice--success', role: 'status', hidden: true, id: 'password-changed' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    done.hidden = true;
    const current = form.elements.current_password.value;
    const fresh = form.elements.new_password.value;
    if (!current) kit.fieldError('current_password', t('Enter your current password.'));
    if ([...fresh].length < MIN_PASSWORD) {
      kit.fieldError('new_password', [
        tn(MIN_PASSWORD, 'Choose a password of at least {n} character.', 'Choose a password of at least {n} characters.'),
        tn([...fresh].length, 'Yours has {n}.', 'Yours has {n}.'),
      ].join(' '));
    }
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/me/password', { method: 'POST', body: { current_password: current, new_password: fresh } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e);
      return;
    }
    kit.busy(false);
    form.reset();
    done.textContent = t('Your password is changed. Every other device signed in to your account is signed out; this one stays signed in.');
    done.hidden = false;
    done.focus();
  });
  const everywhere = h('button', { type: 'button', class: 'button button--secondary', id: 'sign-out-everywhere' },
    t('Sign out on every device'));
  everywhere.addEventListener('click', async () => {
    everywhere.disabled = true;
    try {
      await signOutEverywhere();
      ctx.flash(t('You are signed out on every device, this one included. Sign in again to continue.'));
      ctx.navigate('/signin');
    } catch (e) {
      everywhere.disabled = false;
      ctx.flash(e.message, 'error');
    }
  });
  done.setAttribute('tabindex', '-1');
  return h('section', { class: 'card security', 'aria-labelledby': 'security-heading' },
    h('h2', { id: 'security-heading', class: 'panel-title' }, t('Password and devices')),
    h('h3', { id: 'password-heading' }, t('Change your password')),
    done, form,
    h('h3', null, t('Signed in somewhere else?')),
    h('p', null, t('A phone you lost, a shared computer: sign out on every device where your account is open.')),
    h('p', { class: 'actions' }, everywhere));
}

/* ended: the session ended while the page was loading (rather than no sign-in at all). */
function signedOut(root, ended = false) {
  setTitle(t('Sign in to see your account'));
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, t('You are not signed in')),
    h('p', null, ended ? t('Your session has ended. Sign in to see your account.') : t('Sign in to see your account.')),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: '/signin?next=%2Faccount' }, t('Sign in')),
      h('a', { class: 'button button--secondary', href: '/register' }, t('Create an account')))));
}
