// Create an account, and sign in.

import { api, ApiError, signIn, currentAccount } from '../api.js';
import { h, replace, setTitle } from '../dom.js';

const MIN_PASSWORD = 10;

/* Errors whose answer names no field but clearly belong to one. */
const FIELD_FOR_CODE = { email_taken: 'email', weak_password: 'password' };

function safeNext(query) {
  const next = query.get('next') || '';
  if (!next.startsWith('/') || next.startsWith('//') || /^\/(signin|register)\b/.test(next)) return null;
  return next;
}

function field({ name, label, type = 'text', autocomplete, hint, value, extra }) {
  const id = `f-${name}`;
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const input = h('input', {
    id, name, type, autocomplete, value, required: true,
    'aria-describedby': [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' '),
  });
  if (type === 'email') input.setAttribute('inputmode', 'email');
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, error, input, extra ? extra(input) : null);
  return { name, wrap, input, error };
}

function showPasswordToggle(input) {
  const id = `${input.id}-show`;
  const box = h('input', { type: 'checkbox', id });
  box.addEventListener('change', () => {
    input.type = box.checked ? 'text' : 'password';
  });
  return h('div', { class: 'checkbox' }, box, h('label', { for: id }, 'Show password'));
}

/* Form plumbing shared by both pages: field errors, the alert at the top, the busy button. */
function formKit(fields, submitLabel, busyLabel) {
  const alert = h('div', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true });
  const button = h('button', { type: 'submit', class: 'button button--wide' }, submitLabel);
  const byName = new Map(fields.map((f) => [f.name, f]));

  function clear() {
    alert.hidden = true;
    replace(alert);
    for (const f of fields) {
      f.error.hidden = true;
      replace(f.error);
      f.input.removeAttribute('aria-invalid');
      f.wrap.classList.remove('field--invalid');
    }
  }

  function fieldError(name, ...message) {
    const f = byName.get(name);
    if (!f) return false;
    replace(f.error, h('span', { class: 'visually-hidden' }, 'Error: '), ...message);
    f.error.hidden = false;
    f.input.setAttribute('aria-invalid', 'true');
    f.wrap.classList.add('field--invalid');
    return true;
  }

  function topError(...message) {
    replace(alert, h('p', null, ...message));
    alert.hidden = false;
    alert.focus();
  }

  function focusFirstInvalid() {
    const f = fields.find((x) => x.input.getAttribute('aria-invalid') === 'true');
    if (f) f.input.focus();
  }

  /* Shows an answer from the server where it belongs. */
  function serverError(e, extraForField) {
    const name = (e instanceof ApiError && (e.field || FIELD_FOR_CODE[e.code])) || null;
    const extra = extraForField ? extraForField(e) : null;
    if (name && fieldError(name, e.message, extra ? [' ', extra] : null)) {
      focusFirstInvalid();
    } else {
      topError(e.message, extra ? [' ', extra] : null);
    }
  }

  function busy(on) {
    button.disabled = on;
    button.textContent = on ? busyLabel : submitLabel;
  }

  return { alert, button, clear, fieldError, topError, focusFirstInvalid, serverError, busy };
}

function validEmail(v) {
  return /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".][^\s@<>,;"]*$/.test(v);
}

function validPhone(v) {
  const digits = (v.match(/\d/g) || []).length;
  return /^[0-9 +\-().]*$/.test(v) && digits >= 7 && digits <= 15 && v.length <= 32;
}

function alreadySignedIn(root, account) {
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, 'You are signed in'),
    h('p', null, `You are signed in as ${account.full_name || account.email}. To use another account, sign out first.`),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: '/account' }, 'Go to your account'),
      h('a', { class: 'button button--secondary', href: '/' }, 'Find a facility'))));
}

