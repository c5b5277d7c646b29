//! API-level tests: Zynk extension functions, msxsl, error reporting, limits.
//! (Features xsltproc cannot check; the differential suite covers the rest.)

use wharf_xslt::{
    Context, FsResolver, MappingTable, MessageSink, NoResolver, OutputMethod, Resolver, Stylesheet,
    XsltError,
};

const XSL: &str = "http://www.w3.org/1999/XSL/Transform";

fn sheet(body: &str, ns: &str) -> String {
    format!(
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}" {ns}><xsl:output method="text"/>{body}</xsl:stylesheet>"#
    )
}

fn run(body: &str, ns: &str, input: &str) -> Result<String, XsltError> {
    let ss = Stylesheet::compile(sheet(body, ns), "test.xsl", &NoResolver)?;
    let mut maps = MappingTable::default();
    maps.insert("Country", "United Kingdom", "GB");
    maps.insert("Country", "Great Britain", "GB");
    maps.insert("Country", "France", "FR");
    let mut ctx = Context::default().with_mappings(&maps);
    let out = ss.transform(input, &[], &mut ctx)?;
    Ok(String::from_utf8(out.bytes).unwrap())
}

#[test]
fn map_to_and_map_from() {
    let r = run(
        r#"<xsl:template match="/">[<xsl:value-of select="map:MapTo('Country', /r/c)"/>][<xsl:value-of select="map:MapFrom('Country', 'GB')"/>][<xsl:value-of select="map:MapTo('Country', 'Spain')"/>][<xsl:value-of select="map:MapTo('Nope', 'France')"/>][<xsl:value-of select="map:MapTo('Country', 'france')"/>]</xsl:template>"#,
        r#"xmlns:map="urn:MappingFunctions""#,
        "<r><c>France</c></r>",
    )
    .unwrap();
    // First match wins, no match / unknown mapping -> empty, exact case-sensitive compare.
    assert_eq!(r, "[FR][United Kingdom][][][]");
}

