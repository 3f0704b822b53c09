//! [`GpSampler`] and its builder.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::history::History;
use crate::rng::{GOLDEN_GAMMA, TrialRng};
use crate::sampler::sobol::{SOBOL_DIMS, sobol};
use crate::sampler::{RandomSampler, Sampler};
use crate::space::{Distribution, Distributions, ParamValue, Params};
use crate::trial_record::{Direction, TrialState};

use super::acquisition::Acquisition;
use super::model::{self, KernelParams, Posterior};
use super::optimize::{self, EncodedSpace, Problem};
use super::scale::{OutputTransform, Scale};
use super::surrogate::Surrogate;

/// How the first `n_startup_trials` points are chosen, before the GP has data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum InitialDesign {
    /// Scrambled Sobol points, trial `n` taking point `n`: even coverage. The default.
    #[default]
    Sobol,
    /// A Latin hypercube over the startup trials: each dimension's range cut into
    /// `n_startup_trials` strata, each stratum used once.
    LatinHypercube,
    /// The centre of the space first, then random corners (vertices of the box).
    Corners,
}

/// What the GP assumes about trials that are still running when another worker asks, so
/// that parallel workers do not all propose the same point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PendingStrategy {
    /// Condition on running trials as if they had returned the posterior mean (the
    /// "kriging believer"): the variance near them collapses, the mean does not move. When
    /// the model is confident (as it is near a well-identified optimum) the acquisition
    /// stays high right beside a running trial, so parallel asks can crowd one spot.
    KrigingBeliever,
    /// Condition on running trials as if they had returned the worst value seen so far:
    /// the acquisition collapses around each of them, so parallel asks spread out. The
    /// default.
    #[default]
    ConstantLiar,
    /// Ignore running trials.
    Ignore,
}

/// Gaussian-process Bayesian optimization: a Matern 5/2 surrogate with one lengthscale per
/// parameter (ARD) fitted by maximum a posteriori marginal likelihood, and an acquisition
/// function (log expected improvement by default) maximized by a Sobol sweep plus local
/// gradient refinement. Sample-efficient on expensive objectives with up to a few hundred
/// trials; its cost per trial grows with the number of trials (cubically in the fit), so
/// for thousands of cheap trials prefer TPE or CMA-ES.
///
/// Follows Optuna 5.0's `GPSampler` (kernel, priors, minimum noise, acquisition optimizer
/// with 2048 preliminary points and 10 local searches), plus: a Yeo-Johnson power transform
/// of the objective values before standardization ([`OutputTransform`]; on the reference
/// problems it cut the median regret on Rosenbrock-5 more than tenfold), a Sobol initial
/// design, a choice of acquisition (LogEI, EI, PI, UCB, max-variance), conditioning on
/// running trials so parallel workers spread out, and a posterior-mean incumbent for noisy
/// objectives ([`GpSampler::best_by_posterior_mean`]).
///
/// Numeric parameters enter the GP scaled to `[0, 1]` (log parameters in log space);
/// integers and stepped floats are searched on their grid; categorical parameters use a
/// Hamming-distance kernel and exhaustive search. Parameters outside the study's
/// intersection space (conditional ones) go to the independent sampler (random).
///
/// Reference: Snoek et al., "Practical Bayesian Optimization of Machine Learning
/// Algorithms" (NeurIPS 2012); Ament et al., "Unexpected Improvements to Expected
/// Improvement for Bayesian Optimization" (NeurIPS 2023).
///
/// ```
/// use bo_core::{Float, GpSampler, Optimize, Study, Trial};
/// let study = Study::builder().sampler(GpSampler::builder().build()?).seed(3).build()?;
/// study.optimize_with(Optimize::trials(25).progress_bar(false), |t: &mut Trial| {
///     let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
///     Ok::<_, bo_core::Error>((x - 1.0).powi(2))
/// })?;
/// assert!(study.best_value()? < 1e-3);
/// # Ok::<(), bo_core::Error>(())
/// ```
pub struct GpSampler {
    settings: GpSamplerBuilder,
    independent: Arc<dyn Sampler>,
    /// The last fit: its space, hyperparameters and number of observations.
    last_fit: Mutex<Option<LastFit>>,
    /// Scrambled Sobol points of the acquisition sweep, by (count, dimension).
    sweep_points: Mutex<Option<SweepPoints>>,
}

