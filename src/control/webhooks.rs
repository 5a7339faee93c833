//! `/_sim/webhooks`: per-account subscriptions to journal events, sent as
//! the JSON of `/_sim/events` with an HMAC-SHA256 signature header, and
//! their delivery log. This file is the generic webhook *format*: who
//! subscribed to what and how an event looks on the wire; queueing in
//! order, retries with backoff and the log are the one delivery worker's
//! ([`crate::outbound`]), shared with China Unicom's push events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Json;
use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{bad, created, not_found, views, ApiError, ApiResult, ControlState};
use crate::domain::Event;
use crate::journal::Gap;
use crate::outbound::{hmac_sha256, Encoder, Outbound, Outgoing, Retry};

/// Header carrying `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "X-CarrierSim-Signature";
/// Header carrying the event's journal sequence number.
pub const EVENT_HEADER: &str = "X-CarrierSim-Event";
/// The format's name in the delivery log.
pub const FORMAT: &str = "webhook";
/// Timeout of one delivery attempt.
const TIMEOUT: Duration = Duration::from_secs(10);

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

impl Webhook {
    fn retry(&self) -> Retry {
        Retry {
            attempts: self.max_attempts.max(1),
            first_delay: Duration::from_millis(self.backoff_ms.max(1)),
            timeout: TIMEOUT,
        }
    }

    fn wants(&self, e: &Event) -> bool {
        e.account == self.account.as_str()
            && (self.types.is_empty() || self.types.iter().any(|t| t == e.kind.type_name()))
    }
}

/// Lowercase hex HMAC-SHA256 of `body` under `secret` (the signature
/// header carries it after `sha256=`).
pub fn sign(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_sha256(secret.as_bytes(), &[body]))
}

/// The subscriptions, and the webhook format of the delivery worker.
pub struct Webhooks {
    hooks: DashMap<String, Webhook>,
    next_id: AtomicU64,
    outbound: Outbound,
}

impl Webhooks {
    /// A subscription table that sends through `outbound`.
    pub fn start(outbound: &Outbound) -> Arc<Webhooks> {
        let hooks = Arc::new(Webhooks {
            hooks: DashMap::new(),
            next_id: AtomicU64::new(0),
            outbound: outbound.clone(),
        });
        let format: Arc<dyn Encoder> = hooks.clone();
        outbound.register(Arc::downgrade(&format));
        hooks
    }

    /// Adds a subscription (a new id unless it names one); one with the
    /// same id is replaced and its queued events dropped.
    pub fn add(&self, mut hook: Webhook) -> Webhook {
        if hook.id.is_empty() {
            let n = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
            hook.id = format!("wh-{n}");
        }
        if self.hooks.insert(hook.id.clone(), hook.clone()).is_some() {
            self.outbound.close(&hook.id);
        }
        hook
    }

    pub fn remove(&self, id: &str) -> bool {
        let removed = self.hooks.remove(id).is_some();
        if removed {
            self.outbound.close(id);
        }
        removed
    }

    pub fn list(&self) -> Vec<Webhook> {
        let mut v: Vec<Webhook> = self.hooks.iter().map(|h| h.clone()).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// Delivery attempts, oldest first, as `/_sim/webhooks/deliveries`
    /// shows them.
    pub fn deliveries(&self, webhook: Option<&str>) -> Vec<Value> {
        self.outbound
            .deliveries(FORMAT, webhook)
            .into_iter()
            .map(|d| {
                json!({
                    "webhook": d.subscriber,
                    "seq": d.seq,
                    "iccid": d.iccid,
                    "event_type": d.event_type,
                    "attempt": d.attempt,
                    "status": d.status,
                    "ok": d.ok,
                    "error": d.error,
                })
            })
            .collect()
    }

    /// Delivery attempts that succeeded and that failed.
    pub fn delivery_counts(&self) -> (usize, usize) {
        let all = self.outbound.deliveries(FORMAT, None);
        let ok = all.iter().filter(|d| d.ok).count();
        (ok, all.len() - ok)
    }
}

impl Encoder for Webhooks {
    fn format(&self) -> &'static str {
        FORMAT
    }

    /// A subscription that fell behind the journal's retention gets
    /// `{"type":"gap","from":..,"to":..,"dropped":n}` (signed like an
    /// event, `X-CarrierSim-Event: gap`) in place of what it missed.
    fn encode_gap(&self, subscriber: &str, gap: &Gap) -> Option<Outgoing> {
        let h = self.hooks.get(subscriber)?.clone();
        let body = serde_json::to_vec(&gap.to_json()).unwrap_or_default();
        Some(Outgoing {
            headers: vec![
                (
                    SIGNATURE_HEADER,
                    format!("sha256={}", sign(&h.secret, &body)),
                ),
                (EVENT_HEADER, "gap".to_string()),
            ],
            content_type: "application/json",
            body,
            retry: h.retry(),
            event_id: format!("gap-{}-{}", gap.from, gap.to),
            event_type: "gap".to_string(),
            subscriber: h.id,
            url: h.url,
        })
    }

    fn subscribers(&self) -> Vec<String> {
        self.hooks.iter().map(|h| h.id.clone()).collect()
    }

    fn encode(&self, event: &Event) -> Vec<Outgoing> {
        let wanted: Vec<Webhook> = self
            .hooks
            .iter()
            .filter(|h| h.wants(event))
            .map(|h| h.clone())
            .collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        let body = serde_json::to_vec(&views::event(event)).unwrap_or_default();
        wanted
            .into_iter()
            .map(|h| Outgoing {
                headers: vec![
                    (
                        SIGNATURE_HEADER,
                        format!("sha256={}", sign(&h.secret, &body)),
                    ),
                    (EVENT_HEADER, event.seq.to_string()),
                ],
                content_type: "application/json",
                body: body.clone(),
                retry: h.retry(),
                event_id: event.seq.to_string(),
                event_type: event.kind.type_name().to_string(),
                subscriber: h.id,
                url: h.url,
            })
            .collect()
    }
}

/// `GET /_sim/webhooks`.
pub async fn list(State(s): State<ControlState>) -> Json<Value> {
    Json(json!({"items": s.plane.webhooks.list()}))
}

/// `POST /_sim/webhooks`: subscribe (201 with the subscription).
pub async fn add(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let hook: Webhook =
        serde_json::from_slice(&body).map_err(|e| bad(format!("bad webhook: {e}")))?;
    if s.world.account(&hook.account).is_none() {
        return Err(bad(format!("unknown account '{}'", hook.account)));
    }
    if !(hook.url.starts_with("http://") || hook.url.starts_with("https://")) {
        return Err(bad("url must be http(s)"));
    }
    Ok(created(json!(s.plane.webhooks.add(hook))))
}

/// `DELETE /_sim/webhooks/{id}`.
pub async fn remove(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.plane.webhooks.remove(&id) {
        Ok(Json(json!({"removed": id})))
    } else {
        Err(not_found(format!("webhook {id} not found")))
    }
}

/// `GET /_sim/webhooks/deliveries[?webhook=id]`: every attempt, oldest first.
pub async fn deliveries(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    Json(json!({"items": s.plane.webhooks.deliveries(q.get("webhook").map(String::as_str))}))
}
