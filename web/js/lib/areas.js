// Admin area outlines (GET /api/areas?level=N), fetched once per level and shared by the
// base map, the planner and the donor views. Levels 0 and 1 are part of the first load;
// a finer level (districts) is fetched only when a view needs it.
import { api } from './api.js';
import { localName } from './i18n.js';

const cache = new Map();

export function areas(level) {
  if (!cache.has(level)) {
    // The outlines are the same for everyone; levels 0 and 1 are saved for offline use.
    const p = api.areas(level, { keep: level <= 1 });
    p.catch(() => cache.delete(level));
    cache.set(level, p);
  }
  return cache.get(level);
}

/** code -> properties of the areas of the levels loaded so far (for names in the UI language). */
export async function areaIndex(levels) {
  const index = new Map();
  for (const level of levels) {
    try {
      const fc = await areas(level);
      for (const f of fc.features || []) index.set(String(f.properties?.code), f.properties);
    } catch { /* names fall back to the coverage answer's */ }
  }
  return index;
}

/** The area's name in the interface language when the outline has it, else `fallback`. */
export function areaName(index, code, fallback) {
  const props = index?.get(String(code));
  return (props && localName(props)) || fallback || String(code);
}
