// A small evaluator for the common forms of OpenStreetMap `opening_hours`:
//   "24/7"; rules separated by ";" each with an optional weekday selector
//   ("Mo-Fr", "Sa,Su", "Mo-Fr,Su", wrap-around "Sa-Mo", "PH") and time spans
//   ("09:00-18:00", "09:00-13:00,14:00-18:00", past midnight "20:00-08:00") or "off".
// A later rule replaces earlier ones for the days it names (as in OSM and the Tirek
// server). Public holidays (PH) are ignored. Anything else (months, weeks, sunrise,
// "||" fallbacks, comments, open ends "+") is "unknown": never guessed.
// Pure module (no DOM), also used by the unit tests.

const DAY_CODES = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];
const DAY_MINUTES = 24 * 60;

/** Parses `text`; returns `{ days: [[ [start, end], ... ] x 7], is247 }` (Monday first) or null. */
export function parseOpeningHours(text) {
  if (typeof text !== 'string') return null;
  const trimmed = text.trim();
  if (!trimmed || trimmed.includes('||') || trimmed.includes('"')) return null;
  const days = Array.from({ length: 7 }, () => []);
  if (trimmed === '24/7') {
    days.forEach((d) => d.push([0, DAY_MINUTES]));
    return { days, is247: true };
  }
  for (const rawRule of trimmed.split(';')) {
    const rule = rawRule.trim();
    if (!rule) continue;
    const m = /^((?:[A-Z][a-z](?:-[A-Z][a-z])?|PH)(?:\s*,\s*(?:[A-Z][a-z](?:-[A-Z][a-z])?|PH))*)?\s*(.*)$/.exec(rule);
    if (!m) return null;
    const [, selector, rest] = m;
    let selected = [true, true, true, true, true, true, true];
    let onlyHoliday = false;
    if (selector) {
      selected = parseDays(selector);
      if (!selected) return null;
      onlyHoliday = selected.every((s) => !s);
    }
    const times = rest.trim();
    if (onlyHoliday) continue; // "PH off", "PH 10:00-14:00": holidays are not evaluated
    let spans;
    const spill = [];
    if (times === 'off' || times === 'closed') spans = [];
    else if (times === '24/7' || times === '00:00-24:00') spans = [[0, DAY_MINUTES]];
    else if (!times) return null;
    else {
      spans = [];
      for (const part of times.split(',')) {
        const span = parseSpan(part.trim());
        if (!span) return null;
        const [start, end] = span;
        if (end > start) spans.push([start, end]);
        else {
          spans.push([start, DAY_MINUTES]);
          if (end > 0) selected.forEach((on, day) => on && spill.push([(day + 1) % 7, [0, end]]));
        }
      }
    }
    selected.forEach((on, day) => {
      if (on) days[day] = spans.map((s) => [...s]);
    });
    for (const [day, span] of spill) days[day].push(span);
  }
  return { days, is247: coversAll(days) };
}

function parseDays(selector) {
  const selected = [false, false, false, false, false, false, false];
  for (const token of selector.split(',').map((s) => s.trim())) {
    if (token === 'PH') continue;
    const [from, to] = token.split('-');
    const a = DAY_CODES.indexOf(from);
    const b = to === undefined ? a : DAY_CODES.indexOf(to);
    if (a < 0 || b < 0) return null;
    for (let d = a; ; d = (d + 1) % 7) {
      selected[d] = true;
      if (d === b) break;
    }
  }
  return selected;
}

function parseSpan(text) {
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(text);
  if (!m) return null;
  const [h1, m1, h2, m2] = m.slice(1).map(Number);
  if (h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59) return null;
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  if (start > DAY_MINUTES || end > DAY_MINUTES || start === DAY_MINUTES) return null;
  return [start, end];
}

