//! Object key layout and the URL-safe encoding of ids inside keys.

use sha2::{Digest, Sha256};

/// Encoded ids longer than this are replaced by a hash, so a key stays well under S3's 1024-byte
/// limit whatever the id (the record object itself still holds the real id).
const MAX_ENCODED_ID: usize = 400;

/// Encodes an id (or kind) as one key segment: RFC 3986 unreserved characters stay as they are,
/// every other UTF-8 byte becomes `%XX`. `/` therefore never splits a segment, and `.`/`..` cannot
/// occur as a whole segment because a `.json` suffix always follows. `~` is escaped too, which
/// reserves a leading `~` for the hashed form of over-long ids so the two forms never collide.
pub fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.len() > MAX_ENCODED_ID {
        format!("~sha256-{}", hex::encode(Sha256::digest(id.as_bytes())))
    } else {
        out
    }
}

/// The local relative path of a working-directory object, or `None` for a key that cannot be a
/// path inside the staged folder (empty or `.`/`..` segments, backslashes, NUL).
pub fn safe_relative(rel: &str) -> Option<&str> {
    let ok = !rel.is_empty()
        && !rel.contains('\\')
        && !rel.contains('\0')
        && rel
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..");
    ok.then_some(rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_encode_to_one_segment() {
        assert_eq!(encode_id("WEB-1"), "WEB-1");
        assert_eq!(encode_id("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_id("Café ☕"), "Caf%C3%A9%20%E2%98%95");
        assert_eq!(encode_id("~x"), "%7Ex");
        assert_eq!(encode_id(".."), "..");
        let long = "é".repeat(300);
        let enc = encode_id(&long);
        assert!(enc.starts_with("~sha256-") && enc.len() < 80, "{enc}");
        assert_ne!(encode_id(&long), encode_id(&"é".repeat(301)));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(safe_relative("a b/c.xml"), Some("a b/c.xml"));
        for bad in ["", "/a", "a//b", "../a", "a/./b", "a\\b"] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
    }
}
