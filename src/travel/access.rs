//! Facilities and points on the surface, times per sector at many points, the
//! coverage module's access model by minutes ([`TravelTimeAccess`]) and the gap grid's
//! measure by minutes ([`TravelTimeGrid`]).

use super::engine::Moves;
use super::surface::FrictionSurface;
use crate::coverage::analysis::Sites;
use crate::coverage::grid::{GridMeasure, GridUnit};
use crate::coverage::{AccessModel, PointSet, TravelMode};
use crate::model::Sector;
use crate::spatial::points::CoordIndex;

/// Where a facility or point lies on the surface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In a passable cell (row-major index).
    Cell(usize),
    /// In an impassable cell (row-major index): a source there reaches nothing, a point
    /// there is reached by nothing.
    Impassable(usize),
    /// Outside the surface.
    OffSurface,
}

/// Where (`lon`, `lat`) lies on `surface`.
pub fn place(surface: &FrictionSurface, lon: f64, lat: f64) -> Placement {
    match surface.cell_of(lon, lat) {
        None => Placement::OffSurface,
        Some(cell) if surface.friction(cell).is_some() => Placement::Cell(cell),
        Some(cell) => Placement::Impassable(cell),
    }
}

/// The start cells of one sector's facilities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectorSources {
    /// Passable cells holding at least one facility, each once, ascending.
    pub cells: Vec<usize>,
    /// Facilities (indices into the input) in an impassable cell: they reach nothing.
    pub impassable: Vec<usize>,
    /// Facilities (indices into the input) off the surface: they reach nothing.
    pub off_surface: Vec<usize>,
}

/// Places the facilities at `coords` (lon, lat) on `surface`.
pub fn sector_sources(
    surface: &FrictionSurface,
    coords: impl IntoIterator<Item = (f64, f64)>,
) -> SectorSources {
    let mut out = SectorSources::default();
    for (i, (lon, lat)) in coords.into_iter().enumerate() {
        match place(surface, lon, lat) {
            Placement::Cell(c) => out.cells.push(c),
            Placement::Impassable(_) => out.impassable.push(i),
            Placement::OffSurface => out.off_surface.push(i),
        }
    }
    out.cells.sort_unstable();
    out.cells.dedup();
    out
}

/// The start cells of `sector`'s facilities among `sites`.
pub fn site_sources(surface: &FrictionSurface, sites: &Sites, sector: Sector) -> SectorSources {
    let members = &sites.members[sector.index()];
    sector_sources(surface, members.iter().map(|&m| sites.lonlat[m as usize]))
}

/// For each source set (one per sector), the least time, minutes, to each of `cells`
/// (`None`: off the surface, infinite), searching up to `limits[k]` minutes for set `k`
/// (times above it read as infinite). The sets run in parallel, each on one thread; the
/// grid of times of a set lives only while its search runs.
pub fn times_at_cells(
    surface: &FrictionSurface,
    sources: &[&[usize]],
    cells: &[Option<usize>],
    moves: Moves,
    limits: &[f64],
) -> Vec<Vec<f64>> {
    let tasks: Vec<usize> = (0..sources.len()).collect();
    crate::parallel::each_task(tasks, |k| {
        if sources[k].is_empty() {
            return vec![f64::INFINITY; cells.len()];
        }
        let limit = limits.get(k).copied().unwrap_or(f64::INFINITY);
        let times = surface.travel_times(sources[k], moves, limit);
        let out = cells
            .iter()
            .map(|c| c.map_or(f64::INFINITY, |c| times.minutes(c)))
            .collect();
        crate::parallel::drop_later(times);
        out
    })
}

/// Travel-time thresholds per sector, minutes (a point is covered when its time is at
/// most this: inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinuteThresholds {
    minutes: [f64; Sector::COUNT],
}

impl Default for MinuteThresholds {
    /// Health 120, psychosocial 120, police 60, shelter 240, legal aid 120, hotline 120,
    /// programmes for perpetrators 240 minutes.
    fn default() -> Self {
        Self {
            minutes: [120.0, 120.0, 60.0, 240.0, 120.0, 120.0, 240.0],
        }
    }
}

impl MinuteThresholds {
    /// The threshold of `sector`, minutes.
    pub fn get(&self, sector: Sector) -> f64 {
        self.minutes[sector.index()]
    }

    /// Sets the threshold of `sector`, minutes.
    pub fn set(&mut self, sector: Sector, minutes: f64) {
        self.minutes[sector.index()] = minutes;
    }

    /// Every sector's threshold, minutes ([`Sector::ALL`] order).
    pub fn by_sector(&self) -> [f64; Sector::COUNT] {
        self.minutes
    }
}

