//! [`DeviceSlots`]: trials sharing one device, at most `max_concurrent` at a time, each
//! seeded, reported and cleaned up; [`TrialContext`]: what a trial's training sees.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Condvar, Mutex, MutexGuard};

use bo_core::{Reporter, Trial, TrialRng, panic_text};
use tch::{Cuda, Device};

use crate::device::{DeviceChoice, device_name};
use crate::error::{Error, Result, first_line, is_out_of_memory_message};
use crate::seed::{seed_libtorch, seeded, trial_seed};

/// Runs trials on one device (a GPU, or the CPU): at most
/// [`max_concurrent`](DeviceSlotsBuilder::max_concurrent) of them hold it at once, however
/// many the study runs (`n_jobs`); the others wait for a slot.
///
/// [`run`](Self::run) is the training-loop hook: it waits for a slot, seeds libtorch for
/// the trial, hands the training a [`TrialContext`] (device, seed, per-epoch reporting and
/// pruning), and when the training returns, is pruned, fails or panics:
/// - everything the training built (model, optimizer, `VarStore`, batches) has been
///   dropped, since it lives in the closure; on CUDA the device is synchronized, so the
///   memory is back in libtorch's caching allocator for the next trial of this process
///   (tch 0.24 has no binding for `emptyCache`, which would also hand it back to the driver);
/// - libtorch running out of memory, as an error or as a panic of tch's non-`f_` methods,
///   becomes [`Error::OutOfMemory`] naming the device and the trials sharing it: the trial
///   fails with that reason and the study goes on;
/// - the slot is released.
///
/// Share one `DeviceSlots` between the study's workers (`&` is enough: it is `Sync`). On the
/// CPU, trials running at once share libtorch's one pool of intra-op threads: small models
/// train faster with `tch::set_num_threads(1)` and the parallelism of `n_jobs`.
///
/// ```no_run
/// use bo_core::{Float, Optimize, Study, Trial};
/// use bo_tch::{DeviceChoice, DeviceSlots};
/// use tch::nn::{self, Module, OptimizerConfig};
///
/// let study = Study::builder().name("mlp").maximize().seed(7).build()?;
/// let slots = DeviceSlots::builder().device(DeviceChoice::Auto).max_concurrent(2).build()?; // seeds from the study
/// study.optimize_with(Optimize::trials(20).n_jobs(4), |trial: &mut Trial| {
///     let lr = trial.suggest_float("lr", Float::log(1e-4, 1e-1))?;
///     slots.run(trial, |ctx| {
///         let vs = nn::VarStore::new(ctx.device());
///         let net = ctx.init(|| nn::linear(vs.root(), 64, 10, Default::default()));
///         let mut opt = nn::Adam::default().build(&vs, lr)?;
///         let mut accuracy = 0.0;
///         for epoch in 0..10 {
///             // train an epoch with `net` and `opt`, then measure `accuracy`
///             ctx.report_or_prune(epoch, accuracy)?; // step = epoch, from 0; Err(Pruned) ends the trial PRUNED
///         }
///         Ok(accuracy)
///     })
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DeviceSlots {
    device: Device,
    max_concurrent: usize,
    seed: Option<u64>,
    in_use: Mutex<usize>,
    freed: Condvar,
}

/// Builder of [`DeviceSlots`]; [`build`](Self::build) resolves the device once.
#[derive(Debug, Clone, Default)]
pub struct DeviceSlotsBuilder {
    device: DeviceChoice,
    max_concurrent: Option<usize>,
    seed: Option<u64>,
}

impl DeviceSlotsBuilder {
    /// The device. Default: [`DeviceChoice::Auto`] (CUDA device 0 if libtorch sees one,
    /// else the CPU); [`DeviceChoice::from_env`] reads the user's override.
    pub fn device(mut self, device: DeviceChoice) -> Self {
        self.device = device;
        self
    }

    /// Trials that may hold the device at once (at least 1); the study's other workers wait.
    /// Size it so that this many trials fit in the GPU's memory. Default: no limit (the
    /// study's `n_jobs` decides).
    pub fn max_concurrent(mut self, n: usize) -> Self {
        self.max_concurrent = Some(n);
        self
    }

