//! Find and Replace Text and Remove Characters (docs/file-tasks.md): edits of a text file that
//! stream it, so a file of any size is changed in constant memory.
//!
//! Files are edited as bytes: UTF-8 text and text in any encoding that keeps ASCII as ASCII
//! (windows-1252, ISO-8859-x) work for ASCII searches; a UTF-16 file does not.

use std::io::{self, BufRead, BufReader, Read, Write};

use regex::bytes::{NoExpand, Regex, RegexBuilder};

/// What Remove Characters removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveMode {
    /// Every occurrence of each character of the text (`aeiou` removes the vowels).
    Characters,
    /// Every occurrence of the whole text.
    Text,
    /// Every match of a regular expression, line by line (a match never spans a line break).
    Regex,
}

/// A prepared edit: what to look for and what to put instead.
#[derive(Debug, Clone)]
pub struct Edit {
    pattern: Regex,
    /// The longest match there can be, in bytes; `None`: unbounded, so the edit goes line by
    /// line.
    longest: Option<usize>,
    replacement: Vec<u8>,
}

impl Edit {
    /// Replaces every occurrence of the text `find` (exact, case-sensitive) with `replace`.
    pub fn replace_text(find: &str, replace: &str) -> Result<Self, String> {
        if find.is_empty() {
            return Err("the text to find is empty".into());
        }
        Ok(Self {
            pattern: literal(find)?,
            longest: Some(find.len()),
            replacement: replace.as_bytes().to_vec(),
        })
    }

    /// Removes what `remove` names, read as `mode` says.
    pub fn remove(remove: &str, mode: RemoveMode) -> Result<Self, String> {
        if remove.is_empty() {
            return Err("there is nothing to remove: the value is empty".into());
        }
        let (pattern, longest) = match mode {
            RemoveMode::Text => (literal(remove)?, Some(remove.len())),
            RemoveMode::Characters => {
                let class: String = remove
                    .chars()
                    .map(|c| regex::escape(&c.to_string()))
                    .collect::<Vec<_>>()
                    .join("|");
                let longest = remove.chars().map(char::len_utf8).max().unwrap_or(1);
                (build(&class)?, Some(longest))
            }
            RemoveMode::Regex => {
                let pattern = build(remove)?;
                if pattern.is_match(b"") {
                    return Err(format!("regular expression `{remove}` matches empty text"));
                }
                (pattern, None)
            }
        };
        Ok(Self {
            pattern,
            longest,
            replacement: Vec::new(),
        })
    }

    /// Applies the edit to everything read from `input`, writing to `out`; returns how many
    /// matches were replaced.
    pub fn apply(&self, input: impl Read, mut out: impl Write) -> io::Result<u64> {
        let mut input = BufReader::with_capacity(256 * 1024, input);
        let count = match self.longest {
            Some(longest) => self.apply_bounded(&mut input, &mut out, longest)?,
            None => self.apply_by_line(&mut input, &mut out)?,
        };
        out.flush()?;
        Ok(count)
    }

    /// Chunks, keeping back the last `longest - 1` bytes: a match that could still grow into
    /// the next chunk is looked for again with it.
    fn apply_bounded(
        &self,
        input: &mut impl BufRead,
        out: &mut impl Write,
        longest: usize,
    ) -> io::Result<u64> {
        let mut buffer: Vec<u8> = Vec::new();
        let mut count = 0;
        loop {
            let chunk = input.fill_buf()?;
            let end = chunk.is_empty();
            buffer.extend_from_slice(chunk);
            let taken = chunk.len();
            input.consume(taken);
            let safe = if end {
                buffer.len()
            } else {
                buffer.len().saturating_sub(longest - 1)
            };
            let mut position = 0;
            for found in self.pattern.find_iter(&buffer) {
                if found.start() >= safe {
                    break;
                }
                out.write_all(&buffer[position..found.start()])?;
                out.write_all(&self.replacement)?;
                position = found.end();
                count += 1;
            }
            let kept = position.max(safe);
            out.write_all(&buffer[position..kept])?;
            buffer.drain(..kept);
            if end {
                return Ok(count);
            }
        }
    }

    fn apply_by_line(&self, input: &mut impl BufRead, out: &mut impl Write) -> io::Result<u64> {
        let mut line = Vec::new();
        let mut count = 0;
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                return Ok(count);
            }
            let body_end = line.len() - line.ends_with(b"\n") as usize;
            let body_end = body_end - line[..body_end].ends_with(b"\r") as usize;
            let (body, ending) = line.split_at(body_end);
            count += self.pattern.find_iter(body).count() as u64;
            out.write_all(&self.pattern.replace_all(body, NoExpand(&self.replacement)))?;
            out.write_all(ending)?;
        }
    }
}

fn literal(text: &str) -> Result<Regex, String> {
    build(&regex::escape(text))
}

fn build(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .build()
        .map_err(|e| format!("`{pattern}` is not a valid regular expression: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(edit: &Edit, input: &[u8]) -> (String, u64) {
        let mut out = Vec::new();
        let count = edit.apply(input, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), count)
    }

    #[test]
    fn find_and_replace_text() {
        let edit = Edit::replace_text("x", "y").unwrap();
        assert_eq!(run(&edit, b"xax\nX"), ("yay\nX".into(), 2));
        let edit = Edit::replace_text("$1.*", "").unwrap();
        assert_eq!(run(&edit, b"a$1.*b"), ("ab".into(), 1));
        assert!(Edit::replace_text("", "y").is_err());
    }

    #[test]
    fn matches_across_chunk_boundaries_are_found() {
        // Larger than the read buffer, with the text straddling every boundary position.
        let needle = "needle";
        let mut input = String::new();
        let mut expected = 0;
        while input.len() < 600 * 1024 {
            input.push_str(&"a".repeat(expected % 7 + 1));
            input.push_str(needle);
            expected += 1;
        }
        let edit = Edit::replace_text(needle, "N").unwrap();
        let (out, count) = run(&edit, input.as_bytes());
        assert_eq!(count, expected as u64);
        assert_eq!(out, input.replace(needle, "N"));
    }

    #[test]
    fn remove_characters_text_and_regex() {
        let edit = Edit::remove("aeiou", RemoveMode::Characters).unwrap();
        assert_eq!(run(&edit, b"education\n"), ("dctn\n".into(), 5));
        let edit = Edit::remove("é£", RemoveMode::Characters).unwrap();
        assert_eq!(run(&edit, "£5 café".as_bytes()), ("5 caf".into(), 2));
        let edit = Edit::remove("ab", RemoveMode::Text).unwrap();
        assert_eq!(run(&edit, b"aabba"), ("aba".into(), 1));
        let edit = Edit::remove("[0-9]+", RemoveMode::Regex).unwrap();
        assert_eq!(run(&edit, b"a1b22\r\nc333\n"), ("ab\r\nc\n".into(), 3));
        assert!(Edit::remove("", RemoveMode::Characters).is_err());
        assert!(
            Edit::remove("(", RemoveMode::Regex)
                .unwrap_err()
                .contains("not a valid")
        );
        assert!(
            Edit::remove("a*", RemoveMode::Regex)
                .unwrap_err()
                .contains("empty")
        );
    }
}
