//! The compact in-memory form of the facility records an index snapshot holds.
//!
//! A [`Facility`] as a Rust value costs about 1.7 KB (two dozen separately allocated
//! strings, vectors and a map); a million of them would not fit the memory an instance
//! should need. Here each record is a run of bytes (varint lengths, vocabulary codes,
//! dates as day numbers) in chunks of [`CHUNK`] records, and the values that repeat
//! across records (organisation, country, admin codes, opening hours, source) are
//! stored once and referred to by number. Readers decode the few records they answer
//! with ([`RecordRef::decode`]); searches only touch a record's [`Summary`].
//!
//! A snapshot is immutable. [`Records::apply`] makes the next one: slot numbers never
//! change (a new record is appended, a deleted one leaves a dead slot), only the chunks
//! a change touches are copied, the others are shared with the previous snapshot, so a
//! catch-up costs little memory beside the snapshot readers still hold. Once a quarter
//! of the slots are dead the table is compacted.

use crate::model::{Facility, Sector, Status};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use super::codec::eligibility_bits;
use super::codec::{Reader, Strings, decode, encode};

/// Records per chunk.
pub const CHUNK: usize = 1024;

/// What searches need of a record, without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Sectors as bits (`1 << Sector::index()`).
    pub sectors: u8,
    /// Services as bits ([`Service::bit`]).
    pub services: u16,
    /// Languages as bits ([`Language::bit`]).
    pub languages: u16,
    /// The five eligibility flags as bits, in [`eligibility_bits`] order.
    pub eligibility: u8,
    /// Whether it takes survivors now (filters keep active ones by default).
    pub status: Status,
    /// [`OPEN_24_7`], [`CONFIDENTIAL`], [`DEMO`], [`LIVE`].
    bits: u8,
    /// ISO 3166-1 alpha-2 country code, upper case (`[0, 0]` when unknown): a search
    /// for the nearest service of one country (a shelter's hotline) reads it here
    /// rather than decoding every record on the way (10 bytes in all).
    pub country: [u8; 2],
}

const OPEN_24_7: u8 = 1;
const CONFIDENTIAL: u8 = 2;
const DEMO: u8 = 4;
const LIVE: u8 = 8;

impl Summary {
    fn of(f: &Facility) -> Self {
        Self {
            sectors: f.sectors.iter().fold(0, |m, s| m | 1 << s.index()),
            services: f.services.iter().fold(0, |m, s| m | s.bit()),
            languages: f.languages.iter().fold(0, |m, l| m | l.bit()),
            eligibility: eligibility_bits([
                f.female_staff,
                f.child_friendly,
                f.wheelchair_access,
                f.free_of_charge,
                f.no_police_report_required,
            ]),
            status: f.status,
            bits: LIVE
                | if f.hours().is_some_and(|h| h.is_24_7()) {
                    OPEN_24_7
                } else {
                    0
                }
                | if f.confidential { CONFIDENTIAL } else { 0 }
                | if f.demo { DEMO } else { 0 },
            country: crate::model::country_bytes(&f.country).unwrap_or([0, 0]),
        }
    }

    /// Open 24 hours, 7 days.
    pub fn open_24_7(&self) -> bool {
        self.bits & OPEN_24_7 != 0
    }

    /// Confidential (exact place for authorised callers only).
    pub fn confidential(&self) -> bool {
        self.bits & CONFIDENTIAL != 0
    }

    /// Synthetic demonstration record.
    pub fn demo(&self) -> bool {
        self.bits & DEMO != 0
    }

    /// False for a deleted record's slot.
    pub fn live(&self) -> bool {
        self.bits & LIVE != 0
    }

    /// Whether the record serves `sector`.
    pub fn has_sector(&self, sector: Sector) -> bool {
        self.sectors & (1 << sector.index()) != 0
    }

    fn dead() -> Self {
        Self {
            sectors: 0,
            services: 0,
            languages: 0,
            eligibility: 0,
            status: Status::Closed,
            bits: CONFIDENTIAL,
            country: [0, 0],
        }
    }
}

/// New contents of some slots of a chunk (`None`: the slot dies).
type SlotChanges = BTreeMap<usize, Option<(Vec<u8>, Summary)>>;

/// Up to [`CHUNK`] encoded records.
#[derive(Debug, Clone, Default)]
struct Chunk {
    bytes: Vec<u8>,
    /// End of each slot's bytes.
    ends: Vec<u32>,
    summaries: Vec<Summary>,
}

