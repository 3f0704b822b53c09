use bo_core::SearchSpace;

#[derive(SearchSpace)]
struct Wrapper<T> {
    inner: T,
}

fn main() {}
