//! Entity edits on the admin plane: create, patch and delete accounts,
//! plans, pools and cards, and bulk operations on cards chosen by a
//! selector. Every card edit goes through the domain rules (a refusal is a
//! 409 naming the rule and changes nothing) and is recorded as an `edited`
//! event; `"force": true` sets impossible states through
//! `lifecycle::force_state`, and the events say `forced`. Input is checked
//! completely before anything changes.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use compact_str::CompactString;
use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::{bad, find, json_body, not_found, views, ApiError, ApiResult, ControlState};
use crate::clock::parse_time;
use crate::domain::lifecycle::DomainError;
use crate::domain::{Account, CardState, Event, EventKind, Plan, Pool, Reason, ReasonSet};
use crate::fixture::Fixture;
use crate::world::{CardFilter, Flag, Meter, World};

fn conflict(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::CONFLICT, msg.into())
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// Journals an edit of something that is not a card (account, plan, pool).
fn journal_edit(world: &World, account: &str, field: String, from: String, to: String) {
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
fn build_from_specs(world: &World, extra: Value) -> Result<crate::fixture::Built, ApiError> {
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

fn account_spec(a: &Account) -> Value {
    let mut v = json!({"id": a.id, "name": a.name, "carrier": a.carrier, "credentials": a.credentials, "customer_no": a.customer_no});
    if let Some(b) = a.balance_fen {
        v["balance_fen"] = json!(b);
    }
    v
}

fn plan_spec(p: &Plan) -> Value {
    json!({
        "id": p.id, "name": p.name, "carrier": p.carrier, "data": p.data_bytes, "sms": p.sms,
        "voice_minutes": p.voice_seconds / 60, "monthly_fee_fen": p.monthly_fee_fen,
        "term_months": p.term_months, "overage_fen_per_mb": p.overage_fen_per_mb,
        "renewal_fee_fen": p.renewal_fee_fen, "renewal_effect": p.renewal_effect,
        "test_data": p.test_data_bytes, "offer_id": p.offer_id,
    })
}

/// Merges a JSON patch (top-level keys) over an entity's JSON; the id stays.
fn merged<T: serde::Serialize + serde::de::DeserializeOwned>(
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

fn need_id(m: &Map<String, Value>) -> Result<String, ApiError> {
    m.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| bad("missing 'id'"))
}

// ---- accounts ----

pub async fn account_create(
    State(s): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let id = need_id(&m)?;
    if s.world.account(&id).is_some() {
        return Err(conflict(format!("account {id} already exists")));
    }
    let built = build_from_specs(&s.world, json!({"accounts": [Value::Object(m)]}))?;
    let a = built
        .accounts
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| bad("account not built"))?;
    s.world.store.accounts.insert(a.id.clone(), a.clone());
    journal_edit(
        &s.world,
        &id,
        format!("account:{id}"),
        String::new(),
        "created".into(),
    );
    Ok(created(views::account(&a)))
}

pub async fn account_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let cur = s
        .world
        .account(&id)
        .ok_or_else(|| not_found(format!("account {id} not found")))?;
    if m.contains_key("carrier") && m.get("carrier") != Some(&json!(cur.carrier)) {
        return Err(conflict(
            "an account's carrier cannot change while it has cards",
        ));
    }
    let fields = m.keys().cloned().collect::<Vec<_>>().join(",");
    let new: Account = merged(&cur, m)?;
    s.world.store.accounts.insert(new.id.clone(), new.clone());
    journal_edit(
        &s.world,
        &id,
        format!("account:{id}"),
        fields,
        "patched".into(),
    );
    Ok(Json(views::account(&new)))
}

pub async fn account_delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.world.account(&id).is_none() {
        return Err(not_found(format!("account {id} not found")));
    }
    let filter = CardFilter {
        account: Some(id.clone()),
        ..Default::default()
    };
    let (_, n) = s.world.list_cards(&filter, 1, 1);
    if n > 0 {
        return Err(conflict(format!(
            "account {id} still has {n} card(s); delete or move them first"
        )));
    }
    if s.world.store.pools.iter().any(|p| p.account == id) {
        return Err(conflict(format!("account {id} still has pools")));
    }
    s.world.store.accounts.remove(id.as_str());
    journal_edit(
        &s.world,
        &id,
        format!("account:{id}"),
        "present".into(),
        "deleted".into(),
    );
    Ok(Json(json!({"deleted": id})))
}

