// Words shown to people for the codes the API uses.

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

const numbers = new Intl.NumberFormat('en-US');
export const formatCount = (n) => numbers.format(n);

export function plural(n, one, many) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export function formatDate(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric' });
}
