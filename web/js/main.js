// Entry point (index.html loads it): reads the URL state, loads the interface strings
// and the server's metadata, builds the map, legend, tabs and language switch, starts
// the views (views/: caseworker, planner, donor, account), asks their data again when
// the signed-in role changes, and keeps the URL hash in step. After the first paint it
// saves the offline copy (lib/offline.js) and shows when answers come from it; back
// online it refreshes. Shared code is in lib/.

import * as i18n from './lib/i18n.js';
import { t } from './lib/i18n.js';
import { api, isMissing } from './lib/api.js';
import { h, $, $$, clear, append } from './lib/dom.js';
import { parseHash, writeHash, shareLink } from './lib/url-state.js';
import { DEFAULT_SECTORS, NOT_FOR_SURVIVORS, VIEWS, sectorColor } from './lib/config.js';
import { TirekMap, COLORS } from './lib/map.js';
import { initCaseworker } from './views/caseworker.js';
import { initPlanner } from './views/planner.js';
import { initDonor } from './views/donor.js';
import { initAccount } from './views/account.js';
import { initManage, MANAGING_ROLES } from './views/manage.js';
import { COORDINATION_ROLES, RECORDING_ROLES } from './lib/referral-log.js';
import { areas } from './lib/areas.js';
import { shareClasses, NO_DATA_COLOR, GAP_COLOR } from './lib/coverage-model.js';
import { formatShareClass, formatDate } from './lib/format.js';
import * as offline from './lib/offline.js';
import { setQuickExitUrl } from './lib/quick-exit.js';

const state = parseHash(window.location.hash);
let caseworker = null;
let planner = null;
let donor = null;
let manage = null;
let coordination = null;
let tirekMap = null;
let facilities = null;
let facilitiesSeq = 0; // the newest /api/facilities request wins (the role may change meanwhile)

function storedLang() {
  try {
    return window.localStorage.getItem('tirek.lang');
  } catch {
    return null;
  }
}

function onStateChange() {
  writeHash(state);
}

// --- offline banner: shown while the caseworker's answers come from the saved data.
let offlineState = null; // { at: Date|null } or null
function renderOfflineBanner() {
  const banner = $('#offline-banner');
  banner.hidden = !offlineState;
  if (offlineState) {
    const at = offlineState.at;
    banner.textContent = t('offline.banner', { date: at ? formatDate(at.toISOString().slice(0, 10)) : '–' });
  }
}
function setOffline(info) {
  offlineState = info;
  renderOfflineBanner();
  if (info) probeSoon(PROBE_MS);
  else clearTimeout(probeTimer);
}

