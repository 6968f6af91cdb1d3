// Every company a facility can use, what it offers and how to start with it.

import { api } from '../api.js';
import { h, replace, setTitle, safeUrl, hostOf, externalLink } from '../dom.js';
import { serviceName, isRealProvider, SERVICES } from '../labels.js';
import { t, tp } from '../i18n.js';

const serviceOrder = new Map(SERVICES.map(([code], i) => [code, i]));

function providerCard(p) {
  const site = safeUrl(p.website);
  const services = [...(p.services || [])].sort((a, b) => (serviceOrder.get(a) ?? 99) - (serviceOrder.get(b) ?? 99));
  const isKite = p.slug === 'kite';
  return h('li', { class: `provider${isKite ? ' provider--kite' : ''}` },
    h('article', { id: `provider-${p.slug}`, 'aria-labelledby': `provider-${p.slug}-name` },
      h('h2', { id: `provider-${p.slug}-name`, class: 'provider-name' }, p.name),
      p.operator ? h('p', { class: 'provider-operator' }, isKite ? t('Run by this Kite deployment') : t('Run by {operator}', { operator: p.operator })) : null,
      services.length
        ? h('div', { class: 'provider-services' },
          h('h3', { class: 'visually-hidden' }, t('Services')),
          h('ul', { class: 'chips', 'aria-label': t('Services') }, services.map((s) => h('li', { class: 'chip' }, serviceName(s)))))
        : null,
      p.steps && p.steps.length
        ? [h('h3', { class: 'steps-title' }, isKite ? t('How to start on Kite') : t('How to start')),
          h('ol', { class: 'steps' }, p.steps.map((s) => h('li', null, s)))]
        : null,
      site ? h('p', { class: 'provider-site' }, externalLink(site, `${hostOf(site)}`)) : null));
}

export async function providersPage(root, ctx) {
  setTitle(t('Providers'));
  replace(root, h('div', { class: 'wrap' }, h('p', { class: 'loading', role: 'status' }, t('Loading providers…'))));
  const answer = await api('/providers');
  if (!ctx.isCurrent()) return;
  const companies = answer.items.filter(isRealProvider);
  const fallback = answer.items.filter((p) => !isRealProvider(p) && p.steps && p.steps.length);
  replace(root, h('div', { class: 'wrap' },
    h('div', { class: 'page-intro' },
      h('h1', null, t('Providers')),
      h('p', { class: 'lead' },
        tp('Each prison or jail uses one company for electronic messages, and sometimes other companies for phone calls, video visits, money and photos. {find} to see which company it uses, then follow that company’s steps.',
          { find: h('a', { href: '/' }, t('Find the facility first')) }))),
    h('ul', { class: 'providers' }, companies.map(providerCard)),
    fallback.length
      ? h('section', { class: 'panel panel--quiet fallback', 'aria-labelledby': 'fallback-heading' },
        h('h2', { id: 'fallback-heading', class: 'panel-title' }, t('When no company is known')),
        fallback.map((p) => [h('h3', { class: 'steps-title' }, p.name),
          h('ol', { class: 'steps' }, p.steps.map((s) => h('li', null, s)))]))
      : null));
}
