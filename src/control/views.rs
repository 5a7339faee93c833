//! JSON views of the world for the `/_sim` admin API. These shapes are a
//! public contract (test suites in other languages script against them):
//! see `docs/admin-api.md`. Times are RFC 3339 with the +08:00 offset.

use serde_json::{json, Value};

use crate::clock::rfc3339;
use crate::domain::{Account, Card, Event, LedgerEntry, Plan, Pool};

fn time(t: Option<jiff::Timestamp>) -> Value {
    t.map(|t| Value::String(rfc3339(t))).unwrap_or(Value::Null)
}

/// A card in a list.
pub fn card_summary(c: &Card) -> Value {
    json!({
        "iccid": c.iccid,
        "imsi": c.imsi,
        "msisdn": c.msisdn,
        "imei": c.imei,
        "carrier": c.carrier,
        "account": c.account,
        "state": c.state,
        "reasons": c.reasons,
        "plan": c.plan,
        "pool": c.pool,
        "usage": {
            "data_bytes": c.usage.data_bytes,
            "sms": c.usage.sms,
            "voice_seconds": c.usage.voice_seconds,
        },
        "balance_fen": c.balance_fen,
        "expires": time(c.expires),
        "activated": time(c.activated),
        "opened": time(c.opened.into()),
        "cancel_at": time(c.cancel_at),
        "auto_stop": c.auto_stop,
        "data_cut": c.reasons.contains(crate::domain::Reason::DataCut),
        "threshold": c.threshold.map(|t| json!({
            "quota_bytes": t.quota_bytes,
            "beyond_plan": t.beyond_plan,
            "reached": t.reached,
        })),
        "speed_limit": c.speed_limit,
        "speed_limit_kbps": c.speed_limit_kbps,
        "real_name": c.real_name,
        "online": c.session.online,
        "tags": c.tags,
    })
}

/// The full neutral view of one card, with ledger and event history.
pub fn card_detail(c: &Card) -> Value {
    let mut v = card_summary(c);
    let o = v.as_object_mut().expect("object");
    o.insert(
        "session".into(),
        json!({
            "online": c.session.online,
            "apn": c.session.apn,
            "ip": c.session.ip,
            "rat": c.session.rat,
            "started": time(c.session.started),
            "ended": time(c.session.ended),
            "sessions_this_cycle": c.session.sessions_this_cycle,
            "lat": c.session.lat,
            "lon": c.session.lon,
            "city": c.session.city,
        }),
    );
    o.insert(
        "addons".into(),
        c.addons
            .iter()
            .map(|a| {
                json!({"id": a.id, "name": a.name, "data_bytes": a.data_bytes, "price_fen": a.price_fen,
                "effective": rfc3339(crate::clock::cycle_start(a.cycle_from))})
            })
            .collect(),
    );
    o.insert(
        "pending_renewal_months".into(),
        json!(c.pending_renewal_months),
    );
    o.insert("cycle".into(), json!(crate::clock::cycle_label(c.cycle)));
    o.insert("updated".into(), time(Some(c.updated)));
    o.insert(
        "daily_usage".into(),
        crate::domain::usage::daily(c)
            .iter()
            .map(|(d, u)| json!({"date": crate::clock::day_date(*d).to_string(), "data_bytes": u.data_bytes, "sms": u.sms, "voice_seconds": u.voice_seconds}))
            .collect(),
    );
    o.insert("ledger".into(), c.ledger.iter().map(ledger_entry).collect());
    o.insert("opening_balance_fen".into(), json!(c.opening_balance_fen));
    o.insert("events".into(), c.events.iter().map(event).collect());
    o.insert("attrs".into(), json!(c.attrs));
    v
}

/// A cycle's usage: totals, then each day with usage and its 24 hours.
pub fn cycle_usage(c: &Card, cycle: i32) -> Value {
    use crate::domain::usage;
    let in_cycle =
        |d: i32| crate::clock::cycle_of(usage::hour_start(usage::first_hour_of_day(d))) == cycle;
    let total = c.usage_in(cycle);
    let days: Vec<Value> = usage::daily(c)
        .iter()
        .filter(|(d, _)| in_cycle(*d))
        .map(|(d, u)| {
            let mut day = json!({"date": crate::clock::day_date(*d).to_string(), "data_bytes": u.data_bytes, "sms": u.sms, "voice_seconds": u.voice_seconds});
            if usage::hours_known(c, *d) {
                day["hours"] = json!(usage::hourly(c, *d));
            }
            day
        })
        .collect();
    json!({
        "iccid": c.iccid,
        "cycle": crate::clock::cycle_label(cycle),
        "data_bytes": total.data_bytes,
        "sms": total.sms,
        "voice_seconds": total.voice_seconds,
        "days": days,
    })
}

pub fn ledger_entry(e: &LedgerEntry) -> Value {
    json!({
        "time": rfc3339(e.time),
        "kind": e.kind,
        "amount_fen": e.amount_fen,
        "balance_fen": e.balance_fen,
        "note": e.note,
    })
}

/// An event: `{"seq","time","iccid","account","type",...payload}`.
pub fn event(e: &Event) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("time".into(), Value::String(rfc3339(e.time)));
        for key in ["effective", "expires"] {
            if let Some(Value::String(s)) = o.get(key) {
                if let Ok(ts) = s.parse::<jiff::Timestamp>() {
                    o.insert(key.into(), Value::String(rfc3339(ts)));
                }
            }
        }
    }
    v
}

pub fn account(a: &Account) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "carrier": a.carrier,
        "credentials": a.credentials,
        "balance_fen": a.balance_fen,
        "customer_no": a.customer_no,
    })
}

pub fn plan(p: &Plan) -> Value {
    serde_json::to_value(p).unwrap_or(Value::Null)
}

pub fn pool(p: &Pool, cycle: i32) -> Value {
    json!({
        "id": p.id, "name": p.name, "account": p.account, "carrier": p.carrier,
        "data_bytes": p.data_bytes, "used_bytes": p.used_in(cycle), "exhausted": p.exhausted && p.cycle >= cycle,
    })
}
