//! SMS service operations (`/ws/service/Sms`): `SendSMS` delivers a
//! mobile-terminated message to the card (the same inbox the REST dialect,
//! modems and handsets see) and `GetSMSDetails` reads messages by id; plus
//! the `Echo` service. Text is at most 160 characters, as the platform's
//! error table states (`500500`).

use base64::Engine as _;

use super::faults::{Fault, FaultKind};
use super::{finish, need, owned_terminal, respond, xdatetime, Call, OpResult};
use crate::carriers::cucc::devices::msisdn;
use crate::carriers::cucc::sms::DEFAULT_SENDER;
use crate::domain::card::Message;
use crate::domain::Card;

/// Longest SMS text the platform accepts.
const MAX_TEXT: usize = 160;
/// Most ids per `GetSMSDetails` request.
const MAX_IDS: usize = 50;

/// Whether `messageTextEncoding` asks for BASE64 (`BASE64`, `BASE64_IRA`,
/// ...); the `LITERAL` family and an empty value mean plain text.
fn is_base64(encoding: Option<&str>) -> Result<bool, Fault> {
    match encoding.map(str::trim).unwrap_or("") {
        "" => Ok(false),
        e if e == "LITERAL" || e.starts_with("LITERAL_") => Ok(false),
        e if e == "BASE64" || e.starts_with("BASE64_") => Ok(true),
        other => Err(Fault::Validation(format!(
            "cvc-enumeration-valid: messageTextEncoding '{other}' is not LITERAL or BASE64"
        ))),
    }
}

/// `SendSMS` (attribute `messageTextEncoding?`): `sentToIccid`,
/// `messageText`, `tpvp?` → `smsMsgId`.
pub fn send_sms(call: &Call) -> OpResult {
    let r = call.request;
    let base64 = is_base64(r.attr("messageTextEncoding"))?;
    let id = owned_terminal(call, need(r, "sentToIccid")?)?;
    if let Some(v) = r.text_of("tpvp") {
        if v.parse::<u8>().is_err() {
            return Err(Fault::Validation(format!(
                "cvc-datatype-valid.1.2.1: '{v}' is not a valid value for 'unsignedByte'"
            )));
        }
    }
    let raw = r.child("messageText").map_or("", |m| m.text.as_str());
    if raw.is_empty() {
        return Err(Fault::new(FaultKind::SmsTextNull, "messageText is empty"));
    }
    let text = if base64 {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw.trim())
            .map_err(|e| Fault::new(FaultKind::SmsDecoding, format!("messageText: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| Fault::new(FaultKind::SmsDecoding, "messageText is not UTF-8"))?;
        if text.is_empty() {
            return Err(Fault::new(FaultKind::SmsTextNull, "decoded text is empty"));
        }
        text
    } else {
        raw.to_string()
    };
    let n = text.chars().count();
    if n > MAX_TEXT {
        return Err(Fault::new(
            FaultKind::SmsTooLong,
            format!("messageText has {n} characters"),
        ));
    }
    let world = call.world();
    let state = world.read_card(&id, |c| c.state);
    if !state.is_some_and(super::terminal::reachable) {
        return Err(Fault::new(
            FaultKind::SimNotActive,
            format!("SIM {id} cannot receive SMS in its state"),
        ));
    }
    let sender = world
        .account(&call.caller.account)
        .and_then(|a| {
            a.credentials
                .smpp
                .and_then(|s| s.short_codes.into_iter().next())
        })
        .unwrap_or_else(|| DEFAULT_SENDER.to_string());
    let msg = world
        .deliver_to_card(&id, &sender, &text)
        .map_err(|e| Fault::new(FaultKind::SimNotActive, e.to_string()))?;
    let mut o = respond(call, "SendSMS");
    o.leaf("smsMsgId", &msg.id.to_string());
    finish(o, "SendSMS")
}

/// A message of a card with its type (`MT` inbox, `MO` outbox).
fn find(card: &Card, id: u64) -> Option<(&'static str, &Message)> {
    card.inbox
        .iter()
        .map(|m| ("MT", m))
        .chain(card.outbox.iter().map(|m| ("MO", m)))
        .find(|(_, m)| m.id == id)
}

/// `GetSMSDetails` (attribute `messageTextEncoding?`): `smsMsgIds/smsMsgId+`
/// → `smsMessages/smsMessage*`; ids of other accounts or unknown ids are
/// left out.
pub fn get_sms_details(call: &Call) -> OpResult {
    let r = call.request;
    let base64 = is_base64(r.attr("messageTextEncoding"))?;
    let mut ids = Vec::new();
    for m in r
        .child("smsMsgIds")
        .into_iter()
        .flat_map(|w| w.all("smsMsgId"))
    {
        let v = m.text.trim();
        ids.push(v.parse::<u64>().map_err(|_| {
            Fault::Validation(format!(
                "cvc-datatype-valid.1.2.1: '{v}' is not a valid value for 'long'"
            ))
        })?);
    }
    if ids.len() > MAX_IDS {
        return Err(Fault::new(
            FaultKind::TooManyEntries,
            format!("{} smsMsgIds given; at most {MAX_IDS}", ids.len()),
        ));
    }
    let world = call.world();
    let cards = crate::carriers::cucc::account_cards(world, &call.caller.account);
    let mut o = respond(call, "GetSMSDetails");
    o.open("smsMessages");
    for id in ids {
        let Some((card, (kind, m))) = cards.iter().find_map(|c| find(c, id).map(|f| (c, f))) else {
            continue;
        };
        let text = if base64 {
            base64::engine::general_purpose::STANDARD.encode(m.text.as_bytes())
        } else {
            m.text.clone()
        };
        let date = xdatetime(m.time);
        o.open("smsMessage");
        o.leaf("smsMsgId", &m.id.to_string());
        if kind == "MT" {
            o.leaf("status", "Delivered");
            o.leaf("messageText", &text);
            o.leaf("senderLogin", &call.caller.username);
            o.leaf("sentToIccid", &card.iccid);
            o.leaf("sentFrom", &m.peer);
            o.leaf("smsMsgAttemptStatus", "DeliverAckReceivedStatusSuccessful");
            o.leaf("msgType", "MT");
        } else {
            o.leaf("status", "Received");
            o.leaf("messageText", &text);
            o.leaf("senderLogin", "Mobile Device");
            o.leaf("sentToIccid", &card.iccid);
            o.leaf("sentFrom", &msisdn(card));
            o.leaf("msgType", "MO");
        }
        o.leaf("dateSent", &date);
        o.leaf("dateReceived", &date);
        o.leaf("dateAdded", &date);
        o.leaf("dateModified", &date);
        o.close("smsMessage");
    }
    o.close("smsMessages");
    finish(o, "GetSMSDetails")
}

/// `Echo`: `value` → the same `value` (no credentials needed).
pub fn echo(call: &Call) -> OpResult {
    let value = call.request.child("value").map_or("", |v| v.text.as_str());
    let mut o = super::respond_bare(call, "Echo");
    o.leaf("value", value);
    finish(o, "Echo")
}