/// Credentials of every account, per carrier (for demos and tests).
pub async fn credentials(State(s): State<ControlState>) -> Json<Value> {
    let items: Vec<Value> = s
        .world
        .accounts()
        .iter()
        .map(|a| json!({"account": a.id, "name": a.name, "carrier": a.carrier, "credentials": a.credentials}))
        .collect();
    let total = items.len();
    Json(json!({"items": items, "total": total, "page": 1, "page_size": total}))
}

// ---- plans ----

pub async fn plan_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let p = s
        .world
        .plan(&id)
        .ok_or_else(|| not_found(format!("plan {id} not found")))?;
    Ok(Json(views::plan(&p)))
}

pub async fn plan_create(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let id = need_id(&m)?;
    if s.world.plan(&id).is_some() {
        return Err(conflict(format!("plan {id} already exists")));
    }
    let built = build_from_specs(&s.world, json!({"plans": [Value::Object(m)]}))?;
    let p = built
        .plans
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| bad("plan not built"))?;
    s.world.store.plans.insert(p.id.clone(), p.clone());
    journal_edit(
        &s.world,
        "",
        format!("plan:{id}"),
        String::new(),
        "created".into(),
    );
    Ok(created(views::plan(&p)))
}

pub async fn plan_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let cur = s
        .world
        .plan(&id)
        .ok_or_else(|| not_found(format!("plan {id} not found")))?;
    if m.contains_key("carrier") && m.get("carrier") != Some(&json!(cur.carrier)) {
        return Err(conflict("a plan's carrier cannot change"));
    }
    let fields = m.keys().cloned().collect::<Vec<_>>().join(",");
    let new: Plan = merged(&cur, m)?;
    if new.term_months == 0 {
        return Err(bad("term_months must be at least 1"));
    }
    s.world.store.plans.insert(new.id.clone(), new.clone());
    journal_edit(&s.world, "", format!("plan:{id}"), fields, "patched".into());
    Ok(Json(views::plan(&new)))
}

pub async fn plan_delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.world.plan(&id).is_none() {
        return Err(not_found(format!("plan {id} not found")));
    }
    let filter = CardFilter {
        plan: Some(id.clone()),
        ..Default::default()
    };
    let (_, n) = s.world.list_cards(&filter, 1, 1);
    if n > 0 {
        return Err(conflict(format!("plan {id} is used by {n} card(s)")));
    }
    s.world.store.plans.remove(id.as_str());
    journal_edit(
        &s.world,
        "",
        format!("plan:{id}"),
        "present".into(),
        "deleted".into(),
    );
    Ok(Json(json!({"deleted": id})))
}

// ---- pools ----

pub async fn pool_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let p = s
        .world
        .pool(&id)
        .ok_or_else(|| not_found(format!("pool {id} not found")))?;
    Ok(Json(views::pool(&p, crate::clock::cycle_of(s.world.now()))))
}

pub async fn pool_create(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let id = need_id(&m)?;
    if s.world.pool(&id).is_some() {
        return Err(conflict(format!("pool {id} already exists")));
    }
    let built = build_from_specs(&s.world, json!({"pools": [Value::Object(m)]}))?;
    let p = built
        .pools
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| bad("pool not built"))?;
    s.world.store.pools.insert(p.id.clone(), p.clone());
    journal_edit(
        &s.world,
        &p.account,
        format!("pool:{id}"),
        String::new(),
        "created".into(),
    );
    Ok(created(views::pool(
        &p,
        crate::clock::cycle_of(s.world.now()),
    )))
}

pub async fn pool_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let cur = s
        .world
        .pool(&id)
        .ok_or_else(|| not_found(format!("pool {id} not found")))?;
    for fixed in ["account", "carrier"] {
        if m.contains_key(fixed)
            && m.get(fixed)
                != serde_json::to_value(&cur)
                    .ok()
                    .as_ref()
                    .and_then(|v| v.get(fixed))
        {
            return Err(conflict(format!("a pool's {fixed} cannot change")));
        }
    }
    let fields = m.keys().cloned().collect::<Vec<_>>().join(",");
    let new: Pool = merged(&cur, m)?;
    s.world.store.pools.insert(new.id.clone(), new.clone());
    journal_edit(
        &s.world,
        &new.account,
        format!("pool:{id}"),
        fields,
        "patched".into(),
    );
    Ok(Json(views::pool(
        &new,
        crate::clock::cycle_of(s.world.now()),
    )))
}

