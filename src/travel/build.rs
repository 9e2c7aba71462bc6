//! Building a friction surface AccessMod-style: land cover + scenario table (+ roads and
//! water from OpenStreetMap) → friction, minutes per metre.
//!
//! Inputs:
//! - a **land cover**: a GeoTIFF of integer class codes, EPSG:4326, north up
//!   ([`read_landcover`]); its NoData cells are impassable;
//! - a **scenario table** (CSV `class,speed_kmh,mode`, [`read_scenario_table`]): the
//!   speed over each class and how it is travelled (`walking`, `bicycling`,
//!   `motorised`, AccessMod's modes; its spellings `WALKING`, `MOTORIZED` are taken).
//!   Speed 0 makes a class impassable; a class in the raster but not in the table is an
//!   error naming it. Tirek has no elevation model, so the speed is used flat (AccessMod
//!   corrects walking and bicycling for slope when given a DEM);
//! - optionally **OpenStreetMap roads and water** ([`crate::import::pbf`]) with a speed
//!   per `highway` value ([`default_road_speeds`] for walking or motorised, overridden
//!   or extended by a CSV `highway,speed_kmh`, [`read_road_speeds`]; a value without a
//!   speed, or with 0, is not burned in).
//!
//! Each cell's speed, in order of precedence (highest last):
//! 1. its land-cover class's speed;
//! 2. a **road** in the cell replaces it with the fastest road's speed;
//! 3. a **barrier** (a cell a river, canal or stream line passes through, or a water
//!    area's boundary passes through or whose centre lies inside a water area) is
//!    impassable, whatever the land cover or ordinary road;
//! 4. a **crossing** keeps a barrier cell passable at the fastest crossing road's speed
//!    in it: a road tagged `bridge`, `tunnel` or `ford`, or a road segment that
//!    crosses (meets) a river, canal or stream segment, in the cells both segments
//!    mark (a bridge, culvert or ford not tagged as such). Water *areas* are crossed
//!    only by tagged crossings; a road beside a river in the same cells, not crossing
//!    it, is cut there.
//!
//! Friction = 60 / (speed km/h × 1000) minutes per metre; impassable cells are NaN.
//!
//! **Line rasterisation** ([`segment_cells`]): with grid coordinates
//! `x = (lon − west) / dx`, `y = (north − lat) / dy`, cell (row r, column c) is the
//! closed square `[c, c+1] × [r, r+1]`; a segment marks every cell whose closed square
//! it meets. So every cell the segment passes through is marked, a segment along a cell
//! edge or through a corner marks the cells on both sides, and a line's cells are
//! 4-connected: a barrier one cell wide cannot be slipped through diagonally.
//! **Area fill**: a cell is inside a water area when its centre is, by the even-odd
//! rule over all the area's boundary lines (a point on a boundary line's left-closed
//! crossing counts once).

use super::TravelError;
use crate::export::geotiff::GeoGrid;
use crate::import::pbf::{Line, OsmLayers};
use crate::import::raster::{check_geokeys, gdal_nodata, grid, is_tiff};
use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

/// Why a friction surface cannot be built. Nothing is written when one of these occurs.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The land cover cannot be used.
    #[error("land cover: {0}")]
    LandCover(String),
    /// A row of a table is wrong.
    #[error("{table}, row {row}: {message}")]
    Table {
        /// Which table (`scenario table`, `road speeds`).
        table: &'static str,
        /// The data row number (1 = first row after the header).
        row: usize,
        /// What is wrong.
        message: String,
    },
    /// A table as a whole is wrong (header, empty).
    #[error("{table}: {message}")]
    TableFile {
        /// Which table.
        table: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A land-cover class with no row in the scenario table.
    #[error(
        "land cover class {class} ({cells} cells, first at row {row}, column {col}) is not in the scenario table: add a row `{class},<speed_kmh>,<mode>` (speed 0 for impassable)"
    )]
    UnknownClass {
        /// The class code.
        class: i64,
        /// How many cells hold it.
        cells: usize,
        /// Its first cell's row.
        row: usize,
        /// Its first cell's column.
        col: usize,
    },
}

