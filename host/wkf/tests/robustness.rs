//! The `.wkf` reader against hostile input (docs/wkf-import.md, "Version drift"): the sample
//! workflows mutated — bytes flipped, cut short, elements duplicated, renamed or emptied, values
//! of the wrong type, unknown task classes — each imports or is refused with a message naming
//! where; never a panic. Ten thousand nested tasks are refused with the element path; ten
//! thousand tasks side by side import. `WHARF_MUTATION_SECS` runs the mutations longer.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use wharf_wkf::convert::Converter;
use wharf_wkf::{WkfError, import_text};

fn samples() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/zynk-samples/workflows");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wkf"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                wharf_wkf::read_wkf(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 18, "the sample workflows");
    files
}

/// A seeded generator: a failure names a seed that reproduces it.
type Rng = fastrand::Rng;

/// An index below `n` (0 when `n` is 0).
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.usize(..n.max(1))
}

/// Byte offsets of `needle` in `text`.
fn positions(text: &str, needle: &str) -> Vec<usize> {
    text.match_indices(needle).map(|(i, _)| i).collect()
}

/// One mutation of `text`, chosen by `rng`.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut t = text.to_string();
    match below(rng, 9) {
        // Cut short anywhere (on a character boundary).
        0 => {
            let mut at = below(rng, t.len());
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            t.truncate(at);
        }
        // Flip a byte to a markup character.
        1 => {
            let mut at = below(rng, t.len());
            while !t.is_char_boundary(at) {
                at -= 1;
            }
            let c = ['<', '>', '&', '"', '/', '\0', 'x'][below(rng, 7)];
            let end = t[at..].chars().next().map_or(at, |ch| at + ch.len_utf8());
            t.replace_range(at..end, &c.to_string());
        }
        // An unknown task class, or a class attribute emptied.
        2 => {
            let ps = positions(&t, "type=\"Zynk.");
            if let Some(&p) = ps.get(below(rng, ps.len())) {
                let replacement =
                    ["type=\"Zynk.Future.NewTask", "type=\"", "type=\",,,"][below(rng, 3)];
                t.replace_range(p..p + 11, replacement);
            }
        }
        // A value of the wrong type.
        3 => {
            let (from, to) = [
                ("<Type>StaticValue</Type>", "<Type>ListValue</Type>"),
                ("<Type>FileValue</Type>", "<Type>PreviousValue</Type>"),
                ("<Type>VariableValue</Type>", "<Type>Nope</Type>"),
                (">true<", ">maybe<"),
                (">false<", "><"),
                ("<Minutes>0</Minutes>", "<Minutes>-9999999999999</Minutes>"),
                (
                    "<Occurence>Never</Occurence>",
                    "<Occurence>Once</Occurence>",
                ),
                ("<Port>22</Port>", "<Port>ninety</Port>"),
            ][below(rng, 8)];
            let ps = positions(&t, from);
            if let Some(&p) = ps.get(below(rng, ps.len())) {
                t.replace_range(p..p + from.len(), to);
            }
        }
        // An element duplicated, its copy nested inside the original.
        4 => {
            let ps = positions(&t, "<Task ");
            if let Some(&p) = ps.get(below(rng, ps.len()))
                && let Some(end) = t[p..].find("</Task>")
            {
                let block = t[p..p + end + 7].to_string();
                t.insert_str(p + end, &block);
            }
        }
        // An unknown element in the middle of a task's settings.
        5 => {
            let ps = positions(&t, "<Name>");
            if let Some(&p) = ps.get(below(rng, ps.len())) {
                t.insert_str(p, "<FromTheFuture><Deep><Er>1</Er></Deep></FromTheFuture>");
            }
        }
        // A Zynk Object's value element removed or emptied.
        6 => {
            let ps = positions(&t, "<Value ");
            if let Some(&p) = ps.get(below(rng, ps.len()))
                && let Some(end) = t[p..].find("</Value>")
            {
                t.replace_range(p..p + end + 8, "<Value />");
            }
        }
        // A character or entity reference that does not exist.
        7 => {
            let at = t.find("<Name>").map_or(0, |p| p + 6);
            t.insert_str(
                at,
                ["&#xFFFFFFFF;", "&undefined;", "&#0;", "&amp"][below(rng, 4)],
            );
        }
        // A task list emptied.
        _ => {
            let ps = positions(&t, "<Tasks>");
            if let Some(&p) = ps.get(below(rng, ps.len()))
                && let Some(end) = t[p..].find("</Tasks>")
            {
                t.replace_range(p..p + end + 8, "<Tasks />");
            }
        }
    }
    t
}

