//! Times the XML parser alone: `parse_time FILE [ROUNDS] [--keep-space]` parses FILE into the
//! tree ROUNDS times (default 10), whitespace-only text stripped as `xsl:strip-space
//! elements="*"` does unless `--keep-space`, and prints the best and median time and the
//! throughput.
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let keep_space = args.iter().any(|a| a == "--keep-space");
    args.retain(|a| a != "--keep-space");
    let mut args = args.into_iter();
    let Some(path) = args.next() else {
        eprintln!("usage: parse_time FILE [ROUNDS] [--keep-space]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(10);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2)
    });
    let mut times = Vec::with_capacity(rounds);
    let mut nodes = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        nodes =
            wharf_xslt::fuzzing::parse_document(&bytes, &path, !keep_space).unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1)
            });
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{nodes} nodes, {:.1} MB: best {:.2} ms ({:.0} MB/s), median {:.2} ms",
        mb,
        times[0] * 1e3,
        mb / times[0],
        times[rounds / 2] * 1e3
    );
}
