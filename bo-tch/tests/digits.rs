//! A short study of a small tch CNN on the 8x8 digits shipped with smartcore, trained on the
//! CPU through `DeviceSlots::run`, pruned by Hyperband after an epoch, stored in a real
//! SQLite file.

use bo_core::{
    FrozenTrial, HyperbandPruner, Optimize, ParamValue, SearchSpace, SqliteStorage, Study, TpeSampler, Trial,
    TrialState,
};
use bo_tch::{DeviceChoice, DeviceSlots, TrialContext};
use tch::nn::{self, ModuleT, OptimizerConfig};
use tch::{Device, Tensor};

const EPOCHS: usize = 4;

/// Images (8x8, pixels in [0, 1], flat) and labels; tensors are made per trial, on its
/// device (`tch::Tensor` is not `Sync`, so trials running at once cannot share them).
struct Split {
    pixels: Vec<f32>,
    labels: Vec<i64>,
}

impl Split {
    /// Images `[n, 1, 8, 8]` and labels `[n]` on `device`.
    fn tensors(&self, device: Device) -> (Tensor, Tensor) {
        let n = self.labels.len() as i64;
        (Tensor::from_slice(&self.pixels).view([n, 1, 8, 8]).to_device(device), Tensor::from_slice(&self.labels).to_device(device))
    }
}

struct Digits {
    train: Split,
    valid: Split,
}

/// A fixed shuffle of the 1797 digits: the first `n_train` train, the next `n_valid` validate.
fn digits(n_train: usize, n_valid: usize) -> Digits {
    let d = smartcore::dataset::digits::load_dataset();
    let n = d.num_samples;
    // 7919 is prime and does not divide 1797: i -> 7919 i mod n is a permutation.
    let order: Vec<usize> = (0..n).map(|i| (i * 7919) % n).collect();
    let split = |idx: &[usize]| Split {
        pixels: idx.iter().flat_map(|&j| d.data[j * 64..(j + 1) * 64].iter().map(|p| p / 16.0)).collect(),
        labels: idx.iter().map(|&j| d.target[j] as i64).collect(),
    };
    Digits { train: split(&order[..n_train]), valid: split(&order[n_train..n_train + n_valid]) }
}

#[derive(Debug, Clone, SearchSpace)]
enum OptimizerKind {
    Adam,
    Sgd,
}

#[derive(Debug, Clone, SearchSpace)]
struct Hparams {
    #[param(1e-5..=3e-2, log)]
    lr: f64,
    #[param(choices = [32, 64])]
    batch_size: usize,
    #[param(choices = [4, 8])]
    channels: usize,
    #[param(0.0..=0.5)]
    dropout: f64,
    optimizer: OptimizerKind,
}

/// conv 3x3 / ReLU / max-pool twice (8x8 -> 4x4 -> 2x2), dropout, linear head.
fn cnn(p: &nn::Path, channels: i64, dropout: f64) -> nn::SequentialT {
    let conv = nn::ConvConfig { padding: 1, ..Default::default() };
    nn::seq_t()
        .add(nn::conv2d(p / "conv1", 1, channels, 3, conv))
        .add_fn(|x| x.relu().max_pool2d_default(2))
        .add(nn::conv2d(p / "conv2", channels, 2 * channels, 3, conv))
        .add_fn(|x| x.relu().max_pool2d_default(2).flatten(1, -1))
        .add_fn_t(move |x, train| x.dropout(dropout, train))
        .add(nn::linear(p / "head", 8 * channels, 10, Default::default()))
}

/// Accuracy in [0, 1].
fn accuracy(model: &impl ModuleT, images: &Tensor, labels: &Tensor) -> f64 {
    tch::no_grad(|| model.forward_t(images, false).accuracy_for_logits(labels).double_value(&[]))
}

