//! Run: `cargo run --release -p example-linfa-trees` (add `-- --help` for options).
//!
//! Tunes a linfa random forest (or, with `--model tree`, a decision tree) on the red
//! wine-quality data (1599 wines, 11 features, quality classes 3-8) with TPE and median
//! pruning over 5-fold stratified cross-validation, in the embedded SQLite store
//! `linfa_trees.db` in the current directory. A quarter of the wines is held out first; the
//! best configuration and linfa's default configuration are both fitted on the rest and
//! scored on it. Run it again and the study resumes.

use anyhow::Result;
use bo_core::{MedianPruner, Optimize, SqliteStorage, Study, TpeSampler, Trial, TrialState};
use bo_linfa::linfa_models::{DecisionTreeSpace, RandomForestSpace};
use bo_linfa::{ClassificationDataset, CrossValidation, CvData, Estimator, Metric, stratified_k_fold};
use clap::{Parser, ValueEnum};

/// Which linfa model to tune.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Model {
    /// linfa's random forest (`linfa_ensemble`): bagged trees on random feature subsets.
    Forest,
    /// `linfa_trees::DecisionTree`: about twenty times faster than the forest.
    Tree,
}

/// Tune a linfa tree on the wine-quality data with TPE, median pruning and SQLite.
#[derive(Parser)]
struct Args {
    /// SQLite file holding the study.
    #[arg(long, default_value = "linfa_trees.db")]
    db: String,
    /// Model to tune.
    #[arg(long, value_enum, default_value_t = Model::Forest)]
    model: Model,
    /// Number of trials to run now.
    #[arg(long, default_value_t = 30)]
    trials: u64,
    /// Parallel worker threads (TPE's constant liar keeps them apart).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Seed of the study (the folds and the held-out split use fixed seeds); a run
    /// replays exactly with `--jobs 1`.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let wine = linfa_datasets::winequality();
    // Hold out a stratified quarter of the wines; tune on the rest.
    let labels = wine.labels().unwrap_or_default();
    let test_idx = stratified_k_fold(&labels, 4, Some(2024))?.swap_remove(0);
    let train_idx: Vec<usize> = (0..labels.len()).filter(|i| test_idx.binary_search(i).is_err()).collect();
    let (train, test) = (wine.select(&train_idx), wine.select(&test_idx));
    let cv = CrossValidation::builder().folds(args.folds).metric(Metric::Accuracy).seed(7).build()?;
    match args.model {
        Model::Tree => tune::<DecisionTreeSpace>(&args, "linfa-trees-tree", &cv, &train, &test),
        Model::Forest => tune::<RandomForestSpace>(&args, "linfa-trees-forest", &cv, &train, &test),
    }
}

fn tune<M: Estimator<Data = ClassificationDataset>>(
    args: &Args,
    name: &str,
    cv: &CrossValidation,
    train: &ClassificationDataset,
    test: &ClassificationDataset,
) -> Result<()> {
    let study = Study::builder()
        .name(name)
        .direction(cv.direction())
        .storage(SqliteStorage::open(&args.db)?)
        .sampler(TpeSampler::default())
        .pruner(MedianPruner::default())
        .seed(args.seed)
        .load_if_exists(true)
        .build()?;
    let started = std::time::Instant::now();
    study.optimize_with(Optimize::trials(args.trials).n_jobs(args.jobs), cv.objective::<M>(train))?;
    let elapsed = started.elapsed().as_secs_f64();

    let trials = study.trials()?;
    let pruned = trials.iter().filter(|t| t.state == TrialState::Pruned).count();
    let folds: usize = trials.iter().map(|t| t.intermediate_values.len()).sum();
    let best_trial = study.best_trial()?;
    let best: M = Trial::fixed(best_trial.params.clone()).suggest()?;
    let tuned = cv.evaluate(&best, train, test)?;
    let default = cv.evaluate(&M::default(), train, test)?;

    println!("study `{name}` in {}: {} trials ({pruned} pruned), {folds} of {} folds fitted, {elapsed:.1}s this run", args.db, trials.len(), trials.len() * cv.folds());
    println!("best trial #{}: {}-fold CV accuracy {:.4}", best_trial.number, cv.folds(), best_trial.value.unwrap_or(f64::NAN));
    println!("best configuration: {best:#?}");
    println!("held-out accuracy ({} wines): tuned {tuned:.4}, linfa defaults {default:.4}", test.records().nrows());
    Ok(())
}
