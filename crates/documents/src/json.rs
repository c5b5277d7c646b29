//! JSON to XML and XML to JSON by the rules of Json.NET's XmlNodeConverter, which Zynk's tasks
//! use (docs/documents.md):
//!
//! - an object property becomes an element named after it; an array property becomes one
//!   element per item, all with the property's name; `null` becomes an empty element;
//! - `@name` properties are attributes, `#text` is the element's text, `#cdata-section` a
//!   CDATA section; `?xml`, `#comment` and `$`-properties (`$id`, `$type`) are dropped;
//! - the other way, repeated child elements become an array, an element with only text becomes
//!   a string, an empty one `null`, attributes `@name`, text beside elements `#text`; an element
//!   with `json:Array="true"` (namespace `http://james.newtonking.com/projects/json`) is an
//!   array even alone.
//!
//! JSON to XML streams: elements are written as the JSON is read, so memory stays at the depth
//! of the document. XML to JSON groups repeated children, so it reads the document whole.

use std::{
    fmt,
    io::{self, Read, Write},
};

use quick_xml::{
    Reader, Writer, XmlVersion,
    events::{BytesCData, BytesDecl, BytesEnd, BytesStart, Event},
};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::{
    names::{encode_local_name, resolve_entity},
    table::is_xml_char,
};

/// Json.NET's namespace for `json:Array`.
pub const JSON_NAMESPACE: &str = "http://james.newtonking.com/projects/json";

/// Why a conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The input is not JSON, or JSON this conversion cannot express as XML.
    #[error("{0}")]
    Json(String),
    /// The input is not well-formed XML.
    #[error("{0}")]
    Xml(String),
    /// Without a root element name the JSON must be one object with one property.
    #[error("the JSON {0}; set `root-element-name` to wrap it in one root element")]
    NeedsRoot(&'static str),
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
}

// ---------------------------------------------------------------------------------------------
// JSON to XML

/// Converts the JSON read from `input` into XML written to `out`. `root` names an element that
/// wraps everything; without it the JSON must be an object with exactly one property, which
/// becomes the document element. Returns the number of elements written.
pub fn json_to_xml(
    input: impl Read,
    root: Option<&str>,
    out: impl Write,
) -> Result<u64, ConvertError> {
    if let Some(root) = root
        && !crate::names::is_local_name(root)
    {
        return Err(ConvertError::Json(format!(
            "setting `root-element-name`: `{root}` is not an XML element name"
        )));
    }
    let mut sink = Sink {
        writer: Writer::new_with_indent(out, b' ', 2),
        pending: None,
        elements: 0,
        top_level: 0,
        failure: None,
    };
    sink.writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let mut deserializer = serde_json::Deserializer::from_reader(io::BufReader::new(input));
    let result = match root {
        Some(root) => Element {
            name: root.to_string(),
            sink: &mut sink,
            top: true,
        }
        .deserialize(&mut deserializer),
        None => TopLevel { sink: &mut sink }.deserialize(&mut deserializer),
    };
    if let Some(failure) = sink.failure.take() {
        return Err(failure);
    }
    result
        .and_then(|()| deserializer.end())
        .map_err(|e| ConvertError::Json(describe_json(&e)))?;
    let mut out = sink.writer.into_inner();
    out.write_all(b"\n")?;
    Ok(sink.elements)
}

fn describe_json(e: &serde_json::Error) -> String {
    if e.is_io() {
        return format!("cannot read the input: {e}");
    }
    format!("the input is not JSON this task can convert: {e}")
}

/// Where XML goes, with the start tag of the element being opened held back until its
/// attributes (the leading `@` properties) are known.
struct Sink<W: Write> {
    writer: Writer<W>,
    pending: Option<BytesStart<'static>>,
    elements: u64,
    top_level: u32,
    /// The reason for stopping, when it is ours rather than the JSON reader's.
    failure: Option<ConvertError>,
}

impl<W: Write> Sink<W> {
    fn flush_pending(&mut self) -> io::Result<()> {
        if let Some(start) = self.pending.take() {
            self.writer.write_event(Event::Start(start))?;
        }
        Ok(())
    }

    fn open(&mut self, name: &str) -> io::Result<()> {
        self.flush_pending()?;
        self.elements += 1;
        self.pending = Some(BytesStart::new(name.to_string()));
        Ok(())
    }

    /// Closes `name`: `<name/>` if nothing was written inside it.
    fn close(&mut self, name: &str) -> io::Result<()> {
        match self.pending.take() {
            Some(start) => self.writer.write_event(Event::Empty(start)),
            None => self
                .writer
                .write_event(Event::End(BytesEnd::new(name.to_string()))),
        }
    }

