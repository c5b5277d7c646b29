//! The agent's protocol: one JSON object per line on stdin (requests) and stdout (responses).
//!
//! The runner opens with [`Op::Hello`] naming [`PROTOCOL_VERSION`]; an agent speaking another
//! version answers with an error and the runner stops it. Records travel as Sage Data Objects
//! field maps (`ACCOUNT_REF`, `QTY_IN_STOCK`, …): the agent only moves fields in and out of Sage;
//! what they mean is the runner's business (`crate::fields`).

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Bumped on any change a peer of the previous version would misread.
pub const PROTOCOL_VERSION: u32 = 2;

/// A field value, as Sage Data Objects hands it over (a VARIANT).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDateTime),
}

impl Value {
    pub fn text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(value) => value.to_string(),
            Value::Int(value) => value.to_string(),
            Value::Float(value) => value.to_string(),
            Value::Text(value) => value.clone(),
            Value::Date(value) => value.to_string(),
        }
    }

    pub fn float(&self) -> f64 {
        match self {
            Value::Int(value) => *value as f64,
            Value::Float(value) => *value,
            Value::Bool(value) => f64::from(u8::from(*value)),
            Value::Text(text) => text.trim().parse().unwrap_or(0.0),
            Value::Null | Value::Date(_) => 0.0,
        }
    }

    pub fn int(&self) -> i64 {
        match self {
            Value::Float(value) => value.round() as i64,
            other => other.float() as i64,
        }
    }

    pub fn bool(&self) -> bool {
        match self {
            Value::Bool(value) => *value,
            Value::Text(text) => text.eq_ignore_ascii_case("true") || text == "1",
            other => other.int() != 0,
        }
    }

    pub fn date(&self) -> Option<NaiveDateTime> {
        match self {
            Value::Date(value) => Some(*value),
            _ => None,
        }
    }
}

/// A record: field name → value.
pub type Fields = BTreeMap<String, Value>;

/// The record types ("objects") the agent reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordType {
    /// Customer accounts (key `ACCOUNT_REF`).
    SalesRecord,
    /// Products (key `STOCK_CODE`).
    StockRecord,
    /// Invoices and credit notes (key `INVOICE_NUMBER`); read with their items.
    InvoiceRecord,
    /// Audit trail transaction headers (key `HEADER_NUMBER`).
    HeaderData,
    /// Audit trail splits (key `TRAN_NUMBER`; `HEADER_NUMBER` names their header).
    SplitData,
    /// Customers' delivery addresses (`ACCOUNT_REF` names the account).
    SalesDeliveryRecord,
}

impl RecordType {
    pub fn object_name(self) -> &'static str {
        match self {
            RecordType::SalesRecord => "SalesRecord",
            RecordType::StockRecord => "StockRecord",
            RecordType::InvoiceRecord => "InvoiceRecord",
            RecordType::HeaderData => "HeaderData",
            RecordType::SplitData => "SplitData",
            RecordType::SalesDeliveryRecord => "SalesDeliveryRecord",
        }
    }

    pub fn key_field(self) -> &'static str {
        match self {
            RecordType::SalesRecord => "ACCOUNT_REF",
            RecordType::StockRecord => "STOCK_CODE",
            RecordType::InvoiceRecord => "INVOICE_NUMBER",
            RecordType::HeaderData => "HEADER_NUMBER",
            RecordType::SplitData => "TRAN_NUMBER",
            RecordType::SalesDeliveryRecord => "ACCOUNT_REF",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            RecordType::SalesRecord => "customer account",
            RecordType::StockRecord => "product",
            RecordType::InvoiceRecord => "invoice",
            RecordType::HeaderData | RecordType::SplitData => "audit trail transaction",
            RecordType::SalesDeliveryRecord => "delivery address",
        }
    }
}

/// How to reach the Sage company. Its `Debug` leaves the password out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectSettings {
    /// The company's data folder (`…\ACCDATA`), on this machine.
    pub data_path: String,
    /// The dedicated Sage user Wharf logs in as.
    pub user: String,
    /// Never logged and never written to a transcript.
    pub password: String,
    /// The SDO ProgID to create, e.g. `SDOEngine.32`; absent: the newest registered.
    pub program_id: Option<String>,
}

impl std::fmt::Debug for ConnectSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectSettings")
            .field("data_path", &self.data_path)
            .field("user", &self.user)
            .field("password", &REDACTED)
            .field("program_id", &self.program_id)
            .finish()
    }
}

