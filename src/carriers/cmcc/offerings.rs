//! Offerings and money: ordered offerings (EC, group or card), offering
//! details (plans and the add-on package catalogue), data package orders
//! (effective this or next month as the card's plan says), the card
//! balance and the enterprise bill of a month.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::codes::Code;
use super::params::BATCH_MAX;
use super::{fmt_opt, pool::owned_pool, Call, Fail, Reply};
use crate::clock::{cycle_of, cycle_start};
use crate::domain::money::{kb_2dp, yuan, Fen, MB};
use crate::domain::{Carrier, LedgerKind};
use crate::world::CardFilter;

/// The add-on data packages (流量加油包): packageType, offering id, name,
/// size in MB, price in fen.
pub const PACKAGES: [(&str, &str, &str, u64, Fen); 4] = [
    ("1", "I00010200001", "流量加油包100MB", 100, 500),
    ("2", "I00010200002", "流量加油包500MB", 500, 1500),
    ("3", "I00010200003", "流量加油包1GB", 1024, 2500),
    ("4", "I00010200004", "流量加油包5GB", 5120, 10000),
];

fn offering(id: &str, name: &str, from: String, to: String) -> Value {
    json!({"offeringId": id, "offeringName": name, "effectiveDate": from, "expiriedDate": to})
}

/// `/query/ordered-offerings` (CMIOT_API23R00): queryType 1 EC, 2 group, 3 card.
pub fn ordered_offerings(c: &Call) -> Reply {
    let w = c.world();
    let list = match c.p.one_of("queryType", &["1", "2", "3"])? {
        "1" => {
            // The plans the enterprise's cards are on: a count per plan
            // from the facet index, not a scan of the fleet.
            let ids: Vec<_> = w.store.plans.iter().map(|p| p.key().clone()).collect();
            let plans: std::collections::BTreeSet<_> = ids
                .into_iter()
                .filter(|plan| {
                    w.count_cards(&CardFilter {
                        account: Some(c.account.to_string()),
                        carrier: Some(Carrier::Cmcc),
                        plan: Some(plan.to_string()),
                        ..Default::default()
                    }) > 0
                })
                .collect();
            plans
                .iter()
                .filter_map(|id| w.plan(id))
                .map(|p| offering(&p.offer_id, &p.name, String::new(), String::new()))
                .collect()
        }
        "2" => {
            let pool = owned_pool(c)?;
            vec![offering(&pool.id, &pool.name, String::new(), String::new())]
        }
        _ => c.read(|card| {
            let mut out = Vec::new();
            if let Some(p) = w.plan(&card.plan) {
                out.push(offering(
                    &p.offer_id,
                    &p.name,
                    fmt_opt(card.activated),
                    fmt_opt(card.expires),
                ));
            }
            for a in card.addons.iter() {
                let to = a.cycle_to.map(|t| cycle_start(t + 1));
                out.push(offering(
                    &a.id,
                    &a.name,
                    fmt_opt(Some(cycle_start(a.cycle_from))),
                    fmt_opt(to),
                ));
            }
            out
        })?,
    };
    Ok(vec![json!({"offeringInfoList": list})])
}

/// `/query/offerings-detail` (CMIOT_API23R01): a plan or an add-on package.
pub fn offerings_detail(c: &Call) -> Reply {
    let id = c.p.need("offeringId")?;
    if let Some((_, oid, name, mb, fen)) = PACKAGES.iter().find(|p| p.1 == id) {
        return Ok(vec![json!({
            "offeringId": oid, "offeringName": name, "offeringType": "2",
            "dataAmount": kb_2dp(mb * MB), "smsAmount": "0", "voiceAmount": "0",
            "price": yuan(*fen),
        })]);
    }
    let plan = c
        .world()
        .store
        .plans
        .iter()
        .find(|p| p.carrier == Carrier::Cmcc && p.offer_id == id)
        .map(|p| p.clone())
        .ok_or_else(|| Fail::bad("offeringId 不存在"))?;
    Ok(vec![json!({
        "offeringId": plan.offer_id, "offeringName": plan.name, "offeringType": "1",
        "dataAmount": kb_2dp(plan.data_bytes), "smsAmount": plan.sms.to_string(),
        "voiceAmount": (plan.voice_seconds / 60).to_string(),
        "price": yuan(plan.monthly_fee_fen),
    })])
}

