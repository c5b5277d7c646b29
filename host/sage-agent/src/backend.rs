//! The runner's side: [`SdoBackend`] is a [`SageBackend`] that has a `wharf-sage-agent` do the
//! Sage Data Objects calls, over a [`Transport`]: the agent process ([`AgentProcess`], killed
//! when a call hangs), the agent in this process ([`InProcess`]), or a recorded transcript
//! ([`Replay`]); [`Recording`] captures the exchanges of any of them.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use chrono::NaiveDateTime;
use sage_ledger::{
    Address, AllocationResult, BackendError, BackendResult, CompanyInfo, Customer,
    DeliveryAddressChange, Invoice, InvoiceOutcome, InvoiceRequest, JournalLine, LedgerSide,
    MatchField, NewCustomer, OrderImportOptions, OrderOutcome, PostedGroup, Probe, Product,
    Rejection, SageBackend, SalesOrder, SalesOrderRequest, StockRecordFilter, StockSelection,
    TranType, TransactionLine, TransactionRequest, normalise_account_ref, normalise_stock_code,
};
use serde::{Deserialize, Serialize};

use crate::fields::{self, InvoicePosting, amount_of, number_of, tran_type_code};
use crate::protocol::{
    AgentError, ConnectSettings, Connected, ErrorKind, Fields, Op, OrderRecord, PROTOCOL_VERSION,
    RecordType, Reply, Request, Response, Value,
};
use crate::sdo::{Agent, Automation};

/// Carries one request to an agent and its response back.
pub trait Transport {
    fn exchange(&mut self, request: &Request, timeout: Duration) -> Result<Response, String>;
    /// Ends the agent (after a hung call); the next exchange starts a new one.
    fn reset(&mut self) {}
}

/// A `wharf-sage-agent serve` child process.
pub struct AgentProcess {
    command: Vec<String>,
    running: Option<Running>,
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<std::io::Result<String>>,
}

impl AgentProcess {
    /// `command`: the program and its arguments (e.g. `["wharf-sage-agent.exe", "serve"]`, or
    /// `["wine64", "wharf-sage-agent.exe", "serve"]`).
    pub fn new(command: Vec<String>) -> Self {
        AgentProcess {
            command,
            running: None,
        }
    }

    fn start(&mut self) -> Result<&mut Running, String> {
        if self.running.is_none() {
            let (program, args) = self
                .command
                .split_first()
                .ok_or("the agent command is empty")?;
            let mut child = Command::new(program)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .map_err(|e| format!("cannot start the Sage agent {program}: {e}"))?;
            let stdin = child.stdin.take().ok_or("the agent has no stdin")?;
            let stdout = child.stdout.take().ok_or("the agent has no stdout")?;
            let (sender, lines) = channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
            self.running = Some(Running {
                child,
                stdin,
                lines,
            });
        }
        self.running
            .as_mut()
            .ok_or_else(|| "the agent did not start".to_owned())
    }
}

impl Transport for AgentProcess {
    fn exchange(&mut self, request: &Request, timeout: Duration) -> Result<Response, String> {
        let line = serde_json::to_string(request).map_err(|e| e.to_string())?;
        let running = self.start()?;
        let sent = writeln!(running.stdin, "{line}").and_then(|()| running.stdin.flush());
        let answer = match sent {
            Err(error) => Err(format!("the Sage agent is gone ({error})")),
            Ok(()) => match running.lines.recv_timeout(timeout) {
                Ok(Ok(line)) => serde_json::from_str::<Response>(&line)
                    .map_err(|e| format!("the Sage agent answered something unreadable ({e})")),
                Ok(Err(error)) => Err(format!("reading from the Sage agent failed: {error}")),
                Err(RecvTimeoutError::Timeout) => Err(format!(
                    "the Sage agent did not answer {} within {} s, so it was stopped",
                    request.op.name(),
                    timeout.as_secs_f64()
                )),
                Err(RecvTimeoutError::Disconnected) => {
                    Err("the Sage agent ended without answering".to_owned())
                }
            },
        };
        if answer.is_err() {
            self.reset();
        }
        answer
    }

    fn reset(&mut self) {
        if let Some(mut running) = self.running.take() {
            let _ = running.child.kill();
            let _ = running.child.wait();
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        if let Some(mut running) = self.running.take() {
            // Closing stdin ends the agent, which disconnects from Sage first.
            drop(running.stdin);
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = running.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = running.child.kill();
            let _ = running.child.wait();
        }
    }
}

/// The agent in this process (the agent's own `selftest`, and tests of the fake).
pub struct InProcess<A: Automation>(pub Agent<A>);

impl<A: Automation> Transport for InProcess<A> {
    fn exchange(&mut self, request: &Request, _timeout: Duration) -> Result<Response, String> {
        Ok(Response {
            id: request.id,
            result: self.0.handle(&request.op),
        })
    }
}

/// One exchange of a transcript (one JSON object per line; passwords redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: Request,
    pub response: Response,
}

/// Captures every exchange of `inner` into a transcript file.
pub struct Recording<T> {
    inner: T,
    file: std::fs::File,
}

impl<T: Transport> Recording<T> {
    pub fn new(inner: T, path: &Path) -> std::io::Result<Self> {
        Ok(Recording {
            inner,
            file: std::fs::File::create(path)?,
        })
    }
}

impl<T: Transport> Transport for Recording<T> {
    fn exchange(&mut self, request: &Request, timeout: Duration) -> Result<Response, String> {
        let response = self.inner.exchange(request, timeout)?;
        let exchange = Exchange {
            request: Request {
                id: request.id,
                op: request.op.redacted(),
            },
            response: response.clone(),
        };
        let line = serde_json::to_string(&exchange).map_err(|e| e.to_string())?;
        writeln!(self.file, "{line}").map_err(|e| format!("cannot write the transcript: {e}"))?;
        Ok(response)
    }

    fn reset(&mut self) {
        self.inner.reset();
    }
}

