// Interface strings. Every visible string lives in web/i18n/<lang>.json; elements in
// index.html name theirs with data-i18n="key" (text) or data-i18n-attr="attr:key;..."
// (attributes). Missing keys fall back to English, then to the key itself.
// Plural forms are objects keyed by Intl.PluralRules categories (one, few, many, other).
// localName() picks the current language's name of a record from the data.
// Only languages.json, English (the fallback) and the chosen language are fetched.

const base = new URL('../../i18n/', import.meta.url); // web/i18n/, from web/js/lib/
let manifest = { default: 'en', languages: [{ code: 'en', label: 'English', short: 'EN' }] };
let current = 'en';
let strings = {};
let fallback = {};
const cache = new Map();
const listeners = new Set();

async function loadJSON(name) {
  if (!cache.has(name)) {
    cache.set(name, fetch(new URL(name, base), { headers: { Accept: 'application/json' } })
      .then((r) => {
        if (!r.ok) throw new Error(`${name}: HTTP ${r.status}`);
        return r.json();
      }));
    cache.get(name).catch(() => cache.delete(name)); // asked again next time
  }
  return cache.get(name);
}

export async function init(preferred) {
  manifest = await loadJSON('languages.json');
  fallback = await loadJSON(`${manifest.default}.json`);
  try {
    await setLanguage(pick(preferred));
  } catch {
    // Offline, a language never used on this device is not saved: English meanwhile.
    await setLanguage(manifest.default);
  }
}

/** The best supported language among the candidates (codes such as "ru-RU" allowed). */
export function pick(...candidates) {
  const codes = manifest.languages.map((l) => l.code);
  for (const c of candidates.flat()) {
    if (!c) continue;
    const code = String(c).toLowerCase();
    if (codes.includes(code)) return code;
    const primary = code.split('-')[0];
    if (codes.includes(primary)) return primary;
  }
  return manifest.default;
}

export function languages() {
  return manifest.languages;
}

export function lang() {
  return current;
}

/** True when the current language's translation still awaits a native speaker's review. */
export function reviewPending() {
  return manifest.languages.find((l) => l.code === current)?.review === 'pending';
}

const localeData = new Map();
/**
 * Whether this browser's Intl has formatting data for `code` (some builds list a locale
 * but format it with the root locale: months as "M03", "12,345.6").
 */
function hasLocaleData(code) {
  if (!localeData.has(code)) {
    let ok = false;
    try {
      ok = Intl.DateTimeFormat.supportedLocalesOf([code]).length > 0
        && !/^M\d+$/.test(new Intl.DateTimeFormat(code, { month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(2025, 2, 4))));
    } catch {
      ok = false;
    }
    localeData.set(code, ok);
  }
  return localeData.get(code);
}

/**
 * The locale for Intl number and date formats: the interface language, or, where this
 * browser has no data for it, the language's `intl` fallback from languages.json (a
 * locale with the same number conventions). `fallback` is true in that case.
 */
export function intlLocale() {
  if (hasLocaleData(current)) return { locale: current, fallback: false };
  const alt = manifest.languages.find((l) => l.code === current)?.intl;
  return alt && hasLocaleData(alt) ? { locale: alt, fallback: true } : { locale: current, fallback: false };
}

export async function setLanguage(code) {
  const chosen = pick(code);
  strings = await loadJSON(`${chosen}.json`);
  current = chosen;
  const meta = manifest.languages.find((l) => l.code === chosen);
  document.documentElement.lang = chosen;
  document.documentElement.dir = meta?.dir || 'ltr';
  translate(document);
  for (const fn of listeners) fn(chosen);
}

export function onChange(fn) {
  listeners.add(fn);
}

function lookup(table, key) {
  let node = table;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return undefined;
    node = node[part];
  }
  return node;
}

/** Translates `key`, filling {name} placeholders from `params`; `params.count` picks a plural form. */
export function t(key, params = {}) {
  let value = lookup(strings, key);
  if (value === undefined) value = lookup(fallback, key);
  if (value === undefined) return key;
  if (typeof value === 'object') {
    const category = new Intl.PluralRules(current).select(Number(params.count ?? 0));
    value = value[category] ?? value.other ?? key;
  }
  return String(value).replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** True when the key exists (in the current language or the fallback). */
export function has(key) {
  return lookup(strings, key) !== undefined || lookup(fallback, key) !== undefined;
}

/** Applies data-i18n / data-i18n-attr under `root`. */
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  if (root === document) document.title = t('app.documentTitle');
}

/** The name of an area, settlement or facility in the current language, if the record has it. */
export function localName(props) {
  if (!props) return '';
  const names = props.names || {};
  return names[current] || props[`name_${current}`] || props.name || '';
}
