use chrono::TimeZone;
use serde_json::json;

use super::*;
use crate::feeds::{ListingOptions, Update, check_listings_feed, listings_feed, read_envelope};
use crate::marketplaces::{marketplace, marketplaces};
use crate::orders::{Filter, Fulfilment, OrderWriter, next_cursor, order_xml, search_url, window};

fn at(h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0).unwrap()
}

#[test]
fn query_values_are_encoded_exactly_once() {
    assert_eq!(query_value("Pg+12/ab=="), "Pg%2B12%2Fab%3D%3D");
    assert_eq!(
        query_value("2026-03-01T10:00:00Z"),
        "2026-03-01T10%3A00%3A00Z"
    );
    assert_eq!(query_value("a%2B"), "a%252B", "a token's own % is data");
}

#[test]
fn windows_end_two_minutes_before_now_or_at_the_bound() {
    let now = at(12, 0);
    assert_eq!(
        window(None, at(9, 0), None, now),
        Some((at(9, 0), at(11, 58)))
    );
    assert_eq!(
        window(Some(at(10, 0)), at(9, 0), Some(at(11, 0)), now),
        Some((at(10, 0), at(11, 0)))
    );
    // The floor wins over an older cursor; a cursor past the window's end: nothing to do.
    assert_eq!(
        window(Some(at(8, 0)), at(9, 0), None, now).unwrap().0,
        at(9, 0)
    );
    assert_eq!(window(Some(at(11, 59)), at(9, 0), None, now), None);
    assert_eq!(
        next_cursor(at(11, 58)),
        at(11, 58) + chrono::Duration::seconds(1)
    );
}

#[test]
fn search_urls_carry_the_filter_and_the_token_as_received() {
    let uk = marketplace("uk").unwrap();
    let filter = Filter {
        fulfilment: Fulfilment::Merchant,
        statuses: orders::statuses("Unshipped, PartiallyShipped").unwrap(),
        page_size: 50,
    };
    let url = search_url(&uk, &filter, (at(9, 0), at(11, 0)), Some("Pg+1/x=="));
    assert!(url.starts_with("/orders/2026-01-01/orders?marketplaceIds=A1F83G8C2ARO7P&createdAfter=2026-03-01T09%3A00%3A00Z&createdBefore=2026-03-01T11%3A00%3A00Z&maxResultsPerPage=50"), "{url}");
    assert!(url.contains("&fulfilledBy=MERCHANT"), "{url}");
    assert!(
        url.contains("&fulfillmentStatuses=UNSHIPPED%2CPARTIALLY_SHIPPED"),
        "{url}"
    );
    assert!(url.ends_with("&paginationToken=Pg%2B1%2Fx%3D%3D"), "{url}");
    assert!(
        orders::statuses("Delivered")
            .unwrap_err()
            .contains("Delivered")
    );
}

#[test]
fn marketplaces_by_name_or_id() {
    let list = marketplaces("UK, de,FR ,A2EUQ1WTGCTBG2,UK").unwrap();
    let ids: Vec<&str> = list.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "A1F83G8C2ARO7P",
            "A1PA6795UKMFR9",
            "A13V1IB3VIYZZH",
            "A2EUQ1WTGCTBG2"
        ]
    );
    assert_eq!(list[3].name, "CA");
    assert!(marketplaces("Narnia").unwrap_err().contains("Narnia"));
    assert!(marketplaces(" , ").is_err());
}

