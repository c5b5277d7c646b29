//! Element paths into an XML output, for checks on files whose bytes vary (dates, ids) but whose
//! values must be right: `SalesOrder/Id` selects every `Id` element whose parent is a
//! `SalesOrder`; `/Company/Customers/Customer` is anchored at the root; a last step `@name`
//! selects that attribute of the selected elements.

use quick_xml::events::{BytesStart, Event};

/// A parsed element path.
pub struct ElementPath {
    anchored: bool,
    steps: Vec<String>,
    attribute: Option<String>,
}

impl ElementPath {
    pub fn parse(text: &str) -> Result<ElementPath, String> {
        let anchored = text.starts_with('/');
        let mut steps: Vec<String> = text
            .trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        let attribute = match steps.last() {
            Some(last) if last.starts_with('@') => {
                let name = last[1..].to_owned();
                steps.pop();
                Some(name)
            }
            _ => None,
        };
        if steps.is_empty()
            || steps
                .iter()
                .any(|s| s.is_empty() || s.contains(['@', '[', '*']))
        {
            return Err(format!(
                "`{text}` is not an element path (names separated by `/`, optionally ending in `/@attribute`)"
            ));
        }
        Ok(ElementPath {
            anchored,
            steps,
            attribute,
        })
    }

    fn selects(&self, stack: &[String]) -> bool {
        if self.anchored && stack.len() != self.steps.len() {
            return false;
        }
        stack.len() >= self.steps.len() && stack[stack.len() - self.steps.len()..] == self.steps[..]
    }

    /// The texts (all text inside, trimmed) or attribute values the path selects in `xml`, in
    /// document order.
    pub fn select(&self, xml: &[u8]) -> Result<Vec<String>, String> {
        let mut reader = quick_xml::Reader::from_reader(xml);
        let mut stack: Vec<String> = Vec::new();
        let mut selected: Vec<String> = Vec::new();
        // Indexes into `selected` of the open elements whose text is being gathered.
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut buf = Vec::new();
        loop {
            let event = reader.read_event_into(&mut buf).map_err(|e| {
                format!(
                    "not well-formed XML at byte {}: {e}",
                    reader.error_position()
                )
            })?;
            match event {
                Event::Start(ref start) | Event::Empty(ref start) => {
                    let empty = matches!(event, Event::Empty(_));
                    stack.push(start.name().as_ref().to_owned());
                    if self.selects(&stack) {
                        match &self.attribute {
                            Some(name) => {
                                if let Some(value) = attribute(start, name)? {
                                    selected.push(value);
                                }
                            }
                            None if empty => selected.push(String::new()),
                            None => {
                                selected.push(String::new());
                                open.push((stack.len(), selected.len() - 1));
                            }
                        }
                    }
                    if empty {
                        stack.pop();
                    }
                }
                Event::End(_) => {
                    if open.last().is_some_and(|(depth, _)| *depth == stack.len()) {
                        open.pop();
                    }
                    stack.pop();
                }
                Event::Text(text) => gather(&mut selected, &open, &text.xml10_content()),
                Event::CData(data) => gather(&mut selected, &open, &data.into_inner()),
                Event::GeneralRef(reference) => {
                    let resolved = match reference.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        Ok(None) => {
                            quick_xml::escape::resolve_predefined_entity(&reference.into_inner())
                                .map(str::to_owned)
                        }
                        Err(_) => None,
                    };
                    let Some(resolved) = resolved else {
                        return Err(format!(
                            "an unknown entity reference before byte {}",
                            reader.buffer_position()
                        ));
                    };
                    gather(&mut selected, &open, &resolved);
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(selected.into_iter().map(|s| s.trim().to_owned()).collect())
    }
}

/// Adds `text` to every selected element that is open.
fn gather(selected: &mut [String], open: &[(usize, usize)], text: &str) {
    for (_, index) in open {
        selected[*index].push_str(text);
    }
}

fn attribute(start: &BytesStart, name: &str) -> Result<Option<String>, String> {
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("attribute in XML: {e}"))?;
        if attribute.key.as_ref() == name {
            return attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| Some(v.into_owned()))
                .map_err(|e| format!("attribute `{name}` in XML: {e}"));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::ElementPath;

    const DOC: &[u8] = br#"<?xml version="1.0"?>
<Company><SalesOrders>
  <SalesOrder kind="web"><Id>1</Id><Lines><Line><Id>9</Id></Line></Lines></SalesOrder>
  <SalesOrder><Id>2 &amp; 3</Id><Note><![CDATA[a<b]]></Note></SalesOrder>
</SalesOrders></Company>"#;

    fn select(path: &str) -> Vec<String> {
        ElementPath::parse(path).unwrap().select(DOC).unwrap()
    }

    #[test]
    fn paths_select_by_parent_root_and_attribute() {
        assert_eq!(select("SalesOrder/Id"), ["1", "2 & 3"]);
        assert_eq!(select("Id"), ["1", "9", "2 & 3"]);
        assert_eq!(select("/Company/SalesOrders/SalesOrder/Id"), ["1", "2 & 3"]);
        assert!(select("/SalesOrders/SalesOrder").is_empty());
        assert_eq!(select("SalesOrder/@kind"), ["web"]);
        assert_eq!(select("Note"), ["a<b"]);
        assert_eq!(select("SalesOrder").len(), 2);
    }

    #[test]
    fn bad_paths_and_documents_are_errors() {
        for bad in ["", "/", "a//b", "a[1]", "*/b", "@x"] {
            assert!(ElementPath::parse(bad).is_err(), "{bad}");
        }
        let path = ElementPath::parse("a").unwrap();
        assert!(path.select(b"<a><b></a>").is_err());
    }
}