pub async fn pool_delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let p = s
        .world
        .pool(&id)
        .ok_or_else(|| not_found(format!("pool {id} not found")))?;
    let filter = CardFilter {
        pool: Some(id.clone()),
        ..Default::default()
    };
    let (_, n) = s.world.list_cards(&filter, 1, 1);
    if n > 0 {
        return Err(conflict(format!("pool {id} still has {n} member card(s)")));
    }
    s.world.store.pools.remove(id.as_str());
    journal_edit(
        &s.world,
        &p.account,
        format!("pool:{id}"),
        "present".into(),
        "deleted".into(),
    );
    Ok(Json(json!({"deleted": id})))
}

// ---- cards ----

pub async fn card_create(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let iccid = m
        .get("iccid")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing 'iccid'"))?
        .to_string();
    let built = build_from_specs(&s.world, json!({"cards": [Value::Object(m)]}))?;
    let card = built
        .cards
        .into_iter()
        .find(|c| c.iccid == iccid)
        .ok_or_else(|| bad("card not built"))?;
    s.world.insert_card(card, "admin").map_err(conflict)?;
    let card = s
        .world
        .card(&iccid)
        .ok_or_else(|| not_found("card vanished"))?;
    Ok(created(views::card_detail(&card)))
}

pub async fn card_delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let iccid = find(&s.world, &id)?;
    let deleted = delete_card(&s.world, &iccid)?;
    Ok(Json(json!({"deleted": deleted})))
}

/// Removes a card from the world and journals it.
fn delete_card(world: &World, iccid: &str) -> Result<String, ApiError> {
    let card = world
        .remove_card(iccid, "admin")
        .ok_or_else(|| not_found(format!("card {iccid} not found")))?;
    Ok(card.iccid.to_string())
}

/// A checked card patch.
#[derive(Default, Clone)]
pub struct CardPatch {
    force: bool,
    state: Option<CardState>,
    reasons: Option<ReasonSet>,
    data_cut: Option<bool>,
    balance_fen: Option<i64>,
    data_bytes: Option<u64>,
    sms: Option<u32>,
    voice_seconds: Option<u32>,
    expires: Option<Option<Timestamp>>,
    flags: Vec<(Flag, bool)>,
    tags: Option<Vec<String>>,
    imei: Option<String>,
    speed_limit: Option<Option<u16>>,
    plan: Option<String>,
    attrs: Option<Map<String, Value>>,
}

const PATCH_FIELDS: &str = "force, state, reasons, data_cut, balance_fen, usage{data_bytes,sms,voice_seconds}, expires, auto_stop, real_name, voice_enabled, sms_enabled, tags, imei, speed_limit, plan, attrs";

