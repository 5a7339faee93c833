//! Per-card choices of how the service numbers answer, from the fixture,
//! most specific first:
//!
//! ```toml
//! [dialects.sms.cards."89860112345678901234"]   # one card
//! forms = { CXLL = "cmcc-data-2017-anhui" }
//! [dialects.sms.accounts.cucc-demo]              # every card of an account
//! behaviour = "none"
//! [dialects.sms.cucc]                            # every card of a carrier
//! forms = { "1071" = { year = 2017 } }
//! [dialects.sms]                                 # everybody
//! forms = "simulated"
//! ```
//!
//! Keys: `forms` (which reply form answers a query word or a family, see
//! `forms.rs`), `behaviour` (`reply`, `none`, `menu`, `app_link`,
//! `enterprise`), and the multi-part, USSD and notice switches documented in
//! `docs/sms.md`.

use serde_json::Value;

use super::forms::{self, Figures, Form};
use crate::domain::{Card, Carrier};
use crate::world::World;

/// A setting for a card: card table, account table, carrier table, then
/// the top `[dialects.sms]` table.
pub fn setting(world: &World, card: &Card, key: &str) -> Option<Value> {
    let fx = world.fixture();
    let sms = fx.dialects.sms.as_ref()?;
    let scoped = |table: &str, id: &str| {
        sms.get(table)
            .and_then(|t| t.get(id))
            .and_then(|t| t.get(key))
            .cloned()
    };
    scoped("cards", &card.iccid)
        .or_else(|| scoped("accounts", &card.account))
        .or_else(|| {
            sms.get(card.carrier.as_str())
                .and_then(|t| t.get(key))
                .cloned()
        })
        .or_else(|| sms.get(key).cloned())
}

/// What the service number does with a query from this card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Answer with the selected form.
    Reply,
    /// No reply at all (IoT cards the SMS hall does not serve).
    None,
    /// Answer every query with the menu / unknown-command reply.
    Menu,
    /// Answer with a text that only gives an app link.
    AppLink,
    /// Telecom enterprise cards: the masked company greeting forms.
    Enterprise,
}

impl Behaviour {
    fn parse(s: &str) -> Behaviour {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "no_reply" | "silent" => Behaviour::None,
            "menu" | "unknown" => Behaviour::Menu,
            "app_link" | "link" => Behaviour::AppLink,
            "enterprise" => Behaviour::Enterprise,
            _ => Behaviour::Reply,
        }
    }
}

/// The behaviour selected for a card.
pub fn behaviour(world: &World, card: &Card) -> Behaviour {
    setting(world, card, "behaviour")
        .and_then(|v| v.as_str().map(Behaviour::parse))
        .unwrap_or(Behaviour::Reply)
}

/// A form chosen by a selection value: an id, `"simulated"` (the
/// simulator's own text for the query), or a table
/// `{ year = 2017, province = "anhui" }` among the carrier's forms of the
/// family.
fn chosen(carrier: Carrier, family: &str, query: &str, v: &Value) -> Option<&'static Form> {
    match v {
        Value::String(s) if s.eq_ignore_ascii_case("simulated") => {
            forms::find(carrier, query, Some(0), None)
        }
        Value::String(s) => forms::by_id(s),
        Value::Object(o) => {
            let year = o.get("year").and_then(Value::as_u64).map(|y| y as u16);
            let province = o.get("province").and_then(Value::as_str);
            forms::find(carrier, family, year, province)
        }
        _ => None,
    }
}

/// The form answering `command` (normalised), a query of `query` (`data`,
/// `balance`, `package`, `help`, `app_link`), for a card.
pub fn form_for(world: &World, card: &Card, command: &str, query: &str) -> &'static Form {
    let default = forms::default_form(card.carrier, command, query);
    let family = default.family;
    let selected = setting(world, card, "forms").and_then(|sel| match &sel {
        Value::Object(m) => m
            .iter()
            .find(|(k, _)| super::numbers::normalise_command(k) == command)
            .or_else(|| m.iter().find(|(k, _)| k.as_str() == family))
            .and_then(|(_, v)| chosen(card.carrier, family, query, v)),
        // One value for every query: only where it fits.
        other => chosen(card.carrier, family, query, other)
            .filter(|f| f.family == family || f.family == query),
    });
    let by_behaviour = match behaviour(world, card) {
        Behaviour::Enterprise if card.carrier == Carrier::Ctcc => match family {
            "data" => forms::by_id("ctcc-data-2021-enterprise"),
            "balance" => forms::by_id("ctcc-balance-2021-enterprise"),
            _ => None,
        },
        _ => None,
    };
    selected.or(by_behaviour).unwrap_or(default)
}

/// A card's live figures at the simulated now (its quota or its pool's).
pub fn figures(world: &World, iccid: &str) -> Option<(Card, Figures)> {
    let card = world.card(iccid)?;
    let plan = world.plan(&card.plan)?;
    let quota = crate::engine::quota_of(&world.store, &card, &plan);
    let customer = world
        .account(&card.account)
        .map(|a| a.name)
        .unwrap_or_default();
    let f = Figures::of_card(&card, &plan, &quota, &customer, world.now());
    Some((card, f))
}
