//! Run with: `cargo run --release -p example-tune-cnn-burn -- --trials 30 --jobs 2`
//!
//! Tunes a small CNN (conv, batch norm, max pooling, dropout, linear) on handwritten digits
//! with Burn's learner: TPE proposes the learning rate, batch size, channels, dropout,
//! optimizer and weight decay; Hyperband stops hopeless trials after any epoch through
//! `bo_burn::TrialEarlyStopping`, Burn's early-stopping hook. Trials run `--jobs` at a
//! time; every trial, with its per-epoch validation accuracy, lands in a SQLite file, so a
//! second run resumes the study. Data: the 8x8 digits shipped with smartcore, or MNIST
//! with `--mnist DIR` (the four uncompressed IDX files). CPU (ndarray) by default; with
//! `--features cuda`, Burn's CUDA backend.

mod data;
mod model;

use std::path::PathBuf;

use anyhow::Result;
use bo_burn::{PruneTraining, QuietRenderer, TrialEarlyStopping};
use bo_core::{HyperbandPruner, Optimize, SearchSpace, SqliteStorage, Study, TpeSampler, Trial, TrialState};
use burn::backend::Autodiff;
use burn::data::dataloader::DataLoaderBuilder;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, Optimizer, SgdConfig};
use burn::tensor::backend::Backend;
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining};
use clap::Parser;

use crate::data::{ImageBatcher, Images};
use crate::model::Cnn;

#[cfg(not(feature = "cuda"))]
type Base = burn::backend::NdArray;
#[cfg(feature = "cuda")]
type Base = burn::backend::Cuda;
/// The training backend: ndarray on the CPU, or CUDA with feature `cuda`.
type Train = Autodiff<Base>;

