// /staff: one facility for the people who run it.  Facility admins and operators manage the
// roster, the staff, the blocks and the policy; reviewers and investigators read the roster.
// The facility and the tab are in the address (?facility=ID&tab=roster), so a reload stays put.

import { api, ApiError, currentAccount, homeFor, upload } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { t, tn, tp, N_ } from '../i18n.js';
import {
  STAFF_ROLES, PROFILES, roleName, profileName, formatDate, formatCount, isStaff, managesFacility,
} from '../labels.js';
import { field, formKit, confirmAction, validEmail, validPin, showPasswordToggle } from '../forms.js';
import { chip, emptyNote, facilityPicker, providerLink } from '../widgets.js';
import { kiteBadge, messagingBadge } from './search.js';
import { pricesTab, revenueTab } from './prices.js';

const ROSTER_PAGE = 50;

/* A resident's name as the roster writes it in a sentence. */
const fullName = (r) => `${r.first_name} ${r.last_name}`;

const TABS = [
  ['roster', N_('Roster')],
  ['staff', N_('Staff')],
  ['blocks', N_('Blocks')],
  ['policy', N_('Policy')],
  ['prices', N_('Prices')],
  ['revenue', N_('Revenue')],
];

function staffUrl(facilityId, tab) {
  const s = new URLSearchParams();
  if (facilityId) s.set('facility', String(facilityId));
  if (tab) s.set('tab', tab);
  return `/staff?${s}`;
}

function signedOutPage(root) {
  replace(root, h('div', { class: 'wrap narrow' },
    h('h1', null, t('Staff sign-in needed')),
    h('p', null, t('This page is for facility staff and operators. Sign in with your staff account.')),
    h('p', { class: 'actions' }, h('a', { class: 'button', href: '/signin?next=%2Fstaff' }, t('Sign in')))));
}

