// The map: MapLibre GL JS with GeoJSON sources only (no tiles,
// no glyphs, no sprites: nothing is requested from another origin). Text on the map
// (result numbers, tooltips) is drawn in HTML. An operator may add a raster basemap
// (basemap.js), drawn under everything else; it is off unless configured.

import * as maplibregl from '/vendor/maplibre-gl/maplibre-gl.mjs';
import { sectorColor, REGION_BOUNDS } from './config.js';
import { h } from './dom.js';
import { t, localName } from './i18n.js';
import { shareColorExpression, GAP_COLOR, GAP_LINE, bbox } from './coverage-model.js';
import { PlaceLabels } from './place-labels.js';
import { unmetColorExpression } from './referral-log.js';
import { spreadOffsets, MARKER_SIZE } from './spread.js';

const EMPTY = { type: 'FeatureCollection', features: [] };

/** District (admin level 2) outlines are drawn, and fetched, from this zoom on. */
export const DISTRICT_MIN_ZOOM = 5;

export const COLORS = {
  land: '#fbfaf6',
  country: '#3d4a53',
  region: '#8d99a3',
  district: '#98a3ad',
  settlement: '#5f5f5f',
  point: '#000000',
};

/**
 * The layers, bottom to top, and the source each draws. Sources that start empty
 * (districts, the planner's and donor's layers, the results) are added with their layers
 * when first given data (`_ensure`): every source the map loads is a frame drawn as it
 * arrives, and each frame is costly where WebGL runs in software.
 */
const LAYERS = [
  // No antialiased edge: country-line draws it, and the edge is one more shader to
  // compile before the first frame (slow where WebGL runs in software).
  {
    id: 'country-fill', type: 'fill', source: 'countries',
    paint: { 'fill-color': COLORS.land, 'fill-antialias': false },
  },
  // Planner / donor: coverage choropleth, gap hexagons (hidden in the caseworker view).
  {
    id: 'coverage-fill', type: 'fill', source: 'coverage',
    paint: { 'fill-color': shareColorExpression('value'), 'fill-opacity': 0.85 },
  },
  // Coordination: unmet needs recorded per area (under the gap hexagons).
  {
    id: 'unmet-fill', type: 'fill', source: 'unmet',
    paint: { 'fill-color': unmetColorExpression('count'), 'fill-opacity': 0.85 },
  },
  {
    id: 'gaps-fill', type: 'fill', source: 'gaps',
    filter: ['==', ['get', 'covered'], false],
    paint: { 'fill-color': GAP_COLOR, 'fill-opacity': 0.8 },
  },
  {
    id: 'gaps-line', type: 'line', source: 'gaps',
    filter: ['==', ['get', 'covered'], false],
    paint: { 'line-color': GAP_LINE, 'line-width': 0.7 },
  },
  {
    id: 'district-line', type: 'line', source: 'districts', minzoom: DISTRICT_MIN_ZOOM,
    paint: { 'line-color': COLORS.district, 'line-width': 0.7, 'line-dasharray': [1, 1.5] },
  },
  // Solid, told from the countries' borders by colour and width: a dashed line is a
  // shader of its own, compiled before the first frame with data (slow where WebGL runs
  // in software). Districts, drawn only when zoomed in, keep their dots.
  {
    id: 'region-line', type: 'line', source: 'regions',
    paint: { 'line-color': COLORS.region, 'line-width': 0.8 },
  },
  {
    id: 'country-line', type: 'line', source: 'countries',
    paint: { 'line-color': COLORS.country, 'line-width': 1.6 },
  },
  {
    id: 'coverage-selected', type: 'line', source: 'coverage',
    filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': '#000000', 'line-width': 3 },
  },
  {
    id: 'unmet-selected', type: 'line', source: 'unmet',
    filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': '#000000', 'line-width': 3 },
  },
  {
    id: 'settlements', type: 'circle', source: 'settlements',
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['sqrt', ['max', ['coalesce', ['get', 'population'], 0], 0]], 0, 2, 300, 3.5, 1500, 7],
      'circle-color': COLORS.settlement,
      'circle-opacity': 0.55,
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 0.6,
    },
  },
  {
    id: 'facilities', type: 'circle', source: 'facilities',
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 3, 3, 10, 6],
      'circle-color': ['get', 'color'],
      'circle-stroke-color': '#ffffff',
      'circle-stroke-width': 1,
    },
  },
  {
    id: 'result-lines', type: 'line', source: 'result-lines',
    layout: { 'line-cap': 'round' },
    paint: { 'line-color': ['get', 'color'], 'line-width': 2.5, 'line-opacity': 0.9 },
  },
  {
    id: 'query-point', type: 'circle', source: 'query-point',
    paint: {
      'circle-radius': 7, 'circle-color': COLORS.point, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2.5,
    },
  },
];

