//! `/healthz`, `/api/meta`, `/api/areas`, `/api/settlements`: what the map draws under
//! the services.

use super::extract::Params;
use super::{ApiError, AppState, ErrorBody, GeoJson};
use crate::basemap::{Basemap, BasemapInfo};
use crate::model::geojson::{CollectionTag, FeatureTag, Geometry, PointGeometry};
use crate::model::{Language, Sector, Service};
use crate::search;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use std::collections::BTreeMap;

/// The answer of `/healthz`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `"ok"`.
    status: &'static str,
    /// The data version (sequence number of the last change applied).
    data_version: i64,
}

/// Liveness and the data version.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive", body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        data_version: state.registry.index().version(),
    })
}

/// The answer of `/api/meta`: what is loaded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Meta {
    /// Always `"Tirek"`.
    name: &'static str,
    /// Tirek's version.
    version: &'static str,
    /// Facilities loaded (confidential ones included: a count).
    facilities: usize,
    /// Of those, synthetic demonstration records.
    demo_facilities: usize,
    /// A notice to show while demo records are loaded.
    demo_notice: Option<&'static str>,
    /// Facilities per sector (one with several sectors counts in each).
    facilities_per_sector: BTreeMap<Sector, usize>,
    /// Admin areas per level (0 country, 1 region, 2 district).
    areas_per_level: [usize; 3],
    /// Settlements loaded.
    settlements: usize,
    /// Version of the data answered from; it moves on with every write.
    data_version: i64,
    /// `sqlite` or `postgres`.
    backend: &'static str,
    /// Every sector code the API accepts, in display order.
    sectors: &'static [Sector],
    /// Every service code the API accepts.
    services: &'static [Service],
    /// Every language code a facility may list.
    languages: &'static [Language],
    /// The operator's basemap; null when none is configured.
    basemap: Option<BasemapInfo>,
    /// Where "Leave now" goes; null: the web app's default neutral page.
    quick_exit_url: Option<String>,
    /// The travel scenarios loaded (as `GET /api/travel/scenarios`); empty: no travel
    /// time is offered.
    travel_scenarios: Vec<super::travel::ScenarioSummary>,
}

/// What is loaded: counts per sector, demo records, data version, vocabularies.
#[utoipa::path(get, path = "/api/meta", responses((status = 200, description = "service metadata", body = Meta)))]
pub async fn meta(State(state): State<AppState>) -> Json<Meta> {
    let index = state.registry.index();
    let places = state.registry.places();
    let facilities_per_sector = Sector::ALL.iter().map(|s| (*s, index.count(*s))).collect();
    let demo = index.facilities().filter(|r| r.summary().demo()).count();
    let mut levels = [0usize; 3];
    for a in &places.areas {
        if let Some(n) = levels.get_mut(usize::from(a.level)) {
            *n += 1;
        }
    }
    Json(Meta {
        name: "Tirek",
        version: env!("CARGO_PKG_VERSION"),
        facilities: index.len(),
        demo_facilities: demo,
        demo_notice: (demo > 0)
            .then_some("Demo data: these facilities are synthetic, not real services."),
        facilities_per_sector,
        areas_per_level: levels,
        settlements: places.settlements.len(),
        data_version: index.version(),
        backend: state.registry.store().backend(),
        sectors: Sector::ALL,
        services: Service::ALL,
        languages: Language::ALL,
        basemap: state.settings.basemap.as_ref().map(Basemap::describe),
        quick_exit_url: state.settings.quick_exit_url.clone(),
        travel_scenarios: state
            .registry
            .scenarios()
            .iter()
            .map(|s| super::travel::ScenarioSummary::of(s))
            .collect(),
    })
}

/// Admin areas as GeoJSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AreaCollection {
    /// Always `"FeatureCollection"`.
    #[serde(rename = "type")]
    kind: CollectionTag,
    /// The areas.
    features: Vec<AreaFeature>,
}

/// One admin area.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AreaFeature {
    /// Always `"Feature"`.
    #[serde(rename = "type")]
    kind: FeatureTag,
    /// The area's code.
    id: String,
    /// Its boundary: a GeoJSON MultiPolygon.
    geometry: Geometry,
    /// What it is.
    properties: AreaProperties,
}

/// An admin area's fields.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AreaProperties {
    /// P-code or ISO code, unique across levels.
    code: String,
    /// 0 country, 1 region, 2 district.
    level: u8,
    /// Code of the containing area.
    parent: Option<String>,
    /// Name (English where known).
    name: String,
    /// Names by language code.
    names: BTreeMap<String, String>,
}

