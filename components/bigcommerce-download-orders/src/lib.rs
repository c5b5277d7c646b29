//! The `bigcommerce-download-orders` task: the logic is `bigcommerce::orders` (crates/bigcommerce), shared with
//! the other BigCommerce tasks; this crate exports it as a component.

/// The component; exported to the host on WebAssembly.
pub struct BigcommerceDownloadOrders;

bigcommerce::export_shop_task!(
    BigcommerceDownloadOrders,
    bigcommerce::orders,
    OrdersSettings
);