impl From<TravelError> for BuildError {
    fn from(e: TravelError) -> Self {
        BuildError::LandCover(e.to_string())
    }
}

/// How a class is travelled, as AccessMod's scenario tables say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// On foot.
    Walking,
    /// By bicycle.
    Bicycling,
    /// By motor vehicle.
    Motorised,
}

impl Mode {
    /// Reads `walking`, `bicycling`, `motorised` (or `motorized`), any case.
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "walking" | "walk" => Some(Mode::Walking),
            "bicycling" | "bicycle" | "cycling" => Some(Mode::Bicycling),
            "motorised" | "motorized" | "motorised_vehicle" => Some(Mode::Motorised),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Walking => "walking",
            Mode::Bicycling => "bicycling",
            Mode::Motorised => "motorised",
        }
    }
}

/// A land cover: integer class codes on a north-up lon/lat grid.
#[derive(Debug, Clone)]
pub struct LandCover {
    /// Where the cells are.
    pub grid: GeoGrid,
    /// Per cell (row by row from the north), its class; `None` for NoData.
    pub classes: Vec<Option<i64>>,
    /// Things the user should know that did not stop the reading.
    pub warnings: Vec<String>,
}

/// Largest land cover decoded, bytes.
const MAX_DECODED_BYTES: usize = 2 << 30;

/// Reads a land-cover GeoTIFF: one band of integers (8 to 64-bit, signed or not),
/// EPSG:4326, north up; the `GDAL_NODATA` value marks cells without a class.
pub fn read_landcover(bytes: &[u8]) -> Result<LandCover, BuildError> {
    if !is_tiff(bytes) {
        return Err(BuildError::LandCover(
            "not a TIFF file: a land cover is a GeoTIFF of integer class codes".into(),
        ));
    }
    std::panic::catch_unwind(|| landcover_inner(bytes)).unwrap_or_else(|_| {
        Err(BuildError::LandCover(
            "the TIFF decoder failed on this file".into(),
        ))
    })
}

