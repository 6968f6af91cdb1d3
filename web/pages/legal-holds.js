// /investigate/holds: a facility's legal holds.  Investigators and facility admins (and operators,
// who choose a facility first) place a hold with a case reference on a resident, a family
// member's account or one conversation; the messages it covers are kept past the facility's
// retention period until the hold is lifted.  The list shows who placed each hold and when, and
// lifted holds keep who lifted them and when.  The server records placing and lifting in the
// audit log; the page says so.  Names and case references are only ever put in as text nodes.

import { api, ApiError } from '../api.js';
import { staffFacilityGate } from '../staff-gate.js';
import { h, replace, setTitle } from '../dom.js';
import { N_, formatShortDate, t, tn } from '../i18n.js';
import { formatCount, roleName } from '../labels.js';
import { field, formKit } from '../forms.js';
import { chip, emptyNote } from '../widgets.js';

const HOLDERS = ['investigator', 'facility_admin', 'operator'];
const PATH = '/investigate/holds';

const KINDS = [
  ['resident', N_('A resident: all their messages')],
  ['contact_account', N_('A family member: all their messages at this facility')],
  ['thread', N_('One conversation between a resident and a family member')],
];
const SUBJECT_LABEL = {
  resident: N_('Resident number'),
  contact_account: N_('Family member’s account number'),
  thread: N_('Conversation number'),
};
const SUBJECT_HINT = {
  resident: N_('As on the roster, for example E5001.'),
  contact_account: N_('The number after “contact:” in a search, or on the family member’s messages.'),
  thread: N_('The contact number of a message in the conversation.'),
};
/* The kind in the list, where room is short. */
const KIND_SHORT = { resident: N_('Resident'), contact_account: N_('Family member'), thread: N_('Conversation') };
const kindName = (code) => {
  const k = KINDS.find(([c]) => c === code);
  return k ? t(k[1]) : code;
};

const shortDate = (iso) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : formatShortDate(d, true);
};

/* Who may be here and for which facility (staff-gate.js); null after showing why not. */
function gate(root, ctx) {
  return staffFacilityGate(root, ctx, {
    roles: HOLDERS, path: PATH, title: t('Legal holds'),
    signedOut: t('This page is for a facility’s investigators and administrators. Sign in with your staff account.'),
    wrongRoleTitle: t('This page is for investigators and administrators'),
    wrongRole: t('Only a facility’s investigators and administrators, and operators, place legal holds.'),
    pickerId: 'holds-facility', pickerTitle: t('Legal holds'),
    pickerLead: t('Choose the facility whose messages you want to keep for a case.'),
  });
}

/* What the facility keeps, and for how long: the sentence above the form. */
function periodsLine(p) {
  if (!p) return null;
  return h('p', { class: 'notice notice--info', 'data-testid': 'retention-periods' },
    tn(p.message_retention_days, 'This facility keeps messages for {n} day and photos for {photos} days.',
      'This facility keeps messages for {n} days and photos for {photos} days.',
      { photos: formatCount(p.photo_retention_days) }), ' ',
    t('Messages a standing hold covers are kept until it is lifted. Placing and lifting a hold is recorded in the facility’s audit log, with your name.'));
}

function holdRow(hold, onLift) {
  const active = hold.status === 'active';
  let liftButton = null;
  if (active) {
    liftButton = h('button', {
      type: 'button', class: 'button button--small button--secondary',
      'aria-label': t('Lift the hold for case {case}', { case: hold.case_reference }),
    }, t('Lift'));
    liftButton.addEventListener('click', () => onLift(hold, liftButton));
  }
  return h('tr', { 'data-hold-id': hold.id },
    h('th', { scope: 'row' }, hold.case_reference, hold.note ? h('span', { class: 'muted hold-note' }, ' — ', hold.note) : null),
    h('td', null, hold.subject || kindName(hold.subject_kind), h('br'),
      h('span', { class: 'muted' }, KIND_SHORT[hold.subject_kind] ? t(KIND_SHORT[hold.subject_kind]) : hold.subject_kind)),
    h('td', null, formatCount(hold.messages)),
    h('td', null, h('time', { datetime: hold.placed_at }, shortDate(hold.placed_at))),
    h('td', null, active
      ? [chip('active', t('Standing'), 'wait'), ' ', liftButton]
      : chip('lifted', t('Lifted {date}', { date: shortDate(hold.lifted_at) }), 'quiet')));
}

