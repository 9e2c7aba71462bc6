// Pure helpers of the planner and donor views (no DOM, unit-tested in tests/e2e):
// the colour-blind-safe classed scale of the coverage choropleth (classes, the colour
// of a share, the map expression, the legend), bounding boxes, joining /api/coverage
// rows to area outlines, sorting, and CSV / GeoJSON exports.

// Viridis (perceptually uniform, readable with the common colour-vision deficiencies and
// in grey scale), 6 classes: dark purple = few people within reach, yellow = nearly all.
export const SHARE_BREAKS = [0.25, 0.5, 0.7, 0.85, 0.95];
export const SHARE_COLORS = ['#440154', '#414487', '#2a788e', '#22a884', '#7ad151', '#fde725'];
export const NO_DATA_COLOR = '#c8c8c8';
// Colour of the hexagons whose people are out of reach (gap grid) and of planned sites.
export const GAP_COLOR = '#d55e00';
export const GAP_LINE = '#6b2f00';

// The minimum package (the server's default for `package`).
export const DEFAULT_PACKAGE = ['health', 'psychosocial', 'police', 'shelter'];
export const GRID_RESOLUTIONS = [4, 5, 6];
export const DEFAULT_GRID_RES = 5;
export const SORT_KEYS = ['uncovered', 'share'];

/** Class index (0..5) of a share in [0, 1]; null for no data. */
export function shareClass(share) {
  if (share === null || share === undefined || !Number.isFinite(Number(share))) return null;
  const v = Number(share);
  let i = 0;
  while (i < SHARE_BREAKS.length && v >= SHARE_BREAKS[i]) i++;
  return i;
}

/** Colour of a share's class (the choropleth's colour, for dots in tables); grey for no data. */
export function shareColor(share) {
  const c = shareClass(share);
  return c === null ? NO_DATA_COLOR : SHARE_COLORS[c];
}

/** MapLibre expression colouring features by their `value` property (a share). */
export function shareColorExpression(prop = 'value') {
  const steps = ['step', ['to-number', ['get', prop]], SHARE_COLORS[0]];
  SHARE_BREAKS.forEach((b, i) => steps.push(b, SHARE_COLORS[i + 1]));
  return ['case', ['==', ['typeof', ['get', prop]], 'number'], steps, NO_DATA_COLOR];
}

/** Legend classes: [{ color, from, to }] with shares in [0, 1] (from inclusive). */
export function shareClasses() {
  const edges = [0, ...SHARE_BREAKS, 1];
  return SHARE_COLORS.map((color, i) => ({ color, from: edges[i], to: edges[i + 1] }));
}

/** [minLon, minLat, maxLon, maxLat] of a GeoJSON geometry (null when empty). */
export function bbox(geometry) {
  let box = null;
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      if (!box) box = [c[0], c[1], c[0], c[1]];
      else {
        box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
        box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
      }
    } else c.forEach(visit);
  };
  if (geometry?.type === 'GeometryCollection') geometry.geometries.forEach((g) => { const b = bbox(g); if (b) visit([[b[0], b[1]], [b[2], b[3]]]); });
  else if (geometry?.coordinates) visit(geometry.coordinates);
  return box;
}

/**
 * What the planner shows for a subject ("package" or one sector): one row per area of
 * an /api/coverage answer made with sectors=package=<subject sectors>, so that
 * `uncovered`, `share_all` and the ranks are the subject's own.
 */
export function plannerRows(answer, subject) {
  return (answer?.areas || []).map((a) => {
    const sector = subject !== 'package' ? a.sectors?.[subject] : null;
    return {
      code: a.code,
      name: a.name,
      pop_total: a.pop_total,
      pop_covered: sector ? sector.pop_covered : a.pop_all,
      share: sector ? sector.share : a.share_all,
      uncovered: a.uncovered,
      facilities: sector ? sector.facilities
        : Object.values(a.sectors || {}).reduce((n, s) => n + (s.facilities || 0), 0),
      median_distance_m: sector ? sector.median_distance_m : null,
      rank_uncovered: a.rank_uncovered,
      rank_share: a.rank_share,
      ...(subject === 'package' ? limitingSector(a.sectors) : {}),
    };
  });
}

