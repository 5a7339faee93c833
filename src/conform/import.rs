//! `carrier-sim import`: a fixture from a recorded session. Every answer
//! that reveals something about a card (its identifiers, lifecycle status,
//! usage, balance, plan, activation and expiry) is read with the dialect's
//! own code tables, reversed (`carriers::*::codes`), so that the simulator
//! started on the fixture answers about the same cards the same way.
//!
//! What an answer does not reveal is made up and said so: identifiers the
//! session never showed are derived from the ones it did (recorded in the
//! card's `attrs.imported_made_up`), a plan whose allowance was never shown
//! gets 1 GB, and each account gets simulator credentials of its own
//! (the recorded ones are masked), which `conform` reads from the fixture
//! to re-sign the recorded requests.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{json, Value};

use super::session::{Exchange, Request};
use super::tree;
use crate::carriers::cucc::codes::Jasper;
use crate::domain::{ids, CardState, Carrier, ReasonSet};
use crate::fixture::{self, Fixture, Problem};

/// Allowance given to a plan whose size no answer revealed.
const UNKNOWN_PLAN_BYTES: u64 = 1 << 30;

/// What the session revealed about one card.
#[derive(Clone, Debug, Default)]
pub struct CardFacts {
    pub carrier: Option<Carrier>,
    pub iccid: Option<String>,
    pub msisdn: Option<String>,
    pub imsi: Option<String>,
    pub imei: Option<String>,
    pub state: Option<CardState>,
    pub data_used: Option<u64>,
    pub sms_used: Option<u64>,
    pub balance_fen: Option<i64>,
    pub activated: Option<Timestamp>,
    pub expires: Option<Timestamp>,
    pub plan_name: Option<String>,
    /// The carrier's own plan id (CUCC `ratePlan`, CTCC `OFFER_ID`).
    pub plan_offer: Option<String>,
    pub plan_bytes: Option<u64>,
    pub opened: Option<Timestamp>,
    /// Dialect attributes (`cucc.communicationPlan`).
    pub attrs: BTreeMap<String, String>,
    /// Account facts: (customer number, account balance in fen).
    pub customer_no: Option<String>,
    pub account_balance_fen: Option<i64>,
}

/// The cards of a session, found by any of their identifiers.
#[derive(Default, Debug)]
pub struct Cards {
    pub cards: Vec<CardFacts>,
}

impl Cards {
    /// The card holding any of these identifiers (created when none does);
    /// the identifiers are added to it.
    fn card(
        &mut self,
        carrier: Carrier,
        iccid: Option<&str>,
        msisdn: Option<&str>,
        imsi: Option<&str>,
    ) -> &mut CardFacts {
        let norm = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(String::from);
        let (iccid, msisdn, imsi) = (norm(iccid), norm(msisdn), norm(imsi));
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        let found = self.cards.iter().position(|c| {
            c.carrier == Some(carrier)
                && (same(&c.iccid, &iccid) || same(&c.msisdn, &msisdn) || same(&c.imsi, &imsi))
        });
        let i = match found {
            Some(i) => i,
            None => {
                self.cards.push(CardFacts {
                    carrier: Some(carrier),
                    ..CardFacts::default()
                });
                self.cards.len() - 1
            }
        };
        let c = &mut self.cards[i];
        if c.iccid.is_none() {
            c.iccid = iccid;
        }
        if c.msisdn.is_none() {
            c.msisdn = msisdn;
        }
        if c.imsi.is_none() {
            c.imsi = imsi;
        }
        c
    }
}

/// Request parameters from the query, a form body and a JSON body (top
/// level and the CMP envelope's `data`), in that order.
pub fn request_params(req: &Request) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = form_urlencoded::parse(req.query.as_bytes())
        .into_owned()
        .collect();
    let body = req.body.as_text().unwrap_or("");
    let trimmed = body.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) {
            let mut add = |m: &serde_json::Map<String, Value>| {
                for (k, v) in m {
                    match v {
                        Value::String(s) => out.push((k.clone(), s.clone())),
                        Value::Number(n) => out.push((k.clone(), n.to_string())),
                        Value::Array(items) => {
                            for i in items {
                                if let Some(s) = i.as_str() {
                                    out.push((k.clone(), s.to_string()));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            };
            add(&map);
            if let Some(Value::Object(data)) = map.get("data") {
                add(data);
            }
        }
    } else if !trimmed.starts_with('<') && body.contains('=') {
        out.extend(form_urlencoded::parse(body.as_bytes()).into_owned());
    }
    out
}

fn param<'a>(params: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| {
        params
            .iter()
            .find(|(k, v)| k == n && !v.is_empty())
            .map(|(_, v)| v.as_str())
    })
}