/// Reads a card patch, naming the first bad field.
pub fn parse_patch(world: &World, m: &Map<String, Value>) -> Result<CardPatch, ApiError> {
    let mut p = CardPatch::default();
    for (k, v) in m {
        let b = || {
            v.as_bool()
                .ok_or_else(|| bad(format!("'{k}' must be true or false")))
        };
        match k.as_str() {
            "force" => p.force = b()?,
            "state" => {
                let s = v.as_str().ok_or_else(|| bad("'state' must be a string"))?;
                p.state =
                    Some(CardState::parse(s).ok_or_else(|| bad(format!("unknown state '{s}'")))?);
            }
            "reasons" => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| bad("'reasons' must be an array"))?;
                let mut set = ReasonSet::empty();
                for r in arr {
                    let r = r.as_str().unwrap_or("");
                    set.insert(
                        Reason::parse(r).ok_or_else(|| bad(format!("unknown reason '{r}'")))?,
                    );
                }
                p.reasons = Some(set);
            }
            "data_cut" => p.data_cut = Some(b()?),
            "balance_fen" => {
                p.balance_fen = Some(
                    v.as_i64()
                        .ok_or_else(|| bad("'balance_fen' must be an integer"))?,
                )
            }
            "usage" => {
                let u = v
                    .as_object()
                    .ok_or_else(|| bad("'usage' must be an object"))?;
                for (uk, uv) in u {
                    let n = || {
                        uv.as_u64().ok_or_else(|| {
                            bad(format!("usage.{uk} must be a non-negative integer"))
                        })
                    };
                    match uk.as_str() {
                        "data_bytes" => {
                            p.data_bytes = Some(match uv {
                                Value::String(s) => crate::domain::money::parse_bytes(s)
                                    .ok_or_else(|| {
                                        bad(format!("usage.data_bytes: '{s}' is not a size"))
                                    })?,
                                _ => n()?,
                            })
                        }
                        "sms" => {
                            p.sms =
                                Some(u32::try_from(n()?).map_err(|_| bad("usage.sms too large"))?)
                        }
                        "voice_seconds" => {
                            p.voice_seconds = Some(
                                u32::try_from(n()?)
                                    .map_err(|_| bad("usage.voice_seconds too large"))?,
                            )
                        }
                        other => {
                            return Err(bad(format!(
                                "unknown usage field '{other}' (data_bytes, sms, voice_seconds)"
                            )))
                        }
                    }
                }
            }
            "expires" => {
                p.expires =
                    Some(match v {
                        Value::Null => None,
                        Value::String(s) => Some(parse_time(s).ok_or_else(|| {
                            bad(format!("expires: '{s}' is not an RFC 3339 time"))
                        })?),
                        _ => return Err(bad("'expires' must be an RFC 3339 time or null")),
                    })
            }
            "auto_stop" => p.flags.push((Flag::AutoStop, b()?)),
            "real_name" => p.flags.push((Flag::RealName, b()?)),
            "voice_enabled" => p.flags.push((Flag::Voice, b()?)),
            "sms_enabled" => p.flags.push((Flag::Sms, b()?)),
            "tags" => {
                let arr = v
                    .as_array()
                    .ok_or_else(|| bad("'tags' must be an array of strings"))?;
                p.tags = Some(
                    arr.iter()
                        .map(|t| {
                            t.as_str()
                                .map(str::to_string)
                                .ok_or_else(|| bad("'tags' must be an array of strings"))
                        })
                        .collect::<Result<_, _>>()?,
                );
            }
            "imei" => {
                let s = v.as_str().ok_or_else(|| bad("'imei' must be a string"))?;
                if !(s.is_empty()
                    || (s.len() >= 14 && s.len() <= 16 && s.bytes().all(|c| c.is_ascii_digit())))
                {
                    return Err(bad(format!("imei '{s}' must be 14 to 16 digits")));
                }
                p.imei = Some(s.to_string());
            }
            "speed_limit" => {
                p.speed_limit = Some(match v {
                    Value::Null => None,
                    _ => Some(
                        v.as_u64()
                            .and_then(|n| u16::try_from(n).ok())
                            .ok_or_else(|| bad("'speed_limit' must be a small integer or null"))?,
                    ),
                })
            }
            "plan" => {
                let id = v.as_str().ok_or_else(|| bad("'plan' must be a string"))?;
                if world.plan(id).is_none() {
                    return Err(bad(format!("plan {id} not found")));
                }
                p.plan = Some(id.to_string());
            }
            "attrs" => {
                p.attrs = Some(
                    v.as_object()
                        .cloned()
                        .ok_or_else(|| bad("'attrs' must be an object"))?,
                )
            }
            other => {
                return Err(bad(format!(
                    "unknown field '{other}' (known: {PATCH_FIELDS})"
                )))
            }
        }
    }
    if p.reasons.is_some() && !p.force {
        return Err(bad(
            "'reasons' can only be set with \"force\": true (use state/data_cut otherwise)",
        ));
    }
    Ok(p)
}

/// Applies a checked patch to a card under its lock: all or nothing.
pub fn apply_patch(world: &World, iccid: &str, p: &CardPatch) -> Result<(), ApiError> {
    let new_plan = match &p.plan {
        Some(id) => Some(
            world
                .plan(id)
                .ok_or_else(|| bad(format!("plan {id} not found")))?,
        ),
        None => None,
    };
    let refused = |e: DomainError| conflict(format!("refused by the card rules: {e}"));
    world.edit_all_or_nothing(iccid, "admin", |e| -> Result<(), ApiError> {
        if let Some(plan) = new_plan {
            e.set_plan(plan).map_err(|e| conflict(e.to_string()))?;
        }
        match (p.state, p.force) {
            (Some(to), false) => e.move_state(to, &[]).map_err(refused)?,
            (Some(_), true) => e.force_state(p.state, p.reasons),
            (None, _) if p.reasons.is_some() => e.force_state(None, p.reasons),
            (None, _) => {}
        }
        match p.data_cut {
            Some(true) if !e.card().reasons.contains(Reason::DataCut) => e.cut_data(),
            Some(false) if e.card().reasons.contains(Reason::DataCut) => e.restore_data(),
            _ => Ok(()),
        }
        .map_err(refused)?;
        if let Some(target) = p.balance_fen {
            e.set_balance(target, p.force).map_err(refused)?;
        }
        let meters = [
            (Meter::DataBytes, p.data_bytes),
            (Meter::Sms, p.sms.map(u64::from)),
            (Meter::VoiceSeconds, p.voice_seconds.map(u64::from)),
        ];
        for (meter, target) in meters {
            if let Some(target) = target {
                e.set_usage(meter, target, p.force);
            }
        }
        if let Some(exp) = p.expires {
            e.set_expires(exp, p.force);
        }
        for (flag, on) in &p.flags {
            e.set_flag(*flag, *on).map_err(refused)?;
        }
        if let Some(tags) = &p.tags {
            e.set_tags(tags);
        }
        if let Some(imei) = &p.imei {
            e.set_imei(imei);
        }
        if let Some(code) = p.speed_limit {
            e.set_speed_code(code);
        }
        for (k, v) in p.attrs.iter().flatten() {
            let value = match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
            e.set_raw_attribute(k, value.as_deref());
        }
        Ok(())
    })
}

