//! The 5G CMP gateway (spec §7): `AppKey` / `Timestamp` / `Sign` headers
//! (MD5 sign with the lenient variants, optional timestamp skew check), the
//! endpoints of the spec's table that map onto the world (most share the
//! legacy handlers and reply shapes), the JSON batch queries and sendSms
//! (content `strEnc`-encrypted with the secret split 3/3/3).

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::response::Response;
use compact_str::CompactString;
use serde_json::{json, Value};

use super::codes::{main_status, main_status_name, Code};
use super::{changes, list, status, traffic, Call, Fail, Flavor, Handler, Ident, Out, Shared};
use crate::clock::{cycle_label, cycle_of};
use crate::domain::card::{CardState, Reason, ReasonSet};
use crate::domain::money::mb_2dp;
use crate::domain::Carrier;

/// `(path, what it identifies, handler)` of every 5G endpoint served.
pub const ROUTES: &[(&str, Ident, Handler)] = &[
    (
        "/api/v1/openbill/queryTraffic",
        Ident::Card,
        traffic::query_traffic,
    ),
    (
        "/api/v1/openbill/queryTrafficByDate",
        Ident::Card,
        traffic::traffic_by_date,
    ),
    (
        "/openapi/v1/prodinst/queryCardMainStatus",
        Ident::Card,
        status::main_status,
    ),
    (
        "/openapi/v1/prodinst/getOnlineStatus",
        Ident::Card,
        status::online_status,
    ),
    (
        "/openapi/v1/prodinst/prodInstQuery",
        Ident::Card,
        status::prod_inst_query,
    ),
    (
        "/openapi/v1/prodinst/realNameQueryIot",
        Ident::Card,
        status::real_name,
    ),
    (
        "/openapi/v1/prodinst/getSIMList",
        Ident::None,
        list::sim_list,
    ),
    (
        "/openapi/v1/prodinst/getTelephone",
        Ident::Card,
        status::get_telephone,
    ),
    (
        "/openapi/v1/flowpool/forwardFlowPoolMember",
        Ident::Card,
        super::pools::forward_members,
    ),
    (
        "/openapi/v1/prodinst/cradStatus",
        Ident::Card,
        card_status_changes,
    ),
    (
        "/5gcmp/openapi/v1/common/disabledNumberService",
        Ident::Card,
        changes::disabled_number,
    ),
    (
        "/5gcmp/openapi/v1/common/singleCutNet",
        Ident::Card,
        changes::single_cut_net,
    ),
    (
        "/5gcmp/openapi/v1/common/offNetAction",
        Ident::Card,
        changes::off_net_action,
    ),
    (
        "/5gcmp/openapi/v1/common/requestServActive",
        Ident::Card,
        changes::serv_active,
    ),
    (
        "/5gcmp/openapi/v1/common/speedLimitAction",
        Ident::Card,
        changes::speed_limit,
    ),
    ("/api/v1/na/notice/message/sendSms", Ident::Card, send_sms),
    (
        "/api/v1/realName/qryRealNameStatus",
        Ident::None,
        qry_real_name_status,
    ),
    (
        "/api/v1/batchQry/batchQryFlowByMonth",
        Ident::None,
        batch_flow_by_month,
    ),
    ("/api/v1/prod/batchQrySimInfo", Ident::None, batch_sim_info),
    (
        "/api/v1/prod/batchQrySimStatus",
        Ident::None,
        batch_sim_status,
    ),
];

/// The identifier parameters of a 5G call, in the order they are looked for.
pub const ID_PARAMS: [&str; 4] = ["access_number", "iccid", "imsi", "accessNumber"];

/// An `AppKey` no account holds.
pub fn bad_app_key() -> Fail {
    Fail {
        code: Code::BadPassword,
        text: Some("AppKey不存在或无权限。".into()),
    }
}

/// The 5G error body: `{"code": ..., "msg": ...}`.
pub fn error(f: &Fail) -> Response {
    super::render(Out::Json(json!({
        "code": f.code.code(),
        "msg": f.text.as_deref().unwrap_or(f.code.text()),
    })))
}

