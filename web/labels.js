// Words shown to people for the codes the API uses.

import { N_, formatCount, formatShortDate, formatTime, locale, t, tn } from './i18n.js';

/*
 * The tables below hold English words marked N_ (the catalogue's keys); the exported tables that
 * pages put straight into lists and selects carry them already in the page's language (the
 * catalogue is loaded before this module runs), and the name functions return t(word).
 */
const shown = (pairs) => pairs.map(([code, word, ...rest]) => [code, t(word), ...rest.map((x) => t(x))]);

export const STATES = [
  ['AL', 'Alabama'], ['AK', 'Alaska'], ['AZ', 'Arizona'], ['AR', 'Arkansas'], ['CA', 'California'],
  ['CO', 'Colorado'], ['CT', 'Connecticut'], ['DE', 'Delaware'], ['DC', 'District of Columbia'],
  ['FL', 'Florida'], ['GA', 'Georgia'], ['GU', 'Guam'], ['HI', 'Hawaii'], ['ID', 'Idaho'],
  ['IL', 'Illinois'], ['IN', 'Indiana'], ['IA', 'Iowa'], ['KS', 'Kansas'], ['KY', 'Kentucky'],
  ['LA', 'Louisiana'], ['ME', 'Maine'], ['MD', 'Maryland'], ['MA', 'Massachusetts'], ['MI', 'Michigan'],
  ['MN', 'Minnesota'], ['MS', 'Mississippi'], ['MO', 'Missouri'], ['MT', 'Montana'], ['NE', 'Nebraska'],
  ['NV', 'Nevada'], ['NH', 'New Hampshire'], ['NJ', 'New Jersey'], ['NM', 'New Mexico'], ['NY', 'New York'],
  ['NC', 'North Carolina'], ['ND', 'North Dakota'], ['MP', 'Northern Mariana Islands'], ['OH', 'Ohio'],
  ['OK', 'Oklahoma'], ['OR', 'Oregon'], ['PA', 'Pennsylvania'], ['PR', 'Puerto Rico'], ['RI', 'Rhode Island'],
  ['SC', 'South Carolina'], ['SD', 'South Dakota'], ['TN', 'Tennessee'], ['TX', 'Texas'], ['UT', 'Utah'],
  ['VT', 'Vermont'], ['VI', 'U.S. Virgin Islands'], ['VA', 'Virginia'], ['WA', 'Washington'],
  ['WV', 'West Virginia'], ['WI', 'Wisconsin'], ['WY', 'Wyoming'],
];

export const TYPES = shown([
  ['federal', N_('Federal facility')],
  ['state', N_('State facility')],
  ['county', N_('County facility')],
  ['local', N_('City or local facility')],
  ['multi', N_('Regional or multi-agency facility')],
]);

export const STATUSES = shown([
  ['open', N_('Open')],
  ['closed', N_('Closed')],
]);

export const SERVICES = shown([
  ['messaging', N_('Messages')],
  ['phone', N_('Phone calls')],
  ['video', N_('Video visits')],
  ['money', N_('Sending money')],
  ['photos', N_('Photos')],
]);

const ROLES = {
  contact: N_('Family or friend'),
  resident: N_('Resident'),
  reviewer: N_('Mail-room reviewer'),
  facility_admin: N_('Facility administrator'),
  investigator: N_('Investigator'),
  operator: N_('Operator'),
};

const lookup = (pairs) => new Map(pairs);
const stateNames = lookup(STATES);
const typeNames = lookup(TYPES);
const statusNames = lookup(STATUSES);
const serviceNames = lookup(SERVICES);

export const stateName = (code) => stateNames.get(code) || code || '';
export const typeName = (code) => typeNames.get(code) || (code ? code : t('Type not recorded'));
export const statusName = (code) => statusNames.get(code) || t('Status not recorded');
export const serviceName = (code) => serviceNames.get(code) || code;
export const roleName = (code) => (ROLES[code] ? t(ROLES[code]) : code);

/* Provider slugs that are not a company: nothing to link to. */
export const isRealProvider = (p) => Boolean(p && p.slug && p.slug !== 'unknown' && p.slug !== 'none');

