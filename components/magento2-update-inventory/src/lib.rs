//! The `magento2-update-inventory` task: the logic is `magento2::inventory` (crates/magento2), shared with
//! the other Magento 2 tasks; this crate exports it as a component.

/// The component; exported to the host on WebAssembly.
pub struct Magento2UpdateInventory;

magento2::export_shop_task!(
    Magento2UpdateInventory,
    magento2::inventory,
    InventorySettings
);
