// GET /api/nearest answered in the browser, for the offline caseworker: the same
// parameters, filters, order and answer shape as the server's (src/api/nearest.rs,
// src/index/mod.rs), over a facility list saved for offline use, by exact WGS84
// geodesic distance (GeographicLib's `Geodesic.WGS84.Inverse`, passed in as `geod`).
//
// Per sector (the `sector` list, else every sector in the server's order but those the
// server answers only when named: programmes for perpetrators), the `k`
// nearest facilities (default 1) that pass every filter, nearest first, ties broken by
// id (code point order, as the server compares UTF-8 bytes); with `radius_km`, only
// those within it (inclusive). Default status: active only. Distances are rounded to
// the millimetre like the server's. The list is the public's (/api/facilities fetched
// without credentials), so there are no confidential facilities and no masked entries.
// Pure module (no DOM): unit-tested against the server in tests/e2e.

/** The server's sector order (Sector::ALL). */
export const SECTORS = ['health', 'psychosocial', 'police', 'shelter', 'legal', 'hotline', 'perpetrator_programme'];

/**
 * Sectors answered only when the query names them (the server's
 * `Sector::only_when_asked`): a survivor is never offered a programme for perpetrators
 * by default.
 */
export const ONLY_WHEN_ASKED = ['perpetrator_programme'];

const FLAGS = ['female_staff', 'child_friendly', 'wheelchair_access', 'free_of_charge', 'no_police_report_required'];

/** A comma-separated parameter as a list (empty entries dropped). */
function list(value) {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : String(value).split(',')).map((s) => String(s).trim()).filter(Boolean);
}

/** The server's flag parsing: true, 1, yes. */
function flag(value) {
  return value === true || ['true', '1', 'yes'].includes(String(value ?? ''));
}

/** Compares strings by code point (= the server's UTF-8 byte order). */
export function compareIds(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i) < b.codePointAt(i) ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

// --- opening hours: is it open every minute of every day (the server's `open_24_7`)?
// A port of src/model/hours.rs (OpeningHours::parse + is_24_7): unreadable hours are
// not 24/7.
const DAYS = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];
const DAY_MINUTES = 24 * 60;

function parseTime(text) {
  const at = text.indexOf(':');
  if (at < 0) return null;
  const h = text.slice(0, at);
  const m = text.slice(at + 1);
  if (!h || h.length > 2 || m.length !== 2 || !/^\d+$/.test(h) || !/^\d+$/.test(m)) return null;
  const hh = Number(h);
  const mm = Number(m);
  if (hh > 24 || mm > 59 || (hh === 24 && mm !== 0)) return null;
  return hh * 60 + mm;
}

function parseSpan(span) {
  const at = span.indexOf('-');
  if (at < 0) return null;
  const start = parseTime(span.slice(0, at).trim());
  const end = parseTime(span.slice(at + 1).trim());
  if (start === null || end === null || start === DAY_MINUTES || start === end) return null;
  return [start, end];
}

function parseDays(selector) {
  const selected = [false, false, false, false, false, false, false];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (part === 'PH' || part === 'SH') continue;
    const dash = part.indexOf('-');
    if (dash >= 0) {
      const from = DAYS.indexOf(part.slice(0, dash));
      const to = DAYS.indexOf(part.slice(dash + 1));
      if (from < 0 || to < 0) return null;
      for (let day = from; ; day = (day + 1) % 7) {
        selected[day] = true;
        if (day === to) break;
      }
    } else {
      const day = DAYS.indexOf(part);
      if (day < 0) return null;
      selected[day] = true;
    }
  }
  return selected;
}

/** Per weekday the open [start, end) minute spans, or null when the text does not parse. */
export function parseHours(text) {
  if (typeof text !== 'string') return null;
  const trimmed = text.trim();
  if (!trimmed) return null;
  const days = Array.from({ length: 7 }, () => []);
  if (trimmed === '24/7') return days.map(() => [[0, DAY_MINUTES]]);
  for (const raw of trimmed.split(';')) {
    const rule = raw.trim();
    if (!rule) continue;
    let selector = null;
    let times = rule;
    if (DAYS.some((d) => rule.startsWith(d)) || rule.startsWith('PH')) {
      const space = rule.indexOf(' ');
      selector = space >= 0 ? rule.slice(0, space) : rule;
      times = space >= 0 ? rule.slice(space + 1) : '';
    }
    const selected = selector !== null ? parseDays(selector) : [true, true, true, true, true, true, true];
    if (!selected) return null;
    times = times.trim();
    const spill = [];
    let spans;
    if (!times && selector !== null) {
      if (selected.every((s) => !s)) continue; // a PH-only rule
      return null;
    } else if (times === 'off' || times === 'closed') {
      spans = [];
    } else if (times === '24/7' || times === '00:00-24:00') {
      spans = [[0, DAY_MINUTES]];
    } else {
      spans = [];
      for (const part of times.split(',')) {
        const span = parseSpan(part.trim());
        if (!span) return null;
        const [start, end] = span;
        if (end > start) spans.push([start, end]);
        else {
          spans.push([start, DAY_MINUTES]);
          selected.forEach((on, day) => { if (on && end > 0) spill.push([(day + 1) % 7, [0, end]]); });
        }
      }
    }
    selected.forEach((on, day) => { if (on) days[day] = spans.map((s) => [...s]); });
    for (const [day, span] of spill) days[day].push(span);
  }
  return days;
}

