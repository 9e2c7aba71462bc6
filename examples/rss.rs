//! Peak memory of the in-memory index with many facilities that look like real records
//! (names in two languages, organisation, address, phone, opening hours, languages,
//! flags, provenance; see `common/synth.rs`). Prints the process's peak resident set
//! (VmHWM from /proc/self/status).
//!
//! ```sh
//! cargo run --release --example rss                       # build 1,000,000 in memory
//! cargo run --release --example rss -- build 200000
//! cargo run --release --example rss -- fill /tmp/1m.sqlite 1000000   # a store to open
//! cargo run --release --example rss -- open /tmp/1m.sqlite            # as `tirek serve` does
//! ```
//!
//! `build` and `open` also make one write afterwards (a catch-up, as when another
//! instance writes) and report the peak again.

#[path = "common/synth.rs"]
mod synth;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tirek::index::{Filter, ServiceIndex};
use tirek::model::Sector;
use tirek::registry::Registry;
use tirek::store::{SqliteStore, Store};

fn status_mb(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn report(what: &str, index: &ServiceIndex, started: Instant) {
    let hits = index.nearest(69.6, 42.3, Sector::Health, 1, &Filter::default());
    let [encoded, bookkeeping, shared, spatial] = index.heap_bytes().map(|b| b as f64 / 1e6);
    println!(
        "  index: records {encoded:.1} MB encoded + {bookkeeping:.1} MB bookkeeping + {shared:.1} MB shared values, spatial {spatial:.1} MB"
    );
    println!(
        "{what}: {} facilities, {:.1} s; peak RSS (VmHWM) {:.1} MB, RSS now {:.1} MB; nearest health to Shymkent: {}",
        index.len(),
        started.elapsed().as_secs_f64(),
        status_mb("VmHWM:"),
        status_mb("VmRSS:"),
        hits.first().map_or("-", |h| h.record.id()),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let number = |i: usize, default: usize| {
        arg(i).map_or(default, |a| a.parse().expect("a number of facilities"))
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match arg(0) {
        None | Some("build") => {
            let n = number(1, 1_000_000);
            let started = Instant::now();
            let index = ServiceIndex::build(synth::facilities(n, 7), 1);
            report("built in memory", &index, started);
            let started = Instant::now();
            let mut changed = synth::facilities(1, 8).next().expect("one");
            changed.id = "zz-new-1".into();
            let next = index.apply(vec![changed], &["kz-health-0000001".into()], 2);
            drop(index);
            report("after one change", &next, started);
        }
        Some("fill") => {
            let path = Path::new(arg(1).expect("fill DB N"));
            let n = number(2, 1_000_000);
            runtime.block_on(async {
                let store = SqliteStore::open_file(path).await.expect("the store");
                let started = Instant::now();
                let mut batch = Vec::with_capacity(20_000);
                for f in synth::facilities(n, 7) {
                    batch.push(f);
                    if batch.len() == 20_000 {
                        store
                            .upsert_facilities(&batch, None, "rss")
                            .await
                            .expect("written");
                        batch.clear();
                    }
                }
                store
                    .upsert_facilities(&batch, None, "rss")
                    .await
                    .expect("written");
                println!(
                    "{n} facilities written to {} in {:.1} s",
                    path.display(),
                    started.elapsed().as_secs_f64()
                );
            });
        }
        Some("open") => {
            let path = Path::new(arg(1).expect("open DB"));
            runtime.block_on(async {
                let store: Arc<dyn Store> =
                    Arc::new(SqliteStore::open_file(path).await.expect("the store"));
                let started = Instant::now();
                let registry = Registry::open(store).await.expect("the registry");
                report("opened from the store", &registry.index(), started);
                let started = Instant::now();
                let mut changed = synth::facilities(1, 9).next().expect("one");
                changed.id = format!("zz-new-{}", registry.index().version());
                registry.create(changed, "rss").await.expect("a write");
                report("after one write", &registry.index(), started);
            });
        }
        Some(other) => panic!("unknown mode {other:?}: build [N] | fill DB [N] | open DB"),
    }
}
