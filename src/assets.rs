//! The files built into the binary by `build.rs`: the web app (with the vendor packages
//! taken from `web/node_modules` at build time) and the default data of `geodata/`. A
//! copy of the binary needs no folder beside it.

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// One built-in file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Its content.
    pub bytes: &'static [u8],
    /// An entity tag (quoted) that changes with the content.
    pub etag: &'static str,
}

/// The web app's file at `path` (below `/`, e.g. `js/main.js`).
pub fn web_file(path: &str) -> Option<Asset> {
    find(WEB, path)
}

/// The default data's file `name` (e.g. `settlements.csv`).
pub fn geodata_file(name: &str) -> Option<Asset> {
    find(GEODATA, name)
}

fn find(table: &'static [(&str, &[u8], &str)], key: &str) -> Option<Asset> {
    table
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|&(_, bytes, etag)| Asset { bytes, etag })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_and_its_vendor_packages_are_built_in_and_nothing_else_of_web() {
        let web = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
        for (path, source) in [
            ("index.html", "index.html"),
            ("js/main.js", "js/main.js"),
            ("i18n/en.json", "i18n/en.json"),
            (
                "vendor/maplibre-gl/maplibre-gl.mjs",
                "node_modules/maplibre-gl/dist/maplibre-gl.mjs",
            ),
            (
                "vendor/pmtiles/pmtiles.js",
                "node_modules/pmtiles/dist/pmtiles.js",
            ),
            (
                "vendor/geographiclib-geodesic/geographiclib-geodesic.min.js",
                "node_modules/geographiclib-geodesic/geographiclib-geodesic.min.js",
            ),
        ] {
            let file = web_file(path).unwrap_or_else(|| panic!("{path} is not built in"));
            let on_disk = std::fs::read(format!("{web}/{source}")).expect("the build read it");
            assert_eq!(file.bytes, on_disk.as_slice(), "{path}");
        }
        for path in [
            "package.json",
            "README.md",
            "package-lock.json",
            "node_modules",
        ] {
            assert!(web_file(path).is_none(), "{path} must not be served");
        }
        assert!(
            WEB.iter()
                .all(|(p, _, _)| !p.ends_with(".map") && !p.contains("-dev"))
        );
        let index = web_file("index.html").expect("built in");
        assert!(index.etag.starts_with('"') && index.etag.ends_with('"'));
        assert_ne!(index.etag, web_file("app.css").expect("built in").etag);
        assert!(geodata_file("settlements.csv").is_some_and(|f| !f.bytes.is_empty()));
    }
}
