//! Run with: `cargo run --release -p example-tune-cnn-burn -- --trials 30 --jobs 2`
//!
//! Tunes a small CNN (conv, batch norm, max pooling, dropout, linear) on handwritten digits
//! with Burn's learner: TPE proposes the learning rate, batch size, channels, dropout,
//! optimizer and weight decay; Hyperband stops hopeless trials after any epoch through
//! `bo_burn::TrialEarlyStopping`, Burn's early-stopping hook. Trials run `--jobs` at a
//! time; every trial, with its per-epoch validation accuracy, lands in a SQLite file, so a
//! second run resumes the study. Data (shared with the tch example, `example-cnn-common`):
//! the 8x8 digits shipped with smartcore, `--data digits28` (tens of thousands of 28x28
//! images made from them), or MNIST with `--mnist DIR` (the four uncompressed IDX files).
//! CPU (ndarray) by default; with `--features cuda`, Burn's CUDA backend: `--probe` checks
//! that the device works, a trial that runs out of GPU memory (or whose backend panics)
//! fails with the reason while the study goes on, and `--summary FILE` writes the run's
//! figures as JSON for `scripts/gpu-check.sh`.

mod data;
mod model;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use bo_burn::{PruneTraining, QuietRenderer, TrialEarlyStopping};
use bo_core::{HyperbandPruner, Optimize, SearchSpace, SqliteStorage, Study, TpeSampler, Trial, TrialState};
use burn::backend::Autodiff;
use burn::data::dataloader::DataLoaderBuilder;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, AdamWConfig, Optimizer, SgdConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Tensor};
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{Learner, SupervisedTraining};
use clap::Parser;
use example_cnn_common::summary::{EPOCH_SECONDS, RunInfo, RunSummary};
use example_cnn_common::{DataArgs, Images};

use crate::data::{Data, ImageBatcher};
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
    /// The images (`--data`, `--images`, `--mnist`, `--limit`).
    #[command(flatten)]
    data: DataArgs,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// No new trial starts after this many seconds.
    #[arg(long)]
    timeout: Option<f64>,
    /// Write this run's figures as JSON to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Check that the backend's device works (a small tensor sum on it), print the result
    /// as JSON and exit: status 0 when it works, 3 when it does not.
    #[arg(long)]
    probe: bool,
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

/// One trial. A panic of the backend (Burn's CUDA backend panics when the GPU runs out of
/// memory) fails the trial with a clear reason; the study goes on.
fn objective(trial: &mut Trial, data: &Data, epochs: usize, seed: u64) -> Result<f64> {
    let hp: Hparams = trial.suggest()?;
    guarded(|| fit(trial, data, &hp, epochs, seed))
}

/// Runs `train`, turning a panic into the error [`backend_failure`] gives.
fn guarded<T>(train: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(train)).unwrap_or_else(|panic| Err(backend_failure(&panic_text(panic.as_ref()))))
}

/// The text of a panic's payload.
fn panic_text(panic: &(dyn Any + Send)) -> String {
    bo_core::panic_text(panic).unwrap_or("a panic without a message").to_string()
}

/// The backend's short name, known without touching its device.
const BACKEND: &str = if cfg!(feature = "cuda") { "cuda" } else { "ndarray" };

/// The error a trial fails with when the backend panicked with `message`. Names the
/// backend by [`BACKEND`]: after a panic its device may be unusable.
fn backend_failure(message: &str) -> anyhow::Error {
    let lower = message.to_lowercase();
    if ["out of memory", "outofmemory", "out_of_memory"].iter().any(|m| lower.contains(m)) {
        anyhow!("out of memory on {BACKEND}: lower --jobs or the batch sizes ({message})")
    } else {
        anyhow!("the {BACKEND} backend failed: {message}")
    }
}