fn landcover_inner(bytes: &[u8]) -> Result<LandCover, BuildError> {
    let tiff = |e: tiff::TiffError| BuildError::LandCover(format!("not a readable GeoTIFF: {e}"));
    let raster = |e: crate::import::raster::RasterError| BuildError::LandCover(e.to_string());
    let mut limits = Limits::default();
    limits.decoding_buffer_size = MAX_DECODED_BYTES;
    limits.intermediate_buffer_size = MAX_DECODED_BYTES;
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff)?
        .with_limits(limits);
    let (width, height) = decoder.dimensions().map_err(tiff)?;
    let format = decoder
        .find_tag_unsigned_vec::<u16>(Tag::SampleFormat)
        .map_err(tiff)?
        .and_then(|v| v.first().copied())
        .unwrap_or(1);
    if format == 3 {
        return Err(BuildError::LandCover(
            "its samples are floating-point, not integer class codes; a land cover holds one integer code per cell (gdal_translate -ot Int32)".into(),
        ));
    }
    match decoder.colortype() {
        Ok(tiff::ColorType::Gray(_)) => {}
        Ok(other) => {
            return Err(BuildError::LandCover(format!(
                "it has {other:?} pixels; a land cover has one band of class codes"
            )));
        }
        Err(e) => return Err(tiff(e)),
    }
    let mut warnings = Vec::new();
    let pixel_is_point = check_geokeys(&mut decoder, &mut warnings).map_err(raster)?;
    let georef = grid(&mut decoder, pixel_is_point).map_err(raster)?;
    if georef.dy >= 0.0 || georef.dx <= 0.0 {
        return Err(BuildError::LandCover(
            "it is not north-up; warp it to a north-up grid (gdalwarp)".into(),
        ));
    }
    let nodata = gdal_nodata(&mut decoder).map_err(raster)?;
    let grid = GeoGrid {
        width: width as usize,
        height: height as usize,
        west: georef.x_edge,
        north: georef.y_edge,
        dx: georef.dx,
        dy: -georef.dy,
    };
    let (right, bottom) = (
        grid.west + grid.width as f64 * grid.dx,
        grid.north - grid.height as f64 * grid.dy,
    );
    if !(grid.west.abs() <= 360.0 && right.abs() <= 360.0 && grid.north.abs() <= 90.0)
        || bottom < -90.0 - 1e-9
    {
        return Err(BuildError::LandCover(format!(
            "its extent ({}, {}) to ({right}, {bottom}) is not longitude/latitude degrees (a projected system); reproject it to EPSG:4326 (gdalwarp -t_srs EPSG:4326)",
            grid.west, grid.north
        )));
    }
    let values: Vec<i64> = match decoder.read_image().map_err(tiff)? {
        DecodingResult::U8(v) => v.into_iter().map(i64::from).collect(),
        DecodingResult::U16(v) => v.into_iter().map(i64::from).collect(),
        DecodingResult::U32(v) => v.into_iter().map(i64::from).collect(),
        DecodingResult::U64(v) => v
            .into_iter()
            .map(|x| x.min(i64::MAX as u64) as i64)
            .collect(),
        DecodingResult::I8(v) => v.into_iter().map(i64::from).collect(),
        DecodingResult::I16(v) => v.into_iter().map(i64::from).collect(),
        DecodingResult::I32(v) => v.into_iter().map(i64::from).collect(),
        DecodingResult::I64(v) => v,
        DecodingResult::F16(_) | DecodingResult::F32(_) | DecodingResult::F64(_) => {
            return Err(BuildError::LandCover(
                "its samples are floating-point, not integer class codes".into(),
            ));
        }
    };
    if values.len() < grid.width * grid.height {
        return Err(BuildError::LandCover(format!(
            "{} samples for {} × {} cells",
            values.len(),
            grid.width,
            grid.height
        )));
    }
    let classes = values
        .into_iter()
        .take(grid.width * grid.height)
        .map(|v| (nodata != Some(v as f64)).then_some(v))
        .collect();
    Ok(LandCover {
        grid,
        classes,
        warnings,
    })
}

/// One row of a scenario table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassSpeed {
    /// km/h; 0: impassable.
    pub speed_kmh: f64,
    /// How the class is travelled.
    pub mode: Mode,
}

/// The scenario table: per land-cover class, its speed and mode.
pub type ScenarioTable = BTreeMap<i64, ClassSpeed>;

/// A CSV data row: its number and its cells by the wanted columns.
type CsvRow = (usize, Vec<Option<String>>);

/// The CSV's rows as (data row number, cells by the wanted columns) after checking the
/// header names `wanted` (case-insensitive; other columns ignored).
fn csv_rows(
    table: &'static str,
    bytes: &[u8],
    wanted: &[&str],
    required: usize,
) -> Result<Vec<CsvRow>, BuildError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let file = |message: String| BuildError::TableFile { table, message };
    let header = reader
        .headers()
        .map_err(|e| file(format!("not a readable CSV: {e}")))?
        .clone();
    let mut columns = Vec::new();
    for (k, name) in wanted.iter().enumerate() {
        let at = header.iter().position(|h| h.eq_ignore_ascii_case(name));
        if at.is_none() && k < required {
            return Err(file(format!(
                "no `{name}` column (the header must name {})",
                wanted.join(", ")
            )));
        }
        columns.push(at);
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| BuildError::Table {
            table,
            row: i + 1,
            message: format!("not readable CSV: {e}"),
        })?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cells = columns
            .iter()
            .map(|c| {
                c.and_then(|c| record.get(c))
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            })
            .collect();
        rows.push((i + 1, cells));
    }
    if rows.is_empty() {
        return Err(file("no rows".into()));
    }
    Ok(rows)
}

/// A speed cell: a finite number ≥ 0 (km/h).
fn speed(table: &'static str, row: usize, cell: Option<&String>) -> Result<f64, BuildError> {
    let err = |message: String| BuildError::Table {
        table,
        row,
        message,
    };
    let text = cell.ok_or_else(|| err("speed_kmh is empty".into()))?;
    let v: f64 = text
        .parse()
        .map_err(|_| err(format!("speed_kmh {text:?} is not a number")))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(err(format!(
            "speed_kmh {text} must be 0 (impassable) or more"
        )));
    }
    Ok(v)
}