/// Answers from a transcript: each request must be the next one recorded (passwords aside).
pub struct Replay {
    exchanges: std::vec::IntoIter<Exchange>,
    source: PathBuf,
}

impl Replay {
    pub fn open(path: &Path) -> Result<Replay, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the transcript {}: {e}", path.display()))?;
        let exchanges = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(index, line)| {
                serde_json::from_str(line)
                    .map_err(|e| format!("transcript {} line {}: {e}", path.display(), index + 1))
            })
            .collect::<Result<Vec<Exchange>, String>>()?;
        Ok(Replay {
            exchanges: exchanges.into_iter(),
            source: path.to_owned(),
        })
    }
}

impl Transport for Replay {
    fn exchange(&mut self, request: &Request, _timeout: Duration) -> Result<Response, String> {
        let recorded = self.exchanges.next().ok_or_else(|| {
            format!(
                "the transcript {} ends before request {} ({})",
                self.source.display(),
                request.id,
                request.op.name()
            )
        })?;
        let wanted = Request {
            id: request.id,
            op: request.op.redacted(),
        };
        if recorded.request != wanted {
            return Err(format!(
                "the run left the transcript {} at request {}: recorded {}, now {}",
                self.source.display(),
                request.id,
                serde_json::to_string(&recorded.request).unwrap_or_default(),
                serde_json::to_string(&wanted).unwrap_or_default()
            ));
        }
        Ok(recorded.response)
    }
}

/// How the runner uses Sage through the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct SdoSettings {
    pub connect: ConnectSettings,
    /// The order header field that carries the source order's Id (default `ANALYSIS_3`).
    pub key_field: String,
    /// How long one call may take before the agent is stopped.
    pub call_timeout: Duration,
}

pub const DEFAULT_KEY_FIELD: &str = "ANALYSIS_3";

/// The audit trail split field that carries a transaction's key (the record's Id), so a
/// crashed run's transaction is found again (`find_transaction_by_key`).
pub const TRANSACTION_KEY_FIELD: &str = "EX_REF";

/// Where a split without a nominal code posts: Sage's default product sales nominal.
const DEFAULT_SALES_NOMINAL: &str = "4000";

/// A real Sage 50 (or the fake), through a `wharf-sage-agent`.
pub struct SdoBackend<T: Transport> {
    transport: T,
    settings: SdoSettings,
    connected: Option<Connected>,
    next_id: u64,
}

fn agent_error(error: AgentError, record: &str) -> BackendError {
    match error.kind {
        ErrorKind::Rejected => BackendError::Rejected(Rejection::SageRefused {
            record: record.to_owned(),
            message: error.message,
        }),
        ErrorKind::Busy => BackendError::Busy(error.message),
        ErrorKind::Unavailable | ErrorKind::Protocol => BackendError::Unavailable(error.message),
    }
}

fn unexpected(reply: Reply) -> BackendError {
    BackendError::Unavailable(format!("the Sage agent answered out of turn: {reply:?}"))
}

impl<T: Transport> SdoBackend<T> {
    pub fn new(transport: T, settings: SdoSettings) -> Self {
        SdoBackend {
            transport,
            settings,
            connected: None,
            next_id: 1,
        }
    }

    fn send(&mut self, op: Op, record: &str) -> BackendResult<Reply> {
        let request = Request {
            id: self.next_id,
            op,
        };
        self.next_id += 1;
        let response = self
            .transport
            .exchange(&request, self.settings.call_timeout)
            .map_err(|message| {
                self.connected = None;
                BackendError::Unavailable(message)
            })?;
        if response.id != request.id {
            self.connected = None;
            self.transport.reset();
            return Err(BackendError::Unavailable(format!(
                "the Sage agent answered request {} to request {}",
                response.id, request.id
            )));
        }
        response.result.map_err(|error| agent_error(error, record))
    }

    /// Says hello and logs in, once per agent.
    fn connected(&mut self) -> BackendResult<Connected> {
        if let Some(connected) = &self.connected {
            return Ok(connected.clone());
        }
        match self.send(
            Op::Hello {
                protocol: PROTOCOL_VERSION,
            },
            "hello",
        )? {
            Reply::Hello { .. } => {}
            other => return Err(unexpected(other)),
        }
        let connected = match self.send(Op::Connect(self.settings.connect.clone()), "login")? {
            Reply::Connected(connected) => connected,
            other => return Err(unexpected(other)),
        };
        tracing::info!(
            program_id = %connected.program_id,
            version = %connected.version,
            "connected to Sage 50 through Sage Data Objects"
        );
        self.connected = Some(connected.clone());
        Ok(connected)
    }

    fn request(&mut self, op: Op, record: &str) -> BackendResult<Reply> {
        self.connected()?;
        self.send(op, record)
    }

    fn find_record(
        &mut self,
        record: RecordType,
        key: &str,
    ) -> BackendResult<Option<crate::protocol::Fields>> {
        match self.request(
            Op::FindRecord {
                record,
                key: key.to_owned(),
            },
            record.noun(),
        )? {
            Reply::Record(found) => Ok(found),
            other => Err(unexpected(other)),
        }
    }

    fn list(&mut self, record: RecordType) -> BackendResult<Vec<crate::protocol::Fields>> {
        match self.request(Op::ListRecords { record }, record.noun())? {
            Reply::Records(records) => Ok(records),
            other => Err(unexpected(other)),
        }
    }

    fn order_reply(&mut self, op: Op) -> BackendResult<Option<OrderRecord>> {
        match self.request(op, "sales order")? {
            Reply::Order(order) => Ok(order),
            other => Err(unexpected(other)),
        }
    }

    fn invoice_reply(&mut self, op: Op) -> BackendResult<Option<OrderRecord>> {
        match self.request(op, "invoice")? {
            Reply::Invoice(invoice) => Ok(invoice),
            other => Err(unexpected(other)),
        }
    }

