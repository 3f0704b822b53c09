//! Run: `cargo run --release -p bo-core --no-default-features --features sqlite,postgres --example storage_latency`
//! (with `BO_TEST_POSTGRES_URL=postgres://…` set for the PostgreSQL rows, e.g. through
//! `scripts/with-postgres.sh`).
//!
//! Latency of one `ask` + five `suggest_float` + `tell` cycle, and of `ask` alone, with 1k,
//! 10k and 100k finished trials already in the study, on SQLite and PostgreSQL. Reads are
//! incremental, so the latency must not grow with the study. The study is filled through the
//! storage API (create, five params, finish per trial); the random sampler keeps the
//! sampler's own cost out of the numbers. Prints a Markdown table.
//!
//! Options (environment): `BO_SIZES=1000,10000,100000`, `BO_ASKS=200`, `BO_FILL_THREADS=4`
//! (PostgreSQL fill).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bo_core::{Direction, Distribution, Float, Outcome, ParamValue, RandomSampler, Storage, Study, open_storage};

const PARAMS: [&str; 5] = ["lr", "momentum", "dropout", "l2", "warmup"];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Adds finished trials `from..to` to the study through the storage API.
fn fill(storage: &Arc<dyn Storage>, study: u64, count: u64, threads: u64) -> anyhow::Result<()> {
    let d = Distribution::Float(Float::new(0.0, 1.0));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let (storage, d) = (storage.clone(), d.clone());
                s.spawn(move || -> bo_core::Result<()> {
                    for i in (k..count).step_by(threads as usize) {
                        let t = storage.create_trial(study)?;
                        for (j, name) in PARAMS.iter().enumerate() {
                            let v = ((i * 7 + j as u64 * 13) % 1000) as f64 / 1000.0;
                            storage.set_param(t.id, name, &d, &ParamValue::Float(v))?;
                        }
                        storage.finish(t.id, &Outcome::Complete((i % 977) as f64))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("a fill thread panicked"))??;
        }
        Ok(())
    })
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn bench(label: &str, url: &str, sizes: &[u64], asks: usize, fill_threads: u64) -> anyhow::Result<()> {
    let storage = open_storage(url)?;
    let name = format!("latency-{}", std::process::id());
    let study = Study::builder()
        .shared_storage(storage.clone())
        .name(&name)
        .direction(Direction::Minimize)
        .sampler(RandomSampler)
        .seed(1)
        .build()?;
    let mut have = 0u64;
    for &size in sizes {
        let started = Instant::now();
        let target = size.saturating_sub(have);
        fill(&storage, study.id(), target, fill_threads)?;
        let fill_secs = started.elapsed().as_secs_f64();
        // Warm-up: the first ask after the fill reads the new trials (once).
        for _ in 0..5 {
            let t = study.ask()?;
            study.tell(t, 1.0)?;
        }
        let mut cycle = Vec::with_capacity(asks);
        let mut ask_only = Vec::with_capacity(asks);
        for _ in 0..asks {
            let t0 = Instant::now();
            let mut trial = study.ask()?;
            ask_only.push(t0.elapsed());
            let mut loss = 0.0;
            for name in PARAMS {
                loss += trial.suggest_float(name, Float::new(0.0, 1.0))?;
            }
            study.tell(trial, loss)?;
            cycle.push(t0.elapsed());
        }
        have = size + 5 + asks as u64;
        cycle.sort();
        ask_only.sort();
        println!(
            "| {label} | {size} | {:.2} | {:.2} | {:.2} | {:.2} | {fill_secs:.0} s |",
            percentile(&cycle, 0.5),
            percentile(&cycle, 0.99),
            percentile(&ask_only, 0.5),
            percentile(&ask_only, 0.99),
        );
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let sizes: Vec<u64> = std::env::var("BO_SIZES")
        .unwrap_or_else(|_| "1000,10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let asks: usize = env_or("BO_ASKS", 200);
    let fill_threads: u64 = env_or("BO_FILL_THREADS", 4);
    println!("| storage | trials in study | ask+5 params+tell p50 (ms) | p99 (ms) | ask p50 (ms) | ask p99 (ms) | fill time |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let dir = tempfile::tempdir()?;
    bench("SQLite", &format!("sqlite:{}", dir.path().join("latency.db").display()), &sizes, asks, 1)?;
    match std::env::var("BO_TEST_POSTGRES_URL") {
        Ok(url) => bench("PostgreSQL", &url, &sizes, asks, fill_threads)?,
        Err(_) => eprintln!("BO_TEST_POSTGRES_URL is not set: no PostgreSQL rows"),
    }
    Ok(())
}
