//! The XSLT components through the engine: auto-mapper's built-in mappings on the Zynk sample
//! files, user stylesheets with parameters, MapTo through the data root's mappings.yaml, and
//! `wharf xslt`. xsl:message terminate, stylesheet errors and deep recursion in the sandbox are
//! cases in tests/workflows.

use crate::support::{TestEnv, fixture, repo_root, task, wharf_command};
use std::process::Command;
use wharf_engine::ResultCode;

fn amazon_orders() -> std::path::PathBuf {
    repo_root().join("components/auto-mapper/testdata/amazon_orders.xml")
}

/// One auto-mapper task per built-in mapping, each on the sample file it is for.
#[test]
fn every_builtin_mapping_runs_on_its_sample() {
    let env = TestEnv::new();
    let samples = [
        ("magento.xml", fixture("shop-data/magento_order.xml")),
        (
            "bigcommerce.xml",
            fixture("shop-data/big_commerce_orders.xml"),
        ),
        ("amazon.xml", amazon_orders()),
        (
            "success.xml",
            fixture("zynk-xml/ACT - Import Customer and Opportunity with Custom Fields.xml"),
        ),
        ("products.xml", fixture("shop-data/sage_products.xml")),
        ("imported.xml", fixture("shop-data/sales_orders.xml")),
    ];
    for (name, path) in &samples {
        env.write(name, std::fs::read(path).unwrap());
    }
    let cases = [
        (
            "magento-orders-to-zynk",
            "magento.xml",
            "AccountReference=WEBSALES;BankAccount=1200;TaxCode=1",
        ),
        ("zynk-orders-to-magento", "success.xml", ""),
        ("zynk-products-to-magento-inventory", "products.xml", ""),
        (
            "bigcommerce-orders-to-zynk",
            "bigcommerce.xml",
            "WebSales=true;AccountReference=WEBSALES;BankAccount=1200",
        ),
        ("zynk-orders-to-bigcommerce-status", "imported.xml", ""),
        ("zynk-products-to-bigcommerce-inventory", "products.xml", ""),
        (
            "amazon-orders-to-zynk",
            "amazon.xml",
            "AccountReference=AMAZONSALES;TaxCode=1;TaxRate=20",
        ),
        (
            "zynk-products-to-amazon-inventory",
            "products.xml",
            "MerchantID=A2EUQ1WTGCTBG2",
        ),
        (
            "zynk-products-to-amazon-prices",
            "products.xml",
            "MerchantID=A2EUQ1WTGCTBG2;Currency=GBP",
        ),
    ];
    let mut yaml = String::from("name: Mappings\ntasks:\n");
    for (mapping, input, params) in &cases {
        yaml.push_str(&format!(
            "  - task: auto-mapper\n    id: {mapping}\n    settings:\n      input-file: {input}\n      mapping: {mapping}\n      parameters: \"{params}\"\n      output-file: out/{mapping}.xml\n"
        ));
    }
    let run = env.run(&yaml);
    assert_eq!(run.result, ResultCode::Success, "{}", run.message);
    let out =
        |m: &str| std::fs::read_to_string(env.workdir().join(format!("out/{m}.xml"))).unwrap();
    for (mapping, ..) in &cases {
        let t = task(&run, mapping);
        assert_eq!(t.result, ResultCode::Success, "{mapping}: {}", t.message);
        assert!(
            t.message.contains(&format!("with `{mapping}.xsl`")),
            "{}",
            t.message
        );
        assert!(
            out(mapping).starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"),
            "{mapping}"
        );
    }
    for (mapping, orders) in [
        ("magento-orders-to-zynk", 1),
        ("bigcommerce-orders-to-zynk", 1),
        ("amazon-orders-to-zynk", 2),
    ] {
        let xml = out(mapping);
        assert!(
            xml.contains("\n<Company ") && xml.trim_end().ends_with("</Company>"),
            "{xml}"
        );
        assert_eq!(xml.matches("<SalesOrder>").count(), orders, "{xml}");
        for field in [
            "<Id>",
            "<AccountReference>",
            "<CustomerOrderNumber>",
            "<SalesOrderDate>",
            "<SalesOrderAddress>",
            "<Sku>",
            "<QtyOrdered>",
            "<UnitPrice>",
            "<PaymentAmount>",
        ] {
            assert!(
                xml.matches(field).count() >= orders,
                "{mapping}: {field} missing in {xml}"
            );
        }
    }
    assert!(
        out("magento-orders-to-zynk")
            .contains("<SalesOrderDate>2013-04-29T13:11:04</SalesOrderDate>")
    );
    assert!(out("bigcommerce-orders-to-zynk").contains("<PaymentAmount>586.8</PaymentAmount>"));
    assert!(out("amazon-orders-to-zynk").contains("<UnitPrice>18</UnitPrice>"));
    assert!(out("zynk-orders-to-magento").contains("<increment_id>007</increment_id>"));
    assert!(out("zynk-orders-to-bigcommerce-status").contains("<id>123</id>"));
    assert!(
        out("zynk-products-to-magento-inventory").contains("<sku>BOARD001</sku>\n    <qty>5</qty>")
    );
    assert!(
        out("zynk-products-to-bigcommerce-inventory")
            .contains("<inventory_warning_level>1</inventory_warning_level>")
    );
    assert!(
        out("zynk-products-to-amazon-inventory")
            .contains("<MerchantIdentifier>A2EUQ1WTGCTBG2</MerchantIdentifier>")
    );
    assert!(
        out("zynk-products-to-amazon-prices")
            .contains("<StandardPrice currency=\"GBP\">20.00</StandardPrice>")
    );
}

