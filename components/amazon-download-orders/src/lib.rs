//! Amazon Download Orders (catalogue §2.15) on the Selling Partner API's Orders API 2026-01-01:
//! orders created in each marketplace since that marketplace's cursor (or the export date
//! floor), fulfilled by Amazon, by the merchant or both, in the statuses given, written as the
//! `Orders/Order` XML the built-in `amazon-orders-to-zynk` mapping reads. A window ends at least
//! two minutes before now (Amazon's rule) or at `created-before`; each marketplace's cursor moves
//! to the end of its window only when the task succeeds. `order-id` fetches one order instead.
//! The host adds the Login with Amazon token and paces throttled calls (docs/amazon.md).

use std::io::BufWriter;

use amazon_sp::marketplaces::Marketplace;
use amazon_sp::orders::{self, Filter, Fulfilment, OrderWriter};
use amazon_sp::settings::{channels, utc};
use amazon_sp::{Api, CAPABILITY, HostWeb, Web, iso, now};
use chrono::{DateTime, Duration, Utc};
use wharf_guest::{SettingError, SettingSpec, Settings, Task, TaskInfo, TaskResult, log, state};

const TASK: &str = "amazon-download-orders";
const CHANNELS: &[&str] = &["All", "AFN", "MFN"];
/// Without a cursor or a floor, a marketplace's first window starts this far back.
const FIRST_WINDOW_DAYS: i64 = 30;

pub struct DownloadOrders;

fn info() -> TaskInfo {
    TaskInfo::new(
        TASK,
        "Downloads Amazon orders (Selling Partner API) as order XML for the amazon-orders-to-zynk mapping.",
    )
    .capability(CAPABILITY)
    .setting(
        SettingSpec::text(
            "marketplaces",
            "The channels: marketplace names (UK, US, CA, DE, ES, FR, IT …) or ids, comma-separated.",
        )
        .with_default("UK")
        .non_empty(),
    )
    .setting(
        SettingSpec::choice(
            "fulfilment-channel",
            "Orders fulfilled by Amazon (AFN), by the merchant (MFN) or both (All).",
            CHANNELS,
        )
        .with_default("All"),
    )
    .setting(
        SettingSpec::text(
            "order-statuses",
            "Order statuses to download, comma-separated (Pending, Unshipped, PartiallyShipped, Shipped, Cancelled, Unfulfillable, PendingAvailability); empty: all.",
        )
        .with_default("Unshipped,PartiallyShipped,Shipped"),
    )
    .setting(SettingSpec::date_time(
        "export-date-floor",
        "No order created before this is downloaded (UTC); the first run starts here (else 30 days back).",
    ))
    .setting(SettingSpec::date_time(
        "created-before",
        "An upper bound on creation time (UTC); windows never end later than two minutes before now.",
    ))
    .setting(SettingSpec::text(
        "order-id",
        "Download this one order (e.g. 123-4567890-1234567) instead of searching; cursors do not move.",
    ))
    .setting(
        SettingSpec::integer("page-size", "Orders per page (1 to 100).")
            .with_default("100")
            .at_least(1)
            .at_most(100),
    )
    .setting(
        SettingSpec::file("output-file", "Where the orders are written (replaced).")
            .with_default("amazon_orders.xml")
            .non_empty(),
    )
}

impl Task for DownloadOrders {
    fn describe() -> TaskInfo {
        info()
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        let settings = Settings::new(settings).with_defaults(&info().settings);
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

fn plan(settings: &Settings) -> Result<Plan, SettingError> {
    let fulfilment = settings.choice("fulfilment-channel", CHANNELS)?;
    let statuses = orders::statuses(settings.optional_text("order-statuses").unwrap_or(""))
        .map_err(|e| SettingError::new("order-statuses", e))?;
    Ok(Plan {
        channels: channels(settings)?,
        filter: Filter {
            fulfilment: Fulfilment::parse(fulfilment).unwrap_or(Fulfilment::All),
            statuses,
            page_size: u32::try_from(settings.integer("page-size")?).unwrap_or(100),
        },
        floor: utc(settings, "export-date-floor")?,
        upper: utc(settings, "created-before")?,
        order_id: settings
            .optional_text("order-id")
            .map(|id| id.trim().to_owned()),
    })
}

fn cursor_key(marketplace: &Marketplace) -> String {
    format!("created-after:{}", marketplace.id)
}

/// The download, with the clock and the network given (native tests give their own).
pub fn run(settings: &Settings, web: &mut impl Web, now: DateTime<Utc>) -> TaskResult {
    let plan = match plan(settings) {
        Ok(plan) => plan,
        Err(e) => return TaskResult::fail(format!("{TASK}: {e}")),
    };
    let output = match settings.path("output-file") {
        Ok(path) => path,
        Err(e) => return TaskResult::fail(format!("{TASK}: {e}")),
    };
    let partial = wharf_guest::fs::partial_path(&output);
    let file = match std::fs::File::create(&partial) {
        Ok(file) => file,
        Err(e) => {
            return TaskResult::fail(format!(
                "{TASK}: setting `output-file`: cannot write `{}`: {e}",
                output.display()
            ));
        }
    };
    let result = download(&plan, web, now, file);
    match result {
        Ok((summary, cursors)) => {
            if let Err(e) = std::fs::rename(&partial, &output) {
                let _ = std::fs::remove_file(&partial);
                return TaskResult::fail(format!(
                    "{TASK}: setting `output-file`: cannot write `{}`: {e}",
                    output.display()
                ));
            }
            // Staged by the host: committed only because the task succeeds.
            for (key, value) in cursors {
                state::set(&key, &value);
            }
            let result = if summary.0 == 0 {
                TaskResult::success_no_data(format!("{TASK}: no new orders ({})", summary.1))
            } else {
                TaskResult::success_data(format!(
                    "{TASK}: {} orders to `{}` ({})",
                    summary.0,
                    output.display(),
                    summary.1
                ))
            };
            result
                .with_counts(summary.0, summary.0, 0)
                .with_output("orders", summary.0.to_string())
        }
        Err(failure) => {
            let _ = std::fs::remove_file(&partial);
            failure
        }
    }
}

type Cursors = Vec<(String, String)>;

fn download(
    plan: &Plan,
    web: &mut impl Web,
    now: DateTime<Utc>,
    file: std::fs::File,
) -> Result<((u64, String), Cursors), TaskResult> {
    let mut writer = OrderWriter::new(BufWriter::new(file))
        .map_err(|e| TaskResult::fail(format!("{TASK}: cannot write the output file: {e}")))?;
    let mut api = Api::new(web);
    let mut cursors = Vec::new();
    let mut notes = Vec::new();
    if let Some(order_id) = &plan.order_id {
        orders::get_order(&mut api, order_id, &mut writer).map_err(|e| e.into_result(TASK))?;
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
                .map_err(|e| e.into_result(TASK))?;
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
        .map_err(|e| TaskResult::fail(format!("{TASK}: cannot write the output file: {e}")))?;
    Ok(((written, notes.join(", ")), cursors))
}
