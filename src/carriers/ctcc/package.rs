//! Package, money and add-on methods (spec §4.3–4.5, §4.18): queryPakage
//! and queryPakagePlus (allowances in KB per offer, pools included),
//! queryBalance, queryOwe, and orderFlow / unsubScribe (add-on data
//! packages, effective this or next month as the card's plan says).

use serde_json::json;

use super::xml::Xml;
use super::{Call, Fail, Out};
use crate::clock::{add_months, cycle_label, cycle_of, cycle_start};
use crate::domain::money::{Fen, GB, KB, MB};
use crate::domain::Card;
use crate::engine::quota_of;

const NS_ACU: &str = "http://www.example.org/webservice_zz/";
const NS: &str = "http://www.example.org/webservice";

/// The add-on data packages orderFlow sells: `(flowValue, name, bytes, price)`.
pub const ADDONS: [(&str, &str, u64, Fen); 3] = [
    ("2007", "物联网流量加餐包100MB（当月）", 100 * MB, 500),
    ("2060", "物联网流量加餐包500MB（当月）", 500 * MB, 1500),
    ("2080", "物联网流量加餐包1GB（当月）", GB, 2500),
];

/// queryPakage: the plan (or pool) and add-ons of a month, in KB.
pub fn query_pakage(call: &Call) -> Result<Out, Fail> {
    let cycle = month_param(call)?;
    let card = call.card()?;
    let mut x = Xml::new();
    x.open("root");
    acu(call, &mut x, &card, cycle, &call.number);
    x.close("root");
    Ok(Out::Xml(x.finish()))
}

