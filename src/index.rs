//! The in-memory spatial index of facilities: one R*-tree per sector over 3-D unit
//! vectors, and the exact geodesic search on top of it.
//!
//! The geometry is [`PointIndex`]'s: candidates in great-circle order, exact WGS84
//! geodesics for the few that can still win, so every answer equals an exhaustive
//! geodesic scan (ties broken by id), anywhere on Earth. This module adds the sectors,
//! the survivor-need filters and the facility records.
//!
//! An index is immutable: writers build a new one and swap it in (see
//! [`crate::registry`]), so readers never wait.

use crate::model::{Facility, Language, Sector, Service, Status};
use crate::points::PointIndex;
use std::collections::HashMap;
use std::sync::Arc;

/// What a survivor needs from a service; an empty filter accepts every active one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Every one of these services must be offered.
    pub services: Vec<Service>,
    /// Open 24 hours, 7 days.
    pub open_24_7: bool,
    /// At least one of these languages must be spoken (none: any).
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
    /// Accepted statuses; by default only active services.
    pub statuses: Vec<Status>,
    /// Leave confidential facilities out (what the public's searches use).
    pub public_only: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            services: Vec::new(),
            open_24_7: false,
            languages: Vec::new(),
            female_staff: false,
            child_friendly: false,
            wheelchair_access: false,
            free_of_charge: false,
            no_police_report_required: false,
            statuses: vec![Status::Active],
            public_only: false,
        }
    }
}

/// Precomputed filter attributes of one facility.
#[derive(Debug, Clone, Copy)]
struct Traits {
    services: u16,
    languages: u16,
    flags: u8,
    open_24_7: bool,
    status: Status,
    confidential: bool,
}

/// The five eligibility flags as bits, in one fixed order (a facility's, or a filter's).
fn flag_bits(flags: [bool; 5]) -> u8 {
    flags
        .iter()
        .enumerate()
        .fold(0, |bits, (i, &on)| bits | (u8::from(on) << i))
}

fn service_bits(services: &[Service]) -> u16 {
    services.iter().fold(0, |m, s| m | s.bit())
}

fn language_bits(languages: &[Language]) -> u16 {
    languages.iter().fold(0, |m, l| m | l.bit())
}

impl Traits {
    fn of(f: &Facility) -> Self {
        Self {
            services: service_bits(&f.services),
            languages: language_bits(&f.languages),
            flags: flag_bits([
                f.female_staff,
                f.child_friendly,
                f.wheelchair_access,
                f.free_of_charge,
                f.no_police_report_required,
            ]),
            open_24_7: f.hours().is_some_and(|h| h.is_24_7()),
            status: f.status,
            confidential: f.confidential,
        }
    }
}

/// A filter compiled to bit masks.
struct Compiled {
    services: u16,
    languages: u16,
    flags: u8,
    open_24_7: bool,
    statuses: Vec<Status>,
    public_only: bool,
}

impl Compiled {
    fn new(f: &Filter) -> Self {
        Self {
            services: service_bits(&f.services),
            languages: language_bits(&f.languages),
            flags: flag_bits([
                f.female_staff,
                f.child_friendly,
                f.wheelchair_access,
                f.free_of_charge,
                f.no_police_report_required,
            ]),
            open_24_7: f.open_24_7,
            statuses: f.statuses.clone(),
            public_only: f.public_only,
        }
    }

    fn accepts(&self, t: &Traits) -> bool {
        t.services & self.services == self.services
            && (self.languages == 0 || t.languages & self.languages != 0)
            && t.flags & self.flags == self.flags
            && (!self.open_24_7 || t.open_24_7)
            && self.statuses.contains(&t.status)
            && !(self.public_only && t.confidential)
    }
}

/// One answer: a facility of a sector and its exact geodesic distance.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The sector this answer is for.
    pub sector: Sector,
    /// The facility.
    pub facility: Arc<Facility>,
    /// Geodesic distance from the query point, metres.
    pub distance_m: f64,
}

/// One sector's facilities: their points, and each point's facility; and the public
/// anchors of its confidential facilities (see [`crate::visibility::public_anchor`]).
struct SectorIndex {
    points: PointIndex,
    members: Vec<u32>,
    anchors: PointIndex,
    anchored: Vec<u32>,
}

/// An immutable snapshot of every facility, searchable by sector.
pub struct ServiceIndex {
    facilities: Vec<Arc<Facility>>,
    traits: Vec<Traits>,
    by_id: HashMap<String, u32>,
    sectors: Vec<SectorIndex>,
    version: i64,
}

