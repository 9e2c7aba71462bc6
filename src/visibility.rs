//! The one place that decides who may see what of a record.
//!
//! A confidential facility (shelters, unless marked otherwise) shows its exact
//! location, address and phone only to authorised callers. Everyone else sees it only
//! in aggregate (counts) or, in a nearest answer, as a masked entry: name of the
//! sector, a distance band and the nearest public hotline — never a coordinate.
//! Every response that carries facilities is built through here.

use crate::model::Facility;
use serde_json::{Value, json};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Anonymous / public.
    Public,
    /// A caseworker or above.
    Authorised,
}

impl Viewer {
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
const BANDS_KM: &[f64] = &[5.0, 10.0, 25.0, 50.0, 100.0, 250.0];

/// The band a distance falls in, e.g. `"10–25 km"`.
pub fn distance_band(distance_m: f64) -> String {
    let km = distance_m / 1000.0;
    let mut lower = 0.0;
    for &upper in BANDS_KM {
        if km <= upper {
            return format!("{lower}–{upper} km");
        }
        lower = upper;
    }
    format!("more than {lower} km")
}

/// The public stand-in for a confidential facility: no geometry, no address, no phone,
/// no name (a name often gives the place away), only what helps reach it via a hotline.
pub fn masked_feature(facility: &Facility, hotline: Option<&str>) -> Value {
    json!({
        "type": "Feature",
        "geometry": null,
        "properties": {
            "sectors": facility.sectors,
            "services": facility.services,
            "confidential": true,
            "name": "Confidential shelter",
            "hotline": hotline,
            "languages": facility.languages,
            "female_staff": facility.female_staff,
            "child_friendly": facility.child_friendly,
            "wheelchair_access": facility.wheelchair_access,
            "free_of_charge": facility.free_of_charge,
            "no_police_report_required": facility.no_police_report_required,
            "status": facility.status,
            "demo": facility.demo,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_inclusive_at_the_top() {
        assert_eq!(distance_band(3_000.0), "0–5 km");
        assert_eq!(distance_band(5_000.0), "0–5 km");
        assert_eq!(distance_band(5_001.0), "5–10 km");
        assert_eq!(distance_band(900_000.0), "more than 250 km");
    }
}
