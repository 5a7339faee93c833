//! Secret masking for recorded sessions. Every secret a carrier dialect puts
//! on the wire is replaced by [`MASK`] before an exchange touches disk:
//!
//! * by name, wherever it appears: query and form parameters, JSON fields at
//!   any depth, XML elements (SOAP `licenseKey`, WS-Security `Password`);
//! * by header: `Authorization` (CUCC Basic `username:apiKey`), the CTCC 5G
//!   `AppKey` / `Sign` headers, cookies;
//! * by value: every secret value learned so far (a CMCC token handed out by
//!   `/get/token` and sent back later, a Basic key, values given with
//!   `--secret` such as the CTCC plaintext password and DES key that never
//!   travel themselves) is replaced wherever it occurs, raw, percent-encoded
//!   or JSON-escaped, in every later exchange too.

use std::collections::BTreeSet;

use base64::Engine;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Names whose values are secrets (compared case-insensitively), with the
/// dialect that sends them.
pub const SECRET_NAMES: &[(&str, &str)] = &[
    (
        "password",
        "CMCC /get/token application password; CTCC alias of passWord",
    ),
    (
        "passWord",
        "CTCC m2m_ec: DES-encrypted password (replayable)",
    ),
    ("sign", "CTCC m2m_ec: DES sign"),
    (
        "token",
        "CMCC v5 token, CMCC v2 SHA-256 token, CUCC CMP SM3 token",
    ),
    ("key", "CTCC 9-character interface key"),
    ("secret", "CTCC 5G secret key"),
    ("secretKey", "CTCC 5G secret key"),
    ("app_secret", "CUCC CMP app secret"),
    ("appSecret", "CUCC CMP app secret"),
    ("api_key", "CUCC REST API key"),
    ("apiKey", "CUCC REST API key"),
    ("licenseKey", "CUCC SOAP license key"),
    ("Password", "CUCC SOAP WS-Security UsernameToken password"),
];

/// Headers whose values are secrets (lowercase).
pub const SECRET_HEADERS: &[(&str, &str)] = &[
    ("authorization", "CUCC REST: Basic base64(username:apiKey)"),
    ("proxy-authorization", "credentials for a proxy"),
    ("appkey", "CTCC 5G CMP application key"),
    ("sign", "CTCC 5G CMP request signature"),
    ("cookie", "session cookies"),
    ("set-cookie", "session cookies"),
];

/// Shortest learned value that is also masked by value (shorter ones are
/// masked only where they appear under a secret name, so that a password
/// such as `pw` does not blank out unrelated text).
const MIN_VALUE_LEN: usize = 4;

fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
}

fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Masks secrets, remembering every secret value it has seen so that the
/// same value is masked in later exchanges too.
#[derive(Default, Debug)]
pub struct Masker {
    learned: BTreeSet<String>,
}

impl Masker {
    /// A masker that already knows some secret values (`--secret`).
    pub fn with_secrets<I: IntoIterator<Item = String>>(secrets: I) -> Masker {
        let mut m = Masker::default();
        for s in secrets {
            m.learn(&s);
        }
        m
    }

    /// Remembers a secret value (and the forms it may travel in).
    pub fn learn(&mut self, value: &str) {
        if value.is_empty() || value == MASK {
            return;
        }
        self.learned.insert(value.to_string());
        let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
        if encoded != value {
            self.learned.insert(encoded);
        }
        let escaped = serde_json::to_string(value).unwrap_or_default();
        let escaped = escaped.trim_matches('"');
        if escaped != value {
            self.learned.insert(escaped.to_string());
        }
    }

    /// Learns the secrets of a header; returns the masked header value.
    pub fn header(&mut self, name: &str, value: &str) -> String {
        if !is_secret_header(name) {
            return self.scrub(value);
        }
        if let Some((scheme, cred)) = value.split_once(' ') {
            let cred = cred.trim();
            self.learn(cred);
            if scheme.eq_ignore_ascii_case("basic") {
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(cred) {
                    let plain = String::from_utf8_lossy(&bytes).to_string();
                    if let Some((_, key)) = plain.split_once(':') {
                        self.learn(key);
                    }
                    self.learn(&plain);
                }
            }
            return format!("{scheme} {MASK}");
        }
        self.learn(value.trim());
        MASK.to_string()
    }

    /// Learns the secrets of a query string or form body.
    pub fn learn_pairs(&mut self, text: &str) {
        for (k, v) in form_urlencoded::parse(text.as_bytes()) {
            if is_secret_name(&k) {
                self.learn(&v);
            }
        }
    }

    /// Masks a query string or form body pair by pair, keeping every other
    /// byte as sent, then masks learned values.
    pub fn pairs(&mut self, text: &str) -> String {
        self.learn_pairs(text);
        let masked: Vec<String> = text
            .split('&')
            .map(|part| match part.split_once('=') {
                Some((k, _)) if is_secret_name(&decode(k)) => format!("{k}={MASK}"),
                _ => part.to_string(),
            })
            .collect();
        self.scrub(&masked.join("&"))
    }

