//! The gap grid: H3 hexagons over a region, each with its population and, per sector,
//! how far its centre is from the nearest facility: exact geodesic metres, or minutes
//! of travel over a friction surface ([`GridUnit`]).
//!
//! **Cells.** The region is either polygons (the countries) or a lon/lat box. Its cells
//! are every H3 cell of the resolution whose centre lies in it (h3o's `Tiler` in
//! `ContainsCentroid` mode: each cell once, and fast — the modes testing cell outlines
//! against the polygons' edges take ~30 s for Central Asia at res 5), plus the cell of
//! every population point inside it (inside the box, or every point for polygons): no
//! one is dropped at the border, and the cells' populations sum to the points' total.
//!
//! **Measures** come from the caller's [`GridMeasure`], asked once for the cell centres
//! (`LatLng::from(cell)`) and the population points together: by distance
//! ([`NearestDistance`]) an exact nearest search per place, by time one search over the
//! surface per sector (`crate::travel::TravelTimeGrid`), the times read at the places'
//! cells. A cell is covered for a sector when its value is at most the sector's
//! threshold in the same unit (inclusive); a place no facility reaches (by time: off the
//! surface, in an impassable cell, or cut off) is not covered and has no value.
//!
//! **Confidentiality.** A distance per cell is a fine instrument: a public cell at
//! 0.2 km from the nearest shelter locates the shelter, and so does the disc of cells
//! marked covered, or the cells whose distance is withheld. [`to_geojson`] therefore
//! takes the `withheld` sectors: for them every cell reports `dist_km_<s>` (by time
//! `minutes_<s>`) and `covered_<s>` as null, and `covered_all` is null. The API withholds every sector
//! with a confidential facility from the public.
//!
//! **Polygons.** RFC 7946: rings are closed and counter-clockwise, and every longitude
//! is within [-180, 180]: a cell crossing the antimeridian (none in Central Asia) is a
//! MultiPolygon of its two parts cut at ±180 (§3.1.9), see [`cell_geometry`].

use crate::model::Sector;
use crate::model::geojson::{CollectionTag, FeatureTag, Geometry};
use geo::{ChamberlainDuquetteArea, Polygon};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Coarsest resolution served.
pub const MIN_RES: u8 = 3;
/// Finest resolution served.
pub const MAX_RES: u8 = 7;
/// Most cells in one grid (API limit).
pub const MAX_CELLS: usize = 200_000;

/// Why a grid cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridError {
    /// Resolution outside [`MIN_RES`]..=[`MAX_RES`].
    #[error("res={0} is outside {MIN_RES}..={MAX_RES}")]
    Resolution(u8),
    /// The grid would be too large.
    #[error(
        "about {cells} cells at res={res}: more than {limit}; give a smaller bbox or a lower res"
    )]
    TooManyCells {
        /// The resolution asked.
        res: u8,
        /// Cells counted or estimated.
        cells: usize,
        /// The most cells one grid may have.
        limit: usize,
    },
    /// A bounding box that is not one.
    #[error("bbox: {0}")]
    BBox(String),
    /// A region polygon h3o refuses.
    #[error("region geometry: {0}")]
    Geometry(String),
}

/// A lon/lat box (no antimeridian crossing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    /// West.
    pub min_lon: f64,
    /// South.
    pub min_lat: f64,
    /// East.
    pub max_lon: f64,
    /// North.
    pub max_lat: f64,
}

