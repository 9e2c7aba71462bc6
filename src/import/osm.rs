//! Facilities from OpenStreetMap exports: a GeoJSON FeatureCollection whose properties
//! are OSM tags (HOT Export Tool, Overpass turbo; a nested `tags` object is read too).
//! Points are taken as they are; a polygon or line (a building mapped as an area) becomes
//! a point inside it (`geo`'s `InteriorPoint`).
//!
//! ## Tag → sector mapping
//!
//! | OSM tags | sector |
//! | --- | --- |
//! | `amenity=hospital`, `amenity=clinic`, `amenity=doctors` | health |
//! | `amenity=police` | police |
//! | `amenity=social_facility` + `social_facility=shelter` | shelter (confidential) |
//! | `amenity=social_facility` + `social_facility=outreach\|counselling\|support`, or `office=ngo\|association\|social_facility` + `social_facility:for=abused\|women\|victims` or `social_facility=counselling` | psychosocial |
//! | `amenity=courthouse`, `office=lawyer` | legal |
//! | `amenity=social_facility` (any `social_facility=*` but `shelter`) or `office=ngo\|association\|social_facility`, with `social_facility:for=perpetrator\|perpetrators` | perpetrator_programme |
//!
//! OpenStreetMap has no approved tagging for programmes for perpetrators of violence.
//! `social_facility:for=*` names the group of people a social facility serves and takes
//! any value; Tirek reads `perpetrator` / `perpetrators` there (one of several
//! `;`-separated values) as such a programme, checked before the psycho-social rules so
//! that a programme tagged `social_facility=outreach` is not offered to survivors. A
//! `social_facility=shelter` stays a (confidential) shelter whatever it is tagged for.
//!
//! `amenity` is the primary tag: a feature tagged only `healthcare=*` (laboratories, blood
//! donation, `healthcare=yes`, …) is not taken as a health facility. Everything else —
//! `amenity=pharmacy`, `amenity=dentist`, … — is skipped and counted per kind
//! (`amenity=pharmacy`, `healthcare=laboratory`, …) in [`OsmRead::skipped`].
//! Services are left empty: OSM tags do not say whether a hospital gives CMR/PEP, and
//! Tirek does not guess. `wheelchair=yes` sets wheelchair access.
//!
//! Other fields: id `osm:<type>:<id>` (`osm:node:123`, `osm:way:45`; `/` is not allowed
//! in Tirek ids); name from `name`, else `name:en`, `name:ru`, …, else e.g.
//! `Hospital (unnamed, OSM node 123)`; names by language from `name:<lang>`; address from
//! `addr:full` or street, house number and city; phone from `phone`/`contact:phone`;
//! `opening_hours` when it parses (dropped with a warning otherwise); country from the
//! `--country` given, else `addr:country`, else the level-0 area containing the point;
//! source "OpenStreetMap contributors (ODbL)"; not confidential except shelters.

use super::RecordError;
use crate::model::{Facility, Language, OpeningHours, Sector, Status};
use crate::spatial::area_index::AreaIndex;
use geo::InteriorPoint;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Where OSM-derived records say they come from.
pub const SOURCE: &str = "OpenStreetMap contributors (ODbL)";

/// What an OSM export gave.
#[derive(Debug, Clone, Default)]
pub struct OsmRead {
    /// Facilities in the response's sectors.
    pub facilities: Vec<Facility>,
    /// Features of other kinds, counted by kind (`amenity=pharmacy`: 237).
    pub skipped: BTreeMap<String, usize>,
    /// Things that did not stop the import (an unreadable `opening_hours` dropped, …).
    pub warnings: Vec<String>,
}

