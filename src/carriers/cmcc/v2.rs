//! The legacy v2 EBID API: `/v2/<apiName>?appid&transid&ebid&token&...`
//! where token is the lowercase hex SHA-256 of appid + password + transid,
//! checked on every request, and ebid must be the apiName's interface code.
//! Same envelope as v5; result fields as the v2 clients read them.

use axum::extract::{Path, Request, State};
use axum::response::Response;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::auth::{account_by_appid, transid_ok};
use super::card::per_number;
use super::codes::{self, Code};
use super::params::{IdKind, Params, BATCH_MAX};
use super::{failure, fmt_opt, fmt_time, read_params, respond, Call, Cmcc, Fail, Reply, Shared};
use crate::domain::card::Card;
use crate::domain::money::{kb_2dp, yuan};
use crate::domain::usage::day_usage;
use crate::domain::{CardState, Carrier, Reason};

/// A v2 handler.
type V2 = fn(&Call) -> Reply;

/// Every served apiName with its ebid.
const APIS: &[(&str, &str, V2)] = &[
    ("gprsrealsingle", "0001000000008", gprs_real),
    ("userstatusrealsingle", "0001000000009", user_status),
    ("gprsusedinfosingle", "0001000000012", gprs_used),
    ("cardinfo", "0001000000010", card_info),
    ("onandoffrealsingle", "0001000000025", on_and_off),
    ("batchsmsusedbydate", "0001000000026", batch_sms_by_date),
    ("batchgprsusedbydate", "0001000000027", batch_gprs_by_date),
    ("balancerealsingle", "0001000000035", balance),
    ("smsusedinfosingle", "0001000000036", sms_used),
    ("groupuserinfo", "0001000000039", group_user_info),
    ("smsusedbydate", "0001000000040", sms_by_date),
    ("gprsrealtimeinfo", "0001000000083", gprs_realtime),
    ("querycardprodinfo", "0001000000264", card_prod_info),
    ("gprsusedinfosinglebydate", "0001000000407", gprs_by_date),
    ("querycardcount", "0001000000417", card_count),
    ("queryabnormalcardcount", "0001000000427", abnormal_count),
    ("querycardlifecycle", "0001000000432", card_lifecycle),
    ("querycardopentime", "0001000000901", card_open_time),
    ("batchquerycardinfo", "0001000000928", batch_card_info),
    ("batchquerycardlifecycle", "0001000000929", batch_lifecycle),
    ("batchqueryrealtimegprsinfo", "0001000000931", batch_gprs),
    ("smsstatusreset", "0001000000034", sms_status_reset),
    ("querygprsonlinecardcount", "0001000000428", online_count),
    ("querysmsopenstatus", "0001000000429", sms_open_status),
    ("querygprsopenstatus", "0001000000430", gprs_open_status),
    ("queryapnopenstatus", "0001000000431", apn_open_status),
    ("useropenservice", "0001000000447", user_open_service),
];

/// `/v2/{apiName}`.
pub async fn entry(State(cm): State<Shared>, Path(api): Path<String>, req: Request) -> Response {
    let p = match read_params(req).await {
        Ok(p) => p,
        Err(f) => return failure(f),
    };
    let (handler, account) = match authenticate(&cm, &api, &p) {
        Ok(x) => x,
        Err(f) => return failure(f),
    };
    respond(handler(&Call {
        cm: &cm,
        p: &p,
        account: &account,
    }))
}

/// The v2 token of a request.
pub fn token(appid: &str, password: &str, transid: &str) -> String {
    let mut h = Sha256::new();
    h.update(appid.as_bytes());
    h.update(password.as_bytes());
    h.update(transid.as_bytes());
    hex::encode(h.finalize())
}

fn authenticate(cm: &Cmcc, api: &str, p: &Params) -> Result<(V2, String), Fail> {
    let appid = p.need("appid")?;
    let transid = p.need("transid")?;
    let ebid = p.need("ebid")?;
    let sent = p.need("token")?;
    let &(_, want_ebid, handler) = APIS
        .iter()
        .find(|a| a.0 == api)
        .ok_or_else(|| Fail::bad("接口不存在"))?;
    if ebid != want_ebid {
        return Err(Fail::bad("ebid 与接口不匹配"));
    }
    let account = account_by_appid(cm, appid).ok_or(Fail::new(Code::AuthFailed))?;
    let password = account.credentials.password.as_deref().unwrap_or("");
    if !sent.eq_ignore_ascii_case(&token(appid, password, transid))
        || !transid_ok(appid, transid, cm.strict_transid)
    {
        return Err(Fail::new(Code::AuthFailed));
    }
    Ok((handler, account.id.to_string()))
}