/// Settlements as GeoJSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SettlementCollection {
    /// Always `"FeatureCollection"`.
    #[serde(rename = "type")]
    kind: CollectionTag,
    /// The settlements.
    features: Vec<SettlementFeature>,
}

/// One settlement.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SettlementFeature {
    /// Always `"Feature"`.
    #[serde(rename = "type")]
    kind: FeatureTag,
    /// The settlement's id.
    id: String,
    /// Where it is.
    geometry: PointGeometry,
    /// What it is.
    properties: SettlementProperties,
}

/// A settlement's fields.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SettlementProperties {
    /// Stable id, e.g. `gn:1538317`.
    id: String,
    /// Name (Latin script).
    name: String,
    /// Russian (Cyrillic) name.
    name_ru: Option<String>,
    /// People living here.
    population: f64,
    /// ISO 3166-1 alpha-2.
    country: Option<String>,
    /// Containing region code.
    adm1: Option<String>,
    /// Containing district code.
    adm2: Option<String>,
}

/// Admin areas of a level as GeoJSON.
#[utoipa::path(get, path = "/api/areas", params(("level" = Option<u8>, Query, description = "0 country, 1 region, 2 district; absent: all")),
    responses((status = 200, description = "FeatureCollection of MultiPolygons", body = AreaCollection, content_type = "application/geo+json"),
              (status = 400, description = "bad parameter", body = ErrorBody)))]
pub async fn areas(
    State(state): State<AppState>,
    params: Params,
) -> Result<GeoJson<AreaCollection>, ApiError> {
    params.only(&["level"])?;
    let level: Option<u8> = params.parse("level")?;
    let places = state.registry.places();
    let features = places
        .areas
        .iter()
        .filter(|a| level.is_none_or(|l| a.level == l))
        .map(|a| AreaFeature {
            kind: FeatureTag::Feature,
            id: a.code.clone(),
            geometry: Geometry(geojson::Geometry::new(geojson::GeometryValue::from(
                &a.geometry,
            ))),
            properties: AreaProperties {
                code: a.code.clone(),
                level: a.level,
                parent: a.parent.clone(),
                name: a.name.clone(),
                names: a.names.clone(),
            },
        })
        .collect();
    Ok(GeoJson(AreaCollection {
        kind: CollectionTag::FeatureCollection,
        features,
    }))
}

/// Settlements, optionally searched by name in any script.
#[utoipa::path(get, path = "/api/settlements", params(
        ("q" = Option<String>, Query, description = "name in Cyrillic or Latin, transliteration-tolerant"),
        ("limit" = Option<usize>, Query, description = "most results (default: all, or 20 with q)")),
    responses((status = 200, description = "FeatureCollection of Points", body = SettlementCollection, content_type = "application/geo+json"),
              (status = 400, description = "bad parameter", body = ErrorBody)))]
pub async fn settlements(
    State(state): State<AppState>,
    params: Params,
) -> Result<GeoJson<SettlementCollection>, ApiError> {
    params.only(&["q", "limit"])?;
    let limit: Option<usize> = params.parse("limit")?;
    let places = state.registry.places();
    let mut selected: Vec<(u8, &crate::model::Settlement)> = match params.get("q") {
        Some(q) => {
            let q = search::fold(q);
            places
                .settlements
                .iter()
                .filter_map(|s| {
                    let best = std::iter::once(&s.name)
                        .chain(s.name_ru.iter())
                        .chain(s.alt_names.iter())
                        .map(|n| search::score(&q, &search::fold(n)))
                        .max()
                        .unwrap_or(0);
                    (best > 0).then_some((best, s))
                })
                .collect()
        }
        None => places.settlements.iter().map(|s| (0, s)).collect(),
    };
    selected.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.population.total_cmp(&a.1.population))
            .then(a.1.id.cmp(&b.1.id))
    });
    let limit = limit.unwrap_or(if params.get("q").is_some() {
        20
    } else {
        usize::MAX
    });
    let features = selected
        .iter()
        .take(limit)
        .map(|(_, s)| SettlementFeature {
            kind: FeatureTag::Feature,
            id: s.id.clone(),
            geometry: PointGeometry::new(s.lon, s.lat),
            properties: SettlementProperties {
                id: s.id.clone(),
                name: s.name.clone(),
                name_ru: s.name_ru.clone(),
                population: s.population,
                country: s.country.clone(),
                adm1: s.adm1.clone(),
                adm2: s.adm2.clone(),
            },
        })
        .collect();
    Ok(GeoJson(SettlementCollection {
        kind: CollectionTag::FeatureCollection,
        features,
    }))
}
