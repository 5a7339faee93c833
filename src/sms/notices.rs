//! Push notices the carriers send unasked when a card's data runs low, runs
//! out, or stops it (issue 25): on the engine's usage thresholds and the
//! over-quota stop, the card's carrier's service number delivers a text in
//! the real forms the public samples show (docs/sms.md, "Push notices"),
//! so it reaches every channel a reply does (HTTP handset, AT modem).
//!
//! A notice is sent when the switch `notices` is on for the card (the
//! per-card, account, carrier or everybody tables of `profile.rs`):
//! `notices = true` sends at the default percentages, `notices =
//! { percents = [80, 100], stop = false }` chooses. They are off unless
//! asked for, so that a test that counts a card's inbox sees only what it
//! sent for.

use std::sync::{Arc, Weak};

use jiff::Timestamp;

use super::format::{self, DataStyle};
use super::profile;
use crate::domain::event::{Event, EventKind};
use crate::domain::{Card, Carrier};
use crate::journal::{EventFilter, Follower};
use crate::world::World;

/// The percentages notified when the switch is just `true`: near the quota
/// (the engine's 80 and 90 % marks) and used up (100 %).
pub const DEFAULT_PERCENTS: [u8; 3] = [80, 90, 100];

/// What a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Usage crossed `percent` (< 100) of the allowance.
    NearQuota { percent: u8 },
    /// Usage reached the allowance.
    UsedUp,
    /// The card was stopped for going over its quota (auto-stop).
    Stopped,
}

/// The numbers a notice shows, as the engine reported them.
#[derive(Clone, Copy, Debug)]
pub struct NoticeFigures {
    pub used: u64,
    pub allowance: u64,
    pub time: Timestamp,
}

/// Which notices a card's switch asks for: the percentages and the stop.
struct Switch {
    percents: Vec<u8>,
    stop: bool,
}

fn switch(world: &World, card: &Card) -> Option<Switch> {
    match profile::setting(world, card, "notices")? {
        serde_json::Value::Bool(true) => Some(Switch {
            percents: DEFAULT_PERCENTS.to_vec(),
            stop: true,
        }),
        serde_json::Value::Object(m) => Some(Switch {
            percents: m
                .get("percents")
                .and_then(|p| p.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_u64())
                        .map(|v| v as u8)
                        .collect()
                })
                .unwrap_or_else(|| DEFAULT_PERCENTS.to_vec()),
            stop: m.get("stop").and_then(|s| s.as_bool()).unwrap_or(true),
        }),
        _ => None,
    }
}

/// The service number a carrier's notices come from: 10086, 10010, and
/// for China Telecom 10000 (the spec: replies from 10001, pushes from
/// 10000).
pub fn sender(carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::Cmcc => "10086",
        Carrier::Cucc => "10010",
        Carrier::Ctcc => "10000",
    }
}

