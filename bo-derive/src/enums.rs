//! `#[derive(SearchSpace)]` on an enum: the variant is a categorical parameter, and the
//! chosen variant's fields are suggested under `<param>.<variant>.`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{DeriveInput, Fields};

use crate::attrs;
use crate::field::{field, named_fields};
use crate::names::{NameSet, checked, snake_case};

/// The `SearchSpace` impl of an enum.
pub(crate) fn expand(input: &DeriveInput, data: &syn::DataEnum) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let mut names = NameSet::default();
    let mut choices = Vec::new();
    let mut arms = Vec::new();
    for v in &data.variants {
        let a = attrs::parse(&v.attrs)?;
        let only = "on a variant, `#[param]` takes only `rename = \"..\"` and `skip`; ranges go on the variant's fields";
        if let Some(n) = &a.name {
            return Err(syn::Error::new(n.span(), only));
        }
        if a.has_distribution() {
            return Err(a.distribution_error(only));
        }
        if a.skip.is_some() {
            if a.rename.is_some() {
                return Err(syn::Error::new_spanned(
                    &v.ident,
                    "`skip` cannot be combined with `rename`",
                ));
            }
            continue;
        }
        let choice = match &a.rename {
            Some(lit) => checked(lit)?,
            None => snake_case(&v.ident.to_string()),
        };
        let span = a
            .rename
            .as_ref()
            .map_or_else(|| v.ident.span(), syn::LitStr::span);
        names.insert(&choice, span)?;
        let vid = &v.ident;
        let body = match &v.fields {
            Fields::Unit => quote!(::core::result::Result::Ok(Self::#vid)),
            Fields::Named(fields) => {
                let (lets, inits) = named_fields(fields)?;
                quote! {{
                    let __bo_prefix: ::std::string::String = __bo_join(__bo_param, #choice);
                    let __bo_prefix: &str = &__bo_prefix;
                    #(#lets)*
                    ::core::result::Result::Ok(Self::#vid { #(#inits),* })
                }}
            }
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let f = &fields.unnamed[0];
                let fa = attrs::parse(&f.attrs)?;
                if let Some(n) = &fa.name {
                    return Err(syn::Error::new(
                        n.span(),
                        "the payload of a one-field variant is named after the variant; use `rename` on the variant",
                    ));
                }
                // The payload lives at `<param>.<variant>`, next to the variant names.
                let mut own = NameSet::default();
                let code = field(&f.ty, &fa, &choice, span, &mut own)?;
                if fa.skip.is_none() && crate::field::is_option(&f.ty) {
                    names.insert(&format!("use_{choice}"), span)?;
                }
                let var = format_ident!("__bo_field_0");
                quote! {{
                    let __bo_prefix: &str = __bo_param;
                    let #var = #code;
                    ::core::result::Result::Ok(Self::#vid(#var))
                }}
            }
            Fields::Unnamed(fields) => {
                return Err(syn::Error::new_spanned(
                    fields,
                    "a tuple variant may hold one field (sampled under `<param>.<variant>`); \
                     use named fields for more",
                ));
            }
        };
        arms.push(quote!(#choice => #body,));
        choices.push(choice);
    }
    if choices.is_empty() {
        return Err(syn::Error::new(
            ident.span(),
            "`#[derive(SearchSpace)]` needs an enum with at least one variant that is not skipped",
        ));
    }
    let default_name = snake_case(&ident.to_string());
    let what = format!("the variants of `{ident}`");
    let join = crate::join_fn();
    Ok(quote! {
        #[automatically_derived]
        impl ::bo_core::SearchSpace for #ident {
            fn suggest_named(
                __bo_trial: &mut ::bo_core::Trial,
                __bo_name: &str,
            ) -> ::bo_core::Result<Self> {
                #join
                let __bo_param: &str = if __bo_name.is_empty() { #default_name } else { __bo_name };
                let __bo_choice: &str =
                    __bo_trial.suggest_categorical::<&str>(__bo_param, &[#(#choices),*])?;
                match __bo_choice {
                    #(#arms)*
                    __bo_other => ::core::result::Result::Err(::bo_core::Error::ValueOutOfDistribution {
                        name: ::std::string::String::from(__bo_param),
                        value: ::std::string::String::from(__bo_other),
                        distribution: ::std::string::String::from(#what),
                    }),
                }
            }
        }
    })
}
