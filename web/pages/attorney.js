// Attorneys and privileged legal mail (docs/privilege.md).
//   /attorney            a family-and-friends account registers its bar number and state, and sees
//                        whether an operator verified it;
//   /staff/attorneys     an operator verifies or refuses the registrations waiting, after checking
//                        each bar number with that state's bar (Kite asks no bar itself).
// Once verified, what the attorney and their clients write each other is privileged: the thread
// marks each message "Privileged legal mail" (thread.js) and no staff member can read it.

import { ApiError, api, currentAccount } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { field, formKit } from '../forms.js';
import { formatDateTime } from '../labels.js';
import { N_, t } from '../i18n.js';
import { emptyNote } from '../widgets.js';

const STATUS_WORDS = {
  pending: N_('Waiting for an operator to verify it'),
  verified: N_('Verified: your messages with your clients are privileged'),
  refused: N_('Refused'),
  revoked: N_('Verification revoked'),
};
const STATUS_KIND = { pending: 'wait', verified: 'ok', refused: 'stop', revoked: 'stop' };

function statusCard(reg) {
  const facts = [
    [t('Bar number'), reg.bar_number],
    [t('Bar state'), reg.bar_state],
    [t('Status'), h('span', { class: `status status--${STATUS_KIND[reg.status] || 'quiet'} status--wrap`, 'data-status': reg.status },
      t(STATUS_WORDS[reg.status] || reg.status))],
    [t('Registered'), formatDateTime(reg.created_at)],
    reg.verified_at ? [t('Verified'), formatDateTime(reg.verified_at)] : null,
    reg.reason ? [t('Reason'), reg.reason] : null,
  ].filter(Boolean);
  return h('section', { class: 'card', 'aria-labelledby': 'attorney-status-heading', 'data-testid': 'attorney-status' },
    h('h2', { id: 'attorney-status-heading', class: 'panel-title' }, t('Your registration')),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
}

function registerForm(onDone) {
  const number = field({ form: 'attorney', name: 'bar_number', label: t('Bar number'), autocomplete: 'off', maxlength: '20',
    hint: t('As your state bar wrote it: letters, digits and hyphens.') });
  const state = field({ form: 'attorney', name: 'bar_state', label: t('Bar state'), autocomplete: 'off', maxlength: '2',
    hint: t('The two-letter code of the state or territory whose bar admitted you, for example TX.') });
  const kit = formKit([number, state], t('Register as an attorney'), t('Registering…'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'attorney-form' },
    kit.alert, number.wrap, state.wrap, kit.button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    if (!number.input.value.trim()) kit.fieldError('bar_number', t('Enter your bar number.'));
    if (!state.input.value.trim()) kit.fieldError('bar_state', t('Enter the two-letter code of your bar\'s state.'));
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const reg = await api('/attorneys', { method: 'POST', body: { bar_number: number.input.value, bar_state: state.input.value.trim() } });
      onDone(reg);
    } catch (e) {
      kit.serverError(e);
    } finally {
      kit.busy(false);
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'attorney-form-heading' },
    h('h2', { id: 'attorney-form-heading', class: 'panel-title' }, t('Register your bar number')), form);
}

export async function attorneyPage(root, ctx) {
  setTitle(t('Attorney registration'));
  const me = currentAccount();
  const intro = h('div', { class: 'page-intro' }, h('h1', null, t('Attorney registration')),
    h('p', { class: 'lead' }, t('If you are an attorney, register your bar number. Once an operator has checked it with your state bar, your messages with the people you represent are privileged legal mail: no facility staff can read them.')));
  if (!me || me.role !== 'contact') {
    replace(root, h('div', { class: 'wrap narrow' }, intro,
      h('p', null, t('Only a family-and-friends account can register as an attorney. Sign in with yours.'))));
    return;
  }
  const body = h('div', null, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
  const live = h('div', { class: 'live', role: 'status', tabindex: '-1' });
  replace(root, h('div', { class: 'wrap narrow' }, intro, live, body));
  let reg = null;
  try {
    reg = await api('/attorneys/me');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) {
      if (ctx.isCurrent()) replace(body, h('p', { role: 'alert' }, e.message));
      return;
    }
  }
  if (!ctx.isCurrent()) return;
  const draw = (r) => {
    const again = r && (r.status === 'refused' || r.status === 'revoked');
    replace(body, r ? statusCard(r) : null, !r || again ? registerForm((fresh) => {
      replace(live, h('p', { class: 'notice notice--success' }, t('Registered. An operator will check your bar number with your state bar.')));
      live.focus();
      draw(fresh);
    }) : null);
  };
  draw(reg);
}

