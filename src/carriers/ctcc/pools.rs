//! Flow-pool member calls (ctcc-more §7–8, the vendor's method tables
//! pasted into wanghanhong/springcloud_alibaba `FlowPoolController`): the
//! back-end pool's member list, one member, adding, re-quoting and
//! removing a member (`<SvcCont>` XML), and the front-end pool calls
//! `forwardFlowPoolMember`, `forwardPoolQueryIot` and
//! `getForwardGroupNumbers` (JSON). Membership changes go through the
//! world's pool operations; a member's `flow_quota` is kept as the card
//! attribute `ctcc.pool_quota` (reported, not enforced: the world's pools
//! have one shared allowance).

use serde_json::{json, Value};

use super::changes::response_xml;
use super::codes::{main_status, main_status_name, org_id};
use super::list::{my_cards, my_pools, pool_arg, svc_error};
use super::xml::Xml;
use super::{Call, Fail, Out};
use crate::clock::{cycle_of, fmt_local};
use crate::domain::money::mb_2dp;
use crate::domain::{Card, Carrier, EventKind, Pool};
use crate::world::PoolError;

/// Members per page of getPoolMemberList and forwardFlowPoolMember.
const PAGE: usize = 50;
/// The card attribute holding a member's quota (`-1` unlimited, MB).
const QUOTA_KEY: &str = "pool_quota";

/// When the card joined its pool: the last `edited pool` event that put it
/// there, else its activation (or opening) for a fixture member.
fn joined(card: &Card) -> jiff::Timestamp {
    card.events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::Edited { field, to, .. }
                if field.as_str() == "pool" && card.pool.as_deref() == Some(to.as_str()) =>
            {
                Some(e.time)
            }
            _ => None,
        })
        .or(card.activated)
        .unwrap_or(card.opened)
}

/// A member's quota as shown (`-1` when none was set).
fn quota(card: &Card) -> String {
    let key = crate::domain::card::attribute_key(Carrier::Ctcc, QUOTA_KEY);
    card.attrs
        .get(key.as_str())
        .cloned()
        .unwrap_or_else(|| "-1".into())
}

/// One `OutProdInfos` element.
fn member_xml(x: &mut Xml, card: &Card, eff_date: &str) {
    x.open("OutProdInfos")
        .leaf("acc_nbr", &card.msisdn)
        .leaf("eff_date", eff_date)
        .leaf("flow_quota", &quota(card))
        .leaf("org_id", &org_id(&card.session.city))
        .leaf("quota_type", "1")
        .leaf("state", main_status_name(main_status(card)))
        .close("OutProdInfos");
}

/// A positive page number parameter.
fn page_arg(call: &Call, name: &str) -> Result<usize, Fail> {
    call.p
        .or_empty(name)
        .parse()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| Fail::bad(format!("{name}参数错误，应为从1开始的整数。")))
}

/// getPoolMemberList: page `currentPage` (50 a page) of a pool's members.
pub fn member_list(call: &Call) -> Result<Out, Fail> {
    let page = page_arg(call, "currentPage")?;
    let pool = match pool_arg(call)? {
        Ok(p) => p,
        Err(out) => return Ok(out),
    };
    let members = my_cards(call, Some(&pool.id));
    let total_pages = members.len().div_ceil(PAGE);
    let mut x = Xml::new();
    x.open("SvcCont").leaf("pageIndex", &page.to_string());
    for c in members
        .iter()
        .skip((page - 1).saturating_mul(PAGE))
        .take(PAGE)
    {
        member_xml(&mut x, c, &fmt_local(joined(c), "%Y/%m/%d %H:%M:%S"));
    }
    x.leaf("resultCode", "0")
        .leaf("resultMsg", "成功")
        .leaf("totalPage", &total_pages.to_string())
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .close("SvcCont");
    Ok(Out::Xml(x.finish()))
}

