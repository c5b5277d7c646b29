//! HTTP Task (catalogue §2.16): sends one request through the HTTP connection the workflow
//! grants (`grants: ["http:shop"]`) and writes the answer to a file of the working directory.
//!
//! The body is, in this order of precedence, `input` (a file of the working directory, or text
//! when no such file exists), `contents-field` (text) or `form-values`. Text goes out in
//! `encoding-type`; the answer is written as it came for UTF-8, and otherwise decoded (a
//! charset in the response's `content-type` wins over `encoding-type`) and written as UTF-8.
//! 401/403 end the task `not-authorised`, 404 `not-found`, any other status of 400 or more
//! (and a redirect, which is never followed) `fail`, with the body still written; the message
//! gives the status and the first line of the body.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use wharf_guest::{ResultCode, SettingError, SettingSpec, Settings, TaskInfo, TaskResult};

/// Bindings of the `http-imports` world: the host's `http` interface.
pub mod bindings {
    wit_bindgen::generate!({
        world: "http-imports",
        path: "../../wit",
        generate_all,
    });
}

pub use bindings::wharf::task::http::{
    FailureKind, Header, HttpFailure, Request, RequestBody, Response,
};

/// The capability the component declares.
pub const CAPABILITY: &str = "http";

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
const ENCODINGS: &[&str] = &["UTF8", "ASCII", "Unicode"];
/// Longest first line of a body quoted in the result message.
const QUOTED_LINE_CHARS: usize = 200;

/// The host's `http` interface, or a stand-in in native tests.
pub trait Web {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure>;
}

/// The host's `http` interface (callable only inside the host).
pub struct HostWeb;

impl Web for HostWeb {
    fn send(&mut self, request: Request) -> Result<Response, HttpFailure> {
        bindings::wharf::task::http::send(&request)
    }
}

/// The component; exported to the host on WebAssembly.
pub struct HttpTask;

pub fn info() -> TaskInfo {
    TaskInfo::new(
        "http-task",
        "Sends an HTTP request through the granted connection and writes the answer to a file.",
    )
    .capability(CAPABILITY)
    .setting(
        SettingSpec::text(
            "url",
            "Relative to the connection's base URL (`download.php?x=1`), or absolute within its origin. Redirects are not followed.",
        )
        .required()
        .non_empty(),
    )
    .setting(SettingSpec::choice("method", "The request method.", METHODS).with_default("GET"))
    .setting(SettingSpec::text(
        "input",
        "The request body: a file of the working directory (its bytes are sent), or text when no such file exists.",
    ))
    .setting(SettingSpec::text(
        "contents-field",
        "The request body as text (when `input` is empty).",
    ))
    .setting(SettingSpec::text(
        "form-values",
        "Form values, one `name=value` per line, sent form-encoded (when `input` and `contents-field` are empty).",
    ))
    .setting(SettingSpec::text(
        "header-values",
        "Extra request headers, one `Name: value` per line (e.g. `Content-Type: text/xml`, `SOAPAction: …`).",
    ))
    .setting(SettingSpec::file(
        "output-file",
        "Where the response body is written (replaced); also on an error status.",
    ))
    .setting(
        SettingSpec::integer("timeout", "Milliseconds the whole request may take, per attempt.")
            .with_default("120000")
            .at_least(1)
            .at_most(7 * 24 * 3600 * 1000),
    )
    .setting(SettingSpec::text("user-agent", "The `User-Agent` header.").with_default("Wharf"))
    .setting(
        SettingSpec::choice(
            "encoding-type",
            "How text is sent and the answer read (a charset in the response overrides it).",
            ENCODINGS,
        )
        .with_default("UTF8"),
    )
    .setting(
        SettingSpec::integer(
            "retries",
            "Retries of network errors, timeouts, 429 and 503 (never of other statuses).",
        )
        .with_default("1")
        .at_least(0)
        .at_most(10),
    )
}

/// The request the settings describe, and where its answer goes.
struct Plan {
    request: Request,
    output: Option<PathBuf>,
    encoding: &'static str,
    /// A file written to send encoded text; removed after the request.
    scratch: Option<PathBuf>,
}

