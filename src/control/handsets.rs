//! The HTTP virtual handset, under `/_sim/handsets/{msisdn|iccid}`: what a
//! phone holding the card could do — send an SMS (and get the service
//! number's replies back), read or clear the inbox, run a USSD session,
//! call a hotline and press DTMF keys. The routes are in the admin route
//! table ([`super::openapi::OPS`]); the service-number logic they call lives
//! in [`crate::sms`]. Shapes are documented in `docs/sms.md`.
//!
//! ```text
//! POST   /_sim/handsets/{id}/sms        {"to":"10010","text":"CXLL"} → {"replies":[{"from","text","time","parts":[..]}]}
//! GET    /_sim/handsets/{id}/inbox      → {"messages":[{"id","from","text","time","read"}]}
//! DELETE /_sim/handsets/{id}/inbox      → {"cleared": n}
//! GET    /_sim/handsets/{id}/messages   → {"messages":[{"id","direction","peer","text","time"}]}
//! POST   /_sim/handsets/{id}/ussd       {"code":"*100#"} | {"input":"1"} → {"text","more"}
//! DELETE /_sim/handsets/{id}/ussd       → {"ended": bool}
//! POST   /_sim/handsets/{id}/call       {"to":"10086","dtmf":"1"} → {"prompts":[..],"in_call":true}
//! POST   /_sim/handsets/{id}/call/dtmf  {"digits":"2"} → {"prompts":[..],"in_call":true}
//! DELETE /_sim/handsets/{id}/call       → {"ended": bool}
//! ```

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::{bad, conflict, json_body, not_found, ApiError, ApiResult};
use crate::clock::rfc3339;
use crate::domain::card::Message;
use crate::sms::ivr::{self, CallError};
use crate::sms::ussd::{self, UssdError};
use crate::sms::{access, numbers, Access, SendError};
use crate::store::CardRef;
use crate::world::World;

type W = Arc<World>;

/// Resolves `{id}` (ICCID, MSISDN with or without 86, or IMSI).
fn resolve(world: &World, id: &str) -> Result<String, ApiError> {
    world
        .resolve(CardRef::Any(id))
        .map(|s| s.to_string())
        .ok_or_else(|| not_found(format!("no card with ICCID, MSISDN or IMSI {id}")))
}

fn str_field<'a>(
    body: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("`{name}` must be a string"))),
    }
}

fn required<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    str_field(body, name)?.ok_or_else(|| bad(format!("`{name}` is required")))
}

fn received(m: &Message) -> Value {
    json!({"id": m.id, "from": m.peer, "text": m.text, "time": rfc3339(m.time), "read": m.read})
}

pub(super) async fn summary(State(world): State<W>, Path(id): Path<String>) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let card = world
        .card(&iccid)
        .ok_or_else(|| not_found("card not found"))?;
    let acc = match access(&card) {
        Access::Full => "full",
        Access::ServiceOnly => "service_only",
        Access::None => "none",
    };
    Ok(Json(json!({
        "iccid": card.iccid,
        "msisdn": card.msisdn,
        "carrier": card.carrier,
        "state": card.state.as_str(),
        "access": acc,
        "sms_number": numbers::sms_number(card.carrier),
        "voice_number": numbers::voice_number(card.carrier),
        "commands": numbers::commands(card.carrier).iter().map(|(c, q)| json!({"command": c, "query": q.template()})).collect::<Vec<_>>(),
        "unread": card.inbox.iter().filter(|m| !m.read).count(),
    })))
}

pub(super) async fn send(State(world): State<W>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let body = json_body(&body)?;
    let to = required(&body, "to")?;
    let text = required(&body, "text")?;
    let w = world.clone();
    let (to, text, id) = (to.to_string(), text.to_string(), iccid.clone());
    let replies = tokio::task::spawn_blocking(move || crate::sms::send_sms(&w, &id, &to, &text))
        .await
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| match e {
            SendError::NotFound => not_found("card not found"),
            SendError::NoDestination => bad("`to` must not be empty"),
            other => conflict(other.to_string()),
        })?;
    let card = world.card(&iccid);
    let replies: Vec<Value> = replies
        .iter()
        .map(|m| {
            let parts = card
                .as_ref()
                .and_then(|c| crate::sms::parts::of_message(&world, c, m))
                .unwrap_or_default();
            json!({"from": m.peer, "text": m.text, "time": rfc3339(m.time), "parts": parts.iter().map(part_json).collect::<Vec<_>>()})
        })
        .collect();
    Ok(Json(json!({ "replies": replies })))
}

