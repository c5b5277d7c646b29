//! A fake Sage 50 behind the Sage Data Objects object model, for tests and demonstrations:
//! in process ([`FakeSdo`] is an [`Automation`]) and, on Windows, behind real COM
//! (`wharf-sage-fake-sdo`, which wraps these objects in `IDispatch`).
//!
//! The company lives in `<data path>/wharf-fake-sdo.json` (made by [`FakeCompany::create`]), so
//! that agents started one after another see the same company, and a test can set faults there:
//! busy or exclusive connects, locked records, a hung call, another data version. Only the
//! behaviour Wharf relies on is modelled, and what a real Sage does beyond it is not claimed
//! (docs/sage50.md lists what was verified only against this fake).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use sage_ledger::{LedgerSide, TranType};

use crate::fields::tran_type_of;
use crate::protocol::{Fields, OrderRecord, Value};
use crate::sdo::{Automation, CallError, Variant, codes};

/// The one engine the fake registers, and the version it is.
pub const PROGRAM_ID: &str = "SDOEngine.32";
pub const VERSION: &str = "32.0";
/// The company file in a fake data path.
pub const COMPANY_FILE: &str = "wharf-fake-sdo.json";
/// Set (to anything) to make the fake engine report it is not registered.
pub const UNREGISTERED_ENV: &str = "WHARF_FAKE_SDO_UNREGISTERED";
/// `REGDB_E_CLASSNOTREG`: what creating an unregistered ProgID fails with.
pub const CLASS_NOT_REGISTERED: u32 = 0x8004_0154;
/// `DISP_E_MEMBERNOTFOUND`.
pub const MEMBER_NOT_FOUND: u32 = 0x8002_0003;

const SALES_FIELDS: &[&str] = &[
    "ACCOUNT_REF",
    "NAME",
    "ADDRESS_1",
    "ADDRESS_2",
    "ADDRESS_3",
    "ADDRESS_4",
    "ADDRESS_5",
    "COUNTRY_CODE",
    "CONTACT_NAME",
    "TRADE_CONTACT",
    "TELEPHONE",
    "TELEPHONE_2",
    "FAX",
    "E_MAIL",
    "E_MAIL2",
    "E_MAIL3",
    "WEB_ADDRESS",
    "VAT_REG_NUMBER",
    "ANALYSIS_1",
    "ANALYSIS_2",
    "ANALYSIS_3",
    "DEPT_NUMBER",
    "DEF_NOM_CODE",
    "DEF_TAX_CODE",
    "CURRENCY",
    "CREDIT_LIMIT",
    "BALANCE",
    "TERMS",
    "ACCOUNT_STATUS",
    "RECORD_CREATE_DATE",
    "RECORD_MODIFY_DATE",
];
const STOCK_FIELDS: &[&str] = &[
    "STOCK_CODE",
    "DESCRIPTION",
    "SALES_PRICE",
    "QTY_IN_STOCK",
    "QTY_ALLOCATED",
    "QTY_ON_ORDER",
    "TAX_CODE",
    "NOMINAL_CODE",
    "UNIT_OF_SALE",
    "BARCODE",
    "WEB_PUBLISH",
    "UNIT_WEIGHT",
    "DEPT_NUMBER",
    "STOCK_CAT",
    "LOCATION",
    "REORDER_LEVEL",
    "REORDER_QTY",
    "ITEM_TYPE",
    "RECORD_CREATE_DATE",
    "RECORD_MODIFY_DATE",
];
const ORDER_FIELDS: &[&str] = &[
    "ORDER_NUMBER",
    "ACCOUNT_REF",
    "ORDER_DATE",
    "ORDER_TYPE",
    "CUST_ORDER_NUMBER",
    "TAKEN_BY",
    "NOTES_1",
    "NOTES_2",
    "NOTES_3",
    "ANALYSIS_1",
    "ANALYSIS_2",
    "ANALYSIS_3",
    "NAME",
    "ADDRESS_1",
    "ADDRESS_2",
    "ADDRESS_3",
    "ADDRESS_4",
    "ADDRESS_5",
    "DEL_NAME",
    "DEL_ADDRESS_1",
    "DEL_ADDRESS_2",
    "DEL_ADDRESS_3",
    "DEL_ADDRESS_4",
    "DEL_ADDRESS_5",
    "CURRENCY",
    "FOREIGN_RATE",
    "NET_AMOUNT",
    "TAX_AMOUNT",
    "GROSS_AMOUNT",
    "RECORD_CREATE_DATE",
    "RECORD_MODIFY_DATE",
];
const ITEM_FIELDS: &[&str] = &[
    "STOCK_CODE",
    "DESCRIPTION",
    "COMMENT_1",
    "COMMENT_2",
    "UNIT_OF_SALE",
    "QTY_ORDER",
    "UNIT_PRICE",
    "DISCOUNT_RATE",
    "DISCOUNT_AMOUNT",
    "NET_AMOUNT",
    "TAX_AMOUNT",
    "TAX_CODE",
    "TAX_RATE",
    "NOMINAL_CODE",
    "DEPT_NUMBER",
    "QTY_ALLOCATED",
    "QTY_DESPATCH",
];
const INVOICE_FIELDS: &[&str] = &[
    "INVOICE_NUMBER",
    "INVOICE_TYPE_CODE",
    "ACCOUNT_REF",
    "INVOICE_DATE",
    "ORDER_NUMBER",
    "CUST_ORDER_NUMBER",
    "TAKEN_BY",
    "NOTES_1",
    "NOTES_2",
    "NOTES_3",
    "ANALYSIS_1",
    "ANALYSIS_2",
    "ANALYSIS_3",
    "NAME",
    "ADDRESS_1",
    "ADDRESS_2",
    "ADDRESS_3",
    "ADDRESS_4",
    "ADDRESS_5",
    "DEL_NAME",
    "DEL_ADDRESS_1",
    "DEL_ADDRESS_2",
    "DEL_ADDRESS_3",
    "DEL_ADDRESS_4",
    "DEL_ADDRESS_5",
    "CURRENCY",
    "FOREIGN_RATE",
    "NET_AMOUNT",
    "TAX_AMOUNT",
    "GROSS_AMOUNT",
    "RECORD_CREATE_DATE",
    "RECORD_MODIFY_DATE",
];
/// An audit trail header (`HeaderData`), as `TransactionPost.Header` takes and Sage keeps it.
const HEADER_FIELDS: &[&str] = &[
    "HEADER_NUMBER",
    "TYPE",
    "ACCOUNT_REF",
    "BANK_CODE",
    "DATE",
    "INV_REF",
    "EX_REF",
    "DETAILS",
    "NET_AMOUNT",
    "TAX_AMOUNT",
    "GROSS_AMOUNT",
    "OUTSTANDING",
    "AMOUNT_PAID",
    "RECORD_CREATE_DATE",
    "RECORD_MODIFY_DATE",
];
/// An audit trail split (`SplitData`), as `TransactionPost.Items` take and Sage keeps it.
const SPLIT_FIELDS: &[&str] = &[
    "TRAN_NUMBER",
    "HEADER_NUMBER",
    "TYPE",
    "NOMINAL_CODE",
    "DETAILS",
    "DEPT_NUMBER",
    "TAX_CODE",
    "NET_AMOUNT",
    "TAX_AMOUNT",
    "EX_REF",
    "DATE",
];
const DELIVERY_FIELDS: &[&str] = &[
    "ACCOUNT_REF",
    "NAME",
    "ADDRESS_1",
    "ADDRESS_2",
    "ADDRESS_3",
    "ADDRESS_4",
    "ADDRESS_5",
    "COUNTRY_CODE",
    "CONTACT_NAME",
    "TELEPHONE",
    "E_MAIL",
];
const SETUP_FIELDS: &[&str] = &[
    "NAME",
    "ADDRESS_1",
    "ADDRESS_2",
    "ADDRESS_3",
    "ADDRESS_4",
    "ADDRESS_5",
    "COUNTRY_CODE",
    "VAT_REG_NUMBER",
    "BASE_CURRENCY",
];