fn plan(settings: &Settings) -> Result<Plan, SettingError> {
    let method = settings.choice("method", METHODS)?;
    let encoding = settings.choice("encoding-type", ENCODINGS)?;
    let mut headers = lines(settings, "header-values", ':')?
        .into_iter()
        .map(|(name, value)| Header { name, value })
        .collect::<Vec<_>>();
    let has_header =
        |headers: &[Header], name: &str| headers.iter().any(|h| h.name.eq_ignore_ascii_case(name));
    let user_agent = settings.optional_text("user-agent").unwrap_or("Wharf");
    if !has_header(&headers, "user-agent") {
        headers.push(Header {
            name: "User-Agent".into(),
            value: user_agent.to_owned(),
        });
    }
    let output = match settings.optional_text("output-file") {
        Some(_) => Some(settings.path("output-file")?),
        None => None,
    };
    let mut scratch = None;
    let input = settings.optional_text("input");
    let body = match (input, settings.optional_text("contents-field")) {
        (Some(input), _) if input_file(input).is_some() => {
            let file = input_file(input).unwrap_or_default();
            if !has_header(&headers, "content-type") {
                let start = file_start(&file).map_err(|e| {
                    SettingError::new("input", format!("cannot read `{input}`: {e}"))
                })?;
                headers.push(content_type(&start, encoding));
            }
            RequestBody::File(file.to_string_lossy().into_owned())
        }
        (Some(value), _) | (None, Some(value)) => {
            let setting = if input.is_some() {
                "input"
            } else {
                "contents-field"
            };
            if !has_header(&headers, "content-type") {
                headers.push(content_type(value.as_bytes(), encoding));
            }
            if encoding == "UTF8" {
                RequestBody::Text(value.to_owned())
            } else {
                // The host sends text as UTF-8: other encodings go out as a file.
                let path = scratch_path(output.as_deref());
                std::fs::write(&path, encode(value, encoding)).map_err(|e| {
                    SettingError::new(setting, format!("cannot write the encoded body: {e}"))
                })?;
                scratch = Some(path.clone());
                RequestBody::File(path.to_string_lossy().into_owned())
            }
        }
        (None, None) => match lines(settings, "form-values", '=')? {
            values if values.is_empty() => RequestBody::None,
            values => RequestBody::Form(values),
        },
    };
    let timeout_ms = settings.integer("timeout")?;
    let retries = settings.integer("retries")?;
    Ok(Plan {
        request: Request {
            method: method.to_owned(),
            url: settings.text("url")?.to_owned(),
            headers,
            body,
            output_file: output.as_ref().map(|p| p.to_string_lossy().into_owned()),
            timeout_seconds: Some(u32::try_from((timeout_ms + 999) / 1000).unwrap_or(u32::MAX)),
            retries: Some(u32::try_from(retries).unwrap_or(0)),
        },
        output,
        encoding,
        scratch,
    })
}

/// The file `input` names in the working directory (`/` in the sandbox), if one exists there.
fn input_file(input: &str) -> Option<PathBuf> {
    let path = Path::new("/").join(input.trim());
    (input.len() < 4096 && !input.contains('\n') && path.is_file()).then_some(path)
}

/// `name<separator>value` lines of a setting (blank lines skipped).
fn lines(
    settings: &Settings,
    name: &str,
    separator: char,
) -> Result<Vec<(String, String)>, SettingError> {
    let Some(text) = settings.optional_text(name) else {
        return Ok(Vec::new());
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| match line.split_once(separator) {
            Some((key, value)) if !key.trim().is_empty() => {
                Ok((key.trim().to_owned(), value.trim().to_owned()))
            }
            _ => Err(SettingError::new(
                name,
                format!("line {} is not `name{separator}value`", number + 1),
            )),
        })
        .collect()
}

fn content_type(start: &[u8], encoding: &str) -> Header {
    let xml = start
        .iter()
        .find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF)
        == Some(&b'<');
    let charset = match encoding {
        "ASCII" => "us-ascii",
        "Unicode" => "utf-16le",
        _ => "utf-8",
    };
    Header {
        name: "Content-Type".into(),
        value: format!(
            "{}; charset={charset}",
            if xml { "text/xml" } else { "text/plain" }
        ),
    }
}

fn file_start(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut start = Vec::with_capacity(64);
    std::fs::File::open(path)?
        .take(64)
        .read_to_end(&mut start)?;
    Ok(start)
}

/// Text in `encoding`: ASCII replaces other characters with `?` (as Zynk's .NET encoder),
/// Unicode is UTF-16 little-endian.
fn encode(text: &str, encoding: &str) -> Vec<u8> {
    match encoding {
        "ASCII" => text
            .chars()
            .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
            .collect(),
        "Unicode" => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        _ => text.as_bytes().to_vec(),
    }
}