async function showList(out, env, ctx, all) {
  const { facility: f } = env;
  replace(out, h('p', { class: 'loading', role: 'status' }, t('Loading…')));
  const answer = await api(`/facilities/${f.id}/legal-holds${all ? '?status=all' : ''}`);
  if (!ctx.isCurrent()) return;
  const base = `${PATH}${env.isOperator ? `?facility=${f.id}` : ''}`;
  const toggle = h('a', { href: all ? base : `${base}${env.isOperator ? '&' : '?'}all=1` },
    all ? t('Show standing holds only') : t('Show lifted holds too'));
  const alert = h('div', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true });
  async function onLift(hold, button) {
    button.disabled = true;
    try {
      await api(`/legal-holds/${hold.id}/lift`, { method: 'POST', body: {} });
      await showList(out, env, ctx, all);
      const status = out.querySelector('[data-testid="holds-status"]');
      if (status) status.textContent = t('The hold for case {case} is lifted.', { case: hold.case_reference });
    } catch (e) {
      button.disabled = false;
      replace(alert, h('p', null, e.message));
      alert.hidden = false;
      alert.focus();
    }
  }
  const status = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'holds-status' });
  if (!answer.items.length) {
    replace(out, h('h2', { id: 'holds-heading' }, all ? t('All legal holds') : t('Standing legal holds')), status,
      emptyNote(all ? t('No legal holds at this facility yet.') : t('No standing legal holds.')), h('p', null, toggle));
    return;
  }
  // The list comes a page at a time (newest first in each group); "More holds" appends the next.
  let shown = answer.items.length;
  let cursor = answer.next_cursor;
  const caption = h('caption', { id: 'holds-caption' });
  const captionText = () => {
    caption.textContent = cursor
      ? tn(shown, 'The first {n} legal hold, standing ones first', 'The first {n} legal holds, standing ones first')
      : tn(shown, '{n} legal hold, standing ones first', '{n} legal holds, standing ones first');
  };
  captionText();
  const body = h('tbody', null, answer.items.map((x) => holdRow(x, onLift)));
  const more = h('button', { type: 'button', class: 'button button--secondary', 'data-testid': 'holds-more', hidden: !cursor },
    t('More holds'));
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const next = await api(`/facilities/${f.id}/legal-holds?${new URLSearchParams({ ...(all ? { status: 'all' } : {}), cursor })}`);
      if (!ctx.isCurrent()) return;
      for (const x of next.items) body.append(holdRow(x, onLift));
      shown += next.items.length;
      cursor = next.next_cursor;
      more.hidden = !cursor;
      captionText();
    } catch (e) {
      replace(alert, h('p', null, e.message));
      alert.hidden = false;
      alert.focus();
    } finally {
      more.disabled = false;
    }
  });
  replace(out,
    h('h2', { id: 'holds-heading' }, all ? t('All legal holds') : t('Standing legal holds')), status, alert,
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'holds-caption' },
      h('table', { class: 'price-table holds-table', 'data-testid': 'holds-table' },
        caption,
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, t('Case reference')),
          h('th', { scope: 'col' }, t('Who')),
          h('th', { scope: 'col' }, t('Messages')),
          h('th', { scope: 'col' }, t('Placed')),
          h('th', { scope: 'col' }, t('Status')))),
        body)),
    h('p', { class: 'actions' }, more),
    h('p', null, toggle));
}