impl BBox {
    /// Parses `minlon,minlat,maxlon,maxlat`.
    pub fn parse(text: &str) -> Result<Self, GridError> {
        let v: Vec<f64> = text
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| {
                GridError::BBox(format!("{text:?}: expected minlon,minlat,maxlon,maxlat"))
            })?;
        let [min_lon, min_lat, max_lon, max_lat] = v[..] else {
            return Err(GridError::BBox(format!(
                "{text:?}: expected 4 numbers minlon,minlat,maxlon,maxlat"
            )));
        };
        Self::new(min_lon, min_lat, max_lon, max_lat)
    }

    /// A checked box.
    pub fn new(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Result<Self, GridError> {
        let lon_ok = |v: f64| (-180.0..=180.0).contains(&v);
        let lat_ok = |v: f64| (-90.0..=90.0).contains(&v);
        if !(lon_ok(min_lon) && lon_ok(max_lon) && lat_ok(min_lat) && lat_ok(max_lat)) {
            return Err(GridError::BBox(
                "longitudes must be in -180..180 and latitudes in -90..90".into(),
            ));
        }
        if !(min_lon < max_lon && min_lat < max_lat) {
            return Err(GridError::BBox(
                "minlon must be below maxlon and minlat below maxlat (no antimeridian crossing)"
                    .into(),
            ));
        }
        Ok(Self {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// Whether `(lon, lat)` lies in the box (edges included).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.min_lon..=self.max_lon).contains(&lon) && (self.min_lat..=self.max_lat).contains(&lat)
    }

    fn polygon(&self) -> Polygon<f64> {
        Polygon::new(
            geo::LineString::from(vec![
                (self.min_lon, self.min_lat),
                (self.max_lon, self.min_lat),
                (self.max_lon, self.max_lat),
                (self.min_lon, self.max_lat),
                (self.min_lon, self.min_lat),
            ]),
            vec![],
        )
    }
}

/// Where the grid goes.
#[derive(Debug, Clone)]
pub enum Region {
    /// Polygons, e.g. the countries' outlines (every population point counts).
    Polygons(Vec<Polygon<f64>>),
    /// A box (population points inside it count).
    BBox(BBox),
    /// Only the cells holding population points (when no outline is known).
    Points,
}

/// Checks a resolution.
pub fn resolution(res: u8) -> Result<Resolution, GridError> {
    if !(MIN_RES..=MAX_RES).contains(&res) {
        return Err(GridError::Resolution(res));
    }
    Resolution::try_from(res).map_err(|_| GridError::Resolution(res))
}

/// The cell of a point, if its coordinates are valid.
pub fn cell_of(lon: f64, lat: f64, res: Resolution) -> Option<CellIndex> {
    LatLng::new(lat, lon).ok().map(|ll| ll.to_cell(res))
}

/// The centre of a cell, `(lon, lat)`.
pub fn centre(cell: CellIndex) -> (f64, f64) {
    let ll = LatLng::from(cell);
    (ll.lng(), ll.lat())
}

/// The cells of `region` at `res` (see the module doc), sorted, at most `limit`.
/// `points` are the population points `(lon, lat)`.
pub fn region_cells(
    region: &Region,
    res: u8,
    points: &[(f64, f64)],
    limit: usize,
) -> Result<Vec<CellIndex>, GridError> {
    let resolution = resolution(res)?;
    let polygons: Vec<Polygon<f64>> = match region {
        Region::Polygons(p) => p.clone(),
        Region::BBox(b) => vec![b.polygon()],
        Region::Points => Vec::new(),
    };
    // Refuse early, from the area, what would take long to enumerate.
    let area_km2: f64 = polygons
        .iter()
        .map(|p| p.chamberlain_duquette_unsigned_area() / 1e6)
        .sum();
    let estimate = (area_km2 / resolution.area_km2()) as usize;
    if estimate > limit + limit / 5 {
        return Err(GridError::TooManyCells {
            res,
            cells: estimate,
            limit,
        });
    }
    let too_many = |cells: usize| GridError::TooManyCells { res, cells, limit };
    let mut cells: BTreeSet<CellIndex> = BTreeSet::new();
    if !polygons.is_empty() {
        let mut tiler = TilerBuilder::new(resolution)
            .containment_mode(ContainmentMode::ContainsCentroid)
            .build();
        for p in polygons {
            tiler
                .add(p)
                .map_err(|e| GridError::Geometry(e.to_string()))?;
        }
        for cell in tiler.into_coverage() {
            cells.insert(cell);
            if cells.len() > limit {
                return Err(too_many(cells.len()));
            }
        }
    }
    for &(lon, lat) in points {
        if let Region::BBox(b) = region
            && !b.contains(lon, lat)
        {
            continue;
        }
        if let Some(c) = cell_of(lon, lat, resolution) {
            cells.insert(c);
        }
    }
    if cells.len() > limit {
        return Err(too_many(cells.len()));
    }
    Ok(cells.into_iter().collect())
}

/// The closed, counter-clockwise ring of a cell as `[lon, lat]` pairs (6 decimals).
pub fn cell_ring(cell: CellIndex) -> Vec<[f64; 2]> {
    let round6 = |v: f64| (v * 1e6).round() / 1e6;
    let mut ring: Vec<[f64; 2]> = cell
        .boundary()
        .iter()
        .map(|ll| [ll.lng(), ll.lat()])
        .collect();
    let (lo, hi) = ring
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[0]), hi.max(p[0]))
        });
    if hi - lo > 180.0 {
        for p in &mut ring {
            if p[0] < 0.0 {
                p[0] += 360.0;
            }
        }
    }
    let twice_area: f64 = ring
        .iter()
        .zip(ring.iter().cycle().skip(1))
        .map(|(a, b)| a[0] * b[1] - b[0] * a[1])
        .sum();
    if twice_area < 0.0 {
        ring.reverse();
    }
    let mut ring: Vec<[f64; 2]> = ring
        .into_iter()
        .map(|p| [round6(p[0]), round6(p[1])])
        .collect();
    if let Some(&first) = ring.first() {
        ring.push(first);
    }
    ring
}

