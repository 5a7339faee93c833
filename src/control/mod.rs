//! The `/_sim` admin plane (JSON). Every `/_sim` route is in one table,
//! [`openapi::OPS`], which builds both the router and `/_sim/openapi.json`.
//! Handlers live in one file per resource: [`status`] (health, readiness,
//! reset, metrics), [`clock`], [`accounts`], [`plans`], [`pools`],
//! [`cards`] (list, read, create, delete, actions) with [`card_patch`] and
//! [`cards_bulk`], [`events`] (query and live stream), [`traces`],
//! [`faults`] (rules and their firings), [`ratelimits`], [`requests`] (the
//! request journal), [`snapshots`], [`handsets`], [`modems`], [`webhooks`],
//! [`cucc_push`], [`worlds`] and [`docs`]; where a resource is also a mechanism (faults,
//! rate limits, the request journal) its handlers close the file. Beside
//! them: [`inspector`] (live journal, fired faults), [`fleet`] (sorting,
//! risk, totals, CSV over the fleet), [`snapshot`], [`metrics`], [`auth`];
//! [`specs`] builds admin-made entities through the fixture's format and
//! rules. Every client-caused error is a 4xx `{"error": "..."}` naming the
//! problem and changing nothing. Documented in `docs/admin-api.md`.

pub mod accounts;
pub mod auth;
pub mod card_patch;
pub mod cards;
pub mod cards_bulk;
pub mod cli;
pub mod clock;
pub mod cucc_push;
pub mod docs;
pub mod events;
pub mod faults;
pub mod fleet;
pub mod guard;
pub mod handles;
pub mod handsets;
pub mod inspector;
pub mod metrics;
pub mod modems;
pub mod openapi;
pub mod plans;
pub mod pools;
pub mod ratelimits;
pub mod requests;
pub mod snapshot;
pub mod snapshots;
pub mod specs;
pub mod status;
pub mod traces;
pub mod views;
pub mod webhooks;
pub mod worlds;

pub use crate::carriers::dialect::carrier_of_path;
pub use cards::{card_filter, check_action, find, run_action};

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::carriers::cucc::push::CuccPush;
use crate::domain::Carrier;
use crate::outbound::Outbound;
use crate::world::{OpError, World};

/// State shared by the admin handlers.
#[derive(Clone, axum::extract::FromRef)]
pub struct ControlState {
    pub world: Arc<World>,
    /// Set once every listener is bound.
    pub ready: Arc<AtomicBool>,
    pub plane: Arc<Plane>,
    /// The registry of worlds on demand (the root server only).
    pub worlds: Option<Arc<dyn worlds::WorldHost>>,
}

/// The control plane's own state: faults, request journal, metrics and
/// named snapshots, shared by the admin handlers, the carrier middleware
/// and the embedding API.
pub struct Plane {
    pub world: Arc<World>,
    pub faults: faults::Faults,
    pub ratelimits: ratelimits::RateLimits,
    pub requests: requests::RequestLog,
    /// Fault rules that fired, kept after the rules retire.
    pub fired: inspector::FiredLog,
    pub metrics: metrics::Metrics,
    pub snapshots:
        parking_lot::Mutex<std::collections::BTreeMap<String, Arc<snapshot::WorldSnapshot>>>,
    /// The one delivery worker, and the two formats it sends: webhook
    /// subscriptions and China Unicom push callbacks.
    pub outbound: Outbound,
    pub webhooks: Arc<webhooks::Webhooks>,
    pub cucc_push: Arc<CuccPush>,
    /// Where `/_sim/snapshot/save` and `load` may read and write
    /// (`Settings::snapshot_dir`, set by the server; see [`snapshot::default_dir`]).
    pub snapshot_dir: std::sync::OnceLock<std::path::PathBuf>,
}

