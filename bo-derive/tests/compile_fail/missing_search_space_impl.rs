use bo_core::SearchSpace;

struct Plain {
    #[allow(dead_code)]
    x: f64,
}

#[derive(SearchSpace)]
struct Hparams {
    plain: Plain,
}

fn main() {}