/// Tune a Burn CNN on handwritten digits.
#[derive(Debug, Parser)]
struct Args {
    /// Trials to run in this invocation.
    #[arg(long, default_value_t = 30)]
    trials: u64,
    /// Trials trained at once (threads).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Epochs of a trial that is not pruned (Hyperband's maximum resource).
    #[arg(long, default_value_t = 9)]
    epochs: usize,
    /// SQLite file of the study (created if missing, resumed otherwise).
    #[arg(long, default_value = "tune-cnn-burn.db")]
    storage: PathBuf,
    /// Study name.
    #[arg(long, default_value = "tune-cnn-burn")]
    study: String,
    /// Folder with MNIST's IDX files; the 8x8 digits of smartcore when absent.
    #[arg(long)]
    mnist: Option<PathBuf>,
    /// Keep only the first images of each MNIST split.
    #[arg(long)]
    limit: Option<usize>,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// The search space.
#[derive(Debug, Clone, SearchSpace)]
struct Hparams {
    #[param(1e-4..=1e-1, log)]
    lr: f64,
    #[param(choices = [16, 32, 64, 128])]
    batch_size: usize,
    #[param(choices = [8, 16, 32])]
    channels: usize,
    #[param(0.0..=0.5)]
    dropout: f64,
    optimizer: OptimizerKind,
    #[param(1e-6..=1e-2, log)]
    weight_decay: f64,
}

/// The optimizer: a categorical, with SGD's Nesterov switch as a conditional parameter.
#[derive(Debug, Clone, SearchSpace)]
enum OptimizerKind {
    Adam,
    #[param(rename = "adamw")]
    AdamW,
    Sgd { nesterov: bool },
}

/// One trial: build the model and the optimizer it asks for, train with Burn's learner.
fn objective(trial: &mut Trial, images: &Images, epochs: usize, seed: u64) -> Result<f64> {
    let hp: Hparams = trial.suggest()?;
    let device = Default::default();
    Train::seed(&device, seed.wrapping_add(trial.number().unwrap_or(0)));
    let model = Cnn::<Train>::new(hp.channels, hp.dropout, &device);
    let decay = WeightDecayConfig::new(hp.weight_decay as f32);
    match hp.optimizer {
        OptimizerKind::Adam => {
            let adam = AdamConfig::new().with_weight_decay(Some(decay));
            train(trial, images, &hp, epochs, model, adam.init())
        }
        OptimizerKind::AdamW => {
            let adamw = AdamWConfig::new().with_weight_decay(hp.weight_decay as f32);
            train(trial, images, &hp, epochs, model, adamw.init())
        }
        OptimizerKind::Sgd { nesterov } => {
            let momentum = MomentumConfig::new().with_nesterov(nesterov).with_dampening(0.0);
            let sgd = SgdConfig::new().with_momentum(Some(momentum)).with_weight_decay(Some(decay));
            train(trial, images, &hp, epochs, model, sgd.init())
        }
    }
}

fn train<O: Optimizer<Cnn<Train>, Train> + 'static>(
    trial: &Trial,
    images: &Images,
    hp: &Hparams,
    epochs: usize,
    model: Cnn<Train>,
    optimizer: O,
) -> Result<f64> {
    let batcher = ImageBatcher { side: images.side };
    let train_loader = DataLoaderBuilder::new(batcher.clone())
        .batch_size(hp.batch_size)
        .shuffle(trial.number().unwrap_or(0))
        .build(images.train.clone());
    let valid_loader = DataLoaderBuilder::new(batcher).batch_size(256).build(images.valid.clone());
    // Reports the validation accuracy (in percent, as Burn computes it) after each epoch;
    // stops the training when Hyperband says so.
    let stopping = TrialEarlyStopping::new(trial.reporter(), &AccuracyMetric::<Train>::new());
    let dir = tempfile::tempdir()?;
    SupervisedTraining::new(dir.path(), train_loader, valid_loader)
        .metric_valid_numeric(AccuracyMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .num_epochs(epochs)
        .renderer(QuietRenderer)
        .with_application_logger(None)
        .prune_with(&stopping)
        .launch(Learner::new(model, optimizer, hp.lr));
    Ok(stopping.finish()?) // Err(Pruned) marks the trial PRUNED
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let images = match &args.mnist {
        Some(dir) => data::mnist(dir, args.limit)?,
        None => data::digits(0.25),
    };
    println!(
        "{} training and {} validation images ({}x{}), backend {}",
        images.train.0.len(),
        images.valid.0.len(),
        images.side,
        images.side,
        Base::name(&Default::default()),
    );
    let epochs = args.epochs.max(1);
    let study = Study::builder()
        .name(&args.study)
        .maximize()
        .storage(SqliteStorage::open(&args.storage)?)
        .sampler(TpeSampler::default())
        .pruner(HyperbandPruner::builder().min_resource(1).max_resource(epochs as u64).reduction_factor(3).build()?)
        .seed(args.seed)
        .load_if_exists(true)
        .build()?;
    study.optimize_with(Optimize::trials(args.trials).n_jobs(args.jobs), |trial: &mut Trial| {
        objective(trial, &images, epochs, args.seed)
    })?;

    let trials = study.trials()?;
    let count = |s: TrialState| trials.iter().filter(|t| t.state == s).count();
    let trained: usize = trials.iter().map(|t| t.intermediate_values.len()).sum();
    println!(
        "{} trials: {} complete, {} pruned, {} failed; {trained} epochs trained of {} without pruning",
        trials.len(),
        count(TrialState::Complete),
        count(TrialState::Pruned),
        count(TrialState::Failed),
        trials.len() * epochs,
    );
    let best = study.best_trial()?;
    let hp: Hparams = Trial::fixed(best.params.clone()).suggest()?;
    println!("best: trial {} with {:.2} % validation accuracy\n  {hp:?}", best.number, best.value.unwrap_or(f64::NAN));
    println!(
        "inspect: cargo run --release -p bo-cli -- trials {} --storage sqlite:{}",
        args.study,
        args.storage.display()
    );
    Ok(())
}
