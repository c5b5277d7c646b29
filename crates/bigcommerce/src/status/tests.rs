use super::*;
use crate::fake::MiniShop;
use crate::truth::MemoryTruth;
use wharf_guest::ResultCode;
use wharf_guest::Settings;

/// Runs the task on raw settings, as the host passes them.
fn run(settings: &Settings, web: &mut impl Web, truth: &mut impl Truth) -> TaskResult {
    match <StatusSettings as wharf_guest::TaskSettings>::parse(settings) {
        Ok(settings) => super::run(&settings, web, truth),
        Err(e) => e.into(),
    }
}

#[test]
fn orders_move_to_the_named_status_with_success_and_fail_files_and_are_not_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("updates.xml");
    std::fs::write(&input, "<orders><order><id>1</id></order><order><id>99</id></order><order><id>x</id></order><order><id>2</id></order></orders>").unwrap();
    let mut shop = MiniShop::new();
    shop.order(1, "Tue, 20 Nov 2012 10:00:00 +0000", 1);
    shop.order(2, "Tue, 20 Nov 2012 10:00:00 +0000", 1);
    let path = |n: &str| dir.path().join(n).display().to_string();
    let settings = Settings::from_pairs(&[
        ("input-file", path("updates.xml")),
        ("success-file", path("ok.xml")),
        ("fail-file", path("bad.xml")),
        ("prevent-reprocessing", "true".into()),
    ]);
    let mut truth = MemoryTruth::default();
    let result = run(&settings, &mut shop, &mut truth);
    assert_eq!(result.code, ResultCode::Success, "{}", result.message);
    assert_eq!(
        (
            result.counts.records_in,
            result.counts.records_out,
            result.counts.records_failed
        ),
        (4, 2, 2)
    );
    assert!(
        result.message.contains("2 moved to `Completed`"),
        "{}",
        result.message
    );
    assert!(shop.orders.iter().all(|(o, _)| o["status_id"] == 10));
    let ok = std::fs::read_to_string(path("ok.xml")).unwrap();
    assert_eq!(ok.matches("<order>").count(), 2);
    let bad = std::fs::read_to_string(path("bad.xml")).unwrap();
    assert!(bad.contains("<id>99</id>") && bad.contains("404"), "{bad}");
    assert!(bad.contains("`x` is not an order id"), "{bad}");

    let puts = shop
        .requests
        .iter()
        .filter(|r| r.starts_with("PUT"))
        .count();
    let again = run(&settings, &mut shop, &mut truth);
    assert!(
        again.message.contains("2 already there"),
        "{}",
        again.message
    );
    assert_eq!(
        shop.requests
            .iter()
            .filter(|r| r.starts_with("PUT"))
            .count(),
        puts + 1,
        "only order 99 again"
    );
}

#[test]
fn an_unknown_stage_and_a_broken_shop_fail_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("updates.xml");
    std::fs::write(&input, "<orders><order><id>1</id></order></orders>").unwrap();
    let mut shop = MiniShop::new();
    shop.order(1, "Tue, 20 Nov 2012 10:00:00 +0000", 1);
    let settings = |stage: &str| {
        Settings::from_pairs(&[
            ("input-file", input.display().to_string()),
            ("notify-stage", stage.into()),
        ])
    };
    let result = run(&settings("Posted"), &mut shop, &mut MemoryTruth::default());
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("setting `notify-stage`"),
        "{}",
        result.message
    );
    shop.broken = Some("v2/orders/1".into());
    let result = run(&settings("Shipped"), &mut shop, &mut MemoryTruth::default());
    assert_eq!(result.code, ResultCode::Fail);
    assert!(
        result.message.contains("PUT v2/orders/1 answered 503"),
        "{}",
        result.message
    );
}