/// Coverage by travel time over a friction surface: a point is covered for a sector
/// when its least time from the sector's facilities is at most the sector's threshold
/// in minutes. Each sector's search stops at its threshold.
pub struct TravelTimeAccess<'a> {
    /// Minutes per metre in each cell; where the times are measured.
    pub surface: &'a FrictionSurface,
    /// Per-sector minutes within which a point counts as covered.
    pub thresholds: MinuteThresholds,
    /// Which neighbours a step may reach (8, or 16 with knight's moves).
    pub moves: Moves,
}

impl AccessModel for TravelTimeAccess<'_> {
    fn describe(&self) -> String {
        "least travel time over the friction surface ≤ the sector's threshold in minutes".into()
    }

    fn covered_bits(&self, tests: &[(Sector, &CoordIndex)], points: &PointSet) -> Vec<u16> {
        assert!(tests.len() <= 16, "at most 16 tests");
        let cells: Vec<Option<usize>> = points
            .lonlat
            .iter()
            .map(|&(lon, lat)| self.surface.cell_of(lon, lat))
            .collect();
        let sources: Vec<SectorSources> = tests
            .iter()
            .map(|(_, sites)| {
                sector_sources(
                    self.surface,
                    sites.in_tree_order().map(|(_, lon, lat)| (lon, lat)),
                )
            })
            .collect();
        let source_cells: Vec<&[usize]> = sources.iter().map(|s| &s.cells[..]).collect();
        let limits: Vec<f64> = tests.iter().map(|&(s, _)| self.thresholds.get(s)).collect();
        let times = times_at_cells(self.surface, &source_cells, &cells, self.moves, &limits);
        let mut bits = vec![0u16; points.len()];
        for (k, (times, &limit)) in times.iter().zip(&limits).enumerate() {
            for (i, &t) in points.order().zip(times) {
                if t <= limit {
                    bits[i as usize] |= 1 << k;
                }
            }
        }
        bits
    }

    /// Distances are not what this model measures: no nearest facility by distance.
    fn nearest(&self, _sites: &CoordIndex, _lon: f64, _lat: f64) -> Option<(u32, f64)> {
        None
    }

    fn estimated_minutes(&self, distance_m: f64, mode: TravelMode) -> f64 {
        distance_m / 1000.0 / mode.speed_kmh() * 60.0
    }
}

/// The gap grid by travel time: per sector one search over the whole surface from the
/// cells of its facilities, the times read at the cells of the places asked (cell
/// centres and population points). A place off the surface or in an impassable cell is
/// reached by nothing; so is one the search never reaches.
pub struct TravelTimeGrid<'a> {
    /// Minutes per metre in each cell; where the times are measured.
    pub surface: &'a FrictionSurface,
    /// The travel scenario's name, reported with the grid.
    pub scenario: String,
    /// Per sector ([`Sector::ALL`] order), the passable cells holding its facilities.
    pub sources: Vec<Vec<usize>>,
    /// Which neighbours a step may reach (8, or 16 with knight's moves).
    pub moves: Moves,
}

impl<'a> TravelTimeGrid<'a> {
    /// The grid measure of `sites` (every sector's facilities placed on `surface`; those
    /// in an impassable cell or off it reach nothing) over scenario `scenario`.
    pub fn new(surface: &'a FrictionSurface, scenario: &str, sites: &Sites, moves: Moves) -> Self {
        let sources = Sector::ALL
            .iter()
            .map(|&s| site_sources(surface, sites, s).cells)
            .collect();
        Self {
            surface,
            scenario: scenario.to_string(),
            sources,
            moves,
        }
    }
}

impl GridMeasure for TravelTimeGrid<'_> {
    fn unit(&self) -> GridUnit {
        GridUnit::Minutes {
            scenario: self.scenario.clone(),
        }
    }

    fn measure(&self, sectors: &[Sector], places: &[(f64, f64)]) -> Vec<Vec<Option<f64>>> {
        let cells: Vec<Option<usize>> = places
            .iter()
            .map(|&(lon, lat)| self.surface.cell_of(lon, lat))
            .collect();
        let sources: Vec<&[usize]> = sectors
            .iter()
            .map(|s| &self.sources[s.index()][..])
            .collect();
        // Unbounded: a cell beyond the threshold still shows its minutes.
        let limits = vec![f64::INFINITY; sectors.len()];
        times_at_cells(self.surface, &sources, &cells, self.moves, &limits)
            .into_iter()
            .map(|times| {
                times
                    .into_iter()
                    .map(|t| t.is_finite().then_some(t))
                    .collect()
            })
            .collect()
    }
}
