//! The friction surface: one band of friction (minutes per metre) on a north-up
//! longitude/latitude grid, stored as `f32` row by row inside a border of impassable
//! cells (so that the engine needs no bounds checks), with each row's geodesic step
//! lengths; and its reader for GeoTIFF files (georeferencing shared with the
//! population raster reader, [`crate::import::raster`]).

use super::TravelError;
use crate::import::raster::{check_geokeys, gdal_nodata, grid, is_tiff};
use crate::spatial::geodesy::geodesic_m;
use std::io::Cursor;
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

/// Impassable cells around the grid: two, for the knight's moves.
pub(crate) const PAD: usize = 2;

/// Half the geodesic length, metres, of each kind of move leaving a row southwards (or
/// within it), for one row of the padded grid (zero in the border). Half, because a
/// move costs `length × (f_a + f_b) / 2` and halving is exact.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RowSteps {
    /// To the next cell east or west (same row).
    pub(crate) east: f64,
    /// To the cell below (next row, same column).
    pub(crate) south: f64,
    /// To a diagonal cell below (next row, next column east or west).
    pub(crate) diagonal: f64,
    /// Knight's move: next row, two columns east or west.
    pub(crate) knight_wide: f64,
    /// Knight's move: two rows down, next column east or west.
    pub(crate) knight_tall: f64,
}

/// A friction surface ready for the engine.
#[derive(Debug, Clone)]
pub struct FrictionSurface {
    width: usize,
    height: usize,
    /// Longitude of the west edge, degrees.
    left: f64,
    /// Latitude of the north edge, degrees.
    top: f64,
    /// Cell width and height, degrees (both positive).
    dx: f64,
    dy: f64,
    /// Padded width (`width + 2·PAD`).
    pub(crate) stride: usize,
    /// Friction per padded cell, minutes per metre; 0 marks an impassable cell.
    pub(crate) friction: Vec<f32>,
    /// Per padded row, its steps.
    pub(crate) rows: Vec<RowSteps>,
    passable: usize,
    /// Least and greatest friction of a passable cell (0 when none is).
    pub(crate) friction_range: (f32, f32),
    /// Things the user should know that did not stop the reading.
    pub warnings: Vec<String>,
}

impl FrictionSurface {
    /// A surface of `width × height` cells whose north-west corner is at (`left`, `top`)
    /// and whose cells measure `dx × dy` degrees, from `values` row by row (north row
    /// first). Values that are NaN, infinite, ≤ 0 or equal to `nodata` are impassable.
    pub fn new(
        width: usize,
        height: usize,
        (left, top): (f64, f64),
        (dx, dy): (f64, f64),
        values: &[f32],
        nodata: Option<f64>,
    ) -> Result<Self, TravelError> {
        let mut surface = Self::empty(width, height, (left, top), (dx, dy))?;
        if values.len() != width * height {
            return Err(TravelError::Unsupported(format!(
                "{} values for {width} × {height} cells",
                values.len()
            )));
        }
        surface.fill_rows(|row, out| {
            let row_values = &values[row * width..(row + 1) * width];
            for (o, &v) in out.iter_mut().zip(row_values) {
                *o = passable_f32(f64::from(v), v, nodata);
            }
        });
        Ok(surface)
    }