/// A refusal must say where: an element path or the file's part that failed.
fn assert_located(e: &WkfError, seed: u64) {
    let text = e.to_string();
    let located = match e {
        WkfError::Xml { .. } => text.starts_with("XML error at "),
        WkfError::Format { path, .. } => !path.is_empty(),
        _ => false,
    };
    assert!(located, "seed {seed}: an error without its place: {text}");
}

#[test]
fn mutated_samples_import_or_are_refused_naming_where_never_a_panic() {
    let samples = samples();
    let budget = Duration::from_secs(
        std::env::var("WHARF_MUTATION_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3),
    );
    let started = Instant::now();
    let (mut imported, mut refused, mut runs) = (0, 0, 0u64);
    while runs < 300 || started.elapsed() < budget {
        let seed = 0x5EED_0000 + runs;
        let mut rng = Rng::with_seed(seed);
        let (name, text) = &samples[below(&mut rng, samples.len())];
        let mut text = mutate(text, &mut rng);
        for _ in 0..below(&mut rng, 3) {
            text = mutate(&text, &mut rng);
        }
        match import_text(&mut Converter::default(), &text, name) {
            Ok(one) => {
                imported += 1;
                // What was read is accounted for: converted and placeholders never exceed it.
                assert!(
                    one.report.converted + one.report.placeholders.len() <= one.report.tasks,
                    "seed {seed}"
                );
            }
            Err(e) => {
                refused += 1;
                assert_located(&e, seed);
            }
        }
        runs += 1;
    }
    assert!(
        imported > 0 && refused > 0,
        "{imported} imported, {refused} refused"
    );
}

/// `Container → Container → …` `depth` deep around one Delete File.
fn nested(depth: usize) -> String {
    let open =
        "<Task type=\"Zynk.Tasks.ContainerTask, Zynk.Tasks\"><ContainerTask><Name>C</Name><Tasks>";
    let close = "</Tasks></ContainerTask></Task>";
    format!(
        "<Workflow><Name>Deep</Name><Tasks>{}<Task type=\"Zynk.Filesystem.DeleteFile, Zynk.Filesystem\"><DeleteFile><Name>D</Name>\
         </DeleteFile></Task>{}</Tasks></Workflow>",
        open.repeat(depth),
        close.repeat(depth)
    )
}

#[test]
fn ten_thousand_nested_tasks_are_refused_with_the_path_and_wide_files_import() {
    let e = import_text(&mut Converter::default(), &nested(10_000), "deep.wkf").unwrap_err();
    assert_located(&e, 0);
    let text = e.to_string();
    assert!(
        text.contains("Workflow/Tasks/Task/ContainerTask") && text.contains("nest more than"),
        "{text}"
    );
    // Real workflows nest four deep; eighty is well inside the limit.
    let ok = import_text(&mut Converter::default(), &nested(80), "deep.wkf").unwrap();
    assert_eq!((ok.report.tasks, ok.report.converted), (81, 81));
    // Ten thousand tasks side by side: all read, ids unique.
    let task = "<Task type=\"Zynk.Unknown.Thing, X\"><Thing><Name>T</Name><Setting>1</Setting></Thing></Task>";
    let wide = format!(
        "<Workflow><Name>Wide</Name><Tasks>{}</Tasks></Workflow>",
        task.repeat(10_000)
    );
    let ok = import_text(&mut Converter::default(), &wide, "wide.wkf").unwrap();
    assert_eq!(
        (ok.report.tasks, ok.report.placeholders.len()),
        (10_000, 10_000)
    );
    assert!(ok.yaml.contains("id: t-10000\n"));
}

#[test]
fn every_sample_imports_as_it_is() {
    for (name, text) in samples() {
        let one = import_text(&mut Converter::default(), &text, &name)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(one.report.tasks > 0, "{name}");
    }
}