function coversAll(days) {
  return days.every((spans) => {
    let covered = 0;
    for (const [s, e] of [...spans].sort((x, y) => x[0] - y[0])) {
      if (s > covered) return false;
      covered = Math.max(covered, e);
    }
    return covered >= DAY_MINUTES;
  });
}

/** Weekday (Monday = 0) and minute of the day of `date` in `timeZone` (or the browser's zone). */
export function localParts(date, timeZone) {
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: timeZone || undefined, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(date);
  } catch {
    return localParts(date, undefined);
  }
  const get = (type) => parts.find((p) => p.type === type)?.value;
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday'));
  return { weekday, minute: (Number(get('hour')) % 24) * 60 + Number(get('minute')) };
}

function hhmm(minute) {
  const m = minute % DAY_MINUTES;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/**
 * Evaluates `text` at `date` in `timeZone`.
 * Returns `{ state: 'open' | 'closed' | 'unknown', is247, until }`; `until` is "HH:MM"
 * when the service is open and closes within the next 24 hours.
 */
export function evaluate(text, date = new Date(), timeZone = undefined) {
  const parsed = parseOpeningHours(text);
  if (!parsed) return { state: 'unknown', is247: false, until: null };
  if (parsed.is247) return { state: 'open', is247: true, until: null };
  const { weekday, minute } = localParts(date, timeZone);
  const span = parsed.days[weekday].find(([s, e]) => s <= minute && minute < e);
  if (!span) return { state: 'closed', is247: false, until: null };
  let end = span[1];
  if (end === DAY_MINUTES) {
    const next = parsed.days[(weekday + 1) % 7].find(([s]) => s === 0);
    if (next) end = DAY_MINUTES + next[1];
  }
  return { state: 'open', is247: false, until: end >= 2 * DAY_MINUTES ? null : hhmm(end) };
}

/**
 * When a service that is closed at `date` next opens: `{ inDays, weekday, time }`
 * (`inDays` 0 = later today, 1 = tomorrow…; `weekday` Monday = 0; `time` "HH:MM"), or
 * null when it is open now, never opens within a week, or its hours are not read.
 */
export function nextOpening(text, date = new Date(), timeZone = undefined) {
  const parsed = parseOpeningHours(text);
  if (!parsed || parsed.is247) return null;
  const { weekday, minute } = localParts(date, timeZone);
  if (parsed.days[weekday].some(([s, e]) => s <= minute && minute < e)) return null;
  for (let inDays = 0; inDays <= 7; inDays += 1) {
    const day = (weekday + inDays) % 7;
    const starts = parsed.days[day].map(([s]) => s).filter((s) => inDays > 0 || s > minute);
    if (starts.length) return { inDays, weekday: day, time: hhmm(Math.min(...starts)) };
  }
  return null;
}

/**
 * `text` for reading in the interface language: weekday codes as `locale`'s short
 * names, "off" and "PH" as the words given, ranges with an en dash ("Mo-Sa
 * 08:00-20:00; Su off" in Russian: "пн–сб 08:00–20:00; вс выходной"). Null for what the
 * evaluator does not read (those are shown as written, never guessed at) and for
 * "24/7" (which the caller words itself).
 */
export function describeOpeningHours(text, { locale, off, holidays }) {
  const parsed = parseOpeningHours(text);
  if (!parsed || text.trim() === '24/7') return null;
  const format = new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' });
  // 1 January 2024 was a Monday.
  const names = DAY_CODES.map((_, i) => format.format(new Date(Date.UTC(2024, 0, 1 + i))));
  return text.split(';').map((rule) => rule.trim()).filter(Boolean).map((rule) => rule
    .replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su)\b/g, (code) => names[DAY_CODES.indexOf(code)])
    .replace(/\bPH\b/g, holidays)
    .replace(/\b(off|closed)\b/g, off)
    .replace(/(\S)\s*-\s*(\S)/g, '$1–$2')
    .replace(/\s*,\s*/g, ', ')).join('; ');
}
