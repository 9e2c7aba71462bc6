//! `GET /api/nearest`: the nearest appropriate services of each sector for a place.

use super::extract::{Caller, Params};
use super::geojson::SizedJson;
use super::{ApiError, AppState, ErrorBody};
use crate::index::{Filter, Hit};
use crate::model::FacilityFeature;
use crate::model::{Language, Sector, Service, Status, parse_list};
use crate::visibility::{DistanceBand, MaskedFeature, Viewer, distance_band, masked_feature};
use axum::extract::State;

use serde::Serialize;

/// Most results per sector.
pub const MAX_K: usize = 50;

/// The buffer a nearest answer is written into: six sectors, one result each, for the
/// public with a masked shelter, take about 6 KB.
const NEAREST_ANSWER_BYTES: usize = 8 * 1024;

const PARAMS: &[&str] = &[
    "lon",
    "lat",
    "sector",
    "k",
    "radius_km",
    "services",
    "open_24_7",
    "language",
    "female_staff",
    "child_friendly",
    "wheelchair_access",
    "free_of_charge",
    "no_police_report_required",
    "status",
    "by",
    "scenario",
];

/// Query of `GET /api/nearest`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct NearestParams {
    /// Longitude, WGS84 degrees (-180..180).
    lon: f64,
    /// Latitude, WGS84 degrees (-90..90).
    lat: f64,
    /// Sectors, comma-separated; absent: every sector but `perpetrator_programme`
    /// (programmes for perpetrators are answered only when named).
    sector: Option<String>,
    /// Results per sector (1..=50, default 1).
    k: Option<usize>,
    /// Only within this geodesic distance, km.
    radius_km: Option<f64>,
    /// Services that must all be offered, comma-separated (e.g. `cmr_pep`).
    services: Option<String>,
    /// Only services open 24/7.
    open_24_7: Option<bool>,
    /// Languages, comma-separated; the service must speak one of them.
    language: Option<String>,
    /// Female staff available.
    female_staff: Option<bool>,
    /// Child-friendly.
    child_friendly: Option<bool>,
    /// Wheelchair accessible.
    wheelchair_access: Option<bool>,
    /// Free of charge.
    free_of_charge: Option<bool>,
    /// No police report required.
    no_police_report_required: Option<bool>,
    /// Statuses to include, comma-separated (default `active`).
    status: Option<String>,
    /// `distance` (default: ranked by geodesic distance) or `time` (ranked by travel
    /// time over `scenario`'s friction surface; results beyond `radius_km` dropped).
    by: Option<String>,
    /// The travel scenario `by=time` ranks by (see `/api/travel/scenarios`; default
    /// `walking` when loaded).
    scenario: Option<String>,
}

/// How far one search by time (or for a card's minutes) goes: a day's travel, a
/// million cells.
const TIME_LIMITS: crate::travel::SearchLimits = crate::travel::SearchLimits {
    minutes: 24.0 * 60.0,
    cells: 1_000_000,
};

fn list<T: std::str::FromStr<Err = crate::model::VocabError>>(
    params: &Params,
    key: &str,
) -> Result<Vec<T>, ApiError> {
    match params.get(key) {
        Some(text) => {
            parse_list(text).map_err(|e| ApiError::bad_request(format!("parameter {key}: {e}")))
        }
        None => Ok(Vec::new()),
    }
}

/// For each sector, the `k` nearest services that pass the filters, by exact WGS84
/// geodesic distance. The public gets the public services, and per sector with
/// confidential ones (shelters) one masked entry: the nearest public hotline of the
/// shelter's country and a distance band measured to the facility's district-sized anchor cell, never its place
/// (see `docs/confidentiality.md`).
#[utoipa::path(get, path = "/api/nearest", params(NearestParams),
    responses((status = 200, description = "the nearest services of each sector", body = NearestAnswer),
              (status = 400, description = "bad parameter", body = ErrorBody)))]
