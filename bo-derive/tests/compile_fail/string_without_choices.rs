use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    activation: String,
}

fn main() {}
