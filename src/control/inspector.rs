//! The live request inspector's mechanisms (handlers in [`super::ops`]): a
//! Server-Sent Events stream of the request journal
//! (`GET /_sim/requests/stream`, one `request` event per journaled
//! exchange, filters as for `GET /_sim/requests`) and the history of fault
//! rules that fired (`GET /_sim/faults/fired`), kept apart from the rules
//! so that a rule that retired (a `count` of 1, a window that ended) or was
//! removed still shows what it did. Documented in `docs/admin-api.md` and
//! `docs/dashboard.md`.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use super::faults::Faults;
use super::requests::{RequestFilter, RequestRecord};
use super::{bad, find, ApiError, Plane};
use crate::domain::Carrier;

/// Fired-fault records kept (oldest dropped first).
pub const FIRED_CAP: usize = 1000;

/// One firing of one rule.
#[derive(Clone, Debug, Serialize)]
pub struct Fired {
    /// Journal seq of the request it fired on (`null` when the journal
    /// was off).
    pub request_seq: Option<u64>,
    /// Wall-clock and simulated time of the request.
    pub time: String,
    pub sim_time: String,
    pub carrier: Option<Carrier>,
    pub method: String,
    pub path: String,
    /// The status the client got (0 = connection reset).
    pub status: u16,
    /// Rule id (`ratelimit:<id>` for the carrier's rate limit).
    pub rule_id: String,
    /// The rule as it was when it fired (`null` for a rate limit).
    pub rule: Value,
}

/// The capped history of fired rules.
#[derive(Default)]
pub struct FiredLog {
    items: Mutex<VecDeque<Fired>>,
}

impl FiredLog {
    /// The specs of the rules that just fired, read while they are still
    /// listed (a spent rule is only dropped at the next decision).
    pub fn rules_of(&self, faults: &Faults, ids: &[String]) -> Vec<Value> {
        if ids.is_empty() {
            return Vec::new();
        }
        let rules = faults.list();
        ids.iter()
            .map(|id| {
                rules
                    .iter()
                    .find(|r| &r.spec.id == id)
                    .and_then(|r| serde_json::to_value(&r.spec).ok())
                    .unwrap_or(Value::Null)
            })
            .collect()
    }

    /// Notes every rule that fired on a finished request.
    pub fn record(&self, r: &RequestRecord, request_seq: Option<u64>, status: u16) {
        if r.faults.is_empty() {
            return;
        }
        let mut g = self.items.lock();
        for (i, id) in r.faults.iter().enumerate() {
            while g.len() >= FIRED_CAP {
                g.pop_front();
            }
            g.push_back(Fired {
                request_seq,
                time: r.time.clone(),
                sim_time: r.sim_time.clone(),
                carrier: r.carrier,
                method: r.method.clone(),
                path: r.path.clone(),
                status,
                rule_id: id.clone(),
                rule: r.fired_rules.get(i).cloned().unwrap_or(Value::Null),
            });
        }
    }

    pub fn list(&self) -> Vec<Fired> {
        self.items.lock().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.items.lock().clear();
    }
}

/// The journal filters of the stream (`carrier`, `method`, `path`,
/// `status`, `account`, `card`, `after`).
fn stream_filter(
    world: &crate::world::World,
    q: &HashMap<String, String>,
) -> Result<RequestFilter, ApiError> {
    let num = |k: &str| -> Result<Option<u64>, ApiError> {
        q.get(k)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| bad(format!("{k} must be a non-negative integer, got '{v}'")))
            })
            .transpose()
    };
    Ok(RequestFilter {
        carrier: q
            .get("carrier")
            .map(|c| {
                Carrier::parse(c)
                    .ok_or_else(|| bad(format!("unknown carrier '{c}' (cmcc, cucc, ctcc)")))
            })
            .transpose()?,
        method: q.get("method").cloned(),
        path: q.get("path").cloned(),
        status: num("status")?
            .map(|v| u16::try_from(v).map_err(|_| bad("status must be an HTTP status")))
            .transpose()?,
        account: q.get("account").cloned(),
        card: match q.get("card") {
            Some(c) => Some(find(world, c)?.to_string()),
            None => None,
        },
        after: num("after")?,
        limit: 1000,
    })
}

/// Each journaled exchange that matches the filters as an SSE `request`
/// event (id = seq, data = the record as in `GET /_sim/requests`),
/// starting after `after` (default: now).
pub fn requests_stream(
    plane: Arc<Plane>,
    q: &HashMap<String, String>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let mut filter = stream_filter(&plane.world, q)?;
    let rx = plane.requests.subscribe();
    if filter.after.is_none() {
        filter.after = Some(*rx.borrow());
    }
    // State: the change feed, the filter whose `after` is the cursor,
    // records read but not sent yet, and whether the last read was full
    // (then read again before waiting).
    let stream = futures::stream::unfold(
        (rx, filter, VecDeque::<RequestRecord>::new(), false),
        move |(mut rx, mut filter, mut pending, mut more)| {
            let plane = plane.clone();
            async move {
                loop {
                    if let Some(r) = pending.pop_front() {
                        let ev = SseEvent::default()
                            .id(r.seq.to_string())
                            .event("request")
                            .data(serde_json::to_string(&r).unwrap_or_default());
                        return Some((Ok(ev), (rx, filter, pending, more)));
                    }
                    let newest = if more {
                        *rx.borrow()
                    } else {
                        // Wait for a change; `None` ends the stream (server gone).
                        rx.changed().await.ok()?;
                        *rx.borrow_and_update()
                    };
                    let items = plane.requests.query(&filter);
                    more = items.len() >= filter.limit;
                    filter.after = Some(match items.last() {
                        Some(last) => last.seq,
                        // Nothing matched up to `newest`; a cleared or
                        // restored journal may also have moved seqs back.
                        None => newest,
                    });
                    pending.extend(items);
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
