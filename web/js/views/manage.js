// Manage view (signed-in agency editors, planners and administrators): an editor keeps
// her organisation's services current (edit forms whose changes go to review as
// proposals, or publish at once for a trusted organisation), confirms the records due
// for verification, and answers the problems the public reported; a coordinator
// (planner) works the review queue with the record before and after side by side and
// answers every organisation's reports. Everything goes through the stewardship API
// (GET/PUT /api/facilities/{id}, /api/proposals, /api/organisations/{id}/due|verify,
// /api/reports); nothing here decides what a role may do: the server does.

import { api, ApiError } from '../lib/api.js';
import { h, clear, append, $ } from '../lib/dom.js';
import { t, localName } from '../lib/i18n.js';
import { formatDate } from '../lib/format.js';
import { FEATURE_FLAGS } from '../lib/config.js';

/** Roles that see the Manage view. */
export const MANAGING_ROLES = ['editor', 'planner', 'admin'];

/** The fields an editor changes in the form, in order; `kind` says how. */
export const EDITABLE = [
  { key: 'name', kind: 'text' },
  { key: 'phone', kind: 'text' },
  { key: 'address', kind: 'text' },
  { key: 'opening_hours', kind: 'text' },
  { key: 'status', kind: 'status' },
  ...FEATURE_FLAGS.map((key) => ({ key, kind: 'flag' })),
];
const STATUSES = ['active', 'temporarily_closed', 'closed'];

/** The fields whose values differ between two GeoJSON features' properties. */
export function changedFields(before, after) {
  const a = before?.properties || {};
  const b = after?.properties || {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => !['updated_at', 'created_at'].includes(k));
  const same = (x, y) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
  const geometry = !same(before?.geometry, after?.geometry) ? ['geometry'] : [];
  return [...keys.filter((k) => !same(a[k], b[k])).sort(), ...geometry];
}