#[test]
fn an_order_becomes_the_xml_the_mapping_reads() {
    let order = json!({
        "orderId": "202-1234567-1234567",
        "createdTime": "2026-03-01T10:30:00Z",
        "lastUpdatedTime": "2026-03-01T10:45:00Z",
        "salesChannel": {"channelName": "AMAZON", "marketplaceId": "A1F83G8C2ARO7P", "marketplaceName": "Amazon.co.uk"},
        "buyer": {"buyerEmail": "b@example", "buyerName": "Ann & Co"},
        "recipient": {"deliveryAddress": {"name": "Ann <Smith>", "addressLine1": "1 High St", "city": "Leeds", "postalCode": "LS1 1AB", "countryCode": "GB"}},
        "proceeds": {"grandTotal": {"amount": "23.97", "currencyCode": "GBP"}},
        "fulfillment": {"fulfillmentStatus": "UNSHIPPED", "fulfilledBy": "MERCHANT", "fulfillmentServiceLevel": "STANDARD"},
        "orderItems": [
            {"orderItemId": "1", "quantityOrdered": 2, "product": {"sellerSku": "SKU-1", "title": "Thing", "price": {"unitPrice": {"amount": "9.99", "currencyCode": "GBP"}}},
             "proceeds": {"breakdowns": [{"type": "SHIPPING", "subtotal": {"amount": "3.99", "currencyCode": "GBP"}}]}},
            {"orderItemId": "2", "quantityOrdered": 1, "product": {"sellerSku": "SKU-2"},
             "proceeds": {"breakdowns": [{"type": "ITEM", "subtotal": {"amount": "5.00", "currencyCode": "GBP"}},
                                          {"type": "DISCOUNT", "subtotal": {"amount": "-1.00", "currencyCode": "GBP"}}]}}
        ]
    });
    let xml = order_xml(&order).unwrap();
    for part in [
        "<AmazonOrderId>202-1234567-1234567</AmazonOrderId>",
        "<PurchaseDate>2026-03-01T10:30:00Z</PurchaseDate>",
        "<FulfillmentChannel>MFN</FulfillmentChannel>",
        "<OrderTotal><CurrencyCode>GBP</CurrencyCode><Amount>23.97</Amount></OrderTotal>",
        "<Name>Ann &lt;Smith&gt;</Name>",
        "<BuyerName>Ann &amp; Co</BuyerName>",
        "<SellerSKU>SKU-1</SellerSKU>",
        "<ItemPrice><CurrencyCode>GBP</CurrencyCode><Amount>19.98</Amount></ItemPrice>",
        "<ShippingPrice><CurrencyCode>GBP</CurrencyCode><Amount>3.99</Amount></ShippingPrice>",
        "<ItemPrice><CurrencyCode>GBP</CurrencyCode><Amount>5.00</Amount></ItemPrice>",
        "<PromotionDiscount><CurrencyCode>GBP</CurrencyCode><Amount>1.00</Amount></PromotionDiscount>",
    ] {
        assert!(xml.contains(part), "{part} in {xml}");
    }
    let mut out = OrderWriter::new(Vec::new()).unwrap();
    out.order(&order).unwrap();
    out.order(&order).unwrap();
    assert_eq!(out.written, 1, "an order seen twice is written once");
    assert!(
        order_xml(&json!({"orderId": "x"}))
            .unwrap_err()
            .contains("orderItems")
    );
}

