//! Amazon Download Orders (docs/zynk-reference.md §2.15) on the Selling Partner API's Orders API 2026-01-01:
//! orders created in each marketplace since that marketplace's cursor (or the export date
//! floor), fulfilled by Amazon, by the merchant or both, in the statuses given, written as the
//! `Orders/Order` XML the built-in `amazon-orders-to-zynk` mapping reads. A window ends at least
//! two minutes before now (Amazon's rule) or at `created-before`; each marketplace's cursor moves
//! to the end of its window only when the task succeeds. `order-id` fetches one order instead.
//! The host adds the Login with Amazon token and paces throttled calls (docs/amazon.md).

use std::io::BufWriter;
use std::path::PathBuf;

use amazon_sp::marketplaces::Marketplace;
use amazon_sp::orders::{self, Filter, Fulfilment, OrderWriter};
use amazon_sp::settings::{channels, utc};
use amazon_sp::{Api, HostWeb, Web, iso, now};
use chrono::{DateTime, Duration, Utc};
use wharf_guest::{SettingChoice, TaskError, TaskResult, TaskSettings, TypedTask, log, state};

/// Without a cursor or a floor, a marketplace's first window starts this far back.
const FIRST_WINDOW_DAYS: i64 = 30;

/// Who fulfils the orders downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum Channel {
    All,
    #[choice(rename = "AFN")]
    Afn,
    #[choice(rename = "MFN")]
    Mfn,
}

#[derive(Debug, Clone, TaskSettings)]
pub struct DownloadSettings {
    /// The channels: marketplace names (UK, US, CA, DE, ES, FR, IT …) or ids, comma-separated.
    #[setting(default = "UK", non_empty)]
    pub marketplaces: String,
    /// Orders fulfilled by Amazon (AFN), by the merchant (MFN) or both (All).
    #[setting(default = "All")]
    pub fulfilment_channel: Channel,
    /// Order statuses to download, comma-separated (Pending, Unshipped, PartiallyShipped, Shipped, Cancelled, Unfulfillable, PendingAvailability); empty: all.
    #[setting(default = "Unshipped,PartiallyShipped,Shipped")]
    pub order_statuses: String,
    /// No order created before this is downloaded (UTC); the first run starts here (else 30 days back).
    #[setting(kind = date_time)]
    pub export_date_floor: Option<String>,
    /// An upper bound on creation time (UTC); windows never end later than two minutes before now.
    #[setting(kind = date_time)]
    pub created_before: Option<String>,
    /// Download this one order (e.g. 123-4567890-1234567) instead of searching; cursors do not move.
    pub order_id: Option<String>,
    /// Orders per page (1 to 100).
    #[setting(default = 100, range = 1..=100)]
    pub page_size: u32,
    /// Where the orders are written (replaced).
    #[setting(default = "amazon_orders.xml")]
    pub output_file: PathBuf,
}

pub struct DownloadOrders;

impl TypedTask for DownloadOrders {
    const NAME: &'static str = "amazon-download-orders";
    const DOC: &'static str = "Downloads Amazon orders (Selling Partner API) as order XML for the amazon-orders-to-zynk mapping.";
    const CAPABILITIES: &'static [&'static str] = &[amazon_sp::CAPABILITY];
    type Settings = DownloadSettings;

    fn run(settings: DownloadSettings) -> Result<TaskResult, TaskError> {
        run(&settings, &mut HostWeb, now())
    }
}

wharf_guest::export_task!(DownloadOrders);

struct Plan {
    channels: Vec<Marketplace>,
    filter: Filter,
    floor: Option<DateTime<Utc>>,
    upper: Option<DateTime<Utc>>,
    order_id: Option<String>,
}