export async function staffPage(root, ctx) {
  setTitle(t('Facility staff'));
  const account = currentAccount();
  if (!account) {
    signedOutPage(root);
    return;
  }
  if (!isStaff(account)) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('This page is for facility staff')),
      h('p', null, account.role === 'resident' ? t('Your page is the tablet home.') : t('Your contacts are on your contacts page.')),
      h('p', { class: 'actions' },
        h('a', { class: 'button', href: account.role === 'contact' ? '/contacts' : homeFor(account.role) }, t('Go there')))));
    return;
  }

  const isOperator = account.role === 'operator';
  const manager = managesFacility(account);
  const wanted = ctx.query.get('facility');
  const facilityId = isOperator ? (wanted && /^\d{1,10}$/.test(wanted) ? Number(wanted) : null) : account.facility_id;

  if (isOperator && !facilityId) {
    operatorPicker(root, ctx);
    return;
  }
  if (!facilityId) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('No facility on your account')),
      h('p', null, t('Your staff account does not belong to a facility yet. Ask an operator to set it up.'))));
    return;
  }

  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading the facility…'))));
  let f;
  try {
    f = await api(`/facilities/${facilityId}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && e.status === 404) {
      replace(root, h('div', { class: 'wrap narrow' },
        h('h1', null, t('Facility not found')),
        h('p', null, t('There is no facility with this number.')),
        isOperator ? h('p', null, h('a', { class: 'button', href: '/staff' }, t('Choose a facility'))) : null));
      return;
    }
    throw e;
  }
  if (!ctx.isCurrent()) return;
  setTitle(t('{facility} — staff', { facility: f.name }));

  const tabs = !f.on_platform
    ? (isOperator ? ['policy'] : [])
    : manager ? TABS.map(([code]) => code) : ['roster'];
  let tab = ctx.query.get('tab');
  if (!tabs.includes(tab)) tab = tabs[0];

  const body = h('div', { class: 'staff-body', id: 'staff-body' });
  replace(root, h('div', { class: 'wrap staff' },
    h('div', { class: 'page-intro staff-intro' },
      h('p', { class: 'eyebrow' }, isOperator ? t('Operator') : roleName(account.role)),
      h('h1', null, f.name),
      h('p', { class: 'lead' }, [f.city, f.state].filter(Boolean).join(', '), ' · ', t('facility number {number}', { number: String(f.id) })),
      h('p', { class: 'badges' }, messagingBadge(f.messaging_provider), f.on_platform ? kiteBadge() : null,
        f.policy ? h('span', { class: 'badge badge--provider' }, h('span', { class: 'badge-label' }, t('Profile:')), ' ', profileName(f.policy.profile)) : null),
      isOperator ? h('p', { class: 'change-facility' }, h('a', { href: '/staff' }, t('Choose another facility'))) : null,
      manager && f.on_platform ? h('p', null, h('a', { href: `/staff/phone-keys?facility=${f.id}` }, t('Phone system API keys'))) : null),
    tabs.length > 1
      ? h('nav', { class: 'tabs', 'aria-label': t('Facility sections') },
        h('ul', null, TABS.filter(([code]) => tabs.includes(code)).map(([code, label]) => h('li', null,
          h('a', { href: staffUrl(isOperator ? f.id : null, code), 'aria-current': code === tab ? 'page' : null }, t(label))))))
      : null,
    body));

  if (!f.on_platform && !isOperator) {
    replace(body, h('p', { class: 'notice notice--warning' }, t('This facility is not on Kite. Ask an operator to put it on Kite.')));
    return;
  }
  const env = { ctx, account, manager, isOperator, facility: f, body };
  if (tab === 'roster') await rosterTab(env);
  else if (tab === 'staff') await staffTab(env);
  else if (tab === 'blocks') await blocksTab(env);
  else if (tab === 'prices') await pricesTab(env, liveLine());
  else if (tab === 'revenue') await revenueTab(env);
  else policyTab(env);
}

/* ---- operator: which facility ---- */

function operatorPicker(root, ctx) {
  setTitle(t('Choose a facility'));
  const picker = facilityPicker({
    id: 'staff-facility', label: t('Facility'),
    hint: t('Type a name, a town, a ZIP code or a facility number.'),
    onPick: (f) => ctx.navigate(staffUrl(f.id, null)),
  });
  ctx.onLeave(picker.stop);
  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Choose a facility')),
      h('p', { class: 'lead' }, t('Open a facility to manage its roster, staff, blocks and policy, or to put it on Kite.')),
      h('p', null, h('a', { href: '/staff/attorneys', 'data-testid': 'attorneys-link' }, t('Attorneys to verify')))),
    h('div', { class: 'card' }, picker.wrap)));
}

/* A live line at the top of a tab: what just happened. */
function liveLine() {
  const el = h('div', { class: 'live', role: 'status', tabindex: '-1' });
  return {
    el,
    say(text, kind = 'success') {
      replace(el, text ? h('p', { class: `notice notice--${kind}` }, text) : null);
      if (text) el.focus();
    },
  };
}

/* ---- roster ---- */

function numberHint(policy) {
  if (!policy) return null;
  if (policy.resident_number_format === 'bop') return t('Five digits, a dash, three digits, like 12345-678.');
  if (policy.resident_number_format === 'digits') return t('Digits only.');
  return t('Letters and digits, as the facility writes it.');
}

async function rosterTab(env) {
  const { ctx, manager, facility: f, body } = env;
  const live = liveLine();
  const list = h('ul', { class: 'rows', 'data-testid': 'roster' });
  const more = h('div', { class: 'results-footer' });
  const count = h('p', { class: 'count-line' });
  let nextCursor = null;
  let shown = 0;
  let open = null; // the row whose panel is open

  function rowFor(r) {
    const li = h('li', { class: 'row', 'data-number': r.resident_number });
    fillRow(li, r);
    return li;
  }

  function fillRow(li, r) {
    const actions = manager ? h('div', { class: 'row-actions' }) : null;
    const panel = h('div', { class: 'row-panel', hidden: true });
    if (manager) {
      const pinBtn = h('button', { type: 'button', class: 'button button--small button--secondary' }, r.has_pin ? t('Reset PIN') : t('Set PIN'));
      const moveBtn = h('button', { type: 'button', class: 'button button--small button--secondary' }, t('Transfer'));
      pinBtn.addEventListener('click', () => openPanel(li, panel, pinPanel(r, li, panel)));
      moveBtn.addEventListener('click', () => openPanel(li, panel, transferPanel(r, li, panel)));
      const statusBtn = r.status === 'active'
        ? confirmAction({
          label: t('Release'),
          buttonClass: 'button button--small button--secondary',
          question: h('span', null, h('strong', null, t('Release {name}?', { name: fullName(r) })), ' ',
            t('Their tablet sign-in closes and their messages stop. Their history is kept. You can re-admit them later.')),
          yes: t('Yes, release'),
          no: t('Cancel'),
          onConfirm: () => setStatus(r, li, 'released'),
        })
        : (() => {
          const b = h('button', { type: 'button', class: 'button button--small' }, t('Re-admit'));
          b.addEventListener('click', async () => {
            b.disabled = true;
            try {
              await setStatus(r, li, 'active');
            } catch (e) {
              b.disabled = false;
              live.say(e.message, 'error');
            }
          });
          return b;
        })();
      actions.append(pinBtn, statusBtn, moveBtn);
    }
    replace(li,
      h('div', { class: 'row-main' },
        h('span', { class: 'row-number' }, r.resident_number),
        h('span', { class: 'row-name' }, `${r.last_name}, ${r.first_name}`),
        h('span', { class: 'row-status' },
          chip(r.status === 'active' ? 'active' : 'removed', r.status === 'active' ? t('Active') : t('Released')),
          r.has_pin ? null : h('span', { class: 'status status--wait' }, t('No PIN')),
          // A PIN from before the 6-digit rule still signs in; staff should give a new one.
          r.has_pin && r.pin_weak ? h('span', { class: 'status status--wait' }, t('PIN too easy: reset it')) : null)),
      actions, panel);
  }

  function openPanel(li, panel, content) {
    if (open && open !== panel) {
      open.hidden = true;
      replace(open);
    }
    open = panel;
    replace(panel, content);
    panel.hidden = false;
    const first = panel.querySelector('input, select, button');
    if (first) first.focus();
  }

  function closePanel(panel) {
    panel.hidden = true;
    replace(panel);
    if (open === panel) open = null;
  }

  async function setStatus(r, li, status) {
    const updated = await api(`/facilities/${f.id}/residents/${encodeURIComponent(r.resident_number)}`, {
      method: 'PATCH', body: { status },
    });
    fillRow(li, updated);
    live.say(status === 'released'
      ? t('{name} was released. Their sign-in is closed.', { name: fullName(updated) })
      : t('{name} was re-admitted. They can sign in again.', { name: fullName(updated) }));
  }

  function cancelButton(panel) {
    const b = h('button', { type: 'button', class: 'button button--secondary' }, t('Cancel'));
    b.addEventListener('click', () => closePanel(panel));
    return b;
  }

  function pinPanel(r, li, panel) {
    const pin = field({ form: `pin-${r.id}`, name: 'pin', label: t('New PIN'), autocomplete: 'off', inputmode: 'numeric',
      hint: t('6 to 12 digits with no pattern (not 123456 or 111111). Give it to the resident in private.') });
    const kit = formKit([pin], t('Save PIN'), t('Saving…'), { buttonClass: 'button' });
    const form = h('form', { class: 'form inline-form', novalidate: true },
      h('h3', { class: 'panel-heading' }, r.has_pin
        ? t('Reset the PIN of {name}', { name: fullName(r) })
        : t('Set the PIN of {name}', { name: fullName(r) })),
      kit.alert, pin.wrap, h('p', { class: 'form-buttons' }, kit.button, cancelButton(panel)));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      kit.clear();
      const value = pin.input.value.trim();
      if (!validPin(value)) {
        kit.fieldError('pin', t('Type 6 to 12 digits.'));
        kit.focusFirstInvalid();
        return;
      }
      kit.busy(true);
      try {
        const updated = await api(`/facilities/${f.id}/residents/${encodeURIComponent(r.resident_number)}`, {
          method: 'PATCH', body: { pin: value },
        });
        fillRow(li, updated);
        open = null;
        live.say(t('The new PIN of {name} is saved.', { name: fullName(updated) }));
      } catch (e) {
        kit.busy(false);
        kit.serverError(e);
      }
    });
    return form;
  }

  function transferPanel(r, li, panel) {
    let target = null;
    const chosen = h('div', { class: 'chosen-target' });
    const number = field({ form: `move-${r.id}`, name: 'resident_number', label: t('Resident number at the new facility'),
      optional: true, autocomplete: 'off', hint: t('Leave empty to keep the same number, if it fits the new facility’s format.') });
    const kit = formKit([number], t('Confirm transfer'), t('Transferring…'), { buttonClass: 'button' });
    const picker = facilityPicker({
      id: `move-${r.id}-facility`, label: t('Move to facility'), exclude: f.id,
      onPick: (picked) => {
        target = picked;
        picker.stop();
        replace(chosen, h('p', { class: 'chosen-facility' },
          h('span', { class: 'chosen-label' }, t('New facility')),
          h('strong', { class: 'chosen-name' }, picked.name),
          picked.on_platform ? null : h('span', { class: 'status status--stop' }, t('Not on Kite'))),
        picked.on_platform ? null : h('p', { class: 'notice notice--warning' },
          t('Kite does not serve this facility. After the transfer, their messages on Kite stop; they and their contacts are told which company serves it.')));
        picker.wrap.hidden = true;
        number.input.focus();
      },
    });
    const form = h('form', { class: 'form inline-form', novalidate: true },
      h('h3', { class: 'panel-heading' }, t('Transfer {name}', { name: fullName(r) })),
      kit.alert, picker.wrap, chosen, number.wrap, h('p', { class: 'form-buttons' }, kit.button, cancelButton(panel)));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      kit.clear();
      if (!target) {
        kit.topError(t('Choose the facility they move to.'));
        return;
      }
      const payload = { to_facility_id: target.id };
      const n = number.input.value.trim();
      if (n) payload.resident_number = n;
      kit.busy(true);
      try {
        const report = await api(`/facilities/${f.id}/residents/${encodeURIComponent(r.resident_number)}/transfer`, {
          method: 'POST', body: payload,
        });
        li.remove();
        open = null;
        shown -= 1;
        count.textContent = rosterCount();
        const moved = { name: fullName(r), facility: target.name, paused: formatCount(report.contacts_suspended || 0) };
        live.say(!report.on_platform
          ? t('{name} moved to {facility}, which Kite does not serve: messages stopped. Messages there go through {provider}.',
            { ...moved, provider: report.messaging_provider.name })
          : report.contacts_suspended
            ? tn(report.contacts_active, '{name} moved to {facility}. {n} contact kept, {paused} paused because the new list limit is lower.',
              '{name} moved to {facility}. {n} contacts kept, {paused} paused because the new list limit is lower.', moved)
            : tn(report.contacts_active, '{name} moved to {facility}. {n} contact kept.', '{name} moved to {facility}. {n} contacts kept.', moved));
      } catch (e) {
        kit.busy(false);
        if (e instanceof ApiError && e.field === 'to_facility_id') kit.topError(e.message);
        else kit.serverError(e);
      }
    });
    return form;
  }

  function rosterCount() {
    if (shown === 0) return '';
    return nextCursor
      ? tn(shown, '{n} person shown, more below.', '{n} people shown, more below.')
      : tn(shown, '{n} person shown.', '{n} people shown.');
  }

  async function loadPage(cursor) {
    const q = new URLSearchParams({ limit: String(ROSTER_PAGE) });
    if (cursor) q.set('cursor', cursor);
    const answer = await api(`/facilities/${f.id}/residents?${q}`);
    if (!ctx.isCurrent()) return;
    nextCursor = answer.next_cursor;
    list.append(...answer.items.map(rowFor));
    shown += answer.items.length;
    count.textContent = rosterCount();
    replace(more, nextCursor ? (() => {
      const b = h('button', { type: 'button', class: 'button button--secondary' }, t('Show more residents'));
      b.addEventListener('click', async () => {
        b.disabled = true;
        b.textContent = t('Loading…');
        try {
          await loadPage(nextCursor);
        } catch (e) {
          b.disabled = false;
          b.textContent = t('Show more residents');
          live.say(e.message, 'error');
        }
      });
      return b;
    })() : null);
    if (!shown) replace(list, h('li', { class: 'row row--empty' }, emptyNote(t('Nobody is on the roster yet.'))));
  }

  const addForm = manager ? addResidentForm(env, (r) => {
    const empty = list.querySelector('.row--empty');
    if (empty) empty.remove();
    list.prepend(rowFor(r));
    shown += 1;
    count.textContent = rosterCount();
    const who = { name: fullName(r), number: r.resident_number };
    live.say(r.has_pin
      ? t('{name} ({number}) is on the roster. They can sign in on the tablet with their PIN.', who)
      : t('{name} ({number}) is on the roster. Set a PIN so they can sign in.', who));
  }) : null;

  const importBox = manager ? rosterImport(env, async () => {
    shown = 0;
    replace(list);
    await loadPage(null);
  }) : null;

  replace(body,
    live.el,
    h('div', { class: manager ? 'staff-columns' : '' },
      h('section', { class: 'section', 'aria-labelledby': 'roster-heading' },
        h('h2', { id: 'roster-heading' }, t('Roster')),
        manager ? null : h('p', { class: 'muted' }, t('You can read the roster. Facility administrators change it.')),
        count, list, more),
      manager ? h('div', { class: 'side-stack' }, addForm, importBox) : null));
  await loadPage(null);
}

/*
 * The whole roster at once, from the jail system's CSV export: a progress bar while it goes up,
 * then what happened, with every refused row by its line in the file and why.
 */
function rosterImport(env, imported) {
  const { facility: f } = env;
  // The browser's own file button speaks the browser's language, not the page's: a label of ours stands in.
  const input = h('input', {
    type: 'file', id: 'roster-file', class: 'file-input visually-hidden', accept: '.csv,text/csv',
    'aria-describedby': 'roster-file-hint roster-file-name',
  });
  const chosen = h('span', { class: 'file-name', id: 'roster-file-name', 'data-testid': 'roster-file-name' }, t('No file chosen'));
  input.addEventListener('change', () => {
    chosen.textContent = input.files.length ? input.files[0].name : t('No file chosen');
  });
  const button = h('button', { type: 'submit', class: 'button' }, t('Import roster'));
  const progress = h('progress', { max: '100', value: '0', hidden: true, 'aria-label': t('Upload of the roster file') });
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'roster-import-result' });
  const form = h('form', { class: 'form', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'roster-file' }, t('Roster file (CSV)')),
      h('p', { class: 'hint', id: 'roster-file-hint' },
        t('The first line names the columns resident_number, first_name and last_name, and pin if you set PINs.'), ' ',
        t('Residents already on the roster are matched by number: their names are updated, nobody is added twice.')),
      h('div', { class: 'file-pick' },
        input, h('label', { for: 'roster-file', class: 'button button--secondary file-button' }, t('Choose a file')), chosen)),
    progress, button, result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = input.files && input.files[0];
    if (!file) {
      replace(result, h('p', { class: 'field-error', role: 'alert' }, t('Choose the CSV file to import.')));
      input.focus();
      return;
    }
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    replace(result, h('p', { role: 'status' }, t('Importing {file}…', { file: file.name })));
    try {
      const csv = new Blob([file], { type: 'text/csv' });
      const r = await upload(`/facilities/${f.id}/roster`, csv, { onProgress: (x) => { progress.value = Math.round(x * 100); } });
      progress.value = 100;
      const summary = tn(r.rows,
        '{file}: {n} row read. {added} added, {updated} updated, {unchanged} unchanged, {rejected} refused.',
        '{file}: {n} rows read. {added} added, {updated} updated, {unchanged} unchanged, {rejected} refused.',
        {
          file: file.name, added: formatCount(r.added), updated: formatCount(r.updated),
          unchanged: formatCount(r.unchanged), rejected: formatCount(r.rejected),
        });
      replace(result,
        h('p', { class: r.rejected ? 'notice notice--warning' : 'notice notice--success', role: 'status' }, summary),
        r.problems.length
          ? h('table', { class: 'price-table', 'data-testid': 'roster-problems' },
            h('caption', null, t('Rows not imported: correct them in the file and import it again.')),
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('Line')), h('th', { scope: 'col' }, t('Why')))),
            h('tbody', null, r.problems.map((p) => h('tr', null, h('td', null, formatCount(p.line)), h('td', null, p.message)))))
          : null);
      await imported();
    } catch (e) {
      replace(result, h('p', { class: 'field-error', role: 'alert' }, e.message));
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  });
  return h('section', { class: 'card side-card', 'aria-labelledby': 'import-roster-heading' },
    h('h2', { id: 'import-roster-heading', class: 'panel-title' }, t('Import a roster file')), form);
}

function addResidentForm(env, added) {
  const { facility: f } = env;
  const fields = [
    field({ form: 'add', name: 'resident_number', label: t('Resident number'), autocomplete: 'off', hint: numberHint(f.policy) }),
    field({ form: 'add', name: 'first_name', label: t('First name'), autocomplete: 'off' }),
    field({ form: 'add', name: 'last_name', label: t('Last name'), autocomplete: 'off' }),
    field({ form: 'add', name: 'pin', label: t('PIN'), optional: true, autocomplete: 'off', inputmode: 'numeric',
      hint: t('6 to 12 digits with no pattern (not 123456 or 111111), for the tablet sign-in. Give it to the resident in private. You can set it later.') }),
  ];
  const kit = formKit(fields, t('Add to roster'), t('Adding…'));
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((x) => x.wrap), kit.button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const v = Object.fromEntries(fields.map((x) => [x.name, x.input.value.trim()]));
    if (!v.resident_number) kit.fieldError('resident_number', t('Enter the resident number.'));
    else if (f.policy && f.policy.resident_number_format === 'bop' && !/^\d{5}-\d{3}$/.test(v.resident_number)) {
      kit.fieldError('resident_number', t('Use five digits, a dash and three digits, like 12345-678.'));
    }
    if (!v.first_name) kit.fieldError('first_name', t('Enter the first name.'));
    if (!v.last_name) kit.fieldError('last_name', t('Enter the last name.'));
    if (v.pin && !validPin(v.pin)) kit.fieldError('pin', t('Type 6 to 12 digits, or leave it empty.'));
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    if (!v.pin) delete v.pin;
    kit.busy(true);
    try {
      const r = await api(`/facilities/${f.id}/residents`, { method: 'POST', body: v });
      kit.busy(false);
      form.reset();
      added(r);
      fields[0].input.focus();
    } catch (e) {
      kit.busy(false);
      if (e instanceof ApiError && e.code === 'resident_exists') {
        kit.fieldError('resident_number', e.message);
        kit.focusFirstInvalid();
      } else {
        kit.serverError(e);
      }
    }
  });
  return h('section', { class: 'card side-card', 'aria-labelledby': 'add-resident-heading' },
    h('h2', { id: 'add-resident-heading', class: 'panel-title' }, t('Add a resident')), form);
}

/* ---- staff ---- */

async function staffTab(env) {
  const { ctx, facility: f, body } = env;
  const live = liveLine();
  const list = h('ul', { class: 'rows', 'data-testid': 'staff-list' });

  function staffRow(a) {
    return h('li', { class: 'row' },
      h('div', { class: 'row-main' },
        h('span', { class: 'row-name' }, a.full_name),
        h('span', { class: 'row-email' }, a.email),
        h('span', { class: 'row-status' }, h('span', { class: 'status status--quiet' }, roleName(a.role)))));
  }

  const fields = [
    field({ form: 'staff', name: 'full_name', label: t('Full name'), autocomplete: 'off' }),
    field({ form: 'staff', name: 'email', label: t('Email address'), type: 'email', autocomplete: 'off', hint: t('They sign in with this address.') }),
    field({ form: 'staff', name: 'role', label: t('Role'), kind: 'select', value: 'reviewer', options: STAFF_ROLES.map(([code]) => [code, roleName(code)]),
      hint: t('Reviewers read and release messages. Investigators search messages, read-only. Administrators manage this facility.') }),
    field({ form: 'staff', name: 'password', label: t('First password'), type: 'password', autocomplete: 'new-password',
      hint: t('At least 10 characters, not a common password. Give it to them in person.'), extra: showPasswordToggle }),
  ];
  const kit = formKit(fields, t('Add staff member'), t('Adding…'));
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((x) => x.wrap), kit.button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const v = Object.fromEntries(fields.map((x) => [x.name, x.name === 'password' ? x.input.value : x.input.value.trim()]));
    if (!v.full_name) kit.fieldError('full_name', t('Enter their full name.'));
    if (!v.email) kit.fieldError('email', t('Enter their email address.'));
    else if (!validEmail(v.email)) kit.fieldError('email', t('Enter an email address like name@example.com.'));
    if ([...v.password].length < 10) kit.fieldError('password', t('Choose a password of at least 10 characters.'));
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const a = await api(`/facilities/${f.id}/staff`, { method: 'POST', body: v });
      kit.busy(false);
      form.reset();
      const empty = list.querySelector('.row--empty');
      if (empty) empty.remove();
      list.append(staffRow(a));
      live.say(t('{name} can now sign in as {role}.', { name: a.full_name, role: roleName(a.role).toLowerCase() }));
    } catch (e) {
      kit.busy(false);
      // The server does not say whether an address is taken elsewhere (that would leak accounts).
      if (e instanceof ApiError && e.status === 404) kit.fieldError('email', t('This email address cannot be used. Choose another.'));
      else kit.serverError(e);
    }
  });

  replace(body, h('p', { class: 'loading', role: 'status' }, t('Loading staff…')));
  const answer = await api(`/facilities/${f.id}/staff`);
  if (!ctx.isCurrent()) return;
  replace(list, answer.items.length ? answer.items.map(staffRow) : h('li', { class: 'row row--empty' }, emptyNote(t('No staff accounts yet.'))));
  replace(body,
    live.el,
    h('div', { class: 'staff-columns' },
      h('section', { class: 'section', 'aria-labelledby': 'staff-heading' },
        h('h2', { id: 'staff-heading' }, t('Staff of this facility')), list),
      h('section', { class: 'card side-card', 'aria-labelledby': 'add-staff-heading' },
        h('h2', { id: 'add-staff-heading', class: 'panel-title' }, t('Add a staff member')), form)));
}

/* ---- blocks ---- */

async function blocksTab(env) {
  const { ctx, facility: f, body } = env;
  const live = liveLine();
  const list = h('ul', { class: 'rows', 'data-testid': 'blocks' });

  function blockRow(b) {
    const li = h('li', { class: 'row', 'data-block-id': b.id });
    const remove = confirmAction({
      label: t('Remove block'),
      buttonClass: 'button button--small button--secondary',
      question: h('span', null, h('strong', null, t('Remove the block on {email}?', { email: b.email })), ' ',
        t('They could then be invited, send requests and be approved again. Contacts ended by the block do not come back by themselves.')),
      yes: t('Yes, remove the block'),
      no: t('Keep the block'),
      onConfirm: async () => {
        await api(`/facilities/${f.id}/blocks/${b.id}`, { method: 'DELETE' });
        li.remove();
        if (!list.children.length) replace(list, emptyRow());
        live.say(t('The block on {email} was removed.', { email: b.email }));
      },
    });
    replace(li,
      h('div', { class: 'row-main' },
        h('span', { class: 'row-name' }, b.email),
        h('span', { class: 'row-email' }, b.resident_number ? t('Only with resident {number}', { number: b.resident_number }) : t('Whole facility')),
        h('span', { class: 'row-note' }, [b.reason || t('No reason given'), t('added {date}', { date: formatDate(b.created_at) })].join(' · '))),
      h('div', { class: 'row-actions' }, remove));
    return li;
  }
  const emptyRow = () => h('li', { class: 'row row--empty' }, emptyNote(t('No blocks. Every address may ask or be invited, within the policy.')));

  const fields = [
    field({ form: 'block', name: 'email', label: t('Email address to block'), type: 'email', autocomplete: 'off' }),
    field({ form: 'block', name: 'resident_number', label: t('Only for this resident number'), optional: true, autocomplete: 'off',
      hint: t('Leave empty to block the address for everyone at this facility, for example for a no-contact order.') }),
    field({ form: 'block', name: 'reason', label: t('Reason'), optional: true, autocomplete: 'off', hint: t('Staff see this. The blocked person does not.') }),
  ];
  const kit = formKit(fields, t('Add block'), t('Adding…'));
  const form = h('form', { class: 'form', novalidate: true }, kit.alert, fields.map((x) => x.wrap), kit.button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const v = Object.fromEntries(fields.map((x) => [x.name, x.input.value.trim()]));
    if (!v.email) kit.fieldError('email', t('Enter the email address to block.'));
    else if (!validEmail(v.email)) kit.fieldError('email', t('Enter an email address like name@example.com.'));
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    if (!v.resident_number) delete v.resident_number;
    if (!v.reason) delete v.reason;
    kit.busy(true);
    try {
      const b = await api(`/facilities/${f.id}/blocks`, { method: 'POST', body: v });
      kit.busy(false);
      form.reset();
      const empty = list.querySelector('.row--empty');
      if (empty) empty.remove();
      list.prepend(blockRow(b));
      live.say(b.resident_number
        ? t('{email} is blocked for resident {number}. Existing contacts with this address were ended.', { email: b.email, number: b.resident_number })
        : t('{email} is blocked at this facility. Existing contacts with this address were ended.', { email: b.email }));
    } catch (e) {
      kit.busy(false);
      kit.serverError(e);
    }
  });

  replace(body, h('p', { class: 'loading', role: 'status' }, t('Loading blocks…')));
  const answer = await api(`/facilities/${f.id}/blocks`);
  if (!ctx.isCurrent()) return;
  replace(list, answer.items.length ? answer.items.map(blockRow) : emptyRow());
  replace(body,
    live.el,
    h('div', { class: 'staff-columns' },
      h('section', { class: 'section', 'aria-labelledby': 'blocks-heading' },
        h('h2', { id: 'blocks-heading' }, t('Blocked addresses')),
        h('p', { class: 'muted' }, t('A blocked address can never be invited, send a request or be approved, until the block is removed.')),
        list),
      h('section', { class: 'card side-card', 'aria-labelledby': 'add-block-heading' },
        h('h2', { id: 'add-block-heading', class: 'panel-title' }, t('Block an address')), form)));
}

/* ---- policy ---- */

/* The retention periods every profile starts with (docs/retention.md). */
const RETENTION_DEFAULTS = { message_retention_days: 1095, photo_retention_days: 365, audit_retention_days: 2555 };

/*
 * The defaults of each profile, to fill the form when the profile changes.  They mirror the
 * server's profiles (src/domain/policy.c); the server's answer after saving is what counts.
 */
const PROFILE_DEFAULTS = {
  federal: {
    contact_initiation: 'resident_invites', invitation_valid_days: 30, contact_limit: 30, request_lookup: 'number',
    approval: 'resident', approval_window_hours: 0, message_max_chars: 13000, page_chars: 0,
    attachments_allowed: false, attachment_max_bytes: 0, max_attachments: 0, pricing: 'balance', review: 'all',
    review_sla_hours: 24, daily_send_limit: 100, resident_number_format: 'bop', tablet_idle_minutes: 5,
    ...RETENTION_DEFAULTS,
  },
  jpay: {
    contact_initiation: 'contact_requests', invitation_valid_days: 30, contact_limit: 50, request_lookup: 'number',
    approval: 'resident', approval_window_hours: 0, message_max_chars: 12500, page_chars: 2500,
    attachments_allowed: true, attachment_max_bytes: 5 * 1024 * 1024, max_attachments: 5, pricing: 'stamps',
    review: 'all', review_sla_hours: 48, daily_send_limit: 100, resident_number_format: 'any',
    tablet_idle_minutes: 5, ...RETENTION_DEFAULTS,
  },
  connectnetwork: {
    contact_initiation: 'contact_requests', invitation_valid_days: 30, contact_limit: 50,
    request_lookup: 'number_or_name', approval: 'resident_or_window', approval_window_hours: 72,
    message_max_chars: 500, page_chars: 0, attachments_allowed: false, attachment_max_bytes: 0, max_attachments: 0,
    pricing: 'credits', review: 'all', review_sla_hours: 24, daily_send_limit: 100, resident_number_format: 'any',
    tablet_idle_minutes: 5, ...RETENTION_DEFAULTS,
  },
};

const KB = 1024;

/* Every policy field, grouped as a person thinks about them.  scale: shown value × scale = stored value. */
const POLICY_GROUPS = [
  [N_('Starting contact'), [
    { name: 'contact_initiation', kind: 'select', label: N_('Who starts contact'), options: [
      ['resident_invites', N_('The resident invites by email')],
      ['contact_requests', N_('Family and friends send a request')],
      ['both', N_('Both')],
    ] },
    { name: 'request_lookup', kind: 'select', label: N_('How family find the resident'), options: [
      ['number', N_('By resident number only')],
      ['number_or_name', N_('By resident number, or by first and last name')],
    ] },
    { name: 'approval', kind: 'select', label: N_('Who approves a request'), options: [
      ['resident', N_('The resident approves or declines')],
      ['resident_or_window', N_('The resident, or approved after a waiting period')],
    ] },
    { name: 'approval_window_hours', min: 0, max: 720, label: N_('Waiting period, in hours'), hint: N_('Used with “approved after a waiting period”. 0 to 720.') },
    { name: 'invitation_valid_days', min: 1, max: 365, label: N_('Days an invitation stays valid'), hint: N_('1 to 365.') },
    { name: 'contact_limit', min: 1, max: 1000, label: N_('Most contacts per resident'), hint: N_('1 to 1,000.') },
  ]],
  [N_('Messages'), [
    { name: 'message_max_chars', min: 1, max: 100000, label: N_('Longest message, in characters'), hint: N_('1 to 100,000.') },
    { name: 'daily_send_limit', min: 1, max: 10000, label: N_('Messages one person may send per day'), hint: N_('1 to 10,000.') },
    { name: 'pricing', kind: 'select', label: N_('How messages are paid'), options: [
      ['balance', N_('From an account balance')],
      ['stamps', N_('Stamps, one per page')],
      ['credits', N_('Credits')],
      ['subscription', N_('A monthly subscription')],
    ] },
    { name: 'page_chars', min: 0, max: 100000, label: N_('Characters per page'), hint: N_('With stamps: one stamp per page. 0 to 100,000.') },
    { name: 'attachments_allowed', kind: 'checkbox', label: N_('Photos may be attached') },
    { name: 'max_attachments', min: 0, max: 20, label: N_('Photos per message'), hint: N_('0 to 20.') },
    { name: 'attachment_max_bytes', min: 0, max: 25 * KB, scale: KB, label: N_('Largest photo, in kilobytes'), hint: N_('0 to 25,600 (25 MB).') },
  ]],
  [N_('Review and roster'), [
    { name: 'review', kind: 'select', label: N_('Review'), options: [
      ['all', N_('Staff review every message before delivery')],
      ['flagged_only', N_('Clean messages go out; flagged ones are held')],
    ] },
    { name: 'review_sla_hours', min: 1, max: 720, label: N_('Review target, in hours'), hint: N_('1 to 720.') },
    { name: 'resident_number_format', kind: 'select', label: N_('Resident number format'), options: [
      ['bop', N_('Bureau of Prisons: 12345-678')],
      ['digits', N_('Digits only')],
      ['any', N_('Any letters and digits')],
    ] },
    { name: 'tablet_idle_minutes', min: 1, max: 60, label: N_('Tablets sign out after, in minutes without use'),
      hint: N_('1 to 60. The resident sees a countdown for the last minute.') },
  ]],
  [N_('Retention'), [
    { name: 'message_retention_days', min: 1, max: 3650, label: N_('Keep messages, in days'),
      hint: N_('1 to 3,650. Then their text and photos are deleted, unless a legal hold keeps them. Families see this.') },
    { name: 'photo_retention_days', min: 1, max: 3650, label: N_('Keep photos, in days'),
      hint: N_('1 to 3,650, and no longer than messages.') },
    { name: 'audit_retention_days', min: 365, max: 3650, label: N_('Keep audit records, in days'),
      hint: N_('365 to 3,650: at least a year.') },
  ]],
];
const POLICY_SPECS = POLICY_GROUPS.flatMap(([, specs]) => specs);

function policyTab(env) {
  const { ctx, facility: f, body, isOperator } = env;
  const creating = !f.policy;
  const live = liveLine();
  const current = f.policy || { profile: 'federal', ...PROFILE_DEFAULTS.federal };

  const profile = field({
    form: 'pol', name: 'profile', label: t('Profile'), kind: 'select', value: current.profile,
    options: PROFILES.map(([code]) => [code, profileName(code)]),
    hint: t('A profile sets every rule below the way that platform works. Change any rule after choosing it.'),
  });
  const profileNote = h('p', { class: 'profile-note', id: 'f-pol-profile-note' });
  const specs = POLICY_SPECS.map((s) => ({
    spec: s,
    f: field({
      form: 'pol', name: s.name, label: t(s.label), kind: s.kind || 'input',
      options: s.options && s.options.map(([code, words]) => [code, t(words)]), hint: s.hint && t(s.hint),
      inputmode: s.kind ? undefined : 'numeric', autocomplete: 'off', className: s.kind === 'checkbox' ? 'field--wide' : null,
    }),
  }));
  const all = [profile, ...specs.map((x) => x.f)];

  function fill(values) {
    for (const { spec, f: fl } of specs) {
      const v = values[spec.name];
      if (spec.kind === 'checkbox') fl.input.checked = Boolean(v);
      else if (spec.kind === 'select') fl.input.value = v;
      else fl.input.value = String(spec.scale ? Math.round(v / spec.scale) : v);
    }
  }
  function describeProfile() {
    const p = PROFILES.find(([c]) => c === profile.input.value);
    profileNote.textContent = p ? t(p[2]) : '';
  }
  fill(current);
  describeProfile();
  profile.input.addEventListener('change', () => {
    const d = PROFILE_DEFAULTS[profile.input.value];
    if (d) fill(d);
    describeProfile();
    live.say(t('The form now shows the rules of the {profile} profile. Nothing is saved yet.', { profile: profileName(profile.input.value) }), 'info');
  });

  const saveLabel = creating ? t('Put this facility on Kite') : t('Save policy');
  const kit = formKit(all, saveLabel, t('Saving…'), { buttonClass: 'button' });
  const form = h('form', { class: 'form policy-form', novalidate: true },
    kit.alert,
    h('div', { class: 'profile-row' }, profile.wrap, profileNote),
    POLICY_GROUPS.map(([title, group]) => h('fieldset', { class: 'policy-group' },
      h('legend', null, t(title)),
      h('div', { class: 'policy-grid' }, group.map((s) => specs.find((x) => x.spec === s).f.wrap)))),
    h('p', { class: 'form-buttons' }, kit.button));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const out = { profile: profile.input.value };
    for (const { spec, f: fl } of specs) {
      if (spec.kind === 'checkbox') out[spec.name] = fl.input.checked;
      else if (spec.kind === 'select') out[spec.name] = fl.input.value;
      else {
        const text = fl.input.value.trim().replace(/,/g, '');
        const n = Number(text);
        if (!/^\d+$/.test(text)) kit.fieldError(spec.name, t('Type a whole number.'));
        else if (n < spec.min || n > spec.max) kit.fieldError(spec.name, t('Type a number from {min} to {max}.', { min: formatCount(spec.min), max: formatCount(spec.max) }));
        else out[spec.name] = spec.scale ? n * spec.scale : n;
      }
    }
    if (kit.hasErrors()) {
      kit.topError(t('Some rules need a change. They are marked below.'));
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const saved = await api(`/facilities/${f.id}/policy`, { method: 'PUT', body: out });
      if (!ctx.isCurrent()) return;
      if (creating) {
        ctx.flash(t('{facility} is on Kite now, with the {profile} profile. Add its residents to the roster.',
          { facility: f.name, profile: profileName(saved.profile) }));
        ctx.navigate(staffUrl(isOperator ? f.id : null, 'roster'));
        return;
      }
      kit.busy(false);
      f.policy = saved;
      fill(saved);
      live.say(t('The policy is saved. It applies from now on.'));
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e);
    }
  });

  replace(body,
    live.el,
    h('section', { class: 'section', 'aria-labelledby': 'policy-heading' },
      h('h2', { id: 'policy-heading' }, creating ? t('Put this facility on Kite') : t('Policy')),
      creating
        ? h('p', { class: 'notice notice--warning' },
          tp('{facility} is not on Kite yet. Its messages go through {provider}. Choose a profile and save: from then on, families are told to use Kite for this facility.',
            { facility: f.name, provider: providerLink(f.messaging_provider) }))
        : h('p', { class: 'muted' }, t('Last changed {date}. Every change is recorded with its old and new value.', { date: formatDate(f.policy.updated_at) })),
      creating ? null : h('p', null, h('a', { href: `/investigate/holds${isOperator ? `?facility=${f.id}` : ''}` },
        t('Legal holds: keep a case’s messages past these periods'))),
      h('div', { class: 'card' }, form)));
}
