//! Consistent pseudonyms for card identifiers (`record --pseudonymise`), so
//! that a session can be attached to a public bug report: every ICCID,
//! MSISDN, IMSI and IMEI is replaced by a made-up value of the same kind and
//! length, the same real value always by the same pseudonym within a session.
//!
//! Identifiers are found by the names the dialects give them (query and form
//! parameters, JSON fields, XML elements, `_`/`,`-joined batch lists) and by
//! shape where the shape cannot be mistaken (ICCIDs: 19–20 digits starting
//! `89`; IMSIs: 15 digits starting `460`), then replaced wherever the same
//! digit run occurs (paths such as `/devices/{iccid}` included). A pseudonym
//! keeps the part that says which carrier issued the card (ICCID issuer
//! prefix, IMSI MCC+MNC, MSISDN segment, IMEI type allocation code) and gets
//! a valid Luhn digit where the real kind has one, so an imported fixture
//! still validates.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The kinds of identifier pseudonymised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdKind {
    Iccid,
    Msisdn,
    Imsi,
    Imei,
}

/// Field names that carry identifiers (lowercase), and the kind they hold
/// (`None`: decided by the value's shape).
const ID_FIELDS: &[(&str, Option<IdKind>)] = &[
    ("iccid", Some(IdKind::Iccid)),
    ("iccids", Some(IdKind::Iccid)),
    ("msisdn", Some(IdKind::Msisdn)),
    ("msisdns", Some(IdKind::Msisdn)),
    ("imsi", Some(IdKind::Imsi)),
    ("imsis", Some(IdKind::Imsi)),
    ("imei", Some(IdKind::Imei)),
    ("previousimei", Some(IdKind::Imei)),
    ("currentimei", Some(IdKind::Imei)),
    ("access_number", None),
    ("accessnumber", None),
    ("accessnumbers", None),
    ("number", None),
    ("member_accnbr", None),
    ("sentto", None),
    ("sentfrom", None),
    ("terminalid", None),
];

fn field_kind(name: &str) -> Option<Option<IdKind>> {
    let lower = name.to_ascii_lowercase();
    let local = lower.rsplit(':').next().unwrap_or(&lower);
    ID_FIELDS
        .iter()
        .find(|(n, _)| *n == local)
        .map(|(_, kind)| *kind)
}

/// The kind of a digit string by its shape, given the field's hint.
fn classify(value: &str, hint: Option<IdKind>) -> Option<IdKind> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = value.len();
    if let Some(kind) = hint {
        let ok = match kind {
            IdKind::Iccid => (18..=20).contains(&n),
            IdKind::Imsi => n == 15,
            IdKind::Imei => (14..=16).contains(&n),
            IdKind::Msisdn => (11..=15).contains(&n),
        };
        return ok.then_some(kind);
    }
    match n {
        19 | 20 if value.starts_with("89") => Some(IdKind::Iccid),
        15 if value.starts_with("460") => Some(IdKind::Imsi),
        11..=13 => Some(IdKind::Msisdn),
        _ => None,
    }
}

/// How many leading digits a pseudonym keeps.
fn kept_prefix(kind: IdKind, value: &str) -> usize {
    match kind {
        IdKind::Iccid => 6,
        IdKind::Imsi => 5,
        IdKind::Imei => 8,
        IdKind::Msisdn if value.starts_with("86") && value.len() > 11 => 5,
        IdKind::Msisdn => 3,
    }
}

