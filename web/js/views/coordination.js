// Coordination view (signed-in staff): how referrals and unmet needs went in a year, from
// GET /api/coordination/figures. Per area (districts for coordinators, regions for the
// others) and per month: referrals made, accepted, the acceptance rate, the median days
// to acceptance, declines by reason, referrals per pathway (sector × the referring
// organisation's type → the receiving organisation) and unmet needs per sector; the
// unmet needs per area on the map beside the coverage gap grid; the five countries side
// by side; the organisation's own referrals to follow up; CSV (the server's, with its
// suppression) and a printable A4 page. Everything is as the server counts it for the
// role: below a coordinator it is region level and above, with "< 5" wherever a count
// is hidden. Nothing here computes a figure the server did not give.

import { api } from '../lib/api.js';
import { h, clear, append, $ } from '../lib/dom.js';
import { t, has, localName, intlLocale } from '../lib/i18n.js';
import { areas, areaIndex, areaName } from '../lib/areas.js';
import { formatInt, formatShare, formatDate, formatDateTime } from '../lib/format.js';
import { DEFAULT_PACKAGE, GAP_COLOR } from '../lib/coverage-model.js';
import {
  log, countText, unmetFeatures, unmetClasses, UNMET_HIDDEN_COLOR, COORDINATOR_ROLES, DECLINE_REASONS, statusText,
} from '../lib/referral-log.js';
import { countryComparison } from '../lib/country-compare.js';

const GAP_RES = 5;

