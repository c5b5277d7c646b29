//! `wharf-sage-agent serve | selftest`: see the crate documentation and docs/sage50.md.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand, ValueEnum};
use sage_agent::backend::{InProcess, Recording, SdoBackend, SdoSettings};
use sage_agent::protocol::{AgentError, ConnectSettings, ErrorKind, Request, Response};
use sage_agent::sdo::{Agent, Automation, RetryPolicy};
use sage_ledger::{
    AccountReferenceConvention, AccountReferenceGenerator, AccountReferenceSettings, NameParts,
    NewCustomer, OrderImportOptions, OrderLineRequest, SageBackend, SalesOrderRequest,
};

/// Does the Sage Data Objects calls for the Wharf Sage runner, on the Sage 50 machine.
#[derive(Parser)]
#[command(name = "wharf-sage-agent", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Engine {
    /// The Sage Data Objects registered on this machine (Windows).
    Sdo,
    /// Wharf's fake Sage 50 (a company file in the data path), for trials and tests.
    Fake,
}

#[derive(clap::Args)]
struct RetryArgs {
    /// Tries while Sage is busy (locked record, exclusive access, file busy).
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// Pause after the first busy answer, in milliseconds (doubled each time, at most 30 s).
    #[arg(long, default_value_t = 500)]
    retry_delay_ms: u64,
}