    /// The seed each trial's libtorch seed derives from ([`trial_seed`](crate::trial_seed)
    /// of it and the trial's number). Default: the seed of the trial's study
    /// (`Study::seed`, so a seeded study replays its trainings too; `0` for a
    /// `Trial::fixed`).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks the settings and resolves the device: [`Error::CudaUnavailable`] for a GPU
    /// this machine lacks, [`Error::InvalidConfig`] for `max_concurrent(0)`.
    pub fn build(self) -> Result<DeviceSlots> {
        if self.max_concurrent == Some(0) {
            return Err(Error::InvalidConfig {
                what: "max_concurrent",
                reason: "must be at least 1".into(),
            });
        }
        let device = self.device.resolve()?;
        Ok(DeviceSlots {
            device,
            max_concurrent: self.max_concurrent.unwrap_or(usize::MAX),
            seed: self.seed,
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        })
    }
}

impl DeviceSlots {
    /// A builder; see [`DeviceSlotsBuilder`].
    pub fn builder() -> DeviceSlotsBuilder {
        DeviceSlotsBuilder::default()
    }

    /// The device trials train on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Trials that may hold the device at once (`usize::MAX`: no limit).
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent
    }

    /// Trials holding the device now.
    pub fn in_use(&self) -> usize {
        *self.lock()
    }

    fn lock(&self) -> MutexGuard<'_, usize> {
        self.in_use.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a free slot and holds it until the returned guard drops.
    pub fn acquire(&self) -> Slot<'_> {
        let mut in_use = self.lock();
        while *in_use >= self.max_concurrent {
            in_use = self.freed.wait(in_use).unwrap_or_else(|e| e.into_inner());
        }
        *in_use += 1;
        Slot { slots: self }
    }

    /// Trains one trial on the device: waits for a slot, seeds libtorch with the trial's
    /// seed, runs `train` with a [`TrialContext`], then cleans up (see the type's doc).
    /// `train`'s result is returned as is, but for out-of-memory errors and panics, which
    /// become [`Error::OutOfMemory`]; other panics go on unwinding (the study fails the
    /// trial with the panic message) once the slot is released.
    pub fn run<T>(&self, trial: &Trial, train: impl FnOnce(&TrialContext) -> Result<T>) -> Result<T> {
        let slot = self.acquire();
        let number = trial.number().unwrap_or(0);
        let study_seed = self.seed.or(trial.study_seed()).unwrap_or(0);
        let ctx = TrialContext {
            device: self.device,
            seed: trial_seed(study_seed, number),
            number,
            study_seed,
            reporter: trial.reporter(),
        };
        seed_libtorch(ctx.seed);
        tracing::debug!(trial = number, device = %device_name(self.device), in_use = self.in_use(), "training");
        let outcome = catch_unwind(AssertUnwindSafe(|| train(&ctx)));
        let concurrent = self.in_use();
        self.synchronize();
        drop(slot);
        let out_of_memory = |message: &str| Error::OutOfMemory {
            device: device_name(self.device),
            concurrent,
            message: first_line(message),
        };
        match outcome {
            Ok(Err(Error::OutOfMemory { message, .. })) => Err(out_of_memory(&message)),
            Ok(result) => result,
            Err(panic) => match panic_text(panic.as_ref()) {
                Some(text) if is_out_of_memory_message(text) => Err(out_of_memory(&panic_error_text(text))),
                _ => resume_unwind(panic),
            },
        }
    }

    /// Waits for the device's queued kernels, so that what a finished trial freed is free.
    fn synchronize(&self) {
        if let Device::Cuda(index) = self.device {
            // tch panics on a CUDA error here; a sticky error already failed the trial.
            let synced = catch_unwind(|| Cuda::synchronize(index as i64));
            if synced.is_err() {
                tracing::warn!(device = %device_name(self.device), "could not synchronize the device after a trial");
            }
        }
    }
}

/// The libtorch message inside the panic message of tch's `unwrap` (`called
/// \`Result::unwrap()\` on an \`Err\` value: Torch("…\\n…")`): its first line, unescaped.
fn panic_error_text(text: &str) -> String {
    let inner = text.split_once("Torch(\"").map_or(text, |(_, rest)| rest);
    let line = inner.split("\\n").next().unwrap_or(inner);
    line.trim_end_matches(&['"', ')'][..]).replace("\\\"", "\"")
}

