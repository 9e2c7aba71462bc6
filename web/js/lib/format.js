// Locale-aware formatting of distances and dates.
import { lang, t } from './i18n.js';

export function formatKm(metres) {
  const km = Number(metres) / 1000;
  const text = new Intl.NumberFormat(lang(), { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(km);
  return t('result.distance', { km: text });
}

/** "YYYY-MM-DD" -> a short local date; other input is returned unchanged. */
export function formatDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ''));
  if (!m) return String(iso || '');
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(lang(), { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date);
}

export function formatDateTime(date) {
  return new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** True when the ISO date is more than `months` calendar months before `now`. */
export function olderThanMonths(iso, months, now = new Date()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || ''));
  if (!m) return true;
  const limit = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1 + months, Number(m[3])));
  return limit.getTime() < now.getTime();
}

export function formatCoord(x) {
  return new Intl.NumberFormat(lang(), { minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(x);
}