fn read(c: &Call, f: impl FnOnce(&Card) -> Value) -> Reply {
    let v = c.read(f);
    Ok(vec![v?])
}

/// (product id, name, instance id, total, used) of the card's data offering, bytes.
fn gprs_offer(c: &Call, card: &Card) -> (String, String, String, u64, u64) {
    let w = c.world();
    match w.plan(&card.plan) {
        Some(plan) => {
            let q = crate::engine::quota_of(&w.store, card, &plan);
            let inst = format!(
                "{}{}",
                plan.offer_id,
                card.iccid
                    .get(card.iccid.len().saturating_sub(6)..)
                    .unwrap_or("")
            );
            (
                plan.offer_id.to_string(),
                plan.name.clone(),
                inst,
                q.allowance,
                q.used,
            )
        }
        None => Default::default(),
    }
}

fn gprs_real(c: &Call) -> Reply {
    read(c, |card| {
        let s = &card.session;
        json!({
            "GPRSSTATUS": if s.online { "01" } else { "00" },
            "IP": if s.online { s.ip.as_str() } else { "" },
            "APN": s.apn, "RAT": codes::rat_code(&s.rat),
        })
    })
}

fn user_status(c: &Call) -> Reply {
    read(c, |card| json!({"STATUS": codes::pb_status(card)}))
}

fn gprs_used(c: &Call) -> Reply {
    read(
        c,
        |card| json!({"total_gprs": kb_2dp(card.usage.data_bytes)}),
    )
}

fn on_and_off(c: &Call) -> Reply {
    read(
        c,
        |card| json!({"status": if card.session.online { "1" } else { "0" }}),
    )
}

fn balance(c: &Call) -> Reply {
    read(c, |card| json!({"balance": yuan(card.balance_fen)}))
}

fn sms_used(c: &Call) -> Reply {
    // The month's count is `sms` (the manual's sample `{"sms":"3000"}`, copied
    // in public Java clients that read `result.path("sms")`).
    read(c, |card| json!({"sms": card.usage.sms.to_string()}))
}

fn gprs_realtime(c: &Call) -> Reply {
    let v = c.read(|card| {
        let (id, name, inst, total, used) = gprs_offer(c, card);
        json!({"gprs": [{
            "prodid": id, "prodname": name, "prodinstid": inst,
            // `total` is the package size in MB while `used`/`left` are KB:
            // the manual's sample is total "70.0", used "13887", left "57793".
            "total": mb_1dp(total), "used": kb_2dp(used),
            "left": kb_2dp(total.saturating_sub(used)),
        }]})
    });
    Ok(vec![v?])
}

