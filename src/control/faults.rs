//! Fault injection for the carrier APIs: rules scoped by carrier, endpoint
//! (path substring), method (HTTP method or the CTCC `method` parameter),
//! account or card (matched on the request's parameters), fired with a
//! probability drawn from a seeded RNG and limited by a count or a time
//! window. A fired rule adds latency, answers the carrier's own error for a
//! [`NeutralError`] (auth, not found, not yours, too frequent, busy, ...),
//! an HTTP 5xx, resets the connection, truncates the body or times out.
//!
//! Faults apply before routing, so they work on every carrier path whether
//! or not a handler serves it. The error bodies come from the path's
//! dialect ([`crate::carriers::dialect`]): this file holds no carrier codes.
//!
//! The `/_sim/faults` handlers are at the end: list, add, remove and clear
//! rules, and the history of those that fired (`/_sim/faults/fired`).

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parking_lot::Mutex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{bad, find, inspector, json_body, not_found, ApiError, ApiResult, ControlState};
pub use crate::carriers::dialect::NeutralError;
use crate::domain::Carrier;

/// What a fired fault does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Delays the answer by `ms` plus a uniform draw in `0..=jitter_ms`;
    /// the request is then served normally.
    Latency {
        ms: u64,
        #[serde(default)]
        jitter_ms: u64,
    },
    /// The carrier's own answer to a neutral error (`auth`, `not_found`,
    /// `not_yours`, `too_frequent`, `busy`, `timeout`, `internal`,
    /// `bad_request`; the older names `token_expired`, `rate_limit` and
    /// `system_busy` still parse), rendered by the path's dialect exactly
    /// as the real condition answers.
    CarrierError { error: NeutralError },
    /// A bare HTTP status (5xx by default) with an optional body.
    Http {
        #[serde(default = "five_hundred")]
        status: u16,
        #[serde(default)]
        body: Option<String>,
    },
    /// The connection is dropped without an answer.
    Reset,
    /// Headers and half the body are sent, then the connection is dropped.
    Truncate,
    /// No answer for `ms` (default 30 s), then HTTP 504.
    Timeout {
        #[serde(default = "thirty_seconds")]
        ms: u64,
    },
}

fn five_hundred() -> u16 {
    500
}

fn thirty_seconds() -> u64 {
    30_000
}

/// A fault rule as posted to `/_sim/faults`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// Assigned when empty.
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<Carrier>,
    /// Substring of the request path (e.g. `query/sim-status`).
    #[serde(default, alias = "path", skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// HTTP method (`POST`) or API method parameter (`queryTraffic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Account id; matches requests carrying one of its credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Card (ICCID, MSISDN or IMSI); matches requests naming it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<String>,
    /// Chance a matching request fires the fault (0 to 1).
    #[serde(default = "one")]
    pub probability: f64,
    /// Fires at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Active for this long (wall time, `"30s"`, `"5m"`) from creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
}

fn one() -> f64 {
    1.0
}

/// A wall-clock window in the one duration syntax (`"250ms"`, `"30s"`,
/// `"5m"`).
fn window(text: &str) -> Result<Duration, String> {
    crate::clock::parse_wall_duration(text)
}

impl FaultSpec {
    /// Names the first problem with the rule.
    pub fn check(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.probability) || self.probability.is_nan() {
            return Err(format!(
                "probability must be between 0 and 1, got {}",
                self.probability
            ));
        }
        if self.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        if let Some(d) = &self.duration {
            let d = window(d).map_err(|e| format!("duration: {e}"))?;
            if d.is_zero() {
                return Err("duration must be positive".into());
            }
        }
        match &self.kind {
            FaultKind::Http { status, .. } if !(100..=599).contains(status) => {
                Err(format!("status must be an HTTP status, got {status}"))
            }
            FaultKind::Latency { ms, jitter_ms } if *ms > 600_000 || *jitter_ms > 600_000 => {
                Err("latency must stay under 10 minutes".into())
            }
            FaultKind::Timeout { ms } if *ms > 600_000 => {
                Err("timeout must stay under 10 minutes".into())
            }
            _ => Ok(()),
        }
    }
}

/// What the request looks like, for matching.
#[derive(Debug, Default)]
pub struct RequestFacts<'a> {
    pub carrier: Option<Carrier>,
    pub path: &'a str,
    pub http_method: &'a str,
    /// Every parameter value (query, form, JSON body, Basic-auth user).
    pub params: &'a [(String, String)],
    /// Account ids whose credentials appear in the request.
    pub accounts: &'a [String],
    /// ICCIDs of the cards the request names.
    pub cards: &'a [String],
}

