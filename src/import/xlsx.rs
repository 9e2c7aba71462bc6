//! Facilities from an Excel workbook (`.xlsx`, as service-mapping teams and
//! KoboToolbox's XLSX export write it), read with `calamine`: the first sheet unless
//! one is named, its first non-empty row the header, then the rows as [`super::table`] reads
//! a CSV. Cells are read as text: numbers in their shortest exact form (coordinates
//! keep every digit), dates as `YYYY-MM-DD`, times as `YYYY-MM-DD HH:MM:SS`. Rows and
//! columns in errors are the sheet's own (header row 1 when the sheet starts there;
//! columns by letter).
//!
//! A workbook is a zip archive: before it is parsed, every member is unpacked into
//! nothing to count its true size, and a workbook that unpacks to more than
//! [`MAX_UNPACKED_BYTES`] is refused (a zip bomb holds nothing in memory).

use super::RecordError;
use super::table::{Rows, TableOptions, TableRead};
use crate::model::Facility;
use calamine::{Data, Reader};
use std::io::Cursor;
use std::ops::ControlFlow;

/// The most a workbook may unpack to, bytes: a sheet of a million rows is well under.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// The media type of an `.xlsx` workbook.
pub const MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Whether `bytes` start like a zip archive (an `.xlsx` is one).
pub fn is_xlsx(bytes: &[u8]) -> bool {
    super::shapefile::is_zip(bytes)
}

/// Reads the facilities of a workbook's sheet (see the module), handing each valid one
/// to `each` in order until it answers `Break`.
pub fn read_each(
    bytes: &[u8],
    options: &TableOptions,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<TableRead, Vec<RecordError>> {
    read_each_within(bytes, options, MAX_UNPACKED_BYTES, each)
}

/// [`read_each`] with another limit on the bytes unpacked.
pub fn read_each_within(
    bytes: &[u8],
    options: &TableOptions,
    max_unpacked: u64,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<TableRead, Vec<RecordError>> {
    // One workbook at a time: each may hold its sheet's cells in memory.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _reading = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let bad = |message: String| vec![RecordError::file("", message)];
    check_unpacked_size(bytes, max_unpacked).map_err(bad)?;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| bad(format!("not a readable .xlsx workbook: {e}")))?;
    let names = workbook.sheet_names();
    let name = match &options.sheet {
        Some(wanted) => names
            .iter()
            .find(|n| *n == wanted)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
            .cloned()
            .ok_or_else(|| {
                bad(format!(
                    "the workbook has no sheet {wanted:?}; its sheets: {}",
                    names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| bad("the workbook has no sheets".into()))?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| bad(format!("cannot read sheet {name:?}: {e}")))?;
    let Some((first_row, first_column)) = range.start() else {
        return Err(bad(format!("sheet {name:?} is empty")));
    };
    let first_column = first_column as usize;
    let mut rows = range.rows().enumerate();
    // The first non-empty row is the header: pad it to the sheet's left edge so
    // that columns keep their letters.
    let text_row = |cells: &[Data]| -> Vec<String> {
        std::iter::repeat_n(String::new(), first_column)
            .chain(cells.iter().map(cell_text))
            .collect()
    };
    let (header_at, header) = loop {
        match rows.next() {
            None => return Err(bad(format!("sheet {name:?} has no header row"))),
            Some((i, cells)) => {
                let cells = text_row(cells);
                if cells.iter().any(|c| !c.trim().is_empty()) {
                    break (i, cells);
                }
            }
        }
    };
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut reader = Rows::new(&header, options.clone(), each);
    let row_number = |i: usize| first_row as usize + i + 1;
    let offset = row_number(header_at) - 1;
    for (i, cells) in rows {
        let cells = text_row(cells);
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        // `Rows` takes the row under the header as row 2 (where a hashtag row may be);
        // errors name the sheet's own numbers.
        if reader.row(row_number(i) - offset, &cells).is_break() {
            break;
        }
    }
    reader.finish().map_err(|errors| {
        errors
            .into_iter()
            .map(|mut e| {
                if let Some(row) = e.index.as_mut() {
                    *row += offset;
                }
                e
            })
            .collect()
    })
}

/// Refuses an archive whose members unpack to more than `max` bytes, counting what
/// they unpack to, not what they declare.
fn check_unpacked_size(bytes: &[u8], max: u64) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .xlsx workbook (zip): {e}"))?;
    let mut budget = max;
    for i in 0..archive.len() {
        let file = archive
            .by_index(i)
            .map_err(|e| format!("cannot read the workbook's member {i}: {e}"))?;
        let name = file.name().map(|n| n.into_owned()).unwrap_or_default();
        let size = std::io::copy(
            &mut std::io::Read::take(file, budget + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| format!("cannot unpack {name}: {e}"))?;
        if size > budget {
            return Err(format!("the workbook unpacks to more than {max} bytes"));
        }
        budget -= size;
    }
    Ok(())
}

/// A cell as the text a CSV would hold.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Rust's shortest form that reads back to the same f64: every digit a
        // coordinate has, no more; whole numbers without ".0".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) if t.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = t.to_ymd_hms_milli();
            if t.as_f64().fract() == 0.0 {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(t) => t.as_f64().to_string(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_workbook_is_refused_by_what_it_unpacks_to() {
        // 4 MB of zeros zip to a few kB.
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/worksheets/sheet1.xml", deflated)
            .unwrap();
        zip.write_all(&vec![b' '; 4 << 20]).unwrap();
        zip.finish().unwrap();
        let bytes = out.into_inner();
        assert!(bytes.len() < 100_000);
        let e = read_each_within(&bytes, &TableOptions::default(), 1 << 20, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap_err();
        assert_eq!(
            e[0].message,
            "the workbook unpacks to more than 1048576 bytes"
        );
        // Under the limit it is read, and found not to be a workbook.
        let e = read_each_within(&bytes, &TableOptions::default(), 8 << 20, &mut |_| {
            ControlFlow::Continue(())
        })
        .unwrap_err();
        assert!(e[0].message.contains("not a readable .xlsx"), "{e:?}");
    }

    #[test]
    fn cells_read_as_text() {
        // Every digit of a coordinate survives: the text reads back to the same number.
        for x in [69.590123456789, 42.31700000000001, -0.1, 1e-7] {
            assert_eq!(cell_text(&Data::Float(x)).parse::<f64>(), Ok(x));
        }
        assert_eq!(cell_text(&Data::Float(69.590123456789)), "69.590123456789");
        assert_eq!(cell_text(&Data::Float(42.0)), "42");
        assert_eq!(cell_text(&Data::Int(7)), "7");
        let date =
            calamine::ExcelDateTime::new(46230.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(date)), "2026-07-27");
    }
}