/// The pool and the member card named by `member_accNbr`.
fn pool_and_member(call: &Call) -> Result<Result<(Pool, Card), Out>, Fail> {
    let pool = match pool_arg(call)? {
        Ok(p) => p,
        Err(out) => return Ok(Err(out)),
    };
    let number = call
        .p
        .get("member_accNbr")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数member_accNbr缺失。"))?;
    let iccid = call.owned("access_number", number)?;
    let card = call
        .world()
        .card(&iccid)
        .ok_or_else(|| Fail::not_found("access_number"))?;
    Ok(Ok((pool, card)))
}

/// getPoolMember: one member of a pool.
pub fn member(call: &Call) -> Result<Out, Fail> {
    let (pool, card) = match pool_and_member(call)? {
        Ok(v) => v,
        Err(out) => return Ok(out),
    };
    if card.pool.as_deref() != Some(pool.id.as_str()) {
        return Ok(svc_error(call, "-4", "该号码不是流量池成员"));
    }
    let mut x = Xml::new();
    x.open("SvcCont");
    member_xml(&mut x, &card, &fmt_local(joined(&card), "%Y-%m-%d"));
    x.leaf("resultCode", "0")
        .leaf("resultMsg", "处理成功!")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .close("SvcCont");
    Ok(Out::Xml(x.finish()))
}

/// `flow_quota`: `-1` (unlimited), `0` or a positive integer (doc text).
fn quota_arg(call: &Call) -> Result<String, Fail> {
    let q = call.p.or_empty("flow_quota");
    let ok = q == "-1" || (!q.is_empty() && q.len() <= 12 && q.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(Fail::bad("flow_quota参数错误，只能设置为-1、0或正整数。"));
    }
    Ok(q.trim_start_matches('0').to_string()).map(|s| if s.is_empty() { "0".into() } else { s })
}

/// The `Response` reply of a refused member change.
fn refused(call: &Call, code: &str, text: &str) -> Out {
    response_xml(call, "1", code, text)
}

/// The carrier's words for a refused membership change.
fn pool_refusal(call: &Call, e: PoolError) -> Out {
    match e {
        PoolError::AlreadyInPool => refused(call, "-5", "该号码已是流量池成员，不能重复添加"),
        PoolError::NotMember => refused(call, "-5", "该号码不是流量池成员"),
        PoolError::Rule(d) => refused(call, "-5", super::codes::refusal_text(&d)),
    }
}

/// poolMemAdd: the card joins the pool with a quota.
pub fn member_add(call: &Call) -> Result<Out, Fail> {
    let q = quota_arg(call)?;
    let (pool, card) = match pool_and_member(call)? {
        Ok(v) => v,
        Err(out) => return Ok(out),
    };
    let done = call.world().edit(&card.iccid, "ctcc", |e| {
        e.join_pool(&pool.id)?;
        e.set_attribute(Carrier::Ctcc, QUOTA_KEY, Some(&q))?;
        Ok::<(), PoolError>(())
    });
    Ok(match done.map_err(|_| Fail::not_found("access_number"))? {
        Ok(()) => response_xml(call, "0", "0000", "成功接收消息"),
        Err(e) => pool_refusal(call, e),
    })
}

/// modifyPoolMember: a new quota for a member.
pub fn member_modify(call: &Call) -> Result<Out, Fail> {
    let q = quota_arg(call)?;
    let (pool, card) = match pool_and_member(call)? {
        Ok(v) => v,
        Err(out) => return Ok(out),
    };
    if card.pool.as_deref() != Some(pool.id.as_str()) {
        return Ok(pool_refusal(call, PoolError::NotMember));
    }
    let done = call.world().edit(&card.iccid, "ctcc", |e| {
        e.set_attribute(Carrier::Ctcc, QUOTA_KEY, Some(&q))
    });
    Ok(match done.map_err(|_| Fail::not_found("access_number"))? {
        Ok(()) => response_xml(call, "0", "0000", "成功接收消息"),
        Err(e) => pool_refusal(call, PoolError::Rule(e)),
    })
}

