//! Loading YAML as Kubernetes and KFP tooling read it, within bounds.
//!
//! Two rules decide what a plain scalar is:
//! - where the spec's types want text (a name, an image, an Argo parameter
//!   value), the scalar is the text as written: `n`, `on`, `true`, `1e3`,
//!   `0x1F`, `~` stay those characters, as `sigs.k8s.io/yaml` reads them;
//! - everywhere else (defaults, constants, fields Ferroflow does not model)
//!   the YAML 1.2 core schema applies: only `true`/`false` are booleans,
//!   `null`/`~`/empty are null, and `n`, `yes`, `on` are strings; forms the
//!   two YAML versions read differently (`1e3`, `0o17`, `010`) stay text, so
//!   what PyYAML writes reads back as PyYAML reads it.
//!
//! The document is first read into a [`Node`] tree that keeps each scalar's
//! text and style. The spec's typed structs are deserialized from it
//! ([`typed`]), which marks the scalars read as text; [`to_json`] then turns
//! the tree into the JSON the API stores, with marked scalars as strings.
//!
//! Size, nesting depth, node count (aliases expanded) and alias count are
//! capped, so a hostile file (a billion laughs, a deep nest) is refused
//! quickly with little memory.

use std::{cell::Cell, collections::HashMap, rc::Rc};

use granit_parser::{Event, Parser, ScalarStyle};
use serde::de::{self, Deserializer, IntoDeserializer, Visitor};
use serde_json::Value;

use super::SpecError;

/// Largest spec accepted, in bytes.
pub const MAX_SPEC_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting accepted (aliases expanded).
pub const MAX_DEPTH: usize = 64;
/// Most nodes in one file, aliases expanded.
const MAX_NODES: usize = 1_000_000;
/// Most scalar bytes in one file, aliases expanded.
const MAX_EXPANDED_BYTES: usize = 4 * MAX_SPEC_BYTES;
/// Most aliases in one file.
const MAX_ALIASES: usize = 10_000;
/// Most documents in one file.
const MAX_DOCUMENTS: usize = 4;

/// A YAML node, with each scalar's text as written.
#[derive(Debug)]
pub enum Node {
    /// A scalar.
    Scalar(Scalar),
    /// A sequence.
    Seq(Vec<Rc<Node>>),
    /// A mapping, in document order.
    Map(Vec<(Rc<Node>, Rc<Node>)>),
}

/// A scalar and how it was written.
#[derive(Debug)]
pub struct Scalar {
    text: String,
    /// Plain (unquoted, not a block scalar): its type follows the schema.
    plain: bool,
    /// A core-schema tag (`str`, `int`, ...), when one was written.
    tag: Option<String>,
    /// Read as text by a typed field: stays a string in the JSON form.
    as_text: Cell<bool>,
}

impl Node {
    /// The value under `key`, for mappings.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => {
                entries.iter().find(|(k, _)| matches!(&**k, Node::Scalar(s) if s.text == key)).map(|(_, v)| &**v)
            }
            _ => None,
        }
    }

    /// The text of a scalar.
    pub fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }
}

/// Size of a subtree with aliases expanded: nodes, scalar bytes, depth.
#[derive(Clone, Copy, Default)]
struct Extent {
    nodes: usize,
    bytes: usize,
    depth: usize,
}

impl Extent {
    fn add(&mut self, other: Extent) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.depth = self.depth.max(other.depth);
    }
}

enum Open {
    Seq(Vec<(Rc<Node>, Extent)>, usize),
    Map(Vec<(Rc<Node>, Extent)>, usize),
}

