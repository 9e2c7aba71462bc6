//! Admin areas from an ESRI Shapefile: the `.shp` geometry, the `.dbf` attribute table
//! (decoded with the encoding named in the `.cpg`, e.g. `UTF-8` or `1251`; without one,
//! UTF-8), and the `.prj`, which must describe geographic WGS84 (`GEOGCS[…WGS_1984…]`,
//! EPSG:4326). A projected or other-datum `.prj` is refused with a message that says so;
//! no `.prj` is accepted with a warning in the summary. Attributes follow the same
//! conventions as GeoJSON areas ([`super::areas`]): COD-AB `ADM<n>_PCODE`/`ADM<n>_EN`…,
//! geoBoundaries `shapeName`/`shapeID`/`shapeGroup`, or fields named by flags.
//!
//! Reading works on bytes, so malformed input of any kind ends in record errors, never
//! in a panic (the third-party decoders run under `catch_unwind` as a last guard).

use super::RecordError;
use super::areas::{AreaOptions, AreaRead, area_from_record, finish};
use serde_json::{Map, Value};
use shapefile::PolygonRing;
use shapefile::dbase::{self, FieldValue};
use shapefile::record::traits::HasXY;
use std::io::Cursor;
use std::path::Path;

/// A shapefile that cannot be read as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ShapefileError {
    /// A component file is missing or unreadable.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The `.prj` names a coordinate system other than WGS84 longitude/latitude.
    #[error(
        "the .prj describes {0}; Tirek reads WGS84 longitude/latitude (EPSG:4326) only — reproject the shapefile first"
    )]
    NotWgs84(String),
    /// The `.shp` or `.dbf` is malformed.
    #[error("{0}")]
    Malformed(String),
}

impl From<ShapefileError> for Vec<RecordError> {
    fn from(e: ShapefileError) -> Self {
        let field = match &e {
            ShapefileError::Io { .. } => "file",
            ShapefileError::NotWgs84(_) => "prj",
            ShapefileError::Malformed(_) => "shp",
        };
        vec![RecordError::file(field, e.to_string())]
    }
}

/// The component files of a shapefile, as bytes.
#[derive(Debug, Clone, Copy)]
pub struct ShapefileParts<'a> {
    /// `.shp`: the geometry.
    pub shp: &'a [u8],
    /// `.dbf`: the attributes.
    pub dbf: &'a [u8],
    /// `.prj`: the coordinate system (WKT), if present.
    pub prj: Option<&'a str>,
    /// `.cpg`: the DBF's character encoding, if present.
    pub cpg: Option<&'a str>,
}

