//! Planners' analyses on facilities and settlements, shared by the CLI and the API:
//! the H3 gap grid ([`crate::coverage::grid`]), where to add sites
//! ([`crate::coverage::siting`]) and each settlement's catchment (its nearest facility).
//! No HTTP here; who may see what is the caller's `hide` predicate.

use crate::coverage::analysis::Sites;
use crate::coverage::grid::{
    self, BBox, Grid, GridError, GridInput, GridMeasure, NearestDistance, Region, SectorThresholds,
};
use crate::coverage::siting::{self, Plan, SitingError, SitingInput};
use crate::coverage::{AccessModel, GeodesicAccess, PointSet, Thresholds};
use crate::model::{Area, Sector, Settlement, Status};
use serde::Serialize;

/// What the grid notes for its readers.
pub const GRID_NOTE: &str = "Population is the settlements in each cell (GeoNames unless better data was imported: rural people are under-counted). Distances are exact WGS84 geodesics from the cell centre to the nearest active facility; covered means distance ≤ threshold (inclusive). people_out_of_reach counts the cell's people beyond some sector's threshold, each measured from their settlement, so the cells add up to the coverage table's uncovered people.";

/// What the grid by travel time notes for its readers.
pub const GRID_NOTE_BY_TIME: &str = "Population is the settlements in each cell (GeoNames unless better data was imported: rural people are under-counted). Minutes are the least travel time over the scenario's friction surface (8 neighbours, each move the WGS84 geodesic between cell centres × the mean friction of the two cells) from the nearest active facility to the surface cell holding the H3 cell's centre, to 0.1 minute; null where no facility reaches it (off the surface, an impassable cell, or cut off). Covered means minutes ≤ threshold (inclusive). people_out_of_reach counts the cell's people beyond some sector's threshold, each measured from their settlement's own surface cell, so the cells add up to the coverage table's uncovered people by time.";

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    /// The grid of candidates.
    #[error(transparent)]
    Grid(#[from] GridError),
    /// The placement.
    #[error(transparent)]
    Siting(#[from] SitingError),
    /// Too many candidates.
    #[error("{count} candidates: more than {limit}")]
    TooManyCandidates {
        /// Given or generated.
        count: usize,
        /// The most candidates one plan may weigh.
        limit: usize,
    },
}

/// Worker threads: every core.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The sectors `viewer` may not see in detail: for the public, those in which some
/// active facility is confidential (none for authorised viewers). Fine-grained results
/// of these sectors (grid cells, per-settlement catchments, site
/// planning, distance statistics) are withheld: their shape would trace the
/// confidential locations. See `docs/confidentiality.md`.
pub fn withheld_sectors(
    viewer: crate::visibility::Viewer,
    index: &crate::index::ServiceIndex,
) -> Vec<crate::model::Sector> {
    if viewer == crate::visibility::Viewer::Authorised {
        return Vec::new();
    }
    crate::model::Sector::ALL
        .iter()
        .copied()
        .filter(|s| {
            index.facilities().any(|r| {
                let t = r.summary();
                t.confidential() && t.status == Status::Active && r.has_sector(*s)
            })
        })
        .collect()
}

/// The countries (level-0 areas) as a grid region; only the settlements' cells when
/// none are loaded.
pub fn country_region(areas: &[Area]) -> Region {
    let polygons: Vec<geo::Polygon<f64>> = areas
        .iter()
        .filter(|a| a.level == 0)
        .flat_map(|a| a.geometry.0.iter().cloned())
        .collect();
    if polygons.is_empty() {
        Region::Points
    } else {
        Region::Polygons(polygons)
    }
}

/// Settlements as `(lon, lat, people)`.
pub fn population_points(settlements: &[Settlement]) -> Vec<(f64, f64, f64)> {
    settlements
        .iter()
        .map(|s| (s.lon, s.lat, s.population))
        .collect()
}

/// The gap grid of `sectors` over `region` by distance (a bbox, else the countries in
/// `areas`).
pub fn grid(
    sites: &Sites,
    settlements: &[Settlement],
    region: &Region,
    res: u8,
    sectors: &[Sector],
    thresholds: Thresholds,
    limit: usize,
) -> Result<Grid, GridError> {
    grid_by(
        &NearestDistance(&|s, lon, lat| sites.nearest(s, lon, lat)),
        settlements,
        region,
        res,
        sectors,
        std::array::from_fn(|i| thresholds.get(Sector::ALL[i])),
        limit,
    )
}

/// The gap grid of `sectors` over `region` as `measure` measures reach (by distance or
/// by travel time), `thresholds` in its unit.
pub fn grid_by(
    measure: &dyn GridMeasure,
    settlements: &[Settlement],
    region: &Region,
    res: u8,
    sectors: &[Sector],
    thresholds: SectorThresholds,
    limit: usize,
) -> Result<Grid, GridError> {
    let population = population_points(settlements);
    grid::compute(
        &GridInput {
            res,
            sectors,
            thresholds,
            region,
            population: &population,
            limit,
        },
        measure,
    )
}

/// The region of a grid request: the box when given, else the countries.
pub fn grid_region(bbox: Option<BBox>, areas: &[Area]) -> Region {
    match bbox {
        Some(b) => Region::BBox(b),
        None => country_region(areas),
    }
}

/// A candidate site.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Its id (settlement id, H3 cell, or as supplied).
    pub id: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Its name, if any.
    pub name: Option<String>,
}

