//! `wharf import-wkf` on every sample Zynk workflow: each imports, loads as a Wharf workflow,
//! carries no secret, and its report is pinned; the fully converted ones pass `wharf validate`,
//! the others are refused naming every placeholder; the imported SFTP seed runs end to end.

use crate::sftp_to_sage::Seed;
use crate::support::{TestEnv, fixture, wharf_command};
use crate::website_to_sage::{PASSWORD, Shop};
use std::path::{Path, PathBuf};
use wharf_engine::Workflow;
use wharf_wkf::model::ZValue;
use wharf_wkf::xml::El;

/// Per file: task elements, converted, placeholders, values flagged for a look.
const EXPECTED: [(&str, usize, usize, usize, usize); 18] = [
    ("Amazon to Sage 50 Template Workflow.wkf", 13, 13, 0, 3),
    ("Autotask.wkf", 5, 5, 0, 1),
    ("BigCommerce to Sage50.wkf", 11, 11, 0, 0),
    ("CSV to Sage 50 Integration.wkf", 4, 4, 0, 0),
    ("Easy Webstore to Sage 50.wkf", 11, 6, 5, 1),
    ("Email Example.wkf", 4, 4, 0, 3),
    ("Excel to XML to Sage 50.wkf", 4, 4, 0, 0),
    ("Export Invoice as PDF from Sage 50.wkf", 3, 2, 1, 0),
    ("FTP to Sage 50 Integration.wkf", 10, 10, 0, 0),
    ("File Library.wkf", 12, 12, 0, 4),
    ("Magento to Sage 50 Workflow.wkf", 11, 11, 0, 0),
    ("ODBC Example.wkf", 5, 2, 3, 2),
    ("OLEDB Example.wkf", 5, 2, 3, 2),
    ("SFTP to Sage 50 Integration.wkf", 10, 10, 0, 0),
    ("SQL Server Example.wkf", 5, 2, 3, 2),
    ("SmartDebit to Sage 50.wkf", 6, 3, 3, 2),
    ("Website Script Based Sage 50 Integration.wkf", 11, 11, 0, 1),
    ("eBay to Sage 50 Template Workflow.wkf", 5, 3, 2, 0),
];

fn samples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wkf"))
        .collect();
    files.sort();
    files
}

/// Every secret value in a `.wkf`: non-empty values of password-like settings and the values
/// of encrypted variables. Found independently of the importer's own rules.
fn secrets_in(el: &El, out: &mut Vec<String>) {
    let name = el.name.to_ascii_lowercase();
    let encrypted = ["Encrypt", "Encrypted"]
        .iter()
        .any(|a| el.attr(a) == Some("True"));
    let secret_name = [
        "password",
        "passphrase",
        "connectionstring",
        "secret",
        "token",
    ]
    .iter()
    .any(|s| name.contains(s));
    if secret_name || encrypted {
        let value = ZValue::from_el(el)
            .or_else(|| el.child("ZynkObject").and_then(ZValue::from_el))
            .map(|v| v.text)
            .unwrap_or_else(|| el.text.trim().to_string());
        if value.len() >= 4 {
            out.push(value);
        }
    }
    for c in &el.children {
        secrets_in(c, out);
    }
}

fn import_all(out: &Path) -> wharf_wkf::report::BatchReport {
    let output = wharf_command(&out.join("data"))
        .args(["import-wkf", "--json", "-o"])
        .arg(out)
        .args(samples())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The JSON report is the library's; read it back through its own type's fields.
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let library = wharf_wkf::import_files(&samples(), &out.join("again"), false, None).unwrap();
    // A second import into the same folder keeps what is there, unless forced.
    let again = wharf_command(&out.join("data"))
        .args(["import-wkf", "-o"])
        .arg(out)
        .args(samples())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("connections.yaml") && stderr.contains("--force"),
        "{stderr}"
    );
    let forced = wharf_command(&out.join("data"))
        .args(["import-wkf", "--force", "-o"])
        .arg(out)
        .args(samples())
        .output()
        .unwrap();
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert_eq!(json["tasks"], library.tasks);
    assert_eq!(json["converted"], library.converted);
    assert_eq!(
        json["placeholders"].as_array().unwrap().len(),
        library.placeholders.len()
    );
    assert_eq!(
        json["placeholders"][0]["class"],
        library.placeholders[0].item.class
    );
    assert_eq!(
        json["flagged"].as_array().unwrap().len(),
        library.flagged.len()
    );
    library
}

