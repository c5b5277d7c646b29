//! Shared code of the Magento 2 task components (`magento2-download-orders`,
//! `magento2-update-order-status`, `magento2-update-inventory`): Magento's search criteria, its
//! URLs and the logic of each task.
//!
//! The workflow grants a named HTTP connection whose base URL is the shop's root
//! (`https://shop.example.co.uk/`) and whose auth is `magento-admin` (the host mints the admin
//! token, adds it to each request and mints it again when Magento answers 401); the tasks ask
//! for `rest/<store view code>/V1/…` under it and never see the token. The REST client, the
//! truth records and the XML files are shared with the other shop connectors
//! (`wharf-bigcommerce`). How the tasks page, filter and keep their cursors is in the
//! repository's `docs/magento.md`.

pub mod criteria;
pub mod inventory;
pub mod orders;
pub mod status;

#[cfg(test)]
mod fake;

use std::path::Path;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use bigcommerce::{ApiError, Client, HostTruth, HostWeb, Truth, Web, export_shop_task};

/// Magento's date format: UTC, whole seconds.
pub const DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// What a path segment or query value may hold unencoded (RFC 3986 unreserved characters).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` percent-encoded once, for a path segment or a query value (a SKU may hold `/`).
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, ENCODE).to_string()
}

/// `rest/<store>/V1/<path>` relative to the connection's base URL.
pub fn api_url(store: &str, path: &str) -> String {
    format!("rest/{}/V1/{path}", encode(store.trim()))
}

/// A REST client whose answers pass through a hidden file beside `file` (the task's input or
/// output, so inside the working directory).
pub fn client_beside<'a, W: Web>(web: &'a mut W, file: &Path, task: &str) -> Client<'a, W> {
    Client::new(web, file.parent().unwrap_or(Path::new("/")), task)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_encode_their_parts_once() {
        assert_eq!(encode("AB/12 x+y"), "AB%2F12%20x%2By");
        assert_eq!(api_url("default", "orders"), "rest/default/V1/orders");
    }
}
