use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(0.0..=1.0, log)]
    lr: f64,
}

fn main() {}
