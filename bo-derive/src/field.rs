//! Code for one field: which `suggest_*` call produces its value.
//!
//! The generated expressions run inside `suggest_named`, where `__bo_trial: &mut Trial`,
//! `__bo_prefix: &str` and the helper `__bo_join(prefix, name)` are in scope.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, GenericArgument, Lit, LitFloat, LitInt, PathArguments, Type, UnOp};

use crate::attrs::ParamAttrs;
use crate::names::NameSet;

/// A field type sampled directly by one `suggest_*` call.
enum Leaf {
    /// `f32` or `f64`.
    Float(syn::Ident),
    /// A primitive integer, with the bounds of its type.
    Int(syn::Ident, i128, i128),
    Bool,
    String,
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => strip(&g.elem),
        Type::Paren(p) => strip(&p.elem),
        other => other,
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match strip(ty) {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn leaf_of(ty: &Type) -> Option<Leaf> {
    let seg = last_segment(ty)?;
    if !seg.arguments.is_empty() {
        return None;
    }
    let id = seg.ident.clone();
    let int = |lo: i128, hi: i128| Some(Leaf::Int(id.clone(), lo, hi));
    match seg.ident.to_string().as_str() {
        "f32" | "f64" => Some(Leaf::Float(id)),
        "i8" => int(i8::MIN.into(), i8::MAX.into()),
        "i16" => int(i16::MIN.into(), i16::MAX.into()),
        "i32" => int(i32::MIN.into(), i32::MAX.into()),
        "i64" | "isize" => int(i64::MIN.into(), i64::MAX.into()),
        "u8" => int(0, u8::MAX.into()),
        "u16" => int(0, u16::MAX.into()),
        "u32" => int(0, u32::MAX.into()),
        "u64" | "usize" => int(0, u64::MAX.into()),
        "bool" => Some(Leaf::Bool),
        "String" => Some(Leaf::String),
        _ => None,
    }
}

/// Whether `ty` is `Option<T>` (a conditional field).
pub(crate) fn is_option(ty: &Type) -> bool {
    option_inner(ty).is_some()
}

/// `T` when `ty` is `Option<T>`.
fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Option" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match (args.args.len(), args.args.first()) {
        (1, Some(GenericArgument::Type(t))) => Some(t),
        _ => None,
    }
}

/// The value of a literal integer expression (`16`, `-3`), if it is one.
fn literal_int(e: &Expr) -> Option<i128> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => literal_int(&u.expr).map(|v| -v),
        Expr::Paren(p) => literal_int(&p.expr),
        Expr::Group(g) => literal_int(&g.expr),
        _ => None,
    }
}

/// The value of a literal number expression (`1e-5`, `3`, `-0.5`), if it is one.
fn literal_float(e: &Expr) -> Option<f64> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Int(i) => i.base10_parse().ok(),
            Lit::Float(f) => f.base10_parse().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => literal_float(&u.expr).map(|v| -v),
        Expr::Paren(p) => literal_float(&p.expr),
        Expr::Group(g) => literal_float(&g.expr),
        _ => None,
    }
}

/// An `i64` expression: integer literals lose their suffix (`16u32` → `16`), other
/// expressions pass through.
fn int_tokens(e: &Expr) -> TokenStream {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => LitInt::new(i.base10_digits(), i.span()).to_token_stream(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) && literal_int(&u.expr).is_some() => {
            let inner = int_tokens(&u.expr);
            let neg = &u.op;
            quote!(#neg #inner)
        }
        other => other.to_token_stream(),
    }
}

/// An `f64` expression: integer literals become float literals (`3` → `3.0`), other
/// expressions pass through.
fn float_tokens(e: &Expr) -> TokenStream {
    match e {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(i), ..
        }) => LitFloat::new(&format!("{}.0", i.base10_digits()), i.span()).to_token_stream(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) && literal_float(&u.expr).is_some() => {
            let inner = float_tokens(&u.expr);
            let neg = &u.op;
            quote!(#neg #inner)
        }
        other => other.to_token_stream(),
    }
}