/// Reads a scenario table CSV `class,speed_kmh,mode` (a `label` or other columns may
/// stand beside them).
pub fn read_scenario_table(bytes: &[u8]) -> Result<ScenarioTable, BuildError> {
    const T: &str = "scenario table";
    let mut table = ScenarioTable::new();
    for (row, cells) in csv_rows(T, bytes, &["class", "speed_kmh", "mode"], 3)? {
        let err = |message: String| BuildError::Table {
            table: T,
            row,
            message,
        };
        let class_text = cells[0]
            .as_ref()
            .ok_or_else(|| err("class is empty".into()))?;
        let class: i64 = class_text
            .parse()
            .map_err(|_| err(format!("class {class_text:?} is not an integer code")))?;
        let speed_kmh = speed(T, row, cells[1].as_ref())?;
        let mode_text = cells[2].as_deref().unwrap_or("");
        let mode = Mode::parse(mode_text).ok_or_else(|| {
            err(format!(
                "mode {mode_text:?} is not walking, bicycling or motorised"
            ))
        })?;
        if table
            .insert(class, ClassSpeed { speed_kmh, mode })
            .is_some()
        {
            return Err(err(format!("class {class} is listed twice")));
        }
    }
    Ok(table)
}

/// Speed per `highway` value, km/h.
pub type RoadSpeeds = BTreeMap<String, f64>;

/// The default speed of each `highway` value for a build in `mode`, km/h.
///
/// Motorised (a car or minibus on rural Central Asian roads): motorway 100, trunk 80,
/// primary 60, secondary 50, tertiary 40, unclassified 30, road 25, residential 25,
/// service 15, track 15, living_street 10; each `_link` about two thirds of its road
/// (motorway_link 60, trunk_link 50, primary_link 40, secondary_link 35, tertiary_link
/// 30). Footways, paths, steps and cycleways carry no motor traffic: not burned in.
///
/// Walking: 5 km/h on every road a pedestrian may use (trunk to residential, their
/// links, service, road, living_street, pedestrian, footway, cycleway, crossing ways),
/// 4 km/h on tracks, paths and bridleways, 2 km/h up or down steps; motorways and
/// their links are closed to pedestrians: not burned in.
///
/// Bicycling: 15 km/h on paved roads (trunk to residential, links, service, road,
/// living_street, cycleway), 10 on tracks, 8 on paths and bridleways, 5 on footways and
/// pedestrian streets; no motorways, no steps.
pub fn default_road_speeds(mode: Mode) -> RoadSpeeds {
    let table: &[(&str, f64)] = match mode {
        Mode::Motorised => &[
            ("motorway", 100.0),
            ("motorway_link", 60.0),
            ("trunk", 80.0),
            ("trunk_link", 50.0),
            ("primary", 60.0),
            ("primary_link", 40.0),
            ("secondary", 50.0),
            ("secondary_link", 35.0),
            ("tertiary", 40.0),
            ("tertiary_link", 30.0),
            ("unclassified", 30.0),
            ("road", 25.0),
            ("residential", 25.0),
            ("service", 15.0),
            ("track", 15.0),
            ("living_street", 10.0),
        ],
        Mode::Walking => &[
            ("trunk", 5.0),
            ("trunk_link", 5.0),
            ("primary", 5.0),
            ("primary_link", 5.0),
            ("secondary", 5.0),
            ("secondary_link", 5.0),
            ("tertiary", 5.0),
            ("tertiary_link", 5.0),
            ("unclassified", 5.0),
            ("road", 5.0),
            ("residential", 5.0),
            ("service", 5.0),
            ("living_street", 5.0),
            ("pedestrian", 5.0),
            ("footway", 5.0),
            ("cycleway", 5.0),
            ("track", 4.0),
            ("path", 4.0),
            ("bridleway", 4.0),
            ("steps", 2.0),
        ],
        Mode::Bicycling => &[
            ("trunk", 15.0),
            ("trunk_link", 15.0),
            ("primary", 15.0),
            ("primary_link", 15.0),
            ("secondary", 15.0),
            ("secondary_link", 15.0),
            ("tertiary", 15.0),
            ("tertiary_link", 15.0),
            ("unclassified", 15.0),
            ("road", 15.0),
            ("residential", 15.0),
            ("service", 15.0),
            ("living_street", 15.0),
            ("cycleway", 15.0),
            ("track", 10.0),
            ("path", 8.0),
            ("bridleway", 8.0),
            ("footway", 5.0),
            ("pedestrian", 5.0),
        ],
    };
    table.iter().map(|&(k, v)| (k.to_string(), v)).collect()
}

