//! CSV fields (RFC 4180 quoting).

use std::borrow::Cow;

/// `s` as one CSV field: quoted when it holds a comma, a quote, a line break, or leading or
/// trailing whitespace, with inner quotes doubled; unchanged otherwise.
///
/// ```
/// assert_eq!(bo_cli::csv_field("adam"), "adam");
/// assert_eq!(bo_cli::csv_field("a,b"), "\"a,b\"");
/// assert_eq!(bo_cli::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
/// ```
pub fn csv_field(s: &str) -> Cow<'_, str> {
    let needs_quotes = s.contains([',', '"', '\n', '\r'])
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace);
    if !needs_quotes {
        return Cow::Borrowed(s);
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        if c == '"' {
            q.push('"');
        }
        q.push(c);
    }
    q.push('"');
    Cow::Owned(q)
}

/// One CSV record (fields joined by commas, quoted as needed, no line ending).
pub(crate) fn csv_record<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = String::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&csv_field(f));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_fields_are_not_quoted() {
        assert_eq!(csv_field("0.5"), "0.5");
        assert_eq!(csv_field(""), "");
        assert_eq!(csv_field("COMPLETE"), "COMPLETE");
    }

    #[test]
    fn fields_with_separators_quotes_or_line_breaks_are_quoted() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("line1\nline2"), "\"line1\nline2\"");
        assert_eq!(csv_field("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(csv_field("he said \"no\""), "\"he said \"\"no\"\"\"");
        assert_eq!(csv_field(" padded "), "\" padded \"");
    }

    #[test]
    fn a_record_joins_quoted_fields_with_commas() {
        assert_eq!(csv_record(["1", "x,y", "\""]), "1,\"x,y\",\"\"\"\"");
    }
}