/// What a test makes the fake do wrong.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// The next this many connects fail: a file is busy.
    pub busy_connects: u32,
    /// The next this many connects fail: someone has exclusive access (backup, month end).
    pub exclusive_connects: u32,
    /// Record key (`ACCOUNT_REF`, `STOCK_CODE`, or `SOP/<order number>`) → how many more
    /// `Edit`s or allocations fail because another user has it open (`u32::MAX`: always).
    pub locked: BTreeMap<String, u32>,
    /// Call (`SOPPost.Update`, `SalesRecord.Update`, …) → milliseconds it hangs, once.
    pub hang_ms: BTreeMap<String, u64>,
}

/// The fake company file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeCompany {
    /// The Sage version the data is for; [`VERSION`] to connect.
    pub data_version: String,
    /// Sage users and their passwords.
    pub users: BTreeMap<String, String>,
    pub setup: Fields,
    pub customers: BTreeMap<String, Fields>,
    pub products: BTreeMap<String, Fields>,
    pub orders: BTreeMap<u32, OrderRecord>,
    pub invoices: BTreeMap<u32, OrderRecord>,
    /// The audit trail: headers by `HEADER_NUMBER`, splits by `TRAN_NUMBER`.
    pub headers: BTreeMap<u32, Fields>,
    pub splits: BTreeMap<u32, Fields>,
    /// Customers' delivery addresses (`ACCOUNT_REF` names the account).
    pub deliveries: Vec<Fields>,
    /// Supplier accounts by reference (purchase transactions post to them).
    pub suppliers: BTreeMap<String, Fields>,
    pub faults: Faults,
    /// Users logged in now (a connection counts as a logged-in user).
    pub logged_in: Vec<String>,
    /// Every login so far.
    pub logins: u32,
}

impl FakeCompany {
    /// A new practice company in `data_path` for `user`, GBP, tax code 1 at 20 %.
    pub fn create(data_path: &Path, user: &str, password: &str) -> std::io::Result<FakeCompany> {
        std::fs::create_dir_all(data_path)?;
        let mut setup = Fields::new();
        setup.insert("NAME".into(), Value::Text("Wharf Practice Company".into()));
        setup.insert("COUNTRY_CODE".into(), Value::Text("GB".into()));
        setup.insert("BASE_CURRENCY".into(), Value::Text("GBP".into()));
        setup.insert("VAT_REG_NUMBER".into(), Value::Text(String::new()));
        let company = FakeCompany {
            data_version: VERSION.into(),
            users: BTreeMap::from([(user.to_owned(), password.to_owned())]),
            setup,
            ..FakeCompany::default()
        };
        company.save(data_path)?;
        Ok(company)
    }

    pub fn file(data_path: &Path) -> PathBuf {
        data_path.join(COMPANY_FILE)
    }

    pub fn load(data_path: &Path) -> std::io::Result<FakeCompany> {
        let text = std::fs::read_to_string(Self::file(data_path))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    pub fn save(&self, data_path: &Path) -> std::io::Result<()> {
        let file = Self::file(data_path);
        let temporary = file.with_extension("json.tmp");
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&temporary, &file)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sales,
    Stock,
    Order,
    Post,
    Setup,
    Invoice,
    InvoicePost,
    Header,
    Split,
    TransactionPost,
    Delivery,
}

impl Kind {
    fn schema(self) -> &'static [&'static str] {
        match self {
            Kind::Sales => SALES_FIELDS,
            Kind::Stock => STOCK_FIELDS,
            Kind::Order | Kind::Post => ORDER_FIELDS,
            Kind::Setup => SETUP_FIELDS,
            Kind::Invoice | Kind::InvoicePost => INVOICE_FIELDS,
            Kind::Header | Kind::TransactionPost => HEADER_FIELDS,
            Kind::Split => SPLIT_FIELDS,
            Kind::Delivery => DELIVERY_FIELDS,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Sales => "SalesRecord",
            Kind::Stock => "StockRecord",
            Kind::Order => "SOPRecord",
            Kind::Post => "SOPPost",
            Kind::Setup => "SetupData",
            Kind::Invoice => "InvoiceRecord",
            Kind::InvoicePost => "InvoicePost",
            Kind::Header => "HeaderData",
            Kind::Split => "SplitData",
            Kind::TransactionPost => "TransactionPost",
            Kind::Delivery => "SalesDeliveryRecord",
        }
    }

