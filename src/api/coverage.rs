//! `GET /api/coverage`: population within reach of each sector per admin area.

use super::cache::AnalysisKey;
use super::extract::{Caller, Params};
use super::{ApiError, AppState, ErrorBody, GeoJson};
use crate::coverage::analysis::{self, CoverageOptions, LeftOutPoint, Sites};
use crate::coverage::planning;
use crate::coverage::report::{AreaFigures, figures, row_order};
use crate::model::geojson::{CollectionTag, FeatureTag, Geometry};
use crate::model::{Sector, parse_list};
use crate::spatial::area_index::LeftOut;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Query of `GET /api/coverage`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct CoverageParams {
    /// Admin level (default: the finest loaded).
    level: Option<u8>,
    /// Sectors, comma-separated (default: the minimum package).
    sectors: Option<String>,
    /// The minimum package, comma-separated (default: health,psychosocial,police,shelter).
    package: Option<String>,
    /// `json` (default) or `geojson` (with area geometry).
    format: Option<String>,
    /// Threshold for one sector, km: `threshold_km.health=25` (one parameter per sector).
    #[param(rename = "threshold_km.health")]
    threshold_km_health: Option<f64>,
    /// `distance` (default) or `time`: covered when the least travel time over
    /// `scenario`'s friction surface is within `threshold_min.<sector>`.
    by: Option<String>,
    /// The travel scenario of `by=time` (see `/api/travel/scenarios`; default `walking`).
    scenario: Option<String>,
    /// With `by=time`, the threshold for one sector, minutes: `threshold_min.health=90`
    /// (defaults: health, psychosocial, legal aid, hotline 120, police 60, shelter and
    /// programmes for perpetrators 240).
    #[param(rename = "threshold_min.health")]
    threshold_min_health: Option<f64>,
}

/// `threshold_min.<sector>=` parameters: the minute thresholds and the sectors set.
fn minutes_param(
    params: &Params,
) -> Result<(crate::travel::MinuteThresholds, Vec<Sector>), ApiError> {
    let mut minutes = crate::travel::MinuteThresholds::default();
    let mut set = Vec::new();
    for (key, value) in &params.0 {
        if let Some(sector) = key.strip_prefix("threshold_min.") {
            let sector: Sector = sector
                .parse()
                .map_err(|e| ApiError::bad_request(format!("parameter {key}: {e}")))?;
            let m: f64 = value
                .parse()
                .ok()
                .filter(|m: &f64| m.is_finite() && *m > 0.0 && *m <= 100_000.0)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("{key}={value:?}: minutes, a positive number"))
                })?;
            minutes.set(sector, m);
            set.push(sector);
        }
    }
    Ok((minutes, set))
}

/// How an analysis measures reach, from its query: the km thresholds (and the sectors
/// given one), the minute thresholds (and the sectors given one) and, by time, the
/// scenario. `known` are the analysis's own parameters.
pub(super) struct MeasureParams {
    pub thresholds: crate::coverage::Thresholds,
    pub km_set: Vec<Sector>,
    pub minutes: crate::travel::MinuteThresholds,
    pub minutes_set: Vec<Sector>,
    pub travel: Option<std::sync::Arc<crate::travel::Scenario>>,
}

/// Reads `by`, `scenario`, `threshold_km.<s>` and `threshold_min.<s>` besides `known`;
/// a minutes threshold by distance is refused.
pub(super) fn measure_params(
    params: &Params,
    scenarios: &crate::travel::Scenarios,
    known: &[&'static str],
) -> Result<MeasureParams, ApiError> {
    let known = with_travel_params(known);
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    let (thresholds, km_set) = super::plan::thresholds_param(params, &known)?;
    let (minutes, minutes_set) = minutes_param(params)?;
    let travel = match super::travel::by_param(params, scenarios)? {
        super::travel::By::Distance if !minutes_set.is_empty() => {
            return Err(ApiError::bad_request(
                "threshold_min.<sector> applies to by=time; by distance, use threshold_km.<sector>",
            ));
        }
        super::travel::By::Distance => None,
        super::travel::By::Time(scenario) => Some(scenario),
    };
    Ok(MeasureParams {
        thresholds,
        km_set,
        minutes,
        minutes_set,
        travel,
    })
}

/// The parameters every analysis takes besides its own: `by`, `scenario` and each
/// `threshold_min.<sector>`.
fn with_travel_params(known: &[&'static str]) -> Vec<String> {
    known
        .iter()
        .map(|k| k.to_string())
        .chain(["by".to_string(), "scenario".to_string()])
        .chain(Sector::ALL.iter().map(|s| format!("threshold_min.{s}")))
        .collect()
}

fn sectors_param(params: &Params, key: &str) -> Result<Vec<Sector>, ApiError> {
    match params.get(key) {
        Some(text) => {
            parse_list(text).map_err(|e| ApiError::bad_request(format!("parameter {key}: {e}")))
        }
        None => Ok(Sector::MINIMUM_PACKAGE.to_vec()),
    }
}

/// Coverage per area: population total, within reach of each sector (share), of the
/// whole package, uncovered, facility counts, population-weighted mean and median
/// distance to the nearest facility, ranks. Cached per data version.
#[utoipa::path(get, path = "/api/coverage", params(CoverageParams),
    responses((status = 200, description = "rows (`application/json`), or a FeatureCollection with `format=geojson` (`application/geo+json`)", content((CoverageAnswer = "application/json"), (CoverageAnswer = "application/geo+json"))),
              (status = 400, description = "bad parameter", body = ErrorBody),
              (status = 403, description = "the public setting the threshold of a sector with confidential facilities", body = ErrorBody)))]