fn err<T>(span: Span, msg: impl std::fmt::Display) -> syn::Result<T> {
    Err(syn::Error::new(span, msg))
}

/// Compile-time checks that only literal bounds allow: `low <= high`, `log` needs `low > 0`,
/// `step > 0`.
fn check_literal_bounds(
    attrs: &ParamAttrs,
    low: Option<f64>,
    high: Option<f64>,
) -> syn::Result<()> {
    let Some(range) = &attrs.range else {
        return Ok(());
    };
    if let (Some(l), Some(h)) = (low, high) {
        if l > h {
            return Err(range.error(format!("invalid range: low ({l}) must be <= high ({h})")));
        }
    }
    if let (Some(span), Some(l)) = (attrs.log, low) {
        if l <= 0.0 {
            return err(span, format!("`log` needs low > 0 (low is {l})"));
        }
    }
    if let Some(step) = &attrs.step {
        if literal_float(step).is_some_and(|s| s <= 0.0) {
            return Err(syn::Error::new_spanned(step, "`step` must be > 0"));
        }
    }
    Ok(())
}

fn no_choices_with_range(attrs: &ParamAttrs) -> syn::Result<()> {
    if let Some(c) = &attrs.choices {
        if let Some(r) = &attrs.range {
            return Err(r.error("`choices` cannot be combined with a range"));
        }
        if let Some(l) = attrs.log {
            return err(l, "`log` applies to ranges, not to `choices`");
        }
        if let Some(s) = &attrs.step {
            return Err(syn::Error::new_spanned(
                s,
                "`step` applies to ranges, not to `choices`",
            ));
        }
        if c.elems.is_empty() {
            return Err(syn::Error::new_spanned(
                c,
                "`choices` needs at least one value",
            ));
        }
    }
    if let (Some(l), Some(_)) = (attrs.log, &attrs.step) {
        return err(l, "`log` cannot be combined with `step`");
    }
    Ok(())
}

