#!/usr/bin/env bash
# Peak memory (resident set) of Tirek's readers, the three figures of
# docs/deployment.md ("Memory of imports"):
#
#   1. `tirek import facilities` of N synthetic facilities (default 1,000,000) into a
#      fresh SQLite store: peak RSS and wall time (GNU time, Debian package `time`);
#   2. `POST /api/import` of a ~63 MB GeoJSON body into a running server (default data
#      loaded): the server's peak RSS during the import, its RSS before and after;
#   3. a zip bomb (a small archive whose .shp unpacks to GBs of zeros) at
#      `POST /api/import/areas`, once and four at a time: the server's peak RSS.
#
#   bash scripts/measure-memory.sh
#   FACILITIES=200000 HTTP_FACILITIES=20000 bash scripts/measure-memory.sh   # quicker
#
# Settings (environment): FACILITIES (1000000), HTTP_FACILITIES (the count whose GeoJSON
# is ~63 MB: 67500), BOMB_MB (what the bomb's .shp unpacks to, MB: 4096), TIREK_BIN and
# SYNTH_BIN (measure these binaries instead of building them), KEEP=1 (keep the work
# directory). Needs curl, python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

FACILITIES="${FACILITIES:-1000000}"
HTTP_FACILITIES="${HTTP_FACILITIES:-67500}"
BOMB_MB="${BOMB_MB:-4096}"

fail() { echo "measure-memory: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || fail "/usr/bin/time is missing: apt-get install -y time"
command -v curl >/dev/null || fail "curl is missing"
command -v python3 >/dev/null || fail "python3 is missing"

target_dir="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
server=""
stop_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=""
}
cleanup() {
  stop_server
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

if [ -n "${TIREK_BIN:-}" ]; then
  cp "$TIREK_BIN" "$work/tirek"
  cp "${SYNTH_BIN:?SYNTH_BIN is needed with TIREK_BIN}" "$work/synth"
else
  cargo build --release --locked --bin tirek --example synth >&2
  # Copied at once: a shared target directory may be rebuilt by someone else meanwhile.
  cp "$target_dir/release/tirek" "$target_dir/release/examples/synth" "$work/"
fi
bin="$work/tirek"
mb() { awk -v kb="$1" 'BEGIN {printf "%.0f MB", kb / 1024}'; }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server/status"; }

# 1. The command-line import.
echo "generating $FACILITIES synthetic facilities …" >&2
"$work/synth" "$FACILITIES" > "$work/cli.geojson"
cli_bytes="$(stat -c %s "$work/cli.geojson")"
RUST_LOG=warn /usr/bin/time -v -o "$work/cli.time" \
  "$bin" --data-dir "$work/cli-data" import facilities "$work/cli.geojson" >&2
cli_peak_kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/cli.time")"
cli_wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/cli.time")"
rm -f "$work/cli.geojson"
rm -rf "$work/cli-data"

# A server on a fresh data directory (default data), with a planner's API token.
start_server() {
  rm -rf "$work/data" && mkdir -p "$work/data"
  local otp
  otp="$(RUST_LOG=warn "$bin" --data-dir "$work/data" user add planner --role planner | tail -n 1)"
  env RUST_LOG=warn,tirek::cli::serve=info "$bin" --data-dir "$work/data" serve \
    --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
  server=$!
  address=""
  for _ in $(seq 1 600); do
    address="$(sed -n 's|.*Tirek serving http://\([0-9.:]*\).*|\1|p' "$work/server.log" | head -n 1)"
    [ -n "$address" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited before listening"; }
    sleep 0.2
  done
  [ -n "$address" ] || fail "the server did not start within 120 s"
  # The one-time password is changed through a session, then a token is issued.
  local browser=(-H 'Content-Type: application/json' -H 'Sec-Fetch-Site: same-origin')
  curl -fsS "${browser[@]}" -c "$work/cookies" "http://$address/api/login" \
    -d "{\"username\":\"planner\",\"password\":\"$otp\"}" >/dev/null
  curl -fsS "${browser[@]}" -b "$work/cookies" "http://$address/api/password" \
    -d "{\"current\":\"$otp\",\"new\":\"measure-memory-password\"}" >/dev/null
  token="$(RUST_LOG=warn "$bin" --data-dir "$work/data" user token planner | tail -n 1)"
  sleep 1
}
# Peak RSS (VmHWM) of what follows: the kernel resets it on `echo 5 > clear_refs`.
reset_peak() { echo 5 > "/proc/$server/clear_refs"; }

# 2. An HTTP import of ~63 MB.
"$work/synth" "$HTTP_FACILITIES" 11 > "$work/http.geojson"
http_bytes="$(stat -c %s "$work/http.geojson")"
start_server
rss_before="$(status_kb VmRSS)"
reset_peak
curl -fsS -o "$work/http.out" -H "Authorization: Bearer $token" -H 'Content-Type: application/geo+json' \
  --data-binary @"$work/http.geojson" "http://$address/api/import" || { cat "$work/http.out" >&2; fail "the import failed"; }
http_peak="$(status_kb VmHWM)"
sleep 5
rss_after="$(status_kb VmRSS)"
grep -q "\"created\":$HTTP_FACILITIES" "$work/http.out" || { cat "$work/http.out" >&2; fail "the import did not create every record"; }
rm -f "$work/http.geojson"
stop_server

# 3. The zip bomb, once, then four at a time.
python3 - "$work/bomb.zip" "$BOMB_MB" <<'EOF'
import sys, zipfile
path, mb = sys.argv[1], int(sys.argv[2])
zeros = bytes(1 << 20)
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("bomb.shp", "w", force_zip64=True) as f:
        for _ in range(mb):
            f.write(zeros)
    z.writestr("bomb.dbf", b"")
EOF
bomb_bytes="$(stat -c %s "$work/bomb.zip")"
start_server
post_bomb() {
  curl -sS -o "$work/bomb.$1.out" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/zip' --data-binary @"$work/bomb.zip" \
    "http://$address/api/import/areas?level=2"
}
reset_peak
code="$(post_bomb 1)"
[ "$code" = 422 ] || { cat "$work/bomb.1.out" >&2; fail "the bomb was answered $code, not 422"; }
bomb_peak="$(status_kb VmHWM)"
sleep 2
reset_peak
posts=()
for i in 1 2 3 4; do post_bomb "p$i" > "$work/bomb.p$i.code" & posts+=($!); done
wait "${posts[@]}"
for i in 1 2 3 4; do [ "$(cat "$work/bomb.p$i.code")" = 422 ] || fail "a parallel bomb was not refused"; done
bomb4_peak="$(status_kb VmHWM)"
stop_server

echo
echo "CLI import of $FACILITIES facilities ($((cli_bytes / 1000000)) MB GeoJSON): peak RSS $(mb "$cli_peak_kb"), wall time $cli_wall"
echo "HTTP import of $HTTP_FACILITIES facilities ($((http_bytes / 1000000)) MB body): server peak RSS $(mb "$http_peak") ($(awk -v p="$http_peak" -v b="$http_bytes" 'BEGIN {printf "%.1f", p * 1024 / b}')× the body), RSS before $(mb "$rss_before"), 5 s after $(mb "$rss_after")"
echo "zip bomb ($((bomb_bytes / 1000)) kB unpacking to $BOMB_MB MB) at /api/import/areas: server peak RSS $(mb "$bomb_peak") once, $(mb "$bomb4_peak") four at a time (refused 422)"