/* ---- the operator's side ---- */

function pendingRow(reg, refresh, say) {
  const reason = field({ form: `refuse-${reg.id}`, name: 'reason', label: t('Reason for refusing'), autocomplete: 'off', maxlength: '500' });
  const kit = formKit([reason], t('Refuse'), t('Refusing…'), { buttonClass: 'button button--secondary' });
  const refuse = h('form', { class: 'form', novalidate: true, 'data-testid': `attorney-refuse-${reg.id}` }, kit.alert, reason.wrap, kit.button);
  refuse.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    if (!reason.input.value.trim()) {
      kit.fieldError('reason', t('Say why, so the attorney knows what to correct.'));
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      await api(`/attorneys/${reg.id}/refuse`, { method: 'POST', body: { reason: reason.input.value } });
      say(t('Refused: {name}.', { name: reg.full_name }));
      await refresh();
    } catch (e) {
      kit.serverError(e);
    } finally {
      kit.busy(false);
    }
  });
  const verify = h('button', { type: 'button', class: 'button', 'data-testid': `attorney-verify-${reg.id}` }, t('Verify'));
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    try {
      await api(`/attorneys/${reg.id}/verify`, { method: 'POST', body: {} });
      say(t('Verified: {name}. Their messages with their clients are privileged from now on.', { name: reg.full_name }));
      await refresh();
    } catch (e) {
      say(e.message, 'error');
      verify.disabled = false;
    }
  });
  return h('li', { class: 'row', 'data-testid': `attorney-${reg.id}` },
    h('h3', null, reg.full_name),
    h('p', null, t('{email} · bar number {number} ({state}) · registered {when}',
      { email: reg.email || '', number: reg.bar_number, state: reg.bar_state, when: formatDateTime(reg.created_at) })),
    h('p', { class: 'actions' }, verify), refuse);
}

export async function attorneysReviewPage(root, ctx) {
  setTitle(t('Attorneys to verify'));
  const me = currentAccount();
  const intro = h('div', { class: 'page-intro' }, h('h1', null, t('Attorneys to verify')),
    h('p', { class: 'lead' }, t('Check each bar number with the state bar before you verify it: Kite does not. Your name and the time are kept with each decision.')));
  if (!me || me.role !== 'operator') {
    replace(root, h('div', { class: 'wrap narrow' }, intro, h('p', null, t('This page is for operators. Sign in with your operator account.'))));
    return;
  }
  const list = h('ul', { class: 'rows', 'data-testid': 'attorneys-pending' });
  const live = h('div', { class: 'live', role: 'status', tabindex: '-1' });
  const say = (text, kind = 'success') => {
    replace(live, h('p', { class: `notice notice--${kind}` }, text));
    live.focus();
  };
  async function refresh() {
    const page = await api('/attorneys?status=pending&limit=100');
    if (!ctx.isCurrent()) return;
    replace(list, page.items.length ? page.items.map((r) => pendingRow(r, refresh, say))
      : h('li', { class: 'row row--empty' }, emptyNote(t('No registrations are waiting.'))));
  }
  replace(root, h('div', { class: 'wrap narrow' }, intro, live,
    h('section', { class: 'card', 'aria-labelledby': 'attorneys-heading' },
      h('h2', { id: 'attorneys-heading', class: 'panel-title' }, t('Waiting for verification')), list)));
  try {
    await refresh();
  } catch (e) {
    if (ctx.isCurrent()) replace(list, h('li', { role: 'alert' }, e.message));
  }
}
