//! Builders for the domain's unit tests: a card and a plan made from JSON
//! on top of a small base (serde's defaults fill every other field, so a
//! new `Card` field needs no change here), and instants written as text.
//! The base mirrors the rule tests' fixture (`tests/common`): a 1 GB plan at
//! 10 yuan a month, a 12-month term, 2 fen per started MB of overage and a
//! 120-yuan renewal; a card with 100 yuan in its balance on 2026-11-24.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::card::Card;
use super::plan::{Plan, RenewalEffect};

/// The instant the base card lives at: 2026-11-24 10:00 Shanghai time.
pub const NOW: &str = "2026-11-24T10:00:00+08:00";

/// An instant from RFC 3339 text.
pub fn at(text: &str) -> Timestamp {
    crate::clock::parse_time(text).unwrap_or_else(|| panic!("bad time {text}"))
}

fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// The 1 GB plan with the given renewal effect; `extra` overrides fields.
pub fn plan_with(effect: RenewalEffect, extra: Value) -> Plan {
    let base = json!({
        "id": "p1g",
        "name": "1GB",
        "carrier": "cmcc",
        "data_bytes": 1024u64 * 1024 * 1024,
        "monthly_fee_fen": 1000,
        "term_months": 12,
        "overage_fen_per_mb": 2,
        "renewal_fee_fen": 12000,
        "renewal_effect": effect,
    });
    serde_json::from_value(merged(base, extra)).expect("test plan")
}

/// The 1 GB plan with the given renewal effect.
pub fn plan(effect: RenewalEffect) -> Plan {
    plan_with(effect, json!({}))
}

/// An active card in the cycle of [`NOW`], valid until 2027-06-01, with
/// 100 yuan; `extra` overrides fields (`state`, `reasons`, `balance_fen`,
/// `expires`, ...). The opening balance follows `balance_fen`.
pub fn card(extra: Value) -> Card {
    let now = at(NOW);
    let base = json!({
        "iccid": "89860000000000000019",
        "imsi": "460040000000001",
        "msisdn": "1440000000001",
        "carrier": "cmcc",
        "account": "ec",
        "plan": "p1g",
        "state": "active",
        "balance_fen": 10_000,
        "opened": "2026-01-01T00:00:00+08:00",
        "activated": "2026-01-01T00:00:00+08:00",
        "expires": "2027-06-01T00:00:00+08:00",
        "cycle": crate::clock::cycle_of(now),
        "synced": now,
        "updated": now,
    });
    let mut card: Card = serde_json::from_value(merged(base, extra)).expect("test card");
    card.opening_balance_fen = card.balance_fen;
    card
}
