//! Parameter names: snake case, validation of renames, duplicate detection.

use std::collections::BTreeSet;

use proc_macro2::Span;
use syn::LitStr;

/// `AdamW` → `adam_w`, `HTTPServer` → `http_server`, `Sgd` → `sgd`.
pub(crate) fn snake_case(ident: &str) -> String {
    let ident = ident.strip_prefix("r#").unwrap_or(ident);
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::with_capacity(ident.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) => {
                    p.is_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
                }
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A field's name without a raw-identifier prefix.
pub(crate) fn unraw(ident: &syn::Ident) -> String {
    let s = ident.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

/// Checks a user-given name: non-empty, no `.` (the separator of nested names).
pub(crate) fn checked(lit: &LitStr) -> syn::Result<String> {
    let s = lit.value();
    if s.is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "a parameter name cannot be empty",
        ));
    }
    if s.contains('.') {
        return Err(syn::Error::new(
            lit.span(),
            "a parameter name cannot contain `.` (it separates nested names)",
        ));
    }
    Ok(s)
}

/// The names one struct or variant defines at its own level; two equal names are an error.
#[derive(Default)]
pub(crate) struct NameSet {
    seen: BTreeSet<String>,
}

impl NameSet {
    /// Records `name`, or errors at `span` when it is already taken.
    pub(crate) fn insert(&mut self, name: &str, span: Span) -> syn::Result<()> {
        if !self.seen.insert(name.to_string()) {
            return Err(syn::Error::new(
                span,
                format!("parameter name `{name}` is used twice at this level"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        assert_eq!(snake_case("Sgd"), "sgd");
        assert_eq!(snake_case("AdamW"), "adam_w");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("SGD"), "sgd");
        assert_eq!(snake_case("Layer2Norm"), "layer2_norm");
        assert_eq!(snake_case("LearningRate"), "learning_rate");
    }
}