/// Reads `path` (the `.shp`) and its sibling `.dbf`, `.prj` and `.cpg`.
pub fn read_path(path: &Path, options: &AreaOptions) -> Result<AreaRead, Vec<RecordError>> {
    let read = |ext: &str| {
        let p = path.with_extension(ext);
        std::fs::read(&p).map_err(|source| ShapefileError::Io {
            path: p.display().to_string(),
            source,
        })
    };
    let optional = |ext: &str| {
        std::fs::read(path.with_extension(ext))
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let shp = read("shp")?;
    let dbf = read("dbf")?;
    let prj = optional("prj");
    let cpg = optional("cpg");
    read_parts(
        ShapefileParts {
            shp: &shp,
            dbf: &dbf,
            prj: prj.as_deref(),
            cpg: cpg.as_deref(),
        },
        options,
    )
}

/// The most a zipped shapefile may unpack to, bytes (a guard against zip bombs).
pub const MAX_UNZIPPED_BYTES: u64 = 512 * 1024 * 1024;

/// Whether `bytes` look like a zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Reads a zipped shapefile (the `.shp` with its `.dbf`, `.prj`, `.cpg` beside it, in
/// any folder of the archive): what a planner uploads through the API.
///
/// Archives are read one at a time (others wait): each may unpack to
/// [`MAX_UNZIPPED_BYTES`] before it is refused, and four uploads at once must not hold
/// four times that.
pub fn read_zip(bytes: &[u8], options: &AreaOptions) -> Result<AreaRead, Vec<RecordError>> {
    read_zip_within(bytes, options, MAX_UNZIPPED_BYTES)
}

/// [`read_zip`] with another limit on the bytes unpacked.
pub fn read_zip_within(
    bytes: &[u8],
    options: &AreaOptions,
    max_unzipped: u64,
) -> Result<AreaRead, Vec<RecordError>> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _unpacking = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let bad = |message: String| vec![RecordError::file("zip", message)];
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable zip archive: {e}")))?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let mut shps: Vec<&String> = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".shp") && !n.starts_with("__MACOSX"))
        .collect();
    shps.sort();
    let shp_name = match shps.as_slice() {
        [one] => (*one).clone(),
        [] => return Err(bad("the archive holds no .shp file".into())),
        many => {
            return Err(bad(format!(
                "the archive holds {} .shp files ({}); upload one shapefile per archive",
                many.len(),
                many.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    let stem = &shp_name[..shp_name.len() - 4];
    // Counted as unpacked, whatever the archive declares: a declared size is the
    // archive's claim, the bytes are what memory holds.
    let mut budget = max_unzipped;
    let mut part = |ext: &str| -> Result<Option<Vec<u8>>, Vec<RecordError>> {
        let Some(name) = names.iter().find(|n| {
            n.len() == stem.len() + 4
                && n.starts_with(stem)
                && n[stem.len()..].eq_ignore_ascii_case(ext)
        }) else {
            return Ok(None);
        };
        let cannot = |e: std::io::Error| bad(format!("cannot unpack {name}: {e}"));
        // Unpacked twice: first into nothing, to learn the true size (a bomb is refused
        // having held nothing), then into a buffer of exactly that size (a growing one
        // would hold up to twice the bytes while it is copied).
        let file = archive
            .by_name(name)
            .map_err(|e| bad(format!("cannot read {name} in the archive: {e}")))?;
        let size = std::io::copy(
            &mut std::io::Read::take(file, budget + 1),
            &mut std::io::sink(),
        )
        .map_err(cannot)?;
        if size > budget {
            return Err(bad(format!(
                "the archive unpacks to more than {max_unzipped} bytes"
            )));
        }
        let file = archive
            .by_name(name)
            .map_err(|e| bad(format!("cannot read {name} in the archive: {e}")))?;
        let mut out = Vec::with_capacity(size as usize);
        std::io::Read::read_to_end(&mut std::io::Read::take(file, size), &mut out)
            .map_err(cannot)?;
        budget -= size;
        Ok(Some(out))
    };
    let shp = part(".shp")?.ok_or_else(|| bad("the .shp file could not be read".into()))?;
    let dbf = part(".dbf")?
        .ok_or_else(|| bad(format!("the archive has no {stem}.dbf beside {shp_name}")))?;
    let prj = part(".prj")?.map(|b| String::from_utf8_lossy(&b).into_owned());
    let cpg = part(".cpg")?.map(|b| String::from_utf8_lossy(&b).into_owned());
    read_parts(
        ShapefileParts {
            shp: &shp,
            dbf: &dbf,
            prj: prj.as_deref(),
            cpg: cpg.as_deref(),
        },
        options,
    )
}

/// Whether a `.prj` (WKT 1 or 2) describes geographic WGS84; `Err` names what it is.
pub fn check_prj(prj: &str) -> Result<(), ShapefileError> {
    let wkt = prj
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_uppercase();
    let head: String = prj.trim().chars().take(80).collect();
    if wkt.starts_with("PROJCS") || wkt.starts_with("PROJCRS") || wkt.contains("PROJECTION[") {
        return Err(ShapefileError::NotWgs84(format!(
            "a projected coordinate system ({head}…)"
        )));
    }
    let geographic = wkt.starts_with("GEOGCS") || wkt.starts_with("GEOGCRS");
    let wgs84 = ["WGS_1984", "WGS 84", "WGS84", "WGS_84", "\"4326\""]
        .iter()
        .any(|w| wkt.contains(w));
    if geographic && wgs84 {
        Ok(())
    } else {
        Err(ShapefileError::NotWgs84(format!(
            "a coordinate system other than WGS84 ({head}…)"
        )))
    }
}

/// Reads areas from the component files' bytes.
pub fn read_parts(
    parts: ShapefileParts<'_>,
    options: &AreaOptions,
) -> Result<AreaRead, Vec<RecordError>> {
    let mut warnings = Vec::new();
    match parts.prj {
        Some(prj) => check_prj(prj)?,
        None => warnings.push(
            "no .prj file: the coordinates were assumed to be WGS84 longitude/latitude".into(),
        ),
    }
    let encoding = match parts.cpg.map(str::trim).filter(|c| !c.is_empty()) {
        Some(name) => match dbase::encoding::DynEncoding::from_name(name) {
            Some(e) => Some(e),
            None => {
                return Err(vec![RecordError::file(
                    "cpg",
                    format!("unknown character encoding {name:?} in the .cpg file"),
                )]);
            }
        },
        None => None,
    };
    let rows = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode(parts, encoding)))
        .map_err(|_| ShapefileError::Malformed("the shapefile could not be decoded".into()))??;
    let mut read = AreaRead {
        warnings,
        ..AreaRead::default()
    };
    let mut errors = Vec::new();
    for (index, (shape, props)) in rows.into_iter().enumerate() {
        match area_from_record(index, &props, shape, options) {
            Ok((area, repair)) => {
                read.repaired.extend(repair);
                read.areas.push(area);
            }
            Err(e) => errors.extend(e),
        }
    }
    finish(read, errors)
}

type Row = (
    Result<geo::MultiPolygon<f64>, (String, String)>,
    Map<String, Value>,
);

fn decode(
    parts: ShapefileParts<'_>,
    encoding: Option<dbase::encoding::DynEncoding>,
) -> Result<Vec<Row>, ShapefileError> {
    let malformed = |what: &str, e: &dyn std::fmt::Display| {
        ShapefileError::Malformed(format!("the {what} is malformed: {e}"))
    };
    let shapes =
        shapefile::ShapeReader::new(Cursor::new(parts.shp)).map_err(|e| malformed(".shp", &e))?;
    let mut builder = dbase::ReaderBuilder::new();
    if let Some(e) = encoding {
        builder = builder.with_encoding(e);
    }
    let table = builder
        .build(Cursor::new(parts.dbf))
        .map_err(|e| malformed(".dbf", &e))?;
    let records = table.header().num_records as usize;
    let mut reader = shapefile::Reader::new(shapes, table);
    let mut rows = Vec::new();
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = item.map_err(|e| malformed(&format!("record {i}"), &e))?;
        rows.push((multipolygon(shape), properties(record)));
    }
    if rows.len() != records {
        return Err(ShapefileError::Malformed(format!(
            "the .dbf has {records} rows but the .shp {} shapes",
            rows.len()
        )));
    }
    Ok(rows)
}

fn multipolygon(shape: shapefile::Shape) -> Result<geo::MultiPolygon<f64>, (String, String)> {
    match shape {
        shapefile::Shape::Polygon(p) => Ok(assemble(p.rings())),
        shapefile::Shape::PolygonM(p) => Ok(assemble(p.rings())),
        shapefile::Shape::PolygonZ(p) => Ok(assemble(p.rings())),
        shapefile::Shape::NullShape => Err(("geometry".into(), "the record has no shape".into())),
        other => Err((
            "geometry.type".into(),
            format!("an area must be a polygon, not a {}", other.shapetype()),
        )),
    }
}

/// Rings → polygons. The shapefile convention (outer rings clockwise, holes
/// anticlockwise) decides; a hole goes to the first outer ring that contains it, and a
/// "hole" inside no outer ring (a ring drawn the wrong way round) is taken as an outer
/// ring rather than refused.
fn assemble<P: HasXY>(rings: &[PolygonRing<P>]) -> geo::MultiPolygon<f64> {
    use geo::Contains;
    let line = |points: &[P]| -> geo::LineString<f64> {
        points
            .iter()
            .map(|p| geo::Coord { x: p.x(), y: p.y() })
            .collect()
    };
    let mut outers: Vec<geo::Polygon<f64>> = Vec::new();
    let mut holes: Vec<geo::LineString<f64>> = Vec::new();
    for ring in rings {
        match ring {
            PolygonRing::Outer(points) => outers.push(geo::Polygon::new(line(points), vec![])),
            PolygonRing::Inner(points) => holes.push(line(points)),
        }
    }
    for hole in holes {
        let first = hole.0.first().copied();
        let owner = first.and_then(|c| {
            outers
                .iter()
                .position(|o| o.exterior().0.len() >= 4 && o.contains(&geo::Point::from(c)))
        });
        match owner {
            Some(i) => outers[i].interiors_push(hole),
            None => outers.push(geo::Polygon::new(hole, vec![])),
        }
    }
    geo::MultiPolygon(outers)
}

fn properties(record: dbase::Record) -> Map<String, Value> {
    record
        .into_iter()
        .filter_map(|(name, value)| {
            let v = match value {
                FieldValue::Character(Some(s)) | FieldValue::Memo(s) => Value::String(s),
                FieldValue::Numeric(Some(n)) | FieldValue::Double(n) | FieldValue::Currency(n) => {
                    number(n)
                }
                FieldValue::Float(Some(n)) => number(f64::from(n)),
                FieldValue::Integer(n) => Value::from(n),
                FieldValue::Logical(Some(b)) => Value::Bool(b),
                _ => return None,
            };
            Some((name, v))
        })
        .collect()
}

fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip of `a.shp` (`shp_bytes` zeros, compressing to almost nothing) and a small
    /// `a.dbf`; with `declared`, the archive claims the `.shp` unpacks to that many bytes.
    fn zipped(shp_bytes: usize, declared: Option<u32>) -> Vec<u8> {
        use std::io::Write;
        let mut out = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("a.shp", deflated).unwrap();
        zip.write_all(&vec![0; shp_bytes]).unwrap();
        zip.start_file("a.dbf", deflated).unwrap();
        zip.write_all(b"not a dbf").unwrap();
        zip.finish().unwrap();
        let mut bytes = out.into_inner();
        if let Some(size) = declared {
            // The uncompressed size of the first entry, in its local header (offset 22)
            // and its central directory record (offset 24).
            let local = 0;
            let central = memchr::memmem::find(&bytes, b"PK\x01\x02").unwrap();
            assert_eq!(&bytes[local..local + 4], b"PK\x03\x04");
            bytes[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
            bytes[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
        }
        bytes
    }

    fn unzip_error(bytes: &[u8], limit: u64) -> String {
        match read_zip_within(bytes, &AreaOptions::default(), limit) {
            Ok(_) => String::new(),
            Err(errors) => errors[0].message.clone(),
        }
    }

    #[test]
    fn a_zip_is_refused_by_what_it_unpacks_to_not_what_it_declares() {
        let limit = 1 << 20;
        let refused = format!("the archive unpacks to more than {limit} bytes");
        // 4 MB of zeros are a few kB zipped; the archive may claim anything.
        assert_eq!(unzip_error(&zipped(4 << 20, None), limit), refused);
        // An archive that understates is stopped once it unpacks past its claim.
        let lying = zipped(4 << 20, Some(1000));
        assert!(lying.len() < 64 * 1024, "{} bytes", lying.len());
        let understated = unzip_error(&lying, limit);
        assert!(
            understated == refused || understated.contains("larger than its declared"),
            "{understated}"
        );
        // Within the limit, unpacking goes on (and the zeros fail as a shapefile),
        // also when the archive claims more than the limit.
        for declared in [None, Some(2_000_000_000)] {
            let small = unzip_error(&zipped(100_000, declared), limit);
            assert!(!small.contains("unpacks to"), "{declared:?}: {small}");
        }
    }

    #[test]
    fn prj_check() {
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert!(check_prj(wgs).is_ok());
        let utm = r#"PROJCS["WGS_1984_UTM_Zone_42N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]],PROJECTION["Transverse_Mercator"]]"#;
        assert!(
            check_prj(utm)
                .unwrap_err()
                .to_string()
                .contains("projected")
        );
        let pulkovo = r#"GEOGCS["GCS_Pulkovo_1942",DATUM["D_Pulkovo_1942"]]"#;
        assert!(
            check_prj(pulkovo)
                .unwrap_err()
                .to_string()
                .contains("WGS84")
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let parts = ShapefileParts {
            shp: b"not a shapefile",
            dbf: b"nor a dbf",
            prj: None,
            cpg: Some("UTF-8"),
        };
        assert!(read_parts(parts, &AreaOptions::default()).is_err());
        let parts = ShapefileParts {
            cpg: Some("klingon"),
            ..parts
        };
        let errors = read_parts(parts, &AreaOptions::default()).unwrap_err();
        assert_eq!(errors[0].field, "cpg");
    }
}