impl std::fmt::Debug for GpSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpSampler").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl Default for GpSampler {
    fn default() -> Self {
        GpSamplerBuilder::default().assemble()
    }
}

/// Builds a [`GpSampler`]; validates once in [`GpSamplerBuilder::build`].
#[derive(Clone)]
pub struct GpSamplerBuilder {
    n_startup_trials: u64,
    initial_design: InitialDesign,
    acquisition: Acquisition,
    deterministic_objective: bool,
    output_transform: OutputTransform,
    n_preliminary_samples: usize,
    n_local_search: usize,
    pending: PendingStrategy,
    seed: u64,
    independent: Option<Arc<dyn Sampler>>,
}

impl std::fmt::Debug for GpSamplerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpSamplerBuilder")
            .field("n_startup_trials", &self.n_startup_trials)
            .field("initial_design", &self.initial_design)
            .field("acquisition", &self.acquisition)
            .field("deterministic_objective", &self.deterministic_objective)
            .field("output_transform", &self.output_transform)
            .field("n_preliminary_samples", &self.n_preliminary_samples)
            .field("n_local_search", &self.n_local_search)
            .field("pending", &self.pending)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl Default for GpSamplerBuilder {
    fn default() -> Self {
        GpSamplerBuilder {
            n_startup_trials: 10,
            initial_design: InitialDesign::Sobol,
            acquisition: Acquisition::LogEi,
            deterministic_objective: false,
            output_transform: OutputTransform::YeoJohnson,
            n_preliminary_samples: 2048,
            n_local_search: 10,
            pending: PendingStrategy::ConstantLiar,
            seed: 0,
            independent: None,
        }
    }
}

impl GpSamplerBuilder {
    /// Complete trials (enqueued ones included) taken from the initial design before the GP
    /// proposes. Default: `10`.
    pub fn n_startup_trials(mut self, n: u64) -> Self {
        self.n_startup_trials = n;
        self
    }
    /// The initial design. Default: [`InitialDesign::Sobol`].
    pub fn initial_design(mut self, design: InitialDesign) -> Self {
        self.initial_design = design;
        self
    }
    /// The acquisition function. Default: [`Acquisition::LogEi`].
    pub fn acquisition(mut self, acquisition: Acquisition) -> Self {
        self.acquisition = acquisition;
        self
    }
    /// Declare the objective noise-free: the noise term is pinned to its minimum instead of
    /// fitted. Default: `false`.
    pub fn deterministic_objective(mut self, yes: bool) -> Self {
        self.deterministic_objective = yes;
        self
    }
    /// How objective values become the GP's targets. Default: [`OutputTransform::YeoJohnson`]
    /// (a power transform fitted to the values; [`OutputTransform::Standardize`] is Optuna's).
    pub fn output_transform(mut self, transform: OutputTransform) -> Self {
        self.output_transform = transform;
        self
    }
    /// Sobol points scored before local refinement (>= 1). Default: `2048` (Optuna's).
    pub fn n_preliminary_samples(mut self, n: usize) -> Self {
        self.n_preliminary_samples = n;
        self
    }
    /// Local refinements of the acquisition (>= 1). Default: `10` (Optuna's).
    pub fn n_local_search(mut self, n: usize) -> Self {
        self.n_local_search = n;
        self
    }
    /// How running trials are treated. Default: [`PendingStrategy::ConstantLiar`].
    pub fn pending(mut self, strategy: PendingStrategy) -> Self {
        self.pending = strategy;
        self
    }
    /// Seed of the initial design's scramble (the sampler's own, so every worker built with
    /// it walks the same design). Default: `0`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sampler for parameters outside the modelled space. Default: [`RandomSampler`].
    pub fn independent_sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.independent = Some(Arc::new(sampler));
        self
    }

    /// Checks the settings and builds the sampler.
    pub fn build(self) -> Result<GpSampler> {
        if self.n_preliminary_samples == 0 {
            return Err(Error::InvalidConfig { what: "n_preliminary_samples", reason: "must be >= 1".into() });
        }
        if self.n_local_search == 0 {
            return Err(Error::InvalidConfig { what: "n_local_search", reason: "must be >= 1".into() });
        }
        if let Acquisition::Ucb { beta } = self.acquisition
            && !(beta.is_finite() && beta > 0.0)
        {
            return Err(Error::InvalidConfig { what: "acquisition", reason: format!("UCB beta must be finite and > 0, got {beta}") });
        }
        Ok(self.assemble())
    }

    fn assemble(mut self) -> GpSampler {
        let independent = self.independent.take().unwrap_or_else(|| Arc::new(RandomSampler));
        GpSampler { settings: self, independent, last_fit: Mutex::new(None), sweep_points: Mutex::new(None) }
    }
}