#[test]
fn map_functions_without_mappings_are_empty() {
    let ss = Stylesheet::compile(
        sheet(
            r#"<xsl:template match="/">[<xsl:value-of select="m:MapTo('a','b')"/>]</xsl:template>"#,
            r#"xmlns:m="urn:MappingFunctions""#,
        ),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let out = ss.transform("<a/>", &[], &mut Context::default()).unwrap();
    assert_eq!(out.bytes, b"[]");
}

#[test]
fn date_functions() {
    let r = run(
        r#"<xsl:template match="/"><xsl:value-of select="d:DateFormat('2013-04-29 13:11:04')"/>|<xsl:value-of select="d:DateFormat('2013-04-29 13:11:04', 'dd/MM/yyyy HH:mm')"/>|<xsl:value-of select="d:DateFormat('Fri, 09 Aug 2013 13:18:20 +0000', 'yyyy-MM-dd')"/>|<xsl:value-of select="d:AddDays('2013-12-31', 1)"/>|<xsl:value-of select="d:AddDays('2013-12-31T10:00:00', -31, 'd MMM yyyy')"/>|<xsl:value-of select="d:AddMonths('2012-01-31', 1)"/>|<xsl:value-of select="d:AddYears('2012-02-29', 1, 'yyyy-MM-dd')"/>|<xsl:value-of select="d:DateFormat('31/12/2012 23:59', 'dddd d MMMM yyyy h:mm tt')"/></xsl:template>"#,
        r#"xmlns:d="urn:DateFunctions""#,
        "<a/>",
    )
    .unwrap();
    assert_eq!(
        r,
        "2013-04-29T13:11:04|29/04/2013 13:11|2013-08-09|2014-01-01T00:00:00|30 Nov 2013|2012-02-29T00:00:00|2013-02-28|Monday 31 December 2012 11:59 PM"
    );
}

#[test]
fn date_function_bad_input_is_an_error() {
    let e = run(
        r#"<xsl:template match="/"><xsl:value-of select="d:DateFormat('yesterday')"/></xsl:template>"#,
        r#"xmlns:d="urn:DateFunctions""#,
        "<a/>",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("DateFormat(): cannot read 'yesterday' as a date"),
        "{e}"
    );
    assert!(e.contains("template match=\"/\""), "{e}");
}

#[test]
fn node_functions_select() {
    let r = run(
        r#"<xsl:param name="path" select="'line[@qty &gt; 1]/@sku'"/><xsl:template match="/"><xsl:for-each select="n:Select(/o, $path)"><xsl:value-of select="."/>,</xsl:for-each>|<xsl:value-of select="n:Select(/o, 'count(line)')"/>|<xsl:value-of select="count(n:Select(/nothing, 'line'))"/></xsl:template>"#,
        r#"xmlns:n="urn:NodeFunctions""#,
        r#"<o><line sku="a" qty="2"/><line sku="b" qty="1"/><line sku="c" qty="5"/></o>"#,
    )
    .unwrap();
    assert_eq!(r, "a,c,|3|0");
}

#[test]
fn node_functions_select_bad_xpath() {
    let e = run(
        r#"<xsl:template match="/"><xsl:value-of select="n:Select(/o, 'line[')"/></xsl:template>"#,
        r#"xmlns:n="urn:NodeFunctions""#,
        "<o/>",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("Select(): invalid XPath \"line[\""), "{e}");
}

struct MemResolver(Vec<(&'static str, &'static str)>);
impl Resolver for MemResolver {
    fn load(&self, uri: &str) -> Result<Vec<u8>, String> {
        self.0
            .iter()
            .find(|(u, _)| *u == uri)
            .map(|(_, c)| c.as_bytes().to_vec())
            .ok_or_else(|| format!("{uri}: not found"))
    }
}

#[test]
fn file_functions_use_the_resolver() {
    let res = MemResolver(vec![
        ("dir/good.xml", "<ok/>"),
        ("dir/bad.xml", "<unclosed>"),
    ]);
    let ss = Stylesheet::compile(
        sheet(
            r#"<xsl:template match="/"><xsl:value-of select="f:FileExists('good.xml')"/>,<xsl:value-of select="f:FileExists('missing.xml')"/>,<xsl:value-of select="f:ValidXml('good.xml')"/>,<xsl:value-of select="f:ValidXml('bad.xml')"/>,<xsl:value-of select="f:ValidXml('missing.xml')"/></xsl:template>"#,
            r#"xmlns:f="urn:FileFunctions""#,
        ),
        "dir/main.xsl",
        &NoResolver,
    )
    .unwrap();
    let mut ctx = Context::default().with_resolver(&res);
    let out = ss.transform("<a/>", &[], &mut ctx).unwrap();
    assert_eq!(
        String::from_utf8(out.bytes).unwrap(),
        "true,false,true,false,false"
    );
}

#[test]
fn msxsl_node_set() {
    let r = run(
        r#"<xsl:variable name="v"><a>1</a><a>2</a></xsl:variable><xsl:template match="/"><xsl:value-of select="count(msxsl:node-set($v)/a)"/>|<xsl:value-of select="sum(msxsl:node-set($v)/a)"/>|<xsl:value-of select="function-available('msxsl:node-set')"/></xsl:template>"#,
        r#"xmlns:msxsl="urn:schemas-microsoft-com:xslt""#,
        "<x/>",
    )
    .unwrap();
    assert_eq!(r, "2|3|true");
}

#[test]
fn msxsl_script_functions_give_a_clear_error_only_when_called() {
    let body = r#"<msxsl:script language="C#" implements-prefix="user">public int Twice(int x) { return 2 * x; }</msxsl:script>
<xsl:template match="/">ok<xsl:if test="/go"><xsl:value-of select="user:Twice(2)"/></xsl:if></xsl:template>"#;
    let ns = r#"xmlns:msxsl="urn:schemas-microsoft-com:xslt" xmlns:user="urn:my-scripts""#;
    assert_eq!(run(body, ns, "<stay/>").unwrap(), "ok");
    let e = run(body, ns, "<go/>").unwrap_err().to_string();
    assert!(e.contains("msxsl:script"), "{e}");
    assert!(e.contains("Twice()"), "{e}");
    assert!(e.contains("user:Twice(2)"), "{e}");
}

#[test]
fn smartdebit_sample_with_script_fails_clearly() {
    // The real SmartDebit workflow stylesheet calls C# from msxsl:script.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/real-smartdebit-report.xml"
    );
    let input = std::fs::read(path).unwrap();
    let xsl = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:ms="urn:schemas-microsoft-com:xslt" xmlns:zynk="http://www.zynk.com">
  <ms:script language="C#" implements-prefix="zynk">public int CountNodes(XPathNodeIterator c, string x) { return 0; }</ms:script>
  <xsl:variable name="SuccessCount" select="zynk:CountNodes(., '/Company/Transactions/Transaction')"/>
  <xsl:template match="/Company"><html><body><xsl:value-of select="$SuccessCount"/></body></html></xsl:template>
</xsl:stylesheet>"#;
    let ss = Stylesheet::compile(xsl, "SmartDebit.xslt", &NoResolver).unwrap();
    let e = ss
        .transform(&input, &[], &mut Context::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("global variable $SuccessCount"), "{e}");
    assert!(e.contains("msxsl:script"), "{e}");
}