/// A user's stylesheet with parameters, through both tasks, with MapTo/MapFrom answered from
/// the data root's mappings.yaml.
#[test]
fn user_stylesheets_get_parameters_and_workflow_mappings() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.data()).unwrap();
    std::fs::write(
        env.data().join("mappings.yaml"),
        "Country:\n  - [United Kingdom, GB]\n  - [France, FR]\nCarrier:\n  - [flatrate_flatrate, ROYALMAIL]\n",
    )
    .unwrap();
    env.write(
        "magento.xml",
        std::fs::read(fixture("shop-data/magento_order.xml")).unwrap(),
    );
    env.write(
        "maps/summary.xsl",
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:map="urn:MappingFunctions">
  <xsl:output method="text"/>
  <xsl:param name="Who" select="'nobody'"/>
  <xsl:param name="Status"/>
  <xsl:template match="/">
    <xsl:message>summarising for <xsl:value-of select="$Who"/></xsl:message>
    <xsl:for-each select="//OrderInfo">
      <xsl:value-of select="concat(increment_id, ' ', $Status, ' ', map:MapTo('Carrier', shipping_method), ' ', map:MapFrom('Country', 'FR'), ' [', map:MapTo('Country', 'Atlantis'), '] ', $Who)"/>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>"#,
    );
    let run = env.run(
        "name: Custom\ntasks:\n  - task: xslt-transform\n    id: transform\n    settings:\n      input-file: magento.xml\n      xslt-file: maps/summary.xsl\n      parameters: Status=pending; Who=Zynk\n      output-file: summary.txt\n  - task: auto-mapper\n    id: custom\n    settings:\n      input-file: magento.xml\n      mapping: maps/summary.xsl\n      parameters: Status=done\n      output-file: custom.txt\n",
    );
    assert_eq!(run.result, ResultCode::Success, "{}", run.message);
    let read = |f: &str| std::fs::read_to_string(env.workdir().join(f)).unwrap();
    assert_eq!(
        read("summary.txt"),
        "100000002 pending ROYALMAIL France [] Zynk"
    );
    assert_eq!(
        read("custom.txt"),
        "100000002 done ROYALMAIL France [] nobody"
    );
    let t = task(&run, "transform");
    assert!(
        t.logs
            .iter()
            .any(|l| l.message == "xsl:message: summarising for Zynk"),
        "{:?}",
        t.logs
    );
    assert_eq!(t.outputs, vec![("bytes".to_string(), "42".to_string())]);
}

fn wharf(env: &TestEnv) -> Command {
    wharf_command(&env.data())
}

