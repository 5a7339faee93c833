//! Control Center push events. Each CUCC account may have a callback URL
//! (registered at `/_sim/cucc/push`, or from the fixture: `[dialects.cucc]
//! push_url` for every account, `push_urls = { <account> = <url> }` per
//! account). A background task follows the world's journal and POSTs,
//! form-encoded, `eventId`, `eventType`, `timestamp`, `signature`,
//! `signature2` and `data` (an XML document) for SIM_STATE_CHANGE,
//! IMEI_CHANGE, CTD_USAGE (usage thresholds), SESSION_START and
//! SESSION_STOP. `signature` = base64 HMAC-SHA256(apiKey, timestamp);
//! `signature2` = base64 HMAC-SHA256(apiKey, eventId + eventType +
//! timestamp + data) (the real algorithm is unsure, see docs/cucc.md).
//! A failed delivery (transport error or non-2xx) is retried twice.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{RawQuery, State};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use parking_lot::Mutex;
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;

use super::codes::{ErrorKind, Jasper};
use super::{jdate, ok_json, ApiError, ApiResult, Cucc, Query, Shared};
use crate::domain::{Carrier, Event, EventKind};
use crate::world::World;

/// XML namespace of the Control Center schema.
const NS: &str = "http://api.jasperwireless.com/ws/schema";

/// Callback URLs registered at run time, per account id.
#[derive(Default)]
pub struct Registry {
    urls: Mutex<BTreeMap<String, String>>,
}

