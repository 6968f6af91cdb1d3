// Create an account, and sign in.

import { ApiError, api, signIn, currentAccount, homeFor } from '../api.js';
import { breakable, h, replace, setTitle } from '../dom.js';
import { field, formKit, safeNext, showPasswordToggle, throttleCountdown, validEmail, validPhone } from '../forms.js';
import { lang, t, tn, tp } from '../i18n.js';
import { pendingInvitationPath } from './invitation.js';

const MIN_PASSWORD = 10;

const passwordHint = () => tn(MIN_PASSWORD,
  'At least {n} character. A few words you will remember work well; avoid common passwords.',
  'At least {n} characters. A few words you will remember work well; avoid common passwords.');

/* "Choose a password of at least 10 characters. Yours has 4." */
const tooShort = (length) => [
  tn(MIN_PASSWORD, 'Choose a password of at least {n} character.', 'Choose a password of at least {n} characters.'),
  tn(length, 'Yours has {n}.', 'Yours has {n}.'),
].join(' ');

function alreadySignedIn(root, account) {
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, t('You are signed in')),
    h('p', null, tp('You are signed in as {name}. To use another account, sign out first.', { name: account.full_name || breakable(account.email) })),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: homeFor(account.role) }, account.role === 'contact' ? t('Go to your account') : t('Go to your page')),
      h('a', { class: 'button button--secondary', href: '/' }, t('Find a facility')))));
}

export function registerPage(root, ctx) {
  setTitle(t('Create an account'));
  const account = currentAccount();
  if (account) {
    alreadySignedIn(root, account);
    return;
  }
  const next = safeNext(ctx.query);
  const fields = [
    field({ name: 'full_name', label: t('Full name'), autocomplete: 'name', hint: t('Use the name the facility knows you by.') }),
    field({ name: 'email', label: t('Email address'), type: 'email', autocomplete: 'email', hint: t('You sign in with this address. Invitations and notices are sent here.') }),
    field({ name: 'phone', label: t('Phone number'), type: 'tel', autocomplete: 'tel', hint: t('Include the area code.') }),
    field({ name: 'password', label: t('Password'), type: 'password', autocomplete: 'new-password',
      hint: passwordHint(),
      extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, t('Create account'), t('Creating your account…'));
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  const get = (name) => form.elements[name].value;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    // lang: the language the account's emails are written in, the one this page shows.
    const values = {
      full_name: get('full_name').trim(), email: get('email').trim(), phone: get('phone').trim(), password: get('password'), lang: lang(),
    };
    if (!values.full_name) kit.fieldError('full_name', t('Enter your full name.'));
    if (!values.email) kit.fieldError('email', t('Enter your email address.'));
    else if (!validEmail(values.email)) kit.fieldError('email', t('Enter an email address like name@example.com.'));
    if (!values.phone) kit.fieldError('phone', t('Enter a phone number.'));
    else if (!validPhone(values.phone)) kit.fieldError('phone', t('Enter a phone number of 7 to 15 digits. You can use spaces, dashes, brackets and +.'));
    if ([...values.password].length < MIN_PASSWORD) {
      kit.fieldError('password', tooShort([...values.password].length));
    }
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/accounts', { method: 'POST', body: values });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e, (err) => (err.code === 'email_taken'
        ? h('a', { href: `/signin?email=${encodeURIComponent(values.email)}` }, t('Go to sign in.'))
        : null));
      return;
    }
    try {
      const signedIn = await signIn(values.email, values.password);
      ctx.flash(t('Welcome, {name}. Your account is ready and you are signed in.', { name: signedIn.full_name }));
      // An invitation this tab was opening comes first, even when the return address was lost.
      ctx.navigate(next || pendingInvitationPath() || '/account');
    } catch {
      ctx.flash(t('Your account is ready. Sign in to continue.'));
      ctx.navigate(`/signin?email=${encodeURIComponent(values.email)}`);
    }
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Create an account')),
      h('p', { class: 'lead' }, t('A Kite account is free. You need one to exchange messages with someone at a facility that Kite serves.'))),
    h('div', { class: 'card' }, form),
    h('p', { class: 'after-form' }, tp('Already have an account? {signin}', {
      signin: h('a', { href: next ? `/signin?next=${encodeURIComponent(next)}` : '/signin' }, t('Sign in')),
    }))));
}

