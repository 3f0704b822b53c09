use bo_core::SearchSpace;

#[derive(SearchSpace)]
enum Schedule {
    #[param(0.0..=1.0)]
    Constant,
    Linear,
}

fn main() {}