/// `198****6030`: the first three and last four digits, as China Mobile's
/// notice masks the number.
pub fn mask_msisdn(msisdn: &str) -> String {
    let digits: Vec<char> = msisdn.chars().collect();
    if digits.len() < 8 {
        return msisdn.to_string();
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Yuan per MB from fen, as China Mobile prints a price (`0.29`, `1`).
fn price(fen: i64) -> String {
    format::trim_zeros(&format::yuan2(fen))
}

/// Unicom notices: 1-decimal MB, 3-decimal GB from 1024 MB (spec §2,
/// "Notices": 845.7MB, 47.552GB).
fn cucc_amount(bytes: u64) -> String {
    let mb = format::mb(bytes, 1);
    if bytes >= crate::domain::money::GB || mb.starts_with("1024.") {
        format!("{}GB", format::gb(bytes, 3))
    } else {
        format!("{mb}MB")
    }
}

/// The text of a notice for a card, in its carrier's form. `overage_fen`
/// is the plan's price per MB beyond the allowance (0: none).
pub fn text(
    carrier: Carrier,
    notice: Notice,
    msisdn: &str,
    f: NoticeFigures,
    overage_fen: i64,
) -> String {
    let remain = f.allowance.saturating_sub(f.used);
    let used_within = f.used.min(f.allowance);
    match (carrier, notice) {
        // China Mobile, 【流量提醒】 near the quota (a real 2020s notice,
        // spec §1 "Push notices": `截止09月24日19点28分，您198****6030本月
        // 移动上网流量已使用11.25GB，其中国内通用流量资源已使用5.44GB。
        // 超出后按0.29元/MB计费，每GB最高收取5元。详情请登录中国移动APP
        // https://dx.10086.cn/A/RhasHA。`). The price sentence only when the
        // plan bills overage; the cap is the sample's.
        (Carrier::Cmcc, Notice::NearQuota { .. }) => {
            let style = DataStyle::MB_GB_2;
            let over = if overage_fen > 0 {
                format!("超出后按{}元/MB计费，每GB最高收取5元。", price(overage_fen))
            } else {
                String::new()
            };
            format!(
                "【流量提醒】尊敬的客户，您好！截止{}，您{}本月移动上网流量已使用{}，其中国内通用流量资源已使用{}。{over}详情请登录中国移动APP https://dx.10086.cn/A/RhasHA。【中国移动】",
                format::at(f.time, "%m月%d日%H点%M分"),
                mask_msisdn(msisdn),
                style.show(f.used),
                style.show(f.used),
            )
        }
        // China Mobile, used up: the Shanghai 2017 【流量提醒】 form (spec §1
        // sample 5: `截止7月11日16时34分，本月您已使用的国内流量情况如下：国内
        // 通用流量共908.98M，已使用37.57M，还剩余871.4M。`), 2 decimals with
        // trailing zeros dropped, bare `M`/`G`.
        (Carrier::Cmcc, Notice::UsedUp) => {
            let style = DataStyle {
                trim: true,
                mb: "M",
                gb: "G",
                switch: false,
                ..DataStyle::MB_GB_2
            };
            format!(
                "【流量提醒】截止{}，本月您已使用的国内流量情况如下：国内通用流量共{}，已使用{}，还剩余{}。回复6606给流量加油，资费更优惠！具体流量资源有效期详见掌厅【中国移动】",
                format::at(f.time, "%-m月%-d日%-H时%-M分"),
                style.show(f.allowance),
                style.show(used_within),
                style.show(remain),
            )
        }
        // China Unicom, 【流量不足预警】 (a real c.2025 notice, spec §2:
        // `截至08月06日13时20分，“限量流量”部分：国内通用流量已用845.7MB，
        // 剩余178.3MB；…使用情况请登录中国联通APP或拨打10010客服热线查询。
        // 【中国联通】`; the sample's clause on its throttled 达量限速 pack is
        // left out, as a plain plan has none).
        (Carrier::Cucc, Notice::NearQuota { .. }) => format!(
            "【流量不足预警】截至{}，“限量流量”部分：国内通用流量已用{}，剩余{}；使用情况请登录中国联通APP或拨打10010客服热线查询。【中国联通】",
            format::at(f.time, "%m月%d日%H时%M分"),
            cucc_amount(used_within),
            cucc_amount(remain),
        ),
        // China Unicom, used up (a real c.2025 notice, spec §2: `【中国联通】
        // 流量用尽提醒：截至08月07日09时42分，“限量流量”部分国内通用流量已
        // 用尽；…`; the source cuts it there, the rest is the sibling
        // notice's closing sentence).
        (Carrier::Cucc, Notice::UsedUp) => format!(
            "【中国联通】流量用尽提醒：截至{}，“限量流量”部分国内通用流量已用尽；使用情况请登录中国联通APP或拨打10010客服热线查询。",
            format::at(f.time, "%m月%d日%H时%M分"),
        ),
        // China Telecom from 10000 (spec §3 sample 11, c.2025, cut in the
        // source after `【中国电信】尊敬的客户，截至08月24日23时59分，您订购
        // 套餐本月国内通用流量30…`; the amounts after it follow the 108
        // replies' `总计/已使用/剩余` in integer M).
        (Carrier::Ctcc, Notice::NearQuota { .. } | Notice::UsedUp) => format!(
            "【中国电信】尊敬的客户，截至{}，您订购套餐本月国内通用流量{}M，已使用{}M，剩余{}M。",
            format::at(f.time, "%m月%d日%H时%M分"),
            format::mb_int(f.allowance),
            format::mb_int(used_within),
            format::mb_int(remain),
        ),
        // The stop for going over the quota: no public sample, so the
        // simulator's own words (docs/sms.md, notice_over_quota).
        (c, Notice::Stopped) => format!(
            "您本月套餐流量已用完，上网功能已暂停，将于下月1日自动恢复。{}",
            match c {
                Carrier::Cmcc => "【中国移动】",
                Carrier::Cucc => "【中国联通】",
                Carrier::Ctcc => "【中国电信】",
            }
        ),
    }
}

/// The notice an event asks for on a card whose switch is on, if any:
/// (sender, text).
pub fn of_event(world: &World, event: &Event) -> Option<(&'static str, String)> {
    let notice = match &event.kind {
        EventKind::UsageThreshold { percent: 100, .. } => Notice::UsedUp,
        EventKind::UsageThreshold { percent, .. } => Notice::NearQuota { percent: *percent },
        EventKind::StateChanged { reason, to, .. }
            if reason == "over_quota" && *to == crate::domain::CardState::Suspended =>
        {
            Notice::Stopped
        }
        _ => return None,
    };
    let card = world.card(&event.iccid)?;
    let sw = switch(world, &card)?;
    let wanted = match notice {
        Notice::NearQuota { percent } => sw.percents.contains(&percent),
        Notice::UsedUp => sw.percents.contains(&100),
        Notice::Stopped => sw.stop,
    };
    if !wanted || super::access(&card) == super::Access::None {
        return None;
    }
    let (used, allowance) = match &event.kind {
        EventKind::UsageThreshold {
            used_bytes,
            allowance_bytes,
            ..
        } => (*used_bytes, *allowance_bytes),
        _ => {
            let plan = world.plan(&card.plan)?;
            let q = crate::engine::quota_of(&world.store, &card, &plan);
            (q.used, q.allowance)
        }
    };
    let overage = world
        .plan(&card.plan)
        .map(|p| p.overage_fen_per_mb)
        .unwrap_or(0);
    let f = NoticeFigures {
        used,
        allowance,
        time: event.time,
    };
    Some((
        sender(card.carrier),
        text(card.carrier, notice, &card.msisdn, f, overage),
    ))
}

/// Follows a world's journal by cursor (from its newest event) and
/// delivers the notices its events ask for; ends when the world goes away.
pub fn start(world: &Arc<World>) {
    let follower = world.journal.follow(None);
    tokio::spawn(follow(Arc::downgrade(world), follower));
}

async fn follow(world: Weak<World>, mut follower: Follower) {
    let filter = EventFilter {
        types: vec!["usage_threshold".into(), "state_changed".into()],
        ..EventFilter::default()
    };
    while let Some(read) = follower.next(&filter, 256).await {
        if read.events.is_empty() {
            continue;
        }
        let Some(world) = world.upgrade() else { return };
        // Off the async threads: a delivery waits while a clock move holds
        // the world's gate.
        let _ = tokio::task::spawn_blocking(move || {
            for event in &read.events {
                if let Some((from, text)) = of_event(&world, event) {
                    let _ = world.deliver_to_card(&event.iccid, from, &text);
                }
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::MB;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Bytes of an amount in MB as the samples print it.
    fn mbs(v: f64) -> u64 {
        (v * MB as f64).round() as u64
    }

    /// The real notices of the spec with their own figures and times give
    /// their own texts (the Unicom sample less its clause on a throttled
    /// pack a plain plan does not have).
    #[test]
    fn the_real_samples_come_back() {
        // China Unicom 【流量不足预警】, c.2025: 845.7MB used, 178.3MB left.
        let f = NoticeFigures {
            used: mbs(845.7),
            allowance: mbs(845.7 + 178.3),
            time: t("2025-08-06T13:20:00+08:00"),
        };
        assert_eq!(
            text(Carrier::Cucc, Notice::NearQuota { percent: 80 }, "", f, 0),
            "【流量不足预警】截至08月06日13时20分，“限量流量”部分：国内通用流量已用845.7MB，剩余178.3MB；使用情况请登录中国联通APP或拨打10010客服热线查询。【中国联通】"
        );
        // China Unicom, used up, c.2025.
        let f = NoticeFigures {
            time: t("2025-08-07T09:42:00+08:00"),
            ..f
        };
        assert!(text(Carrier::Cucc, Notice::UsedUp, "", f, 0).starts_with(
            "【中国联通】流量用尽提醒：截至08月07日09时42分，“限量流量”部分国内通用流量已用尽；"
        ));
        // China Mobile Shanghai 2017 【流量提醒】: 908.98M, 37.57M used, 871.4M left.
        // (908.98 − 37.57 is 871.41: the carrier rounded each figure on
        // its own, so the bytes are taken inside all three roundings.)
        let f = NoticeFigures {
            used: mbs(37.574),
            allowance: mbs(908.978),
            time: t("2017-07-11T16:34:00+08:00"),
        };
        assert_eq!(
            text(Carrier::Cmcc, Notice::UsedUp, "", f, 0),
            "【流量提醒】截止7月11日16时34分，本月您已使用的国内流量情况如下：国内通用流量共908.98M，已使用37.57M，还剩余871.4M。回复6606给流量加油，资费更优惠！具体流量资源有效期详见掌厅【中国移动】"
        );
        // China Mobile 【流量提醒】 (the sample's two figures differ because
        // it counts more than general data; here both are 5.44GB).
        let f = NoticeFigures {
            used: mbs(5.44 * 1024.0),
            allowance: mbs(20.0 * 1024.0),
            time: t("2025-09-24T19:28:00+08:00"),
        };
        assert_eq!(
            text(Carrier::Cmcc, Notice::NearQuota { percent: 90 }, "19800006030", f, 29),
            "【流量提醒】尊敬的客户，您好！截止09月24日19点28分，您198****6030本月移动上网流量已使用5.44GB，其中国内通用流量资源已使用5.44GB。超出后按0.29元/MB计费，每GB最高收取5元。详情请登录中国移动APP https://dx.10086.cn/A/RhasHA。【中国移动】"
        );
        // China Telecom from 10000: the sample's opening.
        let f = NoticeFigures {
            used: mbs(20.0 * 1024.0),
            allowance: mbs(30.0 * 1024.0),
            time: t("2025-08-24T23:59:00+08:00"),
        };
        assert!(
            text(Carrier::Ctcc, Notice::NearQuota { percent: 80 }, "", f, 0).starts_with(
                "【中国电信】尊敬的客户，截至08月24日23时59分，您订购套餐本月国内通用流量30"
            )
        );
        assert_eq!(sender(Carrier::Ctcc), "10000");
    }

    #[test]
    fn unicom_amounts_switch_to_3_decimal_gb() {
        assert_eq!(cucc_amount(mbs(845.7)), "845.7MB");
        assert_eq!(cucc_amount(mbs(47.552 * 1024.0)), "47.552GB");
        assert_eq!(cucc_amount(mbs(1023.96)), "1.000GB");
        assert_eq!(mask_msisdn("1440000000001"), "144****0001");
    }
}
