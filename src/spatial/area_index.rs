//! Which admin area a point lies in: an index over the areas of every level
//! (an R*-tree of polygon bounding boxes, then an interval-tree point-in-polygon test)
//! and the rules that make the answer unique.
//!
//! Geometry is planar in longitude/latitude, as in COD-AB files and PostGIS `geometry`.
//! For a point and a level:
//!
//! 1. **inside** — the areas whose interior contains the point; when polygons overlap
//!    (a data error) the lowest code wins;
//! 2. **on an edge** — no interior contains it but some areas' boundaries do (a shared
//!    edge or vertex): the lowest code among them, so the answer is deterministic and a
//!    point on a shared edge goes to exactly one area;
//! 3. **outside every area** (a sliver between polygons, a border simplified away):
//!    the area nearest to the point (planar distance to its boundary, ties to the lowest
//!    code) when it is within [`MAX_SNAP_DEGREES`], flagged with
//!    [`Location::inside`] `= false` so importers can report it — population is never
//!    dropped silently. A point farther from every area (another country) gets no area
//!    of that level, and importers report it too.
//!
//! **Countries.** An area of level ≥ 1 is only given to a point of its own country: the
//! record's `country` when it has one, else the level-0 area located for it (by the
//! rules above). The areas of other countries are not candidates at any step, so a
//! settlement across a generalised border goes to the nearest area of its own country
//! within [`MAX_SNAP_DEGREES`], or to none. An area's country ([`area_countries`]) is
//! the ISO code its `parent` chain reaches (`KZ-ALM` → `KZ`; COD-AB `KZ0101` →
//! `KZ01` → `KZ`), else the ISO prefix of a P-code or ISO 3166-2 code (`KZ0101`,
//! `KZ-ALM`), else the country (level 0) holding a point of the area; an area whose
//! country is unknown takes points of any country.
//!
//! [`assign_settlement`] and [`assign_facility`] fill `country` (level 0), `adm1` and
//! `adm2`; the registry calls them when population, facilities or areas are imported.

use crate::model::{Area, Facility, Settlement};
use geo::indexed::IntervalTreeMultiPolygon;
use geo::{BoundingRect, Contains, Distance, Euclidean, InteriorPoint, Intersects, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::BTreeMap;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// How far (planar degrees, about 22 km of latitude) a point outside every area may be
/// from the nearest area and still be given it: enough for slivers and generalised
/// borders, not enough to put a point in a neighbouring country into this one.
pub const MAX_SNAP_DEGREES: f64 = 0.2;

/// Where a point was placed.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    /// The area the point was placed in.
    pub area: &'a Area,
    /// `true` when the area covers the point (interior or boundary); `false` when the
    /// point is outside every area of the level and this is the nearest.
    pub inside: bool,
    /// Planar distance from the point to the area, degrees (0 when inside).
    pub distance: f64,
}

/// The areas of every level, indexed for point location.
pub struct AreaIndex {
    areas: Vec<Area>,
    /// Per area (same order), its country when known.
    countries: Vec<Option<String>>,
    prepared: Vec<IntervalTreeMultiPolygon<f64>>,
    levels: BTreeMap<u8, RTree<Entry>>,
}

impl std::fmt::Debug for AreaIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AreaIndex")
            .field("areas", &self.areas.len())
            .finish()
    }
}

