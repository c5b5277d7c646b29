//! `wharf-fake-shop`: serves a fake web shop on this machine, so a workflow can be tried before
//! it is pointed at a real shop. The fake's own summary (order statuses, stock levels) is at
//! `GET /_fake/state`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use wharf_fake_shops::magento::{Config, Magento, STATE_PATH};
use wharf_fake_shops::server::Running;

#[derive(Parser)]
#[command(
    name = "wharf-fake-shop",
    version,
    about = "Serves a fake web shop on this machine"
)]
struct Cli {
    /// Where to listen (port 0: a free port, printed).
    #[arg(long, default_value = "127.0.0.1:0", global = true)]
    listen: SocketAddr,
    /// Write the shop's base URL to this file once it listens (for scripts).
    #[arg(long, global = true)]
    url_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    shop: ShopKind,
}

#[derive(Subcommand)]
enum ShopKind {
    /// Magento 2 (REST, `/rest/default/V1/…`, admin token login).
    Magento {
        #[arg(long, default_value_t = 300)]
        orders: usize,
        #[arg(long, default_value_t = 100)]
        customers: usize,
        #[arg(long, default_value_t = 200)]
        products: usize,
        /// Orders with a negative price, which an accounting package refuses.
        #[arg(long, default_value_t = 5)]
        malformed: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "admin")]
        admin_user: String,
        /// The admin password, from this environment variable.
        #[arg(long, default_value = "FAKE_SHOP_PASSWORD")]
        admin_password_env: String,
        /// How long an admin token lasts.
        #[arg(long, default_value_t = 14_400)]
        token_lifetime_seconds: u64,
        /// Also write a Sage 50 company (Zynk XML: the products with stock levels, and the
        /// first `--sage-customers` customers as accounts) for `wharf sage load`.
        #[arg(long)]
        sage_company: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 10)]
        sage_customers: usize,
    },
    /// BigCommerce (v2 orders, v3 catalog and inventory, `X-Auth-Token`).
    Bigcommerce {
        #[arg(long, default_value_t = 300)]
        orders: usize,
        #[arg(long, default_value_t = 100)]
        customers: usize,
        #[arg(long, default_value_t = 200)]
        products: usize,
        /// Orders with a negative price, which an accounting package refuses.
        #[arg(long, default_value_t = 5)]
        malformed: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The API account's access token, from this environment variable.
        #[arg(long, default_value = "FAKE_SHOP_TOKEN")]
        token_env: String,
        /// Also write a Sage 50 company (Zynk XML: every orderable SKU with a stock level, and
        /// the web sales account `--sage-account`) for `wharf sage load`.
        #[arg(long)]
        sage_company: Option<std::path::PathBuf>,
        #[arg(long, default_value = "WEBSALES")]
        sage_account: String,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let (running, base) = match cli.shop {
        ShopKind::Magento {
            orders,
            customers,
            products,
            malformed,
            seed,
            admin_user,
            admin_password_env,
            token_lifetime_seconds,
            sage_company,
            sage_customers,
        } => {
            let admin_password = std::env::var(&admin_password_env).with_context(|| {
                format!("the admin password: set the environment variable {admin_password_env}")
            })?;
            let shop = Magento::new(Config {
                customers,
                orders,
                products,
                malformed: malformed.min(orders),
                seed,
                admin_user: admin_user.clone(),
                admin_password,
                token_lifetime: Duration::from_secs(token_lifetime_seconds),
                ..Config::default()
            });
            if let Some(path) = &sage_company {
                std::fs::write(path, shop.zynk_company(sage_customers))
                    .with_context(|| format!("writing the Sage company to {}", path.display()))?;
            }
            let running = Running::start(shop, cli.listen)?;
            let base = format!("{}/rest/default/", running.url());
            eprintln!(
                "fake Magento 2 shop: {orders} orders ({malformed} malformed), {customers} customers, {products} products\n  base URL: {base}\n  admin user: {admin_user} (password from ${admin_password_env})\n  state: {}{STATE_PATH}",
                running.url()
            );
            (running, base)
        }
        ShopKind::Bigcommerce {
            orders,
            customers,
            products,
            malformed,
            seed,
            token_env,
            sage_company,
            sage_account,
        } => {
            let malformed = malformed.min(orders);
            let token = std::env::var(&token_env).with_context(|| {
                format!("the access token: set the environment variable {token_env}")
            })?;
            let shop = wharf_fake_shops::bigcommerce::BigCommerce::new(
                wharf_fake_shops::bigcommerce::Config {
                    customers,
                    orders,
                    products,
                    malformed,
                    seed,
                    token,
                    ..Default::default()
                },
            );
            if let Some(path) = &sage_company {
                std::fs::write(path, shop.zynk_company(&sage_account))
                    .with_context(|| format!("writing the Sage company to {}", path.display()))?;
            }
            let running = Running::start(shop, cli.listen)?;
            let base = format!("{}/stores/fake/", running.url());
            eprintln!(
                "fake BigCommerce store: {orders} orders ({malformed} malformed), {customers} customers, {products} products\n  base URL: {base}\n  token: from ${token_env} (header X-Auth-Token)\n  state: {}{}",
                running.url(),
                wharf_fake_shops::bigcommerce::STATE_PATH
            );
            (running, base)
        }
    };
    if let Some(path) = &cli.url_file {
        std::fs::write(path, &base)
            .with_context(|| format!("writing the base URL to {}", path.display()))?;
    }
    println!("{base}");
    let _running: Running = running;
    // Serves until the process is stopped (Ctrl-C, SIGTERM).
    loop {
        std::thread::park();
    }
}