/// A cell as a GeoJSON geometry with every longitude within [-180, 180]: its Polygon,
/// or, for a cell crossing the antimeridian, a MultiPolygon of the part west of 180°
/// and the part east of it (at -180°), cut along the meridian (RFC 7946 §3.1.9).
pub fn cell_geometry(cell: CellIndex) -> geojson::GeometryValue {
    let ring = cell_ring(cell);
    let polygon = |ring: Vec<[f64; 2]>| {
        Polygon::new(
            ring.into_iter()
                .map(|[lon, lat]| (lon, lat))
                .collect::<Vec<_>>()
                .into(),
            Vec::new(),
        )
    };
    if ring.iter().all(|p| p[0] <= 180.0) {
        return geojson::GeometryValue::from(&polygon(ring));
    }
    let round6 = |v: f64| (v * 1e6).round() / 1e6;
    let parts: Vec<Polygon<f64>> = [(true, 0.0), (false, -360.0)]
        .into_iter()
        .filter_map(|(west, shift)| {
            let part: Vec<[f64; 2]> = clip_at_180(&ring, west)
                .into_iter()
                .map(|[lon, lat]| [round6(lon + shift), round6(lat)])
                .collect();
            (part.len() >= 4).then(|| polygon(part))
        })
        .collect();
    geojson::GeometryValue::from(&geo::MultiPolygon::new(parts))
}

/// The part of a closed ring (longitudes unwrapped past 180) west (`west`) or east of
/// the 180° meridian, closed (Sutherland–Hodgman against one half-plane; the
/// orientation is kept).
fn clip_at_180(ring: &[[f64; 2]], west: bool) -> Vec<[f64; 2]> {
    let inside = |p: [f64; 2]| if west { p[0] <= 180.0 } else { p[0] >= 180.0 };
    let open = &ring[..ring.len().saturating_sub(1)];
    let mut out: Vec<[f64; 2]> = Vec::new();
    let mut push = |p: [f64; 2]| {
        if out.last() != Some(&p) {
            out.push(p);
        }
    };
    for (i, &a) in open.iter().enumerate() {
        let b = open[(i + 1) % open.len()];
        if inside(a) {
            push(a);
        }
        if inside(a) != inside(b) {
            let t = (180.0 - a[0]) / (b[0] - a[0]);
            push([180.0, a[1] + t * (b[1] - a[1])]);
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    if out.len() < 3 {
        return Vec::new();
    }
    out.push(out[0]);
    out
}

/// What a grid's values measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridUnit {
    /// Exact WGS84 geodesic metres to the nearest active facility.
    Metres,
    /// Least travel time, minutes, over a travel scenario's friction surface.
    Minutes {
        /// The scenario (e.g. `walking`).
        scenario: String,
    },
}

/// How far places are from each sector's nearest facility, in one unit: what a grid
/// measures. Implementations: [`NearestDistance`] (metres) and, in the travel module,
/// `TravelTimeGrid` (minutes).
pub trait GridMeasure: Sync {
    /// The unit of the values [`GridMeasure::measure`] returns.
    fn unit(&self) -> GridUnit;

    /// Per sector of `sectors` (in that order), per place of `places` (lon, lat): the
    /// value to the sector's nearest facility, `None` when none reaches the place.
    fn measure(&self, sectors: &[Sector], places: &[(f64, f64)]) -> Vec<Vec<Option<f64>>>;
}

/// The grid by distance: the exact geodesic metres from each place to the nearest
/// facility, by the caller's exact nearest search `(sector, lon, lat) → (facility,
/// metres)`.
pub struct NearestDistance<'a>(pub &'a (dyn Fn(Sector, f64, f64) -> Option<(u32, f64)> + Sync));

