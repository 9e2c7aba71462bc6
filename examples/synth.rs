//! Writes N synthetic facilities that look like real records as a GeoJSON
//! FeatureCollection (for load tests: `tirek import facilities` reads it).
//!
//! `cargo run --release --example synth -- N [SEED] > facilities.geojson`

#[path = "common/synth.rs"]
mod synth;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|a| a.parse().expect("N must be a number"))
        .unwrap_or(100_000);
    let seed: u64 = args
        .next()
        .map(|a| a.parse().expect("SEED must be a number"))
        .unwrap_or(7);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    for (i, f) in synth::facilities(n, seed).enumerate() {
        if i > 0 {
            out.write_all(b",\n")?;
        }
        let mut feature = f.to_feature();
        // Imports set the bookkeeping timestamps themselves.
        if let Some(p) = feature["properties"].as_object_mut() {
            p.remove("created_at");
            p.remove("updated_at");
        }
        serde_json::to_writer(&mut out, &feature)?;
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}