export function registerPage(root, ctx) {
  setTitle('Create an account');
  const account = currentAccount();
  if (account) {
    alreadySignedIn(root, account);
    return;
  }
  const next = safeNext(ctx.query);
  const fields = [
    field({ name: 'full_name', label: 'Full name', autocomplete: 'name', hint: 'Use the name the facility knows you by.' }),
    field({ name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', hint: 'You sign in with this address. Invitations and notices are sent here.' }),
    field({ name: 'phone', label: 'Phone number', type: 'tel', autocomplete: 'tel', hint: 'Include the area code.' }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password',
      hint: `At least ${MIN_PASSWORD} characters. A few words you will remember work well; avoid common passwords.`,
      extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, 'Create account', 'Creating your account…');
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  const get = (name) => form.elements[name].value;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const values = { full_name: get('full_name').trim(), email: get('email').trim(), phone: get('phone').trim(), password: get('password') };
    if (!values.full_name) kit.fieldError('full_name', 'Enter your full name.');
    if (!values.email) kit.fieldError('email', 'Enter your email address.');
    else if (!validEmail(values.email)) kit.fieldError('email', 'Enter an email address like name@example.com.');
    if (!values.phone) kit.fieldError('phone', 'Enter a phone number.');
    else if (!validPhone(values.phone)) kit.fieldError('phone', 'Enter a phone number of 7 to 15 digits. You can use spaces, dashes, brackets and +.');
    if ([...values.password].length < MIN_PASSWORD) {
      kit.fieldError('password', `Choose a password of at least ${MIN_PASSWORD} characters. Yours has ${[...values.password].length}.`);
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
        ? h('a', { href: `/signin?email=${encodeURIComponent(values.email)}` }, 'Go to sign in.')
        : null));
      return;
    }
    try {
      const signedIn = await signIn(values.email, values.password);
      ctx.flash(`Welcome, ${signedIn.full_name}. Your account is ready and you are signed in.`);
      ctx.navigate(next || '/account');
    } catch {
      ctx.flash('Your account is ready. Sign in to continue.');
      ctx.navigate(`/signin?email=${encodeURIComponent(values.email)}`);
    }
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, 'Create an account'),
      h('p', { class: 'lead' }, 'A Kite account is free. You need one to exchange messages with someone at a facility that Kite serves.')),
    h('div', { class: 'card' }, form),
    h('p', { class: 'after-form' }, 'Already have an account? ', h('a', { href: next ? `/signin?next=${encodeURIComponent(next)}` : '/signin' }, 'Sign in'))));
}

export function signinPage(root, ctx) {
  setTitle('Sign in');
  const account = currentAccount();
  if (account) {
    alreadySignedIn(root, account);
    return;
  }
  const next = safeNext(ctx.query);
  const fields = [
    field({ name: 'email', label: 'Email address', type: 'email', autocomplete: 'username', value: ctx.query.get('email') || null }),
    field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, 'Sign in', 'Signing in…');
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((f) => f.wrap), kit.button);
  let waitTimer = null;
  ctx.onLeave(() => clearInterval(waitTimer));

  /* 429: keep the button off until the wait is over, and say how long is left. */
  function throttled(e) {
    const until = Date.now() + (e.retryAfter || 60) * 1000;
    const left = h('strong', null);
    const tick = () => {
      const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      if (s === 0) {
        clearInterval(waitTimer);
        kit.busy(false);
        left.textContent = 'You can try again now.';
        return;
      }
      const m = Math.floor(s / 60);
      left.textContent = `Time left: ${m ? `${m} min ` : ''}${s % 60} s.`;
    };
    kit.topError(e.message, ' ', left);
    kit.button.disabled = true;
    kit.button.textContent = 'Please wait';
    tick();
    waitTimer = setInterval(tick, 1000);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    if (!email) kit.fieldError('email', 'Enter the email address you signed up with.');
    if (!password) kit.fieldError('password', 'Enter your password.');
    if (form.querySelector('[aria-invalid="true"]')) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const signedIn = await signIn(email, password);
      ctx.flash(`You are signed in as ${signedIn.full_name || signedIn.email}.`);
      ctx.navigate(next || '/account');
    } catch (e) {
      if (!ctx.isCurrent()) return;
      if (e instanceof ApiError && e.status === 429) {
        throttled(e);
        return;
      }
      kit.busy(false);
      kit.serverError(e);
    }
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, 'Sign in'),
      h('p', { class: 'lead' }, 'Sign in with the email address and password of your Kite account.')),
    h('div', { class: 'card' }, form),
    h('p', { class: 'after-form' }, 'No account yet? ', h('a', { href: next ? `/register?next=${encodeURIComponent(next)}` : '/register' }, 'Create one, it is free'), '.')));
}
