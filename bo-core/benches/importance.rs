//! Time to compute parameter importances, and to render a figure.
//!
//! `cargo bench -p bo-core --bench importance --features plot`: a random-search study of a
//! 6-parameter objective (4 floats, one of them log, an int and a categorical) with 200 and
//! 1000 completed trials; prints the median of 5 runs of each evaluator (64 trees) and of
//! rendering the contour plot to SVG and PNG.

use std::time::Instant;

use bo_core::importance::{FanovaEvaluator, ImportanceEvaluator, MeanDecreaseImpurityEvaluator, param_importances};
use bo_core::{Float, History, InMemoryStorage, Int, Optimize, RandomSampler, Study, Trial};

fn history(n: u64) -> Result<History, bo_core::Error> {
    let study = Study::builder().storage(InMemoryStorage::new()).sampler(RandomSampler).seed(1).build()?;
    study.optimize_with(Optimize::trials(n).progress_bar(false), |t: &mut Trial| {
        let a = t.suggest_float("a", Float::new(-5.0, 5.0))?;
        let b = t.suggest_float("b", Float::new(-5.0, 5.0))?;
        let c = t.suggest_float("c", Float::new(0.0, 1.0))?;
        let lr = t.suggest_float("lr", Float::log(1e-5, 1e-1))?;
        let k = t.suggest_int("k", Int::new(1, 16))?;
        let opt = t.suggest_categorical("opt", &["sgd", "adam", "rmsprop", "adagrad"])?;
        let shift = if opt == "sgd" { 2.0 } else { 0.0 };
        Ok::<_, bo_core::Error>(a * a + 0.5 * b.abs() + 0.1 * c + (lr.log10() + 3.0).powi(2) + 0.05 * k as f64 + shift)
    })?;
    study.history()
}

fn median_ms(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

fn main() -> Result<(), bo_core::Error> {
    for n in [200, 1000] {
        let h = history(n)?;
        let evaluators: [&dyn ImportanceEvaluator; 2] =
            [&FanovaEvaluator::default(), &MeanDecreaseImpurityEvaluator::default()];
        for e in evaluators {
            let ms = median_ms(|| {
                param_importances(&h, e).expect("importances");
            });
            println!("{:>6} importance, {n} trials, 6 params, 64 trees: median {ms:.1} ms", e.name());
        }
        #[cfg(feature = "plot")]
        {
            use bo_core::plot::{Figure, ImageFormat, contour};
            let fig = Figure::from(contour(&h, "a", "lr")?);
            for format in [ImageFormat::Svg, ImageFormat::Png] {
                let ms = median_ms(|| {
                    fig.render(format).expect("render");
                });
                println!("contour {format:?}, {n} trials: median {ms:.1} ms");
            }
        }
    }
    Ok(())
}
