#!/usr/bin/env bash
# Starts real Tirek servers (debug build, fresh SQLite stores with the default data) on
# free loopback ports, each a copy of the binary run from a folder of its own (so the
# map and the default data are those built in), runs the browser tests against them,
# stops them:
# - TIREK_URL: no basemap (the default), plus two fixtures: a confidential shelter and a
#   facility with an HTML-injection name; its caseworker account's one-time password
#   goes to the tests as TIREK_E2E_CASEWORKER_PASSWORD (signin.test.mjs);
# - TIREK_BASEMAP_URL: a raster PMTiles basemap (a z0-z2 archive that
#   make-pmtiles.mjs writes now) for basemap.test.mjs, which may also import areas
#   there (TIREK_E2E_TOKEN);
# - TIREK_XYZ_URL: no default data, an XYZ basemap on 127.0.0.1:TIREK_XYZ_TILES_PORT,
#   where basemap.test.mjs serves tiles itself;
# - TIREK_DISTRICTS_URL: the default data plus three test districts (admin level 2) near
#   Shymkent (districts.geojson), so that the planner's finest level is districts
#   (field.test.mjs prints a district's referral pathway).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cargo build --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/debug/tirek"
data="$(mktemp -d)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$data"' EXIT

# start NAME [serve flags…]: a server on a fresh store in $data/NAME, with a planner
# account (its one-time password in $data/NAME.planner; see mint_token) and a caseworker account
# (e2e-caseworker) whose one-time password (the last line `user add` prints) is in
# $data/NAME.caseworker (accounts leave the data empty, so the server still loads the
# default data on start).
start() {
  local name="$1"; shift
  mkdir -p "$data/$name"
  "$bin" --data-dir "$data/$name" user add e2e-planner --role planner | tail -n1 >"$data/$name.planner"
  "$bin" --data-dir "$data/$name" user add e2e-caseworker --role caseworker | tail -n1 >"$data/$name.caseworker"
  # A copy of the binary, started in a folder holding nothing else: the web map and the
  # default data it serves must be the ones built into it.
  mkdir -p "$data/$name.bin"
  cp "$bin" "$data/$name.bin/tirek"
  (cd "$data/$name.bin" && exec ./tirek --data-dir "$data/$name" serve --listen 127.0.0.1:0 "$@") >"$data/$name.log" 2>&1 &
  pids+=("$!")
}

# url_of NAME PID: waits for the server's address.
url_of() {
  local log="$data/$1.log" url=""
  for _ in $(seq 1 600); do
    url="$(sed -n 's/.*Tirek serving \(http:[^ ]*\).*/\1/p' "$log" | head -n1)"
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$2" 2>/dev/null || { cat "$log" >&2; echo "the $1 server stopped" >&2; return 1; }
    sleep 0.1
  done
  cat "$log" >&2; echo "the $1 server did not start" >&2; return 1
}

# mint_token NAME URL: as an operator sets up a script's token: the planner signs in
# with its one-time password, chooses its own, and mints an API token with that
# session (a token is never issued on a one-time password, nor minted by a token);
# the token goes to $data/NAME.token.
mint_token() {
  local jar="$data/$1.cookies" password="chosen-secret-$RANDOM-$RANDOM-$RANDOM"
  local json="Content-Type: application/json" origin="Origin: $2"
  curl -fsS -c "$jar" -H "$json" -H "$origin" -X POST "$2/api/login" \
    --data "{\"username\":\"e2e-planner\",\"password\":\"$(cat "$data/$1.planner")\"}" >/dev/null
  curl -fsS -b "$jar" -c "$jar" -H "$json" -H "$origin" -X POST "$2/api/password" \
    --data "{\"current\":\"$(cat "$data/$1.planner")\",\"new\":\"$password\"}" >/dev/null
  curl -fsS -b "$jar" -H "$json" -H "$origin" -X POST "$2/api/tokens" --data '{"label":"e2e"}' |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))' >"$data/$1.token"
}

node tests/e2e/make-pmtiles.mjs "$data/basemap.pmtiles" 2
start main --quick-exit-url "https://neutral.example/weather?q=today"
start basemap --basemap-pmtiles "$data/basemap.pmtiles" --basemap-attribution "Test tiles (e2e)"
xyz_port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
start xyz --no-default-data --basemap-xyz "http://127.0.0.1:$xyz_port/{z}/{x}/{y}.png" \
  --basemap-attribution "XYZ test tiles (e2e)"
start districts
url="$(url_of main "${pids[0]}")"
basemap_url="$(url_of basemap "${pids[1]}")"
xyz_url="$(url_of xyz "${pids[2]}")"
districts_url="$(url_of districts "${pids[3]}")"
mint_token main "$url"
mint_token basemap "$basemap_url"
mint_token districts "$districts_url"
curl -fsS -X POST -H "Authorization: Bearer $(cat "$data/districts.token")" -H 'Content-Type: application/json' \
  --data-binary @tests/e2e/districts.geojson "$districts_url/api/import/areas?level=2" >/dev/null
token="$(cat "$data/main.token")"
curl -fsS -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  --data-binary @tests/e2e/fixtures.geojson "$url/api/import" >/dev/null
# Stewardship (manage.test.mjs): an agency editor of a demo organisation and a
# coordinator, added now that the running server has loaded the demo organisations.
"$bin" --data-dir "$data/main" user add e2e-editor --role editor --organisation demo-kg-legal | tail -n1 >"$data/main.editor"
"$bin" --data-dir "$data/main" user add e2e-coordinator --role planner | tail -n1 >"$data/main.coordinator"
# Referrals (coordination.test.mjs): a caseworker of a demo crisis centre refers to a
# facility of demo-kg-legal, whose editor answers; a planner reads the figures.
"$bin" --data-dir "$data/main" user add e2e-co-caseworker --role caseworker --organisation demo-kg-crisis | tail -n1 >"$data/main.co-caseworker"
"$bin" --data-dir "$data/main" user add e2e-co-editor --role editor --organisation demo-kg-legal | tail -n1 >"$data/main.co-editor"
"$bin" --data-dir "$data/main" user add e2e-co-planner --role planner | tail -n1 >"$data/main.co-planner"
cd tests/e2e
TIREK_URL="$url" TIREK_BASEMAP_URL="$basemap_url" TIREK_E2E_TOKEN="$(cat "$data/basemap.token")" TIREK_E2E_XSS=1 \
  TIREK_XYZ_URL="$xyz_url" TIREK_XYZ_TILES_PORT="$xyz_port" TIREK_DISTRICTS_URL="$districts_url" \
  TIREK_E2E_CASEWORKER_PASSWORD="$(cat "$data/main.caseworker")" \
  TIREK_E2E_EDITOR_PASSWORD="$(cat "$data/main.editor")" \
  TIREK_E2E_COORDINATOR_PASSWORD="$(cat "$data/main.coordinator")" \
  TIREK_E2E_CO_CASEWORKER_PASSWORD="$(cat "$data/main.co-caseworker")" \
  TIREK_E2E_CO_EDITOR_PASSWORD="$(cat "$data/main.co-editor")" \
  TIREK_E2E_CO_PLANNER_PASSWORD="$(cat "$data/main.co-planner")" \
  TIREK_E2E_FIRST_LOAD_BASELINE="${TIREK_E2E_FIRST_LOAD_BASELINE:-778206}" \
  node --test --test-concurrency=1 ${TIREK_E2E_ONLY:-.}