export function signinPage(root, ctx) {
  setTitle(t('Sign in'));
  const account = currentAccount();
  if (account) {
    alreadySignedIn(root, account);
    return;
  }
  const next = safeNext(ctx.query);
  const fields = [
    field({ name: 'email', label: t('Email address'), type: 'email', autocomplete: 'username', value: ctx.query.get('email') || null }),
    field({ name: 'password', label: t('Password'), type: 'password', autocomplete: 'current-password', extra: showPasswordToggle }),
  ];
  // Staff: the code of their authenticator app (or a recovery code), asked once the password is right.
  const code = field({
    name: 'code', label: t('Two-factor code'), autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6,
    hint: t('The 6-digit code your authenticator app shows for Kite now.'),
  });
  code.wrap.hidden = true;
  let useRecovery = false;
  const switchCode = h('button', { type: 'button', class: 'button button--link', hidden: true }, t('Use a recovery code instead'));
  switchCode.addEventListener('click', () => {
    useRecovery = !useRecovery;
    code.wrap.querySelector('label').textContent = useRecovery ? t('Recovery code') : t('Two-factor code');
    code.wrap.querySelector('.hint').textContent = useRecovery
      ? t('One of the recovery codes you saved when you set up two-factor sign-in. Each works once.')
      : t('The 6-digit code your authenticator app shows for Kite now.');
    code.input.removeAttribute('maxlength');
    code.input.setAttribute('inputmode', useRecovery ? 'text' : 'numeric');
    if (!useRecovery) code.input.setAttribute('maxlength', '6');
    switchCode.textContent = useRecovery ? t('Use the authenticator code instead') : t('Use a recovery code instead');
    code.input.value = '';
    code.input.focus();
  });
  fields.push(code);
  const kit = formKit(fields, t('Sign in'), t('Signing in…'));
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), switchCode, kit.button);
  let stopWait = () => {};
  ctx.onLeave(() => stopWait());

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    if (!email) kit.fieldError('email', t('Enter the email address you signed up with.'));
    if (!password) kit.fieldError('password', t('Enter your password.'));
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    const typed = code.wrap.hidden ? '' : code.input.value.replace(/\s+/g, '');
    if (!code.wrap.hidden && !typed) {
      kit.fieldError('code', useRecovery ? t('Enter one of your recovery codes.') : t('Enter the code from your authenticator app.'));
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const second = !typed ? {} : useRecovery ? { recovery_code: typed } : { totp_code: typed };
      const signedIn = await signIn(email, password, second);
      ctx.flash(t('You are signed in as {name}.', { name: signedIn.full_name || signedIn.email }));
      if (signedIn.twoFactorEnrollment) {
        ctx.navigate(`/two-factor${next ? `?next=${encodeURIComponent(next)}` : ''}`);
        return;
      }
      ctx.navigate(next || (signedIn.role === 'contact' && pendingInvitationPath()) || homeFor(signedIn.role));
    } catch (e) {
      if (!ctx.isCurrent()) return;
      if (e instanceof ApiError && e.code === 'two_factor_required') {
        kit.busy(false);
        code.wrap.hidden = false;
        switchCode.hidden = false;
        code.input.focus();
        return;
      }
      if (e instanceof ApiError && e.code === 'invalid_two_factor_code') {
        kit.busy(false);
        kit.fieldError('code', e.message);
        kit.focusFirstInvalid();
        return;
      }
      if (e instanceof ApiError && e.status === 429) {
        stopWait();
        stopWait = throttleCountdown(kit, e);
        return;
      }
      kit.busy(false);
      kit.serverError(e);
    }
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Sign in')),
      h('p', { class: 'lead' }, t('Sign in with the email address and password of your Kite account.'))),
    ctx.query.get('signed_out') === 'idle'
      ? h('p', { class: 'notice', role: 'status' }, t('You were signed out after 30 minutes without activity. Sign in again to continue.'))
      : null,
    h('div', { class: 'card' }, form),
    h('p', { class: 'after-form' }, h('a', { href: '/forgot-password', id: 'forgot-password' }, t('Forgot your password?'))),
    h('p', { class: 'after-form' }, tp('No account yet? {register}.', {
      register: h('a', { href: next ? `/register?next=${encodeURIComponent(next)}` : '/register' }, t('Create one, it is free')),
    })),
    h('p', { class: 'after-form after-form--quiet' }, tp('Living in a facility? {tablet}.', {
      tablet: h('a', { href: '/tablet' }, t('Sign in on a facility tablet')),
    }))));
}

