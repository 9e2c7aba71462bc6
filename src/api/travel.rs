//! Travel scenarios over HTTP: `GET /api/travel/scenarios`, `POST
//! /api/import/friction?scenario=`, `DELETE /api/travel/scenarios/{name}` and `GET
//! /api/travel/catchments`; and the `by=time&scenario=` choice the nearest and
//! coverage answers share.

use super::extract::{Caller, ImportBody, Params};
use super::{ApiError, AppState, ErrorBody};
use crate::model::{Role, Sector};
use crate::registry::FrictionImportSummary;
use crate::travel::{Scenario, Scenarios};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use std::sync::Arc;

/// Friction imports: a GeoTIFF.
pub const FRICTION_IMPORT: &[&str] = &["image/tiff"];

/// Most cells a catchment answer holds (a bigger surface needs `bbox`).
pub const MAX_CATCHMENT_CELLS: usize = 2_000_000;

/// How an answer measures reach: `by=distance` (default) or `by=time&scenario=…`.
pub(super) enum By {
    /// WGS84 geodesic distance.
    Distance,
    /// Travel time over a scenario's friction surface.
    Time(Arc<Scenario>),
}

/// Reads `by` and `scenario`: `by=time` needs a loaded scenario (`scenario`, else
/// `walking` when loaded, else the only one); an unknown one is a 400 naming those
/// loaded.
pub(super) fn by_param(params: &Params, scenarios: &Scenarios) -> Result<By, ApiError> {
    let by = params.get("by").unwrap_or("distance");
    let name = params.get("scenario");
    match by {
        "distance" => {
            if let Some(name) = name {
                scenario(scenarios, name)?;
            }
            Ok(By::Distance)
        }
        "time" => {
            if scenarios.is_empty() {
                return Err(ApiError::bad_request(
                    "by=time needs a friction surface, and none is loaded: a planner imports one (POST /api/import/friction?scenario=walking, or tirek import friction FILE.tif --scenario walking)",
                ));
            }
            let name = match name {
                Some(n) => n,
                None if scenarios.get("walking").is_some() => "walking",
                None if scenarios.iter().count() == 1 => {
                    scenarios.iter().next().map_or("", |s| &s.name)
                }
                None => {
                    return Err(ApiError::bad_request(format!(
                        "by=time: say which scenario (scenario=…); loaded: {}",
                        scenarios.names()
                    )));
                }
            };
            Ok(By::Time(scenario(scenarios, name)?.clone()))
        }
        other => Err(ApiError::bad_request(format!(
            "by={other:?}: expected distance or time"
        ))),
    }
}

/// The loaded scenario `name`, or a 400 naming the loaded ones.
pub(super) fn scenario<'a>(
    scenarios: &'a Scenarios,
    name: &str,
) -> Result<&'a Arc<Scenario>, ApiError> {
    scenarios.get(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "scenario={:?} is not loaded; loaded: {}",
            name.chars().take(40).collect::<String>(),
            scenarios.names()
        ))
    })
}

/// One loaded travel scenario.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScenarioSummary {
    /// Its name (e.g. `walking`, `motorised`).
    name: String,
    /// A synthetic demo surface (the default data), not a measured one.
    demo: bool,
    /// Columns.
    width: usize,
    /// Rows.
    height: usize,
    /// Cell width and height, degrees.
    cell_size_deg: [f64; 2],
    /// West, south, east, north edges, degrees.
    bounds: [f64; 4],
    /// Cells that can be crossed.
    passable_cells: usize,
    /// When it was stored (RFC 3339, UTC).
    imported_at: String,
}

impl ScenarioSummary {
    pub(super) fn of(s: &Scenario) -> Self {
        let (west, north, dx, dy) = s.surface.extent();
        let (w, h) = (s.surface.width(), s.surface.height());
        Self {
            name: s.name.clone(),
            demo: s.demo,
            width: w,
            height: h,
            cell_size_deg: [dx, dy],
            bounds: [west, north - h as f64 * dy, west + w as f64 * dx, north],
            passable_cells: s.surface.passable_cells(),
            imported_at: s.imported_at.clone(),
        }
    }
}

