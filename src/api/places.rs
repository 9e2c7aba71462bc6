//! `/healthz`, `/api/meta`, `/api/areas`, `/api/settlements`: what the map draws under
//! the services.

use super::extract::Params;
use super::{ApiError, AppState};
use crate::model::Sector;
use crate::search;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// Liveness and the data version.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "`{status, data_version}`", body = Object)))]
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(json!({"status": "ok", "data_version": state.registry.index().version()}))
}

/// What is loaded: counts per sector, demo records, data version, vocabularies.
#[utoipa::path(get, path = "/api/meta", responses((status = 200, description = "service metadata", body = Object)))]
pub async fn meta(State(state): State<AppState>) -> Json<Value> {
    let index = state.registry.index();
    let places = state.registry.places();
    let per_sector: serde_json::Map<String, Value> = Sector::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), json!(index.count(*s))))
        .collect();
    let demo = index.facilities().filter(|r| r.summary().demo()).count();
    let mut levels = [0usize; 3];
    for a in &places.areas {
        if let Some(n) = levels.get_mut(usize::from(a.level)) {
            *n += 1;
        }
    }
    Json(json!({
        "name": "Tirek",
        "version": env!("CARGO_PKG_VERSION"),
        "facilities": index.len(),
        "demo_facilities": demo,
        "demo_notice": (demo > 0).then_some("Demo data: these facilities are synthetic, not real services."),
        "facilities_per_sector": per_sector,
        "areas_per_level": levels,
        "settlements": places.settlements.len(),
        "data_version": index.version(),
        "backend": state.registry.store().backend(),
        "sectors": Sector::ALL,
        "services": crate::model::Service::ALL,
        "languages": crate::model::Language::ALL,
        "basemap": state.settings.basemap.as_ref().map(crate::basemap::Basemap::describe),
    }))
}

/// Admin areas of a level as GeoJSON.
#[utoipa::path(get, path = "/api/areas", params(("level" = Option<u8>, Query, description = "0 country, 1 region, 2 district; absent: all")),
    responses((status = 200, description = "FeatureCollection of MultiPolygons with code, level, parent, name, names", body = Object),
              (status = 400, description = "bad parameter", body = Object)))]
pub async fn areas(State(state): State<AppState>, params: Params) -> Result<Json<Value>, ApiError> {
    params.only(&["level"])?;
    let level: Option<u8> = params.parse("level")?;
    let places = state.registry.places();
    let features: Vec<Value> = places
        .areas
        .iter()
        .filter(|a| level.is_none_or(|l| a.level == l))
        .map(|a| {
            let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&a.geometry));
            json!({"type": "Feature", "id": a.code, "geometry": geometry,
                   "properties": {"code": a.code, "level": a.level, "parent": a.parent, "name": a.name, "names": a.names}})
        })
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// Settlements, optionally searched by name in any script.
#[utoipa::path(get, path = "/api/settlements", params(
        ("q" = Option<String>, Query, description = "name in Cyrillic or Latin, transliteration-tolerant"),
        ("limit" = Option<usize>, Query, description = "most results (default: all, or 20 with q)")),
    responses((status = 200, description = "FeatureCollection of Points with id, name, name_ru, population, country", body = Object)))]
pub async fn settlements(
    State(state): State<AppState>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
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
    let features: Vec<Value> = selected
        .iter()
        .take(limit)
        .map(|(_, s)| {
            json!({"type": "Feature", "id": s.id, "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                   "properties": {"id": s.id, "name": s.name, "name_ru": s.name_ru, "population": s.population,
                                  "country": s.country, "adm1": s.adm1, "adm2": s.adm2}})
        })
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}
