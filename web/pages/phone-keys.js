// /staff/phone-keys?facility=ID: the API keys the facility's phone system signs its call records
// with.  A facility admin (for their own facility) or an operator makes a key, copies it once,
// sees each key's prefix, when it was made and last used, and revokes it after a confirmation.
//
// SECURITY: the key is shown once, in the answer that made it, and only until the page is left;
// it is never written to the page's storage.  A revoked key stays listed so the record of what
// signed old calls stays readable.

import { api, currentAccount } from '../api.js';
import { h, replace, setTitle } from '../dom.js';
import { t } from '../i18n.js';
import { confirmAction, formKit } from '../forms.js';
import { formatDateTime, managesFacility } from '../labels.js';
import { emptyNote } from '../widgets.js';

export async function phoneKeysPage(root, ctx) {
  setTitle(t('Phone system API keys'));
  const me = currentAccount();
  const facilityId = Number(ctx.query.get('facility') || (me && me.facility_id) || 0);
  if (!managesFacility(me) || !facilityId) {
    replace(root, h('div', { class: 'wrap narrow' }, h('h1', null, t('Phone system API keys')),
      h('p', null, t('This page is for a facility\'s admin and for operators. Sign in with your staff account, and (as an operator) open it from a facility\'s staff page.'))));
    return;
  }
  const list = h('ul', { class: 'rows', 'data-testid': 'phone-keys' });
  const shown = h('div', { role: 'status', 'data-testid': 'phone-key-new' });

  async function refresh() {
    const keys = await api(`/facilities/${facilityId}/api-keys`);
    if (!ctx.isCurrent()) return;
    replace(list, keys.items.length ? keys.items.map((k) => keyRow(k)) : h('li', { class: 'row row--empty' }, emptyNote(t('No keys yet.'))));
  }

  function keyRow(k) {
    const facts = [t('made {when}', { when: formatDateTime(k.created_at) }),
      k.last_used_at ? t('last used {when}', { when: formatDateTime(k.last_used_at) }) : t('never used'),
      k.revoked_at ? t('revoked {when}', { when: formatDateTime(k.revoked_at) }) : t('active')];
    return h('li', { class: 'row', 'data-testid': `phone-key-${k.id}` },
      h('p', null, h('code', null, `${k.prefix}…`), ' · ', facts.join(' · ')),
      k.active ? confirmAction({
        label: t('Revoke'), question: t('Revoke the key {prefix}…? The phone system can no longer post calls with it.', { prefix: k.prefix }),
        yes: t('Yes, revoke it'), no: t('Cancel'), testid: `phone-key-revoke-${k.id}`,
        onConfirm: async () => {
          await api(`/facilities/${facilityId}/api-keys/${k.id}`, { method: 'DELETE' });
          await refresh();
        },
      }) : null);
  }

  const kit = formKit([], t('Make a new key'), t('Making…'));
  const form = h('form', { class: 'form', novalidate: true, 'data-testid': 'phone-key-form' }, kit.alert, kit.button, shown);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    kit.clear();
    kit.busy(true);
    try {
      const k = await api(`/facilities/${facilityId}/api-keys`, { method: 'POST' });
      // The list is redrawn before the key appears, so the page never shows the new key beside a
      // list that does not have it yet; the key is shown even if that redraw fails, as it cannot
      // be shown again.
      try {
        await refresh();
      } finally {
        replace(shown, h('div', { class: 'notice notice--success' },
          h('p', null, t('Copy this key into the phone system now. Kite keeps only a fingerprint of it and cannot show it again.')),
          h('p', null, h('code', { 'data-testid': 'phone-key-secret' }, k.key))));
      }
    } catch (e) {
      kit.serverError(e);
    } finally {
      kit.busy(false);
    }
  });

  replace(root, h('div', { class: 'wrap narrow' },
    h('div', { class: 'page-intro' }, h('h1', null, t('Phone system API keys')),
      h('p', null, t('The facility\'s phone system sends each call record to Kite with one of these keys, as {header}, to {endpoint}. A key works for this facility only.', {
        header: '"Authorization: Bearer KEY"', endpoint: `POST /api/v1/facilities/${facilityId}/calls`,
      })),
      h('p', null, h('a', { href: `/staff?facility=${facilityId}` }, t('Back to the facility')))),
    h('section', { class: 'card', 'aria-labelledby': 'phone-keys-new-heading' },
      h('h2', { id: 'phone-keys-new-heading', class: 'panel-title' }, t('New key')), form),
    h('section', { class: 'card', 'aria-labelledby': 'phone-keys-heading' },
      h('h2', { id: 'phone-keys-heading', class: 'panel-title' }, t('Keys')), list)));
  try {
    await refresh();
  } catch (e) {
    if (ctx.isCurrent()) replace(list, h('p', { role: 'alert' }, e.message));
  }
}
