use bo_core::SearchSpace;

#[derive(SearchSpace)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