/// The answer of `GET /api/travel/scenarios`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScenariosAnswer {
    /// The scenarios loaded, by name; empty when none is (then travel time is not
    /// offered).
    scenarios: Vec<ScenarioSummary>,
    /// What the minutes mean.
    model: &'static str,
}

/// The least-time model, in words.
pub(super) const TIME_MODEL: &str = "least travel time, minutes, over the scenario's friction surface (8 neighbours, each move the WGS84 geodesic between cell centres × the mean friction of the two cells), between the cells of the point and of the facility";

/// The travel scenarios loaded (friction surfaces), for anyone: what `by=time` and
/// `scenario=` accept.
#[utoipa::path(get, path = "/api/travel/scenarios",
    responses((status = 200, description = "the scenarios loaded", body = ScenariosAnswer)))]
pub async fn scenarios(State(state): State<AppState>) -> Json<ScenariosAnswer> {
    Json(ScenariosAnswer {
        scenarios: state
            .registry
            .scenarios()
            .iter()
            .map(|s| ScenarioSummary::of(s))
            .collect(),
        model: TIME_MODEL,
    })
}

/// Stores a friction surface as travel scenario `scenario` (replacing one of the same
/// name, the demo ones too): a GeoTIFF in EPSG:4326, north up, one band of minutes per
/// metre (NoData, NaN or ≤ 0: impassable). It is read whole and must cover every active
/// facility before anything is written; every instance loads it within a second.
#[utoipa::path(post, path = "/api/import/friction",
    params(("scenario" = String, Query, description = "the scenario's name, `[a-z0-9_-]{1,32}` (e.g. `walking`, `motorised`)")),
    request_body(description = "a friction GeoTIFF (minutes per metre)", content((Vec<u8> = "image/tiff"))),
    responses((status = 200, description = "what was stored", body = FrictionImportSummary),
              (status = 400, description = "bad scenario name", body = ErrorBody),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not a planner", body = ErrorBody),
              (status = 413, description = "body too large", body = ErrorBody),
              (status = 422, description = "not a usable friction GeoTIFF, or it does not cover every active facility (`refused`); nothing written", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn import_friction(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
    ImportBody(body): ImportBody,
) -> Result<Json<FrictionImportSummary>, ApiError> {
    caller.require(Role::Planner)?;
    params.only(&["scenario"])?;
    let name = params
        .get("scenario")
        .ok_or_else(|| ApiError::bad_request("scenario=… is required (e.g. walking)"))?;
    crate::travel::scenarios::check_name(name).map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(
        state
            .registry
            .import_friction(name, body.to_vec(), false, caller.actor())
            .await?,
    ))
}

/// Removes a stored travel scenario (planners).
#[utoipa::path(delete, path = "/api/travel/scenarios/{name}",
    params(("name" = String, Path, description = "the scenario")),
    responses((status = 204, description = "removed"),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not a planner", body = ErrorBody),
              (status = 404, description = "no such scenario", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Planner)?;
    if state
        .registry
        .remove_friction(&name, caller.actor())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!(
            "no scenario {:?} is stored; loaded: {}",
            name.chars().take(40).collect::<String>(),
            state.registry.scenarios().names()
        )))
    }
}