/// Cached sweep points: their count, dimension and coordinates.
type SweepPoints = (usize, usize, Arc<Vec<f64>>);

#[derive(Debug, Clone)]
struct LastFit {
    names: Vec<String>,
    params: KernelParams,
    n: usize,
    /// The posterior on all complete trials last built with `params`: the next trial's is
    /// this one extended by the trials completed since (O(n^2) instead of O(n^3)).
    posterior: Option<Arc<Posterior>>,
}

/// Beyond this many observations the hyperparameters are fitted to a subset of this size
/// (every k-th trial in order, the best one included): each likelihood evaluation costs
/// O(n^3), and a few hundred points pin down lengthscales, scale and noise well. The
/// posterior still conditions on every observation.
const MAX_FIT_POINTS: usize = 300;

/// Up to this many observations the hyperparameters are refitted at every trial; beyond
/// it, each time the data grew by 5% (the fit costs O(n^3) per likelihood evaluation and
/// moves little from one trial to the next), the posterior always using all the data.
const REFIT_EVERY_TRIAL_UP_TO: usize = 100;

/// Preliminary acquisition samples scale down as `n_preliminary * 100 / n` (rounded down to
/// a power of two) beyond 100 observations (each costs O(n^2)), never below this.
const MIN_PRELIMINARY: usize = 256;

/// Local searches scale down as `n_local_search * 100 / n` beyond 100 observations, never
/// below this (the incumbent, the sweep's best and one roulette draw).
const MIN_LOCAL_SEARCH: usize = 3;

/// Training data of the GP: encoded points and their targets (scores, larger is better,
/// mapped by `scale`).
struct Data {
    x: Vec<f64>,
    y: Vec<f64>,
    scale: Scale,
    best_index: usize,
    pending: Vec<f64>,
}

impl GpSampler {
    /// A builder with the defaults.
    pub fn builder() -> GpSamplerBuilder {
        GpSamplerBuilder::default()
    }

    fn data(&self, history: &History, space: &EncodedSpace) -> Option<Data> {
        let sign = match history.direction() {
            Direction::Minimize => -1.0,
            Direction::Maximize => 1.0,
        };
        let mut x = Vec::new();
        let mut raw = Vec::new();
        let mut pending = Vec::new();
        for t in history.trials() {
            if Some(t.number) == history.current_number() {
                continue;
            }
            match t.state {
                TrialState::Complete => {
                    let (Some(v), Some(p)) = (t.value, space.encode(t)) else { continue };
                    if !v.is_finite() {
                        continue;
                    }
                    x.extend(p);
                    raw.push(sign * v);
                }
                TrialState::Running if self.settings.pending != PendingStrategy::Ignore => {
                    if let Some(p) = space.encode(t) {
                        pending.extend(p);
                    }
                }
                _ => {}
            }
        }
        if raw.is_empty() {
            return None;
        }
        let (scale, y) = Scale::fit(&raw, sign, self.settings.output_transform);
        let best_index = (0..y.len()).max_by(|&a, &b| y[a].total_cmp(&y[b])).unwrap_or(0);
        Some(Data { x, y, scale, best_index, pending })
    }

    /// Fits the GP to the complete trials over `space` (warm-starting from the last fit).
    fn fit(&self, data: &Data, space: &EncodedSpace) -> Option<Arc<Posterior>> {
        let d = space.dim();
        let n = data.y.len();
        let mut guard = self.last_fit.lock().unwrap_or_else(|e| e.into_inner());
        let last = guard.as_mut().filter(|f| f.names == space.names);
        let keep_params = last.as_ref().is_some_and(|last| n > REFIT_EVERY_TRIAL_UP_TO && n >= last.n && (n - last.n) * 20 < n);
        if keep_params && let Some(last) = last {
            let posterior = Self::condition(last.posterior.as_deref(), data, d, space, &last.params)?;
            last.posterior = Some(Arc::clone(&posterior));
            return Some(posterior);
        }
        let init = last.map(|f| f.params.clone());
        drop(guard);
        let params = if n > MAX_FIT_POINTS {
            let (x, y) = fit_subset(data, d, MAX_FIT_POINTS);
            model::fit(&x, &y, d, &space.categorical, self.settings.deterministic_objective, init.as_ref())
        } else {
            model::fit(&data.x, &data.y, d, &space.categorical, self.settings.deterministic_objective, init.as_ref())
        };
        let posterior = Posterior::new(data.x.clone(), &data.y, d, space.categorical.clone(), params.clone()).map(Arc::new);
        *self.last_fit.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(LastFit { names: space.names.clone(), params, n, posterior: posterior.clone() });
        posterior
    }