// While answers come from the saved data, the server is asked whether it is back
// (/healthz, which the service worker never answers itself): every PROBE_MS, and soon
// after the browser says it is online again. Then everything shown is asked again.
const PROBE_MS = 15000;
let probeTimer = null;
function probeSoon(ms) {
  clearTimeout(probeTimer);
  probeTimer = setTimeout(probe, ms);
}
async function probe() {
  if (!offlineState) return;
  try {
    const r = await fetch('/healthz', { cache: 'no-store', credentials: 'omit' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
  } catch {
    probeSoon(PROBE_MS);
    return;
  }
  backOnline();
}
function backOnline() {
  if (account && account.role() !== 'public') api.publicFacilities().catch(() => {});
  refreshFacilities().catch(() => {});
  caseworker?.run({ fit: false });
}

function showError(err) {
  const banner = $('#error-banner');
  banner.textContent = t('banner.loadFailed', { message: err?.message || String(err) });
  banner.hidden = false;
}

// --- language switch: a <select> (seven languages fit a 390 px phone), each option in
// its own language. The choice is remembered (localStorage); on a first visit the
// browser's preferred languages decide (i18n.init).
function buildLangSwitch() {
  const select = $('#lang-select');
  clear(select);
  for (const l of i18n.languages()) {
    select.append(h('option', { value: l.code, lang: l.code, text: l.label }));
  }
  select.value = i18n.lang();
  select.addEventListener('change', () => switchLanguage(select.value));
}

/** Shows, in the chosen language, that its translation awaits review (languages.json). */
function showReviewNote() {
  $('#lang-review').hidden = !i18n.reviewPending();
}

async function switchLanguage(code) {
  try {
    await i18n.setLanguage(code);
  } catch {
    // Not loadable now (offline and never used here): stay with the current language.
    $('#lang-select').value = i18n.lang();
    return;
  }
  state.lang = i18n.lang();
  try {
    window.localStorage.setItem('tirek.lang', state.lang);
  } catch { /* private mode */ }
  onStateChange();
}

i18n.onChange((code) => {
  const select = document.getElementById('lang-select');
  if (select) select.value = code;
  showReviewNote();
  renderOfflineBanner();
  offline.keepLanguage(code);
  if (tirekMap) {
    tirekMap.relabel();
    tirekMap.relabelFacilities(facilities);
  }
  if (caseworker) caseworker.rerender();
  buildCoverageLegend();
  if (planner) planner.rerender();
  if (donor) donor.rerender();
  if (manage) manage.rerender();
  if (coordination) coordination.rerender();
});

// --- view tabs (roving tabindex, arrow keys)
function switchView(view, { focus = false } = {}) {
  state.view = VIEWS.includes(view) && !(view === 'manage' && !canManage())
    && !(view === 'coordination' && !canCoordinate()) ? view : 'caseworker';
  for (const tab of $$('#view-tabs [role="tab"]')) {
    const selected = tab.dataset.view === state.view;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
    document.getElementById(tab.getAttribute('aria-controls')).hidden = !selected;
  }
  document.body.dataset.view = state.view;
  document.documentElement.dataset.view = state.view; // app.css lays the page out by it
  onStateChange();
  activateView();
}

/** Puts the map in the view's mode and lets the planner / donor fetch their data. */
function activateView() {
  if (!tirekMap) return;
  const view = state.view;
  tirekMap.loaded.then(() => {
    if (state.view !== view) return;
    tirekMap.setMode(view);
    for (const [name, v] of [['planner', planner], ['donor', donor], ['manage', manage], ['coordination', coordination]]) {
      if (!v) continue;
      if (name === view) v.activate().catch(showError);
      else v.deactivate();
    }
  });
}

function buildTabs() {
  for (const tab of $$('#view-tabs [role="tab"]')) {
    tab.addEventListener('click', () => switchView(tab.dataset.view));
    tab.addEventListener('keydown', (ev) => {
      // The tabs shown now (Manage only for the roles that manage).
      const tabs = $$('#view-tabs [role="tab"]').filter((t) => !t.hidden);
      const i = tabs.indexOf(tab);
      const keys = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: tabs.length - 1 - i };
      if (!(ev.key in keys)) return;
      ev.preventDefault();
      const next = tabs[(i + keys[ev.key] + tabs.length) % tabs.length];
      switchView(next.dataset.view, { focus: true });
    });
  }
}

/** Whether the signed-in role has the Manage view (editors, planners, administrators). */
function canManage() {
  return !!account && MANAGING_ROLES.includes(account.role());
}

/**
 * The coordination view, whose code (views/coordination.js) is fetched only when signed-in
 * staff first open it: the public's first load does not carry it.
 */
function lazyCoordination(options) {
  let view = null;
  let loading = null;
  const get = () => {
    loading ||= import('./views/coordination.js').then((m) => {
      view = m.initCoordination(options);
      return view;
    }, (err) => {
      loading = null;
      throw err;
    });
    return loading;
  };
  return {
    activate: () => get().then((v) => v.activate()),
    deactivate: () => view?.deactivate(),
    refresh: () => (view ? view.refresh() : Promise.resolve()),
    rerender: () => view?.rerender(),
    pickArea: (code) => view?.pickArea(code),
  };
}

/** Whether the signed-in role has the coordination view (signed-in staff). */
function canCoordinate() {
  return !!account && COORDINATION_ROLES.includes(account.role());
}

/** Whether the caseworker view offers recording referrals and unmet needs. */
function canRecord() {
  return !!account && RECORDING_ROLES.includes(account.role()) && !!account.me?.organisation;
}

/**
 * Shows the Manage and Coordination tabs to the roles that have them; leaves a view
 * the role cannot have.
 */
function showManageTab() {
  $('#tab-manage').hidden = !canManage();
  $('#tab-coordination').hidden = !canCoordinate();
  if ((state.view === 'manage' && !canManage()) || (state.view === 'coordination' && !canCoordinate())) {
    switchView('caseworker');
  }
}

// --- legend (labels via data-i18n, so a language switch updates them)
let legendBuilt = false;
function buildLegend(sectors, { districts = false, basemap = false } = {}) {
  const body = $('#legend-body');
  const showFacilities = document.getElementById('legend-show-facilities')?.checked ?? true;
  clear(body);
  const item = (symbol, key) => h('li', {}, symbol, h('span', { 'data-i18n': key, text: t(key) }));
  const sw = (cls, color) => {
    const s = h('span', { class: `sym ${cls}`, 'aria-hidden': 'true' });
    if (color) s.style.setProperty('--sym-color', color);
    return s;
  };
  append(body, [
    h('p', { class: 'legend-sub', 'data-i18n': 'legend.sectors', text: t('legend.sectors') }),
    h('ul', {}, sectors.map((s) => item(sw('sym-dot', sectorColor(s)), `sector.${s}`))),
    h('ul', {},
      item(sw('sym-point', COLORS.point), 'legend.point'),
      item(sw('sym-line', '#555'), 'legend.line'),
      item(sw('sym-settlement', COLORS.settlement), 'legend.settlement'),
      item(sw('sym-country', COLORS.country), 'legend.country'),
      item(sw('sym-region', COLORS.region), 'legend.region'),
      districts ? item(sw('sym-district', COLORS.district), 'legend.district') : null),
    h('p', { class: 'legend-note', 'data-i18n': 'legend.settlementNote', text: t('legend.settlementNote') }),
    districts ? h('p', { class: 'legend-note', 'data-i18n': 'legend.districtNote', text: t('legend.districtNote') }) : null,
    h('label', { class: 'legend-toggle' },
      h('input', {
        type: 'checkbox', id: 'legend-show-facilities', checked: showFacilities,
        onchange: (ev) => tirekMap?.setFacilitiesVisible(ev.target.checked),
      }),
      h('span', { 'data-i18n': 'legend.showFacilities', text: t('legend.showFacilities') })),
    // Only when the operator configured a basemap (and it loaded).
    basemap ? h('label', { class: 'legend-toggle' },
      h('input', {
        type: 'checkbox', id: 'legend-show-basemap', checked: true,
        onchange: (ev) => tirekMap?.setBasemapVisible(ev.target.checked),
      }),
      h('span', { 'data-i18n': 'legend.basemap', text: t('legend.basemap') })) : null,
  ]);
  if (!legendBuilt && window.matchMedia('(max-width: 720px)').matches) $('#legend').open = false;
  legendBuilt = true;
}

// Legend of the planner / donor choropleth (classes of the share within reach).
let legendSubject = '';
function setLegendSubject(text) {
  legendSubject = text;
  const el = document.getElementById('legend-cov-subject');
  if (el) el.textContent = text;
}

function buildCoverageLegend() {
  const body = $('#legend-coverage');
  clear(body);
  const box = (color, extra) => {
    const s = h('span', { class: `sym sym-box${extra ? ` ${extra}` : ''}`, 'aria-hidden': 'true' });
    s.style.setProperty('--sym-color', color);
    return s;
  };
  const classes = shareClasses();
  body.append(
    h('p', { class: 'legend-sub', id: 'legend-cov-subject', text: legendSubject }),
    h('ul', { class: 'legend-classes' }, classes.map((c, i) => h('li', {}, box(c.color),
      h('span', { text: formatShareClass(classes, i) })))),
    h('ul', {},
      h('li', {}, box(NO_DATA_COLOR), h('span', { text: t('legend.noData') })),
      h('li', { class: 'planner-only' }, box(GAP_COLOR, 'sym-gap'), h('span', { text: t('legend.gapCell') })),
      h('li', { class: 'planner-only' }, h('span', { class: 'sym sym-site', 'aria-hidden': 'true', text: '1' }), h('span', { text: t('legend.site') }))),
    h('p', { class: 'legend-note', text: t('legend.coverageNote') }),
  );
}

async function applyHash() {
  const next = parseHash(window.location.hash);
  if (next.lang && next.lang !== i18n.lang()) await switchLanguage(next.lang);
  const prev = {
    subject: state.subject, thresholds: { ...state.thresholds }, by: state.by, minutes: { ...state.minutes }, grid: state.grid,
  };
  Object.assign(state, { ...next, lang: i18n.lang() });
  switchView(state.view);
  caseworker.applyState();
  if (planner) planner.applyState(prev);
  await caseworker.run();
}

/**
 * After a sign-in, sign-out or password change (the effective role changed): everything
 * shown that depends on it is asked for again, so confidential shelters appear exactly
 * (caseworker and above) or only masked (public), and the planner / donor numbers follow.
 */
async function refreshForRole() {
  await tirekMap.loaded;
  showManageTab();
  await Promise.all([
    refreshFacilities().catch(showError),
    caseworker.run({ fit: false }),
    planner.refresh(),
    donor.refresh(),
    manage.refresh(),
    coordination.refresh(),
  ]);
  document.body.dataset.role = account.role();
}

/**
 * The facility layer for the current role: the public list (also saved for offline use)
 * or, signed in, what the role may see (never saved).
 */
async function refreshFacilities() {
  const mine = ++facilitiesSeq;
  const signedIn = account && account.role() !== 'public';
  const fcP = signedIn ? api.facilities({}) : api.publicFacilities();
  fcP.catch(() => {});
  await tirekMap.loaded;
  const fc = await fcP;
  if (mine !== facilitiesSeq) return;
  facilities = fc;
  tirekMap.setFacilities(fc);
}

let account = null;
let offlineReadyResolve;
const offlineReady = new Promise((resolve) => { offlineReadyResolve = resolve; });

async function boot() {
  performance.mark('tirek:boot');
  // Start the network work at once; the map and the strings load in parallel.
  const metaP = api.meta({ keep: true });
  const dataP = Promise.all([areas(0), areas(1), api.settlements({ limit: 1000 }, { keep: true })]);
  // The public list (no cookie), saved for offline use; signed in, the role's list
  // replaces it once /api/me has answered.
  const facilitiesP = api.publicFacilities();
  const bootFacilities = ++facilitiesSeq;
  const meP = api.me();
  dataP.catch(() => {});
  facilitiesP.catch(() => {});
  meP.catch(() => {});

  await i18n.init([state.lang, storedLang(), ...(navigator.languages || [navigator.language])]);
  state.lang = i18n.lang();
  buildLangSwitch();
  showReviewNote();
  buildTabs();

  let meta = { sectors: DEFAULT_SECTORS, demo_facilities: 0 };
  try {
    meta = { ...meta, ...(await metaP) };
  } catch (err) {
    showError(err);
  }
  setQuickExitUrl(meta.quick_exit_url);
  const sectors = Array.isArray(meta.sectors) && meta.sectors.length ? meta.sectors : DEFAULT_SECTORS;
  $('#demo-banner').hidden = !(meta.demo_facilities > 0);
  const hasDistricts = Array.isArray(meta.areas_per_level) && meta.areas_per_level[2] > 0;
  buildLegend(sectors, { districts: hasDistricts });
  buildCoverageLegend();

  // The map is made once the first data has arrived (or failed), with that data in it.
  const initialData = Promise.allSettled([dataP, facilitiesP]).then(([data, fc]) => {
    const [countries, regions, settlements] = data.status === 'fulfilled' ? data.value : [];
    const facilities = fc.status === 'fulfilled' && bootFacilities === facilitiesSeq ? fc.value : null;
    return { countries, regions, settlements, facilities };
  });
  tirekMap = new TirekMap($('#map'), {
    initial: initialData,
    onPick: (place) => caseworker.pick(place),
    onArea: (code) => {
      if (state.view === 'planner') planner.pickArea(code);
      else if (state.view === 'coordination') coordination.pickArea(code);
    },
  });
  const scenarios = Array.isArray(meta.travel_scenarios) ? meta.travel_scenarios : [];
  planner = initPlanner({
    root: $('#view-planner'), map: tirekMap, state, sectors, scenarios, onStateChange, setLegendSubject,
  });
  donor = initDonor({
    root: $('#view-donor'), map: tirekMap, sectors, demo: meta.demo_facilities > 0, scenarios, setLegendSubject,
  });
  caseworker = initCaseworker({
    root: $('#view-caseworker'),
    map: tirekMap,
    state,
    sectors: sectors.filter((s) => !NOT_FOR_SURVIVORS.includes(s)),
    demo: meta.demo_facilities > 0,
    onStateChange,
    onOffline: setOffline,
    canRecord,
  });
  caseworker.applyState();
  const requestedView = state.view; // Manage waits for the role (GET /api/me)
  switchView(state.view);
  account = initAccount({ onRoleChange: () => refreshForRole().catch(showError) });
  manage = initManage({ root: $('#view-manage'), account });
  coordination = lazyCoordination({ root: $('#view-coordination'), map: tirekMap, account, sectors });
  meP.then((me) => account.start(me), (err) => account.start(isMissing(err) ? null : { signed_in: false }))
    .then(() => {
      showManageTab();
      if ((requestedView === 'manage' && canManage()) || (requestedView === 'coordination' && canCoordinate())) {
        switchView(requestedView);
      }
      document.body.dataset.role = account.role();
      if (account.role() !== 'public') refreshFacilities().catch(showError);
      if (canRecord()) tirekMap.loaded.then(() => caseworker.rerender());
    });
  window.addEventListener('hashchange', () => applyHash());
  // Back online: the saved copy and the answers shown are asked for again.
  window.addEventListener('online', () => {
    if (offlineState) probeSoon(500);
    else backOnline();
  });

  await tirekMap.loaded;
  if (hasDistricts) tirekMap.enableDistricts(() => areas(2));
  if (meta.basemap) {
    // Not awaited: the services do not wait for the basemap.
    tirekMap.setBasemap(meta.basemap).then((shown) => {
      if (shown) buildLegend(sectors, { districts: hasDistricts, basemap: true });
    }).catch((err) => {
      const banner = $('#error-banner');
      banner.textContent = t('banner.basemapFailed', { message: err?.message || String(err) });
      banner.hidden = false;
    });
  }
  // The first data is in the map already (initialData); here only its errors are shown.
  const firstDraw = new Promise((resolve) => {
    // Idle already when nothing changed since the load (the data came in the style).
    if (tirekMap.map.loaded() && !tirekMap.map.isMoving()) resolve();
    else tirekMap.map.once('idle', resolve);
  }).then(() => {
    performance.mark('tirek:first-data');
  });
  dataP.catch(showError);
  facilitiesP.then((fc) => {
    if (bootFacilities === facilitiesSeq) facilities = fc;
  }).catch(showError);
  const initialRun = caseworker.run();
  await Promise.all([firstDraw, initialRun]);
  document.body.dataset.ready = 'true';
  // After the first paint: the offline copy (nothing is downloaded twice).
  offline.afterFirstPaint({ lang: i18n.lang() }).then(offlineReadyResolve, () => offlineReadyResolve(false));
}

const ready = boot().catch((err) => {
  showError(err);
  offlineReadyResolve(false);
  throw err;
});

// Test and debugging hook (read-only use): the MapLibre map and the UI state.
window.__tirek = {
  ready,
  state,
  get map() { return tirekMap?.map; },
  get planner() { return planner; },
  referralText: () => caseworker?.referralText(),
  shareLink: () => shareLink(state),
  offlineReady,
};
