//! The one place that decides who may see what of a record.
//!
//! A confidential facility (shelters, unless marked otherwise) shows its exact
//! location, address and phone only to authorised callers. Everyone else sees it only
//! in aggregate (counts) or, in a nearest answer, as a masked entry: name of the
//! sector, a distance band and the nearest public hotline — never a coordinate.
//! Every response that carries facilities is built through here.

use crate::model::geojson::FeatureTag;
use crate::model::{Facility, Language, Sector, Service, Status};
use serde::Serialize;

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Viewer {
    /// Anonymous / public.
    Public,
    /// A caseworker or above.
    Authorised,
}

impl Viewer {
    /// What a caller with `role` may see: caseworkers and above see confidential details.
    pub fn of(role: crate::model::Role) -> Self {
        if role >= crate::model::Role::Caseworker {
            Viewer::Authorised
        } else {
            Viewer::Public
        }
    }

    /// Whether this viewer may see the exact details of `facility`.
    pub fn sees(self, facility: &Facility) -> bool {
        self.may_see(facility.confidential)
    }

    /// Whether this viewer may see the exact details of a facility that is (or is not)
    /// confidential.
    pub fn may_see(self, confidential: bool) -> bool {
        !confidential || self == Viewer::Authorised
    }
}

/// Distance bands shown instead of an exact distance to a confidential facility.
const BANDS_KM: &[f64] = &[10.0, 25.0, 50.0, 100.0, 250.0];

/// The H3 resolution of a confidential facility's public anchor: cells of about
/// 1,770 km² (≈ 22 km edge), about a district.
pub const ANCHOR_RESOLUTION: h3o::Resolution = h3o::Resolution::Four;

/// Where the public's answers place a confidential facility: the centre of its H3
/// resolution-4 cell, never the facility itself. Bands measured to the anchor can be
/// traced with many queries only back to the anchor — a district-sized cell, the same
/// as "there is a shelter in this district" — not to the house.
pub fn public_anchor(lon: f64, lat: f64) -> (f64, f64) {
    match h3o::LatLng::new(lat, lon) {
        Ok(ll) => {
            let centre = h3o::LatLng::from(ll.to_cell(ANCHOR_RESOLUTION));
            (centre.lng(), centre.lat())
        }
        // Validated records have valid coordinates; an invalid one gives no anchor.
        Err(_) => (0.0, 0.0),
    }
}

/// The band a distance falls in, in km: from the band's lower bound to its upper one
/// (inclusive), or to no bound past the last.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DistanceBand {
    /// Lower bound, km (exclusive, except 0).
    pub from_km: f64,
    /// Upper bound, km (inclusive); null: farther than `from_km`.
    pub to_km: Option<f64>,
}

impl DistanceBand {
    /// The band of `distance_m`.
    pub fn of(distance_m: f64) -> Self {
        let km = distance_m / 1000.0;
        let mut from_km = 0.0;
        for &upper in BANDS_KM {
            if km <= upper {
                return Self {
                    from_km,
                    to_km: Some(upper),
                };
            }
            from_km = upper;
        }
        Self {
            from_km,
            to_km: None,
        }
    }
}

/// The band a distance falls in, in words, e.g. `"10–25 km"`.
pub fn distance_band(distance_m: f64) -> String {
    match DistanceBand::of(distance_m) {
        DistanceBand {
            from_km,
            to_km: Some(to_km),
        } => format!("{from_km}–{to_km} km"),
        DistanceBand { from_km, .. } => format!("more than {from_km} km"),
    }
}

/// The public stand-in for a confidential facility: no geometry, no address, no phone,
/// no name (a name often gives the place away), only what helps reach it via a hotline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MaskedFeature {
    /// Always `"Feature"`.
    #[serde(rename = "type")]
    pub kind: FeatureTag,
    /// Always null: the place is not shown.
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<()>,
    /// What the public may know of the service.
    pub properties: MaskedProperties,
}

/// What the public may know of a confidential service.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MaskedProperties {
    /// Sectors served.
    pub sectors: Vec<Sector>,
    /// Services offered.
    pub services: Vec<Service>,
    /// Always true.
    pub confidential: bool,
    /// Always "Confidential shelter".
    pub name: &'static str,
    /// The nearest public hotline's phone, the way to reach the service.
    pub hotline: Option<String>,
    /// Languages spoken.
    pub languages: Vec<Language>,
    /// Female staff available.
    pub female_staff: bool,
    /// Child-friendly.
    pub child_friendly: bool,
    /// Wheelchair accessible.
    pub wheelchair_access: bool,
    /// Free of charge.
    pub free_of_charge: bool,
    /// Serves survivors without a police report.
    pub no_police_report_required: bool,
    /// Whether it takes survivors now.
    pub status: Status,
    /// Synthetic demonstration record.
    pub demo: bool,
}

/// The masked form of `facility`, reached through `hotline`.
pub fn masked_feature(facility: &Facility, hotline: Option<&str>) -> MaskedFeature {
    MaskedFeature {
        kind: FeatureTag::Feature,
        geometry: None,
        properties: MaskedProperties {
            sectors: facility.sectors.clone(),
            services: facility.services.clone(),
            confidential: true,
            name: "Confidential shelter",
            hotline: hotline.map(str::to_string),
            languages: facility.languages.clone(),
            female_staff: facility.female_staff,
            child_friendly: facility.child_friendly,
            wheelchair_access: facility.wheelchair_access,
            free_of_charge: facility.free_of_charge,
            no_police_report_required: facility.no_police_report_required,
            status: facility.status,
            demo: facility.demo,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_inclusive_at_the_top() {
        assert_eq!(distance_band(3_000.0), "0–10 km");
        assert_eq!(distance_band(10_000.0), "0–10 km");
        assert_eq!(distance_band(10_001.0), "10–25 km");
        assert_eq!(distance_band(900_000.0), "more than 250 km");
    }

    #[test]
    fn anchors_are_cell_centres_not_the_facility() {
        let (lon, lat) = (69.279_123, 41.311_456);
        let (alon, alat) = public_anchor(lon, lat);
        let d = crate::spatial::geodesy::geodesic_m(lon, lat, alon, alat);
        // Inside its resolution-4 cell (circumradius ≈ 26 km), and not on the spot.
        assert!(d > 1.0 && d < 30_000.0, "{d}");
        // Every point of the same cell has the same anchor.
        let cell = h3o::LatLng::new(lat, lon)
            .unwrap()
            .to_cell(ANCHOR_RESOLUTION);
        let centre = h3o::LatLng::from(cell);
        assert_eq!(
            public_anchor(centre.lng() + 0.001, centre.lat()),
            (alon, alat)
        );
    }
}
