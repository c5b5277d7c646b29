//! Shared code of the BigCommerce task components (`bigcommerce-download-orders`,
//! `bigcommerce-update-order-status`, `bigcommerce-update-inventory`): a small REST client over
//! the host's `http` capability, and the logic of each task.
//!
//! The workflow grants a named HTTP connection whose base URL is the store's API root
//! (`https://api.bigcommerce.com/stores/<store hash>/`) and whose auth is the named header
//! `X-Auth-Token`; the tasks ask for `v2/…` (orders) and `v3/…` (catalog, inventory) under it
//! and never see the token. Everything runs against [`Web`] and [`Truth`], so native unit tests
//! use stand-ins. How the tasks page, match and retry is in the repository's
//! `docs/bigcommerce.md`.

pub mod inventory;
pub mod lean;
pub mod orders;
pub mod outcome;
pub mod status;
pub mod truth;
pub mod xml;

#[cfg(test)]
mod fake;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf_guest::{ResultCode, TaskResult};

pub use lean::Lean;
pub use truth::{HostTruth, Truth};

pub use wharf_guest::http::{
    FailureKind, Header, HostWeb, HttpFailure, Pending, Request, RequestBody, Response, Web,
};

/// The capability every BigCommerce component declares.
pub const CAPABILITY: &str = "http";

/// Exports a shop task component (BigCommerce's, and the other shops' built on this client):
/// `$shop::$module` (e.g. `bigcommerce::orders`, `magento2::status`) holds the task's `TASK`
/// name, `DOC`, settings struct `$settings` and
/// `run(&$settings, &mut impl Web, &mut impl Truth) -> TaskResult`; the component declares the
/// `http` capability and runs it on the host's web and truth records.
#[macro_export]
macro_rules! export_shop_task {
    ($component:ident, $shop:ident :: $module:ident, $settings:ident) => {
        impl wharf_guest::TypedTask for $component {
            const NAME: &'static str = $shop::$module::TASK;
            const DOC: &'static str = $shop::$module::DOC;
            const CAPABILITIES: &'static [&'static str] = &[$crate::CAPABILITY];
            type Settings = $shop::$module::$settings;

            fn run(
                settings: $shop::$module::$settings,
            ) -> Result<wharf_guest::TaskResult, wharf_guest::TaskError> {
                Ok($shop::$module::run(
                    &settings,
                    &mut $crate::HostWeb,
                    &mut $crate::HostTruth,
                ))
            }
        }

        wharf_guest::export_task!($component);
    };
}

/// A call to the shop that did not give what the task needs: the result code the task ends
/// with and a message naming the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ResultCode,
    pub message: String,
}

impl ApiError {
    fn fail(message: impl Into<String>) -> Self {
        ApiError {
            code: ResultCode::Fail,
            message: message.into(),
        }
    }
}

impl From<ApiError> for TaskResult {
    fn from(error: ApiError) -> Self {
        TaskResult::new(error.code, error.message)
    }
}

