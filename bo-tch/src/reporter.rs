//! [`EpochReporter`]: report each epoch of a hand-written tch training loop, and prune.

use bo_core::{Reporter, Trial};

use crate::error::Result;

/// A cloneable, `Send + Sync + 'static` handle for a tch training loop: report the
/// validation metric of each epoch, ask whether the pruner wants the trial stopped.
///
/// It wraps [`bo_core::Reporter`]; epochs are the loop's own count (from 1 by convention,
/// as bo-burn counts them, so a pruner's `min_resource(1)` means "after the first epoch").
/// [`crate::TrialContext`] holds one.
///
/// ```
/// use bo_tch::EpochReporter;
/// use bo_core::{Float, Optimize, Study, Trial};
///
/// let study = Study::builder().name("loop").maximize().seed(1).build()?;
/// study.optimize_with(Optimize::trials(5).progress_bar(false), |trial: &mut Trial| {
///     let lr = trial.suggest_float("lr", Float::log(1e-4, 1e-1))?;
///     let reporter = EpochReporter::from(&*trial);
///     let mut accuracy = 0.0;
///     for epoch in 1..=3 {
///         accuracy = 1.0 - 1.0 / (epoch as f64 * lr * 100.0 + 1.0); // your epoch here
///         reporter.report_or_prune(epoch, accuracy)?;
///     }
///     Ok::<_, bo_tch::Error>(accuracy)
/// })?;
/// assert_eq!(study.trials()?.len(), 5);
/// # Ok::<(), bo_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct EpochReporter {
    reporter: Reporter,
}

impl EpochReporter {
    /// Wraps a trial's reporter.
    pub fn new(reporter: Reporter) -> Self {
        EpochReporter { reporter }
    }

    /// Records the metric of `epoch` as the trial's intermediate value at step `epoch`.
    pub fn report(&self, epoch: usize, value: f64) -> Result<()> {
        Ok(self.reporter.report(epoch as u64, value)?)
    }

    /// Whether the study's pruner says the trial should stop now.
    pub fn should_prune(&self) -> bool {
        self.reporter.should_prune()
    }

    /// [`report`](Self::report)s, then returns [`bo_core::Error::Pruned`] (wrapped) when the
    /// pruner says stop, so `?` ends the objective with a pruned trial.
    pub fn report_or_prune(&self, epoch: usize, value: f64) -> Result<()> {
        self.report(epoch, value)?;
        if self.should_prune() {
            tracing::debug!(trial = ?self.reporter.number(), epoch, "pruned");
            return Err(bo_core::Error::Pruned.into());
        }
        Ok(())
    }

    /// The wrapped bo-core reporter.
    pub fn reporter(&self) -> &Reporter {
        &self.reporter
    }
}

impl From<Reporter> for EpochReporter {
    fn from(reporter: Reporter) -> Self {
        EpochReporter::new(reporter)
    }
}

impl From<&Trial> for EpochReporter {
    fn from(trial: &Trial) -> Self {
        EpochReporter::new(trial.reporter())
    }
}
