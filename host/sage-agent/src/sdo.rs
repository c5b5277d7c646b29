//! The agent's side of Sage Data Objects: the SDO call shapes, over any late-bound
//! [`Automation`] (COM `IDispatch` on Windows, `crate::fake` in process elsewhere).
//!
//! Connect with a dedicated user, probe the version, retry while Sage is busy, always
//! disconnect (also when the agent ends), write the order's key into a header field.

use std::time::Duration;

use chrono::NaiveDateTime;

use crate::protocol::{
    AgentError, ConnectSettings, Connected, ErrorKind, Fields, Op, OrderRecord, PROTOCOL_VERSION,
    RecordType, Reply, Value,
};

/// A late-bound call's value (a VARIANT).
#[derive(Debug, Clone, PartialEq)]
pub enum Variant<O> {
    Empty,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Date(NaiveDateTime),
    Object(O),
}

impl<O> Variant<O> {
    pub fn from_value(value: &Value) -> Variant<O> {
        match value {
            Value::Null => Variant::Empty,
            Value::Bool(v) => Variant::Bool(*v),
            Value::Int(v) => Variant::Int(*v),
            Value::Float(v) => Variant::Float(*v),
            Value::Text(v) => Variant::Text(v.clone()),
            Value::Date(v) => Variant::Date(*v),
        }
    }

    /// The value (an object is no field value: null).
    pub fn to_value(&self) -> Value {
        match self {
            Variant::Empty | Variant::Object(_) => Value::Null,
            Variant::Bool(v) => Value::Bool(*v),
            Variant::Int(v) => Value::Int(*v),
            Variant::Float(v) => Value::Float(*v),
            Variant::Text(v) => Value::Text(v.clone()),
            Variant::Date(v) => Value::Date(*v),
        }
    }

    /// The same value with its object (if any) mapped by `object`.
    pub fn map_object<P, E>(self, object: impl FnOnce(O) -> Result<P, E>) -> Result<Variant<P>, E> {
        Ok(match self {
            Variant::Object(o) => Variant::Object(object(o)?),
            Variant::Empty => Variant::Empty,
            Variant::Bool(v) => Variant::Bool(v),
            Variant::Int(v) => Variant::Int(v),
            Variant::Float(v) => Variant::Float(v),
            Variant::Text(v) => Variant::Text(v),
            Variant::Date(v) => Variant::Date(v),
        })
    }

    /// For messages: the value, or "an object".
    fn describe(&self) -> String {
        match self {
            Variant::Object(_) => "an object".to_owned(),
            other => format!("{:?}", other.to_value()),
        }
    }

    fn truthy(&self) -> bool {
        self.to_value().bool()
    }
}

/// A late-bound call that failed as a call (a COM exception or failure HRESULT), as opposed to
/// an SDO method answering `False` and setting `LastError`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (0x{hresult:08X})")]
pub struct CallError {
    pub hresult: u32,
    pub message: String,
}

/// Late-bound automation: what the agent needs of `IDispatch`.
pub trait Automation {
    type Object: Clone;
    /// `CreateObject(program_id)`.
    fn create(&mut self, program_id: &str) -> Result<Self::Object, CallError>;
    /// Property get (with arguments for indexed properties such as `Fields.Item("NAME")`).
    fn get(
        &mut self,
        target: &Self::Object,
        name: &str,
        args: &[Variant<Self::Object>],
    ) -> Result<Variant<Self::Object>, CallError>;
    fn put(
        &mut self,
        target: &Self::Object,
        name: &str,
        value: Variant<Self::Object>,
    ) -> Result<(), CallError>;
    fn call(
        &mut self,
        target: &Self::Object,
        name: &str,
        args: &[Variant<Self::Object>],
    ) -> Result<Variant<Self::Object>, CallError>;
}

