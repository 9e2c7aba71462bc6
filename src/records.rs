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

use crate::model::{Capacity, Facility, Language, Sector, Service, Status};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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
    /// Status.
    pub status: Status,
    /// [`OPEN_24_7`], [`CONFIDENTIAL`], [`DEMO`], [`LIVE`] (8 bytes in all).
    bits: u8,
}

const OPEN_24_7: u8 = 1;
const CONFIDENTIAL: u8 = 2;
const DEMO: u8 = 4;
const LIVE: u8 = 8;

/// The five eligibility flags as bits, in one fixed order.
pub fn eligibility_bits(flags: [bool; 5]) -> u8 {
    flags
        .iter()
        .enumerate()
        .fold(0, |bits, (i, &on)| bits | (u8::from(on) << i))
}

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
        }
    }
}

/// Values stored once and referred to by number.
#[derive(Debug, Clone, Default)]
struct Strings {
    list: Vec<Arc<str>>,
    numbers: HashMap<Arc<str>, u32>,
}

impl Strings {
    fn number(&mut self, text: &str) -> u32 {
        if let Some(&n) = self.numbers.get(text) {
            return n;
        }
        let n = self.list.len() as u32;
        let shared: Arc<str> = Arc::from(text);
        self.list.push(shared.clone());
        self.numbers.insert(shared, n);
        n
    }

