use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Hparams {
    #[param(choices = ["relu", "gelu"], log)]
    activation: String,
}

fn main() {}
