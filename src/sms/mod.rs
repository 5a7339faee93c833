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

pub mod format;
pub mod forms;
pub mod ivr;
pub mod notices;
pub mod numbers;
pub mod parts;
pub mod profile;
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
/// carrier's SMS service number and the card's profile lets it answer.
/// Fixture command tables (`[dialects.sms.<carrier>.commands] CXLL = "data"`)
/// extend the built-in one; the reply form is the default real form of the
/// command word unless the fixture selects another (`profile.rs`), and a
/// fixture template (`[dialects.sms.<carrier>.templates]`) replaces the
/// simulator's own texts.
pub fn answer(world: &World, card: &Card, to: &str, text: &str) -> Option<String> {
    if numbers::normalise_number(to) != numbers::sms_number(card.carrier) {
        return None;
    }
    let cmd = numbers::normalise_command(text);
    let settings = replies::carrier_settings(world, card.carrier);
    let custom = settings
        .as_ref()
        .and_then(|v| v.get("commands"))
        .and_then(|c| {
            c.as_object().and_then(|m| {
                m.iter()
                    .find(|(k, _)| numbers::normalise_command(k) == cmd)
                    .and_then(|(_, v)| v.as_str().and_then(numbers::Query::parse))
            })
        });
    let query = custom.or_else(|| numbers::lookup(card.carrier, &cmd));
    let family = query.map(|q| q.template()).unwrap_or("help");
    let form = match profile::behaviour(world, card) {
        profile::Behaviour::None => return None,
        profile::Behaviour::Menu => profile::form_for(world, card, "", "help"),
        profile::Behaviour::AppLink => profile::form_for(world, card, "", "app_link"),
        _ if query.is_none() => profile::form_for(world, card, "", "help"),
        _ => profile::form_for(world, card, &cmd, family),
    };
    // A fixture template for the query (`data`, `balance`...) replaces the
    // form, as before real forms existed.
    let key = match form.family {
        "usage_list" | "package_balance" => family,
        f => f,
    };
    let overridden = settings
        .as_ref()
        .and_then(|v| v.get("templates"))
        .is_some_and(|t| t.get(key).is_some());
    match form.render {
        _ if overridden => replies::reply(world, &card.iccid, key),
        forms::Render::Text(render) => {
            profile::figures(world, &card.iccid).map(|(_, f)| render(&f))
        }
        forms::Render::Template(name) => replies::reply(world, &card.iccid, name),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_fleet_answers_with_the_real_form() {
        let fx = crate::fixture::default_fixture();
        let iccid = fx
            .cards
            .iter()
            .find(|c| c.account == "cucc-demo")
            .unwrap()
            .iccid
            .clone();
        let world = World::new(fx);
        let card = world.card(&iccid).unwrap();
        let text = answer(&world, &card, "10010", "CXLL").unwrap();
        assert!(text.starts_with("尊敬的用户：截止"), "{text}");
    }
}
