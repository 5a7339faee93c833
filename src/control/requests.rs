//! The request journal and the carrier-API middleware. Every request to a
//! carrier path (one a dialect owns, see [`dialect_of`]) passes through
//! [`layer`]: its
//! parameters are read (query, form or JSON body, Basic-auth user), the
//! account and cards it names are matched, faults are decided and applied,
//! and request and response are recorded — secrets masked — in a capped
//! ring buffer with filters, and counted in the metrics.
//!
//! The `/_sim/requests` handlers (query, clear, configure, follow live) are
//! at the end.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::faults::{Decision, FaultKind, RequestFacts};
use super::{bad, find, inspector, json_body, ApiError, ApiResult, ControlState, Plane};
use crate::carriers::dialect::{dialect_of, gateway_timeout, Dialect, ErrorContext, NeutralError};
use crate::domain::Carrier;
use crate::store::CardRef;

/// Requests kept by default.
pub const DEFAULT_REQUEST_CAP: usize = 10_000;
/// Largest request body read for parameters and the journal.
const BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Response bytes kept per record (10 000 records stay under ~80 MiB).
const KEEP_BODY: usize = 8 * 1024;
/// Parameter bytes (names and values) kept per record: a 1 MiB form field
/// is journaled as its first bytes and its length, not whole.
pub const KEEP_PARAM_BYTES: usize = 8 * 1024;
/// Request-header bytes kept per record.
pub const KEEP_HEADER_BYTES: usize = 4 * 1024;
/// Parameters (or headers) kept per record.
pub const KEEP_PAIRS: usize = 100;

/// Parameter names whose values are masked (case-insensitive substring).
const SECRET_NAMES: [&str; 8] = [
    "password",
    "token",
    "sign",
    "api_key",
    "apikey",
    "authorization",
    "secret",
    "pwd",
];

/// Whether a parameter's value must be masked in the journal.
pub fn is_secret(name: &str) -> bool {
    let n = name.as_bytes();
    SECRET_NAMES.iter().any(|s| {
        let s = s.as_bytes();
        n.len() >= s.len() && n.windows(s.len()).any(|w| w.eq_ignore_ascii_case(s))
    })
}

/// One carrier-API exchange.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub seq: u64,
    /// Wall-clock time the request arrived.
    pub time: String,
    /// Simulated time the request arrived.
    pub sim_time: String,
    pub carrier: Option<Carrier>,
    pub method: String,
    pub path: String,
    /// Query, form, JSON-body and Basic-auth parameters, secrets masked.
    pub params: Vec<(String, String)>,
    pub status: u16,
    /// Response body (first 8 KiB).
    pub body: String,
    pub latency_ms: f64,
    pub account: Option<String>,
    pub cards: Vec<String>,
    /// Fault rules that fired.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// Request headers, secrets masked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_headers: Vec<(String, String)>,
    /// Response headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_headers: Vec<(String, String)>,
    /// The fired rules as they were when they fired (for the fired-fault
    /// history; not part of the journal's JSON).
    #[serde(skip)]
    pub fired_rules: Vec<serde_json::Value>,
}

/// Headers as name/value pairs, secret values (authorization, tokens,
/// signatures, keys) masked.
pub fn header_pairs(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            let name = k.as_str().to_string();
            let value = if is_secret(&name) || name.eq_ignore_ascii_case("cookie") {
                "***".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// At most `max` bytes of `s`, cut at a character boundary, with the
/// length of what was left out.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…(+{} bytes)", &s[..end], s.len() - end)
}

/// What a record keeps of name/value pairs: at most [`KEEP_PAIRS`] of them
/// and `budget` bytes in all (each value clipped to what is left, at least
/// 64 bytes), so a record's size is bounded whatever the request was.
pub fn keep_pairs(pairs: Vec<(String, String)>, budget: usize) -> Vec<(String, String)> {
    let total = pairs.len();
    let mut left = budget;
    let mut out = Vec::with_capacity(total.min(KEEP_PAIRS + 1));
    for (k, v) in pairs.into_iter().take(KEEP_PAIRS) {
        if left == 0 {
            break;
        }
        let k = clip(&k, 128);
        let v = clip(&v, left.saturating_sub(k.len()).max(64));
        left = left.saturating_sub(k.len() + v.len());
        out.push((k, v));
    }
    if out.len() < total {
        out.push(("…".into(), format!("{} more not kept", total - out.len())));
    }
    out
}

/// Filters for a journal query.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    pub carrier: Option<Carrier>,
    pub method: Option<String>,
    /// Substring of the path.
    pub path: Option<String>,
    pub status: Option<u16>,
    pub account: Option<String>,
    pub card: Option<String>,
    pub after: Option<u64>,
    pub limit: usize,
}

