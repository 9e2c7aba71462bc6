#!/usr/bin/env bash
# Travel time over a friction surface (W3): Tirek against the anchors of
# ../shared/bench/travel (exact scipy Dijkstra in Python; GRASS r.cost) on the same
# generated data, in the same run.
#   scripts/bench-travel.sh [tiny|default|large] [REPEAT]
# Runs ../shared/bench/travel/run_travel.sh (data, cached under $TRAVEL_ROOT or
# /tmp/travel; the Python reference; GRASS r.cost). When GRASS is not installed it runs
# the pieces instead (gen_travel.py, py_travel.py) and says so: then there is no GRASS
# figure. Then, REPEAT times each, Tirek's release build:
#   tirek travel-time --friction … --facilities facilities.csv --points population.csv
#   tirek coverage --friction … --threshold-min health=120,police=60,psychosocial=120,shelter=240
# and checks both outputs with check_travel.py. Prints the anchors' JSON line, then one
# JSON line with Tirek's figures (medians over REPEAT processes):
#   tirek_travel_s       travel-time computation after loading (facilities and points
#                        placed, 4 sectors' Dijkstra over the whole surface, times
#                        gathered; --timings' compute_ms): the ratios use this
#   tirek_coverage_s     coverage --friction computation after loading (each sector's
#                        search stops at its threshold)
#   tirek_*_cpu_s        CPU time of that computation, all threads (wall time on a
#                        machine shared with other jobs can be far above CPU / threads)
#   tirek_*_load_s       reading the GeoTIFF, facilities and points
#   tirek_*_process_s    wall time of the whole process (output written)
#   tirek_*_peak_rss_mb  peak resident memory (/usr/bin/time)
# TRAVEL_REUSE_ANCHORS=1 takes the anchors' figures from their last run on this preset
# (under $TRAVEL_ROOT/out) instead of running them again (the data must be the same).
# TIREK_BIN=path benches that binary instead of building the release one (e.g. to compare
# two builds). The binary is copied to a private file first (the target directory may be
# shared).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
repeat="${2:-1}"
bench="${TRAVEL_BENCH:-../shared/bench/travel}"
root="${TRAVEL_ROOT:-/tmp/travel}"
venv="${ANCHORS_VENV:-/tmp/anchors/venv}"
[ -f "$bench/run_travel.sh" ] || { echo "no travel bench at $bench" >&2; exit 1; }
bench="$(cd "$bench" && pwd)"
export TRAVEL_ROOT="$root" ANCHORS_VENV="$venv"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
tirek="$out/tirek"
if [ -n "${TIREK_BIN:-}" ]; then
  cp "$TIREK_BIN" "$tirek"
else
  cargo build --release --locked --quiet
  cp "${CARGO_TARGET_DIR:-target}/release/tirek" "$tirek"
fi

data="$root/data/$preset"
if [ -n "${TRAVEL_REUSE_ANCHORS:-}" ] && [ -f "$root/out/$preset/py/py_travel_timings.json" ] && [ -f "$data/expected/py_travel_time.csv" ]; then
  echo "== anchors: reusing the last run's figures ($root/out/$preset)" >&2
  anchor_json="$("$venv/bin/python" -c "
import json, os; p = json.load(open('$root/out/$preset/py/py_travel_timings.json'))
g = '$root/out/$preset/grass/grass_timings.json'
g = json.load(open(g)) if os.path.exists(g) else {}
print(json.dumps({'preset': '$preset', 'cells': p['cells'], 'python_w3_s': p['python_w3_s'],
                  'python_w3_dijkstra_s': p['python_w3_dijkstra_s'], 'grass_w3_s': g.get('grass_w3_s'),
                  'grass_ratio_p50': g.get('ratio_p50'), 'reused': True}))")"
elif command -v grass >/dev/null; then
  echo "== anchors: run_travel.sh $preset $repeat (Python reference and GRASS r.cost)" >&2
  anchor_json="$(bash "$bench/run_travel.sh" "$preset" "$repeat")"
else
  echo "== anchors: GRASS is not installed; running gen_travel.py and py_travel.py only (no GRASS anchor)" >&2
  if ! "$venv/bin/python" -c "import numpy, scipy, pyproj, tifffile" 2>/dev/null; then
    python3 -m venv "$venv"
    mkdir -p "$root"
    { grep -v psycopg "$bench/../anchors/requirements.txt"; cat "$bench/requirements.txt"; } > "$root/requirements.txt"
    "$venv/bin/pip" install -q -r "$root/requirements.txt" >&2
  fi
  [ -f "$data/manifest.json" ] || "$venv/bin/python" "$bench/gen_travel.py" "$data" --preset "$preset" >&2
  "$venv/bin/python" "$bench/py_travel.py" "$data" "$root/out/$preset/py" --repeat "$repeat" >&2
  mkdir -p "$data/expected"
  cp "$root/out/$preset/py/py_travel_time.csv" "$root/out/$preset/py/py_travel_coverage.csv" "$data/expected/"
  anchor_json="$("$venv/bin/python" -c "