/// A rule in force with its counters.
#[derive(Clone, Debug, Serialize)]
pub struct ActiveFault {
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// How many times it fired.
    pub fired: u64,
    /// ICCID the `card` selector resolved to, when it names a card.
    #[serde(skip)]
    pub card_iccid: Option<String>,
    #[serde(skip)]
    pub until: Option<Instant>,
}

impl ActiveFault {
    fn matches(&self, f: &RequestFacts<'_>) -> bool {
        let s = &self.spec;
        s.carrier.is_none_or(|c| f.carrier == Some(c))
            && s.endpoint.as_deref().is_none_or(|e| f.path.contains(e))
            && s.method.as_deref().is_none_or(|m| {
                f.http_method.eq_ignore_ascii_case(m)
                    || f.params.iter().any(|(k, v)| k == "method" && v == m)
                    || f.path.ends_with(m)
            })
            && s.account
                .as_deref()
                .is_none_or(|a| f.accounts.iter().any(|x| x == a))
            && s.card.as_deref().is_none_or(|c| {
                let iccid = self.card_iccid.as_deref().unwrap_or(c);
                f.cards.iter().any(|x| x == iccid)
            })
    }

    fn live(&self, now: Instant) -> bool {
        self.spec.count.is_none_or(|n| self.fired < n) && self.until.is_none_or(|u| now < u)
    }
}

/// The outcome for one request: added latency and at most one answer.
#[derive(Debug, Default, PartialEq)]
pub struct Decision {
    pub delay: Duration,
    /// The first terminal fault that fired (not latency).
    pub action: Option<FaultKind>,
    /// Ids of the rules that fired.
    pub fired: Vec<String>,
}

/// The fault rules and their RNG.
pub struct Faults {
    inner: Mutex<Inner>,
}

struct Inner {
    rules: Vec<ActiveFault>,
    rng: ChaCha8Rng,
    next_id: u64,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults {
            inner: Mutex::new(Inner {
                rules: Vec::new(),
                rng: ChaCha8Rng::seed_from_u64(seed),
                next_id: 1,
            }),
        }
    }

    /// Adds a checked rule; returns its id. `card_iccid` is the resolved card.
    pub fn add(&self, mut spec: FaultSpec, card_iccid: Option<String>) -> Result<String, String> {
        spec.check()?;
        let until = match &spec.duration {
            Some(d) => Some(Instant::now() + window(d)?),
            None => None,
        };
        let mut g = self.inner.lock();
        if spec.id.is_empty() {
            spec.id = format!("fault-{}", g.next_id);
            g.next_id += 1;
        }
        let id = spec.id.clone();
        g.rules.retain(|r| r.spec.id != id);
        g.rules.push(ActiveFault {
            spec,
            fired: 0,
            card_iccid,
            until,
        });
        Ok(id)
    }

    pub fn list(&self) -> Vec<ActiveFault> {
        self.inner.lock().rules.clone()
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut g = self.inner.lock();
        let before = g.rules.len();
        g.rules.retain(|r| r.spec.id != id);
        before != g.rules.len()
    }

    pub fn clear(&self) {
        self.inner.lock().rules.clear();
    }

    /// Reseeds the RNG (deterministic fault sequences).
    pub fn reseed(&self, seed: u64) {
        self.inner.lock().rng = ChaCha8Rng::seed_from_u64(seed);
    }

    /// Decides what happens to a request; counts what fired.
    pub fn decide(&self, facts: &RequestFacts<'_>) -> Decision {
        let now = Instant::now();
        let mut g = self.inner.lock();
        let Inner { rules, rng, .. } = &mut *g;
        rules.retain(|r| r.live(now));
        let mut d = Decision::default();
        for r in rules.iter_mut() {
            if !r.matches(facts) {
                continue;
            }
            let is_latency = matches!(r.spec.kind, FaultKind::Latency { .. });
            if !is_latency && d.action.is_some() {
                continue;
            }
            if r.spec.probability < 1.0 && rng.random::<f64>() >= r.spec.probability {
                continue;
            }
            r.fired += 1;
            d.fired.push(r.spec.id.clone());
            match &r.spec.kind {
                FaultKind::Latency { ms, jitter_ms } => {
                    let extra = if *jitter_ms > 0 {
                        rng.random_range(0..=*jitter_ms)
                    } else {
                        0
                    };
                    d.delay += Duration::from_millis(ms + extra);
                }
                other => d.action = Some(other.clone()),
            }
        }
        d
    }
}

// ---- `/_sim/faults` ----

/// `GET /_sim/faults`: the rules in force with how often each fired.
pub async fn faults_list(State(s): State<ControlState>) -> Json<Value> {
    let items = serde_json::to_value(s.plane.faults.list()).unwrap_or(Value::Null);
    Json(json!({"items": items}))
}

