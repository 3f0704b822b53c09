//! `#[derive(SearchSpace)]`: typed hyperparameter structs and enums for `bo_core`.
//!
//! The derive expands to the same `suggest_float` / `suggest_int` / `suggest_categorical`
//! calls a hand-written objective makes, so a typed space and a define-by-run objective share
//! one code path, one set of parameter names and one storage format. Use it through bo-core
//! with feature `derive` (`bo_core::SearchSpace` is both the trait and this derive).
//!
//! ```
//! use bo_core::{SearchSpace, Study, Trial};
//!
//! #[derive(Debug, SearchSpace)]
//! struct Hparams {
//!     #[param(1e-5..=1e-1, log)]
//!     lr: f64,
//!     #[param(16..=256, log)]
//!     batch: u32,
//!     optimizer: Optimizer,
//!     #[param(0.0..=0.99)]
//!     momentum: Option<f64>,
//! }
//!
//! #[derive(Debug, SearchSpace)]
//! enum Optimizer {
//!     Sgd,
//!     Adam { #[param(0.8..=0.999)] beta1: f64 },
//! }
//!
//! let study = Study::builder().seed(1).build()?;
//! let mut trial = study.ask()?;
//! let hp: Hparams = trial.suggest()?;
//! assert!((1e-5..=1e-1).contains(&hp.lr) && (16..=256).contains(&hp.batch));
//! // Parameter names: "lr", "batch", "optimizer" (+ "optimizer.adam.beta1" when Adam),
//! // "use_momentum" (+ "momentum" when it is true).
//! assert_eq!(trial.params().contains_key("momentum"), hp.momentum.is_some());
//! # Ok::<(), bo_core::Error>(())
//! ```
//!
//! # Structs
//!
//! A struct needs named fields; each field is one parameter (or, for a nested space, a group
//! of them). At top level (`trial.suggest::<T>()`) a field `lr` is the parameter `"lr"`;
//! nested under a field `opt` it is `"opt.lr"`. What a field becomes depends on its type and
//! its `#[param(...)]` attribute:
//!
//! | field | attribute | parameter |
//! |---|---|---|
//! | `f32`, `f64` | `low..=high`, optional `log` or `step = s` | `suggest_float` with `Float::new`, `Float::log` or `Float::stepped` |
//! | `f32`, `f64` | `choices = [0.1, 0.5]` | categorical over the numbers |
//! | `i8`…`i64`, `isize`, `u8`…`u64`, `usize` | `low..=high`, optional `log` or `step = s` | `suggest_int`, converted into the field type |
//! | integer | `choices = [16, 32, 64]` | categorical over the integers |
//! | `bool` | none | categorical `[false, true]` |
//! | `String` | `choices = ["a", "b"]` | categorical over the strings |
//! | `Option<T>` | as for `T` | conditional, see below |
//! | any other `T: SearchSpace` | none | `T::suggest_named(trial, "<field name>")` (nested struct or enum) |
//! | any `T: Default` | `skip` | not a parameter: `Default::default()` |
//!
//! `name = "other"` renames a field's parameter (a name may not be empty or contain `.`).
//! Integers are sampled as `i64` and converted with `TryFrom`: a value that does not fit the
//! field type (from `Trial::fixed` or `Study::enqueue`, or a range given by constants) is an
//! `Error::ValueOutOfDistribution`, never a panic; literal bounds that do not fit are
//! rejected at compile time.
//!
//! # Conditional fields: `Option<T>`
//!
//! An `Option<T>` field named `x` first suggests the gate `"use_x"`, a `bool` categorical
//! `[false, true]` (next to `x`: `"opt.use_x"` when nested). Only when the gate is `true` is
//! `T` suggested under the name `"x"`, with the field's attribute applied to `T`
//! (`#[param(0.0..=0.99)] momentum: Option<f64>`); otherwise the field is `None` and the
//! trial has no parameter `"x"` (nor any `"x.*"`). A gate name may not clash with another
//! field's name; this is checked at compile time. `Option<Option<T>>` is rejected.
//!
//! # Enums
//!
//! The variant is a categorical parameter over the variant names in snake case
//! (`AdamW` → `"adam_w"`; `#[param(rename = "...")]` on a variant sets another,
//! `#[param(skip)]` leaves a variant out). The parameter's name is the field name when the
//! enum is a field, and the enum's type name in snake case at top level
//! (`trial.suggest::<Optimizer>()` uses `"optimizer"`).
//!
//! Only the chosen variant's fields are suggested, which makes a conditional space: the
//! fields of a struct-like variant `Adam { beta1 }` are named `"<param>.adam.beta1"`, and the
//! single field of a tuple variant `Constant(f64)` is named `"<param>.constant"` and takes the
//! same attributes as a struct field. Tuple variants with more than one field are rejected.
//!
//! # Compile-time errors
//!
//! Misuse is reported at the offending token: unions, tuple or unit structs, generic types,
//! a float or integer field without a range (or choices), a `String` field without choices,
//! `log`/`step`/ranges on `bool`, `String` or nested types, `log` with `step`, `log` with a
//! literal low bound `<= 0`, literal bounds out of order or out of the field type, unknown
//! or repeated keys, and two parameters with the same name at one level.

mod attrs;
mod enums;
mod field;
mod names;
mod structs;

use proc_macro::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, parse_macro_input};

/// Derives `bo_core::SearchSpace` for a struct with named fields or an enum; see the
/// crate documentation for the field attributes and the parameter names.
#[proc_macro_derive(SearchSpace, attributes(param))]
pub fn derive_search_space(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    attrs::reject(
        &input.attrs,
        "the type itself; put it on fields or variants",
    )?;
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "`#[derive(SearchSpace)]` does not support generic types",
        ));
    }
    match &input.data {
        Data::Struct(s) => structs::expand(input, s),
        Data::Enum(e) => enums::expand(input, e),
        Data::Union(u) => Err(syn::Error::new(
            u.union_token.span,
            "`#[derive(SearchSpace)]` supports structs with named fields and enums, not unions",
        )),
    }
}

/// The helper every generated `suggest_named` uses to build nested names.
fn join_fn() -> proc_macro2::TokenStream {
    quote! {
        fn __bo_join(prefix: &str, name: &str) -> ::std::string::String {
            if prefix.is_empty() {
                ::std::string::String::from(name)
            } else {
                ::std::format!("{}.{}", prefix, name)
            }
        }
    }
}
