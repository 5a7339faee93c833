//! Reply texts of the service numbers, per carrier, with the figures taken
//! from the card's live state: usage against its own allowance or its pool
//! (`engine::quota_of`), balance, package, dates, all at the simulated now.
//! Every template can be overridden from the fixture:
//!
//! ```toml
//! [dialects.sms.cucc.templates]
//! data = "截至{date}，已用{used}，剩余{remain}。"
//! ```
//!
//! Placeholders: `{date}` (`11月24日10时`), `{total}`, `{used}`, `{remain}`,
//! `{over}`, `{card_used}`, `{balance}` (yuan, 2 decimals), `{plan}`, `{fee}`,
//! `{allowance}`, `{sms_total}`, `{sms_used}`, `{expires}`, `{cancel}`,
//! `{pool}`, `{overage_price}`, `{carrier}`, `{msisdn}`, `{notice}`. Data is
//! rendered in MB with 2 decimals, in GB from 1024 MB on.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::clock::fmt_local;
use crate::domain::money::{human_data, yuan};
use crate::domain::{Card, CardState, Carrier, Reason};
use crate::world::World;

/// Built-in templates of a carrier.
pub fn default_template(carrier: Carrier, name: &str) -> Option<&'static str> {
    let t = match (carrier, name) {
        (Carrier::Cmcc, "data") => "尊敬的客户，截至{date}，您本月套餐内通用流量共{total}，已用{used}，剩余{remain}。{notice}【中国移动】",
        (Carrier::Cmcc, "data_pool") => "尊敬的客户，截至{date}，您所在流量池本月通用流量共{total}，已用{used}，剩余{remain}，其中本号码已用{card_used}。{notice}【中国移动】",
        (Carrier::Cmcc, "balance") => "尊敬的客户，截至{date}，您的账户余额为{balance}元。{notice}【中国移动】",
        (Carrier::Cmcc, "package") => "尊敬的客户，您当前的套餐为{plan}，月功能费{fee}元，含通用流量{allowance}、短信{sms_total}条，有效期至{expires}。{notice}【中国移动】",
        (Carrier::Cmcc, "help") => "尊敬的客户，您发送的指令有误。查询流量请发送CXLL，查询余额请发送CXYE或YE，查询套餐请发送CXTC至10086。【中国移动】",
        (Carrier::Cucc, "data") => "截至{date}，您本月套餐内通用流量共{total}，已用{used}，剩余{remain}。{notice}【中国联通】",
        (Carrier::Cucc, "data_pool") => "截至{date}，您所在流量池本月通用流量共{total}，已用{used}，剩余{remain}，其中本号码已用{card_used}。{notice}【中国联通】",
        (Carrier::Cucc, "balance") => "截至{date}，您的账户余额为{balance}元。{notice}【中国联通】",
        (Carrier::Cucc, "package") => "您当前的套餐为{plan}，月功能费{fee}元，含通用流量{allowance}，有效期至{expires}。{notice}【中国联通】",
        (Carrier::Cucc, "help") => "您发送的指令无法识别。查询流量请发送CXLL、1071、2082或CXTCYL，查询话费余额请发送CXHF、101或CXYE至10010。【中国联通】",
        (Carrier::Ctcc, "data") => "截至{date}，您的{plan}国内通用流量共{total}，已用{used}，剩余{remain}。{notice}【中国电信】",
        (Carrier::Ctcc, "data_pool") => "截至{date}，您所在流量池国内通用流量共{total}，已用{used}，剩余{remain}，其中本号码已用{card_used}。{notice}【中国电信】",
        (Carrier::Ctcc, "balance") => "截至{date}，您的账户可用余额为{balance}元。{notice}【中国电信】",
        (Carrier::Ctcc, "package") => "您当前的套餐为{plan}，月基本费{fee}元，含国内通用流量{allowance}，有效期至{expires}。{notice}【中国电信】",
        (Carrier::Ctcc, "help") => "您好，您发送的指令有误。查询流量请发送108，查询余额请发送102至10001。【中国电信】",
        (_, "notice_arrears") => "您的号码已欠费停机，请充值后办理复机。",
        (_, "notice_expired") => "您的套餐已于{expires}到期，号码处于停机保号期，请于{cancel}前续费，逾期将销户。",
        (_, "notice_manual") => "您的号码目前处于停机状态。",
        (_, "notice_over_quota") => "您本月套餐流量已用完，上网功能已暂停，将于下月1日自动恢复。",
        (_, "notice_data_cut") => "您的号码上网功能已暂停。",
        (_, "notice_overage") => "本月已超出套餐流量{over}，超出部分按{overage_price}元/MB计费。",
        _ => return None,
    };
    Some(t)
}

/// The `[dialects.sms.<carrier>]` table of the fixture, if any.
pub fn carrier_settings(world: &World, carrier: Carrier) -> Option<serde_json::Value> {
    world
        .fixture()
        .dialects
        .sms
        .as_ref()
        .and_then(|v| v.get(carrier.as_str()))
        .cloned()
}

