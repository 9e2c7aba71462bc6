//! Population points for analysis (`tirek coverage --population`): `lon`, `lat`,
//! `population` columns and, optionally, a column naming each point's area. Built for
//! files of millions of rows: split on bytes in parallel where the file has no quotes.

use super::RecordError;

/// Population points only (`lon`, `lat`, `population` columns; everything else
/// ignored), for analysis of large files: no ids or names are kept. A file without
/// quotes is split on bytes directly, in parallel, with exact fast number parsing
/// ([`parse_decimal`]); any other goes through the `csv` reader. Both give the same
/// points and the same errors.
pub fn read_population_points(
    bytes: &[u8],
) -> Result<Vec<crate::model::PopulationPoint>, Vec<RecordError>> {
    read_population_points_with_codes(bytes, None).map(|(points, _)| points)
}

/// Each population point's area code, as read from a column of the population file (see
/// [`read_population_points_with_codes`]); [`AreaCodes::resolve`] matches them against
/// the areas' codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaCodes {
    /// The column's name.
    pub column: String,
    /// Every distinct code (trimmed), with the line (1-based, header = 1) of its first row.
    pub codes: Vec<(String, usize)>,
    /// Per point, the index of its code in `codes`.
    pub per_point: Vec<u32>,
}

impl AreaCodes {
    /// Per point, the index of its area in `area_codes` (the first area with that code).
    /// All or nothing: every code that matches no area is an error (line of its first
    /// row, column, value).
    pub fn resolve(&self, area_codes: &[&str]) -> Result<Vec<u32>, Vec<RecordError>> {
        let mut by_code: std::collections::HashMap<&str, u32> =
            std::collections::HashMap::with_capacity(area_codes.len());
        for (k, code) in area_codes.iter().enumerate() {
            by_code.entry(code.trim()).or_insert(k as u32);
        }
        let mut errors: Vec<RecordError> = Vec::new();
        let found: Vec<u32> = self
            .codes
            .iter()
            .map(|(code, line)| {
                by_code.get(code.as_str()).copied().unwrap_or_else(|| {
                    errors.push(RecordError {
                        index: Some(*line),
                        id: None,
                        field: self.column.clone(),
                        message: format!("area code {code:?} matches no area"),
                        column: None,
                    });
                    u32::MAX
                })
            })
            .collect();
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.index);
            errors.truncate(100);
            return Err(errors);
        }
        Ok(self.per_point.iter().map(|&c| found[c as usize]).collect())
    }
}

/// FNV-1a: area codes are short, and hashed once per row.
#[derive(Default)]
struct CodeHasher(u64);

impl std::hash::Hasher for CodeHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Codes to their index.
type CodeIndex<'a> =
    std::collections::HashMap<&'a [u8], u32, std::hash::BuildHasherDefault<CodeHasher>>;

/// Distinct codes of a piece of the file, in order of first appearance, with the line of
/// their first row; and per point, its code's index.
#[derive(Default)]
struct PieceCodes<'a> {
    index: CodeIndex<'a>,
    codes: Vec<(&'a [u8], usize)>,
    per_point: Vec<u32>,
}

impl<'a> PieceCodes<'a> {
    fn push(&mut self, code: &'a [u8], line: usize) {
        let next = self.codes.len() as u32;
        let k = *self.index.entry(code).or_insert_with(|| {
            self.codes.push((code, line));
            next
        });
        self.per_point.push(k);
    }
}

