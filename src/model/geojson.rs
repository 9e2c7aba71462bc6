//! The GeoJSON (RFC 7946) pieces every typed answer is made of: the `type` tags, a Point
//! geometry, and any other geometry as a GeoJSON object. The features themselves (a
//! facility, an area, a settlement, a grid cell) are typed where they are made.

use serde::{Deserialize, Serialize};

/// The `type` of a Feature: always `"Feature"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum FeatureTag {
    /// `"Feature"`.
    #[default]
    Feature,
}

/// The `type` of a FeatureCollection: always `"FeatureCollection"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum CollectionTag {
    /// `"FeatureCollection"`.
    #[default]
    FeatureCollection,
}

/// The `type` of a Point geometry: always `"Point"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum PointTag {
    /// `"Point"`.
    #[default]
    Point,
}

/// A GeoJSON Point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PointGeometry {
    /// Always `"Point"`.
    #[serde(rename = "type")]
    pub kind: PointTag,
    /// `[longitude, latitude]`, WGS84 degrees.
    pub coordinates: [f64; 2],
}

impl PointGeometry {
    /// The point at `lon`, `lat`.
    pub fn new(lon: f64, lat: f64) -> Self {
        Self {
            kind: PointTag::Point,
            coordinates: [lon, lat],
        }
    }
}

/// Any GeoJSON geometry (Polygon, MultiPolygon …), as RFC 7946 defines it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(value_type = Object, example = json!({"type": "MultiPolygon", "coordinates": [[[[68.0, 43.0], [69.0, 43.0], [69.0, 44.0], [68.0, 43.0]]]]}))]
pub struct Geometry(pub geojson::Geometry);
