use super::*;

fn request(
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    token: Option<&str>,
    body: &[u8],
) -> Request {
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if let Some(token) = token {
        headers.push(("x-amz-access-token".into(), token.into()));
    }
    Request {
        method: method.into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        headers,
        body: body.to_vec(),
    }
}

fn body(response: &Response) -> Value {
    serde_json::from_slice(&response.body).unwrap()
}

fn login(amazon: &Amazon) -> String {
    let form = format!(
        "grant_type=refresh_token&refresh_token={}&client_id={}&client_secret={}",
        url::form_urlencoded::byte_serialize(amazon.config.refresh_token.as_bytes())
            .collect::<String>(),
        amazon.config.client_id,
        amazon.config.client_secret
    );
    let answer = amazon.handle(request("POST", TOKEN_PATH, &[], None, form.as_bytes()));
    assert_eq!(answer.status, 200);
    body(&answer)["access_token"].as_str().unwrap().to_owned()
}

fn unlimited() -> Config {
    Config {
        rates: BTreeMap::new(),
        ..Config::default()
    }
}

#[test]
fn orders_page_with_tokens_holding_plus_slash_and_equals() {
    let amazon = Amazon::new(unlimited());
    let token = login(&amazon);
    let mut query = vec![
        ("createdAfter", "2000-01-01T00:00:00Z".to_owned()),
        ("maxResultsPerPage", "40".to_owned()),
        ("marketplaceIds", "A1F83G8C2ARO7P".to_owned()),
    ];
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = amazon.handle(request("GET", ORDERS, &q, Some(&token), b""));
        assert_eq!(
            answer.status,
            200,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let page = body(&answer);
        seen += page["orders"].as_array().unwrap().len();
        pages += 1;
        let Some(next) = page
            .pointer("/pagination/nextToken")
            .and_then(Value::as_str)
        else {
            break;
        };
        assert!(
            next.contains('+') && next.contains('/') && next.contains('='),
            "{next}"
        );
        query.retain(|(k, _)| *k != "paginationToken");
        query.push(("paginationToken", next.to_owned()));
    }
    assert_eq!(seen, 100, "a third of 300 orders is the UK's");
    assert_eq!(pages, 3);
    // A token decoded as a form would (`+` → space) matches no page.
    let mangled = query.last().unwrap().1.replace('+', " ");
    query.pop();
    query.push(("paginationToken", mangled));
    let q: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        amazon
            .handle(request("GET", ORDERS, &q, Some(&token), b""))
            .status,
        400
    );
    assert_eq!(amazon.stats().bad_pagination_tokens, 1);
}

#[test]
fn windows_too_recent_tokens_expired_and_quotas_are_refused() {
    let amazon = Amazon::new(Config::default());
    let token = login(&amazon);
    let now = iso(Utc::now());
    let answer = amazon.handle(request(
        "GET",
        ORDERS,
        &[
            ("createdAfter", "2000-01-01T00:00:00Z"),
            ("createdBefore", &now),
        ],
        Some(&token),
        b"",
    ));
    assert_eq!(answer.status, 400);
    assert_eq!(amazon.stats().bad_windows, 1);
    amazon.expire_tokens();
    let answer = amazon.handle(request("GET", FEEDS, &[], Some(&token), b""));
    assert_eq!(answer.status, 403);
    let token = login(&amazon);
    amazon.rate_limit_storm(2);
    for _ in 0..2 {
        let answer = amazon.handle(request("GET", FEEDS, &[], Some(&token), b""));
        assert_eq!(answer.status, 429);
        assert!(
            answer
                .headers
                .iter()
                .any(|(n, _)| n == "x-amzn-RateLimit-Limit")
        );
        assert!(
            !answer
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("retry-after"))
        );
    }
    // getFeeds' documented burst is 10: the eleventh call at once is throttled.
    let statuses: Vec<u16> = (0..11)
        .map(|_| {
            amazon
                .handle(request("GET", FEEDS, &[], Some(&token), b""))
                .status
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        1,
        "{statuses:?}"
    );
}

#[test]
fn a_listings_feed_is_uploaded_processed_over_polls_and_reported_per_sku() {
    let amazon = Amazon::new(Config {
        refused_skus: vec!["AMZ-0002".into()],
        ..unlimited()
    });
    amazon.set_public_url("http://127.0.0.1:1");
    let token = login(&amazon);
    let created = amazon.handle(request(
        "POST",
        DOCUMENTS,
        &[],
        Some(&token),
        br#"{"contentType":"application/json; charset=UTF-8"}"#,
    ));
    assert_eq!(created.status, 201);
    let created = body(&created);
    let id = created["feedDocumentId"].as_str().unwrap();
    let url = url::Url::parse(created["url"].as_str().unwrap()).unwrap();
    let query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let q: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let feed = json!({
        "header": {"sellerId": "A1SELLER", "version": "2.0"},
        "messages": [
            {"messageId": 1, "sku": "AMZ-0001", "operationType": "PATCH", "productType": "PRODUCT",
             "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
                          "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 7}]}]},
            {"messageId": 2, "sku": "AMZ-0002", "operationType": "PATCH", "productType": "PRODUCT",
             "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
                          "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}]}]},
        ]
    });
    let mut upload = request("PUT", url.path(), &q, None, feed.to_string().as_bytes());
    upload.headers = vec![("content-type".into(), "text/plain".into())];
    assert_eq!(
        amazon.handle(upload.clone()).status,
        403,
        "the wrong Content-Type"
    );
    upload.headers = vec![(
        "content-type".into(),
        "application/json; charset=UTF-8".into(),
    )];
    assert_eq!(amazon.handle(upload).status, 200);
    let spec = json!({"feedType": "JSON_LISTINGS_FEED", "marketplaceIds": ["A1F83G8C2ARO7P"], "inputFeedDocumentId": id});
    let created = amazon.handle(request(
        "POST",
        FEEDS,
        &[],
        Some(&token),
        spec.to_string().as_bytes(),
    ));
    assert_eq!(created.status, 202);
    let feed_id = body(&created)["feedId"].as_str().unwrap().to_owned();
    let path = format!("{FEEDS}/{feed_id}");
    let statuses: Vec<String> = (0..3)
        .map(|_| {
            body(&amazon.handle(request("GET", &path, &[], Some(&token), b"")))["processingStatus"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["IN_QUEUE", "IN_PROGRESS", "DONE"]);
    let listings = amazon.listings();
    assert_eq!(listings["AMZ-0001"].quantity, Some(7));
    assert_eq!(listings["AMZ-0002"].quantity, None, "refused");
    assert_eq!(
        amazon.feeds()[0].outcome,
        [(1, "AMZ-0001".into(), true), (2, "AMZ-0002".into(), false)]
    );
    assert_eq!(amazon.stats().leaked_tokens, 0);
}