/// The first value under `key` anywhere in a tree.
pub fn find<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|c| find(c, key))),
        Value::Array(items) => items.iter().find_map(|i| find(i, key)),
        _ => None,
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number_of(v: Option<&Value>) -> Option<f64> {
    let t = text_of(v)?;
    let digits: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    digits.parse().ok()
}

/// A recorded date or time: RFC 3339, Jasper's `yyyy-MM-dd HH:mm:ss.SSS+0000`,
/// or a Beijing-time civil layout (`yyyy-MM-dd HH:mm:ss`, `yyyyMMddHHmmss`,
/// `yyyy-MM-dd`, `yyyyMMdd`).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(z) = jiff::Zoned::strptime(fmt, s) {
            return Some(z.timestamp());
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S"] {
        if let Ok(dt) = jiff::civil::DateTime::strptime(fmt, s) {
            return Some(crate::clock::from_local(dt));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y%m%d"] {
        if let Ok(d) = jiff::civil::Date::strptime(fmt, s) {
            return Some(crate::clock::from_local(
                d.to_datetime(jiff::civil::Time::midnight()),
            ));
        }
    }
    None
}

/// OneLink-CT `cardStatus` → state, by reversing the dialect's table.
fn cmcc_state(code: &str) -> Option<CardState> {
    CardState::ALL
        .into_iter()
        .find(|s| crate::carriers::cmcc::codes::state_status(*s) == code)
}

/// Jasper status name or CMP numeric code → state.
fn cucc_state(status: &str) -> Option<CardState> {
    let j = Jasper::parse(status).or_else(|| Jasper::from_cmp(status))?;
    CardState::ALL.into_iter().find(|s| Jasper::of(*s) == j)
}

/// CTCC `productMainStatusCd` → state (the plain state behind each code).
fn ctcc_state(code: &str) -> Option<CardState> {
    let code: u8 = code.trim().parse().ok()?;
    CardState::ALL
        .into_iter()
        .find(|s| crate::carriers::ctcc::codes::main_status_of(*s, ReasonSet::empty()) == code)
}

/// Reads what one exchange reveals.
pub fn learn(ex: &Exchange, cards: &mut Cards) {
    if !(200..300).contains(&ex.response.status) {
        return;
    }
    let Some(body) = ex.response.body.as_text() else {
        return;
    };
    let answer = tree::parse(body).value;
    let params = request_params(&ex.request);
    let path = ex.request.path.as_str();
    match ex.carrier {
        Carrier::Cmcc => learn_cmcc(path, &params, &answer, cards),
        Carrier::Cucc => learn_cucc(path, &answer, cards),
        Carrier::Ctcc => learn_ctcc(path, &params, &answer, cards),
    }
}

fn learn_cmcc(path: &str, params: &[(String, String)], answer: &Value, cards: &mut Cards) {
    if answer["status"].as_str() != Some("0") {
        return;
    }
    let Some(r) = answer["result"].get(0) else {
        return;
    };
    let endpoint = path.split("/v5/ec/").nth(1).unwrap_or("");
    let iccid = param(params, &["iccid"]).or(r["iccid"].as_str());
    let msisdn = param(params, &["msisdn"]).or(r["msisdn"].as_str());
    let imsi = param(params, &["imsi"]).or(r["imsi"].as_str());
    if iccid.is_none() && msisdn.is_none() && imsi.is_none() {
        return;
    }
    let c = cards.card(Carrier::Cmcc, iccid, msisdn, imsi);
    match endpoint {
        "query/sim-basic-info" => {
            let date = text_of(r.get("activeDate").or(r.get("activateDate")));
            if let Some(t) = date.as_deref().and_then(parse_time) {
                c.activated = Some(t);
            }
        }
        "query/sim-status" => {
            if let Some(s) = r["cardStatus"].as_str().and_then(cmcc_state) {
                c.state = Some(s);
            }
        }
        "query/sim-data-usage" => {
            // dataAmount is in KB (cmcc.md §5, CMIOT_API25U04).
            if let Some(kb) = number_of(r.get("dataAmount")) {
                c.data_used = Some((kb * 1024.0).round() as u64);
            }
        }
        "query/sim-imei" => c.imei = text_of(r.get("imei")),
        "query/sim-data-margin" => {
            if let Some(first) = r["accmMarginList"].get(0) {
                if let Some(kb) = number_of(first.get("totalAmount")) {
                    c.plan_bytes = Some((kb * 1024.0).round() as u64);
                }
                c.plan_name = text_of(first.get("offeringName"));
            }
        }
        _ => {}
    }
}