#[test]
fn every_sample_imports_loads_and_keeps_no_secret() {
    let env = TestEnv::new();
    let out = env.dir.path().join("imported");
    let report = import_all(&out);

    assert_eq!(report.files.len(), 18, "the fixture set has 18 workflows");
    let got: Vec<(&str, usize, usize, usize, usize)> = report
        .files
        .iter()
        .map(|f| {
            (
                f.file.as_str(),
                f.tasks,
                f.converted,
                f.placeholders.len(),
                f.flagged.len(),
            )
        })
        .collect();
    assert_eq!(got, EXPECTED);
    // Overall coverage over the fixtures: 115 of 135 task elements.
    assert_eq!((report.tasks, report.converted), (135, 115));
    assert_eq!(report.coverage_percent, 85.2);
    assert_eq!(report.placeholders.len(), 20);
    assert_eq!(report.flagged.len(), 21);
    let class = |name: &str| {
        let c = &report.by_class[name];
        (c.converted, c.placeholders)
    };
    assert_eq!(class("Zynk.Tasks.ContainerTask"), (16, 0));
    assert_eq!(class("Zynk.Tasks.AutoMapperTask"), (9, 4));
    assert_eq!(class("Zynk.UserInterface.LogInfoMessage"), (6, 0));
    assert_eq!(class("Zynk.Ecommerce.Magento.DownloadOrders"), (1, 0));
    assert_eq!(class("Zynk.Ecommerce.Amazon.SubmitPriceFeed"), (1, 0));
    assert_eq!(class("Zynk.Connect.Sage50.ImportInvoices"), (3, 0));
    // One Send Email names no recipient or subject: a placeholder until they are filled in.
    assert_eq!(class("Zynk.Internet.Email.SendEmail"), (1, 1));
    assert_eq!(class("Zynk.Internet.Email.EmailExists"), (1, 0));
    assert_eq!(report.by_class.len(), 59, "classes seen in the samples");

    let mut secrets = Vec::new();
    for file in samples() {
        let text = std::fs::read_to_string(&file).unwrap();
        secrets_in(&wharf_wkf::xml::parse(&text).unwrap(), &mut secrets);
    }
    assert!(
        secrets.len() >= 5,
        "the samples hold secrets to look for: {}",
        secrets.len()
    );
    let mut written = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        written += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{} holds a secret from a .wkf",
                path.display()
            );
        }
        if path.extension().is_some_and(|e| e == "yaml") && !path.ends_with("connections.yaml") {
            let wf = Workflow::load(&path).unwrap_or_else(|e| panic!("{e}"));
            let mut count = 0;
            wf.walk(|_| count += 1);
            let report = report
                .files
                .iter()
                .find(|f| path.ends_with(&f.output))
                .unwrap();
            assert_eq!(
                count, report.tasks,
                "{}: every task element is kept",
                report.file
            );
        }
    }
    assert_eq!(
        written,
        18 + 1 + 2,
        "18 workflows, connections, 2 inline stylesheets"
    );
    let connections = std::fs::read_to_string(out.join("connections.yaml")).unwrap();
    assert!(
        connections.contains("env: WHARF_SFTP_PASSWORD"),
        "{connections}"
    );
}

#[test]
fn validate_passes_converted_workflows_and_names_every_placeholder() {
    let env = TestEnv::new();
    let out = env.dir.path().join("imported");
    let report = import_all(&out);
    // The connections file's SFTP entry points at a known_hosts file beside it.
    std::fs::write(out.join("known_hosts"), "").unwrap();
    for file in &report.files {
        let output = wharf_command(&env.data())
            .arg("--connections")
            .arg(out.join("connections.yaml"))
            .arg("validate")
            .arg(out.join(&file.output))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Every converted task's settings are ones its component takes (paths that climbed out
        // of the working directory were brought inside and flagged); placeholders are disabled:
        // warnings, each named.
        assert!(output.status.success(), "{}: {stderr}", file.file);
        for p in &file.placeholders {
            assert!(
                stderr.contains(&format!(
                    "a disabled placeholder: no component `{}`",
                    p.class
                )),
                "{}: {} not named in {stderr}",
                file.file,
                p.class
            );
        }
        assert_eq!(
            stderr.lines().count(),
            file.placeholders.len(),
            "{}: one warning per placeholder and nothing else: {stderr}",
            file.file
        );
    }
}

#[test]
fn validate_and_run_on_a_wkf_say_to_import_it() {
    let env = TestEnv::new();
    let wkf = fixture("workflows/SFTP to Sage 50 Integration.wkf");
    for command in ["validate", "run"] {
        let output = wharf_command(&env.data())
            .arg(command)
            .arg(&wkf)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        // The file name has spaces: the command it suggests quotes it.
        assert!(stderr.contains("wharf import-wkf '"), "{stderr}");
    }
}

