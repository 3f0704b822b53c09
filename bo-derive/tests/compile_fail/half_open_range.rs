use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(0..10)]
    depth: u32,
}

fn main() {}
