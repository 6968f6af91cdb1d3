// One facility: where it is, who serves it, and how to message someone there.

import { api, ApiError, currentAccount } from '../api.js';
import { h, replace, setTitle, safeUrl, hostOf, externalLink, telLink } from '../dom.js';
import { SERVICES, typeName, statusName, serviceName, isRealProvider, policyFacts, roleName } from '../labels.js';
import { t, tn, tp, N_, formatCount } from '../i18n.js';
import { field, formKit } from '../forms.js';
import { messagingBadge, kiteBadge, closedBadge, lastSearchUrl } from './search.js';
import { pricesPanel } from './prices.js';

/*
 * The security levels the directory records, in words; another level is shown as recorded.
 * "close" is said in full ("Close custody"): a lone "Close" would be the button's word.
 */
const SECURITY_LEVELS = {
  minimum: N_('Minimum'),
  medium: N_('Medium'),
  close: N_('Close custody'),
  maximum: N_('Maximum'),
  juvenile: N_('Juvenile'),
};

function securityLevel(code) {
  const known = SECURITY_LEVELS[code];
  return known ? t(known) : code.charAt(0).toUpperCase() + code.slice(1);
}

function row(term, ...value) {
  return [h('dt', null, term), h('dd', null, ...value)];
}

function notRecorded() {
  return h('span', { class: 'muted' }, t('Not recorded'));
}

function countOrNot(n) {
  return typeof n === 'number' ? formatCount(n) : notRecorded();
}

function providerName(p) {
  if (!p) return h('span', { class: 'muted' }, t('Not known yet'));
  if (isRealProvider(p)) return h('a', { href: `/providers#provider-${p.slug}` }, p.name);
  return h('span', { class: 'muted' }, p.name);
}

/*
 * Who provides a service, in words that agree with the rest of the page: at a facility Kite
 * serves, photos travel with Kite's messages when its policy allows them, so the page never says
 * "Photos: allowed" in the rules beside "Photos: not known" here.
 */
function serviceProvider(f, code, provider) {
  if (code === 'photos' && f.on_platform && f.policy) {
    return f.policy.attachments_allowed
      ? h('span', null, t('Kite, with messages'))
      : h('span', { class: 'muted' }, t('Not allowed at this facility'));
  }
  return providerName(provider);
}

