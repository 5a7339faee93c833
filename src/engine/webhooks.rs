//! Webhooks: per-account subscriptions to journal events, delivered as JSON
//! with an HMAC-SHA256 signature, retried with exponential backoff, in order
//! (one delivery queue per subscription, so events of a card never overtake
//! each other), with a delivery log. Also the live event stream
//! (`GET /_sim/events/stream`, Server-Sent Events).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use dashmap::DashMap;
use futures::Stream;
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::{broadcast, Notify};

use crate::control::views;
use crate::domain::Event;
use crate::journal::EventFilter;
use crate::world::World;

/// Header carrying `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "X-CarrierSim-Signature";
/// Header carrying the event's journal sequence number.
pub const EVENT_HEADER: &str = "X-CarrierSim-Event";

/// A subscription.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Webhook {
    #[serde(default)]
    pub id: String,
    pub account: String,
    pub url: String,
    /// Event types wanted (empty = all).
    #[serde(default)]
    pub types: Vec<String>,
    #[serde(default)]
    pub secret: String,
    /// Attempts before an event is given up (default 5).
    #[serde(default = "five")]
    pub max_attempts: u32,
    /// First retry delay in milliseconds, doubled each retry (default 200).
    #[serde(default = "two_hundred")]
    pub backoff_ms: u64,
}

fn five() -> u32 {
    5
}
fn two_hundred() -> u64 {
    200
}

/// One delivery attempt's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    pub webhook: String,
    pub seq: u64,
    pub iccid: String,
    pub event_type: String,
    pub attempt: u32,
    /// HTTP status, or 0 when the request failed.
    pub status: u16,
    pub ok: bool,
    pub error: String,
}

struct Sub {
    hook: Webhook,
    queue: Mutex<VecDeque<Event>>,
    wake: Notify,
    stop: Notify,
}

/// All subscriptions and the delivery log.
#[derive(Clone, Default)]
pub struct Webhooks {
    subs: Arc<DashMap<String, Arc<Sub>>>,
    log: Arc<Mutex<VecDeque<Delivery>>>,
    next_id: Arc<std::sync::atomic::AtomicU64>,
}

const LOG_CAP: usize = 10_000;