    /// The posterior on `data` with fixed `params`: `previous` extended by the new trials
    /// when its inputs are a prefix of the data's (the usual case: trials complete in
    /// order), else factored afresh.
    fn condition(previous: Option<&Posterior>, data: &Data, d: usize, space: &EncodedSpace, params: &KernelParams) -> Option<Arc<Posterior>> {
        if let Some(prev) = previous.filter(|p| p.params() == params && data.x.starts_with(p.inputs())) {
            let old = prev.inputs().len();
            let extended = if old == data.x.len() {
                Some(prev.retargeted(&data.y))
            } else {
                prev.extended(&data.x[old..], &data.y, false)
            };
            if let Some(p) = extended {
                return Some(Arc::new(p));
            }
        }
        Posterior::new(data.x.clone(), &data.y, d, space.categorical.clone(), params.clone()).map(Arc::new)
    }

    /// The surrogate fitted to `history` over its intersection space (at least two complete
    /// trials needed), for inspection and plots.
    pub fn surrogate(&self, history: &History) -> Option<Surrogate> {
        let space = EncodedSpace::new(&self.relative_space(history));
        if space.dim() == 0 {
            return None;
        }
        let data = self.data(history, &space)?;
        if data.y.len() < 2 {
            return None;
        }
        let posterior = self.fit(&data, &space)?;
        let d = space.dim();
        let incumbent = data.x[data.best_index * d..(data.best_index + 1) * d].to_vec();
        Some(Surrogate::new(space, posterior, self.settings.acquisition, data.y[data.best_index], data.scale, incumbent))
    }

    /// The complete trial whose *posterior mean* is best, with that mean: for noisy
    /// objectives a better incumbent than the best observed value, which favours lucky
    /// noise. `None` without at least two complete trials over a common space.
    pub fn best_by_posterior_mean(&self, history: &History) -> Option<(u64, f64)> {
        let surrogate = self.surrogate(history)?;
        let mut best: Option<(u64, f64)> = None;
        for t in history.with_state(TrialState::Complete) {
            let Some((m, _)) = surrogate.predict(&t.params) else { continue };
            let better = match best {
                None => true,
                Some((_, b)) => history.direction().is_better(m, b),
            };
            if better {
                best = Some((t.number, m));
            }
        }
        best
    }

    fn sweep_points(&self, n: usize, d: usize) -> Arc<Vec<f64>> {
        let mut cache = self.sweep_points.lock().unwrap_or_else(|e| e.into_inner());
        match &*cache {
            Some((cn, cd, points)) if *cn == n && *cd == d => Arc::clone(points),
            _ => {
                let points = Arc::new(optimize::sobol_points(n, d, self.settings.seed ^ 0x5EED_5EED));
                *cache = Some((n, d, Arc::clone(&points)));
                points
            }
        }
    }

    fn complete_count(history: &History) -> u64 {
        history.with_state(TrialState::Complete).count() as u64
    }

    /// The initial design's point for the current trial, in the unit cube.
    fn design_point(&self, history: &History, space: &EncodedSpace, rng: &mut TrialRng) -> Vec<f64> {
        let index = history.current_number().unwrap_or(0);
        let d = space.dim();
        let n = self.settings.n_startup_trials.max(1);
        (0..d)
            .map(|j| match self.settings.initial_design {
                InitialDesign::Sobol if j < SOBOL_DIMS => sobol(index, j, Some(self.settings.seed)),
                InitialDesign::Sobol => rng.uniform(),
                InitialDesign::LatinHypercube if index < n => {
                    // Stratum of trial `index` in dimension j: a seeded permutation of 0..n.
                    let mut perm: Vec<u64> = (0..n).collect();
                    let mut prng = TrialRng::seed_from_u64(self.settings.seed ^ (j as u64).wrapping_mul(GOLDEN_GAMMA));
                    for i in (1..perm.len()).rev() {
                        let k = prng.below(i as u64 + 1) as usize;
                        perm.swap(i, k);
                    }
                    (perm[index as usize] as f64 + rng.uniform()) / n as f64
                }
                InitialDesign::LatinHypercube => rng.uniform(),
                InitialDesign::Corners if index == 0 => 0.5,
                InitialDesign::Corners => {
                    if rng.uniform() < 0.5 { 0.0 } else { 1.0 }
                }
            })
            .enumerate()
            .map(|(j, u)| space.snap(j, u.clamp(0.0, 1.0)))
            .collect()
    }
}

