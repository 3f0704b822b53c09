use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(1..=100, log, step = 3)]
    depth: u32,
}

fn main() {}
