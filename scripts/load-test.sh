#!/usr/bin/env bash
# Load test of GET /api/nearest on loopback with wrk (Debian package `wrk`:
# apt-get install -y wrk). Builds the release binary, starts a server on a temporary
# SQLite data directory, drives it with wrk (query points spread over Central Asia,
# scripts/load-test.lua) and prints requests/s, p50 and p99.
#
#   bash scripts/load-test.sh                  # the default (demo) data: 490 facilities
#   FACILITIES=100000 bash scripts/load-test.sh   # N synthetic realistic facilities
#   FRICTION=/tmp/travel/data/large CONNECTIONS=1 bash scripts/load-test.sh
#       # by travel time: the bench's facilities and friction surface (see below)
#
# Settings (environment): FACILITIES (0 = default data), THREADS (2), CONNECTIONS (64),
# DURATION (20s), PORT (default: a free port the system picks; a given port must be free),
# QUERY (extra query string, e.g. "&sector=health&k=3"), SERVER_THREADS (tokio workers;
# default: one per core), TIREK_BIN (measure this binary instead of building one),
# FRICTION (a travel bench data folder, ../shared/bench/travel: its facilities.geojson
# replaces the default data and its friction.tif is stored as the scenario `walking`;
# QUERY defaults to "&by=time&scenario=walking&sector=health&k=3").
#
# The script measures only its own server: it takes the address from that server's log
# (the port is bound by it, no one else), fails if the server does not start or exits,
# and checks afterwards that the server is still running and did the work.
set -euo pipefail
cd "$(dirname "$0")/.."

FACILITIES="${FACILITIES:-0}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-20s}"
PORT="${PORT:-0}"
FRICTION="${FRICTION:-}"
if [ -n "$FRICTION" ]; then QUERY="${QUERY-&by=time&scenario=walking&sector=health&k=3}"; fi
QUERY="${QUERY:-}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "wrk is missing: apt-get install -y wrk" >&2
  exit 1
fi

fail() { echo "load-test: $*" >&2; exit 1; }

if [ "$PORT" != 0 ] && curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; then
  fail "something already answers on 127.0.0.1:$PORT; stop it or leave PORT unset (a free port is picked)"
fi

target_dir="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ -n "${TIREK_BIN:-}" ]; then
  [ "$FACILITIES" -eq 0 ] || fail "TIREK_BIN works with the default data only (FACILITIES=0)"
  cp "$TIREK_BIN" "$work/tirek"
else
  cargo build --release --locked --bin tirek --example synth >&2
  # Copied at once: a shared target directory may be rebuilt by someone else meanwhile.
  cp "$target_dir/release/tirek" "$target_dir/release/examples/synth" "$work/"
fi
bin="$work/tirek"

serve_args=()
if [ "$FACILITIES" -gt 0 ]; then
  echo "generating and importing $FACILITIES synthetic facilities …" >&2
  "$work/synth" "$FACILITIES" > "$work/facilities.geojson"
  RUST_LOG=warn "$bin" --data-dir "$work/data" import facilities "$work/facilities.geojson" >&2
  serve_args+=(--no-default-data)
fi
if [ -n "$FRICTION" ]; then
  [ "$FACILITIES" -eq 0 ] || fail "FRICTION brings its own facilities: leave FACILITIES unset"
  echo "importing $FRICTION/facilities.geojson and its friction surface as 'walking' …" >&2
  # The bench facilities have no name or country, which the store requires.
  python3 - "$FRICTION/facilities.geojson" "$work/bench-facilities.geojson" <<'PY'
import json, sys
fc = json.load(open(sys.argv[1]))
for f in fc["features"]:
    f["properties"].setdefault("name", f["properties"]["id"])
    # The bench box reaches past the five countries; the country only files the record.
    f["properties"].setdefault("country", "KZ")
json.dump(fc, open(sys.argv[2], "w"))
PY
  RUST_LOG=warn "$bin" --data-dir "$work/data" import facilities "$work/bench-facilities.geojson" >&2
  RUST_LOG=warn "$bin" --data-dir "$work/data" import friction "$FRICTION/friction.tif" --scenario walking >&2
  serve_args+=(--no-default-data)
fi

# The server logs the address it bound ("Tirek serving http://…") at info level.
env RUST_LOG=warn,tirek::cli::serve=info ${SERVER_THREADS:+TOKIO_WORKER_THREADS=$SERVER_THREADS} \
  "$bin" --data-dir "$work/data" serve --listen "127.0.0.1:$PORT" "${serve_args[@]}" \
  >"$work/server.log" 2>&1 &
server=$!
address=""
for _ in $(seq 1 600); do
  address="$(sed -n 's|.*Tirek serving http://\([0-9.:]*\).*|\1|p' "$work/server.log" | head -n 1)"
  [ -n "$address" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    cat "$work/server.log" >&2
    fail "the server exited before listening (is 127.0.0.1:$PORT taken?)"
  fi
  sleep 0.2
done
[ -n "$address" ] || { cat "$work/server.log" >&2; fail "the server did not start within 120 s"; }
PORT="${address##*:}"
curl -fsS "http://$address/healthz" >/dev/null || fail "the server at $address does not answer /healthz"
facilities="$(curl -fsS "http://$address/api/meta" | sed -n 's/.*"facilities": *\([0-9]*\).*/\1/p')"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
# Warm up, then measure.
wrk -t "$THREADS" -c "$CONNECTIONS" -d 3s -s scripts/load-test.lua "http://127.0.0.1:$PORT" -- "$QUERY" >/dev/null
cmd=(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --latency -s scripts/load-test.lua "http://127.0.0.1:$PORT" -- "$QUERY")
echo "${cmd[*]}" >&2
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
before="$(cpu_ticks)"
"${cmd[@]}" | tee "$work/wrk.txt" >&2
after="$(cpu_ticks)"
# Still our server, and it did the work (not some other process on the port).
kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; fail "the server exited during the run"; }
[ "$after" -gt "$before" ] || fail "the server used no CPU during the run: wrk did not measure it"

rps="$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")"
p50="$(awk '/^ +50%/ {print $2}' "$work/wrk.txt")"
p99="$(awk '/^ +99%/ {print $2}' "$work/wrk.txt")"
errors="$(awk '/Non-2xx|Socket errors/' "$work/wrk.txt")"
requests="$(awk '/requests in/ {print $1}' "$work/wrk.txt")"
cpu_us="$(awk -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')"
peak="$(awk '/^VmHWM:/ {printf "%.0f MB", $2 / 1024}' "/proc/$server/status")"
echo
echo "GET /api/nearest${QUERY:+?…$QUERY} on $(nproc) cores (shared with wrk), ${facilities:-?} facilities: ${rps} requests/s, p50 ${p50}, p99 ${p99} (wrk -t$THREADS -c$CONNECTIONS -d$DURATION); server CPU ${cpu_us} µs per request; server peak RSS ${peak}; load average before: ${load_before}"
if [ -n "$errors" ]; then echo "errors: $errors"; fi
