//! SMS PDUs as 3GPP TS 23.040 / 23.038 define them, for the modem's PDU
//! mode: the GSM 7-bit default alphabet (with its extension table) and
//! septet packing, UCS2, addresses, time stamps, SMS-DELIVER encoding (with
//! the 8-bit-reference concatenation header for long texts) and SMS-SUBMIT
//! decoding. No maintained Rust crate encodes SMS-DELIVER, so this is done
//! here and checked against published vectors.

use std::fmt::Write as _;

/// The GSM 7-bit default alphabet (23.038 §6.2.1); index = septet value.
const GSM7: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1b}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table (reached with ESC, 0x1B).
const GSM7_EXT: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

/// Text → unpacked septets, or `None` if a character is not in the alphabet.
pub fn gsm7_encode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c != '\u{1b}' {
            if let Some(i) = GSM7.iter().position(|&g| g == c) {
                out.push(i as u8);
                continue;
            }
        }
        let (code, _) = GSM7_EXT.iter().find(|(_, e)| *e == c)?;
        out.push(0x1B);
        out.push(*code);
    }
    Some(out)
}

/// Unpacked septets → text (unknown escapes read as a space, as 23.038 says).
pub fn gsm7_decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut it = septets.iter();
    while let Some(&s) = it.next() {
        if s == 0x1B {
            match it.next() {
                Some(&e) => out.push(
                    GSM7_EXT
                        .iter()
                        .find(|(c, _)| *c == e)
                        .map(|(_, ch)| *ch)
                        .unwrap_or(' '),
                ),
                None => break,
            }
        } else {
            out.push(GSM7[(s & 0x7F) as usize]);
        }
    }
    out
}

/// Packs septets into octets after `fill` padding bits.
pub fn pack7(septets: &[u8], fill: usize) -> Vec<u8> {
    let total_bits = fill + septets.len() * 7;
    let mut out = vec![0u8; total_bits.div_ceil(8)];
    for (i, &s) in septets.iter().enumerate() {
        let bit = fill + i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        let v = (s as u16 & 0x7F) << shift;
        out[byte] |= v as u8;
        if shift > 1 {
            out[byte + 1] |= (v >> 8) as u8;
        }
    }
    out
}

/// Unpacks `count` septets from octets after `fill` padding bits.
pub fn unpack7(bytes: &[u8], count: usize, fill: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let bit = fill + i * 7;
        let (byte, shift) = (bit / 8, bit % 8);
        let lo = *bytes.get(byte).unwrap_or(&0) as u16;
        let hi = *bytes.get(byte + 1).unwrap_or(&0) as u16;
        out.push((((hi << 8 | lo) >> shift) & 0x7F) as u8);
    }
    out
}

/// Text → UCS2 (UTF-16 big-endian) octets.
pub fn ucs2_encode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

/// UCS2 octets → text (lossy on broken surrogates).
pub fn ucs2_decode(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Upper-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

/// The alphabet a text travels in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alphabet {
    Gsm7,
    Ucs2,
}

/// One part of a (possibly concatenated) message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub alphabet: Alphabet,
    /// `(reference, total, sequence)` when the text needed several parts.
    pub concat: Option<(u16, u8, u8)>,
    /// The reference is 16-bit (IEI 08) rather than 8-bit (IEI 00).
    pub wide_reference: bool,
    /// Type of address of the originator when not the plain 0x81/0x91
    /// (the carriers send their short codes as 0xA0 / 0xA1).
    pub sender_toa: Option<u8>,
    /// TP-SRI set (the carriers' service replies set it).
    pub report_indication: bool,
}

impl Segment {
    /// A part with the defaults of `segments` (8-bit reference, plain
    /// address, no status-report indication).
    pub fn plain(text: String, alphabet: Alphabet, concat: Option<(u16, u8, u8)>) -> Segment {
        Segment {
            text,
            alphabet,
            concat,
            wide_reference: false,
            sender_toa: None,
            report_indication: false,
        }
    }
}