    /// Posting objects: a header and items, written by `Update`.
    fn posts(self) -> bool {
        matches!(self, Kind::Post | Kind::InvoicePost | Kind::TransactionPost)
    }

    /// Records numbered by Sage (walked in number order).
    fn numbered(self) -> bool {
        matches!(
            self,
            Kind::Order | Kind::Invoice | Kind::Header | Kind::Split | Kind::Delivery
        )
    }

    fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Sales,
            Kind::Stock,
            Kind::Order,
            Kind::Post,
            Kind::Setup,
            Kind::Invoice,
            Kind::InvoicePost,
            Kind::Header,
            Kind::Split,
            Kind::TransactionPost,
            Kind::Delivery,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Main,
    Item(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Browse,
    Add,
    Edit,
}

#[derive(Debug)]
enum Object {
    Engine,
    Workspaces,
    Workspace,
    LastError,
    Record {
        kind: Kind,
        main: Fields,
        items: Vec<Fields>,
        cursor: Option<String>,
        mode: Mode,
    },
    Fields {
        owner: usize,
        part: Part,
    },
    Field {
        owner: usize,
        part: Part,
        name: String,
    },
    Items {
        owner: usize,
    },
    Item {
        owner: usize,
        index: usize,
    },
    Allocation {
        owner: usize,
    },
}

/// A record object's kind, buffers, position and mode, to change in place.
type RecordParts<'a> = (
    &'a mut Kind,
    &'a mut Fields,
    &'a mut Vec<Fields>,
    &'a mut Option<String>,
    &'a mut Mode,
);

/// The fake engine and every object handed out (handles are indexes).
#[derive(Debug, Default)]
pub struct FakeSdo {
    objects: Vec<Object>,
    data_path: Option<PathBuf>,
    company: FakeCompany,
    user: String,
    last_error: (i32, String),
}

fn member(name: &str) -> CallError {
    CallError {
        hresult: MEMBER_NOT_FOUND,
        message: format!("the fake SDO has no member {name} here"),
    }
}