/// One part of a service-number reply as the SMSC sends it.
fn part_json(p: &crate::sms::parts::Part) -> Value {
    let (reference, total, seq) = match p.concat {
        Some((r, n, i)) => (Some(r), n, i),
        None => (None, 1, 1),
    };
    json!({
        "text": p.text,
        "time": rfc3339(p.time),
        "seq": seq,
        "total": total,
        "reference": reference,
        "reference_bits": if p.wide_reference { 16 } else { 8 },
    })
}

pub(super) async fn inbox(State(world): State<W>, Path(id): Path<String>) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let list = world
        .read_card(&iccid, |c| c.inbox.iter().map(received).collect::<Vec<_>>())
        .ok_or_else(|| not_found("card not found"))?;
    Ok(Json(json!({ "messages": list })))
}

pub(super) async fn clear_inbox(State(world): State<W>, Path(id): Path<String>) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let n = world.clear_inbox(&iccid)?;
    Ok(Json(json!({ "cleared": n })))
}

pub(super) async fn messages(State(world): State<W>, Path(id): Path<String>) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let mut list = world
        .read_card(&iccid, |c| {
            c.inbox
                .iter()
                .chain(c.outbox.iter())
                .cloned()
                .collect::<Vec<_>>()
        })
        .ok_or_else(|| not_found("card not found"))?;
    list.sort_by_key(|m| (m.time, m.id));
    let list: Vec<Value> = list
        .iter()
        .map(|m| json!({"id": m.id, "direction": m.direction, "peer": m.peer, "text": m.text, "time": rfc3339(m.time)}))
        .collect();
    Ok(Json(json!({ "messages": list })))
}

fn ussd_error(e: UssdError) -> ApiError {
    match e {
        UssdError::NotFound => not_found("card not found"),
        UssdError::UnknownCode(_) => not_found(e.to_string()),
        UssdError::OffNetwork | UssdError::NoSession => conflict(e.to_string()),
    }
}

pub(super) async fn ussd_post(
    State(world): State<W>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let body = json_body(&body)?;
    let reply = match (str_field(&body, "code")?, str_field(&body, "input")?) {
        (Some(code), None) => ussd::begin(&world, &iccid, code),
        (None, Some(input)) => ussd::answer(&world, &iccid, input),
        _ => {
            return Err(bad(
                "give exactly one of `code` (begin) or `input` (continue)",
            ))
        }
    }
    .map_err(ussd_error)?;
    Ok(Json(json!({"text": reply.text, "more": reply.more})))
}

pub(super) async fn ussd_end(State(world): State<W>, Path(id): Path<String>) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    Ok(Json(json!({"ended": ussd::end(&world, &iccid)})))
}

fn call_error(e: CallError) -> ApiError {
    match e {
        CallError::NotFound => not_found("card not found"),
        CallError::NoAnswer(_) => not_found(e.to_string()),
        CallError::BadDigit(_) => bad(e.to_string()),
        CallError::OffNetwork | CallError::Barred | CallError::NoCall => conflict(e.to_string()),
    }
}

pub(super) async fn call(State(world): State<W>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let body = json_body(&body)?;
    let to = required(&body, "to")?;
    let digits = str_field(&body, "dtmf")?.unwrap_or("");
    let mut prompts = ivr::dial(&world, &iccid, to).map_err(call_error)?;
    if !digits.is_empty() {
        prompts.extend(ivr::dtmf(&world, &iccid, digits).map_err(call_error)?);
    }
    Ok(Json(json!({"prompts": prompts, "in_call": true})))
}

pub(super) async fn dtmf(State(world): State<W>, Path(id): Path<String>, body: Bytes) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    let body = json_body(&body)?;
    let digits = required(&body, "digits")?;
    let prompts = ivr::dtmf(&world, &iccid, digits).map_err(call_error)?;
    Ok(Json(json!({"prompts": prompts, "in_call": true})))
}

pub(super) async fn hang_up(State(world): State<W>, Path(id): Path<String>) -> ApiResult {
    let iccid = resolve(&world, &id)?;
    Ok(Json(json!({"ended": ivr::hang_up(&world, &iccid)})))
}