fn learn_cucc(path: &str, answer: &Value, cards: &mut Cards) {
    if path.starts_with("/api/wsGetTerminalDetails") {
        let Some(terminals) = find(answer, "terminals").and_then(Value::as_array) else {
            return;
        };
        for t in terminals {
            let c = cards.card(
                Carrier::Cucc,
                t["iccid"].as_str(),
                t["msisdn"].as_str().map(ids::strip_country_code),
                t["imsi"].as_str(),
            );
            if let Some(s) = text_of(t.get("simStatus")).as_deref().and_then(cucc_state) {
                c.state = Some(s);
            }
            if let Some(i) = text_of(t.get("imei")) {
                c.imei = Some(i);
            }
            // monthToDateDataUsage is in MB (cucc.md §8.4).
            if let Some(mb) = number_of(t.get("monthToDateDataUsage")) {
                c.data_used = Some((mb * 1024.0 * 1024.0).round() as u64);
            }
        }
        return;
    }
    let Some(rest) = path.strip_prefix("/rws/api/v1/devices/") else {
        return;
    };
    let mut segments = rest.split('/');
    let iccid = segments.next().unwrap_or("");
    let sub = segments.next();
    if answer.get("errorCode").is_some() || iccid.is_empty() {
        return;
    }
    // Jasper shows the number with the country code, which the simulator
    // adds itself.
    let c = cards.card(
        Carrier::Cucc,
        Some(iccid),
        answer["msisdn"].as_str().map(ids::strip_country_code),
        answer["imsi"].as_str(),
    );
    if let Some(plan) = text_of(answer.get("ratePlan")) {
        c.plan_name = Some(plan.clone());
        c.plan_offer = Some(plan);
    }
    if let Some(cp) = text_of(answer.get("communicationPlan")) {
        c.attrs.insert("cucc.communicationPlan".into(), cp);
    }
    if let Some(a) = text_of(answer.get("accountId")) {
        c.customer_no = Some(a);
    }
    if let Some(s) = answer["status"].as_str().and_then(cucc_state) {
        c.state = Some(s);
    }
    if let Some(i) = text_of(answer.get("imei")) {
        c.imei = Some(i);
    }
    match sub {
        None => {
            if let Some(t) = text_of(answer.get("dateActivated"))
                .as_deref()
                .and_then(parse_time)
            {
                c.activated = Some(t);
            }
            if let Some(t) = text_of(answer.get("dateAdded"))
                .as_deref()
                .and_then(parse_time)
            {
                c.opened = Some(t);
            }
        }
        Some("ctdUsages") => {
            // ctdDataUsage is in bytes (cucc.md §3.5).
            if let Some(b) = number_of(answer.get("ctdDataUsage")) {
                c.data_used = Some(b as u64);
            }
            if let Some(n) = number_of(answer.get("ctdSMSUsage")) {
                c.sms_used = Some(n as u64);
            }
        }
        _ => {}
    }
}

