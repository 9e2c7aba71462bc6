//! Builds the web app and the default data into the binary, so that a copy of it
//! started in any folder serves the full map on the default data. The vendor packages
//! (MapLibre GL JS, the PMTiles reader, GeographicLib) come from `web/node_modules`,
//! installed from `web/package-lock.json` by the README's first command; without them
//! the build stops and says so rather than producing a server with a blank page.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The app's own files and folders under `web/`, served at the same paths.
const WEB_FILES: &[&str] = &[
    "index.html",
    "app.css",
    "favicon.svg",
    "manifest.webmanifest",
    "sw.js",
];
const WEB_DIRS: &[&str] = &["js", "i18n"];

/// `(URL folder, package folder under web/node_modules, files it must hold)`: every
/// file of the folder is served except source maps, type declarations and dev builds.
const VENDOR: &[(&str, &str, &[&str])] = &[
    (
        "vendor/maplibre-gl",
        "maplibre-gl/dist",
        &[
            "maplibre-gl.mjs",
            "maplibre-gl-worker.mjs",
            "maplibre-gl.css",
        ],
    ),
    ("vendor/pmtiles", "pmtiles/dist", &["pmtiles.js"]),
    (
        "vendor/geographiclib-geodesic",
        "geographiclib-geodesic",
        &["geographiclib-geodesic.min.js"],
    ),
];

/// The default data (`geodata/`), loaded on first start with an empty store.
const GEODATA_FILES: &[&str] = &[
    "countries.geojson",
    "regions.geojson",
    "settlements.csv",
    "facilities_demo.geojson",
    "organisations_demo.json",
    "friction_walking_demo.tif",
    "friction_motorised_demo.tif",
];

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let web = root.join("web");
    let modules = web.join("node_modules");
    println!("cargo:rerun-if-changed={}", modules.display());

    let mut web_files: Vec<(String, PathBuf)> = Vec::new();
    for name in WEB_FILES {
        web_files.push(((*name).to_string(), web.join(name)));
    }
    for dir in WEB_DIRS {
        for path in files_below(&web.join(dir)) {
            let rel = path.strip_prefix(&web).expect("below web/");
            web_files.push((url_path(rel), path));
        }
    }
    let mut missing = Vec::new();
    for (url_dir, package_dir, required) in VENDOR {
        let dir = modules.join(package_dir);
        for name in *required {
            if !dir.join(name).is_file() {
                missing.push(format!("web/node_modules/{package_dir}/{name}"));
            }
        }
        if !dir.is_dir() {
            continue;
        }
        println!("cargo:rerun-if-changed={}", dir.display());
        for path in files_in(&dir) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let unused = name.ends_with(".map") || name.ends_with(".d.ts") || name.contains("-dev");
            if !unused {
                web_files.push((format!("{url_dir}/{name}"), path));
            }
        }
    }
    if !missing.is_empty() {
        // A message, not a panic: the one thing to do should not hide in a backtrace.
        eprintln!(
            "\nTirek builds the web map into its binary, and these files are missing:\n  {}\n\n\
             Install the map's packages first, as the README's first command does:\n\n    \
             npm ci --prefix web\n",
            missing.join("\n  ")
        );
        std::process::exit(1);
    }

    let geodata = root.join("geodata");
    let geodata_files: Vec<(String, PathBuf)> = GEODATA_FILES
        .iter()
        .map(|name| ((*name).to_string(), geodata.join(name)))
        .collect();

    let mut out = String::new();
    out.push_str("/// The web app's files: (path below `/`, bytes, entity tag).\n");
    table(&mut out, "WEB", &web_files);
    out.push_str("/// The default data's files: (name in `geodata/`, bytes, entity tag).\n");
    table(&mut out, "GEODATA", &geodata_files);
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("assets.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

fn table(out: &mut String, name: &str, files: &[(String, PathBuf)]) {
    let _ = writeln!(out, "pub static {name}: &[(&str, &[u8], &str)] = &[");
    for (key, path) in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let _ = writeln!(
            out,
            "    ({key:?}, include_bytes!({:?}), \"\\\"{:016x}\\\"\"),",
            path.display().to_string(),
            fnv1a(&bytes)
        );
    }
    out.push_str("];\n");
}

/// FNV-1a, 64 bits: an entity tag that changes when the content does.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The entries of `dir`, sorted: (files, folders).
fn entries(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    all.sort();
    all.into_iter().partition(|p| p.is_file())
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    entries(dir).0
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let (mut files, folders) = entries(dir);
    for folder in folders {
        files.extend(files_below(&folder));
    }
    files
}

fn url_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