pub async fn nearest(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<SizedJson<NearestAnswer, NEAREST_ANSWER_BYTES>, ApiError> {
    params.only(PARAMS)?;
    let lon = params.number("lon")?;
    let lat = params.number("lat")?;
    if !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::bad_request(format!(
            "lon={lon} is outside -180..180"
        )));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::bad_request(format!(
            "lat={lat} is outside -90..90"
        )));
    }
    let mut sectors: Vec<Sector> = list(&params, "sector")?;
    if sectors.is_empty() {
        sectors = Sector::nearest_default();
    }
    let k: usize = params.parse("k")?.unwrap_or(1);
    if !(1..=MAX_K).contains(&k) {
        return Err(ApiError::bad_request(format!(
            "k={k} is outside 1..={MAX_K}"
        )));
    }
    let radius_km: Option<f64> = params.parse("radius_km")?;
    if radius_km.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err(ApiError::bad_request("radius_km must be a positive number"));
    }
    let statuses: Vec<Status> = list(&params, "status")?;
    let filter = Filter {
        services: list::<Service>(&params, "services")?,
        open_24_7: params.flag("open_24_7")?,
        languages: list::<Language>(&params, "language")?,
        female_staff: params.flag("female_staff")?,
        child_friendly: params.flag("child_friendly")?,
        wheelchair_access: params.flag("wheelchair_access")?,
        free_of_charge: params.flag("free_of_charge")?,
        no_police_report_required: params.flag("no_police_report_required")?,
        statuses: if statuses.is_empty() {
            vec![Status::Active]
        } else {
            statuses.clone()
        },
        public_only: false,
        country: None,
    };
    let scenarios = state.registry.scenarios();
    let by = super::travel::by_param(&params, &scenarios)?;
    let index = state.registry.index();
    let public = caller.viewer() == Viewer::Public;
    // The public's searches never touch a confidential facility's location: it gets the
    // public facilities, and per sector one masked entry placed by its anchor.
    let filter = Filter {
        public_only: public,
        ..filter
    };
    let (hits, ranked_minutes): (Vec<Hit>, Vec<Option<f64>>) = match &by {
        super::travel::By::Distance => sectors
            .iter()
            .flat_map(|&sector| match radius_km {
                Some(r) => {
                    let mut hits = index.within(lon, lat, sector, r * 1000.0, &filter);
                    hits.truncate(k);
                    hits
                }
                None => index.nearest(lon, lat, sector, k, &filter),
            })
            .map(|h| (h, None))
            .unzip(),
        super::travel::By::Time(scenario) => scenario
            .nearest(&index, lon, lat, &sectors, k, &filter, TIME_LIMITS)
            .hits
            .into_iter()
            .flatten()
            .map(|t| {
                let (flon, flat) = t.record.lonlat();
                let hit = Hit {
                    sector: t.sector,
                    record: t.record,
                    distance_m: crate::spatial::geodesy::geodesic_m(lon, lat, flon, flat),
                };
                (hit, Some(t.minutes))
            })
            .filter(|(h, _)| radius_km.is_none_or(|r| h.distance_m <= r * 1000.0))
            .unzip(),
    };
    // Each result's minutes in every scenario loaded (one search per scenario, stopping
    // once every result's cell is settled): what a caseworker's card shows.
    let targets: Vec<(f64, f64)> = hits.iter().map(|h| h.record.lonlat()).collect();
    let per_scenario: Vec<(String, Vec<Option<f64>>)> = scenarios
        .iter()
        .map(|s| (s.name.clone(), s.times_to(lon, lat, &targets, TIME_LIMITS)))
        .collect();
    let mut demo = hits.iter().any(|h| h.record.summary().demo());
    let mut results: Vec<NearestResult> = hits
        .iter()
        .zip(ranked_minutes)
        .enumerate()
        .map(|(i, (hit, travel_minutes))| NearestResult::Found {
            sector: hit.sector,
            distance_m: round_mm(hit.distance_m),
            travel_minutes,
            travel_minutes_by_scenario: per_scenario
                .iter()
                .map(|(name, times)| (name.clone(), times[i]))
                .collect(),
            facility: Box::new(FacilityFeature::from(hit.facility())),
        })
        .collect();
    if public {
        // Per sector one masked entry: the band to the nearest confidential facility's
        // anchor cell, with the nearest public hotline.
        let public_filter = Filter {
            public_only: true,
            ..Filter::default()
        };
        // The nearest public hotline of the shelter's own country: a hotline across a
        // border (the nearest one from Turkestan is Uzbek) cannot place anyone in this
        // shelter. The search skips other countries' hotlines by their summary, so it
        // decodes only the one it answers with.
        let hotline_of = |country: &str| {
            let of_country = Filter {
                country: Some(crate::model::country_bytes(country)?),
                ..public_filter.clone()
            };
            index
                .nearest(lon, lat, Sector::Hotline, 1, &of_country)
                .first()
                .and_then(|h| h.facility().phone)
        };
        for &sector in &sectors {
            if let Some((record, anchor_m)) = index.nearest_anchor(lon, lat, sector, &filter) {
                let facility = record.decode();
                demo |= facility.demo;
                let hotline = hotline_of(&facility.country);
                results.push(NearestResult::Masked {
                    sector,
                    distance_band: distance_band(anchor_m),
                    distance_band_km: DistanceBand::of(anchor_m),
                    facility: masked_feature(&facility, hotline.as_deref()),
                });
            }
        }
    }
    // Only staff can record an unmet need against it; locating the point costs about
    // as much again as the six searches, so the public's answers (the bulk of the
    // traffic) skip it.
    let area = if caller.role() >= crate::model::Role::Caseworker {
        query_area(&state.registry.places(), lon, lat)
    } else {
        None
    };
    Ok(SizedJson(NearestAnswer {
        area,
        query: QueryEcho {
            lon,
            lat,
            k,
            sectors,
            radius_km,
            services: filter.services,
            open_24_7: filter.open_24_7,
            language: filter.languages,
            female_staff: filter.female_staff,
            child_friendly: filter.child_friendly,
            wheelchair_access: filter.wheelchair_access,
            free_of_charge: filter.free_of_charge,
            no_police_report_required: filter.no_police_report_required,
            status: filter.statuses,
        },
        results,
        demo,
        distance: "WGS84 geodesic, metres",
        travel: (!scenarios.is_empty()).then(|| TravelEcho {
            by: match &by {
                super::travel::By::Distance => "distance",
                super::travel::By::Time(_) => "time",
            },
            scenario: match &by {
                super::travel::By::Distance => None,
                super::travel::By::Time(s) => Some(s.name.clone()),
            },
            scenarios: scenarios.iter().map(|s| s.name.clone()).collect(),
            demo: scenarios.iter().any(|s| s.demo),
            model: super::travel::TIME_MODEL,
            note: "null minutes: not reachable within a day's travel or the search's reach (a million cells), or the point or the facility is off the surface or in an impassable cell; confidential services carry no minutes for the public",
        }),
    }))
}

