//! The web-shop tasks: Zynk's Magento (V1), BigCommerce (legacy API) and Amazon Marketplace
//! (MWS) classes to today's connectors (`magento2-*`, `bigcommerce-*`, `amazon-*`), and the
//! per-task credentials of old files to connections of those connectors. docs/wkf-import.md
//! lists what maps to what and what the user must supply.

use super::{Run, Src, slug};
use crate::expr;
use crate::model::{ZValue, ZynkTask};
use crate::report::Flagged;
use crate::yaml::{AuthYaml, EnvRef, HttpConnectionYaml, NodeYaml};
use std::collections::BTreeMap;

/// The workflow variable the Amazon seller id goes into: the Auto Mapper's Amazon feed mappings
/// need it as their `MerchantID` parameter, which Zynk's feed tasks held as `MerchantId`.
pub const AMAZON_MERCHANT_VARIABLE: &str = "AmazonMerchantId";

/// Written where the shop's address is not in the `.wkf` (`.invalid` never resolves).
const UNKNOWN_MAGENTO: &str = "https://magento.example.invalid/";
const UNKNOWN_BIGCOMMERCE: &str = "https://api.bigcommerce.com/stores/STORE-HASH/";

/// Magento V1's filter types (`FilterType`) as the Magento 2 connector's conditions.
const MAGENTO_FILTERS: [(&str, &str); 6] = [
    ("eq", "Equal"),
    ("gt", "GreaterThan"),
    ("lt", "LessThan"),
    ("like", "Like"),
    ("isnull", "Null"),
    ("notnull", "NotNull"),
];

/// Amazon's Selling Partner API endpoints and feed-document origins, by the Zynk `Country`.
fn amazon_region(country: &str) -> (&'static str, &'static str) {
    match country.to_ascii_uppercase().as_str() {
        "US" | "CA" | "MX" | "BR" => (
            "https://sellingpartnerapi-na.amazon.com/",
            "https://tortuga-prod-na.s3-external-1.amazonaws.com",
        ),
        "JP" | "AU" | "SG" => (
            "https://sellingpartnerapi-fe.amazon.com/",
            "https://tortuga-prod-fe.s3-us-west-2.amazonaws.com",
        ),
        _ => (
            "https://sellingpartnerapi-eu.amazon.com/",
            "https://tortuga-prod-eu.s3-eu-west-1.amazonaws.com",
        ),
    }
}

