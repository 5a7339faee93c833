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
use super::params::{Params, BATCH_MAX};
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
    ("onandoffrealsingle", "0001000000025", on_and_off),
    ("balancerealsingle", "0001000000035", balance),
    ("smsusedinfosingle", "0001000000036", sms_used),
    ("groupuserinfo", "0001000000039", group_user_info),
    ("gprsrealtimeinfo", "0001000000083", gprs_realtime),
    ("querycardprodinfo", "0001000000264", card_prod_info),
    ("gprsusedinfosinglebydate", "0001000000407", gprs_by_date),
    ("querycardcount", "0001000000417", card_count),
    ("queryabnormalcardcount", "0001000000427", abnormal_count),
    ("querycardlifecycle", "0001000000432", card_lifecycle),
    ("querycardopentime", "0001000000901", card_open_time),
    ("batchquerycardlifecycle", "0001000000929", batch_lifecycle),
    ("batchqueryrealtimegprsinfo", "0001000000931", batch_gprs),
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
    read(c, |card| json!({"total_sms": card.usage.sms.to_string()}))
}

fn gprs_realtime(c: &Call) -> Reply {
    let v = c.read(|card| {
        let (id, name, inst, total, used) = gprs_offer(c, card);
        json!({"gprs": [{
            "prodid": id, "prodname": name, "prodinstid": inst,
            "total": kb_2dp(total), "used": kb_2dp(used),
            "left": kb_2dp(total.saturating_sub(used)),
        }]})
    });
    Ok(vec![v?])
}

fn card_prod_info(c: &Call) -> Reply {
    let v = c.read(|card| {
        let (id, name, inst, _, _) = gprs_offer(c, card);
        json!({"prodinfos": [{
            "prodid": id, "prodname": name, "prodinstid": inst,
            "prodinsteffdate": fmt_opt(card.activated),
            "prodinstexpdate": fmt_opt(card.expires),
        }]})
    });
    Ok(vec![v?])
}

fn gprs_by_date(c: &Call) -> Reply {
    let text = c.p.need("query_date")?;
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

fn card_lifecycle(c: &Call) -> Reply {
    read(
        c,
        |card| json!({"lifecycle": codes::pb_status(card), "opentime": fmt_time(card.opened)}),
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
        |card| json!({"msisdn": card.msisdn, "lifecycle": codes::pb_status(card)}),
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