    fn find_where(
        &mut self,
        record: RecordType,
        field: &str,
        value: Value,
    ) -> BackendResult<Vec<Fields>> {
        match self.request(
            Op::FindWhere {
                record,
                field: field.to_owned(),
                value,
            },
            record.noun(),
        )? {
            Reply::Records(records) => Ok(records),
            other => Err(unexpected(other)),
        }
    }

    /// One `TransactionPost`; its header and splits as Sage stored them.
    fn transaction(&mut self, header: Fields, splits: Vec<Fields>) -> BackendResult<OrderRecord> {
        match self.request(
            Op::PostTransaction {
                header,
                splits,
                key_field: TRANSACTION_KEY_FIELD.into(),
            },
            "audit trail transaction",
        )? {
            Reply::Transaction(posted) => Ok(posted),
            other => Err(unexpected(other)),
        }
    }

    /// The audit trail postings of invoices (`SI`, `SC` headers whose reference is the
    /// invoice number), by invoice number: their first split and what is paid.
    fn invoice_postings(
        &mut self,
        invoice: Option<u32>,
    ) -> BackendResult<std::collections::HashMap<u32, InvoicePosting>> {
        let headers = match invoice {
            Some(number) => self.find_where(
                RecordType::HeaderData,
                "INV_REF",
                Value::Text(number.to_string()),
            )?,
            None => self.list(RecordType::HeaderData)?,
        };
        let invoices = [tran_type_code(TranType::SI), tran_type_code(TranType::SC)];
        let headers: Vec<Fields> = headers
            .into_iter()
            .filter(|h| invoices.contains(&h.get("TYPE").map_or(0, Value::int)))
            .collect();
        let splits = match headers.as_slice() {
            [] => Vec::new(),
            [one] => self.find_where(
                RecordType::SplitData,
                "HEADER_NUMBER",
                Value::Int(number_of(one, "HEADER_NUMBER").into()),
            )?,
            _ => self.list(RecordType::SplitData)?,
        };
        let mut postings = std::collections::HashMap::new();
        for header in &headers {
            let Ok(number) = fields::text_of(header, "INV_REF").trim().parse::<u32>() else {
                continue;
            };
            let header_number = number_of(header, "HEADER_NUMBER");
            let Some(tran_number) = splits
                .iter()
                .filter(|split| number_of(split, "HEADER_NUMBER") == header_number)
                .map(|split| number_of(split, "TRAN_NUMBER"))
                .min()
            else {
                continue;
            };
            postings.insert(
                number,
                InvoicePosting {
                    tran_number,
                    amount_paid: amount_of(header, "AMOUNT_PAID"),
                    modified: fields::date_of(header, "RECORD_MODIFY_DATE"),
                },
            );
        }
        Ok(postings)
    }

    /// The account a document posts to, created with it when the request says so; and
    /// whether it was. Stock lines must name products Sage has.
    fn document_account(
        &mut self,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<(String, bool)> {
        let account_ref = normalise_account_ref(&request.account_ref)?;
        let mut customer_created = false;
        if self
            .find_record(RecordType::SalesRecord, &account_ref)?
            .is_none()
        {
            let Some(new) = &request.new_customer else {
                return Err(Rejection::AccountNotFound(account_ref).into());
            };
            let mut new = new.clone();
            new.customer.account_ref.clone_from(&account_ref);
            // The document carries its delivery address itself (DEL_ fields of its header).
            new.delivery_addresses.clear();
            self.create_customer(&new)?;
            customer_created = true;
        }
        for (index, line) in request.lines.iter().enumerate() {
            let code = line
                .stock_code
                .clone()
                .unwrap_or_else(|| options.default_product_code.clone());
            if sage_ledger::SPECIAL_LINE_CODES
                .iter()
                .any(|special| special.eq_ignore_ascii_case(&code))
            {
                continue;
            }
            if self.find_product(&code)?.is_none() {
                return Err(Rejection::ProductNotFound(code).on_line(index + 1).into());
            }
        }
        Ok((account_ref, customer_created))
    }

    /// Refuses a document whose key field the request fills itself (with a key to write).
    fn check_key_field(
        &self,
        request: &SalesOrderRequest,
        key: Option<&str>,
        record: &str,
    ) -> BackendResult<()> {
        let key_field = &self.settings.key_field;
        if key.is_some()
            && let Some(value) = fields::key_field_clash(request, key_field)
        {
            return Err(Rejection::SageRefused {
                record: record.into(),
                message: format!(
                    "the {record} fills {key_field} with '{value}', but that field carries the {record}'s Id (the runner's sdo key_field); choose another key_field"
                ),
            }
            .into());
        }
        Ok(())
    }

    /// A key already in the audit trail (see [`TRANSACTION_KEY_FIELD`]) is refused, as the
    /// embedded ledger refuses it.
    fn check_transaction_keys<'a>(
        &mut self,
        keys: impl Iterator<Item = &'a Option<String>>,
    ) -> BackendResult<()> {
        for key in keys.flatten() {
            if let Some(number) = self.find_transaction_by_key(key)? {
                return Err(Rejection::TransactionNotAccepted(format!(
                    "A transaction with key '{key}' is already in Sage as transaction {number}"
                ))
                .into());
            }
        }
        Ok(())
    }

    /// Posts one transaction; the transaction number of each split, in order.
    fn post_splits(
        &mut self,
        kind: TranType,
        account_ref: &str,
        bank: &str,
        date: Option<chrono::NaiveDateTime>,
        reference: &str,
        splits: Vec<Fields>,
    ) -> BackendResult<(u32, Vec<u32>)> {
        let mut header = Fields::new();
        header.insert("TYPE".into(), Value::Int(tran_type_code(kind)));
        header.insert("ACCOUNT_REF".into(), Value::Text(account_ref.to_owned()));
        if !bank.is_empty() {
            header.insert("BANK_CODE".into(), Value::Text(bank.to_owned()));
        }
        if let Some(date) = date {
            header.insert("DATE".into(), Value::Date(date));
        }
        header.insert("INV_REF".into(), Value::Text(reference.to_owned()));
        if let Some(details) = splits.first().and_then(|s| s.get("DETAILS")) {
            header.insert("DETAILS".into(), details.clone());
        }
        let posted = self.transaction(header, splits)?;
        let mut numbers: Vec<u32> = posted
            .items
            .iter()
            .map(|split| number_of(split, "TRAN_NUMBER"))
            .collect();
        numbers.sort_unstable();
        Ok((number_of(&posted.header, "HEADER_NUMBER"), numbers))
    }

