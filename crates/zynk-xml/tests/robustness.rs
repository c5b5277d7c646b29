//! No panic, crash or hang on any input: a deterministic mutation pass over the fuzz seeds
//! (`fuzz/seeds`), bounded in time so it runs in every `make test`; the cargo-fuzz target in
//! `fuzz/` explores further. Each mutant goes through `zynk_xml::fuzzing::read_document`, the
//! fuzz target's own function: read leniently and strictly, write, read back, write again.
//! `WHARF_MUTATION_SECS` changes the time budget (default 3 s).

use std::path::Path;
use std::time::{Duration, Instant};

use mutation::{Guard, Mutator, Rng, budget};

/// A thread's usual stack: deep nesting must be refused, not survived on a large stack.
const GUARD: Guard = Guard {
    limit: Duration::from_secs(10),
    stack: 2 << 20,
};

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

const MUTATOR: Mutator = Mutator {
    tokens: TOKENS,
    nesting: &["<a>", "<Item>", "<SalesOrder>", "<![CDATA["],
    max_nesting: 2000,
    bytes: b"<>&\"'/=!-0 \x00\xff",
};

/// Runs the fuzz target's function, failing on a panic or a hang.
fn read(sample: Vec<u8>) {
    let input = sample.clone();
    GUARD.run("the readers", &sample, move || {
        zynk_xml::fuzzing::read_document(&input)
    });
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
        read(seed);
    }
}

#[test]
fn mutated_documents_never_panic_or_hang() {
    let seeds = seeds();
    let mut rng = Rng(0x5EED_2026_0011);
    let started = Instant::now();
    let mut cases = 0usize;
    while started.elapsed() < budget(3) {
        let seed = &seeds[rng.below(seeds.len())];
        read(MUTATOR.mutate(&mut rng, seed));
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