impl GridMeasure for NearestDistance<'_> {
    fn unit(&self) -> GridUnit {
        GridUnit::Metres
    }

    fn measure(&self, sectors: &[Sector], places: &[(f64, f64)]) -> Vec<Vec<Option<f64>>> {
        let rows: Vec<Vec<Option<f64>>> = crate::parallel::map_chunks(places, |part| {
            part.iter()
                .map(|&(lon, lat)| {
                    sectors
                        .iter()
                        .map(|&s| (self.0)(s, lon, lat).map(|(_, d)| d))
                        .collect()
                })
                .collect()
        });
        (0..sectors.len())
            .map(|k| rows.iter().map(|row| row[k]).collect())
            .collect()
    }
}

/// Per sector ([`Sector::ALL`] order) a threshold in a grid's unit.
pub type SectorThresholds = [f64; Sector::COUNT];

/// One hexagon of the grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridCell {
    /// The H3 cell.
    pub cell: CellIndex,
    /// Centre longitude.
    pub lon: f64,
    /// Centre latitude.
    pub lat: f64,
    /// People of the population points in the cell.
    pub population: f64,
    /// Per sector of the grid, the value from the centre to the nearest facility in the
    /// grid's unit; `None` when no facility reaches the centre.
    pub reach: Vec<Option<f64>>,
    /// People of the cell's points that are not within reach of every sector, each
    /// point measured from where it is (not from the cell centre), so the cells sum to
    /// the coverage table's figure.
    pub out_of_reach: f64,
}

/// A computed grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// H3 resolution of the cells.
    pub res: u8,
    /// Sectors, in the order of [`GridCell::reach`].
    pub sectors: Vec<Sector>,
    /// What the values and thresholds measure.
    pub unit: GridUnit,
    /// Per sector ([`Sector::ALL`] order), the value in `unit` within which a cell's
    /// people count as covered (inclusive).
    pub thresholds: SectorThresholds,
    /// Cells, sorted by index.
    pub cells: Vec<GridCell>,
}

/// What a grid needs.
pub struct GridInput<'a> {
    /// Resolution, [`MIN_RES`]..=[`MAX_RES`].
    pub res: u8,
    /// Sectors to measure.
    pub sectors: &'a [Sector],
    /// Thresholds for `covered_<s>`, in the measure's unit.
    pub thresholds: SectorThresholds,
    /// Where cells are laid: only cells whose centre is in it.
    pub region: &'a Region,
    /// Population points `(lon, lat, people)`.
    pub population: &'a [(f64, f64, f64)],
    /// Most cells.
    pub limit: usize,
}

/// Computes the grid, measuring with `measure` (see the module doc).
pub fn compute(input: &GridInput<'_>, measure: &dyn GridMeasure) -> Result<Grid, GridError> {
    let resolution = resolution(input.res)?;
    let coords: Vec<(f64, f64)> = input.population.iter().map(|p| (p.0, p.1)).collect();
    let cells = region_cells(input.region, input.res, &coords, input.limit)?;
    // The points the grid counts (inside the box, or every one for polygons), each
    // with its cell.
    let counted: Vec<(CellIndex, (f64, f64, f64))> = input
        .population
        .iter()
        .filter(|&&(lon, lat, _)| !matches!(input.region, Region::BBox(b) if !b.contains(lon, lat)))
        .filter_map(|&p| cell_of(p.0, p.1, resolution).map(|c| (c, p)))
        .collect();
    let mut people: BTreeMap<CellIndex, f64> = BTreeMap::new();
    for &(cell, (_, _, pop)) in &counted {
        *people.entry(cell).or_insert(0.0) += pop;
    }
    // The centres and the inhabited points in one call: by time, one search per sector
    // serves both.
    let inhabited: Vec<&(CellIndex, (f64, f64, f64))> =
        counted.iter().filter(|p| p.1.2 > 0.0).collect();
    let places: Vec<(f64, f64)> = cells
        .iter()
        .map(|&c| centre(c))
        .chain(inhabited.iter().map(|p| (p.1.0, p.1.1)))
        .collect();
    let sectors = input.sectors;
    let values = measure.measure(sectors, &places);
    let within = |k: usize, i: usize| {
        values[k][i].is_some_and(|v| v <= input.thresholds[sectors[k].index()])
    };
    let mut out_of_reach: BTreeMap<CellIndex, f64> = BTreeMap::new();
    for (j, &&(cell, (_, _, pop))) in inhabited.iter().enumerate() {
        if (0..sectors.len()).any(|k| !within(k, cells.len() + j)) {
            *out_of_reach.entry(cell).or_insert(0.0) += pop;
        }
    }
    let measured = cells
        .iter()
        .enumerate()
        .map(|(i, &cell)| GridCell {
            cell,
            lon: places[i].0,
            lat: places[i].1,
            population: people.get(&cell).copied().unwrap_or(0.0),
            reach: (0..sectors.len()).map(|k| values[k][i]).collect(),
            out_of_reach: out_of_reach.get(&cell).copied().unwrap_or(0.0),
        })
        .collect();
    Ok(Grid {
        res: input.res,
        sectors: sectors.to_vec(),
        unit: measure.unit(),
        thresholds: input.thresholds,
        cells: measured,
    })
}

