#!/usr/bin/env python3
"""DEV/TEST STUB ONLY -- not the Tirek server.

A tiny stand-in for the Rust server so the web UI and its end-to-end tests can be
developed before (and independently of) the real API. It serves:

  /                      -> web/ (static files)
  /vendor/maplibre-gl/   -> web/node_modules/maplibre-gl/dist/
  /api/meta, /api/areas, /api/settlements, /api/facilities, /api/nearest

from small, hand-made, SYNTHETIC fixture data generated below (rough country
polygons, a few region rectangles, ~15 settlements, ~26 facilities, one of them named
`<img src=x onerror=alert(1)>` and one a confidential shelter). Nothing here is real
data; nearest is a plain haversine scan. The response headers include the Content
Security Policy the real server must send.

Python standard library only. Usage:
    python3 tests/e2e/stub_server.py [--host 127.0.0.1] [--port 8080]
Prints "listening on http://HOST:PORT" once ready (port 0 picks a free port).
"""

import argparse
import gzip
import json
import math
import os
import posixpath
import re
import sys
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WEB = os.path.join(ROOT, "web")
VENDOR = os.path.join(WEB, "node_modules", "maplibre-gl", "dist")

CSP = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'"
)

SECTORS = ["health", "psychosocial", "police", "shelter", "legal", "hotline"]
SERVICES = [
    "cmr_pep", "emergency_contraception", "forensic_exam", "counselling",
    "case_management", "emergency_shelter", "legal_aid", "hotline",
]
BOOL_FILTERS = [
    "female_staff", "child_friendly", "wheelchair_access", "free_of_charge",
    "no_police_report_required",
]

# ---------------------------------------------------------------- fixture data

COUNTRIES = {
    "KZ": ("Kazakhstan", "Казахстан", [
        (46.5, 48.5), (50, 46), (52.5, 41.5), (56, 41.3), (56, 45), (58.6, 45.6),
        (62, 43.5), (66, 42.9), (68, 40.7), (69.2, 41.4), (71, 42.3), (74.8, 43.0),
        (80.2, 42.1), (80.5, 45), (83, 47.2), (87.3, 49.1), (83.4, 51), (77.8, 53.4),
        (69.2, 55.4), (61, 53.9), (60, 51.9), (52.3, 51.7), (48.7, 50.6)]),
    "KG": ("Kyrgyzstan", "Кыргызстан", [
        (71, 42.3), (74.8, 43.0), (80.2, 42.1), (78, 41), (76, 40.4), (74, 39.5),
        (71.8, 39.4), (69.3, 39.6), (70.5, 40.6), (71, 41.6)]),
    "UZ": ("Uzbekistan", "Узбекистан", [
        (56, 45), (58.6, 45.6), (62, 43.5), (66, 42.9), (68, 40.7), (69.2, 41.4),
        (71, 41.6), (70.5, 40.6), (69.3, 39.6), (67.7, 39.6), (67.4, 37.2), (66.5, 37.4),
        (64, 38.9), (62, 40.2), (60.5, 41.2), (58, 42.6), (56, 41.3)]),
    "TM": ("Turkmenistan", "Туркменистан", [
        (52.5, 41.8), (52.9, 40.0), (53.9, 37.3), (56.0, 38.1), (57.3, 38.2),
        (60.5, 36.6), (61.2, 35.6), (62.5, 35.3), (64.5, 36.3), (66.5, 37.4), (64, 38.9),
        (62, 40.2), (60.5, 41.2), (58, 42.6), (56, 41.3)]),
    "TJ": ("Tajikistan", "Таджикистан", [
        (67.4, 37.2), (68.5, 37.1), (70, 37.5), (71.5, 36.7), (74.9, 37.2), (74.9, 38.5),
        (74, 39.5), (71.8, 39.4), (69.3, 39.6), (67.7, 39.6)]),
}

