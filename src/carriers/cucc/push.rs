//! Control Center push events, the CUCC format of the one delivery worker
//! ([`crate::outbound`]). Each CUCC account may have a callback URL
//! (registered at `/_sim/cucc/push`, or from the fixture: `[dialects.cucc]
//! push_url` for every account, `push_urls = { <account> = <url> }` per
//! account). For SIM_STATE_CHANGE, IMEI_CHANGE, CTD_USAGE (usage
//! thresholds), SESSION_START and SESSION_STOP the account's callback gets
//! a form-encoded POST of `eventId`, `eventType`, `timestamp`, `signature`,
//! `signature2` and `data` (an XML document). `signature` = base64
//! HMAC-SHA256(apiKey, timestamp); `signature2` = base64
//! HMAC-SHA256(apiKey, eventId + eventType + timestamp + data) (the real
//! algorithm is unsure, see docs/cucc.md). The worker sends each account's
//! pushes in order and tries a push three times (200 ms, then 400 ms
//! apart) before giving it up.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use parking_lot::Mutex;

use super::codes::Jasper;
use super::jdate;
use crate::domain::{Carrier, Event, EventKind};
use crate::outbound::{hmac_sha256, Encoder, Outbound, Outgoing, Retry};
use crate::world::World;

/// XML namespace of the Control Center schema.
const NS: &str = "http://api.jasperwireless.com/ws/schema";
/// The format's name in the delivery log.
pub const FORMAT: &str = "cucc_push";
/// How a push is tried: three attempts, 200 ms then 400 ms apart, 5 s each.
const RETRY: Retry = Retry {
    attempts: 3,
    first_delay: Duration::from_millis(200),
    timeout: Duration::from_secs(5),
};

/// The callback URLs and the push format of the delivery worker.
pub struct CuccPush {
    world: Arc<World>,
    outbound: Outbound,
    /// Callback URLs registered at run time, per account id.
    urls: Mutex<BTreeMap<String, String>>,
}

/// Prefix of the lanes of CUCC accounts in the delivery worker.
const LANE: &str = "cucc-push/";

/// The lane of an account's pushes in the delivery worker.
pub fn subscriber(account: &str) -> String {
    format!("{LANE}{account}")
}

/// The account of a lane named by [`subscriber`].
pub fn account_of(subscriber: &str) -> &str {
    subscriber.strip_prefix(LANE).unwrap_or(subscriber)
}

impl CuccPush {
    /// The push format of `world`'s CUCC accounts, sending through
    /// `outbound` for as long as the returned value is held.
    pub fn start(world: Arc<World>, outbound: &Outbound) -> Arc<CuccPush> {
        let push = Arc::new(CuccPush {
            world,
            outbound: outbound.clone(),
            urls: Mutex::default(),
        });
        let format: Arc<dyn Encoder> = push.clone();
        outbound.register(Arc::downgrade(&format));
        push
    }

    /// Whether `account` is a CUCC account.
    pub fn is_cucc_account(&self, account: &str) -> bool {
        self.world
            .account(account)
            .is_some_and(|a| a.carrier == Carrier::Cucc)
    }

    /// The URL for an account: registered, else the fixture's.
    pub fn url_for(&self, account: &str) -> Option<String> {
        if let Some(u) = self.urls.lock().get(account) {
            return Some(u.clone());
        }
        let fx = self.world.fixture();
        let cfg = &fx.dialects.cucc;
        cfg.push_urls
            .get(account)
            .or(cfg.push_url.as_ref())
            .cloned()
    }

    /// The effective callback URL of every CUCC account (`None`: no push).
    pub fn urls(&self) -> Vec<(String, Option<String>)> {
        self.world
            .accounts()
            .into_iter()
            .filter(|a| a.carrier == Carrier::Cucc)
            .map(|a| {
                let url = self.url_for(&a.id);
                (a.id.to_string(), url)
            })
            .collect()
    }

    /// Registers an account's callback URL (the caller checked both).
    pub fn register(&self, account: &str, url: &str) {
        self.urls
            .lock()
            .insert(account.to_string(), url.to_string());
    }

    /// Forgets an account's registered URL (the fixture's applies again);
    /// pushes still queued for it are dropped.
    pub fn unregister(&self, account: &str) -> bool {
        let removed = self.urls.lock().remove(account).is_some();
        if removed {
            self.outbound.close(&subscriber(account));
        }
        removed
    }
}

impl Encoder for CuccPush {
    fn format(&self) -> &'static str {
        FORMAT
    }

    fn encode(&self, e: &Event) -> Vec<Outgoing> {
        let Some(account) = self.world.account(&e.account) else {
            return Vec::new();
        };
        if account.carrier != Carrier::Cucc {
            return Vec::new();
        }
        let (Some(url), Some(p)) = (self.url_for(&e.account), push_of(e)) else {
            return Vec::new();
        };
        let body = form(&p, account.credentials.api_key.as_deref().unwrap_or(""));
        vec![Outgoing {
            subscriber: subscriber(&e.account),
            url,
            content_type: "application/x-www-form-urlencoded",
            headers: Vec::new(),
            body: body.into_bytes(),
            retry: RETRY,
            event_id: p.event_id,
            event_type: p.event_type.to_string(),
        }]
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
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha256(key.as_bytes(), &[text.as_bytes()]))
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
        // Python: base64.b64encode(hmac.new(b"k", b"x", hashlib.sha256).digest())
        assert_eq!(
            sign("k", "x"),
            "w47ciBXISJ9kc4l49EAI+FljRVRfC6po72/PXFPlcYk="
        );
        assert_ne!(sign("k", "x"), sign("j", "x"));
    }
}