/// `POST /_sim/faults`: adds a rule (201 with its id); an unknown card or
/// account is a 404, anything else wrong a 400 naming the field.
pub async fn faults_add(State(s): State<ControlState>, body: Bytes) -> Result<Response, ApiError> {
    let m = json_body(&body)?;
    const KINDS: &str = "latency, carrier_error, http, reset, truncate, timeout";
    match m.get("kind").and_then(Value::as_str) {
        None => return Err(bad(format!("missing 'kind' ({KINDS})"))),
        Some(k) if !KINDS.split(", ").any(|x| x == k) => {
            return Err(bad(format!("unknown kind '{k}' ({KINDS})")))
        }
        Some(_) => {}
    }
    let text = Value::Object(m).to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    let spec: FaultSpec = serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        if p == "." {
            bad(format!("bad fault: {}", e.inner()))
        } else {
            bad(format!("bad fault at {p}: {}", e.inner()))
        }
    })?;
    let card = match &spec.card {
        Some(c) => Some(find(&s.world, c)?.to_string()),
        None => None,
    };
    if let Some(a) = &spec.account {
        if s.world.account(a).is_none() {
            return Err(not_found(format!("account {a} not found")));
        }
    }
    let id = s.plane.faults.add(spec, card).map_err(bad)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

/// `DELETE /_sim/faults`: removes every rule.
pub async fn faults_clear(State(s): State<ControlState>) -> Json<Value> {
    s.plane.faults.clear();
    Json(json!({"cleared": true}))
}

/// `DELETE /_sim/faults/{id}`.
pub async fn fault_remove(State(s): State<ControlState>, Path(id): Path<String>) -> ApiResult {
    if s.plane.faults.remove(&id) {
        Ok(Json(json!({"removed": id})))
    } else {
        Err(not_found(format!("fault {id} not found")))
    }
}

/// `GET /_sim/faults/fired`: every recorded firing, newest first.
pub async fn fired_list(State(s): State<ControlState>) -> Json<Value> {
    let mut items = s.plane.fired.list();
    items.reverse();
    Json(json!({"items": items, "cap": inspector::FIRED_CAP}))
}

/// `DELETE /_sim/faults/fired`: forgets the history.
pub async fn fired_clear(State(s): State<ControlState>) -> Json<Value> {
    s.plane.fired.clear();
    Json(json!({"cleared": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn count_limits_firing() {
        let f = Faults::new(1);
        f.add(spec(r#"{"kind":"reset","count":2}"#), None).unwrap();
        let facts = RequestFacts {
            path: "/v5/ec/x",
            ..Default::default()
        };
        assert!(f.decide(&facts).action.is_some());
        assert!(f.decide(&facts).action.is_some());
        assert!(f.decide(&facts).action.is_none());
        assert!(f.list().is_empty());
    }

    #[test]
    fn probability_is_seeded() {
        let run = |seed| {
            let f = Faults::new(seed);
            f.add(spec(r#"{"kind":"reset","probability":0.5}"#), None)
                .unwrap();
            (0..64)
                .map(|_| f.decide(&RequestFacts::default()).action.is_some())
                .collect::<Vec<_>>()
        };
        let a = run(7);
        assert_eq!(a, run(7));
        let hits = a.iter().filter(|x| **x).count();
        assert!(hits > 10 && hits < 54, "{hits}");
    }

    #[test]
    fn scope_by_carrier_method_and_card() {
        let f = Faults::new(1);
        f.add(
            spec(r#"{"kind":"http","status":503,"carrier":"ctcc","method":"queryTraffic","card":"X"}"#),
            Some("8986".into()),
        )
        .unwrap();
        let params = vec![("method".to_string(), "queryTraffic".to_string())];
        let cards = vec!["8986".to_string()];
        let mut facts = RequestFacts {
            carrier: Some(Carrier::Ctcc),
            path: "/m2m_ec/query.do",
            http_method: "GET",
            params: &params,
            cards: &cards,
            ..Default::default()
        };
        assert!(f.decide(&facts).action.is_some());
        facts.cards = &[];
        assert!(f.decide(&facts).action.is_none());
        facts.cards = &cards;
        facts.carrier = Some(Carrier::Cmcc);
        assert!(f.decide(&facts).action.is_none());
    }

    #[test]
    fn bad_rules_are_named() {
        assert!(spec(r#"{"kind":"reset","probability":2}"#)
            .check()
            .unwrap_err()
            .contains("probability"));
        assert!(spec(r#"{"kind":"http","status":42}"#)
            .check()
            .unwrap_err()
            .contains("status"));
        assert!(spec(r#"{"kind":"reset","duration":"-5s"}"#)
            .check()
            .is_err());
    }
}