/// Sage Data Objects' `LastError.Code` values the agent acts on. Only these decide retrying and
/// classification; every other code is passed on with Sage's text.
pub mod codes {
    /// The company data is for another Sage version than this SDO engine.
    pub const WRONG_VERSION: i32 = 8;
    /// The data path holds no Sage company.
    pub const DATA_PATH_NOT_FOUND: i32 = 1;
    pub const BAD_LOGIN: i32 = 2;
    /// The user is logged in elsewhere (dedicated user used by a person).
    pub const USER_LOGGED_IN: i32 = 3;
    pub const USER_COUNT_EXCEEDED: i32 = 4;
    /// Someone holds exclusive access (backup, restore, month end, year end).
    pub const EXCLUSIVE: i32 = 5;
    pub const FILE_BUSY: i32 = 6;
    /// Another user has the record open.
    pub const RECORD_LOCKED: i32 = 7;
    /// Third-party integration is not enabled (`SDOEngine.Register`).
    pub const NOT_REGISTERED: i32 = 9;
    pub const RECORD_EXISTS: i32 = 10;
    pub const RECORD_NOT_FOUND: i32 = 11;
    /// A field value Sage does not accept.
    pub const INVALID_VALUE: i32 = 12;

    /// Worth another try after a pause.
    pub fn retryable(code: i32) -> bool {
        matches!(code, EXCLUSIVE | FILE_BUSY | RECORD_LOCKED)
    }

    /// The installation or login is wrong: no retry helps.
    pub fn unavailable(code: i32) -> bool {
        matches!(
            code,
            WRONG_VERSION
                | DATA_PATH_NOT_FOUND
                | BAD_LOGIN
                | USER_LOGGED_IN
                | USER_COUNT_EXCEEDED
                | NOT_REGISTERED
        )
    }
}

/// How long the agent keeps trying while Sage is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all (at least 1).
    pub attempts: u32,
    /// Pause after the first busy answer; doubled each time, at most 30 s.
    pub first_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
        }
    }
}

/// The newest first: SDO registers one ProgID per Sage release.
const PROGRAM_IDS: std::ops::RangeInclusive<u32> = 24..=40;

/// The documents posted with header fields and items: sales orders and invoices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Document {
    /// Posts one (`SOPPost`, `InvoicePost`).
    post_object: &'static str,
    /// Reads them (`SOPRecord`, `InvoiceRecord`).
    record_object: &'static str,
    number_field: &'static str,
    noun: &'static str,
    article: &'static str,
}

impl Document {
    const ORDER: Document = Document {
        post_object: "SOPPost",
        record_object: "SOPRecord",
        number_field: "ORDER_NUMBER",
        noun: "sales order",
        article: "an order",
    };
    const INVOICE: Document = Document {
        post_object: "InvoicePost",
        record_object: "InvoiceRecord",
        number_field: "INVOICE_NUMBER",
        noun: "invoice",
        article: "an invoice",
    };
}

/// One agent: at most one connection to one company.
pub struct Agent<A: Automation> {
    automation: A,
    retry: RetryPolicy,
    session: Option<Session<A::Object>>,
}

struct Session<O> {
    engine: O,
    workspace: O,
}

/// A failure inside the agent: Sage's error, or the call itself failing.
fn call_failed(what: &str, error: CallError) -> AgentError {
    AgentError::new(
        ErrorKind::Unavailable,
        format!("the SDO call {what} failed: {error}"),
    )
}

impl<A: Automation> Agent<A> {
    pub fn new(automation: A, retry: RetryPolicy) -> Self {
        Agent {
            automation,
            retry,
            session: None,
        }
    }

