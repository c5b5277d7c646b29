//! A small owned element tree: the unit in which records are read, kept when unknown, and written.
//!
//! Records are first read into an [`Element`] and then mapped to typed structs. Keeping the tree
//! lets unknown elements survive a round trip and lets a record that cannot be mapped still be
//! written to the fail file with exactly the data it came with.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::{Deserialize, Serialize};

use crate::text::{self, REPLACEMENT};

/// An XML element with its attributes and children, owned and independent of the source text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<Attribute>,
    pub children: Vec<Node>,
}

/// One `name="value"` attribute; `name` keeps its prefix (`xsi:nil`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub value: String,
}

/// Element content: a child element or character data (references already resolved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// An element holding only `text`.
    pub fn with_text(name: impl Into<String>, text: impl Into<String>) -> Self {
        let mut element = Element::new(name);
        element.children.push(Node::Text(text.into()));
        element
    }

    pub fn child_elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|node| match node {
            Node::Element(element) => Some(element),
            Node::Text(_) => None,
        })
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.child_elements().find(|element| element.name == name)
    }

    /// Concatenated character data directly inside this element.
    pub fn text(&self) -> String {
        let mut text = String::new();
        for node in &self.children {
            if let Node::Text(part) = node {
                text.push_str(part);
            }
        }
        text
    }

    pub fn has_child_elements(&self) -> bool {
        self.child_elements().next().is_some()
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name == name)
            .map(|attribute| attribute.value.as_str())
    }

    /// `xsi:nil="true"` (any prefix: files from other serialisers bind the XSI namespace differently).
    pub fn is_nil(&self) -> bool {
        self.attributes.iter().any(|attribute| {
            let local = attribute.name.rsplit(':').next().unwrap_or_default();
            local == "nil" && matches!(attribute.value.trim(), "true" | "1")
        })
    }
}

/// A syntax error that stops reading the file (the structure can no longer be followed).
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    /// Byte offset in the source.
    pub position: u64,
    pub message: String,
}

/// A content problem inside an element (bad reference, forbidden character). The element is still
/// built, with U+FFFD in place of the bad character, so it can be written to a fail file.
#[derive(Debug, Clone)]
pub(crate) struct ContentIssue {
    /// Positions of the child elements leading to the element with the problem, from the root.
    pub child_path: Vec<usize>,
    pub problem: String,
}

/// The next event, with quick-xml's error turned into a positioned [`SyntaxError`].
pub(crate) fn next_event<'a>(reader: &mut Reader<&'a [u8]>) -> Result<Event<'a>, SyntaxError> {
    reader.read_event().map_err(|error| SyntaxError {
        position: reader.error_position(),
        message: error.to_string(),
    })
}