pub async fn coverage(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    let withheld = planning::withheld_sectors(caller.viewer(), &state.registry.index());
    let MeasureParams {
        thresholds,
        km_set: mut set,
        minutes,
        minutes_set,
        travel,
    } = measure_params(
        &params,
        &state.registry.scenarios(),
        &["level", "sectors", "package", "format"],
    )?;
    set.extend(minutes_set);
    if let Some(sector) = set.iter().find(|s| withheld.contains(s)) {
        return Err(ApiError::forbidden(format!(
            "{sector} has confidential facilities: the public sees its coverage at the default threshold only (a small one would trace their locations); sign in as a caseworker or planner to change it"
        )));
    }
    let sectors = sectors_param(&params, "sectors")?;
    let package = sectors_param(&params, "package")?;
    let geojson = match params.get("format").unwrap_or("json") {
        "json" => false,
        "geojson" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "format={other:?}: expected json or geojson"
            )));
        }
    };
    let places = state.registry.places();
    let finest = places.areas.iter().map(|a| a.level).max();
    let level: Option<u8> = params.parse("level")?.or(finest);
    let key = AnalysisKey::Coverage {
        level,
        sectors: sectors.clone(),
        package: package.clone(),
        thresholds: AnalysisKey::threshold_bits(&thresholds),
        geojson,
        travel: travel.as_ref().map(|s| {
            (
                s.name.clone(),
                std::array::from_fn(|i| minutes.get(Sector::ALL[i]).to_bits()),
            )
        }),
    };
    let result = state
        .analysis(key, move |index, places| {
            let areas: Vec<_> = places
                .areas
                .iter()
                .filter(|a| Some(a.level) == level)
                .cloned()
                .collect();
            let options = CoverageOptions {
                sectors: sectors.clone(),
                package: package.clone(),
                thresholds,
                distances: travel.is_none(),
            };
            let sites = Sites::from_facilities(index.facilities());
            let run = match &travel {
                None => analysis::coverage(&sites, &places.settlements, &areas, &options),
                Some(scenario) => {
                    let model = crate::travel::TravelTimeAccess {
                        surface: &scenario.surface,
                        thresholds: minutes,
                        moves: crate::travel::Moves::King,
                    };
                    let points = places
                        .settlements
                        .iter()
                        .map(crate::model::PopulationPoint::from)
                        .collect();
                    analysis::coverage_by(&model, &sites, None, points, &areas, &options, false)
                }
            };
            let rows: Vec<(usize, AreaFigures)> = row_order(&run.labels)
                .into_iter()
                .map(|i| (i, figures(&run.table.areas[i], &run.labels[i])))
                .collect();
            let coverage = CoverageMeta {
                level,
                sectors,
                package,
                thresholds_m: Sector::ALL.iter().map(|s| (*s, thresholds.get(*s))).collect(),
                scenario: travel.as_ref().map(|s| s.name.clone()),
                thresholds_min: travel.as_ref().map(|_| {
                    Sector::ALL.iter().map(|s| (*s, minutes.get(*s))).collect()
                }),
                model: if travel.is_some() {
                    "least travel time over the scenario's friction surface from the nearest active facility ≤ threshold in minutes (inclusive)"
                } else {
                    "WGS84 geodesic distance to the nearest active facility ≤ threshold (inclusive); hotline: an active hotline in the country"
                },
                population_outside_areas: run.outside,
                population_left_out: LeftOutFigures::of(&run.left_out),
                data_version: index.version(),
                note: "Population is GeoNames settlements unless better data was imported: rural people are under-counted.",
                withheld: None,
            };
            if geojson {
                CoverageAnswer::Features {
                    kind: CollectionTag::FeatureCollection,
                    features: rows
                        .into_iter()
                        .map(|(i, properties)| CoverageFeature {
                            kind: FeatureTag::Feature,
                            id: properties.code.clone(),
                            geometry: Geometry(geojson::Geometry::new(
                                geojson::GeometryValue::from(&areas[i].geometry),
                            )),
                            properties,
                        })
                        .collect(),
                    coverage,
                }
            } else {
                CoverageAnswer::Rows {
                    coverage,
                    areas: rows.into_iter().map(|(_, row)| row).collect(),
                }
            }
        })
        .await?;
    let mut body = Arc::unwrap_or_clone(result);
    if !withheld.is_empty() {
        let places = state.registry.places();
        let parents: std::collections::HashMap<&str, Option<String>> = places
            .areas
            .iter()
            .map(|a| (a.code.as_str(), a.parent.clone()))
            .collect();
        redact(&mut body, &withheld, &|code| {
            parents.get(code).cloned().flatten()
        });
    }
    Ok(match body {
        CoverageAnswer::Rows { .. } => Json(body).into_response(),
        CoverageAnswer::Features { .. } => GeoJson(body).into_response(),
    })
}

