// Quick exit: the "Leave now" button and Escape pressed twice (within a second) blank
// the page and replace it, with location.replace (no new history entry, so Back does not
// come back here), by a neutral page: the operator's `quick_exit_url` from /api/meta,
// else DEFAULT_QUICK_EXIT_URL. index.html loads this module on its own before main.js,
// and it wires #quick-exit itself, so it works while the map, the strings or the data
// are still on their way, and offline.
// What stays in the browser afterwards is described in web/README.md ("Quick exit").

/** A weather search: neutral, ordinary anywhere, and it exists in every country. */
export const DEFAULT_QUICK_EXIT_URL = 'https://www.google.com/search?q=weather';

/** Two Escape presses at most this far apart (ms) leave. */
export const DOUBLE_ESCAPE_MS = 1000;

let target = DEFAULT_QUICK_EXIT_URL;
let left = false;

/** Only an absolute http(s) URL is accepted (never javascript: or a relative path). */
export function validExitUrl(url) {
  try {
    const u = new URL(String(url));
    return (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname ? u.href : null;
  } catch {
    return null;
  }
}

/** The operator's page (from /api/meta); anything invalid keeps the default. */
export function setQuickExitUrl(url) {
  target = validExitUrl(url) || DEFAULT_QUICK_EXIT_URL;
}

export function quickExitUrl() {
  return target;
}

/** Leaves at once: nothing of the page stays on screen while the neutral page loads. */
export function leave() {
  left = true;
  try {
    document.documentElement.style.display = 'none';
    document.title = '';
  } catch { /* leave regardless */ }
  window.location.replace(target);
}

/**
 * Wires the buttons and the double Escape (capture phase on window, so no dialog or
 * list that handles Escape itself can swallow it: the first press may close it, the
 * second leaves).
 */
export function initQuickExit(buttons) {
  for (const b of buttons) b.addEventListener('click', (ev) => { ev.preventDefault(); leave(); });
  let lastEscape = -Infinity;
  window.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' && ev.key !== 'Esc') return;
    const now = performance.now();
    if (now - lastEscape <= DOUBLE_ESCAPE_MS) {
      ev.preventDefault();
      leave();
      return;
    }
    lastEscape = now;
  }, true);
  // If this page is ever shown again from the back-forward cache after leaving, it is
  // loaded afresh rather than shown as it was.
  window.addEventListener('pageshow', (ev) => {
    if (ev.persisted && left) window.location.reload();
  });
}

if (typeof document !== 'undefined') {
  const button = document.getElementById('quick-exit');
  if (button) initQuickExit([button]);
}