function show(value) {
  if (value === undefined || value === null || value === '') return '–';
  if (typeof value === 'boolean') return value ? t('manage.yes') : t('manage.no');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function initManage({ root, account }) {
  const els = {
    status: $('#mg-status', root),
    services: $('#mg-services', root),
    due: $('#mg-due', root),
    queue: $('#mg-queue', root),
    reports: $('#mg-reports', root),
    freshness: $('#mg-freshness', root),
    incoming: $('#mg-incoming', root),
  };
  let active = false;
  let seq = 0;

  function errorText(err) {
    if (err instanceof ApiError && err.status === 422) return t('manage.invalid', { message: err.message });
    if (err?.code === 'network') return t('error.network');
    return t('error.api', { message: err?.message || String(err) });
  }

  const section = (el, titleKey, ...content) => {
    clear(el);
    append(el, [h('h3', { text: t(titleKey) }), content]);
  };

  async function load() {
    const mine = ++seq;
    const me = account.me || {};
    const role = account.role();
    const org = me.organisation || null;
    root.setAttribute('aria-busy', 'true');
    els.status.textContent = t('manage.loading');
    const tasks = [];
    // An editor's own services and what is due; a planner with an organisation too.
    if (org) tasks.push(loadServices(org), loadDue(org), loadIncoming());
    else {
      clear(els.services);
      clear(els.due);
      clear(els.incoming);
    }
    if (role === 'planner' || role === 'admin') tasks.push(loadQueue(), loadFreshness());
    else {
      clear(els.freshness);
      if (org) tasks.push(loadProposals());
    }
    tasks.push(loadReports());
    await Promise.all(tasks.map((p) => p.catch(() => {})));
    if (mine !== seq) return;
    root.removeAttribute('aria-busy');
    els.status.textContent = org ? t('manage.forOrganisation', { organisation: org }) : t('manage.forAll');
    root.dataset.loaded = 'true';
  }

  // --- my organisation's services, each with an edit form
  async function loadServices(org) {
    let fc;
    try {
      fc = await api.facilities({});
    } catch (err) {
      section(els.services, 'manage.servicesHeading', h('p', { class: 'error', text: errorText(err) }));
      return;
    }
    const mine = (fc.features || []).filter((f) => f.properties?.organisation_id === org)
      .sort((a, b) => String(a.properties.name).localeCompare(String(b.properties.name)));
    section(els.services, 'manage.servicesHeading',
      mine.length ? h('ul', { class: 'mg-list' }, mine.map(serviceItem))
        : h('p', { class: 'hint', text: t('manage.noServices') }));
  }

  function serviceItem(feature) {
    const p = feature.properties;
    const li = h('li', { class: 'mg-item', dataset: { facilityId: p.id } });
    const status = h('p', { class: 'mg-result', role: 'status' });
    const edit = h('button', {
      type: 'button', class: 'secondary', 'aria-expanded': 'false',
      text: t('manage.edit'),
      onclick: () => {
        const open = li.querySelector('form');
        if (open) {
          open.remove();
          edit.setAttribute('aria-expanded', 'false');
          return;
        }
        li.append(editForm(feature, status, () => {
          edit.setAttribute('aria-expanded', 'false');
          edit.focus();
        }));
        edit.setAttribute('aria-expanded', 'true');
        li.querySelector('form input')?.focus();
      },
    });
    li.append(
      h('div', { class: 'mg-row' },
        h('span', { class: 'mg-name', text: localName(p) || p.name }),
        h('span', { class: 'hint', text: p.verified_at ? t('result.verified', { date: formatDate(p.verified_at) }) : t('result.notVerified') }),
        edit),
      status);
    return li;
  }

  function editForm(feature, statusEl, done) {
    const p = feature.properties;
    const id = (key) => `mg-${p.id}-${key}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const fields = EDITABLE.map((f) => {
      const label = t(f.kind === 'flag' ? `feature.${f.key}` : `manage.field.${f.key}`);
      if (f.kind === 'flag') {
        return h('label', { class: 'check-inline' },
          h('input', { type: 'checkbox', id: id(f.key), name: f.key, checked: p[f.key] === true }), h('span', { text: label }));
      }
      if (f.kind === 'status') {
        const select = h('select', { id: id(f.key), name: f.key },
          STATUSES.map((s) => h('option', { value: s, text: t(`manage.statusValue.${s}`) })));
        select.value = p.status || 'active';
        return h('div', { class: 'field' }, h('label', { for: id(f.key), text: label }), select);
      }
      const input = h('input', { type: 'text', id: id(f.key), name: f.key });
      input.value = p[f.key] ?? '';
      return h('div', { class: 'field' }, h('label', { for: id(f.key), text: label }), input);
    });
    const error = h('p', { class: 'error form-error', role: 'alert', hidden: true });
    const form = h('form', { class: 'mg-form', novalidate: true },
      fields, error,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', text: t('manage.save') }),
        h('button', { type: 'button', class: 'secondary', text: t('account.cancel'), onclick: () => { form.remove(); done(); } })));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const props = { ...p };
      for (const f of EDITABLE) {
        const input = form.elements[f.key];
        if (f.kind === 'flag') props[f.key] = input.checked;
        else {
          const value = input.value.trim();
          props[f.key] = value === '' && f.key !== 'name' ? null : value;
        }
      }
      form.setAttribute('aria-busy', 'true');
      try {
        const answer = await api.putFacility(p.id, { ...feature, properties: props });
        const proposal = answer && typeof answer.id === 'number' && answer.status;
        statusEl.textContent = proposal && answer.status === 'pending'
          ? t('manage.proposed', { id: answer.id }) : t('manage.saved');
        form.remove();
        done();
        if (!proposal || answer.status !== 'pending') Object.assign(p, props);
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      } finally {
        form.removeAttribute('aria-busy');
      }
    });
    return form;
  }

  // --- referrals received (views/incoming-referrals.js, fetched when first needed)
  async function loadIncoming() {
    try {
      const { loadIncoming: load } = await import('./incoming-referrals.js');
      await load(els.incoming, { errorText });
    } catch (err) {
      section(els.incoming, 'incoming.heading', h('p', { class: 'error', text: errorText(err) }));
    }
  }

  // --- verification due
  async function loadDue(org) {
    let list;
    try {
      list = await api.due(org);
    } catch (err) {
      section(els.due, 'manage.dueHeading', h('p', { class: 'error', text: errorText(err) }));
      return;
    }
    const result = h('p', { class: 'mg-result', role: 'status' });
    const verify = async (ids) => {
      try {
        const answer = await api.verify(org, ids ? { ids } : {});
        result.textContent = t('manage.verified', { count: answer.ids.length, n: answer.ids.length, date: formatDate(answer.verified_at) });
        await loadDue(org);
        els.due.querySelector('.mg-result').textContent = result.textContent;
      } catch (err) {
        result.textContent = errorText(err);
      }
    };
    section(els.due, 'manage.dueHeading',
      h('p', { class: 'hint', text: t('manage.dueIntro', { days: list.verification_max_age_days }) }),
      list.due.length
        ? [h('button', { type: 'button', id: 'mg-verify-all', text: t('manage.verifyAll', { count: list.due.length, n: list.due.length }), onclick: () => verify(null) }),
          h('ul', { class: 'mg-list' }, list.due.map((d) => h('li', { class: 'mg-item mg-row', dataset: { facilityId: d.id } },
            h('span', { class: 'mg-name', text: d.name }),
            h('span', { class: 'hint', text: d.verified_at ? t('result.verified', { date: formatDate(d.verified_at) }) : t('result.notVerified') }),
            h('button', { type: 'button', class: 'secondary', text: t('manage.verifyOne'), onclick: () => verify([d.id]) }))))]
        : h('p', { class: 'hint mg-none', text: t('manage.noneDue') }),
      result);
  }

  // --- proposals: the review queue (planner) or the editor's own, with the reasons
  async function loadQueue() {
    let pending;
    let published;
    try {
      [pending, published] = await Promise.all([api.proposals({ status: 'pending' }), api.proposals({ status: 'published' })]);
    } catch (err) {
      section(els.queue, 'manage.queueHeading', h('p', { class: 'error', text: errorText(err) }));
      return;
    }
    const open = [...pending.proposals, ...published.proposals.filter((p) => !p.decided_by)];
    section(els.queue, 'manage.queueHeading',
      open.length ? h('ol', { class: 'mg-list' }, open.map(proposalItem))
        : h('p', { class: 'hint mg-none', text: t('manage.queueEmpty') }));
  }

  async function loadProposals() {
    let list;
    try {
      list = await api.proposals({});
    } catch (err) {
      section(els.queue, 'manage.myProposalsHeading', h('p', { class: 'error', text: errorText(err) }));
      return;
    }
    section(els.queue, 'manage.myProposalsHeading',
      list.proposals.length ? h('ol', { class: 'mg-list' }, list.proposals.slice(0, 20).map((p) => h('li', { class: 'mg-item', dataset: { proposal: String(p.id) } },
        h('span', { text: `#${p.id} ${p.after?.properties?.name || p.facility_id} · ${t(`manage.proposalStatus.${p.status}`)}` }),
        p.reason ? h('p', { class: 'hint', text: t('manage.reason', { reason: p.reason }) }) : null)))
        : h('p', { class: 'hint mg-none', text: t('manage.noProposals') }));
  }

  function proposalItem(p) {
    const changed = changedFields(p.before, p.after);
    const before = p.before?.properties || {};
    const after = p.after?.properties || {};
    const result = h('p', { class: 'mg-result', role: 'status' });
    const reason = h('input', { type: 'text', id: `mg-reason-${p.id}`, maxlength: '2000' });
    const decide = async (how) => {
      try {
        const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
        const answer = how === 'approve' ? await api.approve(p.id, body) : await api.reject(p.id, body);
        result.textContent = t(`manage.decided.${answer.status}`, { id: p.id });
        li.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      } catch (err) {
        result.textContent = errorText(err);
      }
    };
    const li = h('li', { class: 'mg-item', dataset: { proposal: String(p.id) } },
      h('p', { class: 'mg-name', text: `#${p.id} · ${after.name || p.facility_id} · ${t(`manage.kind.${p.kind}`)} · ${p.proposer}` }),
      p.status === 'published' ? h('p', { class: 'hint', text: t('manage.publishedNote') }) : null,
      h('table', { class: 'data-table mg-diff' },
        h('caption', { class: 'visually-hidden', text: t('manage.diffCaption', { id: p.id }) }),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: t('manage.field.field') }),
          h('th', { scope: 'col', text: t('manage.before') }),
          h('th', { scope: 'col', text: t('manage.after') }))),
        h('tbody', {}, (changed.length ? changed : ['name']).map((k) => h('tr', { class: changed.includes(k) ? 'changed' : null },
          h('th', { scope: 'row', text: k }),
          h('td', { text: k === 'geometry' ? show(p.before?.geometry?.coordinates) : show(before[k]) }),
          h('td', { text: k === 'geometry' ? show(p.after?.geometry?.coordinates) : show(after[k]) }))))),
      h('div', { class: 'field' }, h('label', { for: reason.id, text: t('manage.reasonLabel') }), reason),
      h('div', { class: 'actions' },
        h('button', { type: 'button', text: t(p.status === 'published' ? 'manage.markReviewed' : 'manage.approve'), onclick: () => decide('approve') }),
        p.status === 'pending' ? h('button', { type: 'button', class: 'secondary', text: t('manage.reject'), onclick: () => decide('reject') }) : null),
      result);
    return li;
  }

  // --- freshness (coordinator): overdue records per organisation, sector and region,
  // and the list to chase as CSV
  async function loadFreshness() {
    let f;
    try {
      f = await api.freshness();
    } catch (err) {
      section(els.freshness, 'manage.freshnessHeading', h('p', { class: 'error', text: errorText(err) }));
      return;
    }
    const table = (key, rows) => h('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': t(`manage.freshnessBy.${key}`) },
      h('table', { class: 'data-table', dataset: { by: key } },
        h('caption', { text: t(`manage.freshnessBy.${key}`) }),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: t(`manage.freshnessCol.${key}`) }),
          h('th', { scope: 'col', class: 'num-cell', text: t('manage.freshnessCol.facilities') }),
          h('th', { scope: 'col', class: 'num-cell', text: t('manage.freshnessCol.overdue') }),
          h('th', { scope: 'col', text: t('manage.freshnessCol.last') }))),
        h('tbody', {}, [...rows].sort((a, b) => b.overdue - a.overdue || String(a.group).localeCompare(String(b.group)))
          .map((r) => h('tr', { dataset: { group: r.group } },
            h('th', { scope: 'row', text: key === 'sectors' ? t(`sector.${r.group}`) : r.group }),
            h('td', { class: 'num-cell', text: String(r.facilities) }),
            h('td', { class: 'num-cell', text: String(r.overdue) }),
            h('td', { text: r.last_verified ? formatDate(r.last_verified) : '–' }))))));
    section(els.freshness, 'manage.freshnessHeading',
      h('p', { class: 'hint', text: t('manage.dueIntro', { days: f.verification_max_age_days }) }),
      h('a', { class: 'button-link secondary', id: 'mg-chase-csv', href: '/api/freshness?format=csv', download: 'tirek-overdue.csv', text: t('manage.chaseCsv') }),
      table('organisations', f.organisations), table('sectors', f.sectors), table('regions', f.regions));
  }

  // --- problem reports from the public
  async function loadReports() {
    let list;
    try {
      list = await api.reports({ status: 'open' });
    } catch (err) {
      section(els.reports, 'manage.reportsHeading', h('p', { class: 'error', text: errorText(err) }));
      return;
    }
    section(els.reports, 'manage.reportsHeading',
      list.reports.length ? h('ol', { class: 'mg-list' }, list.reports.map(reportItem))
        : h('p', { class: 'hint mg-none', text: t('manage.noReports') }));
  }

  function reportItem(r) {
    const result = h('p', { class: 'mg-result', role: 'status' });
    const note = h('input', { type: 'text', id: `mg-note-${r.id}`, maxlength: '2000' });
    const decide = async (how) => {
      try {
        const body = note.value.trim() ? { note: note.value.trim() } : {};
        const answer = await api.decideReport(r.id, how, body);
        result.textContent = t(`manage.reportDecided.${answer.status}`);
        li.querySelectorAll('button').forEach((b) => { b.disabled = true; });
      } catch (err) {
        result.textContent = errorText(err);
      }
    };
    const li = h('li', { class: 'mg-item', dataset: { report: String(r.id) } },
      h('p', { class: 'mg-name', text: `${r.facility_id} · ${t(`report.kind.${r.kind}`)}` }),
      r.text ? h('p', { class: 'mg-quote', text: r.text }) : null,
      h('p', { class: 'hint', text: formatDate(String(r.created_at).slice(0, 10)) }),
      h('div', { class: 'field' }, h('label', { for: note.id, text: t('manage.noteLabel') }), note),
      h('div', { class: 'actions' },
        h('button', { type: 'button', text: t('manage.resolve'), onclick: () => decide('resolve') }),
        h('button', { type: 'button', class: 'secondary', text: t('manage.dismiss'), onclick: () => decide('dismiss') })),
      result);
    return li;
  }

  return {
    activate() {
      active = true;
      return load();
    },
    deactivate() {
      active = false;
    },
    refresh() {
      return active ? load() : Promise.resolve();
    },
    rerender() {
      if (active) load();
    },
  };
}
