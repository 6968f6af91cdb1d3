// Form parts every page shares: labelled fields with their hint and error, the alert at the top
// of a form, the busy button, and a question asked in place before something that cannot be undone.

import { ApiError } from './api.js';
import { h, replace } from './dom.js';
import { t } from './i18n.js';

/* Errors whose answer names no field but clearly belong to one. */
const FIELD_FOR_CODE = { email_taken: 'email', weak_password: 'password' };

/* A path on this site to go to after signing in, or null: never another site, never a loop. */
export function safeNext(query) {
  const next = query.get('next') || '';
  if (!next.startsWith('/') || next.startsWith('//') || /^\/(signin|register)\b/.test(next)) return null;
  return next;
}

/*
 * One labelled field.  `form` prefixes the id when a page has several forms (ids stay f-NAME
 * otherwise).  kind: input (default), textarea, select (options: [[value, label]]) or checkbox.
 */
export function field({
  form, name, label, type = 'text', kind = 'input', autocomplete, hint, value, extra, optional = false,
  options, inputmode, maxlength, checked, className, rows,
}) {
  const id = form ? `f-${form}-${name}` : `f-${name}`;
  const hintEl = hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null;
  const error = h('p', { id: `${id}-error`, class: 'field-error', hidden: true });
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(' ');
  let input;
  if (kind === 'select') {
    input = h('select', { id, name, 'aria-describedby': describedBy },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  } else if (kind === 'checkbox') {
    input = h('input', { id, name, type: 'checkbox', checked, 'aria-describedby': describedBy });
    const wrap = h('div', { class: `field field--check${className ? ` ${className}` : ''}` },
      h('div', { class: 'checkbox' }, input, h('label', { for: id }, label)), hintEl, error);
    return { name, wrap, input, error, labelText: label };
  } else if (kind === 'textarea') {
    input = h('textarea', { id, name, required: !optional, rows: rows || 6, 'aria-describedby': describedBy, spellcheck: 'true' });
    if (value) input.value = value;
  } else {
    input = h('input', {
      id, name, type, autocomplete, value, required: !optional, inputmode, maxlength,
      'aria-describedby': describedBy,
    });
    if (type === 'email') input.setAttribute('inputmode', 'email');
  }
  const labelEl = h('label', { for: id }, label, optional ? h('span', { class: 'optional' }, ' ', t('(optional)')) : null);
  const wrap = h('div', { class: `field${className ? ` ${className}` : ''}` }, labelEl, hintEl, error, input, extra ? extra(input) : null);
  return { name, wrap, input, error, labelText: typeof label === 'string' ? label : null };
}

export function showPasswordToggle(input) {
  const id = `${input.id}-show`;
  const box = h('input', { type: 'checkbox', id });
  box.addEventListener('change', () => {
    input.type = box.checked ? 'text' : 'password';
  });
  return h('div', { class: 'checkbox' }, box, h('label', { for: id }, t('Show password')));
}

/* Form plumbing: field errors, the alert at the top, the busy button. */
export function formKit(fields, submitLabel, busyLabel, { buttonClass = 'button button--wide' } = {}) {
  const alert = h('div', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true });
  const button = h('button', { type: 'submit', class: buttonClass }, submitLabel);
  const byName = new Map(fields.map((f) => [f.name, f]));
  let label = submitLabel;

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
    f.wrap.hidden = false;
    replace(f.error, h('span', { class: 'visually-hidden' }, t('Error:'), ' '), ...message);
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

  function hasErrors() {
    return fields.some((f) => f.input.getAttribute('aria-invalid') === 'true');
  }

  /* Shows an answer from the server where it belongs. */
  function serverError(e, extraForField) {
    const name = (e instanceof ApiError && (e.field || FIELD_FOR_CODE[e.code])) || null;
    const extra = extraForField ? extraForField(e) : null;
    const f = name ? byName.get(name) : null;
    // "The field \"pin\" must be …" reads better next to the field as "PIN must be …".
    const text = f && f.labelText ? e.message.replace(/^The field "[a-z_]+"/, f.labelText) : e.message;
    if (name && fieldError(name, text, extra ? [' ', extra] : null)) {
      focusFirstInvalid();
    } else {
      topError(e.message, extra ? [' ', extra] : null);
    }
  }

  function busy(on) {
    button.disabled = on;
    button.textContent = on ? busyLabel : label;
  }

  function setLabel(text) {
    label = text;
    if (!button.disabled) button.textContent = text;
  }

  return { alert, button, clear, fieldError, topError, focusFirstInvalid, hasErrors, serverError, busy, setLabel };
}

/*
 * A 429 on a form: the button stays off until the server's Retry-After is over, and the
 * alert counts down how long is left.  Returns a function that stops the countdown
 * (for ctx.onLeave, or before another one starts).
 */
export function throttleCountdown(kit, e) {
  const until = Date.now() + (e.retryAfter || 60) * 1000;
  const left = h('strong', null);
  let timer = null;
  const tick = () => {
    const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    if (s === 0) {
      clearInterval(timer);
      kit.busy(false);
      left.textContent = t('You can try again now.');
      return;
    }
    const m = Math.floor(s / 60);
    left.textContent = m
      ? t('Time left: {m} min {s} s.', { m, s: s % 60 })
      : t('Time left: {s} s.', { s: s % 60 });
  };
  kit.topError(e.message, ' ', left);
  kit.button.disabled = true;
  kit.button.textContent = t('Please wait');
  timer = setInterval(tick, 1000);
  tick();
  return () => clearInterval(timer);
}

export function validEmail(v) {
  return /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".][^\s@<>,;"]*$/.test(v);
}

export function validPhone(v) {
  const digits = (v.match(/\d/g) || []).length;
  return /^[0-9 +\-().]*$/.test(v) && digits >= 7 && digits <= 15 && v.length <= 32;
}

/* The server also refuses easy PINs (123456, 111111, the resident number) and says why. */
export const validPin = (v) => /^\d{6,12}$/.test(v);

/*
 * A button for something that cannot be taken back.  The first press asks in place, in words,
 * with a second button that does it and one that keeps things as they are.  onConfirm may throw
 * an ApiError; its message is shown beside the question.
 */
export function confirmAction({ label, question, yes, no = t('Cancel'), onConfirm, testid, buttonClass = 'button button--secondary' }) {
  const box = h('div', { class: 'confirm', 'data-testid': testid });
  const start = h('button', { type: 'button', class: buttonClass }, label);
  function ask() {
    const message = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const yesBtn = h('button', { type: 'button', class: 'button button--danger' }, yes);
    const noBtn = h('button', { type: 'button', class: 'button button--secondary' }, no);
    noBtn.addEventListener('click', () => {
      replace(box, start);
      start.focus();
    });
    yesBtn.addEventListener('click', async () => {
      yesBtn.disabled = true;
      noBtn.disabled = true;
      message.hidden = true;
      try {
        await onConfirm();
      } catch (e) {
        message.textContent = e && e.message ? e.message : t('That did not work. Try again.');
        message.hidden = false;
        yesBtn.disabled = false;
        noBtn.disabled = false;
      }
    });
    const q = h('p', { class: 'confirm-question', tabindex: '-1' }, question);
    replace(box, h('div', { class: 'confirm-box' }, q, message, h('p', { class: 'confirm-actions' }, yesBtn, noBtn)));
    q.focus();
  }
  start.addEventListener('click', ask);
  box.append(start);
  return box;
}
