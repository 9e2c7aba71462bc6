//! Single-band GeoTIFF rasters on a north-up WGS84 longitude/latitude grid (EPSG:4326),
//! the form every Tirek raster output takes (friction surfaces, travel-time minutes,
//! catchments) and the form [`crate::import::raster`] and the friction reader read.
//!
//! What is written: one band of `f32`, `i32` or `u32` samples, deflate-compressed in
//! strips (integers with the horizontal predictor); `ModelPixelScale` (cell width and
//! height, degrees) and `ModelTiepoint` (the north-west corner of cell (0, 0)); a GeoKey
//! directory saying geographic model (`GTModelType` 2), pixel is area (`GTRasterType`
//! 1), `GeographicType` 4326, angular unit degree (9102); and, when given, the NoData
//! value in GDAL's `GDAL_NODATA` tag (42113) as text (`nan` for NaN). A raster whose
//! samples exceed what a classic TIFF's 32-bit offsets address is written as a BigTIFF.

use std::io::{Cursor, Seek, Write};
use tiff::encoder::colortype::{ColorType, Gray32, Gray32Float, GrayI32};
use tiff::encoder::{Compression, DeflateLevel, Predictor, TiffEncoder, TiffKind, TiffValue};
use tiff::tags::Tag;

/// Why a GeoTIFF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GeoTiffError {
    /// The grid does not describe a raster Tirek writes.
    #[error("cannot write this raster: {0}")]
    Grid(String),
    /// The encoder or the output failed.
    #[error("writing the GeoTIFF failed: {0}")]
    Write(String),
}

/// A north-up longitude/latitude grid: `width × height` cells whose north-west corner is
/// at (`west`, `north`) degrees and which measure `dx × dy` degrees (both positive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoGrid {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Longitude of the west edge, degrees.
    pub west: f64,
    /// Latitude of the north edge, degrees.
    pub north: f64,
    /// Cell width, degrees.
    pub dx: f64,
    /// Cell height, degrees.
    pub dy: f64,
}