    /// Allocates a payment or credit to the oldest outstanding invoice of its account with the
    /// same reference (Wharf's rule, docs/sage50.md): (payment, invoice, amount).
    fn allocate_by_reference(
        &mut self,
        header_number: u32,
        tran_number: u32,
    ) -> BackendResult<Option<(u32, u32, f64)>> {
        let Some(payment) = self
            .find_where(
                RecordType::HeaderData,
                "HEADER_NUMBER",
                Value::Int(header_number.into()),
            )?
            .pop()
        else {
            return Ok(None);
        };
        let reference = fields::text_of(&payment, "INV_REF");
        let invoice_type = match fields::tran_type_of(payment.get("TYPE").map_or(0, Value::int)) {
            Some(kind) if kind.side() == LedgerSide::Customer => TranType::SI,
            Some(_) => TranType::PI,
            None => return Ok(None),
        };
        if reference.trim().is_empty() {
            return Ok(None);
        }
        let account = fields::text_of(&payment, "ACCOUNT_REF");
        let mut candidates: Vec<Fields> = self
            .find_where(RecordType::HeaderData, "INV_REF", Value::Text(reference))?
            .into_iter()
            .filter(|h| {
                h.get("TYPE").map_or(0, Value::int) == tran_type_code(invoice_type)
                    && fields::text_of(h, "ACCOUNT_REF").eq_ignore_ascii_case(&account)
                    && amount_of(h, "OUTSTANDING") > 0.0
            })
            .collect();
        candidates.sort_by_key(|h| (fields::date_of(h, "DATE"), number_of(h, "HEADER_NUMBER")));
        let Some(invoice) = candidates.first() else {
            return Ok(None);
        };
        let amount = sage_ledger::round_money(
            amount_of(&payment, "OUTSTANDING").min(amount_of(invoice, "OUTSTANDING")),
        );
        if amount <= 0.0 {
            return Ok(None);
        }
        let invoice_header = number_of(invoice, "HEADER_NUMBER");
        match self.request(
            Op::AllocateTransaction {
                payment: header_number,
                invoice: invoice_header,
                amount,
            },
            "allocation",
        )? {
            Reply::Done => {}
            other => return Err(unexpected(other)),
        }
        let invoice_tran = self
            .find_where(
                RecordType::SplitData,
                "HEADER_NUMBER",
                Value::Int(invoice_header.into()),
            )?
            .iter()
            .map(|split| number_of(split, "TRAN_NUMBER"))
            .min()
            .unwrap_or_default();
        Ok(Some((tran_number, invoice_tran, amount)))
    }