/// poolMemDelete: the card leaves the pool (its quota goes with it).
pub fn member_delete(call: &Call) -> Result<Out, Fail> {
    let (pool, card) = match pool_and_member(call)? {
        Ok(v) => v,
        Err(out) => return Ok(out),
    };
    let done = call.world().edit(&card.iccid, "ctcc", |e| {
        e.leave_pool(&pool.id)?;
        e.set_attribute(Carrier::Ctcc, QUOTA_KEY, None)?;
        Ok::<(), PoolError>(())
    });
    Ok(match done.map_err(|_| Fail::not_found("access_number"))? {
        Ok(()) => response_xml(call, "0", "0000", "成功接收消息"),
        Err(e) => pool_refusal(call, e),
    })
}

/// A JSON refusal of the front-end pool calls (`resultCode -5`).
fn no_pool(call: &Call) -> Out {
    Out::Json(json!({
        "resultCode": "-5",
        "resultMsg": "未查询到数据",
        "groupTransactionId": call.txid(),
    }))
}

/// forwardFlowPoolMember: every member of the caller card's pool, 50 a
/// page from `pageIndex` 1.
pub fn forward_members(call: &Call) -> Result<Out, Fail> {
    let page = page_arg(call, "pageIndex")?;
    let card = call.card()?;
    let Some(pool) = card.pool.as_deref().and_then(|p| call.world().pool(p)) else {
        return Ok(no_pool(call));
    };
    let members = my_cards(call, Some(&pool.id));
    let list: Vec<Value> = members
        .iter()
        .skip((page - 1).saturating_mul(PAGE))
        .take(PAGE)
        .map(|c| {
            json!({
                "phoneNum": c.msisdn,
                "productName": pool.name,
                "prodStatusName": main_status_name(main_status(c)),
                "commonRegionName": c.session.city,
                "startDt": super::fmt_time(joined(c)),
                "prodOfferName": call.world().plan(&c.plan).map(|p| p.name).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "groupTransactionId": call.txid(),
        "description": {
            "totalPage": members.len().div_ceil(PAGE).to_string(),
            "pageIndex": page.to_string(),
            "mainNumber": pool.id,
            "list": list,
        },
    })))
}

/// forwardPoolQueryIot: the pool's allowance, use and remainder in the
/// month `billingCycleID` (yyyyMM, this month or earlier) and this
/// member's own use, in MB.
pub fn forward_pool_usage(call: &Call) -> Result<Out, Fail> {
    let cycle = month_arg(call.p.or_empty("billingCycleID"))
        .filter(|c| *c <= cycle_of(call.world().now()))
        .ok_or_else(|| Fail::bad("billingCycleID参数错误，应为不晚于本月的yyyyMM。"))?;
    let card = call.card()?;
    let Some(pool) = card.pool.as_deref().and_then(|p| call.world().pool(p)) else {
        return Ok(no_pool(call));
    };
    let used = pool.used_in(cycle);
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "groupTransactionId": call.txid(),
        "description": {
            "balanceAvailable": mb_2dp(pool.data_bytes),
            "balanceUsed": mb_2dp(used),
            "balanceAmount": mb_2dp(pool.data_bytes.saturating_sub(used)),
            "ratableAmount": mb_2dp(card.usage_in(cycle).data_bytes),
        },
    })))
}

/// getForwardGroupNumbers: the account's pools.
pub fn forward_groups(call: &Call) -> Result<Out, Fail> {
    let account = call.world().account(&call.account);
    let (cust_id, cust_name) = account
        .map(|a| (a.customer_no.to_string(), a.name.to_string()))
        .unwrap_or_default();
    let pools: Vec<Value> = my_pools(call)
        .iter()
        .map(|p| json!({"groupNum": p.id, "custId": cust_id, "custName": cust_name}))
        .collect();
    Ok(Out::Json(json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "groupTransactionId": call.txid(),
        "forwardPoolLists": pools,
    })))
}

/// `yyyyMM` → the cycle number (year*12 + month0).
pub fn month_arg(s: &str) -> Option<i32> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = s[..4].parse().ok()?;
    let m: i32 = s[4..].parse().ok()?;
    ((1970..=2199).contains(&y) && (1..=12).contains(&m)).then_some(y * 12 + m - 1)
}