/// A subset of `size` observations for fitting hyperparameters: every k-th in trial order
/// (evenly over the run, early exploration and late exploitation alike), the best included.
fn fit_subset(data: &Data, d: usize, size: usize) -> (Vec<f64>, Vec<f64>) {
    let n = data.y.len();
    let mut picked: Vec<usize> = (0..size).map(|i| i * n / size).collect();
    if !picked.contains(&data.best_index) {
        picked[size - 1] = data.best_index;
    }
    let x = picked.iter().flat_map(|&i| data.x[i * d..(i + 1) * d].iter().copied()).collect();
    let y = picked.iter().map(|&i| data.y[i]).collect();
    (x, y)
}

impl Sampler for GpSampler {
    fn relative_space(&self, history: &History) -> Distributions {
        history.intersection_space().iter().filter(|(_, d)| !d.is_single()).map(|(n, d)| (n.clone(), d.clone())).collect()
    }

    fn sample_relative(&self, history: &History, space: &Distributions, rng: &mut TrialRng) -> Result<Params> {
        if space.is_empty() {
            return Ok(Params::new());
        }
        let space = EncodedSpace::new(space);
        if Self::complete_count(history) < self.settings.n_startup_trials {
            return Ok(space.decode(&self.design_point(history, &space, rng)));
        }
        let Some(data) = self.data(history, &space) else {
            return Ok(Params::new());
        };
        let Some(mut posterior) = self.fit(&data, &space) else {
            tracing::warn!("GP kernel matrix could not be factored; sampling this trial independently");
            return Ok(Params::new());
        };
        let d = space.dim();
        let mut best = data.y[data.best_index];
        if !data.pending.is_empty() {
            let (mut means, mut vars) = (Vec::new(), Vec::new());
            posterior.predict_batch(&data.pending, &mut means, &mut vars);
            let worst = data.y.iter().copied().fold(f64::INFINITY, f64::min);
            let mut targets = data.y.clone();
            match self.settings.pending {
                PendingStrategy::ConstantLiar => targets.extend(std::iter::repeat_n(worst, means.len())),
                _ => {
                    // Believed values count as observations, the incumbent included: the
                    // acquisition at a pending point then drops to about zero.
                    best = means.iter().copied().fold(best, f64::max);
                    targets.extend(means)
                }
            }
            if let Some(p) = posterior.with_extra(&data.pending, &targets) {
                posterior = Arc::new(p);
            }
        }
        let problem = Problem { posterior: &*posterior, acquisition: self.settings.acquisition, best, space: &space };
        let incumbent = data.x[data.best_index * d..(data.best_index + 1) * d].to_vec();
        let n = data.y.len();
        let n_sweep = if n > 100 {
            // Rounded down to a power of two: Sobol points balance best in such counts, and
            // the cached points stay valid across trials.
            let scaled = (self.settings.n_preliminary_samples * 100 / n).max(MIN_PRELIMINARY);
            (1usize << scaled.ilog2()).min(self.settings.n_preliminary_samples)
        } else {
            self.settings.n_preliminary_samples
        };
        let base = self.sweep_points(n_sweep, d);
        // Local searches likewise: each evaluation costs O(n^2), and with many observations
        // the sweep already lands near the acquisition's peaks.
        let n_local = if n > 100 { (self.settings.n_local_search * 100 / n).max(MIN_LOCAL_SEARCH) } else { self.settings.n_local_search };
        let x = optimize::maximize(&problem, &[incumbent], &base, n_local.min(self.settings.n_local_search), rng);
        Ok(space.decode(&x))
    }