function addressLines(f) {
  const cityLine = [f.city, [f.state, f.zip].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const lines = [f.address, cityLine].filter(Boolean);
  if (!lines.length) return [notRecorded()];
  return lines.flatMap((line, i) => (i ? [h('br'), line] : [line]));
}

/* The plain sentence that tells a family whether Kite is the right place, and if not, what is. */
function platformNotice(f, provider) {
  if (f.how_to_message && f.how_to_message.on_platform) {
    return h('p', { class: 'notice notice--success', 'data-testid': 'platform-notice' },
      h('strong', null, t('Kite serves this facility.')), ' ',
      t('You can exchange messages with someone here through Kite once you are their approved contact.'));
  }
  if (isRealProvider(provider)) {
    return h('p', { class: 'notice notice--warning', 'data-testid': 'platform-notice' },
      h('strong', null, t('Kite does not serve this facility.')), ' ',
      t('Use {provider} to message someone here. A message sent through Kite or any other company will never be delivered.', { provider: provider.name }));
  }
  if (provider && provider.slug === 'none') {
    return h('p', { class: 'notice notice--warning', 'data-testid': 'platform-notice' },
      h('strong', null, t('Kite does not serve this facility, and it has no electronic messaging.')), ' ',
      t('You can write a letter, with the person’s full name and ID number. Ask the facility for its mailing address and mail rules first: the address for letters can differ from the street address.'));
  }
  return h('p', { class: 'notice notice--warning', 'data-testid': 'platform-notice' },
    h('strong', null, t('Kite does not serve this facility, and Kite does not know yet which company does.')), ' ',
    f.telephone
      ? tp('Call the facility at {phone} and ask which company handles electronic messages. A message sent through the wrong company is never delivered.',
        { phone: telLink(f.telephone) })
      : t('Ask the facility which company handles electronic messages. A message sent through the wrong company is never delivered.'));
}

function howToBox(f, ctx) {
  const how = f.how_to_message || {};
  const provider = how.provider || f.messaging_provider;
  if (how.on_platform && f.policy) return onKiteBox(f, ctx);
  const steps = (Array.isArray(how.steps) && how.steps) || (provider && Array.isArray(provider.steps) && provider.steps) || [];
  const site = provider && safeUrl(provider.website);
  let action = null;
  if (how.on_platform) {
    action = currentAccount()
      ? h('p', { class: 'actions' }, h('a', { class: 'button', href: '/account' }, t('Go to your account')))
      : h('p', { class: 'actions' },
        h('a', { class: 'button', href: '/register' }, t('Create a free account')),
        h('a', { class: 'button button--secondary', href: `/signin?next=${encodeURIComponent(location.pathname)}` }, t('Sign in')));
  } else if (site) {
    action = h('p', { class: 'actions' },
      externalLink(site, t('Go to {provider} ({site})', { provider: provider.name, site: hostOf(site) }), 'button'));
  }
  return h('section', { class: 'howto', 'aria-labelledby': 'howto-heading', id: 'how-to-message' },
    h('h2', { id: 'howto-heading' }, t('How to message someone here')),
    platformNotice(f, provider),
    steps.length
      ? [h('h3', { class: 'steps-title' }, isRealProvider(provider) ? t('Steps with {provider}', { provider: provider.name }) : t('What to do')),
        h('ol', { class: 'steps' }, steps.map((s) => h('li', null, s)))]
      : null,
    action);
}

/* ---- a facility Kite serves: what to do here, under its policy ---- */

function onKiteBox(f, ctx) {
  const p = f.policy;
  const invites = p.contact_initiation === 'resident_invites' || p.contact_initiation === 'both';
  const requests = p.contact_initiation === 'contact_requests' || p.contact_initiation === 'both';
  const account = currentAccount();
  const here = encodeURIComponent(`${location.pathname}#how-to-message`);

  const inviteText = h('div', { class: 'notice notice--info', 'data-testid': 'invite-rule' },
    h('p', null, h('strong', null, requests ? t('Or wait for an invitation.') : t('The person inside must invite you.')), ' ',
      t('Ask them to send an invitation to your email address from their tablet. You will get an email with a link: open it, sign in or create a free account with that same email address, and accept.')),
    h('p', null, tn(p.invitation_valid_days, 'An invitation is valid for {n} day. If it runs out, they can send a new one.',
      'An invitation is valid for {n} days. If it runs out, they can send a new one.')));

  let requestPart = null;
  if (requests) {
    if (!account) {
      requestPart = h('div', { class: 'request-box' },
        h('h3', null, t('Ask to become their contact')),
        h('p', null, t('Sign in or create a free account first. Then come back to this page and send your request.')),
        h('p', { class: 'actions' },
          h('a', { class: 'button', href: `/register?next=${here}` }, t('Create a free account')),
          h('a', { class: 'button button--secondary', href: `/signin?next=${here}` }, t('Sign in'))));
    } else if (account.role !== 'contact') {
      requestPart = h('div', { class: 'request-box' },
        h('h3', null, t('Ask to become their contact')),
        h('p', { class: 'muted' }, t('You are signed in as {role}. Family and friends send requests from their own Kite account.',
          { role: roleName(account.role).toLowerCase() })));
    } else {
      requestPart = requestForm(f, ctx);
    }
  }

  return h('section', { class: 'howto', 'aria-labelledby': 'howto-heading', id: 'how-to-message' },
    h('h2', { id: 'howto-heading' }, t('How to message someone here')),
    h('p', { class: 'notice notice--success', 'data-testid': 'platform-notice' },
      h('strong', null, t('Kite serves this facility.')), ' ',
      t('You can exchange messages with someone here through Kite once you are their approved contact.')),
    requests ? requestPart : null,
    invites ? inviteText : null,
    h('h3', { class: 'steps-title' }, t('Rules at this facility')),
    h('dl', { class: 'facts facts--grid', 'data-testid': 'policy-facts' },
      policyFacts(p).map(([k, v]) => [h('div', { class: 'fact' }, h('dt', null, k), h('dd', null, v))])),
    account && account.role === 'contact'
      ? h('p', { class: 'after-box' }, h('a', { href: '/contacts' }, t('See your contacts and requests')))
      : null);
}

/* The contact's request: by resident number, or by name where the policy allows it. */
function requestForm(f, ctx) {
  const byName = f.policy.request_lookup === 'number_or_name';
  const number = field({ form: 'req', name: 'resident_number', label: t('Their resident number'), autocomplete: 'off',
    hint: t('The ID number the facility gave them. They can tell you, or the facility can.') });
  const first = field({ form: 'req', name: 'first_name', label: t('Their first name'), autocomplete: 'off' });
  const last = field({ form: 'req', name: 'last_name', label: t('Their last name'), autocomplete: 'off' });
  const fields = [number, first, last];
  const kit = formKit(fields, t('Send request'), t('Sending…'), { buttonClass: 'button' });
  const done = h('div', { class: 'request-done', role: 'status' });

  let mode = 'number';
  const radios = byName
    ? h('fieldset', { class: 'choice' },
      h('legend', null, t('How do you want to find them?')),
      [['number', t('By resident number')], ['name', t('By first and last name')]].map(([v, text]) => {
        const id = `req-by-${v}`;
        const radio = h('input', { type: 'radio', name: 'by', id, value: v, checked: v === 'number' });
        radio.addEventListener('change', () => {
          mode = v;
          show();
        });
        return h('div', { class: 'radio' }, radio, h('label', { for: id }, text));
      }))
    : null;
  const nameRow = h('div', { class: 'field-row' }, first.wrap, last.wrap);
  function show() {
    number.wrap.hidden = mode !== 'number';
    nameRow.hidden = mode !== 'name';
    kit.clear();
  }

  const form = h('form', { class: 'form request-form', novalidate: true, 'aria-labelledby': 'request-heading' },
    kit.alert, radios, number.wrap, nameRow, h('p', { class: 'form-buttons' }, kit.button));
  show();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    kit.clear();
    replace(done);
    const body = { facility_id: f.id };
    if (mode === 'number') {
      body.resident_number = number.input.value.trim();
      if (!body.resident_number) kit.fieldError('resident_number', t('Enter their resident number.'));
    } else {
      body.first_name = first.input.value.trim();
      body.last_name = last.input.value.trim();
      if (!body.first_name) kit.fieldError('first_name', t('Enter their first name.'));
      if (!body.last_name) kit.fieldError('last_name', t('Enter their last name.'));
    }
    if (kit.hasErrors()) {
      kit.focusFirstInvalid();
      return;
    }
    kit.busy(true);
    try {
      const q = await api('/contact-requests', { method: 'POST', body });
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      form.reset();
      show();
      replace(done, h('div', { class: 'notice notice--success' },
        h('p', null, h('strong', null, t('Request sent.')), ' ',
          q.auto_approve_at
            ? t('{name} will see it on their tablet and can approve or decline it. If they do not answer, it is approved after the waiting period.', { name: q.resident.name })
            : t('{name} will see it on their tablet and can approve or decline it.', { name: q.resident.name })),
        h('p', null, h('a', { href: '/contacts' }, t('Follow it on your contacts page')))));
      done.focus();
    } catch (e) {
      if (!ctx.isCurrent()) return;
      kit.busy(false);
      kit.serverError(e, (err) => (err.code === 'already_contacts' || err.code === 'conflict'
        ? h('a', { href: '/contacts' }, t('See your contacts.'))
        : null));
    }
  });
  done.setAttribute('tabindex', '-1');

  return h('div', { class: 'request-box' },
    h('h3', { id: 'request-heading' }, t('Ask to become their contact')),
    h('p', null, byName
      ? t('Find the person by their resident number, or by their name as the facility has it. They will see your name and email address.')
      : t('Find the person by their resident number. They will see your name and email address.')),
    form, done);
}