impl RequestFilter {
    fn matches(&self, r: &RequestRecord) -> bool {
        self.carrier.is_none_or(|c| r.carrier == Some(c))
            && self
                .method
                .as_deref()
                .is_none_or(|m| r.method.eq_ignore_ascii_case(m))
            && self.path.as_deref().is_none_or(|p| r.path.contains(p))
            && self.status.is_none_or(|s| r.status == s)
            && self
                .account
                .as_deref()
                .is_none_or(|a| r.account.as_deref() == Some(a))
            && self
                .card
                .as_deref()
                .is_none_or(|c| r.cards.iter().any(|x| x == c))
            && self.after.is_none_or(|a| r.seq > a)
    }
}

/// The capped ring buffer of exchanges.
pub struct RequestLog {
    inner: Mutex<LogInner>,
    /// The newest seq, for live followers (`/_sim/requests/stream`).
    newest: tokio::sync::watch::Sender<u64>,
    /// Off: exchanges are neither kept nor cloned (faults still apply).
    enabled: std::sync::atomic::AtomicBool,
}

struct LogInner {
    items: VecDeque<RequestRecord>,
    cap: usize,
    next_seq: u64,
}

impl Default for RequestLog {
    fn default() -> Self {
        Self::new(DEFAULT_REQUEST_CAP)
    }
}

impl RequestLog {
    pub fn new(cap: usize) -> Self {
        RequestLog {
            inner: Mutex::new(LogInner {
                items: VecDeque::new(),
                cap: cap.max(1),
                next_seq: 1,
            }),
            newest: tokio::sync::watch::Sender::new(0),
            enabled: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Whether exchanges are recorded.
    pub fn enabled(&self) -> bool {
        self.enabled.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Journals a record; returns its seq (`None` when recording is off).
    pub fn push(&self, mut r: RequestRecord) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        let seq = {
            let mut g = self.inner.lock();
            r.seq = g.next_seq;
            g.next_seq += 1;
            while g.items.len() >= g.cap {
                g.items.pop_front();
            }
            let seq = r.seq;
            g.items.push_back(r);
            seq
        };
        self.newest.send_replace(seq);
        Some(seq)
    }

    /// Follows the newest seq (changes on every journaled request).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.newest.subscribe()
    }

    /// Matching records, oldest first.
    pub fn query(&self, f: &RequestFilter) -> Vec<RequestRecord> {
        let limit = if f.limit == 0 { 100 } else { f.limit };
        let g = self.inner.lock();
        g.items
            .iter()
            .filter(|r| f.matches(r))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<RequestRecord> {
        self.inner.lock().items.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn cap(&self) -> usize {
        self.inner.lock().cap
    }

    /// Changes the cap, dropping the oldest records beyond it.
    pub fn set_cap(&self, cap: usize) {
        let mut g = self.inner.lock();
        g.cap = cap.max(1);
        while g.items.len() > g.cap {
            g.items.pop_front();
        }
    }

    /// Forgets every record and gives their memory back (the ring's
    /// capacity too).
    pub fn clear(&self) {
        let old = std::mem::take(&mut self.inner.lock().items);
        drop(old);
    }

    /// Replaces the content (snapshot load).
    pub fn restore(&self, items: Vec<RequestRecord>) {
        let mut g = self.inner.lock();
        g.next_seq = items.iter().map(|r| r.seq).max().unwrap_or(0) + 1;
        g.items = items.into();
        while g.items.len() > g.cap {
            g.items.pop_front();
        }
    }
}

/// Reads every parameter of a request: query string, form or JSON body
/// (top-level and one level of nesting), and the Basic-auth user name.
pub fn read_params(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    if let Some(q) = query {
        out.extend(form_urlencoded::parse(q.as_bytes()).into_owned());
    }
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !body.is_empty() {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            flatten_json("", &v, &mut out, 0);
        } else if (ctype.contains("x-www-form-urlencoded") || !ctype.contains("xml"))
            && std::str::from_utf8(body).is_ok_and(|s| s.contains('='))
        {
            out.extend(form_urlencoded::parse(body).into_owned());
        }
    }
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(b64) = auth.strip_prefix("Basic ") {
            use base64::Engine;
            if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                let raw = String::from_utf8_lossy(&raw);
                let user = raw.split(':').next().unwrap_or("").to_string();
                out.push(("basic_user".into(), user));
            }
        }
        out.push(("Authorization".into(), auth.to_string()));
    }
    out
}

