//! Roads and water from an OpenStreetMap extract in PBF (`.osm.pbf`, e.g. a Geofabrik
//! country download), for building friction surfaces AccessMod-style
//! ([`crate::travel`]'s build).
//!
//! What is kept:
//! - **roads**: every way with a `highway` tag, its value as is (which values get a
//!   speed is the build's business); a road tagged `bridge`, `tunnel` or `ford` (any
//!   value but `no`) is a *crossing*: it may pass over (or under, or through) water;
//! - **water lines**: `waterway=river|canal|stream`, unless culverted or piped
//!   (`tunnel` other than `no`);
//! - **water areas**: closed ways and `type=multipolygon` relations tagged
//!   `natural=water` or `waterway=riverbank`, as the set of their boundary lines
//!   (outer and inner rings alike: the even-odd rule over all of them gives the area,
//!   holes included, without assembling rings).
//!
//! Ways whose nodes are missing from the extract (clipped at its edge) are split there;
//! an area whose boundary is not closed is kept with `closed = false` (its outline is
//! still water, its inside unknown). Reading is three passes over the file: relations
//! and tagged ways, then the untagged ways that relations name, then the nodes needed.

use osmpbf::{Element, ElementReader, RelMemberType};
use std::collections::{HashMap, HashSet};
use std::io::Cursor;

/// Why a PBF file cannot be read. Nothing is kept from a file that fails.
#[derive(Debug, thiserror::Error)]
pub enum PbfError {
    /// The bytes are not an OpenStreetMap PBF file.
    #[error(
        "not an OpenStreetMap PBF file (.osm.pbf): {0}; download the extract in PBF format (e.g. from Geofabrik) or convert it (osmium cat in.osm -o out.osm.pbf)"
    )]
    NotPbf(String),
    /// A PBF file that fails to decode.
    #[error("the OpenStreetMap PBF file cannot be read: {0}")]
    Read(String),
}

/// A polyline, (lon, lat) degrees.
pub type Line = Vec<(f64, f64)>;

/// A way with a `highway` tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    /// OSM way id.
    pub id: i64,
    /// The `highway` value (`primary`, `footway`, …).
    pub highway: String,
    /// Tagged `bridge`, `tunnel` or `ford` (not `no`): may cross water.
    pub crossing: bool,
    /// The way's geometry, split where nodes are missing.
    pub lines: Vec<Line>,
}

/// A river, canal or stream.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterLine {
    /// OSM way id.
    pub id: i64,
    /// The `waterway` value.
    pub waterway: String,
    /// The way's geometry, split where nodes are missing.
    pub lines: Vec<Line>,
}

/// A lake, reservoir or river area.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterArea {
    /// OSM id: the way's, or the relation's negated (so both kinds share one space).
    pub id: i64,
    /// Its boundary lines (every ring of a multipolygon, in any order).
    pub boundary: Vec<Line>,
    /// Whether the boundary is closed (every endpoint met an even number of times), so
    /// that the even-odd rule gives its inside.
    pub closed: bool,
}

/// What an extract gave.
#[derive(Debug, Clone, Default)]
pub struct OsmLayers {
    /// Ways with a `highway` tag.
    pub roads: Vec<Road>,
    /// Rivers, canals, streams.
    pub water_lines: Vec<WaterLine>,
    /// Water areas.
    pub water_areas: Vec<WaterArea>,
    /// Node references of the kept ways that the extract does not hold.
    pub missing_nodes: usize,
}

/// Whether `bytes` start as an OSM PBF file: a 4-byte big-endian length, then a
/// BlobHeader whose first field (type, a string) is `OSMHeader`.
fn check_header(bytes: &[u8]) -> Result<(), PbfError> {
    let Some(head) = bytes.get(..4) else {
        return Err(PbfError::NotPbf("the file is empty or too short".into()));
    };
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let expected = b"OSMHeader";
    let ok = len > 0
        && len < 64 * 1024
        && bytes.get(4) == Some(&0x0a)
        && bytes.get(5).map(|&b| b as usize) == Some(expected.len())
        && bytes.get(6..6 + expected.len()) == Some(&expected[..]);
    if ok {
        return Ok(());
    }
    let what = if bytes.starts_with(b"<?xml") || bytes.starts_with(b"<osm") {
        "it is OSM XML"
    } else if bytes.starts_with(b"BZh") {
        "it is bzip2-compressed (.osm.bz2)"
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        "it is gzip-compressed"
    } else {
        "it does not start with an OSMHeader block"
    };
    Err(PbfError::NotPbf(what.into()))
}

/// How a tagged way is kept.
enum Kind {
    Road { highway: String, crossing: bool },
    WaterLine(String),
    WaterArea,
}

fn yes(v: Option<&str>) -> bool {
    v.is_some_and(|v| v != "no")
}

fn way_kind<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Option<Kind> {
    let tags: HashMap<&str, &str> = tags.collect();
    if let Some(&h) = tags.get("highway") {
        let crossing = ["bridge", "tunnel", "ford"]
            .iter()
            .any(|k| yes(tags.get(k).copied()));
        return Some(Kind::Road {
            highway: h.to_string(),
            crossing,
        });
    }
    let water_area =
        tags.get("natural") == Some(&"water") || tags.get("waterway") == Some(&"riverbank");
    if water_area {
        return Some(Kind::WaterArea);
    }
    match tags.get("waterway") {
        Some(&w @ ("river" | "canal" | "stream")) if !yes(tags.get("tunnel").copied()) => {
            Some(Kind::WaterLine(w.to_string()))
        }
        _ => None,
    }
}

fn is_water_relation<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    let tags: HashMap<&str, &str> = tags.collect();
    tags.get("type") == Some(&"multipolygon")
        && (tags.get("natural") == Some(&"water") || tags.get("waterway") == Some(&"riverbank"))
}