/// [`read_population_points`], and when `area_column` is given, each point's code in
/// that column (any case; the header must have it).
pub fn read_population_points_with_codes(
    bytes: &[u8],
    area_column: Option<&str>,
) -> Result<(Vec<crate::model::PopulationPoint>, Option<AreaCodes>), Vec<RecordError>> {
    if bytes.contains(&b'"') {
        return read_population_points_csv(bytes, area_column);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let header: Vec<&[u8]> = trim_cr(&bytes[..header_end])
        .split(|&b| b == b',')
        .collect();
    let (lon_at, lat_at, pop_at) = population_columns(header.iter().map(|h| &h[..]))?;
    let area_at = area_column
        .map(|name| code_column(header.iter().map(|h| &h[..]), name))
        .transpose()?;
    let body = &bytes[(header_end + 1).min(bytes.len())..];
    // One piece per thread, cut at line ends.
    let threads = crate::parallel::threads();
    let mut pieces = Vec::with_capacity(threads);
    let mut rest = body;
    for k in (1..threads).rev() {
        let cut = rest.len() / (k + 1);
        let cut = rest[cut..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |p| cut + p + 1);
        let (head, tail) = rest.split_at(cut);
        pieces.push(head);
        rest = tail;
    }
    pieces.push(rest);
    let columns = [lon_at, lat_at, pop_at];
    type Parsed<'a> = (
        Vec<crate::model::PopulationPoint>,
        Vec<RecordError>,
        usize,
        Option<PieceCodes<'a>>,
    );
    let parsed: Vec<Parsed<'_>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|piece| scope.spawn(move || parse_rows(piece, columns, area_at)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut points = Vec::with_capacity(parsed.iter().map(|p| p.0.len()).sum());
    let mut errors = Vec::new();
    let mut codes = area_column.map(|column| AreaCodes {
        column: column.to_string(),
        codes: Vec::new(),
        per_point: Vec::with_capacity(points.capacity()),
    });
    let mut global = CodeIndex::default();
    let mut line = 1;
    for (part, part_errors, lines, part_codes) in parsed {
        points.extend(part);
        errors.extend(part_errors.into_iter().map(|mut e| {
            e.index = e.index.map(|i| i + line);
            e
        }));
        if let (Some(all), Some(piece)) = (codes.as_mut(), part_codes) {
            let local: Vec<u32> = piece
                .codes
                .iter()
                .map(|&(code, at)| {
                    let next = all.codes.len() as u32;
                    *global.entry(code).or_insert_with(|| {
                        all.codes
                            .push((String::from_utf8_lossy(code).into_owned(), at + line));
                        next
                    })
                })
                .collect();
            all.per_point
                .extend(piece.per_point.iter().map(|&k| local[k as usize]));
        }
        line += lines;
    }
    if errors.is_empty() {
        Ok((points, codes))
    } else {
        errors.truncate(100);
        Err(errors)
    }
}

/// The position of column `name` (any case) in a header.
fn code_column<'a>(
    mut header: impl Iterator<Item = &'a [u8]>,
    name: &str,
) -> Result<usize, Vec<RecordError>> {
    header
        .position(|h| h.trim_ascii().eq_ignore_ascii_case(name.trim().as_bytes()))
        .ok_or_else(|| {
            vec![RecordError::file(
                "header",
                format!("no column {name:?} (the area column) in the header"),
            )]
        })
}