impl Chunk {
    fn slot(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    fn push(&mut self, bytes: &[u8], summary: Summary) {
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len() as u32);
        self.summaries.push(summary);
    }

    /// This chunk with some slots replaced (`None`: the slot dies).
    fn with(&self, changes: &SlotChanges) -> Chunk {
        let mut next = Chunk {
            bytes: Vec::with_capacity(self.bytes.len()),
            ends: Vec::with_capacity(self.ends.len()),
            summaries: Vec::with_capacity(self.summaries.len()),
        };
        for i in 0..self.ends.len() {
            match changes.get(&i) {
                Some(Some((bytes, summary))) => next.push(bytes, *summary),
                Some(None) => next.push(&[], Summary::dead()),
                None => next.push(self.slot(i), self.summaries[i]),
            }
        }
        next
    }
}

/// Every facility of a snapshot, compactly; slots are numbered from 0.
#[derive(Debug, Clone, Default)]
pub struct Records {
    chunks: Vec<Arc<Chunk>>,
    strings: Arc<Strings>,
    /// Live slots in id order (shared while no id comes or goes).
    by_id: Arc<Vec<u32>>,
    slots: usize,
}

/// One live record of a [`Records`] table.
#[derive(Clone, Copy)]
pub struct RecordRef<'a> {
    records: &'a Records,
    slot: u32,
    bytes: &'a [u8],
    summary: &'a Summary,
}

impl std::fmt::Debug for RecordRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordRef")
            .field("slot", &self.slot)
            .field("id", &self.id())
            .finish()
    }
}

impl<'a> RecordRef<'a> {
    /// The slot number.
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// What searches need.
    pub fn summary(&self) -> &'a Summary {
        self.summary
    }

    /// The facility's id, read without decoding the rest of the record.
    pub fn id(&self) -> &'a str {
        let mut r = Reader::new(&self.bytes[16..]);
        r.str()
    }

    /// Longitude and latitude.
    pub fn lonlat(&self) -> (f64, f64) {
        let mut r = Reader::new(self.bytes);
        (r.f64(), r.f64())
    }

    /// Whether the record serves `sector`.
    pub fn has_sector(&self, sector: Sector) -> bool {
        self.summary.has_sector(sector)
    }

    /// Sectors, in the record's order.
    pub fn sectors(&self) -> Vec<Sector> {
        Sector::ALL
            .iter()
            .copied()
            .filter(|s| self.summary.has_sector(*s))
            .collect()
    }

    /// The full record.
    pub fn decode(&self) -> Facility {
        decode(self.bytes, &self.records.strings)
    }
}

impl Records {
    /// No records.
    pub fn new() -> Self {
        Self::default()
    }

