//! XML for the SOAP surface, read and written with `quick-xml`: requests are
//! parsed into a small element tree matched by local name (clients differ in
//! prefixes, and some send unqualified children), and responses are written
//! compactly with the platform's literal prefixes (`SOAP-ENV`, `ns2`),
//! which some clients compare as text.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::{NsReader, Writer};

/// The SOAP 1.1 envelope namespace.
pub const SOAP_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The Jasper API schema namespace of every request and response payload.
pub const JASPER_NS: &str = "http://api.jasperwireless.com/ws/schema";
/// The XML Schema instance namespace (`xsi:nil`).
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// Deepest nesting accepted (a real request is five levels deep).
const MAX_DEPTH: usize = 32;
/// Most elements accepted in one request (50 ICCIDs need about 60).
const MAX_ELEMENTS: usize = 2_000;

/// One parsed element: its namespace, local name, attributes by local name,
/// text (entity references resolved) and child elements in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    pub ns: Option<String>,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this local name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child with this name; an absent or
    /// empty element is `None` (clients send `<pageNumber/>` for "absent").
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// An attribute by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a document into its root element. The error says what is wrong.
pub fn parse(text: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut count = 0usize;
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => return Err(format!("malformed XML: {e}")),
        };
        let ns = match ns {
            ResolveResult::Bound(n) => Some(n.as_ref().to_string()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => return Err(format!("undeclared namespace prefix '{p}'")),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if stack.len() >= MAX_DEPTH => {
                let _ = e;
                return Err("XML nested too deeply".into());
            }
            Event::Start(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err("too many XML elements".into());
                }
                stack.push(open(&reader, ns, &e)?);
            }
            Event::Empty(e) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err("too many XML elements".into());
                }
                let el = open(&reader, ns, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => match &*r {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "apos" => '\'',
                        "quot" => '"',
                        other => return Err(format!("unknown entity &{other};")),
                    },
                    Err(e) => return Err(format!("bad character reference: {e}")),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::DocType(_) => return Err("DOCTYPE is not allowed".into()),
            Event::Eof => return Err("document ended early".into()),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
}

/// An element from its start tag (attributes unescaped, `xmlns` dropped).
fn open(reader: &NsReader<&[u8]>, ns: Option<String>, e: &BytesStart) -> Result<Element, String> {
    let name = e.local_name().as_ref().to_string();
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let key = a.key;
        if key.as_ref() == "xmlns" || key.as_ref().starts_with("xmlns:") {
            continue;
        }
        let (_, local) = reader.resolver().resolve_attribute(key);
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute value: {e}"))?;
        attrs.push((local.as_ref().to_string(), value.into_owned()));
    }
    Ok(Element {
        ns,
        name,
        attrs,
        ..Element::default()
    })
}

/// A response being written: compact, no declaration, payload elements
/// prefixed `ns2:`.
pub struct Out {
    w: Writer<Vec<u8>>,
}

impl Default for Out {
    fn default() -> Self {
        Out::new()
    }
}

impl Out {
    pub fn new() -> Out {
        Out {
            w: Writer::new(Vec::with_capacity(2048)),
        }
    }

    /// Writes an event; writing to a `Vec` cannot fail.
    fn put(&mut self, e: Event<'_>) {
        self.w.write_event(e).expect("writing to memory");
    }

    /// `<name a="v"...>` with the name written as given.
    pub fn raw_open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let mut s = BytesStart::new(name);
        for a in attrs {
            s.push_attribute(*a);
        }
        self.put(Event::Start(s));
    }

    /// `</name>` with the name written as given.
    pub fn raw_close(&mut self, name: &str) {
        self.put(Event::End(BytesEnd::new(name)));
    }

    /// `<name/>` with the name written as given.
    pub fn raw_empty(&mut self, name: &str) {
        self.put(Event::Empty(BytesStart::new(name)));
    }

    /// Escaped text inside the open element.
    pub fn raw_text(&mut self, text: &str) {
        self.put(Event::Text(BytesText::new(text)));
    }

    /// `<name>text</name>` with the name written as given.
    pub fn raw_leaf(&mut self, name: &str, text: &str) {
        self.raw_open(name, &[]);
        self.put(Event::Text(BytesText::new(text)));
        self.raw_close(name);
    }

    /// `<ns2:name>`.
    pub fn open(&mut self, name: &str) {
        self.raw_open(&format!("ns2:{name}"), &[]);
    }

    /// `<ns2:name a="v">`.
    pub fn open_with(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.raw_open(&format!("ns2:{name}"), attrs);
    }

    /// `</ns2:name>`.
    pub fn close(&mut self, name: &str) {
        self.raw_close(&format!("ns2:{name}"));
    }

    /// `<ns2:name>text</ns2:name>`, or `<ns2:name/>` when the text is empty
    /// (the platform writes required-but-unset strings that way).
    pub fn leaf(&mut self, name: &str, text: &str) {
        let tag = format!("ns2:{name}");
        if text.is_empty() {
            self.put(Event::Empty(BytesStart::new(tag)));
        } else {
            self.raw_leaf(&tag, text);
        }
    }

    /// A leaf written only when there is a value (optional elements).
    pub fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text.filter(|t| !t.is_empty()) {
            self.leaf(name, t);
        }
    }

    /// `<ns2:name xsi:nil="true" xmlns:xsi="..."/>` (nillable and unset).
    pub fn nil(&mut self, name: &str) {
        let mut s = BytesStart::new(format!("ns2:{name}"));
        s.push_attribute(("xsi:nil", "true"));
        s.push_attribute(("xmlns:xsi", XSI));
        self.put(Event::Empty(s));
    }

    /// A nillable leaf: the value, or `xsi:nil` when there is none.
    pub fn leaf_or_nil(&mut self, name: &str, text: Option<&str>) {
        match text.filter(|t| !t.is_empty()) {
            Some(t) => self.leaf(name, t),
            None => self.nil(name),
        }
    }

    /// The bytes written.
    pub fn finish(self) -> Vec<u8> {
        self.w.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_by_local_name_with_namespaces() {
        let doc = r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><j:Op xmlns:j="http://api.jasperwireless.com/ws/schema" a="1"><j:iccid>89&#56;6</j:iccid><j:x>a &amp; b</j:x><j:empty/></j:Op></s:Body></s:Envelope>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Envelope");
        assert_eq!(root.ns.as_deref(), Some(SOAP_ENV));
        let op = &root.child("Body").unwrap().children[0];
        assert_eq!(op.ns.as_deref(), Some(JASPER_NS));
        assert_eq!(op.attr("a"), Some("1"));
        assert_eq!(op.text_of("iccid"), Some("8986"));
        assert_eq!(op.text_of("x"), Some("a & b"));
        assert_eq!(op.text_of("empty"), None);
        assert!(op.child("empty").is_some());
    }

    #[test]
    fn refuses_broken_documents() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
        assert!(parse("<p:a/>").is_err());
        assert!(parse("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>").is_err());
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn writes_compact_prefixed_xml() {
        let mut o = Out::new();
        o.open_with("R", &[("ns2:requestId", "x")]);
        o.leaf("a", "1 < 2");
        o.leaf("b", "");
        o.nil("c");
        o.opt("d", None);
        o.close("R");
        let s = String::from_utf8(o.finish()).unwrap();
        assert_eq!(
            s,
            r#"<ns2:R ns2:requestId="x"><ns2:a>1 &lt; 2</ns2:a><ns2:b/><ns2:c xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></ns2:R>"#
        );
    }
}