    /// A journal's lines (and the variance line Wharf's rule adds) as one posting of `JD` and
    /// `JC` splits; the transaction number of each given line.
    fn post_journal(
        &mut self,
        date: Option<chrono::NaiveDateTime>,
        reference: &str,
        lines: &[JournalLine],
        variance_nominal: Option<&str>,
    ) -> BackendResult<Vec<u32>> {
        let mut lines = lines.to_vec();
        let total = |debit: bool, lines: &[JournalLine]| {
            sage_ledger::round_money(
                lines
                    .iter()
                    .filter(|l| l.debit == debit)
                    .map(|l| l.amount)
                    .sum(),
            )
        };
        let given = lines.len();
        if let Some(variance) = sage_ledger::journal_variance(
            total(true, &lines),
            total(false, &lines),
            variance_nominal,
        )? {
            lines.push(JournalLine {
                nominal_code: variance.nominal_code,
                debit: variance.debit,
                details: sage_ledger::VARIANCE_DETAILS.into(),
                amount: variance.amount,
                ..JournalLine::default()
            });
        }
        let splits = lines
            .iter()
            .map(|line| {
                if line.amount < 0.0 {
                    return Err(Rejection::NegativeAmount {
                        what: "net amount".into(),
                        amount: line.amount,
                    });
                }
                let mut split = Fields::new();
                let kind = if line.debit {
                    TranType::JD
                } else {
                    TranType::JC
                };
                split.insert("TYPE".into(), Value::Int(tran_type_code(kind)));
                split.insert(
                    "NOMINAL_CODE".into(),
                    Value::Text(line.nominal_code.clone()),
                );
                split.insert("DETAILS".into(), Value::Text(line.details.clone()));
                split.insert(
                    "DEPT_NUMBER".into(),
                    Value::Int(line.department.unwrap_or(0).into()),
                );
                split.insert(
                    "TAX_CODE".into(),
                    Value::Int(line.tax_code.unwrap_or(9).into()),
                );
                split.insert("NET_AMOUNT".into(), Value::Float(line.amount));
                split.insert("TAX_AMOUNT".into(), Value::Float(0.0));
                if let Some(key) = &line.key {
                    split.insert(TRANSACTION_KEY_FIELD.into(), Value::Text(key.clone()));
                }
                Ok(split)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let first = lines.first().map_or(TranType::JD, |l| {
            if l.debit { TranType::JD } else { TranType::JC }
        });
        let (_, numbers) = self.post_splits(first, "", "", date, reference, splits)?;
        Ok(numbers.into_iter().take(given).collect())
    }

    /// Logs out; the agent stays for the next call.
    pub fn disconnect(&mut self) -> BackendResult<()> {
        if self.connected.take().is_some() {
            self.send(Op::Disconnect, "logout")?;
        }
        Ok(())
    }
}

impl<T: Transport> Drop for SdoBackend<T> {
    fn drop(&mut self) {
        if let Err(error) = self.disconnect() {
            tracing::warn!("logging out of Sage failed: {error}");
        }
    }
}

fn match_value(customer: &Customer, field: MatchField) -> &str {
    match field {
        MatchField::CompanyName => &customer.name,
        MatchField::Telephone => &customer.telephone,
        MatchField::Telephone2 | MatchField::Mobile => &customer.telephone2,
        MatchField::Fax => &customer.fax,
        MatchField::Email => &customer.email,
        MatchField::Email2 => &customer.email2,
        MatchField::Email3 => &customer.email3,
        MatchField::Website => &customer.website,
        MatchField::Postcode => &customer.postcode,
        MatchField::TradeContact => &customer.trade_contact,
        MatchField::Custom1 => &customer.analysis1,
        MatchField::Custom2 => &customer.analysis2,
        MatchField::Custom3 => &customer.analysis3,
    }
}

/// A transaction line as a `SplitData` field map; tax left out is Sage's to compute.
fn line_split(line: &TransactionLine, nominal: &str, default_tax_code: i32) -> Fields {
    let mut split = Fields::new();
    split.insert("NOMINAL_CODE".into(), Value::Text(nominal.to_owned()));
    split.insert("DETAILS".into(), Value::Text(line.details.clone()));
    split.insert(
        "DEPT_NUMBER".into(),
        Value::Int(line.department.unwrap_or(0).into()),
    );
    split.insert(
        "TAX_CODE".into(),
        Value::Int(line.tax_code.unwrap_or(default_tax_code).into()),
    );
    split.insert("NET_AMOUNT".into(), Value::Float(line.net));
    if let Some(tax) = line.tax {
        split.insert("TAX_AMOUNT".into(), Value::Float(tax));
    }
    if let Some(key) = &line.key {
        split.insert(TRANSACTION_KEY_FIELD.into(), Value::Text(key.clone()));
    }
    split
}

/// Amounts must not be negative (Wharf's rule, as on the embedded ledger).
fn check_amounts(lines: &[TransactionLine]) -> Result<(), Rejection> {
    for line in lines {
        for (what, amount) in [("net amount", Some(line.net)), ("tax amount", line.tax)] {
            if let Some(amount) = amount.filter(|a| *a < 0.0) {
                return Err(Rejection::NegativeAmount {
                    what: what.into(),
                    amount,
                });
            }
        }
    }
    Ok(())
}

fn required<'a>(value: Option<&'a str>, what: &str) -> Result<&'a str, Rejection> {
    value
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Rejection::ValueMissing(what.to_owned()))
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A customer's delivery addresses are not written through SDO yet: said, never dropped.
fn delivery_addresses_unsupported() -> BackendError {
    Rejection::SageRefused {
        record: "customer account".into(),
        message: "writing a customer's delivery addresses through Sage Data Objects is not supported by this Wharf version; import the customer without its DeliveryAddress".into(),
    }
    .into()
}

/// What the SDO backend does not post yet, named so the order fails clearly.
fn unsupported(request: &SalesOrderRequest, options: &OrderImportOptions) -> Option<&'static str> {
    if request.carriage.is_some() {
        Some("carriage")
    } else if request.payment.is_some() {
        Some("a payment with the order")
    } else if request.net_value_discount.is_some() || request.net_value_discount_percent.is_some() {
        Some("a net value discount")
    } else if request.order_number.is_some() {
        Some("a manual order number")
    } else if request.vat_inclusive || options.prices_include_tax {
        Some("VAT-inclusive prices")
    } else if request.currency.is_some() || request.foreign_rate.is_some() {
        Some("an order currency")
    } else {
        None
    }
}

impl<T: Transport> SageBackend for SdoBackend<T> {
    fn probe(&mut self) -> BackendResult<Probe> {
        let connected = self.connected()?;
        Ok(Probe {
            backend: format!("sdo {}", connected.program_id),
            version: connected.version,
            edition: connected.edition,
            registered: connected.registered,
            sales_orders: connected.sales_orders,
        })
    }

    fn company(&mut self) -> BackendResult<CompanyInfo> {
        match self.request(Op::Company, "company")? {
            Reply::Company(setup) => {
                let text = |name: &str| setup.get(name).map(|v| v.text()).unwrap_or_default();
                Ok(CompanyInfo {
                    name: text("NAME"),
                    country_code: text("COUNTRY_CODE"),
                    base_currency: text("BASE_CURRENCY"),
                    vat_number: text("VAT_REG_NUMBER"),
                })
            }
            other => Err(unexpected(other)),
        }
    }

    /// The Sage machine's local time (the agent runs beside the company's data).
    fn now(&mut self) -> BackendResult<NaiveDateTime> {
        Ok(chrono::Local::now().naive_local())
    }

    fn find_customer(&mut self, account_ref: &str) -> BackendResult<Option<Customer>> {
        let reference = normalise_account_ref(account_ref)?;
        Ok(self
            .find_record(RecordType::SalesRecord, &reference)?
            .map(|found| fields::customer_from(&found)))
    }

    fn find_customer_matching(
        &mut self,
        criteria: &[(MatchField, String)],
        currency: Option<&str>,
    ) -> BackendResult<Option<Customer>> {
        let mut customers: Vec<Customer> = self
            .list(RecordType::SalesRecord)?
            .iter()
            .map(fields::customer_from)
            .collect();
        customers.sort_by(|a, b| a.account_ref.cmp(&b.account_ref));
        Ok(customers.into_iter().find(|customer| {
            criteria
                .iter()
                .all(|(field, value)| same(match_value(customer, *field), value))
                && currency.is_none_or(|currency| same(&customer.currency, currency))
        }))
    }

    fn customer_template(&mut self, account_ref: &str) -> BackendResult<Customer> {
        Ok(Customer::with_defaults(
            account_ref,
            &sage_ledger::CompanySettings::default(),
            chrono::Local::now().date_naive(),
        ))
    }

