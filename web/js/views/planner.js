// Planner view: district (finest level) choropleth of coverage for one sector or the
// minimum package (GET /api/coverage), thresholds per sector, a sortable ranked table
// (click or Enter zooms to the area), the gap grid (GET /api/gaps/grid), "where to add"
// (POST /api/plan/sites) and CSV / GeoJSON export of what is shown. Data is fetched
// when the view opens, not on first load. Endpoints that answer 404 show a
// "not available" note; no number is ever made up.

import { api, isMissing } from '../lib/api.js';
import { h, append, clear, $ } from '../lib/dom.js';
import { t, lang } from '../lib/i18n.js';
import { sectorColor } from '../lib/config.js';
import { areas, areaIndex, areaName } from '../lib/areas.js';
import {
  DEFAULT_PACKAGE, GRID_RESOLUTIONS, DEFAULT_GRID_RES, plannerRows, sortRows, joinAreas, bbox,
  plannerCsv, plannerGeojson, shareColor,
} from '../lib/coverage-model.js';
import { formatInt, formatShare, formatKmValue, formatMinutes, scenarioLabel, measureChoices } from '../lib/format.js';
import { download } from '../lib/download.js';

const SITE_K = [1, 3, 5, 10];

export function initPlanner({ root, map, state, sectors, scenarios = [], onStateChange, setLegendSubject }) {
  const els = {
    unavailable: $('#pl-unavailable', root),
    form: $('#pl-form', root),
    subject: $('#pl-subject', root),
    measureField: $('#pl-measure-field', root),
    measure: $('#pl-measure', root),
    measureNote: $('#pl-measure-note', root),
    thresholds: $('#pl-thresholds', root),
    reset: $('#pl-reset', root),
    status: $('#pl-status', root),
    level: $('#pl-level', root),
    grid: $('#pl-grid', root),
    gridRes: $('#pl-grid-res', root),
    gridStatus: $('#pl-grid-status', root),
    gridHint: $('#pl-grid-hint', root),
    travelRow: $('#pl-travel-row', root),
    travel: $('#pl-travel', root),
    travelSector: $('#pl-travel-sector', root),
    travelLegend: $('#pl-travel-legend', root),
    travelStatus: $('#pl-travel-status', root),
    exportCsv: $('#pl-export-csv', root),
    exportGeojson: $('#pl-export-geojson', root),
    table: $('#pl-table', root),
    tbody: $('#pl-table tbody', root),
    sitesForm: $('#pl-sites-form', root),
    sitesSector: $('#pl-sites-sector', root),
    sitesWithheld: $('#pl-sites-withheld', root),
    sitesK: $('#pl-sites-k', root),
    sitesStatus: $('#pl-sites-status', root),
    sitesList: $('#pl-sites-list', root),
  };
  const subjects = ['package', ...sectors];
  let answer = null; // last /api/coverage answer
  let rows = [];
  let collection = null; // choropleth shown
  let outlines = null;
  let names = null;
  let grid = null; // gap grid shown (normalised) or null
  let gridError = null;
  let sites = null;
  let sitesError = null;
  let travelImage = null; // the travel-time layer's image, or null
  let error = null;
  let loading = null;
  let seq = 0;
  let selected = null;
  const defaultsKm = {}; // the server's default threshold of each sector (from its answers)
  const defaultsMin = {}; // the same in minutes, by travel time
  // Travel time is offered only when the server has friction surfaces (scenarios).
  const scenarioNames = scenarios.map((s) => s.name);
  if (state.by && !scenarioNames.includes(state.by)) state.by = '';
  let active = false;

  // --- controls
  const opt = (value, key) => h('option', { value, 'data-i18n': key, text: t(key) });
  append(els.subject, subjects.map((s) => opt(s, s === 'package' ? 'planner.package' : `sector.${s}`)));
  append(els.gridRes, GRID_RESOLUTIONS.map((r) => opt(String(r), `planner.res.${r}`)));
  append(els.sitesSector, sectors.filter((s) => s !== 'hotline').map((s) => opt(s, `sector.${s}`)));
  append(els.travelSector, sectors.filter((s) => s !== 'hotline').map((s) => opt(s, `sector.${s}`)));
  els.travel.addEventListener('change', () => loadTravel());
  els.travelSector.addEventListener('change', () => loadTravel());
  append(els.sitesK, SITE_K.map((k) => h('option', { value: String(k), text: String(k) })));
  els.sitesK.value = '5';

  buildMeasure();
  els.measure.addEventListener('change', () => {
    state.by = els.measure.value;
    onStateChange();
    reload();
  });
  els.subject.addEventListener('change', () => {
    state.subject = els.subject.value;
    onStateChange();
    const option = [...els.sitesSector.options].find((o) => o.value === state.subject);
    if (option && !option.disabled) els.sitesSector.value = state.subject;
    reload();
  });
  els.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const [chosen, defaults, max] = state.by ? [state.minutes, defaultsMin, 100000] : [state.thresholds, defaultsKm, 20000];
    for (const input of els.thresholds.querySelectorAll('input[data-sector]')) {
      const s = input.dataset.sector;
      const v = Number.parseFloat(input.value);
      if (!Number.isFinite(v) || v < (state.by ? 1 : 0) || v > max) {
        input.setAttribute('aria-invalid', 'true');
        continue;
      }
      input.removeAttribute('aria-invalid');
      if (defaults[s] !== undefined && v === defaults[s]) delete chosen[s];
      else chosen[s] = v;
    }
    onStateChange();
    reload();
  });
  els.reset.addEventListener('click', () => {
    if (state.by) state.minutes = {};
    else state.thresholds = {};
    onStateChange();
    reload();
  });
  els.grid.addEventListener('change', () => {
    state.grid = els.grid.checked ? Number(els.gridRes.value) || DEFAULT_GRID_RES : null;
    onStateChange();
    loadGrid();
  });
  els.gridRes.addEventListener('change', () => {
    if (!els.grid.checked) return;
    state.grid = Number(els.gridRes.value);
    onStateChange();
    loadGrid();
  });
  els.exportCsv.addEventListener('click', () => {
    if (!answer) return;
    download(`tirek-coverage-${state.subject}-level${answer.coverage.level}.csv`, 'text/csv;charset=utf-8',
      `\ufeff${plannerCsv(shownRows(), { subject: state.subject, level: answer.coverage.level, thresholdsKm: thresholdsKm(), dataVersion: answer.coverage.data_version })}`);
  });
  els.exportGeojson.addEventListener('click', () => {
    if (!collection) return;
    const fc = plannerGeojson({
      areas: collection,
      grid,
      sites,
      meta: { subject: state.subject, sectors: subjectSectors(), level: answer.coverage.level, thresholds_km: thresholdsKm(), data_version: answer.coverage.data_version, note: answer.coverage.note },
    });
    download(`tirek-coverage-${state.subject}-level${answer.coverage.level}.geojson`, 'application/geo+json', JSON.stringify(fc));
  });
  for (const btn of els.table.querySelectorAll('th button[data-sort]')) {
    btn.addEventListener('click', () => {
      const key = btn.dataset.sort;
      if (state.sort === key) state.rev = !state.rev;
      else {
        state.sort = key;
        state.rev = false;
      }
      onStateChange();
      renderTable();
    });
  }
  els.sitesForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadSites();
  });

  function subjectSectors() {
    return state.subject === 'package' ? DEFAULT_PACKAGE : [state.subject];
  }

  function thresholdsKm() {
    const out = {};
    for (const s of subjectSectors()) {
      const m = answer?.coverage?.thresholds_m?.[s];
      out[s] = state.thresholds[s] ?? (m !== undefined ? m / 1000 : null);
    }
    return out;
  }

  function thresholdParams() {
    const p = {};
    if (state.by) {
      p.by = 'time';
      p.scenario = state.by;
      for (const s of subjectSectors()) if (Number.isFinite(state.minutes[s])) p[`threshold_min.${s}`] = state.minutes[s];
      return p;
    }
    for (const s of subjectSectors()) if (Number.isFinite(state.thresholds[s])) p[`threshold_km.${s}`] = state.thresholds[s];
    return p;
  }

  /**
   * "Measure reach by": distance, or travel time under each scenario the server has;
   * with none, the choice is absent and a note says why.
   */
  function buildMeasure() {
    clear(els.measure);
    els.measure.append(...measureChoices(scenarios).map((c) => h('option', c)));
    els.measure.value = state.by;
    els.measureField.hidden = !scenarios.length;
    els.measureNote.textContent = scenarios.length ? (scenarios.some((s) => s.demo) ? t('planner.demoSurfaceNote') : '')
      : t('planner.noSurface');
    els.measureNote.hidden = !els.measureNote.textContent;
  }

  function shownRows() {
    return sortRows(rows, state.sort, state.rev);
  }

  // --- data
  async function reload() {
    const mine = ++seq;
    error = null;
    els.status.textContent = t('planner.loading');
    root.setAttribute('aria-busy', 'true');
    const list = subjectSectors();
    try {
      const a = await api.coverage({ sectors: list, package: list, ...thresholdParams() });
      const level = a?.coverage?.level;
      const [fc, index] = level === null || level === undefined ? [null, new Map()]
        : await Promise.all([areas(level), areaIndex([0, 1, level])]);
      if (mine !== seq) return;
      answer = a;
      outlines = fc;
      names = index;
      for (const s of list) {
        if (!Number.isFinite(state.thresholds[s]) && a.coverage.thresholds_m?.[s] !== undefined) defaultsKm[s] = a.coverage.thresholds_m[s] / 1000;
        if (!Number.isFinite(state.minutes[s]) && a.coverage.thresholds_min?.[s] !== undefined) defaultsMin[s] = a.coverage.thresholds_min[s];
      }
      rows = plannerRows(a, state.subject);
      collection = joinAreas(rows, outlines);
    } catch (err) {
      if (mine !== seq) return;
      answer = null;
      rows = [];
      collection = null;
      error = err;
    } finally {
      if (mine === seq) root.removeAttribute('aria-busy');
    }
    render();
    if (active) showOnMap();
    if (state.grid) await loadGrid();
    if (els.travel.checked) await loadTravel();
    if (mine === seq) {
      root.dataset.loaded = 'true';
      performance.mark('tirek:planner');
    }
  }

  async function loadGrid() {
    const mine = seq;
    gridError = null;
    if (!state.grid) {
      grid = null;
      renderGrid();
      if (active) map.setGaps(null);
      return;
    }
    els.gridStatus.textContent = t('planner.loading');
    const list = subjectSectors();
    try {
      const fc = await api.gapsGrid({ res: state.grid, sector: list, ...thresholdParams() });
      if (mine !== seq) return;
      grid = {
        ...fc,
        // A hexagon is a gap when people in it (each measured from where they live)
        // are beyond some threshold; empty cells are never painted.
        features: (fc.features || []).map((f) => ({ ...f, properties: { ...f.properties, covered: !(outOfReach(f.properties) > 0) } })),
      };
    } catch (err) {
      grid = null;
      gridError = err;
    }
    renderGrid();
    if (active) map.setGaps(grid);
  }

  /**
   * The travel-time layer: minutes to the nearest facility of the chosen sector over
   * the scenario's surface (GET /api/travel/catchments), by classes; only by travel time.
   */
  async function loadTravel() {
    const on = !!state.by && els.travel.checked;
    els.travelLegend.hidden = !on;
    travelImage = null;
    els.travelStatus.textContent = '';
    if (on) {
      els.travelStatus.textContent = t('planner.loading');
      try {
        const grid = await api.travelCatchments({ scenario: state.by, sector: els.travelSector.value });
        const { travelImage: draw } = await import('../lib/travel-layer.js');
        travelImage = draw(grid);
        const reached = grid.minutes.filter((m) => m != null).length;
        els.travelStatus.textContent = t('planner.travelSummary', {
          sector: t(`sector.${grid.sector}`), scenario: scenarioLabel(grid.scenario), share: formatShare(grid.minutes.length ? reached / grid.minutes.length : null),
        });
        renderTravelLegend();
      } catch (err) {
        travelImage = null;
        els.travelLegend.hidden = true;
        els.travelStatus.textContent = errorText(err, '/api/travel/catchments');
      }
    }
    if (active) map.setTravelImage(travelImage);
  }

  async function renderTravelLegend() {
    const { TIME_CLASSES, UNREACHED_COLOR } = await import('../lib/travel-layer.js');
    clear(els.travelLegend);
    let from = 0;
    for (const c of TIME_CLASSES) {
      const text = Number.isFinite(c.max) ? `${formatMinutes(from)}–${formatMinutes(c.max)}` : t('planner.travelOver', { time: formatMinutes(from) });
      els.travelLegend.append(h('li', {}, h('span', { class: 'sym sym-box', 'aria-hidden': 'true', style: `--sym-color:rgb(${c.color.join(',')})` }), h('span', { text })));
      from = c.max;
    }
    els.travelLegend.append(h('li', {}, h('span', { class: 'sym sym-box', 'aria-hidden': 'true', style: `--sym-color:rgb(${UNREACHED_COLOR.join(',')})` }), h('span', { text: t('travel.unreachable') })));
  }

  async function loadSites() {
    sitesError = null;
    sites = null;
    els.sitesStatus.textContent = t('planner.loading');
    els.sitesForm.setAttribute('aria-busy', 'true');
    try {
      const sector = els.sitesSector.value;
      const body = { sector, k: Number(els.sitesK.value), candidates: 'settlements' };
      // The same reach as the choropleth when the planner changed it for this sector.
      if (state.by) {
        Object.assign(body, { by: 'time', scenario: state.by });
        if (Number.isFinite(state.minutes[sector])) body.threshold_min = state.minutes[sector];
      } else if (Number.isFinite(state.thresholds[sector])) body.threshold_km = state.thresholds[sector];
      sites = await api.planSites(body);
    } catch (err) {
      sitesError = err;
    } finally {
      els.sitesForm.removeAttribute('aria-busy');
    }
    renderSites();
    if (active) showSites();
  }

  // --- rendering
  function errorText(err, what) {
    if (isMissing(err)) return t('planner.notAvailable', { endpoint: what });
    if (err.status === 403) return t('planner.forbidden');
    if (err.code === 'network') return t('error.network');
    return t('error.api', { message: err.message });
  }

  function render() {
    els.subject.value = state.subject;
    els.measure.value = state.by;
    els.travelRow.hidden = !state.by;
    if (!state.by && els.travel.checked) {
      els.travel.checked = false;
      loadTravel();
    }
    if (state.subject !== 'package' && state.subject !== 'hotline') els.travelSector.value = state.subject;
    renderThresholds();
    els.unavailable.hidden = !error;
    if (error) els.unavailable.textContent = errorText(error, '/api/coverage');
    const ok = !!answer;
    els.exportCsv.disabled = !ok;
    els.exportGeojson.disabled = !ok;
    if (ok) {
      const level = answer.coverage.level;
      els.level.textContent = t('planner.levelInfo', { level: t(`planner.level.${Math.min(level, 2)}`), n: rows.length });
      els.status.textContent = t('planner.summary', {
        subject: subjectLabel(), uncovered: formatInt(rows.reduce((n, r) => n + (r.uncovered || 0), 0)),
      });
    } else {
      els.level.textContent = '';
      els.status.textContent = '';
    }
    setLegendSubject(legendTitle());
    renderTable();
    renderGrid();
    renderSites();
    offerPlannableSectors();
    pathwayLinks();
  }

  /**
   * The public cannot plan a sector with confidential shelters (the server refuses: new
   * sites would trace them), so such sectors are not offered, and a line says why.
   */
  function offerPlannableSectors() {
    const withheld = new Set(answer?.coverage?.withheld?.sectors || []);
    for (const option of els.sitesSector.options) option.disabled = withheld.has(option.value);
    if (withheld.has(els.sitesSector.value)) {
      const first = [...els.sitesSector.options].find((o) => !o.disabled);
      if (first) els.sitesSector.value = first.value;
    }
    els.sitesWithheld.hidden = withheld.size === 0;
  }

  function legendTitle() {
    return state.by ? t('planner.legendTitleTime', { subject: subjectLabel(), scenario: scenarioLabel(state.by) })
      : t('planner.legendTitle', { subject: subjectLabel() });
  }

  function subjectLabel() {
    return state.subject === 'package' ? t('planner.package') : t(`sector.${state.subject}`);
  }

  function renderThresholds() {
    clear(els.thresholds.querySelector('.th-inputs'));
    const box = els.thresholds.querySelector('.th-inputs');
    box.closest('fieldset').dataset.unit = state.by ? 'min' : 'km';
    const hint = els.thresholds.querySelector('#pl-th-unit');
    hint.dataset.i18n = state.by ? 'planner.thresholdsHintTime' : 'planner.thresholdsHint';
    hint.textContent = t(hint.dataset.i18n);
    for (const s of subjectSectors()) {
      const id = `pl-th-${s}`;
      const value = state.by ? state.minutes[s] ?? defaultsMin[s] : state.thresholds[s] ?? defaultsKm[s];
      box.append(h('div', { class: 'th' },
        h('label', { for: id }, h('span', { class: 'swatch', 'aria-hidden': 'true', style: `--sector-color:${sectorColor(s)}` }), t(`sector.${s}`)),
        h('input', {
          id, type: 'number', min: state.by ? '1' : '0', max: state.by ? '100000' : '20000', step: '1', inputmode: 'decimal', required: true,
          value: value === undefined ? '' : String(value), dataset: { sector: s },
          'aria-describedby': 'pl-th-unit',
        }),
        h('span', { class: 'unit', 'aria-hidden': 'true', text: state.by ? t('planner.minUnit') : t('map.km') })));
    }
  }

  function renderTable() {
    for (const th of els.table.querySelectorAll('th[data-sort-key]')) {
      const key = th.dataset.sortKey;
      // rank order: uncovered = most people first (descending), share = lowest first (ascending)
      const natural = key === 'uncovered' ? 'descending' : 'ascending';
      const reversed = natural === 'descending' ? 'ascending' : 'descending';
      th.setAttribute('aria-sort', state.sort === key ? (state.rev ? reversed : natural) : 'none');
      th.querySelector('button').dataset.active = String(state.sort === key);
    }
    clear(els.tbody);
    const list = shownRows();
    list.forEach((r, i) => {
      const name = areaName(names, r.code, r.name);
      const tr = h('tr', {
        tabindex: '0', dataset: { code: String(r.code) }, class: r.code === selected ? 'selected' : null,
        'aria-describedby': 'pl-row-hint',
        onclick: () => zoomTo(r.code),
        onkeydown: (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            zoomTo(r.code);
          } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
            ev.preventDefault();
            const next = ev.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
            if (next) next.focus();
          }
        },
      },
      h('td', { class: 'num-cell', text: String(i + 1) }),
      h('th', { scope: 'row', class: 'area-name' }, name, limitingNote(r)),
      h('td', { class: 'num-cell', text: formatInt(r.pop_total) }),
      h('td', { class: 'num-cell share-cell' },
        h('span', { class: 'share-dot', 'aria-hidden': 'true', style: `--c:${shareColor(r.share)}` }), formatShare(r.share)),
      h('td', { class: 'num-cell', dataset: { value: String(r.uncovered) }, text: formatInt(r.uncovered) }),
      h('td', { class: 'num-cell', text: formatInt(r.facilities) }));
      els.tbody.append(tr);
    });
    if (!list.length) {
      els.tbody.append(h('tr', {}, h('td', { colspan: '6', class: 'empty', text: answer ? t('planner.noAreas') : '' })));
    }
  }

  /**
   * Under a package row whose share one sector holds down (the others reach clearly
   * more): which sector, so a 0 % is not read as "no services at all".
   */
  function limitingNote(r) {
    if (state.subject !== 'package' || !r.limiting) return null;
    const { sector, share } = r.limiting;
    const text = r.othersMin !== null && r.othersMin - share >= 0.1
      ? t('planner.limitedAlone', { sector: t(`sector.${sector}`), share: formatShare(share), others: formatShare(r.othersMin) })
      : t('planner.lowestSector', { sector: t(`sector.${sector}`), share: formatShare(share) });
    return h('span', { class: 'limiting', text });
  }

  /** People of a grid cell beyond some threshold (the cell's people when not given). */
  function outOfReach(props) {
    if (props?.people_out_of_reach != null) return Number(props.people_out_of_reach) || 0;
    return props?.covered_all === false ? Number(props.population) || 0 : 0;
  }

  function renderGrid() {
    els.grid.checked = !!state.grid;
    els.gridRes.value = String(state.grid || DEFAULT_GRID_RES);
    els.gridRes.disabled = !state.grid;
    // By travel time the hexagons are drawn where people are beyond the minutes.
    els.gridHint.dataset.i18n = state.by ? 'planner.gridHintTime' : 'planner.gridHint';
    els.gridHint.textContent = t(els.gridHint.dataset.i18n);
    if (!state.grid) {
      els.gridStatus.textContent = gridError ? errorText(gridError, '/api/gaps/grid') : '';
      return;
    }
    if (gridError) {
      els.gridStatus.textContent = errorText(gridError, '/api/gaps/grid');
      els.gridStatus.dataset.state = isMissing(gridError) ? 'missing' : 'error';
      return;
    }
    if (!grid) return;
    const gaps = grid.features.filter((f) => !f.properties.covered);
    els.gridStatus.dataset.state = 'ok';
    els.gridStatus.textContent = t('planner.gridSummary', {
      count: gaps.length, people: formatInt(gaps.reduce((n, f) => n + outOfReach(f.properties), 0)), res: state.grid,
    });
  }

  function renderSites() {
    clear(els.sitesList);
    if (sitesError) {
      els.sitesStatus.textContent = errorText(sitesError, '/api/plan/sites');
      els.sitesStatus.dataset.state = isMissing(sitesError) ? 'missing' : 'error';
      return;
    }
    if (!sites) {
      els.sitesStatus.textContent = '';
      return;
    }
    els.sitesStatus.dataset.state = 'ok';
    const total = sites.population_total;
    els.sitesStatus.textContent = Number.isFinite(sites.threshold_min) ? t('planner.sitesSummaryTime', {
      sector: t(`sector.${sites.sector}`), time: formatMinutes(sites.threshold_min), scenario: scenarioLabel(sites.scenario),
      before: formatShare(total ? sites.covered_before / total : null), count: sites.candidates_considered ?? 0,
    }) : t('planner.sitesSummary', {
      sector: t(`sector.${sites.sector}`), km: formatKmValue(sites.threshold_m),
      before: formatShare(total ? sites.covered_before / total : null), count: sites.candidates_considered ?? 0,
    });
    for (const step of sites.steps || []) {
      els.sitesList.append(h('li', { dataset: { rank: String(step.rank) } },
        h('button', {
          type: 'button', class: 'link-button site-link',
          onclick: () => map.map.easeTo({ center: [step.site.lon, step.site.lat], zoom: Math.max(map.map.getZoom(), 8), duration: 300 }),
        }, step.site.name || step.site.id),
        ' ',
        h('span', { class: 'site-gain', text: t('planner.siteGain', { gain: formatInt(step.gain), after: formatShare(total ? step.covered_after / total : null) }) })));
    }
  }

  // --- map
  function showOnMap() {
    map.setCoverage(collection);
    map.selectArea(selected);
    map.setGaps(grid);
    map.setTravelImage(travelImage);
    showSites();
    map.areaLabel = (code) => {
      const r = rows.find((x) => String(x.code) === String(code));
      return r ? `${areaName(names, r.code, r.name)}: ${formatShare(r.share)}` : null;
    };
  }

  function showSites() {
    map.setSites((sites?.steps || []).map((s) => ({
      rank: s.rank, lon: s.site.lon, lat: s.site.lat,
      label: t('planner.siteMarker', { rank: s.rank, name: s.site.name || s.site.id, gain: formatInt(s.gain) }),
    })), { onMarker: (s) => els.sitesList.querySelector(`li[data-rank="${s.rank}"] button`)?.focus() });
  }

  function zoomTo(code) {
    const f = collection?.features.find((x) => String(x.properties.code) === String(code));
    if (!f) return;
    select(code);
    map.fitGeometry(f.geometry);
  }

  function select(code) {
    selected = code;
    map.selectArea(code);
    pathwayLinks();
    for (const tr of els.tbody.querySelectorAll('tr[data-code]')) tr.classList.toggle('selected', tr.dataset.code === String(code));
  }

  /**
   * The selected area's referral pathway (GET /api/pathway): a printable page in a new
   * tab and a CSV, in the interface language; the server decides what the caller sees.
   */
  function pathwayLinks() {
    const html = root.querySelector('#pl-pathway-html');
    const csv = root.querySelector('#pl-pathway-csv');
    const name = selected != null ? areaName(names, selected, selected) : null;
    for (const [a, format] of [[html, 'html'], [csv, 'csv']]) {
      if (selected == null) {
        a.removeAttribute('href');
        a.setAttribute('aria-disabled', 'true');
        continue;
      }
      const url = new URL('/api/pathway', window.location.origin);
      url.search = new URLSearchParams({ area: String(selected), lang: lang(), format }).toString();
      a.href = url.pathname + url.search;
      a.removeAttribute('aria-disabled');
      if (format === 'csv') a.setAttribute('download', `pathway-${selected}.csv`);
    }
    root.querySelector('#pl-pathway-hint').textContent = name ? t('planner.pathwayFor', { area: name }) : t('planner.pathwayHint');
  }

  return {
    /** Called when the view is shown. */
    activate() {
      active = true;
      if (!answer && !error && !loading) loading = reload().finally(() => { loading = null; });
      else showOnMap();
      setLegendSubject(legendTitle());
      return loading || Promise.resolve();
    },
    deactivate() {
      active = false;
    },
    /**
     * After a sign-in or sign-out (what the caller may see changed): the suggested
     * sites go, and coverage and the gap grid are asked for again if they were loaded.
     */
    refresh() {
      sites = null;
      sitesError = null;
      renderSites();
      if (active) showSites();
      if (!answer && !error && !loading) return Promise.resolve();
      return reload();
    },
    /** Map click on an area: select its row. */
    pickArea(code) {
      select(code);
      const tr = els.tbody.querySelector(`tr[data-code="${CSS.escape(String(code))}"]`);
      if (tr) {
        tr.scrollIntoView({ block: 'nearest' });
        tr.focus({ preventScroll: true });
      }
    },
    /** After a hash change: re-query when the subject, thresholds or grid changed. */
    applyState(prev) {
      const changed = !prev || prev.subject !== state.subject || prev.by !== state.by
        || JSON.stringify(prev.thresholds) !== JSON.stringify(state.thresholds)
        || JSON.stringify(prev.minutes) !== JSON.stringify(state.minutes);
      if (changed && (answer || error)) reload();
      else if (prev && prev.grid !== state.grid) loadGrid();
      else renderTable();
    },
    rerender() {
      buildMeasure();
      if (!answer && !error) {
        renderThresholds();
        return;
      }
      render();
      if (active) showOnMap();
    },
    bbox: (code) => {
      const f = collection?.features.find((x) => String(x.properties.code) === String(code));
      return f ? bbox(f.geometry) : null;
    },
  };
}