impl AreaIndex {
    /// Indexes `areas` (any levels). Areas without a bounding box (empty geometry) are
    /// kept but never located.
    pub fn new(mut areas: Vec<Area>) -> Self {
        areas.sort_by(|a, b| a.level.cmp(&b.level).then(a.code.cmp(&b.code)));
        let prepared = areas
            .iter()
            .map(|a| IntervalTreeMultiPolygon::new(&a.geometry))
            .collect();
        let mut entries: BTreeMap<u8, Vec<Entry>> = BTreeMap::new();
        for (i, a) in areas.iter().enumerate() {
            if let Some(r) = a.geometry.bounding_rect() {
                let rect = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                entries
                    .entry(a.level)
                    .or_default()
                    .push(GeomWithData::new(rect, i));
            }
        }
        let levels = entries
            .into_iter()
            .map(|(level, e)| (level, RTree::bulk_load(e)))
            .collect();
        let mut index = Self {
            countries: area_countries(&areas),
            areas,
            prepared,
            levels,
        };
        // Areas whose codes do not say their country: the country holding a point of
        // the area (exactly inside, not snapped).
        for i in 0..index.areas.len() {
            if index.countries[i].is_some() || index.areas[i].level == 0 {
                continue;
            }
            let found = index.areas[i]
                .geometry
                .interior_point()
                .and_then(|p| index.locate(p.x(), p.y(), 0))
                .filter(|l| l.inside)
                .and_then(|l| as_country(&l.area.code));
            index.countries[i] = found;
        }
        index
    }

    /// The country of an indexed area, when known (see the module documentation).
    pub fn country_of(&self, area: &Area) -> Option<&str> {
        self.position(area.level, &area.code)
            .and_then(|i| self.countries[i].as_deref())
    }

    /// The country of the area of `level` with `code`, when it exists and its country is
    /// known.
    pub fn country_of_code(&self, level: u8, code: &str) -> Option<&str> {
        self.position(level, code)
            .and_then(|i| self.countries[i].as_deref())
    }

    fn position(&self, level: u8, code: &str) -> Option<usize> {
        self.areas
            .binary_search_by(|a| a.level.cmp(&level).then(a.code.as_str().cmp(code)))
            .ok()
    }

    /// Every indexed area, sorted by level and code.
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// Whether any area of `level` is indexed.
    pub fn has_level(&self, level: u8) -> bool {
        self.levels.contains_key(&level)
    }

    /// The area of `level` for a point, by the rules in the module documentation.
    /// `None` when there is no area of that level within [`MAX_SNAP_DEGREES`] (or the
    /// point is not finite).
    pub fn locate(&self, lon: f64, lat: f64, level: u8) -> Option<Location<'_>> {
        self.locate_where(lon, lat, level, &|_| true)
    }

    /// [`AreaIndex::locate`] among the areas of `country` only (and those whose country
    /// is unknown); `country` `None` means any. Level 0 is never filtered.
    pub fn locate_in(
        &self,
        lon: f64,
        lat: f64,
        level: u8,
        country: Option<&str>,
    ) -> Option<Location<'_>> {
        match country {
            Some(c) if level > 0 => self.locate_where(lon, lat, level, &|i| {
                self.countries[i].as_deref().is_none_or(|own| own == c)
            }),
            _ => self.locate(lon, lat, level),
        }
    }

    /// The rules of [`AreaIndex::locate`] among the areas (indices) `allowed` accepts.
    fn locate_where(
        &self,
        lon: f64,
        lat: f64,
        level: u8,
        allowed: &dyn Fn(usize) -> bool,
    ) -> Option<Location<'_>> {
        if !lon.is_finite() || !lat.is_finite() {
            return None;
        }
        let tree = self.levels.get(&level)?;
        let point = Point::new(lon, lat);
        // Candidates come sorted by code because `areas` is sorted and indices follow it.
        let mut candidates: Vec<usize> = tree
            .locate_all_at_point(&[lon, lat])
            .map(|e| e.data)
            .filter(|&i| allowed(i))
            .collect();
        candidates.sort_unstable();
        if let Some(&i) = candidates
            .iter()
            .find(|&&i| self.prepared[i].contains(&point))
        {
            return Some(self.inside(i));
        }
        if let Some(&i) = candidates
            .iter()
            .find(|&&i| self.areas[i].geometry.intersects(&point))
        {
            return Some(self.inside(i));
        }
        let mut best: Option<(f64, usize)> = None;
        for (entry, envelope_d2) in tree.nearest_neighbor_iter_with_distance_2(&[lon, lat]) {
            let reach = best.map_or(MAX_SNAP_DEGREES, |(d, _)| d.min(MAX_SNAP_DEGREES));
            if envelope_d2.sqrt() > reach {
                break;
            }
            let i = entry.data;
            if !allowed(i) {
                continue;
            }
            let d = snap_distance(&self.areas[i], &point);
            if nearer(best, d, i) {
                best = Some((d, i));
            }
        }
        best.filter(|(d, _)| *d <= MAX_SNAP_DEGREES)
            .map(|(distance, i)| Location {
                area: &self.areas[i],
                inside: false,
                distance,
            })
    }

    fn inside(&self, i: usize) -> Location<'_> {
        Location {
            area: &self.areas[i],
            inside: true,
            distance: 0.0,
        }
    }

    /// The areas of `level` whose bounding box meets the given box.
    pub fn in_envelope(&self, level: u8, min: [f64; 2], max: [f64; 2]) -> Vec<&Area> {
        let Some(tree) = self.levels.get(&level) else {
            return Vec::new();
        };
        let mut found: Vec<usize> = tree
            .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
            .map(|e| e.data)
            .collect();
        found.sort_unstable();
        found.into_iter().map(|i| &self.areas[i]).collect()
    }
}

