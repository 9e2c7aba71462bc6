// Donor view: a report of coverage by country (level 0) and region (level 1): people
// within reach per sector, share, facility counts, SVG bar charts, the coverage map of
// the minimum package, and a print / PDF-ready layout (A4; the print style sheet hides
// the controls). Data is fetched when the view opens. Facility points are never drawn
// here (the coverage answer has counts only).

import { api, isMissing } from '../lib/api.js';
import { h, clear, append, $ } from '../lib/dom.js';
import { t, lang } from '../lib/i18n.js';
import { sectorColor } from '../lib/config.js';
import { areas, areaIndex, areaName } from '../lib/areas.js';
import {
  DEFAULT_PACKAGE, joinAreas, plannerRows, shareColor, shareClasses, NO_DATA_COLOR,
} from '../lib/coverage-model.js';
import {
  formatInt, formatShare, formatKmValue, formatDateTime, formatShareClass, formatMinutes, scenarioLabel, measureChoices,
} from '../lib/format.js';
import { barChart } from '../lib/charts.js';
import { log } from '../lib/referral-log.js';

export function initDonor({ root, map, sectors, demo, scenarios = [], setLegendSubject }) {
  const els = {
    unavailable: $('#dn-unavailable', root),
    meta: $('#dn-meta', root),
    demo: $('#dn-demo', root),
    totals: $('#dn-totals', root),
    countries: $('#dn-countries', root),
    charts: $('#dn-charts', root),
    regions: $('#dn-regions', root),
    mapImg: $('#dn-map-img', root),
    mapLegend: $('#dn-map-legend', root),
    print: $('#dn-print', root),
    measureField: $('#dn-measure-field', root),
    measure: $('#dn-measure', root),
    note: $('#dn-note', root),
    compare: $('#dn-compare', root),
    year: $('#dn-year', root),
  };
  let countries = null; // /api/coverage level 0
  let regions = null; // level 1
  let names = null;
  let collection = null;
  let error = null;
  let loading = null;
  let active = false;
  let generated = null;
  let figures = null; // the public coordination figures by country (or null)
  let countryComparison = null; // lib/country-compare.js, fetched with the figures

  els.print.addEventListener('click', () => window.print());
  // Reach by distance, or by travel time under a scenario the server has (none: absent).
  let by = '';
  function buildMeasure() {
    clear(els.measure);
    els.measure.append(...measureChoices(scenarios).map((c) => h('option', c)));
    els.measure.value = by;
    els.measureField.hidden = !scenarios.length;
  }
  buildMeasure();
  els.measure.addEventListener('change', () => {
    by = els.measure.value;
    load();
  });
  els.year.addEventListener('change', async () => {
    const mine = seq;
    const f = await log.publicFigures({ level: 0, year: els.year.value }).catch(() => null);
    if (mine !== seq) return;
    figures = f;
    renderCompare();
  });
  els.demo.hidden = !demo;

  let seq = 0;
  async function load() {
    const mine = ++seq;
    error = null;
    root.setAttribute('aria-busy', 'true');
    try {
      const params = { sectors, package: DEFAULT_PACKAGE, ...(by ? { by: 'time', scenario: by } : {}) };
      const figuresP = Promise.all([log.publicFigures({ level: 0 }), import('../lib/country-compare.js')])
        .then(([f, m]) => {
          countryComparison = m.countryComparison;
          return f;
        }).catch(() => null);
      const [c, r] = await Promise.all([api.coverage({ ...params, level: 0 }), api.coverage({ ...params, level: 1 })]);
      const [outlines, index] = await Promise.all([areas(1), areaIndex([0, 1])]);
      if (mine !== seq) return;
      countries = c;
      regions = r;
      figures = await figuresP;
      if (mine !== seq) return;
      names = index;
      collection = joinAreas(plannerRows(r, 'package'), outlines);
      generated = new Date();
    } catch (err) {
      if (mine !== seq) return;
      error = err;
    } finally {
      if (mine === seq) root.removeAttribute('aria-busy');
    }
    render();
    if (active) showOnMap();
    root.dataset.loaded = 'true';
    performance.mark('tirek:donor');
  }

  function sectorCell(s, a) {
    const x = a.sectors?.[s];
    if (!x) return h('td', { class: 'num-cell', text: '–' });
    return h('td', {
      class: 'num-cell sector-cell',
      dataset: { sector: s, covered: String(x.pop_covered), share: String(x.share), facilities: x.facilities_suppressed ? 'suppressed' : String(x.facilities) },
    },
    h('span', { class: 'covered', text: formatInt(x.pop_covered) }),
    h('span', { class: 'share', text: formatShare(x.share) }),
    // 1–2 confidential services in an area are not counted for the public (server-side).
    h('span', { class: 'fac', text: x.facilities_suppressed ? t('donor.facilitiesSuppressed') : t('donor.facilitiesN', { count: x.facilities, n: formatInt(x.facilities) }) }));
  }

  function headRow(first) {
    return h('tr', {},
      h('th', { scope: 'col', text: first }),
      h('th', { scope: 'col', class: 'num-cell', text: t('donor.population') }),
      h('th', { scope: 'col', class: 'num-cell', text: t('donor.packageCovered') }),
      sectors.map((s) => h('th', { scope: 'col', class: 'num-cell', dataset: { sector: s } },
        h('span', { class: 'swatch', 'aria-hidden': 'true', style: `--sector-color:${sectorColor(s)}` }), ' ', t(`sector.${s}`))));
  }

  function packageCell(a) {
    return h('td', { class: 'num-cell', dataset: { covered: String(a.pop_all), share: String(a.share_all) } },
      h('span', { class: 'covered', text: formatInt(a.pop_all) }),
      h('span', { class: 'share' }, h('span', { class: 'share-dot', 'aria-hidden': 'true', style: `--c:${shareColor(a.share_all)}` }), formatShare(a.share_all)));
  }

  function render() {
    els.unavailable.hidden = !error;
    for (const el of [els.totals, els.countries, els.charts, els.regions, els.mapLegend, els.compare]) clear(el);
    if (error) {
      els.unavailable.textContent = isMissing(error) ? t('planner.notAvailable', { endpoint: '/api/coverage' })
        : error.code === 'network' ? t('error.network') : t('error.api', { message: error.message });
      els.meta.textContent = '';
      return;
    }
    if (!countries) return;
    const cov = countries.coverage;
    const th = cov.thresholds_min
      ? `${sectors.map((s) => `${t(`sector.${s}`)} ${formatMinutes(cov.thresholds_min[s])}`).join(', ')} (${t('planner.byTime', { scenario: scenarioLabel(cov.scenario) })})`
      : sectors.map((s) => `${t(`sector.${s}`)} ${formatKmValue(cov.thresholds_m?.[s])} ${t('map.km')}`).join(', ');
    els.meta.textContent = t('donor.meta', { date: formatDateTime(generated), version: cov.data_version, thresholds: th });
    els.note.textContent = t('donor.note');

    // Totals over all countries.
    const rowsC = countries.areas || [];
    const sum = (f) => rowsC.reduce((n, a) => n + (Number(f(a)) || 0), 0);
    const pop = sum((a) => a.pop_total);
    const packagePeople = sum((a) => a.pop_all);
    els.totals.append(
      h('div', { class: 'kpi' }, h('span', { class: 'kpi-value', text: formatInt(pop) }), h('span', { class: 'kpi-label', text: t('donor.kpiPopulation') })),
      h('div', { class: 'kpi' }, h('span', { class: 'kpi-value', text: formatShare(pop ? packagePeople / pop : null) }), h('span', { class: 'kpi-label', text: t('donor.kpiPackage') })),
      h('div', { class: 'kpi' }, h('span', { class: 'kpi-value', text: formatInt(sum((a) => a.uncovered)) }), h('span', { class: 'kpi-label', text: t('donor.kpiUncovered') })),
      h('div', { class: 'kpi' }, h('span', { class: 'kpi-value', text: formatInt(sum((a) => Object.values(a.sectors || {}).reduce((n, x) => n + (x.facilities || 0), 0))) }), h('span', { class: 'kpi-label', text: t('donor.kpiFacilities') })),
    );

    // Countries table.
    els.countries.append(
      h('caption', { text: t('donor.countriesCaption') }),
      h('thead', {}, headRow(t('donor.country'))),
      h('tbody', {}, rowsC.map((a) => h('tr', { dataset: { code: String(a.code), pop: String(a.pop_total) } },
        h('th', { scope: 'row', text: areaName(names, a.code, a.name) }),
        h('td', { class: 'num-cell', text: formatInt(a.pop_total) }),
        packageCell(a),
        sectors.map((s) => sectorCell(s, a))))));

    renderCompare();

    // Charts: share within reach per country, one small chart per sector and the package.
    const chart = (title, value, color, key) => h('figure', { class: 'chart-box', dataset: { chart: key } },
      h('figcaption', { text: title }),
      barChart(rowsC.map((a) => {
        const v = value(a);
        return { label: areaName(names, a.code, a.name), value: v, text: formatShare(v), color };
      }), { title, max: 1, width: 330, labelWidth: 110 }));
    els.charts.append(chart(t('donor.chartPackage'), (a) => a.share_all, '#414487', 'package'));
    for (const s of sectors) {
      els.charts.append(chart(t('donor.chartSector', { sector: t(`sector.${s}`) }), (a) => a.sectors?.[s]?.share ?? null, sectorColor(s), s));
    }

    // The printed map's legend: the same classes as the map's own.
    const classes = shareClasses();
    const box = (color) => h('span', { class: 'sym sym-box', 'aria-hidden': 'true', style: `--sym-color:${color}` });
    append(els.mapLegend, [
      classes.map((c, i) => h('li', {}, box(c.color), h('span', { text: formatShareClass(classes, i) }))),
      h('li', {}, box(NO_DATA_COLOR), h('span', { text: t('legend.noData') })),
    ]);

    // Regions table, grouped by country (in the countries' order), lowest package share first.
    const rowsR = [...(regions?.areas || [])];
    const parent = (a) => names.get(String(a.code))?.parent ?? String(a.code).split('-')[0];
    const order = new Map(rowsC.map((a, i) => [String(a.code), i]));
    rowsR.sort((x, y) => (order.get(parent(x)) ?? 99) - (order.get(parent(y)) ?? 99) || x.rank_share - y.rank_share);
    els.regions.append(
      h('caption', { text: t('donor.regionsCaption') }),
      h('thead', {}, headRow(t('donor.region'))),
      h('tbody', {}, rowsR.map((a) => h('tr', { dataset: { code: String(a.code) } },
        h('th', { scope: 'row' }, areaName(names, a.code, a.name), h('span', { class: 'parent', text: ` · ${areaName(names, parent(a), parent(a))}` })),
        h('td', { class: 'num-cell', text: formatInt(a.pop_total) }),
        packageCell(a),
        sectors.map((s) => sectorCell(s, a))))));
  }

  /** The countries side by side: coverage, referrals accepted, unmet needs per 100k. */
  function renderCompare() {
    clear(els.compare);
    clear(els.year);
    els.year.disabled = !figures;
    if (!figures) {
      els.compare.append(h('p', { class: 'hint', text: t('donor.compareUnavailable') }));
      return;
    }
    const years = figures.years?.length ? figures.years : [figures.year];
    append(els.year, [...years].reverse().map((y) => h('option', { value: String(y), text: String(y) })));
    els.year.value = String(figures.year);
    els.compare.append(countryComparison({
      coverage: countries, figures, sectors, names, caption: t('donor.compareCaption', { year: figures.year }),
    }));
  }

  async function showOnMap() {
    map.setCoverage(collection);
    map.selectArea(null);
    map.setGaps(null);
    map.setSites([]);
    map.areaLabel = (code) => {
      const r = (regions?.areas || []).find((x) => String(x.code) === String(code));
      return r ? `${areaName(names, r.code, r.name)}: ${formatShare(r.share_all)}` : null;
    };
    setLegendSubject(t('planner.legendTitle', { subject: t('planner.package') }));
    if (collection) {
      map.map.fitBounds([[46.4, 35.1], [87.4, 55.5]], { padding: 10, duration: 0 });
      await new Promise((resolve) => map.map.once('idle', resolve));
      if (!active) return;
      const url = await map.snapshot();
      if (url) {
        els.mapImg.src = url;
        els.mapImg.hidden = false;
      }
    }
  }

  return {
    activate() {
      active = true;
      if (!countries && !error && !loading) loading = load().finally(() => { loading = null; });
      else showOnMap();
      return loading || Promise.resolve();
    },
    deactivate() {
      active = false;
    },
    /** After a sign-in or sign-out: the report is fetched again if it was loaded. */
    refresh() {
      if (!countries && !error && !loading) return Promise.resolve();
      return load();
    },
    rerender() {
      buildMeasure();
      if (countries || error) render();
      if (active) setLegendSubject(t('planner.legendTitle', { subject: t('planner.package') }));
    },
    lang,
  };
}
