//! `/_sim/worlds`: isolated worlds on demand, one per test. A world has its
//! own fleet, clock, journal, faults, rate limits, webhooks and credentials
//! and is served under `/w/{id}/...` (every carrier API and its own
//! `/_sim`). The registry itself lives with the server, which builds a
//! world's listeners; the admin plane reaches it through [`WorldHost`].

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{bad, json_body, not_found, ApiError, ApiResult, ControlState};
use crate::fixture::{self, Fixture};

/// What a new world is made of.
pub struct NewWorld {
    pub fixture: Fixture,
    /// Idle time after which the world is deleted.
    pub ttl: Option<Duration>,
}

/// A world host: the server's registry of worlds.
pub trait WorldHost: Send + Sync {
    /// Creates a world; its id, or why not (over the cap: 429).
    fn create(&self, new: NewWorld) -> Result<String, ApiError>;
    /// Every world: id, creation and last use (RFC 3339 wall time), ttl.
    fn list(&self) -> Vec<Value>;
    /// One world's description.
    fn describe(&self, id: &str) -> Option<Value>;
    /// Deletes a world; false when there is none.
    fn delete(&self, id: &str) -> bool;
}

/// The registry, or a 404 on a world's own admin plane (worlds do not nest).
fn host(s: &ControlState) -> Result<&dyn WorldHost, ApiError> {
    s.worlds
        .as_deref()
        .ok_or_else(|| not_found("worlds are created on the root server, not inside a world"))
}

/// `http://host` of the request, for the world's URLs.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// A world's description with the base URLs a client is given.
pub fn with_urls(mut v: Value, origin: &str) -> Value {
    let id = v["id"].as_str().unwrap_or_default().to_string();
    let base = format!("{origin}/w/{id}");
    v["urls"] = json!({
        "base": base,
        "cmcc": format!("{base}/v5/ec"),
        "cmcc_v2": format!("{base}/v2"),
        "cucc": format!("{base}/rws/api/v1"),
        "cucc_soap": format!("{base}/ws/service"),
        "ctcc": format!("{base}/m2m_ec"),
        "ctcc_5g": base.clone(),
        "admin": format!("{base}/_sim"),
    });
    v
}

/// The fixture of a `POST /_sim/worlds` body: `fixture` as TOML/JSON text
/// or a JSON object, or `builtin` (`"default"`); then `seed` and `start`.
fn fixture_of(m: &serde_json::Map<String, Value>) -> Result<Fixture, ApiError> {
    let problems = |p: Vec<fixture::Problem>| {
        bad(format!(
            "fixture: {}",
            p.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        ))
    };
    let mut fx = match (m.get("fixture"), m.get("builtin")) {
        (Some(_), Some(_)) => return Err(bad("give either 'fixture' or 'builtin', not both")),
        (Some(Value::String(text)), None) => fixture::load(text).map_err(problems)?,
        (Some(v @ Value::Object(_)), None) => fixture::load(&v.to_string()).map_err(problems)?,
        (Some(other), None) => {
            return Err(bad(format!(
                "'fixture' must be TOML/JSON text or a JSON object, got {other}"
            )))
        }
        (None, Some(Value::String(name))) if name == "default" => fixture::default_fixture(),
        (None, Some(other)) => {
            return Err(bad(format!(
                "unknown builtin fixture {other} (one of: \"default\")"
            )))
        }
        (None, None) => fixture::default_fixture(),
    };
    match m.get("seed") {
        None | Some(Value::Null) => {}
        Some(v) => {
            fx.seed = v
                .as_u64()
                .ok_or_else(|| bad("'seed' must be a whole number"))?
        }
    }
    match m.get("start") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) => {
            fx.start = crate::clock::parse_time(t)
                .ok_or_else(|| bad(format!("'start': bad time '{t}' (RFC 3339)")))?
        }
        Some(other) => return Err(bad(format!("'start' must be a string, got {other}"))),
    }
    Ok(fx)
}

fn ttl_of(m: &serde_json::Map<String, Value>) -> Result<Option<Duration>, ApiError> {
    match m.get("ttl") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(t)) => {
            let d = crate::clock::parse_wall_duration(t).map_err(|e| bad(format!("ttl: {e}")))?;
            if d.is_zero() {
                return Err(bad("ttl must be positive"));
            }
            Ok(Some(d))
        }
        Some(other) => Err(bad(format!("'ttl' must be a duration string, got {other}"))),
    }
}

/// `POST /_sim/worlds`.
pub async fn create(State(s): State<ControlState>, headers: HeaderMap, body: Bytes) -> Response {
    let result = (|| -> Result<Value, ApiError> {
        let h = host(&s)?;
        let m = json_body(&body)?;
        for k in m.keys() {
            if !["fixture", "builtin", "seed", "start", "ttl"].contains(&k.as_str()) {
                return Err(bad(format!(
                    "unknown field '{k}' (fixture, builtin, seed, start, ttl)"
                )));
            }
        }
        let new = NewWorld {
            fixture: fixture_of(&m)?,
            ttl: ttl_of(&m)?,
        };
        let id = h.create(new)?;
        let v = h.describe(&id).ok_or_else(|| not_found("world vanished"))?;
        Ok(with_urls(v, &origin(&headers)))
    })();
    match result {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /_sim/worlds`.
pub async fn list(State(s): State<ControlState>, headers: HeaderMap) -> ApiResult {
    let h = host(&s)?;
    let o = origin(&headers);
    let items: Vec<Value> = h.list().into_iter().map(|v| with_urls(v, &o)).collect();
    Ok(Json(json!({"items": items, "total": items.len()})))
}

/// `GET /_sim/worlds/{id}`.
pub async fn one(
    State(s): State<ControlState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    let h = host(&s)?;
    let v = h
        .describe(&id)
        .ok_or_else(|| not_found(format!("no world '{id}'")))?;
    Ok(Json(with_urls(v, &origin(&headers))))
}

/// `DELETE /_sim/worlds/{id}`.
pub async fn delete(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let h = host(&s)?;
    if h.delete(&id) {
        Ok(Json(json!({"deleted": id})))
    } else {
        Err(not_found(format!("no world '{id}'")))
    }
}
