// The caseworker view's referral slip: one model of what is handed over (place, needs,
// the services found; a confidential shelter as the server sent it, masked for the
// public or marked "do not share the address" when exact), rendered as plain text
// (Copy button) and as a printable block (#referral-slip, shown only by the print
// style sheet).

import { h, append, clear } from '../lib/dom.js';
import { t, localName } from '../lib/i18n.js';
import { formatKm, formatBand, formatHours, formatDate, formatDateTime, formatCoord, olderThanMonths } from '../lib/format.js';
import { evaluate } from '../lib/opening-hours.js';
import { COUNTRY_TIME_ZONES, FEATURE_FLAGS } from '../lib/config.js';

/**
 * The words for an opening state from `evaluate` (or `{ state: 'unknown' }`); `closed`
 * words a closed one (the result card adds when it opens next).
 */
export function hoursText(hours, closed = t('hours.closed')) {
  if (hours.is247) return t('hours.always');
  if (hours.state === 'open') return hours.until ? t('hours.openUntil', { time: hours.until }) : t('hours.open');
  return hours.state === 'closed' ? closed : t('hours.unknown');
}

function hoursLine(p, now) {
  if (!p.opening_hours) return t('hours.unknown');
  const ev = evaluate(p.opening_hours, now, COUNTRY_TIME_ZONES[p.country]);
  const status = hoursText(ev);
  return ev.is247 ? status : `${formatHours(p.opening_hours)} (${status})`;
}

/**
 * A public caller's stand-in for a confidential shelter: no geometry, no address, no
 * phone, only the hotline and a distance band.
 */
export function isMasked(facility) {
  return !facility?.geometry && !!(facility?.properties?.confidential);
}

/** A confidential shelter shown exactly (to a caseworker or above): its address must not be passed on. */
export function isConfidentialExact(facility) {
  return !!facility?.geometry && facility?.properties?.confidential === true;
}

/** The name to show: the translated "Confidential shelter" for a masked entry. */
export function displayName(facility) {
  return isMasked(facility) ? t('result.maskedName') : localName(facility?.properties);
}

function distanceText(item) {
  if (typeof item.distance_m === 'number') return formatKm(item.distance_m);
  if (item.distance_band) return formatBand(item);
  return '';
}

/** A plain, structured description of the referral; shared by text and print. */
export function referralModel({ place, point, filters, svcLang, groups, demo, now = new Date() }) {
  const needs = filters.map((c) => t(`filter.${c}`));
  if (svcLang) needs.push(`${t('cw.svcLang')}: ${t(`language.${svcLang}`)}`);
  const placeText = point
    ? `${place ? `${place} ` : ''}(${formatCoord(point.lat)}, ${formatCoord(point.lon)})`
    : '';
  return {
    title: t('referral.title'),
    created: t('referral.created', { date: formatDateTime(now) }),
    demo: demo ? t('referral.demo') : null,
    place: placeText,
    needs: needs.length ? needs.join('; ') : t('referral.noNeeds'),
    sectors: groups.map((g) => ({
      name: t(`sector.${g.sector}`),
      entries: g.results.map((item) => {
        const p = item.facility?.properties || {};
        const confidential = !item.facility?.geometry && (p.confidential || item.distance_band);
        const exact = isConfidentialExact(item.facility);
        const lines = [];
        if (confidential) lines.push(t('result.confidential'));
        const phone = p.phone || p.hotline;
        if (phone) lines.push(`${t(p.phone ? 'result.phone' : 'result.hotline')}: ${phone}`);
        if (p.hotline && p.phone && p.hotline !== p.phone) lines.push(`${t('result.hotline')}: ${p.hotline}`);
        lines.push(`${t('result.hours')}: ${hoursLine(p, now)}`);
        // What the service offers and how it can be reached decide the referral (CMR/PEP
        // within 72 h, female staff, no police report): the slip says so, as the card does.
        if (p.services?.length) lines.push(`${t('result.services')}: ${p.services.map((c) => t(`service.${c}`)).join(', ')}`);
        const access = FEATURE_FLAGS.filter((k) => p[k] === true).map((k) => t(`feature.${k}`));
        if (access.length) lines.push(`${t('result.features')}: ${access.join(', ')}`);
        if (!confidential && p.address) lines.push(`${t('result.address')}: ${p.address}`);
        if (p.languages?.length) lines.push(`${t('result.languages')}: ${p.languages.map((c) => t(`language.${c}`)).join(', ')}`);
        if (p.verified_at) {
          lines.push(t(olderThanMonths(p.verified_at, 6, now) ? 'result.verifiedOld' : 'result.verified', { date: formatDate(p.verified_at) }));
        } else lines.push(t('result.notVerified'));
        return {
          n: item.n,
          name: item.name || displayName(item.facility),
          warning: exact ? t('result.confidentialExact') : null,
          organisation: p.organisation || '',
          distance: distanceText(item),
          lines,
        };
      }),
    })),
  };
}

export function referralText(model) {
  const out = [model.title.toUpperCase(), model.created];
  if (model.demo) out.push(model.demo);
  out.push('', `${t('referral.place')}: ${model.place}`, `${t('referral.needs')}: ${model.needs}`, '');
  for (const s of model.sectors) {
    out.push(`${s.name}:`);
    if (!s.entries.length) out.push(`  ${t('referral.none')}`);
    for (const e of s.entries) {
      const head = [e.name, e.organisation].filter(Boolean).join(' — ');
      out.push(`  ${e.n}. ${head}${e.distance ? ` (${e.distance})` : ''}`);
      if (e.warning) out.push(`     ${e.warning.toUpperCase()}`);
      for (const line of e.lines) out.push(`     ${line}`);
    }
    out.push('');
  }
  out.push(`${t('referral.notes')}:`);
  return out.join('\n');
}

export function renderSlip(el, model) {
  clear(el);
  append(el, [
    h('h1', { text: model.title }),
    h('p', { class: 'slip-created', text: model.created }),
    model.demo ? h('p', { class: 'slip-demo', text: model.demo }) : null,
    h('dl', {},
      h('dt', { text: t('referral.place') }), h('dd', { text: model.place }),
      h('dt', { text: t('referral.needs') }), h('dd', { text: model.needs })),
    h('h2', { text: t('referral.services') }),
    model.sectors.map((s) => h('section', { class: 'slip-sector' },
      h('h3', { text: s.name }),
      s.entries.length
        ? h('ol', {}, s.entries.map((e) => h('li', { value: String(e.n) },
          h('strong', { text: e.name }),
          e.organisation ? ` — ${e.organisation}` : '',
          e.distance ? ` (${e.distance})` : '',
          h('br'),
          e.warning ? [h('strong', { class: 'slip-confidential', text: e.warning }), h('br')] : null,
          e.lines.map((line, i) => [i ? h('br') : null, line]))))
        : h('p', { text: t('referral.none') }))),
    h('h2', { text: t('referral.notes') }),
    h('div', { class: 'slip-notes' }),
  ]);
}