/// Parses every document of `bytes` into node trees.
pub fn load(bytes: &[u8]) -> Result<Vec<Rc<Node>>, SpecError> {
    if bytes.len() > MAX_SPEC_BYTES {
        return Err(SpecError::TooLarge { size: bytes.len(), limit: MAX_SPEC_BYTES });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| SpecError::NotUtf8 { offset: e.valid_up_to() })?;
    let mut anchors: HashMap<usize, (Rc<Node>, Extent)> = HashMap::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut documents = Vec::new();
    let mut total = Extent::default();
    let mut aliases = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| SpecError::Yaml(e.to_string()))?;
        let at = || format!("line {}", span.start.line());
        let finished: Option<(Rc<Node>, Extent, usize)> = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let scalar = Scalar {
                    plain: style == ScalarStyle::Plain,
                    tag: tag.as_ref().and_then(|t| t.core_suffix().map(str::to_owned)),
                    text: value.into_owned(),
                    as_text: Cell::new(false),
                };
                let extent = Extent { nodes: 1, bytes: scalar.text.len(), depth: 1 };
                Some((Rc::new(Node::Scalar(scalar)), extent, anchor))
            }
            Event::Alias(id) => {
                aliases += 1;
                if aliases > MAX_ALIASES {
                    return Err(SpecError::Yaml(format!("more than {MAX_ALIASES} aliases ({})", at())));
                }
                let (node, extent) =
                    anchors.get(&id).cloned().ok_or_else(|| SpecError::Yaml(format!("unknown alias ({})", at())))?;
                Some((node, extent, 0))
            }
            Event::SequenceStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SpecError::Yaml(format!("nesting deeper than {MAX_DEPTH} ({})", at())));
                }
                stack.push(Open::Seq(Vec::new(), anchor));
                None
            }
            Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SpecError::Yaml(format!("nesting deeper than {MAX_DEPTH} ({})", at())));
                }
                stack.push(Open::Map(Vec::new(), anchor));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (items, anchor, is_map) = match stack.pop() {
                    Some(Open::Seq(items, anchor)) => (items, anchor, false),
                    Some(Open::Map(items, anchor)) => (items, anchor, true),
                    None => return Err(SpecError::Yaml(format!("unbalanced collection ({})", at()))),
                };
                let mut extent = Extent { nodes: 1, bytes: 0, depth: 0 };
                for (_, e) in &items {
                    extent.add(*e);
                }
                extent.depth += 1;
                let node =
                    if is_map { merged_map(items)? } else { Node::Seq(items.into_iter().map(|(n, _)| n).collect()) };
                Some((Rc::new(node), extent, anchor))
            }
            Event::DocumentStart(..) => {
                if documents.len() >= MAX_DOCUMENTS {
                    return Err(SpecError::Yaml(format!("more than {MAX_DOCUMENTS} documents")));
                }
                None
            }
            _ => None,
        };
        let Some((node, extent, anchor)) = finished else { continue };
        if extent.depth > MAX_DEPTH {
            return Err(SpecError::Yaml(format!("nesting deeper than {MAX_DEPTH} ({})", at())));
        }
        if anchor != 0 {
            anchors.insert(anchor, (node.clone(), extent));
        }
        total.add(extent);
        if total.nodes > MAX_NODES || total.bytes > MAX_EXPANDED_BYTES {
            return Err(SpecError::Yaml(format!(
                "more than {MAX_NODES} nodes or {MAX_EXPANDED_BYTES} bytes once aliases are expanded ({})",
                at()
            )));
        }
        match stack.last_mut() {
            Some(Open::Seq(items, _) | Open::Map(items, _)) => items.push((node, extent)),
            None => documents.push(node),
        }
    }
    Ok(documents.into_iter().filter(|d| !is_null(d)).collect())
}

/// A mapping from alternating keys and values; duplicate keys are refused
/// and YAML merge keys (`<<: *base`) are expanded, as Kubernetes tooling does.
fn merged_map(items: Vec<(Rc<Node>, Extent)>) -> Result<Node, SpecError> {
    let mut entries: Vec<(Rc<Node>, Rc<Node>)> = Vec::new();
    let mut merged: Vec<(Rc<Node>, Rc<Node>)> = Vec::new();
    let mut items = items.into_iter().map(|(n, _)| n);
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        if matches!(&*key, Node::Scalar(s) if s.plain && s.text == "<<") {
            let sources: Vec<Rc<Node>> = match &*value {
                Node::Seq(list) => list.clone(),
                _ => vec![value.clone()],
            };
            for source in sources {
                match &*source {
                    Node::Map(inherited) => merged.extend(inherited.iter().cloned()),
                    _ => return Err(SpecError::Yaml("a merge key (<<) needs a mapping or a list of them".into())),
                }
            }
            continue;
        }
        let name = key.text().map(str::to_owned);
        if let Some(name) = &name
            && entries.iter().any(|(k, _)| k.text() == Some(name))
        {
            return Err(SpecError::Yaml(format!("duplicate key {name:?}")));
        }
        entries.push((key, value));
    }
    // Keys written in the mapping win over merged ones; earlier merges win over later.
    for (key, value) in merged {
        if !entries.iter().any(|(k, _)| k.text().is_some() && k.text() == key.text()) {
            entries.push((key, value));
        }
    }
    Ok(Node::Map(entries))
}

fn is_null(node: &Node) -> bool {
    matches!(node, Node::Scalar(s) if matches!(resolve(s), Resolved::Null))
}

/// What a plain scalar is: a null, boolean or number only where the YAML
/// 1.2 core schema and YAML 1.1 (PyYAML, which writes KFP's files) agree;
/// text otherwise (`yes`, `n`, `0o17`, `1e3`, `010`).
#[derive(Debug, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text,
}

