//! XML in and out: the shop's JSON written as elements (what the Auto Mapper's BigCommerce
//! mappings read), flat records read from the update tasks' input files, and their success and
//! fail files.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, Event};
use serde_json::Value;

/// Bytes of a document gathered before they are written to its file.
const WRITE_BUFFER: usize = 256 * 1024;

/// A document being written under a hidden partial name, renamed into place by
/// [`Document::finish`] (a task stopped half way leaves the old file, never half a new one).
pub struct Document {
    /// Taken by [`Document::finish`].
    writer: Option<Writer<BufWriter<File>>>,
    partial: PathBuf,
    path: PathBuf,
    root: String,
}

impl Document {
    pub fn create(path: &Path, root: &str) -> io::Result<Document> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let partial = wharf_guest::fs::partial_path(path);
        let file = File::create(&partial)?;
        // Written out in large blocks: each write is a call out of the sandbox.
        let mut writer =
            Writer::new_with_indent(BufWriter::with_capacity(WRITE_BUFFER, file), b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        writer.write_event(Event::Start(BytesStart::new(root)))?;
        Ok(Document {
            writer: Some(writer),
            partial,
            path: path.to_owned(),
            root: root.to_owned(),
        })
    }

    /// `<name>text</name>`.
    pub fn text(&mut self, name: &str, text: &str) -> io::Result<()> {
        text_element(self.writer()?, &element_name(name), text)
    }

    /// `<name>text</name>` where `name` is one of the connector's own element names, already a
    /// valid XML name as it is (a test of the connector checks its names): written without
    /// checking it again for every field of every order.
    pub fn text_named(&mut self, name: &'static str, text: &str) -> io::Result<()> {
        debug_assert!(matches!(element_name(name), std::borrow::Cow::Borrowed(_)));
        text_element(self.writer()?, name, text)
    }

    /// Whether `name` is written as it is by [`Document::text`] (for [`Document::text_named`]).
    pub fn is_element_name(name: &str) -> bool {
        matches!(element_name(name), std::borrow::Cow::Borrowed(n) if n == name)
    }

    /// `<name>` for one of the connector's own element names, as [`Document::text_named`]
    /// (written without checking the name again for every order).
    pub fn start_named(&mut self, name: &'static str) -> io::Result<()> {
        debug_assert!(Self::is_element_name(name));
        self.writer()?
            .write_event(Event::Start(BytesStart::new(name)))
    }

    /// `</name>` for one of the connector's own element names (see [`Document::start_named`]).
    pub fn end_named(&mut self, name: &'static str) -> io::Result<()> {
        debug_assert!(Self::is_element_name(name));
        self.writer()?.write_event(Event::End(BytesEnd::new(name)))
    }

    pub fn start(&mut self, name: &str) -> io::Result<()> {
        self.writer()?
            .write_event(Event::Start(BytesStart::new(element_name(name))))
    }

    pub fn end(&mut self, name: &str) -> io::Result<()> {
        self.writer()?
            .write_event(Event::End(BytesEnd::new(element_name(name))))
    }

    /// A JSON value as the element `name` (nothing for `null`).
    pub fn json(&mut self, name: &str, value: &Value) -> io::Result<()> {
        json_element(self.writer()?, name, value)
    }

    fn writer(&mut self) -> io::Result<&mut Writer<BufWriter<File>>> {
        self.writer
            .as_mut()
            .ok_or_else(|| io::Error::other("the document is finished"))
    }

    /// A flat record: its fields in order, then `extra` fields.
    pub fn record(
        &mut self,
        name: &str,
        record: &Record,
        extra: &[(&str, &str)],
    ) -> io::Result<()> {
        self.start(name)?;
        for (field, value) in &record.fields {
            self.text(field, value)?;
        }
        for (field, value) in extra {
            self.text(field, value)?;
        }
        self.end(name)
    }

