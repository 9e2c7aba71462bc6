//! `tirek friction build` (a friction surface built AccessMod-style, written as a
//! GeoTIFF) and the rasters of `tirek travel-time --out-tif` (minutes and catchments
//! per sector).

use super::args::{BuildMode, FrictionBuildArgs};
use super::read_file;
use crate::coverage::analysis::Sites;
use crate::export::geotiff::{GeoGrid, Samples, geotiff_bytes};
use crate::import::pbf::read_osm_pbf;
use crate::model::Sector;
use crate::travel::build::{
    Mode, build_friction, default_road_speeds, read_landcover, read_road_speeds,
    read_scenario_table,
};
use crate::travel::{FrictionSurface, Moves, Placement, SectorSources, place};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

fn mode(m: BuildMode) -> Mode {
    match m {
        BuildMode::Walking => Mode::Walking,
        BuildMode::Bicycling => Mode::Bicycling,
        BuildMode::Motorised => Mode::Motorised,
    }
}

/// Writes every `(path, bytes)` or none: each goes to a temporary file beside its
/// target first, and the targets are replaced only once all are written.
fn write_all(files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    let temp = |p: &Path| {
        let mut name = p.file_name().unwrap_or_default().to_os_string();
        name.push(".tirek-partial");
        p.with_file_name(name)
    };
    for (path, bytes) in files {
        if let Err(e) = std::fs::write(temp(path), bytes) {
            for (p, _) in files {
                let _ = std::fs::remove_file(temp(p));
            }
            return Err(e).with_context(|| format!("writing {}", path.display()));
        }
    }
    for (path, _) in files {
        std::fs::rename(temp(path), path).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// `tirek friction build`.
pub fn build(args: &FrictionBuildArgs) -> Result<()> {
    let m = mode(args.mode);
    let landcover = read_landcover(&read_file(&args.landcover)?)
        .with_context(|| format!("reading {}", args.landcover.display()))?;
    let table = read_scenario_table(&read_file(&args.speeds)?)
        .with_context(|| format!("reading {}", args.speeds.display()))?;
    let osm = match &args.roads {
        Some(path) => Some(
            read_osm_pbf(&read_file(path)?)
                .with_context(|| format!("reading {}", path.display()))?,
        ),
        None => None,
    };
    let mut speeds = default_road_speeds(m);
    if let Some(path) = &args.road_speeds {
        speeds = read_road_speeds(&read_file(path)?, speeds)
            .with_context(|| format!("reading {}", path.display()))?;
    }
    let built = build_friction(&landcover, &table, osm.as_ref().map(|o| (o, &speeds)), m)?;
    let bytes = geotiff_bytes(&built.grid, Samples::F32(&built.friction), Some(f64::NAN))?;
    write_all(&[(args.out.clone(), bytes)])?;
    for w in &built.warnings {
        eprintln!("warning: {w}");
    }
    let g = built.grid;
    eprintln!(
        "wrote {}: {} × {} cells of {} × {} degrees, {} scenario; {} road cells, {} water-barrier cells ({} kept passable by bridges, tunnels or fords), {} impassable",
        args.out.display(),
        g.width,
        g.height,
        g.dx,
        g.dy,
        m.name(),
        built.road_cells,
        built.barrier_cells,
        built.crossing_cells,
        built.impassable_cells
    );
    if let Some(osm) = &osm {
        eprintln!(
            "from {}: {} roads, {} rivers/canals/streams, {} water areas",
            args.roads
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string()),
            osm.roads.len(),
            osm.water_lines.len(),
            osm.water_areas.len()
        );
    }
    Ok(())
}

/// The rasters of `tirek travel-time --out-tif DIR`: per sector, the minutes from its
/// nearest facility in time, the catchments and their legend. All are computed before
/// any is written.
pub(crate) fn write_rasters(
    dir: &Path,
    surface: &FrictionSurface,
    sites: &Sites,
    sectors: &[Sector],
    placed: &[SectorSources],
    moves: Moves,
) -> Result<()> {
    let (west, north, dx, dy) = surface.extent();
    let grid = GeoGrid {
        width: surface.width(),
        height: surface.height(),
        west,
        north,
        dx,
        dy,
    };
    let mut files = Vec::new();
    for (sector, sources) in sectors.iter().zip(placed) {
        let times = surface.travel_times(&sources.cells, moves, f64::INFINITY);
        let minutes: Vec<f32> = (0..surface.cells())
            .map(|c| {
                let t = times.minutes(c);
                if t.is_finite() { t as f32 } else { f32::NAN }
            })
            .collect();
        drop(times);
        let members = &sites.members[sector.index()];
        let cells: Vec<Option<usize>> = members
            .iter()
            .map(|&m| {
                let (lon, lat) = sites.lonlat[m as usize];
                match place(surface, lon, lat) {
                    Placement::Cell(c) | Placement::Impassable(c) => Some(c),
                    Placement::OffSurface => None,
                }
            })
            .collect();
        let owner = surface.catchments(&cells, moves).owner;
        let mut legend = String::from("index,facility_id\n");
        for (k, &m) in members.iter().enumerate() {
            legend.push_str(&format!("{k},{}\n", csv_field(&sites.ids[m as usize])));
        }
        files.push((
            dir.join(format!("minutes_{sector}.tif")),
            geotiff_bytes(&grid, Samples::F32(&minutes), Some(f64::NAN))?,
        ));
        files.push((
            dir.join(format!("catchments_{sector}.tif")),
            geotiff_bytes(&grid, Samples::I32(&owner), Some(-1.0))?,
        ));
        files.push((
            dir.join(format!("catchments_{sector}.csv")),
            legend.into_bytes(),
        ));
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write_all(&files)?;
    if sectors.contains(&Sector::Shelter) {
        eprintln!(
            "note: the shelter rasters locate every shelter they were computed from (0 minutes in its cell): share them only as you would the shelters' addresses"
        );
    }
    eprintln!(
        "wrote {} raster(s) and legend(s) to {}",
        files.len(),
        dir.display()
    );
    Ok(())
}

/// A CSV field, quoted when it needs to be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
