//! `wharf new component NAME --lang rust|python|js [--kind task|repeater|condition]`: writes a
//! complete component project from the templates in `templates/`, which are compiled into the
//! binary so it works outside this repository (docs/components.md).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum NewCommand {
    /// Write a component project: a Zynk XML orders → carrier CSV mapping to start from, its
    /// unit tests, the build set-up and the WIT contract.
    Component(ComponentArgs),
}

#[derive(clap::Args)]
pub struct ComponentArgs {
    /// The component's task name, kebab-case (`orders-to-dpd`): what workflows write after
    /// `task:` and the name of the .wasm it builds.
    pub name: String,
    /// The language to write it in.
    #[arg(long, value_enum)]
    pub lang: Lang,
    /// What kind of task: a plain task, a repeater (runs its children per item) or a condition.
    #[arg(long, value_enum, default_value_t = Kind::Task)]
    pub kind: Kind,
    /// The folder to write the project into (default: ./NAME). It must not exist or be empty.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// With --lang rust: the Wharf SDK crate (`sdk/rust` of the Wharf repository) the project
    /// depends on. Default: the SDK beside the sources this wharf was built from.
    #[arg(long)]
    pub sdk: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Python,
    Js,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Kind {
    Task,
    Repeater,
    Condition,
}

impl Kind {
    /// The WIT world a component of this kind is built for.
    fn world(self) -> &'static str {
        match self {
            Kind::Task => "plain-task",
            Kind::Repeater => "repeater-task",
            Kind::Condition => "condition-task",
        }
    }
}

/// One file of a template: its path in the project and its content.
type File = (&'static str, &'static str);

/// Embeds files of `templates/<dir>/` under their path in the project.
macro_rules! template_files {
    ($dir:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../templates/", $dir, "/", $path)))),*]
    };
}

/// The Wharf contract (`wit/`), written into every project where its language expects it
/// (tests/all/templates.rs fails when a file of `wit/` is missing here).
const CONTRACT: &[File] = &[
    ("types.wit", include_str!("../../wit/types.wit")),
    ("archive.wit", include_str!("../../wit/archive.wit")),
    ("sage.wit", include_str!("../../wit/sage.wit")),
    ("sftp.wit", include_str!("../../wit/sftp.wit")),
    ("http.wit", include_str!("../../wit/http.wit")),
    ("email.wit", include_str!("../../wit/email.wit")),
    ("ftp.wit", include_str!("../../wit/ftp.wit")),
    ("template.wit", include_str!("../../wit/template.wit")),
];

/// A template: its files (the contract aside), where the contract goes, and per kind the file
/// that holds the component's entry points.
struct Template {
    files: &'static [File],
    contract_dir: Option<&'static str>,
    entry_file: &'static str,
    repeater: &'static str,
    condition: &'static str,
}

const PYTHON: Template = Template {
    files: template_files!("task-python":
        ".gitignore", "Makefile", "README.md", "app.py", "carrier_mapping.py",
        "requirements.txt", "test_carrier_mapping.py",
        "workflow-tests/carrier-csv/case.yaml", "workflow-tests/carrier-csv/workflow.yaml",
        "workflow-tests/carrier-csv/work/orders.xml",
    ),
    contract_dir: Some("wit"),
    entry_file: "app.py",
    repeater: include_str!("../../templates/kinds/python/repeater.py"),
    condition: include_str!("../../templates/kinds/python/condition.py"),
};

const JS: Template = Template {
    files: template_files!("task-js":
        ".gitignore", "README.md", "package.json", "package-lock.json", "rolldown.config.js",
        "src/carrier-mapping.js", "src/component.js", "src/files.js",
        "test/carrier-mapping.test.js",
        "workflow-tests/carrier-csv/case.yaml", "workflow-tests/carrier-csv/workflow.yaml",
        "workflow-tests/carrier-csv/work/orders.xml",
        "wit/world.wit", "wit/deps/wasi-clocks.wit", "wit/deps/wasi-filesystem.wit",
        "wit/deps/wasi-io.wit",
    ),
    contract_dir: Some("wit/deps/wharf-task"),
    entry_file: "src/component.js",
    repeater: include_str!("../../templates/kinds/js/repeater.js"),
    condition: include_str!("../../templates/kinds/js/condition.js"),
};

const RUST: Template = Template {
    files: template_files!("task-rust":
        ".gitignore", "Cargo.toml", "Cargo.lock", "README.md", "src/lib.rs", "src/mapping.rs",
        "workflow-tests/carrier-csv/case.yaml", "workflow-tests/carrier-csv/workflow.yaml",
        "workflow-tests/carrier-csv/work/orders.xml",
    ),
    // The SDK carries the contract (its own wit/).
    contract_dir: None,
    entry_file: "src/lib.rs",
    repeater: include_str!("../../templates/kinds/rust/repeater.rs"),
    condition: include_str!("../../templates/kinds/rust/condition.rs"),
};

/// The SDK dependency as the Rust template names it inside this repository; `wharf new` points
/// it at `--sdk` or at the SDK this binary was built beside.
const TEMPLATE_SDK_PATH: &str = "../../sdk/rust";

