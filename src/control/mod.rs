//! The `/_sim` admin plane (JSON): health and readiness, reset, the clock,
//! accounts, plans, pools and cards (list, create, patch, delete, bulk),
//! card actions, events, traces, faults, the request journal, snapshots,
//! metrics and the OpenAPI document. Every client-caused error is a 4xx
//! `{"error": "..."}` naming the problem and changing nothing. Documented
//! in `docs/admin-api.md`; the route table is in [`openapi`].

pub mod auth;
pub mod cli;
pub mod edits;
pub mod faults;
pub mod handles;
pub mod handsets;
pub mod metrics;
pub mod modems;
pub mod openapi;
pub mod ops;
pub mod ratelimits;
pub mod requests;
pub mod snapshot;
pub mod views;

pub use faults::carrier_of_path;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::clock::{parse_duration, parse_time, rfc3339};
use crate::domain::{CardState, Carrier, Reason};
use crate::journal::EventFilter;
use crate::store::CardRef;
use crate::world::{CardFilter, OpError, World};

/// State shared by the admin handlers.
#[derive(Clone, axum::extract::FromRef)]
pub struct ControlState {
    pub world: Arc<World>,
    /// Set once every listener is bound.
    pub ready: Arc<AtomicBool>,
    pub plane: Arc<Plane>,
}

/// The control plane's own state: faults, request journal, metrics and
/// named snapshots, shared by the admin handlers, the carrier middleware
/// and the embedding API.
pub struct Plane {
    pub world: Arc<World>,
    pub faults: faults::Faults,
    pub ratelimits: ratelimits::RateLimits,
    pub requests: requests::RequestLog,
    pub metrics: metrics::Metrics,
    pub snapshots:
        parking_lot::Mutex<std::collections::BTreeMap<String, Arc<snapshot::WorldSnapshot>>>,
    pub webhooks: Option<crate::engine::webhooks::Webhooks>,
}

impl Plane {
    /// A plane for a world; the fault RNG is seeded from the fixture seed.
    pub fn new(
        world: Arc<World>,
        webhooks: Option<crate::engine::webhooks::Webhooks>,
    ) -> Arc<Plane> {
        let seed = world.fixture().seed;
        Arc::new(Plane {
            world,
            faults: faults::Faults::new(seed),
            ratelimits: ratelimits::RateLimits::default(),
            requests: requests::RequestLog::default(),
            metrics: metrics::Metrics::new(),
            snapshots: Default::default(),
            webhooks,
        })
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

impl From<OpError> for ApiError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::NotFound => not_found("card not found"),
            OpError::NoPlan(p) => ApiError(StatusCode::CONFLICT, format!("plan {p} not found")),
            OpError::Rule(r) => ApiError(
                StatusCode::CONFLICT,
                format!("refused by the card rules: {r}"),
            ),
        }
    }
}

pub type ApiResult = Result<Json<Value>, ApiError>;

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

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn ready(State(s): State<ControlState>) -> Response {
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

fn clock_view(w: &World) -> Value {
    json!({
        "now": rfc3339(w.now()),
        "mode": if w.clock.speed().is_some() { "running" } else { "frozen" },
        "speed": w.clock.speed(),
        "cycle": crate::clock::cycle_label(crate::clock::cycle_of(w.now())),
    })
}

async fn clock_get(State(s): State<ControlState>) -> Json<Value> {
    s.world.catch_up();
    Json(clock_view(&s.world))
}

async fn clock_post(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let world = s.world.clone();
    let str_field = |k: &str| -> Result<Option<String>, ApiError> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(v)) => Ok(Some(v.clone())),
            Some(other) => Err(bad(format!("'{k}' must be a string, got {other}"))),
        }
    };
    if let Some(d) = str_field("advance")? {
        let dur = parse_duration(&d).map_err(|e| bad(format!("advance: {e}")))?;
        let w = world.clone();
        tokio::task::spawn_blocking(move || w.advance(dur))
            .await
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| bad(format!("advance: {e}")))?;
    } else if let Some(t) = str_field("set")? {
        let ts =
            parse_time(&t).ok_or_else(|| bad(format!("set: '{t}' is not an RFC 3339 time")))?;
        let w = world.clone();
        tokio::task::spawn_blocking(move || w.advance_to(ts))
            .await
            .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| bad(format!("set: {e}")))?;
    } else if m.get("freeze").and_then(Value::as_bool) == Some(true) {
        world.catch_up();
        world.clock.freeze();
    } else if let Some(speed) = m.get("speed") {
        let speed = speed
            .as_f64()
            .filter(|v| v.is_finite() && *v > 0.0 && *v <= 1e7)
            .ok_or_else(|| bad("speed must be a number between 0 and 10000000"))?;
        world.catch_up();
        world.clock.run(speed);
    } else {
        return Err(bad("give one of {\"advance\": \"40d\"}, {\"set\": \"2027-01-01T00:00:00+08:00\"}, {\"freeze\": true}, {\"speed\": 60}"));
    }
    Ok(Json(clock_view(&world)))
}

