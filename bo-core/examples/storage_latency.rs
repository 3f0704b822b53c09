//! Run: `cargo run --release -p bo-core --no-default-features --features sqlite,postgres --example storage_latency`
//! (with `BO_TEST_POSTGRES_URL=postgres://…` set for the PostgreSQL rows, e.g. through
//! `scripts/with-postgres.sh`).
//!
//! Latency of one `ask` + five `suggest_float` + `tell` cycle, and of `ask` alone, with 1k,
//! 10k and 100k finished trials already in the study, on SQLite and PostgreSQL. Reads are
//! incremental, so the latency must not grow with the study. The SQLite study is filled
//! through the storage API (create, five params, finish per trial); the PostgreSQL one by one
//! bulk `INSERT … SELECT generate_series` into the same tables (the API would take many
//! minutes per 100k trials: several round trips per write). The random sampler keeps the
//! sampler's own cost out of the numbers. Prints a Markdown table.
//!
//! Options (environment): `BO_SIZES=1000,10000,100000`, `BO_ASKS=200`,
//! `BO_BACKENDS=sqlite,postgres`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bo_core::{Direction, Distribution, Float, Outcome, ParamValue, RandomSampler, Storage, Study, open_storage};

const PARAMS: [&str; 5] = ["lr", "momentum", "dropout", "l2", "warmup"];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Adds `count` finished trials to the study through the storage API.
fn fill_api(storage: &Arc<dyn Storage>, study: u64, count: u64) -> anyhow::Result<()> {
    let d = Distribution::Float(Float::new(0.0, 1.0));
    for i in 0..count {
        let t = storage.create_trial(study)?;
        for (j, name) in PARAMS.iter().enumerate() {
            let v = ((i * 7 + j as u64 * 13) % 1000) as f64 / 1000.0;
            storage.set_param(t.id, name, &d, &ParamValue::Float(v))?;
        }
        storage.finish(t.id, &Outcome::Complete((i % 977) as f64))?;
    }
    Ok(())
}

/// Adds `count` finished trials (five params each) to the study in three SQL statements.
fn fill_postgres(url: &str, study: u64, count: u64) -> anyhow::Result<()> {
    let mut client = url.parse::<postgres::Config>()?.connect(postgres::NoTls)?;
    let d = serde_json::to_string(&Distribution::Float(Float::new(0.0, 1.0)))?;
    let (sid, count) = (study as i64, count as i64);
    let mut tx = client.transaction()?;
    let seq: i64 = tx
        .query_one("UPDATE bo_studies SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq", &[&sid])?
        .get(0);
    tx.execute(
        "INSERT INTO bo_trials (study_id, number, state, value, started_at, finished_at, seq)
         SELECT $1, s.n_trials + g, 'COMPLETE', (g % 977)::float8, 0, 1, $3
         FROM bo_studies s, generate_series(0::bigint, $2::bigint - 1) g WHERE s.id = $1",
        &[&sid, &count, &seq],
    )?;
    tx.execute(
        "INSERT INTO bo_params (trial_id, name, distribution, internal)
         SELECT t.id, p.name, $3, random() FROM bo_trials t
         CROSS JOIN (VALUES ('lr'), ('momentum'), ('dropout'), ('l2'), ('warmup')) AS p(name)
         WHERE t.study_id = $1 AND t.seq = $2",
        &[&sid, &seq, &d],
    )?;
    tx.execute("UPDATE bo_studies SET n_trials = n_trials + $2 WHERE id = $1", &[&sid, &count])?;
    tx.commit()?;
    Ok(())
}

fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i].as_secs_f64() * 1e3
}

fn bench(label: &str, url: &str, sizes: &[u64], asks: usize) -> anyhow::Result<()> {
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
        if url.starts_with("postgres") {
            fill_postgres(url, study.id(), target)?;
        } else {
            fill_api(&storage, study.id(), target)?;
        }
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
    let backends: String = env_or("BO_BACKENDS", "sqlite,postgres".to_string());
    println!("| storage | trials in study | ask+5 params+tell p50 (ms) | p99 (ms) | ask p50 (ms) | ask p99 (ms) | fill time |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let dir = tempfile::tempdir()?;
    if backends.contains("sqlite") {
        bench("SQLite", &format!("sqlite:{}", dir.path().join("latency.db").display()), &sizes, asks)?;
    }
    if backends.contains("postgres") {
        match std::env::var("BO_TEST_POSTGRES_URL") {
            Ok(url) => bench("PostgreSQL", &url, &sizes, asks)?,
            Err(_) => eprintln!("BO_TEST_POSTGRES_URL is not set: no PostgreSQL rows"),
        }
    }
    Ok(())
}
