//! Text inside HTML or XML, for the HTML and JUnit reports.

use std::fmt::Write;

use super::verdicts::Summary;

/// Text that can neither open a tag nor leave an attribute value, and is valid XML 1.0:
/// the five markup characters become entities, and the control characters XML 1.0
/// cannot carry at all become U+FFFD (tab and line breaks stay).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `12 pass, 1 warn, 2 fail (1 allowed), 3 skip`.
pub(crate) fn counts(summary: &Summary) -> String {
    let mut line = format!(
        "{} pass, {} warn, {} fail",
        summary.pass, summary.warn, summary.fail
    );
    if summary.allowed > 0 {
        let _ = write!(line, " ({} allowed)", summary.allowed);
    }
    let _ = write!(line, ", {} skip", summary.skip);
    line
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn text_stays_inside_its_element_and_attribute_and_is_valid_xml_1_0() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        // NUL and ESC cannot appear in XML 1.0 at all; tab and line breaks can.
        assert_eq!(escape("a\u{0}b\u{1b}c\td\ne"), "a\u{FFFD}b\u{FFFD}c\td\ne");
    }
}
