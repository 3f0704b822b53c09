//! HTML escaping for the pages that embed plots (`bo report`, the dashboard of `bo-server`).

/// Escapes text for HTML element content and attribute values (`&`, `<`, `>`, `"`, `'`): the
/// one escape of the HTML pages (`bo report`, the dashboard).
///
/// ```
/// assert_eq!(bo_core::plot::escape_html("<a title='x'>&</a>"), "&lt;a title=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
/// ```
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(escape_html("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
