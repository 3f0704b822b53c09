//! tch (libtorch) hooks for bo: tune a libtorch model with a study, on CUDA when present.
//!
//! [`DeviceSlots::run`] is the training-loop hook. It gives the training a
//! [`TrialContext`]: the device ([`DeviceChoice`]: CUDA if available, else the CPU, or
//! what the user forces, e.g. `BO_TCH_DEVICE=cpu`), a per-trial libtorch seed derived from
//! the study's seed and the trial's number ([`trial_seed`]), and
//! [`report_or_prune`](TrialContext::report_or_prune) to report each epoch's validation
//! metric and stop when the study's pruner says so. Several trials (`n_jobs`) share one
//! GPU, at most `max_concurrent` at a time; what a trial built is freed when it ends or is
//! pruned, and libtorch running out of memory fails the trial with
//! [`Error::OutOfMemory`] instead of ending the process. Loops that manage devices
//! themselves call `trial.report_or_prune(epoch, value)?` alone. Steps count from 0 as
//! everywhere in bo: the step is the epoch index the loop passes.
//!
//! ```no_run
//! # use bo_core::{Float, Optimize, Study, Trial};
//! # use bo_tch::{DeviceChoice, DeviceSlots};
//! # let study = Study::builder().maximize().build()?;
//! let slots = DeviceSlots::builder().device(DeviceChoice::from_env()?).max_concurrent(2).build()?;
//! study.optimize_with(Optimize::trials(30).n_jobs(4), |trial: &mut Trial| {
//!     let lr = trial.suggest_float("lr", Float::log(1e-4, 1e-1))?;
//!     slots.run(trial, |ctx| {
//!         let vs = tch::nn::VarStore::new(ctx.device());
//!         // build the model inside ctx.init(..), train epochs, measure `accuracy`
//!         # let accuracy = lr;
//!         ctx.report_or_prune(0, accuracy)?; // the first epoch is step 0
//!         Ok(accuracy)
//!     })
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Building needs libtorch 2.11.0: `python3 -m pip install torch==2.11.0` and
//! `LIBTORCH_USE_PYTORCH=1` (see the workspace README). A complete, tested study is
//! `tests/digits.rs`; a runnable program is `examples/tune-cnn-tch`.

mod device;
mod error;
mod seed;
mod slots;

pub use device::{DEVICE_ENV, DeviceChoice, device_name};
pub use error::{Error, Result};
pub use seed::{seed_libtorch, seeded, trial_seed};
pub use slots::{DeviceSlots, DeviceSlotsBuilder, Slot, TrialContext};
