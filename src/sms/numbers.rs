//! The service numbers of each carrier and the commands they understand:
//! `10086` (China Mobile), `10010` (China Unicom), `10001` (China Telecom's
//! SMS business hall; `10000` is its voice hotline). Commands are matched
//! after normalisation: full-width characters folded to half-width, every
//! space removed, letters upper-cased.

use crate::domain::Carrier;

/// What a service-number command asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    /// Data used and left this cycle (`CXLL`, `1071`, `108`...).
    Data,
    /// Account balance (`CXYE`, `CXHF`, `102`...).
    Balance,
    /// The package and what it includes (`CXTC`).
    Package,
}

impl Query {
    /// The template name a query is answered with.
    pub fn template(self) -> &'static str {
        match self {
            Query::Data => "data",
            Query::Balance => "balance",
            Query::Package => "package",
        }
    }

    /// Parses a template/query name (fixture command tables).
    pub fn parse(s: &str) -> Option<Query> {
        match s {
            "data" => Some(Query::Data),
            "balance" => Some(Query::Balance),
            "package" => Some(Query::Package),
            _ => None,
        }
    }
}

/// The SMS service number of a carrier.
pub fn sms_number(carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::Cmcc => "10086",
        Carrier::Cucc => "10010",
        Carrier::Ctcc => "10001",
    }
}

/// The voice hotline of a carrier (the IVR menus answer there).
pub fn voice_number(carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::Cmcc => "10086",
        Carrier::Cucc => "10010",
        Carrier::Ctcc => "10000",
    }
}

/// Every number a card of `carrier` may reach even when barred (service
/// numbers of its own carrier).
pub fn is_service_number(carrier: Carrier, number: &str) -> bool {
    let n = normalise_number(number);
    n == sms_number(carrier) || n == voice_number(carrier)
}

/// The built-in command table: (command, query), per carrier.
pub fn commands(carrier: Carrier) -> &'static [(&'static str, Query)] {
    match carrier {
        Carrier::Cmcc => &[
            ("CXLL", Query::Data),
            ("CXGLL", Query::Data),
            ("CXSJLL", Query::Data),
            ("LLCX", Query::Data),
            ("CXYE", Query::Balance),
            ("YECX", Query::Balance),
            ("YE", Query::Balance),
            ("CXTC", Query::Package),
        ],
        Carrier::Cucc => &[
            ("CXLL", Query::Data),
            ("1071", Query::Data),
            ("2082", Query::Data),
            ("CXTCYL", Query::Data),
            ("LLCX", Query::Data),
            // The 2020 menu reply's codes: 00 data, 01 balance, 02 charges.
            ("00", Query::Data),
            ("01", Query::Balance),
            ("02", Query::Balance),
            ("CXHF", Query::Balance),
            ("101", Query::Balance),
            ("CXYE", Query::Balance),
        ],
        Carrier::Ctcc => &[("108", Query::Data), ("102", Query::Balance)],
    }
}

/// Looks a normalised command up in the built-in table.
pub fn lookup(carrier: Carrier, command: &str) -> Option<Query> {
    let c = normalise_command(command);
    commands(carrier)
        .iter()
        .find(|(k, _)| *k == c)
        .map(|(_, q)| *q)
}

/// Folds full-width forms to half-width (U+FF01..U+FF5E → ASCII, U+3000 →
/// space).
pub fn to_half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A command as matched: half-width, no whitespace, upper case.
pub fn normalise_command(text: &str) -> String {
    to_half_width(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_uppercase())
        .collect()
}

/// A destination number as matched: half-width, no spaces or dashes, the
/// `+86`/`0086`/`86` country code dropped from numbers longer than 5 digits.
pub fn normalise_number(number: &str) -> String {
    let n: String = to_half_width(number)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let digits = n
        .strip_prefix("+86")
        .or_else(|| n.strip_prefix("0086"))
        .unwrap_or(&n);
    let digits = match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 5 && rest.starts_with("100") => rest,
        _ => digits,
    };
    digits.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_width_and_spaces() {
        assert_eq!(normalise_command(" cxll "), "CXLL");
        assert_eq!(normalise_command("ＣＸＬＬ"), "CXLL");
        assert_eq!(normalise_command("ｃｘ　ll"), "CXLL");
        assert_eq!(normalise_command("１０７１"), "1071");
        assert_eq!(lookup(Carrier::Cucc, "cxtcyl"), Some(Query::Data));
        assert_eq!(lookup(Carrier::Ctcc, "１０８"), Some(Query::Data));
        assert_eq!(lookup(Carrier::Cmcc, "ye"), Some(Query::Balance));
        assert_eq!(lookup(Carrier::Cmcc, "1071"), None);
    }

    #[test]
    fn normalises_numbers() {
        assert_eq!(normalise_number("+8610010"), "10010");
        assert_eq!(normalise_number("8610086"), "10086");
        assert_eq!(normalise_number("１０００１"), "10001");
        assert_eq!(normalise_number("+8613800138000"), "13800138000");
        assert!(is_service_number(Carrier::Ctcc, "10000"));
        assert!(!is_service_number(Carrier::Ctcc, "10010"));
    }
}
