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
//! The worker reads the journal by cursor, never from a feed that drops.
//! A lane holds at most [`LANE_QUEUE_CAP`] requests (or the journal's cap,
//! when smaller); a subscriber that falls further behind stops being
//! queued for and reads the journal itself from where it stopped, so it
//! loses nothing the journal still keeps. What fell out of the journal's
//! retention before a subscriber got it is said explicitly: the format's
//! gap notice ([`Encoder::encode_gap`], the webhook's
//! `{"type":"gap",...}`), and a `gap` entry in the delivery log.
//!
//! The formats register from above and are held weakly (a dropped surface
//! stops receiving), the journal is held weakly too, and the worker stops
//! with the journal.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use dashmap::DashMap;
use hmac::{Hmac, Mac};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use sha2::Sha256;
use tokio::sync::Notify;

use crate::domain::Event;
use crate::journal::{EventFilter, Follower, Gap, Journal, JournalHandle};

/// Requests a lane queues at most; beyond, the subscriber reads the
/// journal by its own cursor.
pub const LANE_QUEUE_CAP: usize = 1024;
/// Journal events the worker reads at once.
const READ_BATCH: usize = 1024;

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
    /// The notice telling `subscriber` that journal events it may have
    /// wanted fell out of retention before it got them; `None` when the
    /// format has no such message (the delivery log still records it).
    fn encode_gap(&self, _subscriber: &str, _gap: &Gap) -> Option<Outgoing> {
        None
    }
    /// Every subscriber there is now (told of gaps even before its first event).
    fn subscribers(&self) -> Vec<String> {
        Vec::new()
    }
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
    subscriber: String,
    /// The format whose subscriber this is.
    format: &'static str,
    state: Mutex<LaneState>,
    wake: Notify,
    stop: Notify,
    stopped: AtomicBool,
}

#[derive(Default)]
struct LaneState {
    queue: VecDeque<Queued>,
    /// The first journal event not queued because the queue was full: the
    /// lane reads the journal itself from there until it caught up.
    behind_from: Option<u64>,
}

impl Lane {
    fn close(&self) {
        self.stopped.store(true, Ordering::Release);
        self.state.lock().queue.clear();
        self.stop.notify_one();
    }
}

/// What a lane does next.
enum Step {
    Send(Box<Queued>),
    CatchUp(u64),
    Wait,
}

struct Inner {
    formats: RwLock<Vec<Weak<dyn Encoder>>>,
    lanes: DashMap<String, Arc<Lane>>,
    log: Mutex<VecDeque<Delivery>>,
    journal: JournalHandle,
    lane_cap: usize,
    /// The last journal event the dispatcher handed to the lanes; held
    /// while it does, so a lane that caught up rejoins without a hole.
    dispatched: Mutex<u64>,
    /// Journal events some subscriber lost to retention (summed over subscribers).
    gap_events: AtomicU64,
    /// Gap notices (or log entries where a format has none).
    gaps: AtomicU64,
}

/// The delivery worker (cheap to clone: a handle).
#[derive(Clone)]
pub struct Outbound {
    inner: Arc<Inner>,
    client: reqwest::Client,
}

/// Gap figures of the worker (`/_sim/status`, metrics).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct GapStats {
    /// Gap notices given (one per subscriber and gap).
    pub gaps: u64,
    /// Journal events those gaps covered, summed over subscribers.
    pub events: u64,
}

