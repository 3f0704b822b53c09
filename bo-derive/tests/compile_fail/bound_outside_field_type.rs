use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(0..=300)]
    width: u8,
}

fn main() {}
