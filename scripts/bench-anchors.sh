#!/usr/bin/env bash
# Side-by-side benchmark: Tirek against the PostGIS and Python anchors of
# ../shared/bench/anchors on the same generated data, in the same run.
#   scripts/bench-anchors.sh [tiny|default|large] [REPEAT]
# Prints the anchors' JSON line, then one JSON line with Tirek's medians over REPEAT
# runs, the check verdict for Tirek's coverage.csv and nearest.csv (exact geodesic
# columns), and the ratios. Tirek's W2 figures, each the median of REPEAT processes:
#   tirek_w2_s            computation after loading (wall time): points prepared
#                         (spatial sort, unit vectors, blocks) and sectors tested, while
#                         another thread assigns the points to areas (grid build and
#                         point-in-polygon), then the per-area sums; the ratios use this
#   tirek_w2_pip_s        the area assignment's own time (the anchors read the district
#                         from population.district_id instead); it overlaps the rest
#   tirek_w2_no_pip_s     prepare + coverage (the path without it), with
#                         w2_no_pip_vs_* ratios
#   tirek_w2_given_areas_s  the same computation with `--area-column district_id`
#                         (membership from population.district_id, as the anchors take
#                         it: no point-in-polygon for the points), with
#                         w2_given_areas_vs_* ratios; its coverage.csv is checked too
#   tirek_w2_load_s       reading and parsing the three files, and placing the
#                         facilities in the areas meanwhile (reported apart)
#   tirek_w2_process_s    wall time of the whole `tirek coverage` process
#   tirek_w2_peak_rss_mb  its peak resident memory
# The binary is copied to a private file first (the target directory may be shared).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
repeat="${2:-3}"
anchors="${ANCHORS_DIR:-../shared/bench/anchors}"
root="${ANCHORS_ROOT:-/tmp/anchors}"
[ -f "$anchors/run.sh" ] || { echo "no anchors at $anchors" >&2; exit 1; }

cargo build --release --locked --quiet
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
tirek="$out/tirek"
cp "${CARGO_TARGET_DIR:-target}/release/tirek" "$tirek"

echo "== anchors ($preset, repeat $repeat)" >&2
anchor_json="$(bash "$anchors/run.sh" "$preset" "$repeat")"
data="$root/data/$preset"

echo "== tirek ($preset, repeat $repeat)" >&2
for i in $(seq 1 "$repeat"); do
  /usr/bin/time -f "process %e %M" -a -o "$out/process.log" \
    "$tirek" coverage --facilities "$data/facilities.geojson" --population "$data/population.csv" \
    --areas "$data/districts.geojson" --id-column district_id --timings --out "$out/coverage.csv" \
    2>>"$out/coverage.log"
  "$tirek" coverage --facilities "$data/facilities.geojson" --population "$data/population.csv" \
    --areas "$data/districts.geojson" --id-column district_id --area-column district_id --timings \
    --out "$out/coverage_given.csv" 2>>"$out/coverage_given.log"
  "$tirek" nearest --facilities "$data/facilities.geojson" --points "$data/queries.csv" \
    --out "$out/nearest.csv" 2>>"$out/nearest.log"
done
# check.py's exact-geodesic columns.
{ echo "query_id,sector,geo_facility_id,geo_dist_m"; tail -n +2 "$out/nearest.csv"; } > "$out/nearest_geo.csv"
verdict="$("$root/venv/bin/python" "$anchors/check.py" candidate "$data" "$out/nearest_geo.csv" "$out/coverage.csv")"
verdict_given="$("$root/venv/bin/python" "$anchors/check.py" candidate "$data" - "$out/coverage_given.csv")"

"$root/venv/bin/python" - "$anchor_json" "$out" "$verdict" "$preset" "$verdict_given" <<'PY'
import json, statistics, sys
anchors, out, verdict, preset = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
verdict_given = json.loads(sys.argv[5])
def timings(name):
    rows = [json.loads(l.split(" ", 1)[1]) for l in open(f"{out}/{name}.log") if l.startswith("timings ")]
    return {k: statistics.median(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], (int, float))}
cov, near, given = timings("coverage"), timings("nearest"), timings("coverage_given")
process = [l.split() for l in open(f"{out}/process.log") if l.startswith("process ")]
wall = statistics.median(float(p[1]) for p in process)
rss_mb = max(int(p[2]) for p in process) / 1024
w2 = cov["compute_ms"] / 1000
pip = cov["assign_ms"] / 1000
w2_no_pip = (cov["prepare_ms"] + cov["coverage_ms"]) / 1000
w2_given = given["compute_ms"] / 1000
w1 = near["compute_ms"] / 1000
r = lambda a, b: round(a / b, 1)
result = {
    "preset": preset, "check_ok": verdict.get("ok"), "check_given_areas_ok": verdict_given.get("ok"),
    "tirek_w1_s": round(w1, 4), "tirek_w2_s": round(w2, 4),
    "tirek_w2_pip_s": round(pip, 4), "tirek_w2_no_pip_s": round(w2_no_pip, 4),
    "tirek_w2_given_areas_s": round(w2_given, 4),
    "tirek_w2_given_areas_prepare_s": round(given["prepare_ms"] / 1000, 4),
    "tirek_w2_given_areas_coverage_only_s": round(given["coverage_ms"] / 1000, 4),
    "tirek_w2_prepare_s": round(cov["prepare_ms"] / 1000, 4),
    "tirek_w2_coverage_only_s": round(cov["coverage_ms"] / 1000, 4),
    "tirek_w1_load_s": round(near["load_ms"] / 1000, 4), "tirek_w2_load_s": round(cov["load_ms"] / 1000, 4),
    "tirek_w2_process_s": round(wall, 3), "tirek_w2_peak_rss_mb": round(rss_mb),
    "tirek_threads": cov.get("threads"),
    **{k: anchors[k] for k in anchors if k != "preset"},
    "w1_vs_postgis": r(anchors["postgis_w1_batch_s"], w1),
    "w1_vs_python": r(anchors["python_w1_s"], w1),
    "w2_vs_postgis": r(anchors["postgis_w2_s"], w2),
    "w2_vs_python": r(anchors["python_w2_s"], w2),
    "w2_no_pip_vs_postgis": r(anchors["postgis_w2_s"], w2_no_pip),
    "w2_no_pip_vs_python": r(anchors["python_w2_s"], w2_no_pip),
    "w2_given_areas_vs_postgis": r(anchors["postgis_w2_s"], w2_given),
    "w2_given_areas_vs_python": r(anchors["python_w2_s"], w2_given),
}
print(json.dumps(result))
print(json.dumps(verdict), file=sys.stderr)
print(json.dumps(verdict_given), file=sys.stderr)
PY