impl Registry {
    /// The URL for an account: registered, else the fixture's.
    pub fn url_for(&self, world: &World, account: &str) -> Option<String> {
        if let Some(u) = self.urls.lock().get(account) {
            return Some(u.clone());
        }
        let fx = world.fixture();
        let cfg = fx.dialects.get("cucc")?;
        cfg.get("push_urls")
            .and_then(|m| m.get(account))
            .or_else(|| cfg.get("push_url"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// One push event ready to send.
#[derive(Debug, PartialEq)]
pub struct Push {
    pub event_id: String,
    pub event_type: &'static str,
    pub timestamp: String,
    pub data: String,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An XML document `<root xmlns=...><k>v</k>...</root>`.
fn xml(root: &str, fields: &[(&str, String)]) -> String {
    let mut s = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><{root} xmlns=\"{NS}\">");
    for (k, v) in fields {
        s.push_str(&format!("<{k}>{}</{k}>", esc(v)));
    }
    s.push_str(&format!("</{root}>"));
    s
}

/// The XML of an IMEI_CHANGE (fields as the TypeScript SDK reads them).
fn imei_xml(iccid: (&str, String), from: &str, to: &str, at: &str) -> String {
    xml(
        "ImeiChange",
        &[
            iccid,
            ("previousImei", from.to_string()),
            ("currentImei", to.to_string()),
            ("dateChanged", at.to_string()),
        ],
    )
}

/// The push event for a journal event, if it is one Control Center sends.
pub fn push_of(e: &Event) -> Option<Push> {
    let at = jdate(e.time);
    let iccid = ("iccid", e.iccid.to_string());
    let (event_type, data) = match &e.kind {
        EventKind::StateChanged { from, to, .. } => {
            let (a, b) = (Jasper::of(*from), Jasper::of(*to));
            if a == b {
                return None;
            }
            (
                "SIM_STATE_CHANGE",
                xml(
                    "SimStateChange",
                    &[
                        iccid,
                        ("previousState", a.name().into()),
                        ("currentState", b.name().into()),
                        ("dateChanged", at.clone()),
                    ],
                ),
            )
        }
        EventKind::ImeiChanged { from, to } => ("IMEI_CHANGE", imei_xml(iccid, from, to, &at)),
        EventKind::Edited {
            field, from, to, ..
        } if field == "imei" => ("IMEI_CHANGE", imei_xml(iccid, from, to, &at)),
        EventKind::UsageThreshold {
            percent,
            used_bytes,
            allowance_bytes,
        } => (
            "CTD_USAGE",
            xml(
                "CtdUsage",
                &[
                    iccid,
                    ("thresholdPercent", percent.to_string()),
                    ("ctdDataUsage", used_bytes.to_string()),
                    ("dataAllowance", allowance_bytes.to_string()),
                    ("dateReached", at.clone()),
                ],
            ),
        ),
        EventKind::SessionStart { apn, ip, rat } => (
            "SESSION_START",
            xml(
                "Session",
                &[
                    iccid,
                    ("ipAddress", ip.to_string()),
                    ("apn", apn.to_string()),
                    ("radioAccessType", rat.to_string()),
                    ("dateSessionStarted", at.clone()),
                ],
            ),
        ),
        EventKind::SessionStop => (
            "SESSION_STOP",
            xml("Session", &[iccid, ("dateSessionEnded", at.clone())]),
        ),
        _ => return None,
    };
    Some(Push {
        event_id: format!("{}-{}", event_type, e.seq),
        event_type,
        timestamp: at,
        data,
    })
}

/// base64 HMAC-SHA256.
pub fn sign(key: &str, text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The form body of a push.
pub fn form(p: &Push, key: &str) -> String {
    let sig = sign(key, &p.timestamp);
    let sig2 = sign(
        key,
        &format!("{}{}{}{}", p.event_id, p.event_type, p.timestamp, p.data),
    );
    form_urlencoded::Serializer::new(String::new())
        .append_pair("eventId", &p.event_id)
        .append_pair("eventType", p.event_type)
        .append_pair("timestamp", &p.timestamp)
        .append_pair("signature", &sig)
        .append_pair("signature2", &sig2)
        .append_pair("data", &p.data)
        .finish()
}

/// Starts the delivery task (when a Tokio runtime is running).
pub fn start(state: &Shared) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let rx = state.world.journal.subscribe();
    let weak = Arc::downgrade(state);
    rt.spawn(deliver_loop(rx, weak));
}

async fn deliver_loop(mut rx: tokio::sync::broadcast::Receiver<Event>, weak: Weak<Cucc>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    loop {
        let e = match rx.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return,
        };
        let Some(st) = weak.upgrade() else { return };
        let Some(account) = st.world.account(&e.account) else {
            continue;
        };
        if account.carrier != Carrier::Cucc {
            continue;
        }
        let (Some(url), Some(p)) = (st.push.url_for(&st.world, &e.account), push_of(&e)) else {
            continue;
        };
        let body = form(&p, account.credentials.api_key.as_deref().unwrap_or(""));
        tokio::spawn(send(client.clone(), url, body));
    }
}

/// Attempts before a push is given up; the delay doubles from 200 ms.
const ATTEMPTS: u32 = 3;

/// POSTs one push, retrying on a transport error or a non-2xx answer.
async fn send(client: reqwest::Client, url: String, body: String) {
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=ATTEMPTS {
        let res = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => tracing::debug!("cucc push to {url}: HTTP {}", r.status()),
            Err(e) => tracing::debug!("cucc push to {url} failed: {e}"),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
}

/// `GET /_sim/cucc/push`: the effective callback URL of every CUCC account.
pub async fn list(State(st): State<Shared>) -> ApiResult {
    let mut m = serde_json::Map::new();
    for a in st.world.accounts() {
        if a.carrier == Carrier::Cucc {
            let url = st.push.url_for(&st.world, &a.id);
            m.insert(a.id.to_string(), json!(url));
        }
    }
    ok_json(&Value::Object(m))
}

/// `POST /_sim/cucc/push` `{"account": "...", "url": "http://..."}`.
pub async fn register(State(st): State<Shared>, body: Body) -> ApiResult {
    let m = super::read_json_object(body).await?;
    let account = m.get("account").and_then(Value::as_str).unwrap_or("");
    let url = m.get("url").and_then(Value::as_str).unwrap_or("");
    let known = st
        .world
        .account(account)
        .is_some_and(|a| a.carrier == Carrier::Cucc);
    if !known {
        return Err(ApiError::with(
            ErrorKind::NotFound,
            format!("Unknown CUCC account: {account}"),
        ));
    }
    if reqwest::Url::parse(url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
        return Err(ApiError::param(format!("Invalid callback url: {url}")));
    }
    st.push
        .urls
        .lock()
        .insert(account.to_string(), url.to_string());
    ok_json(&json!({"account": account, "url": url}))
}

/// `DELETE /_sim/cucc/push?account=...`.
pub async fn unregister(State(st): State<Shared>, RawQuery(q): RawQuery) -> ApiResult {
    let q = Query::parse(q.as_deref());
    let account = q.need("account")?;
    let removed = st.push.urls.lock().remove(account).is_some();
    ok_json(&json!({"account": account, "removed": removed}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CardState;

    fn ev(kind: EventKind) -> Event {
        Event {
            seq: 7,
            time: "2026-11-24T10:00:00+08:00".parse().unwrap(),
            iccid: "89860600000000000013".into(),
            account: "cucc-demo".into(),
            kind,
        }
    }

    #[test]
    fn state_change_becomes_sim_state_change() {
        let p = push_of(&ev(EventKind::StateChanged {
            from: CardState::Active,
            to: CardState::Suspended,
            reason: "manual".into(),
            reasons: Default::default(),
            forced: false,
        }))
        .unwrap();
        assert_eq!(p.event_type, "SIM_STATE_CHANGE");
        assert_eq!(p.event_id, "SIM_STATE_CHANGE-7");
        assert!(p.data.contains("<previousState>ACTIVATED</previousState>"));
        assert!(p.data.contains("<currentState>DEACTIVATED</currentState>"));
        assert!(p
            .data
            .contains("<dateChanged>2026-11-24 02:00:00.000+0000</dateChanged>"));
    }

    #[test]
    fn reason_only_changes_are_not_pushed() {
        let e = ev(EventKind::StateChanged {
            from: CardState::Suspended,
            to: CardState::Suspended,
            reason: "arrears".into(),
            reasons: Default::default(),
            forced: false,
        });
        assert!(push_of(&e).is_none());
    }

    #[test]
    fn form_carries_every_field() {
        let p = push_of(&ev(EventKind::SessionStop)).unwrap();
        let body = form(&p, "k");
        let fields: Vec<String> = form_urlencoded::parse(body.as_bytes())
            .map(|(k, _)| k.into_owned())
            .collect();
        assert_eq!(
            fields,
            [
                "eventId",
                "eventType",
                "timestamp",
                "signature",
                "signature2",
                "data"
            ]
        );
        assert_eq!(sign("k", "x"), sign("k", "x"));
        assert_ne!(sign("k", "x"), sign("j", "x"));
    }
}
