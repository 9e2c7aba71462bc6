// The Manage view's "Referrals received" (editors of the receiving organisation): the
// referrals made to its facilities (GET /api/referrals?scope=incoming), open ones
// first, each answered in place — accepted, service provided, declined with a reason
// from the fixed list, or no show (POST /api/referrals/{id}/status). Only the legal next
// steps are offered; the server checks the role and the transition again. There is no
// free-text field.

import { h, clear } from '../lib/dom.js';
import { t, localName } from '../lib/i18n.js';
import { formatDate } from '../lib/format.js';
import { api } from '../lib/api.js';
import { log, nextStatuses, statusText, DECLINE_REASONS } from '../lib/referral-log.js';

const OPEN = ['made', 'accepted'];

/** Fills `el` with the organisation's incoming referrals (`errorText` words a failure). */
export async function loadIncoming(el, { errorText }) {
  let list;
  let facilities;
  let orgs;
  try {
    [list, facilities, orgs] = await Promise.all([
      log.referrals('incoming'), api.facilities({}), log.organisations().catch(() => ({ organisations: [] })),
    ]);
  } catch (err) {
    clear(el);
    el.append(h('h3', { text: t('incoming.heading') }), h('p', { class: 'error', text: errorText(err) }));
    return;
  }
  const names = new Map((facilities.features || []).map((f) => [f.properties?.id, localName(f.properties) || f.properties?.name]));
  // The referring organisations by name (their ids when unknown).
  for (const o of orgs.organisations || []) names.set(`org:${o.id}`, localName(o) || o.names?.en || o.id);
  const referrals = [...(list.referrals || [])]
    .sort((a, b) => Number(!OPEN.includes(a.status)) - Number(!OPEN.includes(b.status)) || b.id - a.id)
    .slice(0, 100);
  clear(el);
  el.append(
    h('h3', { text: t('incoming.heading') }),
    h('p', { class: 'hint', text: t('incoming.intro') }),
    referrals.length ? h('ol', { class: 'mg-list' }, referrals.map((r) => item(r, names, errorText)))
      : h('p', { class: 'hint mg-none', text: t('incoming.none') }));
}

function item(r, names, errorText) {
  const result = h('p', { class: 'mg-result', role: 'status' });
  const state = h('span', { class: 'hint mg-state', text: statusText(r) });
  const actions = h('div', { class: 'actions' });
  const li = h('li', { class: 'mg-item', dataset: { referral: String(r.id), status: r.status } },
    h('div', { class: 'mg-row' },
      h('span', { class: 'mg-name', text: `#${r.id} · ${names.get(r.to_facility) || r.to_facility} · ${t(`sector.${r.sector}`)}` }),
      state),
    h('p', { class: 'hint', text: t('incoming.made', { date: formatDate(r.made_on), from: names.get(`org:${r.from_organisation}`) || r.from_organisation }) }),
    h('p', { class: 'hint', text: r.consent_to_share ? t('incoming.consentYes') : t('incoming.consentNo') }),
    actions, result);
  const draw = (current) => {
    li.dataset.status = current.status;
    state.textContent = statusText(current);
    clear(actions);
    for (const next of nextStatuses(current.status)) {
      if (next === 'declined') actions.append(declineForm(current, done));
      else {
        actions.append(h('button', {
          type: 'button', class: next === 'accepted' || next === 'service_provided' ? null : 'secondary',
          dataset: { next }, text: t(`incoming.to.${next}`),
          onclick: () => answer(current, { status: next }),
        }));
      }
    }
  };
  async function answer(current, body) {
    actions.setAttribute('aria-busy', 'true');
    try {
      const after = await log.setStatus(current.id, body);
      result.textContent = t('incoming.done', { id: after.id, status: statusText(after) });
      draw(after);
    } catch (err) {
      result.textContent = errorText(err);
    } finally {
      actions.removeAttribute('aria-busy');
    }
  }
  function done(current, reason) {
    return answer(current, { status: 'declined', reason });
  }
  draw(r);
  return li;
}

/** Decline: the reason from the fixed list, then the button. */
function declineForm(r, decline) {
  const id = `mg-decline-${r.id}`;
  const select = h('select', { id, name: 'reason' },
    h('option', { value: '', text: t('incoming.pickReason') }),
    DECLINE_REASONS.map((x) => h('option', { value: x, text: t(`coord.reason.${x}`) })));
  const button = h('button', {
    type: 'button', class: 'secondary', dataset: { next: 'declined' }, text: t('incoming.to.declined'),
    onclick: () => {
      if (!select.value) {
        select.setAttribute('aria-invalid', 'true');
        select.focus();
        return;
      }
      decline(r, select.value);
    },
  });
  return h('span', { class: 'mg-decline' }, h('label', { for: id, class: 'visually-hidden', text: t('incoming.reasonLabel') }), select, button);
}
