// Shared helpers for the Tirek end-to-end tests: launching Debian's Chromium through
// playwright-core (never a downloaded browser), recording requests, decoding PNGs.

import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { NOT_FOR_SURVIVORS } from '../../web/js/lib/config.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = join(HERE, 'screenshots');
export const BASE_URL = (process.env.TIREK_URL || '').replace(/\/+$/, '');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync',
];

/** Launches Chromium with a fresh user-data-dir; returns { context, userDataDir, close }. */
export async function launch(options = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'tirek-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: LAUNCH_ARGS,
    viewport: { width: 1366, height: 768 },
    locale: 'en-US',
    timezoneId: 'Asia/Almaty',
    ...options,
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    userDataDir,
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Watches a page (or, with page = null, the whole browser context: workers included):
 * every request (and any to another origin), page errors, dialogs, console errors and
 * CSP violations.
 */
export function watch(target, page, origin) {
  const log = { requests: [], foreign: [], errors: [], dialogs: [], console: [], csp: [] };
  const onRequest = (req) => {
    const url = req.url();
    log.requests.push(url);
    if (/^(data|blob|about|chrome-extension):/.test(url)) return;
    let o = null;
    try { o = new URL(url).origin; } catch { o = url; }
    if (o !== origin) log.foreign.push(url);
  };
  (page || target).on('request', onRequest);
  if (!page) return log;
  page.on('pageerror', (err) => log.errors.push(String(err && err.stack || err)));
  page.on('dialog', (d) => {
    log.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error') log.console.push(text);
    if (/Content Security Policy/i.test(text)) log.csp.push(text);
  });
  return log;
}

/** Fetches JSON from the server under test (from the test process, not the page). */
export async function apiGet(path, params = {}) {
  const url = new URL(path, `${BASE_URL}/`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) to RGBA pixels. */
export function decodePng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8;
  let width = 0; let height = 0; let colorType = 0; let bitDepth = 0; let interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      bitDepth = data[8]; colorType = data[9]; interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  if (bitDepth !== 8 || interlace !== 0 || ![2, 6].includes(colorType)) {
    throw new Error(`unsupported PNG: depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? line[x - bpp] : 0;
      const b = prev[x];
      const c = x >= bpp ? prev[x - bpp] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c; const pa = Math.abs(p - a); const pb = Math.abs(p - b); const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      line[x] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out[(y * width + x) * 4] = line[x * bpp];
      out[(y * width + x) * 4 + 1] = line[x * bpp + 1];
      out[(y * width + x) * 4 + 2] = line[x * bpp + 2];
      out[(y * width + x) * 4 + 3] = bpp === 4 ? line[x * bpp + 3] : 255;
    }
    prev = line;
  }
  return { width, height, data: out };
}

/** Colour statistics of an image: distinct colours and the share of the most common one. */
export function colourStats({ width, height, data }) {
  const counts = new Map();
  for (let i = 0; i < width * height; i++) {
    const key = data.readUInt32BE(i * 4);
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  let top = 0;
  for (const n of counts.values()) top = Math.max(top, n);
  return { distinct: counts.size, dominantShare: top / (width * height), pixels: width * height };
}

/** Waits until the app says it is ready (first data drawn and initial search done). */
export async function waitReady(page, timeout = 30000) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || !!document.querySelector('#error-banner:not([hidden])'), null, { timeout });
  const error = await page.locator('#error-banner').evaluate((el) => (el.hidden ? null : el.textContent));
  if (error) throw new Error(`app reported: ${error}`);
}

/** Waits for the caseworker results for the current hash to be rendered. */
export async function waitResults(page, timeout = 20000) {
  await page.waitForFunction(() => {
    const el = document.querySelector('#cw-results');
    return el && !el.hasAttribute('aria-busy') && el.querySelector('section.sector, .error');
  }, null, { timeout });
}

/** The results the UI lists, per sector: [{ sector, ids, names }]. */
export async function listedResults(page) {
  return page.$$eval('#cw-results section.sector', (sections) => sections.map((s) => ({
    sector: s.dataset.sector,
    ids: Array.from(s.querySelectorAll('li.result')).map((li) => li.dataset.facilityId),
    names: Array.from(s.querySelectorAll('li.result .name')).map((n) => n.textContent),
  })));
}

/** Groups an /api/nearest answer like the UI: [{ sector, ids, names }], non-empty sectors only. */
/**
 * The sectors the caseworker view lists, in order: the server's (`/api/meta`) but those
 * a survivor's search leaves out (programmes for perpetrators, web/js/lib/config.js).
 */
export function caseworkerSectors(meta) {
  return meta.sectors.filter((s) => !NOT_FOR_SURVIVORS.includes(s));
}

export function groupNearest(results, sectors) {
  return sectors.map((sector) => {
    const rs = results.filter((r) => r.sector === sector);
    return {
      sector,
      ids: rs.map((r) => String(r.facility.properties.id ?? '')),
      names: rs.map((r) => r.facility.properties.name),
    };
  });
}

export function hashParams(page) {
  return new URLSearchParams(new URL(page.url()).hash.slice(1));
}

/** The link "Copy link" would copy: the only URL with the place and the needs. */
export async function shareLink(page) {
  return page.evaluate(() => window.__tirek.shareLink());
}

/** The parameters of that link. */
export async function shareParams(page) {
  return new URLSearchParams(new URL(await shareLink(page)).hash.slice(1));
}

/**
 * Centres the map on lon/lat at `zoom`, clicks that pixel with the mouse (the place
 * must change) and waits for the caseworker results.
 */
export async function clickPoint(page, lon, lat, zoom = 7) {
  await page.evaluate(([x, y, z]) => new Promise((resolve) => {
    const map = window.__tirek.map;
    map.once('idle', resolve);
    map.jumpTo({ center: [x, y], zoom: z });
  }), [lon, lat, zoom]);
  const pixel = await page.evaluate(([x, y]) => {
    const map = window.__tirek.map;
    const pt = map.project([x, y]);
    const r = map.getCanvas().getBoundingClientRect();
    return { x: r.left + pt.x, y: r.top + pt.y };
  }, [lon, lat]);
  const before = await shareLink(page);
  await page.mouse.click(pixel.x, pixel.y);
  await page.waitForFunction((u) => window.__tirek.shareLink() !== u, before);
  await waitResults(page);
}