/// The gap grid as GeoJSON: one hexagon per cell.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridCollection {
    /// Always `"FeatureCollection"`.
    #[serde(rename = "type")]
    pub kind: CollectionTag,
    /// The cells.
    pub features: Vec<GridFeature>,
    /// How the grid was made.
    pub grid: GridMeta,
}

/// How a gap grid was made.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridMeta {
    /// H3 resolution.
    pub res: u8,
    /// Sectors measured.
    pub sectors: Vec<Sector>,
    /// `distance` (cells carry `dist_km_<s>`) or `time` (cells carry `minutes_<s>`).
    pub by: String,
    /// By distance: threshold per sector measured, metres.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds_m: Option<BTreeMap<Sector, f64>>,
    /// By time: threshold per sector measured, minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thresholds_min: Option<BTreeMap<Sector, f64>>,
    /// By time: the travel scenario whose friction surface the minutes are measured on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Number of cells.
    pub cells: usize,
    /// How to read the figures.
    pub note: String,
}

/// One H3 cell of the gap grid.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridFeature {
    /// Always `"Feature"`.
    #[serde(rename = "type")]
    pub kind: FeatureTag,
    /// The hexagon: a GeoJSON Polygon (a MultiPolygon cut at ±180 for a cell crossing
    /// the antimeridian).
    pub geometry: Geometry,
    /// Its figures.
    pub properties: GridCellFigures,
}

/// A cell's figures. For each sector measured, by distance `dist_km_<sector>` (to the
/// nearest active facility, km to the metre; null when none, or withheld), by time
/// `minutes_<sector>` (least travel time from the nearest active facility, to 0.1
/// minute; null when none reaches the cell centre, or withheld), and `covered_<sector>`
/// (within the threshold, inclusive; null when withheld); sectors not measured, and
/// the other measure's fields, are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GridCellFigures {
    /// H3 cell index.
    pub cell: String,
    /// People in the cell.
    pub population: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Health: km to the nearest facility (by distance).
    pub dist_km_health: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Health: minutes of travel from the nearest facility (by time).
    pub minutes_health: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable = true)]
    /// Health: within the threshold.
    pub covered_health: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Psycho-social support: km to the nearest facility (by distance).
    pub dist_km_psychosocial: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Psycho-social support: minutes of travel from the nearest facility (by time).
    pub minutes_psychosocial: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable = true)]
    /// Psycho-social support: within the threshold.
    pub covered_psychosocial: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Police: km to the nearest facility (by distance).
    pub dist_km_police: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Police: minutes of travel from the nearest facility (by time).
    pub minutes_police: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable = true)]
    /// Police: within the threshold.
    pub covered_police: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Shelter: km to the nearest facility (by distance).
    pub dist_km_shelter: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Shelter: minutes of travel from the nearest facility (by time).
    pub minutes_shelter: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable = true)]
    /// Shelter: within the threshold.
    pub covered_shelter: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Legal aid: km to the nearest facility (by distance).
    pub dist_km_legal: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Legal aid: minutes of travel from the nearest facility (by time).
    pub minutes_legal: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable = true)]
    /// Legal aid: within the threshold.
    pub covered_legal: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Hotline: km to the nearest facility (by distance).
    pub dist_km_hotline: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Hotline: minutes of travel from the nearest facility (by time).
    pub minutes_hotline: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable = true)]
    /// Hotline: within the threshold.
    pub covered_hotline: Option<Option<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Programmes for perpetrators: km to the nearest facility (by distance).
    pub dist_km_perpetrator_programme: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>, nullable = true)]
    /// Programmes for perpetrators: minutes of travel from the nearest facility (by time).
    pub minutes_perpetrator_programme: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<bool>, nullable = true)]
    /// Programmes for perpetrators: within the threshold.
    pub covered_perpetrator_programme: Option<Option<bool>>,
    /// The cell centre is within reach of every sector measured; null when a sector is
    /// withheld.
    pub covered_all: Option<bool>,
    /// People of the cell beyond the threshold of some sector measured, each measured
    /// from where they live (so the cells add up to the coverage table's figure); null
    /// when a sector is withheld.
    pub people_out_of_reach: Option<f64>,
}