/// queryPakagePlus: queryPakage for a comma-separated list of numbers.
pub fn query_pakage_plus(call: &Call) -> Result<Out, Fail> {
    let cycle = month_param(call)?;
    let list = call
        .p
        .get_any(&["access_number", "iccid"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数access_number缺失。"))?;
    let kind = if call.p.get("access_number").is_some() {
        "access_number"
    } else {
        "iccid"
    };
    let mut x = Xml::new();
    x.open("root");
    for number in list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(100)
    {
        match call.owned(kind, number).map(|i| call.world().card(&i)) {
            Ok(Some(card)) => acu(call, &mut x, &card, cycle, number),
            Ok(None) | Err(_) => {
                let f = call.owned(kind, number).err();
                let (code, text) = f
                    .map(|f| (f.code.code(), f.code.text()))
                    .unwrap_or(("-4", "号码不存在"));
                x.open_ns("web:CurrAcuRsp", "web", NS_ACU)
                    .leaf("IRESULT", code)
                    .leaf("SMSG", text)
                    .leaf("GROUP_TRANSACTIONID", &call.txid())
                    .leaf("number", number)
                    .close("web:CurrAcuRsp");
            }
        }
    }
    x.close("root");
    Ok(Out::Xml(x.finish()))
}

/// `monthDate` (yyyyMMdd, or yyyyMM) → cycle; absent = this month.
fn month_param(call: &Call) -> Result<i32, Fail> {
    let now = cycle_of(call.world().now());
    match call.p.get("monthDate").filter(|s| !s.is_empty()) {
        None => Ok(now),
        Some(s) => {
            let ok = (s.len() == 8 || s.len() == 6) && s.bytes().all(|b| b.is_ascii_digit());
            let (y, m) = if ok {
                (
                    s[..4].parse::<i32>().unwrap_or(0),
                    s[4..6].parse::<i32>().unwrap_or(0),
                )
            } else {
                (0, 0)
            };
            if !ok || !(1..=12).contains(&m) {
                return Err(Fail::bad("monthDate格式错误，应为yyyyMMdd。"));
            }
            Ok(y * 12 + m - 1)
        }
    }
}

/// One `web:CurrAcuRsp` with its CumulRspList entries.
fn acu(call: &Call, x: &mut Xml, card: &Card, cycle: i32, number: &str) {
    let world = call.world();
    let plan = world.plan(&card.plan);
    let current = cycle_of(world.now());
    let usage = card.usage_in(cycle);
    let used_data = usage.data_bytes;
    let start = crate::clock::fmt_local(cycle_start(cycle), "%Y%m%d%H%M%S");
    let end = crate::clock::fmt_local(
        add_months(cycle_start(cycle), 1) - jiff::SignedDuration::from_secs(1),
        "%Y%m%d%H%M%S",
    );
    x.open_ns("web:CurrAcuRsp", "web", NS_ACU);
    let mut entry =
        |name: &str, total: u64, used: u64, unit: &str, offer: (&str, &str), flow: (&str, &str)| {
            x.open("CumulRspList")
                .leaf("ACCU_NAME", name)
                .leaf("CUMULATION_ALREADY", &used.to_string())
                .leaf("CUMULATION_LEFT", &total.saturating_sub(used).to_string())
                .leaf("CUMULATION_TOTAL", &total.to_string())
                .leaf("UNIT_NAME", unit)
                .leaf("START_TIME", &start)
                .leaf("END_TIME", &end)
                .leaf("OFFER_ID", offer.0)
                .leaf("OFFER_NAME", offer.1)
                .leaf("OFFER_TYPE", "1")
                .leaf("FLOW_ID_GROUP_NBR", flow.0)
                .leaf("FLOW_ID_GROUP_NAME", flow.1)
                .close("CumulRspList");
        };
    if let Some(plan) = plan.as_ref() {
        let pool = card.pool.as_ref().and_then(|p| world.pool(p));
        let mut left_used = used_data;
        if let Some(pool) = pool.as_ref().filter(|_| cycle == current) {
            let q = quota_of(&world.store, card, plan);
            entry(
                "国内数据流量（流量池共享）",
                q.allowance / KB,
                q.used / KB,
                "KB",
                (&plan.offer_id, &plan.name),
                (&pool.id, &pool.name),
            );
        } else {
            let plan_used = left_used.min(plan.data_bytes);
            left_used -= plan_used;
            entry(
                "国内数据流量",
                plan.data_bytes / KB,
                plan_used / KB,
                "KB",
                (&plan.offer_id, &plan.name),
                ("", ""),
            );
            for a in card
                .addons
                .iter()
                .filter(|a| a.cycle_from <= cycle && a.cycle_to.is_none_or(|t| cycle <= t))
            {
                let used = left_used.min(a.data_bytes);
                left_used -= used;
                let offer = ADDONS
                    .iter()
                    .find(|o| o.1 == a.name)
                    .map(|o| o.0)
                    .unwrap_or("");
                entry(
                    &a.name,
                    a.data_bytes / KB,
                    used / KB,
                    "KB",
                    (offer, &a.name),
                    ("", ""),
                );
            }
        }
        if plan.voice_seconds > 0 {
            entry(
                "国内语音",
                u64::from(plan.voice_seconds / 60),
                u64::from(usage.voice_seconds.div_ceil(60)),
                "分钟",
                (&plan.offer_id, &plan.name),
                ("", ""),
            );
        }
        if plan.sms > 0 {
            entry(
                "国内短信",
                u64::from(plan.sms),
                u64::from(usage.sms),
                "条",
                (&plan.offer_id, &plan.name),
                ("", ""),
            );
        }
    }
    x.leaf("IRESULT", "0")
        .leaf("SMSG", "处理成功！")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .leaf("number", number)
        .close("web:CurrAcuRsp");
}

/// queryBalance: account and card balance in fen.
pub fn query_balance(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let account = call
        .world()
        .account(&call.account)
        .and_then(|a| a.balance_fen)
        .unwrap_or(0);
    let mut x = Xml::new();
    x.open("root")
        .open_ns("web:BALANCE_QRRsp", "web", NS)
        .leaf("ACCOUNTBALANCE", &account.to_string())
        .leaf("BALANCE", &card.balance_fen.to_string())
        .leaf("USERBALANCE", &card.balance_fen.to_string())
        .leaf("IRESULT", "0")
        .leaf("SMSG", "处理成功！")
        .leaf("number", &call.number)
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .close("web:BALANCE_QRRsp")
        .close("root");
    Ok(Out::Xml(x.finish()))
}

/// queryOwe: the arrears of the card (user level) and/or account.
pub fn query_owe(call: &Call) -> Result<Out, Fail> {
    let flag = call
        .p
        .get("Query_Flag")
        .filter(|s| !s.is_empty())
        .unwrap_or("1");
    if !matches!(flag, "0" | "1" | "2") {
        return Err(Fail::bad("Query_Flag参数错误。"));
    }
    let card = call.card()?;
    let account = call.world().account(&call.account);
    let cycle = cycle_label(cycle_of(call.world().now()));
    let mut x = Xml::new();
    x.open("root").open_ns("web:OWE_QRRsp", "web", NS);
    let mut item = |level: &str, owe: i64| {
        if owe > 0 {
            x.open("OweList")
                .leaf("Acc_Nbr", &card.msisdn)
                .leaf("Query_Flag", level)
                .leaf(
                    "Acct_Name",
                    account.as_ref().map(|a| a.name.as_str()).unwrap_or(""),
                )
                .leaf(
                    "Acct_ID",
                    account
                        .as_ref()
                        .map(|a| a.customer_no.as_str())
                        .unwrap_or(""),
                )
                .leaf("Acct_Item_Charge", &owe.to_string())
                .leaf("Acct_Item_Type_Name", "物联网套餐费")
                .leaf("Billing_Cycle_ID", &cycle)
                .close("OweList");
        }
    };
    if flag != "0" {
        item("用户级", -card.balance_fen.min(0));
    }
    if flag != "1" {
        let acct = account.as_ref().and_then(|a| a.balance_fen).unwrap_or(0);
        item("账户级", -acct.min(0));
    }
    x.leaf("IRESULT", "0")
        .leaf("SMSG", "处理成功！")
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .leaf("number", &call.number)
        .close("web:OWE_QRRsp")
        .close("root");
    Ok(Out::Xml(x.finish()))
}

fn flow_reply(call: &Call, err: Option<&str>) -> Out {
    Out::Json(json!({
        "checkout": if err.is_none() { "成功接收消息" } else { "" },
        "GROUP_TRANSACTIONID": call.txid(),
        "messg": err.unwrap_or(""),
        "info": if err.is_none() { "success" } else { "fail" },
    }))
}

fn addon_of(call: &Call) -> Result<&'static (&'static str, &'static str, u64, Fen), Fail> {
    let v = call.p.or_empty("flowValue");
    ADDONS
        .iter()
        .find(|a| a.0 == v)
        .ok_or_else(|| Fail::bad("flowValue参数错误，不存在该流量包。"))
}

/// orderFlow: buys an add-on, effective this or next month per the plan.
pub fn order_flow(call: &Call) -> Result<Out, Fail> {
    let (_, name, bytes, price) = *addon_of(call)?;
    let res = call.world().order_addon(&call.iccid, name, bytes, price);
    Ok(match res {
        Ok(()) => flow_reply(call, None),
        Err(crate::world::OpError::Rule(e)) => {
            flow_reply(call, Some(super::codes::refusal_text(&e)))
        }
        Err(_) => return Err(Fail::new(super::codes::Code::NotFound)),
    })
}

/// unsubScribe: cancels an add-on not yet in effect (next month's).
pub fn unsubscribe(call: &Call) -> Result<Out, Fail> {
    let (_, name, _, _) = *addon_of(call)?;
    let removed = call
        .world()
        .edit(&call.iccid, "ctcc", |e| e.cancel_pending_addon(name))
        .map_err(|_| Fail::new(super::codes::Code::NotFound))?;
    Ok(if removed {
        flow_reply(call, None)
    } else {
        flow_reply(call, Some("未订购该流量包或流量包已生效，不能退订"))
    })
}
