//! Admin areas (country, region, district) and settlements with population.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An administrative area: 0 country, 1 region (oblast, viloyat), 2 district.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// P-code or ISO code, unique across levels.
    pub code: String,
    /// Admin level.
    pub level: u8,
    /// Code of the containing area.
    pub parent: Option<String>,
    /// Name (English where known).
    pub name: String,
    /// Names by language code (en, ru, kk, ...).
    pub names: BTreeMap<String, String>,
    /// Boundary, WGS84.
    pub geometry: geo::MultiPolygon<f64>,
}

/// A place where people live, with its population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    /// Stable id, e.g. `gn:1538317` for a GeoNames place.
    pub id: String,
    /// Name (Latin script).
    pub name: String,
    /// Russian (Cyrillic) name.
    #[serde(default)]
    pub name_ru: Option<String>,
    /// Other names and spellings, for search.
    #[serde(default)]
    pub alt_names: Vec<String>,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// People living here.
    pub population: f64,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country: Option<String>,
    /// Containing region code.
    #[serde(default)]
    pub adm1: Option<String>,
    /// Containing district code.
    #[serde(default)]
    pub adm2: Option<String>,
}

/// A population point: a settlement or a raster cell.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationPoint {
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// People.
    pub population: f64,
    /// Index of the area it belongs to, if any.
    pub area: Option<u32>,
    /// ISO 3166-1 alpha-2 country, upper case, when known: a point outside every area
    /// is only given an area of its own country.
    pub country: Option<[u8; 2]>,
}

impl From<&Settlement> for PopulationPoint {
    /// A settlement's people, in no area yet.
    fn from(s: &Settlement) -> Self {
        Self {
            lon: s.lon,
            lat: s.lat,
            population: s.population,
            area: None,
            country: s.country.as_deref().and_then(country_bytes),
        }
    }
}

/// An ISO 3166-1 alpha-2 code as two upper-case bytes; `None` for anything else.
pub fn country_bytes(code: &str) -> Option<[u8; 2]> {
    match code.trim().as_bytes() {
        &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
        }
        _ => None,
    }
}