fn missing_columns() -> Vec<RecordError> {
    vec![RecordError::file(
        "header",
        "the header needs lon,lat,population columns",
    )]
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn bad_row(line: usize) -> RecordError {
    RecordError {
        index: Some(line),
        id: None,
        field: "lon/lat/population".into(),
        message: "each must be a number: lon in -180..180, lat in -90..90, population ≥ 0".into(),
        column: None,
    }
}

/// A point from three cells, if they are numbers in range.
fn population_point(
    lon: Option<f64>,
    lat: Option<f64>,
    population: Option<f64>,
) -> Option<crate::model::PopulationPoint> {
    match (lon, lat, population) {
        (Some(lon), Some(lat), Some(population))
            if (-180.0..=180.0).contains(&lon)
                && (-90.0..=90.0).contains(&lat)
                && population >= 0.0 =>
        {
            Some(crate::model::PopulationPoint {
                lon,
                lat,
                population,
                area: None,
                country: None,
            })
        }
        _ => None,
    }
}

/// Data rows of a quote-free CSV piece: points, errors (index = line within the piece,
/// from 1), the number of lines, and the codes of column `area_at` when given. Empty
/// lines are skipped, as the `csv` reader does.
#[allow(clippy::type_complexity)]
fn parse_rows(
    piece: &[u8],
    [lon_at, lat_at, pop_at]: [usize; 3],
    area_at: Option<usize>,
) -> (
    Vec<crate::model::PopulationPoint>,
    Vec<RecordError>,
    usize,
    Option<PieceCodes<'_>>,
) {
    let mut points = Vec::with_capacity(piece.len() / 30);
    let mut errors = Vec::new();
    let mut lines = 0;
    let mut codes = area_at.map(|_| PieceCodes::default());
    if piece.is_empty() {
        return (points, errors, lines, codes);
    }
    let area = area_at.unwrap_or(usize::MAX);
    let last = lon_at.max(lat_at).max(pop_at).max(area_at.unwrap_or(0));
    for line in piece.split(|&b| b == b'\n') {
        lines += 1;
        let line = trim_cr(line);
        if line.is_empty() {
            continue;
        }
        let mut cells = [None; 3];
        let mut code: &[u8] = b"";
        for (k, cell) in line.split(|&b| b == b',').take(last + 1).enumerate() {
            let value = || parse_decimal(cell.trim_ascii()).filter(|v| v.is_finite());
            if k == lon_at {
                cells[0] = value();
            }
            if k == lat_at {
                cells[1] = value();
            }
            if k == pop_at {
                cells[2] = value();
            }
            if k == area {
                code = cell.trim_ascii();
            }
        }
        match population_point(cells[0], cells[1], cells[2]) {
            Some(p) => {
                points.push(p);
                if let Some(codes) = codes.as_mut() {
                    codes.push(code, lines);
                }
            }
            None if errors.len() < 100 => errors.push(bad_row(lines)),
            None => {}
        }
    }
    // `split` yields one piece after a final line end: not a line.
    if piece.ends_with(b"\n") {
        lines -= 1;
    }
    (points, errors, lines, codes)
}

/// Parses a decimal number exactly as `str::parse::<f64>` does. Plain decimals
/// (`-12.345678`: at most 19 digits, of which at most 22 after the point, and a
/// mantissa below 2^53) take Clinger's fast path: the integer mantissa and the power
/// of ten are both exact in `f64`, so one correctly rounded division gives the
/// correctly rounded result. Anything else goes to the standard parser.
pub fn parse_decimal(text: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut fraction = None;
    for (k, &b) in digits.iter().enumerate() {
        match b {
            b'0'..=b'9' if count < 19 => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
            }
            b'.' if fraction.is_none() => fraction = Some(k),
            _ => return std::str::from_utf8(text).ok()?.parse().ok(),
        }
    }
    let decimals = fraction.map_or(0, |at| digits.len() - at - 1);
    if count == 0 || mantissa >= 1 << 53 || decimals > 22 {
        return std::str::from_utf8(text).ok()?.parse().ok();
    }
    let value = mantissa as f64 / POW10[decimals];
    Some(if negative { -value } else { value })
}