/// How deep elements may nest below a collection. Zynk documents go about six levels deep; the
/// limit keeps a hostile file from building a tree whose (recursive) writing or dropping would
/// overflow the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// Reads the rest of an element whose start tag was just read, up to and including its end tag.
pub(crate) fn read_element(
    reader: &mut Reader<&[u8]>,
    start: &BytesStart<'_>,
    is_empty: bool,
) -> Result<(Element, Vec<ContentIssue>), SyntaxError> {
    let mut issues = Vec::new();
    let root = checked_open(start, &[], &mut issues, reader.buffer_position())?;
    if is_empty {
        return Ok((root, issues));
    }
    // Stack of open elements; `path` mirrors it with child indexes for issue reporting.
    let mut stack: Vec<Element> = vec![root];
    let mut path: Vec<usize> = Vec::new();
    loop {
        let position = reader.buffer_position();
        let event = next_event(reader)?;
        let top = stack.last_mut().expect("stack holds the open elements");
        match event {
            Event::Start(tag) => {
                if path.len() + 1 >= MAX_DEPTH {
                    return Err(SyntaxError {
                        position,
                        message: format!(
                            "elements nest more than {MAX_DEPTH} levels deep, which no Zynk document does"
                        ),
                    });
                }
                path.push(top.child_elements().count());
                let element = checked_open(&tag, &path, &mut issues, position)?;
                stack.push(element);
            }
            Event::Empty(tag) => {
                let mut child_path = path.clone();
                child_path.push(top.child_elements().count());
                let element = checked_open(&tag, &child_path, &mut issues, position)?;
                top.children.push(Node::Element(element));
            }
            Event::End(_) => {
                // quick-xml checks that end names match their start tags.
                let mut finished = stack.pop().expect("an end tag closes an open element");
                drop_layout_whitespace(&mut finished);
                match stack.last_mut() {
                    Some(parent) => {
                        parent.children.push(Node::Element(finished));
                        path.pop();
                    }
                    None => return Ok((finished, issues)),
                }
            }
            Event::Text(content) => {
                let (clean, problem) = text::sanitize_literal(&content.xml10_content());
                if let Some(problem) = problem {
                    issues.push(ContentIssue {
                        child_path: path.clone(),
                        problem,
                    });
                }
                push_text(top, &clean);
            }
            Event::CData(content) => {
                let raw = content.into_inner().into_owned();
                let (clean, problem) = text::sanitize_literal(&raw);
                if let Some(problem) = problem {
                    issues.push(ContentIssue {
                        child_path: path.clone(),
                        problem,
                    });
                }
                push_text(top, &clean);
            }
            Event::GeneralRef(reference) => match text::resolve_reference(&reference) {
                Ok(c) => push_text(top, c.encode_utf8(&mut [0; 4])),
                Err(problem) => {
                    issues.push(ContentIssue {
                        child_path: path.clone(),
                        problem,
                    });
                    push_text(top, REPLACEMENT.encode_utf8(&mut [0; 4]));
                }
            },
            Event::Comment(_) | Event::PI(_) => {}
            Event::Decl(_) | Event::DocType(_) => {
                return Err(SyntaxError {
                    position,
                    message: "an XML declaration or DOCTYPE appears inside an element".into(),
                });
            }
            Event::Eof => {
                return Err(SyntaxError {
                    position: reader.buffer_position(),
                    message: format!(
                        "the file ends before the element <{}> is closed",
                        stack.last().map(|e| e.name.as_str()).unwrap_or_default()
                    ),
                });
            }
        }
    }
}

/// [`open_element`], refusing a tag whose name is not an XML name: quick-xml reads a tag up to
/// its `>` without checking the name, and such an element could not be written back.
fn checked_open(
    tag: &BytesStart<'_>,
    child_path: &[usize],
    issues: &mut Vec<ContentIssue>,
    position: u64,
) -> Result<Element, SyntaxError> {
    let element = open_element(tag, child_path, issues);
    if text::is_xml_name(&element.name) {
        Ok(element)
    } else {
        Err(SyntaxError {
            position,
            message: format!("'{}' is not an element name XML allows", element.name),
        })
    }
}

/// Builds an element from its start tag, resolving attribute values.
pub(crate) fn open_element(
    tag: &BytesStart<'_>,
    child_path: &[usize],
    issues: &mut Vec<ContentIssue>,
) -> Element {
    let name = tag.name().as_ref().to_owned();
    let mut element = Element::new(name);
    for attribute in tag.attributes().with_checks(false) {
        let attribute = match attribute {
            Ok(attribute) => attribute,
            Err(error) => {
                issues.push(ContentIssue {
                    child_path: child_path.to_vec(),
                    problem: format!("has a malformed attribute ({error})"),
                });
                continue;
            }
        };
        let attribute_name = attribute.key.as_ref().to_owned();
        if !text::is_xml_name(&attribute_name) {
            issues.push(ContentIssue {
                child_path: child_path.to_vec(),
                problem: format!(
                    "has an attribute named '{attribute_name}', which XML does not allow"
                ),
            });
            continue;
        }
        let value = match attribute.normalized_value(XmlVersion::Implicit1_0) {
            Ok(value) => value.into_owned(),
            Err(error) => {
                issues.push(ContentIssue {
                    child_path: child_path.to_vec(),
                    problem: format!(
                        "has an attribute '{attribute_name}' that cannot be read ({error})"
                    ),
                });
                attribute.value.clone().into_owned()
            }
        };
        element.attributes.push(Attribute {
            name: attribute_name,
            value,
        });
    }
    element
}

fn push_text(element: &mut Element, text: &str) {
    if let Some(Node::Text(last)) = element.children.last_mut() {
        last.push_str(text);
    } else {
        element.children.push(Node::Text(text.to_owned()));
    }
}

