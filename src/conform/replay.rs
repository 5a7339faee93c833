//! `carrier-sim serve --replay session.jsonl`: a layer in front of the
//! simulator that answers recorded requests exactly as recorded (status,
//! headers, body bytes) and lets every other request through to the
//! simulator, as WireMock's record/playback does.
//!
//! A request matches a recording by method, path and its normalised
//! parameters: query, form, JSON (top level and the CMP `data`) and XML
//! leaf values, sorted, without the ones that change on every call or
//! carry credentials ([`IGNORED`]). Headers are not compared, so any valid
//! signature or token matches. When the same request was recorded several
//! times, the answers are given in the recorded order and the last one is
//! repeated.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::Value;

use super::session::{self, Exchange};
use super::tree;

/// Parameters left out of the match (lowercase): per-call ids and times,
/// credentials and signatures, account identities.
pub const IGNORED: &[&str] = &[
    "transid",
    "trans_id",
    "timestamp",
    "messageid",
    "version",
    "token",
    "sign",
    "password",
    "appid",
    "app_id",
    "user_id",
    "userid",
    "openid",
    "username",
    "licensekey",
];

/// Largest request body read to match a recording.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Headers not given back from a recording (the HTTP stack sets them).
const NOT_REPLAYED: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
];

/// What a request is matched on.
type Key = (String, String, Vec<(String, String)>);

/// The recorded answers, by request key.
#[derive(Debug, Default)]
pub struct Replay {
    answers: HashMap<Key, Vec<session::Response>>,
    served: Mutex<HashMap<Key, usize>>,
}

impl Replay {
    /// Loads a session file.
    pub fn load(path: &Path) -> Result<Replay, String> {
        let exchanges = session::read(path).map_err(|e| e.to_string())?;
        Ok(Replay::from_exchanges(&exchanges))
    }

    pub fn from_exchanges(exchanges: &[Exchange]) -> Replay {
        let mut answers: HashMap<Key, Vec<session::Response>> = HashMap::new();
        for ex in exchanges
            .iter()
            .filter(|e| e.error.is_none() && !is_auth(&e.request.path))
        {
            let key = key(
                &ex.request.method,
                &ex.request.path,
                &ex.request.query,
                ex.request.body.as_text().unwrap_or(""),
            );
            answers.entry(key).or_default().push(ex.response.clone());
        }
        Replay {
            answers,
            served: Mutex::new(HashMap::new()),
        }
    }

    /// How many distinct requests are recorded.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// The recorded answer to a request, if any (advancing its sequence).
    pub fn answer(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &str,
    ) -> Option<session::Response> {
        let k = key(method, path, query, body);
        let list = self.answers.get(&k)?;
        let mut served = self.served.lock();
        let n = served.entry(k).or_insert(0);
        let r = list[(*n).min(list.len() - 1)].clone();
        *n += 1;
        Some(r)
    }
}

/// Token exchanges are left to the simulator, so that a client gets a
/// token that its other (not recorded) calls can use.
fn is_auth(path: &str) -> bool {
    path.ends_with("/get/token")
}

fn ignored(name: &str) -> bool {
    let local = name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase();
    IGNORED.contains(&local.as_str())
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if !ignored(k) {
                    flatten(k, v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| flatten(prefix, i, out)),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::Bool(b) => out.push((prefix.to_string(), b.to_string())),
        Value::Null => {}
    }
}

/// The normalised key of a request.
fn key(method: &str, path: &str, query: &str, body: &str) -> Key {
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| !ignored(k))
        .collect();
    let t = tree::parse(body);
    match t.syntax {
        tree::Syntax::Json | tree::Syntax::Xml => flatten("", &t.value, &mut params),
        tree::Syntax::Text if body.contains('=') => params.extend(
            form_urlencoded::parse(body.trim().as_bytes())
                .into_owned()
                .filter(|(k, _)| !ignored(k)),
        ),
        tree::Syntax::Text => params.push((String::new(), body.trim().to_string())),
        tree::Syntax::Empty => {}
    }
    params.sort();
    (method.to_ascii_uppercase(), path.to_string(), params)
}

/// The layer: a recorded answer, or the simulator's.
pub async fn layer(State(replay): State<Arc<Replay>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()).into_response(),
    };
    let text = String::from_utf8_lossy(&bytes);
    let recorded = replay.answer(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query().unwrap_or(""),
        &text,
    );
    match recorded {
        Some(r) => {
            let mut out = Response::new(Body::from(r.body.bytes()));
            *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
            for (k, v) in &r.headers {
                if NOT_REPLAYED.contains(&k.to_ascii_lowercase().as_str()) {
                    continue;
                }
                if let (Ok(name), Ok(value)) = (
                    HeaderName::from_bytes(k.as_bytes()),
                    HeaderValue::from_str(v),
                ) {
                    out.headers_mut().append(name, value);
                }
            }
            out
        }
        None => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_per_call_values_and_credentials() {
        let a = key(
            "get",
            "/v5/ec/query/sim-status",
            "transid=1000012026&token=aaa&msisdn=144",
            "",
        );
        let b = key(
            "GET",
            "/v5/ec/query/sim-status",
            "msisdn=144&token=bbb&transid=1000012027",
            "",
        );
        assert_eq!(a, b);
        let c = key("GET", "/v5/ec/query/sim-status", "msisdn=145&token=bbb", "");
        assert_ne!(a, c);
        let j1 = key(
            "POST",
            "/api/x",
            "",
            r#"{"app_id":"a","token":"t","trans_id":"1","data":{"iccids":["1"]}}"#,
        );
        let j2 = key(
            "POST",
            "/api/x",
            "",
            r#"{"app_id":"b","token":"u","trans_id":"2","data":{"iccids":["1"]}}"#,
        );
        assert_eq!(j1, j2);
    }
}
