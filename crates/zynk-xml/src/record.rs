//! Mapping between element trees and typed records.
//!
//! Every record type is declared once with [`zynk_record!`]: the field list gives the element
//! name, the Rust field and how it is encoded (`value`, `nested`, `list`, `raw`, `errors`). The
//! macro derives the reader (any element order, unknown elements kept) and the writer (documented
//! order, every property written the way .NET's XmlSerializer does for the Zynk exports).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::tree::{Element, XmlWriter};

/// A field whose content does not fit its type, with the path to it inside the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Element path inside the record, e.g. `SalesOrderItems/Item[2]/QtyOrdered` (empty: the record itself).
    pub path: String,
    /// What is wrong, phrased to follow the path: `holds 'abc', which is not a number`.
    pub problem: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            problem: problem.into(),
        }
    }

    /// Re-roots the error one level down: `Qty` under `Item[2]` becomes `Item[2]/Qty`.
    pub fn under(mut self, segment: &str) -> Self {
        self.path = if self.path.is_empty() {
            segment.to_owned()
        } else {
            format!("{segment}/{}", self.path)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "the record {}", self.problem)
        } else {
            write!(f, "{} {}", self.path, self.problem)
        }
    }
}

/// A typed view of one Zynk XML element.
pub trait Record: Sized + Default {
    /// The element name of one record (`SalesOrder`, `Item`, …).
    const ELEMENT: &'static str;
    /// Child elements that identify a record in messages, first non-empty wins (`Id`, then
    /// `AccountReference` for customers; `Sku` for products).
    const KEYS: &'static [&'static str];

    /// Maps an element; every field problem is reported, not only the first.
    fn from_element(element: &Element) -> Result<Self, Vec<FieldError>>;

    /// Writes the child elements, in the documented order.
    fn write_fields(&self, writer: &mut XmlWriter);

    /// Writes the record as `<name>…</name>`.
    fn write(&self, name: &str, writer: &mut XmlWriter) {
        writer.start(name, &[]);
        self.write_fields(writer);
        writer.end(name);
    }
}

/// Declares a record struct and its [`Record`] implementation. See the module docs.
macro_rules! zynk_record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident = $tag:literal, key $($key:literal)|+ {
            $(
                $(#[$field_meta:meta])*
                $kind:ident $xml:literal $field:ident : $ty:ty $([$child:literal])?,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(default)]
        pub struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $ty,
            )*
            /// Child elements this model does not know, kept in document order for the round trip.
            pub unknown: Vec<$crate::tree::Element>,
        }

        impl $crate::record::Record for $name {
            const ELEMENT: &'static str = $tag;
            const KEYS: &'static [&'static str] = &[$($key),+];

            fn from_element(
                element: &$crate::tree::Element,
            ) -> Result<Self, Vec<$crate::record::FieldError>> {
                let mut record = Self::default();
                let mut problems: Vec<$crate::record::FieldError> = Vec::new();
                for child in element.child_elements() {
                    match child.name.as_str() {
                        $(
                            $xml => match $crate::codec::$kind::read(
                                child,
                                zynk_record!(@child $($child)?),
                            ) {
                                Ok(value) => record.$field = value,
                                Err(errors) => problems.extend(errors.into_iter().map(|e| e.under($xml))),
                            },
                        )*
                        _ => record.unknown.push(child.clone()),
                    }
                }
                if problems.is_empty() { Ok(record) } else { Err(problems) }
            }

            fn write_fields(&self, writer: &mut $crate::tree::XmlWriter) {
                $(
                    $crate::codec::$kind::write(&self.$field, $xml, zynk_record!(@child $($child)?), writer);
                )*
                for element in &self.unknown {
                    writer.element(element);
                }
            }
        }
    };
    (@child) => { "" };
    (@child $child:literal) => { $child };
}

/// Declares an enumeration written by its variant names: `ALL`, `as_str`, `Display`, serde by
/// name, and a `FromStr` that ignores surrounding spaces and letter case (`'x'`, the error, says
/// what was held and what is allowed). One rule for every text enumeration of Wharf's data: the
/// Zynk documents' ([`zynk_enum!`] adds how a document field reads and writes it) and the Sage
/// ledger's columns. The caller depends on `serde` (with `derive`).
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $( $(#[$variant_meta])* $variant ),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written: its variant name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                let text = text.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str().eq_ignore_ascii_case(text))
                    .ok_or_else(|| {
                        let allowed: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        format!("holds '{}', which is not one of {}", text, allowed.join(", "))
                    })
            }
        }
    };
}

/// Declares a Zynk enumeration: a [`named_enum!`] that document fields read and write.
macro_rules! zynk_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$variant_meta:meta])* $variant:ident ),+ $(,)? }
    ) => {
        $crate::named_enum! {
            $(#[$meta])*
            pub enum $name { $( $(#[$variant_meta])* $variant ),+ }
        }

        impl $crate::codec::Scalar for $name {
            const OMIT_WHEN_ABSENT: bool = false;

            fn parse_text(text: &str) -> Result<Self, String> {
                if text.trim().is_empty() {
                    return Err($crate::codec::empty_value_problem("one of its allowed values"));
                }
                text.parse()
            }

            fn format_text(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(self.as_str())
            }
        }
    };
}

pub(crate) use {zynk_enum, zynk_record};