/// A held slot of a [`DeviceSlots`]; dropping it frees the slot.
#[derive(Debug)]
pub struct Slot<'a> {
    slots: &'a DeviceSlots,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.slots.lock() -= 1;
        self.slots.freed.notify_one();
    }
}

/// What a trial's training sees inside [`DeviceSlots::run`]: its device, its seed, and
/// per-epoch reporting with pruning.
///
/// Steps follow bo's one rule (`bo_core::Trial::report`): the step is the epoch index the
/// training passes, counted from 0 (`for epoch in 0..n { ...; ctx.report_or_prune(epoch, v)? }`).
#[derive(Debug)]
pub struct TrialContext {
    device: Device,
    seed: u64,
    number: u64,
    study_seed: u64,
    reporter: Reporter,
}

impl TrialContext {
    /// The device to put the `VarStore` and the batches on.
    pub fn device(&self) -> Device {
        self.device
    }

    /// The trial's libtorch seed ([`trial_seed`](crate::trial_seed) of the study's seed and
    /// the trial's number); libtorch was seeded with it when the training started.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Runs `init` (build the model) right after seeding libtorch again with the trial's
    /// seed, under a process-wide lock: the initial weights depend on the trial only, even
    /// while other trials train on other threads (`n_jobs > 1`). Dropout masks drawn later
    /// from libtorch's global generator are reproducible only with one trial at a time.
    pub fn init<T>(&self, init: impl FnOnce() -> T) -> T {
        seeded(self.seed, init)
    }

    /// A generator of the trial's own (for shuffling batches): the same for the same study
    /// seed and trial number, independent of libtorch and of other trials.
    pub fn rng(&self) -> TrialRng {
        TrialRng::for_trial(self.study_seed, self.number).fork("bo-tch/data")
    }

    /// The trial's [`Reporter`] (cloneable, for a hook that outlives this borrow).
    pub fn reporter(&self) -> &Reporter {
        &self.reporter
    }

    /// Records the metric of `step`, the 0-based epoch index (see `bo_core::Trial::report`).
    pub fn report(&self, step: u64, value: f64) -> Result<()> {
        Ok(self.reporter.report(step, value)?)
    }

    /// Whether the study's pruner says the trial should stop now; a storage that cannot be
    /// read is an error.
    pub fn should_prune(&self) -> Result<bool> {
        Ok(self.reporter.should_prune()?)
    }