# code, parent, name_en, name_ru, bbox (minlon, minlat, maxlon, maxlat)
REGIONS = [
    ("KZ-YUZ", "KZ", "Turkistan", "Туркестанская область", (66.0, 41.2, 70.9, 45.2)),
    ("KZ-ALM", "KZ", "Almaty", "Алматинская область", (74.8, 43.0, 80.2, 46.0)),
    ("KZ-AKM", "KZ", "Akmola", "Акмолинская область", (69.0, 50.0, 74.0, 53.4)),
    ("KG-C", "KG", "Chuy", "Чуйская область", (72.8, 42.2, 76.0, 43.0)),
    ("KG-O", "KG", "Osh", "Ошская область", (72.0, 39.5, 74.5, 40.9)),
    ("TJ-DU", "TJ", "Dushanbe", "Душанбе", (68.5, 38.4, 69.1, 38.7)),
    ("TJ-KT", "TJ", "Khatlon", "Хатлонская область", (67.8, 37.2, 70.2, 38.4)),
    ("UZ-TO", "UZ", "Tashkent", "Ташкентская область", (68.6, 40.7, 70.9, 41.5)),
    ("UZ-SA", "UZ", "Samarqand", "Самаркандская область", (65.6, 39.2, 67.6, 40.2)),
    ("UZ-QR", "UZ", "Karakalpakstan", "Каракалпакстан", (56.0, 41.3, 62.0, 45.0)),
    ("TM-A", "TM", "Ahal", "Ахалский велаят", (56.5, 37.3, 61.5, 39.5)),
    ("TM-L", "TM", "Lebap", "Лебапский велаят", (61.5, 37.4, 66.0, 41.0)),
]
DISTRICTS = [
    ("KZ-YUZ-TUR", "KZ-YUZ", "Turkistan city", "город Туркестан", (67.9, 43.1, 68.6, 43.5)),
    ("KZ-YUZ-SHY", "KZ-YUZ", "Shymkent city", "город Шымкент", (69.3, 42.1, 69.9, 42.5)),
]

# name, name_ru, lon, lat, population, country
SETTLEMENTS = [
    ("Almaty", "Алматы", 76.945, 43.238, 2000000, "KZ"),
    ("Astana", "Астана", 71.446, 51.180, 1350000, "KZ"),
    ("Shymkent", "Шымкент", 69.596, 42.300, 1000000, "KZ"),
    ("Turkistan", "Туркестан", 68.252, 43.297, 180000, "KZ"),
    ("Kentau", "Кентау", 68.508, 43.518, 60000, "KZ"),
    ("Taraz", "Тараз", 71.366, 42.900, 360000, "KZ"),
    ("Bishkek", "Бишкек", 74.590, 42.870, 1100000, "KG"),
    ("Osh", "Ош", 72.798, 40.528, 320000, "KG"),
    ("Dushanbe", "Душанбе", 68.779, 38.560, 900000, "TJ"),
    ("Kulob", "Куляб", 69.784, 37.912, 100000, "TJ"),
    ("Tashkent", "Ташкент", 69.240, 41.311, 2900000, "UZ"),
    ("Samarkand", "Самарканд", 66.959, 39.654, 550000, "UZ"),
    ("Nukus", "Нукус", 59.603, 42.460, 330000, "UZ"),
    ("Ashgabat", "Ашхабад", 58.383, 37.950, 1000000, "TM"),
    ("Turkmenabat", "Туркменабат", 63.578, 39.073, 250000, "TM"),
]

XSS_NAME = "<img src=x onerror=alert(1)>"