/// Reads a road speed CSV `highway,speed_kmh` over `base`: each row sets (or, with
/// speed 0, removes) one `highway` value's speed.
pub fn read_road_speeds(bytes: &[u8], mut base: RoadSpeeds) -> Result<RoadSpeeds, BuildError> {
    const T: &str = "road speeds";
    let mut seen = std::collections::HashSet::new();
    for (row, cells) in csv_rows(T, bytes, &["highway", "speed_kmh"], 2)? {
        let err = |message: String| BuildError::Table {
            table: T,
            row,
            message,
        };
        let highway = cells[0]
            .clone()
            .ok_or_else(|| err("highway is empty".into()))?;
        let v = speed(T, row, cells[1].as_ref())?;
        if !seen.insert(highway.clone()) {
            return Err(err(format!("highway {highway} is listed twice")));
        }
        if v > 0.0 {
            base.insert(highway, v);
        } else {
            base.remove(&highway);
        }
    }
    Ok(base)
}

/// Grid coordinates (column, row as real numbers) of (lon, lat) on `grid`.
#[inline]
pub fn grid_xy(grid: &GeoGrid, (lon, lat): (f64, f64)) -> (f64, f64) {
    ((lon - grid.west) / grid.dx, (grid.north - lat) / grid.dy)
}

/// Calls `visit` with every cell (row-major index) whose closed square the segment
/// from `a` to `b` (lon, lat) meets (see the module documentation); cells off the grid
/// are left out. A cell may be visited once per segment only.
pub fn segment_cells(grid: &GeoGrid, a: (f64, f64), b: (f64, f64), mut visit: impl FnMut(usize)) {
    let (p, q) = (grid_xy(grid, a), grid_xy(grid, b));
    // Left to right.
    let ((xa, ya), (xb, yb)) = if p.0 <= q.0 { (p, q) } else { (q, p) };
    if !(xa.is_finite() && ya.is_finite() && xb.is_finite() && yb.is_finite()) {
        return;
    }
    let (w, h) = (grid.width as f64, grid.height as f64);
    let c_lo = (xa.ceil() - 1.0).max(0.0);
    let c_hi = xb.floor().min(w - 1.0);
    if c_lo > c_hi {
        return;
    }
    let y_at = |x: f64| ya + (x - xa) * (yb - ya) / (xb - xa);
    let mut c = c_lo;
    while c <= c_hi {
        let (xl, xr) = (xa.max(c), xb.min(c + 1.0));
        // The ends exactly (a vertical segment has no slope to follow).
        let yl = if xl == xa { ya } else { y_at(xl) };
        let yr = if xr == xb { yb } else { y_at(xr) };
        let (ylo, yhi) = if yl <= yr { (yl, yr) } else { (yr, yl) };
        let r_lo = (ylo.ceil() - 1.0).max(0.0);
        let r_hi = yhi.floor().min(h - 1.0);
        let mut r = r_lo;
        while r <= r_hi {
            visit(r as usize * grid.width + c as usize);
            r += 1.0;
        }
        c += 1.0;
    }
}

/// Calls `visit` with every cell of every segment of `line` (a lone point, left where
/// its neighbours are missing from the extract, marks nothing).
pub fn line_cells(grid: &GeoGrid, line: &Line, mut visit: impl FnMut(usize)) {
    for pair in line.windows(2) {
        segment_cells(grid, pair[0], pair[1], &mut visit);
    }
}

