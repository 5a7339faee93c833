//! `/_sim/snapshots`, `/_sim/snapshot/{save,load}`, `/_sim/export` and
//! `/_sim/import`: named in-memory snapshots of the world, snapshot files
//! written atomically inside the snapshot directory, and the world as one
//! JSON document (import bodies up to [`snapshot::IMPORT_BODY_LIMIT`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::snapshot::{self, WorldSnapshot};
use super::{bad, conflict, internal, json_body, not_found, ApiError, ApiResult, ControlState};
use crate::clock::rfc3339;

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
    let full = |s: &ControlState| {
        let kept = s.plane.snapshots.lock();
        kept.len() >= snapshot::MAX_NAMED && !kept.contains_key(&name)
    };
    if full(&s) {
        return Err(too_many());
    }
    let snap = take(&s).await?;
    let v = summary(&name, &snap);
    let mut kept = s.plane.snapshots.lock();
    // Checked again: another request may have added one meanwhile.
    if kept.len() >= snapshot::MAX_NAMED && !kept.contains_key(&name) {
        return Err(too_many());
    }
    kept.insert(name, Arc::new(snap));
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

fn too_many() -> ApiError {
    conflict(format!(
        "at most {} named snapshots are kept: delete one first (DELETE /_sim/snapshots/{{name}})",
        snapshot::MAX_NAMED
    ))
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
    super::status::reset(State(s), body).await
}

/// The snapshot file a body's `path` names, inside the snapshot directory.
fn file_path(
    s: &ControlState,
    m: &serde_json::Map<String, Value>,
) -> Result<std::path::PathBuf, ApiError> {
    let p = m
        .get("path")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad("missing 'path' (a file name in the simulator's snapshot directory)"))?;
    snapshot::confine(&s.plane.snapshot_dir(), p).map_err(bad)
}

/// `{"path": "world.json"}`: saves atomically inside the snapshot directory.
pub async fn snapshot_save(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let path = file_path(&s, &m)?;
    let snap = take(&s).await?;
    let p = path.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        snapshot::save_file(&snap, &p)
    })
    .await
    .map_err(internal)?
    .map_err(|e| bad(format!("{}: {e}", path.display())))?;
    Ok(Json(
        json!({"saved": path.display().to_string(), "bytes": bytes}),
    ))
}

/// `{"path": "world.json"}`: loads a saved snapshot.
pub async fn snapshot_load(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let path = file_path(&s, &m)?;
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

/// Replaces the world with an export. The route raises the body limit to
/// [`snapshot::IMPORT_BODY_LIMIT`]; a body over it is a JSON 413.
pub async fn import(
    State(s): State<ControlState>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let body = body.map_err(|e| {
        ApiError(
            e.status(),
            format!(
                "{} (an import takes at most {} MiB)",
                e.body_text(),
                snapshot::IMPORT_BODY_LIMIT >> 20
            ),
        )
    })?;
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
