use std::fs;

use wharf_guest::{ResultCode, Settings};
use wharf_xslt::MappingTable;
use wharf_xslt_task::{Env, MAX_TEMPLATE_DEPTH};

use super::*;

/// Runs the task on raw settings, as the host passes them.
fn run_settings(settings: &Settings, env: &Env) -> wharf_guest::TaskResult {
    match <XsltTransformSettings as wharf_guest::TaskSettings>::parse(settings) {
        Ok(parsed) => run(&parsed, env),
        Err(e) => e.into(),
    }
}

fn settings(dir: &std::path::Path, xslt: &str, parameters: &str) -> Settings {
    Settings::new(vec![
        (
            "input-file".into(),
            dir.join("orders.xml").display().to_string(),
        ),
        ("xslt-file".into(), dir.join(xslt).display().to_string()),
        ("parameters".into(), parameters.into()),
        (
            "output-file".into(),
            dir.join("out/statuses.xml").display().to_string(),
        ),
    ])
}

#[test]
fn transforms_with_the_users_stylesheet_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("orders.xml"),
        "<Company><SalesOrders><SalesOrder><Id>7</Id><Country>United Kingdom</Country></SalesOrder></SalesOrders></Company>",
    )
    .unwrap();
    fs::write(
        dir.path().join("status.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:map="urn:MappingFunctions" exclude-result-prefixes="map">
  <xsl:param name="Status" select="'Pending'"/>
  <xsl:template match="/">
    <ArrayOfOrder>
      <xsl:for-each select="//SalesOrder">
        <Order id="{Id}" country="{map:MapTo('Country', Country)}"><Status><xsl:value-of select="$Status"/></Status></Order>
      </xsl:for-each>
    </ArrayOfOrder>
  </xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    let mut maps = MappingTable::default();
    maps.insert("Country", "United Kingdom", "GB");
    let env = Env {
        root: dir.path().to_path_buf(),
        mappings: &maps,
        stack_limit: 1 << 20,
        max_depth: MAX_TEMPLATE_DEPTH,
    };
    let r = run_settings(&settings(dir.path(), "status.xsl", "Status=Complete"), &env);
    assert_eq!(r.code, ResultCode::Success, "{}", r.message);
    assert_eq!(
        fs::read_to_string(dir.path().join("out/statuses.xml")).unwrap(),
        "<?xml version=\"1.0\"?>\n<ArrayOfOrder><Order id=\"7\" country=\"GB\"><Status>Complete</Status></Order></ArrayOfOrder>\n"
    );

    let r = run_settings(&settings(dir.path(), "status.xsl", "Status"), &env);
    assert_eq!(r.code, ResultCode::Fail);
    assert!(
        r.message.starts_with("setting `parameters`:"),
        "{}",
        r.message
    );

    let r = run_settings(&settings(dir.path(), "none.xsl", ""), &env);
    assert_eq!(r.code, ResultCode::NotFound);
    assert!(
        r.message.starts_with("setting `xslt-file`:"),
        "{}",
        r.message
    );
}

#[test]
fn describes_its_settings() {
    let info = wharf_guest::testing::describe::<XsltTransform>();
    assert_eq!(info.name, "xslt-transform");
    let names: Vec<&str> = info.settings.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["input-file", "xslt-file", "parameters", "output-file"]
    );
    let required: Vec<bool> = info.settings.iter().map(|s| s.required).collect();
    assert_eq!(required, [true, true, false, true]);
}
