//! Peak memory of the in-memory index: builds the facility index the server holds from
//! N synthetic facilities that look like real records (default 1,000,000) and prints
//! the process's peak resident set (VmHWM from /proc/self/status).
//!
//! `cargo run --release --example rss -- [N]`

#[path = "common/synth.rs"]
mod synth;

use std::sync::Arc;
use tirek::index::{Filter, ServiceIndex};
use tirek::model::Sector;

fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N must be a number"))
        .unwrap_or(1_000_000);
    let before = status_kb("VmRSS:").unwrap_or(0);
    let started = std::time::Instant::now();
    let facilities: Vec<Arc<_>> = synth::facilities(n, 7).map(Arc::new).collect();
    let index = ServiceIndex::build(facilities, 1);
    let built = started.elapsed();
    let hits = index.nearest(69.6, 42.3, Sector::Health, 1, &Filter::default());
    let peak = status_kb("VmHWM:").unwrap_or(0);
    let now = status_kb("VmRSS:").unwrap_or(0);
    println!(
        "{n} facilities indexed in {:.1} s: peak RSS (VmHWM) {:.1} MB, RSS now {:.1} MB (process before: {:.1} MB); nearest health to Shymkent: {}",
        built.as_secs_f64(),
        peak as f64 / 1024.0,
        now as f64 / 1024.0,
        before as f64 / 1024.0,
        hits.first().map_or("-", |h| h.facility.id.as_str()),
    );
}