/// The imported SFTP seed (seed 1) against a local OpenSSH server and ledger, with the orders
/// of the hand-written example's test: the good orders go into Sage and their files move to
/// /download/processed; the first bad file stops the run, as Break on Failure says in the
/// sample; once the bad files are gone a fresh run exports the stock to /upload and imports
/// nothing twice.
#[test]
fn imported_sftp_seed_runs_end_to_end() {
    let seed = Seed::new(3);
    let dir = seed.env.dir.path();
    let out = dir.join("imported");
    let output = wharf_command(&seed.env.data())
        .args(["import-wkf", "-o"])
        .arg(&out)
        .arg(fixture("workflows/SFTP to Sage 50 Integration.wkf"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("10 of 10 tasks converted"), "{report}");

    // The user fills in the imported connection `sftp` with the real server.
    let imported = std::fs::read_to_string(out.join("connections.yaml")).unwrap();
    assert!(imported.contains("sftp.example.invalid"), "{imported}");
    let connections = dir.join("imported-connections.yaml");
    std::fs::write(
        &connections,
        format!(
            "sftp:\n{}",
            seed.server
                .password_connection("sftp", dir, seed.server.port)
        ),
    )
    .unwrap();
    // The sample does not create customers: the orders' account exists in Sage.
    let customer = dir.join("customer.xml");
    std::fs::write(
        &customer,
        "<?xml version=\"1.0\"?><Company><Customers><Customer><AccountReference>INTE001</AccountReference>\
         <CompanyName>Internetware</CompanyName></Customer></Customers></Company>",
    )
    .unwrap();
    let load = wharf_command(&seed.env.data())
        .env("WHARF_SAGE_LEDGER", &seed.ledger)
        .args(["sage", "load"])
        .arg(&customer)
        .output()
        .unwrap();
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );

    let run = |fresh: bool| {
        let mut c = wharf_command(&seed.env.data());
        c.env("WHARF_SAGE_LEDGER", &seed.ledger)
            .env("WHARF_CONNECTIONS", &connections)
            .arg("run")
            .arg(out.join("sftp-to-sage-50-integration.yaml"));
        if fresh {
            c.arg("--fresh");
        }
        c.output().unwrap()
    };
    let first = run(false);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(first.status.code(), Some(1), "{stdout}");
    assert_eq!(seed.order_count(), 3, "{stdout}");
    assert_eq!(seed.server.names("/download/processed").len(), 3);
    assert!(
        seed.server
            .names("/download")
            .contains(&"order-bad-date.xml".to_string())
    );

    for bad in [
        "order-bad-date.xml",
        "order-bad-quantity.xml",
        "order-truncated.xml",
    ] {
        std::fs::remove_file(seed.server.path(&format!("/download/{bad}"))).unwrap();
    }
    let second = run(true);
    assert!(
        second.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&second.stdout),
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(seed.order_count(), 3, "nothing imported twice");
    let stock = std::fs::read_to_string(seed.server.path("/upload/products.xml")).unwrap();
    assert!(stock.contains("<Products"), "{stock}");
}

/// Pieces spliced into a sample to break it in the ways files break: cut tags, stray entities,
/// swapped types, unknown classes, values of the wrong kind, deep nesting.
const SPLICES: [&str; 12] = [
    "<",
    "</Task>",
    "&bogus;",
    "&#0;",
    "<Task type=\"Zynk.Unknown.Thing, X\"><Thing><Name>n</Name></Thing></Task>",
    "<Type>ListValue</Type>",
    "<Enabled>perhaps</Enabled>",
    "<Tasks>",
    "<Value><ArrayOfZynkObject><ZynkObject/></ArrayOfZynkObject></Value>",
    "\u{FEFF}",
    "<Task>",
    "<Workflow>",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 400, failure_persistence: None, ..Default::default() })]

    /// A damaged `.wkf` imports or is refused with an error; it never panics.
    #[test]
    fn damaged_samples_never_panic(
        sample in 0usize..18,
        edits in proptest::collection::vec((0usize..3, 0usize..200_000, 0usize..400, 0usize..12), 1..6),
    ) {
        let file = &samples()[sample];
        let mut text = std::fs::read_to_string(file).unwrap();
        for (kind, at, length, splice) in edits {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + length).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            match kind {
                0 => text.truncate(at),
                1 => text.replace_range(at..end, ""),
                _ => text.insert_str(at, SPLICES[splice]),
            }
        }
        let mut converter = wharf_wkf::convert::Converter::default();
        let _ = wharf_wkf::import_text(&mut converter, &text, "damaged.wkf");
    }
}