/// One trial's training: a hand-written tch loop that reports each epoch and prunes.
fn train(ctx: &TrialContext, hp: &Hparams, data: &Digits) -> bo_tch::Result<f64> {
    let vs = nn::VarStore::new(ctx.device());
    let model = ctx.init(|| cnn(&vs.root(), hp.channels as i64, hp.dropout));
    let mut opt = match hp.optimizer {
        OptimizerKind::Adam => nn::Adam::default().build(&vs, hp.lr)?,
        OptimizerKind::Sgd => nn::Sgd { momentum: 0.9, ..Default::default() }.build(&vs, hp.lr)?,
    };
    let (train_x, train_y) = data.train.tensors(ctx.device());
    let (valid_x, valid_y) = data.valid.tensors(ctx.device());
    let n = data.train.labels.len() as i64;
    let mut rng = ctx.rng();
    let mut acc = 0.0;
    for epoch in 0..EPOCHS as u64 {
        // Fisher-Yates with the trial's own generator: the same batches at any n_jobs.
        let mut order: Vec<i64> = (0..n).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        for batch in order.chunks(hp.batch_size) {
            let idx = Tensor::from_slice(batch).to_device(ctx.device());
            let loss = model.forward_t(&train_x.index_select(0, &idx), true).cross_entropy_for_logits(&train_y.index_select(0, &idx));
            opt.backward_step(&loss);
        }
        acc = accuracy(&model, &valid_x, &valid_y);
        ctx.report_or_prune(epoch, acc)?; // step = epoch, from 0; Err(Pruned): the trial ends PRUNED
    }
    Ok(acc)
}

fn params(lr: f64, optimizer: &str) -> Vec<(&'static str, ParamValue)> {
    vec![
        ("lr", lr.into()),
        ("batch_size", 32i64.into()),
        ("channels", 8i64.into()),
        ("dropout", 0.1.into()),
        ("optimizer", optimizer.into()),
    ]
}