# (name, name_ru, sectors, services, lon, lat, country, adm1, hours, languages,
#  flags, extra)   flags: f=female_staff c=child_friendly w=wheelchair $=free n=no police
FACILITIES = [
    ("Turkistan Regional Hospital", "Туркестанская областная больница", ["health"],
     ["cmr_pep", "emergency_contraception", "forensic_exam"], 68.262, 43.301, "KZ", "KZ-YUZ",
     "24/7", ["kk", "ru"], "fcw$n", {"verified_at": "2026-10-02"}),
    ("Turkistan City Polyclinic No. 2", "Городская поликлиника №2", ["health"],
     ["emergency_contraception"], 68.231, 43.289, "KZ", "KZ-YUZ",
     "Mo-Fr 09:00-18:00", ["kk", "ru"], "f$", {"verified_at": "2025-02-10"}),
    ("Psycho-Social Support Service Turkistan", "Служба психосоциальной поддержки", ["psychosocial"],
     ["counselling", "case_management"], 68.270, 43.310, "KZ", "KZ-YUZ",
     "Mo-Sa 08:00-20:00; Su off", ["kk", "ru", "uz"], "fc$n", {"verified_at": "2026-09-15"}),
    ("Turkistan City Police Department", "УП города Туркестан", ["police"],
     [], 68.245, 43.295, "KZ", "KZ-YUZ", "24/7", ["kk", "ru"], "w$", {"verified_at": "2026-06-20"}),
    ("Safe House South", "Кризисный центр «Юг»", ["shelter"],
     ["emergency_shelter", "counselling"], 68.52, 43.53, "KZ", "KZ-YUZ",
     "24/7", ["kk", "ru"], "fc$n", {"confidential": True, "hotline": "+7 700 000 0001",
                                     "verified_at": "2026-11-01",
                                     "capacity": {"beds_total": 12, "beds_available": 3, "as_of": "2026-11-20"}}),
    ("Legal Aid Clinic Turkistan", "Юридическая клиника", ["legal"],
     ["legal_aid"], 68.280, 43.280, "KZ", "KZ-YUZ",
     "Mo-Fr 09:00-13:00,14:00-18:00", ["kk", "ru"], "$n", {"verified_at": None}),
    ("National GBV Hotline 150", "Национальная горячая линия 150", ["hotline"],
     ["hotline", "counselling"], 71.430, 51.128, "KZ", "KZ-AKM",
     "24/7", ["kk", "ru", "en"], "f$n", {"verified_at": "2026-11-10", "phone": "150"}),
    ("Shymkent City Hospital No. 1", "Городская больница №1 Шымкента", ["health"],
     ["cmr_pep", "emergency_contraception"], 69.590, 42.320, "KZ", "KZ-YUZ",
     "24/7", ["kk", "ru", "uz"], "fw$", {"verified_at": "2026-08-01"}),
    (XSS_NAME, XSS_NAME, ["psychosocial"], ["counselling"], 69.610, 42.290, "KZ", "KZ-YUZ",
     "Mo-Fr 10:00-17:00", ["ru"], "", {"verified_at": "2026-11-01",
                                       "organisation": "<b>bold</b> & \"quoted\""}),
    ("Shymkent Police Department", "Департамент полиции Шымкента", ["police"],
     [], 69.580, 42.310, "KZ", "KZ-YUZ", "24/7", ["kk", "ru"], "", {"verified_at": "2026-03-01"}),
    ("Almaty City Emergency Hospital", "Городская больница скорой помощи", ["health"],
     ["cmr_pep", "emergency_contraception", "forensic_exam"], 76.920, 43.250, "KZ", "KZ-ALM",
     "24/7", ["kk", "ru", "en"], "fcw$n", {"verified_at": "2026-10-20"}),
    ("Almaty Crisis Centre for Women", "Кризисный центр для женщин", ["shelter", "psychosocial"],
     ["emergency_shelter", "counselling", "case_management"], 76.960, 43.230, "KZ", "KZ-ALM",
     "24/7", ["kk", "ru"], "fc$n", {"verified_at": "2026-09-01",
                                    "capacity": {"beds_total": 20, "beds_available": 0, "as_of": "2026-11-25"}}),
    ("Almaty Police Department", "ДП города Алматы", ["police"],
     [], 76.930, 43.240, "KZ", "KZ-ALM", "24/7", ["kk", "ru"], "w$", {"verified_at": "2026-05-05"}),
    ("Bishkek City Clinical Hospital No. 1", "ГКБ №1 Бишкек", ["health"],
     ["cmr_pep", "emergency_contraception"], 74.600, 42.880, "KG", "KG-C",
     "24/7", ["ky", "ru"], "fw$", {"verified_at": "2026-07-07"}),
    ("Bishkek Family Support Centre", "Центр поддержки семьи", ["psychosocial"],
     ["counselling"], 74.570, 42.860, "KG", "KG-C",
     "Mo-Fr 09:00-18:00; Sa 10:00-14:00", ["ky", "ru"], "fc$n", {"verified_at": "2026-10-10"}),
    ("Bishkek Police", "УВД Бишкек", ["police"], [], 74.610, 42.870, "KG", "KG-C",
     "24/7", ["ky", "ru"], "", {"verified_at": "2026-01-01"}),
    ("Osh Regional Hospital", "Ошская областная больница", ["health"],
     ["cmr_pep"], 72.790, 40.520, "KG", "KG-O", "24/7", ["ky", "uz", "ru"], "f$",
     {"verified_at": "2026-06-01"}),
    ("Dushanbe Maternity Hospital No. 3", "Роддом №3 Душанбе", ["health"],
     ["cmr_pep", "emergency_contraception"], 68.790, 38.570, "TJ", "TJ-DU",
     "24/7", ["tg", "ru"], "fc$", {"verified_at": "2026-09-20"}),
    ("Dushanbe Legal Aid Centre", "Центр правовой помощи", ["legal"], ["legal_aid"],
     68.770, 38.550, "TJ", "TJ-DU", "Mo-Fr 08:00-17:00", ["tg", "ru"], "$n",
     {"verified_at": "2026-04-01"}),
    ("Kulob Women's Resource Centre", "Женский ресурсный центр Куляб", ["psychosocial"],
     ["counselling", "case_management"], 69.780, 37.910, "TJ", "TJ-KT",
     "Mo-Sa 08:00-17:00", ["tg"], "fc$n", {"verified_at": "2026-10-01"}),
    ("Tashkent City Hospital No. 7", "Городская больница №7 Ташкент", ["health"],
     ["cmr_pep", "emergency_contraception", "forensic_exam"], 69.250, 41.320, "UZ", "UZ-TO",
     "24/7", ["uz", "ru"], "fw$", {"verified_at": "2026-08-15"}),
    ("Tashkent Rehabilitation Centre", "Реабилитационный центр Ташкент", ["psychosocial", "shelter"],
     ["counselling", "emergency_shelter"], 69.230, 41.300, "UZ", "UZ-TO",
     "24/7", ["uz", "ru"], "fc$n", {"verified_at": "2026-07-01",
                                    "capacity": {"beds_total": 15, "beds_available": 6, "as_of": "2026-11-26"}}),
    ("Samarkand Legal Clinic", "Юридическая клиника Самарканд", ["legal"], ["legal_aid"],
     66.960, 39.650, "UZ", "UZ-SA", "Mo-Fr 09:00-18:00", ["uz", "tg", "ru"], "$",
     {"verified_at": "2025-01-15"}),
    ("Nukus Regional Hospital", "Нукусская областная больница", ["health"],
     ["cmr_pep"], 59.610, 42.460, "UZ", "UZ-QR", "24/7", ["kaa", "uz", "ru"], "",
     {"verified_at": "2026-02-01", "status": "temporarily_closed"}),
    ("Ashgabat Maternity Hospital", "Роддом Ашхабад", ["health"],
     ["emergency_contraception"], 58.380, 37.940, "TM", "TM-A", "Mo-Su 08:00-20:00",
     ["tk", "ru"], "f", {"verified_at": "2026-03-03"}),
    ("Ashgabat Police", "Полиция Ашхабада", ["police"], [], 58.390, 37.960, "TM", "TM-A",
     "24/7", ["tk", "ru"], "", {"verified_at": None}),
]


