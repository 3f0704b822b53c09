//! `#[derive(SearchSpace)]` (in progress).
use proc_macro::TokenStream;

/// Derives `bo_core::SearchSpace`.
#[proc_macro_derive(SearchSpace, attributes(param))]
pub fn derive_search_space(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
