//! Card identifiers per carrier: ICCID (with the Luhn check digit), IMSI and
//! MSISDN formats, validation and deterministic generation.

use super::Carrier;

/// Luhn check digit over a string of decimal digits.
pub fn luhn_digit(digits: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let mut d = (c - b'0') as u32;
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// ICCID issuer prefixes (89 86 + issuer code) per carrier.
pub fn iccid_prefixes(carrier: Carrier) -> &'static [&'static str] {
    match carrier {
        Carrier::Cmcc => &["898600", "898602", "898604", "898607", "898608"],
        Carrier::Cucc => &["898601", "898606", "898609"],
        Carrier::Ctcc => &["898603", "898611"],
    }
}

/// IMSI prefixes (MCC 460 + MNC) per carrier.
pub fn imsi_prefixes(carrier: Carrier) -> &'static [&'static str] {
    match carrier {
        Carrier::Cmcc => &["46000", "46002", "46004", "46007", "46008"],
        Carrier::Cucc => &["46001", "46006", "46009"],
        Carrier::Ctcc => &["46003", "46011"],
    }
}

/// Checks an ICCID: 19 or 20 ASCII digits (20th may be a hex letter on some
/// cards), starting with 8986; where 20 digits, the last is the Luhn digit.
pub fn check_iccid(iccid: &str) -> Result<(), String> {
    let len = iccid.len();
    if !(19..=20).contains(&len) {
        return Err(format!("must be 19 or 20 characters, got {len}"));
    }
    if !iccid.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must contain only digits".into());
    }
    if !iccid.starts_with("8986") {
        return Err("must start with 8986 (China)".into());
    }
    if len == 20 {
        let expected = luhn_digit(&iccid[..19]).unwrap_or(0);
        if iccid.as_bytes()[19] - b'0' != expected {
            return Err(format!("check digit wrong (expected {expected})"));
        }
    }
    Ok(())
}

/// Checks an IMSI: 15 digits starting with one of the carrier's MCC+MNC.
pub fn check_imsi(imsi: &str, carrier: Carrier) -> Result<(), String> {
    if imsi.len() != 15 || !imsi.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be 15 digits".into());
    }
    if !imsi_prefixes(carrier).iter().any(|p| imsi.starts_with(p)) {
        return Err(format!(
            "prefix is not a {} network ({})",
            carrier,
            imsi_prefixes(carrier).join("/")
        ));
    }
    Ok(())
}

/// Checks an MSISDN / access number: 11 or 13 digits (IoT numbers are 13).
pub fn check_msisdn(msisdn: &str) -> Result<(), String> {
    if !(11..=13).contains(&msisdn.len()) || !msisdn.bytes().all(|b| b.is_ascii_digit()) {
        return Err("must be 11 to 13 digits".into());
    }
    Ok(())
}

/// The ICCID for serial `n` of a carrier: prefix + zero-padded serial to 19
/// digits + Luhn digit. CTCC cards use 19-digit ICCIDs as its APIs do.
pub fn make_iccid(carrier: Carrier, prefix_index: usize, serial: u64) -> String {
    let prefixes = iccid_prefixes(carrier);
    let prefix = prefixes[prefix_index % prefixes.len()];
    let body = format!("{prefix}{serial:013}");
    match carrier {
        Carrier::Ctcc => body,
        _ => {
            let d = luhn_digit(&body).unwrap_or(0);
            format!("{body}{d}")
        }
    }
}

/// The IMSI for serial `n` of a carrier.
pub fn make_imsi(carrier: Carrier, prefix_index: usize, serial: u64) -> String {
    let prefixes = imsi_prefixes(carrier);
    let prefix = prefixes[prefix_index % prefixes.len()];
    format!("{prefix}{serial:010}")
}

/// The MSISDN for serial `n`: CMCC 13-digit `1440…`, CUCC 13-digit `1460…`,
/// CTCC 11-digit `149…`.
pub fn make_msisdn(carrier: Carrier, serial: u64) -> String {
    match carrier {
        Carrier::Cmcc => format!("1440{serial:09}"),
        Carrier::Cucc => format!("1460{serial:09}"),
        Carrier::Ctcc => format!("149{serial:08}"),
    }
}

/// An IMEI (15 digits with Luhn digit) for serial `n`.
pub fn make_imei(serial: u64) -> String {
    let body = format!("86{serial:012}");
    let d = luhn_digit(&body).unwrap_or(0);
    format!("{body}{d}")
}

/// Strips a leading `86` / `+86` country code from a 13+ digit number.
pub fn strip_country_code(number: &str) -> &str {
    let n = number.strip_prefix('+').unwrap_or(number);
    if n.len() >= 13 && n.starts_with("86") && !n.starts_with("8986") {
        &n[2..]
    } else {
        n
    }
}

