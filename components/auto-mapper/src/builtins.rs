//! The built-in mappings (docs/zynk-reference.md §2.12), written from the field lists there. Each is a
//! stylesheet in `mappings/`, compiled into the component.

/// One built-in mapping.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// What the `mapping` setting says to choose it.
    pub name: &'static str,
    /// Zynk's names for it: (input format, input type, output format, output type).
    pub zynk: (&'static str, &'static str, &'static str, &'static str),
    /// The XSLT 1.0 stylesheet.
    pub stylesheet: &'static str,
}

macro_rules! builtin {
    ($name:literal, $zynk:expr) => {
        Builtin {
            name: $name,
            zynk: $zynk,
            stylesheet: include_str!(concat!("../mappings/", $name, ".xsl")),
        }
    };
}

/// Every built-in mapping.
pub const BUILTINS: &[Builtin] = &[
    builtin!(
        "magento-orders-to-zynk",
        ("Magento", "Orders", "Zynk XML", "Sales Orders")
    ),
    builtin!(
        "zynk-orders-to-magento",
        ("Zynk XML", "Sales Orders", "Magento", "Orders")
    ),
    builtin!(
        "zynk-products-to-magento-inventory",
        ("Zynk XML", "Products", "Magento", "Inventory")
    ),
    builtin!(
        "bigcommerce-orders-to-zynk",
        ("BigCommerce", "Orders", "Zynk XML", "Sales Orders")
    ),
    builtin!(
        "zynk-orders-to-bigcommerce-status",
        (
            "Zynk XML",
            "Sales Orders",
            "BigCommerce",
            "Order Status Updates"
        )
    ),
    builtin!(
        "zynk-products-to-bigcommerce-inventory",
        ("Zynk XML", "Products", "BigCommerce", "Inventory")
    ),
    builtin!(
        "amazon-orders-to-zynk",
        ("Amazon", "Orders", "Zynk XML", "Sales Orders")
    ),
    builtin!(
        "zynk-products-to-amazon-inventory",
        ("Zynk XML", "Products", "Amazon", "Inventory")
    ),
    builtin!(
        "zynk-products-to-amazon-prices",
        ("Zynk XML", "Products", "Amazon", "Prices")
    ),
];

/// The built-in mapping called `name`, or described the way Zynk's Auto Mapper names its
/// choices, `Magento/Orders -> Zynk XML/Sales Orders` (what a migrated `.wkf` holds). Case and
/// spacing do not matter.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    let wanted = normalise(name);
    BUILTINS.iter().find(|b| {
        let (in_format, in_type, out_format, out_type) = b.zynk;
        normalise(b.name) == wanted
            || normalise(&format!("{in_format}/{in_type}->{out_format}/{out_type}")) == wanted
    })
}

/// Lower case without any whitespace.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}
