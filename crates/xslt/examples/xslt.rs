//! Command-line runner, xsltproc style: `xslt [--param name value]... stylesheet input`.
//! Used by the benchmarks and for manual comparison with xsltproc.
use std::io::Write;
use wharf_xslt::{Context, FsResolver, Stylesheet};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut params: Vec<(String, String)> = Vec::new();
    while args.first().map(|a| a == "--param").unwrap_or(false) && args.len() >= 3 {
        params.push((args[1].clone(), args[2].clone()));
        args.drain(..3);
    }
    if args.len() != 2 {
        eprintln!("usage: xslt [--param name value]... stylesheet.xsl input.xml");
        std::process::exit(2);
    }
    let res = FsResolver::new("/");
    let abs = |p: &str| {
        std::fs::canonicalize(p)
            .map(|x| x.display().to_string())
            .unwrap_or(p.to_string())
    };
    let xsl_path = abs(&args[0]);
    let xml_path = abs(&args[1]);
    let src = std::fs::read(&xsl_path).unwrap_or_else(|e| {
        eprintln!("{xsl_path}: {e}");
        std::process::exit(2)
    });
    let ss = match Stylesheet::compile(&src, &xsl_path, &res) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(3)
        }
    };
    let input = std::fs::read(&xml_path).unwrap_or_else(|e| {
        eprintln!("{xml_path}: {e}");
        std::process::exit(2)
    });
    let mut ctx = Context::default().with_resolver(&res);
    ctx.input_uri = xml_path.clone();
    let p: Vec<(&str, &str)> = params
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let r = ss.transform_to_writer(&input, &p, &mut ctx, &mut lock);
    for m in &ctx.messages {
        eprintln!("{m}");
    }
    if let Err(e) = r {
        let _ = lock.flush();
        eprintln!("{e}");
        std::process::exit(4);
    }
}