/// The answer of `GET /api/travel/catchments`: a grid, row by row from the north-west
/// corner, of each cell's nearest facility in time and that time.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CatchmentGrid {
    /// The scenario.
    scenario: String,
    /// The sector.
    sector: Sector,
    /// Whether the surface is a synthetic demo one.
    demo: bool,
    /// Columns of this grid.
    width: usize,
    /// Rows of this grid.
    height: usize,
    /// West and north edges of this grid, degrees.
    origin: [f64; 2],
    /// Cell width and height, degrees.
    cell_size_deg: [f64; 2],
    /// The facilities the cells refer to (their ids).
    facilities: Vec<String>,
    /// Per cell (row-major, north row first) the index into `facilities` of the nearest
    /// facility in time; -1 where none reaches (impassable, or cut off).
    nearest: Vec<i32>,
    /// Per cell the least time, minutes (to 0.1), from that facility; null where none
    /// reaches.
    minutes: Vec<Option<f32>>,
    /// Active facilities of the sector in an impassable cell or off the surface: they
    /// reach nothing.
    unplaced: Vec<String>,
    /// How the times are measured.
    model: &'static str,
}

/// Catchments by travel time: for each cell of the scenario's surface (or of the part
/// inside `bbox`) the nearest active facility of `sector` in time and the time — also
/// the travel-time layer of a map. As `/api/catchments`, refused (403) to the public for
/// a sector with confidential facilities (the cells would trace their locations).
#[utoipa::path(get, path = "/api/travel/catchments",
    params(("scenario" = String, Query, description = "a loaded scenario (see /api/travel/scenarios)"),
           ("sector" = Sector, Query, description = "the sector"),
           ("bbox" = Option<String>, Query, description = "west,south,east,north: only the cells inside (the search still runs over the whole surface)")),
    responses((status = 200, description = "the catchment grid", body = CatchmentGrid),
              (status = 400, description = "bad parameter, unknown scenario, or too many cells (give a bbox)", body = ErrorBody),
              (status = 403, description = "the public asking for a sector with confidential facilities", body = ErrorBody)))]
