//! The progress bar of a run.

use std::sync::Mutex;

use crate::trial_record::{Direction, FrozenTrial, TrialState};

/// The progress bar of a run (a no-op without the `progress` feature or when disabled).
pub(super) struct ProgressBar {
    #[cfg(feature = "progress")]
    bar: Option<indicatif::ProgressBar>,
    best: Mutex<Option<f64>>,
    direction: Direction,
}

impl ProgressBar {
    pub(super) fn new(enabled: bool, n_trials: Option<u64>, direction: Direction) -> Self {
        #[cfg(feature = "progress")]
        let bar = enabled.then(|| {
            let bar = match n_trials {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::no_length(),
            };
            let style = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] trial {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        #[cfg(not(feature = "progress"))]
        let _ = (enabled, n_trials);
        ProgressBar {
            #[cfg(feature = "progress")]
            bar,
            best: Mutex::new(None),
            direction,
        }
    }

    pub(super) fn finished(&self, t: &FrozenTrial) {
        let mut best = self.best.lock().unwrap_or_else(|e| e.into_inner());
        if t.state == TrialState::Complete {
            if let Some(v) = t.value {
                if best.is_none_or(|b| self.direction.is_better(v, b)) {
                    *best = Some(v);
                }
            }
        }
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if let Some(b) = *best {
                bar.set_message(format!("best {b:.6}"));
            }
        }
    }

    pub(super) fn done(&self) {
        #[cfg(feature = "progress")]
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