    /// Live records.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are no live records.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Slots, live and dead: every slot number is below this.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The live record in `slot`.
    pub fn get(&self, slot: u32) -> Option<RecordRef<'_>> {
        let chunk = self.chunks.get(slot as usize / CHUNK)?;
        let i = slot as usize % CHUNK;
        let summary = chunk.summaries.get(i)?;
        summary.live().then(|| RecordRef {
            records: self,
            slot,
            bytes: chunk.slot(i),
            summary,
        })
    }

    /// The summary of `slot` (a dead slot's says so).
    pub fn summary(&self, slot: u32) -> &Summary {
        &self.chunks[slot as usize / CHUNK].summaries[slot as usize % CHUNK]
    }

    /// The sector bits of `slot`'s record (0 for a dead or missing slot).
    pub fn sectors_of(&self, slot: u32) -> u8 {
        self.chunks
            .get(slot as usize / CHUNK)
            .and_then(|c| c.summaries.get(slot as usize % CHUNK))
            .map_or(0, |s| s.sectors)
    }

    /// The live record with this id.
    pub fn find(&self, id: &str) -> Option<RecordRef<'_>> {
        let at = self
            .by_id
            .binary_search_by(|&s| self.id_of(s).cmp(id))
            .ok()?;
        self.get(self.by_id[at])
    }

    fn id_of(&self, slot: u32) -> &str {
        let chunk = &self.chunks[slot as usize / CHUNK];
        let mut r = Reader::new(&chunk.slot(slot as usize % CHUNK)[16..]);
        r.str()
    }

    /// Every live record, in id order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = RecordRef<'_>> + '_ {
        self.by_id.iter().map(move |&s| {
            let chunk = &self.chunks[s as usize / CHUNK];
            let i = s as usize % CHUNK;
            RecordRef {
                records: self,
                slot: s,
                bytes: chunk.slot(i),
                summary: &chunk.summaries[i],
            }
        })
    }

    /// A table of `facilities` (any order; a repeated id keeps the last).
    pub fn build(facilities: impl IntoIterator<Item = Facility>) -> Self {
        let mut builder = RecordsBuilder::default();
        for f in facilities {
            builder.push(&f);
        }
        builder.finish()
    }

    /// Sorts the live slots by id; of repeated ids the last slot stays live.
    fn index_ids(&mut self) {
        let mut by_id: Vec<u32> = (0..self.slots as u32)
            .filter(|&s| self.summary(s).live())
            .collect();
        by_id.sort_by(|&a, &b| self.id_of(a).cmp(self.id_of(b)).then(a.cmp(&b)));
        let mut keep = Vec::with_capacity(by_id.len());
        let mut dead = Vec::new();
        for (i, &s) in by_id.iter().enumerate() {
            match by_id.get(i + 1) {
                Some(&next) if self.id_of(next) == self.id_of(s) => dead.push(s),
                _ => keep.push(s),
            }
        }
        self.by_id = Arc::new(keep);
        if !dead.is_empty() {
            let mut changes: BTreeMap<usize, SlotChanges> = BTreeMap::new();
            for s in dead {
                changes
                    .entry(s as usize / CHUNK)
                    .or_default()
                    .insert(s as usize % CHUNK, None);
            }
            for (c, slots) in changes {
                self.chunks[c] = Arc::new(self.chunks[c].with(&slots));
            }
        }
    }

    /// The next snapshot: `upserts` replace the records with their ids (or are added),
    /// `deletes` are removed (unknown ids are ignored). Returns the table and the slots
    /// whose record changed (their old and new sectors need re-indexing).
    pub fn apply(&self, upserts: Vec<Facility>, deletes: &[String]) -> (Records, Vec<u32>) {
        let mut strings = self.strings.clone();
        let mut per_chunk: BTreeMap<usize, SlotChanges> = BTreeMap::new();
        let mut touched = Vec::new();
        let mut appended: Vec<(Vec<u8>, Summary)> = Vec::new();
        let mut new_ids: HashMap<String, usize> = HashMap::new();
        for id in deletes {
            if let Some(r) = self.find(id) {
                per_chunk
                    .entry(r.slot as usize / CHUNK)
                    .or_default()
                    .insert(r.slot as usize % CHUNK, None);
                touched.push(r.slot);
            }
        }
        for f in upserts {
            let mut bytes = Vec::with_capacity(512);
            // The value table is copied only when a new value comes.
            let mut number = |t: &str| match strings.numbers.get(t) {
                Some(&n) => n,
                None => Arc::make_mut(&mut strings).number(t),
            };
            encode(&f, &mut number, &mut bytes);
            let entry = (bytes, Summary::of(&f));
            match self.find(&f.id) {
                Some(r) => {
                    per_chunk
                        .entry(r.slot as usize / CHUNK)
                        .or_default()
                        .insert(r.slot as usize % CHUNK, Some(entry));
                    touched.push(r.slot);
                }
                None => match new_ids.get(&f.id) {
                    Some(&at) => appended[at] = entry,
                    None => {
                        new_ids.insert(f.id.clone(), appended.len());
                        appended.push(entry);
                    }
                },
            }
        }
        let mut chunks = self.chunks.clone();
        for (c, slots) in &per_chunk {
            chunks[*c] = Arc::new(chunks[*c].with(slots));
        }
        let mut slots = self.slots;
        for (bytes, summary) in appended {
            if slots.is_multiple_of(CHUNK) {
                chunks.push(Arc::new(Chunk::default()));
            }
            if let Some(last) = chunks.last_mut() {
                Arc::make_mut(last).push(&bytes, summary);
            }
            touched.push(slots as u32);
            slots += 1;
        }
        let mut next = Records {
            chunks,
            strings,
            by_id: Arc::default(),
            slots,
        };
        next.by_id = if new_ids.is_empty() && deletes.is_empty() {
            self.by_id.clone()
        } else {
            // Merge the surviving order with the new slots' (sorted among themselves).
            let mut added: Vec<u32> = (self.slots as u32..slots as u32).collect();
            added.sort_by(|&a, &b| next.id_of(a).cmp(next.id_of(b)));
            let mut added = added.into_iter().peekable();
            let mut by_id = Vec::with_capacity(self.by_id.len() + added.len());
            for s in self
                .by_id
                .iter()
                .copied()
                .filter(|&s| next.summary(s).live())
            {
                while let Some(&a) = added.peek()
                    && next.id_of(a) < next.id_of(s)
                {
                    by_id.push(a);
                    added.next();
                }
                by_id.push(s);
            }
            by_id.extend(added);
            Arc::new(by_id)
        };
        (next, touched)
    }

    /// Bytes held: (encoded records, per-record bookkeeping, shared values).
    pub fn heap_bytes(&self) -> (usize, usize, usize) {
        let encoded = self.chunks.iter().map(|c| c.bytes.capacity()).sum();
        let bookkeeping = self
            .chunks
            .iter()
            .map(|c| c.ends.capacity() * 4 + c.summaries.capacity() * size_of::<Summary>())
            .sum::<usize>()
            + self.by_id.capacity() * 4;
        let shared = self
            .strings
            .list
            .iter()
            .map(|s| s.len() + 16)
            .sum::<usize>()
            * 2;
        (encoded, bookkeeping, shared)
    }

    /// Whether a quarter or more of the slots are dead.
    pub fn needs_compaction(&self) -> bool {
        self.slots >= 64 && (self.slots - self.by_id.len()) * 4 >= self.slots
    }

    /// The same live records in fresh slots (id order), with no dead slots and no
    /// values no record uses any more.
    pub fn compacted(&self) -> Records {
        Records::build(self.iter().map(|r| r.decode()))
    }
}

