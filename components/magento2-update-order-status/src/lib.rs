//! The `magento2-update-order-status` task: the logic is `magento2::status` (crates/magento2), shared with
//! the other Magento 2 tasks; this crate exports it as a component.

/// The component; exported to the host on WebAssembly.
pub struct Magento2UpdateOrderStatus;

magento2::export_shop_task!(Magento2UpdateOrderStatus, magento2::status, StatusSettings);
