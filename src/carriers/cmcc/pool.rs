//! Flow pools as OneLink groups: the member's group, group usage and
//! margin, and adding/removing members (`manage/group-managment`, sic).
//! Groups are the world's flow pools; a group of another enterprise → 12034.

use serde_json::json;

use super::codes::Code;
use super::{Call, Fail, Reply};
use crate::clock::cycle_of;
use crate::domain::money::kb_2dp;
use crate::domain::{Carrier, Pool};
use crate::world::{CardFilter, OpError, PoolError};

/// The pool named by `groupId`, owned by the caller.
pub fn owned_pool(c: &Call) -> Result<Pool, Fail> {
    let id = c.p.need("groupId")?;
    c.world()
        .pool(id)
        .filter(|p| p.carrier == Carrier::Cmcc && p.account == c.account)
        .ok_or(Fail::new(Code::GroupNotOwned))
}

/// Used bytes of a pool this cycle.
fn pool_used(c: &Call, pool: &Pool) -> u64 {
    pool.used_in(cycle_of(c.world().now()))
}

/// The CMCC members of a group (a filter the facet index serves).
fn group_filter(pool: &str) -> CardFilter {
    CardFilter {
        carrier: Some(Carrier::Cmcc),
        pool: Some(pool.to_string()),
        ..Default::default()
    }
}

/// Largest `pageSize` of the paged group calls.
const PAGE_MAX: usize = 50;

/// A positive integer parameter, or the default when absent.
fn page_param(c: &Call, name: &str, default: usize) -> Result<usize, Fail> {
    match c.p.get(name) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| Fail::bad(format!("{name} 应为正整数"))),
    }
}

/// `/query/group-member` (CMIOT_API23E01): the paged member list of a
/// group, `pageSize` ≤ 50 and `startNum` the page number from 1;
/// result[0] is `totalCount` (every page) and `memberinfoList` [{memberNum}]
/// (IoTCard/IoTOS `InquireEcV5.java` and `SynEcV5MsisdnMQ.java` page with
/// these and read these fields). Members are listed by MSISDN.
pub fn group_member(c: &Call) -> Reply {
    let pool = owned_pool(c)?;
    let size = page_param(c, "pageSize", PAGE_MAX)?;
    if size > PAGE_MAX {
        return Err(Fail::bad("pageSize 不能大于50"));
    }
    let page = page_param(c, "startNum", 1)?;
    let mut members: Vec<String> = Vec::new();
    c.world().for_each_card(&group_filter(&pool.id), |k| {
        members.push(k.msisdn.to_string())
    });
    members.sort();
    let list: Vec<_> = members
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|m| json!({"memberNum": m}))
        .collect();
    Ok(vec![json!({
        "totalCount": members.len().to_string(),
        "memberinfoList": list,
    })])
}

/// `/query/group-info` (CMIOT_API23E06): the enterprise's groups, paged
/// like group-member (`pageSize` ≤ 50, `startNum` from 1); result[0] is
/// `totalCount` and `groupList` [{groupId, groupName, offeringId,
/// offeringName}] (IoTCard/IoTOS reads all four). A group's offering is the
/// plan of its members (the first by MSISDN), empty for an empty group.
pub fn group_info(c: &Call) -> Reply {
    let size = page_param(c, "pageSize", PAGE_MAX)?;
    if size > PAGE_MAX {
        return Err(Fail::bad("pageSize 不能大于50"));
    }
    let page = page_param(c, "startNum", 1)?;
    let w = c.world();
    let mut pools: Vec<Pool> = w
        .store
        .pools
        .iter()
        .filter(|p| p.carrier == Carrier::Cmcc && p.account == c.account)
        .map(|p| p.clone())
        .collect();
    pools.sort_by(|a, b| a.id.cmp(&b.id));
    let list: Vec<_> = pools
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|p| {
            // The group's members from the facet index, not the fleet.
            let mut first: Option<(compact_str::CompactString, compact_str::CompactString)> = None;
            w.for_each_card(&group_filter(&p.id), |k| {
                if first.as_ref().is_none_or(|(m, _)| k.msisdn < *m) {
                    first = Some((k.msisdn.clone(), k.plan.clone()));
                }
            });
            let plan = first.and_then(|(_, plan)| w.plan(&plan));
            json!({
                "groupId": p.id, "groupName": p.name,
                "offeringId": plan.as_ref().map(|pl| pl.offer_id.to_string()).unwrap_or_default(),
                "offeringName": plan.map(|pl| pl.name).unwrap_or_default(),
            })
        })
        .collect();
    Ok(vec![json!({
        "totalCount": pools.len().to_string(),
        "groupList": list,
    })])
}

/// `/query/group-by-member` (CMIOT_API23E02).
pub fn group_by_member(c: &Call) -> Reply {
    let (_, _, iccid) = c.card()?;
    let w = c.world();
    let (pool, plan) = w
        .read_card(&iccid, |card| (card.pool.clone(), card.plan.clone()))
        .ok_or(Fail::new(Code::NotFound))?;
    let offer = w
        .plan(&plan)
        .map(|p| p.offer_id.to_string())
        .unwrap_or_default();
    let list: Vec<_> = pool
        .and_then(|id| w.pool(&id))
        .map(|p| json!({"groupId": p.id, "offeringId": offer, "offeringName": p.name}))
        .into_iter()
        .collect();
    Ok(vec![json!({"groupList": list})])
}

/// `/query/group-data-usage` (CMIOT_API23U00): month-to-date pool use, KB.
pub fn group_data_usage(c: &Call) -> Reply {
    let pool = owned_pool(c)?;
    let used = pool_used(c, &pool);
    Ok(vec![
        json!({"groupId": pool.id, "dataAmount": kb_2dp(used)}),
    ])
}

/// `/query/group-data-margin` (CMIOT_API23U04): pool total/use/remain, KB.
pub fn group_data_margin(c: &Call) -> Reply {
    let pool = owned_pool(c)?;
    let used = pool_used(c, &pool).min(pool.data_bytes);
    Ok(vec![json!({"groupId": pool.id, "accmMarginList": [{
        "offeringId": pool.id, "offeringName": pool.name,
        "totalAmount": kb_2dp(pool.data_bytes), "useAmount": kb_2dp(used),
        "remainAmount": kb_2dp(pool.data_bytes - used),
    }]})])
}

/// `/manage/group-managment`: operType 0 add / 1 remove, effectType 0 next
/// day / 1 next month (validated; the change is applied at once).
pub fn group_management(c: &Call) -> Reply {
    let (_, _, iccid) = c.card()?;
    let pool = owned_pool(c)?;
    let add = c.p.one_of("operType", &["0", "1"])? == "0";
    c.p.one_of("effectType", &["0", "1"])?;
    let outcome = c.world().edit(&iccid, "cmcc", |e| {
        if add {
            e.join_pool(&pool.id)
        } else {
            e.leave_pool(&pool.id)
        }
    })?;
    outcome.map_err(|e| match e {
        PoolError::AlreadyInPool => Fail::with(Code::IllegalState, "号码已属于群组"),
        PoolError::NotMember => Fail::bad("号码不属于该群组"),
        PoolError::Rule(d) => Fail::from(OpError::Rule(d)),
    })?;
    Ok(vec![])
}