/// Splits a text into SMS parts: GSM 7-bit when every character allows it
/// (160 septets, 153 per part when concatenated), UCS2 otherwise (70
/// characters, 67 per part). Escapes and surrogate pairs are never split.
pub fn segments(text: &str, reference: u8) -> Vec<Segment> {
    let (alphabet, single, part) = if gsm7_encode(text).is_some() {
        (Alphabet::Gsm7, 160, 153)
    } else {
        (Alphabet::Ucs2, 70, 67)
    };
    let cost = |c: char| match alphabet {
        Alphabet::Gsm7 => gsm7_encode(&c.to_string()).map_or(1, |v| v.len()),
        Alphabet::Ucs2 => c.len_utf16(),
    };
    let total: usize = text.chars().map(cost).sum();
    if total <= single {
        return vec![Segment::plain(text.to_string(), alphabet, None)];
    }
    let mut parts: Vec<String> = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let n = cost(c);
        if used + n > part {
            parts.push(String::new());
            used = 0;
        }
        parts.last_mut().expect("non-empty").push(c);
        used += n;
    }
    let count = parts.len().min(255) as u8;
    parts
        .into_iter()
        .take(255)
        .enumerate()
        .map(|(i, text)| {
            Segment::plain(text, alphabet, Some((reference as u16, count, i as u8 + 1)))
        })
        .collect()
}

/// An address field (length in digits, type, swapped BCD).
pub fn encode_address(number: &str) -> Vec<u8> {
    let (toa, digits) = match number.strip_prefix('+') {
        Some(d) => (0x91u8, d),
        None => (0x81u8, number),
    };
    let digits: Vec<u8> = digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    let mut out = vec![digits.len() as u8, toa];
    out.extend(swapped_bcd(&digits));
    out
}

fn swapped_bcd(digits: &[u8]) -> Vec<u8> {
    digits
        .chunks(2)
        .map(|p| p[0] | (p.get(1).copied().unwrap_or(0xF) << 4))
        .collect()
}

/// The SMSC information field (length in octets, type, swapped BCD).
pub fn encode_smsc(number: &str) -> Vec<u8> {
    let a = encode_address(number);
    let mut out = vec![(a.len() - 1) as u8];
    out.extend_from_slice(&a[1..]);
    out
}

/// A service-centre time stamp: local time fields and the offset in
/// quarter hours (23.040 §9.2.3.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scts {
    pub year: u8,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub quarters: i8,
}

impl Scts {
    fn encode(&self) -> [u8; 7] {
        let sw = |v: u8| ((v % 10) << 4) | (v / 10 % 10);
        let q = self.quarters.unsigned_abs();
        let mut tz = sw(q);
        if self.quarters < 0 {
            tz |= 0x08;
        }
        [
            sw(self.year),
            sw(self.month),
            sw(self.day),
            sw(self.hour),
            sw(self.minute),
            sw(self.second),
            tz,
        ]
    }
}

/// Encodes an SMS-DELIVER. Returns the hex PDU (SMSC field first) and the
/// TPDU length in octets (the `<length>` of `+CMGR`/`+CMGL`).
pub fn deliver(smsc: &str, originator: &str, ts: &Scts, seg: &Segment) -> (String, usize) {
    let mut tpdu = Vec::with_capacity(160);
    let mut first = 0x04u8; // SMS-DELIVER, no more messages waiting
    if seg.concat.is_some() {
        first |= 0x40; // TP-UDHI
    }
    if seg.report_indication {
        first |= 0x20; // TP-SRI
    }
    tpdu.push(first);
    let mut address = encode_address(originator);
    if let Some(toa) = seg.sender_toa {
        address[1] = toa;
    }
    tpdu.extend(address);
    tpdu.push(0x00); // TP-PID
    tpdu.push(match seg.alphabet {
        Alphabet::Gsm7 => 0x00,
        Alphabet::Ucs2 => 0x08,
    });
    tpdu.extend(ts.encode());
    let udh: Vec<u8> = match seg.concat {
        Some((r, n, i)) if seg.wide_reference => {
            let [hi, lo] = r.to_be_bytes();
            vec![0x06, 0x08, 0x04, hi, lo, n, i]
        }
        Some((r, n, i)) => vec![0x05, 0x00, 0x03, r as u8, n, i],
        None => Vec::new(),
    };
    match seg.alphabet {
        Alphabet::Gsm7 => {
            let septets = gsm7_encode(&seg.text).unwrap_or_default();
            let header_septets = (udh.len() * 8).div_ceil(7);
            let fill = header_septets * 7 - udh.len() * 8;
            tpdu.push((header_septets + septets.len()) as u8);
            tpdu.extend(&udh);
            tpdu.extend(pack7(&septets, fill));
        }
        Alphabet::Ucs2 => {
            let body = ucs2_encode(&seg.text);
            tpdu.push((udh.len() + body.len()) as u8);
            tpdu.extend(&udh);
            tpdu.extend(body);
        }
    }
    let mut all = encode_smsc(smsc);
    let len = tpdu.len();
    all.extend(tpdu);
    (to_hex(&all), len)
}

