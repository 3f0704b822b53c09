//! The summary of one invocation of a CNN example: what ran where, how much was trained,
//! how long it took, the best accuracy. Both examples print it and, with `--summary FILE`,
//! write it as JSON, which `scripts/gpu-check.sh` gathers into its report.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use bo_core::{FrozenTrial, TrialState};
use serde::{Deserialize, Serialize};

/// The user attribute holding a trial's seconds per epoch, one number per epoch trained,
/// in order.
pub const EPOCH_SECONDS: &str = "epoch_seconds";

/// What an example knows about its run besides the trials.
#[derive(Clone, Debug)]
pub struct RunInfo {
    /// `tch` or `burn`.
    pub example: &'static str,
    /// Where the trials trained (`cuda:0`, `cpu`, Burn's device).
    pub device: String,
    /// The backend and its version (`libtorch 2.11.0`, Burn's backend name).
    pub backend: String,
    /// Trials run at once.
    pub jobs: usize,
    /// The pruner's name.
    pub pruner: String,
    /// Epochs of a trial that is not pruned.
    pub epochs: usize,
    /// What an accuracy of 1 reads as in the trials' values (1 for tch, 100 for Burn's
    /// percent).
    pub accuracy_scale: f64,
}

/// The figures of one run (the trials this invocation ran, not earlier ones of the study).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// `tch` or `burn`.
    pub example: String,
    /// Where the trials trained.
    pub device: String,
    /// The backend and its version.
    pub backend: String,
    /// The images: `digits`, `digits28` or `mnist`.
    pub data: String,
    /// Side of the images in pixels.
    pub side: usize,
    /// Training images.
    pub train_images: usize,
    /// Validation images.
    pub valid_images: usize,
    /// Trials run at once.
    pub jobs: usize,
    /// The pruner.
    pub pruner: String,
    /// Trials this run.
    pub trials: usize,
    /// Of which complete.
    pub complete: usize,
    /// Of which pruned.
    pub pruned: usize,
    /// Of which failed.
    pub failed: usize,
    /// Epochs trained over all trials.
    pub epochs_trained: usize,
    /// Epochs the same trials would have trained without pruning.
    pub epochs_without_pruning: usize,
    /// Wall time of the study, seconds.
    pub wall_s: f64,
    /// Finished trials per minute of wall time.
    pub trials_per_minute: f64,
    /// Mean over trials of their first epoch's seconds (includes warm-up: CUDA context,
    /// cuDNN and Burn's kernel autotune).
    pub first_epoch_s: Option<f64>,
    /// The longest first epoch.
    pub max_first_epoch_s: Option<f64>,
    /// Mean seconds of the epochs after each trial's first.
    pub steady_s_per_epoch: Option<f64>,
    /// Mean seconds of every epoch.
    pub mean_s_per_epoch: Option<f64>,
    /// The best validation accuracy of this run's complete trials, in [0, 1].
    pub best_accuracy: Option<f64>,
    /// Why trials failed, one line each (`trial N: reason`).
    pub failures: Vec<String>,
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

/// A trial's seconds per epoch, from its [`EPOCH_SECONDS`] attribute.
pub fn epoch_seconds(t: &FrozenTrial) -> Vec<f64> {
    t.user_attrs
        .get(EPOCH_SECONDS)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|s| s.as_f64()).collect())
        .unwrap_or_default()
}

impl RunSummary {
    /// The summary of `run` (this invocation's trials) on `images`, which took `wall`.
    pub fn new(info: &RunInfo, images: &crate::Images, run: &[FrozenTrial], wall: Duration) -> Self {
        let count = |s: TrialState| run.iter().filter(|t| t.state == s).count();
        let seconds: Vec<Vec<f64>> = run.iter().map(epoch_seconds).collect();
        let first: Vec<f64> = seconds.iter().filter_map(|s| s.first().copied()).collect();
        let later: Vec<f64> = seconds.iter().flat_map(|s| s.iter().skip(1).copied()).collect();
        let all: Vec<f64> = seconds.iter().flatten().copied().collect();
        let finished = run.iter().filter(|t| t.state.is_finished()).count();
        let wall_s = wall.as_secs_f64();
        RunSummary {
            example: info.example.to_string(),
            device: info.device.clone(),
            backend: info.backend.clone(),
            data: images.name.to_string(),
            side: images.side,
            train_images: images.train.len(),
            valid_images: images.valid.len(),
            jobs: info.jobs,
            pruner: info.pruner.clone(),
            trials: run.len(),
            complete: count(TrialState::Complete),
            pruned: count(TrialState::Pruned),
            failed: count(TrialState::Failed),
            epochs_trained: run.iter().map(|t| t.intermediate_values.len()).sum(),
            epochs_without_pruning: run.len() * info.epochs,
            wall_s,
            trials_per_minute: if wall_s > 0.0 { finished as f64 * 60.0 / wall_s } else { 0.0 },
            first_epoch_s: mean(&first),
            max_first_epoch_s: first.iter().copied().reduce(f64::max),
            steady_s_per_epoch: mean(&later),
            mean_s_per_epoch: mean(&all),
            best_accuracy: run
                .iter()
                .filter(|t| t.state == TrialState::Complete)
                .filter_map(|t| t.value)
                .map(|v| v / info.accuracy_scale)
                .reduce(f64::max),
            failures: run
                .iter()
                .filter(|t| t.state == TrialState::Failed)
                .map(|t| format!("trial {}: {}", t.number, t.fail_reason.as_deref().unwrap_or("no reason stored")))
                .collect(),
        }
    }