export { formatCount, formatDate, formatDateTime, formatMoney } from './i18n.js';

const pluralRules = new Intl.PluralRules(locale());

/*
 * "3 photos": a count and an English word in its form for the count, both in the page's
 * language.  Older pages pass the English forms; new code writes whole sentences with the tn helper.
 */
export function plural(n, one, many) {
  return t('{n} {word}', { n: formatCount(n), word: t(pluralRules.select(n) === 'one' ? one : many) });
}

/* The word forms pages pass to plural(), for the catalogue. */
export const PLURAL_WORDS = [
  N_('hour'), N_('hours'), N_('day'), N_('days'), N_('month'), N_('months'), N_('minute'), N_('minutes'),
  N_('photo'), N_('photos'), N_('stamp'), N_('stamps'), N_('more stamp'), N_('more stamps'),
  N_('credit'), N_('credits'), N_('message'), N_('messages'), N_('new message'), N_('new messages'),
  N_('message was'), N_('messages were'), N_('facility'), N_('facilities'),
  N_('conversation'), N_('conversations'),
];

/* ---- contacts, requests, invitations ---- */

const CONTACT_STATUSES = {
  active: N_('Active'),
  suspended: N_('Paused'),
  removed: N_('Removed'),
  blocked: N_('Blocked'),
  facility_blocked: N_('Blocked by the facility'),
};
const REQUEST_STATUSES = {
  pending: N_('Waiting for an answer'),
  approved: N_('Approved'),
  declined: N_('Declined'),
  cancelled: N_('Closed'),
};
const INVITATION_STATUSES = {
  pending: N_('Waiting to be accepted'),
  accepted: N_('Accepted'),
  revoked: N_('Replaced or withdrawn'),
  expired: N_('Expired'),
};

const wordFor = (table, code) => (table[code] ? t(table[code]) : code);
export const contactStatusName = (code) => wordFor(CONTACT_STATUSES, code);
export const requestStatusName = (code) => wordFor(REQUEST_STATUSES, code);
export const invitationStatusName = (code) => wordFor(INVITATION_STATUSES, code);

/* The colour of a status chip: ok, wait, stop or quiet. */
export function statusKind(code) {
  if (code === 'active' || code === 'approved' || code === 'accepted') return 'ok';
  if (code === 'pending' || code === 'suspended') return 'wait';
  if (code === 'blocked' || code === 'facility_blocked' || code === 'declined') return 'stop';
  return 'quiet';
}

/* ---- staff ---- */

export const STAFF_ROLES = shown([
  ['facility_admin', ROLES.facility_admin],
  ['reviewer', ROLES.reviewer],
  ['investigator', ROLES.investigator],
]);

export const isStaff = (account) => Boolean(account) && ['facility_admin', 'reviewer', 'investigator', 'operator'].includes(account.role);
export const managesFacility = (account) => Boolean(account) && (account.role === 'facility_admin' || account.role === 'operator');

/* ---- facility policy ---- */

export const PROFILES = shown([
  ['federal', N_('Federal (like CorrLinks)'), N_('The resident invites family by email. Invitations last 30 days, 30 contacts, 13,000 characters, text only.')],
  ['jpay', N_('JPay-like'), N_('Family find the resident by number and ask; the resident approves. Photos allowed, a stamp per page.')],
  ['connectnetwork', N_('ConnectNetwork-like'), N_('Family ask by number or by name; the resident approves, or the request is approved after a waiting period. Credits.')],
]);
export const profileName = (code) => (PROFILES.find(([c]) => c === code) || [code, code])[1];