    /// Learns the secrets of a body of any kind (JSON, XML, form).
    pub fn learn_body(&mut self, body: &str) {
        let trimmed = body.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
                self.learn_json(&v);
            }
        } else if trimmed.starts_with('<') {
            for value in xml_secret_values(body) {
                self.learn(&value);
            }
        } else if body.contains('=') {
            self.learn_pairs(body);
        }
    }

    fn learn_json(&mut self, v: &serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    if is_secret_name(k) {
                        match v {
                            serde_json::Value::String(s) => self.learn(s),
                            serde_json::Value::Number(n) => self.learn(&n.to_string()),
                            other => self.learn_json(other),
                        }
                    } else {
                        self.learn_json(v);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| self.learn_json(i)),
            _ => {}
        }
    }

    /// Masks a body: named secrets in JSON (as quoted literals, keeping the
    /// layout), XML (element text) and forms, then every learned value.
    pub fn body(&mut self, body: &str) -> String {
        let trimmed = body.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let mut named = Vec::new();
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
                collect_json_secrets(&v, &mut named);
                self.learn_json(&v);
            }
            let mut out = body.to_string();
            for (key, literal) in named {
                // `"key":"value"` with any spacing around the colon.
                out = replace_json_member(&out, &key, &literal);
            }
            return self.scrub(&out);
        }
        if trimmed.starts_with('<') {
            let values = xml_secret_values(body);
            let mut out = body.to_string();
            for v in &values {
                self.learn(v);
                out = out.replace(&format!(">{v}<"), &format!(">{MASK}<"));
            }
            return self.scrub(&out);
        }
        if body.contains('=') && !body.contains(' ') {
            return self.pairs(body);
        }
        self.scrub(body)
    }

    /// Replaces every learned value (long enough to be unambiguous).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        // Longest first, so a value is not half-masked by one of its parts.
        let mut values: Vec<&String> = self
            .learned
            .iter()
            .filter(|v| v.chars().count() >= MIN_VALUE_LEN)
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for v in values {
            if out.contains(v.as_str()) {
                out = out.replace(v.as_str(), MASK);
            }
        }
        out
    }
}

fn decode(s: &str) -> String {
    form_urlencoded::parse(format!("k={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `(key, JSON literal of its value)` for every secret member.
fn collect_json_secrets(v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                if is_secret_name(k) && !v.is_object() && !v.is_array() && !v.is_null() {
                    out.push((k.clone(), v.to_string()));
                } else {
                    collect_json_secrets(v, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_json_secrets(i, out)),
        _ => {}
    }
}

/// Replaces the value literal of every `"key": literal` member.
fn replace_json_member(text: &str, key: &str, literal: &str) -> String {
    let quoted_key = serde_json::to_string(key).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&quoted_key) {
        let (before, after_key) = rest.split_at(at + quoted_key.len());
        out.push_str(before);
        let after_ws = after_key.trim_start();
        if let Some(after_colon) = after_ws.strip_prefix(':') {
            let value_part = after_colon.trim_start();
            if let Some(tail) = value_part.strip_prefix(literal) {
                let ws_before = &after_key[..after_key.len() - after_ws.len()];
                let ws_after = &after_colon[..after_colon.len() - value_part.len()];
                out.push_str(ws_before);
                out.push(':');
                out.push_str(ws_after);
                out.push_str(&format!("\"{MASK}\""));
                rest = tail;
                continue;
            }
        }
        rest = after_key;
    }
    out.push_str(rest);
    out
}

/// The text of every XML element whose local name is a secret name.
fn xml_secret_values(xml: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        if tag.starts_with('/')
            || tag.starts_with('?')
            || tag.starts_with('!')
            || tag.ends_with('/')
        {
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        if is_secret_name(local) {
            let content = &rest[close + 1..];
            if let Some(end) = content.find('<') {
                let value = content[..end].trim();
                if !value.is_empty() && value != MASK {
                    values.push(value.to_string());
                }
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_are_masked_in_place() {
        let mut m = Masker::default();
        let q = "appid=100001&password=pw&transid=1000012026";
        assert_eq!(m.pairs(q), "appid=100001&password=***&transid=1000012026");
    }

    #[test]
    fn json_members_keep_their_layout() {
        let mut m = Masker::default();
        let body = r#"{"status":"0","result":[{"token" : "abc.def"}],"token":"x1"}"#;
        assert_eq!(
            m.body(body),
            r#"{"status":"0","result":[{"token" : "***"}],"token":"***"}"#
        );
        // The learned token is masked wherever it comes back.
        assert_eq!(m.scrub("token=abc.def&x=1"), "token=***&x=1");
    }

    #[test]
    fn basic_auth_and_its_key_are_learned() {
        let mut m = Masker::default();
        let value = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("user:0123-key")
        );
        assert_eq!(m.header("Authorization", &value), "Basic ***");
        assert_eq!(m.scrub("apiKey 0123-key"), "apiKey ***");
    }

    #[test]
    fn xml_secret_elements_are_masked() {
        let mut m = Masker::default();
        let xml = "<s:Envelope><wsse:Password Type=\"t\">pass1</wsse:Password><licenseKey>lk-1</licenseKey></s:Envelope>";
        let out = m.body(xml);
        assert!(!out.contains("pass1") && !out.contains("lk-1"), "{out}");
        assert!(out.contains("<licenseKey>***</licenseKey>"), "{out}");
    }
}
