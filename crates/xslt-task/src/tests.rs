use std::fs;
use std::path::{Path, PathBuf};

use wharf_guest::ResultCode;
use wharf_xslt::MappingTable;

use super::*;

/// A working directory with the given files and an environment over it.
struct Work {
    dir: tempfile::TempDir,
}

impl Work {
    fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = dir.path().join(name);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        Work { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn env<'a>(&self, mappings: &'a dyn Mappings) -> Env<'a> {
        Env {
            root: self.dir.path().to_path_buf(),
            mappings,
            stack_limit: 1 << 20,
            max_depth: MAX_TEMPLATE_DEPTH,
        }
    }

    fn job(&self, xsl: &str, params: &[(&str, &str)]) -> Job<'static> {
        Job {
            input: self.path("in.xml"),
            output: self.path("out/result.xml"),
            stylesheet: Source::File(self.path(xsl)),
            stylesheet_setting: "xslt-file",
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn output(&self) -> String {
        fs::read_to_string(self.path("out/result.xml")).unwrap()
    }
}

const HEAD: &str =
    r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform""#;

fn stylesheet(body: &str) -> String {
    format!("{HEAD}>\n<xsl:output method=\"text\"/>\n{body}\n</xsl:stylesheet>\n")
}

#[test]
fn parameters_are_name_value_pairs() {
    assert_eq!(
        parse_parameters(
            "parameters",
            " AccountReference = WEBSALES ;TaxCode=1;;\nEmpty=\n"
        )
        .unwrap(),
        vec![
            ("AccountReference".to_string(), "WEBSALES".to_string()),
            ("TaxCode".to_string(), "1".to_string()),
            ("Empty".to_string(), String::new()),
        ]
    );
    assert_eq!(
        parse_parameters("parameters", "{urn:x}a=b=c").unwrap(),
        vec![("{urn:x}a".to_string(), "b=c".to_string())]
    );
    assert!(parse_parameters("parameters", "").unwrap().is_empty());
    let e = parse_parameters("parameters", "a=1;oops").unwrap_err();
    assert_eq!(
        e.to_string(),
        "setting `parameters`: expected name=value, got `oops` (separate parameters with `;`)"
    );
    assert!(parse_parameters("parameters", "two words=1").is_err());
    assert!(parse_parameters("parameters", "=1").is_err());
}

#[test]
fn quoted_parameter_values_are_exact() {
    let parsed = parse_parameters(
        "parameters",
        "Sep=\";\"; Prefix = \"Web \" ;Say=\"a \"\"b\"\";c\"\nLast=x",
    )
    .unwrap();
    assert_eq!(
        parsed,
        vec![
            ("Sep".to_string(), ";".to_string()),
            ("Prefix".to_string(), "Web ".to_string()),
            ("Say".to_string(), "a \"b\";c".to_string()),
            ("Last".to_string(), "x".to_string()),
        ]
    );
    let e = parse_parameters("parameters", "a=\"open").unwrap_err();
    assert!(e.to_string().contains("no closing quote"), "{e}");
    let e = parse_parameters("parameters", "a=\"x\"y;b=1").unwrap_err();
    assert!(
        e.to_string()
            .contains("unexpected text after the quoted value of `a`: `y`"),
        "{e}"
    );
    // format_parameters is the inverse, whatever the values hold.
    let values = [
        ("a", " x;y "),
        ("b", "\"q\""),
        ("c", ""),
        ("d", "line\nbreak"),
    ];
    let text = format_parameters(values);
    let back = parse_parameters("parameters", &text).unwrap();
    let back: Vec<(&str, &str)> = back.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(back, values);
}

#[test]
fn text_paths_stay_in_the_working_directory() {
    let root = Path::new("/work");
    assert_eq!(
        workdir_path(root, "mapping", "maps/orders.xsl").unwrap(),
        Path::new("/work/maps/orders.xsl")
    );
    assert_eq!(
        workdir_path(root, "mapping", "/maps/../orders.xsl").unwrap(),
        Path::new("/work/orders.xsl")
    );
    assert_eq!(
        workdir_path(root, "mapping", "maps\\orders.xsl").unwrap(),
        Path::new("/work/maps/orders.xsl")
    );
    let e = workdir_path(root, "mapping", "../etc/passwd").unwrap_err();
    assert!(
        e.to_string().contains("outside the working directory"),
        "{e}"
    );
    assert!(workdir_path(root, "mapping", " ").is_err());
}