/** The data sets of the first style: the ones the first data fills. */
const FIRST_SOURCES = ['countries', 'regions', 'settlements', 'facilities'];

/** The one source that carries the first data sets, each feature tagged with its set. */
const FIRST = 'first';

/**
 * The style, with the first data in it: `initial` holds what has arrived by the time the
 * map is made (countries, regions, settlements, facilities). They travel as one source
 * (each feature tagged `_set`, each layer filtered on it), so the worker cuts one set of
 * tiles and the map draws the first data in one or two frames, instead of once more for
 * each source as its tiles come (each frame is costly where WebGL runs in software).
 * A data set given again later gets a source of its own (`_ensure`).
 */
function style(initial = {}) {
  const features = FIRST_SOURCES.flatMap((set) => (initial[set]?.features || [])
    .map((f) => ({ ...f, properties: { ...f.properties, _set: set } })));
  return {
    version: 8,
    sources: { [FIRST]: { type: 'geojson', data: { type: 'FeatureCollection', features } } },
    layers: LAYERS.filter((l) => !l.source || FIRST_SOURCES.includes(l.source))
      .map((l) => (l.source ? { ...l, source: FIRST, filter: firstFilter(l) } : l)),
  };
}

/** Layer `l`'s filter on the first source: its data set, and its own filter if any. */
function firstFilter(l) {
  const set = ['==', ['get', '_set'], l.source];
  return l.filter ? ['all', set, l.filter] : set;
}

function uiStrings() {
  return {
    'Map.Title': t('map.label'),
    'NavigationControl.ZoomIn': t('map.zoomIn'),
    'NavigationControl.ZoomOut': t('map.zoomOut'),
    'NavigationControl.ResetBearing': t('map.resetBearing'),
    'Marker.Title': t('map.marker'),
    'Popup.Close': t('map.closePopup'),
    'ScaleControl.Kilometers': t('map.km'),
    'ScaleControl.Meters': t('map.m'),
  };
}

/**
 * The canvas's resolution where WebGL is drawn by the processor (no GPU: SwiftShader,
 * llvmpipe, Windows' basic renderer): there every frame's cost grows with its pixels,
 * a full-resolution frame takes 150–350 ms on two cores and holds the page (each is read
 * back for the screen), so panning stutters. At half resolution a frame costs a quarter
 * as much; outlines and dots are softer, while the place names, result numbers and
 * controls, drawn in HTML, stay sharp. With a GPU the map keeps the screen's resolution.
 */
const SOFTWARE_PIXEL_RATIO = 0.5;

/** Whether `canvas`'s WebGL context is drawn in software. */
function softwareWebGL(canvas) {
  try {
    const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer);
  } catch {
    return false;
  }
}

export class TirekMap {
  /**
   * `initial`: a promise of the first data ({ countries, regions, settlements,
   * facilities }, each optional); the MapLibre map is made when it settles, with that
   * data in its style. Until then `map` is null; `loaded` resolves once it has loaded.
   */
  constructor(container, { onPick, onArea, initial = Promise.resolve({}) }) {
    this.onPick = onPick;
    this.onArea = onArea;
    this.mode = 'caseworker';
    this.siteMarkers = [];
    this.markers = [];
    this.facilityNames = new Map();
    this.map = null;
    this.loaded = new Promise((resolve) => { this._resolveLoaded = resolve; });
    // The map is made in a task of its own, not in the one that finishes the page's
    // set-up: two shorter tasks keep the page answering input sooner than one long one.
    Promise.resolve(initial).catch(() => ({}))
      .then((data) => new Promise((resolve) => { setTimeout(() => resolve(data), 0); }))
      .then((data) => this._create(container, data || {}));
  }