fn text_arg(args: &[Variant<usize>], index: usize) -> String {
    match args.get(index) {
        Some(Variant::Text(text)) => text.clone(),
        Some(Variant::Int(value)) => value.to_string(),
        _ => String::new(),
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn now() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

fn number(fields: &Fields, name: &str) -> f64 {
    fields.get(name).map(Value::float).unwrap_or(0.0)
}

fn text(fields: &Fields, name: &str) -> String {
    fields.get(name).map(Value::text).unwrap_or_default()
}

/// Sage 50 UK's default bank accounts (nominal codes).
const BANK_ACCOUNTS: [&str; 6] = ["1200", "1210", "1220", "1230", "1240", "1250"];

/// Sage nominal codes are (up to) eight digits; the default chart has four.
fn is_nominal_code(code: &str) -> bool {
    let code = code.trim();
    (1..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

/// Sage 50 UK's default tax rates by code.
fn tax_rate(code: i64) -> Option<f64> {
    match code {
        0 | 2 | 9 => Some(0.0),
        1 => Some(20.0),
        5 => Some(5.0),
        _ => None,
    }
}

impl FakeSdo {
    pub fn new() -> Self {
        FakeSdo::default()
    }

    fn add(&mut self, object: Object) -> Variant<usize> {
        self.objects.push(object);
        Variant::Object(self.objects.len() - 1)
    }

    fn object(&self, handle: usize) -> Result<&Object, CallError> {
        self.objects
            .get(handle)
            .ok_or_else(|| member("(a released object)"))
    }

    fn fail(&mut self, code: i32, text: impl Into<String>) -> Variant<usize> {
        self.last_error = (code, text.into());
        Variant::Bool(false)
    }

    fn save(&mut self) -> Result<(), CallError> {
        match &self.data_path {
            Some(path) => self.company.save(path).map_err(|e| CallError {
                hresult: 0x8000_4005,
                message: format!("the fake company file cannot be written: {e}"),
            }),
            None => Ok(()),
        }
    }

    /// Takes up what other users (other processes, a test setting faults) changed meanwhile:
    /// the file is the company, as Sage's data files are.
    fn reload(&mut self) -> Result<(), CallError> {
        if let Some(path) = &self.data_path {
            self.company = FakeCompany::load(path).map_err(|e| CallError {
                hresult: 0x8000_4005,
                message: format!("the fake company file cannot be read: {e}"),
            })?;
        }
        Ok(())
    }

    /// Sleeps through a hang set for `call`, once.
    fn maybe_hang(&mut self, call: &str) -> Result<(), CallError> {
        if let Some(ms) = self.company.faults.hang_ms.remove(call) {
            self.save()?;
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        Ok(())
    }

    /// Whether `key` is locked by another user now (and counts the attempt).
    fn locked(&mut self, key: &str) -> Result<bool, CallError> {
        let Some(left) = self.company.faults.locked.get_mut(key) else {
            return Ok(false);
        };
        if *left == 0 {
            return Ok(false);
        }
        if *left != u32::MAX {
            *left -= 1;
        }
        self.save()?;
        Ok(true)
    }

    fn connect(&mut self, args: &[Variant<usize>]) -> Result<Variant<usize>, CallError> {
        let path = PathBuf::from(text_arg(args, 0));
        let (user, password) = (text_arg(args, 1), text_arg(args, 2));
        let Ok(mut company) = FakeCompany::load(&path) else {
            return Ok(self.fail(
                codes::DATA_PATH_NOT_FOUND,
                format!("no Sage company at {}", path.display()),
            ));
        };
        if company.data_version != VERSION {
            return Ok(self.fail(
                codes::WRONG_VERSION,
                format!("the data is version {}", company.data_version),
            ));
        }
        let busy = if company.faults.exclusive_connects > 0 {
            company.faults.exclusive_connects -= 1;
            Some((
                codes::EXCLUSIVE,
                "another user has exclusive access to the data",
            ))
        } else if company.faults.busy_connects > 0 {
            company.faults.busy_connects -= 1;
            Some((codes::FILE_BUSY, "a data file is busy"))
        } else {
            None
        };
        if let Some((code, message)) = busy {
            company.save(&path).map_err(|e| CallError {
                hresult: 0x8000_4005,
                message: e.to_string(),
            })?;
            return Ok(self.fail(code, message));
        }
        if company.users.get(&user) != Some(&password) {
            return Ok(self.fail(codes::BAD_LOGIN, "invalid logon name or password"));
        }
        company.logged_in.push(user.clone());
        company.logins += 1;
        self.company = company;
        self.data_path = Some(path);
        self.user = user;
        self.save()?;
        Ok(Variant::Bool(true))
    }

    fn disconnect(&mut self) -> Result<Variant<usize>, CallError> {
        if self.data_path.is_some() {
            // Another process may have changed the file (faults) since: reload, then log out.
            if let Some(path) = &self.data_path
                && let Ok(current) = FakeCompany::load(path)
            {
                self.company = current;
            }
            if let Some(position) = self.company.logged_in.iter().position(|u| *u == self.user) {
                self.company.logged_in.remove(position);
            }
            self.save()?;
            self.data_path = None;
        }
        Ok(Variant::Bool(true))
    }

    fn record_mut(&mut self, handle: usize) -> Result<RecordParts<'_>, CallError> {
        match self.objects.get_mut(handle) {
            Some(Object::Record {
                kind,
                main,
                items,
                cursor,
                mode,
            }) => Ok((kind, main, items, cursor, mode)),
            _ => Err(member("(not a record)")),
        }
    }

    fn table(&self, kind: Kind) -> Vec<String> {
        match kind {
            Kind::Sales => self.company.customers.keys().cloned().collect(),
            Kind::Stock => self.company.products.keys().cloned().collect(),
            Kind::Order => self.company.orders.keys().map(u32::to_string).collect(),
            Kind::Invoice => self.company.invoices.keys().map(u32::to_string).collect(),
            Kind::Header => self.company.headers.keys().map(u32::to_string).collect(),
            Kind::Split => self.company.splits.keys().map(u32::to_string).collect(),
            Kind::Delivery => (0..self.company.deliveries.len())
                .map(|i| i.to_string())
                .collect(),
            Kind::Post | Kind::InvoicePost | Kind::TransactionPost | Kind::Setup => Vec::new(),
        }
    }

    fn stored(&self, kind: Kind, key: &str) -> Option<(Fields, Vec<Fields>)> {
        match kind {
            Kind::Sales => self
                .company
                .customers
                .get(key)
                .map(|f| (f.clone(), Vec::new())),
            Kind::Stock => self
                .company
                .products
                .get(key)
                .map(|f| (f.clone(), Vec::new())),
            Kind::Order | Kind::Invoice => key
                .parse::<u32>()
                .ok()
                .and_then(|n| self.documents(kind).get(&n))
                .map(|o| (o.header.clone(), o.items.clone())),
            Kind::Header | Kind::Split => key
                .parse::<u32>()
                .ok()
                .and_then(|n| self.audit(kind).get(&n))
                .map(|f| (f.clone(), Vec::new())),
            Kind::Delivery => key
                .parse::<usize>()
                .ok()
                .and_then(|i| self.company.deliveries.get(i))
                .map(|f| (f.clone(), Vec::new())),
            Kind::Post | Kind::InvoicePost | Kind::TransactionPost | Kind::Setup => None,
        }
    }

    fn key_of(kind: Kind, fields: &Fields) -> String {
        match kind {
            Kind::Sales => text(fields, "ACCOUNT_REF").trim().to_uppercase(),
            Kind::Stock => text(fields, "STOCK_CODE").trim().to_uppercase(),
            Kind::Order | Kind::Invoice | Kind::Header | Kind::Split => {
                let field = match kind {
                    Kind::Order => "ORDER_NUMBER",
                    Kind::Invoice => "INVOICE_NUMBER",
                    Kind::Header => "HEADER_NUMBER",
                    _ => "TRAN_NUMBER",
                };
                fields
                    .get(field)
                    .map(Value::int)
                    .unwrap_or_default()
                    .to_string()
            }
            Kind::Post
            | Kind::InvoicePost
            | Kind::TransactionPost
            | Kind::Setup
            | Kind::Delivery => String::new(),
        }
    }

    /// Positions a record on `key` (loads it into the buffer).
    fn position(&mut self, handle: usize, key: Option<String>) -> Result<bool, CallError> {
        let kind = *self.record_mut(handle)?.0;
        let loaded = key.as_ref().and_then(|key| self.stored(kind, key));
        let (_, main, items, cursor, mode) = self.record_mut(handle)?;
        *mode = Mode::Browse;
        match loaded {
            Some((fields, lines)) => {
                *main = fields;
                *items = lines;
                *cursor = key;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn move_to(&mut self, handle: usize, method: &str) -> Result<Variant<usize>, CallError> {
        let kind = *self.record_mut(handle)?.0;
        let mut keys = self.table(kind);
        if kind.numbered() {
            keys.sort_by_key(|k| k.parse::<u32>().unwrap_or(0));
        }
        let current = self.record_mut(handle)?.3.clone();
        let at = current.and_then(|c| keys.iter().position(|k| *k == c));
        let next = match (method, at) {
            ("MoveFirst", _) => keys.first().cloned(),
            ("MoveLast", _) => keys.last().cloned(),
            ("MoveNext", Some(i)) => keys.get(i + 1).cloned(),
            ("MovePrev", Some(i)) if i > 0 => keys.get(i - 1).cloned(),
            _ => None,
        };
        Ok(Variant::Bool(self.position(handle, next)?))
    }

    fn update(&mut self, handle: usize) -> Result<Variant<usize>, CallError> {
        let (kind, main, items, cursor, mode) = self.record_mut(handle)?;
        let (kind, mut main, items, cursor, mode) =
            (*kind, main.clone(), items.clone(), cursor.clone(), *mode);
        if kind.posts() {
            let posted = match kind {
                Kind::TransactionPost => self.post_transaction(handle, main, items)?,
                _ => self.post(handle, kind, main, items)?,
            };
            // Written before the call hangs: Sage committed, the caller never heard.
            if posted == Variant::Bool(true) {
                self.maybe_hang(&format!("{}.Update", kind.name()))?;
            }
            return Ok(posted);
        }
        self.maybe_hang(&format!("{}.Update", kind.name()))?;
        let key = Self::key_of(kind, &main);
        if key.is_empty() {
            return Ok(self.fail(
                codes::INVALID_VALUE,
                format!("the {} has no key", kind.name()),
            ));
        }
        let stamp = Value::Date(now());
        match mode {
            Mode::Add => {
                if self.stored(kind, &key).is_some() {
                    return Ok(self.fail(codes::RECORD_EXISTS, format!("'{key}' already exists")));
                }
                main.insert("RECORD_CREATE_DATE".into(), stamp);
                // Sage leaves the modify date empty until the first change.
                main.insert("RECORD_MODIFY_DATE".into(), Value::Null);
            }
            Mode::Edit if cursor.as_deref() == Some(key.as_str()) => {
                main.insert("RECORD_MODIFY_DATE".into(), stamp);
            }
            _ => return Ok(self.fail(codes::INVALID_VALUE, "Update without AddNew or Edit")),
        }
        match kind {
            Kind::Sales => self.company.customers.insert(key.clone(), main.clone()),
            Kind::Stock => self.company.products.insert(key.clone(), main.clone()),
            _ => return Ok(self.fail(codes::INVALID_VALUE, "this record cannot be updated")),
        };
        let (_, buffer, _, cursor, mode) = self.record_mut(handle)?;
        *buffer = main;
        *cursor = Some(key);
        *mode = Mode::Browse;
        self.save()?;
        Ok(Variant::Bool(true))
    }

    /// Sales orders or invoices, by number.
    fn documents(&self, kind: Kind) -> &BTreeMap<u32, OrderRecord> {
        match kind {
            Kind::Invoice | Kind::InvoicePost => &self.company.invoices,
            _ => &self.company.orders,
        }
    }

    /// Audit trail headers or splits, by number.
    fn audit(&self, kind: Kind) -> &BTreeMap<u32, Fields> {
        match kind {
            Kind::Split => &self.company.splits,
            _ => &self.company.headers,
        }
    }

    /// `SOPPost.Update` or `InvoicePost.Update`: Sage prices, numbers and stores the document.
    fn post(
        &mut self,
        handle: usize,
        kind: Kind,
        mut header: Fields,
        mut items: Vec<Fields>,
    ) -> Result<Variant<usize>, CallError> {
        let invoice = kind == Kind::InvoicePost;
        let account = text(&header, "ACCOUNT_REF").trim().to_uppercase();
        if !self.company.customers.contains_key(&account) {
            return Ok(self.fail(
                codes::RECORD_NOT_FOUND,
                format!("account '{account}' does not exist"),
            ));
        }
        if items.is_empty() {
            return Ok(self.fail(codes::INVALID_VALUE, "the document has no items"));
        }
        let (mut net_total, mut tax_total) = (0.0, 0.0);
        for (index, item) in items.iter_mut().enumerate() {
            let code = text(item, "STOCK_CODE").trim().to_uppercase();
            let special = ["S1", "S2", "S3", "M"].contains(&code.as_str());
            if !special && !self.company.products.contains_key(&code) {
                return Ok(self.fail(
                    codes::RECORD_NOT_FOUND,
                    format!("item {}: product '{code}' does not exist", index + 1),
                ));
            }
            let tax_code = item.get("TAX_CODE").map(Value::int).unwrap_or(1);
            let Some(rate) = tax_rate(tax_code) else {
                return Ok(self.fail(
                    codes::INVALID_VALUE,
                    format!("item {}: tax code T{tax_code} is not set up", index + 1),
                ));
            };
            let quantity = number(item, "QTY_ORDER");
            let net =
                round2(quantity * (number(item, "UNIT_PRICE") - number(item, "DISCOUNT_AMOUNT")));
            let tax = round2(net * rate / 100.0);
            net_total += net;
            tax_total += tax;
            item.insert("STOCK_CODE".into(), Value::Text(code));
            item.insert("NET_AMOUNT".into(), Value::Float(net));
            item.insert("TAX_AMOUNT".into(), Value::Float(tax));
            item.insert("TAX_RATE".into(), Value::Float(rate));
            item.insert("TAX_CODE".into(), Value::Int(tax_code));
            item.insert("QTY_ALLOCATED".into(), Value::Float(0.0));
            item.insert("QTY_DESPATCH".into(), Value::Float(0.0));
        }
        let currency = self.company.customers[&account]
            .get("CURRENCY")
            .cloned()
            .unwrap_or(Value::Int(1));
        header.insert("CURRENCY".into(), currency);
        header.insert("FOREIGN_RATE".into(), Value::Float(1.0));
        let number = self.documents(kind).keys().next_back().map_or(1, |n| n + 1);
        let (number_field, date_field) = if invoice {
            ("INVOICE_NUMBER", "INVOICE_DATE")
        } else {
            ("ORDER_NUMBER", "ORDER_DATE")
        };
        header.insert(number_field.into(), Value::Int(i64::from(number)));
        header.insert("ACCOUNT_REF".into(), Value::Text(account));
        header.insert("NET_AMOUNT".into(), Value::Float(round2(net_total)));
        header.insert("TAX_AMOUNT".into(), Value::Float(round2(tax_total)));
        header.insert(
            "GROSS_AMOUNT".into(),
            Value::Float(round2(net_total + tax_total)),
        );
        header
            .entry(date_field.into())
            .or_insert(Value::Date(now()));
        header.insert("RECORD_CREATE_DATE".into(), Value::Date(now()));
        let document = OrderRecord {
            header: header.clone(),
            items: items.clone(),
        };
        if invoice {
            self.company.invoices.insert(number, document);
        } else {
            self.company.orders.insert(number, document);
        }
        let (_, main, lines, _, _) = self.record_mut(handle)?;
        *main = header;
        *lines = items;
        self.save()?;
        Ok(Variant::Bool(true))
    }

    /// `TransactionPost.Update`: checks the accounts, codes and (for a journal) the balance,
    /// computes tax left out at the code's rate, numbers the header and each split, moves the
    /// account's balance and leaves invoices, credits and payments outstanding.
    fn post_transaction(
        &mut self,
        handle: usize,
        mut header: Fields,
        mut splits: Vec<Fields>,
    ) -> Result<Variant<usize>, CallError> {
        let type_number = header.get("TYPE").map(Value::int).unwrap_or(0);
        let Some(kind) = tran_type_of(type_number) else {
            return Ok(self.fail(
                codes::INVALID_VALUE,
                format!("TYPE {type_number} is not a transaction type"),
            ));
        };
        if splits.is_empty() {
            return Ok(self.fail(codes::INVALID_VALUE, "the transaction has no splits"));
        }
        let account = text(&header, "ACCOUNT_REF").trim().to_uppercase();
        let known = match kind.side() {
            LedgerSide::Customer => self.company.customers.contains_key(&account),
            LedgerSide::Supplier => self.company.suppliers.contains_key(&account),
            LedgerSide::Nominal => true,
        };
        if !known {
            return Ok(self.fail(
                codes::RECORD_NOT_FOUND,
                format!("account '{account}' does not exist"),
            ));
        }
        let bank = match kind {
            TranType::BR | TranType::BP => account.clone(),
            _ => text(&header, "BANK_CODE"),
        };
        if kind.uses_bank() && !BANK_ACCOUNTS.contains(&bank.trim()) {
            return Ok(self.fail(
                codes::INVALID_VALUE,
                format!("'{bank}' is not a bank account"),
            ));
        }
        let (mut net_total, mut tax_total, mut debits, mut credits) = (0.0, 0.0, 0.0, 0.0);
        for (index, split) in splits.iter_mut().enumerate() {
            let nominal = text(split, "NOMINAL_CODE");
            if !nominal.is_empty() && !is_nominal_code(&nominal) {
                return Ok(self.fail(
                    codes::INVALID_VALUE,
                    format!("split {}: '{nominal}' is not a nominal code", index + 1),
                ));
            }
            let tax_code = split.get("TAX_CODE").map(Value::int).unwrap_or(9);
            let Some(rate) = tax_rate(tax_code) else {
                return Ok(self.fail(
                    codes::INVALID_VALUE,
                    format!("split {}: tax code T{tax_code} is not set up", index + 1),
                ));
            };
            let net = round2(number(split, "NET_AMOUNT"));
            let tax = match split.get("TAX_AMOUNT") {
                Some(Value::Null) | None => round2(net * rate / 100.0),
                Some(value) => round2(value.float()),
            };
            let split_type = split.get("TYPE").map_or(type_number, Value::int);
            match tran_type_of(split_type) {
                Some(TranType::JD) => debits += net,
                Some(TranType::JC) => credits += net,
                _ => {}
            }
            net_total += net;
            tax_total += tax;
            split.insert("TYPE".into(), Value::Int(split_type));
            split.insert("TAX_CODE".into(), Value::Int(tax_code));
            split.insert("NET_AMOUNT".into(), Value::Float(net));
            split.insert("TAX_AMOUNT".into(), Value::Float(tax));
        }
        if matches!(kind, TranType::JD | TranType::JC) && (debits - credits).abs() > 0.005 {
            return Ok(self.fail(
                codes::INVALID_VALUE,
                format!("the journal does not balance: debits {debits:.2}, credits {credits:.2}"),
            ));
        }
        let gross = round2(net_total + tax_total);
        let stamp = Value::Date(now());
        let header_number = self.company.headers.keys().next_back().map_or(1, |n| n + 1);
        let first_split = self.company.splits.keys().next_back().map_or(1, |n| n + 1);
        let date = header
            .get("DATE")
            .filter(|value| **value != Value::Null)
            .cloned()
            .unwrap_or_else(|| stamp.clone());
        header.insert("HEADER_NUMBER".into(), Value::Int(header_number.into()));
        header.insert("ACCOUNT_REF".into(), Value::Text(account.clone()));
        header.insert("DATE".into(), date.clone());
        header.insert("NET_AMOUNT".into(), Value::Float(round2(net_total)));
        header.insert("TAX_AMOUNT".into(), Value::Float(round2(tax_total)));
        header.insert("GROSS_AMOUNT".into(), Value::Float(gross));
        header.insert(
            "OUTSTANDING".into(),
            Value::Float(if kind.is_allocatable() { gross } else { 0.0 }),
        );
        header.insert("AMOUNT_PAID".into(), Value::Float(0.0));
        header.insert("RECORD_CREATE_DATE".into(), stamp.clone());
        header.insert("RECORD_MODIFY_DATE".into(), Value::Null);
        for (tran_number, split) in (first_split..).zip(splits.iter_mut()) {
            split.insert("TRAN_NUMBER".into(), Value::Int(tran_number.into()));
            split.insert("HEADER_NUMBER".into(), Value::Int(header_number.into()));
            split.insert("DATE".into(), date.clone());
            self.company.splits.insert(tran_number, split.clone());
        }
        self.company.headers.insert(header_number, header.clone());
        let moved = match kind {
            TranType::SI | TranType::SP | TranType::PI | TranType::PR => gross,
            TranType::SC | TranType::SR | TranType::SA => -gross,
            TranType::PC | TranType::PP | TranType::PA => -gross,
            _ => 0.0,
        };
        let ledger = match kind.side() {
            LedgerSide::Customer => Some(&mut self.company.customers),
            LedgerSide::Supplier => Some(&mut self.company.suppliers),
            LedgerSide::Nominal => None,
        };
        if let Some(record) = ledger.and_then(|accounts| accounts.get_mut(&account)) {
            let balance = round2(number(record, "BALANCE") + moved);
            record.insert("BALANCE".into(), Value::Float(balance));
            record.insert("RECORD_MODIFY_DATE".into(), stamp);
        }
        let (_, main, lines, _, _) = self.record_mut(handle)?;
        *main = header;
        *lines = splits;
        self.save()?;
        Ok(Variant::Bool(true))
    }

    /// `HeaderData.Allocate(invoice header, amount)` on a payment or credit's header: both
    /// of the same account, neither allocated beyond what it has outstanding.
    fn allocate_header(
        &mut self,
        owner: usize,
        args: &[Variant<usize>],
    ) -> Result<Variant<usize>, CallError> {
        let payment = self
            .record_mut(owner)?
            .3
            .clone()
            .and_then(|key| key.parse::<u32>().ok());
        let invoice = match args.first() {
            Some(Variant::Int(number)) => u32::try_from(*number).ok(),
            _ => None,
        };
        let amount = round2(args.get(1).map_or(0.0, |v| v.to_value().float()));
        let (Some(payment), Some(invoice)) = (payment, invoice) else {
            return Ok(self.fail(codes::RECORD_NOT_FOUND, "no transaction is selected"));
        };
        let found = (
            self.company.headers.get(&payment).cloned(),
            self.company.headers.get(&invoice).cloned(),
        );
        let (Some(paying), Some(paid)) = found else {
            return Ok(self.fail(
                codes::RECORD_NOT_FOUND,
                format!("transaction header {invoice} does not exist"),
            ));
        };
        if text(&paying, "ACCOUNT_REF") != text(&paid, "ACCOUNT_REF") {
            return Ok(self.fail(
                codes::INVALID_VALUE,
                "the transactions belong to different accounts",
            ));
        }
        if amount <= 0.0
            || amount > number(&paying, "OUTSTANDING") + 0.005
            || amount > number(&paid, "OUTSTANDING") + 0.005
        {
            return Ok(self.fail(
                codes::INVALID_VALUE,
                format!("{amount:.2} is more than is outstanding"),
            ));
        }
        for header in [payment, invoice] {
            if let Some(record) = self.company.headers.get_mut(&header) {
                let outstanding = round2(number(record, "OUTSTANDING") - amount);
                let paid = round2(number(record, "AMOUNT_PAID") + amount);
                record.insert("OUTSTANDING".into(), Value::Float(outstanding));
                record.insert("AMOUNT_PAID".into(), Value::Float(paid));
                record.insert("RECORD_MODIFY_DATE".into(), Value::Date(now()));
            }
        }
        self.save()?;
        Ok(Variant::Bool(true))
    }

    fn allocate_all(&mut self, owner: usize) -> Result<Variant<usize>, CallError> {
        let key = self.record_mut(owner)?.3.clone().unwrap_or_default();
        let Some(mut order) = key
            .parse::<u32>()
            .ok()
            .and_then(|n| self.company.orders.get(&n).cloned())
        else {
            return Ok(self.fail(codes::RECORD_NOT_FOUND, "no order is selected"));
        };
        if self.locked(&format!("SOP/{key}"))? {
            return Ok(self.fail(
                codes::RECORD_LOCKED,
                format!("sales order {key} is in use by another user"),
            ));
        }
        for item in &mut order.items {
            let code = text(item, "STOCK_CODE");
            let Some(product) = self.company.products.get_mut(&code) else {
                continue;
            };
            let free =
                (number(product, "QTY_IN_STOCK") - number(product, "QTY_ALLOCATED")).max(0.0);
            let wanted = (number(item, "QTY_ORDER") - number(item, "QTY_ALLOCATED")).max(0.0);
            let allocated = wanted.min(free);
            if allocated > 0.0 {
                product.insert(
                    "QTY_ALLOCATED".into(),
                    Value::Float(number(product, "QTY_ALLOCATED") + allocated),
                );
                product.insert("RECORD_MODIFY_DATE".into(), Value::Date(now()));
                item.insert(
                    "QTY_ALLOCATED".into(),
                    Value::Float(number(item, "QTY_ALLOCATED") + allocated),
                );
            }
        }
        let number = key.parse::<u32>().unwrap_or_default();
        self.company.orders.insert(number, order);
        self.save()?;
        Ok(Variant::Bool(true))
    }

    fn fields_of(&self, owner: usize, part: Part) -> Result<(Kind, &Fields), CallError> {
        match (self.object(owner)?, part) {
            (Object::Record { kind, main, .. }, Part::Main) => Ok((*kind, main)),
            (Object::Record { kind, items, .. }, Part::Item(index)) => items
                .get(index)
                .map(|fields| (*kind, fields))
                .ok_or_else(|| member("Item")),
            _ => Err(member("Fields")),
        }
    }

    fn schema(kind: Kind, part: Part) -> &'static [&'static str] {
        match part {
            Part::Main => kind.schema(),
            Part::Item(_) if matches!(kind, Kind::TransactionPost | Kind::Split) => SPLIT_FIELDS,
            Part::Item(_) => ITEM_FIELDS,
        }
    }
}

impl Automation for FakeSdo {
    type Object = usize;

    fn create(&mut self, program_id: &str) -> Result<usize, CallError> {
        if program_id.eq_ignore_ascii_case(PROGRAM_ID) {
            match self.add(Object::Engine) {
                Variant::Object(handle) => Ok(handle),
                _ => unreachable!("add returns an object"),
            }
        } else {
            Err(CallError {
                hresult: CLASS_NOT_REGISTERED,
                message: format!("class {program_id} is not registered"),
            })
        }
    }

    fn get(
        &mut self,
        target: &usize,
        name: &str,
        args: &[Variant<usize>],
    ) -> Result<Variant<usize>, CallError> {
        let target = *target;
        let value = match (self.object(target)?, name) {
            (Object::Engine, "Version") => Variant::Text(VERSION.into()),
            (Object::Engine, "IsRegistered") => {
                Variant::Bool(std::env::var_os(UNREGISTERED_ENV).is_none())
            }
            (Object::Engine, "SopEnabled") => Variant::Bool(true),
            (Object::Engine, "Edition") => Variant::Text("Accounts Professional".into()),
            (Object::Engine, "Workspaces") => self.add(Object::Workspaces),
            (Object::Engine, "LastError") => self.add(Object::LastError),
            (Object::LastError, "Code") => Variant::Int(i64::from(self.last_error.0)),
            (Object::LastError, "Text") => Variant::Text(self.last_error.1.clone()),
            (Object::Record { kind, .. }, "Header") if kind.posts() => self.add(Object::Fields {
                owner: target,
                part: Part::Main,
            }),
            (Object::Record { .. }, "Fields") => self.add(Object::Fields {
                owner: target,
                part: Part::Main,
            }),
            (Object::Record { .. }, "Items") => self.add(Object::Items { owner: target }),
            (
                Object::Record {
                    kind: Kind::Order, ..
                },
                "Allocation",
            ) => self.add(Object::Allocation { owner: target }),
            (Object::Item { owner, index }, "Fields") => {
                let (owner, index) = (*owner, *index);
                self.add(Object::Fields {
                    owner,
                    part: Part::Item(index),
                })
            }
            (Object::Items { owner }, "Count") => {
                let owner = *owner;
                match self.object(owner)? {
                    Object::Record { items, .. } => Variant::Int(items.len() as i64),
                    _ => return Err(member("Count")),
                }
            }
            (Object::Items { owner }, "Item") => {
                let owner = *owner;
                let index = match args.first() {
                    Some(Variant::Int(i)) if *i >= 1 => (*i - 1) as usize,
                    _ => return Err(member("Item")),
                };
                self.add(Object::Item { owner, index })
            }
            (Object::Fields { owner, part }, "Count") => {
                let (owner, part) = (*owner, *part);
                let (kind, _) = self.fields_of(owner, part)?;
                Variant::Int(Self::schema(kind, part).len() as i64)
            }
            (Object::Fields { owner, part }, "Item") => {
                let (owner, part) = (*owner, *part);
                let (kind, _) = self.fields_of(owner, part)?;
                let schema = Self::schema(kind, part);
                let name = match args.first() {
                    Some(Variant::Int(i)) if *i >= 1 => schema.get((*i - 1) as usize).copied(),
                    Some(Variant::Text(wanted)) => schema
                        .iter()
                        .copied()
                        .find(|f| f.eq_ignore_ascii_case(wanted)),
                    _ => None,
                };
                match name {
                    Some(name) => self.add(Object::Field {
                        owner,
                        part,
                        name: name.to_owned(),
                    }),
                    None => {
                        return Err(member(&format!(
                            "Fields.Item({:?}) of {}",
                            args.first(),
                            kind.name()
                        )));
                    }
                }
            }
            (Object::Field { name, .. }, "Name") => Variant::Text(name.clone()),
            (Object::Field { owner, part, name }, "Value") => {
                let (owner, part, name) = (*owner, *part, name.clone());
                let (_, fields) = self.fields_of(owner, part)?;
                fields
                    .get(&name)
                    .map_or(Variant::Empty, Variant::from_value)
            }
            _ => return Err(member(name)),
        };
        Ok(value)
    }

    fn put(&mut self, target: &usize, name: &str, value: Variant<usize>) -> Result<(), CallError> {
        let (owner, part, field) = match (self.object(*target)?, name) {
            (
                Object::Field {
                    owner,
                    part,
                    name: field,
                },
                "Value",
            ) => (*owner, *part, field.clone()),
            _ => return Err(member(name)),
        };
        let value = value.to_value();
        match (self.objects.get_mut(owner), part) {
            (Some(Object::Record { main, .. }), Part::Main) => {
                main.insert(field, value);
            }
            (Some(Object::Record { items, .. }), Part::Item(index)) => {
                if let Some(item) = items.get_mut(index) {
                    item.insert(field, value);
                }
            }
            _ => return Err(member("Value")),
        }
        Ok(())
    }

    fn call(
        &mut self,
        target: &usize,
        name: &str,
        args: &[Variant<usize>],
    ) -> Result<Variant<usize>, CallError> {
        let target = *target;
        if !matches!(name, "Connect" | "Disconnect") {
            self.reload()?;
        }
        match (self.object(target)?, name) {
            (Object::Workspaces, "Add") => Ok(self.add(Object::Workspace)),
            (Object::Workspace, "Connect") => self.connect(args),
            (Object::Workspace, "Disconnect") => self.disconnect(),
            (Object::Workspace, "CreateObject") => {
                if self.data_path.is_none() {
                    return Err(member("CreateObject (not connected)"));
                }
                let name = text_arg(args, 0);
                let Some(kind) = Kind::from_name(&name) else {
                    return Err(member(&format!("CreateObject(\"{name}\")")));
                };
                Ok(self.add(Object::Record {
                    kind,
                    main: Fields::new(),
                    items: Vec::new(),
                    cursor: None,
                    mode: Mode::Browse,
                }))
            }
            (
                Object::Record {
                    kind: Kind::Setup, ..
                },
                "Read",
            ) => {
                let setup = self.company.setup.clone();
                *self.record_mut(target)?.1 = setup;
                Ok(Variant::Bool(true))
            }
            (Object::Record { kind, main, .. }, "Find") => {
                let key = Self::key_of(*kind, main);
                let found = self.position(target, Some(key.clone()))?;
                if !found {
                    self.fail(codes::RECORD_NOT_FOUND, format!("'{key}' was not found"));
                }
                Ok(Variant::Bool(found))
            }
            (Object::Record { .. }, "MoveFirst" | "MoveNext" | "MoveLast" | "MovePrev") => {
                self.move_to(target, name)
            }
            (Object::Record { .. }, "AddNew") => {
                let (_, main, items, cursor, mode) = self.record_mut(target)?;
                main.clear();
                items.clear();
                *cursor = None;
                *mode = Mode::Add;
                Ok(Variant::Bool(true))
            }
            (Object::Record { cursor, .. }, "Edit") => {
                let Some(key) = cursor.clone() else {
                    return Ok(self.fail(codes::RECORD_NOT_FOUND, "no record is selected"));
                };
                if self.locked(&key)? {
                    return Ok(self.fail(
                        codes::RECORD_LOCKED,
                        format!("'{key}' is in use by another user"),
                    ));
                }
                *self.record_mut(target)?.4 = Mode::Edit;
                Ok(Variant::Bool(true))
            }
            (Object::Record { .. }, "CancelUpdate") => {
                let key = self.record_mut(target)?.3.clone();
                self.position(target, key)?;
                Ok(Variant::Bool(true))
            }
            (Object::Record { .. }, "Update") => self.update(target),
            (Object::Items { owner }, "Add") => {
                let owner = *owner;
                let index = match self.objects.get_mut(owner) {
                    Some(Object::Record { kind, items, .. }) if kind.posts() => {
                        items.push(Fields::new());
                        items.len() - 1
                    }
                    _ => return Err(member("Items.Add")),
                };
                Ok(self.add(Object::Item { owner, index }))
            }
            (
                Object::Record {
                    kind: Kind::Header, ..
                },
                "Allocate",
            ) => self.allocate_header(target, args),
            (Object::Allocation { owner }, "AllocateAll") => {
                let owner = *owner;
                self.allocate_all(owner)
            }
            _ => Err(member(name)),
        }
    }
}