/// The package of `packageType`, and the main offering named.
fn package(
    c: &Call,
) -> Result<&'static (&'static str, &'static str, &'static str, u64, Fen), Fail> {
    c.p.need("maincommoDity")?;
    let kind = c.p.need("packageType")?;
    PACKAGES
        .iter()
        .find(|p| p.0 == kind)
        .ok_or_else(|| Fail::bad("packageType 取值错误"))
}

fn order(c: &Call, iccid: &str, pkg: &(&str, &str, &str, u64, Fen)) -> Result<(), Fail> {
    c.world().order_addon(iccid, pkg.2, pkg.3 * MB, pkg.4)?;
    Ok(())
}

/// `/order/gprspackage-order` (CMIOT_API23R08): echoes the identifier.
pub fn package_order(c: &Call) -> Reply {
    let pkg = package(c)?;
    let (kind, value, iccid) = c.card()?;
    order(c, &iccid, pkg)?;
    Ok(vec![Call::echo(kind, value)])
}

/// `/order/gprspackage-order/batch` (CMIOT_API23R09): a jobId.
pub fn package_order_batch(c: &Call) -> Reply {
    let pkg = package(c)?;
    let (kind, items) = c.p.batch_ids(BATCH_MAX)?;
    let results: Vec<Value> = items
        .iter()
        .map(|value| {
            let r =
                c.cm.owned_card(c.account, kind, value)
                    .and_then(|iccid| order(c, &iccid, pkg));
            let code = r.err().map(|e| e.code).unwrap_or(Code::Ok);
            json!({kind.name(): value, "status": code.status(), "message": code.message()})
        })
        .collect();
    let id = c.cm.jobs.record(c.world().now(), c.account, results);
    Ok(vec![json!({"jobId": id})])
}

/// `/query/balance-info` (CMIOT_API23B01): the card's balance in yuan.
pub fn balance_info(c: &Call) -> Reply {
    let w = c.world();
    let account_name = w.account(c.account).map(|a| a.name).unwrap_or_default();
    // result[0] is `accountId`/`accountName`/`amount` (yuan), as read by
    // zhangjie29net/amlink `Esim7/IOT/IOTModel/ApiModels.cs`; `balance` (the
    // same amount) stays for clients written against the older reply.
    let v = c.read(|card| {
        let amount = yuan(card.balance_fen);
        json!({
            "accountId": c.account, "accountName": account_name,
            "amount": amount, "balance": amount,
        })
    });
    Ok(vec![v?])
}

fn bill_item(kind: LedgerKind) -> &'static str {
    match kind {
        LedgerKind::MonthlyFee => "套餐月功能费",
        LedgerKind::Overage => "套餐外流量费",
        LedgerKind::KeepNumberFee => "停机保号费",
        LedgerKind::Renewal => "套餐续费",
        LedgerKind::AddOn => "流量加油包",
        _ => "其他费用",
    }
}

/// `/query/ec-bill` (CMIOT_API23B00): charges of the enterprise's cards in
/// the month `queryDate` (yyyyMM, not in the future), in yuan.
pub fn ec_bill(c: &Call) -> Reply {
    let month = c.p.need("queryDate")?;
    let cycle = (month.len() == 6 && month.bytes().all(|b| b.is_ascii_digit()))
        .then(|| {
            let y: i32 = month[..4].parse().ok()?;
            let m: i32 = month[4..].parse().ok()?;
            (1..=12).contains(&m).then_some(y * 12 + m - 1)
        })
        .flatten()
        .ok_or_else(|| Fail::bad("queryDate 格式应为 yyyyMM"))?;
    let w = c.world();
    if cycle > cycle_of(w.now()) {
        return Err(Fail::bad("queryDate 不能晚于当前月份"));
    }
    let mut items: BTreeMap<&'static str, Fen> = BTreeMap::new();
    let mine = CardFilter {
        account: Some(c.account.to_string()),
        carrier: Some(Carrier::Cmcc),
        ..Default::default()
    };
    w.for_each_card(&mine, |card| {
        for e in card.ledger.iter() {
            if e.amount_fen < 0 && cycle_of(e.time) == cycle {
                *items.entry(bill_item(e.kind)).or_default() -= e.amount_fen;
            }
        }
    });
    let total: Fen = items.values().sum();
    let list: Vec<Value> = items
        .iter()
        .map(|(name, fen)| json!({"itemName": name, "fee": yuan(*fen)}))
        .collect();
    Ok(vec![
        json!({"billCycle": month, "totalFee": yuan(total), "billItemList": list}),
    ])
}