    fn sample_independent(&self, history: &History, name: &str, d: &Distribution, rng: &mut TrialRng) -> Result<ParamValue> {
        self.independent.sample_independent(history, name, d, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sampler::test_support::{BRANIN_MIN, branin, run, study};
    use crate::space::{Float, Int};
    use crate::study::Study;
    use crate::trial::Trial;

    // Compile-time check: the sampler and its builder are Send + Sync.
    const _: fn() = || {
        fn check<T: Send + Sync + 'static>() {}
        check::<GpSampler>();
        check::<GpSamplerBuilder>();
    };

    #[test]
    fn builder_rejects_invalid_settings() {
        let bad = |b: GpSamplerBuilder| matches!(b.build(), Err(Error::InvalidConfig { .. }));
        assert!(bad(GpSampler::builder().n_preliminary_samples(0)));
        assert!(bad(GpSampler::builder().n_local_search(0)));
        assert!(bad(GpSampler::builder().acquisition(Acquisition::Ucb { beta: 0.0 })));
        assert!(bad(GpSampler::builder().acquisition(Acquisition::Ucb { beta: f64::NAN })));
        assert!(GpSampler::builder().acquisition(Acquisition::Ucb { beta: 2.0 }).build().is_ok());
    }

    #[test]
    fn finds_the_branin_optimum_region_within_40_trials() {
        let regrets: Vec<f64> = (0..5)
            .map(|seed| {
                let s = study(GpSampler::default(), seed);
                run(&s, 40, branin);
                s.best_value().unwrap() - BRANIN_MIN
            })
            .collect();
        // Random search reaches ~1.0 at 40 trials; TPE ~0.2.
        let good = regrets.iter().filter(|r| **r < 0.05).count();
        assert!(good >= 4, "regrets {regrets:?}");
    }

    #[test]
    fn seeded_studies_replay_the_same_parameters() {
        let objective = |t: &mut Trial| -> Result<f64> {
            let x = t.suggest_float("x", Float::log(1e-3, 10.0))?;
            let n = t.suggest_int("n", 1..=20)?;
            let c = t.suggest_categorical("c", &["a", "b", "c"])?;
            Ok((x.ln() - 1.0).powi(2) + (n as f64 - 7.0).abs() + if c == "b" { 0.0 } else { 1.0 })
        };
        let params = |seed: u64| {
            let s = study(GpSampler::builder().n_preliminary_samples(256).build().unwrap(), seed);
            run(&s, 18, objective);
            s.trials().unwrap().into_iter().map(|t| t.params).collect::<Vec<_>>()
        };
        let a = params(5);
        assert_eq!(a, params(5));
        assert_ne!(a, params(6));
    }

    #[test]
    fn mixed_spaces_stay_in_bounds_and_find_the_best_category_and_integer() {
        let s = study(GpSampler::builder().n_preliminary_samples(512).build().unwrap(), 2);
        run(&s, 30, |t| {
            let a = t.suggest_int("a", Int::log(1, 1000))?;
            let b = t.suggest_int("b", Int::stepped(-10, 20, 5))?;
            let c = t.suggest_float("c", Float::stepped(0.0, 1.0, 0.1))?;
            let e = t.suggest_categorical("e", &["x", "best", "y", "z"])?;
            // Conditional parameter: sampled independently.
            let f = if b > 0 { t.suggest_float("f", Float::new(2.0, 3.0))? } else { 2.5 };
            let penalty = if e == "best" { 0.0 } else { 3.0 };
            Ok(((a as f64).ln() - 3.0).powi(2) + ((b - 5) as f64 / 5.0).powi(2) + (c - 0.3).powi(2) + penalty + 0.0 * f)
        });
        for t in s.trials().unwrap() {
            for (name, v) in &t.params {
                let d = &t.distributions[name];
                assert!(d.to_internal(v).is_some(), "{name} = {v} not in {d}");
            }
        }
        let best = s.best_trial().unwrap();
        assert_eq!(best.params["e"].as_str(), Some("best"));
        assert_eq!(best.params["b"].as_i64(), Some(5));
        assert!(s.best_value().unwrap() < 0.5, "{}", s.best_value().unwrap());
    }

    #[test]
    fn every_acquisition_improves_on_the_initial_design() {
        for acq in [Acquisition::Ei, Acquisition::Pi, Acquisition::Ucb { beta: 2.0 }, Acquisition::LogEi] {
            let s = study(GpSampler::builder().acquisition(acq).n_preliminary_samples(256).build().unwrap(), 1);
            run(&s, 25, |t| {
                let x = t.suggest_float("x", Float::new(-3.0, 3.0))?;
                let y = t.suggest_float("y", Float::new(-3.0, 3.0))?;
                Ok((x - 1.0).powi(2) + (y + 0.5).powi(2))
            });
            let trials = s.trials().unwrap();
            let design = trials[..10].iter().filter_map(|t| t.value).fold(f64::INFINITY, f64::min);
            let best = s.best_value().unwrap();
            assert!(best < 0.05 && best < design, "{acq:?}: design {design}, best {best}");
        }
    }

    #[test]
    fn max_variance_explores_instead_of_exploiting() {
        // Pure exploration puts the 11th point far from all 10 design points.
        let s = study(GpSampler::builder().acquisition(Acquisition::MaxVariance).n_preliminary_samples(256).build().unwrap(), 4);
        run(&s, 11, |t| t.suggest_float("x", Float::new(0.0, 1.0)));
        let xs: Vec<f64> = s.trials().unwrap().iter().map(|t| t.params["x"].as_f64().unwrap()).collect();
        let last = xs[10];
        let nearest = xs[..10].iter().map(|x| (x - last).abs()).fold(f64::INFINITY, f64::min);
        let mut sorted = xs[..10].to_vec();
        sorted.sort_by(f64::total_cmp);
        let widest_gap = sorted.windows(2).map(|w| w[1] - w[0]).chain([sorted[0], 1.0 - sorted[9]]).fold(0.0, f64::max);
        assert!(nearest > 0.3 * widest_gap, "nearest {nearest}, widest gap {widest_gap}");
    }

    #[test]
    fn pending_trials_spread_parallel_asks_apart() {
        let spread = |strategy: PendingStrategy| {
            let s = study(GpSampler::builder().pending(strategy).n_preliminary_samples(256).build().unwrap(), 7);
            run(&s, 12, |t| {
                let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
                let y = t.suggest_float("y", Float::new(-5.0, 5.0))?;
                Ok(x * x + y * y)
            });
            let mut points = Vec::new();
            let mut pending = Vec::new();
            for _ in 0..4 {
                let mut t = s.ask().unwrap();
                let x = t.suggest_float("x", Float::new(-5.0, 5.0)).unwrap();
                let y = t.suggest_float("y", Float::new(-5.0, 5.0)).unwrap();
                points.push((x, y));
                pending.push((t, x * x + y * y));
            }
            for (t, v) in pending {
                s.tell(t, v).unwrap();
            }
            let mut min = f64::INFINITY;
            for i in 0..points.len() {
                for j in 0..i {
                    let (a, b) = (points[i], points[j]);
                    min = min.min(((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt());
                }
            }
            min
        };
        let ignore = spread(PendingStrategy::Ignore);
        // The same optimum up to the local search tolerance.
        assert!(ignore < 1e-3, "without conditioning the four asks coincide ({ignore})");
        assert!(spread(PendingStrategy::ConstantLiar) > 0.05, "the liar (the default) spreads the asks");
        // The believer spreads them less once the model is confident (see its docs).
        assert!(spread(PendingStrategy::KrigingBeliever) > 2e-3, "the believer spreads them a little");
    }

    #[test]
    fn a_large_study_fits_on_a_subset_and_extends_the_posterior() {
        // 320 random trials (beyond MAX_FIT_POINTS), then GP asks: the first fits on a
        // subset, the next ones extend its posterior; all must land near the optimum.
        let storage: Arc<dyn crate::Storage> = Arc::new(crate::InMemoryStorage::new());
        let sphere = |t: &mut Trial| -> Result<f64> {
            let x = t.suggest_float("x", Float::new(-5.0, 5.0))?;
            let y = t.suggest_float("y", Float::new(-5.0, 5.0))?;
            Ok((x - 1.0).powi(2) + (y + 2.0).powi(2))
        };
        let filler = Study::builder().name("big").storage(Arc::clone(&storage)).sampler(crate::RandomSampler::default()).seed(1).build().unwrap();
        run(&filler, 320, sphere);
        let gp = Study::builder()
            .name("big")
            .storage(Arc::clone(&storage))
            .sampler(GpSampler::builder().seed(2).build().unwrap())
            .load_if_exists(true)
            .seed(2)
            .build()
            .unwrap();
        run(&gp, 6, sphere);
        let trials = gp.trials().unwrap();
        let proposed: Vec<f64> = trials[320..].iter().map(|t| t.value.unwrap()).collect();
        assert_eq!(proposed.len(), 6);
        assert!(proposed.iter().all(|v| *v < 0.5), "GP proposals on a 320-trial sphere: {proposed:?}");
    }

    #[test]
    fn latin_hypercube_design_uses_each_stratum_once() {
        let n = 8;
        let sampler = GpSampler::builder().n_startup_trials(n).initial_design(InitialDesign::LatinHypercube).seed(3).build().unwrap();
        let s = study(sampler, 0);
        // Trial 0 has no relative space yet (random); fix it with an enqueued point.
        run(&s, n, |t| {
            let x = t.suggest_float("x", Float::new(0.0, 1.0))?;
            let y = t.suggest_float("y", Float::new(0.0, 1.0))?;
            Ok(x + y)
        });
        let trials = s.trials().unwrap();
        for name in ["x", "y"] {
            let mut strata: Vec<u64> = trials[1..].iter().map(|t| (t.params[name].as_f64().unwrap() * n as f64) as u64).collect();
            strata.sort();
            strata.dedup();
            assert_eq!(strata.len(), n as usize - 1, "{name}: {strata:?}");
        }
    }

    #[test]
    fn posterior_mean_incumbent_is_robust_to_a_lucky_noisy_trial() {
        // f(x) = (x - 0.7)^2 observed with one huge lucky draw at x = 0.1.
        let s = study(GpSampler::builder().n_startup_trials(5).n_preliminary_samples(256).build().unwrap(), 0);
        for i in 0..30 {
            let x = i as f64 / 29.0;
            let mut p = Params::new();
            p.insert("x".into(), ParamValue::Float(x));
            s.enqueue(p).unwrap();
        }
        let noise = |x: f64| ((x * 1000.0).sin() * 0.02) - if (x - 0.103).abs() < 0.01 { 0.5 } else { 0.0 };
        run(&s, 30, |t| {
            let x = t.suggest_float("x", Float::new(0.0, 1.0))?;
            Ok((x - 0.7).powi(2) + noise(x))
        });
        let observed_best = s.best_trial().unwrap();
        assert!((observed_best.params["x"].as_f64().unwrap() - 0.1).abs() < 0.01, "the lucky trial is the observed best");
        let sampler = GpSampler::builder().build().unwrap();
        let (number, mean) = sampler.best_by_posterior_mean(&s.history().unwrap()).unwrap();
        let x = s.trials().unwrap()[number as usize].params["x"].as_f64().unwrap();
        assert!((x - 0.7).abs() < 0.1, "posterior-mean best at x = {x} (mean {mean})");
    }

    #[test]
    fn surrogate_curve_follows_the_objective() {
        let s = study(GpSampler::builder().n_preliminary_samples(256).build().unwrap(), 0);
        run(&s, 20, |t| {
            let x = t.suggest_float("x", Float::log(0.01, 100.0))?;
            Ok((x.log10() - 1.0).powi(2))
        });
        let history = s.history().unwrap();
        // Standardized outputs: close to the objective inside the range (the ends are
        // extrapolated).
        let plain = GpSampler::builder().output_transform(OutputTransform::Standardize).build().unwrap();
        let curve = plain.surrogate(&history).unwrap().curve("x", 41, &[]).unwrap();
        for (x, m) in curve.x.iter().zip(&curve.mean).skip(4).take(33) {
            assert!((m - (x.log10() - 1.0).powi(2)).abs() < 0.5, "mean {m} at {x}");
        }
        // The default power transform models the region near the optimum closely and the
        // tail coarsely, in the objective's units all the same.
        let surrogate = GpSampler::default().surrogate(&history).unwrap();
        let curve = surrogate.curve("x", 41, &[]).unwrap();
        assert!(curve.log_scale);
        assert_eq!(curve.x.len(), 41);
        assert!((curve.x[0] - 0.01).abs() < 1e-9 && (curve.x[40] - 100.0).abs() < 1e-6);
        for (x, m) in curve.x.iter().zip(&curve.mean).skip(4).take(33) {
            let f = (x.log10() - 1.0).powi(2);
            assert!((m - f).abs() < 0.5 + 0.3 * f, "mean {m} at {x}");
        }
        let argmin = (0..41).min_by(|&a, &b| curve.mean[a].total_cmp(&curve.mean[b])).unwrap();
        assert!((curve.x[argmin].log10() - 1.0).abs() < 0.25, "minimum of the mean at {}", curve.x[argmin]);
        assert!(curve.std.iter().all(|s| s.is_finite() && *s >= 0.0));
        assert!(surrogate.curve("nope", 10, &[]).is_none());
    }
}