fn resolve(s: &Scalar) -> Resolved {
    match s.tag.as_deref() {
        Some("str") => return Resolved::Text,
        Some("null") => return Resolved::Null,
        Some("bool" | "int" | "float") => {}
        _ if !s.plain => return Resolved::Text,
        _ => {}
    }
    let t = s.text.as_str();
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Resolved::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = t.strip_prefix("0x").filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit())) {
        return u64::from_str_radix(hex, 16)
            .map_or(Resolved::Text, |n| i64::try_from(n).map_or(Resolved::UInt(n), Resolved::Int));
    }
    let (sign, body) = match t.strip_prefix(['-', '+']) {
        Some(body) => (true, body),
        None => (false, t),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // A leading zero makes YAML 1.1 read octal and 1.2 decimal: text.
    if digits(body) && (body == "0" || !body.starts_with('0')) {
        return match t.parse::<i64>() {
            Ok(n) => Resolved::Int(n),
            Err(_) => t.trim_start_matches('+').parse::<u64>().map_or(Resolved::Text, Resolved::UInt),
        };
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", fraction)) => !sign && digits(fraction),
        Some((whole, fraction)) => digits(whole) && (fraction.is_empty() || digits(fraction)),
        None => false,
    };
    let exponent_ok = exponent.is_none_or(|e| e.starts_with(['-', '+']) && digits(&e[1..]));
    if mantissa_ok && exponent_ok {
        return t.parse().map_or(Resolved::Text, Resolved::Float);
    }
    Resolved::Text
}

/// The JSON form of a node: scalars read as text by a typed field are
/// strings, the rest follows the core schema.
pub fn to_json(node: &Node) -> Value {
    match node {
        Node::Scalar(s) if s.as_text.get() => Value::String(s.text.clone()),
        Node::Scalar(s) => match resolve(s) {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(n) => n.into(),
            Resolved::UInt(n) => n.into(),
            // JSON has no infinities: keep what was written.
            Resolved::Float(f) => {
                serde_json::Number::from_f64(f).map_or_else(|| Value::String(s.text.clone()), Value::Number)
            }
            Resolved::Text => Value::String(s.text.clone()),
        },
        Node::Seq(items) => Value::Array(items.iter().map(|n| to_json(n)).collect()),
        Node::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.text().map_or_else(|| to_json(k).to_string(), str::to_owned), to_json(v)))
                .collect(),
        ),
    }
}

/// Deserializes `T` from a node, marking the scalars it reads as text.
/// Errors name the path of the field that does not fit.
pub fn typed<T: de::DeserializeOwned>(node: &Node) -> Result<T, SpecError> {
    serde_path_to_error::deserialize(NodeDe(node))
        .map_err(|e| SpecError::Shape { path: e.path().to_string(), message: e.inner().to_string() })
}

/// A [`Deserializer`] over a node.
#[derive(Clone, Copy)]
struct NodeDe<'a>(&'a Node);

type DeError = de::value::Error;

impl<'de> Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Scalar(s) => match resolve(s) {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::Int(n) => visitor.visit_i64(n),
                Resolved::UInt(n) => visitor.visit_u64(n),
                Resolved::Float(f) if f.is_finite() => visitor.visit_f64(f),
                Resolved::Float(_) | Resolved::Text => visitor.visit_str(&s.text),
            },
            Node::Seq(items) => visitor.visit_seq(de::value::SeqDeserializer::new(items.iter().map(|n| NodeDe(n)))),
            Node::Map(entries) => {
                visitor.visit_map(de::value::MapDeserializer::new(entries.iter().map(|(k, v)| (KeyDe(k), NodeDe(v)))))
            }
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Scalar(s) => {
                s.as_text.set(true);
                visitor.visit_str(&s.text)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if is_null(self.0) { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Scalar(s) => visitor.visit_enum(s.text.clone().into_deserializer()),
            _ => Err(de::Error::custom("expected the name of a variant")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct
    }
}

impl<'de> IntoDeserializer<'de, DeError> for NodeDe<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

/// Mapping keys are text as written.
struct KeyDe<'a>(&'a Node);

impl<'de> IntoDeserializer<'de, DeError> for KeyDe<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for KeyDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.0 {
            Node::Scalar(s) => {
                s.as_text.set(true);
                visitor.visit_str(&s.text)
            }
            _ => Err(de::Error::custom("mapping keys must be scalars")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        NodeDe(self.0).deserialize_enum(name, variants, visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq
        tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests;
