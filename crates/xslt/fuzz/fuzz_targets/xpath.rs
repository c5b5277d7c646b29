//! XPath expressions and match patterns: parsing must never panic, and an expression that
//! parses is evaluated on a small document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf_xslt::{Context, NoResolver, Stylesheet, fuzzing};

const INPUT: &str = r#"<orders xmlns:x="urn:x"><order id="1" x:flag="y"><sku>A</sku><qty>2</qty><!--c--><?pi d?></order><order id="2"><sku>B</sku><qty>-1.5</qty>text</order></orders>"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = fuzzing::parse_pattern(text);
    if fuzzing::parse_xpath(text).is_err() {
        return;
    }
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    let xsl = format!(
        "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" xmlns:x=\"urn:x\" xmlns:exsl=\"http://exslt.org/common\">\
         <xsl:key name=\"k\" match=\"order\" use=\"@id\"/><xsl:variable name=\"v\" select=\"//order\"/>\
         <xsl:template match=\"/\"><xsl:for-each select=\"//*\"><xsl:value-of select=\"{escaped}\"/>|</xsl:for-each></xsl:template>\
         </xsl:stylesheet>"
    );
    if let Ok(ss) = Stylesheet::compile(&xsl, "fuzz.xsl", &NoResolver) {
        let mut ctx = Context::default();
        ctx.max_depth = 50;
        let _ = ss.transform(INPUT, &[], &mut ctx);
    }
});
