// Caseworker view: pick a place (map click, settlement search or the map centre),
// choose the survivor's needs, and list the nearest appropriate services of every
// sector from GET /api/nearest, with lines on the map and a referral slip.

import { api } from '../lib/api.js';
import * as offline from '../lib/offline.js';
import { h, append, clear, $, telLink } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import {
  FILTERS, SERVICE_LANGUAGES, K_CHOICES, FEATURE_FLAGS, COUNTRY_TIME_ZONES, sectorColor,
} from '../lib/config.js';
import { roundCoord, shareLink } from '../lib/url-state.js';
import { evaluate } from '../lib/opening-hours.js';
import { formatKm, formatBand, formatBandParts, formatHours, formatDate, olderThanMonths, formatCoord } from '../lib/format.js';
import { initSearch } from '../lib/search.js';
import {
  referralModel, referralText, renderSlip, isConfidentialExact, displayName,
} from './referral.js';

/** The /api/nearest requests for a place and needs; `cmr_pep` narrows only health. */
export function nearestRequests({ lon, lat, k, filters, svcLang }) {
  const base = { lon: roundCoord(lon), lat: roundCoord(lat), k };
  if (svcLang) base.language = svcLang;
  let health = null;
  for (const f of FILTERS) {
    if (!filters.includes(f.code)) continue;
    if (f.params) Object.assign(base, f.params);
    if (f.healthOnly) health = { ...(health || {}), ...f.healthOnly };
  }
  const requests = [{ params: base, replaces: null }];
  if (health) requests.push({ params: { ...base, sector: 'health', ...health }, replaces: 'health' });
  return requests;
}

/**
 * The answers to the requests: from the server, or, when the network is gone, from the
 * public list saved on this device (`offline: { at }`).
 */
async function answersFor(requests, signal) {
  try {
    return { answers: await Promise.all(requests.map((r) => api.nearest(r.params, { signal }))), offline: null };
  } catch (err) {
    if (err.name === 'AbortError' || err.code !== 'network') throw err;
    let saved;
    try {
      saved = await offline.nearest(requests.map((r) => r.params));
    } catch {
      throw err;
    }
    return { answers: saved.answers, offline: { at: saved.at } };
  }
}

