//! Short-message content: text by `data_coding` (0 GSM 7-bit default
//! alphabet unpacked, 1 IA5, 3 Latin-1, 8 UCS2, binary as hex), the three
//! ways a long message arrives in parts (UDH concatenation, `sar_*` TLVs,
//! one `message_payload`), the reassembly of parts into one message for the
//! card, SMPP time strings (`schedule_delivery_time`, `validity_period`),
//! and the encoding of texts sent to an ESME.

use std::collections::HashMap;

use jiff::{civil, tz, SignedDuration, Timestamp};

use super::codes::{dcs, status, tlv};
use super::pdu::{find_tlv, Tlv};
use crate::devices::modem::pdu as gsm;

/// Which part of a long message this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    pub reference: u16,
    pub total: u8,
    pub seq: u8,
}

/// Message octets with the UDH (if `esm_class` says there is one) split off.
/// `Err` when the UDH is longer than the message.
pub fn split_udh(esm_class: u8, sm: &[u8]) -> Result<(Option<Part>, &[u8]), u32> {
    if esm_class & 0x40 == 0 {
        return Ok((None, sm));
    }
    let udhl = *sm.first().ok_or(status::ESME_RINVESMCLASS)? as usize;
    let udh = sm.get(1..1 + udhl).ok_or(status::ESME_RINVESMCLASS)?;
    let rest = &sm[1 + udhl..];
    let mut i = 0;
    let mut part = None;
    while i + 2 <= udh.len() {
        let (iei, len) = (udh[i], udh[i + 1] as usize);
        let data = udh
            .get(i + 2..i + 2 + len)
            .ok_or(status::ESME_RINVESMCLASS)?;
        match (iei, len) {
            (0x00, 3) => {
                part = Some(Part {
                    reference: data[0] as u16,
                    total: data[1],
                    seq: data[2],
                })
            }
            (0x08, 4) => {
                part = Some(Part {
                    reference: u16::from_be_bytes([data[0], data[1]]),
                    total: data[2],
                    seq: data[3],
                })
            }
            _ => {}
        }
        i += 2 + len;
    }
    Ok((part, rest))
}

/// The part named by `sar_msg_ref_num` / `sar_total_segments` /
/// `sar_segment_seqnum`, when all three are present.
pub fn sar_part(tlvs: &[Tlv]) -> Result<Option<Part>, u32> {
    let r = find_tlv(tlvs, tlv::SAR_MSG_REF_NUM);
    let t = find_tlv(tlvs, tlv::SAR_TOTAL_SEGMENTS);
    let s = find_tlv(tlvs, tlv::SAR_SEGMENT_SEQNUM);
    match (r, t, s) {
        (None, None, None) => Ok(None),
        (Some(r), Some(t), Some(s)) if r.len() == 2 && t.len() == 1 && s.len() == 1 => {
            Ok(Some(Part {
                reference: u16::from_be_bytes([r[0], r[1]]),
                total: t[0],
                seq: s[0],
            }))
        }
        (Some(_), Some(_), Some(_)) => Err(status::ESME_RINVPARLEN),
        _ => Err(status::ESME_RMISSINGOPTPARAM),
    }
}

/// The message octets: `message_payload` when present (then
/// `short_message` must be empty), else `short_message`.
pub fn payload<'a>(short_message: &'a [u8], tlvs: &'a [Tlv]) -> Result<&'a [u8], u32> {
    match find_tlv(tlvs, tlv::MESSAGE_PAYLOAD) {
        Some(_) if !short_message.is_empty() => Err(status::ESME_RINVMSGLEN),
        Some(p) => Ok(p),
        None => Ok(short_message),
    }
}

