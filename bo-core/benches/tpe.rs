//! Ask+tell overhead of the default TPE sampler late in a run.
//!
//! `cargo bench -p bo-core --bench tpe`: runs 1000 trials of a 10-d sphere through
//! `Study::ask`/`Study::tell` (in-memory storage, multivariate TPE) and prints the median
//! per-trial ask+tell time over trials 981-1000.

use std::time::Instant;

use bo_core::{Float, InMemoryStorage, Study, TpeSampler};

fn main() -> Result<(), bo_core::Error> {
    const TRIALS: usize = 1000;
    const DIMS: usize = 10;
    let study = Study::builder().storage(InMemoryStorage::new()).sampler(TpeSampler::default()).seed(0).build()?;
    let names: Vec<String> = (0..DIMS).map(|i| format!("x{i}")).collect();
    let mut times = Vec::with_capacity(TRIALS);
    for _ in 0..TRIALS {
        let start = Instant::now();
        let mut trial = study.ask()?;
        let mut value = 0.0;
        for name in &names {
            let x = trial.suggest_float(name, Float::new(-5.0, 5.0))?;
            value += x * x;
        }
        study.tell(trial, value)?;
        times.push(start.elapsed().as_secs_f64());
    }
    let mut late = times[TRIALS - 20..].to_vec();
    late.sort_by(f64::total_cmp);
    let median = 0.5 * (late[9] + late[10]);
    println!("tpe ask+tell, 10-d sphere, trials 981-1000: median {:.4} ms per trial", median * 1e3);
    println!("best value after {TRIALS} trials: {:.4}", study.best_value()?);
    Ok(())
}
