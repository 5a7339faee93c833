//! Lists and pools (spec §4.16, §4.18): getSIMList (50 per page, filters,
//! `simStatus` as a list of strings), getPoolList, poolQry and poolMemQry
//! (`<SvcCont>` XML with `OutProdInfos`, amounts in MB).

use serde_json::{json, Value};

use super::codes::main_status;
use super::traffic::parse_day;
use super::xml::Xml;
use super::{Call, Fail, Out};
use crate::clock::{cycle_of, day_number};
use crate::domain::money::{mb_2dp, MB};
use crate::domain::{Card, Carrier, Pool};
use crate::world::CardFilter;

/// Cards per getSIMList page.
pub const PAGE: usize = 50;

/// The caller's CTCC cards (of a pool), as a filter.
fn my_filter(call: &Call, pool: Option<&str>) -> CardFilter {
    CardFilter {
        carrier: Some(Carrier::Ctcc),
        account: Some(call.account.to_string()),
        pool: pool.map(str::to_string),
        ..Default::default()
    }
}

/// The caller's CTCC cards, in ICCID order.
pub(super) fn my_cards(call: &Call, pool: Option<&str>) -> Vec<Card> {
    call.world()
        .list_cards(&my_filter(call, pool), 1, usize::MAX)
        .0
}

/// getSIMList: page `pageIndex` of the account's cards, filtered.
pub fn sim_list(call: &Call) -> Result<Out, Fail> {
    let page: usize = call
        .p
        .or_empty("pageIndex")
        .parse()
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| Fail::bad("pageIndex参数错误，应为从1开始的整数。"))?;
    let opt = |k: &[&str]| call.p.get_any(k).filter(|s| !s.is_empty());
    let number = opt(&["access_number", "accNumber"]);
    let iccid = opt(&["iccid"]);
    let status = match opt(&["simStatus"]) {
        Some(s) => Some(
            s.parse::<u8>()
                .ok()
                .filter(|v| (1..=6).contains(v))
                .ok_or_else(|| Fail::bad("simStatus参数错误，只能为1-6。"))?,
        ),
        None => None,
    };
    let day_opt = |k: &str| -> Result<Option<i32>, Fail> {
        match opt(&[k]) {
            Some(s) => parse_day(s)
                .map(Some)
                .ok_or_else(|| Fail::bad(format!("{k}格式错误，应为yyyyMMdd。"))),
            None => Ok(None),
        }
    };
    let (begin, end) = (
        day_opt("activationTimeBegin")?,
        day_opt("activationTimeEnd")?,
    );
    let cust = call
        .world()
        .account(&call.account)
        .map(|a| a.customer_no)
        .unwrap_or_default();
    if opt(&["custId"]).is_some_and(|c| c != cust) {
        return Ok(list_reply(call, page, Vec::new()));
    }
    // Without filters the page is read from the facet index in O(page);
    // with one, the account's cards (its index set, not the fleet).
    let unfiltered =
        number.is_none() && iccid.is_none() && status.is_none() && begin.is_none() && end.is_none();
    let (candidates, skip) = if unfiltered {
        let (page_cards, _) = call.world().list_cards(&my_filter(call, None), page, PAGE);
        (page_cards, 0)
    } else {
        (my_cards(call, None), (page - 1).saturating_mul(PAGE))
    };
    let cards: Vec<Value> = candidates
        .into_iter()
        .filter(|c| number.is_none_or(|n| c.msisdn == n))
        .filter(|c| iccid.is_none_or(|i| c.iccid.starts_with(i)))
        .filter(|c| status.is_none_or(|s| main_status(c) == s))
        .filter(|c| {
            let day = c.activated.map(day_number);
            begin.is_none_or(|b| day.is_some_and(|d| d >= b))
                && end.is_none_or(|e| day.is_some_and(|d| d <= e))
        })
        .skip(skip)
        .take(PAGE)
        .map(|c| {
            // The captured reply (ctcc-more.md addendum) has these five
            // fields only: activationTime `yyyyMMdd`, "" before
            // activation, and no createTime.
            json!({
                "accNumber": c.msisdn,
                "iccid": c.iccid,
                "activationTime": super::fmt_day(c.activated),
                "custId": cust,
                "simStatus": [main_status(&c).to_string()],
            })
        })
        .collect();
    Ok(list_reply(call, page, cards))
}

fn list_reply(call: &Call, page: usize, list: Vec<Value>) -> Out {
    Out::Json(json!({
        "groupTransactionId": call.txid(),
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "description": {"pageIndex": page.to_string(), "simList": list},
    }))
}

