//! The in-memory spatial index of facilities: one R*-tree per sector over 3-D unit
//! vectors, and the exact geodesic search on top of it.
//!
//! Candidates come out of the tree in chord (great-circle) order; each passing the
//! filter gets its exact WGS84 geodesic distance, and the search stops once the next
//! candidate's sphere distance × [`GEODESIC_OVER_SPHERE_MIN`] exceeds the k-th best
//! geodesic found. The answer therefore equals an exhaustive geodesic scan (ties are
//! broken by id), anywhere on Earth, at the cost of a handful of geodesics per query.
//!
//! An index is immutable: writers build a new one and swap it in (see
//! [`crate::registry`]), so readers never wait.

use crate::geodesy::{
    GEODESIC_OVER_SPHERE_MIN, chord2_from_sphere_m, geodesic_lower_bound, geodesic_m,
    sphere_m_from_chord2, unit_vector,
};
use crate::model::{Facility, Language, Sector, Service, Status};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;
use std::sync::Arc;

type Entry = GeomWithData<[f64; 3], u32>;

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
}

const FEMALE_STAFF: u8 = 1;
const CHILD_FRIENDLY: u8 = 2;
const WHEELCHAIR: u8 = 4;
const FREE: u8 = 8;
const NO_POLICE_REPORT: u8 = 16;

impl Traits {
    fn of(f: &Facility) -> Self {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        Self {
            services: f.services.iter().fold(0, |m, s| m | s.bit()),
            languages: f.languages.iter().fold(0, |m, l| m | l.bit()),
            flags: flag(f.female_staff, FEMALE_STAFF)
                | flag(f.child_friendly, CHILD_FRIENDLY)
                | flag(f.wheelchair_access, WHEELCHAIR)
                | flag(f.free_of_charge, FREE)
                | flag(f.no_police_report_required, NO_POLICE_REPORT),
            open_24_7: f.hours().is_some_and(|h| h.is_24_7()),
            status: f.status,
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
}

impl Compiled {
    fn new(f: &Filter) -> Self {
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        Self {
            services: f.services.iter().fold(0, |m, s| m | s.bit()),
            languages: f.languages.iter().fold(0, |m, l| m | l.bit()),
            flags: flag(f.female_staff, FEMALE_STAFF)
                | flag(f.child_friendly, CHILD_FRIENDLY)
                | flag(f.wheelchair_access, WHEELCHAIR)
                | flag(f.free_of_charge, FREE)
                | flag(f.no_police_report_required, NO_POLICE_REPORT),
            open_24_7: f.open_24_7,
            statuses: f.statuses.clone(),
        }
    }

    fn accepts(&self, t: &Traits) -> bool {
        t.services & self.services == self.services
            && (self.languages == 0 || t.languages & self.languages != 0)
            && t.flags & self.flags == self.flags
            && (!self.open_24_7 || t.open_24_7)
            && self.statuses.contains(&t.status)
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

/// An immutable snapshot of every facility, searchable by sector.
pub struct ServiceIndex {
    facilities: Vec<Arc<Facility>>,
    traits: Vec<Traits>,
    by_id: HashMap<String, u32>,
    trees: Vec<RTree<Entry>>,
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
        let trees = Sector::ALL
            .iter()
            .map(|&sector| {
                let entries = facilities
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.has_sector(sector))
                    .map(|(i, f)| GeomWithData::new(unit_vector(f.lon, f.lat), i as u32))
                    .collect();
                RTree::bulk_load(entries)
            })
            .collect();
        Self {
            facilities,
            traits,
            by_id,
            trees,
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
        self.trees[sector.index()].size()
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
        if k == 0 {
            return Vec::new();
        }
        let filter = Compiled::new(filter);
        let q = unit_vector(lon, lat);
        let mut best: Vec<(f64, u32)> = Vec::with_capacity(k + 1);
        for (entry, chord2) in self.trees[sector.index()].nearest_neighbor_iter_with_distance_2(&q)
        {
            if best.len() == k && geodesic_lower_bound(sphere_m_from_chord2(chord2)) > best[k - 1].0
            {
                break;
            }
            let i = entry.data;
            if !filter.accepts(&self.traits[i as usize]) {
                continue;
            }
            let f = &self.facilities[i as usize];
            let d = geodesic_m(lon, lat, f.lon, f.lat);
            self.insert_ranked(&mut best, (d, i), k);
        }
        self.hits(sector, best)
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
        let filter = Compiled::new(filter);
        let q = unit_vector(lon, lat);
        let reach = chord2_from_sphere_m(radius_m / GEODESIC_OVER_SPHERE_MIN);
        let mut found: Vec<(f64, u32)> = self.trees[sector.index()]
            .locate_within_distance(q, reach)
            .filter(|e| filter.accepts(&self.traits[e.data as usize]))
            .filter_map(|e| {
                let f = &self.facilities[e.data as usize];
                let d = geodesic_m(lon, lat, f.lon, f.lat);
                (d <= radius_m).then_some((d, e.data))
            })
            .collect();
        found.sort_by(|a, b| self.rank(a, b));
        self.hits(sector, found)
    }

    fn rank(&self, a: &(f64, u32), b: &(f64, u32)) -> std::cmp::Ordering {
        a.0.total_cmp(&b.0).then_with(|| {
            self.facilities[a.1 as usize]
                .id
                .cmp(&self.facilities[b.1 as usize].id)
        })
    }

    fn insert_ranked(&self, best: &mut Vec<(f64, u32)>, item: (f64, u32), k: usize) {
        let at = best.partition_point(|x| self.rank(x, &item).is_lt());
        if at < k {
            best.insert(at, item);
            best.truncate(k);
        }
    }

    fn hits(&self, sector: Sector, ranked: Vec<(f64, u32)>) -> Vec<Hit> {
        ranked
            .into_iter()
            .map(|(distance_m, i)| Hit {
                sector,
                facility: self.facilities[i as usize].clone(),
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