/// Builds a [`Records`] table one record at a time (so a million records can stream in
/// from the store without ever being held as [`Facility`] values at once).
#[derive(Debug, Default)]
pub struct RecordsBuilder {
    strings: Strings,
    chunks: Vec<Chunk>,
    bytes: Vec<u8>,
}

impl RecordsBuilder {
    /// Adds a record (any order; a repeated id keeps the last).
    pub fn push(&mut self, f: &Facility) {
        self.bytes.clear();
        let strings = &mut self.strings;
        encode(f, &mut |t| strings.number(t), &mut self.bytes);
        if self.chunks.last().is_none_or(|c| c.ends.len() == CHUNK) {
            self.chunks.push(Chunk::default());
        }
        if let Some(chunk) = self.chunks.last_mut() {
            chunk.push(&self.bytes, Summary::of(f));
        }
    }

    /// The table.
    pub fn finish(self) -> Records {
        let mut records = Records {
            slots: self.chunks.iter().map(|c| c.ends.len()).sum(),
            chunks: self
                .chunks
                .into_iter()
                .map(|mut c| {
                    c.bytes.shrink_to_fit();
                    Arc::new(c)
                })
                .collect(),
            strings: Arc::new(self.strings),
            by_id: Arc::default(),
        };
        records.index_ids();
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::codec::{CODEPAGE, codepage_byte};
    use chrono::{TimeZone, Utc};

    fn full(id: &str, lon: f64) -> Facility {
        let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 43.25]},
            "properties": {"id": id, "name": "Кризисный центр «Надежда»", "names": {"ru": "Кризисный центр «Надежда»", "en": "Nadezhda crisis centre", "kk": "«Үміт» дағдарыс орталығы"},
                "organisation": "Union of crisis centres", "organisation_id": "union-crisis", "sectors": ["shelter", "psychosocial"], "services": ["emergency_shelter", "counselling"],
                "address": "ул. Абая 12, Алматы", "country": "KZ", "adm1": "KZ75", "adm2": "KZ7510", "phone": "+7 727 000 00 00",
                "opening_hours": "24/7", "languages": ["kk", "ru"], "female_staff": true, "child_friendly": true, "wheelchair_access": false,
                "free_of_charge": true, "no_police_report_required": true, "capacity": {"beds_total": 20, "beds_available": 3, "as_of": "2026-10-01"},
                "status": "temporarily_closed", "confidential": true, "verified_at": "2026-09-30", "source": "NGO partner list", "demo": false}});
        let mut f = Facility::from_feature(&feature).unwrap();
        f.created_at = Utc.timestamp_opt(1_700_000_000, 5).single();
        f.updated_at = Utc.timestamp_opt(-86_400, 0).single();
        f
    }

    fn sparse(id: &str) -> Facility {
        let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-179.999999, -89.5]},
            "properties": {"id": id, "name": "P", "sectors": ["police"], "country": "TJ"}});
        Facility::from_feature(&feature).unwrap()
    }

    #[test]
    fn records_decode_to_what_was_encoded() {
        let a = full("a", 76.95);
        let b = sparse("b");
        let records = Records::build([b.clone(), a.clone()]);
        assert_eq!(records.len(), 2);
        assert_eq!(records.find("a").unwrap().decode(), a);
        assert_eq!(records.find("b").unwrap().decode(), b);
        assert_eq!(records.find("b").unwrap().lonlat(), (b.lon, b.lat));
        assert!(records.find("c").is_none());
        let ids: Vec<&str> = records.iter().map(|r| r.id()).collect();
        assert_eq!(ids, ["a", "b"]);
        // Text outside the one-byte code page stays UTF-8.
        let mut c = sparse("c");
        c.name = "Больница 医院 🏥".into();
        c.address = Some("Türkmenabat, Magtymguly şaýoly 5 — «Ýaşlyk»".into());
        c.phone = Some("+993 12 00-00-00".into());
        let again = Records::build([c.clone()]);
        assert_eq!(again.find("c").unwrap().decode(), c);
        // The partner of a programme for perpetrators (the last sector's bit).
        let mut d = sparse("d");
        d.sectors = vec![Sector::PerpetratorProgramme];
        d.victim_support_partner = Some("Кризисный центр «Подруги»".into());
        let programmes = Records::build([d.clone()]);
        let found = programmes.find("d").unwrap();
        assert_eq!(found.decode(), d);
        assert!(
            found.has_sector(Sector::PerpetratorProgramme) && !found.has_sector(Sector::Police)
        );
        for (i, ch) in CODEPAGE.iter().enumerate() {
            assert_eq!(codepage_byte(*ch), Some(0x80 + i as u8), "{ch}");
        }
        let s = records.find("a").unwrap().summary();
        assert!(s.open_24_7() && s.confidential() && !s.demo() && s.live());
        assert_eq!(size_of::<Summary>(), 10);
        assert_eq!(
            s.country, *b"KZ",
            "the record's country, for country searches"
        );
        assert!(s.has_sector(Sector::Shelter) && !s.has_sector(Sector::Police));
    }

    #[test]
    fn apply_replaces_adds_and_removes_sharing_the_rest() {
        let many: Vec<Facility> = (0..3 * CHUNK)
            .map(|i| full(&format!("f{i:05}"), f64::from(i as u32) * 0.001))
            .collect();
        let before = Records::build(many.clone());
        let mut changed = many[10].clone();
        changed.name = "Renamed".into();
        let added = sparse("e-new");
        let (after, touched) = before.apply(
            vec![changed.clone(), added.clone()],
            &["f02000".into(), "nope".into()],
        );
        assert_eq!(after.len(), 3 * CHUNK);
        assert_eq!(after.find("f00010").unwrap().decode(), changed);
        assert_eq!(after.find("e-new").unwrap().decode(), added);
        assert!(after.find("f02000").is_none());
        assert_eq!(after.find("f02001").unwrap().decode(), many[2001]);
        assert_eq!(touched.len(), 3);
        // The chunk nobody touched is shared, the old snapshot is unchanged.
        assert!(Arc::ptr_eq(&before.chunks[2], &after.chunks[2]));
        assert!(!Arc::ptr_eq(&before.chunks[1], &after.chunks[1]));
        assert_eq!(before.find("f00010").unwrap().decode(), many[10]);
        assert_eq!(before.find("f02000").unwrap().decode(), many[2000]);
        let ids: Vec<&str> = after.iter().map(|r| r.id()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);
        // Repeated ids keep the last; compaction keeps every live record.
        let twice = Records::build([sparse("x"), full("x", 1.0)]);
        assert_eq!(twice.len(), 1);
        assert_eq!(twice.find("x").unwrap().decode().lon, 1.0);
        let compact = after.compacted();
        assert_eq!(compact.slots(), compact.len());
        assert!(
            compact
                .iter()
                .zip(after.iter())
                .all(|(a, b)| a.decode() == b.decode())
        );
    }
}
