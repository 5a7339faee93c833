//! The multi-part shape of the carriers' SMSC, as decoded PDUs of real
//! 10010, 10001 and 10086 replies show it (XXXXzzzz000/ModemManager
//! `src/tests/test-sms-part-3gpp.c`, 2021; FUjr/QModem issue #124, 2025;
//! openLuat/LuatOS demo logs, 2025): UCS-2 always; a reply of more than 70
//! characters is cut into parts of **65** characters (not the 67 allowed),
//! mid-word; the concatenation header carries an 8-bit reference (Unicom
//! and Telecom 2021) or a 16-bit one (Mobile 2021, Unicom 2025); the first
//! part arrives about 2 s after the query and the next ones 5 s (Unicom),
//! 1 s (Telecom) or 0 s (Mobile) apart, on the simulated clock. The sender
//! is the bare short code, type of address 0xA0 (10010) or 0xA1 (10001,
//! 10086); the first octet sets "no more messages" and the status-report
//! indication (0x24 single, 0x64 with a header).
//!
//! Every channel (AT modem, SMPP, HTTP handset) cuts a service-number
//! message the same way, with a reference derived from the message id, so
//! they agree. Per card, account or carrier the fixture may change it:
//!
//! ```toml
//! [dialects.sms.cucc]
//! parts = { reference_bits = 16, gap_seconds = 5, first_delay_seconds = 2, chars_per_part = 65, real_delays = false }
//! ```

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::numbers;
use crate::domain::card::Message;
use crate::domain::{Card, Carrier};
use crate::world::World;

/// Longest text sent as one part (UCS-2 units).
pub const SINGLE_PART: usize = 70;

/// How a carrier's SMSC cuts and paces a long reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// UCS-2 units in each non-final part.
    pub chars_per_part: usize,
    /// 8 or 16.
    pub reference_bits: u8,
    /// From the query to the first part.
    pub first_delay: SignedDuration,
    /// Between consecutive parts.
    pub gap: SignedDuration,
    /// Devices see the delays in real time too (modem, SMPP).
    pub real_delays: bool,
}

impl Shape {
    /// What the 2021 PDUs show per carrier.
    pub fn of(carrier: Carrier) -> Shape {
        let (bits, gap) = match carrier {
            Carrier::Cmcc => (16, 0),
            Carrier::Cucc => (8, 5),
            Carrier::Ctcc => (8, 1),
        };
        Shape {
            chars_per_part: 65,
            reference_bits: bits,
            first_delay: SignedDuration::from_secs(2),
            gap: SignedDuration::from_secs(gap),
            real_delays: false,
        }
    }

    /// Applies a fixture `parts` table.
    fn apply(mut self, v: &Value) -> Shape {
        let secs = |k: &str| v.get(k).and_then(Value::as_f64);
        if let Some(n) = v.get("chars_per_part").and_then(Value::as_u64) {
            self.chars_per_part = (n as usize).clamp(1, 67);
        }
        if let Some(b) = v.get("reference_bits").and_then(Value::as_u64) {
            self.reference_bits = if b == 16 { 16 } else { 8 };
        }
        if let Some(s) = secs("first_delay_seconds") {
            self.first_delay = SignedDuration::from_millis((s.clamp(0.0, 3600.0) * 1000.0) as i64);
        }
        if let Some(s) = secs("gap_seconds") {
            self.gap = SignedDuration::from_millis((s.clamp(0.0, 3600.0) * 1000.0) as i64);
        }
        if let Some(b) = v.get("real_delays").and_then(Value::as_bool) {
            self.real_delays = b;
        }
        self
    }
}

/// The shape for a card (fixture `parts`, most specific scope first).
pub fn shape(world: &World, card: &Card) -> Shape {
    let base = Shape::of(card.carrier);
    match super::profile::setting(world, card, "parts") {
        Some(v) => base.apply(&v),
        None => base,
    }
}

/// One part as the SMSC sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub text: String,
    /// `(reference, total, sequence)` when the text needed several parts.
    pub concat: Option<(u16, u8, u8)>,
    /// The reference is 16-bit (IEI 08) rather than 8-bit (IEI 00).
    pub wide_reference: bool,
    /// Service-centre time stamp of this part.
    pub time: Timestamp,
    /// Delay of this part after the query.
    pub after: SignedDuration,
}

/// Cuts `text` like the SMSC: one part up to 70 UCS-2 units, else parts of
/// `chars_per_part` units (surrogate pairs kept whole). `id` gives the
/// reference, `sent` the query's time.
pub fn split(text: &str, shape: &Shape, id: u64, sent: Timestamp) -> Vec<Part> {
    let units: usize = text.chars().map(char::len_utf16).sum();
    let mut chunks: Vec<String> = Vec::new();
    if units <= SINGLE_PART {
        chunks.push(text.to_string());
    } else {
        let mut cur = String::new();
        let mut used = 0;
        for c in text.chars() {
            if used + c.len_utf16() > shape.chars_per_part {
                chunks.push(std::mem::take(&mut cur));
                used = 0;
            }
            cur.push(c);
            used += c.len_utf16();
        }
        chunks.push(cur);
    }
    chunks.truncate(255);
    let total = chunks.len() as u8;
    let reference = if shape.reference_bits == 16 {
        (id % 0xFFFF) as u16 + 1
    } else {
        (id % 0xFF) as u16 + 1
    };
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, text)| {
            let after = shape.first_delay + shape.gap * i as i32;
            Part {
                text,
                concat: (total > 1).then_some((reference, total, i as u8 + 1)),
                wide_reference: shape.reference_bits == 16,
                time: sent.checked_add(after).unwrap_or(sent),
                after,
            }
        })
        .collect()
}

