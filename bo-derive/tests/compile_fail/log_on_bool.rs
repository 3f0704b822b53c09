use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(log)]
    shuffle: bool,
}

fn main() {}