    fn create_customer(&mut self, new: &NewCustomer) -> BackendResult<Customer> {
        let reference = normalise_account_ref(&new.customer.account_ref)?;
        if !new.delivery_addresses.is_empty() {
            return Err(delivery_addresses_unsupported());
        }
        if self
            .find_record(RecordType::SalesRecord, &reference)?
            .is_some()
        {
            return Err(Rejection::AccountExists(reference).into());
        }
        let mut customer = new.customer.clone();
        customer.account_ref = reference;
        let values =
            fields::customer_fields(&customer).map_err(|message| Rejection::SageRefused {
                record: "customer account".into(),
                message,
            })?;
        match self.request(
            Op::AddRecord {
                record: RecordType::SalesRecord,
                fields: values,
            },
            "customer account",
        )? {
            Reply::Record(Some(saved)) => Ok(fields::customer_from(&saved)),
            other => Err(unexpected(other)),
        }
    }

    fn update_customer(
        &mut self,
        customer: &Customer,
        delivery: Option<&DeliveryAddressChange>,
    ) -> BackendResult<Customer> {
        let reference = normalise_account_ref(&customer.account_ref)?;
        if delivery.is_some() {
            return Err(delivery_addresses_unsupported());
        }
        if self
            .find_record(RecordType::SalesRecord, &reference)?
            .is_none()
        {
            return Err(Rejection::AccountNotFound(reference).into());
        }
        let mut values =
            fields::customer_fields(customer).map_err(|message| Rejection::SageRefused {
                record: "customer account".into(),
                message,
            })?;
        // Sage fixes the currency once the account exists.
        values.remove("CURRENCY");
        match self.request(
            Op::EditRecord {
                record: RecordType::SalesRecord,
                key: reference,
                fields: values,
            },
            "customer account",
        )? {
            Reply::Record(Some(saved)) => Ok(fields::customer_from(&saved)),
            other => Err(unexpected(other)),
        }
    }

    fn find_product(&mut self, stock_code: &str) -> BackendResult<Option<Product>> {
        let code = normalise_stock_code(stock_code)?;
        Ok(self
            .find_record(RecordType::StockRecord, &code)?
            .map(|found| fields::product_from(&found)))
    }

    fn product_template(&mut self, stock_code: &str) -> BackendResult<Product> {
        Ok(Product::with_defaults(
            stock_code,
            &sage_ledger::CompanySettings::default(),
        ))
    }

    fn create_product(&mut self, product: &Product) -> BackendResult<Product> {
        let code = normalise_stock_code(&product.stock_code)?;
        if self.find_record(RecordType::StockRecord, &code)?.is_some() {
            return Err(Rejection::ProductExists(code).into());
        }
        let mut values = fields::product_fields(product);
        values.insert("STOCK_CODE".into(), crate::protocol::Value::Text(code));
        match self.request(
            Op::AddRecord {
                record: RecordType::StockRecord,
                fields: values,
            },
            "product",
        )? {
            Reply::Record(Some(saved)) => Ok(fields::product_from(&saved)),
            other => Err(unexpected(other)),
        }
    }