fn scratch_path(output: Option<&Path>) -> PathBuf {
    let folder = output
        .and_then(Path::parent)
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    wharf_guest::fs::partial_path(&folder.join("http-task-request-body"))
}

/// The encoding the answer is read in: the response's charset, else the task's.
fn response_encoding(
    response: &Response,
    task_encoding: &str,
) -> Option<&'static encoding_rs::Encoding> {
    let declared = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-type"))
        .and_then(|h| {
            h.value
                .split(';')
                .filter_map(|p| p.trim().split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        });
    match declared {
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes()),
        None => match task_encoding {
            // .NET's ASCII decoder: bytes over 127 are not ASCII; windows-1252 keeps them
            // readable rather than lost.
            "ASCII" => Some(encoding_rs::WINDOWS_1252),
            "Unicode" => Some(encoding_rs::UTF_16LE),
            _ => Some(encoding_rs::UTF_8),
        },
    }
}

/// Rewrites a downloaded body as UTF-8 (streaming, through a temporary file).
fn transcode(path: &Path, encoding: &'static encoding_rs::Encoding) -> std::io::Result<()> {
    let temp = wharf_guest::fs::partial_path(path);
    let result = (|| {
        let mut source = std::fs::File::open(path)?;
        let mut sink = std::io::BufWriter::new(std::fs::File::create(&temp)?);
        let mut decoder = encoding.new_decoder();
        let mut input = vec![0u8; 64 * 1024];
        let mut text = String::with_capacity(3 * 64 * 1024 + 16);
        loop {
            let n = source.read(&mut input)?;
            let last = n == 0;
            text.clear();
            let (_, _, _) = decoder.decode_to_string(&input[..n], &mut text, last);
            sink.write_all(text.as_bytes())?;
            if last {
                break;
            }
        }
        sink.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The first line of a body, trimmed and shortened, for messages.
fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut quoted: String = line.chars().take(QUOTED_LINE_CHARS).collect();
    if line.chars().count() > QUOTED_LINE_CHARS {
        quoted.push('…');
    }
    quoted
}

/// The task against a web (the host's, or a stand-in in tests).
pub fn run(settings: &Settings, web: &mut impl Web) -> TaskResult {
    let plan = match plan(settings) {
        Ok(plan) => plan,
        Err(e) => return e.into(),
    };
    let method = plan.request.method.clone();
    let url = plan.request.url.clone();
    let sent = web.send(plan.request);
    if let Some(scratch) = &plan.scratch {
        let _ = std::fs::remove_file(scratch);
    }
    let response = match sent {
        Ok(response) => response,
        // Refused, unreachable, too slow: the request got no answer.
        Err(failure) => return TaskResult::fail(failure.message),
    };
    if let Some(output) = &plan.output
        && let Some(encoding) = response_encoding(&response, plan.encoding)
        && encoding != encoding_rs::UTF_8
        && let Err(e) = transcode(output, encoding)
    {
        return TaskResult::fail(format!(
            "{method} {}: setting `output-file`: cannot decode the answer from {}: {e}",
            response.url,
            encoding.name()
        ));
    }
    let status = response.status;
    let written = match &plan.output {
        Some(path) => format!(", {} bytes to `{}`", response.body_length, path.display()),
        None => String::new(),
    };
    let outputs = |r: TaskResult| {
        r.with_output("status", status.to_string())
            .with_output("bytes", response.body_length.to_string())
    };
    if (200..300).contains(&status) {
        return outputs(TaskResult::success(format!(
            "{method} {} answered {status}{written}",
            response.url
        )));
    }
    let code = match status {
        401 | 403 => ResultCode::NotAuthorised,
        404 => ResultCode::NotFound,
        _ => ResultCode::Fail,
    };
    let detail = if (300..400).contains(&status) {
        let location = response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("location"))
            .map_or("", |h| h.value.as_str());
        format!("a redirect to `{location}`, which is not followed")
    } else {
        first_line(&response.body_start)
    };
    outputs(TaskResult::new(
        code,
        format!("{method} {url} answered {status}{written}: {detail}"),
    ))
}

impl wharf_guest::Task for HttpTask {
    fn describe() -> TaskInfo {
        info()
    }

    fn run(settings: Vec<(String, String)>) -> TaskResult {
        run(
            &Settings::new(settings).with_defaults(&info().settings),
            &mut HostWeb,
        )
    }
}

wharf_guest::export_task!(HttpTask);

#[cfg(test)]
mod tests;
