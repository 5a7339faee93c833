//! `carrier-sim conform`: replays every recorded request against a
//! simulator (started here on a fixture, or already running at
//! `--against`), re-signed with the simulator's credentials in each
//! dialect's own way, and compares each answer with the recorded one
//! ([`super::diff`]). The report groups the differences by endpoint and
//! kind; live values are listed apart and do not fail the run.
//!
//! Re-signing, per dialect (the recorded secrets are masked):
//!
//! | dialect | what is replaced |
//! |---|---|
//! | CMCC v5 | `appid`, `password` on `/get/token`; elsewhere `token` (fetched once from the target) and `transid` (appid prefix) |
//! | CMCC v2 | `appid`, `transid`, `token = sha256(appid + password + transid)` |
//! | CUCC REST | `Authorization: Basic base64(username:api_key)` |
//! | CUCC CMP | `app_id`, `token = sm3(...)` over the recorded timestamp and trans_id, `data.openId` |
//! | CTCC m2m_ec | `user_id`, `passWord = strEnc(password)`, `sign = strEnc(sorted sign values)` per the method table |
//! | CTCC 5G | `AppKey`, `Sign` over sorted query + body + secret + `Timestamp` |

use std::collections::BTreeMap;

use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::diff::{self, Difference, Kind};
use super::mask::MASK;
use super::session::Exchange;
use crate::carriers::ctcc::des::TripleKey;
use crate::carriers::ctcc::sign::{g5_sign, joined, sorted_pairs};
use crate::carriers::ctcc::{Ident, METHODS};
use crate::domain::{Carrier, Credentials};
use crate::fixture::Fixture;

/// Headers never copied to the replayed request.
const NOT_SENT: &[&str] = &[
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "accept-encoding",
    "keep-alive",
];

/// The credentials of the target, per carrier (the first account of each
/// carrier in the fixture).
#[derive(Clone, Debug, Default)]
pub struct TargetCredentials {
    by_carrier: BTreeMap<Carrier, Credentials>,
}

impl TargetCredentials {
    pub fn from_fixture(fx: &Fixture) -> TargetCredentials {
        let mut by_carrier = BTreeMap::new();
        for a in &fx.accounts {
            by_carrier
                .entry(a.carrier)
                .or_insert_with(|| a.credentials.clone());
        }
        TargetCredentials { by_carrier }
    }

    fn of(&self, c: Carrier) -> Credentials {
        self.by_carrier.get(&c).cloned().unwrap_or_default()
    }
}

/// A request being prepared for the target.
struct Outgoing {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: BodyForm,
}

enum BodyForm {
    Raw(Vec<u8>),
    Form(Vec<(String, String)>),
    Json(Value),
}