/// Calls `visit` with every cell whose centre lies inside the area bounded by `lines`
/// (even-odd rule; a crossing counts when one end is at or below the centre's row line
/// and the other above, in grid coordinates).
pub fn area_cells(grid: &GeoGrid, lines: &[Line], mut visit: impl FnMut(usize)) {
    let segments: Vec<((f64, f64), (f64, f64))> = lines
        .iter()
        .flat_map(|l| {
            l.windows(2)
                .map(|p| (grid_xy(grid, p[0]), grid_xy(grid, p[1])))
        })
        .collect();
    if segments.is_empty() {
        return;
    }
    let (mut y_min, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for &((_, ya), (_, yb)) in &segments {
        y_min = y_min.min(ya.min(yb));
        y_max = y_max.max(ya.max(yb));
    }
    let r_lo = (y_min - 0.5).ceil().max(0.0) as usize;
    let r_hi = ((y_max - 0.5).floor()).min(grid.height as f64 - 1.0);
    if r_hi < 0.0 {
        return;
    }
    let mut xs = Vec::new();
    for r in r_lo..=r_hi as usize {
        let y = r as f64 + 0.5;
        xs.clear();
        for &((xa, ya), (xb, yb)) in &segments {
            if (ya <= y) != (yb <= y) {
                xs.push(xa + (y - ya) * (xb - xa) / (yb - ya));
            }
        }
        xs.sort_unstable_by(f64::total_cmp);
        for pair in xs.chunks_exact(2) {
            // Centres c + 0.5 in [x_in, x_out).
            let c_lo = (pair[0] - 0.5).ceil().max(0.0);
            let c_hi = ((pair[1] - 0.5).ceil() - 1.0).min(grid.width as f64 - 1.0);
            let mut c = c_lo;
            while c <= c_hi {
                visit(r * grid.width + c as usize);
                c += 1.0;
            }
        }
    }
}

/// The OpenStreetMap layers burned into a grid.
#[derive(Debug, Clone)]
pub struct RoadRaster {
    /// Per cell, the fastest road's speed in it, km/h (0: no road with a speed).
    pub road_kmh: Vec<f32>,
    /// Per cell, the fastest crossing road's speed in it, km/h (0: none): a road
    /// tagged as a crossing, or a road segment that crosses a water line segment
    /// passing through the same cell.
    pub crossing_kmh: Vec<f32>,
    /// Per cell, whether water blocks it.
    pub barrier: Vec<bool>,
    /// `highway` values found without a speed, with how many ways carry each.
    pub unpriced: BTreeMap<String, usize>,
    /// Water areas whose boundary is not closed in the extract (only their outline
    /// was burned).
    pub open_areas: usize,
}

/// Burns roads (at `speeds`) and water barriers of `osm` into `grid`.
pub fn burn_osm(grid: &GeoGrid, osm: &OsmLayers, speeds: &RoadSpeeds) -> RoadRaster {
    let n = grid.width * grid.height;
    let mut out = RoadRaster {
        road_kmh: vec![0.0; n],
        crossing_kmh: vec![0.0; n],
        barrier: vec![false; n],
        unpriced: BTreeMap::new(),
        open_areas: 0,
    };
    // The water lines first, each cell with the segments through it: a road segment
    // that crosses one of them is a crossing in the cells both share.
    type Segment = ((f64, f64), (f64, f64));
    let mut water_segments: Vec<Segment> = Vec::new();
    let mut water_at: HashMap<usize, Vec<u32>> = HashMap::new();
    for water in &osm.water_lines {
        for line in &water.lines {
            for pair in line.windows(2) {
                let k = water_segments.len() as u32;
                water_segments.push((pair[0], pair[1]));
                segment_cells(grid, pair[0], pair[1], |c| {
                    out.barrier[c] = true;
                    water_at.entry(c).or_default().push(k);
                });
            }
        }
    }
    let crosses = |a: (f64, f64), b: (f64, f64), k: u32| {
        let (p, q) = water_segments[k as usize];
        let line = |a: (f64, f64), b: (f64, f64)| {
            geo::Line::new(geo::coord! {x: a.0, y: a.1}, geo::coord! {x: b.0, y: b.1})
        };
        geo::algorithm::line_intersection::line_intersection(line(a, b), line(p, q)).is_some()
    };
    let mut cells = Vec::new();
    for road in &osm.roads {
        let Some(&kmh) = speeds.get(&road.highway).filter(|&&v| v > 0.0) else {
            *out.unpriced.entry(road.highway.clone()).or_default() += 1;
            continue;
        };
        let kmh = kmh as f32;
        for line in &road.lines {
            for pair in line.windows(2) {
                cells.clear();
                segment_cells(grid, pair[0], pair[1], |c| cells.push(c));
                for &c in &cells {
                    out.road_kmh[c] = out.road_kmh[c].max(kmh);
                    let crossing = road.crossing
                        || water_at
                            .get(&c)
                            .is_some_and(|ks| ks.iter().any(|&k| crosses(pair[0], pair[1], k)));
                    if crossing {
                        out.crossing_kmh[c] = out.crossing_kmh[c].max(kmh);
                    }
                }
            }
        }
    }
    for area in &osm.water_areas {
        for line in &area.boundary {
            line_cells(grid, line, |c| out.barrier[c] = true);
        }
        if area.closed {
            area_cells(grid, &area.boundary, |c| out.barrier[c] = true);
        } else {
            out.open_areas += 1;
        }
    }
    out
}

/// A friction surface built, with what went into it.
#[derive(Debug, Clone)]
pub struct BuiltFriction {
    /// Where the cells are (the land cover's grid).
    pub grid: GeoGrid,
    /// Per cell, minutes per metre; NaN where impassable.
    pub friction: Vec<f32>,
    /// Cells whose speed is a road's (crossings included).
    pub road_cells: usize,
    /// Cells that water blocks.
    pub barrier_cells: usize,
    /// Barrier cells kept passable by a crossing road.
    pub crossing_cells: usize,
    /// Cells that cannot be crossed.
    pub impassable_cells: usize,
    /// Things the user should know that did not stop the build.
    pub warnings: Vec<String>,
}

/// Minutes per metre at `kmh` (0 or less: NaN, impassable).
pub fn friction_of_speed(kmh: f64) -> f32 {
    if kmh > 0.0 {
        (60.0 / (kmh * 1000.0)) as f32
    } else {
        f32::NAN
    }
}

/// Builds the friction surface of `landcover` with `table`, and `osm` burned in when
/// given (see the module documentation); `mode` is the build's scenario (a class whose
/// table mode is another is said in the warnings).
pub fn build_friction(
    landcover: &LandCover,
    table: &ScenarioTable,
    osm: Option<(&OsmLayers, &RoadSpeeds)>,
    mode: Mode,
) -> Result<BuiltFriction, BuildError> {
    // Every class present must be in the table: count them first, to name them.
    let mut present: HashMap<i64, (usize, usize)> = HashMap::new();
    for (i, class) in landcover.classes.iter().enumerate() {
        if let Some(c) = class {
            present.entry(*c).or_insert((0, i)).0 += 1;
        }
    }
    let mut missing: Vec<(i64, (usize, usize))> = present
        .iter()
        .filter(|(c, _)| !table.contains_key(c))
        .map(|(&c, &v)| (c, v))
        .collect();
    missing.sort_unstable_by_key(|&(c, (_, first))| (first, c));
    if let Some(&(class, (cells, first))) = missing.first() {
        let w = landcover.grid.width;
        return Err(BuildError::UnknownClass {
            class,
            cells,
            row: first / w,
            col: first % w,
        });
    }
    let mut warnings = landcover.warnings.clone();
    let mut other_modes: Vec<String> = table
        .iter()
        .filter(|(c, s)| present.contains_key(c) && s.mode != mode && s.speed_kmh > 0.0)
        .map(|(c, s)| format!("{c} ({})", s.mode.name()))
        .collect();
    other_modes.sort();
    if !other_modes.is_empty() {
        warnings.push(format!(
            "the build is {} but the scenario table gives these classes another mode: {}",
            mode.name(),
            other_modes.join(", ")
        ));
    }
    let grid = landcover.grid;
    let burned = osm.map(|(layers, speeds)| {
        let r = burn_osm(&grid, layers, speeds);
        if layers.missing_nodes > 0 {
            warnings.push(format!(
                "{} node references are not in the extract (ways clipped at its edge): those ways were split there",
                layers.missing_nodes
            ));
        }
        if !r.unpriced.is_empty() {
            let list: Vec<String> = r
                .unpriced
                .iter()
                .map(|(k, n)| format!("{k} ({n})"))
                .collect();
            warnings.push(format!(
                "highway values without a speed in the {} table, not burned in: {}",
                mode.name(),
                list.join(", ")
            ));
        }
        if r.open_areas > 0 {
            warnings.push(format!(
                "{} water area(s) are not closed in the extract: only their outline was burned in",
                r.open_areas
            ));
        }
        r
    });
    let mut out = BuiltFriction {
        grid,
        friction: Vec::with_capacity(landcover.classes.len()),
        road_cells: 0,
        barrier_cells: 0,
        crossing_cells: 0,
        impassable_cells: 0,
        warnings,
    };
    for (i, class) in landcover.classes.iter().enumerate() {
        let land = class.map_or(0.0, |c| table[&c].speed_kmh);
        let kmh = match &burned {
            Some(b) if b.barrier[i] => {
                out.barrier_cells += 1;
                let k = f64::from(b.crossing_kmh[i]);
                if k > 0.0 {
                    out.crossing_cells += 1;
                    out.road_cells += 1;
                }
                k
            }
            Some(b) if b.road_kmh[i] > 0.0 => {
                out.road_cells += 1;
                f64::from(b.road_kmh[i])
            }
            _ => land,
        };
        if kmh <= 0.0 {
            out.impassable_cells += 1;
        }
        out.friction.push(friction_of_speed(kmh));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> GeoGrid {
        GeoGrid {
            width: 4,
            height: 3,
            west: 10.0,
            north: 50.0,
            dx: 1.0,
            dy: 1.0,
        }
    }

    fn cells_of(a: (f64, f64), b: (f64, f64)) -> Vec<usize> {
        let mut v = Vec::new();
        segment_cells(&grid(), a, b, |c| v.push(c));
        v.sort_unstable();
        v
    }

    #[test]
    fn segments_mark_every_cell_they_meet_edges_and_corners_on_both_sides() {
        // Inside one cell.
        assert_eq!(cells_of((10.2, 49.8), (10.7, 49.3)), vec![0]);
        // Along the edge between rows 0 and 1 (lat 49) in column 1: both rows.
        assert_eq!(cells_of((11.2, 49.0), (11.8, 49.0)), vec![1, 5]);
        // Through the corner (12, 49) diagonally: the four cells around it.
        assert_eq!(cells_of((11.5, 49.5), (12.5, 48.5)), vec![1, 2, 5, 6]);
        // Off the grid entirely.
        assert!(cells_of((0.0, 0.0), (1.0, 1.0)).is_empty());
        let mut a = Vec::new();
        area_cells(
            &grid(),
            &[vec![
                (10.0, 50.0),
                (12.0, 50.0),
                (12.0, 48.0),
                (10.0, 48.0),
                (10.0, 50.0),
            ]],
            |c| a.push(c),
        );
        a.sort_unstable();
        assert_eq!(a, vec![0, 1, 4, 5]);
    }

    #[test]
    fn modes_and_speeds_parse() {
        assert_eq!(Mode::parse("MOTORIZED"), Some(Mode::Motorised));
        assert_eq!(Mode::parse(" walking "), Some(Mode::Walking));
        assert_eq!(Mode::parse("flying"), None);
        assert!((friction_of_speed(60.0) - 0.001).abs() < 1e-9);
        assert!(friction_of_speed(0.0).is_nan());
    }
}