/// Every settlement as a candidate.
pub fn settlement_candidates(settlements: &[Settlement]) -> Vec<Candidate> {
    settlements
        .iter()
        .map(|s| Candidate {
            id: s.id.clone(),
            lon: s.lon,
            lat: s.lat,
            name: Some(s.name.clone()),
        })
        .collect()
}

/// The centres of the H3 cells of `region` at `res` (ids: the cells).
pub fn grid_candidates(
    region: &Region,
    res: u8,
    settlements: &[Settlement],
    limit: usize,
) -> Result<Vec<Candidate>, PlanError> {
    let points: Vec<(f64, f64)> = settlements.iter().map(|s| (s.lon, s.lat)).collect();
    let cells = grid::region_cells(region, res, &points, limit).map_err(|e| match e {
        GridError::TooManyCells { cells, limit, .. } => PlanError::TooManyCandidates {
            count: cells,
            limit,
        },
        other => PlanError::Grid(other),
    })?;
    Ok(cells
        .into_iter()
        .map(|c| {
            let (lon, lat) = grid::centre(c);
            Candidate {
                id: c.to_string(),
                lon,
                lat,
                name: None,
            }
        })
        .collect())
}

/// A finished site plan.
pub struct SitePlan {
    /// Whose new sites are placed.
    pub sector: Sector,
    /// Threshold, metres.
    pub threshold_m: f64,
    /// The candidates considered.
    pub candidates: Vec<Candidate>,
    /// The placement.
    pub plan: Plan,
    /// Time spent on the existing coverage.
    pub coverage_time: std::time::Duration,
}

/// Places `k` new sites of `sector` among `candidates` to cover the most people of
/// `settlements` not yet within `threshold_m` of an existing active facility.
pub fn plan_sites(
    sites: &Sites,
    settlements: &[Settlement],
    sector: Sector,
    threshold_m: f64,
    k: usize,
    candidates: Vec<Candidate>,
) -> Result<SitePlan, PlanError> {
    if candidates.len() > siting::MAX_CANDIDATES {
        return Err(PlanError::TooManyCandidates {
            count: candidates.len(),
            limit: siting::MAX_CANDIDATES,
        });
    }
    if !(threshold_m.is_finite() && threshold_m >= 0.0) {
        return Err(SitingError::Threshold.into());
    }
    let started = std::time::Instant::now();
    let population = population_points(settlements);
    let mut thresholds = Thresholds::default();
    thresholds.set(sector, threshold_m);
    let model = GeodesicAccess::new(thresholds);
    let points: Vec<(f64, f64)> = population.iter().map(|p| (p.0, p.1)).collect();
    let set = PointSet::new(&points);
    let covered = model.covered(sector, &sites.per_sector[sector.index()], &set);
    let coverage_time = started.elapsed();
    let coords: Vec<(f64, f64)> = candidates.iter().map(|c| (c.lon, c.lat)).collect();
    let plan = siting::plan(&SitingInput {
        population: &population,
        covered: &covered,
        candidates: &coords,
        threshold_m,
        k,
        threads: threads(),
    })?;
    Ok(SitePlan {
        sector,
        threshold_m,
        candidates,
        plan,
        coverage_time,
    })
}