impl Outgoing {
    fn from(ex: &Exchange) -> Outgoing {
        let text = ex.request.body.as_text();
        let ctype = ex.request.header("content-type").unwrap_or("");
        let body = match text {
            Some(t) if t.trim_start().starts_with('{') => match serde_json::from_str(t) {
                Ok(v) => BodyForm::Json(v),
                Err(_) => BodyForm::Raw(t.as_bytes().to_vec()),
            },
            Some(t)
                if ctype.contains("x-www-form-urlencoded")
                    || (!t.is_empty() && !t.trim_start().starts_with('<') && t.contains('=')) =>
            {
                BodyForm::Form(form_urlencoded::parse(t.as_bytes()).into_owned().collect())
            }
            _ => BodyForm::Raw(ex.request.body.bytes()),
        };
        Outgoing {
            method: ex.request.method.clone(),
            path: ex.request.path.clone(),
            query: form_urlencoded::parse(ex.request.query.as_bytes())
                .into_owned()
                .collect(),
            headers: ex
                .request
                .headers
                .iter()
                .filter(|(k, _)| !NOT_SENT.contains(&k.to_ascii_lowercase().as_str()))
                .cloned()
                .collect(),
            body,
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        let in_pairs = |p: &[(String, String)]| {
            p.iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        in_pairs(&self.query).or_else(|| match &self.body {
            BodyForm::Form(p) => in_pairs(p),
            BodyForm::Json(v) => v
                .get(name)
                .or_else(|| v.get("data").and_then(|d| d.get(name)))
                .and_then(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }),
            BodyForm::Raw(_) => None,
        })
    }

    /// Sets a parameter wherever the request carries it; false when it
    /// carries it nowhere.
    fn set(&mut self, name: &str, value: &str) -> bool {
        let mut found = false;
        for (k, v) in self.query.iter_mut() {
            if k == name {
                *v = value.to_string();
                found = true;
            }
        }
        match &mut self.body {
            BodyForm::Form(p) => {
                for (k, v) in p.iter_mut() {
                    if k == name {
                        *v = value.to_string();
                        found = true;
                    }
                }
            }
            BodyForm::Json(Value::Object(map)) => {
                if map.contains_key(name) {
                    map.insert(name.to_string(), Value::String(value.to_string()));
                    found = true;
                }
                if let Some(Value::Object(data)) = map.get_mut("data") {
                    if data.contains_key(name) {
                        data.insert(name.to_string(), Value::String(value.to_string()));
                        found = true;
                    }
                }
            }
            _ => {}
        }
        found
    }

    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.query.iter())
            .finish()
    }

    fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            BodyForm::Raw(b) => b.clone(),
            BodyForm::Form(p) => form_urlencoded::Serializer::new(String::new())
                .extend_pairs(p.iter())
                .finish()
                .into_bytes(),
            BodyForm::Json(v) => serde_json::to_vec(v).unwrap_or_default(),
        }
    }
}

/// A recorded SOAP envelope with the text of the named elements (by local
/// name: the WS-Security `Username` and `Password`, the body's
/// `licenseKey`) replaced by the target's values; `None` when the body is
/// not well-formed XML (it is then sent as recorded).
fn resign_soap(xml: &[u8], values: &[(&str, String)]) -> Option<Vec<u8>> {
    use quick_xml::events::{BytesText, Event};
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(xml.len()));
    let mut inside_replaced = false;
    loop {
        let event = reader.read_event().ok()?;
        match event {
            Event::Eof => break,
            Event::Start(start) => {
                let value = values
                    .iter()
                    .find(|(name, _)| start.local_name().into_inner() == *name)
                    .map(|(_, v)| v.as_str());
                writer.write_event(Event::Start(start)).ok()?;
                inside_replaced = value.is_some();
                if let Some(v) = value {
                    writer.write_event(Event::Text(BytesText::new(v))).ok()?;
                }
            }
            Event::End(end) => {
                inside_replaced = false;
                writer.write_event(Event::End(end)).ok()?;
            }
            _ if inside_replaced => {}
            other => writer.write_event(other).ok()?,
        }
    }
    Some(writer.into_inner())
}

/// Replays a session against a base URL and compares the answers.
pub struct Checker {
    base: String,
    creds: TargetCredentials,
    http: reqwest::Client,
    cmcc_token: Option<String>,
    seq: u32,
}

impl Checker {
    pub fn new(base: &str, creds: TargetCredentials) -> Checker {
        Checker {
            base: base.trim_end_matches('/').to_string(),
            creds,
            http: reqwest::Client::new(),
            cmcc_token: None,
            seq: 0,
        }
    }

    fn transid(&mut self, appid: &str) -> String {
        self.seq += 1;
        format!("{appid}20260101000000{:08}", self.seq)
    }

    async fn cmcc_token(&mut self, appid: &str, password: &str) -> Result<String, String> {
        if let Some(t) = &self.cmcc_token {
            return Ok(t.clone());
        }
        let transid = self.transid(appid);
        let url = format!(
            "{}/v5/ec/get/token?appid={appid}&password={password}&transid={transid}",
            self.base
        );
        let v: Value = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let token = v["result"][0]["token"]
            .as_str()
            .ok_or_else(|| format!("the target gave no CMCC token: {v}"))?
            .to_string();
        self.cmcc_token = Some(token.clone());
        Ok(token)
    }

