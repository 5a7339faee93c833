//! Admin-made entities go through the fixture's own format, validation
//! and builder, so an account, plan, pool or card created over `/_sim`
//! obeys the same rules as one loaded from a fixture; patches merge over
//! the entity's JSON; edits of non-card entities are journaled here.

use compact_str::CompactString;
use serde_json::{json, Map, Value};

use super::{bad, ApiError};
use crate::domain::{Account, Event, EventKind, Plan};
use crate::fixture::Fixture;
use crate::world::World;

/// Journals an edit of something that is not a card (account, plan, pool).
pub fn journal_edit(world: &World, account: &str, field: String, from: String, to: String) {
    world.journal.append(vec![Event {
        seq: 0,
        time: world.now(),
        iccid: CompactString::default(),
        account: account.into(),
        kind: EventKind::Edited {
            field: field.into(),
            from,
            to,
            forced: false,
            by: "admin".into(),
        },
    }]);
}

/// Builds entities from fixture-format specs with the fixture's own
/// validation and builder, on top of the world's current accounts and plans.
pub fn build_from_specs(world: &World, extra: Value) -> Result<crate::fixture::Built, ApiError> {
    let mut fx = json!({
        "start": world.now().to_string(),
        "accounts": world.accounts().iter().map(account_spec).collect::<Vec<_>>(),
        "plans": world.store.plans.iter().map(|p| plan_spec(&p)).collect::<Vec<_>>(),
        "pools": world.store.pools.iter().map(|p| json!({"id": p.id, "name": p.name, "account": p.account, "data": p.data_bytes})).collect::<Vec<_>>(),
    });
    if let (Some(o), Value::Object(e)) = (fx.as_object_mut(), extra) {
        for (k, v) in e {
            match o.get_mut(&k).and_then(Value::as_array_mut) {
                Some(arr) => arr.extend(v.as_array().cloned().unwrap_or_default()),
                None => {
                    o.insert(k, v);
                }
            }
        }
    }
    let text = fx.to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    let fx: Fixture = serde_path_to_error::deserialize(de)
        .map_err(|e| bad(format!("{}: {}", e.path(), e.inner())))?;
    let problems = crate::fixture::validate(&fx);
    if let Some(p) = problems.first() {
        return Err(bad(p.to_string()));
    }
    Ok(crate::fixture::build(&fx))
}

pub fn account_spec(a: &Account) -> Value {
    let mut v = json!({"id": a.id, "name": a.name, "carrier": a.carrier, "credentials": a.credentials, "customer_no": a.customer_no});
    if let Some(b) = a.balance_fen {
        v["balance_fen"] = json!(b);
    }
    v
}

pub fn plan_spec(p: &Plan) -> Value {
    json!({
        "id": p.id, "name": p.name, "carrier": p.carrier, "data": p.data_bytes, "sms": p.sms,
        "voice_minutes": p.voice_seconds / 60, "monthly_fee_fen": p.monthly_fee_fen,
        "term_months": p.term_months, "overage_fen_per_mb": p.overage_fen_per_mb,
        "renewal_fee_fen": p.renewal_fee_fen, "renewal_effect": p.renewal_effect,
        "test_data": p.test_data_bytes, "offer_id": p.offer_id,
    })
}

/// Merges a JSON patch (top-level keys) over an entity's JSON; the id stays.
pub fn merged<T: serde::Serialize + serde::de::DeserializeOwned>(
    current: &T,
    patch: Map<String, Value>,
) -> Result<T, ApiError> {
    let mut v = serde_json::to_value(current).map_err(|e| bad(e.to_string()))?;
    let o = v.as_object_mut().expect("entities are objects");
    for (k, val) in patch {
        if k == "id" {
            return Err(bad("'id' cannot be changed"));
        }
        if !o.contains_key(&k) && !val.is_null() {
            return Err(bad(format!("unknown field '{k}'")));
        }
        o.insert(k, val);
    }
    let text = v.to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| bad(format!("{}: {}", e.path(), e.inner())))
}

pub fn need_id(m: &Map<String, Value>) -> Result<String, ApiError> {
    m.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| bad("missing 'id'"))
}