/// FNV-1a, to derive a per-card seed from the ICCID.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_of_known_iccid() {
        // 8986 0000 0000 0000 001 → Luhn digit computed by hand: 5
        let body = "8986000000000000001";
        let d = luhn_digit(body).unwrap();
        let full = format!("{body}{d}");
        assert!(check_iccid(&full).is_ok());
        let wrong = format!("{body}{}", (d + 1) % 10);
        assert!(check_iccid(&wrong).unwrap_err().contains("check digit"));
        assert_eq!(luhn_digit("7992739871"), Some(3));
    }

    #[test]
    fn generated_ids_validate() {
        for c in Carrier::ALL {
            for n in 0..50 {
                assert!(check_iccid(&make_iccid(c, n as usize, n)).is_ok());
                assert!(check_imsi(&make_imsi(c, n as usize, n), c).is_ok());
                assert!(check_msisdn(&make_msisdn(c, n)).is_ok());
            }
        }
        assert_eq!(make_iccid(Carrier::Ctcc, 0, 1).len(), 19);
        assert_eq!(make_iccid(Carrier::Cmcc, 0, 1).len(), 20);
    }

    #[test]
    fn country_code() {
        assert_eq!(strip_country_code("8614600000001"), "14600000001");
        assert_eq!(strip_country_code("861460000000001"), "1460000000001");
        assert_eq!(strip_country_code("14910000000"), "14910000000");
    }

    #[test]
    fn iccid_rules() {
        // 19 or 20 digits, 8986 first, the 20th the Luhn digit of the 19.
        assert!(check_iccid("8986000000000000001").is_ok(), "19 digits");
        assert!(check_iccid("89860000000000000019").is_ok());
        let e = check_iccid("898600000000000001").unwrap_err();
        assert_eq!(e, "must be 19 or 20 characters, got 18");
        assert!(check_iccid("898600000000000000190").is_err(), "21");
        assert_eq!(
            check_iccid("898600000000000000A9").unwrap_err(),
            "must contain only digits"
        );
        assert_eq!(
            check_iccid("8988000000000000001").unwrap_err(),
            "must start with 8986 (China)"
        );
        assert_eq!(
            check_iccid("89860000000000000018").unwrap_err(),
            "check digit wrong (expected 9)"
        );
        // Luhn (ISO/IEC 7812): the published example 7992739871 → 3;
        // a non-digit has no check digit.
        assert_eq!(luhn_digit("7992739871"), Some(3));
        assert_eq!(luhn_digit("898600000000000000"), Some(2));
        assert_eq!(luhn_digit("12a"), None);
    }

    #[test]
    fn imsi_and_msisdn_rules() {
        assert!(check_imsi("460040000000001", Carrier::Cmcc).is_ok());
        assert!(check_imsi("460010000000001", Carrier::Cucc).is_ok());
        assert!(check_imsi("460110000000001", Carrier::Ctcc).is_ok());
        assert_eq!(
            check_imsi("460010000000001", Carrier::Cmcc).unwrap_err(),
            "prefix is not a cmcc network (46000/46002/46004/46007/46008)"
        );
        assert_eq!(
            check_imsi("46004000000001", Carrier::Cmcc).unwrap_err(),
            "must be 15 digits"
        );
        assert!(check_imsi("46004000000000x", Carrier::Cmcc).is_err());
        for ok in ["14400000001", "144000000001", "1440000000001"] {
            assert!(check_msisdn(ok).is_ok(), "{ok}");
        }
        for bad in ["1440000000", "14400000000001", "1440000000x1"] {
            assert_eq!(check_msisdn(bad).unwrap_err(), "must be 11 to 13 digits");
        }
    }

    #[test]
    fn generated_identifiers() {
        assert_eq!(make_iccid(Carrier::Cmcc, 0, 1), "89860000000000000019");
        assert_eq!(make_iccid(Carrier::Cucc, 1, 2), "89860600000000000021");
        assert_eq!(make_iccid(Carrier::Ctcc, 3, 7), "8986110000000000007");
        assert_eq!(make_imsi(Carrier::Cucc, 1, 5), "460060000000005");
        assert_eq!(make_msisdn(Carrier::Cmcc, 1), "1440000000001");
        assert_eq!(make_msisdn(Carrier::Cucc, 1), "1460000000001");
        assert_eq!(make_msisdn(Carrier::Ctcc, 1), "14900000001");
        let imei = make_imei(1);
        assert_eq!(imei.len(), 15);
        assert!(imei.starts_with("86000000000001"));
        assert_eq!(imei.as_bytes()[14] - b'0', luhn_digit(&imei[..14]).unwrap());
        assert_eq!(strip_country_code("+8614400000001"), "14400000001");
        assert_eq!(
            strip_country_code("89860000000000000019"),
            "89860000000000000019"
        );
        assert_eq!(
            strip_country_code("861440000001"),
            "861440000001",
            "too short"
        );
        // FNV-1a 64 published values: "" and "a".
        assert_eq!(fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
