//! The optional, operator-configured basemap drawn under Tirek's own layers: a raster
//! PMTiles file that Tirek serves itself (`/basemap.pmtiles`, HTTP Range requests), or
//! an XYZ tile URL on another host. Off by default. This module checks the settings at
//! start-up and says what the front end and the Content-Security-Policy need to know;
//! the serving is in `api`.

use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where the front end fetches a PMTiles basemap (same origin).
pub const PMTILES_PATH: &str = "/basemap.pmtiles";

/// Media type of a PMTiles archive.
pub const PMTILES_MIME: &str = "application/vnd.pmtiles";

/// Length of a PMTiles v3 header.
pub const PMTILES_HEADER_LEN: usize = 127;

/// A configured basemap.
#[derive(Debug, Clone, PartialEq)]
pub enum Basemap {
    /// A raster PMTiles archive served by Tirek.
    Pmtiles {
        /// The file on disk.
        path: PathBuf,
        /// What its header says.
        header: PmtilesHeader,
        /// Attribution text shown on the map.
        attribution: Option<String>,
    },
    /// Raster tiles from another host, `https://host/{z}/{x}/{y}.png`.
    Xyz {
        /// The URL template.
        url: String,
        /// `scheme://host[:port]`: the one origin the CSP then allows.
        origin: String,
        /// Attribution text shown on the map.
        attribution: Option<String>,
    },
}

/// The basemap as the front end needs to know it (`/api/meta`, `basemap`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BasemapInfo {
    /// A raster PMTiles archive served by Tirek.
    Pmtiles {
        /// Where Tirek serves it (`/basemap.pmtiles`).
        url: String,
        /// Its tiles' format.
        tile_type: TileType,
        /// Lowest zoom level.
        min_zoom: u8,
        /// Highest zoom level.
        max_zoom: u8,
        /// `[west, south, east, north]`, degrees.
        bounds: [f64; 4],
        /// Attribution text shown on the map.
        attribution: Option<String>,
    },
    /// Raster tiles from another host.
    Xyz {
        /// The URL template, `https://host/{z}/{x}/{y}.png`.
        url: String,
        /// Attribution text shown on the map.
        attribution: Option<String>,
    },
}

/// Why a basemap setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    /// Both kinds were given.
    #[error("give either --basemap-pmtiles or --basemap-xyz, not both")]
    Both,
    /// The PMTiles file could not be read.
    #[error("basemap PMTiles file {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The PMTiles file is not one Tirek can draw.
    #[error("basemap PMTiles file {}: {message}", .path.display())]
    Pmtiles {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The XYZ URL template is not usable.
    #[error("--basemap-xyz {url:?}: {message}")]
    Xyz {
        /// The template as given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Tile formats of the PMTiles v3 header (byte 99).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TileType {
    /// Mapbox Vector Tiles (not drawn: they need a style and glyphs).
    Mvt,
    /// PNG raster.
    Png,
    /// JPEG raster.
    Jpeg,
    /// WebP raster.
    Webp,
    /// AVIF raster.
    Avif,
}

impl TileType {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Mvt),
            2 => Some(Self::Png),
            3 => Some(Self::Jpeg),
            4 => Some(Self::Webp),
            5 => Some(Self::Avif),
            _ => None,
        }
    }

    /// True for the image formats the map draws as a raster layer.
    pub fn is_raster(self) -> bool {
        self != Self::Mvt
    }
}

/// The parts of a PMTiles v3 header the front end uses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PmtilesHeader {
    /// Tile format.
    pub tile_type: TileType,
    /// Lowest zoom with tiles.
    pub min_zoom: u8,
    /// Highest zoom with tiles.
    pub max_zoom: u8,
    /// `[west, south, east, north]`, degrees.
    pub bounds: [f64; 4],
}

impl PmtilesHeader {
    /// Parses the 127-byte header (spec v3). `Err` names what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < PMTILES_HEADER_LEN || &bytes[..7] != b"PMTiles" {
            return Err("not a PMTiles archive (no \"PMTiles\" header)".into());
        }
        if bytes[7] != 3 {
            return Err(format!(
                "PMTiles version {} is not supported (only version 3)",
                bytes[7]
            ));
        }
        let tile_type = TileType::from_byte(bytes[99])
            .ok_or_else(|| format!("unknown tile type {} in the header", bytes[99]))?;
        let e7 = |at: usize| {
            let v = i32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
            f64::from(v) / 1e7
        };
        let (min_zoom, max_zoom) = (bytes[100], bytes[101]);
        if min_zoom > max_zoom {
            return Err(format!("min zoom {min_zoom} is above max zoom {max_zoom}"));
        }
        Ok(Self {
            tile_type,
            min_zoom,
            max_zoom,
            bounds: [e7(102), e7(106), e7(110), e7(114)],
        })
    }
}

impl Basemap {
    /// Checks the `serve` flags: `Ok(None)` when no basemap is configured (the default).
    /// The PMTiles file must exist, be readable and hold raster tiles; the XYZ template
    /// must be an http(s) URL with `{z}`, `{x}` and `{y}`.
    pub fn from_settings(
        pmtiles: Option<&Path>,
        xyz: Option<&str>,
        attribution: Option<&str>,
    ) -> Result<Option<Self>, BasemapError> {
        let attribution = attribution
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        let xyz = xyz.map(str::trim).filter(|u| !u.is_empty());
        let pmtiles = pmtiles.filter(|p| !p.as_os_str().is_empty());
        match (pmtiles, xyz) {
            (Some(_), Some(_)) => Err(BasemapError::Both),
            (None, None) => Ok(None),
            (Some(path), None) => {
                let header = read_pmtiles_header(path)?;
                Ok(Some(Self::Pmtiles {
                    path: path.to_path_buf(),
                    header,
                    attribution,
                }))
            }
            (None, Some(url)) => {
                let origin = xyz_origin(url).map_err(|message| BasemapError::Xyz {
                    url: url.to_string(),
                    message,
                })?;
                Ok(Some(Self::Xyz {
                    url: url.to_string(),
                    origin,
                    attribution,
                }))
            }
        }
    }