/// A decoded SMS-SUBMIT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Submit {
    pub reference: u8,
    pub destination: String,
    pub text: String,
    /// `(reference, total, sequence)` from a concatenation header.
    pub concat: Option<(u16, u8, u8)>,
}

/// Why a PDU was refused (`+CMS ERROR: 304`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid PDU: {0}")]
pub struct PduError(pub &'static str);

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, PduError> {
        let v = *self.b.get(self.i).ok_or(PduError("truncated"))?;
        self.i += 1;
        Ok(v)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], PduError> {
        let s = self
            .b
            .get(self.i..self.i + n)
            .ok_or(PduError("truncated"))?;
        self.i += n;
        Ok(s)
    }
}

/// Decodes an SMS-SUBMIT given as hex with its SMSC field; `tpdu_len` is
/// the length given to `AT+CMGS=<length>` and must match.
pub fn parse_submit(hex_text: &str, tpdu_len: usize) -> Result<Submit, PduError> {
    let bytes = hex::decode(hex_text.trim()).map_err(|_| PduError("not hexadecimal"))?;
    let mut r = Reader { b: &bytes, i: 0 };
    let smsc_len = r.byte()? as usize;
    r.take(smsc_len)?;
    if bytes.len() - r.i != tpdu_len {
        return Err(PduError("length does not match AT+CMGS"));
    }
    let first = r.byte()?;
    if first & 0x03 != 0x01 {
        return Err(PduError("not an SMS-SUBMIT"));
    }
    let reference = r.byte()?;
    let destination = read_destination(&mut r)?;
    let _pid = r.byte()?;
    let dcs = r.byte()?;
    match (first >> 3) & 0x03 {
        0 => {}
        2 => {
            r.byte()?;
        }
        _ => {
            r.take(7)?;
        }
    }
    let udl = r.byte()? as usize;
    let ud = &bytes[r.i..];
    let alphabet = dcs_alphabet(dcs)?;
    let (udh_len, concat) = if first & 0x40 != 0 {
        let l = *ud.first().ok_or(PduError("missing header"))? as usize;
        let h = ud.get(1..1 + l).ok_or(PduError("truncated header"))?;
        (l + 1, concat_of(h))
    } else {
        (0, None)
    };
    let text = decode_user_data(ud, udl, udh_len, alphabet)?;
    Ok(Submit {
        reference,
        destination,
        text,
        concat,
    })
}

/// TP-DA: digit count, type of address, BCD digits (swapped nibbles);
/// an international number gets its `+`.
fn read_destination(r: &mut Reader<'_>) -> Result<String, PduError> {
    let da_digits = r.byte()? as usize;
    if da_digits > 20 {
        return Err(PduError("destination too long"));
    }
    let toa = r.byte()?;
    let da_bytes = r.take(da_digits.div_ceil(2))?;
    let mut destination = String::new();
    if toa & 0x70 == 0x10 {
        destination.push('+');
    }
    for (i, b) in da_bytes.iter().enumerate() {
        for (k, nib) in [b & 0x0F, b >> 4].into_iter().enumerate() {
            if i * 2 + k < da_digits {
                if nib > 9 {
                    return Err(PduError("bad digit in destination"));
                }
                destination.push((b'0' + nib) as char);
            }
        }
    }
    Ok(destination)
}