def rect(b):
    minx, miny, maxx, maxy = b
    return [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]]


def build_fixtures():
    areas = {0: [], 1: [], 2: []}
    for code, (en, ru, ring) in COUNTRIES.items():
        coords = [list(p) for p in ring] + [list(ring[0])]
        areas[0].append(feature({"type": "MultiPolygon", "coordinates": [[coords]]},
                                {"code": code, "level": 0, "parent": None, "name": en,
                                 "names": {"en": en, "ru": ru}}))
    for level, rows in ((1, REGIONS), (2, DISTRICTS)):
        for code, parent, en, ru, b in rows:
            areas[level].append(feature({"type": "MultiPolygon", "coordinates": [rect(b)]},
                                        {"code": code, "level": level, "parent": parent,
                                         "name": en, "names": {"en": en, "ru": ru}}))
    settlements = []
    for i, (en, ru, lon, lat, pop, cc) in enumerate(SETTLEMENTS):
        settlements.append(feature({"type": "Point", "coordinates": [lon, lat]},
                                   {"id": "gn:stub%03d" % (i + 1), "name": en, "name_ru": ru,
                                    "population": pop, "country": cc}))
    facilities = []
    for i, row in enumerate(FACILITIES):
        name, name_ru, sectors, services, lon, lat, cc, adm1, hours, langs, flags, extra = row
        props = {
            "id": "demo-%03d" % (i + 1),
            "name": name,
            "names": {"ru": name_ru},
            "organisation": extra.get("organisation", "Demo organisation %d" % (i % 4 + 1)),
            "sectors": sectors,
            "services": services,
            "address": "Demo street %d, %s" % (i + 1, adm1),
            "country": cc,
            "adm1": adm1,
            "adm2": None,
            "phone": extra.get("phone", "+7 700 100 %04d" % (i + 1)),
            "opening_hours": hours,
            "languages": langs,
            "female_staff": "f" in flags,
            "child_friendly": "c" in flags,
            "wheelchair_access": "w" in flags,
            "free_of_charge": "$" in flags,
            "no_police_report_required": "n" in flags,
            "capacity": extra.get("capacity"),
            "status": extra.get("status", "active"),
            "confidential": extra.get("confidential", False),
            "hotline": extra.get("hotline"),
            "verified_at": extra.get("verified_at"),
            "source": "stub fixture (synthetic)",
            "demo": True,
            "created_at": "2026-11-01T00:00:00Z",
            "updated_at": "2026-11-20T00:00:00Z",
        }
        facilities.append(feature({"type": "Point", "coordinates": [lon, lat]}, props))
    return areas, settlements, facilities


