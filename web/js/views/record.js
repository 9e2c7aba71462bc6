// Recording from the caseworker's nearest answer (signed-in staff of an organisation
// only; the public never gets these controls): "Record referral" on a result card (to
// that facility, for that sector: the day and the survivor's consent to share, yes or
// no) and "Record unmet need" for the answer as a whole (the sectors with no
// appropriate service listed, the needs ticked in the filters, the district of the
// answer's `area`, the day). The forms have no free-text field: nothing about the
// person can be typed in. The server checks every role again.

import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { FILTERS } from '../lib/config.js';
import { formatDate } from '../lib/format.js';
import { log, today, unmetNeedBody } from '../lib/referral-log.js';

let formSeq = 0;

function errorText(err) {
  if (err?.code === 'network') return t('error.network');
  return t('error.api', { message: err?.message || String(err) });
}

/** A date input limited to the past (default today). */
function dayInput(id) {
  const day = today();
  return h('input', { type: 'date', id, name: 'day', value: day, max: day, required: true, dataset: { today: day } });
}

/**
 * The day to send: none when it is still the default (the server takes its own today:
 * in Central Asia the browser's date runs up to six hours ahead of the server's UTC
 * one, which would refuse it as a day in the future).
 */
function chosenDay(input) {
  return input.value && input.value !== input.dataset.today ? input.value : undefined;
}

/** "Record referral" on a result card: a toggle opening the small form in place. */
export function referralControl({ facilityId, sector, facilityName }) {
  const box = h('div', { class: 'record-referral' });
  const done = h('p', { class: 'record-done', role: 'status' });
  const toggle = h('button', {
    type: 'button', class: 'secondary record-toggle', 'aria-expanded': 'false', text: t('record.referral'),
    onclick: () => {
      const open = box.querySelector('form');
      if (open) {
        open.remove();
        toggle.setAttribute('aria-expanded', 'false');
        return;
      }
      done.textContent = '';
      box.insertBefore(referralForm({ facilityId, sector, facilityName }, (referral) => {
        toggle.setAttribute('aria-expanded', 'false');
        if (!referral) return;
        done.textContent = t('record.referralDone', { id: referral.id, date: formatDate(referral.made_on) });
        toggle.focus();
      }), done);
      toggle.setAttribute('aria-expanded', 'true');
      box.querySelector('form input')?.focus();
    },
  });
  box.append(toggle, done);
  return box;
}

function referralForm({ facilityId, sector, facilityName }, onDone) {
  const id = `rr-${++formSeq}`;
  const day = dayInput(`${id}-day`);
  const consentName = `${id}-consent`;
  const radio = (value, key) => h('label', { class: 'check-inline' },
    h('input', { type: 'radio', name: consentName, value, required: true }), h('span', { text: t(key) }));
  const error = h('p', { class: 'error form-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'record-form', novalidate: true, dataset: { facilityId } },
    h('p', { class: 'record-what', text: t('record.referralTo', { name: facilityName, sector: t(`sector.${sector}`) }) }),
    h('div', { class: 'field' }, h('label', { for: day.id, text: t('record.day') }), day),
    h('fieldset', { class: 'record-consent' },
      h('legend', { text: t('record.consent') }),
      radio('yes', 'record.consentYes'), radio('no', 'record.consentNo')),
    h('p', { class: 'hint', text: t('record.nothingPersonal') }),
    error,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', text: t('record.save') }),
      h('button', { type: 'button', class: 'secondary', text: t('account.cancel'), onclick: () => { form.remove(); onDone(null); } })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    const consent = form.querySelector(`input[name="${consentName}"]:checked`)?.value;
    if (!consent) {
      error.textContent = t('record.consentNeeded');
      error.hidden = false;
      form.querySelector(`input[name="${consentName}"]`).focus();
      return;
    }
    form.setAttribute('aria-busy', 'true');
    try {
      const referral = await log.refer({
        to_facility: facilityId, sector, made_on: chosenDay(day), consent_to_share: consent === 'yes',
      });
      form.remove();
      onDone(referral);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

/**
 * "Record unmet need" for the answer: the sectors searched, those with nothing listed
 * ticked already; the needs and the district are the answer's, shown, not editable.
 * `area` is the nearest answer's `{ code, name, level }`.
 */
export function unmetNeedControl({ groups, area, filters, svcLang }) {
  const id = `un-${++formSeq}`;
  const needs = [
    ...FILTERS.filter((f) => filters.includes(f.code)).map((f) => t(`filter.${f.code}`)),
    svcLang ? t(`language.${svcLang}`) : null,
  ].filter(Boolean);
  const boxes = groups.map((g) => h('label', { class: 'check-inline' },
    h('input', { type: 'checkbox', name: 'sector', value: g.sector, checked: !g.results.length }),
    h('span', { text: t(`sector.${g.sector}`) })));
  const day = dayInput(`${id}-day`);
  const status = h('p', { class: 'record-done', role: 'status' });
  const form = h('form', { class: 'record-form record-unmet', novalidate: true, 'aria-labelledby': `${id}-h` },
    h('h3', { id: `${id}-h`, text: t('record.unmetHeading') }),
    h('p', { class: 'hint', text: t('record.unmetIntro') }),
    h('fieldset', {}, h('legend', { text: t('record.unmetSectors') }), boxes),
    h('p', { class: 'record-what', text: t('record.unmetWhere', { area: area.name || area.code }) }),
    h('p', { class: 'record-what', text: needs.length ? t('record.unmetNeeds', { needs: needs.join(', ') }) : t('record.unmetNoNeeds') }),
    h('div', { class: 'field' }, h('label', { for: day.id, text: t('record.day') }), day),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('record.unmet') })),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const sectors = [...form.querySelectorAll('input[name="sector"]:checked')].map((b) => b.value);
    if (!sectors.length) {
      status.textContent = t('record.unmetNoSector');
      return;
    }
    form.setAttribute('aria-busy', 'true');
    const recorded = [];
    try {
      for (const sector of sectors) {
        recorded.push(await log.recordUnmet(unmetNeedBody({ sector, area: area.code, filters, svcLang, day: chosenDay(day) })));
      }
      status.textContent = t('record.unmetDone', {
        sectors: recorded.map((r) => t(`sector.${r.sector}`)).join(', '), area: area.name || area.code,
      });
      form.querySelectorAll('input[name="sector"]').forEach((b) => { b.checked = false; });
    } catch (err) {
      status.textContent = recorded.length
        ? `${t('record.unmetPartly', { n: recorded.length })} ${errorText(err)}` : errorText(err);
    } finally {
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}
