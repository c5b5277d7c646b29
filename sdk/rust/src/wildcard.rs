//! File-name wildcards as Zynk's repeaters (Windows, .NET) read them, and .NET's split of a
//! file name into name and extension. Shared by the file and SFTP repeaters.

use glob::{MatchOptions, Pattern};

/// A Windows-style wildcard: `*` matches any run of characters, `?` one character, everything
/// else itself, ignoring letter case; `*.*` matches every file, as on Windows (where it also
/// matches names without a dot). Path separators are refused: the pattern applies to names.
#[derive(Debug, Clone)]
pub struct Wildcard(Pattern);

impl Wildcard {
    /// Reads `pattern`; the error is the problem, for the task to put after the setting.
    pub fn new(pattern: &str) -> Result<Self, String> {
        if pattern.contains(['/', '\\']) {
            return Err(format!(
                "a file name wildcard may not contain a path separator, got `{pattern}`"
            ));
        }
        let pattern = if pattern == "*.*" { "*" } else { pattern };
        let mut glob = String::with_capacity(pattern.len() + 8);
        for c in pattern.chars() {
            match c {
                // Runs of `*` mean the same as one on Windows; glob reads `**` differently.
                '*' if glob.ends_with('*') => {}
                // Brackets are literal on Windows, character classes in glob.
                '[' => glob.push_str("[[]"),
                ']' => glob.push_str("[]]"),
                c => glob.push(c),
            }
        }
        Pattern::new(&glob)
            .map(Wildcard)
            .map_err(|e| format!("invalid wildcard `{pattern}`: {e}"))
    }

    /// Whether the file name `name` matches (letter case ignored).
    pub fn matches(&self, name: &str) -> bool {
        self.0.matches_with(
            name,
            MatchOptions {
                case_sensitive: false,
                require_literal_separator: true,
                require_literal_leading_dot: false,
            },
        )
    }
}

/// .NET's `Path.GetExtension` / `GetFileNameWithoutExtension`: the extension runs from the
/// last dot and keeps it (`.xml`); a trailing dot gives no extension; `.profile` is all
/// extension.
pub fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot + 1 == name.len() => (&name[..dot], ""),
        Some(dot) => (&name[..dot], &name[dot..]),
        None => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_wildcards() {
        let xml = Wildcard::new("*.XML").unwrap();
        assert!(xml.matches("orders.xml") && xml.matches("a.b.Xml"));
        assert!(!xml.matches("orders.xml.bak"));
        assert!(Wildcard::new("*.*").unwrap().matches("README"));
        assert!(Wildcard::new("order?.xml").unwrap().matches("order1.xml"));
        assert!(Wildcard::new("[a].xml").unwrap().matches("[A].xml"));
        assert!(Wildcard::new("sub/*.xml").is_err());
    }

    #[test]
    fn dotnet_extensions() {
        assert_eq!(split_extension("orders.xml"), ("orders", ".xml"));
        assert_eq!(split_extension("a.b.c"), ("a.b", ".c"));
        assert_eq!(split_extension("name."), ("name", ""));
        assert_eq!(split_extension(".profile"), ("", ".profile"));
        assert_eq!(split_extension("README"), ("README", ""));
    }
}