impl Webhooks {
    /// Starts fanning journal events out to the subscriptions.
    pub fn start(world: &Arc<World>) -> Webhooks {
        let hooks = Webhooks::default();
        let mut rx = world.journal.subscribe();
        let subs = hooks.subs.clone();
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => {
                        for s in subs.iter() {
                            let h = &s.hook;
                            if e.account == h.account.as_str()
                                && (h.types.is_empty()
                                    || h.types.iter().any(|t| t == e.kind.type_name()))
                            {
                                s.queue.lock().push_back(e.clone());
                                s.wake.notify_one();
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("webhooks lagged {n} events")
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        hooks
    }

    pub fn add(&self, mut hook: Webhook) -> Webhook {
        if hook.id.is_empty() {
            let n = self
                .next_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            hook.id = format!("wh-{n}");
        }
        let sub = Arc::new(Sub {
            hook: hook.clone(),
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            stop: Notify::new(),
        });
        if let Some(old) = self.subs.insert(hook.id.clone(), sub.clone()) {
            old.stop.notify_one();
        }
        let log = self.log.clone();
        tokio::spawn(deliver_loop(sub, log));
        hook
    }

    pub fn remove(&self, id: &str) -> bool {
        match self.subs.remove(id) {
            Some((_, s)) => {
                s.stop.notify_one();
                true
            }
            None => false,
        }
    }

    pub fn list(&self) -> Vec<Webhook> {
        let mut v: Vec<Webhook> = self.subs.iter().map(|s| s.hook.clone()).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    pub fn deliveries(&self, webhook: Option<&str>) -> Vec<Delivery> {
        self.log
            .lock()
            .iter()
            .filter(|d| webhook.is_none_or(|w| d.webhook == w))
            .cloned()
            .collect()
    }
}

/// HMAC-SHA256 of `body` under `secret`, lowercase hex.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn deliver_loop(sub: Arc<Sub>, log: Arc<Mutex<VecDeque<Delivery>>>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    loop {
        let next = sub.queue.lock().pop_front();
        let Some(event) = next else {
            tokio::select! {
                _ = sub.wake.notified() => continue,
                _ = sub.stop.notified() => return,
            }
        };
        let body = serde_json::to_vec(&views::event(&event)).unwrap_or_default();
        let signature = format!("sha256={}", sign(&sub.hook.secret, &body));
        let mut delay = Duration::from_millis(sub.hook.backoff_ms.max(1));
        for attempt in 1..=sub.hook.max_attempts.max(1) {
            let res = client
                .post(&sub.hook.url)
                .header("Content-Type", "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .header(EVENT_HEADER, event.seq.to_string())
                .body(body.clone())
                .send()
                .await;
            let (status, error) = match &res {
                Ok(r) => (r.status().as_u16(), String::new()),
                Err(e) => (0, e.to_string()),
            };
            let ok = (200..300).contains(&status);
            {
                let mut l = log.lock();
                if l.len() == LOG_CAP {
                    l.pop_front();
                }
                l.push_back(Delivery {
                    webhook: sub.hook.id.clone(),
                    seq: event.seq,
                    iccid: event.iccid.to_string(),
                    event_type: event.kind.type_name().to_string(),
                    attempt,
                    status,
                    ok,
                    error,
                });
            }
            if ok {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {},
                _ = sub.stop.notified() => return,
            }
            delay = delay.saturating_mul(2);
        }
    }
}

#[derive(Clone)]
struct HookState {
    world: Arc<World>,
    hooks: Webhooks,
}

/// `/_sim/webhooks...` and `/_sim/events/stream`.
pub fn router(world: Arc<World>, hooks: Webhooks) -> Router {
    Router::new()
        .route("/_sim/webhooks", get(list).post(add))
        .route("/_sim/webhooks/{id}", delete(remove))
        .route("/_sim/webhooks/deliveries", get(deliveries))
        .route("/_sim/events/stream", get(stream))
        .with_state(HookState { world, hooks })
}

fn err(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, Json(json!({"error": msg.into()}))).into_response()
}

async fn list(State(s): State<HookState>) -> Json<Value> {
    Json(json!({"items": s.hooks.list()}))
}

async fn add(State(s): State<HookState>, body: Bytes) -> Response {
    let hook: Webhook = match serde_json::from_slice(&body) {
        Ok(h) => h,
        Err(e) => return err(StatusCode::BAD_REQUEST, format!("bad webhook: {e}")),
    };
    if s.world.account(&hook.account).is_none() {
        return err(
            StatusCode::BAD_REQUEST,
            format!("unknown account '{}'", hook.account),
        );
    }
    if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
        return err(StatusCode::BAD_REQUEST, "url must be http(s)");
    }
    (StatusCode::CREATED, Json(json!(s.hooks.add(hook)))).into_response()
}

async fn remove(State(s): State<HookState>, Path(id): Path<String>) -> Response {
    if s.hooks.remove(&id) {
        Json(json!({"removed": id})).into_response()
    } else {
        err(StatusCode::NOT_FOUND, format!("webhook {id} not found"))
    }
}

async fn deliveries(
    State(s): State<HookState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    Json(json!({"items": s.hooks.deliveries(q.get("webhook").map(String::as_str))}))
}

/// Live events as SSE, optionally filtered (`card`, `account`, `type`),
/// starting with the journal's events after `after` when given.
async fn stream(
    State(s): State<HookState>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let filter = EventFilter {
        iccid: q.get("card").cloned(),
        account: q.get("account").cloned(),
        types: q
            .get("type")
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        ..Default::default()
    };
    let backlog: Vec<Event> = match q.get("after").and_then(|a| a.parse::<u64>().ok()) {
        Some(after) => s.world.journal.query(&EventFilter {
            after: Some(after),
            limit: 10_000,
            ..filter.clone()
        }),
        None => Vec::new(),
    };
    let rx = s.world.journal.subscribe();
    let last = backlog.last().map(|e| e.seq).unwrap_or(0);
    let stream = futures::stream::unfold(
        (backlog.into_iter(), rx, filter, last),
        |(mut backlog, mut rx, filter, last)| async move {
            if let Some(e) = backlog.next() {
                let ev = SseEvent::default()
                    .id(e.seq.to_string())
                    .event(e.kind.type_name())
                    .data(views::event(&e).to_string());
                return Some((Ok(ev), (backlog, rx, filter, last)));
            }
            loop {
                match rx.recv().await {
                    Ok(e) if e.seq > last && filter.matches(&e) => {
                        let ev = SseEvent::default()
                            .id(e.seq.to_string())
                            .event(e.kind.type_name())
                            .data(views::event(&e).to_string());
                        return Some((Ok(ev), (backlog, rx, filter, last)));
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}
