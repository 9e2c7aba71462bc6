// The five countries side by side on the same indicators, for the donor report and the
// coordination view: people within reach of the minimum package and of each sector
// (GET /api/coverage, level 0), referrals made and accepted, the acceptance rate,
// unmet needs and unmet needs per 100,000 people (GET /api/coordination/figures: the
// public's figures show "< 5" wherever the server hides a count). One column per
// country, one row per indicator, so the table fits an A4 page.

import { h } from './dom.js';
import { t, intlLocale } from './i18n.js';
import { areaName } from './areas.js';
import { formatInt, formatShare } from './format.js';
import { countText } from './referral-log.js';

const fmt1 = (v) => new Intl.NumberFormat(intlLocale().locale, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(v);

/**
 * The table. `coverage`: the /api/coverage answer at level 0 (or null); `figures`: the
 * coordination figures (their `countries`; or null); `names`: area index for names.
 */
export function countryComparison({ coverage, figures, sectors, names, caption }) {
  const byCode = new Map();
  for (const a of coverage?.areas || []) byCode.set(String(a.code), { code: String(a.code), name: a.name, cov: a });
  for (const c of figures?.countries || []) {
    const row = byCode.get(String(c.country)) || { code: String(c.country), name: c.name };
    row.fig = c;
    byCode.set(String(c.country), row);
  }
  const countries = [...byCode.values()].sort((a, b) => a.code.localeCompare(b.code));
  const below = figures?.suppressed_below || 5;
  const cell = (text, data) => h('td', { class: 'num-cell', dataset: data || {}, text });
  const share = (v) => (Number.isFinite(v) ? formatShare(v) : '–');
  const count = (c, key) => cell(c ? countText(c, below, formatInt) : '–', { indicator: key, suppressed: c?.suppressed ? 'true' : 'false' });
  const rows = [
    ['package', t('compare.package'), (r) => cell(share(r.cov?.share_all), { indicator: 'package' })],
    ...sectors.map((s) => [`sector-${s}`, t('compare.sector', { sector: t(`sector.${s}`) }),
      (r) => cell(share(r.cov?.sectors?.[s]?.share), { indicator: `sector-${s}` })]),
    ['made', t('compare.made'), (r) => count(r.fig?.referrals_made, 'made')],
    ['accepted', t('compare.accepted'), (r) => count(r.fig?.referrals_accepted, 'accepted')],
    ['rate', t('compare.rate'), (r) => cell(share(r.fig?.acceptance_rate), { indicator: 'rate' })],
    ['unmet', t('compare.unmet'), (r) => count(r.fig?.unmet_needs, 'unmet')],
    ['per100k', t('compare.per100k'), (r) => cell(Number.isFinite(r.fig?.unmet_needs_per_100k)
      ? fmt1(r.fig.unmet_needs_per_100k) : '–', { indicator: 'per100k' })],
  ];
  return h('table', { class: 'data-table report-table compare-table' },
    h('caption', { text: caption }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('compare.indicator') }),
      countries.map((c) => h('th', { scope: 'col', class: 'num-cell', dataset: { code: c.code }, text: areaName(names, c.code, c.name) })))),
    h('tbody', {}, rows.map(([key, label, value]) => h('tr', { dataset: { row: key } },
      h('th', { scope: 'row', text: label }),
      countries.map((c) => {
        const td = value(c);
        td.dataset.code = c.code;
        return td;
      })))));
}
