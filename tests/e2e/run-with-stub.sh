#!/usr/bin/env bash
# Runs the e2e tests against the DEV/TEST stub server (tests/e2e/stub_server.py).
# In CI, start the real Tirek server instead and run:  TIREK_URL=http://127.0.0.1:PORT npm test
# Needs: python3, node >= 20, Debian chromium (/usr/bin/chromium), and `npm ci` in
# web/ (MapLibre) and tests/e2e/ (playwright-core).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
log="$(mktemp)"
python3 "$here/stub_server.py" --port 0 >"$log" 2>&1 &
stub=$!
trap 'kill "$stub" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 50); do
  url="$(sed -n 's/^listening on //p' "$log")"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { cat "$log"; echo "stub server did not start" >&2; exit 1; }
cd "$here"
TIREK_URL="$url" TIREK_E2E_XSS="${TIREK_E2E_XSS:-1}" node --test --test-concurrency=1 .
