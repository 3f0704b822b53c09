//! `#[derive(SearchSpace)]` on a struct with named fields.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, Fields};

use crate::field::named_fields;

/// The `SearchSpace` impl of a struct: each field is suggested under `prefix.field`.
pub(crate) fn expand(input: &DeriveInput, data: &syn::DataStruct) -> syn::Result<TokenStream> {
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`#[derive(SearchSpace)]` needs a struct with named fields (the field names are the \
             parameter names); tuple and unit structs are not supported",
        ));
    };
    let (lets, inits) = named_fields(fields)?;
    let ident = &input.ident;
    let join = crate::join_fn();
    Ok(quote! {
        #[automatically_derived]
        impl ::bo_core::SearchSpace for #ident {
            fn suggest_named(
                __bo_trial: &mut ::bo_core::Trial,
                __bo_prefix: &str,
            ) -> ::bo_core::Result<Self> {
                #join
                #(#lets)*
                ::core::result::Result::Ok(Self { #(#inits),* })
            }
        }
    })
}