    fn text(&mut self, text: &str) -> io::Result<()> {
        self.flush_pending()?;
        if !text.is_empty() {
            self.writer
                .write_event(Event::Text(crate::table::text(text)))?;
        }
        Ok(())
    }

    fn fail<E: de::Error>(&mut self, failure: ConvertError) -> E {
        let message = failure.to_string();
        self.failure = Some(failure);
        E::custom(message)
    }
}

fn check_text<W: Write, E: de::Error>(sink: &mut Sink<W>, text: &str) -> Result<(), E> {
    match text.chars().find(|c| !is_xml_char(*c)) {
        Some(bad) => Err(sink.fail(ConvertError::Json(format!(
            "character U+{:04X} cannot be written in XML",
            bad as u32
        )))),
        None => Ok(()),
    }
}

fn io_error<W: Write, E: de::Error>(sink: &mut Sink<W>) -> impl FnOnce(io::Error) -> E + '_ {
    move |e| sink.fail(ConvertError::Io(e))
}

/// A JSON scalar as XML text.
struct Scalar;

impl<'de> DeserializeSeed<'de> for Scalar {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// The top of a document without a root element name: one object with one property.
struct TopLevel<'s, W: Write> {
    sink: &'s mut Sink<W>,
}

impl<'de, W: Write> DeserializeSeed<'de> for TopLevel<'_, W> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, W: Write> Visitor<'de> for TopLevel<'_, W> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if is_dropped(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if key.starts_with('@') || key.starts_with('#') {
                return Err(self.sink.fail(ConvertError::NeedsRoot(
                    "has a top-level `@` or `#` property",
                )));
            }
            self.sink.top_level += 1;
            if self.sink.top_level > 1 {
                return Err(self
                    .sink
                    .fail(ConvertError::NeedsRoot("object has more than one property")));
            }
            map.next_value_seed(Element {
                name: encode_local_name(&key),
                sink: self.sink,
                top: true,
            })?;
        }
        if self.sink.top_level == 0 {
            return Err(self.sink.fail(ConvertError::NeedsRoot("object is empty")));
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.sink.fail(ConvertError::NeedsRoot("is an array")))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Err(self.sink.fail(ConvertError::NeedsRoot("is a single value")))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.sink.fail(ConvertError::NeedsRoot("is a single value")))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Err(self.sink.fail(ConvertError::NeedsRoot("is a single value")))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Err(self.sink.fail(ConvertError::NeedsRoot("is a single value")))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.sink.fail(ConvertError::NeedsRoot("is a single value")))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.sink.fail(ConvertError::NeedsRoot("is null")))
    }
}

/// Properties Json.NET's converter reads as metadata, not content.
fn is_dropped(key: &str) -> bool {
    key == "?xml" || key == "#comment" || key == "#whitespace" || key.starts_with('$')
}

/// The value of the property `name`: one element, or one per item of an array. `top` is the
/// document element (an array there repeats its items inside it).
struct Element<'s, W: Write> {
    name: String,
    sink: &'s mut Sink<W>,
    top: bool,
}

impl<'de, W: Write> DeserializeSeed<'de> for Element<'_, W> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<W: Write> Element<'_, W> {
    fn scalar<E: de::Error>(self, text: Option<&str>) -> Result<(), E> {
        if let Some(text) = text {
            check_text(self.sink, text)?;
        }
        let sink = self.sink;
        sink.open(&self.name).map_err(io_error(sink))?;
        if let Some(text) = text {
            sink.text(text).map_err(io_error(sink))?;
        }
        sink.close(&self.name).map_err(io_error(sink))
    }
}