/// The folder of a template's `wharf test` case.
const WORKFLOW_TESTS: &str = "workflow-tests/";

/// The name the templates are written with; `wharf new` puts the component's name in its place
/// (and `carrier_csv`, `CarrierCsv` where an identifier cannot hold a dash).
const TEMPLATE_NAME: &str = "carrier-csv";

fn template(lang: Lang) -> &'static Template {
    match lang {
        Lang::Python => &PYTHON,
        Lang::Js => &JS,
        Lang::Rust => &RUST,
    }
}

/// Refuses a name that is not a valid task name (and WIT identifier): lowercase words of
/// letters and digits, each starting with a letter, joined by single dashes.
fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.split('-').all(|word| {
            word.starts_with(|c: char| c.is_ascii_lowercase())
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !valid {
        bail!(
            "component name `{name}`: use lowercase words of letters and digits joined by dashes, each word starting with a letter (e.g. `orders-to-dpd`)"
        );
    }
    Ok(())
}

/// The project's files for `name`, `kind` and `lang`: path in the project → content.
/// `sdk` is where a Rust project finds the SDK crate.
pub fn project_files(
    name: &str,
    lang: Lang,
    kind: Kind,
    sdk: &Path,
) -> Result<Vec<(String, String)>> {
    check_name(name)?;
    let template = template(lang);
    let snake = name.replace('-', "_");
    let sdk_path = format!(
        "path = \"{}\"",
        sdk.display()
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    );
    let personalise = |text: &str| {
        let text = text
            .replace(TEMPLATE_NAME, name)
            .replace(&TEMPLATE_NAME.replace('-', "_"), &snake)
            .replace(&pascal_case(TEMPLATE_NAME), &pascal_case(name))
            .replace(&format!("path = \"{TEMPLATE_SDK_PATH}\""), &sdk_path);
        match kind {
            Kind::Task => text,
            other => text.replace(Kind::Task.world(), other.world()),
        }
    };
    let mut files: Vec<(String, String)> = template
        .files
        .iter()
        // The workflow test case checks the plain task's CSV.
        .filter(|(path, _)| kind == Kind::Task || !path.starts_with(WORKFLOW_TESTS))
        .map(|(path, content)| {
            let content = match kind {
                Kind::Repeater if *path == template.entry_file => template.repeater,
                Kind::Condition if *path == template.entry_file => template.condition,
                _ => content,
            };
            (path.to_string(), personalise(content))
        })
        .collect();
    if let Some(dir) = template.contract_dir {
        files.extend(
            CONTRACT
                .iter()
                .map(|(file, content)| (format!("{dir}/{file}"), content.to_string())),
        );
    }
    Ok(files)
}

/// `orders-to-dpd` → `OrdersToDpd`, for Rust type names.
fn pascal_case(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The SDK crate a Rust project depends on: `given`, else the one beside the sources this
/// binary was built from. Made absolute, so the project builds wherever it is moved.
fn sdk_dir(given: Option<&Path>) -> Result<PathBuf> {
    let dir = match given {
        Some(dir) => dir.to_path_buf(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("sdk/rust"),
    };
    if !dir.join("Cargo.toml").is_file() {
        bail!(
            "--sdk {}: no Cargo.toml there; give the Wharf SDK crate (sdk/rust in the Wharf repository)",
            dir.display()
        );
    }
    dir.canonicalize()
        .with_context(|| format!("--sdk {}", dir.display()))
}

/// Writes the project into `dir`, which must not exist or be empty.
pub fn write_project(dir: &Path, files: &[(String, String)]) -> Result<()> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        bail!(
            "{} is not empty: give a new folder with -o, or remove it first",
            dir.display()
        );
    }
    for (path, content) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, content)
            .with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

pub fn run(command: &NewCommand) -> Result<ExitCode> {
    let NewCommand::Component(args) = command;
    let sdk = match args.lang {
        Lang::Rust => sdk_dir(args.sdk.as_deref())?,
        Lang::Python | Lang::Js => PathBuf::new(),
    };
    let files = project_files(&args.name, args.lang, args.kind, &sdk)?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    write_project(&dir, &files)?;
    let shown = dir.display();
    let next = match args.lang {
        Lang::Python => format!(
            "cd {shown} && make test && make    # builds {}.wasm (installs componentize-py into .venv once)",
            args.name
        ),
        Lang::Js => format!(
            "cd {shown} && npm ci && npm test && npm run build    # builds {}.wasm",
            args.name
        ),
        Lang::Rust => {
            format!(
                "cd {shown} && cargo test && cargo build --release --target wasm32-wasip2 && cp target/wasm32-wasip2/release/{}.wasm {}.wasm",
                args.name.replace('-', "_"),
                args.name
            )
        }
    };
    let lang = match args.lang {
        Lang::Rust => "Rust",
        Lang::Python => "Python",
        Lang::Js => "JavaScript",
    };
    println!(
        "wrote {shown}: `{name}`, a {lang} component for the `{world}` world ({count} files). Next:\n  {next}\nthen use it in a workflow as `task: {shown}/{name}.wasm` (see its README.md).",
        name = args.name,
        world = args.kind.world(),
        count = files.len(),
    );
    Ok(ExitCode::SUCCESS)
}