/// The snapping rule's distance from `point` to `area`: planar, in degrees, to its
/// nearest edge (0 inside).
fn snap_distance(area: &Area, point: &Point) -> f64 {
    Euclidean.distance(point, &area.geometry)
}

/// Whether area `i` at distance `d` is nearer than `best` under the snapping rule:
/// ties go to the area listed first, so the answer never depends on search order.
fn nearer(best: Option<(f64, usize)>, d: f64, i: usize) -> bool {
    best.is_none_or(|(bd, bi)| d < bd || (d == bd && i < bi))
}

/// What assigning a point to areas did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Assigned {
    /// Some level had no area covering the point (the nearest one was used, or none was
    /// near enough).
    pub outside: bool,
    /// Some level has areas but none within [`MAX_SNAP_DEGREES`]: no code for it.
    pub unassigned: bool,
}

/// Why a point outside every area of an analysis is given none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// No area lies within [`MAX_SNAP_DEGREES`] of it.
    TooFar,
    /// The areas within [`MAX_SNAP_DEGREES`] are all of another country than its own.
    OtherCountry,
}

impl LeftOut {
    /// A short reason, as written in lists of left-out points.
    pub fn reason(self) -> &'static str {
        match self {
            Self::TooFar => "farther than 0.2° from every area",
            Self::OtherCountry => "in another country than the areas near it",
        }
    }
}

/// The snapping rule of [`AreaIndex::locate`] for the areas of one analysis (any
/// levels, any order): a point outside all of them goes to the nearest (planar
/// distance, ties to the first) within [`MAX_SNAP_DEGREES`] among the areas of its own
/// country and those whose country is unknown; otherwise it is left out, with the
/// reason. Meant for the few points in no area, so a scan of the areas' boxes is enough.
pub struct NearbyAreas<'a> {
    areas: &'a [Area],
    countries: &'a [Option<[u8; 2]>],
    boxes: Vec<Option<geo::Rect<f64>>>,
}

impl<'a> NearbyAreas<'a> {
    /// Prepares `areas`, whose countries are `countries` ([`area_country_codes`]).
    pub fn new(areas: &'a [Area], countries: &'a [Option<[u8; 2]>]) -> Self {
        Self {
            areas,
            countries,
            boxes: areas.iter().map(|a| a.geometry.bounding_rect()).collect(),
        }
    }

    /// The area (index) for a point of `country` (unknown: any) that lies in none of them.
    ///
    /// # Errors
    /// Why none is given.
    pub fn snap(&self, lon: f64, lat: f64, country: Option<[u8; 2]>) -> Result<u32, LeftOut> {
        let point = Point::new(lon, lat);
        let mut best: Option<(f64, usize)> = None;
        let mut foreign_in_reach = false;
        for (i, bounds) in self.boxes.iter().enumerate() {
            let Some(bounds) = bounds else { continue };
            let dx = (bounds.min().x - lon).max(lon - bounds.max().x).max(0.0);
            let dy = (bounds.min().y - lat).max(lat - bounds.max().y).max(0.0);
            if dx.hypot(dy) > MAX_SNAP_DEGREES {
                continue;
            }
            let d = snap_distance(&self.areas[i], &point);
            if d > MAX_SNAP_DEGREES {
                continue;
            }
            let own = match (country, self.countries[i]) {
                (Some(point_country), Some(area_country)) => point_country == area_country,
                _ => true,
            };
            if !own {
                foreign_in_reach = true;
            } else if nearer(best, d, i) {
                best = Some((d, i));
            }
        }
        match best {
            Some((_, i)) => Ok(i as u32),
            None if foreign_in_reach => Err(LeftOut::OtherCountry),
            None => Err(LeftOut::TooFar),
        }
    }
}

