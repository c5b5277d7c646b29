//! Zynk XML documents: reading arbitrary bytes must never panic, and a document that reads
//! writes back to one that reads the same (`zynk_xml::fuzzing::read_document`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| zynk_xml::fuzzing::read_document(data));