/// The caller's pools.
pub(super) fn my_pools(call: &Call) -> Vec<Pool> {
    let mut v: Vec<Pool> = call
        .world()
        .store
        .pools
        .iter()
        .filter(|p| p.carrier == Carrier::Ctcc && p.account == call.account)
        .map(|p| p.clone())
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

pub(super) fn pool_arg(call: &Call) -> Result<Result<Pool, Out>, Fail> {
    let nbr = call
        .p
        .get("poolNbr")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数poolNbr缺失。"))?;
    Ok(my_pools(call)
        .into_iter()
        .find(|p| p.id == nbr)
        .ok_or_else(|| svc_error(call, "-4", "流量池号码错误或不属于该用户")))
}

pub(super) fn svc_error(call: &Call, code: &str, msg: &str) -> Out {
    let mut x = Xml::new();
    x.open("SvcCont")
        .leaf("resultCode", code)
        .leaf("resultMsg", msg)
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .close("SvcCont");
    Out::Xml(x.finish())
}

/// Used bytes of a pool this month.
pub(super) fn pool_used(call: &Call, p: &Pool) -> u64 {
    p.used_in(cycle_of(call.world().now()))
}

/// getPoolList: the account's flow pools.
pub fn pool_list(call: &Call) -> Result<Out, Fail> {
    let pools = my_pools(call);
    let mut x = Xml::new();
    x.open("SvcCont")
        .leaf("resultCode", "0")
        .leaf("resultMsg", "处理成功！")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .leaf("totalPage", "1")
        .leaf("pageIndex", "1");
    for p in &pools {
        let used = pool_used(call, p);
        x.open("poolList")
            .leaf("poolNbr", &p.id)
            .leaf("poolName", &p.name)
            .leaf("flow_quota", &(p.data_bytes / MB).to_string())
            .leaf("used_flow", &mb_2dp(used))
            .leaf("left_flow", &mb_2dp(p.data_bytes.saturating_sub(used)))
            .leaf(
                "member_count",
                &my_cards(call, Some(&p.id)).len().to_string(),
            )
            .leaf("state", if p.exhausted { "2" } else { "1" })
            .close("poolList");
    }
    x.close("SvcCont");
    Ok(Out::Xml(x.finish()))
}

/// poolQry: one pool's allowance and use (MB).
pub fn pool_qry(call: &Call) -> Result<Out, Fail> {
    let p = match pool_arg(call)? {
        Ok(p) => p,
        Err(out) => return Ok(out),
    };
    let used = pool_used(call, &p);
    let mut x = Xml::new();
    x.open("SvcCont")
        .leaf("resultCode", "0")
        .leaf("resultMsg", "处理成功！")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .open("poolInfo")
        .leaf("poolNbr", &p.id)
        .leaf("poolName", &p.name)
        .leaf("totalFlow", &mb_2dp(p.data_bytes))
        .leaf("usedFlow", &mb_2dp(used))
        .leaf("leftFlow", &mb_2dp(p.data_bytes.saturating_sub(used)))
        .leaf("unit", "MB")
        .leaf(
            "memberCount",
            &my_cards(call, Some(&p.id)).len().to_string(),
        )
        .close("poolInfo")
        .close("SvcCont");
    Ok(Out::Xml(x.finish()))
}

/// poolMemQry: the pool's members (or one, `member_accNbr`), this month
/// (`monthSelect=1`, default) or last month (`0`).
pub fn pool_mem_qry(call: &Call) -> Result<Out, Fail> {
    let p = match pool_arg(call)? {
        Ok(p) => p,
        Err(out) => return Ok(out),
    };
    let month = call
        .p
        .get("monthSelect")
        .filter(|s| !s.is_empty())
        .unwrap_or("1");
    if !matches!(month, "0" | "1") {
        return Err(Fail::bad("monthSelect参数错误，只能为0或1。"));
    }
    let member = call.p.get("member_accNbr").filter(|s| !s.is_empty());
    let cycle = cycle_of(call.world().now()) - i32::from(month == "0");
    let members: Vec<Card> = my_cards(call, Some(&p.id))
        .into_iter()
        .filter(|c| member.is_none_or(|m| c.msisdn == m))
        .collect();
    if member.is_some() && members.is_empty() {
        return Ok(svc_error(call, "-4", "该号码不是流量池成员"));
    }
    let mut x = Xml::new();
    x.open("SvcCont")
        .leaf("resultCode", "0")
        .leaf("resultMsg", "处理成功！")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .leaf("totalPage", "1")
        .leaf("pageIndex", "1");
    for c in &members {
        let used = c.usage_in(cycle).data_bytes;
        x.open("OutProdInfos")
            .leaf("acc_nbr", &c.msisdn)
            .leaf("eff_date", &super::fmt_day(c.activated.or(Some(c.opened))))
            .leaf("flow_quota", "-1")
            .leaf("used_flow", &mb_2dp(used))
            .leaf("org_id", &p.id)
            .leaf("quota_type", "1")
            .leaf("state", if c.data_flowing() { "1" } else { "0" })
            .close("OutProdInfos");
    }
    x.close("SvcCont");
    Ok(Out::Xml(x.finish()))
}
