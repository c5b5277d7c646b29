//! No panic, crash or hang on any input: a deterministic mutation pass over the fuzz seeds
//! (`fuzz/seeds`), bounded in time so it runs in every `make test`; the cargo-fuzz target in
//! `fuzz/` explores further. Each mutant goes through `zynk_xml::fuzzing::read_document`, the
//! fuzz target's own function: read leniently and strictly, write, read back, write again.
//! `WHARF_MUTATION_SECS` changes the time budget (default 3 s).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CASE_LIMIT: Duration = Duration::from_secs(10);

fn budget() -> Duration {
    let secs = std::env::var("WHARF_MUTATION_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    Duration::from_secs(secs)
}

/// xorshift64*: deterministic, so a failure reproduces on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that reach interesting reader states.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<SalesOrder>",
    "</SalesOrder>",
    "<Item>",
    "</Item>",
    "<Customer>",
    "<Product>",
    "<Id>1</Id>",
    "<QtyOrdered>",
    "</QtyOrdered>",
    "<UnitPrice>1e308</UnitPrice>",
    "xsi:nil=\"true\"",
    " a=\"",
    "\"",
    "'",
    "&",
    "&amp;",
    "&#0;",
    "&#xD800;",
    "&#1114112;",
    "&nbsp;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?pi x?>",
    "<?xml version=\"1.0\"?>",
    "<!DOCTYPE a [<!ENTITY e \"&e;\">]>",
    "\u{0}",
    "\u{1}",
    "\u{FEFF}",
    "\u{FFFF}",
    "é",
    "€",
    "\r\n",
    " ",
    "NaN",
    "-0",
    "1e-400",
    "99999999999999999999",
    "2024-02-30T25:61:00",
    "true",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
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
                let token = TOKENS[rng.below(TOKENS.len())];
                b.splice(at..at, token.bytes());
            }
            2 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            3 if len > 1 => {
                let start = rng.below(len);
                let end = (start + 1 + rng.below(64)).min(len);
                let chunk = b[start..end].to_vec();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, chunk);
            }
            4 if len > 0 => b.truncate(at),
            5 => {
                // Deep nesting.
                let token = ["<a>", "<Item>", "<SalesOrder>", "<![CDATA["][rng.below(4)];
                let n = 1 + rng.below(2000);
                b.splice(at..at, token.repeat(n).bytes());
            }
            _ => {
                const BYTES: &[u8] = b"<>&\"'/=!-0 \x00\xff";
                let replacement = BYTES[rng.below(BYTES.len())];
                if let Some(c) = b.get_mut(rng.below(len.max(1))) {
                    *c = replacement;
                }
            }
        }
    }
    b
}

/// Runs the fuzz target's function on a thread, failing on a panic or a hang.
fn guarded(sample: Vec<u8>) {
    let (tx, rx) = mpsc::channel();
    let input = sample.clone();
    std::thread::spawn(move || {
        let ok = catch_unwind(AssertUnwindSafe(|| {
            zynk_xml::fuzzing::read_document(&input)
        }))
        .is_ok();
        let _ = tx.send(ok);
    });
    let shown = String::from_utf8_lossy(&sample[..sample.len().min(2000)]).into_owned();
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(true) => {}
        Ok(false) => panic!("the readers panicked on:\n{shown}"),
        Err(_) => panic!("the readers took over {CASE_LIMIT:?} on:\n{shown}"),
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 3, "the seed corpus is in fuzz/seeds");
    seeds
}

#[test]
fn the_seeds_read_and_write_back_the_same() {
    for seed in seeds() {
        guarded(seed);
    }
}

#[test]
fn mutated_documents_never_panic_or_hang() {
    let seeds = seeds();
    let mut rng = Rng(0x5EED_2026_0011);
    let started = Instant::now();
    let mut cases = 0usize;
    while started.elapsed() < budget() {
        let seed = &seeds[rng.below(seeds.len())];
        guarded(mutate(&mut rng, seed));
        cases += 1;
    }
    assert!(cases > 0);
    eprintln!("{cases} mutated documents read without a panic");
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let depth = 200_000;
    let document = format!(
        "<Company><Other>{}{}</Other></Company>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let error = zynk_xml::Company::parse(&document).unwrap_err().to_string();
    assert!(error.contains("nest more than"), "{error}");
    let orders = format!(
        "<Company><SalesOrders><SalesOrder>{}</SalesOrder></SalesOrders></Company>",
        "<Item>".repeat(depth)
    );
    assert!(zynk_xml::Company::parse(&orders).is_err());
}