#[test]
fn static_error_names_file_line_column_and_instruction() {
    let xsl = format!(
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"{XSL}\">\n<xsl:template match=\"/\">\n  <xsl:value-of select=\"1 +\"/>\n</xsl:template>\n</xsl:stylesheet>"
    );
    let e = Stylesheet::compile(xsl, "orders.xsl", &NoResolver).unwrap_err();
    match &e {
        XsltError::Static {
            file,
            line,
            column,
            instruction,
            message,
        } => {
            assert_eq!(file, "orders.xsl");
            assert_eq!(*line, 3);
            assert_eq!(*column, 3);
            assert_eq!(instruction, "xsl:value-of");
            assert!(message.contains("1 +"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        e.to_string().starts_with("orders.xsl:3:3: xsl:value-of:"),
        "{e}"
    );
}

#[test]
fn xml_error_in_stylesheet_has_position() {
    let e = Stylesheet::compile("<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n<a></b>\n</xsl:stylesheet>", "bad.xsl", &NoResolver).unwrap_err();
    match e {
        XsltError::Xml { uri, line, .. } => {
            assert_eq!(uri, "bad.xsl");
            assert_eq!(line, 2);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn dynamic_error_names_template_and_xpath() {
    let e = run(
        r#"<xsl:template match="/"><xsl:apply-templates select="*"/></xsl:template><xsl:template match="order"><xsl:value-of select="$missing + 1"/></xsl:template>"#,
        "",
        "<order/>",
    )
    .unwrap_err();
    match &e {
        XsltError::Dynamic {
            template,
            xpath,
            location,
            message,
        } => {
            assert_eq!(template, "template match=\"order\"");
            assert_eq!(xpath.as_deref(), Some("$missing + 1"));
            assert!(
                location.as_deref().unwrap_or("").starts_with("test.xsl:1:"),
                "{location:?}"
            );
            assert!(message.contains("undefined variable $missing"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn terminate_message_is_an_error_carrying_the_text() {
    let e = run(
        r#"<xsl:template match="/"><xsl:message terminate="yes">Order <xsl:value-of select="/o/@id"/> has no lines</xsl:message></xsl:template>"#,
        "",
        r#"<o id="42"/>"#,
    )
    .unwrap_err();
    assert_eq!(
        e,
        XsltError::Terminated {
            message: "Order 42 has no lines".into()
        }
    );
}

struct Collect(Vec<String>);
impl MessageSink for Collect {
    fn message(&mut self, text: &str) {
        self.0.push(text.to_string());
    }
}

#[test]
fn messages_go_to_the_sink() {
    let ss = Stylesheet::compile(
        sheet(r#"<xsl:template match="/"><xsl:message>one</xsl:message><xsl:message terminate="no">two</xsl:message>done</xsl:template>"#, ""),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let mut sink = Collect(Vec::new());
    let mut ctx = Context {
        message_sink: Some(&mut sink),
        ..Default::default()
    };
    let out = ss.transform("<a/>", &[], &mut ctx).unwrap();
    assert_eq!(out.bytes, b"done");
    drop(ctx);
    assert_eq!(sink.0, vec!["one".to_string(), "two".to_string()]);
}

#[test]
fn infinite_recursion_is_an_error_not_a_crash() {
    let e = run(
        r#"<xsl:template match="/"><xsl:call-template name="r"/></xsl:template><xsl:template name="r"><xsl:call-template name="r"/></xsl:template>"#,
        "",
        "<a/>",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("recursion too deep") || e.contains("deeper than"),
        "{e}"
    );
}

#[test]
fn depth_limit_is_configurable() {
    let ss = Stylesheet::compile(
        sheet(r#"<xsl:template match="/"><xsl:call-template name="r"><xsl:with-param name="n" select="50"/></xsl:call-template></xsl:template><xsl:template name="r"><xsl:param name="n"/><xsl:if test="$n &gt; 0"><xsl:call-template name="r"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:if></xsl:template>"#, ""),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let mut ctx = Context {
        max_depth: 20,
        ..Context::default()
    };
    let e = ss.transform("<a/>", &[], &mut ctx).unwrap_err().to_string();
    assert!(e.contains("deeper than 20"), "{e}");
    let mut ctx = Context::default();
    assert!(ss.transform("<a/>", &[], &mut ctx).is_ok());
}

#[test]
fn overly_nested_expressions_are_static_errors() {
    let compile = |select: &str| {
        Stylesheet::compile(
            sheet(
                &format!(
                    r#"<xsl:template match="/"><xsl:value-of select="{select}"/></xsl:template>"#
                ),
                "",
            ),
            "deep.xsl",
            &NoResolver,
        )
    };
    let nested = |n: usize| format!("{}1{}", "(".repeat(n), ")".repeat(n));
    assert!(compile(&nested(90)).is_ok());
    let e = compile(&nested(5000)).unwrap_err().to_string();
    assert!(
        e.starts_with("deep.xsl:1:") && e.contains("expression too deeply nested"),
        "{e}"
    );
    assert!(e.len() < 600, "the expression is cut in the message: {e}");
    let chain = |n: usize| vec!["1"; n].join(" + ");
    assert!(compile(&chain(900)).is_ok());
    let e = compile(&chain(100_000)).unwrap_err().to_string();
    assert!(e.contains("more than 1000 levels"), "{e}");
    let e = compile(&format!("{}1{}", "f(".repeat(300), ")".repeat(300)))
        .unwrap_err()
        .to_string();
    assert!(e.contains("too deeply nested"), "{e}");
    // A run of minus signs folds instead of nesting.
    let ss = compile(&format!("{}3", "-".repeat(100_001))).unwrap();
    assert_eq!(
        ss.transform("<a/>", &[], &mut Context::default())
            .unwrap()
            .bytes,
        b"-3"
    );
}

#[test]
fn overly_deep_documents_are_xml_errors() {
    let deep = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    let ss = Stylesheet::compile(
        sheet(
            r#"<xsl:template match="/"><xsl:value-of select="count(//a)"/></xsl:template>"#,
            "",
        ),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    assert_eq!(
        ss.transform(deep(257), &[], &mut Context::default())
            .unwrap()
            .bytes,
        b"257"
    );
    let e = ss
        .transform(deep(100_000), &[], &mut Context::default())
        .unwrap_err();
    assert!(
        matches!(&e, XsltError::Xml { column: 772, .. })
            && e.to_string().contains("excessive depth in document"),
        "{e}"
    );
    let e = Stylesheet::compile(
        sheet(
            &format!("<xsl:template match=\"/\">{}</xsl:template>", deep(300)),
            "",
        ),
        "t.xsl",
        &NoResolver,
    )
    .unwrap_err();
    assert!(e.to_string().contains("excessive depth"), "{e}");
}

#[test]
fn deep_result_trees_are_serialised() {
    // Template recursion may build a result far deeper than any parsed document.
    let ss = Stylesheet::compile(
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="/"><xsl:call-template name="nest"><xsl:with-param name="n" select="2000"/></xsl:call-template></xsl:template>
<xsl:template name="nest"><xsl:param name="n"/><xsl:if test="$n &gt; 0"><e><xsl:call-template name="nest"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></e></xsl:if></xsl:template>
</xsl:stylesheet>"#,
        "nest.xsl",
        &NoResolver,
    )
    .unwrap();
    let out = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut ctx = Context {
                stack_limit: 200 << 20,
                ..Context::default()
            };
            ss.transform("<a/>", &[], &mut ctx).unwrap()
        })
        .unwrap()
        .join()
        .unwrap();
    let text = String::from_utf8(out.bytes).unwrap();
    assert_eq!(text.matches("<e>").count(), 1999);
    assert!(text.contains("<e/>"));
}

#[test]
fn params_by_name_and_clark_name() {
    let ss = Stylesheet::compile(
        format!(r#"<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}" xmlns:p="urn:p"><xsl:output method="text"/><xsl:param name="a" select="'A'"/><xsl:param name="p:b" select="'B'"/><xsl:template match="/"><xsl:value-of select="concat($a, $p:b)"/></xsl:template></xsl:stylesheet>"#),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    assert_eq!(ss.parameters(), vec!["a".to_string(), "p:b".to_string()]);
    let out = ss
        .transform(
            "<x/>",
            &[("a", "1"), ("{urn:p}b", "2")],
            &mut Context::default(),
        )
        .unwrap();
    assert_eq!(out.bytes, b"12");
}

#[test]
fn streaming_variant_and_output_info() {
    let ss = Stylesheet::compile(
        format!(r#"<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}"><xsl:output encoding="ISO-8859-1" media-type="application/xml"/><xsl:template match="/"><r>é</r></xsl:template></xsl:stylesheet>"#),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let mut buf = Vec::new();
    let info = ss
        .transform_to_writer("<a/>", &[], &mut Context::default(), &mut buf)
        .unwrap();
    assert_eq!(info.method, OutputMethod::Xml);
    assert_eq!(info.encoding, "ISO-8859-1");
    assert_eq!(info.media_type, "application/xml");
    assert_eq!(
        buf,
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<r>\xe9</r>\n"
    );
    assert_eq!(info.bytes_written, buf.len());
}

#[test]
fn html_method_detected() {
    let ss = Stylesheet::compile(
        format!(r#"<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}"><xsl:template match="/"><html><body><br/></body></html></xsl:template></xsl:stylesheet>"#),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let out = ss.transform("<a/>", &[], &mut Context::default()).unwrap();
    assert_eq!(out.method, OutputMethod::Html);
    assert_eq!(out.media_type, "text/html");
}

#[test]
fn large_numbers_have_no_exponent() {
    // Deliberate deviation from libxslt, which prints 1e+21 / 3e+09 style numbers.
    let r = run(
        r#"<xsl:template match="/"><xsl:value-of select="1e21"/>|<xsl:value-of select="3000000000"/>|<xsl:value-of select="12345678901.5"/>|<xsl:value-of select="0.0000001"/>|<xsl:value-of select="-1 div 3"/></xsl:template>"#,
        "",
        "<a/>",
    )
    .unwrap();
    assert_eq!(
        r,
        "1000000000000000000000|3000000000|12345678901.5|0.0000001|-0.333333333333333"
    );
}

#[test]
fn fs_resolver_is_sandboxed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let r = FsResolver::new(dir);
    assert!(r.load(&format!("{dir}/_input.xml")).is_ok());
    assert!(r.load("_input.xml").is_ok());
    assert!(r.load("../differential.rs").is_err());
    assert!(r.load("/etc/passwd").is_err());
    assert!(r.load("http://example.com/x.xml").is_err());
}

#[test]
fn percent_encoded_document_uris_stay_in_the_sandbox() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let r = FsResolver::new(dir);
    let body = r#"<xsl:template match="/"><xsl:value-of select="count(document('%2E%2E/%2e%2e/Cargo.toml'))"/>|<xsl:value-of select="count(document('..%2F..%2FCargo.toml'))"/>|<xsl:value-of select="count(document('%5Finput.xml'))"/></xsl:template>"#;
    let ss = Stylesheet::compile(sheet(body, ""), &format!("{dir}/t.xsl"), &r).unwrap();
    let mut ctx = Context::default().with_resolver(&r);
    let out = ss.transform("<a/>", &[], &mut ctx).unwrap();
    assert_eq!(out.bytes, b"0|0|1");
    assert!(
        ctx.messages
            .iter()
            .filter(|m| m.contains("outside the allowed directory"))
            .count()
            == 2,
        "{:?}",
        ctx.messages
    );
}

#[test]
fn document_and_import_denied_without_resolver() {
    let e = Stylesheet::compile(
        format!(r#"<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}"><xsl:import href="other.xsl"/></xsl:stylesheet>"#),
        "main.xsl",
        &NoResolver,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cannot load 'other.xsl'"), "{e}");
    // document() failures are warnings with an empty node-set, as in libxslt.
    let ss = Stylesheet::compile(sheet(r#"<xsl:template match="/"><xsl:value-of select="count(document('x.xml'))"/></xsl:template>"#, ""), "t.xsl", &NoResolver).unwrap();
    let mut ctx = Context::default();
    let out = ss.transform("<a/>", &[], &mut ctx).unwrap();
    assert_eq!(out.bytes, b"0");
    assert!(ctx.messages.iter().any(|m| m.contains("x.xml")));
}

#[test]
fn malformed_input_reports_position() {
    let ss = Stylesheet::compile(
        sheet(r#"<xsl:template match="/">x</xsl:template>"#, ""),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let mut ctx = Context {
        input_uri: "orders.xml".into(),
        ..Context::default()
    };
    let e = ss.transform("<r>\n<a></b></r>", &[], &mut ctx).unwrap_err();
    match e {
        XsltError::Xml { uri, line, .. } => {
            assert_eq!(uri, "orders.xml");
            assert_eq!(line, 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn entity_expansion_bomb_is_refused() {
    let mut doc = String::from("<!DOCTYPE r [<!ENTITY a0 \"xxxxxxxxxx\">");
    for i in 1..12 {
        doc.push_str(&format!(
            "<!ENTITY a{i} \"&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};&a{p};\">",
            p = i - 1
        ));
    }
    doc.push_str("]><r>&a11;</r>");
    let ss = Stylesheet::compile(
        sheet(r#"<xsl:template match="/">x</xsl:template>"#, ""),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let e = ss
        .transform(doc, &[], &mut Context::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("entity"), "{e}");
}

#[test]
fn parameter_entity_bomb_is_refused() {
    // Each parameter entity names the previous one ten times: 10^12 copies unbounded.
    let mut doc = String::from("<!DOCTYPE r [<!ENTITY % p0 \"<!-- x -->\">");
    for i in 1..13 {
        let refs = format!("%p{};", i - 1).repeat(10);
        doc.push_str(&format!("<!ENTITY % p{i} '{refs}'>"));
    }
    doc.push_str("%p12;]><r/>");
    let ss = Stylesheet::compile(
        sheet(r#"<xsl:template match="/">x</xsl:template>"#, ""),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let start = std::time::Instant::now();
    let e = ss
        .transform(doc, &[], &mut Context::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("parameter entity") || e.contains("DTD is too large"),
        "{e}"
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
}

#[test]
fn external_dtd_and_entities_stay_in_the_working_directory() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let r = FsResolver::new(dir);
    let ss = Stylesheet::compile(
        sheet(
            r#"<xsl:template match="/">[<xsl:value-of select="r"/>]</xsl:template>"#,
            "",
        ),
        &format!("{dir}/t.xsl"),
        &r,
    )
    .unwrap();
    for target in [
        "../../Cargo.toml",
        "%2e%2e/%2e%2e/Cargo.toml",
        "/etc/hostname",
        "http://127.0.0.1:9/x.xml",
    ] {
        let doc = format!(
            "<!DOCTYPE r SYSTEM '{target}' [<!ENTITY x SYSTEM '{target}'><!ENTITY % p SYSTEM '{target}'>%p;]><r>&x;</r>"
        );
        let mut ctx = Context::default().with_resolver(&r);
        ctx.input_uri = format!("{dir}/in.xml");
        let out = ss.transform(doc, &[], &mut ctx).unwrap();
        assert_eq!(out.bytes, b"[]", "{target}");
    }
    // Inside the working directory the same declarations are read.
    let doc = "<!DOCTYPE r [<!ENTITY x SYSTEM '_plain.txt'>]><r>&x;</r>";
    let mut ctx = Context::default().with_resolver(&r);
    ctx.input_uri = format!("{dir}/in.xml");
    let out = ss.transform(doc, &[], &mut ctx).unwrap();
    assert_eq!(out.bytes, b"[plain text entity\n]");
}

#[test]
fn stylesheet_is_reusable_and_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Stylesheet>();
    let ss = Stylesheet::compile(
        sheet(
            r#"<xsl:template match="/"><xsl:value-of select="count(//x)"/></xsl:template>"#,
            "",
        ),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    for n in 0..3 {
        let input = format!("<r>{}</r>", "<x/>".repeat(n));
        let out = ss.transform(input, &[], &mut Context::default()).unwrap();
        assert_eq!(out.bytes, n.to_string().as_bytes());
    }
}

/// Input is read by the rule every task reads XML with (crates/xml-encoding): Latin-1 under
/// all its labels is true Latin-1, "UTF-16" declared over single bytes is UTF-8, a UTF-8 mark
/// wins over a declaration; bad bytes name their line.
#[test]
fn input_encodings_follow_the_shared_rule() {
    let ss = Stylesheet::compile(
        sheet(
            r#"<xsl:template match="/">[<xsl:value-of select="/a"/>]</xsl:template>"#,
            "",
        ),
        "t.xsl",
        &NoResolver,
    )
    .unwrap();
    let text = |input: &[u8]| {
        let out = ss.transform(input, &[], &mut Context::default())?;
        Ok::<_, XsltError>(String::from_utf8(out.bytes).unwrap())
    };
    for label in ["ISO-8859-1", "l1", "cp819", "csISOLatin1"] {
        let input = format!("<?xml version='1.0' encoding='{label}'?><a>caf\u{e9} \u{80}</a>");
        let bytes: Vec<u8> = input.chars().map(|c| c as u32 as u8).collect();
        assert_eq!(text(&bytes).unwrap(), "[café \u{80}]", "{label}");
    }
    assert_eq!(
        text("<?xml version='1.0' encoding='UTF-16LE'?><a>é</a>".as_bytes()).unwrap(),
        "[é]"
    );
    assert_eq!(
        text(b"\xEF\xBB\xBF<?xml version='1.0' encoding='windows-1252'?><a>\xC3\xA9</a>").unwrap(),
        "[é]"
    );
    match text(b"<a>\n\n\xe9</a>") {
        Err(XsltError::Xml { line, message, .. }) => {
            assert_eq!(line, 3);
            assert!(message.contains("not valid UTF-8"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}
