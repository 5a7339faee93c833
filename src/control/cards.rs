//! `/_sim/cards`: list cards with filters and paging, read one card by
//! ICCID, MSISDN or IMSI, create one (fixture format) or delete it, and run
//! actions on it (stop, resume, activate, top up, renew, cut or restore
//! data, use data) through the world's operations, so the card rules apply
//! as they do for every carrier. Patches are in [`super::card_patch`], bulk
//! edits in [`super::cards_bulk`].

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};

use super::fleet;
use super::specs::build_from_specs;
use super::{
    bad, conflict, created, json_body, not_found, views, ApiError, ApiResult, ControlState,
};
use crate::domain::{CardState, Carrier, Reason};
use crate::store::CardRef;
use crate::world::{CardFilter, World};

/// Builds a card filter from query parameters, rejecting unknown values.
pub fn card_filter(q: &HashMap<String, String>) -> Result<CardFilter, ApiError> {
    Ok(CardFilter {
        carrier: q
            .get("carrier")
            .map(|c| {
                Carrier::parse(c)
                    .ok_or_else(|| bad(format!("unknown carrier '{c}' (cmcc, cucc, ctcc)")))
            })
            .transpose()?,
        account: q.get("account").cloned(),
        state: q
            .get("state")
            .map(|s| CardState::parse(s).ok_or_else(|| bad(format!("unknown state '{s}'"))))
            .transpose()?,
        reason: q
            .get("reason")
            .map(|s| Reason::parse(s).ok_or_else(|| bad(format!("unknown reason '{s}'"))))
            .transpose()?,
        tag: q.get("tag").cloned(),
        plan: q.get("plan").cloned(),
        pool: q.get("pool").cloned(),
        search: q
            .get("q")
            .map(|s| fleet::normalize_search(s))
            .filter(|s| !s.is_empty()),
    })
}

/// `GET /_sim/cards`: the filters of [`card_filter`] plus `risk`, `sort`
/// and `order` ([`fleet`]), paged; items carry their allowance and risks.
pub async fn cards(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    fleet::list(&s.world, &q)
}

/// `GET /_sim/cards/export.csv`: the list's selection (no paging) as CSV.
pub async fn export_csv(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    fleet::export_csv(&s.world, &q)
}

/// `GET /_sim/cards/totals`: per-carrier totals and cards at risk.
pub async fn totals(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    fleet::totals(&s.world, &q)
}

/// `GET /_sim/tags`: the fleet's tags with their card counts.
pub async fn tags(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    fleet::tags(&s.world, &q)
}

/// Finds a card by ICCID, MSISDN or IMSI.
pub fn find(world: &World, id: &str) -> Result<compact_str::CompactString, ApiError> {
    world
        .resolve(CardRef::Any(id))
        .ok_or_else(|| not_found(format!("card {id} not found")))
}

pub async fn card_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let iccid = find(&s.world, &id)?;
    let card = s
        .world
        .card(&iccid)
        .ok_or_else(|| not_found(format!("card {id} not found")))?;
    Ok(Json(views::card_detail(&card)))
}

/// `GET /_sim/cards/{id}/usage[?cycle=yyyyMM]`: a cycle's usage with its
/// days and each day's hours (Shanghai time; the opening usage spread
/// included), the same figures every dialect's daily and monthly views
/// read. `hours` is left out for days older than the card's hour history.
pub async fn card_usage(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let iccid = find(&s.world, &id)?;
    let card = s
        .world
        .card(&iccid)
        .ok_or_else(|| not_found(format!("card {id} not found")))?;
    let cycle = match q.get("cycle") {
        None => crate::clock::cycle_of(s.world.now()),
        Some(text) => parse_cycle(text)
            .ok_or_else(|| bad(format!("cycle '{text}' is not a month (yyyyMM)")))?,
    };
    Ok(Json(views::cycle_usage(&card, cycle)))
}

