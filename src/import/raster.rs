//! Population from a GeoTIFF raster of people per cell (WorldPop / GHSL style), in
//! EPSG:4326. Every cell with a count above zero becomes a population point at the cell
//! centre (id `<prefix>:<row>:<col>`); `GDAL_NODATA` cells (tag 42113) and NaN are
//! skipped and counted, negative counts are record errors.
//!
//! Georeferencing comes from `ModelPixelScale` + `ModelTiepoint` (or a
//! `ModelTransformation` without rotation); `GTRasterTypeGeoKey` = PixelIsPoint is
//! honoured. The GeoKey directory must describe geographic WGS84 (model type geographic,
//! `GeographicTypeGeoKey` 4326, or a user-defined one on datum 6326); a projected raster
//! is refused with a message that says so. Without a GeoKey directory the raster is
//! assumed to be EPSG:4326 when its cell centres are valid degrees, with a warning.
//! One band only; unsigned, signed or floating-point samples of any width.

use super::RecordError;
use crate::model::Settlement;
use std::io::Cursor;
use tiff::decoder::{Decoder, DecodingResult};
use tiff::tags::Tag;

/// A raster that cannot be read as a whole.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// Not a TIFF, or one the decoder cannot read.
    #[error("not a readable GeoTIFF: {0}")]
    Tiff(String),
    /// No georeferencing tags.
    #[error(
        "the TIFF has no georeferencing (ModelPixelScale + ModelTiepoint or ModelTransformation): export it as a GeoTIFF in EPSG:4326"
    )]
    NotGeoreferenced,
    /// The raster is in another coordinate system.
    #[error(
        "the raster is in {0}; Tirek reads rasters (population, friction) in WGS84 longitude/latitude (EPSG:4326) only — reproject it first (e.g. gdalwarp -t_srs EPSG:4326)"
    )]
    NotWgs84(String),
    /// A layout Tirek does not read (several bands, rotation, …).
    #[error("{0}")]
    Unsupported(String),
}

impl From<RasterError> for Vec<RecordError> {
    fn from(e: RasterError) -> Self {
        let field = match &e {
            RasterError::NotWgs84(_) => "crs",
            _ => "file",
        };
        vec![RecordError::file(field, e.to_string())]
    }
}

/// What a raster gave.
#[derive(Debug, Clone, Default)]
pub struct RasterRead {
    /// One population point per cell with a count above zero.
    pub settlements: Vec<Settlement>,
    /// Cells in the raster.
    pub cells: usize,
    /// Cells marked no-data (or NaN).
    pub nodata_cells: usize,
    /// Cells with a count of zero.
    pub zero_cells: usize,
    /// The sum of every counted cell.
    pub total_population: f64,
    /// Things the user should know that did not stop the import.
    pub warnings: Vec<String>,
}

/// Whether `bytes` start like a TIFF (classic or BigTIFF, either byte order).
pub fn is_tiff(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some(b"II*\0") | Some(b"MM\0*") | Some(b"II+\0") | Some(b"MM\0+")
    )
}

/// The most cell errors listed before the rest are summarised.
const MAX_ERRORS: usize = 1000;

/// Reads a GeoTIFF of population counts.
pub fn read_geotiff(bytes: &[u8], id_prefix: &str) -> Result<RasterRead, Vec<RecordError>> {
    std::panic::catch_unwind(|| read_inner(bytes, id_prefix))
        .unwrap_or_else(|_| Err(RasterError::Tiff("the decoder failed on this file".into()).into()))
}

/// How cell (col, row) maps to lon/lat: `lon = x0 + col * dx`, `lat = y0 + row * dy`,
/// for the cell centre; the outer corner of cell (0, 0) is (`x_edge`, `y_edge`) (so a
/// north-up raster has `dy < 0` and its top edge at `y_edge`). Shared with the friction
/// surfaces of [`crate::travel`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub(crate) x0: f64,
    pub(crate) dx: f64,
    pub(crate) y0: f64,
    pub(crate) dy: f64,
    pub(crate) x_edge: f64,
    pub(crate) y_edge: f64,
}

