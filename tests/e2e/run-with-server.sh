#!/usr/bin/env bash
# Starts a real Tirek server (debug build, fresh SQLite store with the default data,
# plus two fixtures: a confidential shelter and a facility with an HTML-injection name)
# on a free loopback port, runs the browser tests against it, stops it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cargo build --locked --quiet
data="$(mktemp -d)"
log="$data/server.log"
tirek="${CARGO_TARGET_DIR:-target}/debug/tirek"
# A planner account and API token to seed the fixtures through the API (an account
# leaves the data empty, so the server still loads the default data on start).
"$tirek" --data-dir "$data" user add e2e-planner --role planner >/dev/null
token="$("$tirek" --data-dir "$data" user token e2e-planner --label e2e | tail -n1)"
"$tirek" --data-dir "$data" serve --listen 127.0.0.1:0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's/.*Tirek serving \(http:[^ ]*\).*/\1/p' "$log" | head -n1)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log"; echo "the server stopped" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "the server did not start" >&2; exit 1; }
curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  --data-binary @tests/e2e/fixtures.geojson "$url/api/import" >/dev/null
cd tests/e2e
TIREK_URL="$url" TIREK_E2E_XSS=1 node --test --test-concurrency=1 .
