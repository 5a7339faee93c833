//! A tiny XML writer for the legacy replies: elements in the order written,
//! text escaped, an XML declaration on top. Enough for the carrier's flat
//! `<root>` / `<SvcCont>` documents.

/// An XML document being written.
pub struct Xml {
    out: String,
}

impl Default for Xml {
    fn default() -> Self {
        Xml::new()
    }
}

impl Xml {
    /// A document starting with the UTF-8 declaration.
    pub fn new() -> Xml {
        let mut out = String::with_capacity(512);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        Xml { out }
    }

    /// `<tag>`.
    pub fn open(&mut self, tag: &str) -> &mut Xml {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag xmlns:prefix="ns">`.
    pub fn open_ns(&mut self, tag: &str, prefix: &str, ns: &str) -> &mut Xml {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(" xmlns:");
        self.out.push_str(prefix);
        self.out.push_str("=\"");
        escape_into(&mut self.out, ns);
        self.out.push_str("\">");
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &str) -> &mut Xml {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag>text</tag>` (an empty text gives `<tag></tag>`).
    pub fn leaf(&mut self, tag: &str, text: &str) -> &mut Xml {
        self.open(tag);
        escape_into(&mut self.out, text);
        self.close(tag)
    }

    /// The finished document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Appends `text` with `& < > " '` escaped.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_escapes() {
        let mut x = Xml::new();
        x.open("root")
            .leaf("a", "1 < 2 & \"x\"")
            .leaf("b", "")
            .close("root");
        assert_eq!(
            x.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><root><a>1 &lt; 2 &amp; &quot;x&quot;</a><b></b></root>"
        );
    }
}