/// The codes for a point: `(country, adm1, adm2)` from levels 0, 1, 2, each `None` when
/// no area of that level exists, and whether any of them is a nearest-area fallback.
/// Areas of level ≥ 1 are those of `country` (the record's) when given, else of the
/// country located at level 0; a point in no country (when countries are loaded) gets
/// only areas whose country is unknown.
pub fn codes_at(
    index: &AreaIndex,
    lon: f64,
    lat: f64,
    country: Option<&str>,
) -> ([Option<String>; 3], Assigned) {
    let mut assigned = Assigned::default();
    let mut codes: [Option<String>; 3] = [None, None, None];
    let mut own_country: Option<String> = country.map(str::to_string);
    for (level, code) in codes.iter_mut().enumerate() {
        let level = level as u8;
        let found = if level == 0 {
            index.locate(lon, lat, 0)
        } else {
            index.locate_in(lon, lat, level, own_country.as_deref())
        };
        match found {
            Some(loc) => {
                assigned.outside |= !loc.inside;
                *code = Some(loc.area.code.clone());
            }
            None if index.has_level(level) => {
                assigned.outside = true;
                assigned.unassigned = true;
            }
            None => {}
        }
        if level == 0 && own_country.is_none() && index.has_level(0) {
            // Outside every country: only areas of unknown country may take it.
            own_country = Some(code.as_deref().and_then(as_country).unwrap_or_default());
        }
    }
    (codes, assigned)
}

/// Per area, its country when known, from its codes alone: the ISO code its `parent`
/// chain reaches (through the other areas given), else the ISO prefix of its own code
/// when that looks like a P-code or ISO 3166-2 code (`KZ0101`, `KZ-ALM`). Level-0 areas
/// are their own country.
pub fn area_countries(areas: &[Area]) -> Vec<Option<String>> {
    let by_code: std::collections::HashMap<&str, &Area> =
        areas.iter().map(|a| (a.code.as_str(), a)).collect();
    areas
        .iter()
        .map(|a| {
            if a.level == 0 {
                return as_country(&a.code);
            }
            let mut step = a;
            for _ in 0..8 {
                let Some(parent) = step.parent.as_deref() else {
                    break;
                };
                match by_code.get(parent) {
                    Some(p) if p.level == 0 => return as_country(&p.code),
                    Some(p) if p.level < step.level => step = p,
                    _ => {
                        if let Some(c) = as_country(parent) {
                            return Some(c);
                        }
                        break;
                    }
                }
            }
            code_prefix_country(&step.code).or_else(|| code_prefix_country(&a.code))
        })
        .collect()
}

/// [`area_countries`] as two upper-case bytes each.
pub fn area_country_codes(areas: &[Area]) -> Vec<Option<[u8; 2]>> {
    area_countries(areas)
        .iter()
        .map(|c| c.as_deref().and_then(crate::model::country_bytes))
        .collect()
}

/// The country of a P-code or ISO 3166-2 code: two letters then a digit or `-`.
fn code_prefix_country(code: &str) -> Option<String> {
    let b = code.as_bytes();
    (b.len() > 2
        && b[0].is_ascii_alphabetic()
        && b[1].is_ascii_alphabetic()
        && (b[2].is_ascii_digit() || b[2] == b'-'))
        .then(|| code[..2].to_ascii_uppercase())
}