/// The answer of `GET /api/coverage`: rows, or (`format=geojson`) a FeatureCollection
/// of the areas with their figures as properties.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CoverageAnswer {
    /// `format=json`.
    Rows {
        /// What was computed, and how.
        coverage: CoverageMeta,
        /// One row per area, worst first.
        areas: Vec<AreaFigures>,
    },
    /// `format=geojson`.
    Features {
        /// Always `"FeatureCollection"`.
        #[serde(rename = "type")]
        kind: CollectionTag,
        /// One feature per area, worst first.
        features: Vec<CoverageFeature>,
        /// What was computed, and how.
        coverage: CoverageMeta,
    },
}

impl CoverageAnswer {
    fn parts(&mut self) -> (&mut CoverageMeta, Vec<&mut AreaFigures>) {
        match self {
            Self::Rows { coverage, areas } => (coverage, areas.iter_mut().collect()),
            Self::Features {
                coverage, features, ..
            } => (
                coverage,
                features.iter_mut().map(|f| &mut f.properties).collect(),
            ),
        }
    }
}

/// An area with its coverage figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageFeature {
    /// Always `"Feature"`.
    #[serde(rename = "type")]
    kind: FeatureTag,
    /// The area's code.
    id: String,
    /// The area's boundary (GeoJSON MultiPolygon).
    geometry: Geometry,
    /// Its figures.
    properties: AreaFigures,
}

/// What a coverage answer computed, and how.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageMeta {
    /// Admin level reported on.
    level: Option<u8>,
    /// Sectors analysed.
    sectors: Vec<Sector>,
    /// The minimum package.
    package: Vec<Sector>,
    /// Threshold per sector, metres (by distance).
    thresholds_m: BTreeMap<Sector, f64>,
    /// With `by=time`: the travel scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    scenario: Option<String>,
    /// With `by=time`: threshold per sector, minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    thresholds_min: Option<BTreeMap<Sector, f64>>,
    /// What "within reach" means.
    model: &'static str,
    /// Population points in no area, counted in the nearest area of their country within
    /// 0.2°.
    population_outside_areas: usize,
    /// Population points farther than 0.2° from every area of their country: counted in
    /// no area.
    population_left_out: LeftOutFigures,
    /// The data version computed on.
    data_version: i64,
    /// Caveats of the population data.
    note: &'static str,
    /// For the public: the sectors whose details are withheld, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    withheld: Option<Withheld>,
}

/// Population points left out of every area, by reason.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct LeftOutFigures {
    /// Points farther than 0.2° from every area.
    pub too_far: usize,
    /// Points whose areas within 0.2° are all of another country.
    pub other_country: usize,
    /// People at those points.
    pub people: f64,
}

impl LeftOutFigures {
    fn of(left_out: &[LeftOutPoint]) -> Self {
        let mut figures = Self::default();
        for point in left_out {
            match point.why {
                LeftOut::TooFar => figures.too_far += 1,
                LeftOut::OtherCountry => figures.other_country += 1,
            }
            figures.people += point.population;
        }
        figures
    }
}

/// Sectors whose details are withheld from the public.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Withheld {
    /// The sectors (those with confidential facilities).
    sectors: Vec<Sector>,
    /// Why they are withheld, in words to show the reader.
    why: &'static str,
}

/// Fewer facilities than this of a sector with confidential ones are not counted for
/// the public in an area ("1 shelter in this district" narrows it down too far).
pub const MIN_PUBLIC_COUNT: usize = 3;