#[test]
fn cnn_study_prunes_a_hopeless_trial_mid_training_and_finds_an_accurate_one() -> anyhow::Result<()> {
    // Tiny models: one libtorch thread per trial, parallelism from n_jobs (nextest runs each
    // test in its own process, so this setting stays here).
    tch::set_num_threads(1);
    let data = digits(600, 300);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("tch.db");
    let pruner = HyperbandPruner::builder().min_resource(1).max_resource(EPOCHS as u64).reduction_factor(3).build()?;
    // Trials 0 and 1 share a bracket, so the second is judged against the first.
    assert_eq!(pruner.bracket_of(0), pruner.bracket_of(1));
    let study = Study::builder()
        .name("tch")
        .maximize()
        .storage(SqliteStorage::open(&path)?)
        .sampler(TpeSampler::builder().n_startup_trials(2).build()?)
        .pruner(pruner)
        .seed(11)
        .build()?;
    let slots = DeviceSlots::builder().device(DeviceChoice::Cpu).max_concurrent(2).build()?; // seeded by the study
    // A configuration that learns, then one that cannot (SGD at lr 1e-5 for 4 epochs).
    study.enqueue(params(1e-2, "adam"))?;
    study.enqueue(params(1e-5, "sgd"))?;
    let objective = |trial: &mut Trial| -> bo_tch::Result<f64> {
        let hp: Hparams = trial.suggest()?;
        slots.run(trial, |ctx| train(ctx, &hp, &data))
    };
    study.optimize_with(Optimize::trials(2).progress_bar(false), objective)?;
    study.optimize_with(Optimize::trials(4).n_jobs(2).progress_bar(false), objective)?;

    let trials = study.trials()?;
    for t in &trials {
        eprintln!("trial {}: {:?} {:?} {:?}", t.number, t.state, t.intermediate_values, t.params);
    }
    assert_eq!(trials.len(), 6);
    assert!(trials.iter().all(|t| matches!(t.state, TrialState::Complete | TrialState::Pruned)), "{trials:#?}");
    let best = study.best_trial()?;
    // Chance is 0.1 on ten classes.
    assert!(best.value.unwrap() >= 0.8, "best accuracy {:?}", best.value);
    // The first epoch is step 0.
    assert_eq!(best.intermediate_values.keys().copied().collect::<Vec<u64>>(), (0..EPOCHS as u64).collect::<Vec<_>>());

    // The hopeless trial was stopped by the pruner mid-training, after its first epochs.
    let pruned = &trials[1];
    assert_eq!(pruned.state, TrialState::Pruned, "{pruned:#?}");
    let steps: Vec<u64> = pruned.intermediate_values.keys().copied().collect();
    assert!(!steps.is_empty() && steps.len() < EPOCHS, "pruned after epochs {steps:?}");
    // Hyperband's first rung with min_resource(1) is step 1: judged after two epochs.
    assert_eq!(steps, [0, 1]);
    // Accuracy over all 300 validation images: a multiple of 1/300 (up to f32 rounding).
    for t in &trials {
        for v in t.intermediate_values.values() {
            assert!((0.0..=1.0).contains(v) && (v * 300.0 - (v * 300.0).round()).abs() < 1e-3, "{v}");
        }
    }
    assert_eq!(slots.in_use(), 0);

    // The per-epoch accuracies are in the SQLite file, read back by a fresh connection.
    drop(study);
    let reopened = Study::builder()
        .name("tch")
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
fn a_seeded_trial_trains_the_same_twice() -> anyhow::Result<()> {
    tch::set_num_threads(1);
    let data = digits(300, 100);
    let run = || -> anyhow::Result<Vec<f64>> {
        let study = Study::builder().name("repro").maximize().seed(3).build()?;
        let slots = DeviceSlots::builder().device(DeviceChoice::Cpu).build()?;
        study.enqueue(params(3e-3, "adam"))?;
        study.optimize_with(Optimize::trials(1).progress_bar(false), |trial: &mut Trial| {
            let hp: Hparams = trial.suggest()?;
            slots.run(trial, |ctx| train(ctx, &hp, &data))
        })?;
        Ok(study.trials()?[0].intermediate_values.values().copied().collect())
    };
    let (a, b) = (run()?, run()?);
    assert_eq!(a.len(), EPOCHS);
    assert_eq!(a, b);
    Ok(())
}

#[test]
fn out_of_memory_fails_the_trial_with_a_clear_reason_and_the_study_goes_on() -> anyhow::Result<()> {
    let study = Study::builder().name("oom").maximize().build()?;
    let slots = DeviceSlots::builder().device(DeviceChoice::Cpu).seed(study.seed()).build()?;
    study.enqueue([("width", 1i64 << 50)])?;
    study.enqueue([("width", 16i64)])?;
    study.optimize_with(Optimize::trials(2).progress_bar(false), |trial: &mut Trial| {
        let width = trial.suggest_categorical("width", &[1i64 << 50, 16])?;
        slots.run(trial, |ctx| {
            // Weights that cannot fit (2^50 floats): libtorch refuses to allocate them.
            let vs = nn::VarStore::new(ctx.device());
            let w = vs.root().zeros("w", &[width]);
            ctx.report_or_prune(0, w.size()[0] as f64)?;
            Ok(w.size()[0] as f64)
        })
    })?;
    let trials = study.trials()?;
    assert_eq!(trials[0].state, TrialState::Failed, "{:#?}", trials[0]);
    let reason = trials[0].fail_reason.as_deref().unwrap_or_default();
    assert!(reason.starts_with("out of memory on cpu with 1 trial(s) running there: lower n_jobs"), "{reason}");
    assert!(reason.contains("can't allocate memory") && !reason.contains("panicked"), "{reason}");
    assert_eq!(trials[1].state, TrialState::Complete);
    assert_eq!(trials[1].value, Some(16.0));
    Ok(())
}