fn learn_ctcc(path: &str, params: &[(String, String)], answer: &Value, cards: &mut Cards) {
    let method = param(params, &["method"])
        .map(String::from)
        .unwrap_or_else(|| path.rsplit('/').next().unwrap_or("").to_string());
    let iccid = param(params, &["iccid"])
        .map(String::from)
        .or(text_of(find(answer, "iccid")));
    let number = param(params, &["access_number", "accessNumber"])
        .map(String::from)
        .or(text_of(find(answer, "number")))
        .or(text_of(find(answer, "accessNumber")));
    let imsi = param(params, &["imsi"]).map(String::from);
    if iccid.is_none() && number.is_none() && imsi.is_none() {
        return;
    }
    // A failed legacy answer says so in IRESULT / result / a plain text.
    let failed = ["IRESULT", "result", "RESULT", "resultCode", "RspCode"]
        .iter()
        .filter_map(|k| text_of(find(answer, k)))
        .any(|v| !matches!(v.as_str(), "0" | "0000"));
    if failed || answer.is_string() {
        return;
    }
    let c = cards.card(
        Carrier::Ctcc,
        iccid.as_deref(),
        number.as_deref(),
        imsi.as_deref(),
    );
    if let Some(s) = text_of(find(answer, "productMainStatusCd"))
        .as_deref()
        .and_then(ctcc_state)
    {
        c.state = Some(s);
    }
    match method.as_str() {
        "queryTraffic" => {
            // TOTAL_BYTES_CNT is "<MB with 2 decimals>MB" (ctcc.md §4.1).
            if let Some(mb) = number_of(find(answer, "TOTAL_BYTES_CNT")) {
                c.data_used = Some((mb * 1024.0 * 1024.0).round() as u64);
            }
        }
        "queryBalance" => {
            if let Some(fen) = number_of(find(answer, "BALANCE")) {
                c.balance_fen = Some(fen as i64);
            }
            if let Some(fen) = number_of(find(answer, "ACCOUNTBALANCE")) {
                c.account_balance_fen = Some(fen as i64);
            }
        }
        "queryPakage" => {
            // CUMULATION_* in UNIT_NAME (KB for data), END_TIME yyyyMMddHHmmss (§4.3).
            let list = find(answer, "CumulRspList");
            let first = match list {
                Some(Value::Array(items)) => items.first(),
                other => other,
            };
            if let Some(p) = first {
                let kb = p["UNIT_NAME"].as_str().is_none_or(|u| u == "KB");
                if kb {
                    if let Some(total) = number_of(p.get("CUMULATION_TOTAL")) {
                        c.plan_bytes = Some((total * 1024.0).round() as u64);
                    }
                }
                c.plan_name = text_of(p.get("OFFER_NAME")).or(c.plan_name.take());
                c.plan_offer = text_of(p.get("OFFER_ID")).or(c.plan_offer.take());
                if let Some(t) = text_of(p.get("END_TIME")).as_deref().and_then(parse_time) {
                    c.expires = Some(t);
                }
            }
        }
        _ => {}
    }
}

/// Credentials each imported account gets (the recorded ones are masked);
/// `conform` re-signs the recorded requests with them.
fn credentials(carrier: Carrier, seen_user: Option<&str>) -> Value {
    match carrier {
        Carrier::Cmcc => json!({
            "appid": seen_user.unwrap_or("100001"),
            "password": "conform-cmcc-password",
        }),
        Carrier::Cucc => json!({
            "username": "conform-cucc",
            "api_key": "c0f0c0f0-0000-4000-8000-000000000001",
            "license_key": "conform-license-key",
            "app_id": "conform-cmp-app",
            "app_secret": "conform-cmp-secret",
            "open_id": "conform-open-id",
        }),
        Carrier::Ctcc => json!({
            "user_id": seen_user.unwrap_or("conformuser"),
            "password": "conform1",
            "key": "abcdefghi",
            "app_key": "conform-5g-app",
            "secret": "conformsecret",
        }),
    }
}