/// One 5G call: headers, sign, card, handler.
pub async fn entry(ct: Shared, req: Request, route: (Ident, Handler)) -> Response {
    let headers = req.headers().clone();
    let query = req.uri().query().unwrap_or("").to_string();
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, super::BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return error(&Fail::bad("请求参数过大。")),
    };
    let raw_body = String::from_utf8_lossy(&bytes).into_owned();
    let p = match super::read_params(Request::from_parts(parts, bytes.into())).await {
        Ok(p) => p,
        Err(f) => return error(&f),
    };
    match run(&ct, &headers, &query, &raw_body, &p, route) {
        Ok(out) => super::render(out),
        Err(f) => error(&f),
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
}

fn run(
    ct: &super::Ctcc,
    headers: &HeaderMap,
    query: &str,
    raw_body: &str,
    p: &super::Params,
    (ident, handler): (Ident, Handler),
) -> Result<Out, Fail> {
    let app_key = header(headers, "AppKey").ok_or_else(|| Fail::bad("请求头AppKey缺失。"))?;
    let ts = header(headers, "Timestamp").ok_or_else(|| Fail::bad("请求头Timestamp缺失。"))?;
    let sign = header(headers, "Sign").ok_or_else(|| Fail::bad("请求头Sign缺失。"))?;
    let (account, secret) = ct
        .world
        .store
        .accounts
        .iter()
        .find_map(|a| {
            let c = &a.credentials;
            (a.carrier == Carrier::Ctcc && c.app_key.as_deref() == Some(app_key))
                .then(|| (a.id.clone(), c.secret.clone().unwrap_or_default()))
        })
        .ok_or_else(bad_app_key)?;
    if let Some(max) = ct.settings().g5_max_skew {
        if !timestamp_ok(ts, ct.world.now(), max) {
            return Err(Fail {
                code: Code::BadSign,
                text: Some("Timestamp已过期或格式错误。".into()),
            });
        }
    }
    let query_pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let json_fields: Vec<(String, String)> = match &p.json {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                let s = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), s)
            })
            .collect(),
        _ => Vec::new(),
    };
    if !super::sign::verify_g5(sign, &query_pairs, raw_body, &json_fields, &secret, ts) {
        return Err(Fail::new(Code::BadSign));
    }
    let (iccid, number) = match ident {
        Ident::Card => {
            let (kind, v) = ID_PARAMS
                .iter()
                .find_map(|k| p.get(k).filter(|v| !v.is_empty()).map(|v| (*k, v)))
                .ok_or_else(|| Fail::bad("必传参数access_number缺失。"))?;
            (ct.owned_card(&account, kind, v)?, v.to_string())
        }
        Ident::None => (CompactString::default(), String::new()),
    };
    let call = Call {
        ct,
        p,
        account,
        iccid,
        number,
        flavor: Flavor::G5,
        key: ct.key(&secret),
    };
    handler(&call)
}

/// `yyyyMMddHHmmss` within `max` seconds of now, read as Beijing time or GMT.
fn timestamp_ok(ts: &str, now: jiff::Timestamp, max: i64) -> bool {
    let Ok(dt) = jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", ts) else {
        return false;
    };
    let local = crate::clock::from_local(dt).as_second();
    let gmt = local + 8 * 3600;
    let n = now.as_second();
    (local - n).abs() <= max || (gmt - n).abs() <= max
}

/// The numbers of a batch body (`accessNumber` / `accessNumbers`), ≤ 100.
fn batch_numbers(call: &Call) -> Result<Vec<String>, Fail> {
    let v = call
        .p
        .json
        .as_ref()
        .and_then(|j| j.get("accessNumber").or_else(|| j.get("accessNumbers")))
        .and_then(Value::as_array)
        .ok_or_else(|| Fail::bad("必传参数accessNumber缺失。"))?;
    let list: Vec<String> = v
        .iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect();
    if list.is_empty() || list.len() > 100 || list.len() != v.len() {
        return Err(Fail::bad("accessNumber应为1至100个号码。"));
    }
    Ok(list)
}