impl GridCellFigures {
    /// Sets `sector`'s value (km by distance, minutes by time, as `unit` says) and
    /// coverage; `None` for withheld values.
    fn set(&mut self, sector: Sector, unit: &GridUnit, value: Option<f64>, covered: Option<bool>) {
        let (dist_km, minutes, cov) = match sector {
            Sector::Health => (
                &mut self.dist_km_health,
                &mut self.minutes_health,
                &mut self.covered_health,
            ),
            Sector::Psychosocial => (
                &mut self.dist_km_psychosocial,
                &mut self.minutes_psychosocial,
                &mut self.covered_psychosocial,
            ),
            Sector::Police => (
                &mut self.dist_km_police,
                &mut self.minutes_police,
                &mut self.covered_police,
            ),
            Sector::Shelter => (
                &mut self.dist_km_shelter,
                &mut self.minutes_shelter,
                &mut self.covered_shelter,
            ),
            Sector::Legal => (
                &mut self.dist_km_legal,
                &mut self.minutes_legal,
                &mut self.covered_legal,
            ),
            Sector::Hotline => (
                &mut self.dist_km_hotline,
                &mut self.minutes_hotline,
                &mut self.covered_hotline,
            ),
            Sector::PerpetratorProgramme => (
                &mut self.dist_km_perpetrator_programme,
                &mut self.minutes_perpetrator_programme,
                &mut self.covered_perpetrator_programme,
            ),
        };
        match unit {
            GridUnit::Metres => *dist_km = Some(value),
            GridUnit::Minutes { .. } => *minutes = Some(value),
        }
        *cov = Some(covered);
    }
}

/// A grid value as the GeoJSON shows it: metres as km to the metre, minutes to 0.1.
fn shown(unit: &GridUnit, value: f64) -> f64 {
    match unit {
        GridUnit::Metres => value.round() / 1000.0,
        GridUnit::Minutes { .. } => (value * 10.0).round() / 10.0,
    }
}