    /// Answers one request.
    pub fn handle(&mut self, op: &Op) -> Result<Reply, AgentError> {
        match op {
            Op::Hello { protocol } if *protocol == PROTOCOL_VERSION => Ok(Reply::Hello {
                protocol: PROTOCOL_VERSION,
                agent_version: env!("CARGO_PKG_VERSION").to_owned(),
            }),
            Op::Hello { protocol } => Err(AgentError::new(
                ErrorKind::Protocol,
                format!(
                    "this wharf-sage-agent speaks protocol {PROTOCOL_VERSION}, the runner {protocol}: install the agent that came with the runner"
                ),
            )),
            Op::Connect(settings) => self.connect(settings).map(Reply::Connected),
            Op::Disconnect => {
                self.disconnect();
                Ok(Reply::Done)
            }
            Op::Company => {
                let setup = self.create_object("SetupData")?;
                self.call_checked(
                    &setup,
                    "Read",
                    &[Variant::Int(1)],
                    "reading the company setup",
                )?;
                self.read_fields(&setup).map(Reply::Company)
            }
            Op::FindRecord { record, key } => {
                let object = self.create_object(record.object_name())?;
                self.find(&object, *record, key)?
                    .then(|| self.read_fields(&object))
                    .transpose()
                    .map(Reply::Record)
            }
            Op::ListRecords { record } => self.list(*record).map(Reply::Records),
            Op::AddRecord { record, fields } => {
                self.add(*record, fields).map(|f| Reply::Record(Some(f)))
            }
            Op::EditRecord {
                record,
                key,
                fields,
            } => self
                .with_retry(|agent| agent.edit(*record, key, fields))
                .map(|f| Reply::Record(Some(f))),
            Op::PostOrder {
                header,
                items,
                key_field,
                key,
            } => self
                .with_retry(|agent| {
                    agent.post_document(Document::ORDER, header, items, key_field, key.as_deref())
                })
                .map(|order| Reply::Order(Some(order))),
            Op::FindOrder { order_number } => self.find_order(*order_number).map(Reply::Order),
            Op::FindOrderByKey { key_field, key } => self
                .find_document_by_key(Document::ORDER, key_field, key)
                .map(Reply::Order),
            Op::PostInvoice {
                header,
                items,
                key_field,
                key,
            } => self
                .with_retry(|agent| {
                    agent.post_document(Document::INVOICE, header, items, key_field, key.as_deref())
                })
                .map(|invoice| Reply::Invoice(Some(invoice))),
            Op::FindInvoiceByKey { key_field, key } => self
                .find_document_by_key(Document::INVOICE, key_field, key)
                .map(Reply::Invoice),
            Op::FindInvoice { invoice_number } => self
                .find_document(Document::INVOICE, *invoice_number)
                .map(Reply::Invoice),
            Op::ListInvoices => self.list_documents(Document::INVOICE).map(Reply::Invoices),
            Op::PostTransaction {
                header,
                splits,
                key_field,
            } => self
                .with_retry(|agent| agent.post_transaction(header, splits, key_field))
                .map(Reply::Transaction),
            Op::FindWhere {
                record,
                field,
                value,
            } => self.find_where(*record, field, value).map(Reply::Records),
            Op::AllocateTransaction {
                payment,
                invoice,
                amount,
            } => self
                .with_retry(|agent| agent.allocate_transaction(*payment, *invoice, *amount))
                .map(|()| Reply::Done),
            Op::Allocate { order_number } => self.with_retry(|agent| agent.allocate(*order_number)),
        }
    }

    fn connect(&mut self, settings: &ConnectSettings) -> Result<Connected, AgentError> {
        self.disconnect();
        let (program_id, engine) = self.create_engine(settings.program_id.as_deref())?;
        let version = self
            .automation
            .get(&engine, "Version", &[])
            .map_err(|e| call_failed("SDOEngine.Version", e))?
            .to_value()
            .text();
        let registered = self
            .automation
            .get(&engine, "IsRegistered", &[])
            .map_err(|e| call_failed("SDOEngine.IsRegistered", e))?
            .truthy();
        if !registered {
            return Err(AgentError {
                kind: ErrorKind::Unavailable,
                code: Some(codes::NOT_REGISTERED),
                message: format!(
                    "Sage Data Objects {program_id} (version {version}) is not registered on this machine: in Sage 50 choose Tools > Activation > Enable Third Party Integration (docs/sage50.md)"
                ),
            });
        }
        let workspaces = self.object(&engine, "Workspaces")?;
        let workspace = match self
            .automation
            .call(&workspaces, "Add", &[Variant::Text("Wharf".into())])
            .map_err(|e| call_failed("Workspaces.Add", e))?
        {
            Variant::Object(workspace) => workspace,
            other => {
                return Err(AgentError::new(
                    ErrorKind::Unavailable,
                    format!(
                        "Workspaces.Add answered {} instead of a workspace",
                        other.describe()
                    ),
                ));
            }
        };
        let args = [
            Variant::Text(settings.data_path.clone()),
            Variant::Text(settings.user.clone()),
            Variant::Text(settings.password.clone()),
            Variant::Text("Wharf".into()),
        ];
        let mut attempt = 1;
        loop {
            let connected = self
                .automation
                .call(&workspace, "Connect", &args)
                .map_err(|e| call_failed("WorkSpace.Connect", e))?
                .truthy();
            if connected {
                break;
            }
            let error = self.last_error(
                &engine,
                &format!(
                    "connecting to the Sage company at {} as {}",
                    settings.data_path, settings.user
                ),
            );
            if error.kind != ErrorKind::Busy || attempt >= self.retry.attempts.max(1) {
                return Err(match error.code {
                    Some(codes::WRONG_VERSION) => AgentError {
                        message: format!(
                            "{}: the company is for another Sage version than {program_id} (version {version}); install and register the SDO of the company's Sage release, or set program_id (docs/sage50.md)",
                            error.message
                        ),
                        ..error
                    },
                    _ => error,
                });
            }
            std::thread::sleep(self.delay(attempt));
            attempt += 1;
        }
        let sales_orders = self
            .automation
            .get(&engine, "SopEnabled", &[])
            .map(|v| v.truthy())
            .unwrap_or(false);
        let edition = self
            .automation
            .get(&engine, "Edition", &[])
            .map(|v| v.to_value().text())
            .unwrap_or_default();
        self.session = Some(Session { engine, workspace });
        Ok(Connected {
            program_id,
            version,
            edition,
            registered,
            sales_orders,
        })
    }