/// A template: the fixture's override or the built-in one.
pub fn template(world: &World, carrier: Carrier, name: &str) -> String {
    carrier_settings(world, carrier)
        .and_then(|v| {
            v.get("templates")
                .and_then(|t| t.get(name))
                .and_then(|s| s.as_str().map(str::to_string))
        })
        .or_else(|| default_template(carrier, name).map(str::to_string))
        .unwrap_or_default()
}

/// Replaces `{name}` placeholders; unknown ones stay as written.
pub fn render(template: &str, vars: &BTreeMap<&'static str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if vars.contains_key(&after[..close]) => {
                out.push_str(&vars[&after[..close]]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Shanghai date of the last second before an exclusive end instant.
fn last_day(ts: Timestamp) -> String {
    let t = ts.checked_sub(SignedDuration::from_secs(1)).unwrap_or(ts);
    fmt_local(t, "%Y年%-m月%-d日")
}

/// The figures of a card at the simulated now, as template variables.
/// `None` when the card or its plan does not exist.
pub fn figures(world: &World, iccid: &str) -> Option<(Card, BTreeMap<&'static str, String>)> {
    let card = world.card(iccid)?;
    let plan = world.plan(&card.plan)?;
    let quota = crate::engine::quota_of(&world.store, &card, &plan);
    let now = world.now();
    let mut v = BTreeMap::new();
    v.insert("date", fmt_local(now, "%-m月%-d日%-H时"));
    v.insert("total", human_data(quota.allowance));
    v.insert("used", human_data(quota.used));
    v.insert(
        "remain",
        human_data(quota.allowance.saturating_sub(quota.used)),
    );
    v.insert(
        "over",
        human_data(quota.used.saturating_sub(quota.allowance)),
    );
    v.insert("card_used", human_data(card.usage.data_bytes));
    v.insert("balance", yuan(card.balance_fen));
    v.insert("plan", plan.name.clone());
    v.insert("fee", yuan(plan.monthly_fee_fen));
    v.insert(
        "allowance",
        human_data(plan.data_bytes + card.addon_bytes(card.cycle)),
    );
    v.insert("sms_total", plan.sms.to_string());
    v.insert("sms_used", card.usage.sms.to_string());
    v.insert("overage_price", yuan(plan.overage_fen_per_mb));
    v.insert("expires", card.expires.map(last_day).unwrap_or_default());
    v.insert("cancel", card.cancel_at.map(last_day).unwrap_or_default());
    v.insert(
        "pool",
        card.pool
            .as_deref()
            .and_then(|p| world.pool(p))
            .map(|p| p.name)
            .unwrap_or_default(),
    );
    v.insert("carrier", card.carrier.display_name().to_string());
    v.insert("msisdn", card.msisdn.to_string());
    let over_allowance = quota.used > quota.allowance;
    let notice = notices(world, &card, over_allowance, &v);
    v.insert("notice", notice);
    v.insert("pooled", quota.pooled.to_string());
    Some((card, v))
}

/// The state notices appended to replies, in a fixed order.
fn notices(
    world: &World,
    card: &Card,
    over_allowance: bool,
    vars: &BTreeMap<&'static str, String>,
) -> String {
    let mut names = Vec::new();
    if card.reasons.contains(Reason::Arrears) {
        names.push("notice_arrears");
    }
    if card.state == CardState::PreCancel || card.reasons.contains(Reason::Expired) {
        names.push("notice_expired");
    }
    if card.reasons.contains(Reason::Manual) {
        names.push("notice_manual");
    }
    if card.reasons.contains(Reason::OverQuota) {
        names.push("notice_over_quota");
    }
    if card.reasons.contains(Reason::DataCut) {
        names.push("notice_data_cut");
    }
    if over_allowance && !card.auto_stop && !card.reasons.contains(Reason::OverQuota) {
        names.push("notice_overage");
    }
    names
        .into_iter()
        .map(|n| render(&template(world, card.carrier, n), vars))
        .collect()
}

/// Renders the named template for a card.
pub fn reply(world: &World, iccid: &str, name: &str) -> Option<String> {
    let (card, vars) = figures(world, iccid)?;
    let name = if name == "data" && vars.get("pooled").map(String::as_str) == Some("true") {
        "data_pool"
    } else {
        name
    };
    Some(render(&template(world, card.carrier, name), &vars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders() {
        let mut v = BTreeMap::new();
        v.insert("used", "1.00MB".to_string());
        assert_eq!(render("已用{used}，{x}{", &v), "已用1.00MB，{x}{");
    }

    #[test]
    fn every_carrier_has_every_template() {
        for c in Carrier::ALL {
            for n in ["data", "data_pool", "balance", "package", "help"] {
                assert!(default_template(c, n).is_some(), "{c} {n}");
            }
        }
    }
}