function placeForm(env, ctx, out, all) {
  const { facility: f } = env;
  const kind = field({ form: 'hold', name: 'subject_kind', label: t('Hold the messages of'), kind: 'select', value: 'resident',
    options: KINDS.map(([c, words]) => [c, t(words)]) });
  const subject = field({ form: 'hold', name: 'subject', label: t(SUBJECT_LABEL.resident), autocomplete: 'off',
    hint: t(SUBJECT_HINT.resident) });
  const caseRef = field({ form: 'hold', name: 'case_reference', label: t('Case reference'), autocomplete: 'off', maxlength: 100,
    hint: t('The case or warrant this hold is for, as your records name it.') });
  const note = field({ form: 'hold', name: 'note', label: t('Note'), optional: true, autocomplete: 'off', maxlength: 500 });
  const kit = formKit([kind, subject, caseRef, note], t('Place hold'), t('Placing…'), { buttonClass: 'button' });
  const relabel = () => {
    const k = kind.input.value;
    subject.wrap.querySelector('label').textContent = t(SUBJECT_LABEL[k]);
    const hint = subject.wrap.querySelector('.hint');
    if (hint) hint.textContent = t(SUBJECT_HINT[k]);
    subject.input.setAttribute('inputmode', k === 'resident' ? 'text' : 'numeric');
  };
  kind.input.addEventListener('change', relabel);
  const form = h('form', { class: 'form hold-form', novalidate: true, 'aria-labelledby': 'place-heading' },
    h('h2', { id: 'place-heading' }, t('Place a legal hold')), kit.alert,
    kind.wrap, subject.wrap, caseRef.wrap, note.wrap, h('p', { class: 'actions' }, kit.button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    const k = kind.input.value;
    const who = subject.input.value.trim();
    const body = { subject_kind: k, case_reference: caseRef.input.value.trim() };
    if (note.input.value.trim()) body.note = note.input.value.trim();
    if (!who) kit.fieldError('subject', t('Say whose messages to keep.'));
    else if (k === 'resident') body.resident_number = who;
    else if (/^\d{1,15}$/.test(who)) body.subject_id = Number(who);
    else kit.fieldError('subject', t('Type the number only, for example 42.'));
    if (!body.case_reference) kit.fieldError('case_reference', t('Give the case reference.'));
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const hold = await api(`/facilities/${f.id}/legal-holds`, { method: 'POST', body });
      kit.busy(false);
      form.reset();
      relabel();
      await showList(out, env, ctx, all);
      const status = out.querySelector('[data-testid="holds-status"]');
      if (status) status.textContent = t('Hold placed for case {case}.', { case: hold.case_reference });
    } catch (e) {
      kit.busy(false);
      if (e instanceof ApiError && (e.field === 'subject_id' || e.field === 'resident_number')) {
        kit.fieldError('subject', e.message);
        kit.focusFirstInvalid();
      } else {
        kit.serverError(e);
      }
    }
  });
  return form;
}

export async function legalHoldsPage(root, ctx) {
  const env = await gate(root, ctx);
  if (!env) return;
  const { account, facility: f, isOperator } = env;
  setTitle(t('Legal holds — {facility}', { facility: f.name }));
  const all = ctx.query.get('all') === '1';
  const intro = h('div', { class: 'page-intro staff-intro' },
    h('p', { class: 'eyebrow' }, roleName(account.role)),
    h('h1', null, t('Legal holds')),
    h('p', { class: 'lead' }, f.name, ' · ', t('facility number {number}', { number: String(f.id) })),
    isOperator ? h('p', { class: 'change-facility' }, h('a', { href: PATH }, t('Choose another facility'))) : null);
  if (!f.on_platform) {
    replace(root, h('div', { class: 'wrap staff' }, intro,
      h('p', { class: 'notice notice--warning' }, t('This facility is not on Kite, so it has no messages to keep.'))));
    return;
  }
  const out = h('section', { class: 'section', 'aria-labelledby': 'holds-heading' });
  replace(root, h('div', { class: 'wrap staff legal-holds' }, intro, periodsLine(f.policy),
    h('div', { class: 'card' }, placeForm(env, ctx, out, all)), out));
  await showList(out, env, ctx, all);
}