/// A Zynk Object's items (a list) or its text split at commas, trimmed, empty ones left out.
fn list_items(v: &ZValue) -> Vec<String> {
    let texts: Vec<String> = if v.items.is_empty() {
        v.text.split(',').map(str::to_string).collect()
    } else {
        v.items.iter().map(|i| i.text.clone()).collect()
    };
    texts
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

impl Run<'_> {
    /// Fills `node` and `out` for a shop class; false when `t` is not one.
    pub(super) fn map_shop(
        &mut self,
        t: &ZynkTask,
        src: &mut Src,
        node: &mut NodeYaml,
        out: &mut BTreeMap<String, String>,
    ) -> bool {
        let short = t.class.rsplit('.').next().unwrap_or_default();
        if t.class.starts_with("Zynk.Ecommerce.Magento.") {
            let connection = self.magento_connection(t, src);
            node.grants.push(format!("http:{connection}"));
            match short {
                "DownloadOrders" => {
                    node.task = Some("magento2-download-orders".into());
                    self.zo(src, t, "OutputFile", "output-file", out);
                    // Export All: every order matching the criteria; otherwise only orders
                    // new or changed since the task last ran (Magento 2's `Modified`).
                    let all = src.plain("DownloadAll").is_some_and(|v| v == "true");
                    out.insert(
                        "export-type".into(),
                        if all { "All" } else { "Modified" }.into(),
                    );
                    if let Some(stage) = src.zo("DownloadStage").filter(|v| !v.is_empty()) {
                        out.insert("status".into(), list_items(&stage).join(","));
                    }
                    self.magento_filter(t, src, out);
                    self.zo(src, t, "StartDate", "start-date", out);
                }
                "UpdateOrders" => {
                    node.task = Some("magento2-update-order-status".into());
                    self.zo(src, t, "InputFile", "input-file", out);
                    self.zo(src, t, "NotifyStage", "status", out);
                    self.plain(src, "NotifyCustomer", "notify-customer", out);
                    self.zo(src, t, "DefaultComment", "default-comment", out);
                    self.shop_result_files(t, src, out);
                }
                _ => {
                    node.task = Some("magento2-update-inventory".into());
                    self.zo(src, t, "InputFile", "input-file", out);
                    self.shop_result_files(t, src, out);
                }
            }
            return true;
        }
        if t.class.starts_with("Zynk.Ecommerce.BigCommerce.") {
            let connection = self.bigcommerce_connection(t, src);
            node.grants.push(format!("http:{connection}"));
            match short {
                "DownloadOrders" => {
                    node.task = Some("bigcommerce-download-orders".into());
                    self.zo(src, t, "OutputFile", "output-file", out);
                    let all = src.plain("DownloadAll").is_some_and(|v| v == "true");
                    out.insert(
                        "export-type".into(),
                        if all { "All" } else { "Modified" }.into(),
                    );
                    self.plain(src, "DownloadStatus", "order-status", out);
                }
                "UpdateOrderStatus" => {
                    node.task = Some("bigcommerce-update-order-status".into());
                    self.zo(src, t, "InputFile", "input-file", out);
                    self.plain(src, "NotifyStage", "notify-stage", out);
                    self.shop_result_files(t, src, out);
                }
                _ => {
                    node.task = Some("bigcommerce-update-inventory".into());
                    self.zo(src, t, "InputFile", "input-file", out);
                    self.shop_result_files(t, src, out);
                }
            }
            return true;
        }
        if t.class.starts_with("Zynk.Ecommerce.Amazon.") {
            let connection = self.amazon_connection(t, src);
            node.grants.push(format!("http:{connection}"));
            let marketplace = src
                .zo("MarketPlaceId")
                .and_then(|v| self.static_text(&v))
                .filter(|m| !m.trim().is_empty())
                .or_else(|| src.plain("Country"));
            if let Some(m) = marketplace {
                out.insert("marketplaces".into(), m.trim().to_string());
            }
            match short {
                "DownloadOrders" => {
                    node.task = Some("amazon-download-orders".into());
                    self.zo(src, t, "OutputFile", "output-file", out);
                    self.plain(src, "OrderStatus", "order-statuses", out);
                    self.plain(src, "FulfilmentChannel", "fulfilment-channel", out);
                    self.plain(src, "FulfillmentChannel", "fulfilment-channel", out);
                    self.zo(src, t, "OrderId", "order-id", out);
                    // Zynk's rolling "download from" date is where the first run starts; the
                    // connector keeps its own cursor from there on.
                    self.plain(src, "DownloadFrom", "export-date-floor", out);
                    self.plain(src, "ExportDate", "export-date-floor", out);
                }
                _ => {
                    let inventory = short == "SubmitInventoryFeed";
                    node.task = Some(
                        if inventory {
                            "amazon-submit-inventory-feed"
                        } else {
                            "amazon-submit-price-feed"
                        }
                        .into(),
                    );
                    self.zo(src, t, "InputFile", "input-file", out);
                    // The feed type follows from the task (inventory or prices); the sample
                    // files store `_POST_PRODUCT_DATA_` on both, which was never used.
                    src.ignore(&["FeedType"]);
                    if let Some(v) = src.zo("OutputFile").filter(|v| !v.is_empty()) {
                        self.report.flagged.push(Flagged {
                            task: t.name.clone(),
                            setting: "OutputFile".into(),
                            original: v.text.clone(),
                            why: "Zynk wrote Amazon's submission response here; Wharf records each feed for `amazon-feed-results`, which writes Amazon's processing report as success and fail files: add that task after the feeds (docs/amazon.md)".into(),
                        });
                    }
                }
            }
            return true;
        }
        false
    }

    /// Success File, Fail File and Prevent Reprocessing, which later Zynk versions added to the
    /// shop update tasks.
    fn shop_result_files(
        &mut self,
        t: &ZynkTask,
        src: &mut Src,
        out: &mut BTreeMap<String, String>,
    ) {
        self.zo(src, t, "SuccessFile", "success-file", out);
        self.zo(src, t, "FailFile", "fail-file", out);
        self.plain(src, "PreventReprocessing", "prevent-reprocessing", out);
    }

    /// Magento V1's one filter (`FilterProperty`, `FilterType`, `FilterValue`) as a line of the
    /// Magento 2 connector's `filter-groups`.
    fn magento_filter(&mut self, t: &ZynkTask, src: &mut Src, out: &mut BTreeMap<String, String>) {
        let property = src.zo("FilterProperty").map(|v| v.text.trim().to_string());
        let kind = src.plain("FilterType");
        let value = src.zo("FilterValue");
        let Some(property) = property.filter(|p| !p.is_empty()) else {
            return;
        };
        let kind = kind.unwrap_or_else(|| "eq".into()).to_ascii_lowercase();
        let Some((_, condition)) = MAGENTO_FILTERS.iter().find(|(k, _)| *k == kind) else {
            self.report.flagged.push(Flagged {
                task: t.name.clone(),
                setting: "FilterType".into(),
                original: kind.clone(),
                why: "not one of Magento V1's filter types (eq, gt, lt, like, isnull, notnull): the filter was left out; give it as `filter-groups`".into(),
            });
            return;
        };
        let values = value.as_ref().map(list_items).unwrap_or_default();
        let line = match *condition {
            "Null" | "NotNull" => format!("{property} {condition}"),
            _ if values.is_empty() => return,
            // With `eq`, a comma list (or a Zynk list) means any of them.
            "Equal" if values.len() > 1 => format!("{property} In {}", values.join(",")),
            // V1's `like` matches values containing the text.
            "Like" => format!("{property} Like %{}%", values.join(",")),
            _ => {
                let v = values.join(",");
                // Magento 2 stores dates as `2012-05-10 00:00:00`; V1 files wrote ISO 8601.
                let v = if property.ends_with("_at") && v.len() == 19 && v.as_bytes()[10] == b'T' {
                    v.replacen('T', " ", 1)
                } else {
                    v
                };
                format!("{property} {condition} {v}")
            }
        };
        if value
            .as_ref()
            .is_some_and(|v| v.razor || v.kind == "VariableValue")
        {
            let tr = expr::translate(value.as_ref().expect("checked above"));
            self.flag(
                &t.name,
                "FilterValue",
                &value.as_ref().expect("checked above").text,
                &tr,
            );
        }
        out.insert("filter-groups".into(), line);
    }

    /// The Magento connection: V1's XML-RPC address (when the task held one) becomes a Magento 2
    /// REST connection on the same origin, logging in as an admin user.
    fn magento_connection(&mut self, t: &ZynkTask, src: &mut Src) -> String {
        let url = ["Url", "ApiUrl", "Address"]
            .iter()
            .find_map(|n| src.zo(n).or_else(|| plain_value(src, n)))
            .and_then(|v| self.static_text(&v))
            .and_then(|u| url::Url::parse(u.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        let user = ["Username", "User", "ApiUser"]
            .iter()
            .find_map(|n| src.plain(n));
        let had_secret = ["Password", "ApiKey"]
            .iter()
            .any(|n| src.get(n).is_some_and(super::has_value));
        src.ignore(&["HttpAuthUser", "HttpAuthPassword"]);
        // A task naming no shop (Zynk 2.x keeps it in the Connection Manager; in older files
        // the other tasks of the workflow name it) uses the Magento connection already written.
        if url.is_none() && user.is_none() {
            let known = self
                .connections
                .http
                .iter()
                .find(|(_, c)| matches!(c.auth, Some(AuthYaml::MagentoAdmin { .. })));
            if let Some((name, _)) = known {
                return name.clone();
            }
        }
        let base = url
            .as_ref()
            .map(|u| format!("{}/", u.origin().ascii_serialization()))
            .unwrap_or_else(|| UNKNOWN_MAGENTO.into());
        let username = user.clone().unwrap_or_else(|| super::UNKNOWN_USER.into());
        let name = self.http_connection("magento", |name| HttpConnectionYaml {
            base_url: base.clone(),
            auth: Some(AuthYaml::MagentoAdmin {
                username: username.clone(),
                password: EnvRef {
                    env: super::env_name(name, "password"),
                },
            }),
            extra_origins: Vec::new(),
        });
        let password_env = super::env_name(&name, "password");
        if had_secret {
            self.report.secrets.push(crate::report::SecretNote {
                found: format!("task `{}`: Magento V1 API key", t.name),
                instead: format!("environment variable {password_env} (http connection `{name}`), for the Magento 2 admin user"),
            });
        }
        self.note_once(format!(
            "http `{name}`: Zynk's Magento V1 tasks used the shop's XML-RPC API, which Magento 2 no longer has; Wharf uses Magento 2's REST API as an admin user: {}set `username` to that user and the environment variable {password_env} to its password (docs/magento.md)",
            if url.is_some() {
                String::new()
            } else {
                format!("replace `{UNKNOWN_MAGENTO}` with the shop's address, ")
            }
        ));
        name
    }

    /// The BigCommerce connection: the legacy API's store URL, user and token become a
    /// connection to the store's REST API with its access token.
    fn bigcommerce_connection(&mut self, t: &ZynkTask, src: &mut Src) -> String {
        let had_secret = ["ApiToken", "Token", "ApiKey", "Password"]
            .iter()
            .any(|n| src.get(n).is_some_and(super::has_value));
        let store = ["StoreUrl", "ApiUrl", "Url"]
            .iter()
            .find_map(|n| src.plain(n));
        src.ignore(&["Username"]);
        let name = self.http_connection("bigcommerce", |name| HttpConnectionYaml {
            base_url: UNKNOWN_BIGCOMMERCE.into(),
            auth: Some(AuthYaml::Header {
                name: "X-Auth-Token".into(),
                value: EnvRef {
                    env: super::env_name(name, "token"),
                },
            }),
            extra_origins: Vec::new(),
        });
        let token_env = super::env_name(&name, "token");
        if had_secret {
            self.report.secrets.push(crate::report::SecretNote {
                found: format!("task `{}`: BigCommerce API token", t.name),
                instead: format!("environment variable {token_env} (http connection `{name}`), for a store API account's access token"),
            });
        }
        self.note_once(format!(
            "http `{name}`: BigCommerce's legacy API (user and token{}) is replaced by the store's REST API: replace STORE-HASH in the base-url with the store's hash and set the environment variable {token_env} to an API account's access token (docs/bigcommerce.md)",
            store.map(|s| format!(", store {s}")).unwrap_or_default()
        ));
        name
    }

    /// The Amazon connection: the old per-task Merchant ID, Marketplace ID and Country (MWS)
    /// become a Selling Partner API connection for the country's region, with Login with
    /// Amazon credentials; the seller id becomes the workflow variable the feed mappings use.
    fn amazon_connection(&mut self, t: &ZynkTask, src: &mut Src) -> String {
        let country = src.plain("Country").unwrap_or_else(|| "UK".into());
        let merchant = src
            .zo("MerchantId")
            .and_then(|v| self.static_text(&v))
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty());
        let had_secret = ["AccessKey", "SecretKey", "AuthToken", "MwsAuthToken"]
            .iter()
            .any(|n| src.get(n).is_some_and(super::has_value));
        src.ignore(&["APICallDelay"]);
        let (base, feeds) = amazon_region(&country);
        // `amazon` for Europe (Zynk's samples are UK sellers), `amazon-na` / `amazon-fe` else.
        let base_name = match region_name(base) {
            "eu" => "amazon".to_string(),
            region => format!("amazon-{}", slug(region)),
        };
        let name = self.http_connection(&base_name, |name| HttpConnectionYaml {
            base_url: base.into(),
            auth: Some(AuthYaml::Lwa {
                client_id: EnvRef {
                    env: super::env_name(name, "client_id"),
                },
                client_secret: EnvRef {
                    env: super::env_name(name, "client_secret"),
                },
                refresh_token: EnvRef {
                    env: super::env_name(name, "refresh_token"),
                },
            }),
            extra_origins: vec![feeds.into()],
        });
        if had_secret {
            self.report.secrets.push(crate::report::SecretNote {
                found: format!("task `{}`: Amazon MWS keys", t.name),
                instead: format!("nothing: MWS is gone; the http connection `{name}` takes Login with Amazon credentials"),
            });
        }
        // The first Merchant ID the file names is the seller's (one seller per workflow).
        if let Some(m) = merchant
            && self.amazon_merchant.as_deref().is_none_or(str::is_empty)
        {
            self.amazon_merchant = Some(m);
        }
        self.note_once(format!(
            "http `{name}`: Amazon's MWS (Merchant ID, Marketplace ID per task) is replaced by the Selling Partner API: register the app and set the environment variables {}, {} and {} to its Login with Amazon client id, client secret and the seller's refresh token (docs/amazon.md)",
            super::env_name(&name, "client_id"),
            super::env_name(&name, "client_secret"),
            super::env_name(&name, "refresh_token"),
        ));
        name
    }
}

/// `eu` from `https://sellingpartnerapi-eu.amazon.com/`.
fn region_name(base: &str) -> &str {
    base.split("sellingpartnerapi-")
        .nth(1)
        .and_then(|r| r.split('.').next())
        .unwrap_or("eu")
}

/// A plain setting as a static Zynk Object, for settings older files stored as plain text.
fn plain_value(src: &mut Src, name: &str) -> Option<ZValue> {
    src.plain(name).map(|text| ZValue {
        kind: "StaticValue".into(),
        razor: false,
        read_contents: false,
        text,
        items: vec![],
    })
}