/// Indentation between child elements is layout, not data.
fn drop_layout_whitespace(element: &mut Element) {
    if element.has_child_elements() {
        element
            .children
            .retain(|node| !matches!(node, Node::Text(text) if text.trim().is_empty()));
    }
}

/// Turns a child-index path into `Name/Child[2]/Leaf` (an index only where a name repeats).
pub(crate) fn describe_path(root: &Element, child_path: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut current = root;
    for &index in child_path {
        let Some(child) = current.child_elements().nth(index) else {
            break;
        };
        let same_name: Vec<_> = current
            .child_elements()
            .enumerate()
            .filter(|(_, sibling)| sibling.name == child.name)
            .map(|(position, _)| position)
            .collect();
        if same_name.len() > 1 {
            let ordinal = same_name.iter().position(|&p| p == index).unwrap_or(0) + 1;
            parts.push(format!("{}[{ordinal}]", child.name));
        } else {
            parts.push(child.name.clone());
        }
        current = child;
    }
    parts.join("/")
}

/// Writes XML the way the Zynk samples look: UTF-8, two-space indentation, `<X />` for empty elements.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    depth: usize,
}

impl XmlWriter {
    pub fn new() -> Self {
        XmlWriter::default()
    }

    pub fn declaration(&mut self) {
        self.out
            .push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn open_tag(&mut self, name: &str, attributes: &[Attribute]) {
        self.out.push('<');
        self.out.push_str(name);
        for attribute in attributes {
            self.out.push(' ');
            self.out.push_str(&attribute.name);
            self.out.push_str("=\"");
            text::escape_attribute(&attribute.value, &mut self.out);
            self.out.push('"');
        }
    }

    pub fn start(&mut self, name: &str, attributes: &[Attribute]) {
        self.indent();
        self.open_tag(name, attributes);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    pub fn end(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub fn empty(&mut self, name: &str) {
        self.empty_with(name, &[]);
    }

    pub fn empty_with(&mut self, name: &str, attributes: &[Attribute]) {
        self.indent();
        self.open_tag(name, attributes);
        self.out.push_str(" />\n");
    }

    /// `<Name xsi:nil="true" />`, how XmlSerializer writes an absent nullable value.
    pub fn nil(&mut self, name: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xsi:nil=\"true\" />\n");
    }

    /// `<Name>text</Name>`, or `<Name />` for empty text.
    pub fn text_element(&mut self, name: &str, text: &str) {
        if text.is_empty() {
            self.empty(name);
            return;
        }
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        text::escape_text(text, &mut self.out);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// Writes a kept element as it was read (pretty-printed unless it has mixed content).
    pub fn element(&mut self, element: &Element) {
        let has_elements = element.has_child_elements();
        let has_text = element
            .children
            .iter()
            .any(|node| matches!(node, Node::Text(text) if !text.is_empty()));
        if !has_elements {
            if has_text {
                self.indent();
                self.open_tag(&element.name, &element.attributes);
                self.out.push('>');
                text::escape_text(&element.text(), &mut self.out);
                self.out.push_str("</");
                self.out.push_str(&element.name);
                self.out.push_str(">\n");
            } else {
                self.empty_with(&element.name, &element.attributes);
            }
        } else if has_text {
            // Mixed content: indentation would change the text, so write it inline.
            self.indent();
            self.inline(element);
            self.out.push('\n');
        } else {
            self.start(&element.name, &element.attributes);
            for child in element.child_elements() {
                self.element(child);
            }
            self.end(&element.name);
        }
    }

    fn inline(&mut self, element: &Element) {
        self.open_tag(&element.name, &element.attributes);
        if element.children.is_empty() {
            self.out.push_str(" />");
            return;
        }
        self.out.push('>');
        for node in &element.children {
            match node {
                Node::Element(child) => self.inline(child),
                Node::Text(text) => text::escape_text(text, &mut self.out),
            }
        }
        self.out.push_str("</");
        self.out.push_str(&element.name);
        self.out.push('>');
    }

    pub fn finish(mut self) -> String {
        // A whole document is held (and copied to the task) after this: without the room
        // its doubling growth left unused.
        self.out.shrink_to_fit();
        self.out
    }
}
