//! A JSON answer read with only the keys a task looks at: [`Lean`] is `serde_json::Value`
//! without the rest. A page of shop orders carries dozens of fields per order and per line that
//! no task writes; parsed into a `Value`, each of them is a key and a value allocated, hashed
//! into a map and freed again, which was most of a download's time in the sandbox. Here every
//! key the task does not name is skipped as it is read.
//!
//! The accessors answer as `Value`'s do (the last of duplicate keys wins, numbers keep
//! `serde_json::Number`'s text, `pointer` follows RFC 6901 as `Value::pointer`), so code moved
//! from `Value` to `Lean` writes the same output.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Number, Value};

/// Which keys are kept (their static name), at any depth; others are skipped with their value.
pub type Keep = fn(&str) -> Option<&'static str>;

/// A JSON value holding only kept keys. Its strings are borrowed from the text it was read
/// from where they hold no escape (most do): no copy and no allocation per kept value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Lean<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Lean<'a>>),
    Object(Vec<(Cow<'static, str>, Lean<'a>)>),
}

impl<'a> Lean<'a> {
    /// `text` parsed, keeping the keys `keep` names.
    ///
    /// Read from text, not bytes: read from bytes, serde_json checks that every key and every
    /// string it keeps is UTF-8, one call per string (~100 keys an order: 11 % of a Magento
    /// page's instructions in the sandbox), where the caller checked the whole answer once.
    pub fn parse(text: &'a str, keep: Keep) -> serde_json::Result<Lean<'a>> {
        let mut de = serde_json::Deserializer::from_str(text);
        let lean = Seed(keep).deserialize(&mut de)?;
        de.end()?;
        Ok(lean)
    }

    /// The value of `key` in an object (the last, when the key repeats, as `Value::get`).
    pub fn get(&self, key: &str) -> Option<&Lean<'a>> {
        match self {
            Lean::Object(entries) => {
                // A parsed object's keys are the `Keep` table's own strings, which tasks look
                // keys up by: found by address first, without comparing text (a call per key
                // in WebAssembly); then by text.
                let same = |(k, _): &&(Cow<'static, str>, Lean<'a>)| {
                    std::ptr::eq(k.as_ptr(), key.as_ptr()) && k.len() == key.len()
                };
                let found = entries.iter().rev().find(same);
                found
                    .or_else(|| entries.iter().rev().find(|(k, _)| k == key))
                    .map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// The value of `key` taken out, leaving `Null` (as `Value::get_mut` + `Value::take`).
    pub fn take(&mut self, key: &str) -> Option<Lean<'a>> {
        match self {
            Lean::Object(entries) => entries
                .iter_mut()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| std::mem::take(v)),
            _ => None,
        }
    }

    /// As `Value::pointer`.
    pub fn pointer(&self, pointer: &str) -> Option<&Lean<'a>> {
        if pointer.is_empty() {
            return Some(self);
        }
        if !pointer.starts_with('/') {
            return None;
        }
        pointer
            .split('/')
            .skip(1)
            .map(|x| match x.contains('~') {
                true => Cow::Owned(x.replace("~1", "/").replace("~0", "~")),
                false => Cow::Borrowed(x),
            })
            .try_fold(self, |target, token| match target {
                Lean::Object(_) => target.get(&token),
                Lean::Array(list) => parse_index(&token).and_then(|x| list.get(x)),
                _ => None,
            })
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Lean::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Lean::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Lean::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Vec<Lean<'a>>> {
        match self {
            Lean::Array(list) => Some(list),
            _ => None,
        }
    }
}

/// As serde_json's own index parsing in `Value::pointer`.
fn parse_index(s: &str) -> Option<usize> {
    if s.starts_with('+') || (s.starts_with('0') && s.len() != 1) {
        return None;
    }
    s.parse().ok()
}

