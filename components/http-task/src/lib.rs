//! HTTP Task (docs/zynk-reference.md §2.16): sends one request through the HTTP connection the workflow
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

use wharf_guest::{
    ResultCode, SettingChoice, SettingError, SettingKind, SettingValue, TaskError, TaskResult,
    TaskSettings, TypedTask,
};

pub use wharf_guest::http::{
    FailureKind, Header, HostWeb, HttpFailure, Request, RequestBody, Response, Web,
};

/// The capability the component declares.
pub const CAPABILITY: &str = "http";

/// Longest first line of a body quoted in the result message.
const QUOTED_LINE_CHARS: usize = 200;

/// The settings of `http-task`.
#[derive(Debug, Clone, TaskSettings)]
pub struct HttpSettings {
    /// Relative to the connection's base URL (`download.php?x=1`), or absolute within its
    /// origin. Redirects are not followed.
    #[setting(non_empty)]
    pub url: String,
    /// The request method.
    #[setting(default = "GET")]
    pub method: Method,
    /// The request body: a file of the working directory (its bytes are sent), or text when no
    /// such file exists.
    pub input: Option<String>,
    /// The request body as text (when `input` is empty).
    pub contents_field: Option<String>,
    /// Form values, one `name=value` per line, sent form-encoded (when `input` and
    /// `contents-field` are empty).
    pub form_values: Lines<'='>,
    /// Extra request headers, one `Name: value` per line (e.g. `Content-Type: text/xml`,
    /// `SOAPAction: …`).
    pub header_values: Lines<':'>,
    /// Where the response body is written (replaced); also on an error status.
    pub output_file: Option<PathBuf>,
    /// Milliseconds the whole request may take, per attempt.
    #[setting(default = 120000, range = 1..=604800000)]
    pub timeout: u32,
    /// The `User-Agent` header.
    #[setting(default = "Wharf")]
    pub user_agent: String,
    /// How text is sent and the answer read (a charset in the response overrides it).
    #[setting(default = "UTF8")]
    pub encoding_type: Encoding,
    /// Retries of network errors, timeouts, 429 and 503 (never of other statuses).
    #[setting(default = 1, range = 0..=10)]
    pub retries: u32,
}

/// The `method` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum Method {
    #[choice(rename = "GET")]
    Get,
    #[choice(rename = "POST")]
    Post,
    #[choice(rename = "PUT")]
    Put,
    #[choice(rename = "PATCH")]
    Patch,
    #[choice(rename = "DELETE")]
    Delete,
    #[choice(rename = "HEAD")]
    Head,
}

/// The `encoding-type` setting (.NET's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, SettingChoice)]
pub enum Encoding {
    #[choice(rename = "UTF8")]
    Utf8,
    #[choice(rename = "ASCII")]
    Ascii,
    Unicode,
}

/// `name<SEPARATOR>value` lines (blank lines skipped): the `form-values` and `header-values`
/// settings. Left out or empty, none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lines<const SEPARATOR: char>(pub Vec<(String, String)>);

impl<const SEPARATOR: char> SettingValue for Lines<SEPARATOR> {
    const KIND: SettingKind = SettingKind::Text;
    const OPTIONAL: bool = true;