    /// Closes the root, syncs, and renames the document into place.
    pub fn finish(mut self) -> io::Result<()> {
        let root = self.root.clone();
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| io::Error::other("the document is finished"))?;
        writer.write_event(Event::End(BytesEnd::new(root.as_str())))?;
        writer.get_mut().write_all(b"\n")?;
        let file = writer
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())?;
        file.sync_all()?;
        // Closed first: a file open in a task cannot be renamed on Windows (docs/sage50.md).
        drop(file);
        std::fs::rename(&self.partial, &self.path)
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        // Removed when not finished (after `finish` the partial name no longer exists).
        let _ = std::fs::remove_file(&self.partial);
    }
}

/// `<name>text</name>` (`<name/>` when empty), written straight to the output: the very bytes
/// the writer's Start, Text and End events (or an Empty one) would write here, where a line
/// break is always due (only a Text event leaves none, and its End follows at once), without
/// three passes through its event machinery for every field of every order.
/// `name` is an element name already ([`element_name`]).
fn text_element<W: Write>(writer: &mut Writer<W>, name: &str, text: &str) -> io::Result<()> {
    writer.write_indent()?;
    let out = writer.get_mut();
    out.write_all(b"<")?;
    out.write_all(name.as_bytes())?;
    if text.is_empty() {
        return out.write_all(b"/>");
    }
    out.write_all(b">")?;
    if text.bytes().all(|b| PLAIN_TEXT[usize::from(b)]) {
        out.write_all(text.as_bytes())?;
    } else {
        out.write_all(quick_xml::escape::escape(xml_chars(text)).as_bytes())?;
    }
    out.write_all(b"</")?;
    out.write_all(name.as_bytes())?;
    out.write_all(b">")
}

/// Objects become elements of their fields, lists an element per item named by
/// [`item_name`], scalars text; `null` is left out.
fn json_element<W: Write>(writer: &mut Writer<W>, name: &str, value: &Value) -> io::Result<()> {
    match value {
        Value::Null => Ok(()),
        Value::Bool(b) => text_element(
            writer,
            &element_name(name),
            if *b { "true" } else { "false" },
        ),
        Value::Number(n) => text_element(writer, &element_name(name), &n.to_string()),
        Value::String(s) => text_element(writer, &element_name(name), s),
        Value::Object(fields) => {
            let element = element_name(name);
            writer.write_event(Event::Start(BytesStart::new(&*element)))?;
            for (field, value) in fields {
                json_element(writer, field, value)?;
            }
            writer.write_event(Event::End(BytesEnd::new(&*element)))
        }
        Value::Array(items) => {
            let element = element_name(name);
            writer.write_event(Event::Start(BytesStart::new(&*element)))?;
            let item = item_name(name);
            for value in items {
                json_element(writer, item, value)?;
            }
            writer.write_event(Event::End(BytesEnd::new(&*element)))
        }
    }
}

/// The element name of one item of a JSON list, as the BigCommerce mappings read them
/// (`products/product`, `shipping_addresses/address`, `applied_discounts/discount`).
pub fn item_name(list: &str) -> &'static str {
    match list {
        "products" => "product",
        "shipping_addresses" => "address",
        "coupons" => "coupon",
        "applied_discounts" => "discount",
        "product_options" => "option",
        "form_fields" | "configurable_fields" => "field",
        "orders" => "order",
        _ => "item",
    }
}

/// A JSON key as an XML element name: characters XML does not allow in names become `_`.
fn element_name(key: &str) -> std::borrow::Cow<'_, str> {
    // Most keys are names already (every one the connectors write themselves): one table
    // look-up per byte.
    const PLAIN: [bool; 256] = {
        let mut plain = [false; 256];
        let mut b = 0;
        while b < 256 {
            plain[b] = (b as u8).is_ascii_alphanumeric() || matches!(b as u8, b'_' | b'-' | b'.');
            b += 1;
        }
        plain
    };
    if key
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && key.bytes().all(|b| PLAIN[usize::from(b)])
    {
        return key.into();
    }
    let mut name: String = key
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        name.insert(0, '_');
    }
    name.into()
}

