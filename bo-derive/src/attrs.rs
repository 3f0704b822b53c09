//! Parsing of `#[param(...)]` attributes on fields and variants.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprArray, Ident, LitStr, RangeLimits, Token};

/// An inclusive range `low..=high` from a `#[param]` attribute.
pub(crate) struct Range {
    pub(crate) low: Expr,
    pub(crate) high: Expr,
    /// The whole range, for errors that underline all of it.
    pub(crate) tokens: TokenStream,
}

impl Range {
    /// An error underlining the whole range.
    pub(crate) fn error(&self, msg: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, msg)
    }
}

/// Everything a `#[param(...)]` attribute (or several) can say about one field or variant.
#[derive(Default)]
pub(crate) struct ParamAttrs {
    pub(crate) range: Option<Range>,
    pub(crate) log: Option<Span>,
    pub(crate) step: Option<Expr>,
    pub(crate) choices: Option<ExprArray>,
    pub(crate) name: Option<LitStr>,
    pub(crate) rename: Option<LitStr>,
    pub(crate) skip: Option<Span>,
}

impl ParamAttrs {
    /// Whether the attribute says how to sample a leaf value (range, log, step or choices).
    pub(crate) fn has_distribution(&self) -> bool {
        self.range.is_some() || self.log.is_some() || self.step.is_some() || self.choices.is_some()
    }

    /// An error underlining the first distribution key (range, `log`, `step`, `choices`).
    pub(crate) fn distribution_error(&self, msg: impl std::fmt::Display) -> syn::Error {
        if let Some(r) = &self.range {
            return r.error(msg);
        }
        if let Some(l) = self.log {
            return syn::Error::new(l, msg);
        }
        if let Some(s) = &self.step {
            return syn::Error::new_spanned(s, msg);
        }
        match &self.choices {
            Some(c) => syn::Error::new_spanned(c, msg),
            None => syn::Error::new(Span::call_site(), msg),
        }
    }
}

/// One item inside `#[param(...)]`.
enum Item {
    Range(Range),
    Flag(Ident),
    KeyValue(Ident, Expr),
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let fork = input.fork();
        if fork.parse::<Ident>().is_ok()
            && (fork.is_empty() || fork.peek(Token![,]) || fork.peek(Token![=]))
        {
            let key: Ident = input.parse()?;
            if input.peek(Token![=]) && !input.peek(Token![==]) {
                input.parse::<Token![=]>()?;
                let value: Expr = input.parse()?;
                return Ok(Item::KeyValue(key, value));
            }
            return Ok(Item::Flag(key));
        }
        let expr: Expr = input.parse()?;
        match expr {
            Expr::Range(r) => {
                let tokens = r.to_token_stream();
                let (Some(low), Some(high)) = (r.start, r.end) else {
                    return Err(syn::Error::new_spanned(
                        tokens,
                        "a range needs both bounds: `low..=high`",
                    ));
                };
                if let RangeLimits::HalfOpen(_) = r.limits {
                    return Err(syn::Error::new_spanned(
                        tokens,
                        "use an inclusive range `low..=high`",
                    ));
                }
                Ok(Item::Range(Range {
                    low: *low,
                    high: *high,
                    tokens,
                }))
            }
            other => Err(syn::Error::new_spanned(
                other,
                "expected an inclusive range `low..=high` or one of the keys `log`, `step = ..`, \
                 `choices = [..]`, `name = \"..\"`, `rename = \"..\"`, `skip`",
            )),
        }
    }
}

fn duplicate(span: Span, key: &str) -> syn::Error {
    syn::Error::new(span, format!("`{key}` is given twice"))
}

fn lit_str(key: &Ident, value: Expr) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` expects a string literal: `{key} = \"...\"`"),
        )),
    }
}

/// Parses and merges every `#[param(...)]` among `attrs`.
pub(crate) fn parse(attrs: &[Attribute]) -> syn::Result<ParamAttrs> {
    let mut out = ParamAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("param")) {
        let items = attr.parse_args_with(Punctuated::<Item, Token![,]>::parse_terminated)?;
        for item in items {
            match item {
                Item::Range(r) => {
                    if out.range.is_some() {
                        return Err(r.error("a range is given twice"));
                    }
                    out.range = Some(r);
                }
                Item::Flag(key) => {
                    let slot = match key.to_string().as_str() {
                        "log" => &mut out.log,
                        "skip" => &mut out.skip,
                        "step" | "choices" | "name" | "rename" => {
                            return Err(syn::Error::new(
                                key.span(),
                                format!("`{key}` needs a value: `{key} = ...`"),
                            ));
                        }
                        _ => return Err(unknown(&key)),
                    };
                    if slot.is_some() {
                        return Err(duplicate(key.span(), &key.to_string()));
                    }
                    *slot = Some(key.span());
                }
                Item::KeyValue(key, value) => match key.to_string().as_str() {
                    "step" => {
                        if out.step.is_some() {
                            return Err(duplicate(key.span(), "step"));
                        }
                        out.step = Some(value);
                    }
                    "choices" => {
                        if out.choices.is_some() {
                            return Err(duplicate(key.span(), "choices"));
                        }
                        match value {
                            Expr::Array(a) => out.choices = Some(a),
                            other => {
                                return Err(syn::Error::new_spanned(
                                    other,
                                    "`choices` expects a list: `choices = [a, b, c]`",
                                ));
                            }
                        }
                    }
                    "name" => {
                        if out.name.is_some() {
                            return Err(duplicate(key.span(), "name"));
                        }
                        out.name = Some(lit_str(&key, value)?);
                    }
                    "rename" => {
                        if out.rename.is_some() {
                            return Err(duplicate(key.span(), "rename"));
                        }
                        out.rename = Some(lit_str(&key, value)?);
                    }
                    "log" | "skip" => {
                        return Err(syn::Error::new(
                            key.span(),
                            format!("`{key}` is a flag and takes no value"),
                        ));
                    }
                    _ => return Err(unknown(&key)),
                },
            }
        }
    }
    Ok(out)
}

fn unknown(key: &Ident) -> syn::Error {
    syn::Error::new(
        key.span(),
        format!(
            "unknown `#[param]` key `{key}`; expected a range `low..=high`, `log`, `step = ..`, \
             `choices = [..]`, `name = \"..\"`, `rename = \"..\"` or `skip`"
        ),
    )
}

/// Rejects any `#[param]` attribute (for places that take none, such as the type itself).
pub(crate) fn reject(attrs: &[Attribute], what: &str) -> syn::Result<()> {
    match attrs.iter().find(|a| a.path().is_ident("param")) {
        Some(a) => Err(syn::Error::new_spanned(
            a,
            format!("`#[param]` is not supported on {what}"),
        )),
        None => Ok(()),
    }
}