    /// Reports `step`'s metric (the 0-based epoch index), then `Err(Pruned)` when the pruner
    /// says stop (see `bo_core::Trial::report_or_prune`).
    pub fn report_or_prune(&self, step: u64, value: f64) -> Result<()> {
        Ok(self.reporter.report_or_prune(step, value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tch::{Kind, Tensor};

    fn cpu_slots(max: usize) -> DeviceSlots {
        DeviceSlots::builder().device(DeviceChoice::Cpu).max_concurrent(max).seed(5).build().unwrap()
    }

    #[test]
    fn no_more_than_max_concurrent_trials_hold_the_device() {
        let slots = cpu_slots(2);
        let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    for _ in 0..20 {
                        let _slot = slots.acquire();
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        assert!(slots.in_use() <= 2);
                        // Real work on the device while holding the slot.
                        let x = Tensor::randn([64, 64], (Kind::Float, Device::Cpu));
                        let _ = x.matmul(&x).sum(Kind::Float).double_value(&[]);
                        now.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(slots.in_use(), 0);
    }

    #[test]
    fn the_libtorch_message_is_taken_out_of_a_tch_panic() {
        let text = r#"called `Result::unwrap()` on an `Err` value: Torch("CUDA out of memory. Tried to allocate 2.00 GiB\nException raised from malloc")"#;
        assert_eq!(panic_error_text(text), "CUDA out of memory. Tried to allocate 2.00 GiB");
        assert_eq!(panic_error_text("CUDA out of memory"), "CUDA out of memory");
    }

    // Compile-time check: the handles are shared by the study's worker threads.
    const _: fn() = || {
        fn check<T: Send + Sync>() {}
        check::<DeviceSlots>();
        check::<TrialContext>();
        check::<Error>();
    };

    #[test]
    fn trials_are_seeded_from_their_study_unless_a_seed_is_given() {
        use bo_core::{Optimize, Study};
        let study = Study::builder().seed(11).build().unwrap();
        let by_default = DeviceSlots::builder().device(DeviceChoice::Cpu).build().unwrap();
        let given = DeviceSlots::builder().device(DeviceChoice::Cpu).seed(3).build().unwrap();
        let seeds = Mutex::new(Vec::new());
        study
            .optimize_with(Optimize::trials(2).progress_bar(false), |trial: &mut Trial| {
                let a = by_default.run(trial, |ctx| Ok(ctx.seed()))?;
                let b = given.run(trial, |ctx| Ok(ctx.seed()))?;
                seeds.lock().unwrap().push((a, b));
                Ok::<_, Error>(0.0)
            })
            .unwrap();
        let seeds = seeds.into_inner().unwrap();
        assert_eq!(seeds, [(trial_seed(11, 0), trial_seed(3, 0)), (trial_seed(11, 1), trial_seed(3, 1))]);
        // A fixed trial has no study: seed 0.
        let fixed = Trial::fixed(Default::default());
        assert_eq!(by_default.run(&fixed, |ctx| Ok(ctx.seed())).unwrap(), trial_seed(0, 0));
    }

    #[test]
    fn the_first_epoch_is_reported_as_step_0() {
        use bo_core::{Optimize, Study};
        let study = Study::builder().seed(1).build().unwrap();
        let slots = cpu_slots(1);
        study
            .optimize_with(Optimize::trials(1).progress_bar(false), |trial: &mut Trial| {
                slots.run(trial, |ctx| {
                    for epoch in 0..3 {
                        ctx.report_or_prune(epoch, 1.0 / (epoch + 1) as f64)?;
                    }
                    Ok(0.25)
                })
            })
            .unwrap();
        let t = &study.trials().unwrap()[0];
        assert_eq!(t.intermediate_values.keys().copied().collect::<Vec<u64>>(), [0, 1, 2]);
    }

    #[test]
    fn zero_slots_is_rejected() {
        let e = DeviceSlots::builder().device(DeviceChoice::Cpu).max_concurrent(0).build().unwrap_err();
        assert!(matches!(e, Error::InvalidConfig { what: "max_concurrent", .. }), "{e}");
    }

    #[test]
    fn out_of_memory_in_a_trial_is_an_error_naming_the_device_not_a_crash() {
        let slots = cpu_slots(1);
        let trial = Trial::fixed(Default::default());
        // tch's non-`f_` methods panic on libtorch errors: 2^50 floats cannot be allocated.
        let e = slots.run(&trial, |ctx| Ok(Tensor::zeros([1i64 << 50], (Kind::Float, ctx.device())))).unwrap_err();
        assert!(e.is_out_of_memory(), "{e}");
        let text = e.to_string();
        assert!(text.starts_with("out of memory on cpu with 1 trial(s) running there: lower n_jobs"), "{text}");
        assert!(text.contains("can't allocate memory"), "{text}");
        // The same through an `f_` method and `?`.
        let e = slots.run(&trial, |ctx| Ok(Tensor::f_zeros([1i64 << 50], (Kind::Float, ctx.device()))?)).unwrap_err();
        assert!(e.to_string().starts_with("out of memory on cpu with 1 trial(s)"), "{e}");
        assert_eq!(slots.in_use(), 0);
        // The slot is free again: the next trial runs.
        assert_eq!(slots.run(&trial, |_| Ok(3)).unwrap(), 3);
    }

    #[test]
    fn other_panics_keep_unwinding_after_the_slot_is_released() {
        let slots = cpu_slots(1);
        let trial = Trial::fixed(Default::default());
        let caught = catch_unwind(AssertUnwindSafe(|| slots.run(&trial, |_| -> Result<()> { panic!("boom") })));
        assert!(caught.is_err());
        assert_eq!(slots.in_use(), 0);
    }

    #[test]
    fn a_trial_is_seeded_from_the_study_seed_and_its_number() {
        let slots = cpu_slots(1);
        let trial = Trial::fixed(Default::default());
        let weights = || slots.run(&trial, |ctx| Ok(ctx.init(|| Tensor::randn([8], (Kind::Float, ctx.device()))))).unwrap();
        assert!(weights().equal(&weights()));
        let seed = slots.run(&trial, |ctx| Ok(ctx.seed())).unwrap();
        assert_eq!(seed, trial_seed(5, 0));
    }
}