/// Bytes as MB with one decimal, the unit of `gprsrealtimeinfo` `total`.
fn mb_1dp(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn card_prod_info(c: &Call) -> Reply {
    let v = c.read(|card| {
        let (id, name, inst, _, _) = gprs_offer(c, card);
        json!({
            "msisdn": card.msisdn, "iccid": card.iccid, "imsi": card.imsi,
            "prodinfos": [{
                "prodid": id, "prodname": name, "prodinstid": inst,
                "apnname": card.session.apn,
                "prodinstefftime": fmt_opt(card.activated),
                "prodinstexptime": fmt_opt(card.expires),
            }],
        })
    });
    Ok(vec![v?])
}

/// `gprsusedinfosinglebydate`: the manual spells the date `queryDate`
/// (linxlib/cmiot_v2 `cmiot_query.go`); older clients send `query_date`.
fn gprs_by_date(c: &Call) -> Reply {
    let text = match c.p.get("query_date") {
        Some(t) => t,
        None => c.p.need("queryDate")?,
    };
    let day = (text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| jiff::civil::Date::strptime("%Y%m%d", text).ok())
        .flatten()
        .map(|d| {
            crate::clock::day_number(crate::clock::from_local(
                d.to_datetime(jiff::civil::Time::midnight()),
            ))
        })
        .ok_or_else(|| Fail::bad("query_date 格式应为 yyyyMMdd"))?;
    if day > crate::clock::day_number(c.world().now()) {
        return Err(Fail::bad("query_date 不能晚于今天"));
    }
    read(
        c,
        |card| json!({"gprs": kb_2dp(day_usage(card, day).data_bytes)}),
    )
}

/// A `yyyyMMdd` day that per-day v2 queries accept: one of the last 7 days
/// before today (the by-date batch calls of the manual: "最近7天", data of a
/// day is ready the next day).
fn recent_day(c: &Call) -> Result<i32, Fail> {
    let text = c.p.need("query_date")?;
    let day =
        super::usage::parse_day(text).ok_or_else(|| Fail::bad("query_date 格式应为 yyyyMMdd"))?;
    let today = crate::clock::day_number(c.world().now());
    if day >= today || day < today - 7 {
        return Err(Fail::bad("query_date 只能是最近7天内（不含当天）"));
    }
    Ok(day)
}

/// `cardinfo` (CMIOT_API2003): the card named by `card_info` and `type`
/// (0 msisdn, 1 imsi, 2 iccid); result[0] `IMSI`, `MSISDN`, `ICCID` in upper
/// case (linxlib/cmiot_v2 `cmiot_resp.go`; the manual's request page).
fn card_info(c: &Call) -> Reply {
    let value = c.p.need("card_info")?;
    let kind = match c.p.one_of("type", &["0", "1", "2"])? {
        "0" => IdKind::Msisdn,
        "1" => IdKind::Imsi,
        _ => IdKind::Iccid,
    };
    let v = c.cm.read_owned(
        c.account,
        kind,
        value,
        |card| json!({"IMSI": card.imsi, "MSISDN": card.msisdn, "ICCID": card.iccid}),
    )?;
    Ok(vec![v])
}

/// `batchquerycardinfo` (CMIOT_API2111): per number its three identifiers.
/// No public client shows the reply; this follows the other v2 batch calls.
fn batch_card_info(c: &Call) -> Reply {
    per_number(
        c,
        BATCH_MAX,
        |card| json!({"msisdn": card.msisdn, "imsi": card.imsi, "iccid": card.iccid}),
    )
}

/// `batchgprsusedbydate` (CMIOT_API2010): one item per card, `GPRS` (KB of
/// the day) with `MSISDN`, `ICCID`, `IMSI` (manual sample in Java
/// WlkDosageController).
fn batch_gprs_by_date(c: &Call) -> Reply {
    let day = recent_day(c)?;
    per_number(c, BATCH_MAX, |card| {
        json!({
            "GPRS": kb_2dp(day_usage(card, day).data_bytes),
            "MSISDN": card.msisdn, "ICCID": card.iccid, "IMSI": card.imsi,
        })
    })
}

/// `batchsmsusedbydate` (CMIOT_API2009): as 2010 with `SMS` (count).
fn batch_sms_by_date(c: &Call) -> Reply {
    let day = recent_day(c)?;
    per_number(c, BATCH_MAX, |card| {
        json!({
            "SMS": day_usage(card, day).sms.to_string(),
            "MSISDN": card.msisdn, "ICCID": card.iccid, "IMSI": card.imsi,
        })
    })
}

/// `smsusedbydate` (CMIOT_API2014): one card's SMS count of a day, `sms`.
fn sms_by_date(c: &Call) -> Reply {
    let day = recent_day(c)?;
    read(
        c,
        |card| json!({"sms": day_usage(card, day).sms.to_string()}),
    )
}

fn card_lifecycle(c: &Call) -> Reply {
    read(
        c,
        |card| json!({"lifecycle": codes::lifecycle_phase(card), "opentime": fmt_time(card.opened)}),
    )
}

fn card_open_time(c: &Call) -> Reply {
    read(c, |card| json!({"opentime": fmt_time(card.opened)}))
}

/// Counts over the enterprise's cards.
fn count(c: &Call, f: impl Fn(&Card) -> bool) -> usize {
    c.world()
        .store
        .cards
        .iter()
        .filter(|card| card.account == c.account && card.carrier == Carrier::Cmcc && f(card))
        .count()
}

fn card_count(c: &Call) -> Reply {
    let normal = count(c, |k| k.state == CardState::Active);
    let test = count(c, |k| k.state == CardState::TestReady);
    let sleep = count(c, |k| {
        matches!(k.state, CardState::ActivationReady | CardState::Inventory)
    });
    let all = count(c, |_| true);
    Ok(vec![json!({
        "normalnum": normal.to_string(), "testnum": test.to_string(),
        "sleepnum": sleep.to_string(),
        "othernum": (all - normal - test - sleep).to_string(),
    })])
}

fn abnormal_count(c: &Call) -> Reply {
    let n = count(c, |k| {
        k.state == CardState::Suspended && !k.reasons.iter().all(|r| r == Reason::DataCut)
    });
    Ok(vec![json!({"cardUnusualNum": n.to_string()})])
}

fn group_user_info(c: &Call) -> Reply {
    c.p.need("query_date")?;
    let n = count(c, |k| k.is_live());
    Ok(vec![json!({"total": n.to_string()})])
}

fn batch_lifecycle(c: &Call) -> Reply {
    per_number(
        c,
        BATCH_MAX,
        |card| json!({"msisdn": card.msisdn, "lifecycle": codes::lifecycle_phase(card)}),
    )
}

fn batch_gprs(c: &Call) -> Reply {
    per_number(c, BATCH_MAX, |card| {
        let (id, name, inst, total, used) = gprs_offer(c, card);
        json!({
            "msisdn": card.msisdn, "prodId": id, "podInstId": inst, "prodName": name,
            "gprsTotal": kb_2dp(total), "gprsUsed": kb_2dp(used),
            "gprsLeft": kb_2dp(total.saturating_sub(used)),
        })
    })
}

/// "1" when a service is signed (open), "0" when not: the amlink client
/// parses these as integers and treats > 0 as open.
fn signed(open: bool) -> &'static str {
    if open {
        "1"
    } else {
        "0"
    }
}