/// A site plan as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SitePlanAnswer {
    /// The sector placed.
    pub sector: Sector,
    /// Coverage threshold, metres.
    pub threshold_m: f64,
    /// People in all the settlements.
    pub population_total: f64,
    /// People within the threshold of an existing active facility.
    pub covered_before: f64,
    /// The sites, best first.
    pub steps: Vec<SiteStep>,
    /// How many candidates were considered.
    pub candidates_considered: usize,
}

/// One site of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SiteStep {
    /// 1 for the first site placed.
    pub rank: usize,
    /// Where.
    pub site: PlannedSite,
    /// People newly within reach.
    pub gain: f64,
    /// People within reach after this site.
    pub covered_after: f64,
}

/// A candidate chosen as a site.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlannedSite {
    /// The candidate's id (settlement id, H3 cell, or the caller's).
    pub id: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Its name, where it has one.
    pub name: Option<String>,
}

/// The plan as the API answers it.
pub fn plan_answer(p: &SitePlan) -> SitePlanAnswer {
    SitePlanAnswer {
        sector: p.sector,
        threshold_m: p.threshold_m,
        population_total: p.plan.population_total,
        covered_before: p.plan.covered_before,
        steps: p
            .plan
            .steps
            .iter()
            .map(|s| {
                let c = &p.candidates[s.candidate as usize];
                SiteStep {
                    rank: s.rank,
                    site: PlannedSite {
                        id: c.id.clone(),
                        lon: c.lon,
                        lat: c.lat,
                        name: c.name.clone(),
                    },
                    gain: s.gain,
                    covered_after: s.covered_after,
                }
            })
            .collect(),
        candidates_considered: p.candidates.len(),
    }
}

/// The plan as CSV: `rank,site_id,lon,lat,gain,covered_after`.
pub fn plan_csv(p: &SitePlan) -> String {
    steps_csv(
        &p.candidates,
        p.plan
            .steps
            .iter()
            .map(|s| (s.candidate as usize, s.gain, s.covered_after)),
    )
}

/// Placed sites as CSV `rank,site_id,lon,lat,gain,covered_after`, from `(candidate
/// index, gain, people covered after)` in the order placed (by distance or by time).
pub fn steps_csv(
    candidates: &[Candidate],
    steps: impl IntoIterator<Item = (usize, f64, f64)>,
) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["rank", "site_id", "lon", "lat", "gain", "covered_after"]);
    for (rank, (candidate, gain, covered_after)) in steps.into_iter().enumerate() {
        let c = &candidates[candidate];
        let _ = w.write_record([
            (rank + 1).to_string(),
            c.id.clone(),
            format!("{:.6}", c.lon),
            format!("{:.6}", c.lat),
            gain.to_string(),
            covered_after.to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A settlement and its nearest active facility of one sector.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Catchment {
    /// The settlement's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// People living there.
    pub population: f64,
    /// The nearest active facility; null when the sector has none.
    pub facility_id: Option<String>,
    /// Exact WGS84 geodesic distance to it, metres (to the millimetre).
    pub distance_m: Option<f64>,
}

/// Per settlement, its nearest active facility of `sector` (distances to the
/// millimetre). Sectors with confidential facilities are refused to the public before
/// this is called (see [`withheld_sectors`]).
pub fn catchments(sites: &Sites, settlements: &[Settlement], sector: Sector) -> Vec<Catchment> {
    let coords: Vec<(f64, f64)> = settlements.iter().map(|s| (s.lon, s.lat)).collect();
    let nearest = crate::coverage::analysis::batch_nearest(sites, &coords, &[sector], threads());
    settlements
        .iter()
        .zip(nearest.rows())
        .map(|(s, row)| {
            let found = row.first().copied().flatten();
            Catchment {
                id: s.id.clone(),
                name: s.name.clone(),
                population: s.population,
                facility_id: found.map(|(f, _)| sites.ids[f as usize].clone()),
                distance_m: found.map(|(_, d)| (d * 1000.0).round() / 1000.0),
            }
        })
        .collect()
}