/// One request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub id: u64,
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Hello {
        protocol: u32,
    },
    /// Creates the SDO engine, probes its version and logs in.
    Connect(ConnectSettings),
    /// The company's setup fields.
    Company,
    FindRecord {
        record: RecordType,
        key: String,
    },
    /// Every record of the type (Sage has no query language in SDO: the agent walks them).
    ListRecords {
        record: RecordType,
    },
    /// `AddNew` … `Update`; an existing key is refused.
    AddRecord {
        record: RecordType,
        fields: Fields,
    },
    /// `Find` … `Edit` … `Update`: only the fields given change.
    EditRecord {
        record: RecordType,
        key: String,
        fields: Fields,
    },
    /// `SOPPost`: header fields, one field map per `Items.Add()`. With `key`, `key_field` of the
    /// header carries it, and an order already carrying it is refused.
    PostOrder {
        header: Fields,
        items: Vec<Fields>,
        key_field: String,
        key: Option<String>,
    },
    FindOrder {
        order_number: u32,
    },
    FindOrderByKey {
        key_field: String,
        key: String,
    },
    /// The order record's allocation interface: `AllocateAll`.
    Allocate {
        order_number: u32,
    },
    /// `InvoicePost`: header fields (`INVOICE_TYPE_CODE` says invoice or credit note), one
    /// field map per `Items.Add()`. With `key`, `key_field` of the header carries it, and an
    /// invoice already carrying it is refused.
    PostInvoice {
        header: Fields,
        items: Vec<Fields>,
        key_field: String,
        key: Option<String>,
    },
    FindInvoiceByKey {
        key_field: String,
        key: String,
    },
    FindInvoice {
        invoice_number: u32,
    },
    /// Every invoice and credit note with its items.
    ListInvoices,
    /// `TransactionPost`: the header (`HeaderData` fields, `TYPE` the transaction type) and one
    /// split per `Items.Add()` (`SplitData` fields). A split whose `key_field` holds a key
    /// already in the audit trail refuses the whole posting.
    PostTransaction {
        header: Fields,
        splits: Vec<Fields>,
        key_field: String,
    },
    /// The records of the type whose `field` equals `value` (the agent walks them).
    FindWhere {
        record: RecordType,
        field: String,
        value: Value,
    },
    /// Allocates `amount` of the payment or credit with header `payment` to the invoice with
    /// header `invoice` (the payment's `HeaderData` record: `Allocate`).
    AllocateTransaction {
        payment: u32,
        invoice: u32,
        amount: f64,
    },
    Disconnect,
}

impl Op {
    /// The op with secrets taken out, for logs and transcripts.
    pub fn redacted(&self) -> Op {
        match self {
            Op::Connect(settings) => Op::Connect(ConnectSettings {
                password: if settings.password.is_empty() {
                    String::new()
                } else {
                    REDACTED.to_owned()
                },
                ..settings.clone()
            }),
            other => other.clone(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Op::Hello { .. } => "hello",
            Op::Connect(_) => "connect",
            Op::Company => "company",
            Op::FindRecord { .. } => "find-record",
            Op::ListRecords { .. } => "list-records",
            Op::AddRecord { .. } => "add-record",
            Op::EditRecord { .. } => "edit-record",
            Op::PostOrder { .. } => "post-order",
            Op::FindOrder { .. } => "find-order",
            Op::FindOrderByKey { .. } => "find-order-by-key",
            Op::Allocate { .. } => "allocate",
            Op::PostInvoice { .. } => "post-invoice",
            Op::FindInvoiceByKey { .. } => "find-invoice-by-key",
            Op::FindInvoice { .. } => "find-invoice",
            Op::ListInvoices => "list-invoices",
            Op::PostTransaction { .. } => "post-transaction",
            Op::FindWhere { .. } => "find-where",
            Op::AllocateTransaction { .. } => "allocate-transaction",
            Op::Disconnect => "disconnect",
        }
    }
}

/// What stands for a password in transcripts.
pub const REDACTED: &str = "<redacted>";

/// A posted order or invoice read back: header and lines (items). A transaction read back:
/// its `HeaderData` and its splits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub header: Fields,
    pub items: Vec<Fields>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    Hello {
        protocol: u32,
        agent_version: String,
    },
    Connected(Connected),
    Company(Fields),
    Record(Option<Fields>),
    Records(Vec<Fields>),
    Order(Option<OrderRecord>),
    Invoice(Option<OrderRecord>),
    Invoices(Vec<OrderRecord>),
    Transaction(OrderRecord),
    Done,
}

/// What the engine said about itself at connect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connected {
    pub program_id: String,
    pub version: String,
    pub edition: String,
    pub registered: bool,
    pub sales_orders: bool,
}

/// How a request failed: what the runner should do about it follows from the kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Sage refused the data (the bookkeeper fixes it).
    Rejected,
    /// Locked record, exclusive access, file busy: still so after the agent's retries.
    Busy,
    /// Not registered, wrong version, bad data path or login, not connected.
    Unavailable,
    /// A request this agent does not understand (another protocol version, bad JSON).
    Protocol,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AgentError {
    pub kind: ErrorKind,
    /// Sage's own error code (`LastError.Code`) when Sage reported one.
    pub code: Option<i32>,
    pub message: String,
}

impl AgentError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        AgentError {
            kind,
            code: None,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub id: u64,
    pub result: Result<Reply, AgentError>,
}