import json; p = json.load(open('$root/out/$preset/py/py_travel_timings.json'))
print(json.dumps({'preset': '$preset', 'cells': p['cells'], 'python_w3_s': p['python_w3_s'],
                  'python_w3_dijkstra_s': p['python_w3_dijkstra_s'], 'grass_w3_s': None}))")"
fi
echo "$anchor_json"

echo "== tirek ($preset, repeat $repeat)" >&2
for i in $(seq 1 "$repeat"); do
  /usr/bin/time -f "process travel %e %M" -a -o "$out/process.log" \
    "$tirek" --data-dir "$out/store" travel-time --friction "$data/friction.tif" \
    --facilities "$data/facilities.csv" --points "$data/population.csv" \
    --timings --out "$out/times.csv" 2>>"$out/travel.log"
  /usr/bin/time -f "process coverage %e %M" -a -o "$out/process.log" \
    "$tirek" --data-dir "$out/store" coverage --friction "$data/friction.tif" \
    --threshold-min health=120,police=60,psychosocial=120,shelter=240 \
    --facilities "$data/facilities.geojson" --population "$data/population.csv" \
    --areas "$data/districts.geojson" --code-field id --area-column district_id \
    --id-column district_id --timings --out "$out/coverage.csv" 2>>"$out/coverage.log"
done
grep -v '^timings ' "$out/travel.log" | sort | uniq -c | sed 's/^/   /' >&2 || true
set +e
verdict="$("$venv/bin/python" "$bench/check_travel.py" "$data/expected" "$out/times.csv" "$out/coverage.csv")"
check_status=$?
set -e

"$venv/bin/python" - "$anchor_json" "$out" "$verdict" "$preset" <<'PY'
import json, statistics, sys
anchors, out, verdict, preset = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
def timings(name):
    rows = [json.loads(l.split(" ", 1)[1]) for l in open(f"{out}/{name}.log") if l.startswith("timings ")]
    return {k: statistics.median(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], (int, float))}
travel, cov = timings("travel"), timings("coverage")
load = open("/proc/loadavg").read().split()[0]
proc = [l.split() for l in open(f"{out}/process.log") if l.startswith("process ")]
def process(kind):
    rows = [p for p in proc if p[1] == kind]
    return statistics.median(float(p[2]) for p in rows), max(int(p[3]) for p in rows) / 1024
tw, trss = process("travel")
cw, crss = process("coverage")
t, c = travel["compute_ms"] / 1000, cov["compute_ms"] / 1000
r = lambda a, b: round(a / b, 1) if a and b else None
result = {
    "preset": preset, "check_ok": verdict.get("ok"),
    "times_mismatch": verdict.get("times", {}).get("mismatch"),
    "coverage_mismatch": verdict.get("coverage", {}).get("mismatch"),
    "tirek_travel_s": round(t, 4), "tirek_coverage_s": round(c, 4),
    "tirek_travel_cpu_s": round(travel["compute_cpu_ms"] / 1000, 4) if "compute_cpu_ms" in travel else None,
    "tirek_coverage_cpu_s": round(cov["compute_cpu_ms"] / 1000, 4) if "compute_cpu_ms" in cov else None,
    "tirek_travel_load_s": round(travel["load_ms"] / 1000, 4),
    "tirek_coverage_load_s": round(cov["load_ms"] / 1000, 4),
    "tirek_travel_process_s": round(tw, 3), "tirek_coverage_process_s": round(cw, 3),
    "tirek_travel_peak_rss_mb": round(trss), "tirek_coverage_peak_rss_mb": round(crss),
    "tirek_threads": travel.get("threads"), "load_average_1min": float(load),
    "python_w3_s": anchors.get("python_w3_s"), "grass_w3_s": anchors.get("grass_w3_s"),
    "travel_vs_python": r(anchors.get("python_w3_s"), t),
    "travel_vs_grass": r(anchors.get("grass_w3_s"), t),
    "coverage_vs_python": r(anchors.get("python_w3_s"), c),
    "coverage_vs_grass": r(anchors.get("grass_w3_s"), c),
}
print(json.dumps(result))
print(json.dumps(verdict), file=sys.stderr)
PY
exit "$check_status"