    /// An all-impassable surface; checks the geometry.
    fn empty(
        width: usize,
        height: usize,
        (left, top): (f64, f64),
        (dx, dy): (f64, f64),
    ) -> Result<Self, TravelError> {
        if width == 0 || height == 0 {
            return Err(TravelError::Unsupported(
                "the friction surface has no cells".into(),
            ));
        }
        if !(dx > 0.0 && dy > 0.0 && dx.is_finite() && dy.is_finite()) {
            return Err(TravelError::Unsupported(format!(
                "cell size {dx} × {dy} degrees is not positive"
            )));
        }
        let (right, bottom) = (left + width as f64 * dx, top - height as f64 * dy);
        let degrees = |lon: f64, lat: f64| {
            lon.is_finite() && lat.is_finite() && lon.abs() <= 360.0 && lat.abs() <= 90.0
        };
        if !(degrees(left, top) && degrees(right, bottom)) || right - left > 360.0 + 1e-9 {
            return Err(TravelError::NotGeographic(format!(
                "coordinates such as ({left}, {top}) to ({right}, {bottom}), which are not longitude/latitude degrees (a projected system)"
            )));
        }
        let cells = (height + 2 * PAD)
            .checked_mul(width + 2 * PAD)
            .filter(|&n| n < u32::MAX as usize)
            .ok_or_else(|| {
                TravelError::Unsupported(format!(
                    "{width} × {height} cells is more than Tirek's engine takes (4 billion); clip the surface to the region"
                ))
            })?;
        let stride = width + 2 * PAD;
        let mut rows = vec![RowSteps::default(); height + 2 * PAD];
        let lat = |i: usize| top - (i as f64 + 0.5) * dy;
        for i in 0..height {
            let (a, b, c) = (lat(i), lat(i + 1), lat(i + 2));
            let last = i + 1 == height;
            rows[i + PAD] = RowSteps {
                east: geodesic_m(0.0, a, dx, a) / 2.0,
                south: if last {
                    0.0
                } else {
                    geodesic_m(0.0, a, 0.0, b) / 2.0
                },
                diagonal: if last {
                    0.0
                } else {
                    geodesic_m(0.0, a, dx, b) / 2.0
                },
                knight_wide: if last {
                    0.0
                } else {
                    geodesic_m(0.0, a, 2.0 * dx, b) / 2.0
                },
                knight_tall: if i + 2 >= height {
                    0.0
                } else {
                    geodesic_m(0.0, a, dx, c) / 2.0
                },
            };
        }
        Ok(Self {
            width,
            height,
            left,
            top,
            dx,
            dy,
            stride,
            friction: vec![0.0; cells],
            rows,
            passable: 0,
            friction_range: (0.0, 0.0),
            warnings: Vec::new(),
        })
    }

    /// Fills every row with `f(row, cells of the row)`, then counts the passable cells.
    fn fill_rows(&mut self, f: impl Fn(usize, &mut [f32]) + Sync) {
        let (width, stride) = (self.width, self.stride);
        let inner = &mut self.friction[PAD * stride..(PAD + self.height) * stride];
        crate::parallel::fill_chunks_from(
            64,
            inner.chunks_mut(stride).collect::<Vec<_>>().as_mut_slice(),
            |first, rows| {
                for (k, row) in rows.iter_mut().enumerate() {
                    f(first + k, &mut row[PAD..PAD + width]);
                }
            },
        );
        let (mut count, mut least, mut most) = (0usize, f32::INFINITY, 0.0f32);
        for &v in &self.friction {
            if v > 0.0 {
                count += 1;
                least = least.min(v);
                most = most.max(v);
            }
        }
        self.passable = count;
        self.friction_range = if count > 0 { (least, most) } else { (0.0, 0.0) };
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.height
    }

    /// How many cells the grid has (width × height).
    pub fn cells(&self) -> usize {
        self.width * self.height
    }

    /// Cells that can be crossed.
    pub fn passable_cells(&self) -> usize {
        self.passable
    }

    /// West, north edges and cell width, height, degrees.
    pub fn extent(&self) -> (f64, f64, f64, f64) {
        (self.left, self.top, self.dx, self.dy)
    }

    /// The cell (row-major index `row × width + col`) holding (`lon`, `lat`), if on the
    /// surface: `col = ⌊(lon − west)/dx⌋`, `row = ⌊(north − lat)/dy⌋`.
    pub fn cell_of(&self, lon: f64, lat: f64) -> Option<usize> {
        let col = ((lon - self.left) / self.dx).floor();
        let row = ((self.top - lat) / self.dy).floor();
        // Also false for NaN.
        if col >= 0.0 && row >= 0.0 && col < self.width as f64 && row < self.height as f64 {
            Some(row as usize * self.width + col as usize)
        } else {
            None
        }
    }