/**
 * For the minimum package, the sector that bounds it (the package share can be no higher
 * than its lowest sector's): `{ limiting: { sector, share }, othersMin }`, where
 * `othersMin` is the lowest share among the other sectors (null with one sector), so a
 * row can say "0 %: shelter alone; the other sectors reach ≥ 87 %".
 */
export function limitingSector(sectors) {
  const shares = Object.entries(sectors || {})
    .filter(([, s]) => typeof s?.share === 'number')
    .sort((x, y) => x[1].share - y[1].share || (x[0] < y[0] ? -1 : 1));
  if (!shares.length) return {};
  const [[sector, s], ...rest] = shares;
  return { limiting: { sector, share: s.share }, othersMin: rest.length ? rest[0][1].share : null };
}

/** Rows sorted by a rank (`uncovered`: most uncovered people first; `share`: lowest share first). */
export function sortRows(rows, key, descending = false) {
  const rank = key === 'share' ? 'rank_share' : 'rank_uncovered';
  const out = [...rows].sort((a, b) => a[rank] - b[rank]);
  return descending ? out.reverse() : out;
}

/** Joins rows to area outlines by code: a FeatureCollection with `value` = share. */
export function joinAreas(rows, areas, extra = {}) {
  const outlines = new Map((areas?.features || []).map((f) => [String(f.properties?.code ?? f.id), f]));
  const features = [];
  for (const row of rows) {
    const outline = outlines.get(String(row.code));
    if (!outline || !outline.geometry) continue;
    features.push({
      type: 'Feature',
      id: features.length,
      geometry: outline.geometry,
      properties: { ...row, value: row.share ?? null, ...extra },
    });
  }
  return { type: 'FeatureCollection', features };
}

// --- exports

/** One CSV cell (RFC 4180); text that a spreadsheet would run as a formula is prefixed with '. */
export function csvCell(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV text (CRLF line ends) from a header and rows of values. */
export function toCsv(header, rows) {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export const EXPORT_COLUMNS = [
  'code', 'name', 'pop_total', 'pop_covered', 'share', 'uncovered', 'facilities', 'rank_uncovered', 'rank_share',
];

/** The planner table as CSV, in the order shown, with the subject and thresholds as columns. */
export function plannerCsv(rows, { subject, level, thresholdsKm, dataVersion }) {
  const th = Object.entries(thresholdsKm || {}).map(([s, km]) => `${s}:${km}`).join(' ');
  const header = [...EXPORT_COLUMNS, 'subject', 'level', 'thresholds_km', 'data_version'];
  return toCsv(header, rows.map((r) => [...EXPORT_COLUMNS.map((c) => r[c]), subject, level, th, dataVersion]));
}

/** Everything shown on the planner map as one FeatureCollection; `layer` tells the kind. */
export function plannerGeojson({ areas, grid, sites, meta }) {
  const features = [];
  for (const f of areas?.features || []) {
    const { value, ...props } = f.properties;
    features.push({ type: 'Feature', geometry: f.geometry, properties: { layer: 'coverage', ...props } });
  }
  for (const f of grid?.features || []) {
    features.push({ type: 'Feature', geometry: f.geometry, properties: { layer: 'gap_grid', ...f.properties } });
  }
  for (const s of sites?.steps || []) {
    features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [s.site.lon, s.site.lat] },
      properties: { layer: 'suggested_site', sector: sites.sector, rank: s.rank, id: s.site.id, name: s.site.name, gain: s.gain, covered_after: s.covered_after },
    });
  }
  return { type: 'FeatureCollection', tirek: meta, features };
}
