//! Ask+tell throughput and latency of bo-server over loopback HTTP.
//!
//! ```text
//! cargo run --release -p bo-server --example http_bench -- --storage sqlite:/tmp/bench.db --clients 1,8,32
//! ```
//!
//! Starts a server in this process (auth on, one user) over the given storage, then for each
//! client count runs that many threads, each with its own keep-alive connection, doing
//! `--rounds` Hopaas `ask` + `tell` pairs (two parameters, random sampler unless
//! `--sampler tpe`). Prints one Markdown table row per client count: pairs per second and the
//! p50/p99 latency of one ask+tell pair.

use std::sync::Arc;
use std::time::{Duration, Instant};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn post(agent: &ureq::Agent, url: &str, body: &str) -> anyhow::Result<String> {
    Ok(agent.post(url).send_string(body)?.into_string()?)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = tempfile::tempdir()?;
    let storage_url = arg(&args, "--storage").unwrap_or_else(|| format!("sqlite:{}", dir.path().join("bench.db").display()));
    let clients: Vec<usize> = arg(&args, "--clients")
        .unwrap_or_else(|| "1,8,32".into())
        .split(',')
        .map(|c| c.trim().parse())
        .collect::<Result<_, _>>()?;
    let rounds: usize = arg(&args, "--rounds").map(|r| r.parse()).transpose()?.unwrap_or(200);
    let sampler = match arg(&args, "--sampler").as_deref() {
        None | Some("random") => r#"{"name": "RandomSampler", "args": {}}"#,
        Some("tpe") => r#"{"name": "TPESampler", "args": {"n_startup_trials": 10, "n_ei_candidates": 24, "consider_magic_clip": true}}"#,
        Some(other) => anyhow::bail!("unknown sampler {other}: random or tpe"),
    };

    let storage = bo_core::open_storage(&storage_url)?;
    let auth = bo_server::AuthStore::open(dir.path().join("auth.db"))?;
    auth.add_user("bench")?;
    let token = auth.new_token("bench")?;
    let state = bo_server::AppState::new(storage, auth, true);
    let server = bo_server::spawn("127.0.0.1:0", state)?;
    let base = server.url();
    let run_id = std::process::id();

    println!("| storage | clients | ask+tell pairs | pairs/s | p50 (ms) | p99 (ms) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for &n in &clients {
        let body = Arc::new(format!(
            r#"{{"x": "optuna#float(-5.0,5.0)", "k": "optuna#int(0,10,1,false)", "hopaas_config": {{"title": "bench-{run_id}-{n}", "direction": "minimize", "sampler": {sampler}, "pruner": {{"name": "NopPruner", "args": {{}}}}}}}}"#
        ));
        let start = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (base, token, body) = (base.clone(), token.clone(), body.clone());
                std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build();
                    let mut lat = Vec::with_capacity(rounds);
                    for _ in 0..rounds {
                        let t0 = Instant::now();
                        let answer: serde_json::Value = serde_json::from_str(&post(&agent, &format!("{base}/api/ask/{token}"), &body)?)?;
                        let x = answer["x"].as_f64().unwrap_or(0.0);
                        let handle = answer["hopaas_trial"].as_str().unwrap_or_default();
                        post(&agent, &format!("{base}/api/tell/{token}"), &format!(r#"{{"hopaas_trial": "{handle}", "loss": {}}}"#, x * x))?;
                        lat.push(t0.elapsed());
                    }
                    Ok(lat)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().map_err(|_| anyhow::anyhow!("client thread panicked"))??);
        }
        let wall = start.elapsed();
        all.sort();
        let kind = storage_url.split(':').next().unwrap_or("?");
        println!(
            "| {kind} | {n} | {} | {:.0} | {:.2} | {:.2} |",
            all.len(),
            all.len() as f64 / wall.as_secs_f64(),
            percentile(&all, 0.5).as_secs_f64() * 1e3,
            percentile(&all, 0.99).as_secs_f64() * 1e3
        );
    }
    Ok(())
}
