// Measures what a first visit costs on the wire: every request of a fresh browser
// context (the page, MapLibre's workers and, once installed, the service worker),
// until the page is ready, the network is idle and any service worker has finished
// installing. Prints one line per request and the totals as JSON on the last line.
//
//   node tests/e2e/first-load.mjs http://127.0.0.1:8080 [--quiet]
//
// The browser talks to the server through a local TCP relay that counts every byte the
// server sends (`wire`, the figure to compare: it includes what the browser's own
// accounting misses, such as MapLibre's worker script). The per-request lines are
// Playwright's `request.sizes()` (body as transferred, compressed, and headers).

import net from 'node:net';
import { launch, waitReady } from './lib.mjs';

/** A TCP relay on 127.0.0.1 in front of `target` (an http URL); counts bytes sent down. */
async function relay(target) {
  const { hostname, port } = new URL(target);
  const counter = { down: 0, up: 0 };
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port || 80), hostname);
    sockets.add(client).add(upstream);
    upstream.on('data', (d) => { counter.down += d.length; });
    client.on('data', (d) => { counter.up += d.length; });
    client.pipe(upstream).pipe(client);
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counter,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Loads `base`/ in a fresh context; returns { wire, requests: [{url, body, headers, sw}],
 * body, headers } (`wire`: bytes the server sent, all connections).
 */
export async function measureFirstLoad(base) {
  const proxy = await relay(base);
  const url = `${proxy.url}/`;
  const browser = await launch();
  const finished = [];
  browser.context.on('requestfinished', (req) => finished.push(req));
  try {
    const page = await browser.context.newPage();
    await page.goto(url);
    await waitReady(page);
    await page.waitForLoadState('networkidle');
    // The offline copy is made after the first paint: wait until it is complete.
    await page.evaluate(() => window.__tirek?.offlineReady ?? null);
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500);
    const requests = [];
    for (const req of finished) {
      const s = await req.sizes().catch(() => null);
      if (!s) continue;
      requests.push({
        url: req.url(),
        body: s.responseBodySize,
        headers: s.responseHeadersSize,
        sw: !!req.serviceWorker(),
      });
    }
    const body = requests.reduce((a, r) => a + r.body, 0);
    const headers = requests.reduce((a, r) => a + r.headers, 0);
    return { wire: proxy.counter.down, requests, body, headers };
  } finally {
    await browser.close();
    await proxy.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base = (process.argv[2] || process.env.TIREK_URL || '').replace(/\/+$/, '');
  if (!base) {
    console.error('usage: node first-load.mjs BASE_URL [--quiet]');
    process.exit(2);
  }
  const m = await measureFirstLoad(base);
  if (!process.argv.includes('--quiet')) {
    for (const r of m.requests) console.log(`${String(r.body).padStart(8)} ${String(r.headers).padStart(5)} ${r.sw ? 'sw ' : '   '}${new URL(r.url).pathname}${new URL(r.url).search}`);
  }
  console.log(JSON.stringify({ wire: m.wire, requests: m.requests.length, body: m.body, headers: m.headers }));
}