fn flatten_json(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>, depth: u8) {
    match v {
        serde_json::Value::Object(m) if depth < 3 => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_json(&key, v, out, depth + 1);
            }
        }
        serde_json::Value::Array(a) if depth < 3 => {
            for v in a.iter().take(100) {
                flatten_json(prefix, v, out, depth + 1);
            }
        }
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        serde_json::Value::Null => {}
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// The parameters with secret values replaced by `***`.
pub fn mask(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| {
            let last = k.rsplit('.').next().unwrap_or(k);
            if is_secret(last) {
                (k.clone(), "***".to_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

/// Account ids whose public identifiers (appid, username, app_id, open_id,
/// user_id, app_key) appear in the request; a CMCC `transid` starting with
/// the appid counts too.
fn match_accounts(plane: &Plane, params: &[(String, String)]) -> Vec<String> {
    // Parameters that can carry an account id (secrets never do).
    let candidates: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| !is_secret(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut out = Vec::new();
    // Iterates the store in place: cloning every account per request was
    // the journal's largest cost.
    for a in plane.world.store.accounts.iter() {
        let c = &a.credentials;
        let ids = [
            &c.appid,
            &c.username,
            &c.app_id,
            &c.open_id,
            &c.user_id,
            &c.app_key,
        ];
        let hit = ids.iter().filter_map(|x| x.as_deref()).any(|id| {
            !id.is_empty()
                && candidates
                    .iter()
                    .any(|(k, v)| *v == id || (*k == "transid" && v.starts_with(id)))
        });
        if hit {
            out.push(a.id.to_string());
        }
    }
    out.sort();
    out
}

/// ICCIDs of the cards named by any parameter (lists split on `,;|_`).
fn match_cards(plane: &Plane, params: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (k, v) in params {
        if is_secret(k) || k == "transid" {
            continue;
        }
        for part in v.split([',', ';', '|', '_', ' ']) {
            let part = part.trim();
            if part.len() < 11
                || part.len() > 20
                || !part.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                continue;
            }
            if let Some(iccid) = plane.world.resolve(CardRef::Any(part)) {
                if !out.iter().any(|x| x == iccid.as_str()) {
                    out.push(iccid.to_string());
                }
            }
            if out.len() >= 100 {
                return out;
            }
        }
    }
    out
}

/// The middleware on the whole application: carrier paths are journaled
/// and subject to faults; everything else passes untouched.
pub async fn layer(State(plane): State<Arc<Plane>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let Some(dialect) = dialect_of(&path) else {
        return next.run(req).await;
    };
    let arrival = Arrival {
        started: Instant::now(),
        wall: jiff::Timestamp::now(),
        sim_now: plane.world.now(),
    };
    let (parts, body) = req.into_parts();
    let Ok(body) = to_bytes(body, BODY_LIMIT).await else {
        return Response::builder()
            .status(StatusCode::PAYLOAD_TOO_LARGE)
            .body(Body::from("request body too large"))
            .expect("static response");
    };
    let (mut ex, decision) = Exchange::begin(&plane, dialect, path, &parts, &body, arrival);
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let Decision { mut action, .. } = decision;
    if action.is_none() {
        action = ex.rate_limited(&plane);
    }
    let response = match action {
        None => {
            let resp = next.run(Request::from_parts(parts, Body::from(body))).await;
            if !plane.requests.enabled() {
                // Not recording: stream the answer through untouched.
                plane.fired.record(&ex.record, None, resp.status().as_u16());
                plane.metrics.observe_request(
                    Some(ex.dialect.carrier()),
                    &ex.endpoint(),
                    resp.status().as_u16(),
                    ex.started.elapsed(),
                );
                return resp;
            }
            resp
        }
        Some(FaultKind::Reset) => ex.reset(&plane),
        Some(FaultKind::Truncate) => {
            let resp = next.run(Request::from_parts(parts, Body::from(body))).await;
            return ex.truncated(&plane, resp).await;
        }
        Some(kind) => ex.injected(kind).await,
    };
    ex.record_answer(&plane, response).await
}

/// When a request arrived: real time for the latency and the journal,
/// simulated time for the carrier's error bodies.
struct Arrival {
    started: Instant,
    wall: jiff::Timestamp,
    sim_now: jiff::Timestamp,
}

/// One carrier request on its way through [`layer`]: what was read from
/// it, and its journal record in the making.
struct Exchange {
    dialect: &'static dyn Dialect,
    path: String,
    /// Unmasked, for the dialect's error bodies.
    params: Vec<(String, String)>,
    sim_now: jiff::Timestamp,
    started: Instant,
    record: RequestRecord,
    /// The route pattern the request matched (`/rws/api/v1/devices/{iccid}`),
    /// or [`UNROUTED`]: metrics are labelled by it, never by the raw path.
    route: String,
}

/// The route of a carrier-path request no route matched.
pub const UNROUTED: &str = "(no route)";

/// The payload of the unwind that drops a connection for an injected
/// `reset` fault: hyper closes a connection whose handler unwinds, and the
/// server's panic guard lets this one through.
pub struct InjectedReset;

impl Exchange {
    /// The metrics endpoint label: the route, as the dialect names it.
    fn endpoint(&self) -> String {
        self.dialect.label(&self.route, &self.record.params)
    }

    /// Reads the parameters, matches the account and cards they name,
    /// decides the faults and opens the record.
    fn begin(
        plane: &Plane,
        dialect: &'static dyn Dialect,
        path: String,
        parts: &axum::http::request::Parts,
        body: &[u8],
        arrival: Arrival,
    ) -> (Exchange, Decision) {
        let carrier = dialect.carrier();
        let Arrival {
            started,
            wall,
            sim_now,
        } = arrival;
        let params = read_params(parts.uri.query(), &parts.headers, body);
        let accounts = match_accounts(plane, &params);
        let cards = match_cards(plane, &params);
        let method = parts.method.to_string();
        let decision = plane.faults.decide(&RequestFacts {
            carrier: Some(carrier),
            path: &path,
            http_method: &method,
            params: &params,
            accounts: &accounts,
            cards: &cards,
        });
        let record = RequestRecord {
            seq: 0,
            time: crate::clock::rfc3339(wall),
            sim_time: crate::clock::rfc3339(sim_now),
            carrier: Some(carrier),
            method,
            path: path.clone(),
            params: keep_pairs(mask(&params), KEEP_PARAM_BYTES),
            status: 0,
            body: String::new(),
            latency_ms: 0.0,
            account: accounts.first().cloned(),
            cards,
            faults: decision.fired.clone(),
            request_headers: keep_pairs(header_pairs(&parts.headers), KEEP_HEADER_BYTES),
            response_headers: Vec::new(),
            fired_rules: plane.fired.rules_of(&plane.faults, &decision.fired),
        };
        let route = parts
            .extensions
            .get::<axum::extract::MatchedPath>()
            .map_or(UNROUTED, |m| m.as_str())
            .to_string();
        let ex = Exchange {
            dialect,
            path,
            params,
            sim_now,
            started,
            record,
            route,
        };
        (ex, decision)
    }

    /// The runtime rate limits (`/_sim/ratelimits`): a refusal answers as
    /// the carrier's own "too frequent".
    fn rate_limited(&mut self, plane: &Plane) -> Option<FaultKind> {
        let limit = plane.ratelimits.check(
            self.dialect,
            &self.path,
            &self.params,
            self.record.account.as_deref(),
        )?;
        self.record.faults.push(format!("ratelimit:{limit}"));
        Some(FaultKind::CarrierError {
            error: NeutralError::TooFrequent,
        })
    }

    /// An injected answer that replaces the dialect's: a timeout, an HTTP
    /// error page or the carrier's own error body.
    async fn injected(&self, kind: FaultKind) -> Response {
        match kind {
            FaultKind::Timeout { ms } => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                gateway_timeout()
            }
            FaultKind::Http { status, body } => plain(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "text/html;charset=UTF-8",
                Bytes::from(body.unwrap_or_else(|| default_http_body(status))),
            ),
            FaultKind::CarrierError { error } => self.dialect.error(
                error,
                &ErrorContext {
                    path: &self.path,
                    params: &self.params,
                    now: self.sim_now,
                },
            ),
            // Reset and truncation are handled by the caller; latency is
            // never terminal.
            FaultKind::Reset | FaultKind::Truncate | FaultKind::Latency { .. } => plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                Bytes::new(),
            ),
        }
    }

    /// Journals the exchange, then ends this connection's task without a
    /// response: the peer sees the connection closed before any answer.
    /// `resume_unwind` skips the panic hook, so nothing is printed.
    fn reset(self, plane: &Plane) -> ! {
        finish(
            plane,
            self.endpoint(),
            self.record,
            0,
            "(connection reset)".into(),
            self.started,
        );
        std::panic::resume_unwind(Box::new(InjectedReset));
    }

    /// Sends the first half of the dialect's answer, then fails the body so
    /// the server drops the connection.
    async fn truncated(self, plane: &Plane, resp: Response) -> Response {
        let (mut head, body) = resp.into_parts();
        let full = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let half = full.slice(..full.len() / 2);
        let kept = String::from_utf8_lossy(&half[..half.len().min(KEEP_BODY)]).into_owned();
        finish(
            plane,
            self.endpoint(),
            self.record,
            head.status.as_u16(),
            kept,
            self.started,
        );
        head.headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len().max(1)));
        // The pause lets the first half be flushed before the error.
        use futures::StreamExt;
        let stream = futures::stream::iter([Ok::<Bytes, std::io::Error>(half)]).chain(
            futures::stream::once(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "carrier-sim: injected truncation",
                ))
            }),
        );
        Response::from_parts(head, Body::from_stream(stream))
    }

    /// Journals the answer (its first bytes) and passes it on.
    async fn record_answer(mut self, plane: &Plane, response: Response) -> Response {
        let (head, body) = response.into_parts();
        self.record.response_headers = keep_pairs(header_pairs(&head.headers), KEEP_HEADER_BYTES);
        let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(KEEP_BODY)]).into_owned();
        finish(
            plane,
            self.endpoint(),
            self.record,
            head.status.as_u16(),
            text,
            self.started,
        );
        Response::from_parts(head, Body::from(bytes))
    }
}