/// sendSms: decrypts `content` with the secret and delivers it to the card.
pub fn send_sms(call: &Call) -> Result<Out, Fail> {
    let content = call
        .p
        .get("content")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数content缺失。"))?;
    let text = call
        .key
        .dec(content)
        .filter(|t| !t.is_empty() && content.len() % 16 == 0)
        .ok_or_else(|| Fail::bad("content解密失败。"))?;
    let from = call
        .world()
        .account(&call.account)
        .and_then(|a| {
            a.credentials
                .smpp
                .and_then(|s| s.short_codes.into_iter().next())
        })
        .unwrap_or_else(|| "10649".into());
    match call.world().deliver_to_card(&call.iccid, &from, &text) {
        Ok(m) => Ok(Out::Json(json!({
            "code": 0,
            "msg": "发送成功",
            "data": {"msgId": m.id.to_string(), "accessNumber": call.number},
        }))),
        Err(_) => Ok(Out::Json(
            json!({"code": -1, "msg": "号码状态异常，短信发送失败"}),
        )),
    }
}

/// qryRealNameStatus: real-name flags of up to 100 numbers.
pub fn qry_real_name_status(call: &Call) -> Result<Out, Fail> {
    let list: Vec<Value> = batch_numbers(call)?
        .into_iter()
        .map(|n| {
            let done = call
                .owned("access_number", &n)
                .ok()
                .and_then(|i| call.world().read_card(&i, |c| c.real_name))
                .unwrap_or(false);
            json!({"accessNumber": n, "status": if done { "1" } else { "0" }})
        })
        .collect();
    Ok(Out::Json(
        json!({"code": 0, "msg": "查询成功", "data": {"statusList": list}}),
    ))
}

/// batchQryFlowByMonth: monthly data in MB (`month` yyyyMM, default this month).
pub fn batch_flow_by_month(call: &Call) -> Result<Out, Fail> {
    let now = cycle_of(call.world().now());
    let month = call
        .p
        .get("month")
        .filter(|s| !s.is_empty())
        .map(|s| {
            let ok = s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
            let (y, m): (i32, i32) = if ok {
                (s[..4].parse().unwrap_or(0), s[4..].parse().unwrap_or(0))
            } else {
                (0, 0)
            };
            if ok && (1..=12).contains(&m) {
                Ok(y * 12 + m - 1)
            } else {
                Err(Fail::bad("month格式错误，应为yyyyMM。"))
            }
        })
        .transpose()?
        .unwrap_or(now);
    let data: Vec<Value> = batch_numbers(call)?
        .into_iter()
        .map(|n| {
            let used = call.owned("access_number", &n).ok().and_then(|i| {
                call.world()
                    .read_card(&i, |c| c.usage_in(month).data_bytes)
            });
            match used {
                Some(b) => json!({"accessNumber": n, "result": "1", "unit": "MB", "flowAmount": mb_2dp(b),
                    "month": cycle_label(month), "status": "0", "statusDesc": "查询成功"}),
                None => json!({"accessNumber": n, "result": "0", "unit": "MB", "flowAmount": "0.00",
                    "month": cycle_label(month), "status": "-1", "statusDesc": "号码不存在或不属于该客户"}),
            }
        })
        .collect();
    Ok(Out::Json(
        json!({"code": 0, "msg": "查询成功", "data": data}),
    ))
}

/// batchQrySimInfo: identity and status of up to 100 numbers.
pub fn batch_sim_info(call: &Call) -> Result<Out, Fail> {
    let list: Vec<Value> = batch_numbers(call)?
        .into_iter()
        .filter_map(|n| {
            let i = call.owned("access_number", &n).ok()?;
            let c = call.world().card(&i)?;
            let code = main_status(&c);
            Some(json!({
                "accessNumber": c.msisdn, "iccid": c.iccid, "imsi": c.imsi, "imei": c.imei,
                "simStatus": code.to_string(), "simStatusName": main_status_name(code),
                "activationTime": c.activated.map(super::fmt_time).unwrap_or_default(),
                "createTime": super::fmt_time(c.opened),
                "realNameStatus": if c.real_name { "1" } else { "0" },
            }))
        })
        .collect();
    Ok(Out::Json(
        json!({"code": "0", "message": "查询成功", "data": {"qrySimInfoList": list}}),
    ))
}

