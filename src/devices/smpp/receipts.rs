//! Delivery receipts: the customary text (`id:... sub:... dlvrd:... submit
//! date:... done date:... stat:... err:... text:...`, dates `YYMMDDhhmm`
//! in Beijing time on the simulated clock) sent as a deliver_sm with
//! esm_class 0x04 and the `receipted_message_id` / `message_state` TLVs,
//! and the rule for when a receipt is due (`registered_delivery`).

use jiff::Timestamp;

use super::codes::{tlv, MessageState};
use super::pdu::{Address, Sm, Tlv};

/// What a receipt reports about one message.
#[derive(Clone, Debug)]
pub struct Receipt {
    pub message_id: String,
    pub state: MessageState,
    pub err: u16,
    pub submitted: Timestamp,
    pub done: Timestamp,
    /// The first characters of the message.
    pub text: String,
    /// The ESME's source address (the receipt's destination).
    pub esme_addr: String,
    /// The card's number (the receipt's source).
    pub card_addr: String,
}

/// Whether `registered_delivery` asks for a receipt in this final state
/// (bits 0-1: 1 = always, 2 = on failure only).
pub fn wanted(registered_delivery: u8, state: MessageState) -> bool {
    match registered_delivery & 0x03 {
        1 => true,
        2 => state != MessageState::Delivered,
        _ => false,
    }
}

/// Characters of the original kept in `text:`.
const TEXT_CHARS: usize = 20;

/// The receipt text.
pub fn text(r: &Receipt) -> String {
    let dlvrd = if r.state == MessageState::Delivered {
        1
    } else {
        0
    };
    let excerpt: String = r
        .text
        .chars()
        .take(TEXT_CHARS)
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    format!(
        "id:{} sub:001 dlvrd:{:03} submit date:{} done date:{} stat:{} err:{:03} text:{}",
        r.message_id,
        dlvrd,
        crate::clock::fmt_local(r.submitted, "%y%m%d%H%M"),
        crate::clock::fmt_local(r.done, "%y%m%d%H%M"),
        r.state.stat(),
        r.err,
        excerpt
    )
}

/// The receipt as a deliver_sm body.
pub fn deliver_sm(r: &Receipt) -> Sm {
    let mut id = r.message_id.as_bytes().to_vec();
    id.push(0);
    Sm {
        source: Address {
            ton: 1,
            npi: 1,
            addr: r.card_addr.clone(),
        },
        dest: Address::new(&r.esme_addr),
        esm_class: 0x04,
        short_message: text(r).into_bytes(),
        tlvs: vec![
            Tlv {
                tag: tlv::RECEIPTED_MESSAGE_ID,
                value: id,
            },
            Tlv {
                tag: tlv::MESSAGE_STATE,
                value: vec![r.state as u8],
            },
        ],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_text_has_the_customary_fields() {
        let t: Timestamp = "2026-11-24T02:00:00Z".parse().unwrap();
        let r = Receipt {
            message_id: "42".into(),
            state: MessageState::Delivered,
            err: 0,
            submitted: t,
            done: t,
            text: "hello 你好".into(),
            esme_addr: "1065000000".into(),
            card_addr: "14700000001".into(),
        };
        assert_eq!(
            text(&r),
            "id:42 sub:001 dlvrd:001 submit date:2611241000 done date:2611241000 stat:DELIVRD err:000 text:hello ??"
        );
        let sm = deliver_sm(&r);
        assert_eq!(sm.esm_class, 4);
        assert_eq!(sm.tlvs[1].value, vec![2]);
    }

    #[test]
    fn registered_delivery_bits() {
        assert!(!wanted(0, MessageState::Expired));
        assert!(wanted(1, MessageState::Delivered));
        assert!(!wanted(2, MessageState::Delivered));
        assert!(wanted(2, MessageState::Undeliverable));
    }
}