export function initCaseworker({ root, map, state, sectors, demo, onStateChange, onOffline = () => {} }) {
  const resultsEl = $('#cw-results', root);
  const statusEl = $('#cw-status', root);
  const placeEl = $('#cw-place', root);
  const placeText = $('#cw-place-text', root);
  const slip = document.getElementById('referral-slip');
  const copyStatus = $('#cw-copy-status', root);
  const actions = $('#cw-actions', root);
  let groups = [];
  let controller = null;
  let seq = 0;
  let lastError = null;

  // --- survivor-need filters (generated, labels from the resource files)
  const filterBox = $('#cw-filters', root);
  for (const f of FILTERS) {
    const id = `filter-${f.code}`;
    const hintId = `${id}-hint`;
    const hasHint = f.code === 'cmr_pep';
    filterBox.append(h('div', { class: `check${f.code === 'cmr_pep' ? ' check-urgent' : ''}` },
      h('input', {
        type: 'checkbox', id, name: 'need', value: f.code, 'aria-describedby': hasHint ? hintId : null,
        onchange: (ev) => {
          const on = ev.target.checked;
          state.filters = FILTERS.map((x) => x.code).filter((c) => (c === f.code ? on : state.filters.includes(c)));
          onStateChange();
          run();
        },
      }),
      h('label', { for: id, 'data-i18n': `filter.${f.code}`, text: t(`filter.${f.code}`) }),
      hasHint ? h('p', { id: hintId, class: 'hint', 'data-i18n': `filterHint.${f.code}`, text: t(`filterHint.${f.code}`) }) : null));
  }
  const langSelect = $('#cw-svc-lang', root);
  append(langSelect, [h('option', { value: '', 'data-i18n': 'cw.anyLanguage', text: t('cw.anyLanguage') }),
    SERVICE_LANGUAGES.map((c) => h('option', { value: c, 'data-i18n': `language.${c}`, text: t(`language.${c}`) }))]);
  langSelect.addEventListener('change', () => {
    state.svcLang = langSelect.value;
    onStateChange();
    run();
  });
  const kSelect = $('#cw-k', root);
  append(kSelect, K_CHOICES.map((k) => h('option', { value: String(k), text: String(k) })));
  kSelect.addEventListener('change', () => {
    state.k = Number(kSelect.value);
    onStateChange();
    run();
  });

  const search = initSearch({
    form: $('#cw-search-form', root),
    input: $('#cw-search-input', root),
    list: $('#cw-search-list', root),
    status: $('#cw-search-status', root),
    onSelect: (place) => pick(place),
  });
  $('#cw-use-centre', root).addEventListener('click', () => pick({ ...map.center(), label: null }));
  $('#cw-clear', root).addEventListener('click', () => {
    state.lon = null;
    state.lat = null;
    state.place = null;
    search.setValue('');
    onStateChange();
    run();
  });
  $('#cw-print', root).addEventListener('click', () => {
    updateSlip();
    window.print();
  });
  $('#cw-copy', root).addEventListener('click', () => copyText(referralText(model()), t('cw.copied')));
  // The only way the place gets into a URL: a link the user asks for, to share.
  $('#cw-copy-link', root).addEventListener('click', () => copyText(shareLink(state), t('cw.linkCopied')));

  function pick({ lon, lat, label }) {
    state.lon = roundCoord(lon);
    state.lat = roundCoord(lat);
    state.place = label || null;
    onStateChange();
    run();
  }

  /** Reflects the state in the form controls (after a hash change or on start). */
  function applyState() {
    for (const f of FILTERS) {
      const box = document.getElementById(`filter-${f.code}`);
      if (box) box.checked = state.filters.includes(f.code);
    }
    langSelect.value = state.svcLang || '';
    kSelect.value = String(state.k);
  }

  async function run({ fit = true } = {}) {
    if (controller) controller.abort();
    const mine = ++seq;
    lastError = null;
    if (state.lon === null || state.lat === null) {
      groups = [];
      render();
      map.showResults(null, [], { fit: false });
      return;
    }
    controller = new AbortController();
    resultsEl.setAttribute('aria-busy', 'true');
    statusEl.textContent = t('cw.searching');
    renderPlace();
    try {
      const requests = nearestRequests(state);
      const { answers, offline: offlineAnswer } = await answersFor(requests, controller.signal);
      if (mine !== seq) return;
      onOffline(offlineAnswer);
      let list = [];
      answers.forEach((answer, i) => {
        const replaced = requests.slice(i + 1).map((r) => r.replaces).filter(Boolean);
        list = list.concat((answer?.results || []).filter((r) => !replaced.includes(r.sector)));
      });
      const order = [...sectors, ...list.map((r) => r.sector).filter((s) => !sectors.includes(s))];
      let n = 0;
      groups = [...new Set(order)].map((sector) => ({
        sector,
        results: list.filter((r) => r.sector === sector).map((r) => ({
          ...r, n: ++n, name: displayName(r.facility),
        })),
      }));
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (mine !== seq) return;
      groups = [];
      lastError = err;
    } finally {
      if (mine === seq) resultsEl.removeAttribute('aria-busy');
    }
    render();
    map.showResults({ lon: state.lon, lat: state.lat }, groups.flatMap((g) => g.results), {
      fit, onMarker: focusResult,
    });
    performance.mark('tirek:results');
  }

  function focusResult(item) {
    const el = resultsEl.querySelector(`[data-n="${item.n}"]`);
    if (el) {
      el.scrollIntoView({ block: 'nearest' });
      el.focus();
    }
  }

  function renderPlace() {
    const has = state.lon !== null && state.lat !== null;
    placeEl.hidden = !has;
    if (has) {
      placeText.textContent = state.place
        ? `${state.place} (${formatCoord(state.lat)}, ${formatCoord(state.lon)})`
        : t('cw.pointLabel', { lat: formatCoord(state.lat), lon: formatCoord(state.lon) });
    }
  }

  function render() {
    renderPlace();
    clear(resultsEl);
    const hasPoint = state.lon !== null && state.lat !== null;
    actions.hidden = !hasPoint || !!lastError;
    if (lastError) {
      statusEl.textContent = '';
      resultsEl.append(h('p', { class: 'error', role: 'alert', text: lastError.code === 'network' ? t('error.network') : t('error.api', { message: lastError.message }) }));
      updateSlip();
      return;
    }
    if (!hasPoint) {
      statusEl.textContent = '';
      resultsEl.append(h('p', { class: 'empty', text: t('cw.empty') }));
      updateSlip();
      return;
    }
    const count = groups.reduce((a, g) => a + g.results.length, 0);
    statusEl.textContent = t('cw.resultsCount', { count });
    const now = new Date();
    for (const g of groups) {
      const headingId = `sector-${g.sector}-heading`;
      resultsEl.append(h('section', { class: 'sector', 'data-sector': g.sector, 'aria-labelledby': headingId },
        h('h3', { id: headingId, class: 'sector-heading' },
          swatch(g.sector), h('span', { text: t(`sector.${g.sector}`) })),
        g.results.length
          ? h('ol', { class: 'results' }, g.results.map((item) => resultCard(item, now)))
          : h('p', { class: 'none', text: t('cw.noResultsSector') })));
    }
    updateSlip();
  }

  function resultCard(item, now) {
    const f = item.facility || {};
    const p = f.properties || {};
    const located = f.geometry && f.geometry.type === 'Point';
    const confidential = !located;
    // A confidential shelter a caseworker may see exactly: address and phone shown, marked.
    const exact = located && isConfidentialExact(f);
    const distance = typeof item.distance_m === 'number' ? formatKm(item.distance_m)
      : item.distance_band ? formatBand(item) : '';
    const hours = p.opening_hours ? evaluate(p.opening_hours, now, COUNTRY_TIME_ZONES[p.country]) : { state: 'unknown' };
    const hoursLabel = hours.is247 ? t('hours.always') : hours.state === 'open'
      ? (hours.until ? t('hours.openUntil', { time: hours.until }) : t('hours.open'))
      : hours.state === 'closed' ? t('hours.closed') : t('hours.unknown');
    const features = FEATURE_FLAGS.filter((k) => p[k] === true).map((k) => t(`feature.${k}`));
    const stale = p.verified_at ? olderThanMonths(p.verified_at, 6, now) : true;
    const rows = [];
    const row = (label, ...value) => rows.push(h('div', { class: 'row' }, h('dt', { text: label }), h('dd', {}, ...value)));
    if (p.phone) row(t('result.phone'), telLink(p.phone));
    if (p.hotline && p.hotline !== p.phone) row(t('result.hotline'), telLink(p.hotline));
    row(t('result.hours'),
      h('span', { class: `hours hours-${hours.state}`, text: hoursLabel }),
      p.opening_hours && !hours.is247 ? h('span', { class: 'hours-text', text: ` · ${formatHours(p.opening_hours)}` }) : null);
    if (!confidential && p.address) row(t('result.address'), p.address);
    if (p.languages?.length) row(t('result.languages'), p.languages.map((c) => t(`language.${c}`)).join(', '));
    if (p.services?.length) row(t('result.services'), p.services.map((c) => t(`service.${c}`)).join(', '));
    if (features.length) row(t('result.features'), features.join(', '));
    const cap = p.capacity;
    return h('li', {
      class: `result${confidential ? ' confidential' : ''}${exact ? ' confidential-exact' : ''}`,
      tabindex: '-1',
      dataset: { n: String(item.n), facilityId: String(p.id ?? ''), sector: item.sector },
    },
    h('div', { class: 'result-head' },
      h('span', { class: 'num', 'aria-hidden': 'true', text: String(item.n) }),
      h('h4', { class: 'name', text: item.name || p.name || '' }),
      distance ? distanceEl(item, distance) : null),
    p.organisation ? h('p', { class: 'org', text: p.organisation }) : null,
    confidential ? h('p', { class: 'warn confidential-note', text: t('result.confidential') }) : null,
    exact ? h('p', { class: 'warn confidential-note confidential-exact-note', text: t('result.confidentialExact') }) : null,
    p.location_precision === 'settlement' ? h('p', { class: 'approximate', text: t('result.approximate') }) : null,
    p.status === 'temporarily_closed' ? h('p', { class: 'warn', text: t('result.temporarilyClosed') }) : null,
    p.status === 'closed' ? h('p', { class: 'warn', text: t('result.closed') }) : null,
    cap && typeof cap.beds_total === 'number' ? h('p', { class: cap.beds_available > 0 ? 'capacity' : 'warn' },
      cap.beds_available > 0
        ? t('result.capacity', { available: cap.beds_available, total: cap.beds_total, date: formatDate(cap.as_of) })
        : t('result.full', { date: formatDate(cap.as_of) })) : null,
    h('dl', { class: 'details' }, rows),
    h('p', { class: stale ? 'verified warn' : 'verified' },
      p.verified_at
        ? t(stale ? 'result.verifiedOld' : 'result.verified', { date: formatDate(p.verified_at) })
        : t('result.notVerified'),
      p.demo ? h('span', { class: 'tag-demo', text: t('result.demo') }) : null),
    located ? h('button', {
      type: 'button', class: 'link-button',
      onclick: () => map.flyTo(f.geometry.coordinates[0], f.geometry.coordinates[1]),
      text: t('result.showOnMap'),
    }) : null);
  }

  /** The distance; a band ("about 10–25 km") may wrap before the band, never inside it. */
  function distanceEl(item, text) {
    if (typeof item.distance_m === 'number' || !item.distance_band) return h('span', { class: 'distance', text });
    const { before, band, after } = formatBandParts(item);
    return h('span', { class: 'distance band' }, before, h('span', { class: 'nowrap', text: band }), after);
  }

  function swatch(sector) {
    const s = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    s.style.setProperty('--sector-color', sectorColor(sector));
    return s;
  }

  function model() {
    const point = state.lon !== null ? { lon: state.lon, lat: state.lat } : null;
    return referralModel({
      place: state.place, point, filters: state.filters, svcLang: state.svcLang, groups, demo,
    });
  }

  function updateSlip() {
    renderSlip(slip, model());
  }

  async function copyText(text, done) {
    copyStatus.textContent = '';
    try {
      await navigator.clipboard.writeText(text);
      copyStatus.textContent = done;
    } catch {
      // Fallback for browsers without the async clipboard (e.g. plain http on a LAN).
      const area = h('textarea', { class: 'visually-hidden', readonly: true });
      area.value = text;
      document.body.append(area);
      area.select();
      let ok = false;
      try {
        ok = document.execCommand('copy');
      } catch {
        ok = false;
      }
      area.remove();
      copyStatus.textContent = ok ? done : t('cw.copyFailed');
    }
  }

  return {
    run,
    pick,
    applyState,
    rerender: () => {
      groups.forEach((g) => g.results.forEach((r) => { r.name = displayName(r.facility); }));
      render();
      map.showResults(state.lon !== null ? { lon: state.lon, lat: state.lat } : null,
        groups.flatMap((g) => g.results), { fit: false, onMarker: focusResult });
    },
    referralText: () => referralText(model()),
  };
}