/// The website-script seed (seed 5) against the hand-written example's shop (500 orders, 5 bad,
/// scripts behind a password): the sample `.wkf` with its three URL variables naming the
/// shop's scripts, as its user would have them, imported; the user adds the shop's credentials
/// to the imported connection. The run ends in the hand-written example's end state: every good
/// order in the ledger once and posted back with its number, the bad ones unposted, the shop's
/// stock the ledger's.
#[test]
fn imported_website_seed_ends_as_the_hand_written_example() {
    let shop = Shop::new();
    let dir = shop.env.dir.path();
    let sample = std::fs::read_to_string(fixture(
        "workflows/Website Script Based Sage 50 Integration.wkf",
    ))
    .unwrap();
    let base = format!("http://127.0.0.1:{}", shop.server.port);
    let users = sample
        .replace(
            "http://websitename/pathtodownloadscript",
            &format!("{base}/download.php"),
        )
        .replace(
            "http://websitename/pathtonotifyscript",
            &format!("{base}/notify.php"),
        )
        .replace(
            "http://websitename/pathtouploadscript",
            &format!("{base}/upload.php"),
        );
    assert_ne!(users, sample);
    let wkf = dir.join("Website Script Based Sage 50 Integration.wkf");
    std::fs::write(&wkf, users).unwrap();
    let out = dir.join("imported");
    let import = wharf_command(&shop.env.data())
        .args(["import-wkf", "-o"])
        .arg(&out)
        .arg(&wkf)
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let report = String::from_utf8_lossy(&import.stdout);
    assert!(report.contains("11 of 11 tasks converted"), "{report}");

    let imported = std::fs::read_to_string(out.join("connections.yaml")).unwrap();
    let base_url = format!("    base-url: {base}/\n");
    assert!(imported.contains(&base_url), "{imported}");
    let connections = out.join("connections.yaml");
    std::fs::write(
        &connections,
        imported.replace(
            &base_url,
            &format!(
                "{base_url}    auth: {{ basic: {{ username: zynk, password: {{ env: SHOP_HTTP_PASSWORD }} }} }}\n"
            ),
        ),
    )
    .unwrap();

    let run = wharf_command(&shop.env.data())
        .env("WHARF_SAGE_LEDGER", &shop.ledger)
        .env("WHARF_CONNECTIONS", &connections)
        .env("SHOP_HTTP_PASSWORD", PASSWORD)
        .arg("run")
        .arg(out.join("website-script-based-sage-50-integration.yaml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("5 failed records"), "{stdout}");
    assert!(!stdout.contains(PASSWORD));
    shop.check_final();
}

/// A Zynk schedule (every 30 minutes, 07:00 to 19:00, from a start date) becomes the workflow's
/// `schedule:`, which validates, and with `--time-zone` the Terraform module's `workflows` entry.
#[test]
fn a_zynk_schedule_becomes_schedule_and_its_cloud_form() {
    let env = TestEnv::new();
    let dir = env.dir.path();
    let text = std::fs::read_to_string(fixture("workflows/File Library.wkf")).unwrap();
    let start = text.find("<Occurence>").unwrap();
    let end = text.find("</Minutes>").unwrap() + "</Minutes>".len();
    let scheduled = format!(
        "{}<Occurence>EveryXMinutes</Occurence><StartDate>2026-01-05T00:00:00</StartDate>\
         <StartTime>2026-01-05T07:00:00</StartTime><EndTime>2026-01-05T19:00:00</EndTime>\
         <Minutes>30</Minutes>{}",
        &text[..start],
        &text[end..]
    );
    let wkf = dir.join("Scheduled.wkf");
    std::fs::write(&wkf, scheduled).unwrap();
    let out = dir.join("imported");
    let output = wharf_command(&env.data())
        .args(["import-wkf", "--time-zone", "Europe/London", "-o"])
        .arg(&out)
        .arg(&wkf)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("schedules.json"), "{stdout}");
    let yaml = std::fs::read_to_string(out.join("scheduled.yaml")).unwrap();
    let written: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
    assert_eq!(
        written["schedule"],
        serde_json::json!({"every": "30m", "start-time": "07:00", "end-time": "19:00",
            "start-date": "2026-01-05", "time-zone": "Europe/London"})
    );
    let validate = wharf_command(&env.data())
        .arg("validate")
        .arg(out.join("scheduled.yaml"))
        .output()
        .unwrap();
    assert!(
        validate.status.success(),
        "{}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let cloud: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("schedules.json")).unwrap()).unwrap();
    let entry = &cloud["scheduled"];
    assert_eq!(
        entry["schedule_expression"], "cron(0/30 7-18 * * ? *)",
        "{cloud}"
    );
    assert_eq!(entry["timezone"], "Europe/London");
}
