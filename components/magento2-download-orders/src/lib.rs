//! The `magento2-download-orders` task: the logic is `magento2::orders` (crates/magento2), shared with
//! the other Magento 2 tasks; this crate exports it as a component.

/// The component; exported to the host on WebAssembly.
pub struct Magento2DownloadOrders;

magento2::export_shop_task!(Magento2DownloadOrders, magento2::orders, OrdersSettings);
