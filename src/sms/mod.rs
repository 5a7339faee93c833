//! The carriers' service numbers as a card's user reaches them: SMS
//! commands to 10086 / 10010 / 10001 answered from the live world, USSD
//! menus and voice (IVR) menus. Front ends — the HTTP virtual handset
//! (`control::handsets`) and the AT modem (`devices::modem`) — call `send_sms`,
//! `ussd::*` and `ivr::*`; they never compute replies themselves.
//!
//! What a card may do depends on its state (see `access` and `docs/sms.md`):
//! cancelled and inventory cards are off the network (no send, no reply);
//! cards stopped for arrears, expiry or by hand are barred but can still
//! reach their own carrier's service numbers; a card stopped only for data
//! (over quota, data cut) keeps SMS and voice.

pub mod ivr;
pub mod numbers;
pub mod replies;
pub mod ussd;

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use compact_str::CompactString;
use parking_lot::Mutex;

use crate::domain::card::Message;
use crate::domain::{Card, CardState, Reason};
use crate::world::{OpError, World};

/// What the network lets a card do with SMS and voice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Registered, every destination.
    Full,
    /// Barred: only its own carrier's service numbers.
    ServiceOnly,
    /// Not on the network at all.
    None,
}

/// The access a card has in its current state.
pub fn access(card: &Card) -> Access {
    match card.state {
        CardState::Cancelled | CardState::Inventory => Access::None,
        CardState::PreCancel => Access::ServiceOnly,
        CardState::Suspended => {
            let data_only = card
                .reasons
                .iter()
                .all(|r| matches!(r, Reason::OverQuota | Reason::DataCut));
            if data_only {
                Access::Full
            } else {
                Access::ServiceOnly
            }
        }
        CardState::Active | CardState::TestReady | CardState::ActivationReady => Access::Full,
    }
}

/// Why an SMS could not be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("card not found")]
    NotFound,
    #[error("the card is not on the network ({0}): it can neither send nor receive")]
    OffNetwork(&'static str),
    #[error("the card is barred ({0}): only its carrier's service numbers can be reached")]
    Barred(&'static str),
    #[error("SMS is switched off for this card")]
    SmsDisabled,
    #[error("empty destination number")]
    NoDestination,
}

/// A short name of the card's state for error texts.
fn state_word(card: &Card) -> &'static str {
    if card.reasons.contains(Reason::Arrears) {
        "arrears"
    } else if card.state == CardState::PreCancel || card.reasons.contains(Reason::Expired) {
        "expired"
    } else if card.reasons.contains(Reason::Manual) {
        "manual stop"
    } else {
        card.state.as_str()
    }
}

/// Checks that a card may send to `to` right now.
pub fn check_send(card: &Card, to: &str) -> Result<(), SendError> {
    if to.trim().is_empty() {
        return Err(SendError::NoDestination);
    }
    match access(card) {
        Access::None => Err(SendError::OffNetwork(card.state.as_str())),
        _ if !card.sms_enabled => Err(SendError::SmsDisabled),
        Access::ServiceOnly if !numbers::is_service_number(card.carrier, to) => {
            Err(SendError::Barred(state_word(card)))
        }
        _ => Ok(()),
    }
}

/// The text a service number answers a command with, if `to` is the card's
/// carrier's SMS service number. Fixture command tables
/// (`[dialects.sms.<carrier>.commands] CXLL = "data"`) extend the built-in one.
pub fn answer(world: &World, card: &Card, to: &str, text: &str) -> Option<String> {
    if numbers::normalise_number(to) != numbers::sms_number(card.carrier) {
        return None;
    }
    let cmd = numbers::normalise_command(text);
    let custom = replies::carrier_settings(world, card.carrier)
        .and_then(|v| v.get("commands").cloned())
        .and_then(|c| {
            c.as_object().and_then(|m| {
                m.iter()
                    .find(|(k, _)| numbers::normalise_command(k) == cmd)
                    .and_then(|(_, v)| v.as_str().and_then(numbers::Query::parse))
            })
        });
    let name = custom
        .or_else(|| numbers::lookup(card.carrier, &cmd))
        .map(|q| q.template())
        .unwrap_or("help");
    replies::reply(world, &card.iccid, name)
}

/// A card sends an SMS: it is recorded (usage, journal, the message feed
/// SMPP listens to); a command to the card's service number is answered by
/// delivering the reply to the card. Returns the replies delivered.
pub fn send_sms(
    world: &World,
    iccid: &str,
    to: &str,
    text: &str,
) -> Result<Vec<Message>, SendError> {
    let card = world.card(iccid).ok_or(SendError::NotFound)?;
    check_send(&card, to)?;
    let to_n = numbers::normalise_number(to);
    world
        .record_sent_by_card(iccid, &to_n, text)
        .map_err(|e| map_op(e, &card))?;
    let Some(reply) = answer(world, &card, &to_n, text) else {
        return Ok(Vec::new());
    };
    let from = numbers::sms_number(card.carrier);
    Ok(world
        .deliver_to_card(iccid, from, &reply)
        .into_iter()
        .collect())
}

fn map_op(e: OpError, card: &Card) -> SendError {
    match e {
        OpError::NotFound => SendError::NotFound,
        _ => SendError::OffNetwork(card.state.as_str()),
    }
}

/// A modem offered on a pseudo-terminal.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PtyModem {
    pub iccid: String,
    pub msisdn: String,
    pub path: String,
}

/// Per-world state of the service numbers: open USSD sessions and calls,
/// and the modems offered on pseudo-terminals.
#[derive(Default)]
pub struct SmsState {
    pub ussd: Mutex<HashMap<CompactString, ussd::Session>>,
    pub calls: Mutex<HashMap<CompactString, ivr::Call>>,
    pub ptys: Mutex<Vec<PtyModem>>,
    /// Address of the TCP modem listener, once bound.
    pub modem_tcp: Mutex<Option<std::net::SocketAddr>>,
}

type Registry = Mutex<Vec<(Weak<World>, Arc<SmsState>)>>;

static REGISTRY: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Default::default);

/// The service-number state of a world (created on first use, dropped
/// with the world).
pub fn state(world: &Arc<World>) -> Arc<SmsState> {
    let mut reg = REGISTRY.lock();
    reg.retain(|(w, _)| w.strong_count() > 0);
    let weak = Arc::downgrade(world);
    if let Some((_, s)) = reg.iter().find(|(w, _)| w.ptr_eq(&weak)) {
        return s.clone();
    }
    let s = Arc::new(SmsState::default());
    reg.push((weak, s.clone()));
    s
}