/// The Luhn check digit of a digit string.
fn luhn(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = (b - b'0') as u32;
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// The session's identifier map.
pub struct Pseudonymiser {
    salt: [u8; 32],
    map: HashMap<String, String>,
    taken: HashMap<String, String>,
}

impl Default for Pseudonymiser {
    fn default() -> Self {
        let mut salt = [0u8; 32];
        rand::rng().fill_bytes(&mut salt);
        Pseudonymiser::with_salt(salt)
    }
}

impl Pseudonymiser {
    /// A pseudonymiser with a fixed salt (the same salt maps the same real
    /// identifier to the same pseudonym across sessions).
    pub fn with_salt(salt: [u8; 32]) -> Pseudonymiser {
        Pseudonymiser {
            salt,
            map: HashMap::new(),
            taken: HashMap::new(),
        }
    }

    /// The pseudonym of a real identifier (made on first sight).
    pub fn pseudonym(&mut self, kind: IdKind, real: &str) -> String {
        if let Some(p) = self.map.get(real) {
            return p.clone();
        }
        let keep = kept_prefix(kind, real).min(real.len());
        let luhn_digit = matches!(kind, IdKind::Iccid if real.len() == 20)
            || matches!(kind, IdKind::Imei if real.len() == 15);
        let free = real.len() - keep - usize::from(luhn_digit);
        let mut attempt = 0u32;
        let pseudo = loop {
            let mut mac = Hmac::<Sha256>::new_from_slice(&self.salt).expect("any key length");
            mac.update(real.as_bytes());
            mac.update(&attempt.to_be_bytes());
            let digest = mac.finalize().into_bytes();
            let digits: String = digest
                .iter()
                .cycle()
                .take(free)
                .map(|b| char::from(b'0' + b % 10))
                .collect();
            let mut p = format!("{}{digits}", &real[..keep]);
            if luhn_digit {
                p.push(luhn(&p));
            }
            if p != real && !self.taken.contains_key(&p) {
                break p;
            }
            attempt += 1;
        };
        self.taken.insert(pseudo.clone(), real.to_string());
        self.map.insert(real.to_string(), pseudo.clone());
        if kind == IdKind::Iccid && real.len() == 20 {
            // The CUCC CMP gateway sends ICCIDs without the check digit.
            self.map
                .insert(real[..19].to_string(), pseudo[..19].to_string());
        }
        pseudo
    }

    /// Learns the identifier(s) held by a named value.
    pub fn learn_named(&mut self, name: &str, value: &str) {
        let Some(hint) = field_kind(name) else {
            return;
        };
        for part in value.split(['_', ',', ' ']) {
            if let Some(kind) = classify(part.trim(), hint) {
                self.pseudonym(kind, part.trim());
            }
        }
    }

    /// Learns identifiers from a query string or form body.
    pub fn learn_pairs(&mut self, text: &str) {
        for (k, v) in form_urlencoded::parse(text.as_bytes()) {
            self.learn_named(&k, &v);
        }
    }

    /// Learns identifiers from a body of any kind.
    pub fn learn_body(&mut self, body: &str) {
        let trimmed = body.trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
                self.learn_json("", &v);
            }
        } else if trimmed.starts_with('<') {
            self.learn_xml(body);
        } else if body.contains('=') {
            self.learn_pairs(body);
        }
        self.learn_shapes(body);
    }

    fn learn_json(&mut self, name: &str, v: &serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| self.learn_json(k, v)),
            serde_json::Value::Array(items) => items.iter().for_each(|i| self.learn_json(name, i)),
            serde_json::Value::String(s) => self.learn_named(name, s),
            serde_json::Value::Number(n) => self.learn_named(name, &n.to_string()),
            _ => {}
        }
    }

    fn learn_xml(&mut self, xml: &str) {
        let mut rest = xml;
        while let Some(open) = rest.find('<') {
            rest = &rest[open + 1..];
            let Some(close) = rest.find('>') else { break };
            let tag = &rest[..close];
            let name = tag.split_whitespace().next().unwrap_or("");
            if !name.starts_with('/') && !tag.ends_with('/') {
                let content = &rest[close + 1..];
                if let Some(end) = content.find('<') {
                    self.learn_named(name, content[..end].trim());
                }
            }
        }
    }

    /// Learns identifiers recognisable by shape alone (ICCIDs, IMSIs).
    pub fn learn_shapes(&mut self, text: &str) {
        for run in digit_runs(text) {
            match run.len() {
                19 | 20 if run.starts_with("8986") => {
                    self.pseudonym(IdKind::Iccid, run);
                }
                15 if run.starts_with("460") => {
                    self.pseudonym(IdKind::Imsi, run);
                }
                _ => {}
            }
        }
    }

    /// Replaces every digit run that is a known identifier.
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, run) in digit_run_positions(text) {
            if let Some(p) = self.map.get(run) {
                out.push_str(&text[last..start]);
                out.push_str(p);
                last = start + run.len();
            }
        }
        out.push_str(&text[last..]);
        out
    }

    /// How many identifiers were pseudonymised.
    pub fn len(&self) -> usize {
        self.taken.len()
    }

    pub fn is_empty(&self) -> bool {
        self.taken.is_empty()
    }
}

fn digit_runs(text: &str) -> impl Iterator<Item = &str> {
    digit_run_positions(text).map(|(_, r)| r)
}

/// Maximal runs of ASCII digits with their byte offsets.
fn digit_run_positions(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        Some((start, &text[start..i]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_consistent_and_keep_the_kind() {
        let mut p = Pseudonymiser::with_salt([7; 32]);
        p.learn_pairs("iccid=89860612345678901236&msisdns=14400000001_14400000002");
        p.learn_body(r#"{"imsi":"460061234567890","imei":"860070000010027"}"#);
        let text = "/devices/89860612345678901236/x 14400000001 460061234567890 860070000010027 8986061234567890123";
        let out = p.apply(text);
        assert!(!out.contains("89860612345678901236"), "{out}");
        assert!(!out.contains("14400000001"), "{out}");
        assert!(!out.contains("460061234567890"), "{out}");
        assert!(!out.contains("860070000010027"), "{out}");
        assert!(!out.contains("8986061234567890123 "), "{out}");
        assert_eq!(out, p.apply(text));
        let iccid = p.pseudonym(IdKind::Iccid, "89860612345678901236");
        assert!(iccid.starts_with("898606") && iccid.len() == 20);
        assert_eq!(luhn(&iccid[..19]), iccid.chars().last().unwrap());
        let imei = p.pseudonym(IdKind::Imei, "860070000010027");
        assert!(imei.starts_with("86007000") && imei.len() == 15);
        assert_eq!(luhn(&imei[..14]), imei.chars().last().unwrap());
        // A digit run that merely contains an identifier is left alone.
        assert_eq!(p.apply("x144000000019y"), "x144000000019y");
    }

    #[test]
    fn luhn_agrees_with_the_fixture_check() {
        for body in ["8986000000000000001", "89860612345678901", "86007000001002"] {
            let expected = crate::domain::ids::luhn_digit(body).unwrap();
            assert_eq!(luhn(body).to_string(), expected.to_string(), "{body}");
        }
    }
}