#[test]
fn transforms_with_parameters_and_mappings() {
    let xsl = stylesheet(
        r#"<xsl:param name="Account" select="'NONE'"/>
<xsl:template match="/" xmlns:map="urn:MappingFunctions">
  <xsl:value-of select="$Account"/>|<xsl:value-of select="map:MapTo('Country', order/country)"/>|<xsl:value-of select="map:MapFrom('Country', 'FR')"/>|<xsl:value-of select="map:MapTo('Country', 'Narnia')"/>
</xsl:template>"#,
    );
    let w = Work::new(&[
        ("map.xsl", &xsl),
        ("in.xml", "<order><country>United Kingdom</country></order>"),
    ]);
    let mut maps = MappingTable::default();
    maps.insert("Country", "United Kingdom", "GB");
    maps.insert("Country", "France", "FR");
    let r = run(&w.job("map.xsl", &[("Account", "WEBSALES")]), &w.env(&maps));
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(w.output(), "WEBSALES|GB|France|");
    assert!(
        r.message
            .contains("transformed `in.xml` with `map.xsl` into `out/result.xml` (19 bytes"),
        "{}",
        r.message
    );
    assert_eq!(r.outputs, vec![("bytes".to_string(), "19".to_string())]);
    // No temporary file is left beside the output.
    let names: Vec<String> = fs::read_dir(w.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["result.xml"]);
}