    /// Re-signs a recorded request with the target's credentials.
    async fn resign(&mut self, ex: &Exchange, out: &mut Outgoing) -> Result<(), String> {
        let c = self.creds.of(ex.carrier);
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        match ex.carrier {
            Carrier::Cmcc => {
                let (appid, password) = (s(&c.appid), s(&c.password));
                if out.path.starts_with("/v2/") {
                    let transid = self.transid(&appid);
                    out.set("appid", &appid);
                    out.set("transid", &transid);
                    let token = hex::encode(Sha256::digest(format!("{appid}{password}{transid}")));
                    out.set("token", &token);
                } else if out.path.ends_with("/get/token") {
                    out.set("appid", &appid);
                    out.set("password", &password);
                    let transid = self.transid(&appid);
                    out.set("transid", &transid);
                } else {
                    let transid = self.transid(&appid);
                    out.set("transid", &transid);
                    out.set("appid", &appid);
                    if out.get("token").is_some() {
                        let token = self.cmcc_token(&appid, &password).await?;
                        out.set("token", &token);
                    }
                }
            }
            Carrier::Cucc => {
                if out.path.starts_with("/api/") {
                    let (app_id, secret) = (s(&c.app_id), s(&c.app_secret));
                    let ts = out.get("timestamp").unwrap_or_default();
                    let tid = out.get("trans_id").unwrap_or_default();
                    if let BodyForm::Json(Value::Object(map)) = &mut out.body {
                        map.insert("app_id".into(), Value::String(app_id.clone()));
                        map.insert(
                            "token".into(),
                            Value::String(crate::carriers::cucc::cmp::token(
                                &app_id, &ts, &tid, &secret,
                            )),
                        );
                        if let Some(Value::Object(data)) = map.get_mut("data") {
                            if data.contains_key("openId") {
                                data.insert("openId".into(), Value::String(s(&c.open_id)));
                            }
                        }
                    }
                } else if out.path.starts_with("/ws/") {
                    if let BodyForm::Raw(xml) = &out.body {
                        let password = c.password.as_ref().or(c.api_key.as_ref());
                        let values = [
                            ("Username", s(&c.username)),
                            ("Password", s(&password.cloned())),
                            ("licenseKey", s(&c.license_key)),
                        ];
                        if let Some(resigned) = resign_soap(xml, &values) {
                            out.body = BodyForm::Raw(resigned);
                        }
                    }
                } else if out.header("authorization").is_some() || out.path.starts_with("/rws/") {
                    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        s(&c.username),
                        s(&c.api_key)
                    ));
                    out.set_header("Authorization", &format!("Basic {basic}"));
                }
            }
            Carrier::Ctcc => {
                if out.path.starts_with("/m2m_ec/") {
                    let (user, password) = (s(&c.user_id), s(&c.password));
                    let key = TripleKey::from_key(&s(&c.key));
                    out.set("user_id", &user);
                    out.set("userId", &user);
                    let enc = key.enc(&password);
                    if !out.set("passWord", &enc) {
                        out.set("password", &enc);
                    }
                    let method = out.get("method").unwrap_or_default();
                    let mut values = vec![user.clone(), password.clone(), method.clone()];
                    let table = METHODS.iter().find(|m| m.name == method);
                    let card_ident = table.is_none_or(|m| m.ident == Ident::Card);
                    if card_ident {
                        if let Some(id) = ["access_number", "iccid", "imsi"]
                            .iter()
                            .find_map(|k| out.get(k))
                        {
                            values.push(id);
                        }
                    }
                    for extra in table.map(|m| m.sign_extras).unwrap_or(&[]) {
                        values.push(out.get(extra).unwrap_or_default());
                    }
                    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                    out.set("sign", &key.enc(&joined(&refs)));
                } else {
                    let timestamp = out
                        .header("timestamp")
                        .filter(|t| *t != MASK)
                        .unwrap_or("20260101000000")
                        .to_string();
                    let query =
                        sorted_pairs(out.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                    let body = String::from_utf8_lossy(&out.body_bytes()).into_owned();
                    let sign = g5_sign(&format!("{query}{body}{}{timestamp}", s(&c.secret)));
                    out.set_header("AppKey", &s(&c.app_key));
                    out.set_header("Timestamp", &timestamp);
                    out.set_header("Sign", &sign);
                }
            }
        }
        Ok(())
    }

    /// Sends one recorded request to the target: (status, content type, body).
    pub async fn send(&mut self, ex: &Exchange) -> Result<(u16, Option<String>, String), String> {
        let mut out = Outgoing::from(ex);
        self.resign(ex, &mut out).await?;
        let query = out.query_string();
        let url = if query.is_empty() {
            format!("{}{}", self.base, out.path)
        } else {
            format!("{}{}?{query}", self.base, out.path)
        };
        let method =
            reqwest::Method::from_bytes(out.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = self.http.request(method, url);
        for (k, v) in &out.headers {
            if v.contains(MASK) {
                continue;
            }
            req = req.header(k.as_str(), v.as_str());
        }
        let body = out.body_bytes();
        if !body.is_empty() {
            req = req.body(body);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let text = resp.text().await.map_err(|e| e.to_string())?;
        Ok((status, ctype, text))
    }
}

/// The endpoint of an exchange, for grouping: carrier, method and path
/// with card identifiers as `{id}`, plus the CTCC legacy `method` and the
/// SOAP operation.
pub fn endpoint(ex: &Exchange) -> String {
    let path: Vec<String> = ex
        .request
        .path
        .split('/')
        .map(|seg| {
            if seg.len() >= 11 && seg.bytes().all(|b| b.is_ascii_digit()) {
                "{id}".to_string()
            } else {
                seg.to_string()
            }
        })
        .collect();
    let mut label = format!(
        "{} {} {}",
        ex.carrier.as_str().to_uppercase(),
        ex.request.method,
        path.join("/")
    );
    if ex.request.path.starts_with("/m2m_ec/") {
        let params = super::import::request_params(&ex.request);
        if let Some((_, m)) = params.iter().find(|(k, _)| k == "method") {
            label.push_str(&format!("?method={m}"));
        }
    }
    if let Some(action) = ex.request.header("soapaction") {
        let op = action.trim_matches('"').rsplit('/').next().unwrap_or("");
        label.push_str(&format!(" ({op})"));
    }
    label
}

/// One difference, with the exchanges (seq) it was seen in.
#[derive(Clone, Debug, Serialize)]
pub struct Found {
    #[serde(flatten)]
    pub difference: Difference,
    pub seen_in: Vec<u64>,
}

/// The differences of one endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct EndpointReport {
    pub endpoint: String,
    pub calls: usize,
    pub differences: Vec<Found>,
    pub live: Vec<Found>,
}