/// Data (GPRS) is open unless the customer cut it.
fn data_open(card: &Card) -> bool {
    !card.reasons.contains(Reason::DataCut)
}

/// `querysmsopenstatus` (CMIOT_API2102): `issignsms`.
fn sms_open_status(c: &Call) -> Reply {
    read(c, |card| json!({"issignsms": signed(card.sms_enabled)}))
}

/// `querygprsopenstatus` (CMIOT_API2103): `issigngprs`.
fn gprs_open_status(c: &Call) -> Reply {
    read(c, |card| json!({"issigngprs": signed(data_open(card))}))
}

/// `queryapnopenstatus` (CMIOT_API2104): one item per APN, `apnname` and
/// `status` ("01" open; the amlink client maps "01" to open and anything
/// else to closed, so "00" is closed here).
fn apn_open_status(c: &Call) -> Reply {
    let v = c.read(|card| {
        let status = if data_open(card) { "01" } else { "00" };
        json!({"apnname": card.session.apn, "status": status})
    })?;
    Ok(vec![v])
}

/// `useropenservice` (CMIOT_API2107): the card's services, `issignCall`,
/// `issignGprs`, `issignSms`, `issignApn` with its `msisdn`.
fn user_open_service(c: &Call) -> Reply {
    read(c, |card| {
        json!({
            "msisdn": card.msisdn,
            "issignCall": signed(card.voice_enabled),
            "issignGprs": signed(data_open(card)),
            "issignSms": signed(card.sms_enabled),
            "issignApn": signed(data_open(card) && !card.session.apn.is_empty()),
        })
    })
}

/// `querygprsonlinecardcount` (CMIOT_API2101): no card parameter; the
/// enterprise's cards with a data session now, `gprstotalnum`.
fn online_count(c: &Call) -> Reply {
    let n = count(c, |k| k.session.online);
    Ok(vec![json!({"gprstotalnum": n.to_string()})])
}

/// `smsstatusreset` (CMIOT_API4001): clears a card's stuck SMS state in the
/// network; result `status` "0" when reset. The world keeps no stuck SMS
/// state, so a card that can still receive SMS (live, SMS switched on) is
/// reset and any other answers "100" (refresh failed), as the manual's two
/// result values say.
fn sms_status_reset(c: &Call) -> Reply {
    read(c, |card| {
        let ok = card.is_live() && card.sms_enabled;
        json!({"status": if ok { "0" } else { "100" }})
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn token_is_lowercase_sha256_hex() {
        let t = super::token("100001", "pw", "100001x");
        assert_eq!(t.len(), 64);
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}
