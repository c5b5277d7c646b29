//! The `bigcommerce-update-inventory` task: the logic is `bigcommerce::inventory` (crates/bigcommerce), shared with
//! the other BigCommerce tasks; this crate exports it as a component.

/// The component; exported to the host on WebAssembly.
pub struct BigcommerceUpdateInventory;

bigcommerce::export_shop_task!(
    BigcommerceUpdateInventory,
    bigcommerce::inventory,
    InventorySettings
);
