use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(0.0..=0.99)]
    momentum: Option<f64>,
    use_momentum: bool,
}

fn main() {}