/// A made-up serial from the identifiers a card does have.
fn serial_of(c: &CardFacts) -> u64 {
    let seed = format!(
        "{}{}{}",
        c.iccid.as_deref().unwrap_or(""),
        c.msisdn.as_deref().unwrap_or(""),
        c.imsi.as_deref().unwrap_or("")
    );
    let digest = <sha2::Sha256 as sha2::Digest>::digest(seed.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes")) % 1_000_000_000
}

/// Builds the fixture of a session; the problems `validate` would report
/// when the session's identifiers do not fit a carrier.
pub fn build(exchanges: &[Exchange]) -> Result<(Fixture, String), Vec<Problem>> {
    let mut cards = Cards::default();
    for ex in exchanges {
        learn(ex, &mut cards);
    }
    let start = exchanges
        .iter()
        .map(|e| e.started)
        .min()
        .unwrap_or_else(Timestamp::now);
    // Identities that are not secret and that re-signed requests must keep
    // (a CMCC transid starts with the appid; a CTCC user_id is in the sign).
    let seen_user = |carrier: Carrier, names: &[&str]| {
        exchanges
            .iter()
            .filter(|e| e.carrier == carrier)
            .find_map(|e| param(&request_params(&e.request), names).map(String::from))
    };
    let mut accounts = Vec::new();
    let mut plans: Vec<Value> = Vec::new();
    let mut plan_ids: BTreeMap<(Carrier, String), String> = BTreeMap::new();
    let mut card_specs = Vec::new();
    for carrier in Carrier::ALL {
        let mine: Vec<&CardFacts> = cards
            .cards
            .iter()
            .filter(|c| c.carrier == Some(carrier))
            .collect();
        if mine.is_empty() && !exchanges.iter().any(|e| e.carrier == carrier) {
            continue;
        }
        let account = format!("{carrier}-recorded");
        let user = match carrier {
            Carrier::Cmcc => seen_user(carrier, &["appid"]),
            Carrier::Ctcc => seen_user(carrier, &["user_id", "userId"]),
            Carrier::Cucc => None,
        };
        let mut spec = json!({
            "id": account,
            "name": format!("recorded {carrier} account"),
            "carrier": carrier,
            "credentials": credentials(carrier, user.as_deref()),
        });
        if let Some(no) = mine.iter().find_map(|c| c.customer_no.clone()) {
            spec["customer_no"] = json!(no);
        }
        if let Some(fen) = mine.iter().find_map(|c| c.account_balance_fen) {
            spec["balance_fen"] = json!(fen);
        }
        accounts.push(spec);
        for (n, c) in mine.iter().enumerate() {
            let plan_name = c
                .plan_name
                .clone()
                .unwrap_or_else(|| "recorded plan".into());
            let key = (carrier, plan_name.clone());
            let plan_id = match plan_ids.get(&key) {
                Some(id) => id.clone(),
                None => {
                    let id = format!("{carrier}-plan-{}", plan_ids.len() + 1);
                    plans.push(json!({
                        "id": id,
                        "name": plan_name,
                        "carrier": carrier,
                        "data": c.plan_bytes.unwrap_or(UNKNOWN_PLAN_BYTES),
                        "offer_id": c.plan_offer.clone().unwrap_or_default(),
                    }));
                    plan_ids.insert(key, id.clone());
                    id
                }
            };
            let serial = serial_of(c) + n as u64;
            let mut made_up = Vec::new();
            let iccid = c.iccid.clone().unwrap_or_else(|| {
                made_up.push("iccid");
                ids::make_iccid(carrier, 0, serial)
            });
            let imsi = c.imsi.clone().unwrap_or_else(|| {
                made_up.push("imsi");
                ids::make_imsi(carrier, 0, serial)
            });
            let msisdn = c.msisdn.clone().unwrap_or_else(|| {
                made_up.push("msisdn");
                ids::make_msisdn(carrier, serial)
            });
            let state = c.state.unwrap_or(CardState::Active);
            let mut spec = json!({
                "iccid": iccid,
                "imsi": imsi,
                "msisdn": msisdn,
                "account": account,
                "plan": plan_id,
                "state": state.as_str(),
                "tags": ["imported"],
            });
            if state == CardState::Suspended {
                spec["reasons"] = json!(["manual"]);
            }
            if let Some(i) = &c.imei {
                spec["imei"] = json!(i);
            }
            if let Some(b) = c.data_used {
                spec["data_used"] = json!(b);
            }
            if let Some(n) = c.sms_used {
                spec["sms_used"] = json!(n);
            }
            if let Some(b) = c.balance_fen {
                spec["balance_fen"] = json!(b);
            }
            if let Some(t) = c.activated.filter(|t| *t <= start) {
                spec["activated"] = json!(t.to_string());
            }
            let expires = match (state, c.expires) {
                // A pre-cancel card's package has ended before the start.
                (CardState::PreCancel, Some(t)) if t < start => Some(t),
                (CardState::PreCancel, _) => Some(start - jiff::SignedDuration::from_hours(24)),
                (_, t) => t.filter(|t| *t > start),
            };
            if let Some(t) = expires {
                spec["expires"] = json!(t.to_string());
            }
            if let Some(t) = c.opened.filter(|t| *t <= start) {
                spec["opened"] = json!(t.to_string());
            }
            let mut attrs = c.attrs.clone();
            if !made_up.is_empty() {
                attrs.insert("imported_made_up".into(), made_up.join(","));
            }
            if !attrs.is_empty() {
                spec["attrs"] = json!(attrs);
            }
            card_specs.push(spec);
        }
    }
    let fx = json!({
        "seed": 1,
        "start": start.to_string(),
        "accounts": accounts,
        "plans": plans,
        "cards": card_specs,
    });
    let fx: Fixture = serde_json::from_value(fx).map_err(|e| {
        vec![Problem {
            path: String::new(),
            message: e.to_string(),
        }]
    })?;
    let text = toml::to_string_pretty(&fx).map_err(|e| {
        vec![Problem {
            path: String::new(),
            message: e.to_string(),
        }]
    })?;
    let checked = fixture::load(&text)?;
    Ok((checked, text))
}
