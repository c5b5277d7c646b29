//! Whole stylesheets: compiling arbitrary bytes must never panic, and a stylesheet that
//! compiles is run on a small document with a low recursion limit (so runaway recursion ends
//! quickly with an error).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_xslt::{Context, NoResolver, Stylesheet};

const INPUT: &str = r#"<?xml version="1.0"?>
<!DOCTYPE orders [<!ATTLIST order id ID #IMPLIED>]>
<orders xmlns:x="urn:x"><order id="o1" x:flag="y"><sku>A</sku><qty>2</qty><!--c--><?pi d?></order><order id="o2"><sku>B</sku><qty>-1.5</qty>text</order></orders>"#;

fuzz_target!(|data: &[u8]| {
    let Ok(ss) = Stylesheet::compile(data, "fuzz.xsl", &NoResolver) else { return };
    let mut ctx = Context::default();
    ctx.max_depth = 16;
    let _ = ss.transform(INPUT, &[("p", "1")], &mut ctx);
});
