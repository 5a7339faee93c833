//! `/_sim/cucc/push`: China Unicom Control Center push callbacks, per CUCC
//! account: the effective URL of each, registering and forgetting one, and
//! the delivery log. The push format itself (which events, the form and
//! its XML, the signatures) is the dialect's, in
//! [`crate::carriers::cucc::push`]; sending is the one delivery worker's.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::{bad, json_body, not_found, ApiResult, ControlState};
use crate::carriers::cucc::push::{account_of, subscriber, FORMAT};

/// `GET /_sim/cucc/push`: `{account: url or null}` for every CUCC account.
pub async fn list(State(s): State<ControlState>) -> Json<Value> {
    let urls: serde_json::Map<String, Value> = s
        .plane
        .cucc_push
        .urls()
        .into_iter()
        .map(|(account, url)| (account, json!(url)))
        .collect();
    Json(Value::Object(urls))
}

/// `POST /_sim/cucc/push` `{"account": "...", "url": "http://..."}`.
pub async fn register(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let account = m.get("account").and_then(Value::as_str).unwrap_or("");
    let url = m.get("url").and_then(Value::as_str).unwrap_or("");
    if !s.plane.cucc_push.is_cucc_account(account) {
        return Err(not_found(format!("Unknown CUCC account: {account}")));
    }
    if reqwest::Url::parse(url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
        return Err(bad(format!("Invalid callback url: {url}")));
    }
    s.plane.cucc_push.register(account, url);
    Ok(Json(json!({"account": account, "url": url})))
}

/// `DELETE /_sim/cucc/push?account=...`: forgets the registered URL.
pub async fn unregister(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let account = q
        .get("account")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("missing 'account'"))?;
    let removed = s.plane.cucc_push.unregister(account);
    Ok(Json(json!({"account": account, "removed": removed})))
}

/// `GET /_sim/cucc/push/deliveries[?account=id]`: every push attempt,
/// oldest first.
pub async fn deliveries(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let lane = q.get("account").map(|a| subscriber(a));
    let items: Vec<Value> = s
        .plane
        .outbound
        .deliveries(FORMAT, lane.as_deref())
        .into_iter()
        .map(|d| {
            json!({
                "account": account_of(&d.subscriber),
                "url": d.url,
                "event_id": d.event_id,
                "event_type": d.event_type,
                "seq": d.seq,
                "iccid": d.iccid,
                "attempt": d.attempt,
                "status": d.status,
                "ok": d.ok,
                "error": d.error,
            })
        })
        .collect();
    Json(json!({"items": items}))
}
