//! Run with: `cargo run --release -p example-tune-cnn-tch -- --trials 30 --jobs 2`
//! (needs `python3 -m pip install torch==2.11.0` and `LIBTORCH_USE_PYTORCH=1` to build).
//!
//! Tunes a small CNN (conv, batch norm, max pooling, dropout, linear) on handwritten digits
//! with tch (libtorch), on CUDA when libtorch sees a GPU, else on the CPU (`--device`
//! overrides). TPE proposes the learning rate, batch size, channels, dropout, optimizer and
//! weight decay, as in the Burn example; Hyperband (or ASHA) stops hopeless trials after
//! any epoch through `bo_tch::DeviceSlots::run`, which also seeds libtorch per trial, lets
//! `--gpu-slots` trials share the device at once, frees each trial's memory when it ends,
//! and fails a trial that runs out of GPU memory with a clear reason. Every trial, with its
//! per-epoch validation accuracy and seconds per epoch, lands in a SQLite file, so a second
//! run resumes the study. Data (shared with the Burn example, `example-cnn-common`): the
//! 8x8 digits shipped with smartcore, `--data digits28` (tens of thousands of 28x28 images
//! made from them, where a GPU matters), or MNIST with `--mnist DIR` (the four
//! uncompressed IDX files). `--summary FILE` writes the run's figures as JSON (device,
//! epochs trained, wall time, seconds per epoch, best accuracy), as `scripts/gpu-check.sh`
//! reads them.

mod data;
mod model;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Result;
use bo_core::{
    HyperbandPruner, NopPruner, Optimize, Pruner, SearchSpace, SqliteStorage, Study, SuccessiveHalvingPruner,
    TpeSampler, Trial, TrialState,
};
use bo_tch::{DeviceChoice, DeviceSlots, TrialContext, device_name};
use clap::{Parser, ValueEnum};
use example_cnn_common::summary::{EPOCH_SECONDS, RunInfo, RunSummary, epoch_seconds};
use example_cnn_common::{DataArgs, Images};
use tch::nn::{self, ModuleT, OptimizerConfig};
use tch::{Device, Tensor};

/// Tune a tch CNN on handwritten digits, on CUDA when present.
#[derive(Debug, Parser)]
struct Args {
    /// Trials to run in this invocation.
    #[arg(long, default_value_t = 30)]
    trials: u64,
    /// Trials run at once (threads).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Trials that may train on the device at once (default: --jobs); lower it when
    /// trials run out of GPU memory.
    #[arg(long)]
    gpu_slots: Option<usize>,
    /// Device: auto (CUDA if available, else CPU), cpu, cuda, cuda:N.
    #[arg(long, env = "BO_TCH_DEVICE", default_value = "auto")]
    device: DeviceChoice,
    /// Epochs of a trial that is not pruned (the pruner's maximum resource).
    #[arg(long, default_value_t = 9)]
    epochs: usize,
    /// Pruner judging each trial after every epoch.
    #[arg(long, value_enum, default_value_t = PrunerKind::Hyperband)]
    pruner: PrunerKind,
    /// SQLite file of the study (created if missing, resumed otherwise).
    #[arg(long, default_value = "tune-cnn-tch.db")]
    storage: PathBuf,
    /// Study name.
    #[arg(long, default_value = "tune-cnn-tch")]
    study: String,
    /// The images (`--data`, `--images`, `--mnist`, `--limit`).
    #[command(flatten)]
    data: DataArgs,
    /// No new trial starts after this many seconds.
    #[arg(long)]
    timeout: Option<f64>,
    /// Write this run's figures as JSON to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// libtorch's CPU threads (one pool for the process). Default 1: the small models here
    /// gain nothing from intra-op threads, and trials run in parallel with --jobs.
    #[arg(long, default_value_t = 1)]
    threads: i32,
    /// Seed of the sampler and of libtorch (per trial).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Best trials listed at the end.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PrunerKind {
    /// Hyperband: brackets of successive halving (min 1 epoch, max --epochs, factor 3).
    Hyperband,
    /// Asynchronous successive halving (min 1 epoch, factor 3).
    Asha,
    /// No pruning: every trial trains --epochs epochs.
    None,
}

/// The libtorch this example is built against (tch 0.24 accepts no other).
const LIBTORCH_VERSION: &str = "2.11.0";

/// The search space, as in the Burn example.
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

/// One trial's training on the context's device; reports each epoch's validation accuracy
/// (in [0, 1]) and stops when the pruner says so.
fn train(ctx: &TrialContext, trial: &Trial, hp: &Hparams, images: &Images, epochs: usize) -> bo_tch::Result<f64> {
    let device = ctx.device();
    let (train_x, train_y) = data::tensors(&images.train, images.side, device);
    let (valid_x, valid_y) = data::tensors(&images.valid, images.side, device);
    let vs = nn::VarStore::new(device);
    let model = ctx.init(|| model::cnn(&vs.root(), hp.channels as i64, hp.dropout));
    let mut opt = match hp.optimizer {
        OptimizerKind::Adam => nn::Adam { wd: hp.weight_decay, ..Default::default() }.build(&vs, hp.lr)?,
        OptimizerKind::AdamW => nn::AdamW { wd: hp.weight_decay, ..Default::default() }.build(&vs, hp.lr)?,
        OptimizerKind::Sgd { nesterov } => {
            nn::Sgd { momentum: 0.9, dampening: 0.0, wd: hp.weight_decay, nesterov }.build(&vs, hp.lr)?
        }
    };
    let n = images.train.len();
    let mut rng = ctx.rng();
    let mut seconds = Vec::with_capacity(epochs);
    let mut accuracy = 0.0;
    for epoch in 0..epochs as u64 {
        let start = Instant::now();
        // Batches in an order of the trial's own: the same at any --jobs.
        let mut order: Vec<i64> = (0..n as i64).collect();
        for i in (1..n).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for batch in order.chunks(hp.batch_size) {
            let idx = Tensor::from_slice(batch).to_device(device);
            let loss = model.forward_t(&train_x.index_select(0, &idx), true).cross_entropy_for_logits(&train_y.index_select(0, &idx));
            opt.backward_step(&loss);
        }
        accuracy = evaluate(&model, &valid_x, &valid_y);
        seconds.push(start.elapsed().as_secs_f64());
        trial.set_user_attr(EPOCH_SECONDS, &seconds)?;
        ctx.report_or_prune(epoch, accuracy)?; // step = epoch, from 0; Err(Pruned): the trial ends PRUNED
    }
    Ok(accuracy)
}