def feature(geometry, properties):
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(features):
    return {"type": "FeatureCollection", "features": features}


AREAS, SETTLEMENT_FEATURES, FACILITY_FEATURES = build_fixtures()

# ------------------------------------------------------------------- helpers

def haversine_m(lon1, lat1, lon2, lat2):
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


CYR = {"а": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
       "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
       "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t",
       "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch",
       "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu",
       "я": "ya"}


def fold(text):
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(CYR.get(ch, ch) for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", text.replace("kh", "h").replace("y", "i"))


def band(m):
    for lim, label in ((5000, "0–5 km"), (10000, "5–10 km"), (25000, "10–25 km"),
                       (50000, "25–50 km"), (100000, "50–100 km")):
        if m < lim:
            return label
    return "> 100 km"


class BadRequest(Exception):
    pass


def fnum(q, key, lo, hi, required=True):
    raw = q.get(key, [""])[0]
    if raw == "":
        if required:
            raise BadRequest("missing parameter %r" % key)
        return None
    try:
        v = float(raw)
    except ValueError:
        raise BadRequest("parameter %r is not a number" % key)
    if not (lo <= v <= hi) or math.isnan(v):
        raise BadRequest("parameter %r out of range" % key)
    return v


def flag(q, key):
    raw = q.get(key, [""])[0].lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequest("parameter %r must be true or false" % key)


def csv_list(q, key, allowed):
    raw = q.get(key, [""])[0]
    items = [s for s in raw.split(",") if s]
    for s in items:
        if s not in allowed:
            raise BadRequest("unknown %s %r" % (key, s))
    return items


def public_facility(f):
    return f if not f["properties"]["confidential"] else None


def redacted(f):
    p = f["properties"]
    keep = ("id", "name", "names", "sectors", "services", "confidential", "hotline",
            "opening_hours", "languages", "female_staff", "child_friendly",
            "wheelchair_access", "free_of_charge", "no_police_report_required",
            "capacity", "status", "verified_at", "demo", "country")
    return {"type": "Feature", "geometry": None, "properties": {k: p.get(k) for k in keep}}

# ---------------------------------------------------------------------- API

def api_meta(q):
    n = sum(1 for f in FACILITY_FEATURES if f["properties"]["demo"])
    return {"name": "Tirek", "version": "0.1.0-stub", "demo_facilities": n,
            "facilities": len(FACILITY_FEATURES), "data_version": 1,
            "sectors": SECTORS, "services": SERVICES}


def api_areas(q):
    raw = q.get("level", ["0"])[0]
    if raw not in ("0", "1", "2"):
        raise BadRequest("level must be 0, 1 or 2")
    return collection(AREAS[int(raw)])


def api_settlements(q):
    text = fold(q.get("q", [""])[0])
    try:
        limit = int(q.get("limit", ["1000"])[0])
    except ValueError:
        raise BadRequest("limit must be an integer")
    limit = max(1, min(limit, 5000))
    rows = SETTLEMENT_FEATURES
    if text:
        def score(f):
            names = [fold(f["properties"]["name"]), fold(f["properties"]["name_ru"])]
            if any(n.startswith(text) for n in names):
                return 0
            if any(text in n for n in names):
                return 1
            return None
        scored = [(score(f), -f["properties"]["population"], f) for f in rows]
        rows = [f for s, _, f in sorted((x for x in scored if x[0] is not None),
                                        key=lambda x: (x[0], x[1]))]
    else:
        rows = sorted(rows, key=lambda f: -f["properties"]["population"])
    return collection(rows[:limit])


def api_facilities(q):
    sectors = csv_list(q, "sector", SECTORS)
    country = q.get("country", [""])[0]
    text = fold(q.get("q", [""])[0])
    bbox = q.get("bbox", [""])[0]
    box = None
    if bbox:
        try:
            box = [float(x) for x in bbox.split(",")]
            assert len(box) == 4
        except (ValueError, AssertionError):
            raise BadRequest("bbox must be minlon,minlat,maxlon,maxlat")
    out = []
    for f in FACILITY_FEATURES:
        p = f["properties"]
        if p["confidential"]:
            continue
        if sectors and not set(sectors) & set(p["sectors"]):
            continue
        if country and p["country"] != country:
            continue
        if text and text not in fold(p["name"]) and text not in fold(p["names"].get("ru", "")):
            continue
        lon, lat = f["geometry"]["coordinates"]
        if box and not (box[0] <= lon <= box[2] and box[1] <= lat <= box[3]):
            continue
        out.append(f)
    return collection(out)


def api_nearest(q):
    lon = fnum(q, "lon", -180, 180)
    lat = fnum(q, "lat", -90, 90)
    sectors = csv_list(q, "sector", SECTORS) or list(SECTORS)
    services = csv_list(q, "services", SERVICES)
    try:
        k = int(q.get("k", ["1"])[0])
    except ValueError:
        raise BadRequest("k must be an integer")
    if not 1 <= k <= 50:
        raise BadRequest("k must be between 1 and 50")
    lang = q.get("language", [""])[0]
    want24 = flag(q, "open_24_7")
    bools = {b: flag(q, b) for b in BOOL_FILTERS}
    include_closed = flag(q, "include_temporarily_closed")
    results = []
    for sector in sectors:
        cands = []
        for f in FACILITY_FEATURES:
            p = f["properties"]
            if sector not in p["sectors"] or p["status"] == "closed":
                continue
            if p["status"] == "temporarily_closed" and not include_closed:
                continue
            if any(s not in p["services"] for s in services):
                continue
            if want24 and p["opening_hours"] != "24/7":
                continue
            if lang and lang not in p["languages"]:
                continue
            if any(on and not p[b] for b, on in bools.items()):
                continue
            flon, flat = f["geometry"]["coordinates"]
            cands.append((haversine_m(lon, lat, flon, flat), p["id"], f))
        cands.sort(key=lambda c: (c[0], c[1]))
        for d, _, f in cands[:k]:
            if f["properties"]["confidential"]:
                results.append({"sector": sector, "distance_band": band(d),
                                "facility": redacted(f)})
            else:
                results.append({"sector": sector, "distance_m": round(d, 1), "facility": f})
    query = {"lon": lon, "lat": lat, "k": k, "sectors": sectors, "services": services,
             "open_24_7": want24, "language": lang or None}
    query.update(bools)
    return {"query": query, "results": results}


ROUTES = {
    "/api/meta": api_meta,
    "/api/areas": api_areas,
    "/api/settlements": api_settlements,
    "/api/facilities": api_facilities,
    "/api/nearest": api_nearest,
}

TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png",
    ".map": "application/json", ".txt": "text/plain; charset=utf-8",
}


