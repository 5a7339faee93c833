//! Admin handlers for the simulator itself rather than its entities:
//! faults, the request journal, reset to a snapshot, named snapshots,
//! snapshot files, JSON export/import, Prometheus metrics, the OpenAPI
//! document and the offline Swagger UI.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::faults::FaultSpec;
use super::requests::RequestFilter;
use super::snapshot::{self, WorldSnapshot};
use super::{bad, find, json_body, not_found, ApiError, ApiResult, ControlState};
use crate::clock::rfc3339;
use crate::domain::Carrier;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

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

/// `{}` → back to the fixture; `{"snapshot": "name"}` → to a named snapshot.
pub async fn reset(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let plane = s.plane.clone();
    match m.get("snapshot") {
        None | Some(Value::Null) => {
            let world = s.world.clone();
            tokio::task::spawn_blocking(move || {
                world.reset();
                plane.requests.clear();
                plane.faults.clear();
                plane.ratelimits.reset();
            })
            .await
            .map_err(internal)?;
        }
        Some(Value::String(name)) => {
            let snap = plane
                .snapshots
                .lock()
                .get(name)
                .cloned()
                .ok_or_else(|| not_found(format!("snapshot {name} not found")))?;
            let world = s.world.clone();
            tokio::task::spawn_blocking(move || snapshot::restore(&world, &plane.requests, &snap))
                .await
                .map_err(internal)?
                .map_err(bad)?;
        }
        Some(_) => return Err(bad("'snapshot' must be a snapshot name")),
    }
    Ok(Json(
        json!({"status": "reset", "now": rfc3339(s.world.now()), "cards": s.world.store.card_count()}),
    ))
}

fn take(s: &ControlState) -> impl std::future::Future<Output = Result<WorldSnapshot, ApiError>> {
    let world = s.world.clone();
    let plane = s.plane.clone();
    async move {
        tokio::task::spawn_blocking(move || snapshot::take(&world, &plane.requests))
            .await
            .map_err(internal)
    }
}

fn summary(name: &str, snap: &WorldSnapshot) -> Value {
    json!({"name": name, "now": rfc3339(snap.now), "cards": snap.cards.len(), "events": snap.journal.len()})
}

pub async fn snapshots_list(State(s): State<ControlState>) -> Json<Value> {
    let items: Vec<Value> = s
        .plane
        .snapshots
        .lock()
        .iter()
        .map(|(k, v)| summary(k, v))
        .collect();
    Json(json!({"items": items}))
}

fn snapshot_name(m: &serde_json::Map<String, Value>) -> Result<String, ApiError> {
    let name = m
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing 'name'"))?;
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(bad(format!(
            "snapshot name '{name}' must be 1-100 characters of A-Z a-z 0-9 - _ ."
        )));
    }
    Ok(name.to_string())
}

/// `{"name": "before-test"}`: keeps a snapshot in memory.
pub async fn snapshot_create(
    State(s): State<ControlState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    let name = snapshot_name(&m)?;
    let snap = take(&s).await?;
    let v = summary(&name, &snap);
    s.plane.snapshots.lock().insert(name, Arc::new(snap));
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub async fn snapshot_delete(State(s): State<ControlState>, Path(name): Path<String>) -> ApiResult {
    match s.plane.snapshots.lock().remove(&name) {
        Some(_) => Ok(Json(json!({"deleted": name}))),
        None => Err(not_found(format!("snapshot {name} not found"))),
    }
}

pub async fn snapshot_restore(
    State(s): State<ControlState>,
    Path(name): Path<String>,
) -> ApiResult {
    let body = Bytes::from(json!({"snapshot": name}).to_string());
    reset(State(s), body).await
}

fn file_path(m: &serde_json::Map<String, Value>) -> Result<std::path::PathBuf, ApiError> {
    let p = m
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad("missing 'path' (a file path on the simulator's machine)"))?;
    Ok(std::path::PathBuf::from(p))
}

/// `{"path": "/tmp/world.json"}`: saves atomically.
pub async fn snapshot_save(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let path = file_path(&m)?;
    let snap = take(&s).await?;
    let p = path.clone();
    let bytes = tokio::task::spawn_blocking(move || snapshot::save_file(&snap, &p))
        .await
        .map_err(internal)?
        .map_err(|e| bad(format!("{}: {e}", path.display())))?;
    Ok(Json(
        json!({"saved": path.display().to_string(), "bytes": bytes}),
    ))
}

/// `{"path": "/tmp/world.json"}`: loads a saved snapshot.
pub async fn snapshot_load(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let path = file_path(&m)?;
    let world = s.world.clone();
    let plane = s.plane.clone();
    let p = path.clone();
    tokio::task::spawn_blocking(move || {
        let snap = snapshot::load_file(&p)?;
        snapshot::restore(&world, &plane.requests, &snap)
    })
    .await
    .map_err(internal)?
    .map_err(bad)?;
    Ok(Json(
        json!({"loaded": path.display().to_string(), "now": rfc3339(s.world.now()), "cards": s.world.store.card_count()}),
    ))
}

pub async fn export(State(s): State<ControlState>) -> Result<Json<WorldSnapshot>, ApiError> {
    Ok(Json(take(&s).await?))
}

pub async fn import(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let world = s.world.clone();
    let plane = s.plane.clone();
    tokio::task::spawn_blocking(move || {
        let snap = snapshot::parse(&body)?;
        snapshot::restore(&world, &plane.requests, &snap)
    })
    .await
    .map_err(internal)?
    .map_err(bad)?;
    Ok(Json(
        json!({"imported": true, "now": rfc3339(s.world.now()), "cards": s.world.store.card_count()}),
    ))
}

// ---- metrics and documentation ----

pub async fn metrics(State(s): State<ControlState>) -> Response {
    let text = s.plane.metrics.render(&s.world, s.plane.webhooks.as_ref());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

pub async fn openapi_json() -> Response {
    let doc = super::openapi::document();
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_json().unwrap_or_else(|_| "{}".into()),
    )
        .into_response()
}

const SWAGGER_JS: &[u8] = include_bytes!("swagger/swagger-ui-bundle.js");
const SWAGGER_CSS: &[u8] = include_bytes!("swagger/swagger-ui.css");
const SWAGGER_ICON: &[u8] = include_bytes!("swagger/favicon-32x32.png");

const SWAGGER_HTML: &str = r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>carrier-sim admin API</title>
<link rel="stylesheet" href="/_sim/docs/swagger-ui.css"><link rel="icon" href="/_sim/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div><script src="/_sim/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/_sim/openapi.json", dom_id: "#swagger-ui"});</script></body></html>"##;

pub async fn docs_index() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        SWAGGER_HTML,
    )
        .into_response()
}

pub async fn docs_asset(Path(file): Path<String>) -> Response {
    let (ctype, bytes) = match file.as_str() {
        "swagger-ui-bundle.js" => ("application/javascript", SWAGGER_JS),
        "swagger-ui.css" => ("text/css", SWAGGER_CSS),
        "favicon-32x32.png" => ("image/png", SWAGGER_ICON),
        "index.html" => return docs_index().await,
        _ => return ApiError(StatusCode::NOT_FOUND, format!("no asset {file}")).into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ctype),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}
