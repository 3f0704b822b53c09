//! Ask+tell overhead of the GP sampler on a large study.
//!
//! `cargo bench -p bo-core --bench gp [-- N...]`: fills an in-memory study with N random
//! trials of a 10-d sphere (default 200 and 1000), then times 20 GP ask+tell rounds on it
//! and prints the median (the asks after the first hyperparameter fit, and the first one,
//! which fits).

use std::sync::Arc;
use std::time::Instant;

use bo_core::{Float, GpSampler, InMemoryStorage, RandomSampler, Storage, Study};

const DIMS: usize = 10;

fn round(study: &Study, names: &[String]) -> Result<f64, bo_core::Error> {
    let start = Instant::now();
    let mut trial = study.ask()?;
    let mut value = 0.0;
    for name in names {
        let x = trial.suggest_float(name, Float::new(-5.0, 5.0))?;
        value += x * x;
    }
    study.tell(trial, value)?;
    Ok(start.elapsed().as_secs_f64() * 1e3)
}

fn main() -> Result<(), bo_core::Error> {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![200, 1000] } else { sizes };
    let names: Vec<String> = (0..DIMS).map(|i| format!("x{i}")).collect();
    for n in sizes {
        let storage: Arc<dyn Storage> = Arc::new(InMemoryStorage::new());
        let filler = Study::builder().name("gp").storage(Arc::clone(&storage)).sampler(RandomSampler::default()).seed(1).build()?;
        for _ in 0..n {
            round(&filler, &names)?;
        }
        let study = Study::builder()
            .name("gp")
            .storage(Arc::clone(&storage))
            .sampler(GpSampler::builder().seed(2).build()?)
            .load_if_exists(true)
            .seed(2)
            .build()?;
        let first = round(&study, &names)?;
        let mut times: Vec<f64> = (0..20).map(|_| round(&study, &names)).collect::<Result<_, _>>()?;
        times.sort_by(f64::total_cmp);
        println!(
            "gp ask+tell, 10-d sphere, {n} trials: first (fit) {first:.1} ms, median of the next 20 {:.2} ms (max {:.1})",
            0.5 * (times[9] + times[10]),
            times[19]
        );
    }
    Ok(())
}
