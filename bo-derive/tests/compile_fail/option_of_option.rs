use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(0.0..=0.99)]
    momentum: Option<Option<f64>>,
}

fn main() {}