/* The facts about a policy a family needs before they start, as [term, value] pairs. */
export function policyFacts(p) {
  if (!p) return [];
  const starts = p.contact_initiation === 'resident_invites'
    ? t('The person inside invites you by email')
    : p.contact_initiation === 'both'
      ? t('The person inside invites you, or you send a request')
      : t('You send a request; the person inside approves it');
  const approval = p.contact_initiation === 'resident_invites'
    ? null
    : p.approval === 'resident_or_window'
      ? tn(p.approval_window_hours,
        'The person inside approves it, or it is approved after {n} hour unless they decline',
        'The person inside approves it, or it is approved after {n} hours unless they decline')
      : t('The person inside approves or declines it on their tablet');
  return [
    [t('How contact starts'), starts],
    approval ? [t('After a request'), approval] : null,
    p.contact_initiation !== 'contact_requests'
      ? [t('An invitation is valid for'), tn(p.invitation_valid_days, '{n} day', '{n} days')]
      : null,
    [t('Contacts per person inside'), t('Up to {n}', { n: formatCount(p.contact_limit) })],
    [t('Longest message'), tn(p.message_max_chars, '{n} character', '{n} characters')],
    [t('Photos'), p.attachments_allowed
      ? tn(p.max_attachments, 'Allowed, up to {n} photo per message', 'Allowed, up to {n} photos per message')
      : t('Not allowed: text only')],
    p.videos_allowed === undefined ? null : [t('Video messages'), p.videos_allowed
      ? t('Allowed, one of up to 30 seconds per message')
      : t('Not allowed')],
    [t('Review'), p.review === 'flagged_only'
      ? t('Staff check messages; most are delivered without waiting')
      : t('Staff read every message before it is delivered')],
    p.message_retention_days
      ? [t('Messages are kept'), tn(p.message_retention_days, '{n} day, then deleted', '{n} days, then deleted')]
      : null,
    p.message_retention_days && p.attachments_allowed
      ? [t('Photos are kept'), tn(p.photo_retention_days, '{n} day, then deleted', '{n} days, then deleted')]
      : null,
  ].filter(Boolean);
}

/* ---- messages ---- */

/* The default reasons a facility gives for not delivering a message (GET .../reject-reasons). */
const REJECT_REASONS = {
  security_threat: N_('A risk to the safety or security of the facility'),
  criminal_activity: N_('Plans for, or talk of, criminal activity'),
  explicit_content: N_('Sexually explicit content'),
  coded_language: N_('Coded or hidden language'),
  harassment: N_('Threats or harassment'),
  third_party_contact: N_('Passing on messages to or from other people'),
  other: N_('Another reason (see the note)'),
};

/* A reason code in words; a facility's own code is shown as words made from it. */
export function rejectReasonName(code, label) {
  if (label) return label;
  if (REJECT_REASONS[code]) return t(REJECT_REASONS[code]);
  if (!code) return t('No reason given');
  const words = String(code).replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const RULE_KINDS = shown([
  ['words', N_('Words')],
  ['pattern', N_('Pattern')],
  ['watch_resident', N_('Watched resident')],
  ['watch_email', N_('Watched email address')],
]);
export const RULE_ACTIONS = shown([
  ['hold', N_('Hold: keep it back for a closer look')],
  ['flag', N_('Flag: mark it for the reviewer')],
]);
export const ruleKindName = (code) => (RULE_KINDS.find(([c]) => c === code) || [code, code])[1];

/* Seconds as a short span of time: "45 s", "12 min", "3 h 5 min", "2 days 4 h". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return t('{s} s', { s: formatCount(s) });
  const m = Math.floor(s / 60);
  if (m < 60) return t('{m} min', { m: formatCount(m) });
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return m % 60 ? t('{h} h {m} min', { h: formatCount(hrs), m: formatCount(m % 60) }) : t('{h} h', { h: formatCount(hrs) });
  const days = Math.floor(hrs / 24);
  return hrs % 24
    ? tn(days, '{n} day {h} h', '{n} days {h} h', { h: formatCount(hrs % 24) })
    : tn(days, '{n} day', '{n} days');
}

/* A time in a conversation: "2:05 PM" today, "Mar 3, 2:05 PM" this year, else with the year. */
export function formatWhen(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  const time = formatTime(d);
  if (d.toDateString() === now.toDateString()) return t('Today, {time}', { time });
  return t('{date}, {time}', { date: formatShortDate(d, d.getFullYear() !== now.getFullYear()), time });
}


/* Characters as Kite counts them (code points): most emoji count as one, as the server counts. */
export const charCount = (text) => [...text].length;
