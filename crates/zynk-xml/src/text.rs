//! Character-level XML rules: which characters XML 1.0 allows, resolving `&…;` references, escaping.
//!
//! quick-xml hands references over as separate events and does not enforce the XML "Legal Char"
//! rule, so the reader resolves them here: an invalid reference must make *one record* malformed
//! (with a message naming the field) instead of failing the whole file or slipping into the ledger.

/// `Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]` (XML 1.0).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// An XML `Name` (tags, attributes): ASCII letters, `_` or `:` first, then also digits, `-`, `.`;
/// any non-ASCII character is accepted (the XML rule for those is broad and harmless here).
pub(crate) fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let starts = |c: char| c.is_ascii_alphabetic() || matches!(c, '_' | ':') || !c.is_ascii();
    starts(first)
        && chars.all(|c| starts(c) || c.is_ascii_digit() || matches!(c, '-' | '.'))
        && name.chars().all(is_xml_char)
}

/// Replacement written in place of a character the source should not have contained, so that
/// documents we write back (fail files) stay well-formed.
pub(crate) const REPLACEMENT: char = '\u{FFFD}';

/// Resolves the body of a general reference (`amp`, `#x41`, `#65`); `Err` explains the problem.
pub(crate) fn resolve_reference(body: &str) -> Result<char, String> {
    let predefined = match body {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    };
    if let Some(c) = predefined {
        return Ok(c);
    }
    let Some(number) = body.strip_prefix('#') else {
        return Err(format!(
            "uses the entity '&{body};', which is not defined in XML (only &lt; &gt; &amp; &apos; &quot; are)"
        ));
    };
    let code = match number.strip_prefix('x') {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => number.parse::<u32>(),
    }
    .map_err(|_| format!("contains the malformed character reference '&{body};'"))?;
    match char::from_u32(code) {
        Some(c) if is_xml_char(c) => Ok(c),
        _ => Err(format!(
            "contains the character reference '&{body};', which is not a character XML allows"
        )),
    }
}

/// Checks literal text for characters XML forbids; returns the text with them replaced and a problem.
pub(crate) fn sanitize_literal(text: &str) -> (String, Option<String>) {
    if text.chars().all(is_xml_char) {
        return (text.to_owned(), None);
    }
    let bad = text
        .chars()
        .find(|c| !is_xml_char(*c))
        .unwrap_or(REPLACEMENT);
    let cleaned = text
        .chars()
        .map(|c| if is_xml_char(c) { c } else { REPLACEMENT })
        .collect();
    (
        cleaned,
        Some(format!(
            "contains the control character U+{:04X}, which is not a character XML allows",
            bad as u32
        )),
    )
}

/// Escapes character data for element content.
pub(crate) fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A bare CR would be normalised away by the next reader; keep it as a reference.
            '\r' => out.push_str("&#xD;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push(REPLACEMENT),
        }
    }
}

/// Escapes an attribute value (always written between double quotes).
pub(crate) fn escape_attribute(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push(REPLACEMENT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_predefined_and_numeric_references() {
        assert_eq!(resolve_reference("amp"), Ok('&'));
        assert_eq!(resolve_reference("#x41"), Ok('A'));
        assert_eq!(resolve_reference("#65"), Ok('A'));
    }

    #[test]
    fn rejects_nul_and_unknown_entities() {
        assert!(resolve_reference("#x0").unwrap_err().contains("&#x0;"));
        assert!(
            resolve_reference("nbsp")
                .unwrap_err()
                .contains("not defined")
        );
        assert!(resolve_reference("#xZZ").unwrap_err().contains("malformed"));
    }

    #[test]
    fn names_are_checked_for_what_could_not_be_written_back() {
        assert!(is_xml_name("SalesOrder") && is_xml_name("xsi:nil") && is_xml_name("Ünï-2.x"));
        for bad in ["", "1a", "a\"b", "a?>", "a<b", "-a", "a b"] {
            assert!(!is_xml_name(bad), "{bad}");
        }
    }

    #[test]
    fn escaping_keeps_text_round_trippable() {
        let mut out = String::new();
        escape_text("a<b & c>\r", &mut out);
        assert_eq!(out, "a&lt;b &amp; c&gt;&#xD;");
        let mut attr = String::new();
        escape_attribute("say \"hi\"", &mut attr);
        assert_eq!(attr, "say &quot;hi&quot;");
    }
}