/// Whether the backend's device works: its name, or why not. The panic hook is replaced
/// meanwhile: a missing CUDA driver panics on Burn's device thread first (the root cause)
/// and then on this one (a closed channel), so every message is kept, the first one leads,
/// and none is printed as a backtrace.
fn probe() -> std::result::Result<String, String> {
    let messages = Arc::new(Mutex::new(Vec::<String>::new()));
    let hook = std::panic::take_hook();
    let seen = messages.clone();
    std::panic::set_hook(Box::new(move |info| {
        let text = panic_text(info.payload());
        seen.lock().unwrap_or_else(|e| e.into_inner()).push(text);
    }));
    let outcome = catch_unwind(|| {
        let device = Default::default();
        let sum: f32 = Tensor::<Base, 1>::from_floats([1.0, 2.0], &device).sum().into_scalar().elem();
        (sum == 3.0).then(|| Base::name(&device)).ok_or_else(|| format!("1 + 2 gave {sum} on the device"))
    });
    std::panic::set_hook(hook);
    outcome.unwrap_or_else(|_| {
        let messages = messages.lock().unwrap_or_else(|e| e.into_inner());
        Err(if messages.is_empty() { "the device panicked without a message".to_string() } else { messages.join("; then: ") })
    })
}

/// Builds the model and the optimizer the trial asks for and trains with Burn's learner.
fn fit(trial: &Trial, data: &Data, hp: &Hparams, epochs: usize, seed: u64) -> Result<f64> {
    let device = Default::default();
    Train::seed(&device, seed.wrapping_add(trial.number().unwrap_or(0)));
    let model = Cnn::<Train>::new(hp.channels, hp.dropout, &device);
    let decay = WeightDecayConfig::new(hp.weight_decay as f32);
    match hp.optimizer {
        OptimizerKind::Adam => {
            let adam = AdamConfig::new().with_weight_decay(Some(decay));
            train(trial, data, hp, epochs, model, adam.init())
        }
        OptimizerKind::AdamW => {
            let adamw = AdamWConfig::new().with_weight_decay(hp.weight_decay as f32);
            train(trial, data, hp, epochs, model, adamw.init())
        }
        OptimizerKind::Sgd { nesterov } => {
            let momentum = MomentumConfig::new().with_nesterov(nesterov).with_dampening(0.0);
            let sgd = SgdConfig::new().with_momentum(Some(momentum)).with_weight_decay(Some(decay));
            train(trial, data, hp, epochs, model, sgd.init())
        }
    }
}

fn train<O: Optimizer<Cnn<Train>, Train> + 'static>(
    trial: &Trial,
    data: &Data,
    hp: &Hparams,
    epochs: usize,
    model: Cnn<Train>,
    optimizer: O,
) -> Result<f64> {
    let batcher = ImageBatcher { side: data.side };
    let train_loader = DataLoaderBuilder::new(batcher.clone())
        .batch_size(hp.batch_size)
        .shuffle(trial.number().unwrap_or(0))
        .build(data.train.clone());
    let valid_loader = DataLoaderBuilder::new(batcher).batch_size(256).build(data.valid.clone());
    // Reports the validation accuracy (in percent, as Burn computes it) after each epoch;
    // stops the training when Hyperband says so.
    // Burn's epoch 1 is step 0, as everywhere.
    let stopping = TrialEarlyStopping::new(trial);
    let dir = tempfile::tempdir()?;
    SupervisedTraining::new(dir.path(), train_loader, valid_loader)
        .metric_valid_numeric(LossMetric::new())
        .num_epochs(epochs)
        .renderer(QuietRenderer)
        .with_application_logger(None)
        .prune_with(&stopping, AccuracyMetric::new()) // follows (and registers) the accuracy
        .launch(Learner::new(model, optimizer, hp.lr));
    trial.set_user_attr(EPOCH_SECONDS, stopping.epoch_seconds())?;
    Ok(stopping.finish()?) // Err(Pruned) marks the trial PRUNED
}