    fn create_engine(&mut self, wanted: Option<&str>) -> Result<(String, A::Object), AgentError> {
        if let Some(program_id) = wanted {
            return self
                .automation
                .create(program_id)
                .map(|engine| (program_id.to_owned(), engine))
                .map_err(|e| AgentError {
                    kind: ErrorKind::Unavailable,
                    code: None,
                    message: format!(
                        "cannot create Sage Data Objects {program_id}: {e}; is that Sage release installed, and the agent of the same bitness (32/64-bit) as its SDO? (docs/sage50.md)"
                    ),
                });
        }
        for release in PROGRAM_IDS.rev() {
            let program_id = format!("SDOEngine.{release}");
            if let Ok(engine) = self.automation.create(&program_id) {
                return Ok((program_id, engine));
            }
        }
        Err(AgentError::new(
            ErrorKind::Unavailable,
            format!(
                "no Sage Data Objects engine (SDOEngine.{}–{}) is registered for this agent's bitness ({}-bit): install Sage 50 or use the agent build matching its SDO (docs/sage50.md)",
                PROGRAM_IDS.start(),
                PROGRAM_IDS.end(),
                usize::BITS
            ),
        ))
    }

    /// Logs out, if logged in. Errors are logged only: there is nothing else to do about them.
    pub fn disconnect(&mut self) {
        if let Some(session) = self.session.take()
            && let Err(error) = self.automation.call(&session.workspace, "Disconnect", &[])
        {
            tracing::warn!("disconnecting from Sage failed: {error}");
        }
    }