    fn post_sales_order(
        &mut self,
        key: Option<&str>,
        request: &SalesOrderRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<OrderOutcome> {
        if request.lines.is_empty() {
            return Err(Rejection::OrderWithoutLines.into());
        }
        if let Some(what) = unsupported(request, options) {
            return Err(Rejection::SageRefused {
                record: "sales order".into(),
                message: format!("posting {what} through Sage Data Objects is not supported by this Wharf version"),
            }
            .into());
        }
        self.check_key_field(request, key, "order")?;
        if let Some(key) = key
            && let Some(existing) = self.find_order_by_key(key)?
        {
            return Err(Rejection::DuplicateOrderKey {
                key: key.to_owned(),
                order_number: existing.order_number,
            }
            .into());
        }
        let (account_ref, customer_created) = self.document_account(request, options)?;
        let key_field = self.settings.key_field.clone();
        let (header, items) = fields::order_fields(request, &account_ref);
        let posted = self
            .order_reply(Op::PostOrder {
                header,
                items,
                key_field,
                key: key.map(str::to_owned),
            })?
            .ok_or_else(|| {
                BackendError::Unavailable("the posted order did not come back".into())
            })?;
        let mut order = fields::order_from(&posted);
        if options.auto_allocate_stock {
            self.allocate_order(order.order_number)?;
            if let Some(allocated) = self.find_sales_order(order.order_number)? {
                order = allocated;
            }
        }
        Ok(OrderOutcome {
            order_number: order.order_number,
            account_ref: order.account_ref.clone(),
            customer_created,
            products_created: Vec::new(),
            delivery_address_added: false,
            order,
        })
    }

    fn find_sales_order(&mut self, order_number: u32) -> BackendResult<Option<SalesOrder>> {
        Ok(self
            .order_reply(Op::FindOrder { order_number })?
            .map(|record| fields::order_from(&record)))
    }

    fn find_order_by_key(&mut self, key: &str) -> BackendResult<Option<SalesOrder>> {
        let key_field = self.settings.key_field.clone();
        Ok(self
            .order_reply(Op::FindOrderByKey {
                key_field,
                key: key.to_owned(),
            })?
            .map(|record| fields::order_from(&record)))
    }

    fn allocate_order(&mut self, order_number: u32) -> BackendResult<AllocationResult> {
        let before = self
            .find_sales_order(order_number)?
            .ok_or(Rejection::OrderNotFound(order_number))?;
        let after = self
            .order_reply(Op::Allocate { order_number })?
            .map(|record| fields::order_from(&record))
            .ok_or(Rejection::OrderNotFound(order_number))?;
        let allocated = after
            .lines
            .iter()
            .zip(&before.lines)
            .filter_map(|(now, then)| {
                let added = sage_ledger::round_money(now.qty_allocated - then.qty_allocated);
                (added > 0.0).then_some((now.line_number, added))
            })
            .collect();
        Ok(AllocationResult {
            order_number,
            allocated,
            status: after.allocation_status,
        })
    }

    fn stock_since(
        &mut self,
        since: NaiveDateTime,
        filter: StockRecordFilter,
    ) -> BackendResult<Vec<Product>> {
        let mut products: Vec<Product> = self
            .list(RecordType::StockRecord)?
            .iter()
            .map(fields::product_from)
            .filter(|product| match filter.selection {
                StockSelection::All => true,
                StockSelection::New => product.created > since,
                StockSelection::Modified => product.created > since || product.modified > since,
            })
            .filter(|product| !filter.published_only || product.publish)
            .collect();
        products.sort_by(|a, b| a.stock_code.cmp(&b.stock_code));
        Ok(products)
    }

    /// `InvoicePost` (Sage numbers and prices the invoice), then its audit trail posting
    /// (`TransactionPost` of an `SI` or `SC`), unless it is a proforma or quotation.
    fn post_invoice(
        &mut self,
        key: Option<&str>,
        request: &InvoiceRequest,
        options: &OrderImportOptions,
    ) -> BackendResult<InvoiceOutcome> {
        let document = &request.document;
        if document.lines.is_empty() {
            return Err(Rejection::InvoiceWithoutLines.into());
        }
        let missing = unsupported(document, options)
            .or_else(|| {
                request
                    .payment
                    .is_some()
                    .then_some("a payment with the invoice")
            })
            .or_else(|| request.invoice_number.map(|_| "a manual invoice number"));
        if let Some(what) = missing {
            return Err(Rejection::SageRefused {
                record: "invoice".into(),
                message: format!(
                    "posting {what} through Sage Data Objects is not supported by this Wharf version"
                ),
            }
            .into());
        }
        self.check_key_field(document, key, "invoice")?;
        if let Some(key) = key
            && let Some(existing) = self.find_invoice_by_key(key)?
        {
            return Err(Rejection::DuplicateInvoiceKey {
                key: key.to_owned(),
                invoice_number: existing.invoice_number,
            }
            .into());
        }
        let (account_ref, customer_created) = self.document_account(document, options)?;
        let (header, items) = fields::invoice_fields(request, &account_ref);
        let posted = self
            .invoice_reply(Op::PostInvoice {
                header,
                items,
                key_field: self.settings.key_field.clone(),
                key: key.map(str::to_owned),
            })?
            .ok_or_else(|| {
                BackendError::Unavailable("the posted invoice did not come back".into())
            })?;
        let mut invoice = fields::invoice_from(&posted, None);
        if request.invoice_type.posts() {
            let (header, splits) = fields::invoice_posting(&invoice, DEFAULT_SALES_NOMINAL);
            let posted = self.transaction(header, splits)?;
            invoice.tran_number = posted
                .items
                .iter()
                .map(|split| number_of(split, "TRAN_NUMBER"))
                .min();
        }
        Ok(InvoiceOutcome {
            invoice_number: invoice.invoice_number,
            account_ref: invoice.document.account_ref.clone(),
            customer_created,
            products_created: Vec::new(),
            delivery_address_added: false,
            invoice,
        })
    }

    fn find_invoice_by_key(&mut self, key: &str) -> BackendResult<Option<Invoice>> {
        let Some(record) = self.invoice_reply(Op::FindInvoiceByKey {
            key_field: self.settings.key_field.clone(),
            key: key.to_owned(),
        })?
        else {
            return Ok(None);
        };
        let number = number_of(&record.header, "INVOICE_NUMBER");
        let posting = self.invoice_postings(Some(number))?.remove(&number);
        Ok(Some(fields::invoice_from(&record, posting)))
    }

    fn find_invoice(&mut self, invoice_number: u32) -> BackendResult<Option<Invoice>> {
        let Some(record) = self.invoice_reply(Op::FindInvoice { invoice_number })? else {
            return Ok(None);
        };
        let posting = self
            .invoice_postings(Some(invoice_number))?
            .remove(&invoice_number);
        Ok(Some(fields::invoice_from(&record, posting)))
    }

    fn post_transaction(&mut self, request: &TransactionRequest) -> BackendResult<PostedGroup> {
        let mut allocations = Vec::new();
        let tran_numbers = match request {
            TransactionRequest::Account {
                kind,
                account_ref,
                bank,
                date,
                reference,
                second_reference: _,
                lines,
                auto_allocate,
            } => {
                self.check_transaction_keys(lines.iter().map(|line| &line.key))?;
                check_amounts(lines)?;
                let kind = match kind {
                    TranType::SR => TranType::SA,
                    TranType::PP => TranType::PA,
                    other => *other,
                };
                let account_ref = normalise_account_ref(account_ref)?;
                let default_tax_code = match kind.side() {
                    LedgerSide::Customer => {
                        self.find_customer(&account_ref)?
                            .ok_or_else(|| Rejection::AccountNotFound(account_ref.clone()))?
                            .default_tax_code
                    }
                    LedgerSide::Supplier => 1,
                    LedgerSide::Nominal => {
                        return Err(Rejection::TransactionNotAccepted(format!(
                            "{kind} is not a customer or supplier transaction"
                        ))
                        .into());
                    }
                };
                if lines.is_empty() {
                    return Err(Rejection::ValueMissing("net amount".into()).into());
                }
                let mut numbers = Vec::new();
                if kind.uses_bank() {
                    let bank =
                        required(bank.as_deref(), "bank account (BankReference)")?.to_owned();
                    // One posting per line: each receipt or payment is its own transaction.
                    for line in lines {
                        let split = line_split(line, &bank, 9);
                        let (header, posted) = self.post_splits(
                            kind,
                            &account_ref,
                            &bank,
                            *date,
                            reference,
                            vec![split],
                        )?;
                        let number = posted.first().copied().unwrap_or_default();
                        if *auto_allocate
                            && kind.is_allocatable()
                            && let Some(allocation) = self.allocate_by_reference(header, number)?
                        {
                            allocations.push(allocation);
                        }
                        numbers.push(number);
                    }
                } else {
                    let splits = lines
                        .iter()
                        .map(|line| {
                            let nominal = required(line.nominal_code.as_deref(), "nominal code")?;
                            Ok(line_split(line, nominal, default_tax_code))
                        })
                        .collect::<Result<Vec<_>, Rejection>>()?;
                    let (header, posted) =
                        self.post_splits(kind, &account_ref, "", *date, reference, splits)?;
                    if *auto_allocate
                        && matches!(kind, TranType::SC | TranType::PC)
                        && let Some(first) = posted.first()
                        && let Some(allocation) = self.allocate_by_reference(header, *first)?
                    {
                        allocations.push(allocation);
                    }
                    numbers = posted;
                }
                numbers
            }
            TransactionRequest::Bank {
                kind,
                bank,
                date,
                reference,
                second_reference: _,
                lines,
            } => {
                self.check_transaction_keys(lines.iter().map(|line| &line.key))?;
                check_amounts(lines)?;
                if !matches!(kind, TranType::BR | TranType::BP) {
                    return Err(Rejection::TransactionNotAccepted(format!(
                        "{kind} is not a bank receipt or payment"
                    ))
                    .into());
                }
                let bank =
                    required(Some(bank.as_str()), "bank account (AccountReference)")?.to_owned();
                let mut numbers = Vec::new();
                for line in lines {
                    let nominal = required(line.nominal_code.as_deref(), "nominal code")?;
                    let split = line_split(line, nominal, 1);
                    let (_, posted) =
                        self.post_splits(*kind, &bank, &bank, *date, reference, vec![split])?;
                    numbers.extend(posted.first());
                }
                numbers
            }
            TransactionRequest::Journal {
                date,
                reference,
                second_reference: _,
                lines,
                variance_nominal,
            } => {
                self.check_transaction_keys(lines.iter().map(|line| &line.key))?;
                if !lines.iter().any(|line| line.debit) || !lines.iter().any(|line| !line.debit) {
                    return Err(Rejection::TransactionNotAccepted(
                        "A journal needs at least one JournalDebit and one JournalCredit".into(),
                    )
                    .into());
                }
                self.post_journal(*date, reference, lines, variance_nominal.as_deref())?
            }
            TransactionRequest::Transfer {
                from_bank,
                to_bank,
                date,
                reference,
                details,
                department,
                payment_amount,
                receipt_amount,
                variance_nominal,
                key,
            } => {
                self.check_transaction_keys(std::iter::once(key))?;
                let from = required(
                    Some(from_bank.as_str()),
                    "bank account to transfer from (FromBankAccount)",
                )?;
                let to = required(
                    Some(to_bank.as_str()),
                    "bank account to transfer to (ToBankAccount)",
                )?;
                if from.eq_ignore_ascii_case(to) {
                    return Err(Rejection::TransactionNotAccepted(format!(
                        "A bank transfer needs two different bank accounts, but both are {from}"
                    ))
                    .into());
                }
                if *payment_amount <= 0.0 {
                    return Err(
                        Rejection::ValueMissing("payment amount (above zero)".into()).into(),
                    );
                }
                let line =
                    |nominal: &str, debit: bool, amount: f64, key: &Option<String>| JournalLine {
                        nominal_code: nominal.to_owned(),
                        debit,
                        department: *department,
                        tax_code: Some(9),
                        details: details.clone(),
                        amount,
                        key: key.clone(),
                    };
                let lines = [
                    line(from, false, *payment_amount, key),
                    line(to, true, receipt_amount.unwrap_or(*payment_amount), &None),
                ];
                let numbers =
                    self.post_journal(*date, reference, &lines, variance_nominal.as_deref())?;
                numbers.into_iter().take(1).collect()
            }
        };
        Ok(PostedGroup {
            tran_numbers,
            allocations,
        })
    }

    fn find_transaction_by_key(&mut self, key: &str) -> BackendResult<Option<u32>> {
        Ok(self
            .find_where(
                RecordType::SplitData,
                TRANSACTION_KEY_FIELD,
                Value::Text(key.to_owned()),
            )?
            .iter()
            .map(|split| number_of(split, "TRAN_NUMBER"))
            .min())
    }

    fn customers_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Customer>> {
        let mut customers: Vec<Customer> = self
            .list(RecordType::SalesRecord)?
            .iter()
            .map(fields::customer_from)
            .filter(|c| c.created > since || (!new_only && c.modified > since))
            .collect();
        customers.sort_by(|a, b| a.account_ref.cmp(&b.account_ref));
        Ok(customers)
    }

    fn delivery_addresses(&mut self, account_ref: &str) -> BackendResult<Vec<Address>> {
        let reference = normalise_account_ref(account_ref)?;
        Ok(self
            .find_where(
                RecordType::SalesDeliveryRecord,
                "ACCOUNT_REF",
                Value::Text(reference),
            )?
            .iter()
            .map(fields::delivery_address_from)
            .collect())
    }

    fn invoices_since(
        &mut self,
        since: NaiveDateTime,
        new_only: bool,
    ) -> BackendResult<Vec<Invoice>> {
        let records = match self.request(Op::ListInvoices, "invoice")? {
            Reply::Invoices(records) => records,
            other => return Err(unexpected(other)),
        };
        let postings = self.invoice_postings(None)?;
        let mut invoices: Vec<Invoice> = records
            .iter()
            .map(|record| {
                let number = number_of(&record.header, "INVOICE_NUMBER");
                fields::invoice_from(record, postings.get(&number).copied())
            })
            .filter(|i| i.created > since || (!new_only && i.modified > since))
            .collect();
        invoices.sort_by_key(|invoice| invoice.invoice_number);
        Ok(invoices)
    }
}