#[test]
fn wharf_xslt_runs_a_stylesheet_in_the_sandbox() {
    let env = TestEnv::new();
    let dir = env.dir.path();
    std::fs::write(
        dir.join("orders.xml"),
        std::fs::read(fixture("shop-data/magento_order.xml")).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("list.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:include href="common.xsl"/>
  <xsl:param name="sep" select="','"/>
  <xsl:param name="tag"/>
  <xsl:template match="/"><xsl:for-each select="//OrderProduct"><xsl:value-of select="concat($tag, sku, $sep, qty_ordered)"/></xsl:for-each><xsl:call-template name="end"/></xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("common.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template name="end"><xsl:text>&#10;</xsl:text></xsl:template></xsl:stylesheet>"#,
    )
    .unwrap();

    let out = wharf(&env)
        .arg("xslt")
        .arg(dir.join("list.xsl"))
        .arg(dir.join("orders.xml"))
        .args(["-p", "sep=;", "-p", "tag=SKU "])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "SKU 76460;4.0000\n");

    let target = dir.join("result/list.txt");
    let out = wharf(&env)
        .arg("xslt")
        .arg(dir.join("list.xsl"))
        .arg(dir.join("orders.xml"))
        .arg("-o")
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "76460,4.0000\n");

    // Messages go to stderr; terminate and errors exit non-zero with the reason.
    std::fs::write(
        dir.join("stop.xsl"),
        r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="/"><xsl:message>looking</xsl:message><xsl:message terminate="yes">no good</xsl:message></xsl:template>
</xsl:stylesheet>"#,
    )
    .unwrap();
    let out = wharf(&env)
        .arg("xslt")
        .arg(dir.join("stop.xsl"))
        .arg(dir.join("orders.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("looking") && err.contains("no good"), "{err}");

    std::fs::write(dir.join("bad.xsl"), "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\">\n<xsl:template match=\"/\"><xsl:valueof/></xsl:template>\n</xsl:stylesheet>").unwrap();
    let out = wharf(&env)
        .arg("xslt")
        .arg(dir.join("bad.xsl"))
        .arg(dir.join("orders.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.xsl:2:") && err.contains("xsl:valueof"),
        "{err}"
    );

    let out = wharf(&env)
        .arg("xslt")
        .arg(dir.join("list.xsl"))
        .arg(dir.join("missing.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.xml"));
    let out = wharf(&env)
        .arg("xslt")
        .arg(dir.join("list.xsl"))
        .arg(dir.join("orders.xml"))
        .args(["-p", "novalue"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name=value"));
}

#[test]
fn wharf_xslt_resolves_imports_documents_and_dtds_like_xsltproc() {
    // maps/order.xsl imports ../lib/base.xsl, reads lookup.xml beside itself and, through
    // a node of the input, extra.xml beside the input; the input's DTD is in data/.
    let env = TestEnv::new();
    let dir = env.dir.path();
    for (path, text) in [
        (
            "maps/order.xsl",
            r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="../lib/base.xsl"/>
  <xsl:output method="text"/>
  <xsl:template match="/"><xsl:call-template name="base"/>|<xsl:value-of select="document('lookup.xml')/l/@v"/>|<xsl:value-of select="document(/orders/@ref)/e"/>|<xsl:value-of select="orders"/>|<xsl:value-of select="id('o1')/@n"/></xsl:template>
</xsl:stylesheet>"#,
        ),
        (
            "lib/base.xsl",
            r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template name="base">base</xsl:template></xsl:stylesheet>"#,
        ),
        ("maps/lookup.xml", r#"<l v="lookup"/>"#),
        ("data/extra.xml", "<e>extra</e>"),
        (
            "data/orders.dtd",
            "<!ENTITY shop \"Acme\"><!ATTLIST order id ID #IMPLIED>",
        ),
        (
            "data/orders.xml",
            "<!DOCTYPE orders SYSTEM \"orders.dtd\"><orders ref=\"extra.xml\">&shop;<order id=\"o1\" n=\"7\"/></orders>",
        ),
    ] {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = wharf_xslt(
        &env,
        dir.join("maps/order.xsl"),
        dir.join("data/orders.xml"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "base|lookup|extra|Acme|7"
    );

    // A built-in mapping by name runs in the auto-mapper task.
    std::fs::write(
        dir.join("data/magento.xml"),
        std::fs::read(fixture("shop-data/magento_order.xml")).unwrap(),
    )
    .unwrap();
    let out = wharf_xslt(
        &env,
        "magento-orders-to-zynk".into(),
        dir.join("data/magento.xml"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("<SalesOrder"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = wharf_xslt(&env, "no-such-mapping".into(), dir.join("data/magento.xml"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("magento-orders-to-zynk"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wharf_xslt(
    env: &TestEnv,
    stylesheet: std::path::PathBuf,
    input: std::path::PathBuf,
) -> std::process::Output {
    wharf(env)
        .arg("xslt")
        .arg(stylesheet)
        .arg(input)
        .output()
        .unwrap()
}
