use bo_core::SearchSpace;

#[derive(SearchSpace)]
enum Schedule {
    Constant,
    Linear(#[param(0.0..=1.0)] f64, #[param(0.0..=1.0)] f64),
}

fn main() {}