/// A whole `Value` as a `Lean` (every key kept).
impl From<Value> for Lean<'static> {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Lean::Null,
            Value::Bool(b) => Lean::Bool(b),
            Value::Number(n) => Lean::Number(n),
            Value::String(s) => Lean::String(Cow::Owned(s)),
            Value::Array(list) => Lean::Array(list.into_iter().map(Lean::from).collect()),
            Value::Object(map) => Lean::Object(
                map.into_iter()
                    .map(|(k, v)| (Cow::Owned(k), Lean::from(v)))
                    .collect(),
            ),
        }
    }
}

#[derive(Clone, Copy)]
struct Seed(Keep);

impl<'de> DeserializeSeed<'de> for Seed {
    type Value = Lean<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Lean<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed {
    type Value = Lean<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Lean<'de>, E> {
        Ok(Lean::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Lean<'de>, E> {
        Ok(Lean::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Lean<'de>, E> {
        Ok(Lean::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Lean<'de>, E> {
        // As `Value`: a float JSON cannot hold is null.
        Ok(Number::from_f64(n).map_or(Lean::Null, Lean::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Lean<'de>, E> {
        Ok(Lean::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Lean<'de>, E> {
        Ok(Lean::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Lean<'de>, E> {
        Ok(Lean::String(Cow::Owned(s)))
    }

    fn visit_none<E>(self) -> Result<Lean<'de>, E> {
        Ok(Lean::Null)
    }

    fn visit_unit<E>(self) -> Result<Lean<'de>, E> {
        Ok(Lean::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Lean<'de>, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Lean<'de>, A::Error> {
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            list.push(item);
        }
        Ok(Lean::Array(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lean<'de>, A::Error> {
        // Room for a small object's kept fields at once (an order's take ~25).
        let mut entries = Vec::with_capacity(8);
        while let Some(key) = map.next_key_seed(KeySeed(self.0))? {
            match key {
                Some(name) => entries.push((Cow::Borrowed(name), map.next_value_seed(self)?)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Lean::Object(entries))
    }
}

/// A key: its static name when kept, `None` when its value is to be skipped.
struct KeySeed(Keep);

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<&'static str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Self::Value, E> {
        Ok((self.0)(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep(key: &str) -> Option<&'static str> {
        ["a", "b", "list", "x/y", "m~n", "0"]
            .into_iter()
            .find(|k| *k == key)
    }

    #[test]
    fn answers_as_value_does_for_the_kept_keys() {
        let text = r#"{"a": 1, "skip": {"deep": [1, 2, {"a": 3}]}, "b": "t", "a": -2,
            "list": [1.5, 1e300, null, true, {"a": 18446744073709551615, "c": 1}, "\u00e9"],
            "x/y": {"m~n": 7}, "0": {"0": 9}}"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let lean = Lean::parse(text, keep).unwrap();
        assert_eq!(lean.get("skip"), None);
        for key in ["a", "b", "nothing"] {
            assert_eq!(
                lean.get(key).cloned(),
                value.get(key).cloned().map(Lean::from),
                "{key}"
            );
        }
        assert_eq!(lean.get("a").and_then(Lean::as_i64), Some(-2));
        // Pointers through kept keys only (a skipped key is not there, by design).
        for pointer in [
            "/a",
            "/list/0",
            "/list/4/a",
            "/list/01",
            "/list/+1",
            "/list/9",
            "/x~1y/m~0n",
            "/0/0",
            "a",
        ] {
            let expected = value.pointer(pointer).cloned().map(Lean::from);
            assert_eq!(lean.pointer(pointer).cloned(), expected, "{pointer}");
        }
        assert_eq!(lean.pointer("/list/4/c"), None);
        let number = |p: &str| match lean.pointer(p) {
            Some(Lean::Number(n)) => n.to_string(),
            other => format!("{other:?}"),
        };
        assert_eq!(number("/list/0"), "1.5");
        assert_eq!(number("/list/4/a"), "18446744073709551615");
        assert_eq!(number("/list/1"), "1e+300");
        let mut lean = lean;
        assert_eq!(lean.take("b"), Some(Lean::String("t".into())));
        assert_eq!(lean.get("b"), Some(&Lean::Null));
        assert!(Lean::parse("{\"a\": 1} x", keep).is_err());
        assert!(Lean::parse("{\"a\": }", keep).is_err());
    }
}
