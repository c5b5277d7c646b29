//! `wharf sage …`: set up the embedded Sage 50 ledger and look inside it, so a person can see
//! what an import did; and run a Sage job in-process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use sage_ledger::procedures::{CustomerImportSettings, import_customers, load_products};
use sage_ledger::{CompanySettings, Ledger, Listing, MemoryTruthStore, WriterLock};
use wharf_engine::Engine;
use wharf_engine::limits::Limits;
use wharf_sage::{JobRunner, SageCapability, SageJob};

#[derive(Subcommand)]
pub enum SageCommand {
    /// Create the ledger: a new, empty Sage 50 company with the standard tax codes, currencies
    /// and nominal accounts. An existing ledger that holds no customers, products or orders yet
    /// gets these company details; one with data is refused unless --replace starts it again.
    CreateCompany {
        /// Company name.
        #[arg(long, default_value = "Wharf Trading Ltd")]
        name: String,
        /// ISO country code of the company (deliveries there use the Base VAT rule).
        #[arg(long, default_value = "GB")]
        country: String,
        /// ISO code of the base currency.
        #[arg(long, default_value = "GBP")]
        currency: String,
        /// Throw away an existing ledger at this path and start again.
        #[arg(long)]
        replace: bool,
    },
    /// Load stock records and customer accounts from a Zynk XML file (`Products`, `Customers`).
    Load {
        /// The Zynk XML file.
        file: PathBuf,
        /// Generate account references for customers that have none (3 letters, 3 digits).
        #[arg(long)]
        generate_account_refs: bool,
    },
    /// List customer accounts.
    Customers {
        /// Show at most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print the rows as JSON (`total` and `rows`) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List sales orders, newest first.
    Orders {
        /// Only this account's orders.
        #[arg(long)]
        account: Option<String>,
        /// Show at most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print the rows as JSON (`total` and `rows`) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List stock records with their quantities.
    Stock {
        /// Show at most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print the rows as JSON (`total` and `rows`) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run a Sage job in this process, as the Sage runner does for a cloud run, and print its
    /// result as JSON (docs/cloud.md describes jobs).
    Job {
        /// The job: a JSON file as the cloud function writes for the runner.
        file: PathBuf,
        /// Write the result here instead of printing it.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// Refuses a ledger path with no ledger: opening it would create an empty company.
fn require(ledger: &Path) -> Result<()> {
    if !ledger.exists() {
        bail!(
            "there is no Sage ledger at {} (create one with `wharf sage create-company`, or give --sage-ledger)",
            ledger.display()
        );
    }
    Ok(())
}

fn open(ledger: &Path) -> Result<Ledger> {
    require(ledger)?;
    Ledger::open_existing(ledger)
        .with_context(|| format!("opening the Sage ledger {}", ledger.display()))
}

/// Left-aligned text columns, right-aligned numbers.
pub(crate) fn table(headers: &[&str], numeric: &[bool], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if numeric[i] {
                    format!("{c:>w$}", w = widths[i])
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        format!("{}\n", parts.join("  ").trim_end())
    };
    let mut out = line(headers.to_vec());
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

fn quantity(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn shown(total: usize, limit: usize, what: &str) -> String {
    if total > limit {
        format!("({limit} of {total} {what} shown; use --limit)\n")
    } else {
        format!("({total} {what})\n")
    }
}

/// Names the rows a listing could not read (on stderr: the table on stdout stays a table).
fn report_unreadable<T>(listing: &Listing<T>) {
    for problem in &listing.unreadable {
        eprintln!("warning: {problem}");
    }
}

/// A listing as JSON: how many rows the ledger holds, and the first `limit` of them.
fn listing_json<T: serde::Serialize>(listing: &Listing<T>, limit: usize) -> Result<()> {
    let rows: Vec<&T> = listing.rows.iter().take(limit).collect();
    crate::out::json(&serde_json::json!({ "total": listing.total, "rows": rows }))
}

/// The ledger's writer lock, for the commands that change the ledger.
fn writer_lock(ledger: &Path, wait: Duration) -> Result<WriterLock> {
    if let Some(parent) = ledger.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    Ok(WriterLock::acquire(ledger, wait)?)
}

pub fn run(
    command: &SageCommand,
    ledger_path: &Path,
    lock_wait: Duration,
    engine: impl FnOnce() -> Result<Engine>,
) -> Result<()> {
    match command {
        SageCommand::CreateCompany {
            name,
            country,
            currency,
            replace,
        } => {
            let _writer = writer_lock(ledger_path, lock_wait)?;
            if ledger_path.exists() {
                if !replace {
                    let ledger = open(ledger_path)?;
                    let company = ledger.company()?;
                    if ledger.list_customers()?.total
                        + ledger.list_products()?.total
                        + ledger.sales_order_count()? as usize
                        > 0
                    {
                        bail!(
                            "{} already holds company `{}` with data; use --replace to start again",
                            ledger_path.display(),
                            company.name
                        );
                    }
                } else {
                    for suffix in ["", "-wal", "-shm"] {
                        let file = PathBuf::from(format!("{}{suffix}", ledger_path.display()));
                        if file.exists() {
                            std::fs::remove_file(&file)
                                .with_context(|| format!("removing {}", file.display()))?;
                        }
                    }
                }
            }
            if let Some(parent) = ledger_path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            let mut ledger = Ledger::open(ledger_path)
                .with_context(|| format!("creating the Sage ledger {}", ledger_path.display()))?;
            let currency = currency.to_ascii_uppercase();
            if ledger.currency(&currency)?.is_none() {
                bail!("currency `{currency}` is not one Sage is set up with");
            }
            let mut company = CompanySettings {
                name: name.clone(),
                country_code: country.to_ascii_uppercase(),
                base_currency: currency.clone(),
                ..ledger.company()?
            };
            company.customer_defaults.currency = currency;
            ledger.update_company(&company)?;
            println!(
                "company `{}` ({}, {}) in {}",
                company.name,
                company.country_code,
                company.base_currency,
                ledger_path.display()
            );
        }
        SageCommand::Load {
            file,
            generate_account_refs,
        } => {
            let _writer = writer_lock(ledger_path, lock_wait)?;
            let mut ledger = open(ledger_path)?;
            let bytes =
                std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let input = zynk_xml::Company::parse_bytes(&bytes)
                .with_context(|| format!("{} is not Zynk XML", file.display()))?;
            let products = load_products(&mut ledger, &input)?;
            println!(
                "products: {} created, {} updated, {} not loaded",
                products.created,
                products.updated,
                products.failed.len()
            );
            for reason in &products.failed {
                println!("  {reason}");
            }
            let mut settings = CustomerImportSettings::default();
            settings.account_references.auto_generate = *generate_account_refs;
            settings.account_references.alphabetic_length = 3;
            settings.account_references.numeric_length = 3;
            // Loading sets up accounts; it is not a workflow's import, so no truth links are kept.
            let report =
                import_customers(&mut ledger, &mut MemoryTruthStore::new(), &input, &settings)?;
            println!(
                "customers: {} created, {} updated, {} not loaded",
                report.counts.customers_created,
                report.counts.customers_updated,
                report.counts.failed
            );
            for record in report.fail.customers.iter().flatten() {
                let errors = match record {
                    zynk_xml::Parsed::Record(c) => &c.errors,
                    zynk_xml::Parsed::Malformed(m) => &m.errors,
                };
                for error in errors {
                    println!("  {}", error.description.as_deref().unwrap_or_default());
                }
            }
        }
        SageCommand::Customers { limit, json } => {
            let ledger = open(ledger_path)?;
            let customers = ledger.list_customers()?;
            report_unreadable(&customers);
            if *json {
                return listing_json(&customers, *limit);
            }
            let rows: Vec<Vec<String>> = customers
                .rows
                .iter()
                .take(*limit)
                .map(|c| {
                    vec![
                        c.account_ref.clone(),
                        shorten(&c.name, 32),
                        shorten(&c.contact_name, 20),
                        c.postcode.clone(),
                        c.currency.clone(),
                        format!("{:.2}", c.balance),
                        c.created.format("%Y-%m-%d %H:%M").to_string(),
                    ]
                })
                .collect();
            crate::out::print(table(
                &[
                    "Account", "Name", "Contact", "Postcode", "Currency", "Balance", "Created",
                ],
                &[false, false, false, false, false, true, false],
                &rows,
            ))?;
            crate::out::print(shown(customers.total, *limit, "customers"))?;
        }
        SageCommand::Orders {
            account,
            limit,
            json,
        } => {
            let ledger = open(ledger_path)?;
            let orders = ledger.list_sales_orders(account.as_deref(), *limit)?;
            report_unreadable(&orders);
            if *json {
                return listing_json(&orders, *limit);
            }
            let mut rows = Vec::new();
            for order in &orders.rows {
                let payment = order
                    .payment
                    .as_ref()
                    .map(|p| format!("{:.2} → {}", p.amount, p.bank_account))
                    .unwrap_or_default();
                rows.push(vec![
                    order.order_number.to_string(),
                    order.order_date.format("%Y-%m-%d").to_string(),
                    order.account_ref.clone(),
                    shorten(&order.customer_order_number, 16),
                    order.lines.len().to_string(),
                    format!("{:.2}", order.total_net),
                    format!("{:.2}", order.total_tax),
                    format!("{:.2}", order.total_gross),
                    format!("{:?}", order.allocation_status),
                    payment,
                ]);
            }
            crate::out::print(table(
                &[
                    "Order",
                    "Date",
                    "Account",
                    "Cust. order",
                    "Lines",
                    "Net",
                    "VAT",
                    "Gross",
                    "Allocation",
                    "Payment",
                ],
                &[
                    true, false, false, false, true, true, true, true, false, false,
                ],
                &rows,
            ))?;
            crate::out::print(shown(orders.total, *limit, "orders"))?;
        }
        SageCommand::Stock { limit, json } => {
            let ledger = open(ledger_path)?;
            let products = ledger.list_products()?;
            report_unreadable(&products);
            if *json {
                return listing_json(&products, *limit);
            }
            let rows: Vec<Vec<String>> = products
                .rows
                .iter()
                .take(*limit)
                .map(|p| {
                    vec![
                        p.stock_code.clone(),
                        shorten(&p.description, 32),
                        format!("{:.2}", p.sales_price),
                        quantity(p.qty_in_stock),
                        quantity(p.qty_allocated),
                        quantity(p.free_stock()),
                        quantity(p.qty_on_order),
                        if p.publish {
                            "yes".into()
                        } else {
                            String::new()
                        },
                        p.modified.format("%Y-%m-%d %H:%M:%S").to_string(),
                    ]
                })
                .collect();
            crate::out::print(table(
                &[
                    "Code",
                    "Description",
                    "Price",
                    "In stock",
                    "Allocated",
                    "Free",
                    "On order",
                    "Web",
                    "Modified",
                ],
                &[false, false, true, true, true, true, true, false, false],
                &rows,
            ))?;
            crate::out::print(shown(products.total, *limit, "stock records"))?;
        }
        SageCommand::Job { file, output } => {
            require(ledger_path)?;
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("reading {}", file.display()))?;
            let job: SageJob = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a Sage job", file.display()))?;
            let engine = engine()?;
            let sage = SageCapability::new(ledger_path).with_lock_wait(lock_wait);
            let runner = JobRunner {
                runtime: &engine.runtime,
                components: &engine.components,
                sage: &sage,
                limits: Limits::default(),
                allow_local_paths: true,
            };
            let result = runner.run(&job)?;
            let json = serde_json::to_string_pretty(&result)?;
            match output {
                Some(path) => std::fs::write(path, json)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => println!("{json}"),
            }
        }
    }
    Ok(())
}