    /// The centre (lon, lat) of the cell at `row`, `col`.
    pub fn centre(&self, row: usize, col: usize) -> (f64, f64) {
        (
            self.left + (col as f64 + 0.5) * self.dx,
            self.top - (row as f64 + 0.5) * self.dy,
        )
    }

    /// The friction of a cell (row-major index), minutes per metre, or `None` when it is
    /// impassable.
    pub fn friction(&self, cell: usize) -> Option<f32> {
        let v = self.friction[self.padded(cell)];
        (v > 0.0).then_some(v)
    }

    /// A cell's index in the padded grid.
    #[inline]
    pub(crate) fn padded(&self, cell: usize) -> usize {
        let (row, col) = (cell / self.width, cell % self.width);
        (row + PAD) * self.stride + col + PAD
    }
}

/// `v` (also as the file's `f32` when it is one) as stored: 0 when impassable.
#[inline]
fn passable_f32(v: f64, as_f32: f32, nodata: Option<f64>) -> f32 {
    let is_nodata = nodata.is_some_and(|n| v == n || (as_f32 as f64) == (n as f32 as f64));
    if v.is_finite() && v > 0.0 && !is_nodata && as_f32.is_finite() && as_f32 > 0.0 {
        as_f32
    } else {
        0.0
    }
}

/// Largest decoded raster, bytes (a 30″ surface of the five countries takes 51 MB as
/// f32; the whole world at 30″ would take 3.7 GB: clip it to the region first).
const MAX_DECODED_BYTES: usize = 2 << 30;

/// Reads a friction GeoTIFF (see the module documentation of [`crate::travel`]):
/// EPSG:4326, north up; one band of `f16`/`f32`/`f64` or 8- to 64-bit integers;
/// uncompressed, deflate, LZW or PackBits; strips or tiles. Nothing is kept from a
/// file that fails.
pub fn read_friction_geotiff(bytes: &[u8]) -> Result<FrictionSurface, TravelError> {
    if !is_tiff(bytes) {
        return Err(TravelError::NotTiff);
    }
    std::panic::catch_unwind(|| read_inner(bytes))
        .unwrap_or_else(|_| Err(TravelError::Tiff("the decoder failed on this file".into())))
}

