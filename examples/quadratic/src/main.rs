//! Run: `cargo run --release -p example-quadratic` (add `-- --help` for options).
//!
//! Minimizes `(x - 2)^2 + (y + 1)^2` (with a useless categorical) with TPE on the embedded
//! SQLite storage, reporting intermediate values so the median pruner can stop bad trials.
//! Run it twice: the second run resumes the same study from `quadratic.db`.

use anyhow::Result;
use bo_core::{Direction, Float, MedianPruner, Optimize, SqliteStorage, Study, TpeSampler, Trial};
use clap::Parser;

/// Minimize a quadratic with TPE and median pruning, stored in SQLite.
#[derive(Parser)]
struct Args {
    /// SQLite file holding the study.
    #[arg(long, default_value = "quadratic.db")]
    db: String,
    /// Study name.
    #[arg(long, default_value = "quadratic")]
    study: String,
    /// Number of trials to run now.
    #[arg(long, default_value_t = 100)]
    trials: u64,
    /// Parallel worker threads.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Seed (a seeded single-job run replays exactly).
    #[arg(long)]
    seed: Option<u64>,
}

fn objective(trial: &mut Trial) -> Result<f64> {
    let x = trial.suggest_float("x", Float::new(-10.0, 10.0))?;
    let y = trial.suggest_float("y", Float::new(-10.0, 10.0))?;
    let noise = trial.suggest_categorical("offset", &["none", "small"])?;
    let target = (x - 2.0).powi(2) + (y + 1.0).powi(2) + if noise == "small" { 0.1 } else { 0.0 };
    // A pretend training loop: the loss approaches the target over 10 "epochs".
    let mut loss = f64::INFINITY;
    for epoch in 0..10u64 {
        loss = target + 10.0 / (epoch + 1) as f64;
        trial.report_or_prune(epoch, loss)?; // the first epoch is step 0; Err(Pruned) when pruned
    }
    Ok(loss - 1.0)
}

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let mut builder = Study::builder()
        .name(&args.study)
        .direction(Direction::Minimize)
        .storage(SqliteStorage::open(&args.db)?)
        .sampler(TpeSampler::default())
        .pruner(MedianPruner::default())
        .load_if_exists(true);
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    let study = builder.build()?;
    study.optimize_with(Optimize::trials(args.trials).n_jobs(args.jobs), objective)?;

    let trials = study.trials()?;
    let pruned = trials.iter().filter(|t| t.state == bo_core::TrialState::Pruned).count();
    let best = study.best_trial()?;
    println!("study `{}` in {}: {} trials ({} pruned)", study.name(), args.db, trials.len(), pruned);
    println!("best trial #{}: value {:.6}", best.number, best.value.unwrap_or(f64::NAN));
    for (name, value) in &best.params {
        println!("  {name} = {value}");
    }
    Ok(())
}