fn main() -> Result<()> {
    // Logs on stderr: stdout carries the results (and --probe's JSON).
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let device_works = probe();
    if args.probe {
        let json = match &device_works {
            Ok(name) => serde_json::json!({"backend": BACKEND, "device": name, "works": true}),
            Err(why) => serde_json::json!({"backend": BACKEND, "works": false, "error": why}),
        };
        println!("{json}");
        std::process::exit(if device_works.is_ok() { 0 } else { 3 });
    }
    // The device first: one that does not work is an error before any file is made.
    if let Err(why) = device_works {
        bail!("the {BACKEND} backend's device does not work: {why}");
    }
    let images: Images = args.data.load()?;
    let data = Data::new(&images);
    let backend = Base::name(&Default::default());
    println!(
        "{} training and {} validation images ({}x{}), backend {backend}",
        images.train.len(),
        images.valid.len(),
        images.side,
        images.side,
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
    let before = study.trials()?.len();
    let start = Instant::now();
    let mut options = Optimize::trials(args.trials).n_jobs(args.jobs).progress_bar(!args.quiet);
    if let Some(seconds) = args.timeout {
        options = options.timeout(Duration::from_secs_f64(seconds.max(0.0)));
    }
    study.optimize_with(options, |trial: &mut Trial| objective(trial, &data, epochs, args.seed))?;
    let wall = start.elapsed();

    let trials = study.trials()?;
    let info = RunInfo {
        example: "burn",
        device: if cfg!(feature = "cuda") { "cuda:0".into() } else { "cpu".into() },
        backend,
        jobs: args.jobs.max(1),
        pruner: "hyperband".into(),
        epochs,
        accuracy_scale: 100.0,
    };
    let summary = RunSummary::new(&info, &images, &trials[before..], wall);
    summary.lines().iter().for_each(|l| println!("{l}"));
    if let Some(path) = &args.summary {
        summary.write_json(path)?;
    }
    if let Some(best) = trials.iter().filter(|t| t.state == TrialState::Complete).max_by(|a, b| {
        a.value.unwrap_or(f64::NEG_INFINITY).total_cmp(&b.value.unwrap_or(f64::NEG_INFINITY))
    }) {
        let hp: Hparams = Trial::fixed(best.params.clone()).suggest()?;
        println!(
            "best of the study: trial {} with {:.2} % validation accuracy\n  {hp:?}",
            best.number,
            best.value.unwrap_or(f64::NAN)
        );
    }
    println!(
        "inspect: cargo run --release -p bo-cli -- trials {} --storage sqlite:{}",
        args.study,
        args.storage.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_working_device_passes_the_probe() {
        // ndarray here (CI has no GPU); with feature `cuda` on a GPU machine, the GPU.
        let name = probe().expect("the default backend's device works");
        assert!(!name.is_empty());
    }

    #[test]
    fn backend_panics_become_clear_trial_errors() {
        let oom = backend_failure("DriverError(CUDA_ERROR_OUT_OF_MEMORY, \"out of memory\")").to_string();
        assert!(oom.starts_with("out of memory on "), "{oom}");
        assert!(oom.contains("lower --jobs or the batch sizes"), "{oom}");
        let other = backend_failure("index out of bounds").to_string();
        assert!(other.contains("backend failed: index out of bounds"), "{other}");
    }

    /// A panic inside the training fails only that trial, with the reason; the study goes
    /// on to the next trial.
    #[test]
    fn a_panicking_trial_fails_and_the_study_goes_on() -> Result<()> {
        let study = Study::builder().name("panics").maximize().build()?;
        study.optimize_with(Optimize::trials(2).progress_bar(false), |trial: &mut Trial| -> Result<f64> {
            let number = trial.number().unwrap_or(0);
            guarded(|| {
                if number == 0 {
                    panic!("CUDA_ERROR_OUT_OF_MEMORY");
                }
                Ok(0.5)
            })
        })?;
        let trials = study.trials()?;
        assert_eq!(trials[0].state, TrialState::Failed);
        assert!(trials[0].fail_reason.as_deref().unwrap_or_default().starts_with("out of memory on "), "{:?}", trials[0].fail_reason);
        assert_eq!(trials[1].state, TrialState::Complete);
        Ok(())
    }
}
