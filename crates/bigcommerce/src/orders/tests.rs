use super::*;
use crate::fake::MiniShop;
use crate::truth::MemoryTruth;
use wharf_guest::ResultCode;
use wharf_guest::Settings;

/// Runs the task on raw settings, as the host passes them.
fn run(settings: &Settings, web: &mut impl Web, truth: &mut impl Truth) -> TaskResult {
    match <OrdersSettings as wharf_guest::TaskSettings>::parse(settings) {
        Ok(settings) => super::run(&settings, web, truth),
        Err(e) => e.into(),
    }
}

fn date(minute: u32) -> String {
    format!("Tue, 20 Nov 2012 10:{minute:02}:00 +0000")
}

fn settings(dir: &std::path::Path, extra: &[(&str, &str)]) -> Settings {
    let output = dir.join("orders.xml").display().to_string();
    let mut pairs: Vec<(String, String)> = vec![("output-file".into(), output)];
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::new(pairs)
}

#[test]
fn new_orders_page_by_date_with_their_paged_products_and_the_cursor_moves_on_success() {
    state::remove("created-cursor");
    let dir = tempfile::tempdir().unwrap();
    let mut shop = MiniShop::new();
    for id in 1..=5 {
        shop.order(id, &date(id as u32), if id == 2 { 7 } else { 1 });
    }
    let s = settings(dir.path(), &[("page-size", "3")]);
    let result = run(&s, &mut shop, &mut MemoryTruth::default());
    assert_eq!(result.code, ResultCode::SuccessData, "{}", result.message);
    let xml = std::fs::read_to_string(dir.path().join("orders.xml")).unwrap();
    assert_eq!(xml.matches("<order>").count(), 5, "{xml}");
    assert_eq!(
        xml.matches("<product>").count(),
        11,
        "order 2's 7 lines over 3 pages"
    );
    assert!(xml.contains("<shipping_method>Post</shipping_method>"));
    assert!(!xml.contains("resource"), "links are replaced by the lists");
    assert_eq!(
        state::get("created-cursor").as_deref(),
        Some("2012-11-20T10:05:00Z 5")
    );
    // Keyed pages: the second asks from the newest date of the first, page 1 again.
    assert!(
        shop.requests
            .iter()
            .any(|r| r.contains("min_date_created=2012-11-20T10:03:00Z") && r.contains("page=1")),
        "{:?}",
        shop.requests
    );
    assert!(
        !dir.path().read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.')),
        "no scratch or partial file left"
    );

    // Nothing new: no data, the cursor stays; a new order at the cursor's second comes next time.
    let again = run(&s, &mut shop, &mut MemoryTruth::default());
    assert_eq!(again.code, ResultCode::SuccessNoData, "{}", again.message);
    shop.order(6, &date(5), 1);
    let third = run(&s, &mut shop, &mut MemoryTruth::default());
    assert_eq!(third.counts.records_out, 1, "{}", third.message);
    assert_eq!(
        state::get("created-cursor").as_deref(),
        Some("2012-11-20T10:05:00Z 5,6")
    );
}

#[test]
fn more_orders_in_one_second_than_a_page_holds_are_passed_by_page_number() {
    state::remove("created-cursor");
    let dir = tempfile::tempdir().unwrap();
    let mut shop = MiniShop::new();
    for id in 1..=7 {
        shop.order(id, &date(1), 1);
    }
    let result = run(
        &settings(dir.path(), &[("page-size", "2")]),
        &mut shop,
        &mut MemoryTruth::default(),
    );
    assert_eq!(result.counts.records_out, 7, "{}", result.message);
}

#[test]
fn a_failed_download_leaves_the_cursor_and_the_old_file() {
    state::set("modified-cursor", "2012-11-20T10:00:00Z 1");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("orders.xml"), "old").unwrap();
    let mut shop = MiniShop::new();
    shop.order(2, &date(2), 1);
    shop.broken = Some("/products".into());
    let result = run(
        &settings(dir.path(), &[("export-type", "Modified")]),
        &mut shop,
        &mut MemoryTruth::default(),
    );
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("v2/orders/2/products") && result.message.contains("503"),
        "{}",
        result.message
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("orders.xml")).unwrap(),
        "old"
    );
    assert_eq!(
        state::get("modified-cursor").as_deref(),
        Some("2012-11-20T10:00:00Z 1")
    );
}

#[test]
fn a_status_is_asked_for_by_name_and_a_wrong_one_is_named() {
    state::remove("created-cursor");
    let dir = tempfile::tempdir().unwrap();
    let mut shop = MiniShop::new();
    shop.order(1, &date(1), 1);
    let result = run(
        &settings(dir.path(), &[("order-status", "awaiting fulfillment")]),
        &mut shop,
        &mut MemoryTruth::default(),
    );
    assert_eq!(result.counts.records_out, 1, "{}", result.message);
    assert!(shop.requests.iter().any(|r| r.contains("status_id=11")));
    let wrong = run(
        &settings(dir.path(), &[("order-status", "Posted")]),
        &mut shop,
        &mut MemoryTruth::default(),
    );
    assert_eq!(wrong.code, ResultCode::Fail);
    assert!(
        wrong.message.contains("setting `order-status`") && wrong.message.contains("`Completed`"),
        "{}",
        wrong.message
    );
}

