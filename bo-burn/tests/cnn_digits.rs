//! A short study of a small CNN on the 8x8 digits shipped with smartcore, trained by Burn's
//! learner on the CPU (ndarray), pruned by Hyperband through `TrialEarlyStopping`, stored in
//! a real SQLite file.

use std::sync::Arc;

use bo_burn::{PruneTraining, QuietRenderer, TrialEarlyStopping};
use bo_core::{
    FrozenTrial, HyperbandPruner, Optimize, SearchSpace, SqliteStorage, Study, TpeSampler, Trial, TrialState,
};
use burn::backend::{Autodiff, NdArray};
use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::module::AutodiffModule;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, Optimizer, SgdConfig};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn::train::metric::AccuracyMetric;
use burn::train::{ClassificationOutput, InferenceStep, Learner, SupervisedTraining, TrainOutput, TrainStep};

type Train = Autodiff<NdArray>;

const EPOCHS: usize = 4;

#[derive(Clone, Debug)]
struct Digit {
    pixels: [f32; 64],
    label: i64,
}

/// Train and validation splits: a fixed shuffle of the 1797 digits, subsampled.
struct Digits {
    train: Vec<Digit>,
    valid: Vec<Digit>,
}

fn digits(n_train: usize, n_valid: usize) -> Digits {
    let d = smartcore::dataset::digits::load_dataset();
    let n = d.num_samples;
    // 7919 is prime and does not divide 1797: i -> 7919 i mod n is a permutation.
    let all: Vec<Digit> = (0..n)
        .map(|i| (i * 7919) % n)
        .map(|j| Digit {
            pixels: std::array::from_fn(|k| d.data[j * 64 + k] / 16.0),
            label: d.target[j] as i64,
        })
        .collect();
    Digits { train: all[..n_train].to_vec(), valid: all[n_train..n_train + n_valid].to_vec() }
}

#[derive(Clone, Debug)]
struct DigitBatch<B: Backend> {
    images: Tensor<B, 4>,
    targets: Tensor<B, 1, Int>,
}

#[derive(Clone, Debug, Default)]
struct DigitBatcher;