fn read_inner(bytes: &[u8], id_prefix: &str) -> Result<RasterRead, Vec<RecordError>> {
    let tiff = |e: tiff::TiffError| RasterError::Tiff(e.to_string());
    let mut decoder = Decoder::new(Cursor::new(bytes)).map_err(tiff)?;
    let (width, height) = decoder.dimensions().map_err(tiff)?;
    match decoder.colortype().map_err(tiff)? {
        tiff::ColorType::Gray(_) => {}
        other => {
            return Err(RasterError::Unsupported(format!(
                "the raster has {other:?} pixels; a population raster has one band of counts"
            ))
            .into());
        }
    }
    let mut read = RasterRead::default();
    let raster_type_point = check_geokeys(&mut decoder, &mut read.warnings)?;
    let grid = grid(&mut decoder, raster_type_point)?;
    let nodata = gdal_nodata(&mut decoder)?;
    // Corners first: a projected raster without GeoKeys shows here.
    let (w, h) = (f64::from(width), f64::from(height));
    for (c, r) in [
        (0.0, 0.0),
        (w - 1.0, 0.0),
        (0.0, h - 1.0),
        (w - 1.0, h - 1.0),
    ] {
        let (lon, lat) = (grid.x0 + c * grid.dx, grid.y0 + r * grid.dy);
        if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
            return Err(RasterError::NotWgs84(format!(
                "coordinates such as ({lon}, {lat}), which are not degrees (a projected system)"
            ))
            .into());
        }
    }
    let values = samples(decoder.read_image().map_err(tiff)?);
    let cells = (width as usize).saturating_mul(height as usize);
    if values.len() < cells {
        return Err(RasterError::Tiff(format!(
            "{} samples for {width} × {height} cells",
            values.len()
        ))
        .into());
    }
    read.cells = cells;
    let mut errors = Vec::new();
    let mut extra_errors = 0usize;
    let is_nodata = |v: f64| {
        v.is_nan()
            || nodata.is_some_and(|n| {
                v == n || (n.is_finite() && (v - n).abs() <= 1e-6 * n.abs().max(1.0))
            })
    };
    for row in 0..height as usize {
        for col in 0..width as usize {
            let i = row * width as usize + col;
            let v = values[i];
            if is_nodata(v) {
                read.nodata_cells += 1;
                continue;
            }
            let id = format!("{id_prefix}:{row}:{col}");
            if v < 0.0 || v.is_infinite() {
                if errors.len() < MAX_ERRORS {
                    errors.push(RecordError {
                        index: Some(i),
                        id: Some(id),
                        field: "value".into(),
                        message: format!(
                            "cell (row {row}, column {col}) holds {v}, not a count of people \
                             (and it is not the no-data value)"
                        ),
                        column: None,
                    });
                } else {
                    extra_errors += 1;
                }
                continue;
            }
            if v == 0.0 {
                read.zero_cells += 1;
                continue;
            }
            read.total_population += v;
            read.settlements.push(Settlement {
                name: id.clone(),
                id,
                name_ru: None,
                alt_names: Vec::new(),
                lon: grid.x0 + col as f64 * grid.dx,
                lat: grid.y0 + row as f64 * grid.dy,
                population: v,
                country: None,
                adm1: None,
                adm2: None,
            });
        }
    }
    if extra_errors > 0 {
        errors.push(RecordError::file(
            "value",
            format!("… and {extra_errors} more cell(s) with negative counts"),
        ));
    }
    if errors.is_empty() {
        Ok(read)
    } else {
        Err(errors)
    }
}

/// Checks the GeoKey directory describes WGS84 lon/lat; returns whether the raster type
/// is PixelIsPoint.
pub(crate) fn check_geokeys(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    warnings: &mut Vec<String>,
) -> Result<bool, RasterError> {
    let keys = match decoder.find_tag(Tag::GeoKeyDirectoryTag) {
        Ok(Some(v)) => v
            .into_u16_vec()
            .map_err(|e| RasterError::Tiff(e.to_string()))?,
        Ok(None) => {
            warnings.push(
                "the raster has no GeoKey directory: it was taken to be EPSG:4326 (WGS84 degrees)"
                    .into(),
            );
            return Ok(false);
        }
        Err(e) => return Err(RasterError::Tiff(e.to_string())),
    };
    let count = keys.get(3).copied().unwrap_or(0) as usize;
    let key = |id: u16| -> Option<u16> {
        (0..count).find_map(|k| {
            let entry = keys.get(4 + 4 * k..8 + 4 * k)?;
            // Location 0: the value is in the entry itself.
            (entry[0] == id && entry[1] == 0).then_some(entry[3])
        })
    };
    const MODEL_TYPE: u16 = 1024;
    const RASTER_TYPE: u16 = 1025;
    const GEOGRAPHIC_TYPE: u16 = 2048;
    const GEODETIC_DATUM: u16 = 2050;
    const PROJECTED_TYPE: u16 = 3072;
    if key(MODEL_TYPE) == Some(1) || key(PROJECTED_TYPE).is_some() {
        let epsg = key(PROJECTED_TYPE).map_or(String::new(), |e| format!(" EPSG:{e}"));
        return Err(RasterError::NotWgs84(format!(
            "a projected coordinate system{epsg}"
        )));
    }
    if let Some(model) = key(MODEL_TYPE)
        && model != 2
    {
        return Err(RasterError::NotWgs84(format!(
            "model type {model} (not geographic)"
        )));
    }
    match key(GEOGRAPHIC_TYPE) {
        None | Some(4326) => {}
        Some(32767) if key(GEODETIC_DATUM).is_none_or(|d| d == 6326) => {}
        Some(other) => {
            return Err(RasterError::NotWgs84(format!(
                "the geographic system EPSG:{other}"
            )));
        }
    }
    Ok(key(RASTER_TYPE) == Some(2))
}