export function initCoordination({ root, map, account, sectors }) {
  const els = {
    meta: $('#co-meta', root),
    demo: $('#co-demo', root),
    year: $('#co-year', root),
    level: $('#co-level', root),
    sector: $('#co-sector', root),
    gaps: $('#co-gaps', root),
    csv: $('#co-csv', root),
    print: $('#co-print', root),
    status: $('#co-status', root),
    notes: $('#co-notes', root),
    kpis: $('#co-kpis', root),
    countries: $('#co-countries', root),
    areas: $('#co-areas', root),
    detail: $('#co-detail', root),
    mapImg: $('#co-map-img', root),
    mapLegend: $('#co-map-legend', root),
    mine: $('#co-mine', root),
    legend: document.getElementById('legend-unmet'),
  };
  let active = false;
  let seq = 0;
  let figures = null;
  let coverage = null; // /api/coverage level 0 (people within reach, per country)
  let names = new Map();
  let outlines = [];
  let orgs = new Map();
  let mine = null; // { referrals, facilities: Map } or { error }
  let error = null;
  let selected = null;
  let gapGrid = null;
  let loadedFor = null; // the role and organisation the figures were asked for

  const coordinator = () => COORDINATOR_ROLES.includes(account.role());
  const below = () => figures?.suppressed_below || 5;
  const count = (c) => countText(c, below(), formatInt);

  // --- controls
  const opt = (value, text) => h('option', { value, text });
  let levelsShown = '';
  function fillControls() {
    const keepSector = els.sector.value;
    clear(els.sector);
    append(els.sector, [opt('', t('coord.allSectors')), sectors.map((s) => opt(s, t(`sector.${s}`)))]);
    els.sector.value = keepSector;
    const keepLevel = els.level.value;
    clear(els.level);
    const levels = coordinator() ? [2, 1, 0] : [1, 0];
    append(els.level, levels.map((l) => opt(String(l), t(`coord.level.${l}`))));
    // The finest level the role may have, unless the same choice was offered before.
    const same = levelsShown === levels.join();
    levelsShown = levels.join();
    els.level.value = same && levels.map(String).includes(keepLevel) ? keepLevel : String(levels[0]);
  }
  fillControls();
  els.year.addEventListener('change', () => load());
  els.level.addEventListener('change', () => {
    selected = null;
    load();
  });
  els.sector.addEventListener('change', () => {
    showOnMap();
    if (els.gaps.checked) loadGaps();
  });
  els.gaps.addEventListener('change', () => loadGaps());
  els.print.addEventListener('click', async () => {
    await snapshot();
    window.print();
  });

  function params() {
    const p = { level: els.level.value };
    if (els.year.value) p.year = els.year.value;
    return p;
  }

  function csvHref() {
    const url = new URL('/api/coordination/figures', window.location.origin);
    for (const [k, v] of Object.entries({ ...params(), format: 'csv' })) url.searchParams.set(k, v);
    return `${url.pathname}${url.search}`;
  }

  async function load() {
    const mineSeq = ++seq;
    error = null;
    root.setAttribute('aria-busy', 'true');
    els.status.textContent = t('coord.loading');
    const level = Number(els.level.value);
    const org = account.me?.organisation || null;
    try {
      const [f, cov, index, orgList] = await Promise.all([
        log.figures(params()),
        coverage ? Promise.resolve(coverage) : api.coverage({ sectors, package: DEFAULT_PACKAGE, level: 0 }).catch(() => null),
        areaIndex(level === 2 ? [0, 1, 2] : [0, 1]),
        orgs.size ? Promise.resolve(null) : log.organisations().catch(() => null),
      ]);
      const shapes = await Promise.all((level === 2 ? [2, 1] : [level]).map((l) => areas(l).catch(() => null)));
      if (mineSeq !== seq) return;
      figures = f;
      coverage = cov;
      names = index;
      outlines = shapes;
      if (orgList) orgs = new Map((orgList.organisations || []).map((o) => [o.id, o]));
      if (selected && !f.areas.some((a) => a.code === selected)) selected = null;
      loadedFor = `${account.role()}|${org}`;
    } catch (err) {
      if (mineSeq !== seq) return;
      error = err;
    }
    await loadMine(org, mineSeq);
    if (mineSeq !== seq) return;
    root.removeAttribute('aria-busy');
    render();
    if (active) showOnMap();
    root.dataset.loaded = 'true';
  }

  /** The organisation's own referrals, with the facilities' names. */
  async function loadMine(org, mineSeq) {
    if (!org) {
      mine = null;
      return;
    }
    try {
      const [list, fc] = await Promise.all([log.referrals('mine'), api.facilities({})]);
      if (mineSeq !== seq) return;
      mine = {
        referrals: list.referrals || [],
        facilities: new Map((fc.features || []).map((f) => [f.properties?.id, f.properties])),
      };
    } catch (err) {
      mine = { error: err };
    }
  }

  const errorText = (err) => (err?.code === 'network' ? t('error.network') : t('error.api', { message: err?.message || String(err) }));

  function orgName(id) {
    const o = orgs.get(id);
    return (o && (localName(o) || o.names?.en)) || id;
  }

  function render() {
    for (const el of [els.notes, els.kpis, els.countries, els.areas, els.detail, els.mapLegend, els.mine]) clear(el);
    renderMine();
    if (error) {
      els.status.textContent = errorText(error);
      els.meta.textContent = '';
      return;
    }
    if (!figures) return;
    els.status.textContent = '';
    els.demo.hidden = !figures.demo;
    // Year picker: every year with a record (the answer's year first when none).
    const years = figures.years?.length ? figures.years : [figures.year];
    clear(els.year);
    append(els.year, [...years].reverse().map((y) => opt(String(y), String(y))));
    els.year.value = String(figures.year);
    els.csv.href = csvHref();
    els.csv.setAttribute('download', `tirek-coordination-${figures.year}.csv`);
    els.meta.textContent = t('coord.meta', {
      year: figures.year,
      level: t(`coord.level.${figures.level}`),
      date: formatDateTime(new Date()),
    });
    append(els.notes, (figures.notes || []).map((n) => h('p', {
      class: `hint co-note${n.code === 'small_counts_suppressed' ? ' co-suppressed' : ''}`,
      dataset: { note: n.code || '' },
      text: noteText(n),
    })));

    // Totals: the countries' (each as the server gives it; no sum of hidden counts).
    const cs = figures.countries || [];
    const sum = (key) => (cs.some((c) => c[key]?.suppressed) ? null : cs.reduce((n, c) => n + (c[key]?.count || 0), 0));
    const kpi = (value, key) => h('div', { class: 'kpi', dataset: { kpi: key } },
      h('span', { class: 'kpi-value', text: value }), h('span', { class: 'kpi-label', text: t(`coord.kpi.${key}`) }));
    const made = sum('referrals_made');
    const accepted = sum('referrals_accepted');
    const unmet = sum('unmet_needs');
    append(els.kpis, [
      kpi(made === null ? t('coord.hidden') : formatInt(made), 'made'),
      kpi(accepted === null ? t('coord.hidden') : formatInt(accepted), 'accepted'),
      kpi(made && accepted !== null ? formatShare(accepted / made) : '–', 'rate'),
      kpi(unmet === null ? t('coord.hidden') : formatInt(unmet), 'unmet'),
    ]);

    els.countries.replaceWith(els.countries = countryComparison({
      coverage, figures, sectors, names, caption: t('coord.countriesCaption', { year: figures.year }),
    }));
    els.countries.id = 'co-countries';

    renderAreas();
    renderDetail();
    renderLegend();
  }

  /** A note on the figures in the reader's language, by its code (else the server's English). */
  function noteText(n) {
    const key = `coord.note.${n.code}`;
    return n.code && has(key) ? t(key, { n: below(), max: below() - 1 }) : n.text || '';
  }

  function rateCell(p) {
    return h('td', { class: 'num-cell', text: Number.isFinite(p.acceptance_rate) ? formatShare(p.acceptance_rate) : '–' });
  }
  const days = (v) => (Number.isFinite(v) ? new Intl.NumberFormat(intlLocale().locale, { maximumFractionDigits: 1 }).format(v) : '–');
  const num = (c, key) => h('td', { class: 'num-cell', dataset: { col: key, suppressed: c?.suppressed ? 'true' : 'false' }, text: count(c) });
  const periodCells = (p) => [
    num(p.referrals_made, 'made'), num(p.referrals_accepted, 'accepted'), rateCell(p),
    h('td', { class: 'num-cell', text: days(p.median_days_to_acceptance) }),
    num(p.declined, 'declined'), num(p.unmet_needs, 'unmet'),
  ];
  const periodHead = (first) => h('tr', {},
    h('th', { scope: 'col', text: first }),
    ['made', 'accepted', 'rate', 'median', 'declined', 'unmet'].map((k) => h('th', { scope: 'col', class: 'num-cell', text: t(`coord.col.${k}`) })));

  function renderAreas() {
    const level = figures.level;
    const rows = [...(figures.areas || [])].sort((a, b) => String(a.country).localeCompare(String(b.country))
      || String(a.region || '').localeCompare(String(b.region || '')) || areaName(names, a.code, a.name).localeCompare(areaName(names, b.code, b.name)));
    els.areas.append(
      h('caption', { text: t('coord.areasCaption', { level: t(`coord.level.${level}`), year: figures.year }) }),
      h('thead', {}, periodHead(t(`coord.level.${level}`))),
      h('tbody', {}, rows.map((a) => h('tr', { dataset: { code: a.code }, class: a.code === selected ? 'selected' : null },
        h('th', { scope: 'row' },
          h('button', {
            type: 'button', class: 'link-button co-area', 'aria-pressed': String(a.code === selected),
            text: areaName(names, a.code, a.name), onclick: () => select(a.code),
          }),
          a.region && level === 2 ? h('span', { class: 'parent', text: ` · ${areaName(names, a.region, a.region)}` }) : null),
        periodCells(a.total)))));
  }

  function select(code) {
    selected = selected === code ? null : code;
    for (const tr of els.areas.querySelectorAll('tbody tr')) {
      const on = tr.dataset.code === selected;
      tr.classList.toggle('selected', on);
      tr.querySelector('button.co-area')?.setAttribute('aria-pressed', String(on));
    }
    map.selectUnmetArea(selected);
    renderDetail();
    if (selected) els.detail.scrollIntoView({ block: 'nearest' });
  }

  /** The selected area's months, pathways, declines and unmet needs per sector. */
  function renderDetail() {
    clear(els.detail);
    const a = (figures?.areas || []).find((x) => x.code === selected);
    if (!a) {
      els.detail.append(h('p', { class: 'hint', text: t('coord.pickArea') }));
      return;
    }
    const name = areaName(names, a.code, a.name);
    const table = (key, caption, head, body) => h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': caption },
      h('table', { class: 'data-table report-table', dataset: { table: key } },
        h('caption', { text: caption }), h('thead', {}, head), h('tbody', {}, body)));
    const th = (key) => h('th', { scope: 'col', class: 'num-cell', text: t(`coord.col.${key}`) });
    const total = a.total;
    els.detail.append(
      h('h3', { id: 'co-detail-heading', text: t('coord.detailHeading', { area: name, year: figures.year }) }),
      table('months', t('coord.monthsCaption', { area: name }), periodHead(t('coord.col.month')),
        [...a.months.map((m) => h('tr', { dataset: { month: m.month } },
          h('th', { scope: 'row', text: monthName(m.month) }), periodCells(m))),
        h('tr', { class: 'total', dataset: { month: 'year' } }, h('th', { scope: 'row', text: t('coord.wholeYear') }), periodCells(total))]),
      table('pathways', t('coord.pathwaysCaption', { area: name }),
        h('tr', {},
          h('th', { scope: 'col', text: t('coord.col.sector') }),
          h('th', { scope: 'col', text: t('coord.col.from') }),
          h('th', { scope: 'col', text: t('coord.col.to') }),
          th('made'), th('accepted')),
        total.pathways.length ? total.pathways.map((p) => h('tr', { dataset: { sector: p.sector, to: p.to_organisation } },
          h('td', { text: t(`sector.${p.sector}`) }),
          h('td', { text: p.from_type ? t(`sector.${p.from_type}`) : t('coord.unknownType') }),
          h('td', { text: orgName(p.to_organisation) }),
          num(p.made, 'made'), num(p.accepted, 'accepted')))
          : h('tr', {}, h('td', { colspan: '5', class: 'hint', text: t('coord.none') }))),
      h('div', { class: 'co-pair' },
        table('declines', t('coord.declinesCaption', { area: name }),
          h('tr', {}, h('th', { scope: 'col', text: t('coord.col.reason') }), th('count')),
          DECLINE_REASONS.map((r) => {
            const d = total.declines.find((x) => x.reason === r);
            return h('tr', { dataset: { reason: r } }, h('td', { text: t(`coord.reason.${r}`) }), num(d?.count, 'count'));
          })),
        table('unmet', t('coord.unmetCaption', { area: name }),
          h('tr', {}, h('th', { scope: 'col', text: t('coord.col.sector') }), th('count')),
          total.unmet_by_sector.map((u) => h('tr', { dataset: { sector: u.sector } },
            h('td', { text: t(`sector.${u.sector}`) }), num(u.count, 'count'))))));
  }

  function monthName(month) {
    if (!month) return t('coord.wholeYear');
    const [y, m] = month.split('-').map(Number);
    return new Intl.DateTimeFormat(intlLocale().locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(Date.UTC(y, m - 1, 1)));
  }

  // --- my organisation's referrals, to follow up
  function renderMine() {
    clear(els.mine);
    if (!mine) return;
    els.mine.append(h('h3', { text: t('coord.mineHeading') }));
    if (mine.error) {
      els.mine.append(h('p', { class: 'error', text: errorText(mine.error) }));
      return;
    }
    if (!mine.referrals.length) {
      els.mine.append(h('p', { class: 'hint mg-none', text: t('coord.mineNone') }));
      return;
    }
    const facility = (id) => {
      const p = mine.facilities.get(id);
      return (p && (localName(p) || p.name)) || id;
    };
    const col = (key) => h('th', { scope: 'col', text: t(`coord.mine.${key}`) });
    els.mine.append(h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': t('coord.mineHeading') },
      h('table', { class: 'data-table', id: 'co-mine-table' },
        h('caption', { class: 'visually-hidden', text: t('coord.mineHeading') }),
        h('thead', {}, h('tr', {}, ['id', 'made', 'to', 'sector', 'consent', 'status'].map(col))),
        h('tbody', {}, mine.referrals.slice(0, 200).map((r) => h('tr', { dataset: { referral: String(r.id), status: r.status } },
          h('td', { text: `#${r.id}` }),
          h('td', { text: formatDate(r.made_on) }),
          h('td', {}, facility(r.to_facility), h('span', { class: 'parent', text: ` · ${orgName(r.to_organisation)}` })),
          h('td', { text: t(`sector.${r.sector}`) }),
          h('td', { text: r.consent_to_share ? t('manage.yes') : t('manage.no') }),
          h('td', { text: statusText(r) })))))));
  }

  // --- map: unmet needs per area, the gap grid beside them
  function showOnMap() {
    if (!active) return;
    map.setCoverage(null);
    map.setSites([]);
    map.setUnmet(figures ? unmetFeatures(figures, outlines, els.sector.value || null) : null);
    map.selectUnmetArea(selected);
    map.setGaps(els.gaps.checked ? gapGrid : null);
    map.areaLabel = (code) => {
      const a = (figures?.areas || []).find((x) => x.code === String(code));
      if (!a) return null;
      const sector = els.sector.value;
      const c = sector ? a.total.unmet_by_sector.find((u) => u.sector === sector)?.count : a.total.unmet_needs;
      return `${areaName(names, a.code, a.name)}: ${t('coord.unmetN', { n: count(c) })}`;
    };
    renderLegend();
    // The printed page carries the map as drawn (also when printed without the button).
    map.map.once('idle', () => snapshot());
  }

  async function loadGaps() {
    if (!els.gaps.checked) {
      gapGrid = null;
      if (active) map.setGaps(null);
      return;
    }
    const mineSeq = seq;
    const sector = els.sector.value;
    els.status.textContent = t('coord.loading');
    try {
      const fc = await api.gapsGrid({ res: GAP_RES, sector: sector ? [sector] : DEFAULT_PACKAGE });
      if (mineSeq !== seq) return;
      gapGrid = {
        ...fc,
        features: (fc.features || []).map((f) => {
          const p = f.properties || {};
          const out = p.people_out_of_reach != null ? Number(p.people_out_of_reach) || 0 : p.covered_all === false ? 1 : 0;
          return { ...f, properties: { ...p, covered: !(out > 0) } };
        }),
      };
      els.status.textContent = '';
    } catch (err) {
      gapGrid = null;
      els.status.textContent = errorText(err);
    }
    if (active) map.setGaps(gapGrid);
  }

  function renderLegend() {
    const body = els.legend;
    if (!body) return;
    clear(body);
    const box = (color, extra) => h('span', { class: `sym sym-box${extra ? ` ${extra}` : ''}`, 'aria-hidden': 'true', style: `--sym-color:${color}` });
    const sector = els.sector.value;
    const items = unmetClasses().map((c, i) => h('li', {}, box(c.color), h('span', {
      text: i === 0 ? '0' : c.to === null ? t('coord.legendAtLeast', { n: c.from }) : c.to - 1 === c.from ? String(c.from) : `${c.from}–${c.to - 1}`,
    })));
    const list = [...items,
      figures?.audience === 'public' ? h('li', {}, box(UNMET_HIDDEN_COLOR), h('span', { text: t('coord.legendHidden', { n: below() }) })) : null,
      h('li', {}, box(GAP_COLOR, 'sym-gap'), h('span', { text: t('legend.gapCell') }))];
    body.append(
      h('p', { class: 'legend-sub', text: sector ? t('coord.legendTitleSector', { sector: t(`sector.${sector}`) }) : t('coord.legendTitle') }),
      h('ul', { class: 'legend-classes' }, list));
    clear(els.mapLegend);
    append(els.mapLegend, list.map((li) => li && li.cloneNode(true)));
  }

  /** The map as drawn now, for the printed page. */
  async function snapshot() {
    if (!active || !figures) return;
    const url = await map.snapshot();
    if (url) {
      els.mapImg.src = url;
      els.mapImg.hidden = false;
    }
  }

  return {
    activate() {
      active = true;
      fillControls();
      const org = account.me?.organisation || null;
      if (!figures || loadedFor !== `${account.role()}|${org}`) return load();
      showOnMap();
      return Promise.resolve();
    },
    deactivate() {
      active = false;
    },
    /** A click on an area of the map: its months and pathways below the table. */
    pickArea(code) {
      if (String(code) !== selected) select(String(code));
    },
    /** After a sign-in or sign-out: asked again when shown, else on the next visit. */
    refresh() {
      fillControls();
      if (!active) {
        figures = null;
        return Promise.resolve();
      }
      return load();
    },
    rerender() {
      fillControls();
      if (figures || error) render();
      if (active) showOnMap();
    },
  };
}