/// The whole comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub target: String,
    pub exchanges: usize,
    pub differences: usize,
    pub live: usize,
    pub endpoints: Vec<EndpointReport>,
}

impl Report {
    /// Whether a difference (not a live value) was found.
    pub fn failed(&self) -> bool {
        self.differences > 0
    }

    /// Every difference of a kind (live values included for `Kind::Live`).
    pub fn of_kind(&self, kind: Kind) -> Vec<&Found> {
        self.endpoints
            .iter()
            .flat_map(|e| e.differences.iter().chain(&e.live))
            .filter(|f| f.difference.kind == kind)
            .collect()
    }

    /// The human report, grouped by endpoint and kind.
    pub fn text(&self) -> String {
        let mut s = format!(
            "conformance against {}: {} exchange(s), {} difference(s), {} live value(s)\n",
            self.target, self.exchanges, self.differences, self.live
        );
        for e in &self.endpoints {
            s.push_str(&format!("\n{} ({} call(s))\n", e.endpoint, e.calls));
            if e.differences.is_empty() {
                s.push_str("  conforms\n");
            }
            for f in &e.differences {
                let d = &f.difference;
                let values = match (&d.real, &d.sim) {
                    (Some(r), Some(m)) => format!(" (real `{r}`, simulator `{m}`)"),
                    (Some(r), None) => format!(" (real `{r}`)"),
                    (None, Some(m)) => format!(" (simulator `{m}`)"),
                    (None, None) => String::new(),
                };
                let at = if d.path.is_empty() { "answer" } else { &d.path };
                s.push_str(&format!(
                    "  {:<9} {at}: {}{values}  [#{}]\n",
                    d.kind.name(),
                    d.detail,
                    seqs(&f.seen_in)
                ));
            }
            if !e.live.is_empty() {
                let items: Vec<String> = e
                    .live
                    .iter()
                    .map(|f| format!("{} ({})", f.difference.path, f.difference.detail))
                    .collect();
                s.push_str(&format!("  live: {}\n", items.join(", ")));
            }
        }
        s
    }
}

