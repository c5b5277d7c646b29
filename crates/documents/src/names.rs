//! XML names from arbitrary text (column headings, JSON keys), as .NET's
//! `XmlConvert.EncodeLocalName` makes them: a character a name may not hold becomes `_xHHHH_`
//! (its UTF-16 code unit in hex), so `Unit Price` becomes `Unit_x0020_Price` and the original
//! text can be recovered.

/// `text` as an XML local name (no `:`); an empty text gives `_`.
pub fn encode_local_name(text: &str) -> String {
    if text.is_empty() {
        return "_".to_string();
    }
    let mut name = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        // An `_x` that already looks like an escape is escaped itself, so decoding is exact.
        let looks_escaped = c == '_' && chars.peek() == Some(&'x');
        let allowed = if first {
            is_name_start(c)
        } else {
            is_name_char(c)
        };
        if allowed && !looks_escaped {
            name.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                name.push_str(&format!("_x{unit:04X}_"));
            }
        }
        first = false;
    }
    name
}

/// Whether `text` may stand as an XML element name as it is (a local name, no `:`).
pub fn is_local_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_numeric() || matches!(c, '-' | '.' | '\u{B7}')
}

/// The character an entity or character reference (`amp`, `#38`, `#x26`) stands for; the
/// five predefined entities only, as documents without a DTD have.
pub fn resolve_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let code = match name.strip_prefix("#x") {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => name.strip_prefix('#')?.parse().ok()?,
            };
            return char::from_u32(code);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kept_or_escaped_as_dotnet_does() {
        assert_eq!(encode_local_name("AccountReference"), "AccountReference");
        assert_eq!(encode_local_name("Unit Price"), "Unit_x0020_Price");
        assert_eq!(encode_local_name("1st"), "_x0031_st");
        assert_eq!(encode_local_name("a:b"), "a_x003A_b");
        assert_eq!(encode_local_name("_x"), "_x005F_x");
        assert_eq!(encode_local_name(""), "_");
        assert_eq!(encode_local_name("Größe"), "Größe");
        assert!(is_local_name("Row") && !is_local_name("Row 1") && !is_local_name(""));
    }
}
