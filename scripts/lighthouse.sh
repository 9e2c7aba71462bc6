#!/usr/bin/env bash
# Lighthouse scores of the caseworker view, mobile and desktop presets, against a
# running Tirek (default http://127.0.0.1:8080). Lighthouse is installed from the npm
# registry into a temporary folder (it is a measuring tool, not part of Tirek) and
# drives Debian's Chromium (CHROME_PATH, default /usr/bin/chromium).
#
#   bash scripts/lighthouse.sh [URL]
#
# Prints, per preset, the category scores and the metrics behind performance.
set -euo pipefail
url="${1:-http://127.0.0.1:8080}"
version="${LIGHTHOUSE_VERSION:-12.8}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm install --silent --prefix "$tmp" "lighthouse@$version" >/dev/null
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
for preset in mobile desktop; do
  flags=()
  [ "$preset" = desktop ] && flags=(--preset=desktop)
  "$tmp/node_modules/.bin/lighthouse" "$url/#view=caseworker" "${flags[@]}" \
    --chrome-flags="--headless=new --no-sandbox" --quiet \
    --only-categories=performance,accessibility,best-practices \
    --output=json --output-path="$tmp/$preset.json"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const score = Object.fromEntries(Object.entries(r.categories).map(([k, v]) => [k, Math.round(v.score * 100)]));
    const a = r.audits;
    const m = ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"]
      .map((k) => `${k} ${a[k].displayValue}`).join(", ");
    console.log(`${process.argv[2]}: ${JSON.stringify(score)}; ${m}`);
  ' "$tmp/$preset.json" "$preset"
done
