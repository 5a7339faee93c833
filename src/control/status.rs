//! `/_sim` status: liveness, readiness, reset to the fixture or a named
//! snapshot, and the Prometheus metrics.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{bad, internal, json_body, not_found, snapshot, ApiResult, ControlState};
use crate::clock::rfc3339;

pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

pub async fn ready(State(s): State<ControlState>) -> Response {
    if s.ready.load(Ordering::Acquire) {
        Json(json!({"status": "ready", "cards": s.world.store.card_count()})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "starting"})),
        )
            .into_response()
    }
}

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
                plane.fired.clear();
                plane.ratelimits.reset();
                plane.metrics.reset();
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
            tokio::task::spawn_blocking(move || {
                snapshot::restore(&world, &plane.requests, &snap)?;
                plane.metrics.reset();
                Ok::<(), String>(())
            })
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

/// `GET /_sim/status`: what the world keeps and what fell out of its
/// retention (docs/retention.md): the journal's figures and the gaps
/// delivery subscribers were given.
pub async fn status(State(s): State<ControlState>) -> Json<Value> {
    Json(json!({
        "now": rfc3339(s.world.now()),
        "cards": s.world.store.card_count(),
        "retention": s.world.engine.retention(),
        "journal": s.world.journal.stats(),
        "trimmed": s.world.engine.trimmed(),
        "deliveries": s.plane.outbound.gap_stats(),
    }))
}

pub async fn metrics(State(s): State<ControlState>) -> Response {
    let text = s
        .plane
        .metrics
        .render(&s.world, &s.plane.webhooks, &s.plane.outbound);
    ([(header::CONTENT_TYPE, super::metrics::CONTENT_TYPE)], text).into_response()
}
