//! The split-xml component's code built as a native program: the baseline `make bench` compares
//! the sandboxed component against.
//!
//! `split_native INPUT QUERY LIMIT OUT_DIR`

use split_xml::{NameFormat, split};
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: split_native INPUT QUERY LIMIT OUT_DIR");
        std::process::exit(2);
    }
    let limit: usize = args[3].parse().expect("LIMIT must be a whole number");
    let started = Instant::now();
    match split(
        Path::new(&args[1]),
        &args[2],
        limit,
        Path::new(&args[4]),
        NameFormat::Number,
    ) {
        Ok(summary) => println!(
            "{} records in {} files, {:.3} s",
            summary.records_written,
            summary.files.len(),
            started.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("split failed: {e}");
            std::process::exit(1);
        }
    }
}