/// The positions of the `lon`, `lat` and `population` columns (any case) in a header.
fn population_columns<'a>(
    header: impl Iterator<Item = &'a [u8]> + Clone,
) -> Result<(usize, usize, usize), Vec<RecordError>> {
    let column = |name: &str| {
        header
            .clone()
            .position(|h| h.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
    };
    match (column("lon"), column("lat"), column("population")) {
        (Some(lon), Some(lat), Some(population)) => Ok((lon, lat, population)),
        _ => Err(missing_columns()),
    }
}

/// [`read_population_points_with_codes`] through the `csv` reader (quoted fields).
fn read_population_points_csv(
    bytes: &[u8],
    area_column: Option<&str>,
) -> Result<(Vec<crate::model::PopulationPoint>, Option<AreaCodes>), Vec<RecordError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|e| vec![RecordError::file("", format!("unreadable CSV header: {e}"))])?
        .clone();
    let (lon_at, lat_at, pop_at) = population_columns(header.iter())?;
    let area_at = area_column
        .map(|name| code_column(header.iter(), name))
        .transpose()?;
    let mut points = Vec::with_capacity(bytes.len() / 32);
    let mut codes = area_column.map(|column| AreaCodes {
        column: column.to_string(),
        ..AreaCodes::default()
    });
    let mut code_index: std::collections::HashMap<Vec<u8>, u32> = std::collections::HashMap::new();
    // Physical lines counted up to `counted_to` (monotone: each byte is counted once).
    let (mut counted_to, mut newlines) = (0usize, 0usize);
    let mut line_of = |record: &csv::ByteRecord| {
        // The physical line, as the fast path counts it (the record's start may be
        // reported at the line end before it).
        let at = record.position().map_or(0, |p| p.byte() as usize);
        let to = (at + 1).min(bytes.len()).max(counted_to);
        newlines += bytes[counted_to..to]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = to;
        1 + newlines
    };
    let mut errors = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(RecordError {
                    index: e.position().map(|p| p.line() as usize),
                    id: None,
                    field: "".into(),
                    message: format!("unreadable row: {e}"),
                    column: None,
                });
                break;
            }
        }
        let number = |at: usize| -> Option<f64> {
            parse_decimal(record.get(at)?.trim_ascii()).filter(|v| v.is_finite())
        };
        match population_point(number(lon_at), number(lat_at), number(pop_at)) {
            Some(p) => {
                points.push(p);
                if let (Some(codes), Some(at)) = (codes.as_mut(), area_at) {
                    let code = record.get(at).unwrap_or_default().trim_ascii();
                    let k = match code_index.get(code) {
                        Some(&k) => k,
                        None => {
                            let k = codes.codes.len() as u32;
                            let line = line_of(&record);
                            codes
                                .codes
                                .push((String::from_utf8_lossy(code).into_owned(), line));
                            code_index.insert(code.to_vec(), k);
                            k
                        }
                    };
                    codes.per_point.push(k);
                }
            }
            None => {
                errors.push(bad_row(line_of(&record)));
                if errors.len() >= 100 {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok((points, codes))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_exactly_as_the_standard_parser() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "1",
            "-1",
            "+2.5",
            "76.306623",
            "-179.999999",
            "90.000000",
            "1e5",
            "1.5E-3",
            ".5",
            "5.",
            "-.25",
            "inf",
            "NaN",
            "",
            "-",
            ".",
            "1.2.3",
            "12a",
            "0.1",
            "0.3",
            "9007199254740993",
            "123456789012345678901234",
            "0.00000000000000000000001",
            "17976931348623157e292",
            "4.9e-324",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for _ in 0..100_000 {
            let digits = rng.random_range(0..9);
            let v: f64 = rng.random_range(-180.0..180.0);
            texts.push(format!("{v:.digits$}"));
            texts.push(format!(
                "{}",
                rng.random_range(0u64..u64::MAX) >> rng.random_range(0..64)
            ));
        }
        for t in &texts {
            let want = t.parse::<f64>().ok();
            let got = parse_decimal(t.as_bytes());
            assert!(
                got.map(f64::to_bits) == want.map(f64::to_bits)
                    || (got.is_some_and(f64::is_nan) && want.is_some_and(f64::is_nan)),
                "{t:?}: {got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn population_points_fast_and_csv_paths_agree() {
        let plain = "id,lon,lat,population,district_id\r\n1,76.306623,42.935233,121,21\r\n\r\n2, 79.94 ,52.6,13,394\r\n3,200,1,5,1\r\n4,1,1\r\n5,1,2,x,1\r\n6,-1.5,-2.25,0,3";
        let quoted = plain.replace("1,76.306623", "\"1\",76.306623");
        let fast = read_population_points(plain.as_bytes());
        let slow = read_population_points(quoted.as_bytes());
        let lines = |r: &Result<Vec<crate::model::PopulationPoint>, Vec<RecordError>>| {
            r.as_ref()
                .err()
                .map(|e| e.iter().map(|e| e.index).collect::<Vec<_>>())
        };
        assert_eq!(lines(&fast), Some(vec![Some(5), Some(6), Some(7)]));
        assert_eq!(lines(&fast), lines(&slow));
        let good = "lon,lat,population\n76.306623,42.935233,121\n-1.5,-2.25,0\n";
        let fast = read_population_points(good.as_bytes()).unwrap();
        let slow = read_population_points(good.replace("121", "\"121\"").as_bytes()).unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), 2);
        assert_eq!(
            (fast[0].lon, fast[0].lat, fast[0].population),
            (76.306623, 42.935233, 121.0)
        );
    }
}
