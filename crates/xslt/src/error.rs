//! Error types. Every error names where it happened so a person can act on it.

use thiserror::Error;

/// Any failure compiling a stylesheet or running a transformation.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum XsltError {
    /// Malformed XML (stylesheet, input or a `document()` resource).
    #[error("XML parse error in {uri} at line {line}, column {column}: {message}")]
    Xml {
        uri: String,
        line: u32,
        column: u32,
        message: String,
    },
    /// Static (compile-time) error in the stylesheet.
    #[error("{file}:{line}:{column}: {instruction}: {message}")]
    Static {
        file: String,
        line: u32,
        column: u32,
        instruction: String,
        message: String,
    },
    /// Error while running the transformation.
    #[error("{}", fmt_dynamic(template, xpath.as_deref(), message, location.as_deref()))]
    Dynamic {
        /// The template being instantiated, e.g. `template match="Order"` or `template name="row"`.
        template: String,
        /// The XPath expression being evaluated, if any.
        xpath: Option<String>,
        /// Stylesheet location of the instruction (`file:line:column`) if known.
        location: Option<String>,
        message: String,
    },
    /// `xsl:message terminate="yes"` was executed; carries the message text.
    #[error("transformation terminated by xsl:message: {message}")]
    Terminated { message: String },
    /// Writing the output failed.
    #[error("output error: {0}")]
    Output(String),
}

fn fmt_dynamic(template: &str, xpath: Option<&str>, message: &str, loc: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(l) = loc {
        s.push_str(l);
        s.push_str(": ");
    }
    s.push_str("runtime error in ");
    s.push_str(template);
    if let Some(x) = xpath {
        s.push_str(", evaluating \"");
        s.push_str(&excerpt(x));
        s.push('"');
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

/// An expression as quoted in a message: long ones are cut (a generated 100 KB expression
/// would otherwise swamp the run log).
pub(crate) fn excerpt(text: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]).into(),
        None => text.into(),
    }
}

/// Error raised inside XPath evaluation or instruction execution before the
/// template/instruction context is attached.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RtError {
    /// Plain dynamic error message.
    Msg(String),
    /// Already fully described (terminate, nested context, resource errors).
    /// Boxed to keep `RtResult` small: it lives in every recursive frame.
    Full(Box<XsltError>),
}

impl From<XsltError> for RtError {
    fn from(e: XsltError) -> Self {
        RtError::Full(Box::new(e))
    }
}

pub(crate) type RtResult<T> = Result<T, RtError>;