/* Forgot a password: the address, then the same words whatever it is (the server tells nothing either). */
export function forgotPasswordPage(root, ctx) {
  setTitle(t('Forgot your password'));
  const fields = [
    field({ name: 'email', label: t('Email address'), type: 'email', autocomplete: 'username', value: ctx.query.get('email') || null,
      hint: t('The address you signed up with. We send a link to it.') }),
  ];
  const kit = formKit(fields, t('Send me a link'), t('Sending…'));
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  let stopWait = () => {};
  ctx.onLeave(() => stopWait());
  const card = h('div', { class: 'card' }, form);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const email = form.elements.email.value.trim();
    if (!email) kit.fieldError('email', t('Enter the email address you signed up with.'));
    else if (!validEmail(email)) kit.fieldError('email', t('Enter an email address like name@example.com.'));
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/password-resets', { method: 'POST', body: { email } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      if (e instanceof ApiError && e.status === 429) {
        stopWait();
        stopWait = throttleCountdown(kit, e);
        return;
      }
      kit.busy(false);
      kit.serverError(e);
      return;
    }
    if (!ctx.isCurrent()) return;
    const done = h('div', { class: 'notice notice--success', role: 'status', tabindex: '-1', id: 'reset-sent' },
      h('p', null, tp('If a Kite account uses {email}, we sent it a link to choose a new password. It works once, for one hour.', { email: breakable(email) })),
      h('p', null, t('No email after a few minutes? Look in your spam folder, check the address, or ask again.')));
    replace(card, done);
    done.focus();
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Forgot your password')),
      h('p', { class: 'lead' }, t('We email you a link to choose a new password.'))),
    card,
    h('p', { class: 'after-form' }, tp('Remembered it? {signin}.', { signin: h('a', { href: '/signin' }, t('Sign in')) }))));
}

/* The mailed link: a new password, twice; then sign in with it. */
export function resetPasswordPage(root, ctx) {
  setTitle(t('Choose a new password'));
  const token = ctx.query.get('token') || '';
  const fields = [
    field({ name: 'password', label: t('New password'), type: 'password', autocomplete: 'new-password',
      hint: passwordHint(),
      extra: showPasswordToggle }),
    field({ name: 'again', label: t('New password again'), type: 'password', autocomplete: 'new-password' }),
  ];
  const kit = formKit(fields, t('Set my new password'), t('Setting it…'));
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  const askAgain = () => h('a', { href: '/forgot-password' }, t('Ask for a new link.'));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const password = form.elements.password.value;
    if ([...password].length < MIN_PASSWORD) {
      kit.fieldError('password', tooShort([...password].length));
    } else if (form.elements.again.value !== password) {
      kit.fieldError('again', t('The two passwords are not the same. Type the new password again.'));
    }
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api('/password-resets/confirm', { method: 'POST', body: { token, password } });
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e, (err) => (err.code === 'reset_link_expired' ? askAgain() : null));
      return;
    }
    ctx.flash(t('Your password is changed, and every device that was signed in is signed out. Sign in with the new password.'));
    ctx.navigate('/signin');
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Choose a new password')),
      h('p', { class: 'lead' }, t('After this, sign in with the new password. Every device signed in to your account is signed out.'))),
    /^[0-9a-f]{64}$/.test(token)
      ? h('div', { class: 'card' }, form)
      : h('div', { class: 'notice notice--error', role: 'alert' },
        h('p', null, t('This link is not complete. Open the link from the email again, or ask for a new one.')),
        h('p', null, askAgain()))));
}
