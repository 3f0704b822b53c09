//! Seeding libtorch per trial.

use std::sync::Mutex;

use bo_core::TrialRng;

/// The libtorch seed of trial `number` in a study seeded with `study_seed`: derived from the
/// trial's [`TrialRng`] (the same stream family the samplers use), forked under the label
/// `bo-tch`, so it differs between trials, is the same at any worker count, and does not
/// shift the sampler's draws.
///
/// ```
/// let a = bo_tch::trial_seed(42, 0);
/// assert_eq!(a, bo_tch::trial_seed(42, 0));
/// assert_ne!(a, bo_tch::trial_seed(42, 1));
/// assert_ne!(a, bo_tch::trial_seed(43, 0));
/// ```
pub fn trial_seed(study_seed: u64, number: u64) -> u64 {
    TrialRng::for_trial(study_seed, number).fork("bo-tch").next_u64()
}

/// Serializes "seed libtorch, then draw from its generators" sections of concurrent trials.
static INIT: Mutex<()> = Mutex::new(());

/// Seeds libtorch's global generators (the CPU one and every CUDA device's) with `seed`
/// (`tch::manual_seed`, the bits of `seed` as an `i64`).
pub fn seed_libtorch(seed: u64) {
    tch::manual_seed(seed as i64);
}

/// Runs `init` right after seeding libtorch with `seed`, holding a process-wide lock, so
/// that what `init` draws (initial weights) depends on `seed` only, even while other
/// trials draw from libtorch's global generators on other threads.
pub fn seeded<T>(seed: u64, init: impl FnOnce() -> T) -> T {
    let _lock = INIT.lock().unwrap_or_else(|e| e.into_inner());
    seed_libtorch(seed);
    init()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, Tensor};

    #[test]
    fn seeded_sections_draw_the_same_weights_for_the_same_seed() {
        let draw = |seed| seeded(seed, || Tensor::randn([16], (Kind::Float, Device::Cpu)));
        let a = draw(trial_seed(7, 3));
        let b = draw(trial_seed(7, 3));
        let c = draw(trial_seed(7, 4));
        assert!(a.equal(&b));
        assert!(!a.equal(&c));
    }
}
