//! A small owned element tree for `.wkf` files: they are a few hundred kilobytes at most, and
//! task settings are looked up by name in any order (older Zynk versions order them differently).

use crate::WkfError;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// How deep elements may nest. A task adds three levels (`Task`, its class element, `Tasks`), so
/// this allows about eighty nested tasks; real workflows nest four. The limit keeps a hostile
/// file from building a tree whose recursive walking would overflow the stack.
pub const MAX_DEPTH: usize = 256;

/// One element: its name, attributes, direct text and child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct El {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<El>,
}

impl El {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The trimmed text of the child called `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `xsi:nil="true"`.
    pub fn is_nil(&self) -> bool {
        self.attrs
            .iter()
            .any(|(k, v)| k.rsplit(':').next() == Some("nil") && v.trim() == "true")
    }
}

/// Parses a whole document into its root element. Errors name the element path and the byte
/// offset where reading stopped.
pub fn parse(text: &str) -> Result<El, WkfError> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = Vec::new();
    let path = |stack: &[El]| element_path(stack.iter().map(|e| e.name.as_str()));
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| WkfError::Xml {
            path: path(&stack),
            position,
            message: e.to_string(),
        })?;
        match event {
            Event::Start(tag) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(WkfError::Xml {
                        path: path(&stack),
                        position,
                        message: format!("elements nest more than {MAX_DEPTH} levels deep"),
                    });
                }
                stack.push(open(&tag, &path(&stack), position)?);
            }
            Event::Empty(tag) => {
                let el = open(&tag, &path(&stack), position)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(|| WkfError::Xml {
                    path: String::new(),
                    position,
                    message: "an end tag without a start tag".into(),
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => {
                        let name = r.into_inner();
                        resolve_predefined_entity(&name).map(str::to_string)
                    }
                    Err(_) => None,
                };
                let Some(resolved) = resolved else {
                    return Err(WkfError::Xml {
                        path: path(&stack),
                        position,
                        message: "an unknown or invalid entity reference".into(),
                    });
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => {
                return Err(WkfError::Xml {
                    path: path(&stack),
                    position,
                    message: if stack.is_empty() {
                        "the file holds no element".into()
                    } else {
                        "the file ends before its elements are closed".into()
                    },
                });
            }
            Event::Decl(_) | Event::DocType(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
}

/// `Workflow/Tasks/Task`; a deep path keeps its first and last four steps.
fn element_path<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let count = names.len();
    if count <= 10 {
        return names.collect::<Vec<_>>().join("/");
    }
    let names: Vec<&str> = names.collect();
    format!(
        "{}/…{} more…/{}",
        names[..4].join("/"),
        count - 8,
        names[count - 4..].join("/")
    )
}

fn open(tag: &BytesStart<'_>, at: &str, position: u64) -> Result<El, WkfError> {
    let name = tag.name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in tag.attributes() {
        let a = a.map_err(|e| WkfError::Xml {
            path: format!("{at}/{name}"),
            position,
            message: e.to_string(),
        })?;
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| WkfError::Xml {
                path: format!("{at}/{name}"),
                position,
                message: e.to_string(),
            })?;
        attrs.push((a.key.as_ref().to_string(), value.into_owned()));
    }
    Ok(El {
        name,
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_text_references_and_attributes() {
        let el = parse(r#"<?xml version="1.0"?><A x="1 &amp; 2"><B>a &lt;b&gt; &#65;</B><C xsi:nil="true" /></A>"#).unwrap();
        assert_eq!(el.attr("x"), Some("1 & 2"));
        assert_eq!(el.child_text("B"), Some("a <b> A"));
        assert!(el.child("C").unwrap().is_nil());
    }

    #[test]
    fn malformed_input_names_the_element_path() {
        let e = parse("<Workflow><Tasks><Task></Tasks></Workflow>").unwrap_err();
        assert!(e.to_string().contains("Workflow/Tasks/Task"), "{e}");
        let e = parse("<Workflow><Tasks>").unwrap_err();
        assert!(e.to_string().contains("ends before"), "{e}");
        assert!(parse("").is_err());
        let e = parse("<A>&bogus;</A>").unwrap_err();
        assert!(e.to_string().contains("entity"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "<A>".repeat(100_000);
        let e = parse(&deep).unwrap_err().to_string();
        assert!(e.contains("nest more than"), "{e}");
        assert!(
            e.starts_with("XML error at A/A/A/A/…248 more…/A/A/A/A "),
            "{e}"
        );
    }
}