/// Whether a number is one of the carriers' service numbers (their
/// messages travel in the SMSC's real shape).
pub fn is_service_number(number: &str) -> bool {
    let n = numbers::normalise_number(number);
    Carrier::ALL
        .iter()
        .any(|c| n == numbers::sms_number(*c) || n == numbers::voice_number(*c))
}

/// Type of address of a service number's sender in the real PDUs: 0xA0
/// for 10010, 0xA1 for 10001 and 10086.
pub fn sender_toa(number: &str) -> u8 {
    if numbers::normalise_number(number) == "10010" {
        0xA0
    } else {
        0xA1
    }
}

/// The parts of a message a card received from a service number, as the
/// carrier's SMSC sends them; `None` for other messages (each channel cuts
/// those its own way).
pub fn of_message(world: &World, card: &Card, m: &Message) -> Option<Vec<Part>> {
    if m.direction != "mt" || !is_service_number(&m.peer) {
        return None;
    }
    Some(split(&m.text, &shape(world, card), m.id, m.time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::forms::tests as s;

    fn parts(text: &str, c: Carrier) -> Vec<String> {
        split(text, &Shape::of(c), 7, Timestamp::UNIX_EPOCH)
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    #[test]
    fn cuts_like_the_real_pdus() {
        // 10086, 2021: two parts, cut "…具体以详单为" | "准。…".
        let p = parts(s::CMCC_2021_PDU, Carrier::Cmcc);
        assert_eq!(p.len(), 2);
        assert!(
            p[0].ends_with("具体以详单为") && p[1].starts_with("准。"),
            "{p:?}"
        );
        // 10010, 2021: four parts, cut "…已使" | "用70.00MB…" | "…回复“" | "2082”…" | "点" | "击 http…".
        let p = parts(s::CUCC_2021_PDU, Carrier::Cucc);
        assert_eq!(p.len(), 4);
        assert!(
            p[0].ends_with("已使") && p[1].starts_with("用70.00MB"),
            "{p:?}"
        );
        assert!(
            p[1].ends_with("回复“") && p[2].starts_with("2082”"),
            "{p:?}"
        );
        assert!(p[2].ends_with("点") && p[3] == "击 http://u.10010.cn/khddx ，马上拥有】");
        // 10001, 2021: the balance in two parts, "…赠送费用余额" | "为0.00。感谢您的使用！".
        let p = parts(s::CTCC_2021_BALANCE, Carrier::Ctcc);
        assert_eq!(p[1], "为0.00。感谢您的使用！");
        // The enterprise data reply fits one part.
        assert_eq!(parts(s::CTCC_2021_DATA, Carrier::Ctcc).len(), 1);
        for t in [s::CMCC_2021_PDU, s::CUCC_2021_PDU, s::CTCC_2021_BALANCE] {
            let p = parts(t, Carrier::Cucc);
            assert!(p[..p.len() - 1]
                .iter()
                .all(|x| x.encode_utf16().count() == 65));
            assert_eq!(p.concat(), t);
        }
    }

    #[test]
    fn references_and_times_per_carrier() {
        let t0 = Timestamp::from_second(1_600_000_000).unwrap();
        let u = split(s::CUCC_2021_PDU, &Shape::of(Carrier::Cucc), 300, t0);
        // 8-bit reference: 300 % 255 + 1.
        assert_eq!(u[0].concat, Some((46, 4, 1)));
        assert!(!u[0].wide_reference);
        // Unicom: 2 s to the first part, 5 s between parts.
        let secs: Vec<i64> = u
            .iter()
            .map(|p| p.time.as_second() - t0.as_second())
            .collect();
        assert_eq!(secs, [2, 7, 12, 17]);
        let m = split(s::CMCC_2021_PDU, &Shape::of(Carrier::Cmcc), 300, t0);
        assert_eq!(m[1].concat, Some((301, 2, 2)));
        assert!(m[1].wide_reference);
        assert_eq!(m[1].time, m[0].time);
        let t = split(s::CTCC_2021_BALANCE, &Shape::of(Carrier::Ctcc), 300, t0);
        assert_eq!(t[1].time.as_second() - t[0].time.as_second(), 1);
        assert_eq!(sender_toa("10010"), 0xA0);
        assert_eq!(sender_toa("10086"), 0xA1);
        assert!(is_service_number("+8610001") && !is_service_number("1065000000"));
    }
}
