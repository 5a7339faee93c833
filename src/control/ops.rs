//! Admin handlers for the carrier-API mechanisms: fault rules
//! (`/_sim/faults`, and the history of those that fired), rate limits
//! (`/_sim/ratelimits`) and the request journal (`/_sim/requests`, and its
//! live stream). The mechanisms themselves are in [`super::faults`],
//! [`super::ratelimits`], [`super::requests`] and [`super::inspector`].

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::faults::FaultSpec;
use super::inspector;
use super::requests::RequestFilter;
use super::{bad, find, json_body, not_found, ApiError, ApiResult, ControlState};
use crate::domain::Carrier;

// ---- faults ----

pub async fn faults_list(State(s): State<ControlState>) -> Json<Value> {
    let items = serde_json::to_value(s.plane.faults.list()).unwrap_or(Value::Null);
    Json(json!({"items": items}))
}

pub async fn faults_add(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    const KINDS: &str = "latency, carrier_error, http, reset, truncate, timeout";
    match m.get("kind").and_then(Value::as_str) {
        None => return Err(bad(format!("missing 'kind' ({KINDS})"))),
        Some(k) if !KINDS.split(", ").any(|x| x == k) => {
            return Err(bad(format!("unknown kind '{k}' ({KINDS})")))
        }
        Some(_) => {}
    }
    let text = Value::Object(m).to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    let spec: FaultSpec = serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        if p == "." {
            bad(format!("bad fault: {}", e.inner()))
        } else {
            bad(format!("bad fault at {p}: {}", e.inner()))
        }
    })?;
    let card = match &spec.card {
        Some(c) => Some(find(&s.world, c)?.to_string()),
        None => None,
    };
    if let Some(a) = &spec.account {
        if s.world.account(a).is_none() {
            return Err(not_found(format!("account {a} not found")));
        }
    }
    let id = s.plane.faults.add(spec, card).map_err(bad)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

pub async fn faults_clear(State(s): State<ControlState>) -> Json<Value> {
    s.plane.faults.clear();
    Json(json!({"cleared": true}))
}

pub async fn fault_remove(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.plane.faults.remove(&id) {
        Ok(Json(json!({"removed": id})))
    } else {
        Err(not_found(format!("fault {id} not found")))
    }
}

// ---- rate limits ----

pub async fn ratelimits_list(State(s): State<ControlState>) -> Json<Value> {
    Json(json!({"items": s.plane.ratelimits.list()}))
}

/// `{"items": [...]}` replaces the table; `{"items": []}` turns limits off.
pub async fn ratelimits_put(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let items = m
        .get("items")
        .cloned()
        .ok_or_else(|| bad("missing 'items' (a list of limits; [] turns limits off)"))?;
    let text = items.to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    let rules: Vec<super::ratelimits::RateLimit> = serde_path_to_error::deserialize(de)
        .map_err(|e| bad(format!("items{}: {}", e.path(), e.inner())))?;
    s.plane.ratelimits.replace(rules).map_err(bad)?;
    Ok(Json(json!({"items": s.plane.ratelimits.list()})))
}

// ---- request journal ----

pub async fn requests_list(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let num = |k: &str| -> Result<Option<u64>, ApiError> {
        q.get(k)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| bad(format!("{k} must be a non-negative integer, got '{v}'")))
            })
            .transpose()
    };
    let limit = num("limit")?.unwrap_or(100);
    if limit == 0 || limit > 10_000 {
        return Err(bad("limit must be between 1 and 10000"));
    }
    let status = num("status")?
        .map(|v| u16::try_from(v).map_err(|_| bad("status must be an HTTP status")))
        .transpose()?;
    let card = match q.get("card") {
        Some(c) => Some(find(&s.world, c)?.to_string()),
        None => None,
    };
    let f = RequestFilter {
        carrier: q
            .get("carrier")
            .map(|c| {
                Carrier::parse(c)
                    .ok_or_else(|| bad(format!("unknown carrier '{c}' (cmcc, cucc, ctcc)")))
            })
            .transpose()?,
        method: q.get("method").cloned(),
        path: q.get("path").cloned(),
        status,
        account: q.get("account").cloned(),
        card,
        after: num("after")?,
        limit: limit as usize,
    };
    let items = s.plane.requests.query(&f);
    let next = items.last().map(|r| r.seq);
    Ok(Json(json!({
        "items": items,
        "total": s.plane.requests.len(),
        "cap": s.plane.requests.cap(),
        "enabled": s.plane.requests.enabled(),
        "next_after": next,
    })))
}

pub async fn requests_clear(State(s): State<ControlState>) -> Json<Value> {
    s.plane.requests.clear();
    Json(json!({"cleared": true}))
}

/// `GET /_sim/requests/stream`: journaled requests as they happen (SSE).
pub async fn requests_stream(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    Ok(inspector::requests_stream(s.plane.clone(), &q)?.into_response())
}

/// `GET /_sim/faults/fired`: every recorded firing, newest first.
pub async fn fired_list(State(s): State<ControlState>) -> Json<Value> {
    let mut items = s.plane.fired.list();
    items.reverse();
    Json(json!({"items": items, "cap": inspector::FIRED_CAP}))
}

/// `DELETE /_sim/faults/fired`: forgets the history.
pub async fn fired_clear(State(s): State<ControlState>) -> Json<Value> {
    s.plane.fired.clear();
    Json(json!({"cleared": true}))
}

/// `{"cap": 5000}` resizes the ring buffer; `{"enabled": false}` stops
/// recording (faults and rate limits still apply).
pub async fn requests_config(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    if m.is_empty() {
        return Err(bad(
            "give 'cap' (1 to 1000000) and/or 'enabled' (true or false)",
        ));
    }
    let cap = match m.get("cap") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| bad("'cap' must be an integer between 1 and 1000000"))?,
        ),
    };
    let enabled = match m.get("enabled") {
        None => None,
        Some(v) => Some(
            v.as_bool()
                .ok_or_else(|| bad("'enabled' must be true or false"))?,
        ),
    };
    if let Some(k) = m.keys().find(|k| *k != "cap" && *k != "enabled") {
        return Err(bad(format!("unknown field '{k}' (cap, enabled)")));
    }
    if let Some(cap) = cap {
        s.plane.requests.set_cap(cap as usize);
    }
    if let Some(on) = enabled {
        s.plane.requests.set_enabled(on);
    }
    Ok(Json(
        json!({"cap": s.plane.requests.cap(), "enabled": s.plane.requests.enabled()}),
    ))
}

// ---- reset and snapshots ----

// ---- metrics and documentation ----