fn seqs(v: &[u64]) -> String {
    v.iter().map(u64::to_string).collect::<Vec<_>>().join(",#")
}

/// Replays every exchange and builds the report.
pub async fn run(exchanges: &[Exchange], base: &str, creds: TargetCredentials) -> Report {
    let mut checker = Checker::new(base, creds);
    let mut by_endpoint: BTreeMap<String, EndpointReport> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for ex in exchanges {
        let label = endpoint(ex);
        let found = match checker.send(ex).await {
            Ok((status, ctype, body)) => diff::compare(
                ex.response.status,
                ex.response.header("content-type"),
                ex.response.body.as_text().unwrap_or(""),
                status,
                ctype.as_deref(),
                &body,
            ),
            Err(e) => vec![Difference {
                kind: Kind::Envelope,
                path: String::new(),
                real: None,
                sim: None,
                detail: format!("no answer from the target: {e}"),
            }],
        };
        let entry = by_endpoint.entry(label.clone()).or_insert_with(|| {
            order.push(label.clone());
            EndpointReport {
                endpoint: label.clone(),
                calls: 0,
                differences: Vec::new(),
                live: Vec::new(),
            }
        });
        entry.calls += 1;
        for d in found {
            let list = if d.kind == Kind::Live {
                &mut entry.live
            } else {
                &mut entry.differences
            };
            match list.iter_mut().find(|f| {
                f.difference.kind == d.kind
                    && f.difference.path == d.path
                    && f.difference.detail == d.detail
            }) {
                Some(f) => f.seen_in.push(ex.seq),
                None => list.push(Found {
                    difference: d,
                    seen_in: vec![ex.seq],
                }),
            }
        }
    }
    let mut endpoints: Vec<EndpointReport> =
        order.iter().filter_map(|l| by_endpoint.remove(l)).collect();
    for e in &mut endpoints {
        e.differences.sort_by_key(|f| f.difference.kind);
    }
    Report {
        target: base.to_string(),
        exchanges: exchanges.len(),
        differences: endpoints.iter().map(|e| e.differences.len()).sum(),
        live: endpoints.iter().map(|e| e.live.len()).sum(),
        endpoints,
    }
}

#[cfg(test)]
mod tests {
    use super::resign_soap;

    #[test]
    fn a_masked_soap_envelope_gets_the_targets_credentials() {
        let recorded = r#"<soapenv:Envelope xmlns:soapenv="s" xmlns:wsse="w" xmlns:sch="j"><soapenv:Header><wsse:Security><wsse:UsernameToken><wsse:Username>***</wsse:Username><wsse:Password Type="t">***</wsse:Password></wsse:UsernameToken></wsse:Security></soapenv:Header><soapenv:Body><sch:GetTerminalDetailsRequest><sch:messageId>m1</sch:messageId><sch:licenseKey>***</sch:licenseKey><sch:iccids><sch:iccid>8986</sch:iccid></sch:iccids></sch:GetTerminalDetailsRequest></soapenv:Body></soapenv:Envelope>"#;
        let values = [
            ("Username", "user".to_string()),
            ("Password", "p<w&".to_string()),
            ("licenseKey", "lk-9".to_string()),
        ];
        let out = String::from_utf8(resign_soap(recorded.as_bytes(), &values).unwrap()).unwrap();
        let expected = recorded
            .replacen("<wsse:Username>***", "<wsse:Username>user", 1)
            .replacen("Type=\"t\">***", "Type=\"t\">p&lt;w&amp;", 1)
            .replacen("<sch:licenseKey>***", "<sch:licenseKey>lk-9", 1);
        assert_eq!(out, expected);
        assert!(resign_soap(b"<a><b></a>", &values).is_none());
    }
}