    /// The other origin the browser may contact for tiles (XYZ only).
    pub fn foreign_origin(&self) -> Option<&str> {
        match self {
            Self::Xyz { origin, .. } => Some(origin),
            Self::Pmtiles { .. } => None,
        }
    }

    /// What `/api/meta` tells the front end under `basemap`.
    pub fn describe(&self) -> BasemapInfo {
        match self {
            Self::Pmtiles {
                header,
                attribution,
                ..
            } => BasemapInfo::Pmtiles {
                url: PMTILES_PATH.to_string(),
                tile_type: header.tile_type,
                min_zoom: header.min_zoom,
                max_zoom: header.max_zoom,
                bounds: header.bounds,
                attribution: attribution.clone(),
            },
            Self::Xyz {
                url, attribution, ..
            } => BasemapInfo::Xyz {
                url: url.clone(),
                attribution: attribution.clone(),
            },
        }
    }
}

fn read_pmtiles_header(path: &Path) -> Result<PmtilesHeader, BasemapError> {
    let io = |source| BasemapError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        return Err(io(std::io::Error::other("is a folder, not a file")));
    }
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(PMTILES_HEADER_LEN);
    file.by_ref()
        .take(PMTILES_HEADER_LEN as u64)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let header = PmtilesHeader::parse(&bytes).map_err(|message| BasemapError::Pmtiles {
        path: path.to_path_buf(),
        message,
    })?;
    if !header.tile_type.is_raster() {
        return Err(BasemapError::Pmtiles {
            path: path.to_path_buf(),
            message: "holds vector tiles (MVT); Tirek draws raster PMTiles only (PNG, JPEG, \
                      WebP, AVIF), since vector tiles need a style and glyphs"
                .into(),
        });
    }
    Ok(header)
}

/// `scheme://host[:port]` of an XYZ template, or why it is refused.
pub fn xyz_origin(url: &str) -> Result<String, String> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        ("http", rest)
    } else {
        return Err("must start with https:// or http://".into());
    };
    for part in ["{z}", "{x}", "{y}"] {
        if !url.contains(part) {
            return Err(format!("must contain {{z}}, {{x}} and {{y}} (no {part})"));
        }
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces".into());
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or("unclosed [ in the host")?;
            if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
                return Err("bad IPv6 address".into());
            }
            let port = match after {
                "" => None,
                p => Some(
                    p.strip_prefix(':')
                        .ok_or("bad text after the IPv6 address")?,
                ),
            };
            (&authority[..addr.len() + 2], port)
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let host_ok = host.starts_with('[')
        || (!host.is_empty()
            && !host.starts_with(['.', '-'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
    if !host_ok {
        return Err("needs a host name (letters, digits, '.', '-'; no user name)".into());
    }
    if let Some(port) = port {
        if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) || port.len() > 5 {
            return Err("bad port".into());
        }
        return Ok(format!("{scheme}://{}:{port}", host.to_ascii_lowercase()));
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xyz_origins() {
        assert_eq!(
            xyz_origin("https://tiles.example.org/{z}/{x}/{y}.png").unwrap(),
            "https://tiles.example.org"
        );
        assert_eq!(
            xyz_origin("http://Tiles.local:8081/t/{z}/{x}/{y}?k=1").unwrap(),
            "http://tiles.local:8081"
        );
        assert_eq!(
            xyz_origin("https://[::1]:9000/{z}/{x}/{y}").unwrap(),
            "https://[::1]:9000"
        );
        for bad in [
            "ftp://a/{z}/{x}/{y}",
            "https://a/{z}/{x}.png",
            "https:///{z}/{x}/{y}",
            "https://user@a/{z}/{x}/{y}",
            "https://a;b/{z}/{x}/{y}",
            "https://a:80x/{z}/{x}/{y}",
            "https://a/{z}/{x}/{y} x",
            "tiles.example.org/{z}/{x}/{y}",
        ] {
            assert!(xyz_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header() {
        let mut h = vec![0u8; PMTILES_HEADER_LEN];
        h[..7].copy_from_slice(b"PMTiles");
        h[7] = 3;
        h[99] = 2;
        h[101] = 2;
        h[102..106].copy_from_slice(&(-1_800_000_000i32).to_le_bytes());
        h[114..118].copy_from_slice(&(850_511_287i32).to_le_bytes());
        let parsed = PmtilesHeader::parse(&h).unwrap();
        assert_eq!(parsed.tile_type, TileType::Png);
        assert_eq!((parsed.min_zoom, parsed.max_zoom), (0, 2));
        assert_eq!(parsed.bounds[0], -180.0);
        assert!((parsed.bounds[3] - 85.0511287).abs() < 1e-9);
        h[7] = 2;
        assert!(PmtilesHeader::parse(&h).unwrap_err().contains("version 2"));
        h[7] = 3;
        h[99] = 9;
        assert!(PmtilesHeader::parse(&h).is_err());
        assert!(PmtilesHeader::parse(b"PMTiles").is_err());
    }
}