#[test]
fn envelopes_become_listings_feeds_that_keep_amazons_rules() {
    let inventory = read_envelope(
        r#"<AmazonEnvelope><Header><MerchantIdentifier>A1SELLER</MerchantIdentifier></Header>
           <Message><MessageID>1</MessageID><Inventory><SKU>A&amp;B</SKU><Quantity>4</Quantity></Inventory></Message>
           <Message><MessageID>2</MessageID><Inventory><SKU>C</SKU><Quantity>0</Quantity></Inventory></Message>
           </AmazonEnvelope>"#,
    )
    .unwrap();
    assert_eq!(inventory.seller_id, "A1SELLER");
    assert_eq!(
        inventory.updates[0],
        Update::Quantity {
            sku: "A&B".into(),
            quantity: 4
        }
    );
    let options = ListingOptions {
        product_type: "PRODUCT".into(),
        marketplace_id: "A1F83G8C2ARO7P".into(),
        fulfillment_channel_code: "DEFAULT".into(),
        issue_locale: "en_GB".into(),
    };
    let feed = listings_feed(&inventory, &options);
    assert_eq!(check_listings_feed(&feed), Vec::<String>::new());
    let schema = feeds::listings_feed_schema().unwrap();
    assert_eq!(
        feeds::check_against_schema(&feed, &schema).unwrap(),
        Vec::<String>::new(),
        "Amazon's schema takes the built feed"
    );
    assert_eq!(
        feed["messages"][0]["patches"][0]["value"][0]["quantity"],
        json!(4)
    );
    let prices = read_envelope(
        r#"<AmazonEnvelope><Header><MerchantIdentifier>A1SELLER</MerchantIdentifier></Header>
           <Message><Price><SKU>C</SKU><StandardPrice currency="GBP">12.50</StandardPrice></Price></Message></AmazonEnvelope>"#,
    )
    .unwrap();
    let feed = listings_feed(&prices, &options);
    assert_eq!(
        feed["messages"][0]["patches"][0],
        json!({"op": "replace", "path": "/attributes/purchasable_offer", "value": [{
            "marketplace_id": "A1F83G8C2ARO7P", "currency": "GBP",
            "our_price": [{"schedule": [{"value_with_tax": 12.5}]}]}]})
    );
    for (bad, says) in [
        (
            "<AmazonEnvelope><Message><Inventory><SKU>A</SKU><Quantity>1</Quantity></Inventory></Message></AmazonEnvelope>",
            "MerchantIdentifier",
        ),
        (
            "<AmazonEnvelope><Header><MerchantIdentifier>S</MerchantIdentifier></Header><Message><Inventory><SKU>A</SKU><Quantity>-1</Quantity></Inventory></Message></AmazonEnvelope>",
            "`-1`",
        ),
        (
            "<AmazonEnvelope><Header><MerchantIdentifier>S</MerchantIdentifier></Header><Message><Price><SKU>A</SKU><StandardPrice>2</StandardPrice></Price></Message></AmazonEnvelope>",
            "currency",
        ),
        ("<AmazonEnvelope><Message>", "no Header"),
    ] {
        let e = read_envelope(bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
    let broken = json!({"header": {"version": "1.0"}, "messages": [{"messageId": 0, "sku": "", "operationType": "X"}]});
    assert!(
        !feeds::check_against_schema(&broken, &schema)
            .unwrap()
            .is_empty(),
        "Amazon's schema refuses a broken feed"
    );
    assert_eq!(
        check_listings_feed(&broken).len(),
        5,
        "{:?}",
        check_listings_feed(&broken)
    );
}

#[test]
fn a_schema_finds_what_breaks_it() {
    let schema = json!({
        "type": "object", "required": ["header"],
        "properties": {"messages": {"type": "array", "maxItems": 1}}
    });
    let feed = json!({"messages": [1, 2]});
    let problems = feeds::check_against_schema(&feed, &schema).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(feeds::check_against_schema(&feed, &json!({"type": 5})).is_err());
}

#[test]
fn reports_name_each_sku() {
    let record = feeds::FeedRecord {
        feed_id: "5001".into(),
        feed_type: "JSON_LISTINGS_FEED".into(),
        submitted: "2026-03-01T10:00:00Z".into(),
        digest: "d".into(),
        messages: vec![(1, "A".into()), (2, "B".into()), (3, "C".into())],
    };
    let report = json!({"issues": [
        {"messageId": 2, "sku": "B", "code": "90220", "severity": "ERROR", "message": "missing"},
        {"messageId": 3, "sku": "C", "code": "1", "severity": "WARNING", "message": "fine"}
    ]});
    let results = reports::per_sku(&record, &report, false);
    let accepted: Vec<bool> = results.iter().map(|r| r.accepted).collect();
    assert_eq!(accepted, [true, false, true]);
    assert_eq!(results[1].message, "90220: missing");
    let fatal = reports::per_sku(
        &record,
        &json!({"issues": [{"severity": "ERROR", "message": "bad feed"}]}),
        true,
    );
    assert!(
        fatal
            .iter()
            .all(|r| !r.accepted && r.message.contains("bad feed"))
    );
}

/// A web that answers from a script of (status, body) and keeps the requests.
struct Scripted {
    answers: Vec<(u16, String)>,
    sent: Vec<Request>,
}

impl Web for Scripted {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        let (status, body) = self.answers.remove(0);
        if let Some(out) = &request.output_file {
            std::fs::write(out, &body).unwrap();
        }
        self.sent.push(request);
        Ok(Response {
            status,
            headers: Vec::new(),
            body_length: body.len() as u64,
            body_start: body.into_bytes(),
            url: String::new(),
        })
    }
}

#[test]
fn a_search_follows_next_tokens_and_answers_name_amazons_errors() {
    let dir = tempfile::tempdir().unwrap();
    let page = |ids: &[&str], next: Option<&str>| {
        let orders: Vec<_> = ids
            .iter()
            .map(|id| json!({"orderId": id, "createdTime": "2026-03-01T10:00:00Z", "lastUpdatedTime": "2026-03-01T10:00:00Z",
                             "salesChannel": {"channelName": "AMAZON"}, "orderItems": []}))
            .collect();
        let mut body = json!({"orders": orders});
        if let Some(next) = next {
            body["pagination"] = json!({"nextToken": next});
        }
        (200, body.to_string())
    };
    let mut web = Scripted {
        answers: vec![
            page(&["1", "2"], Some("a+b/c==")),
            page(&["2", "3"], None),
            (
                429,
                r#"{"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota"}]}"#
                    .into(),
            ),
        ],
        sent: Vec::new(),
    };
    let mut api = Api::with_answer_file(&mut web, dir.path().join("answer.json"));
    let mut out = OrderWriter::new(Vec::new()).unwrap();
    let filter = Filter {
        fulfilment: Fulfilment::All,
        statuses: vec![],
        page_size: 100,
    };
    let uk = marketplace("UK").unwrap();
    let done = orders::search(&mut api, &uk, &filter, (at(9, 0), at(11, 0)), &mut out).unwrap();
    assert_eq!(
        (done.pages, out.written),
        (2, 3),
        "order 2 on both pages is written once"
    );
    let e = orders::search(&mut api, &uk, &filter, (at(9, 0), at(11, 0)), &mut out).unwrap_err();
    assert_eq!(
        e.to_string(),
        "searchOrders answered 429: QuotaExceeded: You exceeded your quota"
    );
    assert!(
        web.sent[1]
            .url
            .ends_with("&paginationToken=a%2Bb%2Fc%3D%3D"),
        "{}",
        web.sent[1].url
    );
    assert!(
        !dir.path().join("answer.json").exists(),
        "the answer file is removed"
    );
    assert_eq!(error_detail("\n<html>oops\n"), "<html>oops");
    let forbidden = ApiError::Status {
        operation: "getOrder".into(),
        status: 403,
        detail: "x".into(),
    };
    assert_eq!(
        forbidden.into_failure().code,
        wharf_guest::ResultCode::NotAuthorised
    );
}

#[test]
fn a_feed_that_never_finishes_is_reported_after_the_age_limit_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let record = feeds::FeedRecord {
        feed_id: "5001".into(),
        feed_type: "JSON_LISTINGS_FEED".into(),
        submitted: "2026-03-01T10:00:00Z".into(),
        digest: "d".into(),
        messages: vec![(1, "A".into()), (2, "B".into())],
    };
    let in_progress = (
        200,
        json!({"feedId": "5001", "feedType": "JSON_LISTINGS_FEED", "createdTime": "2026-03-01T10:00:00Z", "processingStatus": "IN_PROGRESS"}).to_string(),
    );
    let mut web = Scripted {
        answers: vec![in_progress.clone(), in_progress],
        sent: Vec::new(),
    };
    let mut api = Api::with_answer_file(&mut web, dir.path().join("answer.json"));
    let limit = chrono::Duration::hours(24);
    let young = reports::check(&mut api, &record, at(20, 0), limit).unwrap();
    assert_eq!(young, reports::Outcome::Waiting("IN_PROGRESS".into()));
    let old = reports::check(
        &mut api,
        &record,
        at(10, 0) + chrono::Duration::hours(25),
        limit,
    )
    .unwrap();
    let reports::Outcome::Finished(results) = old else {
        panic!("{old:?}")
    };
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|r| !r.accepted && r.message.contains("given up"))
    );
    assert_eq!(web.sent[0].url, "/feeds/2021-06-30/feeds/5001");
}