/// A country area's code as an ISO 3166-1 alpha-2 code, when it is one.
fn as_country(code: &str) -> Option<String> {
    (code.len() == 2 && code.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// Sets a settlement's `adm1`/`adm2` (and `country` when empty) from the areas, replacing
/// what it had for every level the index has.
pub fn assign_settlement(index: &AreaIndex, s: &mut Settlement) -> Assigned {
    let ([country, adm1, adm2], assigned) = codes_at(index, s.lon, s.lat, s.country.as_deref());
    if s.country.is_none() {
        s.country = country.as_deref().and_then(as_country);
    }
    // Every level the index has is assigned again: a code of an area elsewhere (another
    // country) does not survive.
    if index.has_level(1) {
        s.adm1 = adm1;
    }
    if index.has_level(2) {
        s.adm2 = adm2;
    }
    assigned
}

/// Fills a facility's missing `adm1`/`adm2` (and an empty `country`) from the areas.
/// Codes the record carries are kept when `valid_code(level, code)` accepts them (they
/// name an area that exists) and the area is not of another country than the record's;
/// other codes are replaced by the located area's.
pub fn assign_facility(
    index: &AreaIndex,
    f: &mut Facility,
    valid_code: &dyn Fn(u8, &str) -> bool,
) -> Assigned {
    let record_country = f.country.clone();
    let foreign = |level: u8, code: &str| {
        !record_country.is_empty()
            && index
                .country_of_code(level, code)
                .is_some_and(|c| c != record_country)
    };
    let stale = |level: u8, code: &Option<String>| {
        code.as_deref()
            .is_none_or(|c| !valid_code(level, c) || foreign(level, c))
    };
    if !(stale(1, &f.adm1) && index.has_level(1)
        || stale(2, &f.adm2) && index.has_level(2)
        || f.country.is_empty())
    {
        return Assigned::default();
    }
    let given = (!f.country.is_empty()).then_some(f.country.as_str());
    let ([country, adm1, adm2], assigned) = codes_at(index, f.lon, f.lat, given);
    if f.country.is_empty()
        && let Some(c) = country.as_deref().and_then(as_country)
    {
        f.country = c;
    }
    if stale(1, &f.adm1) && index.has_level(1) {
        f.adm1 = adm1;
    }
    if stale(2, &f.adm2) && index.has_level(2) {
        f.adm2 = adm2;
    }
    assigned
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, polygon};

    fn area(code: &str, level: u8, geometry: geo::Polygon<f64>) -> Area {
        Area {
            code: code.into(),
            level,
            parent: None,
            name: code.into(),
            names: Default::default(),
            geometry: MultiPolygon(vec![geometry]),
        }
    }

    fn two_squares_with_a_gap() -> AreaIndex {
        AreaIndex::new(vec![
            area(
                "B",
                2,
                polygon![(x: 1.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0)],
            ),
            area(
                "A",
                2,
                polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)],
            ),
            area(
                "C",
                2,
                polygon![(x: 0.0, y: 1.1), (x: 2.0, y: 1.1), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)],
            ),
        ])
    }

    #[test]
    fn interior_shared_edge_and_sliver() {
        let index = two_squares_with_a_gap();
        let at = |lon, lat| {
            let l = index.locate(lon, lat, 2).unwrap();
            (l.area.code.as_str(), l.inside)
        };
        assert_eq!(at(0.5, 0.5), ("A", true));
        assert_eq!(at(1.5, 0.5), ("B", true));
        assert_eq!(at(1.0, 0.5), ("A", true), "shared edge: lowest code");
        assert_eq!(at(1.0, 1.0), ("A", true), "shared vertex");
        assert_eq!(at(1.5, 1.08), ("C", false), "sliver: nearest");
        assert_eq!(at(1.5, 1.02), ("B", false));
        assert_eq!(at(2.1, 0.5), ("B", false));
        assert!(
            index.locate(5.0, 5.0, 2).is_none(),
            "too far from every area"
        );
        assert!(index.locate(0.5, 0.5, 1).is_none());
        assert!(index.locate(f64::NAN, 0.5, 2).is_none());
    }
}