  _create(container, initial) {
    const facilities = initial.facilities ? this._facilityCollection(initial.facilities) : null;
    this.map = new maplibregl.Map({
      container,
      style: style({ ...initial, facilities }),
      bounds: REGION_BOUNDS,
      fitBoundsOptions: { padding: 10 },
      minZoom: 2,
      maxZoom: 15,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      attributionControl: false,
      locale: uiStrings(),
      renderWorldCopies: false,
    });
    if (softwareWebGL(this.map.getCanvas())) this.map.setPixelRatio(SOFTWARE_PIXEL_RATIO);
    this.map.touchZoomRotate.disableRotation();
    this.map.keyboard.disableRotation();
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-left');
    this.attribution = h('div', { class: 'map-attribution', text: t('map.attribution') });
    container.append(this.attribution);
    this.tooltip = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'tirek-tooltip', offset: 8 });

    this.map.on('load', () => {
      performance.mark('tirek:map-load');
      this.map.getCanvas().style.cursor = 'crosshair';
      this._resolveLoaded();
    });
    // Place names in HTML, kept clear of the numbered result markers.
    this.labels = new PlaceLabels(this.map, {
      nameOf: (props) => localName(props),
      reserved: () => this._markerBoxes(),
    });
    if (initial.settlements) this.labels.setFeatures(initial.settlements.features);
    // Markers that would cover each other are fanned out again at every zoom.
    this.map.on('zoom', () => this._spreadMarkers());
    this.map.on('click', (e) => this._click(e));
    this.map.on('mousemove', (e) => this._hover(e));
    this.map.on('mouseout', () => this.tooltip.remove());
  }

  _click(e) {
    if (this.mode !== 'caseworker') {
      // Planner / donor / coordination: a click on an area selects it (its row in the table).
      const hit = this._areasAt(e.point)[0];
      if (hit && this.onArea) this.onArea(hit.properties.code);
      return;
    }
    // Snap to a settlement when the click is on its circle; otherwise the exact point.
    const box = [[e.point.x - 5, e.point.y - 5], [e.point.x + 5, e.point.y + 5]];
    const hit = this.map.getLayer('settlements') ? this.map.queryRenderedFeatures(box, { layers: ['settlements'] })[0] : null;
    if (hit && hit.geometry?.type === 'Point') {
      const [lon, lat] = hit.geometry.coordinates;
      this.onPick({ lon, lat, label: localName(hit.properties) });
    } else {
      this.onPick({ lon: e.lngLat.lng, lat: e.lngLat.lat, label: null });
    }
  }

  /** The areas of this mode's choropleth under `point` (none before it is first drawn). */
  _areasAt(point) {
    const layers = [this._areaLayer()].filter((id) => this.map.getLayer(id));
    return layers.length ? this.map.queryRenderedFeatures(point, { layers }) : [];
  }

  _hover(e) {
    if (this.mode !== 'caseworker') {
      const hit = this._areasAt(e.point)[0];
      const label = hit && this.areaLabel ? this.areaLabel(hit.properties.code) : null;
      if (!label) {
        this.tooltip.remove();
        return;
      }
      this.tooltip.setLngLat(e.lngLat).setDOMContent(h('span', { text: label })).addTo(this.map);
      return;
    }
    const layers = ['facilities', 'settlements'].filter((id) => this.map.getLayer(id));
    const box = [[e.point.x - 4, e.point.y - 4], [e.point.x + 4, e.point.y + 4]];
    const hit = this.map.queryRenderedFeatures(box, { layers })[0];
    if (!hit) {
      this.tooltip.remove();
      return;
    }
    const props = hit.properties || {};
    const label = hit.layer.id === 'facilities' ? (this.facilityNames.get(props.id) || props.name) : localName(props);
    this.tooltip.setLngLat(hit.geometry.coordinates).setDOMContent(h('span', { text: label })).addTo(this.map);
  }

  setAreas(level, collection) {
    const id = ['countries', 'regions', 'districts'][Math.min(level, 2)];
    this._ensure(id).setData(collection || EMPTY);
  }

  /**
   * District outlines: `load()` (→ FeatureCollection) runs once, when the map is first
   * zoomed in far enough to show them, so the first load does not carry them.
   */
  enableDistricts(load) {
    let started = false;
    const check = () => {
      if (started || this.map.getZoom() < DISTRICT_MIN_ZOOM - 0.5) return;
      started = true;
      this.map.off('zoomend', check);
      Promise.resolve().then(load).then((fc) => this.setAreas(2, fc)).catch((err) => {
        started = false;
        this.map.on('zoomend', check);
        console.warn('district outlines not loaded', err);
      });
    };
    this.map.on('zoomend', check);
    check();
  }

  /**
   * Adds the operator's basemap (`basemap` of /api/meta) under every other layer and
   * shows it. Resolves false when there is none (nothing is fetched then).
   */
  async setBasemap(basemap) {
    if (!basemap) return false;
    const { basemapSource } = await import('./basemap.js'); // fetched only when configured
    const source = await basemapSource(maplibregl, basemap);
    if (!source) return false;
    this.map.addSource('basemap', source);
    this.map.addLayer({ id: 'basemap', type: 'raster', source: 'basemap' }, 'country-fill');
    this.basemapAttribution = typeof basemap.attribution === 'string' ? basemap.attribution : '';
    this.setBasemapVisible(true);
    return true;
  }

  /** Shows or hides the basemap (the plain land colour stands in for it when hidden). */
  setBasemapVisible(visible) {
    if (!this.map.getLayer('basemap')) return;
    this.basemapOn = visible;
    this.map.setLayoutProperty('basemap', 'visibility', visible ? 'visible' : 'none');
    this.map.setLayoutProperty('country-fill', 'visibility', visible ? 'none' : 'visible');
    this._attributionText();
  }

  _attributionText() {
    const parts = [t('map.attribution')];
    if (this.basemapOn && this.basemapAttribution) parts.push(this.basemapAttribution);
    this.attribution.textContent = parts.join(' · ');
  }

  setSettlements(collection) {
    this._ensure('settlements').setData(collection || EMPTY);
    this.labels.setFeatures(collection?.features);
  }

  /** The settlements shown (GeoJSON Point features). */
  settlementFeatures() {
    return this.labels.features;
  }

  setFacilities(collection) {
    this._ensure('facilities').setData(this._facilityCollection(collection));
  }

  /** The facility layer's features (id, name, colour) of `collection`; keeps their names. */
  _facilityCollection(collection) {
    this.facilityNames = new Map();
    const features = (collection?.features || []).filter((f) => f && f.geometry).map((f) => {
      const p = f.properties || {};
      this.facilityNames.set(p.id, localName(p));
      return {
        type: 'Feature',
        geometry: f.geometry,
        properties: { id: p.id, name: p.name, color: sectorColor((p.sectors || [])[0]) },
      };
    });
    return { type: 'FeatureCollection', features };
  }

  relabelFacilities(collection) {
    this.facilityNames = new Map((collection?.features || []).map((f) => [f.properties?.id, localName(f.properties)]));
  }

  setFacilitiesVisible(visible) {
    this.map.setLayoutProperty('facilities', 'visibility', visible && this.mode === 'caseworker' ? 'visible' : 'none');
  }

  /** Shows the selected place, a line to each located result and numbered HTML markers. */
  showResults(point, items, { onMarker, fit = true } = {}) {
    if (!this.map) {
      // Asked before the map exists (a language switch or a quick search during the
      // first load): shown once it has loaded; the newest call wins.
      this._pendingResults = [point, items, { onMarker, fit }];
      this.loaded.then(() => {
        const pending = this._pendingResults;
        this._pendingResults = null;
        if (pending) this.showResults(...pending);
      });
      return;
    }
    // Nothing shown and nothing to show: no new data, so no redraw.
    if (!point && !items.length && !this.queryPoint && !this.markers.length && !this._linesShown) return;
    this._linesShown = items.length > 0;
    for (const m of this.markers) m.remove();
    this.markers = [];
    this.queryPoint = point;
    const pointData = point ? {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [point.lon, point.lat] }, properties: {} }],
    } : EMPTY;
    this._ensure('query-point').setData(pointData);
    const lines = [];
    const bounds = point ? new maplibregl.LngLatBounds([point.lon, point.lat], [point.lon, point.lat]) : null;
    const framed = new Set();
    for (const item of items) {
      const geom = item.facility?.geometry;
      if (!point || !geom || geom.type !== 'Point') continue;
      const coords = geom.coordinates;
      const color = sectorColor(item.sector);
      lines.push({
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: [[point.lon, point.lat], coords] },
        properties: { color, sector: item.sector, id: item.facility.properties?.id },
      });
      // Frame every located service with the place in the middle (each point and its
      // mirror image through the place), so no line runs off the map; hotlines are
      // phone services whose location does not matter, so they do not widen the view.
      if (item.sector !== 'hotline') {
        framed.add(item.sector);
        bounds.extend(coords);
        bounds.extend([2 * point.lon - coords[0], Math.max(-85, Math.min(85, 2 * point.lat - coords[1]))]);
      }
      const el = h('button', {
        type: 'button',
        class: 'result-marker',
        'aria-label': t('result.markerLabel', { n: item.n, name: item.name }),
        title: item.name,
        text: String(item.n),
      });
      el.style.setProperty('--sector-color', color);
      el.style.zIndex = String(1000 - item.n); // lower numbers (nearer, earlier sectors) on top
      el.addEventListener('click', (ev) => {
        ev.stopPropagation();
        if (onMarker) onMarker(item);
      });
      el.hidden = this.mode !== 'caseworker';
      this.markers.push(new maplibregl.Marker({ element: el }).setLngLat(coords).addTo(this.map));
    }
    this._ensure('result-lines').setData({ type: 'FeatureCollection', features: lines });
    if (fit && bounds && framed.size) {
      this.map.fitBounds(bounds, { padding: this.framePadding(), maxZoom: 12, duration: 0 });
    } else if (fit && point) {
      this.map.easeTo({ center: [point.lon, point.lat], duration: 0 });
    }
    this._spreadMarkers();
    this.labels.schedule();
  }

  /** Fans out the result markers that would cover each other at this zoom. */
  _spreadMarkers() {
    if (!this.markers.length) return;
    const points = this.markers.map((m) => this.map.project(m.getLngLat()));
    const offsets = spreadOffsets(points.map((p) => [p.x, p.y]));
    this.markers.forEach((m, i) => m.setOffset(offsets[i]));
  }

  /** Screen boxes of the visible result markers and the selected place (kept free of labels). */
  _markerBoxes() {
    const half = MARKER_SIZE / 2 + 2;
    const boxes = [];
    const add = ([x, y]) => boxes.push({ x0: x - half, y0: y - half, x1: x + half, y1: y + half });
    for (const m of this.markers) {
      if (m.getElement().hidden) continue;
      const p = this.map.project(m.getLngLat());
      const [dx, dy] = m.getOffset() ? [m.getOffset().x, m.getOffset().y] : [0, 0];
      add([p.x + dx, p.y + dy]);
    }
    if (this.queryPoint && this.mode === 'caseworker') {
      const p = this.map.project([this.queryPoint.lon, this.queryPoint.lat]);
      add([p.x, p.y]);
    }
    return boxes;
  }

  /** Padding that keeps framed results clear of the legend and the controls. */
  framePadding() {
    const container = this.map.getContainer();
    const narrow = container.clientWidth < 500;
    const pad = { top: narrow ? 30 : 50, bottom: narrow ? 30 : 50, left: narrow ? 30 : 50, right: narrow ? 50 : 70 };
    const legend = container.parentElement?.querySelector('.legend');
    if (legend && legend.open) {
      const box = legend.getBoundingClientRect();
      const room = container.getBoundingClientRect();
      // Leave the legend's side free when there is room for it, else its top.
      if (room.width - box.width > 300) pad.left = Math.max(pad.left, box.width + 30);
      else pad.top = Math.max(pad.top, box.height + 20);
    }
    return pad;
  }

  /** Whether layer `id` shows in the current mode. */
  _layerShown(id) {
    const cw = this.mode === 'caseworker';
    switch (id) {
      case 'facilities': return cw && document.getElementById('legend-show-facilities')?.checked !== false;
      case 'settlements': case 'result-lines': case 'query-point': return cw;
      // The travel-time layer takes the choropleth's place while shown (not both mixed).
      case 'coverage-fill': return !cw && this.mode !== 'coordination' && !(this.mode === 'planner' && this.travelOn);
      case 'coverage-selected': return !cw && this.mode !== 'coordination';
      case 'unmet-fill': case 'unmet-selected': return this.mode === 'coordination';
      case 'gaps-fill': case 'gaps-line': return (this.mode === 'planner' || this.mode === 'coordination') && !!this.gapsOn;
      case 'travel-time': return this.mode === 'planner';
      default: return true;
    }
  }

  /**
   * Shows and hides the layers for the mode. Only real changes: setting a layout
   * property, even to its value, lays out the source's tiles again and redraws.
   */
  _applyVisibility() {
    for (const id of [...LAYERS.map((l) => l.id), 'travel-time']) {
      if (!this.map.getLayer(id)) continue;
      const value = this._layerShown(id) ? 'visible' : 'none';
      if ((this.map.getLayoutProperty(id, 'visibility') ?? 'visible') !== value) {
        this.map.setLayoutProperty(id, 'visibility', value);
      }
    }
  }

  /**
   * Source `id`, added with its layers (in their place, shown as the mode says) when new;
   * a first data set's layers move from the first source to it.
   */
  _ensure(id) {
    const existing = this.map.getSource(id);
    if (existing) return existing;
    this.map.addSource(id, { type: 'geojson', data: EMPTY });
    LAYERS.forEach((layer, i) => {
      if (layer.source !== id) return;
      if (this.map.getLayer(layer.id)) this.map.removeLayer(layer.id);
      const above = LAYERS.slice(i + 1).find((l) => this.map.getLayer(l.id));
      const visibility = this._layerShown(layer.id) ? 'visible' : 'none';
      this.map.addLayer({ ...layer, layout: { ...layer.layout, visibility } }, above?.id);
    });
    return this.map.getSource(id);
  }

  /**
   * Switches the map between the caseworker layers (services, results) and the
   * planner / donor layers (coverage choropleth, gap grid, suggested sites).
   */
  setMode(mode) {
    this.mode = mode;
    const cw = mode === 'caseworker';
    this._applyVisibility();
    for (const m of this.markers) m.getElement().hidden = !cw;
    for (const m of this.siteMarkers) m.getElement().hidden = mode !== 'planner';
    this.map.getCanvas().style.cursor = cw ? 'crosshair' : '';
    this.tooltip.remove();
  }

  /** The area layer clicks and tooltips read in this mode. */
  _areaLayer() {
    return this.mode === 'coordination' ? 'unmet-fill' : 'coverage-fill';
  }

  /** Unmet needs per area: features with `code` and `count` (absent when hidden). */
  setUnmet(collection) {
    if (!collection && !this.map.getSource('unmet')) return;
    this._ensure('unmet').setData(collection || EMPTY);
  }

  selectUnmetArea(code) {
    this._ensure('unmet');
    this.map.setFilter('unmet-selected', ['==', ['get', 'code'], code == null ? '' : String(code)]);
  }

  /** The choropleth: a FeatureCollection whose features have `code` and `value` (share). */
  setCoverage(collection) {
    this._ensure('coverage').setData(collection || EMPTY);
  }

  selectArea(code) {
    this._ensure('coverage');
    this.map.setFilter('coverage-selected', ['==', ['get', 'code'], code == null ? '' : String(code)]);
  }

  /** Gap grid hexagons; `covered` tells whether the cell's people are within reach. */
  setGaps(collection) {
    this.gapsOn = !!collection;
    if (!collection && !this.map.getSource('gaps')) return;
    this._ensure('gaps').setData(collection || EMPTY);
    this._applyVisibility();
  }

  /**
   * The travel-time layer (planner): `image` from lib/travel-layer.js ({ canvas,
   * coordinates }), drawn under the outlines; null removes it.
   */
  setTravelImage(image) {
    if (this.map.getLayer('travel-time')) this.map.removeLayer('travel-time');
    if (this.map.getSource('travel-time')) this.map.removeSource('travel-time');
    this.travelOn = !!image;
    this._applyVisibility();
    if (!image) return;
    this.map.addSource('travel-time', { type: 'canvas', canvas: image.canvas, coordinates: image.coordinates, animate: false });
    const above = ['district-line', 'region-line'].find((id) => this.map.getLayer(id));
    this.map.addLayer({
      id: 'travel-time', type: 'raster', source: 'travel-time',
      layout: { visibility: this.mode === 'planner' ? 'visible' : 'none' },
      paint: { 'raster-resampling': 'nearest', 'raster-fade-duration': 0 },
    }, above);
  }

  /** Numbered markers of suggested sites: [{ rank, lon, lat, label }]. */
  setSites(sites, { onMarker } = {}) {
    for (const m of this.siteMarkers) m.remove();
    this.siteMarkers = [];
    for (const s of sites || []) {
      const el = h('button', { type: 'button', class: 'site-marker', 'aria-label': s.label, title: s.label, text: String(s.rank) });
      el.style.zIndex = String(1000 - s.rank);
      el.addEventListener('click', (ev) => {
        ev.stopPropagation();
        if (onMarker) onMarker(s);
      });
      el.hidden = this.mode !== 'planner';
      this.siteMarkers.push(new maplibregl.Marker({ element: el }).setLngLat([s.lon, s.lat]).addTo(this.map));
    }
  }

  /** Frames a geometry (an area) or a [minLon, minLat, maxLon, maxLat] box. */
  fitGeometry(geometryOrBox, { duration = 300 } = {}) {
    const box = Array.isArray(geometryOrBox) ? geometryOrBox : bbox(geometryOrBox);
    if (!box) return;
    // Even padding (clear of the legend) keeps the area in the middle of the map.
    const pad = this.framePadding();
    const canvas = this.map.getCanvas();
    const room = Math.min(canvas.clientWidth, canvas.clientHeight) / 3;
    const padding = Math.max(10, Math.min(room, Math.max(pad.top, pad.left, pad.right, pad.bottom)));
    this.map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding, maxZoom: 9, duration });
  }

  /** A PNG data URL of the map as drawn now (for the printed report). */
  snapshot() {
    return new Promise((resolve) => {
      this.map.once('render', () => {
        try {
          resolve(this.map.getCanvas().toDataURL('image/png'));
        } catch {
          resolve(null);
        }
      });
      this.map.triggerRepaint();
    });
  }

  flyTo(lon, lat) {
    this.map.easeTo({ center: [lon, lat], zoom: Math.max(this.map.getZoom(), 10), duration: 300 });
  }

  center() {
    if (!this.map) return { lon: (REGION_BOUNDS[0][0] + REGION_BOUNDS[1][0]) / 2, lat: (REGION_BOUNDS[0][1] + REGION_BOUNDS[1][1]) / 2 };
    const c = this.map.getCenter();
    return { lon: c.lng, lat: c.lat };
  }

  /** Re-labels the map's own controls after a language switch. */
  relabel() {
    if (!this.map) return; // made later, with the current language's strings
    const strings = uiStrings();
    if (this.map._locale) Object.assign(this.map._locale, strings); // read by ScaleControl on each update
    const container = this.map.getContainer();
    const set = (sel, text) => container.querySelectorAll(sel).forEach((el) => {
      el.setAttribute('title', text);
      el.setAttribute('aria-label', text);
    });
    set('.maplibregl-ctrl-zoom-in', strings['NavigationControl.ZoomIn']);
    set('.maplibregl-ctrl-zoom-out', strings['NavigationControl.ZoomOut']);
    this.map.getCanvas().setAttribute('aria-label', strings['Map.Title']);
    this._attributionText();
    this.map.fire('move'); // redraws the scale bar with the new unit label
  }
}