#[test]
fn all_pages_by_id_and_leaves_the_cursors() {
    state::remove("created-cursor");
    let dir = tempfile::tempdir().unwrap();
    let mut shop = MiniShop::new();
    for id in 1..=4 {
        shop.order(id, &date(1), 1);
    }
    let result = run(
        &settings(dir.path(), &[("export-type", "All"), ("page-size", "3")]),
        &mut shop,
        &mut MemoryTruth::default(),
    );
    assert_eq!(result.counts.records_out, 4);
    assert!(
        shop.requests.iter().any(|r| r.contains("min_id=4")),
        "{:?}",
        shop.requests
    );
    assert_eq!(state::get("created-cursor"), None);
}

#[test]
fn cursors_and_dates_parse() {
    let c = Cursor::parse("2024-05-01T10:00:00Z 12,13").unwrap();
    assert_eq!(c.ids, [12, 13]);
    assert_eq!(Cursor::parse(&c.to_text()), Some(c));
    assert_eq!(
        Cursor::parse("2024-05-01T10:00:00Z").unwrap().ids,
        Vec::<i64>::new()
    );
    assert!(Cursor::parse("yesterday").is_none());
    assert!(parse_date("Tue, 20 Nov 2012 00:00:00 +0000").is_some());
    assert_eq!(
        parse_start("2024-05-10"),
        parse_start("2024-05-10T00:00:00Z")
    );
    assert!(parse_start("10/05/2024").is_none());
}

#[test]
fn an_answer_larger_than_the_inline_start_is_read_again_through_a_file() {
    state::remove("created-cursor");
    let dir = tempfile::tempdir().unwrap();
    let mut shop = MiniShop::new();
    for id in 1..=100 {
        shop.order(id, &date(1), 1);
        shop.orders.last_mut().unwrap().0["staff_notes"] = serde_json::json!("n".repeat(2000));
    }
    let result = run(
        &settings(dir.path(), &[("page-size", "50")]),
        &mut shop,
        &mut MemoryTruth::default(),
    );
    assert_eq!(result.counts.records_out, 100, "{}", result.message);
    let pages: Vec<&String> = shop
        .requests
        .iter()
        .filter(|r| r.contains("v2/orders?"))
        .collect();
    // The first page inline, then again into a file; every later page (all orders share one
    // minute, so the download pages through that minute by number) straight into the file:
    // no page is asked for twice.
    assert_eq!(pages[0], pages[1], "{pages:?}");
    let mut later = pages[1..].to_vec();
    later.dedup();
    assert_eq!(later.len(), pages.len() - 1, "{pages:?}");
    assert_eq!(pages.len(), 5, "{pages:?}");
    let xml = std::fs::read_to_string(dir.path().join("orders.xml")).unwrap();
    assert_eq!(xml.matches("<staff_notes>").count(), 100);
}

#[test]
fn sub_resources_fetched_ahead_give_the_same_file_and_requests() {
    use wharf_guest::http::fake::Deferred;
    let shop = || {
        let mut shop = MiniShop::new();
        for id in 1..=30 {
            shop.order(id, &date(id as u32 % 60), if id % 7 == 2 { 9 } else { 1 });
        }
        // Products larger than the inline start: read again through a file.
        for product in &mut shop.orders[3].1 {
            product["name"] = serde_json::json!("p".repeat(70_000));
        }
        shop
    };
    let mut outputs = Vec::new();
    let mut requests = Vec::new();
    for deferred in [false, true] {
        state::remove("created-cursor");
        let dir = tempfile::tempdir().unwrap();
        let s = settings(dir.path(), &[("page-size", "4")]);
        let mut web = Deferred::new(shop());
        let result = if deferred {
            run(&s, &mut web, &mut MemoryTruth::default())
        } else {
            run(&s, &mut web.web, &mut MemoryTruth::default())
        };
        assert_eq!(result.counts.records_out, 30, "{}", result.message);
        if deferred {
            // The sub-resources of several orders were under way at once, within the bound.
            assert!(
                (4..=3 * ORDERS_AHEAD).contains(&web.most_started),
                "{}",
                web.most_started
            );
        }
        outputs.push(std::fs::read(dir.path().join("orders.xml")).unwrap());
        let mut sent = web.web.requests.clone();
        sent.sort();
        requests.push(sent);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["orders.xml".to_owned()]);
    }
    assert!(outputs[0] == outputs[1], "the same bytes either way");
    assert_eq!(requests[0], requests[1]);
}