impl Outbound {
    /// Starts following the journal from its newest event (needs a Tokio
    /// runtime). The worker ends, and every lane with it, when the journal
    /// is dropped.
    pub fn start(journal: &Journal) -> Outbound {
        let lane_cap = LANE_QUEUE_CAP.min(journal.cap()).max(1);
        let follower = journal.follow(None);
        let outbound = Outbound {
            inner: Arc::new(Inner {
                formats: RwLock::default(),
                lanes: DashMap::new(),
                log: Mutex::default(),
                journal: journal.handle(),
                lane_cap,
                dispatched: Mutex::new(follower.cursor),
                gap_events: AtomicU64::new(0),
                gaps: AtomicU64::new(0),
            }),
            client: reqwest::Client::new(),
        };
        tokio::spawn(outbound.clone().fan_out(follower));
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

    /// Gaps given to subscribers so far.
    pub fn gap_stats(&self) -> GapStats {
        GapStats {
            gaps: self.inner.gaps.load(Ordering::Relaxed),
            events: self.inner.gap_events.load(Ordering::Relaxed),
        }
    }

    fn formats(&self) -> Vec<Arc<dyn Encoder>> {
        let mut list = self.inner.formats.write();
        list.retain(|f| f.strong_count() > 0);
        list.iter().filter_map(Weak::upgrade).collect()
    }

    async fn fan_out(self, mut follower: Follower) {
        let all = EventFilter::default();
        while let Some(read) = follower.next(&all, READ_BATCH).await {
            let formats = self.formats();
            let mut dispatched = self.inner.dispatched.lock();
            if let Some(gap) = read.gap {
                self.dispatch_gap(&formats, &gap);
            }
            for event in &read.events {
                self.dispatch(&formats, event);
            }
            *dispatched = read.cursor;
        }
        for lane in self.inner.lanes.iter() {
            lane.close();
        }
        self.inner.lanes.clear();
    }

    /// Queues what each live format makes of one event (the dispatcher's
    /// lock held).
    fn dispatch(&self, formats: &[Arc<dyn Encoder>], event: &Event) {
        for format in formats {
            for out in format.encode(event) {
                let lane = self.lane(&out.subscriber, format.format());
                let mut st = lane.state.lock();
                if st.behind_from.is_some() {
                    continue; // the lane reads this one from the journal
                }
                if st.queue.len() >= self.inner.lane_cap {
                    st.behind_from = Some(event.seq);
                    continue;
                }
                st.queue.push_back(Queued {
                    format: format.format(),
                    seq: event.seq,
                    iccid: event.iccid.to_string(),
                    out,
                });
                drop(st);
                lane.wake.notify_one();
            }
        }
    }

    /// The dispatcher itself fell behind retention: every subscriber
    /// (except lanes reading the journal themselves, who see it there) is told.
    fn dispatch_gap(&self, formats: &[Arc<dyn Encoder>], gap: &Gap) {
        for format in formats {
            let mut subscribers = format.subscribers();
            for lane in self.inner.lanes.iter() {
                if lane.format == format.format() {
                    subscribers.push(lane.key().clone());
                }
            }
            subscribers.sort();
            subscribers.dedup();
            for subscriber in subscribers {
                let lane = self.lane(&subscriber, format.format());
                let mut st = lane.state.lock();
                if st.behind_from.is_some() {
                    continue;
                }
                if let Some(item) = self.gap_item(format.as_ref(), &subscriber, gap) {
                    st.queue.push_back(item);
                    drop(st);
                    lane.wake.notify_one();
                }
            }
        }
    }

    /// A subscriber missed `gap`: counted, and its notice when the format
    /// has one (else a log entry says so).
    fn gap_item(&self, format: &dyn Encoder, subscriber: &str, gap: &Gap) -> Option<Queued> {
        let out = format.encode_gap(subscriber, gap);
        self.inner.gaps.fetch_add(1, Ordering::Relaxed);
        self.inner
            .gap_events
            .fetch_add(gap.dropped(), Ordering::Relaxed);
        match out {
            Some(out) => Some(Queued {
                format: format.format(),
                seq: gap.to,
                iccid: String::new(),
                out,
            }),
            None => {
                self.log_entry(Delivery {
                    format: format.format(),
                    subscriber: subscriber.to_string(),
                    url: String::new(),
                    event_id: format!("gap-{}-{}", gap.from, gap.to),
                    event_type: "gap".into(),
                    seq: gap.to,
                    iccid: String::new(),
                    attempt: 0,
                    status: 0,
                    ok: false,
                    error: format!(
                        "journal events {} to {} ({}) fell out of retention before delivery",
                        gap.from,
                        gap.to,
                        gap.dropped()
                    ),
                });
                None
            }
        }
    }

    /// The subscriber's lane, started on first use.
    fn lane(&self, subscriber: &str, format: &'static str) -> Arc<Lane> {
        if let Some(lane) = self.inner.lanes.get(subscriber) {
            return lane.clone();
        }
        let lane = self
            .inner
            .lanes
            .entry(subscriber.to_string())
            .or_insert_with(|| {
                let lane = Arc::new(Lane {
                    subscriber: subscriber.to_string(),
                    format,
                    state: Mutex::default(),
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
            let step = {
                let mut st = lane.state.lock();
                match st.queue.pop_front() {
                    Some(item) => Step::Send(Box::new(item)),
                    None => match st.behind_from {
                        Some(from) => Step::CatchUp(from),
                        None => Step::Wait,
                    },
                }
            };
            match step {
                Step::Send(item) => {
                    if !self.deliver(&lane, &item).await {
                        return;
                    }
                }
                Step::CatchUp(from) => {
                    if !self.catch_up(&lane, from) {
                        return;
                    }
                }
                Step::Wait => {
                    tokio::select! {
                        _ = lane.wake.notified() => continue,
                        _ = lane.stop.notified() => return,
                    }
                }
            }
        }
    }

    /// A lane that fell behind reads the journal from `from` (its next
    /// event) and queues its own requests, with the gap first when some of
    /// them fell out meanwhile; rejoins the dispatcher once caught up.
    /// False when the journal is gone.
    fn catch_up(&self, lane: &Lane, from: u64) -> bool {
        let all = EventFilter::default();
        // Never past what the dispatcher handled: it hands on what follows.
        let upto = *self.inner.dispatched.lock();
        let Some(mut read) =
            self.inner
                .journal
                .read(from.saturating_sub(1), &all, self.inner.lane_cap)
        else {
            return false;
        };
        read.events.retain(|e| e.seq <= upto);
        read.cursor = read.cursor.min(upto);
        let formats = self.formats();
        let mut items = Vec::new();
        if let Some(gap) = read.gap {
            if let Some(format) = formats.iter().find(|f| f.format() == lane.format) {
                items.extend(self.gap_item(format.as_ref(), &lane.subscriber, &gap));
            }
        }
        for event in &read.events {
            for format in &formats {
                for out in format.encode(event) {
                    if out.subscriber == lane.subscriber {
                        items.push(Queued {
                            format: format.format(),
                            seq: event.seq,
                            iccid: event.iccid.to_string(),
                            out,
                        });
                    }
                }
            }
        }
        let dispatched = self.inner.dispatched.lock();
        let mut st = lane.state.lock();
        st.queue.extend(items);
        st.behind_from = (read.cursor < *dispatched).then_some(read.cursor + 1);
        true
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
        self.log_entry(Delivery {
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

    fn log_entry(&self, entry: Delivery) {
        let mut log = self.inner.log.lock();
        if log.len() == LOG_CAP {
            log.pop_front();
        }
        log.push_back(entry);
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