#[test]
fn message_terminate_fails_with_the_message_and_writes_nothing() {
    let xsl = stylesheet(
        r#"<xsl:template match="/">
  <xsl:message>checking <xsl:value-of select="count(//order)"/> orders</xsl:message>
  <xsl:if test="not(//order/id)"><xsl:message terminate="yes">order without an id</xsl:message></xsl:if>
  <xsl:text>ok</xsl:text>
</xsl:template>"#,
    );
    let w = Work::new(&[("t.xsl", &xsl), ("in.xml", "<orders><order/></orders>")]);
    let r = run(&w.job("t.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::Fail);
    assert_eq!(
        r.message,
        "the stylesheet stopped the transformation (xsl:message terminate=\"yes\"): order without an id"
    );
    assert!(!w.path("out/result.xml").exists());
    assert!(!w.path("out/.result.xml.wharf-partial").exists());
}

#[test]
fn static_errors_name_the_file_line_and_column() {
    let xsl = format!(
        "{HEAD}>\n<xsl:template match=\"/\">\n  <xsl:value-of select=\"1 +\"/>\n</xsl:template>\n</xsl:stylesheet>"
    );
    let w = Work::new(&[("maps/bad.xsl", &xsl), ("in.xml", "<a/>")]);
    let r = run(&w.job("maps/bad.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.starts_with("setting `xslt-file`: the stylesheet is not valid XSLT 1.0: maps/bad.xsl:3:3: xsl:value-of: invalid XPath"),
        "{}",
        r.message
    );
}

#[test]
fn malformed_stylesheets_and_inputs_name_the_setting() {
    let w = Work::new(&[
        (
            "bad.xsl",
            "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n<xsl:template match=\"/\">\n</xsl:stylesheet>",
        ),
        (
            "good.xsl",
            &stylesheet("<xsl:template match=\"/\">x</xsl:template>"),
        ),
        ("in.xml", "<a><b></a>"),
    ]);
    let r = run(&w.job("bad.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.starts_with("setting `xslt-file`:"),
        "{}",
        r.message
    );
    assert!(
        r.message.contains("bad.xsl") && r.message.contains("line 3"),
        "{}",
        r.message
    );
    let r = run(&w.job("good.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.starts_with("setting `input-file`: the input is not well-formed: XML parse error in in.xml at line 1"),
        "{}",
        r.message
    );
}

#[test]
fn dynamic_errors_name_the_template_and_xpath() {
    let xsl = stylesheet(
        r#"<xsl:template match="/"><xsl:apply-templates select="order"/></xsl:template>
<xsl:template match="order"><xsl:value-of select="unknown:f(.)" xmlns:unknown="urn:nothing"/></xsl:template>"#,
    );
    let w = Work::new(&[("t.xsl", &xsl), ("in.xml", "<order/>")]);
    let r = run(&w.job("t.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.contains("template match=\"order\"")
            && r.message.contains("evaluating \"unknown:f(.)\""),
        "{}",
        r.message
    );
}

#[test]
fn missing_files_are_not_found() {
    let w = Work::new(&[("t.xsl", &stylesheet("<xsl:template match=\"/\"/>"))]);
    let r = run(&w.job("t.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::NotFound);
    assert!(
        r.message.starts_with("setting `input-file`: input file"),
        "{}",
        r.message
    );
    let r = run(&w.job("nothing.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::NotFound);
    assert!(
        r.message.starts_with("setting `xslt-file`: stylesheet"),
        "{}",
        r.message
    );
}

#[test]
fn documents_and_file_checks_stay_inside_the_working_directory() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.xml"), "<secret>hidden</secret>").unwrap();
    let secret = outside.path().join("secret.xml");
    let xsl = stylesheet(&format!(
        r#"<xsl:template match="/" xmlns:file="urn:FileFunctions">
  <xsl:value-of select="document('lookup.xml')/l/v"/>|<xsl:value-of select="document('{0}')/secret"/>|<xsl:value-of select="document('../{1}')/secret"/>|<xsl:value-of select="file:FileExists('lookup.xml')"/>|<xsl:value-of select="file:FileExists('{0}')"/>
</xsl:template>"#,
        secret.display(),
        secret.file_name().unwrap().to_string_lossy()
    ));
    let w = Work::new(&[
        ("t.xsl", &xsl),
        ("in.xml", "<a/>"),
        ("lookup.xml", "<l><v>inside</v></l>"),
    ]);
    let r = run(&w.job("t.xsl", &[]), &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(w.output(), "inside|||true|false");
}

#[test]
fn unknown_parameters_are_ignored() {
    let w = Work::new(&[
        (
            "t.xsl",
            &stylesheet(
                "<xsl:param name=\"a\"/><xsl:template match=\"/\"><xsl:value-of select=\"$a\"/></xsl:template>",
            ),
        ),
        ("in.xml", "<a/>"),
    ]);
    let r = run(
        &w.job("t.xsl", &[("a", "1"), ("typo", "2")]),
        &w.env(&HostMappings),
    );
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(w.output(), "1");
}

#[test]
fn builtin_sources_are_named_in_errors() {
    let w = Work::new(&[("in.xml", "<a/>")]);
    let job = Job {
        input: w.path("in.xml"),
        output: w.path("out.xml"),
        stylesheet: Source::Builtin {
            name: "broken-builtin",
            text: "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n<xsl:bogus/>\n</xsl:stylesheet>",
        },
        stylesheet_setting: "mapping",
        params: vec![],
    };
    let r = run(&job, &w.env(&HostMappings));
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.contains("setting `mapping`") && r.message.contains("broken-builtin.xsl:2:"),
        "{}",
        r.message
    );
}

/// A template calling itself once per level, `depth` levels deep.
fn recursion_stylesheet() -> String {
    stylesheet(
        r#"<xsl:param name="depth" select="3000"/>
<xsl:template match="/"><xsl:call-template name="down"><xsl:with-param name="n" select="$depth"/></xsl:call-template></xsl:template>
<xsl:template name="down"><xsl:param name="n"/><xsl:choose><xsl:when test="$n &gt; 0"><xsl:call-template name="down"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:when><xsl:otherwise>bottom</xsl:otherwise></xsl:choose></xsl:template>"#,
    )
}

#[test]
fn deep_recursion_works_and_runaway_recursion_is_an_error() {
    // Native debug frames are far bigger than the component's; give the thread room and the
    // transformation a budget inside it.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let w = Work::new(&[("r.xsl", &recursion_stylesheet()), ("in.xml", "<a/>")]);
            let mut env = w.env(&HostMappings);
            env.stack_limit = 200 << 20;
            let r = run(&w.job("r.xsl", &[]), &env);
            assert_eq!(r.code, ResultCode::Success, "{}", r.message);
            assert_eq!(w.output(), "bottom");

            let r = run(&w.job("r.xsl", &[("depth", "1e9")]), &env);
            assert_eq!(r.code, ResultCode::Fail);
            assert!(
                r.message.contains("recursion too deep") || r.message.contains("deeper than"),
                "{}",
                r.message
            );
            assert!(
                r.message.contains("template name=\"down\""),
                "{}",
                r.message
            );
        })
        .unwrap()
        .join()
        .unwrap();
}
