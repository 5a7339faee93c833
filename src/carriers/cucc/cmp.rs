//! Unicom's CMP open gateway (`https://gwapi.10646.cn/api`): every call is a
//! POST of the JSON envelope `{app_id, timestamp, trans_id, token, data}`
//! with `token` the lowercase hex SM3 of `"app_id" + appId + "timestamp" +
//! ts + "trans_id" + tid + appSecret`. Served: `realNameStatusQuery`,
//! `wsGetTerminalDetails` and `wsEditTerminal`. Gateway failures answer
//! `{"status","message"}` with the codes of `codes::cmp`; business outcomes
//! of the ws family are `data.resultCode`/`data.resultDesc`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{json, Map, Value};
use sm3::{Digest, Sm3};

use super::codes::{self, cmp as code, cmp_refusal, Jasper};
use super::devices::{attr, change_status, msisdn, CUSTOM_FIELDS};
use super::{json_bytes, Shared};
use crate::clock::{cycle_start, fmt_local};
use crate::domain::ids::luhn_digit;
use crate::domain::lifecycle::DomainError;
use crate::domain::money::mb_2dp;
use crate::domain::{Account, Card, Carrier, Reason};
use crate::store::CardRef;
use crate::world::World;

pub const REALNAME: &str = "/api/realNameStatusQuery/V1/1Main/vV1.1";
pub const DETAILS: &str = "/api/wsGetTerminalDetails/V1/1Main/vV1.1";
pub const EDIT: &str = "/api/wsEditTerminal/V1/1Main/vV1.1";

/// Most ICCIDs in one `wsGetTerminalDetails` call.
const MAX_ICCIDS: usize = 50;

