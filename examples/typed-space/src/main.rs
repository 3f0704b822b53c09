//! Run with: `cargo run -p example-typed-space`
//!
//! Tunes a toy "model" over a conditional typed search space: an optimizer enum with
//! per-variant parameters and an optional momentum, with 50 trials, then prints the best
//! configuration.

use anyhow::Result;
use bo_core::{Optimize, SearchSpace, Study, Trial};

/// The hyperparameters of the toy model.
#[derive(Debug, Clone, SearchSpace)]
struct Hparams {
    /// Learning rate, log-uniform.
    #[param(1e-5..=1.0, log)]
    lr: f64,
    /// Batch size, log-uniform over integers.
    #[param(8..=512, log)]
    batch: u32,
    /// Hidden width, one of a few sizes.
    #[param(choices = [64, 128, 256, 512])]
    width: usize,
    /// Which optimizer, with its own parameters.
    optimizer: Optimizer,
    /// Momentum, only when `use_momentum` is true.
    #[param(0.0..=0.99)]
    momentum: Option<f64>,
    /// Dropout on a grid of 0.05.
    #[param(0.0..=0.5, step = 0.05)]
    dropout: f64,
}

/// The optimizer and its per-variant parameters (a conditional space).
#[derive(Debug, Clone, SearchSpace)]
enum Optimizer {
    /// Plain SGD, optionally with Nesterov updates.
    Sgd { nesterov: bool },
    /// Adam with a tunable first-moment decay.
    Adam {
        /// Exponential decay of the first moment.
        #[param(0.8..=0.999)]
        beta1: f64,
    },
    /// RMSprop with a tunable smoothing constant.
    #[param(rename = "rmsprop")]
    RmsProp {
        /// Smoothing constant of the squared-gradient average.
        #[param(0.9..=0.999)]
        alpha: f64,
    },
}

/// A stand-in for training: a validation loss that is smallest near lr = 3e-3, batch = 64,
/// width 256, Adam with beta1 near 0.9, momentum near 0.9 and dropout near 0.1.
fn train(hp: &Hparams) -> f64 {
    let lr_term = (hp.lr.log10() - 3e-3f64.log10()).powi(2);
    let batch_term = 0.3 * (f64::from(hp.batch).log2() - 6.0).powi(2);
    let width_term = 0.2 * ((hp.width as f64).log2() - 8.0).abs();
    let optimizer_term = match &hp.optimizer {
        Optimizer::Sgd { nesterov } => if *nesterov { 0.6 } else { 0.9 },
        Optimizer::Adam { beta1 } => 40.0 * (beta1 - 0.9).powi(2),
        Optimizer::RmsProp { alpha } => 0.3 + 40.0 * (alpha - 0.95).powi(2),
    };
    let momentum_term = match hp.momentum {
        Some(m) => 2.0 * (m - 0.9).powi(2),
        None => 0.4,
    };
    let dropout_term = 4.0 * (hp.dropout - 0.1).powi(2);
    0.1 + lr_term + batch_term + width_term + optimizer_term + momentum_term + dropout_term
}

fn main() -> Result<()> {
    let study = Study::builder().name("typed-space").seed(7).build()?;
    study.optimize_with(Optimize::trials(50).progress_bar(false), |trial: &mut Trial| -> Result<f64> {
        let hp: Hparams = trial.suggest()?;
        Ok(train(&hp))
    })?;

    let best = study.best_trial()?;
    let hp: Hparams = Trial::fixed(best.params.clone()).suggest()?;
    println!("best loss {:.4} (trial {} of 50)", best.value.unwrap_or(f64::NAN), best.number);
    println!("best config: {hp:#?}");
    println!("stored parameters:");
    for (name, value) in &best.params {
        println!("  {name} = {value}");
    }
    Ok(())
}