/// The text of TP-UD after a user-data header of `udh_len` bytes: `udl`
/// counts septets in the GSM alphabet (header included), octets otherwise.
fn decode_user_data(
    ud: &[u8],
    udl: usize,
    udh_len: usize,
    alphabet: u8,
) -> Result<String, PduError> {
    if alphabet == 0 {
        if ud.len() < (udl * 7).div_ceil(8) {
            return Err(PduError("user data shorter than its length"));
        }
        let hs = (udh_len * 8).div_ceil(7);
        let fill = hs * 7 - udh_len * 8;
        let count = udl
            .checked_sub(hs)
            .ok_or(PduError("user data length too small"))?;
        return Ok(gsm7_decode(&unpack7(&ud[udh_len..], count, fill)));
    }
    let body = ud
        .get(udh_len..udl)
        .ok_or(PduError("user data shorter than its length"))?;
    if alphabet == 2 {
        if body.len() % 2 != 0 {
            return Err(PduError("odd UCS2 length"));
        }
        Ok(ucs2_decode(body))
    } else {
        Ok(String::from_utf8_lossy(body).into_owned())
    }
}

/// 0 = GSM 7-bit, 1 = 8-bit data, 2 = UCS2 (23.038 §4).
fn dcs_alphabet(dcs: u8) -> Result<u8, PduError> {
    match dcs >> 4 {
        0x0..=0x7 => match (dcs >> 2) & 0x03 {
            3 => Err(PduError("reserved alphabet")),
            a => Ok(a),
        },
        0xF => Ok(if dcs & 0x04 != 0 { 1 } else { 0 }),
        0xC | 0xD => Ok(0),
        0xE => Ok(2),
        _ => Err(PduError("unsupported coding scheme")),
    }
}

