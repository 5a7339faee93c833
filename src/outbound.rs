//! The one outbound delivery worker: journal events leave the simulator as
//! HTTP callbacks through here, whatever their wire format. A *format*
//! ([`Encoder`]) says who receives an event and with which signed request
//! (the admin plane's generic webhook JSON, China Unicom's Control Center
//! push form with its XML `data`); this worker owns everything else:
//!
//! - one ordered queue per subscriber (a *lane*): a subscriber's requests
//!   leave in journal order, the next one only after the previous was
//!   delivered or given up;
//! - retries with exponential backoff on a transport error or a non-2xx
//!   answer, per the subscriber's [`Retry`];
//! - the delivery log, one entry per attempt (capped, oldest dropped);
//! - HMAC-SHA256, which every format signs with ([`hmac_sha256`]).
//!
//! The worker follows the journal's live feed and needs nothing else of the
//! world, so it sits beside the journal; the formats register from above
//! and are held weakly (a dropped surface stops receiving), and the worker
//! stops with the journal.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use dashmap::DashMap;
use hmac::{Hmac, Mac};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, Notify};

use crate::domain::Event;
use crate::journal::Journal;

/// Attempts entries kept in the delivery log.
pub const LOG_CAP: usize = 10_000;

/// HMAC-SHA256 of the concatenated `parts` under `key`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// How often and how patiently a subscriber is tried.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Retry {
    /// Attempts before the request is given up (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub first_delay: Duration,
    /// Timeout of one attempt.
    pub timeout: Duration,
}

/// One signed HTTP request for one subscriber, built by a format.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The lane: requests of one subscriber leave in order.
    pub subscriber: String,
    pub url: String,
    pub content_type: &'static str,
    /// Extra headers (signatures, event ids).
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub retry: Retry,
    /// The event as the format names it (logged).
    pub event_id: String,
    pub event_type: String,
}

/// A wire format of outbound events: who receives an event and how.
pub trait Encoder: Send + Sync {
    /// The format's name in the delivery log (`webhook`, `cucc_push`).
    fn format(&self) -> &'static str;
    /// The requests an event causes: one per subscriber that wants it.
    fn encode(&self, event: &Event) -> Vec<Outgoing>;
}

/// One delivery attempt.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    pub format: &'static str,
    pub subscriber: String,
    pub url: String,
    pub event_id: String,
    pub event_type: String,
    pub seq: u64,
    pub iccid: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// HTTP status, or 0 when the request failed.
    pub status: u16,
    pub ok: bool,
    pub error: String,
}

/// A request waiting in a lane, with the event facts the log needs.
struct Queued {
    format: &'static str,
    seq: u64,
    iccid: String,
    out: Outgoing,
}

/// One subscriber's ordered queue and its delivery task.
struct Lane {
    queue: Mutex<VecDeque<Queued>>,
    wake: Notify,
    stop: Notify,
    stopped: AtomicBool,
}

impl Lane {
    fn close(&self) {
        self.stopped.store(true, Ordering::Release);
        self.queue.lock().clear();
        self.stop.notify_one();
    }
}

#[derive(Default)]
struct Inner {
    formats: RwLock<Vec<Weak<dyn Encoder>>>,
    lanes: DashMap<String, Arc<Lane>>,
    log: Mutex<VecDeque<Delivery>>,
}

/// The delivery worker (cheap to clone: a handle).
#[derive(Clone)]
pub struct Outbound {
    inner: Arc<Inner>,
    client: reqwest::Client,
}

impl Outbound {
    /// Starts following the journal (needs a Tokio runtime). The worker
    /// ends, and every lane with it, when the journal's feed closes.
    pub fn start(journal: &Journal) -> Outbound {
        let outbound = Outbound {
            inner: Arc::default(),
            client: reqwest::Client::new(),
        };
        tokio::spawn(outbound.clone().fan_out(journal.subscribe()));
        outbound
    }

    /// Adds a format; it is asked about every event from now on, for as
    /// long as someone else holds it.
    pub fn register(&self, format: Weak<dyn Encoder>) {
        self.inner.formats.write().push(format);
    }

