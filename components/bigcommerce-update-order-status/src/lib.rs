//! The `bigcommerce-update-order-status` task: the logic is `bigcommerce::status` (crates/bigcommerce), shared with
//! the other BigCommerce tasks; this crate exports it as a component.

/// The component; exported to the host on WebAssembly.
pub struct BigcommerceUpdateOrderStatus;

bigcommerce::export_shop_task!(
    BigcommerceUpdateOrderStatus,
    bigcommerce::status,
    StatusSettings
);