/** Open at every minute of every day. */
export function isOpen247(text) {
  const days = parseHours(text);
  if (!days) return false;
  return days.every((spans) => {
    let covered = 0;
    for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
      if (start > covered) return false;
      covered = Math.max(covered, end);
    }
    return covered >= DAY_MINUTES;
  });
}

// --- the search

/** The filter of a /api/nearest query (the server's `Filter`). */
export function filterOf(params) {
  const f = {
    services: list(params.services),
    open_24_7: flag(params.open_24_7),
    languages: list(params.language),
    statuses: list(params.status),
  };
  for (const k of FLAGS) f[k] = flag(params[k]);
  if (!f.statuses.length) f.statuses = ['active'];
  return f;
}

/** Whether a facility's properties pass the filter (the server's `Compiled::accepts`). */
export function accepts(p, f) {
  if (!p || p.confidential) return false;
  if (!f.statuses.includes(p.status || 'active')) return false;
  const services = p.services || [];
  if (!f.services.every((s) => services.includes(s))) return false;
  if (f.languages.length && !(p.languages || []).some((l) => f.languages.includes(l))) return false;
  if (!FLAGS.every((k) => !f[k] || p[k] === true)) return false;
  if (f.open_24_7 && !isOpen247(p.opening_hours)) return false;
  return true;
}

/**
 * The /api/nearest answer for `params` (the same object the page sends: lon, lat, k,
 * sector, services, language, the flags, status, radius_km) over `features` (a
 * FeatureCollection's features). `geod`: GeographicLib's `geodesic` namespace.
 */
export function nearestLocal(features, params, geod) {
  const lon = Number(params.lon);
  const lat = Number(params.lat);
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
    throw new RangeError('lon/lat outside the valid range');
  }
  const sectors = list(params.sector);
  const wanted = sectors.length ? sectors : SECTORS.filter((s) => !ONLY_WHEN_ASKED.includes(s));
  const k = params.k === undefined || params.k === null || params.k === '' ? 1 : Number.parseInt(params.k, 10);
  if (!(k >= 1 && k <= 50)) throw new RangeError('k outside 1..=50');
  const radiusM = params.radius_km ? Number(params.radius_km) * 1000 : null;
  const filter = filterOf(params);
  const wgs84 = geod.Geodesic.WGS84;
  const mask = geod.Geodesic.DISTANCE;
  const distances = new Map();
  const distanceTo = (feature) => {
    if (!distances.has(feature)) {
      const [flon, flat] = feature.geometry.coordinates;
      distances.set(feature, wgs84.Inverse(lat, lon, flat, flon, mask).s12);
    }
    return distances.get(feature);
  };
  const usable = features.filter((f) => f?.geometry?.type === 'Point' && accepts(f.properties, filter));
  const results = [];
  for (const sector of wanted) {
    let hits = usable.filter((f) => (f.properties.sectors || []).includes(sector))
      .map((f) => ({ f, d: distanceTo(f) }));
    if (radiusM !== null) hits = hits.filter((x) => x.d <= radiusM);
    hits.sort((a, b) => a.d - b.d || compareIds(String(a.f.properties.id), String(b.f.properties.id)));
    for (const { f, d } of hits.slice(0, k)) {
      results.push({ sector, distance_m: Math.round(d * 1000) / 1000, facility: f });
    }
  }
  return {
    query: { lon, lat, k, sectors: wanted, radius_km: radiusM === null ? null : radiusM / 1000, ...filter },
    results,
    demo: results.some((r) => r.facility.properties.demo === true),
    distance: 'WGS84 geodesic, metres',
    offline: true,
  };
}
