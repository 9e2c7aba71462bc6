// The non-identifying referral and unmet-needs logs and their figures, on the page's
// side: the API calls (POST/GET /api/referrals, /api/referrals/{id}/status,
// /api/unmet-needs, GET /api/coordination/figures), the closed vocabularies the forms
// offer (statuses, decline reasons), the body of an unmet need built from the
// caseworker's need filters, how a possibly suppressed count reads ("< 5"), and the
// classed colour scale of the unmet-needs map. Nothing here holds, asks for or sends
// anything about the person: the server refuses any field but the documented ones.

import { getJSON, postJSON } from './api.js';
import { FILTERS } from './config.js';
import { t } from './i18n.js';

const seg = (s) => encodeURIComponent(String(s));

export const log = {
  refer: (body) => postJSON('/api/referrals', body),
  referrals: (scope) => getJSON('/api/referrals', { scope }),
  setStatus: (id, body) => postJSON(`/api/referrals/${seg(id)}/status`, body),
  recordUnmet: (body) => postJSON('/api/unmet-needs', body),
  figures: (params) => getJSON('/api/coordination/figures', params),
  publicFigures,
  organisations: () => getJSON('/api/organisations'),
};

/**
 * The figures as the public and donors get them (no cookie, whoever is signed in): for
 * the donor report, which must never show a count a donor may not see.
 */
async function publicFigures(params) {
  const url = new URL('/api/coordination/figures', window.location.origin);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const response = await fetch(url, { credentials: 'omit', headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/** Roles that may record referrals and unmet needs (with an organisation). */
export const RECORDING_ROLES = ['caseworker', 'editor', 'planner', 'admin'];
/** Roles that see the coordination view (every signed-in staff role). */
export const COORDINATION_ROLES = RECORDING_ROLES;
/** Roles that see district figures as counted (the API's planners and admins). */
export const COORDINATOR_ROLES = ['planner', 'admin'];

export const STATUSES = ['made', 'accepted', 'service_provided', 'declined', 'no_show'];
export const DECLINE_REASONS = [
  'not_eligible', 'no_capacity', 'outside_area', 'survivor_withdrew', 'referred_elsewhere', 'other',
];

/** What a receiving organisation may set next (the server's legal transitions). */
export function nextStatuses(status) {
  if (status === 'made') return ['accepted', 'declined', 'no_show'];
  if (status === 'accepted') return ['service_provided', 'no_show'];
  return [];
}

/** A referral's status in words (a decline with its reason). */
export function statusText(r) {
  const s = t(`coord.status.${r.status}`);
  return r.status === 'declined' && r.decline_reason ? `${s}: ${t(`coord.reason.${r.decline_reason}`)}` : s;
}

/** Today as `YYYY-MM-DD` in the browser's time zone (the form's default and maximum). */
export function today(now = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`;
}

// Need filter code -> the unmet-needs body's flag (cmr_pep is a health service).
const FLAG_OF = {
  '24_7': 'open_24_7',
  female: 'female_staff',
  child: 'child_friendly',
  wheelchair: 'wheelchair_access',
  free: 'free_of_charge',
  no_police: 'no_police_report_required',
};

/**
 * The body of POST /api/unmet-needs for one sector: the area code of the nearest answer,
 * the day, and the needs ticked in the caseworker's filters; nothing else.
 */
export function unmetNeedBody({ sector, area, filters = [], svcLang = '', day }) {
  const body = { sector, area };
  if (day) body.recorded_on = day; // absent: the server's today
  const known = new Set(FILTERS.map((f) => f.code));
  for (const code of filters) {
    if (!known.has(code)) continue;
    if (code === 'cmr_pep') {
      if (sector === 'health') body.services = ['cmr_pep'];
    } else if (FLAG_OF[code]) body[FLAG_OF[code]] = true;
  }
  if (svcLang) body.languages = [svcLang];
  return body;
}

/** A count of the figures as text: the number (formatted), or "< 5" when hidden. */
export function countText(c, below = 5, format = String) {
  if (!c) return '–';
  if (c.suppressed || c.count === null || c.count === undefined) return `< ${below}`;
  return format(c.count);
}

// Unmet needs per area on the map: ColorBrewer Purples (sequential, colour-blind safe,
// readable in grey), zero apart; a hidden count has a class of its own.
export const UNMET_BREAKS = [1, 5, 10, 25, 50];
export const UNMET_COLORS = ['#f2f0f7', '#dadaeb', '#bcbddc', '#9e9ac8', '#756bb1', '#54278f'];
export const UNMET_HIDDEN_COLOR = '#c8c8c8';

/** Class index (0..5) of an unmet-needs count; null when hidden. */
export function unmetClass(count) {
  if (count === null || count === undefined || !Number.isFinite(Number(count))) return null;
  let i = 0;
  while (i < UNMET_BREAKS.length && Number(count) >= UNMET_BREAKS[i]) i++;
  return i;
}

/** Legend classes: [{ color, from, to }] (to exclusive; null for the open last class). */
export function unmetClasses() {
  const edges = [0, ...UNMET_BREAKS, null];
  return UNMET_COLORS.map((color, i) => ({ color, from: edges[i], to: edges[i + 1] }));
}

/** MapLibre expression colouring features by their `count` (absent: hidden). */
export function unmetColorExpression(prop = 'count') {
  const steps = ['step', ['to-number', ['get', prop]], UNMET_COLORS[0]];
  UNMET_BREAKS.forEach((b, i) => steps.push(b, UNMET_COLORS[i + 1]));
  return ['case', ['==', ['typeof', ['get', prop]], 'number'], steps, UNMET_HIDDEN_COLOR];
}

/** An area's unmet-needs count for the year: all sectors, or one. */
export function unmetOf(area, sector) {
  const total = area?.total;
  if (!total) return null;
  if (!sector) return total.unmet_needs;
  return (total.unmet_by_sector || []).find((x) => x.sector === sector)?.count || null;
}

/**
 * The map's features: each figures area joined to its outline (outlines of any level,
 * by code), with `count` (absent when hidden) and `code`.
 */
export function unmetFeatures(figures, outlines, sector) {
  const byCode = new Map();
  for (const fc of outlines) for (const f of fc?.features || []) byCode.set(String(f.properties?.code), f);
  const features = [];
  for (const a of figures?.areas || []) {
    const outline = byCode.get(String(a.code));
    if (!outline) continue;
    const c = unmetOf(a, sector);
    const properties = { code: String(a.code) };
    if (c && !c.suppressed && Number.isFinite(c.count)) properties.count = c.count;
    features.push({ type: 'Feature', geometry: outline.geometry, properties });
  }
  return { type: 'FeatureCollection', features };
}
