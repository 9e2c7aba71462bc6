//! The live snapshot of the facilities: per sector a k-d tree over 3-D unit vectors
//! (public, confidential and anchor sites apart), and the exact geodesic search with the
//! survivor-need filters on top of it.
//!
//! The geometry is [`IdTree`]'s: candidates in great-circle order, exact WGS84
//! geodesics for the few that can still win, so every answer equals an exhaustive
//! geodesic scan (ties broken by id), anywhere on Earth. This module adds the sectors,
//! the survivor-need filters and the facility records.
//!
//! The records themselves are kept compactly ([`crate::index::records`]). An index is
//! immutable: writers make the next one ([`ServiceIndex::apply`], sharing what did not
//! change) and swap it in (see [`crate::registry`]), so readers never wait.

mod codec;
pub mod records;

use crate::model::{Facility, Language, Sector, Service, Status};
use crate::spatial::points::IdTree;
use records::{RecordRef, Records, Summary, eligibility_bits};
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
    /// Only facilities of this country (ISO 3166-1 alpha-2, upper case); none: any.
    pub country: Option<[u8; 2]>,
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
            country: None,
        }
    }
}

/// A filter compiled to bit masks.
struct Compiled {
    services: u16,
    languages: u16,
    eligibility: u8,
    open_24_7: bool,
    statuses: Vec<Status>,
    public_only: bool,
    country: Option<[u8; 2]>,
}

impl Compiled {
    fn new(f: &Filter) -> Self {
        Self {
            services: f.services.iter().fold(0, |m, s| m | s.bit()),
            languages: f.languages.iter().fold(0, |m, l| m | l.bit()),
            eligibility: eligibility_bits([
                f.female_staff,
                f.child_friendly,
                f.wheelchair_access,
                f.free_of_charge,
                f.no_police_report_required,
            ]),
            open_24_7: f.open_24_7,
            statuses: f.statuses.clone(),
            public_only: f.public_only,
            country: f.country,
        }
    }

    fn accepts(&self, t: &Summary) -> bool {
        t.live()
            && t.services & self.services == self.services
            && (self.languages == 0 || t.languages & self.languages != 0)
            && t.eligibility & self.eligibility == self.eligibility
            && (!self.open_24_7 || t.open_24_7())
            && self.statuses.contains(&t.status)
            && !(self.public_only && t.confidential())
            && self.country.is_none_or(|c| t.country == c)
    }
}

/// One answer: a facility of a sector and its exact geodesic distance.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    /// The sector this answer is for.
    pub sector: Sector,
    /// The facility (decode it with [`RecordRef::decode`]).
    pub record: RecordRef<'a>,
    /// Geodesic distance from the query point, metres.
    pub distance_m: f64,
}

impl Hit<'_> {
    /// The full facility record.
    pub fn facility(&self) -> Facility {
        self.record.decode()
    }
}

/// One sector's facilities as points identified by their record slots, the public ones
/// and the confidential ones apart (a public search never walks past confidential
/// facilities, however many there are); and the public anchors of the confidential ones
/// (see [`crate::visibility::public_anchor`]), each anchor once.
struct SectorIndex {
    open: IdTree,
    hidden: IdTree,
    /// Points are indices into `anchor_sites`.
    anchors: IdTree,
    /// Per anchor: its coordinates and the confidential facilities there, by id.
    anchor_sites: Vec<AnchorSite>,
}

/// A public anchor (longitude, latitude) and the confidential facilities there.
type AnchorSite = ((f64, f64), Vec<u32>);

