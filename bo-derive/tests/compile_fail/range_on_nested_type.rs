use bo_core::SearchSpace;

#[derive(SearchSpace)]
enum Optimizer {
    Sgd,
    Adam,
}

#[derive(SearchSpace)]
struct Hparams {
    #[param(0..=1)]
    optimizer: Optimizer,
}

fn main() {}