/// The public form of a coverage answer: for the `withheld` sectors (those with
/// confidential facilities) no distance statistics (a median distance per area is a
/// ruler to the facility) and facility counts of 1–2 suppressed (null, with
/// `facilities_suppressed: true`). Covered population and shares at the default
/// threshold stay: that is the aggregate the public is meant to see.
///
/// Suppression is also secondary: the areas sharing a parent add up to the parent's
/// count (shown at the level above), so where a sector has exactly one suppressed count
/// among siblings, the smallest other count is suppressed too, and the parent's total
/// minus the shown counts no longer gives a suppressed one back.
fn redact(
    body: &mut CoverageAnswer,
    withheld: &[Sector],
    parent_of: &dyn Fn(&str) -> Option<String>,
) {
    let (meta, mut rows) = body.parts();
    for row in rows.iter_mut() {
        for sector in withheld {
            let Some(s) = row.sectors.get_mut(sector) else {
                continue;
            };
            s.mean_distance_m = None;
            s.median_distance_m = None;
            if s.facilities
                .is_some_and(|n| (1..MIN_PUBLIC_COUNT).contains(&n))
            {
                s.facilities = None;
                s.facilities_suppressed = Some(true);
            }
        }
    }
    let mut groups: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        groups.entry(parent_of(&row.code)).or_default().push(i);
    }
    for sector in withheld {
        for members in groups.values() {
            let suppressed = members
                .iter()
                .filter(|&&i| {
                    rows[i]
                        .sectors
                        .get(sector)
                        .is_some_and(|s| s.facilities.is_none())
                })
                .count();
            if suppressed != 1 {
                continue;
            }
            // The smallest shown count, preferring a non-zero one (a suppressed zero
            // hides as well, but a reader expects hidden counts to be small, not none).
            let partner = members
                .iter()
                .filter_map(|&i| Some((rows[i].sectors.get(sector)?.facilities?, i)))
                .min_by_key(|&(n, i)| (n == 0, n, i));
            if let Some((_, i)) = partner
                && let Some(s) = rows[i].sectors.get_mut(sector)
            {
                s.facilities = None;
                s.facilities_suppressed = Some(true);
            }
        }
    }
    meta.withheld = Some(Withheld {
        sectors: withheld.to_vec(),
        why: "These sectors have confidential facilities: for the public, their distance statistics are withheld, facility counts of 1–2 per area are suppressed, and their thresholds are fixed at the defaults.",
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::report::SectorFigures;

    fn row(code: &str, shelters: usize) -> AreaFigures {
        AreaFigures {
            code: code.into(),
            name: code.into(),
            pop_total: 1000.0,
            pop_all: 500.0,
            share_all: 0.5,
            uncovered: 500.0,
            rank_uncovered: 1,
            rank_share: 1,
            sectors: BTreeMap::from([(
                Sector::Shelter,
                SectorFigures {
                    pop_covered: 500.0,
                    share: 0.5,
                    facilities: Some(shelters),
                    facilities_suppressed: None,
                    mean_distance_m: Some(1.0),
                    median_distance_m: Some(1.0),
                },
            )]),
        }
    }

    fn shown(answer: &mut CoverageAnswer) -> Vec<Option<usize>> {
        answer
            .parts()
            .1
            .iter()
            .map(|r| r.sectors[&Sector::Shelter].facilities)
            .collect()
    }

    #[test]
    fn a_lone_suppressed_count_takes_its_smallest_sibling_with_it() {
        let meta = CoverageMeta {
            level: Some(2),
            sectors: vec![Sector::Shelter],
            package: vec![Sector::Shelter],
            thresholds_m: BTreeMap::new(),
            scenario: None,
            thresholds_min: None,
            model: "",
            population_outside_areas: 0,
            population_left_out: LeftOutFigures::default(),
            data_version: 1,
            note: "",
            withheld: None,
        };
        // P1: A (1) alone is small; P2: D (2) and E (1) are both small already.
        let mut answer = CoverageAnswer::Rows {
            coverage: meta,
            areas: vec![
                row("A", 1),
                row("B", 7),
                row("C", 4),
                row("D", 2),
                row("E", 1),
                row("F", 9),
            ],
        };
        let parent = |code: &str| Some(if "ABC".contains(code) { "P1" } else { "P2" }.to_string());
        redact(&mut answer, &[Sector::Shelter], &parent);
        assert_eq!(
            shown(&mut answer),
            vec![None, Some(7), None, None, None, Some(9)]
        );
        // Brute force: no suppressed count of a group equals its parent's total minus
        // the shown ones, i.e. no group has exactly one hidden.
        let totals = [("P1", 12), ("P2", 12)];
        let figures = shown(&mut answer);
        for (p, total) in totals {
            let members: Vec<usize> = (0..6)
                .filter(|&i| parent(["A", "B", "C", "D", "E", "F"][i]).as_deref() == Some(p))
                .collect();
            let hidden: Vec<usize> = members
                .iter()
                .copied()
                .filter(|&i| figures[i].is_none())
                .collect();
            let shown_sum: usize = members.iter().filter_map(|&i| figures[i]).sum();
            assert!(
                hidden.len() != 1,
                "{p}: {} follows from {total} − {shown_sum}",
                hidden.len()
            );
        }
    }
}
