// Locale-aware numbers for the planner and donor views.
import { lang } from './i18n.js';

export function formatInt(n) {
  if (n === null || n === undefined || !Number.isFinite(Number(n))) return '–';
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: 0 }).format(Math.round(Number(n)));
}

/** A share in [0, 1] as a percentage with one decimal ("91.5 %" / "91,5 %"). */
export function formatShare(share) {
  if (share === null || share === undefined || !Number.isFinite(Number(share))) return '–';
  return new Intl.NumberFormat(lang(), { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(share));
}

/** Whole percent for legend classes ("50 %"). */
export function formatPercent(share) {
  return new Intl.NumberFormat(lang(), { style: 'percent', maximumFractionDigits: 0 }).format(share);
}

export function formatKmValue(metres) {
  if (metres === null || metres === undefined || !Number.isFinite(Number(metres))) return '–';
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: 1 }).format(Number(metres) / 1000);
}