impl Plane {
    /// A plane for a world; the fault RNG is seeded from the fixture seed.
    /// Webhooks and CUCC push callbacks are sent through `outbound`.
    pub fn new(world: Arc<World>, outbound: Outbound) -> Arc<Plane> {
        let seed = world.fixture().seed;
        let ratelimits = ratelimits::RateLimits::new(world.clone());
        Arc::new(Plane {
            webhooks: webhooks::Webhooks::start(&outbound),
            cucc_push: CuccPush::start(world.clone(), &outbound),
            outbound,
            world,
            faults: faults::Faults::new(seed),
            ratelimits,
            requests: requests::RequestLog::default(),
            fired: inspector::FiredLog::default(),
            metrics: metrics::Metrics::new(),
            snapshots: Default::default(),
            snapshot_dir: Default::default(),
        })
    }

    /// The directory snapshot files are confined to.
    pub fn snapshot_dir(&self) -> std::path::PathBuf {
        self.snapshot_dir
            .get()
            .cloned()
            .unwrap_or_else(snapshot::default_dir)
    }
}

/// A 4xx/5xx JSON error.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

pub fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

pub fn not_found(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, msg.into())
}

/// 409: refused by a rule or a dependency.
pub fn conflict(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::CONFLICT, msg.into())
}

/// 201 with the new entity.
pub fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound => not_found("card not found"),
            OpError::NoPlan(p) => ApiError(StatusCode::CONFLICT, format!("plan {p} not found")),
            OpError::Rule(crate::domain::DomainError::InvalidAmount) => bad(format!(
                "amount out of range: a top-up is 1 to {} fen and a balance stays within ±{} fen",
                crate::domain::money::MAX_AMOUNT_FEN,
                crate::domain::money::MAX_BALANCE_FEN
            )),
            OpError::Rule(r) => ApiError(
                StatusCode::CONFLICT,
                format!("refused by the card rules: {r}"),
            ),
        }
    }
}

pub type ApiResult = Result<Json<Value>, ApiError>;

/// A 500 for a failure that is not the client's (a panicked blocking task).
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

/// Parses a JSON object body, naming the problem when it is not one.
pub fn json_body(body: &Bytes) -> Result<serde_json::Map<String, Value>, ApiError> {
    if body.is_empty() {
        return Ok(Default::default());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("body must be a JSON object")),
        Err(e) => Err(bad(format!("malformed JSON: {e}"))),
    }
}

/// The admin router (see [`openapi::OPS`]).
pub fn router(state: ControlState) -> Router {
    openapi::router(state)
}

/// Pages an already filtered list: without `page`/`page_size` the whole
/// list is one page (`page_size` = total).
pub fn page_of(items: Vec<Value>, q: &HashMap<String, String>) -> ApiResult {
    let total = items.len();
    if !q.contains_key("page") && !q.contains_key("page_size") {
        return Ok(Json(
            json!({"items": items, "total": total, "page": 1, "page_size": total}),
        ));
    }
    let (page, size) = paging(q)?;
    let items: Vec<Value> = items
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    Ok(Json(
        json!({"items": items, "total": total, "page": page, "page_size": size}),
    ))
}

/// The `carrier` query filter, checked.
pub fn carrier_param(q: &HashMap<String, String>) -> Result<Option<Carrier>, ApiError> {
    q.get("carrier")
        .map(|c| {
            Carrier::parse(c)
                .ok_or_else(|| bad(format!("unknown carrier '{c}' (cmcc, cucc, ctcc)")))
        })
        .transpose()
}

/// Reads paging parameters (`page` from 1, `page_size` ≤ 1000).
pub fn paging(q: &HashMap<String, String>) -> Result<(usize, usize), ApiError> {
    let num = |k: &str, d: usize| -> Result<usize, ApiError> {
        match q.get(k) {
            None => Ok(d),
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| bad(format!("{k} must be a positive integer, got '{v}'"))),
        }
    };
    let page = num("page", 1)?;
    let size = num("page_size", 50)?;
    if page == 0 {
        return Err(bad("page starts at 1"));
    }
    if size == 0 || size > 1000 {
        return Err(bad("page_size must be between 1 and 1000"));
    }
    Ok((page, size))
}