fn read_err(e: osmpbf::Error) -> PbfError {
    PbfError::Read(e.to_string())
}

/// Reads the roads and water of an OSM PBF extract.
pub fn read_osm_pbf(bytes: &[u8]) -> Result<OsmLayers, PbfError> {
    check_header(bytes)?;
    // Pass 1: tagged ways and water relations.
    let mut ways: Vec<(i64, Kind, Vec<i64>)> = Vec::new();
    let mut relations: Vec<(i64, Vec<i64>)> = Vec::new();
    ElementReader::new(Cursor::new(bytes))
        .for_each(|element| match element {
            Element::Way(w) => {
                if let Some(kind) = way_kind(w.tags()) {
                    ways.push((w.id(), kind, w.refs().collect()));
                }
            }
            Element::Relation(r) if is_water_relation(r.tags()) => {
                let members = r
                    .members()
                    .filter(|m| m.member_type == RelMemberType::Way)
                    .map(|m| m.member_id)
                    .collect();
                relations.push((r.id(), members));
            }
            _ => {}
        })
        .map_err(read_err)?;
    // Pass 2: the member ways of the relations.
    let wanted: HashSet<i64> = relations
        .iter()
        .flat_map(|(_, m)| m.iter().copied())
        .collect();
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    if !wanted.is_empty() {
        ElementReader::new(Cursor::new(bytes))
            .for_each(|element| {
                if let Element::Way(w) = element
                    && wanted.contains(&w.id())
                {
                    members.insert(w.id(), w.refs().collect());
                }
            })
            .map_err(read_err)?;
    }
    // Pass 3: the nodes.
    let mut needed: Vec<i64> = ways
        .iter()
        .flat_map(|(_, _, refs)| refs.iter().copied())
        .chain(members.values().flatten().copied())
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let mut coords: Vec<(f64, f64)> = vec![(f64::NAN, f64::NAN); needed.len()];
    let mut put = |id: i64, lon: f64, lat: f64| {
        if let Ok(k) = needed.binary_search(&id) {
            coords[k] = (lon, lat);
        }
    };
    ElementReader::new(Cursor::new(bytes))
        .for_each(|element| match element {
            Element::Node(n) => put(n.id(), n.lon(), n.lat()),
            Element::DenseNode(n) => put(n.id(), n.lon(), n.lat()),
            _ => {}
        })
        .map_err(read_err)?;
    let mut missing = 0usize;
    let mut lines_of = |refs: &[i64]| -> Vec<Line> {
        let mut lines = Vec::new();
        let mut current = Vec::new();
        for id in refs {
            let at = needed
                .binary_search(id)
                .ok()
                .map(|k| coords[k])
                .filter(|c| c.0.is_finite());
            match at {
                Some(c) => current.push(c),
                None => {
                    missing += 1;
                    if !current.is_empty() {
                        lines.push(std::mem::take(&mut current));
                    }
                }
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        lines
    };
    let mut out = OsmLayers::default();
    for (id, kind, refs) in &ways {
        let lines = lines_of(refs);
        if lines.is_empty() {
            continue;
        }
        match kind {
            Kind::Road { highway, crossing } => out.roads.push(Road {
                id: *id,
                highway: highway.clone(),
                crossing: *crossing,
                lines,
            }),
            Kind::WaterLine(w) => out.water_lines.push(WaterLine {
                id: *id,
                waterway: w.clone(),
                lines,
            }),
            Kind::WaterArea => {
                let closed = lines.len() == 1
                    && lines[0].len() == refs.len()
                    && refs.len() > 3
                    && refs.first() == refs.last();
                out.water_areas.push(WaterArea {
                    id: *id,
                    boundary: lines,
                    closed,
                });
            }
        }
    }
    for (id, member_ids) in &relations {
        let mut boundary = Vec::new();
        let mut complete = true;
        for m in member_ids {
            match members.get(m) {
                Some(refs) => {
                    let lines = lines_of(refs);
                    complete &= lines.len() == 1 && lines[0].len() == refs.len();
                    boundary.extend(lines);
                }
                None => complete = false,
            }
        }
        if boundary.is_empty() {
            continue;
        }
        let closed = complete && rings_close(&boundary);
        out.water_areas.push(WaterArea {
            id: -id,
            boundary,
            closed,
        });
    }
    out.missing_nodes = missing;
    Ok(out)
}

/// Whether polylines join into closed rings: every endpoint occurs an even number of
/// times (a closed way counts its shared endpoint twice).
fn rings_close(lines: &[Line]) -> bool {
    let mut ends: HashMap<(u64, u64), usize> = HashMap::new();
    for line in lines {
        for p in [line.first(), line.last()].into_iter().flatten() {
            *ends.entry((p.0.to_bits(), p.1.to_bits())).or_default() += 1;
        }
    }
    ends.values().all(|n| n % 2 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_pbf() {
        for (bytes, says) in [
            (&b""[..], "too short"),
            (&b"<?xml version='1.0'?><osm/>"[..], "XML"),
            (&b"BZh91AY&SY"[..], "bzip2"),
            (&b"\0\0\0\x0e\x0a\x07OSMData"[..], "OSMHeader"),
        ] {
            let e = read_osm_pbf(bytes).unwrap_err().to_string();
            assert!(
                e.contains("not an OpenStreetMap PBF") && e.contains(says),
                "{e}"
            );
        }
    }

    #[test]
    fn rings_close_only_when_every_end_meets_another() {
        let a = vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)];
        let b = vec![(1.0, 1.0), (0.0, 1.0), (0.0, 0.0)];
        assert!(rings_close(&[a.clone(), b.clone()]));
        assert!(!rings_close(&[a]));
        assert!(!rings_close(&[b]));
    }
}