impl<'de, W: Write> Visitor<'de> for Element<'_, W> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.scalar(Some(v))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.scalar(Some(&v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.scalar(Some(&v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.scalar(Some(&v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.scalar(Some(&v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.scalar(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // The document element holding an array: its items repeat inside it, named `Item`.
        // Elsewhere an array repeats the property's element; an array inside an array nests.
        let (item_name, wrap) = if self.top {
            ("Item".to_string(), true)
        } else {
            (self.name.clone(), false)
        };
        let sink = self.sink;
        if wrap {
            sink.open(&self.name).map_err(io_error(sink))?;
        }
        while seq
            .next_element_seed(Item {
                name: item_name.clone(),
                sink,
            })?
            .is_some()
        {}
        if wrap {
            sink.close(&self.name).map_err(io_error(sink))?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let sink = self.sink;
        sink.open(&self.name).map_err(io_error(sink))?;
        while let Some(key) = map.next_key::<String>()? {
            if let Some(attribute) = key.strip_prefix('@') {
                let value = map.next_value_seed(Scalar)?.unwrap_or_default();
                check_text(sink, &value)?;
                let Some(start) = sink.pending.as_mut() else {
                    return Err(sink.fail(ConvertError::Json(format!(
                        "element `{}`: attribute `{key}` comes after the element's content; \
                         attributes must come first",
                        self.name
                    ))));
                };
                start.push_attribute((encode_local_name(attribute).as_str(), value.as_str()));
            } else if key == "#text" {
                let value = map.next_value_seed(Scalar)?.unwrap_or_default();
                check_text(sink, &value)?;
                sink.text(&value).map_err(io_error(sink))?;
            } else if key == "#cdata-section" {
                let value = map.next_value_seed(Scalar)?.unwrap_or_default();
                check_text(sink, &value)?;
                sink.flush_pending().map_err(io_error(sink))?;
                sink.writer
                    .write_event(Event::CData(BytesCData::new(value.as_str())))
                    .map_err(io_error(sink))?;
            } else if is_dropped(&key) {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(Element {
                    name: encode_local_name(&key),
                    sink,
                    top: false,
                })?;
            }
        }
        sink.close(&self.name).map_err(io_error(sink))
    }
}

/// One item of an array: an element named as the array's property; an item that is itself an
/// array becomes an element holding its items.
struct Item<'s, W: Write> {
    name: String,
    sink: &'s mut Sink<W>,
}

impl<'de, W: Write> DeserializeSeed<'de> for Item<'_, W> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, W: Write> Visitor<'de> for Item<'_, W> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.element().visit_str(v)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.element().visit_bool(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.element().visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.element().visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.element().visit_f64(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.element().visit_unit()
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.element().visit_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let Item { name, sink } = self;
        sink.open(&name).map_err(io_error(sink))?;
        Element {
            name: name.clone(),
            sink: &mut *sink,
            top: false,
        }
        .visit_seq(seq)?;
        sink.close(&name).map_err(io_error(sink))
    }
}

impl<'s, W: Write> Item<'s, W> {
    fn element(self) -> Element<'s, W> {
        Element {
            name: self.name,
            sink: self.sink,
            top: false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XML to JSON

/// How XML becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonOptions {
    /// Leave out the document element's name (and the declaration): the JSON is its content.
    pub omit_root_object: bool,
    /// Indented (true) or on one line.
    pub indent: bool,
}

/// An element read whole.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Child>,
    force_array: bool,
}

#[derive(Debug)]
enum Child {
    Element(Node),
    Text(String),
    CData(String),
}

/// Converts the XML document `input` (in the encoding it declares) to JSON written to `out`;
/// returns the number of elements read.
pub fn xml_to_json(
    input: &[u8],
    options: JsonOptions,
    out: impl Write,
) -> Result<u64, ConvertError> {
    let text = xml_encoding::decode(input).map_err(|e| ConvertError::Xml(e.to_string()))?;
    let (declaration, root, elements) = parse(&text)?;
    let mut document = Map::new();
    let value = if options.omit_root_object {
        node_value(&root)
    } else {
        if let Some(declaration) = declaration {
            document.insert("?xml".into(), Value::Object(declaration));
        }
        let name = root.name.clone();
        let value = node_value(&root);
        document.insert(
            name,
            if root.force_array {
                Value::Array(vec![value])
            } else {
                value
            },
        );
        Value::Object(document)
    };
    let mut out = io::BufWriter::new(out);
    if options.indent {
        serde_json::to_writer_pretty(&mut out, &value)
    } else {
        serde_json::to_writer(&mut out, &value)
    }
    .map_err(|e| ConvertError::Io(e.into()))?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(elements)
}

type Parsed = (Option<Map<String, Value>>, Node, u64);

