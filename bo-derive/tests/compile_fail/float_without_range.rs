use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    lr: f64,
}

fn main() {}
