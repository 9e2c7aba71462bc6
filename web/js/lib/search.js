// Settlement search: an ARIA 1.2 combobox over GET /api/settlements?q=.
// Typing shows suggestions (debounced); arrow keys move, Enter picks, Escape closes.
// Submitting the form picks the highlighted (or first) suggestion.

import { api } from './api.js';
import { savedSettlements } from './offline.js';
import { h, clear } from './dom.js';
import { t, localName } from './i18n.js';

/**
 * Offline: the saved settlements whose name (any language) contains the query, names
 * starting with it first, then by population; null when none are saved.
 */
async function searchSaved(query) {
  const all = await savedSettlements().catch(() => []);
  if (!all.length) return null;
  const q = query.toLocaleLowerCase();
  const names = (p) => [p.name, p.name_ru, ...Object.values(p.names || {})].filter(Boolean).map((n) => String(n).toLocaleLowerCase());
  return all.map((f) => ({ f, n: names(f.properties || {}) }))
    .filter((x) => x.f.geometry?.type === 'Point' && x.n.some((n) => n.includes(q)))
    .sort((a, b) => Number(b.n.some((n) => n.startsWith(q))) - Number(a.n.some((n) => n.startsWith(q)))
      || (b.f.properties.population || 0) - (a.f.properties.population || 0))
    .slice(0, 8)
    .map((x) => x.f);
}

export function initSearch({ form, input, list, status, onSelect }) {
  let items = [];
  let active = -1;
  let timer = null;
  let controller = null;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const highlight = (index) => {
    active = index;
    Array.from(list.children).forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    if (index >= 0 && list.children[index]) {
      input.setAttribute('aria-activedescendant', list.children[index].id);
      list.children[index].scrollIntoView({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };

  const choose = (feature) => {
    close();
    if (!feature) return;
    const label = localName(feature.properties);
    input.value = label;
    const [lon, lat] = feature.geometry.coordinates;
    onSelect({ lon, lat, label });
  };

  const render = (query) => {
    clear(list);
    items.forEach((f, i) => {
      const p = f.properties || {};
      const other = [p.name, p.name_ru].filter((n) => n && n !== localName(p));
      list.append(h('li', {
        id: `place-option-${i}`,
        role: 'option',
        'aria-selected': 'false',
        class: 'option',
        onmousedown: (ev) => ev.preventDefault(), // keep focus in the input
        onclick: () => choose(f),
      }, h('span', { class: 'option-name', text: localName(p) }),
      other.length ? h('span', { class: 'option-alt', text: ` (${other.join(', ')})` }) : null,
      p.country ? h('span', { class: 'option-country', text: ` · ${p.country}` }) : null));
    });
    status.textContent = items.length || !query ? '' : t('cw.noPlaceFound', { query });
    list.hidden = items.length === 0;
    input.setAttribute('aria-expanded', String(items.length > 0));
    highlight(items.length ? 0 : -1);
  };

  const lookup = async (query) => {
    if (controller) controller.abort();
    const mine = ++seq;
    if (!query.trim()) {
      items = [];
      render('');
      return items;
    }
    controller = new AbortController();
    try {
      const fc = await api.settlements({ q: query.trim(), limit: 8 }, { signal: controller.signal });
      if (mine !== seq) return items;
      items = (fc?.features || []).filter((f) => f.geometry?.type === 'Point');
      render(query.trim());
    } catch (err) {
      if (err.name === 'AbortError') return items;
      const local = err.code === 'network' ? await searchSaved(query.trim()) : null;
      if (mine !== seq) return items;
      if (local) {
        items = local;
        render(query.trim());
      } else status.textContent = t('error.api', { message: err.message });
    }
    return items;
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => lookup(input.value), 200);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' && items.length) {
      ev.preventDefault();
      if (list.hidden) render(input.value);
      highlight(Math.min(active + 1, items.length - 1));
    } else if (ev.key === 'ArrowUp' && items.length) {
      ev.preventDefault();
      highlight(Math.max(active - 1, 0));
    } else if (ev.key === 'Escape') {
      if (!list.hidden) {
        ev.preventDefault();
        close();
      }
    }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    if (!list.hidden && active >= 0 && items[active]) {
      choose(items[active]);
      return;
    }
    const found = await lookup(input.value);
    if (found.length) choose(found[0]);
  });
  return { close, setValue: (v) => { input.value = v || ''; } };
}