pub async fn card_patch(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let iccid = find(&s.world, &id)?;
    let patch = parse_patch(&s.world, &m)?;
    apply_patch(&s.world, &iccid, &patch)?;
    let card = s
        .world
        .card(&iccid)
        .ok_or_else(|| not_found("card vanished"))?;
    Ok(Json(views::card_detail(&card)))
}

/// `{"selector": {...card filters..., "iccids": [...]}, "patch": {...}}`,
/// or `"action": "stop"` (with its parameters), or `"delete": true`.
pub async fn cards_bulk(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let sel = m
        .get("selector")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("missing 'selector' (an object of card filters, e.g. {\"carrier\":\"cmcc\",\"tag\":\"crowd\"} or {\"iccids\":[...]})"))?;
    let mut q: HashMap<String, String> = HashMap::new();
    let mut iccids: Option<Vec<String>> = None;
    for (k, v) in sel {
        match (k.as_str(), v) {
            ("iccids", Value::Array(a)) => {
                let mut out = Vec::new();
                for x in a {
                    let id = x.as_str().ok_or_else(|| bad("selector.iccids must be strings"))?;
                    out.push(find(&s.world, id)?.to_string());
                }
                iccids = Some(out);
            }
            ("all", Value::Bool(true)) => {}
            (k @ ("carrier" | "account" | "state" | "reason" | "tag" | "plan" | "pool" | "q"), Value::String(v)) => {
                q.insert(k.to_string(), v.clone());
            }
            (k, _) => return Err(bad(format!("selector: unknown or non-string field '{k}' (carrier, account, state, reason, tag, plan, pool, q, iccids, all)"))),
        }
    }
    if q.is_empty() && iccids.is_none() && sel.get("all") != Some(&Value::Bool(true)) {
        return Err(bad(
            "the selector matches every card: add a filter or \"all\": true",
        ));
    }
    let filter = super::card_filter(&q)?;
    let targets: Vec<String> = match iccids {
        Some(list) => list
            .into_iter()
            .filter(|i| s.world.read_card(i, |c| filter.matches(c)).unwrap_or(false))
            .collect(),
        None => {
            let (cards, _) = s.world.list_cards(&filter, 1, usize::MAX);
            cards.into_iter().map(|c| c.iccid.to_string()).collect()
        }
    };
    enum Op {
        Patch(CardPatch),
        Action(Map<String, Value>),
        Delete,
    }
    let op = if let Some(p) = m.get("patch") {
        let p = p
            .as_object()
            .ok_or_else(|| bad("'patch' must be an object"))?;
        Op::Patch(parse_patch(&s.world, p)?)
    } else if m.get("delete") == Some(&Value::Bool(true)) {
        Op::Delete
    } else if m.get("action").is_some() {
        let mut a = m.clone();
        a.remove("selector");
        super::check_action(&a)?;
        Op::Action(a)
    } else {
        return Err(bad(
            "give one of 'patch' (object), 'action' (string) or \"delete\": true",
        ));
    };
    let mut changed = 0usize;
    let mut failed = Vec::new();
    for iccid in &targets {
        let r = match &op {
            Op::Patch(p) => apply_patch(&s.world, iccid, p),
            Op::Action(a) => super::run_action(&s.world, iccid, a),
            Op::Delete => delete_card(&s.world, iccid).map(|_| ()),
        };
        match r {
            Ok(()) => changed += 1,
            Err(ApiError(_, e)) => failed.push(json!({"iccid": iccid, "error": e})),
        }
    }
    Ok(Json(
        json!({"matched": targets.len(), "changed": changed, "failed": failed}),
    ))
}
