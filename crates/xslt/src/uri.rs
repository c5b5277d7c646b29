//! Minimal RFC 3986 reference resolution for `document()`, `xsl:import` and
//! unparsed entity URIs. Bases may be plain file paths, which are treated like
//! relative references.

fn split(u: &str) -> (Option<&str>, Option<&str>, &str, Option<&str>, Option<&str>) {
    // scheme
    let mut rest = u;
    let mut scheme = None;
    if let Some(i) = rest.find(':') {
        let s = &rest[..i];
        if !s.is_empty()
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && s.len() > 1
        {
            scheme = Some(s);
            rest = &rest[i + 1..];
        }
    }
    let mut fragment = None;
    if let Some(i) = rest.find('#') {
        fragment = Some(&rest[i + 1..]);
        rest = &rest[..i];
    }
    let mut query = None;
    if let Some(i) = rest.find('?') {
        query = Some(&rest[i + 1..]);
        rest = &rest[..i];
    }
    let mut authority = None;
    if let Some(r) = rest.strip_prefix("//") {
        let e = r.find('/').unwrap_or(r.len());
        authority = Some(&r[..e]);
        rest = &r[e..];
    }
    (scheme, authority, rest, query, fragment)
}

fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let abs = path.starts_with('/');
    let segs: Vec<&str> = path.split('/').collect();
    let n = segs.len();
    for (i, s) in segs.iter().enumerate() {
        match *s {
            "." => {
                if i == n - 1 {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > usize::from(abs) {
                    out.pop();
                }
                if i == n - 1 {
                    out.push("");
                }
            }
            _ => out.push(s),
        }
    }
    let mut r = out.join("/");
    if abs && !r.starts_with('/') {
        r.insert(0, '/');
    }
    r
}

/// Resolves `reference` against `base`.
pub fn resolve(reference: &str, base: &str) -> String {
    let (rs, ra, rp, rq, rf) = split(reference);
    if rs.is_some() || base.is_empty() {
        return reference.to_string();
    }
    let (bs, ba, bp, bq, _) = split(base);
    let mut out = String::new();
    if let Some(s) = bs {
        out.push_str(s);
        out.push(':');
    }
    let (auth, path, query) = if ra.is_some() {
        (ra, remove_dots(rp), rq)
    } else if rp.is_empty() {
        (ba, bp.to_string(), if rq.is_some() { rq } else { bq })
    } else if rp.starts_with('/') {
        (ba, remove_dots(rp), rq)
    } else {
        let merged = match bp.rfind('/') {
            Some(i) => format!("{}{}", &bp[..=i], rp),
            None => {
                if ba.is_some() {
                    format!("/{rp}")
                } else {
                    rp.to_string()
                }
            }
        };
        let abs = merged.starts_with('/');
        let mut p = remove_dots(&merged);
        if !abs {
            p = p.trim_start_matches('/').to_string();
        }
        (ba, p, rq)
    };
    if let Some(a) = auth {
        out.push_str("//");
        out.push_str(a);
    }
    out.push_str(&path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = rf {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Decodes `%XX` escapes (as UTF-8; other escapes stay as written) so a URI
/// reference can name a file: `my%20orders.xml` is the file `my orders.xml`.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    String::from_utf8(percent_decode_bytes(s)).unwrap_or_else(|_| s.to_string())
}

/// The bytes `%XX` escapes stand for; a `%` not followed by two hex digits stays.
pub fn percent_decode_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::resolve;
    #[test]
    fn rfc_examples() {
        let b = "http://a/b/c/d;p?q";
        assert_eq!(resolve("g", b), "http://a/b/c/g");
        assert_eq!(resolve("./g", b), "http://a/b/c/g");
        assert_eq!(resolve("../g", b), "http://a/b/g");
        assert_eq!(resolve("/g", b), "http://a/g");
        assert_eq!(resolve("g?y", b), "http://a/b/c/g?y");
        assert_eq!(resolve("../../g", b), "http://a/g");
        assert_eq!(resolve("other.xml", "dir/main.xsl"), "dir/other.xml");
        assert_eq!(resolve("../x.xml", "/a/b/main.xsl"), "/a/x.xml");
        assert_eq!(resolve("x.xml", "main.xsl"), "x.xml");
    }
}