/// The finest admin area holding the query point (district if loaded there, else
/// region, else country), by the import rules of `crate::spatial::area_index`: what a
/// caseworker records an unmet need against (`POST /api/unmet-needs` takes its
/// `code`), so the log never needs the point itself.
fn query_area(places: &crate::registry::Places, lon: f64, lat: f64) -> Option<QueryArea> {
    let index = places.area_index();
    let (codes, _) = crate::spatial::area_index::codes_at(index, lon, lat, None);
    let (level, code) = codes
        .iter()
        .enumerate()
        .rev()
        .find_map(|(level, code)| Some((level as u8, code.as_deref()?)))?;
    let areas = index.areas();
    let i = areas
        .binary_search_by(|a| a.level.cmp(&level).then(a.code.as_str().cmp(code)))
        .ok()?;
    Some(QueryArea {
        code: areas[i].code.clone(),
        name: areas[i].name.clone(),
        level,
    })
}

/// The admin area of a query point.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QueryArea {
    /// Its code (P-code or ISO 3166-2).
    code: String,
    /// Its name.
    name: String,
    /// 0 country, 1 region, 2 district.
    level: u8,
}

/// The answer of `GET /api/nearest`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NearestAnswer {
    /// The query as understood.
    query: QueryEcho,
    /// For signed-in staff (caseworkers and above): the finest loaded admin area
    /// holding the query point, to record an unmet need against its `code`. Null for
    /// the public and outside every area.
    area: Option<QueryArea>,
    /// Per sector (in the order asked) the nearest services, nearest first; for the
    /// public, then one masked entry per sector with confidential services.
    results: Vec<NearestResult>,
    /// Whether any answer is a synthetic demo record.
    demo: bool,
    /// How distances are measured: always "WGS84 geodesic, metres".
    distance: &'static str,
    /// How travel times were measured; absent when no travel scenario is loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    travel: Option<TravelEcho>,
}

