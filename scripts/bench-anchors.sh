#!/usr/bin/env bash
# Side-by-side benchmark: Tirek against the PostGIS and Python anchors of
# ../shared/bench/anchors on the same generated data, in the same run.
#   scripts/bench-anchors.sh [tiny|default|large] [REPEAT]
# Prints the anchors' JSON line, Tirek's medians, the check verdict for Tirek's
# coverage.csv and nearest.csv (exact geodesic columns), and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
repeat="${2:-3}"
anchors="${ANCHORS_DIR:-../shared/bench/anchors}"
root="${ANCHORS_ROOT:-/tmp/anchors}"
[ -x "$anchors/run.sh" ] || [ -f "$anchors/run.sh" ] || { echo "no anchors at $anchors" >&2; exit 1; }

cargo build --release --locked --quiet
tirek=./target/release/tirek
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

echo "== anchors ($preset, repeat $repeat)" >&2
anchor_json="$(bash "$anchors/run.sh" "$preset" "$repeat")"
data="$root/data/$preset"

echo "== tirek ($preset, repeat $repeat)" >&2
for i in $(seq 1 "$repeat"); do
  "$tirek" coverage --facilities "$data/facilities.geojson" --population "$data/population.csv" \
    --areas "$data/districts.geojson" --id-column district_id --timings --out "$out/coverage.csv" \
    2>>"$out/coverage.log"
  "$tirek" nearest --facilities "$data/facilities.geojson" --points "$data/queries.csv" \
    --out "$out/nearest.csv" 2>>"$out/nearest.log"
done
# check.py's exact-geodesic columns.
{ echo "query_id,sector,geo_facility_id,geo_dist_m"; tail -n +2 "$out/nearest.csv"; } > "$out/nearest_geo.csv"
verdict="$("$root/venv/bin/python" "$anchors/check.py" candidate "$data" "$out/nearest_geo.csv" "$out/coverage.csv")"

"$root/venv/bin/python" - "$anchor_json" "$out" "$verdict" "$preset" <<'PY'
import json, statistics, sys
anchors, out, verdict, preset = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
def timings(name):
    rows = [json.loads(l.split(" ", 1)[1]) for l in open(f"{out}/{name}.log") if l.startswith("timings ")]
    return {k: statistics.median(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], (int, float))}
cov, near = timings("coverage"), timings("nearest")
w2 = cov["compute_ms"] / 1000
w1 = near["compute_ms"] / 1000
result = {
    "preset": preset, "check_ok": verdict.get("ok"),
    "tirek_w1_s": round(w1, 4), "tirek_w2_s": round(w2, 4),
    "tirek_w2_area_assignment_s": round(cov["assign_ms"] / 1000, 4),
    "tirek_w2_coverage_only_s": round(cov["coverage_ms"] / 1000, 4),
    "tirek_coverage_process_total_s": round(cov["total_ms"] / 1000, 4),
    "tirek_w1_load_s": round(near["load_ms"] / 1000, 4), "tirek_w2_load_s": round(cov["load_ms"] / 1000, 4),
    "tirek_threads": near.get("threads"),
    **{k: anchors[k] for k in anchors if k != "preset"},
    "w1_vs_postgis": round(anchors["postgis_w1_batch_s"] / w1, 1),
    "w1_vs_python": round(anchors["python_w1_s"] / w1, 2),
    "w2_vs_postgis": round(anchors["postgis_w2_s"] / w2, 1),
    "w2_vs_python": round(anchors["python_w2_s"] / w2, 2),
}
print(json.dumps(result))
print(json.dumps(verdict), file=sys.stderr)
PY