/// An answer the task looks at: its status and its JSON body (`None` when there was none, as
/// BigCommerce answers an empty page with 204).
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Option<Value>,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// What the shop said went wrong: its JSON `title` (v3 errors, v2 error lists) or the status.
    pub fn problem(&self) -> String {
        let title = |v: &Value| {
            v.get("title")
                .or_else(|| v.get("message"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let said = match &self.body {
            Some(Value::Array(items)) => items.first().and_then(title),
            Some(v) => title(v),
            None => None,
        };
        match said {
            Some(text) => format!("answered {}: {}", self.status, short(&text)),
            None => format!("answered {}", self.status),
        }
    }
}

/// At most 200 characters of a message quoted from the shop.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The REST client: JSON in and out, answers through a scratch file of the working directory
/// (a page of orders is larger than the 64 KiB the host returns inline).
pub struct Client<'a, W: Web> {
    web: &'a mut W,
    scratch: PathBuf,
    /// Requests sent (each may have been retried by the host).
    pub requests: u64,
    /// Paths (URLs without their query) whose answer did not fit inline: later reads of them
    /// go straight to the scratch file, so each further page of orders is asked for once.
    large: HashSet<String>,
    /// Reads started so far ([`Client::start_get`]), numbering their scratch files.
    started: u64,
}

/// A read [`Client::start_get`] began; [`Client::finish_lean`] gives its answer.
pub struct StartedGet {
    url: String,
    /// Its own scratch file, beside the client's; none: the answer comes inline.
    file: Option<PathBuf>,
    pending: Pending,
}

impl StartedGet {
    /// The URL asked for.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl<'a, W: Web> Client<'a, W> {
    /// A client whose answers pass through a hidden file in `folder` named after `task`.
    pub fn new(web: &'a mut W, folder: &Path, task: &str) -> Self {
        Client {
            web,
            scratch: wharf_guest::fs::partial_path(&folder.join(format!("{task}-answer.json"))),
            requests: 0,
            large: HashSet::new(),
            started: 0,
        }
    }

    /// Sends a request and reads the answer. Only a request that got no answer is an error
    /// here; statuses are the caller's to judge ([`Client::get`] does it for reads).
    pub fn call(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, ApiError> {
        let (status, bytes) = self.call_raw(method, url, body)?;
        answer(method, url, status, &bytes)
    }

    /// As [`Client::call`], the answer's status and bytes unparsed.
    fn call_raw(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Vec<u8>), ApiError> {
        // A read is first asked for inline: most answers (an order's products, addresses,
        // coupons) fit in what the host returns with the response, which spares a file per
        // request. A larger answer is asked for again into the scratch file, and later reads
        // of the same path (the next pages) go to the file at once. Other methods change the
        // store, so they are sent once, their answer always through the file.
        let path = path_of(url);
        let inline = method.eq_ignore_ascii_case("GET") && !self.large.contains(path);
        let response = self.send(method, url, body, !inline)?;
        let response = if inline && cut_short(&response) {
            self.large.insert(path.to_owned());
            self.send(method, url, body, true)?
        } else {
            response
        };
        let to_file = response.body_length > 0 && (!inline || cut_short(&response));
        let bytes = if to_file {
            let bytes = std::fs::read(&self.scratch).map_err(|e| {
                ApiError::fail(format!("{method} {url}: cannot read the answer: {e}"))
            })?;
            let _ = std::fs::remove_file(&self.scratch);
            bytes
        } else {
            let _ = std::fs::remove_file(&self.scratch);
            response.body_start
        };
        Ok((response.status, bytes))
    }

    /// One request; the answer's body goes to the scratch file when `to_file`, else only its
    /// start comes back inline.
    fn send(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        to_file: bool,
    ) -> Result<Response, ApiError> {
        let output = to_file.then(|| self.scratch.clone());
        let request = self.request(method, url, body, output.as_deref());
        self.web.send(request).map_err(failed)
    }

    /// The request for `method url` (JSON `body`, the answer into `output` when given), counted.
    fn request(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        output: Option<&Path>,
    ) -> Request {
        self.requests += 1;
        Request {
            method: method.to_owned(),
            url: url.to_owned(),
            headers: read_headers(),
            body: match body {
                Some(value) => RequestBody::Text(value.to_string()),
                None => RequestBody::None,
            },
            output_file: output.map(|f| f.to_string_lossy().into_owned()),
            timeout_seconds: None,
            retries: None,
        }
    }

    /// Starts `GET url` without waiting for the answer, which goes to a scratch file of its
    /// own (so several can be under way): the task writes what it has while the host fetches.
    /// Every started read must be finished ([`Client::finish_lean`]), which removes its file.
    pub fn start_get(&mut self, url: &str) -> StartedGet {
        self.started += 1;
        // `.TASK-answer.json.wharf-partial` → `.TASK-answer-N.json.wharf-partial`: a Wharf
        // temporary too, which the host does not sync and folder listings skip.
        let name = self
            .scratch
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let numbered = name.replacen(
            "-answer.json.",
            &format!("-answer-{}.json.", self.started),
            1,
        );
        let file = self.scratch.with_file_name(numbered);
        self.start_read(url, Some(file))
    }

    /// Starts `GET url` as [`Client::get`] sends it: the answer inline (most answers, an
    /// order's products, addresses, coupons, fit in what the host returns with the response),
    /// or in the scratch file once the path's answers were found too large. Finished by
    /// [`Client::finish_get`].
    pub fn start_small_get(&mut self, url: &str) -> StartedGet {
        let path = path_of(url);
        if self.large.contains(path) {
            return self.start_get(url);
        }
        self.start_read(url, None)
    }

    fn start_read(&mut self, url: &str, file: Option<PathBuf>) -> StartedGet {
        let request = self.request("GET", url, None, file.as_deref());
        StartedGet {
            url: url.to_owned(),
            file,
            pending: self.web.start(request),
        }
    }

    /// The status and body of a started read; an inline answer cut short is asked for again
    /// into the scratch file, as [`Client::call`] does.
    fn finish_read(&mut self, started: StartedGet) -> Result<(u16, Vec<u8>), ApiError> {
        let StartedGet { url, file, pending } = started;
        let answered = self.web.finish(pending);
        let Some(file) = file else {
            let response = answered.map_err(failed)?;
            if cut_short(&response) {
                self.large.insert(path_of(&url).to_owned());
                return self.call_raw("GET", &url, None);
            }
            return Ok((response.status, response.body_start));
        };
        let bytes = std::fs::read(&file);
        let _ = std::fs::remove_file(&file);
        let response = answered.map_err(failed)?;
        match bytes {
            Ok(bytes) => Ok((response.status, bytes)),
            Err(_) if response.body_length == 0 => Ok((response.status, Vec::new())),
            Err(e) => Err(ApiError::fail(format!(
                "GET {url}: cannot read the answer: {e}"
            ))),
        }
    }

    /// The answer to a read [`Client::start_get`] began, as [`Client::get_lean`] reads it.
    pub fn finish_lean(&mut self, started: StartedGet) -> Result<LeanAnswer, ApiError> {
        let url = started.url.clone();
        let (status, bytes) = self.finish_read(started)?;
        Ok(LeanAnswer { url, status, bytes })
    }

    /// The answer to a read [`Client::start_small_get`] (or `start_get`) began, as
    /// [`Client::get`] reads it.
    pub fn finish_get(&mut self, started: StartedGet) -> Result<Option<Value>, ApiError> {
        let url = started.url.clone();
        let (status, bytes) = self.finish_read(started)?;
        read(&url, answer("GET", &url, status, &bytes)?)
    }

    /// A read: the JSON body, `None` for an empty answer (204). 401/403 end the task
    /// not-authorised, 404 not-found, any other status but 2xx fails it.
    pub fn get(&mut self, url: &str) -> Result<Option<Value>, ApiError> {
        read(url, self.call("GET", url, None)?)
    }

    /// As [`Client::get`], read with [`LeanAnswer::lean`]: keeping only the keys a task names,
    /// so a large page is read without building the fields no task writes.
    pub fn get_lean(&mut self, url: &str) -> Result<LeanAnswer, ApiError> {
        let (status, bytes) = self.call_raw("GET", url, None)?;
        Ok(LeanAnswer {
            url: url.to_owned(),
            status,
            bytes,
        })
    }

    /// Every item of a paged v2 list (`page`, `limit`), page by page into `each`, until a page
    /// is empty (204) or short.
    pub fn each_v2(
        &mut self,
        url: &str,
        limit: u32,
        each: impl FnMut(Value) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        self.each_v2_from(None, url, limit, each)
    }

    /// As [`Client::each_v2`], its first page ([`page_url`] page 1) already started
    /// when `first` is given.
    pub fn each_v2_from(
        &mut self,
        first: Option<StartedGet>,
        url: &str,
        limit: u32,
        each: impl FnMut(Value) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        self.each_page(first, url, limit, each, |body| match body {
            Value::Array(items) => Some((items, None)),
            _ => None,
        })
    }

    /// Every item of a paged v3 collection (`{"data": [...], "meta": {"pagination": …}}`).
    pub fn each_v3(
        &mut self,
        url: &str,
        limit: u32,
        each: impl FnMut(Value) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        self.each_page(None, url, limit, each, |mut body| {
            let total_pages = body
                .pointer("/meta/pagination/total_pages")
                .and_then(Value::as_u64);
            match body.get_mut("data").map(Value::take) {
                Some(Value::Array(items)) => Some((items, total_pages)),
                _ => None,
            }
        })
    }

    /// Pages of `url` until one is empty, short, or the last `total_pages` says; `items` takes
    /// a page's items (and total pages, when the API says) out of its body.
    fn each_page(
        &mut self,
        mut first: Option<StartedGet>,
        url: &str,
        limit: u32,
        mut each: impl FnMut(Value) -> Result<(), ApiError>,
        items: impl Fn(Value) -> Option<(Vec<Value>, Option<u64>)>,
    ) -> Result<(), ApiError> {
        for page in 1u64.. {
            let page_url = page_url(url, limit, page);
            let body = match first.take() {
                Some(started) => self.finish_get(started)?,
                None => self.get(&page_url)?,
            };
            let Some(body) = body else {
                return Ok(());
            };
            let (list, total_pages) = items(body).ok_or_else(|| {
                ApiError::fail(format!(
                    "GET {page_url}: the answer is not the list expected"
                ))
            })?;
            let count = list.len();
            for item in list {
                each(item)?;
            }
            let last = match total_pages {
                Some(total) => page >= total,
                None => count < limit as usize,
            };
            if last || count == 0 {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The URL of page `page` of the v2 list `url` with `limit` items a page.
pub fn page_url(url: &str, limit: u32, page: u64) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}limit={limit}&page={page}")
}

/// The headers of every request: JSON wanted, and said to be sent (BigCommerce's
/// specification asks for `Content-Type` on some reads too, order products).
/// A URL without its query: what [`Client`] remembers large answers by.
fn path_of(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

fn read_headers() -> Vec<Header> {
    ["Accept", "Content-Type"]
        .into_iter()
        .map(|name| Header {
            name: name.into(),
            value: "application/json".into(),
        })
        .collect()
}

/// A request that got no answer, as the task's error (`not-permitted` ends it not-authorised).
fn failed(failure: HttpFailure) -> ApiError {
    ApiError {
        code: match failure.kind {
            FailureKind::NotPermitted => ResultCode::NotAuthorised,
            _ => ResultCode::Fail,
        },
        message: failure.message,
    }
}

/// The answer to a `GET` ([`Client::get_lean`], [`Client::finish_lean`]), kept as its bytes so
/// that the [`Lean`] read from it borrows its text instead of copying every kept string.
pub struct LeanAnswer {
    url: String,
    status: u16,
    bytes: Vec<u8>,
}

impl LeanAnswer {
    /// The JSON body keeping only the keys `keep` names, `None` for an empty answer; an answer
    /// that is not a plain JSON success is judged exactly as by [`Client::get`].
    pub fn lean(&self, keep: lean::Keep) -> Result<Option<Lean<'_>>, ApiError> {
        let (url, bytes) = (self.url.as_str(), self.bytes.as_slice());
        if (200..300).contains(&self.status)
            && let Ok(text) = std::str::from_utf8(bytes)
            && !text.trim().is_empty()
            && let Ok(lean) = Lean::parse(text, keep)
        {
            return Ok(Some(lean));
        }
        Ok(read(url, answer("GET", url, self.status, bytes)?)?.map(Lean::from))
    }
}

/// The answer to `method url`: its status and JSON body (`None` when blank, or not JSON on an
/// error status).
fn answer(method: &str, url: &str, status: u16, bytes: &[u8]) -> Result<Answer, ApiError> {
    let text = String::from_utf8_lossy(bytes);
    let body = if text.trim().is_empty() {
        None
    } else {
        match serde_json::from_slice(bytes) {
            Ok(value) => Some(value),
            // An error page that is not JSON: judged by its status alone.
            Err(_) if status >= 300 => None,
            Err(e) => {
                return Err(ApiError::fail(format!(
                    "{method} {url} answered {status} with something that is not JSON ({e}): {}",
                    short(&text)
                )));
            }
        }
    };
    Ok(Answer { status, body })
}

/// The body of the answer to `GET url`, when it is a success.
fn read(url: &str, answer: Answer) -> Result<Option<Value>, ApiError> {
    if answer.is_success() {
        return Ok(answer.body);
    }
    Err(status_error("GET", url, &answer))
}

/// The most of a body the host returns inline (without an output file).
const INLINE_BYTES: usize = 64 * 1024;

/// Whether an inline answer may hold only the start of the body: the host reads at most
/// [`INLINE_BYTES`] of it then, and counts only what it read.
fn cut_short(response: &Response) -> bool {
    response.body_start.len() >= INLINE_BYTES
        || response.body_length > response.body_start.len() as u64
}

/// The error for an answer a task cannot go on with.
pub fn status_error(method: &str, url: &str, answer: &Answer) -> ApiError {
    let code = match answer.status {
        401 | 403 => ResultCode::NotAuthorised,
        404 => ResultCode::NotFound,
        _ => ResultCode::Fail,
    };
    let mut message = format!("{method} {url} {}", answer.problem());
    if answer.status == 429 {
        message.push_str(" (the shop's rate limit, after the connection's retries)");
    }
    ApiError { code, message }
}

/// A BigCommerce order status: its id and the names it goes by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderStatus {
    pub id: i64,
    pub names: Vec<String>,
}

/// The store's order statuses (`GET v2/order_statuses`).
pub fn order_statuses<W: Web>(client: &mut Client<'_, W>) -> Result<Vec<OrderStatus>, ApiError> {
    let url = "v2/order_statuses";
    let Some(Value::Array(items)) = client.get(url)? else {
        return Err(ApiError::fail(format!("GET {url}: expected a list")));
    };
    Ok(items
        .iter()
        .filter_map(|item| {
            let id = item.get("id")?.as_i64()?;
            let names = ["name", "custom_label", "system_label"]
                .iter()
                .filter_map(|k| item.get(*k).and_then(Value::as_str))
                .filter(|n| !n.trim().is_empty())
                .map(str::to_owned)
                .collect();
            Some(OrderStatus { id, names })
        })
        .collect())
}

/// The id of the status called `name` (any of its names, letter case ignored); the error
/// names `setting` and lists the store's statuses.
pub fn status_id(statuses: &[OrderStatus], setting: &str, name: &str) -> Result<i64, ApiError> {
    let wanted = name.trim();
    statuses
        .iter()
        .find(|s| s.names.iter().any(|n| n.eq_ignore_ascii_case(wanted)))
        .map(|s| s.id)
        .ok_or_else(|| {
            let known = statuses
                .iter()
                .filter_map(|s| s.names.first())
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ");
            ApiError::fail(format!(
                "setting `{setting}`: the store has no order status `{wanted}` (it has {known})"
            ))
        })
}