/// Octets → text by data_coding.
pub fn decode(data_coding: u8, bytes: &[u8]) -> String {
    match data_coding {
        dcs::GSM7 => gsm::gsm7_decode(bytes),
        dcs::IA5 => bytes.iter().map(|&b| (b & 0x7F) as char).collect(),
        dcs::LATIN1 => bytes.iter().map(|&b| b as char).collect(),
        dcs::UCS2 => gsm::ucs2_decode(bytes),
        // Message class / data coding group 1111: bit 2 chooses 8-bit.
        dc if dc & 0xF0 == 0xF0 && dc & 0x04 == 0 => gsm::gsm7_decode(bytes),
        // General data coding group with the UCS2 alphabet bits.
        dc if dc & 0xC0 == 0 && dc & 0x0C == 0x08 => gsm::ucs2_decode(bytes),
        _ => gsm::to_hex(bytes),
    }
}

/// Text → (data_coding, octets) for a deliver_sm: GSM 7-bit when every
/// character is in the default alphabet, UCS2 otherwise.
pub fn encode(text: &str) -> (u8, Vec<u8>) {
    match gsm::gsm7_encode(text) {
        Some(septets) => (dcs::GSM7, septets),
        None => (dcs::UCS2, gsm::ucs2_encode(text)),
    }
}

/// Parts of long messages waiting for their siblings.
#[derive(Default)]
pub struct Reassembly {
    pending: HashMap<PartKey, Pending>,
    order: std::collections::VecDeque<PartKey>,
}

/// Parts belong together when the account, both addresses, the reference
/// and the total agree.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct PartKey {
    pub account: String,
    pub source: String,
    pub dest: String,
    pub reference: u16,
    pub total: u8,
}

struct Pending {
    data_coding: u8,
    parts: Vec<Option<Vec<u8>>>,
    tags: Vec<u64>,
}

/// A whole message: its text and the tags (message ids) of its parts.
#[derive(Debug, PartialEq, Eq)]
pub struct Whole {
    pub text: String,
    pub tags: Vec<u64>,
}

/// Most messages waiting for parts at once; the oldest is dropped beyond.
const PENDING_CAP: usize = 10_000;

impl Reassembly {
    /// Adds a part (`seq` 1-based); returns the whole message once every
    /// part arrived. A repeated part replaces the earlier one.
    pub fn add(
        &mut self,
        key: PartKey,
        seq: u8,
        data_coding: u8,
        bytes: &[u8],
        tag: u64,
    ) -> Option<Whole> {
        let total = key.total as usize;
        if !self.pending.contains_key(&key) {
            if self.order.len() >= PENDING_CAP {
                if let Some(old) = self.order.pop_front() {
                    self.pending.remove(&old);
                }
            }
            self.order.push_back(key.clone());
        }
        let p = self.pending.entry(key.clone()).or_insert_with(|| Pending {
            data_coding,
            parts: vec![None; total],
            tags: Vec::new(),
        });
        p.parts[(seq as usize - 1).min(total - 1)] = Some(bytes.to_vec());
        p.tags.push(tag);
        if p.parts.iter().any(|x| x.is_none()) {
            return None;
        }
        let p = self.pending.remove(&key)?;
        self.order.retain(|k| k != &key);
        let all: Vec<u8> = p.parts.into_iter().flatten().flatten().collect();
        Some(Whole {
            text: decode(p.data_coding, &all),
            tags: p.tags,
        })
    }

    /// Whether a part with this tag is still waiting (for cancel_sm).
    pub fn forget(&mut self, tag: u64) -> bool {
        let key = self
            .pending
            .iter()
            .find(|(_, p)| p.tags.contains(&tag))
            .map(|(k, _)| k.clone());
        match key {
            Some(k) => {
                self.pending.remove(&k);
                self.order.retain(|x| x != &k);
                true
            }
            None => false,
        }
    }
}

/// Checks a part's numbers: `total` ≥ 1 and `1 ≤ seq ≤ total`.
pub fn valid_part(p: &Part) -> bool {
    p.total >= 1 && p.seq >= 1 && p.seq <= p.total
}

/// A time string that is not in the SMPP format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTime;

