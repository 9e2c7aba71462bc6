// Locale-aware formatting for every view, with Intl in the interface language (read at
// each call, so a language switch applies at once): counts, shares and percentages,
// distances, coordinates, and dates. Where the browser has no Intl data for the
// language, its fallback locale formats numbers and dates are numeric (see
// i18n.intlLocale). Number helpers that take API values show a missing or non-numeric
// value as "–".
import { intlLocale, t, has } from './i18n.js';
import { describeOpeningHours } from './opening-hours.js';

const MISSING = '–';

/** True for a finite number (or text that reads as one); null and undefined are not. */
function isNumber(value) {
  return value !== null && value !== undefined && Number.isFinite(Number(value));
}

/** `value` formatted by Intl.NumberFormat in the interface language. */
function number(value, options) {
  return new Intl.NumberFormat(intlLocale().locale, options).format(value);
}

/** The year, month (1-12) and day at the start of "YYYY-MM-DD…", or null. */
function isoDay(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ''));
  return m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
}

// --- numbers

/** A whole number ("12,345" / "12 345"). */
export function formatInt(n) {
  if (!isNumber(n)) return MISSING;
  return number(Math.round(Number(n)), { maximumFractionDigits: 0 });
}

/** A share in [0, 1] as a percentage with one decimal ("91.5 %" / "91,5 %"). */
export function formatShare(share) {
  if (!isNumber(share)) return MISSING;
  return number(Number(share), { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
}

/** Whole percent for legend classes ("50 %"). */
export function formatPercent(share) {
  return number(share, { style: 'percent', maximumFractionDigits: 0 });
}

/** The legend's words for class `i` of `classes` (coverage-model.js shareClasses()). */
export function formatShareClass(classes, i) {
  const c = classes[i];
  if (i === 0) return t('legend.below', { v: formatPercent(c.to) });
  if (i === classes.length - 1) return t('legend.atLeast', { v: formatPercent(c.from) });
  return t('legend.range', { from: formatPercent(c.from), to: formatPercent(c.to) });
}

/** A longitude or latitude with three decimals. */
export function formatCoord(x) {
  return number(x, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
}

// --- distances

/** Metres as the "result.distance" string, km with one decimal ("12.3 km"). */
export function formatKm(metres) {
  const km = number(Number(metres) / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return t('result.distance', { km });
}

/**
 * A travel time in minutes, in the interface language: "45 min", "1 hr 20 min"
 * (Intl.DurationFormat where the browser has it, else Intl's units).
 */
export function formatMinutes(minutes) {
  const total = Math.max(0, Math.round(Number(minutes)));
  const hours = Math.floor(total / 60);
  const mins = total % 60;
  if (typeof Intl.DurationFormat === 'function') {
    try {
      return new Intl.DurationFormat(intlLocale().locale, { style: 'short', minutesDisplay: hours ? 'auto' : 'always' })
        .format(hours ? { hours, minutes: mins } : { minutes: mins });
    } catch { /* an unknown locale: the units below */ }
  }
  const unit = (value, name) => number(value, { style: 'unit', unit: name, unitDisplay: 'short' });
  if (!hours) return unit(mins, 'minute');
  return mins ? `${unit(hours, 'hour')} ${unit(mins, 'minute')}` : unit(hours, 'hour');
}

/** A travel scenario's words ("on foot"); a scenario Tirek has no words for, by its name. */
export function scenarioLabel(name) {
  const key = `travel.scenario.${name}`;
  return has(key) ? t(key) : `(${name})`;
}

/**
 * The choices of "Measure reach by": distance, then travel time under each scenario the
 * server has (`/api/meta` travel_scenarios; a demo surface is marked): [{ value, text }].
 */
export function measureChoices(scenarios) {
  return [{ value: '', text: t('planner.byDistance') }, ...scenarios.map((s) => {
    const label = t('planner.byTime', { scenario: scenarioLabel(s.name) });
    return { value: s.name, text: s.demo ? `${label} — ${t('planner.demoSurface')}` : label };
  })];
}

/**
 * The band of a masked (confidential) service, in the interface language: "about
 * 10–25 km", or "more than 250 km" past the last band. Split around the band's own
 * words (`parts`) so a view can keep them on one line. Older answers without
 * `distance_band_km` show the server's English band.
 */
export function formatBandParts(item) {
  const band = item.distance_band_km;
  if (!band || !isNumber(band.from_km)) {
    const [before, after = ''] = t('result.distanceBand', { band: '\u0001' }).split('\u0001');
    return { before, band: item.distance_band || '', after };
  }
  const n = (km) => number(Number(km), { maximumFractionDigits: 0 });
  if (!isNumber(band.to_km)) {
    return { before: '', band: t('result.beyond', { km: n(band.from_km) }), after: '' };
  }
  const [before, after = ''] = t('result.distanceBand', { band: '\u0001' }).split('\u0001');
  return { before, band: t('result.distance', { km: `${n(band.from_km)}–${n(band.to_km)}` }), after };
}

/** The band of a masked service as one string (see formatBandParts). */
export function formatBand(item) {
  const { before, band, after } = formatBandParts(item);
  return `${before}${band}${after}`;
}

/** OSM `opening_hours` in the interface language, or as written when not understood. */
export function formatHours(text) {
  return describeOpeningHours(text, {
    locale: intlLocale().locale, off: t('hours.dayOff'), holidays: t('hours.holidays'),
  }) ?? text;
}

/** Metres as a bare number of km (at most one decimal), for text with its own "km". */
export function formatKmValue(metres) {
  if (!isNumber(metres)) return MISSING;
  return number(Number(metres) / 1000, { maximumFractionDigits: 1 });
}

// --- dates

/** "YYYY-MM-DD" -> a short local date; other input is returned unchanged. */
export function formatDate(iso) {
  const d = isoDay(iso);
  if (!d) return String(iso || '');
  const date = new Date(Date.UTC(d.year, d.month - 1, d.day));
  const { locale, fallback } = intlLocale();
  const month = fallback ? '2-digit' : 'short';
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month, day: fallback ? '2-digit' : 'numeric', timeZone: 'UTC' }).format(date);
}

/** A Date as a local date and time ("medium" date, "short" time). */
export function formatDateTime(date) {
  const { locale, fallback } = intlLocale();
  return new Intl.DateTimeFormat(locale, { dateStyle: fallback ? 'short' : 'medium', timeStyle: 'short' }).format(date);
}

/** True when the ISO date is more than `months` calendar months before `now`. */
export function olderThanMonths(iso, months, now = new Date()) {
  const d = isoDay(iso);
  if (!d) return true;
  const limit = new Date(Date.UTC(d.year, d.month - 1 + months, d.day));
  return limit.getTime() < now.getTime();
}