    /// The summary for a person, a few lines.
    pub fn lines(&self) -> Vec<String> {
        let secs = |s: Option<f64>| s.map_or_else(|| "-".to_string(), |s| format!("{s:.3} s"));
        let mut lines = vec![
            format!(
                "{} trials: {} complete, {} pruned, {} failed; {} epochs trained of {} without pruning",
                self.trials, self.complete, self.pruned, self.failed, self.epochs_trained, self.epochs_without_pruning
            ),
            format!(
                "wall time {:.1} s ({:.1} trials/min, {} jobs); per epoch on {}: first {}, then {}",
                self.wall_s,
                self.trials_per_minute,
                self.jobs,
                self.device,
                secs(self.first_epoch_s),
                secs(self.steady_s_per_epoch)
            ),
        ];
        if let Some(best) = self.best_accuracy {
            lines.push(format!("best validation accuracy of this run: {best:.4}"));
        }
        lines.extend(self.failures.iter().map(|f| format!("failed: {f}")));
        lines
    }

    /// Writes the summary as pretty JSON to `path`.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing the run summary to {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::images::digits;

    fn trial(number: u64, state: TrialState, value: Option<f64>, seconds: &[f64]) -> FrozenTrial {
        let mut t = FrozenTrial::new_running(number, number);
        t.state = state;
        t.value = value;
        t.intermediate_values = (1..=seconds.len() as u64).map(|s| (s, 0.5)).collect::<BTreeMap<_, _>>();
        t.user_attrs.insert(EPOCH_SECONDS.into(), serde_json::json!(seconds));
        if state == TrialState::Failed {
            t.fail_reason = Some("CUDA out of memory".into());
        }
        t
    }

    #[test]
    fn summary_counts_epochs_splits_warm_up_and_round_trips_json() -> Result<()> {
        let info = RunInfo {
            example: "burn",
            device: "cuda:0".into(),
            backend: "cuda".into(),
            jobs: 2,
            pruner: "hyperband".into(),
            epochs: 3,
            accuracy_scale: 100.0,
        };
        let run = [
            trial(0, TrialState::Complete, Some(91.0), &[10.0, 1.0, 1.0]),
            trial(1, TrialState::Pruned, Some(50.0), &[2.0]),
            trial(2, TrialState::Complete, Some(95.0), &[4.0, 2.0, 2.0]),
            trial(3, TrialState::Failed, None, &[]),
        ];
        let s = RunSummary::new(&info, &digits(0.25), &run, Duration::from_secs(30));
        assert_eq!((s.trials, s.complete, s.pruned, s.failed), (4, 2, 1, 1));
        assert_eq!((s.epochs_trained, s.epochs_without_pruning), (7, 12));
        assert_eq!(s.first_epoch_s, Some(16.0 / 3.0));
        assert_eq!(s.max_first_epoch_s, Some(10.0));
        assert_eq!(s.steady_s_per_epoch, Some(1.5));
        assert_eq!(s.best_accuracy, Some(0.95));
        assert_eq!(s.trials_per_minute, 8.0);
        assert_eq!(s.failures, vec!["trial 3: CUDA out of memory".to_string()]);
        assert!(s.lines().iter().any(|l| l == "failed: trial 3: CUDA out of memory"));
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("s.json");
        s.write_json(&path)?;
        let back: RunSummary = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        assert_eq!(back, s);
        Ok(())
    }
}