/// The concatenation element of a user-data header (8- or 16-bit reference).
fn concat_of(mut h: &[u8]) -> Option<(u16, u8, u8)> {
    while h.len() >= 2 {
        let (iei, l) = (h[0], h[1] as usize);
        let v = h.get(2..2 + l)?;
        match (iei, l) {
            (0x00, 3) => return Some((v[0] as u16, v[1], v[2])),
            (0x08, 4) => return Some((u16::from_be_bytes([v[0], v[1]]), v[2], v[3])),
            _ => {}
        }
        h = &h[2 + l..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    // The classic vectors of the GSM 03.40 tutorials: "hellohello" packed.
    #[test]
    fn packs_septets_like_the_published_vector() {
        let s = gsm7_encode("hellohello").unwrap();
        assert_eq!(to_hex(&pack7(&s, 0)), "E8329BFD4697D9EC37");
        assert_eq!(gsm7_decode(&unpack7(&pack7(&s, 0), 10, 0)), "hellohello");
    }

    #[test]
    fn decodes_a_published_submit() {
        // SMS-SUBMIT to +46708251358, "hellohello", no SMSC given.
        let s = parse_submit("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", 23).unwrap();
        assert_eq!(s.destination, "+46708251358");
        assert_eq!(s.text, "hellohello");
        assert_eq!(s.concat, None);
        assert!(parse_submit("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", 22).is_err());
        assert!(parse_submit("00110", 3).is_err());
        assert!(parse_submit("zz", 0).is_err());
    }

    #[test]
    fn encodes_a_deliver_like_the_published_vector() {
        // 07 91 7283010010F5 | 04 | 0B 91 7238880900F1 ... with a plain
        // international originator: the layout of the tutorial vector.
        let ts = Scts {
            year: 99,
            month: 3,
            day: 29,
            hour: 15,
            minute: 16,
            second: 59,
            quarters: 32,
        };
        let seg = segments("hellohello", 0).remove(0);
        let (pdu, len) = deliver("+27381000015", "+27838890001", &ts, &seg);
        assert_eq!(
            pdu,
            "07917283010010F5040B917238880900F10000993092516195230AE8329BFD4697D9EC37"
        );
        assert_eq!(len, 28);
    }

    // SMS-SUBMITs as python-gsmmodem's encoder writes them (national TOA
    // 0xA1, relative validity period, 8-bit concatenation references).
    #[test]
    fn decodes_submits_of_another_implementation() {
        let s = parse_submit("00210505A10110F0000004432C9309", 14).unwrap();
        assert_eq!(
            (s.destination.as_str(), s.text.as_str(), s.reference),
            ("10010", "CXLL", 5)
        );
        let p1 = "00610605A10180F600088C05000306020167E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D41";
        let p2 = "00610605A10180F600082005000306020291CF67E58BE26D4191CF67E58BE26D4191CF67E58BE26D4191CF";
        let a = parse_submit(p1, 150).unwrap();
        let b = parse_submit(p2, 42).unwrap();
        assert_eq!(a.concat, Some((6, 2, 1)));
        assert_eq!(b.concat, Some((6, 2, 2)));
        assert_eq!(format!("{}{}", a.text, b.text), "查询流量".repeat(20));
        let g1 = "00610705A10180F60000A0050003070201C2E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3";
        let g2 = "00610705A10180F6000036050003070202C2E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E03";
        let a = parse_submit(g1, 150).unwrap();
        let b = parse_submit(g2, 58).unwrap();
        assert_eq!(format!("{}{}", a.text, b.text), "a".repeat(200));
    }

    #[test]
    fn extension_characters_take_two_septets() {
        assert_eq!(gsm7_encode("€[").unwrap(), vec![0x1B, 0x65, 0x1B, 0x3C]);
        assert_eq!(gsm7_decode(&[0x1B, 0x65, 0x41]), "€A");
        assert!(gsm7_encode("流量").is_none());
    }

    #[test]
    fn splits_long_texts() {
        let zh = "流".repeat(140);
        let parts = segments(&zh, 9);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].text.chars().count(), 67);
        assert_eq!(parts[2].concat, Some((9, 3, 3)));
        let one = segments(&"流".repeat(70), 1);
        assert_eq!(one.len(), 1);
        let latin = segments(&"a".repeat(161), 2);
        assert_eq!(latin.len(), 2);
        assert_eq!(latin[0].text.len(), 153);
        // An escape pair is never split.
        let esc = format!("{}€", "a".repeat(152));
        let parts = segments(&format!("{esc}{}", "b".repeat(10)), 3);
        assert_eq!(parts[0].text, "a".repeat(152));
    }

    #[test]
    fn concatenated_parts_round_trip_through_submit_layout() {
        let ts = Scts {
            year: 26,
            month: 11,
            day: 24,
            hour: 10,
            minute: 0,
            second: 0,
            quarters: 32,
        };
        let text = "流".repeat(100);
        let parts = segments(&text, 7);
        let mut joined = String::new();
        for p in &parts {
            let (pdu, len) = deliver("+8613800100500", "10010", &ts, p);
            let bytes = hex::decode(&pdu).unwrap();
            assert_eq!(bytes.len() - 1 - bytes[0] as usize, len);
            // UDH right after UDL: 05 00 03 ref total seq.
            let ud_start = 1 + bytes[0] as usize + 1 + 1 + 1 + 3 + 1 + 1 + 7 + 1;
            assert_eq!(
                &bytes[ud_start..ud_start + 6],
                &[5, 0, 3, 7, 2, p.concat.unwrap().2]
            );
            joined.push_str(&ucs2_decode(&bytes[ud_start + 6..]));
        }
        assert_eq!(joined, text);
    }

    #[test]
    fn gsm7_concatenated_deliver_matches_the_submit_layout() {
        // The same packing as the third-party SUBMIT above: header 6 octets,
        // one fill bit, 153 septets.
        let ts = Scts {
            year: 26,
            month: 11,
            day: 24,
            hour: 10,
            minute: 0,
            second: 0,
            quarters: 32,
        };
        let parts = segments(&"a".repeat(200), 7);
        let (pdu, _) = deliver("+8613800100500", "10086", &ts, &parts[0]);
        let g1 = "A0050003070201C2E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3E170381C0E87C3";
        assert!(pdu.ends_with(g1), "{pdu}");
    }

    #[test]
    fn gsm7_with_header_is_padded_to_a_septet_boundary() {
        let s = gsm7_encode("hello").unwrap();
        let packed = pack7(&s, 1);
        assert_eq!(gsm7_decode(&unpack7(&packed, 5, 1)), "hello");
    }
}
