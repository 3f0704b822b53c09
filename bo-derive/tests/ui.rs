//! Compile-fail tests: misuse of `#[derive(SearchSpace)]` is a clear error at the right span.

#[test]
fn misuse_of_the_derive_fails_to_compile_with_a_clear_error() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