impl RetryArgs {
    fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            attempts: self.retries.max(1),
            first_delay: Duration::from_millis(self.retry_delay_ms),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Answer the runner's requests, one JSON line each, on stdin/stdout; log out of Sage when
    /// stdin ends.
    Serve {
        #[arg(long, value_enum, default_value = "sdo")]
        engine: Engine,
        /// Also write every exchange (passwords redacted) to this transcript file.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        #[command(flatten)]
        retry: RetryArgs,
    },
    /// On the Sage machine: probe Sage, create a test customer, product and order in a
    /// practice company, read them back, and write a transcript of every call.
    Selftest {
        /// The practice company's data folder (…\ACCDATA). Never a live company.
        #[arg(long, value_name = "PATH")]
        data_path: String,
        /// The dedicated Sage user.
        #[arg(long, default_value = "wharf")]
        user: String,
        /// The environment variable holding the user's password (empty when unset).
        #[arg(long, default_value = "WHARF_SAGE_PASSWORD")]
        password_env: String,
        /// The SDO ProgID (e.g. SDOEngine.32); by default the newest registered.
        #[arg(long)]
        program_id: Option<String>,
        /// Where the transcript goes.
        #[arg(long, default_value = "wharf-sage-selftest.jsonl")]
        transcript: PathBuf,
        #[arg(long, value_enum, default_value = "sdo")]
        engine: Engine,
        #[command(flatten)]
        retry: RetryArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // stdout carries the protocol: logs go to stderr.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let engine = match &cli.command {
        Command::Serve { engine, .. } | Command::Selftest { engine, .. } => *engine,
    };
    let outcome = match engine {
        Engine::Fake => run(sage_agent::fake::FakeSdo::new(), cli.command),
        #[cfg(windows)]
        Engine::Sdo => sage_agent::com::ComAutomation::initialise()
            .map_err(|e| anyhow!("cannot start COM: {e}"))
            .and_then(|automation| run(automation, cli.command)),
        #[cfg(not(windows))]
        Engine::Sdo => Err(anyhow!(
            "Sage Data Objects exist only on Windows: run the Windows build of the agent on the Sage machine, or use --engine fake"
        )),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wharf-sage-agent: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run<A: Automation>(automation: A, command: Command) -> Result<()> {
    match command {
        Command::Serve { record, retry, .. } => {
            serve(Agent::new(automation, retry.policy()), record)
        }
        Command::Selftest {
            data_path,
            user,
            password_env,
            program_id,
            transcript,
            retry,
            ..
        } => {
            let connect = ConnectSettings {
                data_path,
                user,
                password: std::env::var(&password_env).unwrap_or_default(),
                program_id,
            };
            selftest(Agent::new(automation, retry.policy()), connect, &transcript)
        }
    }
}

/// The request loop. An unreadable line is answered (id 0) and skipped; stdin's end logs out.
fn serve<A: Automation>(agent: Agent<A>, record: Option<PathBuf>) -> Result<()> {
    let mut transport: Box<dyn sage_agent::backend::Transport> = match &record {
        Some(path) => Box::new(
            Recording::new(InProcess(agent), path)
                .with_context(|| format!("cannot create the transcript {}", path.display()))?,
        ),
        None => Box::new(InProcess(agent)),
    };
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.context("reading a request from stdin")?;
        if line.trim().is_empty() {
            continue;
        }
        let response = match serde_json::from_str::<Request>(&line) {
            Ok(request) => {
                tracing::debug!(op = request.op.name(), id = request.id, "request");
                transport
                    .exchange(&request, Duration::MAX)
                    .map_err(|message| anyhow!(message))?
            }
            Err(error) => Response {
                id: 0,
                result: Err(AgentError::new(
                    ErrorKind::Protocol,
                    format!(
                        "the request is not a protocol {} request: {error}",
                        sage_agent::protocol::PROTOCOL_VERSION
                    ),
                )),
            },
        };
        serde_json::to_writer(&mut stdout, &response)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}

/// What a customer runs on the Sage machine (docs/sage50.md).
fn selftest<A: Automation>(
    agent: Agent<A>,
    connect: ConnectSettings,
    transcript: &std::path::Path,
) -> Result<()> {
    let recording = Recording::new(InProcess(agent), transcript)
        .with_context(|| format!("cannot create the transcript {}", transcript.display()))?;
    let mut sage = SdoBackend::new(
        recording,
        SdoSettings {
            connect,
            key_field: sage_agent::backend::DEFAULT_KEY_FIELD.into(),
            call_timeout: Duration::MAX,
        },
    );
    let probe = sage.probe()?;
    println!(
        "Sage Data Objects: {} version {} ({}), registered: {}, sales orders: {}",
        probe.backend, probe.version, probe.edition, probe.registered, probe.sales_orders
    );
    if !probe.sales_orders {
        bail!(
            "this Sage edition has no sales order processing (Accounts Professional is needed for orders)"
        );
    }
    let company = sage.company()?;
    println!(
        "Company: {} ({}, {})",
        company.name, company.country_code, company.base_currency
    );
    let generator = AccountReferenceGenerator::new(&AccountReferenceSettings {
        auto_generate: true,
        convention: AccountReferenceConvention::CompanyOtherwiseFullname,
        alphabetic_length: 5,
        numeric_length: 3,
        mask: String::new(),
        regular_expression: String::new(),
    })?;
    let names = NameParts {
        company: "Wharf Selftest",
        forename: "",
        surname: "",
        full_name: "",
    };
    let reference = sage.next_account_reference(&names, &generator)?;
    let mut customer = sage.customer_template(&reference)?;
    customer.name = "Wharf Selftest".into();
    customer.email = "selftest@wharf.invalid".into();
    sage.create_customer(&NewCustomer {
        customer,
        delivery_addresses: Vec::new(),
    })?;
    let read = sage
        .find_customer(&reference)?
        .ok_or_else(|| anyhow!("customer {reference} was created but cannot be read back"))?;
    if read.name != "Wharf Selftest" {
        bail!("customer {reference} reads back with name '{}'", read.name);
    }
    println!("Customer: created and read back {reference}");
    let code = "WHARF-SELFTEST";
    if sage.find_product(code)?.is_none() {
        let mut product = sage.product_template(code)?;
        product.description = "Wharf self-test item".into();
        product.sales_price = 1.0;
        product.tax_code = 1;
        sage.create_product(&product)?;
    }
    println!("Product: {code} is there");
    let key = format!(
        "wharf-selftest-{}",
        chrono::Local::now().format("%Y%m%dT%H%M%S")
    );
    let request = SalesOrderRequest {
        account_ref: reference.clone(),
        customer_order_number: key.clone(),
        lines: vec![OrderLineRequest {
            stock_code: Some(code.into()),
            quantity: Some(2.0),
            unit_price: Some(1.0),
            tax_code: Some(1),
            ..OrderLineRequest::default()
        }],
        ..SalesOrderRequest::default()
    };
    let options = OrderImportOptions {
        auto_create_products: false,
        ..OrderImportOptions::default()
    };
    let posted = sage.post_sales_order(Some(&key), &request, &options)?;
    println!(
        "Order: posted sales order {} (net {:.2}, VAT {:.2}, gross {:.2})",
        posted.order_number,
        posted.order.total_net,
        posted.order.total_tax,
        posted.order.total_gross
    );
    let found = sage.find_order_by_key(&key)?.ok_or_else(|| {
        anyhow!(
            "sales order {} cannot be found by its key {key}",
            posted.order_number
        )
    })?;
    if found.order_number != posted.order_number || found.lines.len() != 1 {
        bail!(
            "looking sales order {} up by its key found order {} with {} lines",
            posted.order_number,
            found.order_number,
            found.lines.len()
        );
    }
    println!("Order: found again by its key {key}");
    sage.disconnect()?;
    println!("Transcript: {}", transcript.display());
    Ok(())
}