/// The grid as a GeoJSON FeatureCollection (see the module doc); the `withheld`
/// sectors' values are null in every cell.
pub fn to_geojson(grid: &Grid, withheld: &[Sector], note: &str) -> GridCollection {
    let unit = &grid.unit;
    let features = grid
        .cells
        .iter()
        .map(|c| {
            let mut props = GridCellFigures {
                cell: c.cell.to_string(),
                population: c.population,
                ..GridCellFigures::default()
            };
            let mut all = Some(true);
            for (&s, value) in grid.sectors.iter().zip(&c.reach) {
                if withheld.contains(&s) {
                    props.set(s, unit, None, None);
                    all = None;
                    continue;
                }
                // Covered is decided on the exact value, not the rounded one shown.
                let covered = value.is_some_and(|v| v <= grid.thresholds[s.index()]);
                all = all.map(|a| a && covered);
                props.set(s, unit, value.map(|v| shown(unit, v)), Some(covered));
            }
            props.covered_all = all;
            props.people_out_of_reach = all.map(|_| c.out_of_reach);
            GridFeature {
                kind: FeatureTag::Feature,
                geometry: Geometry(geojson::Geometry::new(cell_geometry(c.cell))),
                properties: props,
            }
        })
        .collect();
    let thresholds: BTreeMap<Sector, f64> = grid
        .sectors
        .iter()
        .map(|s| (*s, grid.thresholds[s.index()]))
        .collect();
    let (by, thresholds_m, thresholds_min, scenario) = match unit {
        GridUnit::Metres => ("distance", Some(thresholds), None, None),
        GridUnit::Minutes { scenario } => ("time", None, Some(thresholds), Some(scenario.clone())),
    };
    GridCollection {
        kind: CollectionTag::FeatureCollection,
        features,
        grid: GridMeta {
            res: grid.res,
            sectors: grid.sectors.clone(),
            by: by.to_string(),
            thresholds_m,
            thresholds_min,
            scenario,
            cells: grid.cells.len(),
            note: note.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rings_are_closed_and_counter_clockwise() {
        for &(lon, lat) in &[(68.0, 43.0), (179.99, 10.0), (-179.99, -60.0), (0.0, 89.9)] {
            let cell = cell_of(lon, lat, Resolution::Five).unwrap();
            let ring = cell_ring(cell);
            assert!(ring.len() >= 7);
            assert_eq!(ring.first(), ring.last());
            let twice: f64 = ring
                .windows(2)
                .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
                .sum();
            assert!(twice > 0.0, "{lon},{lat}");
        }
    }

    #[test]
    fn a_cell_across_the_antimeridian_is_cut_at_180() {
        let shoelace = |ring: &[[f64; 2]]| -> f64 {
            ring.windows(2)
                .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
                .sum::<f64>()
                / 2.0
        };
        let mut crossing = 0;
        for &(lon, lat) in &[
            (179.99, 10.0),
            (-179.99, -60.0),
            (180.0, 0.0),
            (179.95, 65.0),
        ] {
            let cell = cell_of(lon, lat, Resolution::Five).unwrap();
            let ring = cell_ring(cell);
            let value = serde_json::to_value(geojson::Geometry::new(cell_geometry(cell))).unwrap();
            let all: Vec<f64> = value["coordinates"]
                .to_string()
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .filter(|t| !t.is_empty())
                .map(|t| t.parse().unwrap())
                .collect();
            let lons = all.iter().step_by(2);
            assert!(
                lons.clone().all(|x| (-180.0..=180.0).contains(x)),
                "{lon},{lat}: {value}"
            );
            if ring.iter().all(|p| p[0] <= 180.0) {
                assert_eq!(value["type"], "Polygon");
                continue;
            }
            crossing += 1;
            assert_eq!(value["type"], "MultiPolygon", "{lon},{lat}");
            let parts: Vec<Vec<[f64; 2]>> = value["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| serde_json::from_value(p[0].clone()).unwrap())
                .collect();
            assert_eq!(parts.len(), 2, "{value}");
            // One part ends at 180, the other starts at -180; together, the whole cell.
            assert!(parts[0].iter().all(|p| p[0] > 0.0) && parts[0].iter().any(|p| p[0] == 180.0));
            assert!(parts[1].iter().all(|p| p[0] < 0.0) && parts[1].iter().any(|p| p[0] == -180.0));
            for part in &parts {
                assert_eq!(part.first(), part.last());
                assert!(shoelace(part) > 0.0, "counter-clockwise");
            }
            let whole = shoelace(&ring);
            let sum = shoelace(&parts[0]) + shoelace(&parts[1]);
            assert!(
                (sum - whole).abs() < 1e-6 * whole.max(1.0),
                "{sum} vs {whole}"
            );
        }
        assert!(crossing >= 2, "the cells tried cross the antimeridian");
    }

    #[test]
    fn resolution_and_bbox_are_checked() {
        assert_eq!(resolution(8), Err(GridError::Resolution(8)));
        assert!(resolution(5).is_ok());
        assert!(BBox::parse("60,40,61").is_err());
        assert!(BBox::parse("61,40,60,41").is_err());
        assert!(BBox::parse("60,40,61,x").is_err());
        assert!(BBox::parse("60,40,61,41").is_ok());
        let too_big = region_cells(
            &Region::BBox(BBox::new(40.0, 30.0, 90.0, 56.0).unwrap()),
            7,
            &[],
            MAX_CELLS,
        );
        assert!(matches!(too_big, Err(GridError::TooManyCells { .. })));
    }

    #[test]
    fn every_point_lands_in_a_cell() {
        let points = [(60.5, 40.5), (60.0, 40.0), (70.0, 45.0)];
        let cells = region_cells(
            &Region::BBox(BBox::new(60.0, 40.0, 61.0, 41.0).unwrap()),
            5,
            &points,
            MAX_CELLS,
        )
        .unwrap();
        for &(lon, lat) in &points[..2] {
            assert!(cells.contains(&cell_of(lon, lat, Resolution::Five).unwrap()));
        }
        assert!(!cells.contains(&cell_of(70.0, 45.0, Resolution::Five).unwrap()));
    }
}
