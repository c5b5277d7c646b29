// The generated Magento order is one large `json!` literal.
#![recursion_limit = "256"]

//! Stateful fake web shops for Wharf's connector tests, its demo and users who want to try a
//! workflow before pointing it at their shop (the `wharf-fake-shop` binary). Each vendor is a
//! module implementing [`server::Shop`] over generated data, with the behaviours real clients
//! trip over; tests put a contract-validating proxy (`wharf_test_peers::ContractProxy`) between
//! a connector and a fake, so the fakes answer as the vendors' specifications say.

pub mod amazon;
pub mod bigcommerce;
pub mod magento;
pub mod server;

pub use server::{Request, Response, Running, ServerError, Shop};