impl ServiceIndex {
    /// Builds the index of `facilities` at data version `version`.
    pub fn build(facilities: Vec<Arc<Facility>>, version: i64) -> Self {
        let traits = facilities.iter().map(|f| Traits::of(f)).collect();
        let by_id = facilities
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id.clone(), i as u32))
            .collect();
        let sectors = Sector::ALL
            .iter()
            .map(|&sector| {
                let members: Vec<u32> = (0..facilities.len() as u32)
                    .filter(|&i| facilities[i as usize].has_sector(sector))
                    .collect();
                let points = members
                    .iter()
                    .map(|&i| (facilities[i as usize].lon, facilities[i as usize].lat))
                    .collect();
                let anchored: Vec<u32> = members
                    .iter()
                    .copied()
                    .filter(|&i| facilities[i as usize].confidential)
                    .collect();
                let anchors = anchored
                    .iter()
                    .map(|&i| crate::visibility::public_anchor(&facilities[i as usize]))
                    .collect();
                SectorIndex {
                    points: PointIndex::new(points),
                    members,
                    anchors: PointIndex::new(anchors),
                    anchored,
                }
            })
            .collect();
        Self {
            facilities,
            traits,
            by_id,
            sectors,
            version,
        }
    }

    /// An index with nothing in it.
    pub fn empty() -> Self {
        Self::build(Vec::new(), 0)
    }

    /// The data version this snapshot reflects.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Every facility, in no particular order.
    pub fn facilities(&self) -> &[Arc<Facility>] {
        &self.facilities
    }

    /// The facility with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Facility>> {
        self.by_id.get(id).map(|&i| &self.facilities[i as usize])
    }

    /// How many facilities serve `sector`.
    pub fn count(&self, sector: Sector) -> usize {
        self.sectors[sector.index()].members.len()
    }

    /// The `k` nearest facilities of `sector` that pass `filter`, nearest first, by exact
    /// geodesic distance (ties by id).
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        sector: Sector,
        k: usize,
        filter: &Filter,
    ) -> Vec<Hit> {
        let s = &self.sectors[sector.index()];
        let filter = Compiled::new(filter);
        let found = s.points.nearest(
            lon,
            lat,
            k,
            |p| filter.accepts(&self.traits[s.members[p as usize] as usize]),
            |a, b| self.facility(s, a).id.cmp(&self.facility(s, b).id),
        );
        self.hits(s, sector, found)
    }

    /// Every facility of `sector` passing `filter` within `radius_m` (geodesic,
    /// inclusive), nearest first.
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        sector: Sector,
        radius_m: f64,
        filter: &Filter,
    ) -> Vec<Hit> {
        let s = &self.sectors[sector.index()];
        let filter = Compiled::new(filter);
        let found = s.points.within(
            lon,
            lat,
            radius_m,
            |p| filter.accepts(&self.traits[s.members[p as usize] as usize]),
            |a, b| self.facility(s, a).id.cmp(&self.facility(s, b).id),
        );
        self.hits(s, sector, found)
    }

    /// For the public: the confidential facility of `sector` passing `filter` whose
    /// public anchor is nearest to (`lon`, `lat`), with the exact geodesic distance to
    /// that anchor (never to the facility).
    pub fn nearest_anchor(
        &self,
        lon: f64,
        lat: f64,
        sector: Sector,
        filter: &Filter,
    ) -> Option<(&Arc<Facility>, f64)> {
        let s = &self.sectors[sector.index()];
        let filter = Compiled::new(&Filter {
            public_only: false,
            ..filter.clone()
        });
        let member = |p: u32| s.anchored[p as usize] as usize;
        s.anchors
            .nearest(
                lon,
                lat,
                1,
                |p| filter.accepts(&self.traits[member(p)]),
                |a, b| {
                    self.facilities[member(a)]
                        .id
                        .cmp(&self.facilities[member(b)].id)
                },
            )
            .into_iter()
            .next()
            .map(|(d, p)| (&self.facilities[member(p)], d))
    }

    fn facility(&self, s: &SectorIndex, point: u32) -> &Arc<Facility> {
        &self.facilities[s.members[point as usize] as usize]
    }

    fn hits(&self, s: &SectorIndex, sector: Sector, ranked: Vec<(f64, u32)>) -> Vec<Hit> {
        ranked
            .into_iter()
            .map(|(distance_m, p)| Hit {
                sector,
                facility: self.facility(s, p).clone(),
                distance_m,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(id: &str, sector: Sector, lon: f64, lat: f64) -> Arc<Facility> {
        let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": id, "name": id, "sectors": [sector.as_str()], "country": "KZ"}});
        Arc::new(Facility::from_feature(&feature).unwrap())
    }

    #[test]
    fn finds_across_the_antimeridian_and_near_the_pole() {
        let index = ServiceIndex::build(
            vec![
                facility("east", Sector::Health, 179.9, 0.0),
                facility("west", Sector::Health, -179.7, 0.0),
                facility("far", Sector::Health, 170.0, 0.0),
                facility("pole", Sector::Police, 10.0, 89.9),
                facility("pole2", Sector::Police, -170.0, 89.95),
            ],
            1,
        );
        let hits = index.nearest(-179.95, 0.0, Sector::Health, 2, &Filter::default());
        assert_eq!(hits[0].facility.id, "east");
        assert_eq!(hits[1].facility.id, "west");
        let hits = index.nearest(100.0, 89.99, Sector::Police, 1, &Filter::default());
        assert_eq!(hits[0].facility.id, "pole2");
        assert!(
            index
                .within(-179.95, 0.0, Sector::Health, 30_000.0, &Filter::default())
                .len()
                == 2
        );
    }

    #[test]
    fn filters_and_status() {
        let mut closed = (*facility("a", Sector::Health, 0.0, 0.0)).clone();
        closed.status = Status::TemporarilyClosed;
        let index = ServiceIndex::build(
            vec![Arc::new(closed), facility("b", Sector::Health, 1.0, 0.0)],
            1,
        );
        assert_eq!(
            index.nearest(0.0, 0.0, Sector::Health, 1, &Filter::default())[0]
                .facility
                .id,
            "b"
        );
        let with_closed = Filter {
            statuses: vec![Status::Active, Status::TemporarilyClosed],
            ..Filter::default()
        };
        assert_eq!(
            index.nearest(0.0, 0.0, Sector::Health, 1, &with_closed)[0]
                .facility
                .id,
            "a"
        );
        let pep = Filter {
            services: vec![Service::CmrPep],
            ..Filter::default()
        };
        assert!(index.nearest(0.0, 0.0, Sector::Health, 1, &pep).is_empty());
    }
}
