// The door of a staff page that works on one facility: who may be here, and for which facility.
// Signed out: a sign-in link that comes back here.  Another role: where that role belongs.  Staff
// work on their own facility; an operator chooses one first (?facility=ID, through a picker).  A
// facility number that does not exist: said so.  Each page brings its own sentences (its roles
// and what it is for); the steps and their order are the same everywhere.

import { api, ApiError, currentAccount, homeFor } from './api.js';
import { h, replace, setTitle } from './dom.js';
import { t } from './i18n.js';
import { facilityPicker } from './widgets.js';

/*
 * opts: roles (the roles allowed), path (this page, for sign-in's way back), title,
 * signedOut (the sentence for the signed-out), wrongRoleTitle and wrongRole (for another role),
 * pickerId, pickerTitle and pickerLead (the operator's facility choice), facilityUrl(id) (where a
 * choice leads; default path?facility=ID).  Resolves to {account, facility, isOperator,
 * operatorFacility} or null after showing why not.
 */
export async function staffFacilityGate(root, ctx, opts) {
  setTitle(opts.title);
  const facilityUrl = opts.facilityUrl || ((id) => `${opts.path}?facility=${id}`);
  const account = currentAccount();
  if (!account) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('Staff sign-in needed')),
      h('p', null, opts.signedOut),
      h('p', { class: 'actions' }, h('a', { class: 'button', href: `/signin?next=${encodeURIComponent(opts.path)}` }, t('Sign in')))));
    return null;
  }
  if (!opts.roles.includes(account.role)) {
    const home = account.role === 'contact' ? '/messages' : homeFor(account.role);
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, opts.wrongRoleTitle),
      h('p', null, opts.wrongRole),
      h('p', { class: 'actions' }, h('a', { class: 'button', href: home }, t('Go there')))));
    return null;
  }
  const isOperator = account.role === 'operator';
  const wanted = ctx.query.get('facility');
  const facilityId = isOperator ? (wanted && /^\d{1,10}$/.test(wanted) ? Number(wanted) : null) : account.facility_id;
  if (isOperator && !facilityId) {
    setTitle(opts.pickerTitle);
    const picker = facilityPicker({
      id: opts.pickerId, label: t('Facility'), onlyOnKite: true,
      hint: t('Type a name, a town or a facility number. Only facilities on Kite have messages to search.'),
      onPick: (f) => ctx.navigate(facilityUrl(f.id)),
    });
    ctx.onLeave(picker.stop);
    replace(root, h('div', { class: 'wrap narrow' },
      h('div', { class: 'page-intro' }, h('h1', null, opts.pickerTitle), h('p', { class: 'lead' }, opts.pickerLead)),
      h('div', { class: 'card' }, picker.wrap)));
    return null;
  }
  if (!facilityId) {
    replace(root, h('div', { class: 'wrap narrow' },
      h('h1', null, t('No facility on your account')),
      h('p', null, t('Your staff account does not belong to a facility yet. Ask an operator to set it up.'))));
    return null;
  }
  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading the facility…'))));
  let facility;
  try {
    facility = await api(`/facilities/${facilityId}`);
  } catch (e) {
    if (!ctx.isCurrent()) return null;
    if (e instanceof ApiError && e.status === 404) {
      replace(root, h('div', { class: 'wrap narrow' },
        h('h1', null, t('Facility not found')),
        h('p', null, t('There is no facility with this number.')),
        isOperator ? h('p', null, h('a', { class: 'button', href: opts.path }, t('Choose a facility'))) : null));
      return null;
    }
    throw e;
  }
  if (!ctx.isCurrent()) return null;
  return { account, facility, isOperator, operatorFacility: isOperator ? facility.id : null };
}