    /// Drops a subscriber's lane: what it still had queued is not sent,
    /// and a retry under way stops.
    pub fn close(&self, subscriber: &str) {
        if let Some((_, lane)) = self.inner.lanes.remove(subscriber) {
            lane.close();
        }
    }

    /// The delivery log of one format, oldest first, optionally of one
    /// subscriber.
    pub fn deliveries(&self, format: &str, subscriber: Option<&str>) -> Vec<Delivery> {
        self.inner
            .log
            .lock()
            .iter()
            .filter(|d| d.format == format && subscriber.is_none_or(|s| d.subscriber == s))
            .cloned()
            .collect()
    }

    async fn fan_out(self, mut feed: broadcast::Receiver<Event>) {
        loop {
            match feed.recv().await {
                Ok(event) => self.dispatch(&event),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!("outbound deliveries lagged {n} journal events")
                }
                Err(RecvError::Closed) => break,
            }
        }
        for lane in self.inner.lanes.iter() {
            lane.close();
        }
        self.inner.lanes.clear();
    }

    /// Queues what each live format makes of one event.
    fn dispatch(&self, event: &Event) {
        let formats: Vec<Arc<dyn Encoder>> = {
            let mut list = self.inner.formats.write();
            list.retain(|f| f.strong_count() > 0);
            list.iter().filter_map(Weak::upgrade).collect()
        };
        for format in formats {
            for out in format.encode(event) {
                let lane = self.lane(&out.subscriber);
                lane.queue.lock().push_back(Queued {
                    format: format.format(),
                    seq: event.seq,
                    iccid: event.iccid.to_string(),
                    out,
                });
                lane.wake.notify_one();
            }
        }
    }

    /// The subscriber's lane, started on first use.
    fn lane(&self, subscriber: &str) -> Arc<Lane> {
        if let Some(lane) = self.inner.lanes.get(subscriber) {
            return lane.clone();
        }
        let lane = self
            .inner
            .lanes
            .entry(subscriber.to_string())
            .or_insert_with(|| {
                let lane = Arc::new(Lane {
                    queue: Mutex::default(),
                    wake: Notify::new(),
                    stop: Notify::new(),
                    stopped: AtomicBool::new(false),
                });
                tokio::spawn(self.clone().drain(lane.clone()));
                lane
            })
            .clone();
        lane
    }

    /// A lane's task: its requests one after the other, until closed.
    async fn drain(self, lane: Arc<Lane>) {
        loop {
            if lane.stopped.load(Ordering::Acquire) {
                return;
            }
            let next = lane.queue.lock().pop_front();
            let Some(item) = next else {
                tokio::select! {
                    _ = lane.wake.notified() => continue,
                    _ = lane.stop.notified() => return,
                }
            };
            if !self.deliver(&lane, &item).await {
                return;
            }
        }
    }

    /// Sends one request with its retries; false when the lane closed
    /// meanwhile.
    async fn deliver(&self, lane: &Lane, item: &Queued) -> bool {
        let out = &item.out;
        let mut delay = out.retry.first_delay;
        let attempts = out.retry.attempts.max(1);
        for attempt in 1..=attempts {
            let mut req = self
                .client
                .post(&out.url)
                .timeout(out.retry.timeout)
                .header("content-type", out.content_type)
                .body(out.body.clone());
            for (name, value) in &out.headers {
                req = req.header(*name, value);
            }
            let (status, error) = match req.send().await {
                Ok(r) => (r.status().as_u16(), String::new()),
                Err(e) => (0, e.to_string()),
            };
            let ok = (200..300).contains(&status);
            self.log(item, attempt, status, ok, error);
            if ok || attempt == attempts {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = lane.stop.notified() => return false,
            }
            delay = delay.saturating_mul(2);
        }
        true
    }

    fn log(&self, item: &Queued, attempt: u32, status: u16, ok: bool, error: String) {
        let mut log = self.inner.log.lock();
        if log.len() == LOG_CAP {
            log.pop_front();
        }
        log.push_back(Delivery {
            format: item.format,
            subscriber: item.out.subscriber.clone(),
            url: item.out.url.clone(),
            event_id: item.out.event_id.clone(),
            event_type: item.out.event_type.clone(),
            seq: item.seq,
            iccid: item.iccid.clone(),
            attempt,
            status,
            ok,
            error,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
