//! The byte form of one facility record inside [`super::records::Records`]: varint
//! lengths, vocabulary codes, dates as day numbers, and the values that repeat across
//! records ([`Strings`]) referred to by number. [`encode`] and [`decode`] are exact
//! inverses (tested in `records`).

use crate::model::{Capacity, Facility, Language, LocationPrecision, Sector, Service, Status};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The five eligibility flags as bits, in one fixed order.
pub fn eligibility_bits(flags: [bool; 5]) -> u8 {
    flags
        .iter()
        .enumerate()
        .fold(0, |bits, (i, &on)| bits | (u8::from(on) << i))
}

/// Values stored once and referred to by number.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    pub(crate) list: Vec<Arc<str>>,
    pub(crate) numbers: HashMap<Arc<str>, u32>,
}

impl Strings {
    pub fn number(&mut self, text: &str) -> u32 {
        if let Some(&n) = self.numbers.get(text) {
            return n;
        }
        let n = self.list.len() as u32;
        let shared: Arc<str> = Arc::from(text);
        self.list.push(shared.clone());
        self.numbers.insert(shared, n);
        n
    }

    pub fn get(&self, n: u32) -> &str {
        self.list.get(n as usize).map_or("", |s| s)
    }
}

/// Appends `f` in the compact form (see [`decode`]).
pub fn encode(f: &Facility, number: &mut impl FnMut(&str) -> u32, out: &mut Vec<u8>) {
    let Facility {
        id,
        name,
        names,
        organisation,
        organisation_id,
        victim_support_partner,
        sectors,
        services,
        lon,
        lat,
        location_precision,
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
    w.shared(organisation_id.as_deref(), number);
    w.optional_text(victim_support_partner.as_deref());
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
            | u8::from(*demo) << 6
            | u8::from(*location_precision == LocationPrecision::Settlement) << 7,
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
pub fn decode(bytes: &[u8], strings: &Strings) -> Facility {
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
    let organisation_id = r.shared(strings);
    let victim_support_partner = r.optional_text();
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
        organisation_id,
        victim_support_partner,
        sectors,
        services,
        lon,
        lat,
        location_precision: if flag(7) {
            LocationPrecision::Settlement
        } else {
            LocationPrecision::Exact
        },
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
pub const CODEPAGE: [char; 128] = [
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
pub fn codepage_byte(c: char) -> Option<u8> {
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
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    pub fn byte(&mut self) -> u8 {
        let b = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    pub fn f64(&mut self) -> f64 {
        let mut raw = [0u8; 8];
        if let Some(b) = self.bytes.get(self.at..self.at + 8) {
            raw.copy_from_slice(b);
        }
        self.at += 8;
        f64::from_le_bytes(raw)
    }

    pub fn varint(&mut self) -> u64 {
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

    pub fn signed(&mut self) -> i64 {
        let v = self.varint();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    pub fn take(&mut self, n: usize) -> &'a str {
        let start = self.at.min(self.bytes.len());
        let end = (self.at + n).min(self.bytes.len());
        self.at += n;
        std::str::from_utf8(&self.bytes[start..end]).unwrap_or("")
    }

    pub fn str(&mut self) -> &'a str {
        let n = self.varint() as usize;
        self.take(n)
    }

    pub fn text(&mut self) -> String {
        let tag = self.varint();
        self.tagged_text(tag)
    }

    pub fn optional_text(&mut self) -> Option<String> {
        match self.varint() {
            0 => None,
            tag => Some(self.tagged_text(tag - 1)),
        }
    }

    pub fn tagged_text(&mut self, tag: u64) -> String {
        let n = (tag >> 1) as usize;
        if tag & 1 == 0 {
            return self.take(n).to_string();
        }
        let start = self.at.min(self.bytes.len());
        let end = (self.at + n).min(self.bytes.len());
        self.at += n;
        // Sized at once: the code page's letters (Cyrillic) take two bytes in UTF-8, and
        // a growing string would be copied on the answer's hot path.
        let mut text = String::with_capacity(2 * (end - start));
        for &b in &self.bytes[start..end] {
            text.push(if b < 0x80 {
                char::from(b)
            } else {
                CODEPAGE.get(usize::from(b - 0x80)).copied().unwrap_or('?')
            });
        }
        text
    }

    pub fn shared(&mut self, strings: &Strings) -> Option<String> {
        match self.varint() {
            0 => None,
            n => Some(strings.get(n as u32 - 1).to_string()),
        }
    }

    pub fn codes<T: Copy>(&mut self, all: &[T]) -> Vec<T> {
        (0..self.varint())
            .map(|_| all[usize::from(self.byte()) % all.len()])
            .collect()
    }

    pub fn date(&mut self) -> Option<NaiveDate> {
        match self.varint() {
            0 => None,
            _ => NaiveDate::from_num_days_from_ce_opt(self.signed() as i32),
        }
    }

    pub fn time(&mut self) -> Option<DateTime<Utc>> {
        match self.varint() {
            0 => None,
            n => DateTime::from_timestamp(self.signed(), (n - 1) as u32),
        }
    }
}