    fn session(&self) -> Result<&Session<A::Object>, AgentError> {
        self.session.as_ref().ok_or_else(|| {
            AgentError::new(
                ErrorKind::Unavailable,
                "not connected to Sage: connect first",
            )
        })
    }

    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << (attempt - 1).min(6);
        (self.retry.first_delay * factor).min(Duration::from_secs(30))
    }

    /// Runs `operation` again while Sage answers busy, up to the policy's attempts.
    fn with_retry<T>(
        &mut self,
        mut operation: impl FnMut(&mut Self) -> Result<T, AgentError>,
    ) -> Result<T, AgentError> {
        let mut attempt = 1;
        loop {
            match operation(self) {
                Err(error) if error.kind == ErrorKind::Busy && attempt < self.retry.attempts => {
                    tracing::info!("Sage is busy ({}); trying again", error.message);
                    std::thread::sleep(self.delay(attempt));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// `LastError` as an agent error, classified by its code.
    fn last_error(&mut self, engine: &A::Object, doing: &str) -> AgentError {
        let read = |agent: &mut Self| -> Result<(i32, String), CallError> {
            let last = match agent.automation.get(engine, "LastError", &[])? {
                Variant::Object(last) => last,
                _ => return Ok((0, String::new())),
            };
            let code = agent.automation.get(&last, "Code", &[])?.to_value().int();
            let text = agent.automation.get(&last, "Text", &[])?.to_value().text();
            Ok((i32::try_from(code).unwrap_or(i32::MAX), text))
        };
        match read(self) {
            Ok((code, text)) => {
                let kind = if codes::retryable(code) {
                    ErrorKind::Busy
                } else if codes::unavailable(code) {
                    ErrorKind::Unavailable
                } else {
                    ErrorKind::Rejected
                };
                let text = if text.is_empty() {
                    "Sage gave no reason".to_owned()
                } else {
                    text
                };
                AgentError {
                    kind,
                    code: Some(code),
                    message: format!("{doing}: {text} (Sage error {code})"),
                }
            }
            Err(error) => call_failed("LastError", error),
        }
    }

    fn engine_error(&mut self, doing: &str) -> AgentError {
        match self.session.as_ref().map(|s| s.engine.clone()) {
            Some(engine) => self.last_error(&engine, doing),
            None => AgentError::new(ErrorKind::Unavailable, "not connected to Sage"),
        }
    }

    fn object(&mut self, target: &A::Object, name: &str) -> Result<A::Object, AgentError> {
        match self
            .automation
            .get(target, name, &[])
            .map_err(|e| call_failed(name, e))?
        {
            Variant::Object(object) => Ok(object),
            other => Err(AgentError::new(
                ErrorKind::Unavailable,
                format!(
                    "SDO answered {} for {name} instead of an object",
                    other.describe()
                ),
            )),
        }
    }

    fn create_object(&mut self, name: &str) -> Result<A::Object, AgentError> {
        let workspace = self.session()?.workspace.clone();
        match self
            .automation
            .call(&workspace, "CreateObject", &[Variant::Text(name.into())])
            .map_err(|e| call_failed(&format!("CreateObject(\"{name}\")"), e))?
        {
            Variant::Object(object) => Ok(object),
            other => Err(AgentError::new(
                ErrorKind::Unavailable,
                format!("CreateObject(\"{name}\") answered {}", other.describe()),
            )),
        }
    }

    /// Calls a method answering True/False; False is Sage's `LastError`.
    fn call_checked(
        &mut self,
        target: &A::Object,
        method: &str,
        args: &[Variant<A::Object>],
        doing: &str,
    ) -> Result<(), AgentError> {
        let ok = self
            .automation
            .call(target, method, args)
            .map_err(|e| call_failed(method, e))?
            .truthy();
        if ok {
            Ok(())
        } else {
            Err(self.engine_error(doing))
        }
    }

    fn call_bool(&mut self, target: &A::Object, method: &str) -> Result<bool, AgentError> {
        Ok(self
            .automation
            .call(target, method, &[])
            .map_err(|e| call_failed(method, e))?
            .truthy())
    }

    fn field(&mut self, fields: &A::Object, name: &str) -> Result<A::Object, AgentError> {
        match self
            .automation
            .get(fields, "Item", &[Variant::Text(name.into())])
            .map_err(|e| call_failed(&format!("Fields.Item(\"{name}\")"), e))?
        {
            Variant::Object(field) => Ok(field),
            _ => Err(AgentError::new(
                ErrorKind::Rejected,
                format!("Sage has no field {name} here"),
            )),
        }
    }

    fn set_fields(&mut self, fields: &A::Object, values: &Fields) -> Result<(), AgentError> {
        for (name, value) in values {
            let field = self.field(fields, name)?;
            self.automation
                .put(&field, "Value", Variant::from_value(value))
                .map_err(|e| {
                    AgentError::new(
                        ErrorKind::Rejected,
                        format!("Sage did not take {value:?} for {name}: {e}"),
                    )
                })?;
        }
        Ok(())
    }

    /// Every field of a fields collection (`Count`, `Item(i).Name`, `.Value`; 1-based).
    fn read_collection(&mut self, fields: &A::Object) -> Result<Fields, AgentError> {
        let count = self
            .automation
            .get(fields, "Count", &[])
            .map_err(|e| call_failed("Fields.Count", e))?
            .to_value()
            .int();
        let mut out = Fields::new();
        for index in 1..=count {
            let field = match self
                .automation
                .get(fields, "Item", &[Variant::Int(index)])
                .map_err(|e| call_failed("Fields.Item", e))?
            {
                Variant::Object(field) => field,
                _ => continue,
            };
            let name = self
                .automation
                .get(&field, "Name", &[])
                .map_err(|e| call_failed("Field.Name", e))?
                .to_value()
                .text();
            let value = self
                .automation
                .get(&field, "Value", &[])
                .map_err(|e| call_failed(&format!("{name}.Value"), e))?
                .to_value();
            out.insert(name, value);
        }
        Ok(out)
    }

    fn read_fields(&mut self, record: &A::Object) -> Result<Fields, AgentError> {
        let fields = self.object(record, "Fields")?;
        self.read_collection(&fields)
    }

    /// Positions `object` on `key`; whether it is there.
    fn find(
        &mut self,
        object: &A::Object,
        record: RecordType,
        key: &str,
    ) -> Result<bool, AgentError> {
        let fields = self.object(object, "Fields")?;
        let mut values = Fields::new();
        values.insert(record.key_field().to_owned(), Value::Text(key.to_owned()));
        self.set_fields(&fields, &values)?;
        Ok(self
            .automation
            .call(object, "Find", &[Variant::Bool(false)])
            .map_err(|e| call_failed("Find", e))?
            .truthy())
    }

    fn list(&mut self, record: RecordType) -> Result<Vec<Fields>, AgentError> {
        let object = self.create_object(record.object_name())?;
        let mut records = Vec::new();
        let mut more = self.call_bool(&object, "MoveFirst")?;
        while more {
            records.push(self.read_fields(&object)?);
            more = self.call_bool(&object, "MoveNext")?;
        }
        Ok(records)
    }

    fn add(&mut self, record: RecordType, values: &Fields) -> Result<Fields, AgentError> {
        let object = self.create_object(record.object_name())?;
        let key = values
            .get(record.key_field())
            .map(Value::text)
            .unwrap_or_default();
        let doing = format!("adding {} '{key}'", record.noun());
        self.call_checked(&object, "AddNew", &[], &doing)?;
        let fields = self.object(&object, "Fields")?;
        self.set_fields(&fields, values)?;
        self.call_checked(&object, "Update", &[], &doing)?;
        self.read_fields(&object)
    }

    fn edit(
        &mut self,
        record: RecordType,
        key: &str,
        values: &Fields,
    ) -> Result<Fields, AgentError> {
        let object = self.create_object(record.object_name())?;
        let doing = format!("changing {} '{key}'", record.noun());
        if !self.find(&object, record, key)? {
            return Err(AgentError {
                kind: ErrorKind::Rejected,
                code: Some(codes::RECORD_NOT_FOUND),
                message: format!("{doing}: it is not in Sage"),
            });
        }
        // Edit fails while another user has the record open: busy, retried.
        self.call_checked(&object, "Edit", &[], &doing)?;
        let fields = self.object(&object, "Fields")?;
        let written = self
            .set_fields(&fields, values)
            .and_then(|()| self.call_checked(&object, "Update", &[], &doing));
        if let Err(error) = written {
            // Leave the record unlocked for others.
            let _ = self.automation.call(&object, "CancelUpdate", &[]);
            return Err(error);
        }
        self.read_fields(&object)
    }

    fn post_document(
        &mut self,
        document: Document,
        header: &Fields,
        items: &[Fields],
        key_field: &str,
        key: Option<&str>,
    ) -> Result<OrderRecord, AgentError> {
        if let Some(key) = key
            && let Some(existing) = self.find_document_by_key(document, key_field, key)?
        {
            let number = existing
                .header
                .get(document.number_field)
                .map(Value::int)
                .unwrap_or_default();
            return Err(AgentError {
                kind: ErrorKind::Rejected,
                code: Some(codes::RECORD_EXISTS),
                message: format!(
                    "{} with key '{key}' is already in Sage as {} {number}",
                    document.article, document.noun
                ),
            });
        }
        let post = self.create_object(document.post_object)?;
        let header_fields = self.object(&post, "Header")?;
        let mut header = header.clone();
        if let Some(key) = key {
            header.insert(key_field.to_owned(), Value::Text(key.to_owned()));
        }
        self.set_fields(&header_fields, &header)?;
        self.add_items(&post, items)?;
        let account = header
            .get("ACCOUNT_REF")
            .map(Value::text)
            .unwrap_or_default();
        self.call_checked(
            &post,
            "Update",
            &[],
            &format!("posting {} for '{account}'", document.article),
        )?;
        let number = self.read_number(&header_fields, document.number_field)?;
        self.find_document(document, number)?.ok_or_else(|| {
            AgentError::new(
                ErrorKind::Unavailable,
                format!(
                    "{} {number} was posted but cannot be read back",
                    document.noun
                ),
            )
        })
    }

    /// One `Items.Add()` per field map, filled.
    fn add_items(&mut self, post: &A::Object, items: &[Fields]) -> Result<(), AgentError> {
        let collection = self.object(post, "Items")?;
        for item in items {
            let line = match self
                .automation
                .call(&collection, "Add", &[])
                .map_err(|e| call_failed("Items.Add", e))?
            {
                Variant::Object(line) => line,
                other => {
                    return Err(AgentError::new(
                        ErrorKind::Unavailable,
                        format!("Items.Add answered {}", other.describe()),
                    ));
                }
            };
            let fields = self.object(&line, "Fields")?;
            self.set_fields(&fields, item)?;
        }
        Ok(())
    }

    /// A number field Sage filled (an order, invoice or header number).
    fn read_number(&mut self, fields: &A::Object, name: &str) -> Result<u32, AgentError> {
        let field = self.field(fields, name)?;
        let number = self
            .automation
            .get(&field, "Value", &[])
            .map_err(|e| call_failed(name, e))?
            .to_value()
            .int();
        u32::try_from(number).map_err(|_| {
            AgentError::new(
                ErrorKind::Unavailable,
                format!("Sage answered {number} for {name}"),
            )
        })
    }

    /// A record with items: its fields and each item's.
    fn read_document(&mut self, record: &A::Object) -> Result<OrderRecord, AgentError> {
        let header = self.read_fields(record)?;
        let items = self.object(record, "Items")?;
        let count = self
            .automation
            .get(&items, "Count", &[])
            .map_err(|e| call_failed("Items.Count", e))?
            .to_value()
            .int();
        let mut lines = Vec::new();
        for index in 1..=count {
            if let Variant::Object(item) = self
                .automation
                .get(&items, "Item", &[Variant::Int(index)])
                .map_err(|e| call_failed("Items.Item", e))?
            {
                lines.push(self.read_fields(&item)?);
            }
        }
        Ok(OrderRecord {
            header,
            items: lines,
        })
    }

    fn find_order(&mut self, number: u32) -> Result<Option<OrderRecord>, AgentError> {
        self.find_document(Document::ORDER, number)
    }

    fn find_document(
        &mut self,
        document: Document,
        number: u32,
    ) -> Result<Option<OrderRecord>, AgentError> {
        let record = self.create_object(document.record_object)?;
        let fields = self.object(&record, "Fields")?;
        let mut key = Fields::new();
        key.insert(document.number_field.into(), Value::Int(i64::from(number)));
        self.set_fields(&fields, &key)?;
        let found = self
            .automation
            .call(&record, "Find", &[Variant::Bool(false)])
            .map_err(|e| call_failed(&format!("{}.Find", document.record_object), e))?
            .truthy();
        if found {
            self.read_document(&record).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Walks the documents, newest first (a crashed run's is among the last).
    fn find_document_by_key(
        &mut self,
        document: Document,
        key_field: &str,
        key: &str,
    ) -> Result<Option<OrderRecord>, AgentError> {
        let record = self.create_object(document.record_object)?;
        let fields = self.object(&record, "Fields")?;
        let mut more = self.call_bool(&record, "MoveLast")?;
        while more {
            let field = self.field(&fields, key_field)?;
            let value = self
                .automation
                .get(&field, "Value", &[])
                .map_err(|e| call_failed(key_field, e))?
                .to_value()
                .text();
            if value == key {
                return self.read_document(&record).map(Some);
            }
            more = self.call_bool(&record, "MovePrev")?;
        }
        Ok(None)
    }

    fn list_documents(&mut self, document: Document) -> Result<Vec<OrderRecord>, AgentError> {
        let record = self.create_object(document.record_object)?;
        let mut documents = Vec::new();
        let mut more = self.call_bool(&record, "MoveFirst")?;
        while more {
            documents.push(self.read_document(&record)?);
            more = self.call_bool(&record, "MoveNext")?;
        }
        Ok(documents)
    }

    /// Every record of the type whose `field` equals `value`.
    fn find_where(
        &mut self,
        record: RecordType,
        field: &str,
        value: &Value,
    ) -> Result<Vec<Fields>, AgentError> {
        let wanted = value.text();
        Ok(self
            .list(record)?
            .into_iter()
            .filter(|fields| fields.get(field).is_some_and(|v| v.text() == wanted))
            .collect())
    }

    /// `TransactionPost`; the posted header and splits read back. A split key already in the
    /// audit trail refuses the posting (a crashed run's transaction is not posted twice).
    fn post_transaction(
        &mut self,
        header: &Fields,
        splits: &[Fields],
        key_field: &str,
    ) -> Result<OrderRecord, AgentError> {
        for key in splits.iter().filter_map(|split| split.get(key_field)) {
            if key.text().is_empty() {
                continue;
            }
            if let Some(existing) = self
                .find_where(RecordType::SplitData, key_field, key)?
                .first()
            {
                let number = existing.get("TRAN_NUMBER").map(Value::int).unwrap_or(0);
                return Err(AgentError {
                    kind: ErrorKind::Rejected,
                    code: Some(codes::RECORD_EXISTS),
                    message: format!(
                        "a transaction with key '{}' is already in Sage as transaction {number}",
                        key.text()
                    ),
                });
            }
        }
        let post = self.create_object("TransactionPost")?;
        let header_fields = self.object(&post, "Header")?;
        self.set_fields(&header_fields, header)?;
        self.add_items(&post, splits)?;
        let account = header
            .get("ACCOUNT_REF")
            .map(Value::text)
            .unwrap_or_default();
        self.call_checked(
            &post,
            "Update",
            &[],
            &format!("posting a transaction for '{account}'"),
        )?;
        let number = self.read_number(&header_fields, "HEADER_NUMBER")?;
        let header = self
            .find_where(
                RecordType::HeaderData,
                "HEADER_NUMBER",
                &Value::Int(number.into()),
            )?
            .pop()
            .ok_or_else(|| {
                AgentError::new(
                    ErrorKind::Unavailable,
                    format!("transaction header {number} was posted but cannot be read back"),
                )
            })?;
        let items = self.find_where(
            RecordType::SplitData,
            "HEADER_NUMBER",
            &Value::Int(number.into()),
        )?;
        Ok(OrderRecord { header, items })
    }

    /// The payment's `HeaderData` record, positioned, allocates to the invoice's.
    fn allocate_transaction(
        &mut self,
        payment: u32,
        invoice: u32,
        amount: f64,
    ) -> Result<(), AgentError> {
        let record = self.create_object("HeaderData")?;
        let fields = self.object(&record, "Fields")?;
        let mut key = Fields::new();
        key.insert("HEADER_NUMBER".into(), Value::Int(payment.into()));
        self.set_fields(&fields, &key)?;
        if !self.call_bool(&record, "Find")? {
            return Err(AgentError {
                kind: ErrorKind::Rejected,
                code: Some(codes::RECORD_NOT_FOUND),
                message: format!("transaction header {payment} is not in Sage"),
            });
        }
        self.call_checked(
            &record,
            "Allocate",
            &[Variant::Int(invoice.into()), Variant::Float(amount)],
            &format!("allocating {amount:.2} of transaction header {payment} to header {invoice}"),
        )
    }

    fn allocate(&mut self, number: u32) -> Result<Reply, AgentError> {
        let record = self.create_object("SOPRecord")?;
        let fields = self.object(&record, "Fields")?;
        let mut key = Fields::new();
        key.insert("ORDER_NUMBER".into(), Value::Int(i64::from(number)));
        self.set_fields(&fields, &key)?;
        if !self.call_bool(&record, "Find")? {
            return Err(AgentError {
                kind: ErrorKind::Rejected,
                code: Some(codes::RECORD_NOT_FOUND),
                message: format!("sales order {number} is not in Sage"),
            });
        }
        let allocation = self.object(&record, "Allocation")?;
        self.call_checked(
            &allocation,
            "AllocateAll",
            &[],
            &format!("allocating stock to sales order {number}"),
        )?;
        self.find_order(number).map(Reply::Order)
    }
}

impl<A: Automation> Drop for Agent<A> {
    fn drop(&mut self) {
        self.disconnect();
    }
}