/// `yyyyMM` (or `yyyy-MM`) → cycle number.
fn parse_cycle(text: &str) -> Option<i32> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = digits[..4].parse().ok()?;
    let m: i32 = digits[4..].parse().ok()?;
    let in_calendar =
        (i32::from(crate::clock::FIRST_YEAR)..=i32::from(crate::clock::LAST_YEAR)).contains(&y);
    (in_calendar && (1..=12).contains(&m)).then_some(y * 12 + m - 1)
}
use crate::domain::money::{MAX_AMOUNT_FEN, MAX_DATA_BYTES};

const ACTIONS: &str = "stop, resume, activate, top_up, renew, cut_data, restore_data, use_data";

/// Checks an action body without running it.
pub fn check_action(m: &serde_json::Map<String, Value>) -> Result<(), ApiError> {
    let action = m
        .get("action")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("missing 'action' ({ACTIONS})")))?;
    match action {
        "stop" | "resume" | "activate" | "cut_data" | "restore_data" => Ok(()),
        "top_up" => {
            let fen = m
                .get("amount_fen")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad("top_up needs an integer 'amount_fen'"))?;
            if fen <= 0 || fen > MAX_AMOUNT_FEN {
                return Err(bad(format!(
                    "amount_fen must be 1 to {MAX_AMOUNT_FEN} (10 billion yuan)"
                )));
            }
            Ok(())
        }
        "renew" => {
            let months = m.get("months").and_then(Value::as_u64).unwrap_or(0);
            if months == 0 || months > 120 {
                return Err(bad("renew needs 'months' between 1 and 120"));
            }
            Ok(())
        }
        "use_data" => {
            let bytes = action_bytes(m)?;
            if bytes > MAX_DATA_BYTES {
                return Err(bad(format!(
                    "use_data: bytes must be at most {MAX_DATA_BYTES} (1 PiB)"
                )));
            }
            Ok(())
        }
        other => Err(bad(format!("unknown action '{other}' ({ACTIONS})"))),
    }
}

fn action_bytes(m: &serde_json::Map<String, Value>) -> Result<u64, ApiError> {
    match m.get("bytes") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => crate::domain::money::parse_bytes(s),
        _ => None,
    }
    .ok_or_else(|| bad("use_data needs 'bytes' (an integer or \"500MB\")"))
}

/// Runs a checked action on a card.
pub fn run_action(
    world: &World,
    iccid: &str,
    m: &serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    check_action(m)?;
    let w = world;
    match m.get("action").and_then(Value::as_str).unwrap_or("") {
        "stop" => w.manual_stop(iccid)?,
        "resume" => w.manual_resume(iccid)?,
        "activate" => w.activate(iccid)?,
        "cut_data" => w.cut_data(iccid)?,
        "restore_data" => w.restore_data(iccid)?,
        "top_up" => w.top_up(
            iccid,
            m.get("amount_fen").and_then(Value::as_i64).unwrap_or(0),
        )?,
        "renew" => w.renew(
            iccid,
            m.get("months").and_then(Value::as_u64).unwrap_or(1) as u32,
        )?,
        _ => {
            w.use_data(iccid, action_bytes(m)?)?;
        }
    }
    Ok(())
}

/// `{"action": "stop"|"resume"|"activate"|"top_up"|"renew"|"cut_data"|"restore_data"|"use_data", ...}`
pub async fn card_action(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    let m = json_body(&body)?;
    let iccid = find(&s.world, &id)?;
    run_action(&s.world, &iccid, &m)?;
    let card = s
        .world
        .card(&iccid)
        .ok_or_else(|| not_found("card vanished"))?;
    Ok(Json(views::card_detail(&card)))
}

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
pub fn delete_card(world: &World, iccid: &str) -> Result<String, ApiError> {
    let card = world
        .remove_card(iccid, "admin")
        .ok_or_else(|| not_found(format!("card {iccid} not found")))?;
    Ok(card.iccid.to_string())
}