impl SectorIndex {
    fn build(records: &Records, sector: Sector) -> Self {
        let (mut open, mut hidden) = (Vec::new(), Vec::new());
        let mut at_anchor: HashMap<(u64, u64), AnchorSite> = HashMap::new();
        for r in records.iter().filter(|r| r.has_sector(sector)) {
            let (lon, lat) = r.lonlat();
            if !r.summary().confidential() {
                open.push((r.slot(), lon, lat));
                continue;
            }
            hidden.push((r.slot(), lon, lat));
            let anchor = crate::visibility::public_anchor(lon, lat);
            at_anchor
                .entry((anchor.0.to_bits(), anchor.1.to_bits()))
                .or_insert_with(|| (anchor, Vec::new()))
                .1
                .push(r.slot());
        }
        let mut anchor_sites: Vec<AnchorSite> = at_anchor.into_values().collect();
        let id = |slot: u32| records.get(slot).map_or("", |r| r.id());
        for (_, slots) in &mut anchor_sites {
            slots.sort_by(|&a, &b| id(a).cmp(id(b)));
        }
        anchor_sites.sort_by(|a, b| id(a.1[0]).cmp(id(b.1[0])));
        Self {
            open: IdTree::new(open),
            hidden: IdTree::new(hidden),
            anchors: IdTree::new(
                anchor_sites
                    .iter()
                    .enumerate()
                    .map(|(i, ((lon, lat), _))| (i as u32, *lon, *lat)),
            ),
            anchor_sites,
        }
    }

    /// The trees a search with `filter` looks in.
    fn trees(&self, filter: &Filter) -> impl Iterator<Item = &IdTree> {
        std::iter::once(&self.open).chain((!filter.public_only).then_some(&self.hidden))
    }
}

/// An immutable snapshot of every facility, searchable by sector.
pub struct ServiceIndex {
    records: Records,
    /// Per sector ([`Sector::ALL`] order); shared with the previous snapshot when a
    /// change did not touch the sector.
    sectors: Vec<Arc<SectorIndex>>,
    version: i64,
}

impl ServiceIndex {
    /// Builds the index of `facilities` (any order; a repeated id keeps the last) at
    /// data version `version`.
    pub fn build(facilities: impl IntoIterator<Item = Facility>, version: i64) -> Self {
        Self::of_records(Records::build(facilities), version)
    }

    /// The index of a records table at data version `version`.
    pub fn of_records(records: Records, version: i64) -> Self {
        let sectors = Sector::ALL
            .iter()
            .map(|&sector| Arc::new(SectorIndex::build(&records, sector)))
            .collect();
        Self {
            records,
            sectors,
            version,
        }
    }

    /// An index with nothing in it.
    pub fn empty() -> Self {
        Self::build(Vec::new(), 0)
    }

    /// The next snapshot, at `version`: `upserts` replace (or add) the records with
    /// their ids, `deletes` are removed. Only the sectors the changes touch are indexed
    /// again; the rest, and unchanged records, are shared with this snapshot.
    pub fn apply(&self, upserts: Vec<Facility>, deletes: &[String], version: i64) -> Self {
        let (records, touched) = self.records.apply(upserts, deletes);
        if records.needs_compaction() {
            return Self::of_records(records.compacted(), version);
        }
        let mut sectors_touched = 0u8;
        for &slot in &touched {
            sectors_touched |= self.records.sectors_of(slot) | records.sectors_of(slot);
        }
        let sectors = Sector::ALL
            .iter()
            .map(|&sector| {
                if sectors_touched & (1 << sector.index()) != 0 {
                    Arc::new(SectorIndex::build(&records, sector))
                } else {
                    self.sectors[sector.index()].clone()
                }
            })
            .collect();
        Self {
            records,
            sectors,
            version,
        }
    }

    /// Bytes held: (encoded records, per-record bookkeeping, shared values, spatial
    /// index). For sizing.
    pub fn heap_bytes(&self) -> [usize; 4] {
        let (encoded, bookkeeping, shared) = self.records.heap_bytes();
        let spatial = self
            .sectors
            .iter()
            .map(|s| s.open.heap_bytes() + s.hidden.heap_bytes() + s.anchors.heap_bytes())
            .sum();
        [encoded, bookkeeping, shared, spatial]
    }

    /// The data version this snapshot reflects.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// How many facilities.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Every facility, in id order (decode each with [`RecordRef::decode`]).
    pub fn facilities(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + '_ {
        self.records.iter()
    }

    /// The facility with this id.
    pub fn get(&self, id: &str) -> Option<Facility> {
        self.records.find(id).map(|r| r.decode())
    }