impl OsmRead {
    /// Features skipped in all.
    pub fn skipped_total(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// The sector an OSM feature's tags map to, or the kind it was skipped as.
pub fn classify(tags: &Map<String, Value>) -> Result<(Sector, &'static str), String> {
    let tag = |k: &str| tags.get(k).and_then(Value::as_str).map(str::trim);
    let for_abused = tag("social_facility:for").is_some_and(|v| {
        v.split(';')
            .any(|p| matches!(p.trim(), "abused" | "women" | "victims"))
    });
    let for_perpetrators = tag("social_facility:for").is_some_and(|v| {
        v.split(';')
            .any(|p| matches!(p.trim(), "perpetrator" | "perpetrators"))
    });
    const PROGRAMME: (Sector, &str) = (Sector::PerpetratorProgramme, "Programme for perpetrators");
    let amenity = tag("amenity");
    match amenity {
        Some("hospital") => return Ok((Sector::Health, "Hospital")),
        Some("clinic") => return Ok((Sector::Health, "Clinic")),
        Some("doctors") => return Ok((Sector::Health, "Doctors")),
        Some("police") => return Ok((Sector::Police, "Police")),
        Some("courthouse") => return Ok((Sector::Legal, "Courthouse")),
        Some("social_facility") => match tag("social_facility") {
            Some("shelter") => return Ok((Sector::Shelter, "Shelter")),
            _ if for_perpetrators => return Ok(PROGRAMME),
            Some("outreach" | "counselling" | "support") => {
                return Ok((Sector::Psychosocial, "Social service"));
            }
            _ => {}
        },
        _ => {}
    }
    match tag("office") {
        Some("lawyer") => return Ok((Sector::Legal, "Lawyer")),
        Some("ngo" | "association" | "social_facility") if for_perpetrators => {
            return Ok(PROGRAMME);
        }
        Some("ngo" | "association" | "social_facility")
            if for_abused || tag("social_facility") == Some("counselling") =>
        {
            return Ok((Sector::Psychosocial, "Support centre"));
        }
        _ => {}
    }
    let kind = ["amenity", "healthcare", "office", "social_facility", "shop"]
        .iter()
        .find_map(|k| tag(k).map(|v| format!("{k}={v}")))
        .unwrap_or_else(|| "(no amenity/healthcare/office tag)".into());
    Err(kind)
}

/// Reads an OSM GeoJSON export. `country` is used for every record when given;
/// `areas` (level 0) supply it per point otherwise.
pub fn read(
    bytes: &[u8],
    country: Option<&str>,
    areas: Option<&AreaIndex>,
) -> Result<OsmRead, Vec<RecordError>> {
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| vec![RecordError::file("", format!("not valid JSON: {e}"))])?;
    let Some(features) = doc["features"].as_array() else {
        return Err(vec![RecordError::file(
            "type",
            "expected a GeoJSON FeatureCollection with a \"features\" array",
        )]);
    };
    let country = country.map(|c| c.trim().to_ascii_uppercase());
    if let Some(c) = &country
        && (c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        return Err(vec![RecordError::file(
            "country",
            format!("{c:?} is not an ISO 3166-1 alpha-2 code such as \"TJ\""),
        )]);
    }
    let mut out = OsmRead::default();
    let mut errors = Vec::new();
    let empty = Map::new();
    for (index, feature) in features.iter().enumerate() {
        let mut tags = feature["properties"].as_object().unwrap_or(&empty).clone();
        if let Some(nested) = tags.remove("tags").and_then(|t| t.as_object().cloned()) {
            tags.extend(nested);
        }
        let (sector, kind) = match classify(&tags) {
            Ok(c) => c,
            Err(kind) => {
                *out.skipped.entry(kind).or_default() += 1;
                continue;
            }
        };
        let (osm_type, osm_id) = osm_identity(feature, &tags);
        let id = osm_id.as_ref().map(|n| format!("osm:{osm_type}:{n}"));
        let mut fail = |field: &str, message: String| {
            errors.push(RecordError {
                index: Some(index),
                id: id.clone(),
                field: field.into(),
                message,
                column: None,
            })
        };
        let Some(id) = id.clone() else {
            fail("properties.osm_id", "no OSM id (osm_id, @id or id)".into());
            continue;
        };
        let point = match representative_point(&feature["geometry"]) {
            Ok(p) => p,
            Err(message) => {
                fail("geometry", message);
                continue;
            }
        };
        let (lon, lat) = (point.x(), point.y());
        if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
            fail(
                "geometry.coordinates",
                format!("({lon}, {lat}) is not a WGS84 longitude/latitude"),
            );
            continue;
        }
        let text = |k: &str| {
            tags.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let record_country = country
            .clone()
            .or_else(|| {
                text("addr:country")
                    .map(|c| c.to_ascii_uppercase())
                    .filter(|c| c.len() == 2)
            })
            .or_else(|| {
                areas
                    .and_then(|a| a.locate(lon, lat, 0))
                    .filter(|l| l.inside)
                    .map(|l| l.area.code.to_ascii_uppercase())
                    .filter(|c| c.len() == 2)
            });
        let Some(record_country) = record_country else {
            fail(
                "country",
                "the country is unknown: give it (--country TJ / ?country=TJ) or import country outlines first"
                    .into(),
            );
            continue;
        };
        let mut names: BTreeMap<Language, String> = BTreeMap::new();
        for (k, v) in &tags {
            if let (Some(lang), Some(v)) = (k.strip_prefix("name:"), v.as_str())
                && let Ok(lang) = Language::from_str(lang)
                && !v.trim().is_empty()
            {
                names.insert(lang, v.trim().to_string());
            }
        }
        let name = text("name")
            .or_else(|| names.get(&Language::En).cloned())
            .or_else(|| names.values().next().cloned())
            .unwrap_or_else(|| {
                format!(
                    "{kind} (unnamed, OSM {osm_type} {})",
                    osm_id.as_deref().unwrap_or("?")
                )
            });
        let address = text("addr:full").or_else(|| {
            let street = [text("addr:street"), text("addr:housenumber")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let parts: Vec<String> = [Some(street).filter(|s| !s.is_empty()), text("addr:city")]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        });
        let phone = text("phone").or_else(|| text("contact:phone")).filter(|p| {
            p.len() <= 50
                && p.chars().any(|c| c.is_ascii_digit())
                && p.chars()
                    .all(|c| c.is_ascii_digit() || " +-()./,;".contains(c))
        });
        let opening_hours = text("opening_hours").filter(|h| {
            let ok = OpeningHours::parse(h).is_ok();
            if !ok {
                out.warnings.push(format!(
                    "{id}: opening_hours {h:?} not understood; left out"
                ));
            }
            ok
        });
        out.facilities.push(Facility {
            id,
            name: name.chars().take(300).collect(),
            names,
            organisation: text("operator"),
            organisation_id: None,
            victim_support_partner: None,
            sectors: vec![sector],
            services: Vec::new(),
            lon,
            lat,
            location_precision: crate::model::LocationPrecision::Exact,
            address,
            country: record_country,
            adm1: None,
            adm2: None,
            phone,
            opening_hours,
            languages: Vec::new(),
            female_staff: false,
            child_friendly: false,
            wheelchair_access: text("wheelchair").as_deref() == Some("yes"),
            free_of_charge: false,
            no_police_report_required: false,
            capacity: None,
            status: Status::Active,
            confidential: sector == Sector::Shelter,
            verified_at: None,
            source: Some(SOURCE.into()),
            demo: false,
            created_at: None,
            updated_at: None,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `(node|way|relation, id)` from HOT (`osm_type`: `nodes`, `ways_poly`, `relations`;
/// `osm_id`) or Overpass (`@id`/`id`: `node/123`) properties.
fn osm_identity(feature: &Value, tags: &Map<String, Value>) -> (&'static str, Option<String>) {
    let normalise = |t: &str| match t {
        t if t.starts_with("node") => "node",
        t if t.starts_with("way") => "way",
        t if t.starts_with("rel") => "relation",
        _ => "object",
    };
    let number = |v: &Value| {
        v.as_i64().map(|n| n.to_string()).or_else(|| {
            v.as_str()
                .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_string)
        })
    };
    if let Some(id) = tags.get("osm_id").and_then(number) {
        let kind = tags
            .get("osm_type")
            .and_then(Value::as_str)
            .map_or("node", normalise);
        return (kind, Some(id));
    }
    for v in [tags.get("@id"), tags.get("id"), feature.get("id")]
        .into_iter()
        .flatten()
    {
        if let Some((kind, n)) = v.as_str().and_then(|s| s.split_once('/'))
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
        {
            return (normalise(kind), Some(n.to_string()));
        }
    }
    ("object", None)
}

/// The point itself, or a point inside a polygon / on a line.
fn representative_point(geometry: &Value) -> Result<geo::Point<f64>, String> {
    if geometry.is_null() {
        return Err("the feature has no geometry".into());
    }
    let g = serde_json::from_value::<geojson::Geometry>(geometry.clone())
        .map_err(|e| format!("not a GeoJSON geometry: {e}"))?;
    let g = geo::Geometry::<f64>::try_from(&g.value)
        .map_err(|e| format!("unreadable geometry: {e}"))?;
    std::panic::catch_unwind(|| g.interior_point())
        .ok()
        .flatten()
        .ok_or_else(|| "the geometry is empty".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tags(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn mapping() {
        assert_eq!(
            classify(&tags(json!({"amenity": "hospital"}))).unwrap().0,
            Sector::Health
        );
        assert_eq!(
            classify(&tags(json!({"amenity": "police"}))).unwrap().0,
            Sector::Police
        );
        assert_eq!(
            classify(&tags(json!({"amenity": "social_facility", "social_facility": "shelter", "social_facility:for": "abused"}))).unwrap().0,
            Sector::Shelter
        );
        assert_eq!(
            classify(&tags(
                json!({"office": "ngo", "social_facility:for": "women;children"})
            ))
            .unwrap()
            .0,
            Sector::Psychosocial
        );
        assert_eq!(
            classify(&tags(json!({"office": "lawyer"}))).unwrap().0,
            Sector::Legal
        );
        for programme in [
            json!({"amenity": "social_facility", "social_facility": "outreach", "social_facility:for": "perpetrators"}),
            json!({"amenity": "social_facility", "social_facility": "counselling", "social_facility:for": "men;perpetrator"}),
            json!({"office": "ngo", "social_facility:for": "perpetrators"}),
        ] {
            assert_eq!(
                classify(&tags(programme.clone())).unwrap().0,
                Sector::PerpetratorProgramme,
                "{programme}"
            );
        }
        // A shelter stays a shelter (confidential), whoever it is tagged for.
        assert_eq!(
            classify(&tags(json!({"amenity": "social_facility", "social_facility": "shelter", "social_facility:for": "perpetrators"}))).unwrap().0,
            Sector::Shelter
        );
        assert_eq!(
            classify(&tags(
                json!({"amenity": "pharmacy", "healthcare": "pharmacy"})
            ))
            .unwrap_err(),
            "amenity=pharmacy"
        );
        assert_eq!(
            classify(&tags(json!({"healthcare": "clinic"}))).unwrap_err(),
            "healthcare=clinic"
        );
        assert_eq!(
            classify(&tags(json!({"office": "ngo"}))).unwrap_err(),
            "office=ngo"
        );
    }

    #[test]
    fn reads_points_and_polygons() {
        let doc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"amenity": "clinic", "name": null, "osm_id": 7, "osm_type": "nodes"},
             "geometry": {"type": "Point", "coordinates": [68.7, 38.5]}},
            {"type": "Feature", "properties": {"amenity": "hospital", "name": "Шифохона", "name:tg": "Шифохона", "osm_id": 9, "osm_type": "ways_poly",
                                               "opening_hours": "sometimes", "wheelchair": "yes"},
             "geometry": {"type": "Polygon", "coordinates": [[[68.0, 38.0], [68.1, 38.0], [68.1, 38.1], [68.0, 38.1], [68.0, 38.0]]]}},
            {"type": "Feature", "properties": {"amenity": "dentist", "osm_id": 10},
             "geometry": {"type": "Point", "coordinates": [68.7, 38.5]}},
        ]});
        let read = read(doc.to_string().as_bytes(), Some("tj"), None).unwrap();
        assert_eq!(read.facilities.len(), 2);
        let clinic = &read.facilities[0];
        assert_eq!(
            (clinic.id.as_str(), clinic.name.as_str()),
            ("osm:node:7", "Clinic (unnamed, OSM node 7)")
        );
        assert_eq!(clinic.country, "TJ");
        let hospital = &read.facilities[1];
        assert_eq!(hospital.id, "osm:way:9");
        assert!(
            hospital.lon > 68.0
                && hospital.lon < 68.1
                && hospital.lat > 38.0
                && hospital.lat < 38.1
        );
        assert!(hospital.opening_hours.is_none() && hospital.wheelchair_access);
        assert_eq!(read.warnings.len(), 1);
        assert_eq!(read.skipped["amenity=dentist"], 1);
        assert!(read.facilities.iter().all(|f| f.validate().is_empty()));
    }

    #[test]
    fn a_broken_record_is_named() {
        let doc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"amenity": "clinic", "osm_id": 7}, "geometry": {"type": "Point", "coordinates": [68.7, 38.5]}},
            {"type": "Feature", "properties": {"amenity": "clinic", "osm_id": 8}, "geometry": null},
        ]});
        let errors = read(doc.to_string().as_bytes(), Some("TJ"), None).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].index, errors[0].id.as_deref()),
            (Some(1), Some("osm:node:8"))
        );
        let no_country = read(doc.to_string().as_bytes(), None, None).unwrap_err();
        assert_eq!(no_country[0].field, "country");
    }
}
