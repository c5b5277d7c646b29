//! Zynk "Connect XML" documents (docs/zynk-reference.md §3): `Company` with `Customers`, `SalesOrders`,
//! `Products`, `Invoices` and `Transactions`, plus the `Errors` collection of fail files.
//!
//! * **Reading** is lenient the way the product is: elements may come in any order, unknown
//!   elements are kept (and written back), `xsi:nil` equals absence. It is strict where the docs
//!   are: an empty numeric element is an error. A record that does not fit becomes
//!   [`Parsed::Malformed`] with a message naming the record (index and Id/Sku) and each field,
//!   while the other records of the file are read normally.
//! * **Writing** follows the XmlSerializer shape of the samples: UTF-8, two-space indentation,
//!   `<X />` for empty elements, every property of a record written (absent values as
//!   `xsi:nil="true"`, absent strings left out), the fifteen standard collections always present.
//!   An empty document is about 450 bytes; one with a single order is well over 600 (docs/zynk-reference.md §2.6).
//!
//! Pure Rust with no C dependencies and no clock, so it builds for `wasm32-wasip2`.

mod codec;
mod contact;
mod customer;
mod document;
pub mod fuzzing;
mod invoice;
mod product;
mod record;
mod sales_order;
mod text;
mod transaction;
mod tree;

pub use codec::{Scalar, XmlDateTime};
pub use contact::{Contact, CustomField, Note, ZynkError};
pub use customer::{Bank, Customer, DepartmentInfo, DiscountType, PaymentDueFrom};
pub use document::{
    Company, MalformedRecord, ParseError, Parsed, RecordError, STANDARD_COLLECTIONS,
};
pub use invoice::{Invoice, InvoicePaymentType, InvoiceType};
pub use product::{Attachment, Product, ProductAttribute, ProductBom, ProductQtyBreak};
pub use record::{FieldError, Record};
pub use sales_order::{Item, ItemType, PaymentType, SalesOrder, SalesOrderType};
pub use transaction::{Transaction, TransactionType};
pub use tree::{Attribute, Element, Node, XmlWriter};