/// Code for a float leaf.
fn float_leaf(fty: &syn::Ident, attrs: &ParamAttrs, ty: &Type) -> syn::Result<TokenStream> {
    no_choices_with_range(attrs)?;
    let cast = if fty == "f64" {
        quote!()
    } else {
        quote!(as #fty)
    };
    if let Some(c) = &attrs.choices {
        let elems = c.elems.iter().map(float_tokens);
        return Ok(quote! {{
            let __bo_v: f64 = __bo_trial.suggest_categorical::<f64>(&__bo_name, &[#(#elems),*])?;
            __bo_v #cast
        }});
    }
    let Some(range) = &attrs.range else {
        return Err(syn::Error::new_spanned(
            ty,
            format!(
                "`{fty}` fields need a range: `#[param(low..=high)]`, optionally with `log` or `step = ..`"
            ),
        ));
    };
    check_literal_bounds(attrs, literal_float(&range.low), literal_float(&range.high))?;
    let (low, high) = (float_tokens(&range.low), float_tokens(&range.high));
    let dist = match (&attrs.log, &attrs.step) {
        (Some(_), _) => quote!(::bo_core::Float::log(#low, #high)),
        (None, Some(step)) => {
            let step = float_tokens(step);
            quote!(::bo_core::Float::stepped(#low, #high, #step))
        }
        (None, None) => quote!(::bo_core::Float::new(#low, #high)),
    };
    Ok(quote! {{
        let __bo_v: f64 = __bo_trial.suggest_float(&__bo_name, #dist)?;
        __bo_v #cast
    }})
}

fn check_int_literal(e: &Expr, ity: &syn::Ident, min: i128, max: i128) -> syn::Result<()> {
    if let Some(v) = literal_int(e) {
        if v < i64::MIN.into() || v > i64::MAX.into() {
            return Err(syn::Error::new_spanned(
                e,
                format!("{v} is outside the `i64` range that integer parameters use"),
            ));
        }
        if v < min || v > max {
            return Err(syn::Error::new_spanned(
                e,
                format!("{v} does not fit in the field type `{ity}`"),
            ));
        }
    }
    Ok(())
}

/// Code for an integer leaf: the `i64` from the trial converted into the field type.
fn int_leaf(
    ity: &syn::Ident,
    min: i128,
    max: i128,
    attrs: &ParamAttrs,
    ty: &Type,
) -> syn::Result<TokenStream> {
    no_choices_with_range(attrs)?;
    let sample = if let Some(c) = &attrs.choices {
        for e in &c.elems {
            check_int_literal(e, ity, min, max)?;
        }
        let elems = c.elems.iter().map(int_tokens);
        quote!(__bo_trial.suggest_categorical::<i64>(&__bo_name, &[#(#elems),*])?)
    } else {
        let Some(range) = &attrs.range else {
            return Err(syn::Error::new_spanned(
                ty,
                format!(
                    "`{ity}` fields need a range `#[param(low..=high)]` (optionally with `log` or \
                     `step = ..`) or `#[param(choices = [..])]`"
                ),
            ));
        };
        check_int_literal(&range.low, ity, min, max)?;
        check_int_literal(&range.high, ity, min, max)?;
        let as_f = |e: &Expr| literal_int(e).map(|v| v as f64);
        check_literal_bounds(attrs, as_f(&range.low), as_f(&range.high))?;
        let (low, high) = (int_tokens(&range.low), int_tokens(&range.high));
        let dist = match (&attrs.log, &attrs.step) {
            (Some(_), _) => quote!(::bo_core::Int::log(#low, #high)),
            (None, Some(step)) => {
                let step = int_tokens(step);
                quote!(::bo_core::Int::stepped(#low, #high, #step))
            }
            (None, None) => quote!(::bo_core::Int::new(#low, #high)),
        };
        quote!(__bo_trial.suggest_int(&__bo_name, #dist)?)
    };
    if ity == "i64" {
        return Ok(quote!({ let __bo_v: i64 = #sample; __bo_v }));
    }
    let what = format!("the range of `{ity}`");
    Ok(quote! {{
        let __bo_v: i64 = #sample;
        <#ity as ::core::convert::TryFrom<i64>>::try_from(__bo_v).map_err(|_| {
            ::bo_core::Error::ValueOutOfDistribution {
                name: ::std::string::String::from(&*__bo_name),
                value: ::std::string::ToString::to_string(&__bo_v),
                distribution: ::std::string::String::from(#what),
            }
        })?
    }})
}

/// Code for a value of type `ty` named `local` under the current prefix: a leaf
/// (`suggest_float/int/categorical`) or a nested `SearchSpace`.
fn value(ty: &Type, attrs: &ParamAttrs, local: &str) -> syn::Result<TokenStream> {
    let body = match leaf_of(ty) {
        Some(Leaf::Float(fty)) => float_leaf(&fty, attrs, ty)?,
        Some(Leaf::Int(ity, min, max)) => int_leaf(&ity, min, max, attrs, ty)?,
        Some(Leaf::Bool) => {
            if attrs.has_distribution() {
                return Err(attrs.distribution_error(
                    "a `bool` field is a categorical over [false, true] and takes no range, `log`, `step` or `choices`",
                ));
            }
            quote!(__bo_trial.suggest_categorical::<bool>(&__bo_name, &[false, true])?)
        }
        Some(Leaf::String) => {
            if let Some(r) = &attrs.range {
                return Err(r.error("a `String` field takes `choices = [..]`, not a range"));
            }
            if let Some(l) = attrs.log {
                return err(
                    l,
                    "`log` applies to numeric ranges, not to a `String` field",
                );
            }
            if let Some(s) = &attrs.step {
                return Err(syn::Error::new_spanned(
                    s,
                    "`step` applies to numeric ranges, not to a `String` field",
                ));
            }
            no_choices_with_range(attrs)?;
            let Some(c) = &attrs.choices else {
                return Err(syn::Error::new_spanned(
                    ty,
                    "a `String` field needs `#[param(choices = [\"a\", \"b\"])]`",
                ));
            };
            let elems = c.elems.iter();
            quote! {
                ::std::string::String::from(
                    __bo_trial.suggest_categorical::<&str>(&__bo_name, &[#(#elems),*])?
                )
            }
        }
        None => {
            if attrs.has_distribution() {
                return Err(attrs.distribution_error(format!(
                    "ranges, `log`, `step` and `choices` apply to numeric and `String` fields; \
                     `{}` is sampled through its own `SearchSpace` impl",
                    ty.to_token_stream()
                )));
            }
            quote_spanned! {ty.span()=>
                <#ty as ::bo_core::SearchSpace>::suggest_named(__bo_trial, &__bo_name)?
            }
        }
    };
    Ok(quote! {{
        let __bo_name: ::std::string::String = __bo_join(__bo_prefix, #local);
        #body
    }})
}

/// Code for a field (or newtype-variant payload) named `local` under the current prefix,
/// recording the names it defines at this level in `names`.
///
/// `Option<T>` is conditional: a `bool` categorical `use_<local>` decides whether `T` is
/// suggested (as `local`) or the field is `None`.
pub(crate) fn field(
    ty: &Type,
    attrs: &ParamAttrs,
    local: &str,
    span: Span,
    names: &mut NameSet,
) -> syn::Result<TokenStream> {
    if let Some(s) = attrs.skip {
        if attrs.has_distribution() || attrs.name.is_some() {
            return err(s, "`skip` cannot be combined with other `#[param]` keys");
        }
        return Ok(quote_spanned!(ty.span()=> <#ty as ::core::default::Default>::default()));
    }
    if let Some(r) = &attrs.rename {
        return err(
            r.span(),
            "on a field, rename with `name = \"..\"` (`rename` is for enum variants)",
        );
    }
    names.insert(local, span)?;
    let Some(inner) = option_inner(ty) else {
        return value(ty, attrs, local);
    };
    if option_inner(inner).is_some() {
        return Err(syn::Error::new_spanned(
            ty,
            "`Option<Option<T>>` is not supported: one `Option` already makes a field conditional",
        ));
    }
    let gate = format!("use_{local}");
    names.insert(&gate, span)?;
    let inner_value = value(inner, attrs, local)?;
    Ok(quote! {{
        let __bo_gate: ::std::string::String = __bo_join(__bo_prefix, #gate);
        if __bo_trial.suggest_categorical::<bool>(&__bo_gate, &[false, true])? {
            ::core::option::Option::Some(#inner_value)
        } else {
            ::core::option::Option::None
        }
    }})
}

/// Code for a group of named fields (a struct or a struct-like variant) under the current
/// prefix: one `let` per field, and the `field: value` list that builds the value.
pub(crate) fn named_fields(
    fields: &syn::FieldsNamed,
) -> syn::Result<(Vec<TokenStream>, Vec<TokenStream>)> {
    let mut names = NameSet::default();
    let mut lets = Vec::new();
    let mut inits = Vec::new();
    for (i, f) in fields.named.iter().enumerate() {
        let attrs = crate::attrs::parse(&f.attrs)?;
        let Some(ident) = &f.ident else { continue };
        let local = match &attrs.name {
            Some(lit) => crate::names::checked(lit)?,
            None => crate::names::unraw(ident),
        };
        let span = attrs
            .name
            .as_ref()
            .map_or_else(|| ident.span(), syn::LitStr::span);
        let code = field(&f.ty, &attrs, &local, span, &mut names)?;
        let var = quote::format_ident!("__bo_field_{}", i);
        lets.push(quote!(let #var = #code;));
        inits.push(quote!(#ident: #var));
    }
    Ok((lets, inits))
}