/// batchQrySimStatus: main status of up to 100 numbers.
pub fn batch_sim_status(call: &Call) -> Result<Out, Fail> {
    let list: Vec<Value> = batch_numbers(call)?
        .into_iter()
        .map(|n| {
            let code = call
                .owned("access_number", &n)
                .ok()
                .and_then(|i| call.world().read_card(&i, main_status));
            match code {
                Some(c) => {
                    json!({"accessNumber": n, "result": "0", "productMainStatusCd": c.to_string(),
                    "productMainStatusName": main_status_name(c)})
                }
                None => json!({"accessNumber": n, "result": "-4", "productMainStatusCd": "",
                    "productMainStatusName": "号码不存在或不属于该客户"}),
            }
        })
        .collect();
    Ok(Out::Json(
        json!({"code": 0, "msg": "查询成功", "data": {"simStatusList": list}}),
    ))
}

/// The stop reasons a card had before a state change when no earlier
/// change is kept: the change's own reason added or removed, and for a
/// suspended card whose change names no reason (renewal, rollover, top-up)
/// a stop that is not a data cut, so that the old main status reads 停机.
fn reasons_before(from: CardState, why: &str, after: ReasonSet) -> ReasonSet {
    if !matches!(from, CardState::Suspended | CardState::PreCancel) {
        return ReasonSet::empty();
    }
    let mut prior = after;
    match Reason::parse(why) {
        Some(r) if after.contains(r) => {
            prior.remove(r);
        }
        Some(r) => {
            prior.insert(r);
        }
        None => {
            prior.insert(Reason::Manual);
        }
    }
    prior
}

/// cradStatus (sic, LC005): the card's main-status changes, newest first,
/// paged by `page` (from 1) and `size` (1–100, default 10).
pub fn card_status_changes(call: &Call) -> Result<Out, Fail> {
    let num = |k: &str, default: usize| -> Result<usize, Fail> {
        match call.p.get(k).filter(|s| !s.is_empty()) {
            None => Ok(default),
            Some(s) => s
                .parse()
                .ok()
                .filter(|v| (1..=100).contains(v) || (k == "page" && *v >= 1))
                .ok_or_else(|| Fail::bad(format!("{k}参数错误。"))),
        }
    };
    let (page, size) = (num("page", 1)?, num("size", 10)?);
    let changes: Vec<Value> = call
        .world()
        .read_card(&call.iccid, |c| {
            let mut before: Option<ReasonSet> = None;
            let mut list: Vec<Value> = Vec::new();
            for e in c.events.iter() {
                let crate::domain::EventKind::StateChanged {
                    from,
                    to,
                    reason,
                    reasons,
                    ..
                } = &e.kind
                else {
                    continue;
                };
                // The reasons in force before this change are the ones
                // the previous change left (every change of the set is a
                // state_changed event); the oldest kept event infers them.
                let prior = before.unwrap_or_else(|| reasons_before(*from, reason, *reasons));
                before = Some(*reasons);
                let old = super::codes::main_status_of(*from, prior);
                let new = super::codes::main_status_of(*to, *reasons);
                if old != new {
                    list.push(json!({
                        "accessNumber": c.msisdn,
                        "changeTime": super::fmt_time(e.time),
                        "oldStatusCd": old.to_string(),
                        "oldStatusName": main_status_name(old),
                        "newStatusCd": new.to_string(),
                        "newStatusName": main_status_name(new),
                        "reason": reason,
                    }));
                }
            }
            list.reverse();
            list
        })
        .ok_or(Fail::new(Code::NotFound))?;
    let total = changes.len();
    let list: Vec<Value> = changes
        .into_iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .collect();
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "GROUP_TRANSACTIONID": call.txid(),
        "data": {"total": total, "page": page, "size": size, "list": list},
    })))
}
