// Unit tests of the interface strings (web/i18n/*.json): every language has exactly the
// keys of English (plural forms may use other Intl.PluralRules categories), the same
// {placeholders}, and every key index.html or a literal in web/js (any subfolder) names
// exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HERE } from './lib.mjs';

const WEB = join(HERE, '..', '..', 'web');
const read = (...p) => readFileSync(join(WEB, ...p), 'utf8');
const PLURAL = new Set(['zero', 'one', 'two', 'few', 'many', 'other']);
const isPlural = (v) => v && typeof v === 'object' && Object.keys(v).length > 0 && Object.keys(v).every((k) => PLURAL.has(k));

/** key → string, or the `other` form of a plural. */
function leaves(obj, prefix = '', out = new Map()) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlural(v)) out.set(key, v.other);
    else if (v && typeof v === 'object') leaves(v, key, out);
    else out.set(key, String(v));
  }
  return out;
}
/** Paths (relative to web/) of every .js file under `dir`, subfolders included. */
function jsFiles(dir) {
  return readdirSync(join(WEB, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return jsFiles(path);
    return e.isFile() && e.name.endsWith('.js') ? [path] : [];
  });
}
const placeholders = (s) => [...new Set(String(s).match(/\{\w+\}/g) || [])].sort();

const languages = JSON.parse(read('i18n', 'languages.json')).languages.map((l) => l.code);
const en = leaves(JSON.parse(read('i18n', 'en.json')));
const namespaces = new Set([...en.keys()].map((k) => k.split('.')[0]));

for (const code of languages.filter((c) => c !== 'en')) {
  test(`${code}.json has the keys and placeholders of en.json`, () => {
    const other = leaves(JSON.parse(read('i18n', `${code}.json`)));
    assert.deepEqual([...en.keys()].filter((k) => !other.has(k)), [], `missing in ${code}.json`);
    assert.deepEqual([...other.keys()].filter((k) => !en.has(k)), [], `only in ${code}.json`);
    const differ = [...en.keys()].filter((k) => placeholders(en.get(k)).join() !== placeholders(other.get(k)).join());
    assert.deepEqual(differ, [], 'same {placeholders}');
    const plurals = [];
    (function walk(obj, prefix) {
      for (const [k, v] of Object.entries(obj)) {
        const key = prefix ? `${prefix}.${k}` : k;
        if (isPlural(v)) plurals.push([key, v]);
        else if (v && typeof v === 'object') walk(v, key);
      }
    }(JSON.parse(read('i18n', `${code}.json`)), ''));
    const rules = new Intl.PluralRules(code).resolvedOptions().pluralCategories;
    for (const [key, forms] of plurals) {
      for (const c of rules) assert.ok(c in forms, `${code}: ${key} has the "${c}" form`);
    }
  });
}

test('every key named in index.html and in web/js literals exists in en.json', () => {
  const html = read('index.html');
  const named = [...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]);
  for (const m of html.matchAll(/data-i18n-attr="([^"]+)"/g)) {
    for (const pair of m[1].split(';')) named.push(pair.split(':')[1].trim());
  }
  for (const f of jsFiles('js')) {
    const src = read(f);
    for (const m of src.matchAll(/\bt\('([A-Za-z0-9_.]+)'/g)) named.push(m[1]);
    // Any other literal that looks like a key of a known namespace ('account.signOut').
    for (const m of src.matchAll(/'([A-Za-z]+)\.([A-Za-z0-9_.]+)'/g)) if (namespaces.has(m[1])) named.push(`${m[1]}.${m[2]}`);
  }
  const known = (k) => en.has(k) || [...en.keys()].some((x) => x.startsWith(`${k}.`));
  assert.deepEqual([...new Set(named)].filter((k) => !known(k)), []);
  assert.ok(['account.signIn', 'account.choosePassword', 'result.confidentialExact'].every((k) => named.includes(k)));
});
