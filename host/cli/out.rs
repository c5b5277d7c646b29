//! Standard output for commands whose output is read by people and pipes alike.
//!
//! `print!` panics when the reader has gone (`wharf tasks | head`). Writing through here turns
//! that into an error [`reader_gone`] recognises, which `main` ends on quietly with success: the
//! reader took what it wanted.

use std::fmt::Display;
use std::io::{ErrorKind, Write};

/// Writes `text` to standard output as it is.
pub fn print(text: impl Display) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| anyhow::Error::new(e).context("writing to standard output"))
}

/// Writes `text` and a line end to standard output.
pub fn println(text: impl Display) -> anyhow::Result<()> {
    print(format_args!("{text}\n"))
}

/// Writes `value` as indented JSON and a line end.
pub fn json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println(serde_json::to_string_pretty(value)?)
}

/// True when `error` is (caused by) the reader of standard output going away.
pub fn reader_gone(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
    })
}