/// Accuracy over the validation images, in batches of 1024.
fn evaluate(model: &impl ModuleT, x: &Tensor, y: &Tensor) -> f64 {
    tch::no_grad(|| {
        let n = y.size()[0];
        let correct: f64 = (0..n)
            .step_by(1024)
            .map(|start| {
                let len = 1024.min(n - start);
                let logits = model.forward_t(&x.narrow(0, start, len), false);
                logits.argmax(1, false).eq_tensor(&y.narrow(0, start, len)).sum(tch::Kind::Float).double_value(&[])
            })
            .sum();
        correct / n as f64
    })
}

fn pruner(kind: PrunerKind, epochs: u64) -> Result<Box<dyn Pruner>> {
    Ok(match kind {
        PrunerKind::Hyperband => {
            Box::new(HyperbandPruner::builder().min_resource(1).max_resource(epochs).reduction_factor(3).build()?)
        }
        PrunerKind::Asha => Box::new(SuccessiveHalvingPruner::builder().min_resource(1).reduction_factor(3).build()?),
        PrunerKind::None => Box::new(NopPruner),
    })
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
    let images = args.data.load()?;
    tch::set_num_threads(args.threads.max(1));
    let epochs = args.epochs.max(1);
    let jobs = args.jobs.max(1);
    // The device first: a GPU asked for and missing is an error before any file is made.
    let slots = DeviceSlots::builder()
        .device(args.device)
        .max_concurrent(args.gpu_slots.unwrap_or(jobs))
        .build()?; // each trial seeded from the study's seed (--seed) and its number
    let study = Study::builder()
        .name(&args.study)
        .maximize()
        .storage(SqliteStorage::open(&args.storage)?)
        .sampler(TpeSampler::default())
        .pruner(pruner(args.pruner, epochs as u64)?)
        .seed(args.seed)
        .load_if_exists(true)
        .build()?;
    let device = slots.device();
    println!(
        "{} training and {} validation images ({}x{}); device {}{}; {jobs} jobs, {} on the device at once; pruner {:?}",
        images.train.len(),
        images.valid.len(),
        images.side,
        images.side,
        device_name(device),
        if device == Device::Cpu { format!(" ({} libtorch threads)", tch::get_num_threads()) } else { String::new() },
        slots.max_concurrent(),
        args.pruner,
    );
    let before = study.trials()?.len();
    let start = Instant::now();
    let mut options = Optimize::trials(args.trials).n_jobs(jobs).progress_bar(!args.quiet);
    if let Some(seconds) = args.timeout {
        options = options.timeout(Duration::from_secs_f64(seconds.max(0.0)));
    }
    study.optimize_with(options, |trial: &mut Trial| {
        let hp: Hparams = trial.suggest()?;
        slots.run(trial, |ctx| train(ctx, trial, &hp, &images, epochs))
    })?;
    let wall = start.elapsed();

    let trials = study.trials()?;
    let info = RunInfo {
        example: "tch",
        device: device_name(device),
        backend: format!("libtorch {}", LIBTORCH_VERSION),
        jobs,
        pruner: format!("{:?}", args.pruner).to_lowercase(),
        epochs,
        accuracy_scale: 1.0,
    };
    let summary = RunSummary::new(&info, &images, &trials[before..], wall);
    summary.lines().iter().for_each(|l| println!("{l}"));
    if let Some(path) = &args.summary {
        summary.write_json(path)?;
    }

    let mut complete: Vec<_> = trials.iter().filter(|t| t.state == TrialState::Complete).collect();
    complete.sort_by(|a, b| b.value.unwrap_or(f64::NAN).total_cmp(&a.value.unwrap_or(f64::NAN)));
    println!("\nbest trials of the study ({} complete of {}):", complete.len(), trials.len());
    println!("{:>5}  {:>8}  {:>6}  {:>7}  params", "trial", "accuracy", "epochs", "s/epoch");
    for t in complete.iter().take(args.top) {
        let hp: Hparams = Trial::fixed(t.params.clone()).suggest()?;
        let seconds = epoch_seconds(t);
        let per_epoch = seconds.iter().sum::<f64>() / seconds.len().max(1) as f64;
        println!(
            "{:>5}  {:>8.4}  {:>6}  {per_epoch:>7.3}  lr={:.2e} batch={} channels={} dropout={:.2} {:?} wd={:.1e}",
            t.number,
            t.value.unwrap_or(f64::NAN),
            t.intermediate_values.len(),
            hp.lr,
            hp.batch_size,
            hp.channels,
            hp.dropout,
            hp.optimizer,
            hp.weight_decay,
        );
    }
    println!(
        "\ninspect: cargo run --release -p bo-cli -- trials {} --storage sqlite:{}",
        args.study,
        args.storage.display()
    );
    Ok(())
}
