//! The deterministic mutation pass the robustness tests run in every `make test` (the cargo-fuzz
//! targets explore further): a seeded generator, a byte mutator fed with fragments that reach
//! interesting parser states, a time budget, and a guard that turns a panic or a hang into a
//! test failure showing the input. Used by `crates/xslt/tests/robustness.rs` and
//! `crates/zynk-xml/tests/robustness.rs`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

/// xorshift64*: deterministic, so a failure reproduces on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// How long a mutation test runs: `WHARF_MUTATION_SECS`, else `default_secs`.
pub fn budget(default_secs: u64) -> Duration {
    let secs = std::env::var("WHARF_MUTATION_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_secs);
    Duration::from_secs(secs)
}

/// What one kind of input is mutated with.
pub struct Mutator {
    /// Fragments inserted whole.
    pub tokens: &'static [&'static str],
    /// Fragments repeated up to `max_nesting` times: deep nesting.
    pub nesting: &'static [&'static str],
    pub max_nesting: usize,
    /// Bytes a single byte is replaced with.
    pub bytes: &'static [u8],
}

impl Mutator {
    /// One to four edits of `input`: a cut, a token, a flipped bit, a repeated chunk, a
    /// truncation, deep nesting or a replaced byte.
    pub fn mutate(&self, rng: &mut Rng, input: &[u8]) -> Vec<u8> {
        let mut b = input.to_vec();
        for _ in 0..1 + rng.below(4) {
            let len = b.len();
            let at = rng.below(len + 1);
            match rng.below(7) {
                0 if len > 0 => {
                    let end = (at + 1 + rng.below(16)).min(len);
                    b.drain(at.min(len)..end.max(at.min(len)));
                }
                1 => {
                    let token = self.tokens[rng.below(self.tokens.len())];
                    b.splice(at..at, token.bytes());
                }
                2 if len > 0 => {
                    let i = rng.below(len);
                    b[i] ^= 1 << rng.below(8);
                }
                3 if len > 1 => {
                    // A repeated chunk: repeated structure, deeper nesting.
                    let start = rng.below(len);
                    let end = (start + 1 + rng.below(64)).min(len);
                    let chunk = b[start..end].to_vec();
                    let at = rng.below(b.len() + 1);
                    b.splice(at..at, chunk);
                }
                4 if len > 0 => b.truncate(at),
                5 => {
                    let token = self.nesting[rng.below(self.nesting.len())];
                    let n = 1 + rng.below(self.max_nesting);
                    b.splice(at..at, token.repeat(n).bytes());
                }
                _ => {
                    let i = rng.below(len.max(1));
                    let replacement = self.bytes[rng.below(self.bytes.len())];
                    if let Some(c) = b.get_mut(i) {
                        *c = replacement;
                    }
                }
            }
        }
        b
    }

    /// [`Mutator::mutate`] on text; invalid UTF-8 it made is replaced.
    pub fn mutate_text(&self, rng: &mut Rng, text: &str) -> String {
        String::from_utf8_lossy(&self.mutate(rng, text.as_bytes())).into_owned()
    }
}

/// How a case runs: on a thread of its own with `stack` bytes of stack, failing the test on a
/// panic or when it takes longer than `limit`.
pub struct Guard {
    pub limit: Duration,
    pub stack: usize,
}

impl Guard {
    /// Runs `case`; a panic or a hang fails the test showing `what` and the start of `input`.
    pub fn run(&self, what: &str, input: &[u8], case: impl FnOnce() + Send + 'static) {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .stack_size(self.stack)
            .spawn(move || {
                let ok = catch_unwind(AssertUnwindSafe(case)).is_ok();
                let _ = tx.send(ok);
            })
            .expect("spawning a test thread");
        let shown = String::from_utf8_lossy(&input[..input.len().min(2000)]);
        let limit = self.limit;
        match rx.recv_timeout(limit) {
            Ok(true) => {}
            Ok(false) => panic!("{what} panicked on:\n{shown}"),
            Err(_) => panic!("{what} took longer than {limit:?} on:\n{shown}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MUTATOR: Mutator = Mutator {
        tokens: &["<a>"],
        nesting: &["("],
        max_nesting: 10,
        bytes: b"<>",
    };
    const GUARD: Guard = Guard {
        limit: Duration::from_secs(5),
        stack: 2 << 20,
    };

    #[test]
    fn the_same_seed_gives_the_same_mutants() {
        let run = || {
            let mut rng = Rng(7);
            (0..50)
                .map(|_| MUTATOR.mutate(&mut rng, b"<r><x>1</x></r>"))
                .collect::<Vec<_>>()
        };
        let mutants = run();
        assert_eq!(mutants, run());
        assert!(mutants.iter().any(|m| m != b"<r><x>1</x></r>"));
        assert!(MUTATOR.mutate(&mut Rng(1), b"").len() < 64);
    }

    #[test]
    #[should_panic(expected = "parsing panicked on:\nabc")]
    fn a_panicking_case_fails_showing_its_input() {
        GUARD.run("parsing", b"abc", || panic!("boom"));
    }

    #[test]
    #[should_panic(expected = "took longer than")]
    fn a_hanging_case_fails() {
        Guard {
            limit: Duration::from_millis(50),
            ..GUARD
        }
        .run("parsing", b"abc", || {
            std::thread::sleep(Duration::from_secs(2))
        });
    }
}