/// Completes a record (status, body, latency), counts it in the metrics
/// and journals it.
fn finish(
    plane: &Plane,
    endpoint: String,
    mut r: RequestRecord,
    status: u16,
    body: String,
    started: Instant,
) {
    r.status = status;
    r.body = body;
    r.latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    plane
        .metrics
        .observe_request(r.carrier, &endpoint, status, started.elapsed());
    let rules = std::mem::take(&mut r.fired_rules);
    let fired = (!r.faults.is_empty()).then(|| r.clone());
    let seq = plane.requests.push(r);
    if let Some(mut r) = fired {
        r.fired_rules = rules;
        plane.fired.record(&r, seq, status);
    }
}

fn plain(status: StatusCode, ctype: &'static str, body: Bytes) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, ctype)
        .body(Body::from(body))
        .expect("valid response")
}

fn default_http_body(status: u16) -> String {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!("<html><body><h1>{status} {reason}</h1></body></html>")
}

// ---- `/_sim/requests` ----

/// `GET /_sim/requests`: journaled carrier-API requests by carrier,
/// method, path, status, account, card and cursor.
pub async fn requests_list(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let num = |k: &str| -> Result<Option<u64>, ApiError> {
        q.get(k)
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| bad(format!("{k} must be a non-negative integer, got '{v}'")))
            })
            .transpose()
    };
    let limit = num("limit")?.unwrap_or(100);
    if limit == 0 || limit > 10_000 {
        return Err(bad("limit must be between 1 and 10000"));
    }
    let status = num("status")?
        .map(|v| u16::try_from(v).map_err(|_| bad("status must be an HTTP status")))
        .transpose()?;
    let card = match q.get("card") {
        Some(c) => Some(find(&s.world, c)?.to_string()),
        None => None,
    };
    let f = RequestFilter {
        carrier: q
            .get("carrier")
            .map(|c| {
                Carrier::parse(c)
                    .ok_or_else(|| bad(format!("unknown carrier '{c}' (cmcc, cucc, ctcc)")))
            })
            .transpose()?,
        method: q.get("method").cloned(),
        path: q.get("path").cloned(),
        status,
        account: q.get("account").cloned(),
        card,
        after: num("after")?,
        limit: limit as usize,
    };
    let items = s.plane.requests.query(&f);
    let next = items.last().map(|r| r.seq);
    Ok(Json(json!({
        "items": items,
        "total": s.plane.requests.len(),
        "cap": s.plane.requests.cap(),
        "enabled": s.plane.requests.enabled(),
        "next_after": next,
    })))
}