fn read_inner(bytes: &[u8]) -> Result<FrictionSurface, TravelError> {
    let tiff = |e: tiff::TiffError| TravelError::Tiff(e.to_string());
    let mut limits = Limits::default();
    limits.decoding_buffer_size = MAX_DECODED_BYTES;
    limits.intermediate_buffer_size = MAX_DECODED_BYTES;
    let mut decoder = Decoder::new(Cursor::new(bytes))
        .map_err(tiff)?
        .with_limits(limits);
    let (width, height) = decoder.dimensions().map_err(tiff)?;
    let compression = decoder
        .find_tag_unsigned::<u16>(Tag::Compression)
        .map_err(tiff)?
        .unwrap_or(1);
    match compression {
        1 | 5 | 8 | 32946 | 32773 => {}
        other => return Err(TravelError::Compression(compression_name(other))),
    }
    let format = decoder
        .find_tag_unsigned_vec::<u16>(Tag::SampleFormat)
        .map_err(tiff)?
        .and_then(|v| v.first().copied())
        .unwrap_or(1);
    let bits = match decoder.colortype() {
        Ok(tiff::ColorType::Gray(bits)) => bits,
        Ok(other) => {
            return Err(TravelError::Unsupported(format!(
                "the friction surface has {other:?} pixels; it must have one band of friction values"
            )));
        }
        Err(e) => return Err(sample_error(format, &e)),
    };
    match (format, bits) {
        (3, 16 | 32 | 64) | (1 | 2, 8 | 16 | 32 | 64) => {}
        _ => return Err(TravelError::SampleType(sample_name(format, bits))),
    }
    let mut warnings = Vec::new();
    let pixel_is_point = check_geokeys(&mut decoder, &mut warnings)?;
    let georef = grid(&mut decoder, pixel_is_point)?;
    if georef.dy >= 0.0 {
        return Err(TravelError::Unsupported(
            "the friction surface is not north-up (its rows run south to north); warp it to a north-up grid (gdalwarp)".into(),
        ));
    }
    if georef.dx <= 0.0 {
        return Err(TravelError::Unsupported(
            "the friction surface's columns run east to west; warp it to a north-up grid (gdalwarp)".into(),
        ));
    }
    let nodata = gdal_nodata(&mut decoder)?;
    let (w, h) = (width as usize, height as usize);
    let mut surface = FrictionSurface::empty(
        w,
        h,
        (georef.x_edge, georef.y_edge),
        (georef.dx, -georef.dy),
    )?;
    surface.warnings = warnings;
    let decoded = decoder.read_image().map_err(tiff)?;
    let fill =
        |surface: &mut FrictionSurface, len: usize, at: &(dyn Fn(usize) -> (f64, f32) + Sync)| {
            if len < w * h {
                return Err(TravelError::Tiff(format!(
                    "{len} samples for {w} × {h} cells"
                )));
            }
            surface.fill_rows(|row, out| {
                for (col, o) in out.iter_mut().enumerate() {
                    let (v, v32) = at(row * w + col);
                    *o = passable_f32(v, v32, nodata);
                }
            });
            Ok(())
        };
    match &decoded {
        DecodingResult::F32(v) => fill(&mut surface, v.len(), &|i| (f64::from(v[i]), v[i]))?,
        DecodingResult::F64(v) => fill(&mut surface, v.len(), &|i| (v[i], v[i] as f32))?,
        DecodingResult::F16(v) => fill(&mut surface, v.len(), &|i| (v[i].to_f64(), v[i].to_f32()))?,
        DecodingResult::U8(v) => fill(&mut surface, v.len(), &|i| {
            (f64::from(v[i]), f32::from(v[i]))
        })?,
        DecodingResult::U16(v) => fill(&mut surface, v.len(), &|i| {
            (f64::from(v[i]), f32::from(v[i]))
        })?,
        DecodingResult::U32(v) => fill(&mut surface, v.len(), &|i| (f64::from(v[i]), v[i] as f32))?,
        DecodingResult::U64(v) => fill(&mut surface, v.len(), &|i| (v[i] as f64, v[i] as f32))?,
        DecodingResult::I8(v) => fill(&mut surface, v.len(), &|i| {
            (f64::from(v[i]), f32::from(v[i]))
        })?,
        DecodingResult::I16(v) => fill(&mut surface, v.len(), &|i| {
            (f64::from(v[i]), f32::from(v[i]))
        })?,
        DecodingResult::I32(v) => fill(&mut surface, v.len(), &|i| (f64::from(v[i]), v[i] as f32))?,
        DecodingResult::I64(v) => fill(&mut surface, v.len(), &|i| (v[i] as f64, v[i] as f32))?,
    }
    Ok(surface)
}

/// A TIFF compression code's name.
fn compression_name(code: u16) -> String {
    let name = match code {
        2 => "CCITT RLE",
        3 => "CCITT Group 3",
        4 => "CCITT Group 4",
        6 | 7 => "JPEG",
        34887 => "LERC",
        34925 => "LZMA",
        50000 => "ZSTD",
        50001 => "WebP",
        34712 => "JPEG 2000",
        _ => "an unknown",
    };
    format!("{name} (code {code})")
}

fn sample_name(format: u16, bits: u8) -> String {
    let kind = match format {
        1 => "unsigned integer",
        2 => "signed integer",
        3 => "floating-point",
        4 => "untyped",
        5 => "complex integer",
        6 => "complex floating-point",
        _ => "unknown",
    };
    format!("{bits}-bit {kind} samples (SampleFormat {format})")
}

fn sample_error(format: u16, e: &tiff::TiffError) -> TravelError {
    TravelError::SampleType(format!(
        "samples the decoder cannot take (SampleFormat {format}: {e})"
    ))
}