pub async fn catchments(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Json<CatchmentGrid>, ApiError> {
    params.only(&["scenario", "sector", "bbox"])?;
    let scenarios = state.registry.scenarios();
    let name = params.get("scenario").ok_or_else(|| {
        ApiError::bad_request(format!(
            "scenario=… is required; loaded: {}",
            scenarios.names()
        ))
    })?;
    let scenario = scenario(&scenarios, name)?.clone();
    let sector: Sector = params
        .get("sector")
        .ok_or_else(|| ApiError::bad_request("sector=… is required"))?
        .parse()
        .map_err(|e| ApiError::bad_request(format!("parameter sector: {e}")))?;
    // As the distance catchments: a sector with confidential facilities only for staff.
    if crate::coverage::planning::withheld_sectors(caller.viewer(), &state.registry.index())
        .contains(&sector)
    {
        return Err(ApiError::forbidden(format!(
            "{sector} has confidential facilities: its catchments would trace their locations, so they need the caseworker role"
        )));
    }
    let surface = &scenario.surface;
    let (west, north, dx, dy) = surface.extent();
    let (cols, rows) = match params.get("bbox") {
        None => ((0, surface.width()), (0, surface.height())),
        Some(text) => {
            let v: Vec<f64> = text
                .split(',')
                .map(|p| p.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    ApiError::bad_request("bbox must be west,south,east,north in degrees")
                })?;
            let [w, s, e, n] = v[..] else {
                return Err(ApiError::bad_request(
                    "bbox must be west,south,east,north in degrees",
                ));
            };
            if !(w < e && s < n) || v.iter().any(|x| !x.is_finite()) {
                return Err(ApiError::bad_request(
                    "bbox must be west,south,east,north with west < east and south < north",
                ));
            }
            let clamp = |x: f64, hi: usize| x.floor().clamp(0.0, hi as f64) as usize;
            let c0 = clamp((w - west) / dx, surface.width());
            let c1 = clamp(((e - west) / dx).ceil(), surface.width());
            let r0 = clamp((north - n) / dy, surface.height());
            let r1 = clamp(((north - s) / dy).ceil(), surface.height());
            ((c0, c1), (r0, r1))
        }
    };
    let (width, height) = (cols.1 - cols.0, rows.1 - rows.0);
    if width * height > MAX_CATCHMENT_CELLS {
        return Err(ApiError::bad_request(format!(
            "{width} × {height} cells is more than one answer holds ({MAX_CATCHMENT_CELLS}): give a smaller bbox"
        )));
    }
    let index = state.registry.index();
    let (mut ids, mut sources, mut unplaced) = (Vec::new(), Vec::new(), Vec::new());
    for r in index.facilities() {
        if !r.has_sector(sector) || r.summary().status != crate::model::Status::Active {
            continue;
        }
        let (lon, lat) = r.lonlat();
        match crate::travel::place(surface, lon, lat) {
            crate::travel::Placement::Cell(c) => {
                sources.push(Some(c));
                ids.push(r.id().to_string());
            }
            _ => unplaced.push(r.id().to_string()),
        }
    }
    drop(index);
    let run = scenario.clone();
    let catchments = tokio::task::spawn_blocking(move || {
        run.surface.catchments(&sources, crate::travel::Moves::King)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    let full = surface.width();
    let mut nearest = Vec::with_capacity(width * height);
    let mut minutes = Vec::with_capacity(width * height);
    for row in rows.0..rows.1 {
        for col in cols.0..cols.1 {
            let i = row * full + col;
            let owner = catchments.owner[i];
            nearest.push(owner);
            minutes
                .push((owner >= 0).then(|| ((catchments.minutes[i] * 10.0).round() / 10.0) as f32));
        }
    }
    Ok(Json(CatchmentGrid {
        scenario: scenario.name.clone(),
        sector,
        demo: scenario.demo,
        width,
        height,
        origin: [west + cols.0 as f64 * dx, north - rows.0 as f64 * dy],
        cell_size_deg: [dx, dy],
        facilities: ids,
        nearest,
        minutes,
        unplaced,
        model: TIME_MODEL,
    }))
}

/// The answer of `POST /api/plan/sites` with `by: "time"`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TimePlanAnswer {
    /// The sector placed.
    sector: Sector,
    /// The travel scenario.
    scenario: String,
    /// Coverage threshold, minutes.
    threshold_min: f64,
    /// People in all the settlements.
    population_total: f64,
    /// People within the threshold of an existing active facility.
    covered_before: f64,
    /// The sites, best first.
    steps: Vec<crate::coverage::planning::SiteStep>,
    /// How many candidates were considered.
    candidates_considered: usize,
    /// How reach is measured.
    model: &'static str,
}

/// Greedy maximal covering by travel time (see [`crate::travel::siting`]).
pub(super) async fn plan_sites_by_time(
    state: &AppState,
    scenario: Arc<Scenario>,
    sector: Sector,
    k: usize,
    candidates: super::plan::TimeCandidates,
    minutes: f64,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let registry = state.registry.clone();
    let answer = tokio::task::spawn_blocking(move || {
        let index = registry.index();
        let places = registry.places();
        let list = super::plan::resolve_candidates(&places, candidates)?;
        let sites = crate::coverage::analysis::Sites::from_facilities(index.facilities());
        let existing = crate::travel::site_sources(&scenario.surface, &sites, sector).cells;
        let population = crate::coverage::planning::population_points(&places.settlements);
        let coords: Vec<(f64, f64)> = list.iter().map(|c| (c.lon, c.lat)).collect();
        let plan = crate::travel::siting::plan_by_time(
            &scenario.surface,
            &existing,
            &population,
            &coords,
            minutes,
            k,
        );
        Ok::<_, String>(TimePlanAnswer {
            sector,
            scenario: scenario.name.clone(),
            threshold_min: minutes,
            population_total: plan.population_total,
            covered_before: plan.covered_before,
            steps: plan
                .steps
                .iter()
                .enumerate()
                .map(|(rank, s)| {
                    let c = &list[s.candidate];
                    crate::coverage::planning::SiteStep {
                        rank: rank + 1,
                        site: crate::coverage::planning::PlannedSite {
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
            candidates_considered: list.len(),
            model: TIME_MODEL,
        })
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(ApiError::bad_request)?;
    Ok(Json(answer).into_response())
}
