// Words shown to people for the codes the API uses.

import { formatCount, formatShortDate, formatTime } from './i18n.js';

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

export const TYPES = [
  ['federal', 'Federal facility'],
  ['state', 'State facility'],
  ['county', 'County facility'],
  ['local', 'City or local facility'],
  ['multi', 'Regional or multi-agency facility'],
];

export const STATUSES = [
  ['open', 'Open'],
  ['closed', 'Closed'],
];

export const SERVICES = [
  ['messaging', 'Messages'],
  ['phone', 'Phone calls'],
  ['video', 'Video visits'],
  ['money', 'Sending money'],
  ['photos', 'Photos'],
];

const ROLES = {
  contact: 'Family or friend',
  resident: 'Resident',
  reviewer: 'Mail-room reviewer',
  facility_admin: 'Facility administrator',
  investigator: 'Investigator',
  operator: 'Operator',
};

const lookup = (pairs) => new Map(pairs);
const stateNames = lookup(STATES);
const typeNames = lookup(TYPES);
const statusNames = lookup(STATUSES);
const serviceNames = lookup(SERVICES);

export const stateName = (code) => stateNames.get(code) || code || '';
export const typeName = (code) => typeNames.get(code) || (code ? code : 'Type not recorded');
export const statusName = (code) => statusNames.get(code) || 'Status not recorded';
export const serviceName = (code) => serviceNames.get(code) || code;
export const roleName = (code) => ROLES[code] || code;

/* Provider slugs that are not a company: nothing to link to. */
export const isRealProvider = (p) => Boolean(p && p.slug && p.slug !== 'unknown' && p.slug !== 'none');

export { formatCount, formatDate, formatDateTime, formatMoney } from './i18n.js';

export function plural(n, one, many) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/* ---- contacts, requests, invitations ---- */

const CONTACT_STATUSES = {
  active: 'Active',
  suspended: 'Paused',
  removed: 'Removed',
  blocked: 'Blocked',
  facility_blocked: 'Blocked by the facility',
};
const REQUEST_STATUSES = {
  pending: 'Waiting for an answer',
  approved: 'Approved',
  declined: 'Declined',
  cancelled: 'Closed',
};
const INVITATION_STATUSES = {
  pending: 'Waiting to be accepted',
  accepted: 'Accepted',
  revoked: 'Replaced or withdrawn',
  expired: 'Expired',
};

export const contactStatusName = (code) => CONTACT_STATUSES[code] || code;
export const requestStatusName = (code) => REQUEST_STATUSES[code] || code;
export const invitationStatusName = (code) => INVITATION_STATUSES[code] || code;

/* The colour of a status chip: ok, wait, stop or quiet. */
export function statusKind(code) {
  if (code === 'active' || code === 'approved' || code === 'accepted') return 'ok';
  if (code === 'pending' || code === 'suspended') return 'wait';
  if (code === 'blocked' || code === 'facility_blocked' || code === 'declined') return 'stop';
  return 'quiet';
}

/* ---- staff ---- */

export const STAFF_ROLES = [
  ['facility_admin', ROLES.facility_admin],
  ['reviewer', ROLES.reviewer],
  ['investigator', ROLES.investigator],
];

export const isStaff = (account) => Boolean(account) && ['facility_admin', 'reviewer', 'investigator', 'operator'].includes(account.role);
export const managesFacility = (account) => Boolean(account) && (account.role === 'facility_admin' || account.role === 'operator');

/* ---- facility policy ---- */

export const PROFILES = [
  ['federal', 'Federal (like CorrLinks)', 'The resident invites family by email. Invitations last 30 days, 30 contacts, 13,000 characters, text only.'],
  ['jpay', 'JPay-like', 'Family find the resident by number and ask; the resident approves. Photos allowed, a stamp per page.'],
  ['connectnetwork', 'ConnectNetwork-like', 'Family ask by number or by name; the resident approves, or the request is approved after a waiting period. Credits.'],
];
export const profileName = (code) => (PROFILES.find(([c]) => c === code) || [code, code])[1];

/* The facts about a policy a family needs before they start, as [term, value] pairs. */
export function policyFacts(p) {
  if (!p) return [];
  const starts = p.contact_initiation === 'resident_invites'
    ? 'The person inside invites you by email'
    : p.contact_initiation === 'both'
      ? 'The person inside invites you, or you send a request'
      : 'You send a request; the person inside approves it';
  const approval = p.contact_initiation === 'resident_invites'
    ? null
    : p.approval === 'resident_or_window'
      ? `The person inside approves it, or it is approved after ${plural(p.approval_window_hours, 'hour', 'hours')} unless they decline`
      : 'The person inside approves or declines it on their tablet';
  return [
    ['How contact starts', starts],
    approval ? ['After a request', approval] : null,
    p.contact_initiation !== 'contact_requests' ? ['An invitation is valid for', plural(p.invitation_valid_days, 'day', 'days')] : null,
    ['Contacts per person inside', `Up to ${formatCount(p.contact_limit)}`],
    ['Longest message', `${formatCount(p.message_max_chars)} characters`],
    ['Photos', p.attachments_allowed
      ? `Allowed, up to ${plural(p.max_attachments, 'photo', 'photos')} per message`
      : 'Not allowed: text only'],
    ['Review', p.review === 'flagged_only'
      ? 'Staff check messages; most are delivered without waiting'
      : 'Staff read every message before it is delivered'],
  ].filter(Boolean);
}

/* ---- messages ---- */

/* The default reasons a facility gives for not delivering a message (GET .../reject-reasons). */
const REJECT_REASONS = {
  security_threat: 'A risk to the safety or security of the facility',
  criminal_activity: 'Plans for, or talk of, criminal activity',
  explicit_content: 'Sexually explicit content',
  coded_language: 'Coded or hidden language',
  harassment: 'Threats or harassment',
  third_party_contact: 'Passing on messages to or from other people',
  other: 'Another reason (see the note)',
};

/* A reason code in words; a facility's own code is shown as words made from it. */
export function rejectReasonName(code, label) {
  if (label) return label;
  if (REJECT_REASONS[code]) return REJECT_REASONS[code];
  if (!code) return 'No reason given';
  const words = String(code).replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const RULE_KINDS = [
  ['words', 'Words'],
  ['pattern', 'Pattern'],
  ['watch_resident', 'Watched resident'],
  ['watch_email', 'Watched email address'],
];
export const RULE_ACTIONS = [
  ['hold', 'Hold: keep it back for a closer look'],
  ['flag', 'Flag: mark it for the reviewer'],
];
export const ruleKindName = (code) => (RULE_KINDS.find(([c]) => c === code) || [code, code])[1];

/* Seconds as a short span of time: "45 s", "12 min", "3 h 5 min", "2 days 4 h". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return m % 60 ? `${hrs} h ${m % 60} min` : `${hrs} h`;
  const days = Math.floor(hrs / 24);
  return hrs % 24 ? `${days} days ${hrs % 24} h` : `${days} days`;
}

/* A time in a conversation: "2:05 PM" today, "Mar 3, 2:05 PM" this year, else with the year. */
export function formatWhen(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  const time = formatTime(d);
  if (d.toDateString() === now.toDateString()) return `Today, ${time}`;
  return `${formatShortDate(d, d.getFullYear() !== now.getFullYear())}, ${time}`;
}


/* Characters as Kite counts them (code points): most emoji count as one, as the server counts. */
export const charCount = (text) => [...text].length;