    fn parse_value(text: &str) -> Result<Self, String> {
        text.lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(number, line)| match line.split_once(SEPARATOR) {
                Some((key, value)) if !key.trim().is_empty() => {
                    Ok((key.trim().to_owned(), value.trim().to_owned()))
                }
                _ => Err(format!("line {} is not `name{SEPARATOR}value`", number + 1)),
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn absent() -> Option<Self> {
        Some(Self::default())
    }
}

/// The component; exported to the host on WebAssembly.
pub struct HttpTask;

impl TypedTask for HttpTask {
    const NAME: &'static str = "http-task";
    const DOC: &'static str =
        "Sends an HTTP request through the granted connection and writes the answer to a file.";
    const CAPABILITIES: &'static [&'static str] = &[CAPABILITY];
    type Settings = HttpSettings;

    fn run(settings: HttpSettings) -> Result<TaskResult, TaskError> {
        Ok(run(&settings, &mut HostWeb))
    }
}

wharf_guest::export_task!(HttpTask);

/// The request the settings describe, and where its answer goes.
struct Plan {
    request: Request,
    output: Option<PathBuf>,
    encoding: &'static str,
    /// A file written to send encoded text; removed after the request.
    scratch: Option<PathBuf>,
}

fn plan(settings: &HttpSettings) -> Result<Plan, SettingError> {
    let encoding = settings.encoding_type.as_str();
    let mut headers = settings
        .header_values
        .0
        .iter()
        .map(|(name, value)| Header {
            name: name.clone(),
            value: value.clone(),
        })
        .collect::<Vec<_>>();
    let has_header =
        |headers: &[Header], name: &str| headers.iter().any(|h| h.name.eq_ignore_ascii_case(name));
    let user_agent = match settings.user_agent.as_str() {
        "" => "Wharf",
        agent => agent,
    };
    if !has_header(&headers, "user-agent") {
        headers.push(Header {
            name: "User-Agent".into(),
            value: user_agent.to_owned(),
        });
    }
    let output = settings.output_file.clone();
    let mut scratch = None;
    let input = settings.input.as_deref();
    // Opened and read once: whether it is a file, and its first bytes for the content type.
    let opened = input.and_then(input_file);
    let body = match (input, settings.contents_field.as_deref(), opened) {
        (Some(input), _, Some((file, start))) => {
            if !has_header(&headers, "content-type") {
                let start = start.map_err(|e| {
                    SettingError::new("input", format!("cannot read `{input}`: {e}"))
                })?;
                headers.push(content_type(&start, encoding));
            }
            RequestBody::File(file.to_string_lossy().into_owned())
        }
        (Some(value), _, None) | (None, Some(value), _) => {
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
        (None, None, _) => match &settings.form_values.0 {
            values if values.is_empty() => RequestBody::None,
            values => RequestBody::Form(values.clone()),
        },
    };
    Ok(Plan {
        request: Request {
            method: settings.method.as_str().to_owned(),
            url: settings.url.clone(),
            headers,
            body,
            output_file: output.as_ref().map(|p| p.to_string_lossy().into_owned()),
            timeout_seconds: Some(settings.timeout.div_ceil(1000)),
            retries: Some(settings.retries),
        },
        output,
        encoding,
        scratch,
    })
}

/// The file `input` names in the working directory (`/` in the sandbox), with its start (see
/// [`file_start`]), if one exists there (a path that is not a file is text). A folder opens
/// but cannot be read, so a read that works tells a file with one call out of the sandbox; only
/// when the open or the read fails is the path asked what it is (a file that cannot be read is
/// still the input: its error is the task's).
fn input_file(input: &str) -> Option<(PathBuf, std::io::Result<Vec<u8>>)> {
    if input.len() >= 4096 || input.contains('\n') {
        return None;
    }
    let path = Path::new("/").join(input.trim());
    match file_start(std::fs::File::open(&path)) {
        Ok(start) => Some((path, Ok(start))),
        Err(e) => path.is_file().then_some((path, Err(e))),
    }
}

/// Whether `byte` tells what the body is: not white space, not a byte of a UTF-8 BOM.
fn telling(byte: u8) -> bool {
    !byte.is_ascii_whitespace() && !matches!(byte, 0xEF | 0xBB | 0xBF)
}

fn content_type(start: &[u8], encoding: &str) -> Header {
    let xml = start.iter().find(|b| telling(**b)) == Some(&b'<');
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

/// The start of the input file, as much as [`content_type`] looks at: read until a telling
/// byte is in, 64 bytes are, or the file ends. One read for a usual file (reading to the end
/// of the 64 bytes took a second call out of the sandbox to see the end of a smaller file).
fn file_start(file: std::io::Result<std::fs::File>) -> std::io::Result<Vec<u8>> {
    let mut file = file?;
    let mut start = vec![0u8; 64];
    let mut filled = 0;
    while filled < start.len() {
        let n = match file.read(&mut start[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        filled += n;
        if start[filled - n..filled].iter().any(|b| telling(*b)) {
            break;
        }
    }
    start.truncate(filled);
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
pub fn run(settings: &HttpSettings, web: &mut impl Web) -> TaskResult {
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

#[cfg(test)]
mod tests;