/// An SMPP time string (`YYMMDDhhmmsstnnp`): absolute (`+`/`-` with the
/// offset from UTC in quarter hours) or relative to `now` (`R`). Empty →
/// `None`.
pub fn parse_time(s: &str, now: Timestamp) -> Result<Option<Timestamp>, BadTime> {
    if s.is_empty() {
        return Ok(None);
    }
    let b = s.as_bytes();
    if b.len() != 16 || !b[..15].iter().all(u8::is_ascii_digit) {
        return Err(BadTime);
    }
    let n = |i: usize| ((b[i] - b'0') as i64) * 10 + (b[i + 1] - b'0') as i64;
    match b[15] {
        b'R' => {
            let secs = n(0) * 365 * 86_400
                + n(2) * 30 * 86_400
                + n(4) * 86_400
                + n(6) * 3600
                + n(8) * 60
                + n(10);
            now.checked_add(SignedDuration::from_secs(secs))
                .map(Some)
                .map_err(|_| BadTime)
        }
        sign @ (b'+' | b'-') => {
            let dt = civil::DateTime::new(
                2000 + n(0) as i16,
                n(2) as i8,
                n(4) as i8,
                n(6) as i8,
                n(8) as i8,
                n(10) as i8,
                (b[12] - b'0') as i32 * 100_000_000,
            )
            .map_err(|_| BadTime)?;
            let quarters = n(13) as i32 * if sign == b'-' { -1 } else { 1 };
            let offset = tz::Offset::from_seconds(quarters * 900).map_err(|_| BadTime)?;
            offset.to_timestamp(dt).map(Some).map_err(|_| BadTime)
        }
        _ => Err(BadTime),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udh_8_and_16_bit_references() {
        let sm = [5, 0, 3, 0x2A, 2, 1, b'h', b'i'];
        let (p, rest) = split_udh(0x40, &sm).unwrap();
        assert_eq!(
            p,
            Some(Part {
                reference: 0x2A,
                total: 2,
                seq: 1
            })
        );
        assert_eq!(rest, b"hi");
        let sm = [6, 8, 4, 0x01, 0x02, 3, 3];
        let (p, rest) = split_udh(0x40, &sm).unwrap();
        assert_eq!(p.unwrap().reference, 0x0102);
        assert!(rest.is_empty());
        assert!(split_udh(0x40, &[9, 0]).is_err());
        assert_eq!(split_udh(0, b"x").unwrap(), (None, &b"x"[..]));
    }

    #[test]
    fn codings_decode() {
        assert_eq!(decode(0, &[0x48, 0x00, 0x1B, 0x65]), "H@€");
        assert_eq!(decode(3, &[0xE9]), "é");
        assert_eq!(decode(8, &[0x4F, 0x60, 0x59, 0x7D]), "你好");
        assert_eq!(decode(4, &[0xAB]), "AB");
        assert_eq!(encode("hi").0, 0);
        assert_eq!(encode("你好"), (8, vec![0x4F, 0x60, 0x59, 0x7D]));
    }

    #[test]
    fn parts_reassemble_in_any_order() {
        let key = PartKey {
            account: "a".into(),
            source: "s".into(),
            dest: "d".into(),
            reference: 1,
            total: 2,
        };
        let mut r = Reassembly::default();
        assert!(r.add(key.clone(), 2, 8, &[0x59, 0x7D], 2).is_none());
        let w = r.add(key, 1, 8, &[0x4F, 0x60], 1).unwrap();
        assert_eq!(w.text, "你好");
        assert_eq!(w.tags, vec![2, 1]);
    }

    #[test]
    fn smpp_times() {
        let now: Timestamp = "2026-11-24T02:00:00Z".parse().unwrap();
        let rel = parse_time("000001000000000R", now).unwrap().unwrap();
        assert_eq!(rel, "2026-11-25T02:00:00Z".parse().unwrap());
        let abs = parse_time("261124100000032+", now).unwrap().unwrap();
        assert_eq!(abs, "2026-11-24T02:00:00Z".parse().unwrap());
        assert_eq!(parse_time("", now), Ok(None));
        assert!(parse_time("garbage", now).is_err());
        assert!(parse_time("261399100000032+", now).is_err());
    }
}