/// Pages an already filtered list: without `page`/`page_size` the whole
/// list is one page (`page_size` = total).
fn page_of(items: Vec<Value>, q: &HashMap<String, String>) -> ApiResult {
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
fn carrier_param(q: &HashMap<String, String>) -> Result<Option<Carrier>, ApiError> {
    q.get("carrier")
        .map(|c| {
            Carrier::parse(c)
                .ok_or_else(|| bad(format!("unknown carrier '{c}' (cmcc, cucc, ctcc)")))
        })
        .transpose()
}

async fn accounts(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let items: Vec<Value> = s
        .world
        .accounts()
        .iter()
        .filter(|a| carrier.is_none_or(|c| a.carrier == c))
        .map(views::account)
        .collect();
    page_of(items, &q)
}

async fn account_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let a = s
        .world
        .account(&id)
        .ok_or_else(|| not_found(format!("account {id} not found")))?;
    Ok(Json(views::account(&a)))
}

async fn plans(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let mut v: Vec<_> = s
        .world
        .store
        .plans
        .iter()
        .filter(|p| carrier.is_none_or(|c| p.carrier == c))
        .map(|p| p.clone())
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    page_of(v.iter().map(views::plan).collect(), &q)
}

async fn pools(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let account = q.get("account");
    let cycle = crate::clock::cycle_of(s.world.now());
    let mut v: Vec<_> = s
        .world
        .store
        .pools
        .iter()
        .filter(|p| carrier.is_none_or(|c| p.carrier == c))
        .filter(|p| account.is_none_or(|a| p.account == a.as_str()))
        .map(|p| p.clone())
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    page_of(v.iter().map(|p| views::pool(p, cycle)).collect(), &q)
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
        search: q.get("q").cloned(),
    })
}

async fn cards(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let filter = card_filter(&q)?;
    let (page, size) = paging(&q)?;
    let (items, total) = s.world.list_cards(&filter, page, size);
    let items: Vec<Value> = items.iter().map(views::card_summary).collect();
    Ok(Json(
        json!({"items": items, "total": total, "page": page, "page_size": size}),
    ))
}

/// Finds a card by ICCID, MSISDN or IMSI.
pub fn find(world: &World, id: &str) -> Result<compact_str::CompactString, ApiError> {
    world
        .resolve(CardRef::Any(id))
        .ok_or_else(|| not_found(format!("card {id} not found")))
}

async fn card_one(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    let iccid = find(&s.world, &id)?;
    let card = s
        .world
        .card(&iccid)
        .ok_or_else(|| not_found(format!("card {id} not found")))?;
    Ok(Json(views::card_detail(&card)))
}

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
            if fen <= 0 {
                return Err(bad("amount_fen must be positive"));
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
        "use_data" => action_bytes(m).map(|_| ()),
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
async fn card_action(
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

async fn events(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let parse_t = |k: &str| -> Result<Option<jiff::Timestamp>, ApiError> {
        q.get(k)
            .map(|v| {
                parse_time(v).ok_or_else(|| bad(format!("{k}: '{v}' is not an RFC 3339 time")))
            })
            .transpose()
    };
    let limit = match q.get("limit") {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0 && *n <= 10_000)
            .ok_or_else(|| bad("limit must be between 1 and 10000"))?,
        None => 100,
    };
    let after = q
        .get("after")
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| bad("after must be an event seq"))
        })
        .transpose()?;
    let iccid = match q.get("card").or(q.get("iccid")) {
        Some(id) => Some(find(&s.world, id)?.to_string()),
        None => None,
    };
    let f = EventFilter {
        iccid,
        account: q.get("account").cloned(),
        types: q
            .get("type")
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        from: parse_t("from")?,
        to: parse_t("to")?,
        after,
        limit,
    };
    let items: Vec<Value> = s.world.journal.query(&f).iter().map(views::event).collect();
    let next = items.last().and_then(|e| e.get("seq")).cloned();
    Ok(Json(json!({"items": items, "next_after": next})))
}

async fn traces_list(State(s): State<ControlState>) -> Json<Value> {
    let items = serde_json::to_value(s.world.engine.traces.list()).unwrap_or(Value::Null);
    Json(json!({"items": items}))
}

async fn traces_add(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let mut v = Value::Object(m);
    // "make this card burn 500 MB in the next hour": {"kind":"burn","total":"500MB","over":"1h","applies_to":{"iccid":...}}
    if v.get("kind").and_then(Value::as_str) == Some("burn") && v.get("start").is_none() {
        let over = v
            .get("over")
            .and_then(Value::as_str)
            .unwrap_or("1h")
            .to_string();
        let d = parse_duration(&over).map_err(|e| bad(format!("over: {e}")))?;
        let now = s.world.now();
        let end = now.checked_add(d).map_err(|_| bad("over: too large"))?;
        let o = v.as_object_mut().expect("object");
        o.remove("over");
        o.insert("start".into(), json!(now.to_string()));
        o.insert("end".into(), json!(end.to_string()));
    }
    let trace: crate::engine::Trace =
        serde_json::from_value(v).map_err(|e| bad(format!("bad trace: {e}")))?;
    let id = s.world.engine.traces.upsert(trace);
    Ok(Json(json!({"id": id})))
}

async fn traces_remove(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.world.engine.traces.remove(&id) {
        Ok(Json(json!({"removed": id})))
    } else {
        Err(not_found(format!("trace {id} not found")))
    }
}
