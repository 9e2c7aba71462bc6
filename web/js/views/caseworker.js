// Caseworker view: pick a place (map click, settlement search or the map centre),
// choose the survivor's needs, and list the nearest appropriate services of every
// sector from GET /api/nearest, with lines on the map and a referral slip.

import { api } from '../lib/api.js';
import { geodesic } from '../lib/offline.js';
import * as offline from '../lib/offline.js';
import { h, append, clear, $, telLink } from '../lib/dom.js';
import { t, localName, intlLocale } from '../lib/i18n.js';
import {
  FILTERS, SERVICE_LANGUAGES, K_CHOICES, FEATURE_FLAGS, COUNTRY_TIME_ZONES, sectorColor,
} from '../lib/config.js';
import { roundCoord, shareLink } from '../lib/url-state.js';
import { evaluate, nextOpening } from '../lib/opening-hours.js';
import { formatKm, formatBand, formatBandParts, formatHours, formatDate, olderThanMonths, formatCoord, formatMinutes, scenarioLabel } from '../lib/format.js';
import { initSearch } from '../lib/search.js';
import {
  referralModel, referralText, renderSlip, isConfidentialExact, displayName, hoursText,
} from './referral.js';
import { referralControl, unmetNeedControl } from './record.js';

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

export function initCaseworker({
  root, map, state, sectors, demo, onStateChange, onOffline = () => {}, canRecord = () => false,
}) {
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
  let answerArea = null; // the nearest answer's admin area (signed-in staff only)

  // --- survivor-need filters: in the page (painted before any script runs), wired here;
  // one checkbox per FILTERS entry, in that order, whatever the page holds.
  const filterBox = $('#cw-filters', root);
  const boxes = [...filterBox.querySelectorAll('input[name="need"]')];
  if (boxes.map((b) => b.value).join() !== FILTERS.map((f) => f.code).join()) {
    throw new Error(`index.html's need filters (${boxes.map((b) => b.value)}) differ from FILTERS`);
  }
  for (const box of boxes) {
    box.addEventListener('change', () => {
      state.filters = FILTERS.map((x) => x.code).filter((c) => (c === box.value ? box.checked : state.filters.includes(c)));
      onStateChange();
      run();
    });
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
    run({ reveal: true });
  }

  // A map point is named by the nearest settlement ("3 km from Shymkent"), for the card
  // and the referral slip; never kept in the URL. WGS84 geodesic, like every distance.
  let near = null; // { lon, lat, name, distance_m }
  async function nameNearPoint() {
    const { lon, lat } = state;
    if (lon === null || state.place || (near && near.lon === lon && near.lat === lat)) return;
    near = null;
    const candidates = (map.settlementFeatures?.() || [])
      .map((f) => ({ f, d: Math.hypot((f.geometry.coordinates[0] - lon) * Math.cos((lat * Math.PI) / 180), f.geometry.coordinates[1] - lat) }))
      .sort((a, b) => a.d - b.d).slice(0, 8);
    if (!candidates.length) return;
    let g;
    try {
      g = await geodesic();
    } catch {
      return;
    }
    let best = null;
    for (const { f } of candidates) {
      const [x, y] = f.geometry.coordinates;
      const s12 = g.Geodesic.WGS84.Inverse(lat, lon, y, x).s12;
      if (!best || s12 < best.distance_m) best = { f, distance_m: s12 };
    }
    if (state.lon !== lon || state.lat !== lat || !best || best.distance_m > 100000) return;
    near = { lon, lat, props: best.f.properties || {}, distance_m: best.distance_m };
    renderPlace();
    updateSlip();
  }

  function nearText() {
    if (!near || state.place || near.lon !== state.lon || near.lat !== state.lat) return null;
    const name = localName(near.props);
    return near.distance_m < 1000 ? t('cw.inPlace', { place: name })
      : t('cw.nearPlace', { distance: formatKm(near.distance_m), place: name });
  }

  /** After a new place is chosen, brings the results heading into view if it is not. */
  function revealResults() {
    const title = root.querySelector('.results-title');
    if (!title) return;
    const first = resultsEl.querySelector('li.result, .error, .empty') || title;
    // In view: the heading is not scrolled past and the first card shows enough to read.
    if (title.getBoundingClientRect().top >= 0 && first.getBoundingClientRect().top <= window.innerHeight - 160) return;
    title.scrollIntoView({ block: 'start' });
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

  async function run({ fit = true, reveal = false } = {}) {
    if (controller) controller.abort();
    const mine = ++seq;
    lastError = null;
    if (state.lon === null || state.lat === null) {
      groups = [];
      answerArea = null;
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
      answerArea = offlineAnswer ? null : answers[0]?.area || null;
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
      answerArea = null;
      lastError = err;
    } finally {
      if (mine === seq) resultsEl.removeAttribute('aria-busy');
    }
    render();
    map.showResults({ lon: state.lon, lat: state.lat }, groups.flatMap((g) => g.results), {
      fit, onMarker: focusResult,
    });
    if (reveal && !lastError) revealResults();
    nameNearPoint();
    findOpenAlternatives(mine);
    performance.mark('tirek:results');
  }

  /**
   * For a sector whose every listed service is closed now, the nearest one with the same
   * needs that is open now (from a wider request), named under the sector's results.
   */
  async function findOpenAlternatives(mine) {
    if (lastError) return;
    const now = new Date();
    const requests = nearestRequests(state);
    for (const g of groups) {
      const states = g.results.map((r) => hoursState(r.facility?.properties || {}, now).state);
      if (!states.length || !states.every((st) => st === 'closed')) continue;
      const own = requests.find((r) => r.replaces === g.sector) || requests[0];
      let answer;
      try {
        answer = await api.nearest({ ...own.params, sector: g.sector, k: 50 });
      } catch {
        continue;
      }
      if (mine !== seq) return;
      const shown = new Set(g.results.map((r) => r.facility?.properties?.id));
      const open = (answer?.results || []).find((r) => r.sector === g.sector
        && !shown.has(r.facility?.properties?.id) && hoursState(r.facility?.properties || {}, now).state === 'open');
      g.openAlternative = open ? { ...open, name: displayName(open.facility) } : { none: true, count: (answer?.results || []).length };
      renderOpenAlternative(g);
    }
  }

  function renderOpenAlternative(g) {
    const section = resultsEl.querySelector(`section[data-sector="${g.sector}"]`);
    if (!section) return;
    section.querySelector('.open-alternative')?.remove();
    const alt = g.openAlternative;
    if (!alt) return;
    if (alt.none) {
      section.append(h('p', { class: 'open-alternative warn', text: t('cw.noneOpenNow', { count: alt.count }) }));
      return;
    }
    const p = alt.facility?.properties || {};
    const located = alt.facility?.geometry?.type === 'Point';
    const distance = typeof alt.distance_m === 'number' ? formatKm(alt.distance_m) : alt.distance_band ? formatBand(alt) : '';
    section.append(h('div', { class: 'open-alternative' },
      h('p', { text: t('cw.openNowNearest', { name: alt.name || p.name || '', distance }) }),
      p.phone ? h('p', {}, telLink(p.phone)) : null,
      located ? h('button', {
        type: 'button', class: 'link-button',
        onclick: () => map.flyTo(alt.facility.geometry.coordinates[0], alt.facility.geometry.coordinates[1]),
        text: t('result.showOnMap'),
      }) : null));
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
      const nearby = nearText();
      placeText.textContent = state.place
        ? `${state.place} (${formatCoord(state.lat)}, ${formatCoord(state.lon)})`
        : `${t('cw.pointLabel', { lat: formatCoord(state.lat), lon: formatCoord(state.lon) })}${nearby ? ` · ${nearby}` : ''}`;
    }
  }

  /** The opening state now, and when a closed service opens next. */
  function hoursState(p, now) {
    if (!p.opening_hours) return { state: 'unknown' };
    const zone = COUNTRY_TIME_ZONES[p.country];
    const hours = evaluate(p.opening_hours, now, zone);
    return hours.state === 'closed' ? { ...hours, next: nextOpening(p.opening_hours, now, zone) } : hours;
  }

  function closedLabel(next) {
    if (!next) return t('hours.closed');
    if (next.inDays === 0) return t('hours.opensToday', { time: next.time });
    if (next.inDays === 1) return t('hours.opensTomorrow', { time: next.time });
    // 1 January 2024 was a Monday.
    const day = new Intl.DateTimeFormat(intlLocale(), { weekday: 'long', timeZone: 'UTC' })
      .format(new Date(Date.UTC(2024, 0, 1 + next.weekday)));
    return t('hours.opensOn', { day, time: next.time });
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
      if (g.openAlternative) renderOpenAlternative(g);
    }
    if (canRecord() && answerArea) {
      resultsEl.append(unmetNeedControl({ groups, area: answerArea, filters: state.filters, svcLang: state.svcLang }));
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
    const hours = hoursState(p, now);
    const hoursLabel = hoursText(hours, closedLabel(hours.next));
    const features = FEATURE_FLAGS.filter((k) => p[k] === true).map((k) => t(`feature.${k}`));
    const stale = p.verified_at ? olderThanMonths(p.verified_at, 6, now) : true;
    const rows = [];
    const row = (label, ...value) => rows.push(h('div', { class: 'row' }, h('dt', { text: label }), h('dd', {}, ...value)));
    if (p.phone) row(t('result.phone'), telLink(p.phone));
    if (p.hotline && p.hotline !== p.phone) row(t('result.hotline'), telLink(p.hotline));
    row(t('result.hours'),
      h('span', { class: `hours hours-${hours.state}`, text: hoursLabel }),
      p.opening_hours && !hours.is247 ? h('span', { class: 'hours-text', text: ` · ${formatHours(p.opening_hours)}` }) : null);
    const travel = travelTimes(item);
    if (travel) row(t('result.travel'), travel);
    if (!confidential && p.address) row(t('result.address'), p.address);
    if (p.languages?.length) row(t('result.languages'), p.languages.map((c) => t(`language.${c}`)).join(', '));
    if (p.services?.length) row(t('result.services'), p.services.map((c) => t(`service.${c}`)).join(', '));
    if (features.length) row(t('result.features'), features.join(', '));
    // Programmes for perpetrators (shown only when that sector is asked for by name).
    if (p.victim_support_partner) row(t('result.partner'), p.victim_support_partner);
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
    }) : null,
    located && p.id ? reportProblem(p.id) : null,
    canRecord() && answerArea && p.id
      ? referralControl({ facilityId: p.id, sector: item.sector, facilityName: item.name || p.name || '' }) : null);
  }

  /**
   * "Report a problem with this listing": what is wrong and a few words, sent to the
   * organisation's editors and the coordinators; nothing about the reporter is asked.
   */
  function reportProblem(facilityId) {
    const box = h('div', { class: 'report-problem' });
    const toggle = h('button', {
      type: 'button', class: 'link-button', 'aria-expanded': 'false', text: t('report.open'),
      onclick: () => {
        const form = box.querySelector('form');
        if (form) {
          form.remove();
          toggle.setAttribute('aria-expanded', 'false');
          return;
        }
        box.append(reportForm(facilityId, toggle));
        toggle.setAttribute('aria-expanded', 'true');
        box.querySelector('select')?.focus();
      },
    });
    box.append(toggle);
    return box;
  }

  function reportForm(facilityId, toggle) {
    const id = `report-${String(facilityId).replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const kind = h('select', { id: `${id}-kind`, name: 'kind' },
      ['wrong_phone', 'closed', 'moved', 'other'].map((k) => h('option', { value: k, text: t(`report.kind.${k}`) })));
    const text = h('textarea', { id: `${id}-text`, name: 'text', maxlength: '500', rows: '2' });
    const status = h('p', { class: 'hint', role: 'status' });
    const form = h('form', { class: 'report-form', novalidate: true },
      h('label', { for: kind.id, text: t('report.what') }), kind,
      h('label', { for: text.id, text: t('report.words') }), text,
      h('p', { class: 'hint', text: t('report.noPersonal') }),
      h('button', { type: 'submit', text: t('report.send') }), status);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await api.reportProblem(facilityId, { kind: kind.value, text: text.value.trim() });
        form.replaceChildren(h('p', { class: 'hint', role: 'status', text: t('report.thanks') }));
        toggle.setAttribute('aria-expanded', 'false');
      } catch (err) {
        status.textContent = err.status === 429 ? t('report.tooMany') : t('error.api', { message: err.message });
      }
    });
    return form;
  }

  /**
   * The estimated travel time under each scenario loaded (`travel_minutes_by_scenario`:
   * minutes, or null when not reachable): "45 min on foot · 12 min by road vehicle".
   * None for a confidential service the caller may not locate (the server gives none).
   */
  function travelTimes(item) {
    const times = item.travel_minutes_by_scenario;
    if (!times || !Object.keys(times).length) return null;
    return h('span', { class: 'travel-times' }, Object.entries(times).map(([name, minutes], i) => h('span', {
      class: 'travel-time', dataset: { scenario: name },
      text: `${i ? ' · ' : ''}${minutes == null ? t('travel.unreachable') : formatMinutes(minutes)} ${scenarioLabel(name)}`,
    })));
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
      place: state.place || nearText(), point, filters: state.filters, svcLang: state.svcLang, groups, demo,
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