/// The token of an envelope: lowercase hex SM3 over the sorted keys.
pub fn token(app_id: &str, timestamp: &str, trans_id: &str, secret: &str) -> String {
    let mut h = Sm3::new();
    for part in [
        "app_id",
        app_id,
        "timestamp",
        timestamp,
        "trans_id",
        trans_id,
        secret,
    ] {
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

fn envelope(http: StatusCode, status: &str, message: &str, data: Option<Value>) -> Response {
    let mut body = json!({"status": status, "message": message});
    if let Some(d) = data {
        body["data"] = d;
    }
    json_bytes(http, serde_json::to_vec(&body).unwrap_or_default())
}

fn fail((status, message): (&str, &str)) -> Response {
    envelope(StatusCode::OK, status, message, None)
}

/// A verified envelope: the calling account and the business data.
struct Call {
    account: Account,
    trans_id: String,
    data: Map<String, Value>,
}

/// Reads and verifies an envelope.
async fn open(world: &World, body: Body) -> Result<Call, Response> {
    let bytes = axum::body::to_bytes(body, super::BODY_LIMIT)
        .await
        .map_err(|_| envelope(StatusCode::PAYLOAD_TOO_LARGE, "1001", "请求体过大", None))?;
    let bad = || gateway_fail(code::BAD_REQUEST);
    let Ok(Value::Object(env)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(bad());
    };
    let field = |k: &str| env.get(k).and_then(Value::as_str).map(str::to_string);
    let (Some(app_id), Some(ts), Some(tid), Some(tok)) = (
        field("app_id"),
        field("timestamp"),
        field("trans_id"),
        field("token"),
    ) else {
        return Err(bad());
    };
    let data = match env.get("data") {
        Some(Value::Object(d)) => d.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(bad()),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(&ts, 17) || !digits(&tid, 23) {
        return Err(fail(code::BAD_TIME));
    }
    let account = world
        .store
        .accounts
        .iter()
        .find(|a| a.carrier == Carrier::Cucc && a.credentials.app_id.as_deref() == Some(&app_id))
        .map(|a| a.clone())
        .ok_or_else(|| fail(code::BAD_APP))?;
    let secret = account.credentials.app_secret.clone().unwrap_or_default();
    if !token(&app_id, &ts, &tid, &secret).eq_ignore_ascii_case(tok.trim()) {
        return Err(fail(code::BAD_TOKEN));
    }
    Ok(Call {
        account,
        trans_id: tid,
        data,
    })
}

/// Answers numbered so far (the sequence part of `messageId`).
static ANSWERS: AtomicU64 = AtomicU64::new(1);

/// The gateway's own `messageId` of an answer: 18 digits, not the caller's
/// `trans_id` (the public sample `"200601007122189938"` in mehunk's
/// `cucc-cmp` response type). Read here as the Shanghai date `yyMMdd` then
/// a 12-digit sequence; what the real 12 digits encode is not public.
pub fn message_id(now: Timestamp) -> String {
    let n = ANSWERS.fetch_add(1, Ordering::Relaxed) % 1_000_000_000_000;
    format!("{}{n:012}", fmt_local(now, "%y%m%d"))
}

/// `data` of a ws-family answer: the common fields plus `extra`.
/// `trans_id` is the caller's; the answer carries its own `messageId`.
fn ws_data(_trans_id: &str, now: Timestamp, result: (&str, &str), extra: Value) -> Value {
    let mut d = json!({
        "messageId": message_id(now),
        "resultCode": result.0,
        "resultDesc": result.1,
        "timestamp": fmt_local(now, "%Y-%m-%d %H:%M:%S"),
        "version": "1.0",
    });
    if let (Some(m), Value::Object(x)) = (d.as_object_mut(), extra) {
        m.extend(x);
    }
    d
}

/// A ws-family answer to a call with `trans_id` at simulated time `now`.
fn ws_reply(trans_id: &str, now: Timestamp, result: (&str, &str), extra: Value) -> Response {
    envelope(
        StatusCode::OK,
        code::OK_WS,
        "成功",
        Some(ws_data(trans_id, now, result, extra)),
    )
}

fn ws_ok(world: &World, call: &Call, result: (&str, &str), extra: Value) -> Response {
    ws_reply(&call.trans_id, world.now(), result, extra)
}

/// The gateway's answer for a card that is unknown or not the caller's
/// (the gateway does not tell the two apart): on `path`, for a call with
/// `trans_id` naming `iccid`, at simulated time `now`.
/// `wsGetTerminalDetails` names the ICCID in `resultDesc`.
pub fn no_card(path: &str, trans_id: &str, iccid: &str, now: Timestamp) -> Response {
    match path {
        REALNAME => envelope(
            StatusCode::OK,
            code::OK_REALNAME,
            "success",
            Some(json!({"rspcode": code::RSP_NO_CARD, "rspdesc": code::RESULT_NO_CARD.1})),
        ),
        DETAILS => {
            let desc = format!("{}：{iccid}", code::RESULT_NO_CARD.1);
            ws_reply(trans_id, now, (code::RESULT_NO_CARD.0, &desc), json!({}))
        }
        _ => ws_reply(trans_id, now, code::RESULT_NO_CARD, json!({})),
    }
}

/// A gateway failure: HTTP 200 (400 for an unreadable envelope) with
/// `{"status","message"}`.
pub fn gateway_fail(failure: (&str, &str)) -> Response {
    if failure == code::BAD_REQUEST {
        envelope(StatusCode::BAD_REQUEST, failure.0, failure.1, None)
    } else {
        fail(failure)
    }
}

/// A CUCC card of the account by ICCID (20 digits, or 19 without the
/// check digit as the SDK sends it).
fn find_card(world: &World, account: &Account, iccid: &str) -> Option<compact_str::CompactString> {
    if !iccid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let full = match iccid.len() {
        20 => iccid.to_string(),
        19 => format!("{iccid}{}", luhn_digit(iccid)?),
        _ => return None,
    };
    let id = world
        .resolve(CardRef::Iccid(&full))
        .or_else(|| world.resolve(CardRef::Iccid(iccid)))?;
    world
        .read_card(&id, |c| {
            c.carrier == Carrier::Cucc && c.account == account.id
        })
        .unwrap_or(false)
        .then_some(id)
}

/// Real-name status code: `2` needed and done, `1` needed and not done.
fn real_name_code(card: &Card) -> &'static str {
    if card.real_name {
        "2"
    } else {
        "1"
    }
}

/// `POST /api/realNameStatusQuery/V1/1Main/vV1.1`, `data = {"iccid"}`.
pub async fn real_name_status(State(st): State<Shared>, body: Body) -> Response {
    let call = match open(&st.world, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let iccid = call.data.get("iccid").and_then(Value::as_str).unwrap_or("");
    let card = find_card(&st.world, &call.account, iccid).and_then(|id| st.world.card(&id));
    let Some(c) = card else {
        return no_card(REALNAME, &call.trans_id, iccid, st.world.now());
    };
    let data = json!({
        "rspcode": code::RSP_OK,
        "rspdesc": if c.real_name { "已实名" } else { "未实名" },
        "realNameStatus": real_name_code(&c),
    });
    envelope(StatusCode::OK, code::OK_REALNAME, "success", Some(data))
}

/// Checks `openId` against the account.
fn open_id_ok(call: &Call) -> bool {
    call.data.get("openId").and_then(Value::as_str) == call.account.credentials.open_id.as_deref()
}

/// The numeric rate plan id shown by the gateway (stable per fixture).
fn rate_plan_number(world: &World, plan_id: &str) -> u64 {
    let mut ids: Vec<String> = world
        .store
        .plans
        .iter()
        .filter(|p| p.carrier == Carrier::Cucc)
        .map(|p| p.id.to_string())
        .collect();
    ids.sort();
    ids.iter()
        .position(|p| p == plan_id)
        .map_or(0, |i| 100_001 + i as u64)
}

/// One terminal of `wsGetTerminalDetails`.
fn terminal(world: &World, account: &Account, c: &Card) -> Value {
    let day = |ts| fmt_local(ts, "%Y-%m-%d %H:%M:%S");
    let cycle_from = cycle_start(c.cycle);
    let sms_mo = c.outbox.iter().filter(|m| m.time >= cycle_from).count();
    let a = |f: &str| attr(c, f).unwrap_or("").to_string();
    let mut t = json!({
        "msisdn": msisdn(c),
        "iccid": c.iccid,
        "imsi": c.imsi,
        "imei": c.imei,
        "deviceId": a("deviceID"),
        "simStatus": Jasper::of(c.state).cmp_code(),
        "realNameStatus": real_name_code(c),
        "ratePlan": rate_plan_number(world, &c.plan),
        "monthToDateUsage": mb_2dp(c.usage.data_bytes),
        "monthToDateDataUsage": mb_2dp(c.usage.data_bytes),
        "monthToDateSMSUsage": c.usage.sms.to_string(),
        "monthToDateSMSUsageMO": sms_mo.to_string(),
        "monthToDateVoiceUsage": c.usage.voice_seconds.to_string(),
        "monthToDateVoiceUsageMO": "0",
        "dateShipped": fmt_local(c.opened, "%Y-%m-%d 00:00:00"),
        "dateModified": fmt_local(c.updated, "%Y-%m-%d %H:%M:%S.0"),
        "dateAdded": fmt_local(c.opened, "%Y-%m-%d %H:%M:%S.0"),
        "dateActivated": c.activated.map(day).unwrap_or_default(),
        "dateReceivied": day(c.opened),
        "accountId": account.customer_no,
        "operatorAccountId": "",
        "modemId": a("modemID"),
        "secureSimId": attr(c, "secureSimId").unwrap_or("1"),
        "lockStatus": "0",
        "Customer": a("customer"),
        "ctdSessionCount": c.session.sessions_this_cycle,
        "overageLimitOverride": codes::cmp_override(attr(c, "overageLimitOverride")),
        "fixedIpAddress": a("ipv4Address"),
        "simNotes": a("simNotes"),
        "copyRulePwd": attr(c, "copyRulePwd").unwrap_or("1"),
        "overageLimitReached": c.reasons.contains(Reason::OverQuota).to_string(),
    });
    let m = t.as_object_mut().expect("object");
    for (i, f) in CUSTOM_FIELDS[..10].iter().enumerate() {
        m.insert(format!("fieldValue{}", i + 1), a(f).into());
    }
    for f in &CUSTOM_FIELDS[10..] {
        m.insert((*f).to_string(), a(f).into());
    }
    for i in 1..=5 {
        m.insert(format!("provinceCusutom{i}"), "".into());
    }
    t
}

/// `POST /api/wsGetTerminalDetails/V1/1Main/vV1.1`,
/// `data = {"openId","version","iccids":[...]}`.
pub async fn terminal_details(State(st): State<Shared>, body: Body) -> Response {
    let call = match open(&st.world, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let w = &st.world;
    if !open_id_ok(&call) {
        return ws_ok(w, &call, code::RESULT_BAD_OPENID, json!({}));
    }
    let iccids: Option<Vec<&str>> = call
        .data
        .get("iccids")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_str).collect());
    let Some(iccids) = iccids.filter(|v| !v.is_empty() && v.len() <= MAX_ICCIDS) else {
        return ws_ok(w, &call, code::RESULT_BAD_PARAM, json!({}));
    };
    let mut terminals = Vec::new();
    for i in iccids {
        match find_card(w, &call.account, i).and_then(|id| w.card(&id)) {
            Some(c) => terminals.push(terminal(w, &call.account, &c)),
            None => return no_card(DETAILS, &call.trans_id, i, w.now()),
        }
    }
    ws_ok(w, &call, code::RESULT_OK, json!({ "terminals": terminals }))
}

/// `POST /api/wsEditTerminal/V1/1Main/vV1.1`, `data = {"openId","version",
/// "iccid","asynchronous","changeType","targetValue"}`; changeType `3` sets
/// the SIM status (numeric codes) through the lifecycle rules.
pub async fn edit_terminal(State(st): State<Shared>, body: Body) -> Response {
    let call = match open(&st.world, body).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let w = &st.world;
    if !open_id_ok(&call) {
        return ws_ok(w, &call, code::RESULT_BAD_OPENID, json!({}));
    }
    let s = |k: &str| call.data.get(k).and_then(Value::as_str).unwrap_or("");
    let iccid = s("iccid");
    let Some(id) = find_card(w, &call.account, iccid) else {
        return no_card(EDIT, &call.trans_id, iccid, w.now());
    };
    if s("changeType") != "3" {
        return ws_ok(w, &call, code::RESULT_BAD_CHANGE_TYPE, json!({}));
    }
    let Some(target) = Jasper::from_cmp(s("targetValue")) else {
        return ws_ok(w, &call, code::RESULT_BAD_PARAM, json!({}));
    };
    let outcome = w.edit(&id, "cucc", |e| change_status(e, target));
    let extra = json!({
        "iccid": id,
        "effectiveDate": fmt_local(w.now(), "%Y-%m-%d %H:%M:%S"),
    });
    match outcome {
        Ok(Ok(())) => ws_ok(w, &call, code::RESULT_OK, extra),
        Ok(Err(e)) => ws_ok(w, &call, cmp_refusal(&e), json!({"iccid": id})),
        Err(_) => ws_ok(
            w,
            &call,
            cmp_refusal(&DomainError::Invalid("gone".into())),
            json!({}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_standard_vector() {
        assert_eq!(
            hex::encode(Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn token_is_sm3_of_sorted_keys_then_secret() {
        let t = token(
            "app",
            "20200630144640123",
            "20200630144640123456789",
            "s3cret",
        );
        let whole = "app_idapptimestamp20200630144640123trans_id20200630144640123456789s3cret";
        assert_eq!(t, hex::encode(Sm3::digest(whole.as_bytes())));
        assert_eq!(t.len(), 64);
        assert!(t.bytes().all(|b| !b.is_ascii_uppercase()));
    }
}