/// The raster's georeferencing (see [`Grid`]); a rotated raster is refused.
pub(crate) fn grid(
    decoder: &mut Decoder<Cursor<&[u8]>>,
    pixel_is_point: bool,
) -> Result<Grid, RasterError> {
    let f64s =
        |decoder: &mut Decoder<Cursor<&[u8]>>, tag: Tag| -> Result<Option<Vec<f64>>, RasterError> {
            match decoder.find_tag(tag) {
                Ok(Some(v)) => v
                    .into_f64_vec()
                    .map(Some)
                    .map_err(|e| RasterError::Tiff(e.to_string())),
                Ok(None) => Ok(None),
                Err(e) => Err(RasterError::Tiff(e.to_string())),
            }
        };
    let half = if pixel_is_point { 0.0 } else { 0.5 };
    let scale = f64s(decoder, Tag::ModelPixelScaleTag)?;
    let tie = f64s(decoder, Tag::ModelTiepointTag)?;
    if let (Some(scale), Some(tie)) = (&scale, &tie) {
        let (Some(&[sx, sy]), Some(&[i, j, _, x, y])) = (scale.get(..2), tie.get(..5)) else {
            return Err(RasterError::Unsupported(
                "ModelPixelScale needs 3 values and ModelTiepoint 6".into(),
            ));
        };
        if !(sx > 0.0 && sy > 0.0 && sx.is_finite() && sy.is_finite()) {
            return Err(RasterError::Unsupported(format!(
                "cell size {sx} × {sy} is not positive"
            )));
        }
        // The tie point is a cell's corner (pixel is area) or its centre (pixel is point).
        let edge = 0.5 - half;
        return Ok(Grid {
            x0: x + (half - i) * sx,
            dx: sx,
            y0: y - (half - j) * sy,
            dy: -sy,
            x_edge: x - (i + edge) * sx,
            y_edge: y + (j + edge) * sy,
        });
    }
    if let Some(m) = f64s(decoder, Tag::ModelTransformationTag)? {
        let Some(&[a, b, _, d, e, f, _, h]) = m.get(..8) else {
            return Err(RasterError::Unsupported(
                "ModelTransformation needs 16 values".into(),
            ));
        };
        if b != 0.0 || e != 0.0 {
            return Err(RasterError::Unsupported(
                "the raster is rotated (ModelTransformation with shear terms); warp it to a north-up grid".into(),
            ));
        }
        let edge = 0.5 - half;
        return Ok(Grid {
            x0: d + half * a,
            dx: a,
            y0: h + half * f,
            dy: f,
            x_edge: d - edge * a,
            y_edge: h - edge * f,
        });
    }
    Err(RasterError::NotGeoreferenced)
}

/// Reads the `GDAL_NODATA` tag (42113) as a number, when present.
pub(crate) fn gdal_nodata(
    decoder: &mut Decoder<Cursor<&[u8]>>,
) -> Result<Option<f64>, RasterError> {
    let tiff = |e: tiff::TiffError| RasterError::Tiff(e.to_string());
    match decoder.find_tag(Tag::GdalNodata).map_err(tiff)? {
        Some(v) => {
            let text = v.into_string().map_err(tiff)?;
            let text = text.trim_matches(char::from(0)).trim();
            Ok(Some(text.parse::<f64>().map_err(|_| {
                RasterError::Unsupported(format!("GDAL_NODATA {text:?} is not a number"))
            })?))
        }
        None => Ok(None),
    }
}

fn samples(result: DecodingResult) -> Vec<f64> {
    fn all<T: Copy>(v: Vec<T>, f: impl Fn(T) -> f64) -> Vec<f64> {
        v.into_iter().map(f).collect()
    }
    match result {
        DecodingResult::U8(v) => all(v, f64::from),
        DecodingResult::U16(v) => all(v, f64::from),
        DecodingResult::U32(v) => all(v, f64::from),
        DecodingResult::U64(v) => all(v, |x| x as f64),
        DecodingResult::F16(v) => all(v, |x| x.to_f64()),
        DecodingResult::F32(v) => all(v, f64::from),
        DecodingResult::F64(v) => v,
        DecodingResult::I8(v) => all(v, f64::from),
        DecodingResult::I16(v) => all(v, f64::from),
        DecodingResult::I32(v) => all(v, f64::from),
        DecodingResult::I64(v) => all(v, |x| x as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_tiff() {
        assert!(!is_tiff(b"{\"type\""));
        assert!(is_tiff(b"II*\0rest"));
        assert!(read_geotiff(b"II*\0garbage", "p").is_err());
        assert!(read_geotiff(b"", "p").is_err());
    }
}