impl<B: Backend> Batcher<B, Digit, DigitBatch<B>> for DigitBatcher {
    fn batch(&self, items: Vec<Digit>, device: &B::Device) -> DigitBatch<B> {
        let n = items.len();
        let pixels: Vec<f32> = items.iter().flat_map(|d| d.pixels).collect();
        let labels: Vec<i64> = items.iter().map(|d| d.label).collect();
        DigitBatch {
            images: Tensor::from_data(TensorData::new(pixels, [n, 1, 8, 8]), device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

#[derive(Module, Debug)]
struct Cnn<B: Backend> {
    conv1: Conv2d<B>,
    norm1: BatchNorm<B>,
    conv2: Conv2d<B>,
    norm2: BatchNorm<B>,
    pool: MaxPool2d,
    dropout: Dropout,
    head: Linear<B>,
    relu: Relu,
}

impl<B: Backend> Cnn<B> {
    fn new(channels: usize, dropout: f64, device: &B::Device) -> Self {
        let conv = |i, o| Conv2dConfig::new([i, o], [3, 3]).with_padding(PaddingConfig2d::Same).init(device);
        Cnn {
            conv1: conv(1, channels),
            norm1: BatchNormConfig::new(channels).init(device),
            conv2: conv(channels, 2 * channels),
            norm2: BatchNormConfig::new(2 * channels).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dropout: DropoutConfig::new(dropout).init(),
            head: LinearConfig::new(2 * channels * 2 * 2, 10).init(device),
            relu: Relu::new(),
        }
    }

    fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        let x = self.pool.forward(self.relu.forward(self.norm1.forward(self.conv1.forward(images)))); // 4x4
        let x = self.pool.forward(self.relu.forward(self.norm2.forward(self.conv2.forward(x)))); // 2x2
        self.head.forward(self.dropout.forward(x.flatten(1, 3)))
    }

    fn classify(&self, batch: DigitBatch<B>) -> ClassificationOutput<B> {
        let output = self.forward(batch.images);
        let loss = CrossEntropyLossConfig::new().init(&output.device()).forward(output.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, output, batch.targets)
    }
}

impl<B: AutodiffBackend> TrainStep for Cnn<B> {
    type Input = DigitBatch<B>;
    type Output = ClassificationOutput<B>;

    fn step(&self, batch: DigitBatch<B>) -> TrainOutput<ClassificationOutput<B>> {
        let item = self.classify(batch);
        TrainOutput::new(self, item.loss.backward(), item)
    }
}

impl<B: Backend> InferenceStep for Cnn<B> {
    type Input = DigitBatch<B>;
    type Output = ClassificationOutput<B>;

    fn step(&self, batch: DigitBatch<B>) -> ClassificationOutput<B> {
        self.classify(batch)
    }
}

#[derive(Debug, Clone, SearchSpace)]
enum OptimizerKind {
    Adam,
    Sgd,
}

#[derive(Debug, Clone, SearchSpace)]
struct Hparams {
    #[param(1e-4..=3e-2, log)]
    lr: f64,
    #[param(choices = [32, 64])]
    batch_size: usize,
    #[param(choices = [4, 8])]
    channels: usize,
    #[param(0.0..=0.5)]
    dropout: f64,
    optimizer: OptimizerKind,
    #[param(1e-6..=1e-2, log)]
    weight_decay: f64,
}

/// Trains one trial with Burn's learner; the pruner stops it through `TrialEarlyStopping`.
fn objective(trial: &mut Trial, data: &Digits) -> anyhow::Result<f64> {
    let hp: Hparams = trial.suggest()?;
    let device = Default::default();
    Train::seed(&device, trial.number().unwrap_or(0));
    let model = Cnn::<Train>::new(hp.channels, hp.dropout, &device);
    let decay = Some(WeightDecayConfig::new(hp.weight_decay as f32));
    match hp.optimizer {
        OptimizerKind::Adam => fit(trial, data, &hp, model, AdamConfig::new().with_weight_decay(decay).init()),
        OptimizerKind::Sgd => {
            let sgd = SgdConfig::new().with_momentum(Some(MomentumConfig::new())).with_weight_decay(decay);
            fit(trial, data, &hp, model, sgd.init())
        }
    }
}

fn fit<O: Optimizer<Cnn<Train>, Train> + 'static>(
    trial: &Trial,
    data: &Digits,
    hp: &Hparams,
    model: Cnn<Train>,
    optimizer: O,
) -> anyhow::Result<f64> {
    let train = DataLoaderBuilder::new(DigitBatcher)
        .batch_size(hp.batch_size)
        .shuffle(trial.number().unwrap_or(0))
        .build(InMemDataset::new(data.train.clone()));
    let valid = DataLoaderBuilder::new(DigitBatcher).batch_size(128).build(InMemDataset::new(data.valid.clone()));
    let stopping = TrialEarlyStopping::new(trial);
    let dir = tempfile::tempdir()?;
    SupervisedTraining::new(dir.path(), train, valid)
        .num_epochs(EPOCHS)
        .renderer(QuietRenderer)
        .with_application_logger(None)
        .prune_with(&stopping, AccuracyMetric::new())
        .launch(Learner::new(model, optimizer, hp.lr));
    // One positive duration per reported epoch, as the examples store them.
    let seconds = stopping.epoch_seconds();
    assert_eq!(seconds.len(), stopping.values().len());
    assert!(seconds.iter().all(|&s| s > 0.0), "{seconds:?}");
    Ok(stopping.finish()?)
}

fn params(lr: f64, optimizer: &str) -> Vec<(&'static str, bo_core::ParamValue)> {
    vec![
        ("lr", lr.into()),
        ("batch_size", 32i64.into()),
        ("channels", 8i64.into()),
        ("dropout", 0.1.into()),
        ("optimizer", optimizer.into()),
        ("weight_decay", 1e-5.into()),
    ]
}

#[test]
fn cnn_study_prunes_through_the_learner_and_stores_intermediate_values() -> anyhow::Result<()> {
    let data = Arc::new(digits(600, 300));
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("cnn.db");
    let pruner = HyperbandPruner::builder().min_resource(1).max_resource(EPOCHS as u64).reduction_factor(3).build()?;
    // Trials 0 and 1 share a bracket, so the second is judged against the first.
    assert_eq!(pruner.bracket_of(0), pruner.bracket_of(1));
    let study = Study::builder()
        .name("cnn")
        .maximize()
        .storage(SqliteStorage::open(&path)?)
        .sampler(TpeSampler::builder().n_startup_trials(2).build()?)
        .pruner(pruner)
        .seed(3)
        .build()?;
    // A configuration that learns, then one that cannot (SGD at lr 1e-4 for 4 epochs).
    study.enqueue(params(1e-2, "adam"))?;
    study.enqueue(params(1e-4, "sgd"))?;
    study.optimize_with(Optimize::trials(2).progress_bar(false), |trial: &mut Trial| objective(trial, &data))?;
    study.optimize_with(Optimize::trials(2).n_jobs(2).progress_bar(false), |trial: &mut Trial| {
        objective(trial, &data)
    })?;

    let trials = study.trials()?;
    for t in &trials {
        eprintln!("trial {}: {:?} {:?}", t.number, t.state, t.intermediate_values);
    }
    assert_eq!(trials.len(), 4);
    assert!(trials.iter().all(|t| matches!(t.state, TrialState::Complete | TrialState::Pruned)), "{trials:#?}");
    let best = study.best_trial()?;
    // Burn's accuracy is in percent: well above chance (10 %) on 10 classes.
    assert!(best.value.unwrap() >= 50.0, "best accuracy {:?}", best.value);
    // Burn's epochs 1..=EPOCHS are steps 0..EPOCHS: the first epoch is step 0.
    assert_eq!(best.intermediate_values.keys().copied().collect::<Vec<u64>>(), (0..EPOCHS as u64).collect::<Vec<_>>());

    // The hopeless trial was stopped by the pruner mid-training.
    let pruned = &trials[1];
    assert_eq!(pruned.state, TrialState::Pruned, "{pruned:#?}");
    let steps: Vec<u64> = pruned.intermediate_values.keys().copied().collect();
    assert!(!steps.is_empty() && steps.len() < EPOCHS, "pruned after epochs {steps:?}");
    assert_eq!(steps, (0..steps.len() as u64).collect::<Vec<_>>());
    // Hyperband's first rung with min_resource(1) is step 1: judged after two epochs.
    assert_eq!(steps, [0, 1]);
    // Each value is the accuracy over all 300 validation images (batches of 128, 128, 44),
    // a multiple of 1/3 %, never that of a partly counted epoch.
    for t in &trials {
        for v in t.intermediate_values.values() {
            assert!((0.0..=100.0).contains(v) && (v * 3.0 - (v * 3.0).round()).abs() < 1e-6, "{v}");
        }
    }

    // The pruned trial's per-epoch accuracies are in the SQLite file, read back by a fresh
    // connection.
    drop(study);
    let reopened = Study::builder()
        .name("cnn")
        .maximize()
        .storage(SqliteStorage::open(&path)?)
        .load_if_exists(true)
        .build()?;
    let stored: Vec<FrozenTrial> = reopened.trials()?;
    assert_eq!(stored[1].state, TrialState::Pruned);
    assert_eq!(stored[1].intermediate_values, pruned.intermediate_values);
    assert_eq!(stored[0].intermediate_values.len(), EPOCHS);
    Ok(())
}

#[test]
fn a_stopping_that_was_not_attached_fails_the_trial_with_a_clear_error() -> anyhow::Result<()> {
    let data = digits(64, 32);
    let study = Study::builder().name("unattached").maximize().build()?;
    study.optimize_with(Optimize::trials(1).progress_bar(false), |trial: &mut Trial| -> anyhow::Result<f64> {
        let device = Default::default();
        let train = DataLoaderBuilder::new(DigitBatcher).batch_size(32).build(InMemDataset::new(data.train.clone()));
        let valid = DataLoaderBuilder::new(DigitBatcher).batch_size(32).build(InMemDataset::new(data.valid.clone()));
        let stopping = TrialEarlyStopping::new(trial);
        let dir = tempfile::tempdir()?;
        // Registered as Burn's early stopping by hand, without `prune_with`: no metric.
        SupervisedTraining::new(dir.path(), train, valid)
            .metric_valid_numeric(AccuracyMetric::new())
            .num_epochs(3)
            .renderer(QuietRenderer)
            .with_application_logger(None)
            .early_stopping(stopping.clone())
            .launch(Learner::new(Cnn::<Train>::new(4, 0.0, &device), AdamConfig::new().init(), 1e-3));
        assert_eq!(stopping.values().len(), 0);
        Ok(stopping.finish()?)
    })?;
    let t = &study.trials()?[0];
    assert_eq!(t.state, TrialState::Failed);
    let reason = t.fail_reason.as_deref().unwrap_or_default();
    assert!(reason.contains("not attached to the training: use .prune_with(&stopping, metric)"), "{reason}");
    Ok(())
}

#[test]
fn report_or_prune_prunes_a_hand_written_loop() -> anyhow::Result<()> {
    // A hand-written Burn loop: the same CNN, trained step by step with the optimizer.
    let data = digits(512, 128);
    let study = Study::builder()
        .name("loop")
        .maximize()
        .pruner(HyperbandPruner::builder().min_resource(1).max_resource(3).build()?)
        .build()?;
    study.enqueue([("lr", 1e-2)])?;
    study.enqueue([("lr", 1e-6)])?;
    study.optimize_with(Optimize::trials(2).progress_bar(false), |trial: &mut Trial| -> anyhow::Result<f64> {
        let lr = trial.suggest_float("lr", bo_core::Float::log(1e-6, 1e-1))?;
        let device = Default::default();
        Train::seed(&device, 1);
        let mut model = Cnn::<Train>::new(4, 0.0, &device);
        let mut optim = AdamConfig::new().init();
        let batcher = DigitBatcher;
        let mut accuracy = 0.0;
        for epoch in 0..3 {
            for chunk in data.train.chunks(16) {
                let out = model.classify(Batcher::<Train, _, _>::batch(&batcher, chunk.to_vec(), &device));
                let grads = burn::optim::GradientsParams::from_grads(out.loss.backward(), &model);
                model = optim.step(lr, model, grads);
            }
            let valid = model.valid();
            let batch: DigitBatch<NdArray> = batcher.batch(data.valid.clone(), &device);
            let predicted = valid.forward(batch.images).argmax(1).squeeze_dim::<1>(1);
            let correct = predicted.equal(batch.targets).int().sum().into_scalar();
            accuracy = correct as f64 / data.valid.len() as f64;
            trial.report_or_prune(epoch, accuracy)?;
        }
        Ok(accuracy)
    })?;
    let trials = study.trials()?;
    assert_eq!(trials[0].state, TrialState::Complete);
    assert_eq!(trials[1].state, TrialState::Pruned, "{:#?}", trials[1]);
    // The loop's epoch index is the step: 0 first; the first rung (step 1) stopped it.
    assert_eq!(trials[0].intermediate_values.keys().copied().collect::<Vec<u64>>(), [0, 1, 2]);
    assert_eq!(trials[1].intermediate_values.keys().copied().collect::<Vec<u64>>(), [0, 1], "{trials:#?}");
    Ok(())
}