class Handler(BaseHTTPRequestHandler):
    server_version = "tirek-stub"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless TIREK_STUB_LOG=1
        if os.environ.get("TIREK_STUB_LOG") == "1":
            sys.stderr.write("stub: " + fmt % args + "\n")

    def send_body(self, status, body, ctype, cache="no-cache"):
        if isinstance(body, str):
            body = body.encode("utf-8")
        gz = ("gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 1024
              and not ctype.startswith("image/png"))
        if gz:
            body = gzip.compress(body, 6)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if gz:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Cache-Control", cache)
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj):
        self.send_body(status, json.dumps(obj, ensure_ascii=False), "application/json")

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path in ROUTES:
            try:
                self.send_json(200, ROUTES[path](parse_qs(parts.query)))
            except BadRequest as e:
                self.send_json(400, {"error": {"code": "bad_request", "message": str(e)}})
            return
        if path.startswith("/api/"):
            self.send_json(404, {"error": {"code": "not_found", "message": "no such endpoint"}})
            return
        if path.startswith("/vendor/maplibre-gl/"):
            base, rel = VENDOR, path[len("/vendor/maplibre-gl/"):]
        else:
            base, rel = WEB, path.lstrip("/")
            if rel.startswith("node_modules"):
                rel = "\0"  # never expose node_modules directly
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        rel = posixpath.normpath(rel)
        full = os.path.join(base, rel)
        if rel.startswith("..") or "\0" in rel or not os.path.isfile(full):
            self.send_json(404, {"error": {"code": "not_found", "message": "not found"}})
            return
        with open(full, "rb") as fh:
            body = fh.read()
        ctype = TYPES.get(os.path.splitext(full)[1], "application/octet-stream")
        self.send_body(200, body, ctype)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    args = ap.parse_args()
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.daemon_threads = True
    print("listening on http://%s:%d" % (args.host, httpd.server_address[1]), flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
