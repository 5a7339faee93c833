//! One tree for every body the dialects answer with, so that the
//! conformance diff and the importer read JSON, XML and plain text alike:
//! JSON stays JSON; an XML element becomes an object keyed by its child
//! elements' qualified names (prefix kept: `web:NEW_DATA_TICKET_QRsp` is
//! what PHP clients address), repeated children become an array and a
//! text-only element its text; a plain-text body is a string.

use quick_xml::events::Event;
use serde_json::{Map, Value};

/// The syntax of a body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Xml,
    Text,
    Empty,
}

impl Syntax {
    pub fn name(self) -> &'static str {
        match self {
            Syntax::Json => "JSON",
            Syntax::Xml => "XML",
            Syntax::Text => "plain text",
            Syntax::Empty => "empty body",
        }
    }
}

/// A body read into a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    pub syntax: Syntax,
    /// For XML: `{root_name: content}`.
    pub value: Value,
}

/// Reads a body as JSON, XML or text, by its content.
pub fn parse(body: &str) -> Tree {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return Tree {
            syntax: Syntax::Empty,
            value: Value::Null,
        };
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
            return Tree {
                syntax: Syntax::Json,
                value: v,
            };
        }
    }
    if trimmed.starts_with('<') {
        if let Some(v) = xml_to_value(trimmed) {
            return Tree {
                syntax: Syntax::Xml,
                value: v,
            };
        }
    }
    Tree {
        syntax: Syntax::Text,
        value: Value::String(trimmed.to_string()),
    }
}

/// An element under construction.
struct Element {
    name: String,
    children: Map<String, Value>,
    text: String,
    has_children: bool,
}

impl Element {
    fn new(name: String) -> Element {
        Element {
            name,
            children: Map::new(),
            text: String::new(),
            has_children: false,
        }
    }

    fn finish(self) -> (String, Value) {
        let value = if self.has_children {
            Value::Object(self.children)
        } else {
            Value::String(self.text.trim().to_string())
        };
        (self.name, value)
    }

    fn add_child(&mut self, name: String, value: Value) {
        self.has_children = true;
        let repeated = self.repeated(&name);
        match self.children.get_mut(&name) {
            Some(Value::Array(items)) if repeated => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
                self.children
                    .insert(format!("\u{0}{name}"), Value::Bool(true));
            }
            None => {
                self.children.insert(name, value);
            }
        }
    }

    /// Whether the child name has been seen twice already (its value is
    /// then an array made here, not an array-valued single child).
    fn repeated(&self, name: &str) -> bool {
        self.children.contains_key(&format!("\u{0}{name}"))
    }
}

fn strip_markers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, _| !k.starts_with('\u{0}'));
            map.values_mut().for_each(strip_markers);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_markers),
        _ => {}
    }
}

fn xml_to_value(xml: &str) -> Option<Value> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                stack.push(Element::new(name));
            }
            Event::Empty(e) => {
                let name = e.name().as_ref().to_string();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, Value::String(String::new())),
                    None => root = Some((name, Value::String(String::new()))),
                }
            }
            Event::End(_) => {
                let (name, value) = stack.pop()?.finish();
                match stack.last_mut() {
                    Some(parent) => parent.add_child(name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.xml10_content();
                    let resolved = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => quick_xml::escape::unescape(&format!("&{name};"))
                            .map(|c| c.into_owned())
                            .unwrap_or_else(|_| format!("&{name};")),
                    };
                    top.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return None;
    }
    let (name, mut value) = root?;
    strip_markers(&mut value);
    let mut map = Map::new();
    map.insert(name, value);
    Some(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_becomes_nested_objects_with_arrays_for_repeats() {
        let t = parse(
            r#"<?xml version="1.0"?><root><web:R xmlns:web="x"><L><A>1</A></L><L><A>2</A></L><S>a &amp; b</S><E/></web:R></root>"#,
        );
        assert_eq!(t.syntax, Syntax::Xml);
        assert_eq!(
            t.value,
            serde_json::json!({"root": {"web:R": {"L": [{"A": "1"}, {"A": "2"}], "S": "a & b", "E": ""}}})
        );
    }

    #[test]
    fn json_text_and_empty_bodies() {
        assert_eq!(parse(r#"{"a":1}"#).syntax, Syntax::Json);
        assert_eq!(parse("-5 sign error").syntax, Syntax::Text);
        assert_eq!(parse("  ").syntax, Syntax::Empty);
    }
}