fn plan(settings: &DownloadSettings) -> Result<Plan, TaskError> {
    let statuses = orders::statuses(&settings.order_statuses)
        .map_err(|e| TaskError::fail(format!("setting `order-statuses`: {e}")))?;
    Ok(Plan {
        channels: channels(&settings.marketplaces)?,
        filter: Filter {
            fulfilment: match settings.fulfilment_channel {
                Channel::All => Fulfilment::All,
                Channel::Afn => Fulfilment::Amazon,
                Channel::Mfn => Fulfilment::Merchant,
            },
            statuses,
            page_size: settings.page_size,
        },
        floor: utc("export-date-floor", settings.export_date_floor.as_deref())?,
        upper: utc("created-before", settings.created_before.as_deref())?,
        order_id: settings
            .order_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned),
    })
}

fn cursor_key(marketplace: &Marketplace) -> String {
    format!("created-after:{}", marketplace.id)
}

/// The download, with the clock and the network given (native tests give their own).
pub fn run(
    settings: &DownloadSettings,
    web: &mut impl Web,
    now: DateTime<Utc>,
) -> Result<TaskResult, TaskError> {
    let plan = plan(settings)?;
    let output = &settings.output_file;
    let cannot_write = |e: std::io::Error| {
        TaskError::fail(format!(
            "setting `output-file`: cannot write `{}`: {e}",
            output.display()
        ))
    };
    let partial = wharf_guest::fs::partial_path(output);
    let file = std::fs::File::create(&partial).map_err(cannot_write)?;
    let ((count, notes), cursors) = match download(&plan, web, now, file) {
        Ok(done) => done,
        Err(failure) => {
            let _ = std::fs::remove_file(&partial);
            return Err(failure);
        }
    };
    if let Err(e) = std::fs::rename(&partial, output) {
        let _ = std::fs::remove_file(&partial);
        return Err(cannot_write(e));
    }
    // Staged by the host: committed only because the task succeeds.
    for (key, value) in cursors {
        state::set(&key, &value);
    }
    let result = if count == 0 {
        TaskResult::success_no_data(format!("no new orders ({notes})"))
    } else {
        TaskResult::success_data(format!(
            "{count} orders to `{}` ({notes})",
            output.display()
        ))
    };
    Ok(result
        .with_counts(count, count, 0)
        .with_output("orders", count.to_string()))
}

type Cursors = Vec<(String, String)>;

fn download(
    plan: &Plan,
    web: &mut impl Web,
    now: DateTime<Utc>,
    file: std::fs::File,
) -> Result<((u64, String), Cursors), TaskError> {
    let mut writer = OrderWriter::new(BufWriter::new(file))
        .map_err(|e| TaskError::fail(format!("cannot write the output file: {e}")))?;
    let mut api = Api::new(web);
    let mut cursors = Vec::new();
    let mut notes = Vec::new();
    if let Some(order_id) = &plan.order_id {
        orders::get_order(&mut api, order_id, &mut writer).map_err(|e| e.into_failure())?;
        notes.push(format!("order {order_id}"));
    } else {
        for channel in &plan.channels {
            let cursor = state::get(&cursor_key(channel))
                .and_then(|c| DateTime::parse_from_rfc3339(&c).ok())
                .map(|c| c.with_timezone(&Utc));
            let floor = plan
                .floor
                .unwrap_or_else(|| now - Duration::days(FIRST_WINDOW_DAYS));
            let Some(window) = orders::window(cursor, floor, plan.upper, now) else {
                notes.push(format!("{}: nothing to search yet", channel.name));
                continue;
            };
            let before = writer.written;
            let done = orders::search(&mut api, channel, &plan.filter, window, &mut writer)
                .map_err(|e| e.into_failure())?;
            let new = writer.written - before;
            log::info(format!(
                "{}: {new} orders created {} to {} ({} pages)",
                channel.name,
                iso(window.0),
                iso(window.1),
                done.pages
            ));
            notes.push(format!("{} {new}", channel.name));
            cursors.push((cursor_key(channel), iso(orders::next_cursor(window.1))));
        }
    }
    let written = writer.written;
    writer
        .finish()
        .and_then(|out| out.into_inner().map_err(|e| e.into_error()))
        .and_then(|file| file.sync_all())
        .map_err(|e| TaskError::fail(format!("cannot write the output file: {e}")))?;
    Ok(((written, notes.join(", ")), cursors))
}