    fn get(&self, n: u32) -> &str {
        self.list.get(n as usize).map_or("", |s| s)
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

    /// The id.
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

/// Appends `f` in the compact form (see [`decode`]).
fn encode(f: &Facility, number: &mut impl FnMut(&str) -> u32, out: &mut Vec<u8>) {
    let Facility {
        id,
        name,
        names,
        organisation,
        sectors,
        services,
        lon,
        lat,
        address,
        country,
        adm1,
        adm2,
        phone,
        opening_hours,
        languages,
        female_staff,
        child_friendly,
        wheelchair_access,
        free_of_charge,
        no_police_report_required,
        capacity,
        status,
        confidential,
        verified_at,
        source,
        demo,
        created_at,
        updated_at,
    } = f;
    let mut w = Writer(out);
    w.f64(*lon);
    w.f64(*lat);
    w.str(id);
    w.text(name);
    w.varint(names.len() as u64);
    for (language, text) in names {
        w.byte(language.index() as u8);
        // A name equal to the main one (common: `name` is one of `names`) is a flag.
        if text == name {
            w.byte(0);
        } else {
            w.byte(1);
            w.text(text);
        }
    }
    w.shared(organisation.as_deref(), number);
    w.codes(sectors.iter().map(|s| s.index()));
    w.codes(services.iter().map(|s| s.index()));
    w.optional_text(address.as_deref());
    w.varint(u64::from(number(country)));
    w.shared(adm1.as_deref(), number);
    w.shared(adm2.as_deref(), number);
    w.optional_text(phone.as_deref());
    w.shared(opening_hours.as_deref(), number);
    w.codes(languages.iter().map(|l| l.index()));
    w.byte(
        eligibility_bits([
            *female_staff,
            *child_friendly,
            *wheelchair_access,
            *free_of_charge,
            *no_police_report_required,
        ]) | u8::from(*confidential) << 5
            | u8::from(*demo) << 6,
    );
    match capacity {
        None => w.byte(0),
        Some(c) => {
            w.byte(1);
            w.varint(u64::from(c.beds_total));
            w.varint(c.beds_available.map_or(0, |b| u64::from(b) + 1));
            w.date(c.as_of);
        }
    }
    w.byte(status.index() as u8);
    w.date(*verified_at);
    w.shared(source.as_deref(), number);
    w.time(*created_at);
    w.time(*updated_at);
}

/// Reads back what [`encode`] wrote.
fn decode(bytes: &[u8], strings: &Strings) -> Facility {
    let mut r = Reader::new(bytes);
    let lon = r.f64();
    let lat = r.f64();
    let id = r.str().to_string();
    let name = r.text();
    let mut names = BTreeMap::new();
    for _ in 0..r.varint() {
        let language = Language::ALL[usize::from(r.byte()) % Language::ALL.len()];
        let text = match r.byte() {
            0 => name.clone(),
            _ => r.text(),
        };
        names.insert(language, text);
    }
    let organisation = r.shared(strings);
    let sectors = r.codes(Sector::ALL);
    let services = r.codes(Service::ALL);
    let address = r.optional_text();
    let country = strings.get(r.varint() as u32).to_string();
    let adm1 = r.shared(strings);
    let adm2 = r.shared(strings);
    let phone = r.optional_text();
    let opening_hours = r.shared(strings);
    let languages = r.codes(Language::ALL);
    let flags = r.byte();
    let capacity = match r.byte() {
        0 => None,
        _ => Some(Capacity {
            beds_total: r.varint() as u32,
            beds_available: r.varint().checked_sub(1).map(|b| b as u32),
            as_of: r.date(),
        }),
    };
    let status = Status::ALL[usize::from(r.byte()) % Status::ALL.len()];
    let verified_at = r.date();
    let source = r.shared(strings);
    let created_at = r.time();
    let updated_at = r.time();
    let flag = |i: u8| flags & (1 << i) != 0;
    Facility {
        id,
        name,
        names,
        organisation,
        sectors,
        services,
        lon,
        lat,
        address,
        country,
        adm1,
        adm2,
        phone,
        opening_hours,
        languages,
        female_staff: flag(0),
        child_friendly: flag(1),
        wheelchair_access: flag(2),
        free_of_charge: flag(3),
        no_police_report_required: flag(4),
        capacity,
        status,
        confidential: flag(5),
        verified_at,
        source,
        demo: flag(6),
        created_at,
        updated_at,
    }
}

/// Characters stored in one byte (`0x80 + position`) besides ASCII: the Russian
/// alphabet, the letters Kazakh, Kyrgyz, Tajik, Uzbek and Karakalpak Cyrillic add,
/// Turkmen and Uzbek Latin letters, and common punctuation. Append only: stored
/// records refer to positions.
const CODEPAGE: [char; 128] = [
    'А', 'Б', 'В', 'Г', 'Д', 'Е', 'Ж', 'З', 'И', 'Й', 'К', 'Л', 'М', 'Н', 'О', 'П', //
    'Р', 'С', 'Т', 'У', 'Ф', 'Х', 'Ц', 'Ч', 'Ш', 'Щ', 'Ъ', 'Ы', 'Ь', 'Э', 'Ю', 'Я', //
    'а', 'б', 'в', 'г', 'д', 'е', 'ж', 'з', 'и', 'й', 'к', 'л', 'м', 'н', 'о', 'п', //
    'р', 'с', 'т', 'у', 'ф', 'х', 'ц', 'ч', 'ш', 'щ', 'ъ', 'ы', 'ь', 'э', 'ю', 'я', //
    'Ё', 'ё', 'Ә', 'ә', 'Ғ', 'ғ', 'Қ', 'қ', 'Ң', 'ң', 'Ө', 'ө', 'Ұ', 'ұ', 'Ү', 'ү', //
    'Һ', 'һ', 'І', 'і', 'Ӣ', 'ӣ', 'Ӯ', 'ӯ', 'Ҳ', 'ҳ', 'Ҷ', 'ҷ', 'Ў', 'ў', 'Ç', 'ç', //
    'Ä', 'ä', 'Ň', 'ň', 'Ö', 'ö', 'Ş', 'ş', 'Ü', 'ü', 'Ý', 'ý', 'Ž', 'ž', 'ʻ', 'ʼ', //
    '№', '«', '»', '–', '—', '‘', '’', '“', '”', '„', '…', '°', '·', '\u{a0}', 'Є', 'є', //
];

/// The one-byte code of a non-ASCII character, if it has one.
fn codepage_byte(c: char) -> Option<u8> {
    match c {
        'А'..='я' => Some(0x80 + (c as u32 - 'А' as u32) as u8),
        _ => CODEPAGE[64..]
            .iter()
            .position(|&x| x == c)
            .map(|i| 0x80 + 64 + i as u8),
    }
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn signed(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    /// Free text: in the one-byte [`CODEPAGE`] when every character is in it (most of
    /// the region's Cyrillic and Latin text: half the bytes of UTF-8), else UTF-8.
    fn text(&mut self, s: &str) {
        self.tagged_text(s, 0);
    }

    fn optional_text(&mut self, s: Option<&str>) {
        match s {
            None => self.varint(0),
            Some(s) => self.tagged_text(s, 1),
        }
    }

    /// Writes `(length << 1 | in_codepage) + offset`, then the bytes.
    fn tagged_text(&mut self, s: &str, offset: u64) {
        if !s.is_ascii()
            && s.chars()
                .all(|c| c.is_ascii() || codepage_byte(c).is_some())
        {
            let n = s.chars().count() as u64;
            self.varint((n << 1 | 1) + offset);
            for c in s.chars() {
                self.byte(if c.is_ascii() {
                    c as u8
                } else {
                    codepage_byte(c).unwrap_or(b'?')
                });
            }
        } else {
            self.varint(((s.len() as u64) << 1) + offset);
            self.0.extend_from_slice(s.as_bytes());
        }
    }

    fn shared(&mut self, s: Option<&str>, number: &mut impl FnMut(&str) -> u32) {
        self.varint(s.map_or(0, |s| u64::from(number(s)) + 1));
    }

    fn codes(&mut self, codes: impl ExactSizeIterator<Item = usize>) {
        self.varint(codes.len() as u64);
        for c in codes {
            self.byte(c as u8);
        }
    }

    fn date(&mut self, d: Option<NaiveDate>) {
        match d {
            None => self.varint(0),
            Some(d) => {
                self.varint(1);
                self.signed(i64::from(chrono::Datelike::num_days_from_ce(&d)));
            }
        }
    }

    fn time(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            None => self.varint(0),
            Some(t) => {
                self.varint(u64::from(t.timestamp_subsec_nanos()) + 1);
                self.signed(t.timestamp());
            }
        }
    }
}

/// Reads the compact form. The bytes are our own; a short read yields empty values
/// rather than a panic.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    fn f64(&mut self) -> f64 {
        let mut raw = [0u8; 8];
        if let Some(b) = self.bytes.get(self.at..self.at + 8) {
            raw.copy_from_slice(b);
        }
        self.at += 8;
        f64::from_le_bytes(raw)
    }

    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        v
    }

    fn signed(&mut self) -> i64 {
        let v = self.varint();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    fn take(&mut self, n: usize) -> &'a str {
        let start = self.at.min(self.bytes.len());
        let end = (self.at + n).min(self.bytes.len());
        self.at += n;
        std::str::from_utf8(&self.bytes[start..end]).unwrap_or("")
    }

    fn str(&mut self) -> &'a str {
        let n = self.varint() as usize;
        self.take(n)
    }

    fn text(&mut self) -> String {
        let tag = self.varint();
        self.tagged_text(tag)
    }

    fn optional_text(&mut self) -> Option<String> {
        match self.varint() {
            0 => None,
            tag => Some(self.tagged_text(tag - 1)),
        }
    }

    fn tagged_text(&mut self, tag: u64) -> String {
        let n = (tag >> 1) as usize;
        if tag & 1 == 0 {
            return self.take(n).to_string();
        }
        let start = self.at.min(self.bytes.len());
        let end = (self.at + n).min(self.bytes.len());
        self.at += n;
        self.bytes[start..end]
            .iter()
            .map(|&b| {
                if b < 0x80 {
                    char::from(b)
                } else {
                    CODEPAGE.get(usize::from(b - 0x80)).copied().unwrap_or('?')
                }
            })
            .collect()
    }

    fn shared(&mut self, strings: &Strings) -> Option<String> {
        match self.varint() {
            0 => None,
            n => Some(strings.get(n as u32 - 1).to_string()),
        }
    }

    fn codes<T: Copy>(&mut self, all: &[T]) -> Vec<T> {
        (0..self.varint())
            .map(|_| all[usize::from(self.byte()) % all.len()])
            .collect()
    }

    fn date(&mut self) -> Option<NaiveDate> {
        match self.varint() {
            0 => None,
            _ => NaiveDate::from_num_days_from_ce_opt(self.signed() as i32),
        }
    }

    fn time(&mut self) -> Option<DateTime<Utc>> {
        match self.varint() {
            0 => None,
            n => DateTime::from_timestamp(self.signed(), (n - 1) as u32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn full(id: &str, lon: f64) -> Facility {
        let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 43.25]},
            "properties": {"id": id, "name": "Кризисный центр «Надежда»", "names": {"ru": "Кризисный центр «Надежда»", "en": "Nadezhda crisis centre", "kk": "«Үміт» дағдарыс орталығы"},
                "organisation": "Union of crisis centres", "sectors": ["shelter", "psychosocial"], "services": ["emergency_shelter", "counselling"],
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
        for (i, ch) in CODEPAGE.iter().enumerate() {
            assert_eq!(codepage_byte(*ch), Some(0x80 + i as u8), "{ch}");
        }
        let s = records.find("a").unwrap().summary();
        assert!(s.open_24_7() && s.confidential() && !s.demo() && s.live());
        assert_eq!(size_of::<Summary>(), 8);
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
