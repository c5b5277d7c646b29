//! The XPath subset Split XML understands: an absolute path of element names.

/// What the `xpath-query` setting may hold, for error messages.
pub const SUPPORTED_FORMS: &str = "only an absolute path of element names is supported, \
     such as `/Company/Products/Product` (the leading `/` is optional; prefixed names like \
     `ns:Order` match as written; no `//`, `*`, `.`, `..`, `@attributes`, `[predicates]`, \
     axes or functions)";

/// Splits `/Company/Products/Product` (or `Company/Products/Product`) into its element
/// names; `None` for any other XPath form.
pub fn parse(query: &str) -> Option<Vec<String>> {
    let trimmed = query.trim();
    let path = trimmed.strip_prefix('/').unwrap_or(trimmed);
    if path.is_empty() {
        return None;
    }
    path.split('/')
        .map(|step| is_element_name(step).then(|| step.to_owned()))
        .collect()
}

/// An XML qualified name: an optional `prefix:` and a local name, each starting with a
/// letter or `_` and going on with letters, digits, `-`, `_` or `.`.
fn is_element_name(step: &str) -> bool {
    let mut parts = step.split(':');
    let valid_part = |part: &str| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), None, None) => valid_part(local),
        (Some(prefix), Some(local), None) => valid_part(prefix) && valid_part(local),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn absolute_and_relative_element_paths_are_accepted() {
        assert_eq!(
            parse("/Company/Products/Product").unwrap(),
            ["Company", "Products", "Product"]
        );
        assert_eq!(parse("Company/Products").unwrap(), ["Company", "Products"]);
        assert_eq!(
            parse(" /a:Root/b.c/_d-e ").unwrap(),
            ["a:Root", "b.c", "_d-e"]
        );
        assert_eq!(parse("/Company").unwrap(), ["Company"]);
    }

    #[test]
    fn other_forms_are_refused() {
        for query in [
            "",
            "/",
            "//Product",
            "/Company//Product",
            "/Company/*",
            "/Company/Products/Product[1]",
            "/Company/@name",
            "/Company/.",
            "/Company/..",
            "/Company/child::Product",
            "count(/Company)",
            "/Company/Products/",
            "/Company /Products",
            "/a:b:c",
            "/1Product",
        ] {
            assert!(parse(query).is_none(), "{query:?} should be refused");
        }
    }
}