/// `DELETE /_sim/requests`: empties the journal.
pub async fn requests_clear(State(s): State<ControlState>) -> Json<Value> {
    s.plane.requests.clear();
    Json(json!({"cleared": true}))
}

/// `GET /_sim/requests/stream`: journaled requests as they happen (SSE).
pub async fn requests_stream(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    Ok(inspector::requests_stream(s.plane.clone(), &q)?.into_response())
}

/// `{"cap": 5000}` resizes the ring buffer; `{"enabled": false}` stops
/// recording (faults and rate limits still apply).
pub async fn requests_config(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    if m.is_empty() {
        return Err(bad(
            "give 'cap' (1 to 1000000) and/or 'enabled' (true or false)",
        ));
    }
    let cap = match m.get("cap") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| (1..=1_000_000).contains(n))
                .ok_or_else(|| bad("'cap' must be an integer between 1 and 1000000"))?,
        ),
    };
    let enabled = match m.get("enabled") {
        None => None,
        Some(v) => Some(
            v.as_bool()
                .ok_or_else(|| bad("'enabled' must be true or false"))?,
        ),
    };
    if let Some(k) = m.keys().find(|k| *k != "cap" && *k != "enabled") {
        return Err(bad(format!("unknown field '{k}' (cap, enabled)")));
    }
    if let Some(cap) = cap {
        s.plane.requests.set_cap(cap as usize);
    }
    if let Some(on) = enabled {
        s.plane.requests.set_enabled(on);
    }
    Ok(Json(
        json!({"cap": s.plane.requests.cap(), "enabled": s.plane.requests.enabled()}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let p = vec![
            ("appid".to_string(), "100001".to_string()),
            ("password".to_string(), "x".to_string()),
            ("passWord".to_string(), "x".to_string()),
            ("sign".to_string(), "x".to_string()),
            ("data.token".to_string(), "x".to_string()),
            ("Authorization".to_string(), "Basic x".to_string()),
            ("app_secret".to_string(), "x".to_string()),
            ("iccid".to_string(), "8986".to_string()),
        ];
        let m = mask(&p);
        assert_eq!(m[0].1, "100001");
        assert!(m[1..7].iter().all(|(_, v)| v == "***"), "{m:?}");
        assert_eq!(m[7].1, "8986");
    }

    #[test]
    fn params_from_query_form_json_and_basic() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjprZXk="),
        );
        let p = read_params(Some("a=1&b=2"), &h, br#"{"data":{"iccid":"898"}}"#);
        assert!(p.contains(&("a".into(), "1".into())));
        assert!(p.contains(&("data.iccid".into(), "898".into())));
        assert!(p.contains(&("basic_user".into(), "user".into())));
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let p = read_params(None, &h, b"method=queryTraffic&iccid=1");
        assert_eq!(p.len(), 2);
        // A record keeps a bounded part of huge or numerous parameters.
        let huge = vec![("data".to_string(), "é".repeat(1 << 19))];
        let kept = keep_pairs(huge, KEEP_PARAM_BYTES);
        assert!(kept[0].1.len() < KEEP_PARAM_BYTES + 64);
        assert!(
            kept[0].1.ends_with("bytes)"),
            "{}",
            &kept[0].1[kept[0].1.len() - 20..]
        );
        let many: Vec<_> = (0..5000)
            .map(|i| (format!("k{i}"), "v".repeat(100)))
            .collect();
        let kept = keep_pairs(many, KEEP_PARAM_BYTES);
        let size: usize = kept.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(size < KEEP_PARAM_BYTES + 200, "{size}");
        assert!(kept.last().unwrap().1.contains("more not kept"));
        assert!(p.contains(&("method".into(), "queryTraffic".into())));
    }

    #[test]
    fn ring_buffer_caps_and_filters() {
        let log = RequestLog::new(2);
        for i in 0..3 {
            log.push(RequestRecord {
                seq: 0,
                time: String::new(),
                sim_time: String::new(),
                carrier: Some(Carrier::Cmcc),
                method: "GET".into(),
                path: format!("/v5/{i}"),
                params: vec![],
                status: 200,
                body: String::new(),
                latency_ms: 0.0,
                account: None,
                cards: vec![],
                ..Default::default()
            });
        }
        assert_eq!(log.len(), 2);
        let all = log.all();
        assert_eq!(all[0].seq, 2);
        let f = RequestFilter {
            path: Some("/v5/2".into()),
            ..Default::default()
        };
        assert_eq!(log.query(&f).len(), 1);
    }
}