/// How a nearest answer measured travel times.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TravelEcho {
    /// What the results are ranked by: `distance` or `time`.
    by: &'static str,
    /// With `by=time`: the scenario ranked by.
    scenario: Option<String>,
    /// The scenarios whose minutes each result carries.
    scenarios: Vec<String>,
    /// Whether any of them is a synthetic demo surface.
    demo: bool,
    /// What the minutes are.
    model: &'static str,
    /// What a null means.
    note: &'static str,
}

/// One service in a nearest answer.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum NearestResult {
    /// A service the caller may see, with its exact distance.
    Found {
        /// The sector it answers for.
        sector: Sector,
        /// Exact WGS84 geodesic distance, metres (to the millimetre).
        distance_m: f64,
        /// With `by=time`: the least travel time, minutes, over the scenario ranked by.
        #[serde(skip_serializing_if = "Option::is_none")]
        travel_minutes: Option<f64>,
        /// The least travel time, minutes, in each loaded scenario (null: not reached;
        /// see `travel.note`); empty when none is loaded.
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        travel_minutes_by_scenario: std::collections::BTreeMap<String, Option<f64>>,
        /// The service.
        facility: Box<FacilityFeature>,
    },
    /// A confidential service, for the public: a distance band to its district-sized
    /// anchor cell and the nearest public hotline, never its place.
    Masked {
        /// The sector it answers for.
        sector: Sector,
        /// e.g. `"10–25 km"` or `"more than 250 km"` (English; see `distance_band_km`).
        distance_band: String,
        /// The same band as numbers, for a client to word in its own language.
        distance_band_km: DistanceBand,
        /// The masked service.
        facility: MaskedFeature,
    },
}

/// The query as understood, echoed in the answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QueryEcho {
    /// Longitude.
    lon: f64,
    /// Latitude.
    lat: f64,
    /// Results per sector.
    k: usize,
    /// Sectors searched.
    sectors: Vec<Sector>,
    /// Radius, km, if any.
    radius_km: Option<f64>,
    /// Services required.
    services: Vec<Service>,
    /// Only open 24/7.
    open_24_7: bool,
    /// Languages (any of them).
    language: Vec<Language>,
    /// Female staff required.
    female_staff: bool,
    /// Child-friendly required.
    child_friendly: bool,
    /// Wheelchair access required.
    wheelchair_access: bool,
    /// Free of charge required.
    free_of_charge: bool,
    /// No police report required.
    no_police_report_required: bool,
    /// Statuses included.
    status: Vec<Status>,
}

/// Distances are reported to the millimetre.
fn round_mm(m: f64) -> f64 {
    (m * 1000.0).round() / 1000.0
}