/// The bytes text is written with as they are: neither dropped by [`xml_chars`] nor escaped
/// (`<`, `>`, `&`, quotes and `\r`, as quick-xml's `escape`). A byte of a multibyte
/// character is plain unless it is 0xC2, the lead byte of the C1 control characters
/// (U+0080–U+009F): text holding one takes the full path. One look-up per byte instead of a
/// pass decoding characters and another searching for what to escape.
const PLAIN_TEXT: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0;
    while b < 256 {
        plain[b] = match b as u8 {
            b'\t' | b'\n' => true,
            b'<' | b'>' | b'&' | b'\'' | b'"' => false,
            0x20..=0x7E => true,
            0xC2 => false,
            0x80..=0xFF => true,
            _ => false,
        };
        b += 1;
    }
    plain
};

/// Text without the characters XML 1.0 cannot hold (control characters a shop let through).
fn xml_chars(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    if text.chars().all(allowed) {
        text.into()
    } else {
        text.chars()
            .filter(|c| allowed(*c))
            .collect::<String>()
            .into()
    }
}

/// One record of an input file: its child elements' names and texts, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub fields: Vec<(String, String)>,
}

impl Record {
    /// The trimmed text of the first field called `name` (letter case ignored), if not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// The records of `path`: every element called one of `names` (letter case ignored), whatever
/// its depth, with its child elements' texts. Bad XML is an error naming the position.
pub fn read_records(path: &Path, names: &[&str]) -> Result<Vec<Record>, String> {
    let file = File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(file));
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut records = Vec::new();
    // Inside a record: the record and, when inside one of its fields, that field's name.
    let mut record: Option<Record> = None;
    let mut field: Option<(String, String)> = None;
    let mut depth_in_field = 0usize;
    let position = |r: &quick_xml::Reader<BufReader<File>>| r.buffer_position();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| {
            format!(
                "`{}` is not XML near byte {}: {e}",
                path.display(),
                position(&reader)
            )
        })?;
        match event {
            Event::Start(tag) => {
                let name = tag.local_name().into_inner().to_owned();
                if field.is_some() {
                    depth_in_field += 1;
                } else if record.is_some() {
                    field = Some((name, String::new()));
                } else if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                    record = Some(Record::default());
                }
            }
            Event::Empty(tag) => {
                let name = tag.local_name().into_inner().to_owned();
                if field.is_none()
                    && let Some(record) = record.as_mut()
                {
                    record.fields.push((name, String::new()));
                } else if record.is_none() && names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                    records.push(Record::default());
                }
            }
            Event::Text(text) => {
                if let Some((_, value)) = field.as_mut() {
                    value.push_str(&text.xml10_content());
                }
            }
            Event::CData(text) => {
                if let Some((_, value)) = field.as_mut() {
                    value.push_str(&text.into_inner());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, value)) = field.as_mut() {
                    let resolved = resolve_reference(reference.as_ref()).ok_or_else(|| {
                        format!(
                            "`{}`: unknown entity `&{};` near byte {}",
                            path.display(),
                            AsRef::<str>::as_ref(&reference),
                            position(&reader)
                        )
                    })?;
                    value.push(resolved);
                }
            }
            Event::End(_) => {
                if field.is_some() && depth_in_field > 0 {
                    depth_in_field -= 1;
                } else if let Some(done) = field.take() {
                    if let Some(record) = record.as_mut() {
                        record.fields.push(done);
                    }
                } else if let Some(done) = record.take() {
                    records.push(done);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(records)
}

fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_elements_are_the_bytes_of_the_writers_events() {
        use quick_xml::events::BytesText;
        let texts = ["7", "", "a < b & 'c' \"d\" > e\r\n", "\u{1}x\ty", "é ü"];
        let write = |direct: bool| {
            let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
            w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
                .unwrap();
            w.write_event(Event::Start(BytesStart::new("root")))
                .unwrap();
            for (depth, text) in texts.iter().enumerate() {
                w.write_event(Event::Start(BytesStart::new("level")))
                    .unwrap();
                for name in ["a", "9b"] {
                    if direct {
                        text_element(&mut w, &element_name(name), text).unwrap();
                    } else {
                        let name = element_name(name);
                        if text.is_empty() {
                            w.write_event(Event::Empty(BytesStart::new(&*name)))
                                .unwrap();
                        } else {
                            w.write_event(Event::Start(BytesStart::new(&*name)))
                                .unwrap();
                            w.write_event(Event::Text(BytesText::new(&xml_chars(text))))
                                .unwrap();
                            w.write_event(Event::End(BytesEnd::new(&*name))).unwrap();
                        }
                    }
                }
                if depth % 2 == 0 {
                    w.write_event(Event::End(BytesEnd::new("level"))).unwrap();
                }
            }
            w.write_event(Event::End(BytesEnd::new("root"))).unwrap();
            w.into_inner()
        };
        assert_eq!(
            String::from_utf8(write(true)).unwrap(),
            String::from_utf8(write(false)).unwrap()
        );
    }

    #[test]
    fn element_names_replace_what_xml_names_cannot_hold() {
        for (key, name) in [
            ("order_id", "order_id"),
            ("a-b.c", "a-b.c"),
            ("_x9", "_x9"),
            ("9lives", "_9lives"),
            ("", "_"),
            ("a b/c", "a_b_c"),
            ("-x", "_-x"),
            ("prénom", "prénom"),
            ("été", "été"),
        ] {
            assert_eq!(element_name(key), name, "{key}");
        }
    }

    #[test]
    fn json_becomes_elements_and_lists_get_item_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.xml");
        let mut doc = Document::create(&path, "orders").unwrap();
        let order = serde_json::json!({
            "id": 7, "note": null, "is_deleted": false, "customer_message": "a < b & \u{1}c",
            "products": [{"sku": "A", "applied_discounts": [{"amount": "1.5"}]}],
            "9lives": "x"
        });
        doc.json("order", &order).unwrap();
        doc.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("<id>7</id>"), "{text}");
        assert!(!text.contains("note"), "{text}");
        assert!(text.contains("<is_deleted>false</is_deleted>"));
        assert!(text.contains("<customer_message>a &lt; b &amp; c</customer_message>"));
        assert!(text.contains("<products>"));
        assert!(text.contains("<product>"));
        assert!(text.contains("<discount>"));
        assert!(text.contains("<_9lives>x</_9lives>"));
        assert!(
            !dir.path().read_dir().unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("partial"))
        );
    }

    #[test]
    fn plain_text_is_text_that_neither_filter_nor_escape_changes() {
        let chars = (0..=0x2FFu32)
            .chain([0x2028, 0x20AC, 0xFEFF, 0xFFFD, 0x1F600])
            .filter_map(char::from_u32);
        for c in chars {
            let text = format!("a{c}b");
            let plain = text.bytes().all(|b| PLAIN_TEXT[usize::from(b)]);
            let written = quick_xml::escape::escape(xml_chars(&text));
            // U+0080–U+00BF share the lead byte 0xC2: all of them take the full path.
            let expected = written == text && !(0x80..0xC0).contains(&u32::from(c));
            assert_eq!(plain, expected, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn records_are_read_at_any_depth_with_their_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.xml");
        std::fs::write(
            &path,
            "<?xml version=\"1.0\"?><ArrayOfInventory><Inventory><sku>A&amp;B</sku><inventory_level>3</inventory_level></Inventory><Inventory><sku/><x><y>1</y></x></Inventory><Inventory/></ArrayOfInventory>",
        )
        .unwrap();
        let records = read_records(&path, &["inventory"]).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].get("SKU"), Some("A&B"));
        assert_eq!(records[0].get("inventory_level"), Some("3"));
        assert_eq!(records[1].get("sku"), None);
        std::fs::write(&path, "<a><Inventory><sku>x</Inventory></a>").unwrap();
        assert!(
            read_records(&path, &["inventory"])
                .unwrap_err()
                .contains("not XML")
        );
    }
}