/// The samples of one band, row by row from the north row.
#[derive(Debug, Clone, Copy)]
pub enum Samples<'a> {
    /// 32-bit floating point (friction, minutes).
    F32(&'a [f32]),
    /// 32-bit signed integers (class codes, catchment indices).
    I32(&'a [i32]),
    /// 32-bit unsigned integers.
    U32(&'a [u32]),
}

impl Samples<'_> {
    fn len(&self) -> usize {
        match self {
            Samples::F32(v) => v.len(),
            Samples::I32(v) => v.len(),
            Samples::U32(v) => v.len(),
        }
    }
}

/// The GeoKey directory: version 1.1.0, four keys.
const GEOKEYS: [u16; 20] = [
    1, 1, 0, 4, // header: version, revision, minor, key count
    1024, 0, 1, 2, // GTModelTypeGeoKey = ModelTypeGeographic
    1025, 0, 1, 1, // GTRasterTypeGeoKey = RasterPixelIsArea
    2048, 0, 1, 4326, // GeographicTypeGeoKey = WGS 84
    2054, 0, 1, 9102, // GeogAngularUnitsGeoKey = degree
];

/// Classic TIFF offsets are 32-bit; above this many sample bytes, a BigTIFF.
const CLASSIC_LIMIT: usize = 3 << 30;

/// The GeoTIFF of `samples` on `grid` with `nodata` (if any) as bytes.
pub fn geotiff_bytes(
    grid: &GeoGrid,
    samples: Samples<'_>,
    nodata: Option<f64>,
) -> Result<Vec<u8>, GeoTiffError> {
    let mut out = Cursor::new(Vec::new());
    write_geotiff(&mut out, grid, samples, nodata)?;
    Ok(out.into_inner())
}

/// Writes the GeoTIFF of `samples` on `grid` with `nodata` (if any) to `out`.
pub fn write_geotiff<W: Write + Seek>(
    out: W,
    grid: &GeoGrid,
    samples: Samples<'_>,
    nodata: Option<f64>,
) -> Result<(), GeoTiffError> {
    check(grid, samples.len())?;
    let encoder = |e: tiff::TiffError| GeoTiffError::Write(e.to_string());
    if samples.len() * 4 > CLASSIC_LIMIT {
        write_kind(
            TiffEncoder::new_big(out).map_err(encoder)?,
            grid,
            samples,
            nodata,
        )
    } else {
        write_kind(
            TiffEncoder::new(out).map_err(encoder)?,
            grid,
            samples,
            nodata,
        )
    }
}

fn check(grid: &GeoGrid, len: usize) -> Result<(), GeoTiffError> {
    let GeoGrid {
        width,
        height,
        west,
        north,
        dx,
        dy,
    } = *grid;
    if width == 0 || height == 0 || u32::try_from(width).is_err() || u32::try_from(height).is_err()
    {
        return Err(GeoTiffError::Grid(format!(
            "{width} × {height} cells (each side must be 1 to 4,294,967,295)"
        )));
    }
    if width.checked_mul(height) != Some(len) {
        return Err(GeoTiffError::Grid(format!(
            "{len} samples for {width} × {height} cells"
        )));
    }
    if !(dx > 0.0 && dy > 0.0 && dx.is_finite() && dy.is_finite()) {
        return Err(GeoTiffError::Grid(format!(
            "cell size {dx} × {dy} degrees is not positive"
        )));
    }
    let south = north - height as f64 * dy;
    let east = west + width as f64 * dx;
    if !(west.is_finite()
        && north.abs() <= 90.0
        && south >= -90.0 - 1e-9
        && east - west <= 360.0 + 1e-9)
    {
        return Err(GeoTiffError::Grid(format!(
            "extent {west}, {north} to {east}, {south} is not longitude/latitude degrees"
        )));
    }
    Ok(())
}

fn write_kind<W: Write + Seek, K: TiffKind>(
    encoder: TiffEncoder<W, K>,
    grid: &GeoGrid,
    samples: Samples<'_>,
    nodata: Option<f64>,
) -> Result<(), GeoTiffError> {
    let deflate = Compression::Deflate(DeflateLevel::Balanced);
    match samples {
        Samples::F32(v) => {
            band::<_, K, Gray32Float>(encoder.with_compression(deflate), grid, v, nodata)
        }
        Samples::I32(v) => band::<_, K, GrayI32>(
            encoder
                .with_compression(deflate)
                .with_predictor(Predictor::Horizontal),
            grid,
            v,
            nodata,
        ),
        Samples::U32(v) => band::<_, K, Gray32>(
            encoder
                .with_compression(deflate)
                .with_predictor(Predictor::Horizontal),
            grid,
            v,
            nodata,
        ),
    }
}

fn band<W: Write + Seek, K: TiffKind, C: ColorType>(
    mut encoder: TiffEncoder<W, K>,
    grid: &GeoGrid,
    values: &[C::Inner],
    nodata: Option<f64>,
) -> Result<(), GeoTiffError>
where
    [C::Inner]: TiffValue,
{
    let e = |e: tiff::TiffError| GeoTiffError::Write(e.to_string());
    let mut image = encoder
        .new_image::<C>(grid.width as u32, grid.height as u32)
        .map_err(e)?;
    let dir = image.encoder();
    dir.write_tag(Tag::ModelPixelScaleTag, &[grid.dx, grid.dy, 0.0][..])
        .map_err(e)?;
    dir.write_tag(
        Tag::ModelTiepointTag,
        &[0.0, 0.0, 0.0, grid.west, grid.north, 0.0][..],
    )
    .map_err(e)?;
    dir.write_tag(Tag::GeoKeyDirectoryTag, &GEOKEYS[..])
        .map_err(e)?;
    if let Some(n) = nodata {
        dir.write_tag(Tag::GdalNodata, nodata_text(n).as_str())
            .map_err(e)?;
    }
    image.write_data(values).map_err(e)
}

/// GDAL's text for a NoData value: `nan`, or the number in its shortest exact form.
fn nodata_text(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_grid_that_does_not_match_its_samples() {
        let grid = GeoGrid {
            width: 3,
            height: 2,
            west: 60.0,
            north: 45.0,
            dx: 0.5,
            dy: 0.5,
        };
        assert!(geotiff_bytes(&grid, Samples::F32(&[1.0; 5]), None).is_err());
        assert!(geotiff_bytes(&grid, Samples::F32(&[1.0; 6]), None).is_ok());
        let bad = GeoGrid { dx: 0.0, ..grid };
        assert!(geotiff_bytes(&bad, Samples::I32(&[1; 6]), None).is_err());
        let projected = GeoGrid {
            north: 4_500_000.0,
            ..grid
        };
        assert!(geotiff_bytes(&projected, Samples::U32(&[1; 6]), None).is_err());
        assert_eq!(nodata_text(f64::NAN), "nan");
        assert_eq!(nodata_text(-1.0), "-1");
    }
}