    /// How many facilities serve `sector`.
    pub fn count(&self, sector: Sector) -> usize {
        let s = &self.sectors[sector.index()];
        s.open.len() + s.hidden.len()
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
    ) -> Vec<Hit<'_>> {
        let s = &self.sectors[sector.index()];
        let compiled = Compiled::new(filter);
        let by_id = |a: u32, b: u32| self.id(a).cmp(self.id(b));
        let mut found: Vec<(f64, u32)> = Vec::with_capacity(2 * k);
        for tree in s.trees(filter) {
            found.extend(tree.nearest(
                lon,
                lat,
                k,
                |slot| self.lonlat(slot),
                |slot| compiled.accepts(self.records.summary(slot)),
                by_id,
            ));
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| by_id(a.1, b.1)));
        found.truncate(k);
        self.hits(sector, found)
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
    ) -> Vec<Hit<'_>> {
        let s = &self.sectors[sector.index()];
        let compiled = Compiled::new(filter);
        let by_id = |a: u32, b: u32| self.id(a).cmp(self.id(b));
        let mut found: Vec<(f64, u32)> = Vec::new();
        for tree in s.trees(filter) {
            found.extend(tree.within(
                lon,
                lat,
                radius_m,
                |slot| self.lonlat(slot),
                |slot| compiled.accepts(self.records.summary(slot)),
                by_id,
            ));
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| by_id(a.1, b.1)));
        self.hits(sector, found)
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
    ) -> Option<(RecordRef<'_>, f64)> {
        let s = &self.sectors[sector.index()];
        let filter = Compiled::new(&Filter {
            public_only: false,
            ..filter.clone()
        });
        // The first facility (by id) at an anchor that passes the filter.
        let first = |anchor: u32| {
            s.anchor_sites[anchor as usize]
                .1
                .iter()
                .copied()
                .find(|&slot| filter.accepts(self.records.summary(slot)))
        };
        let (d, anchor) = s
            .anchors
            .nearest(
                lon,
                lat,
                1,
                |anchor| s.anchor_sites[anchor as usize].0,
                |anchor| first(anchor).is_some(),
                |a, b| {
                    let id = |anchor| first(anchor).map_or("", |slot| self.id(slot));
                    id(a).cmp(id(b))
                },
            )
            .into_iter()
            .next()?;
        Some((self.records.get(first(anchor)?)?, d))
    }

    /// A test of record slots against `filter` (for searches that find candidates by
    /// other means, e.g. travel time): the record at a slot when it serves `sector` and
    /// passes the filter.
    pub fn matcher<'a>(
        &'a self,
        filter: &Filter,
    ) -> impl Fn(u32, Sector) -> Option<RecordRef<'a>> + 'a {
        let compiled = Compiled::new(filter);
        move |slot, sector| {
            let r = self.records.get(slot)?;
            (r.has_sector(sector) && compiled.accepts(r.summary())).then_some(r)
        }
    }

    fn id(&self, slot: u32) -> &str {
        self.records.get(slot).map_or("", |r| r.id())
    }

    fn lonlat(&self, slot: u32) -> (f64, f64) {
        self.records
            .get(slot)
            .map_or((f64::NAN, f64::NAN), |r| r.lonlat())
    }

    fn hits(&self, sector: Sector, ranked: Vec<(f64, u32)>) -> Vec<Hit<'_>> {
        ranked
            .into_iter()
            .filter_map(|(distance_m, slot)| {
                Some(Hit {
                    sector,
                    record: self.records.get(slot)?,
                    distance_m,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(id: &str, sector: Sector, lon: f64, lat: f64) -> Facility {
        let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"id": id, "name": id, "sectors": [sector.as_str()], "country": "KZ"}});
        Facility::from_feature(&feature).unwrap()
    }

    /// Public and confidential facilities are searched apart: the public's nearest skips
    /// any number of confidential ones; everyone else sees both, merged by distance;
    /// confidential facilities sharing an anchor are one anchor point, answered by the
    /// first id there.
    #[test]
    fn public_searches_skip_confidential_facilities_and_anchors_are_shared() {
        let mut facilities: Vec<Facility> = (0..300)
            .map(|i| {
                let mut f = facility(
                    &format!("hidden-{i:03}"),
                    Sector::Shelter,
                    69.60 + f64::from(i) * 1e-4,
                    42.30,
                );
                f.confidential = true;
                f
            })
            .collect();
        let mut open = facility("open", Sector::Shelter, 71.0, 43.0);
        open.confidential = false;
        facilities.push(open);
        let index = ServiceIndex::build(facilities, 1);
        let public = Filter {
            public_only: true,
            ..Filter::default()
        };
        let near = index.nearest(69.6, 42.3, Sector::Shelter, 2, &public);
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].record.id(), "open");
        assert!(
            index
                .within(69.6, 42.3, Sector::Shelter, 20_000.0, &public)
                .is_empty()
        );
        let all = index.nearest(69.6, 42.3, Sector::Shelter, 3, &Filter::default());
        let ids: Vec<&str> = all.iter().map(|h| h.record.id()).collect();
        assert_eq!(ids, ["hidden-000", "hidden-001", "hidden-002"]);
        let (record, _) = index
            .nearest_anchor(69.6, 42.3, Sector::Shelter, &public)
            .unwrap();
        assert_eq!(record.id(), "hidden-000");
        let s = &index.sectors[Sector::Shelter.index()];
        assert_eq!((s.open.len(), s.hidden.len()), (1, 300));
        assert!(s.anchors.len() <= 2, "{} anchors", s.anchors.len());
        assert_eq!(index.count(Sector::Shelter), 301);
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
        assert_eq!(hits[0].record.id(), "east");
        assert_eq!(hits[1].record.id(), "west");
        let hits = index.nearest(100.0, 89.99, Sector::Police, 1, &Filter::default());
        assert_eq!(hits[0].record.id(), "pole2");
        assert!(
            index
                .within(-179.95, 0.0, Sector::Health, 30_000.0, &Filter::default())
                .len()
                == 2
        );
    }

    #[test]
    fn apply_moves_records_between_sectors_and_removes_them() {
        let index = ServiceIndex::build(
            vec![
                facility("a", Sector::Health, 10.0, 10.0),
                facility("b", Sector::Health, 11.0, 10.0),
                facility("c", Sector::Police, 50.0, 10.0),
            ],
            1,
        );
        let near = |index: &ServiceIndex, sector| {
            index
                .nearest(10.0, 10.0, sector, 1, &Filter::default())
                .first()
                .map(|h| h.record.id().to_string())
        };
        let moved = facility("a", Sector::Police, 10.0, 10.0);
        let next = index.apply(vec![moved], &["c".into()], 2);
        assert_eq!(next.version(), 2);
        assert_eq!(next.len(), 2);
        assert_eq!(near(&next, Sector::Health).as_deref(), Some("b"));
        assert_eq!(near(&next, Sector::Police).as_deref(), Some("a"));
        assert_eq!(
            (next.count(Sector::Health), next.count(Sector::Police)),
            (1, 1)
        );
        assert!(next.get("c").is_none());
        // The old snapshot is untouched.
        assert_eq!(near(&index, Sector::Health).as_deref(), Some("a"));
        assert_eq!(near(&index, Sector::Police).as_deref(), Some("c"));
    }

    #[test]
    fn filters_and_status() {
        let mut closed = facility("a", Sector::Health, 0.0, 0.0);
        closed.status = Status::TemporarilyClosed;
        let index = ServiceIndex::build(vec![closed, facility("b", Sector::Health, 1.0, 0.0)], 1);
        assert_eq!(
            index.nearest(0.0, 0.0, Sector::Health, 1, &Filter::default())[0]
                .record
                .id(),
            "b"
        );
        let with_closed = Filter {
            statuses: vec![Status::Active, Status::TemporarilyClosed],
            ..Filter::default()
        };
        assert_eq!(
            index.nearest(0.0, 0.0, Sector::Health, 1, &with_closed)[0]
                .record
                .id(),
            "a"
        );
        let pep = Filter {
            services: vec![Service::CmrPep],
            ..Filter::default()
        };
        assert!(index.nearest(0.0, 0.0, Sector::Health, 1, &pep).is_empty());
    }
}