fn parse(text: &str) -> Result<Parsed, ConvertError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut declaration = None;
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    let mut elements = 0u64;
    let position = |reader: &Reader<&[u8]>| reader.buffer_position();
    loop {
        let event = reader.read_event().map_err(|e| {
            ConvertError::Xml(format!(
                "the input is not well-formed XML at byte {}: {e}",
                position(&reader)
            ))
        })?;
        match event {
            Event::Decl(decl) => {
                let mut map = Map::new();
                if let Ok(version) = decl.version() {
                    map.insert("@version".into(), Value::String(version.into_owned()));
                }
                if let Some(Ok(encoding)) = decl.encoding() {
                    map.insert("@encoding".into(), Value::String(encoding.into_owned()));
                }
                if let Some(Ok(standalone)) = decl.standalone() {
                    map.insert("@standalone".into(), Value::String(standalone.into_owned()));
                }
                declaration = Some(map);
            }
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(ConvertError::Xml(
                    "the input has content after its document element".into(),
                ));
            }
            Event::Start(start) => {
                elements += 1;
                stack.push(node(&start)?);
            }
            Event::Empty(start) => {
                elements += 1;
                let element = node(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Child::Element(element)),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let element = stack.pop().expect("the reader checks end tags match");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Child::Element(element)),
                    None => root = Some(element),
                }
            }
            Event::Text(text) => {
                if let Some(parent) = stack.last_mut() {
                    push_text(parent, text.xml10_content().into_owned());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(parent) = stack.last_mut() {
                    let name = reference.into_inner();
                    let resolved = resolve_entity(&name)
                        .ok_or_else(|| ConvertError::Xml(format!("unknown entity `&{name};`")))?;
                    push_text(parent, resolved.to_string());
                }
            }
            Event::CData(data) => {
                if let Some(parent) = stack.last_mut() {
                    parent
                        .children
                        .push(Child::CData(data.into_inner().into_owned()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(ConvertError::Xml(format!(
            "the input ends inside element `{}`",
            stack.last().map(|n| n.name.as_str()).unwrap_or_default()
        )));
    }
    let root = root.ok_or_else(|| ConvertError::Xml("the input has no document element".into()))?;
    Ok((declaration, root, elements))
}

/// Text pieces next to each other (split by entity references) join into one.
fn push_text(parent: &mut Node, text: String) {
    if let Some(Child::Text(last)) = parent.children.last_mut() {
        last.push_str(&text);
    } else {
        parent.children.push(Child::Text(text));
    }
}

fn node(start: &BytesStart) -> Result<Node, ConvertError> {
    let name = start.name().as_ref().to_string();
    let mut node = Node {
        name,
        ..Node::default()
    };
    // The prefix bound to Json.NET's namespace, if this element declares it.
    let mut json_prefixes = Vec::new();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| ConvertError::Xml(e.to_string()))?;
        let key = attribute.key.as_ref().to_string();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| ConvertError::Xml(e.to_string()))?
            .into_owned();
        if let Some(prefix) = key.strip_prefix("xmlns:")
            && value == JSON_NAMESPACE
        {
            json_prefixes.push(prefix.to_string());
            continue;
        }
        attributes.push((key, value));
    }
    for (key, value) in attributes {
        let forced = key.split_once(':').is_some_and(|(prefix, local)| {
            local == "Array" && (prefix == "json" || json_prefixes.iter().any(|p| p == prefix))
        });
        if forced {
            node.force_array = value.trim().eq_ignore_ascii_case("true");
        } else {
            node.attributes.push((key, value));
        }
    }
    Ok(node)
}

fn node_value(node: &Node) -> Value {
    let has_elements = node.children.iter().any(|c| matches!(c, Child::Element(_)));
    let texts: Vec<&str> = node
        .children
        .iter()
        .filter_map(|c| match c {
            // White space between elements is layout, not content.
            Child::Text(t) if has_elements && t.trim().is_empty() => None,
            Child::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    let cdata: Vec<&str> = node
        .children
        .iter()
        .filter_map(|c| match c {
            Child::CData(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    if node.attributes.is_empty() && !has_elements {
        if texts.is_empty() && cdata.is_empty() {
            return Value::Null;
        }
        if cdata.is_empty() {
            return Value::String(texts.concat());
        }
    }
    let mut map = Map::new();
    for (key, value) in &node.attributes {
        map.insert(format!("@{key}"), Value::String(value.clone()));
    }
    if !texts.is_empty() {
        map.insert("#text".into(), Value::String(texts.concat()));
    }
    if !cdata.is_empty() {
        map.insert("#cdata-section".into(), Value::String(cdata.concat()));
    }
    // Children grouped by name, in order of first appearance; a name seen twice is an array.
    let mut order: Vec<&str> = Vec::new();
    for child in &node.children {
        if let Child::Element(element) = child
            && !order.contains(&element.name.as_str())
        {
            order.push(&element.name);
        }
    }
    for name in order {
        let group: Vec<&Node> = node
            .children
            .iter()
            .filter_map(|c| match c {
                Child::Element(e) if e.name == name => Some(e),
                _ => None,
            })
            .collect();
        let value = if group.len() > 1 || group[0].force_array {
            Value::Array(group.iter().map(|e| node_value(e)).collect())
        } else {
            node_value(group[0])
        };
        map.insert(name.to_string(), value);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests;