export async function facilityPage(root, ctx) {
  const id = ctx.params[0];
  const back = backLink(ctx);
  if (!/^\d{1,10}$/.test(id)) {
    notFound(root, back);
    return;
  }
  setTitle(t('Facility'));
  replace(root, h('div', { class: 'wrap' }, back, h('p', { class: 'loading', role: 'status' }, t('Loading the facility…'))));
  let f;
  try {
    f = await api(`/facilities/${id}`);
  } catch (e) {
    if (!ctx.isCurrent()) return;
    if (e instanceof ApiError && e.status === 404) {
      notFound(root, back);
      return;
    }
    throw e;
  }
  if (!ctx.isCurrent()) return;
  setTitle(f.name);

  const providers = f.providers || {};
  const website = safeUrl(f.website);
  // A facility on Kite shows its prices before anyone registers (the FCC asks rates to be disclosed).
  const prices = f.on_platform && f.policy ? h('div', { class: 'prices-slot' }) : null;
  if (prices) {
    api(`/facilities/${f.id}/prices`).then((p) => {
      if (ctx.isCurrent()) replace(prices, pricesPanel(p));
    }, () => {
      if (ctx.isCurrent()) replace(prices, h('p', { class: 'muted' }, t('The prices could not be loaded. Reload the page to try again.')));
    });
  }
  const sub = [typeName(f.type), statusName(f.status), [f.city, f.state].filter(Boolean).join(', ')].filter(Boolean);

  replace(root, h('div', { class: 'wrap facility' },
    back,
    h('header', { class: 'facility-header' },
      h('h1', null, f.name),
      h('p', { class: 'lead' }, sub.join(' · ')),
      h('p', { class: 'badges' }, messagingBadge(f.messaging_provider), f.on_platform ? kiteBadge() : null,
        f.status === 'closed' ? closedBadge() : null)),
    howToBox(f, ctx),
    prices,
    h('div', { class: 'facility-grid' },
      h('section', { class: 'panel', 'aria-labelledby': 'contact-heading' },
        h('h2', { id: 'contact-heading', class: 'panel-title' }, t('Address and contact')),
        h('dl', { class: 'facts' },
          row(t('Address'), ...addressLines(f)),
          f.county ? row(t('County'), f.county) : null,
          row(t('Phone'), f.telephone ? telLink(f.telephone) : notRecorded()),
          row(t('Website'), website ? externalLink(website, hostOf(website)) : notRecorded()))),
      h('section', { class: 'panel', 'aria-labelledby': 'services-heading' },
        h('h2', { id: 'services-heading', class: 'panel-title' }, t('Who provides each service')),
        h('dl', { class: 'facts', 'data-testid': 'services' },
          SERVICES.map(([code]) => row(serviceName(code), serviceProvider(f, code, providers[code]))))),
      h('section', { class: 'panel', 'aria-labelledby': 'about-heading' },
        h('h2', { id: 'about-heading', class: 'panel-title' }, t('About this facility')),
        h('dl', { class: 'facts' },
          row(t('Type'), typeName(f.type)),
          row(t('Status'), statusName(f.status)),
          f.security_level ? row(t('Security level'), securityLevel(f.security_level)) : null,
          row(t('Population'), countOrNot(f.population)),
          row(t('Capacity'), countOrNot(f.capacity)),
          f.bop_code ? row(t('Bureau of Prisons code'), f.bop_code) : null))),
    h('p', { class: 'fineprint' },
      t('These details come from public records and can be out of date. Before you send money or start an account, you can call the facility to confirm.'))));
}

/* Back to the search the person came from: the same results, where they left them. */
function backLink(ctx) {
  const link = h('a', { href: lastSearchUrl() }, t('← Back to search'));
  if (ctx.cameFrom && new URL(ctx.cameFrom, location.href).pathname === '/') {
    link.addEventListener('click', (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      history.back();
    });
  }
  return h('p', { class: 'back' }, link);
}

function notFound(root, back) {
  setTitle(t('Facility not found'));
  replace(root, h('div', { class: 'wrap narrow' }, back,
    h('h1', null, t('We could not find this facility')),
    h('p', null, t('The link may be incomplete, or the facility may have been removed from the directory. Search for it by name, town or ZIP code instead.')),
    h('p', null, h('a', { class: 'button', href: '/' }, t('Search the directory')))));

}
