//! Run: `cargo run --release -p bo-linfa --example cv_bench` (options: `--trials 100
//! --seeds 5 --problems tree-wine,enet-diabetes`).
//!
//! Fold-level pruning in cross-validated tuning: for each problem, sampler (random, TPE, GP)
//! and pruner (none, median), runs one seeded study per seed and reports, as the median over
//! the seeds, the folds fitted, the trials pruned, the best k-fold CV score, the best CV
//! score among the trials finished within a fixed budget of folds, and the wall time.
//! Studies run in memory on one thread; the folds (and the held-out split) are the same for
//! every run.
//!
//! Problems:
//! - `tree-wine`: `linfa_models::DecisionTreeSpace` on the red wine-quality data (1599 × 11,
//!   a stratified quarter held out), 5-fold accuracy.
//! - `enet-diabetes`: `linfa_models::ElasticNetSpace` on diabetes (442 × 10, a quarter held
//!   out), 5-fold R².

use std::time::Instant;

use bo_core::{Direction, GpSampler, MedianPruner, NopPruner, Optimize, RandomSampler, Study, TpeSampler, TrialState};
use bo_linfa::linfa_models::{DecisionTreeSpace, ElasticNetSpace};
use bo_linfa::{CrossValidation, CvData, Estimator, Metric, k_fold, stratified_k_fold};

/// One study's outcome.
struct Run {
    folds: usize,
    pruned: usize,
    best: f64,
    best_within_budget: f64,
    seconds: f64,
}

fn holdout<D: CvData>(data: &D) -> D {
    let folds = match data.labels() {
        Some(labels) => stratified_k_fold(&labels, 4, Some(2024)),
        None => k_fold(data.records().nrows(), 4, Some(2024)),
    }
    .expect("four folds of a shipped dataset");
    let test = &folds[0];
    let train: Vec<usize> = (0..data.records().nrows()).filter(|i| test.binary_search(i).is_err()).collect();
    data.select(&train)
}

fn run<M: Estimator>(
    data: &M::Data,
    cv: &CrossValidation,
    sampler: &str,
    pruned: bool,
    trials: u64,
    seed: u64,
    budget: usize,
) -> Run {
    let builder = Study::builder().direction(cv.direction()).seed(seed);
    let builder = if pruned { builder.pruner(MedianPruner::default()) } else { builder.pruner(NopPruner) };
    let builder = match sampler {
        "random" => builder.sampler(RandomSampler),
        "tpe" => builder.sampler(TpeSampler::default()),
        _ => builder.sampler(GpSampler::builder().seed(seed).build().expect("default GP settings")),
    };
    let study = builder.build().expect("in-memory study");
    let started = Instant::now();
    study
        .optimize_with(Optimize::trials(trials).progress_bar(false), cv.objective::<M>(data))
        .expect("in-memory storage does not fail");
    let seconds = started.elapsed().as_secs_f64();
    let all = study.trials().expect("in-memory trials");
    let worst = match cv.direction() {
        Direction::Maximize => f64::NEG_INFINITY,
        _ => f64::INFINITY,
    };
    let better = |a: f64, b: f64| if cv.direction() == Direction::Maximize { a.max(b) } else { a.min(b) };
    let mut folds = 0;
    let mut best_within_budget = worst;
    for t in &all {
        folds += t.intermediate_values.len();
        if folds <= budget && t.state == TrialState::Complete {
            best_within_budget = better(best_within_budget, t.value.unwrap_or(worst));
        }
    }
    Run {
        folds,
        pruned: all.iter().filter(|t| t.state == TrialState::Pruned).count(),
        best: study.best_value().unwrap_or(worst),
        best_within_budget,
        seconds,
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn bench<M: Estimator>(problem: &str, data: &M::Data, cv: &CrossValidation, trials: u64, seeds: u64) {
    // The fold budget of the last column: half of what the unpruned studies fit.
    let budget = (trials as usize * cv.folds()) / 2;
    println!("\n### {problem}: {trials} trials, {}-fold CV ({}), seeds 0-{}\n", cv.folds(), cv.metric(), seeds - 1);
    println!("| sampler | pruner | folds fitted | trials pruned | best CV {} | best CV within {budget} folds | seconds |", cv.metric());
    println!("|---|---|---:|---:|---:|---:|---:|");
    for name in ["random", "tpe", "gp"] {
        for pruned in [false, true] {
            let runs: Vec<Run> = (0..seeds)
                .map(|seed| run::<M>(data, cv, name, pruned, trials, seed, budget))
                .collect();
            let col = |f: &dyn Fn(&Run) -> f64| median(runs.iter().map(f).collect());
            let bests: Vec<String> = runs.iter().map(|r| format!("{:.4}", r.best)).collect();
            println!(
                "| {name} | {} | {:.0} | {:.0} | {:.4} | {:.4} | {:.1} |",
                if pruned { "median" } else { "none" },
                col(&|r| r.folds as f64),
                col(&|r| r.pruned as f64),
                col(&|r| r.best),
                col(&|r| r.best_within_budget),
                col(&|r| r.seconds),
            );
            eprintln!("{problem} {name} pruned={pruned}: best per seed {}", bests.join(" "));
        }
    }
}

fn main() {
    let mut trials = 100u64;
    let mut seeds = 5u64;
    let mut problems = "tree-wine,enet-diabetes".to_string();
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--trials", Some(v)) => trials = v.parse().expect("--trials N"),
            ("--seeds", Some(v)) => seeds = v.parse().expect("--seeds N"),
            ("--problems", Some(v)) => problems = v.clone(),
            _ => panic!("usage: cv_bench [--trials N] [--seeds N] [--problems tree-wine,enet-diabetes]"),
        }
    }
    for problem in problems.split(',') {
        match problem {
            "tree-wine" => {
                let data = holdout(&linfa_datasets::winequality());
                let cv = CrossValidation::builder().folds(5).metric(Metric::Accuracy).seed(7).build().expect("valid");
                bench::<DecisionTreeSpace>(problem, &data, &cv, trials, seeds);
            }
            "enet-diabetes" => {
                let data = holdout(&linfa_datasets::diabetes());
                let cv = CrossValidation::builder().folds(5).metric(Metric::R2).seed(7).build().expect("valid");
                bench::<ElasticNetSpace>(problem, &data, &cv, trials, seeds);
            }
            other => panic!("unknown problem `{other}`"),
        }
    }
}
