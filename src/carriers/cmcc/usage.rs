//! Usage queries in OneLink units (data KB with 2 decimals, voice minutes,
//! SMS 条): month-to-date usage and per-offering margins, usage inside a
//! flow pool, and the daily (last 7 days up to yesterday) and monthly (last
//! 6 months, current month up to yesterday) batch queries read from the
//! card's per-day and per-month history.

use serde_json::{json, Value};

use super::codes::Code;
use super::params::BATCH_MAX;
use super::{card::per_number, Call, Fail, Reply};
use crate::clock::{cycle_of, cycle_start, day_date, day_number, from_local};
use crate::domain::card::{Card, DayUsage, Usage};
use crate::domain::money::kb_2dp;
use crate::domain::usage::day_usage;
use crate::domain::Plan;

/// Seconds → started minutes.
fn minutes(seconds: u32) -> u32 {
    seconds.div_ceil(60)
}

/// Reads the identified card with its plan.
fn with_plan<R>(c: &Call, f: impl FnOnce(&Card, &Plan) -> R) -> Result<R, Fail> {
    let w = c.world();
    c.read(|card| {
        let plan = w.plan(&card.plan).ok_or(Fail::new(Code::Other))?;
        Ok(f(card, &plan))
    })?
}

/// `/query/sim-data-usage`: month-to-date data in KB with the per-APN list.
pub fn data_usage(c: &Call) -> Reply {
    let v = c.read(|card| {
        let kb = kb_2dp(card.usage.data_bytes);
        json!({
            "dataAmount": kb,
            "apnUseAmountList": [{
                "apnName": card.session.apn,
                "apnUseAmount": kb,
                "pccCodeUseAmountList": [],
            }],
        })
    });
    Ok(vec![v?])
}

/// One margin row (`totalAmount`/`useAmount`/`remainAmount`).
fn margin_row(id: &str, name: &str, total: String, used: String, remain: String) -> Value {
    json!({
        "offeringId": id, "offeringName": name,
        "totalAmount": total, "useAmount": used, "remainAmount": remain,
    })
}

/// `/query/sim-data-margin`: per offering (plan or pool, then add-ons) in KB.
/// Usage is drawn from the main offering first, then from each add-on.
pub fn data_margin(c: &Call) -> Reply {
    let store = &c.world().store;
    let list = with_plan(c, |card, plan| {
        let q = crate::engine::quota_of(store, card, plan);
        let base = if q.pooled {
            q.allowance
        } else {
            plan.data_bytes
        };
        let mut used_left = q.used;
        let mut rows = Vec::new();
        let mut push = |id: &str, name: &str, total: u64| {
            let used = used_left.min(total);
            used_left -= used;
            let mut row = margin_row(id, name, kb_2dp(total), kb_2dp(used), kb_2dp(total - used));
            row["apnName"] = card.session.apn.as_str().into();
            row["pccCode"] = "".into();
            rows.push(row);
        };
        push(&plan.offer_id, &plan.name, base);
        if !q.pooled {
            for a in card.addons.iter().filter(|a| {
                a.cycle_from <= card.cycle && a.cycle_to.is_none_or(|t| card.cycle <= t)
            }) {
                push(&a.id, &a.name, a.data_bytes);
            }
        }
        rows
    })?;
    Ok(vec![json!({"accmMarginList": list})])
}

/// `/query/sim-data-usage-inpool`: the card's use and its pool's totals.
pub fn data_usage_inpool(c: &Call) -> Reply {
    let store = &c.world().store;
    let v = with_plan(c, |card, plan| {
        let q = crate::engine::quota_of(store, card, plan);
        let (total, used) = if q.pooled {
            (q.allowance, q.used)
        } else {
            (0, 0)
        };
        json!({
            "groupId": card.pool.as_deref().unwrap_or(""),
            "dataAmount": kb_2dp(card.usage.data_bytes),
            "poolTotalAmount": kb_2dp(total),
            "poolUseAmount": kb_2dp(used),
            "poolRemainAmount": kb_2dp(total.saturating_sub(used)),
        })
    })?;
    Ok(vec![v])
}

/// `/query/sim-sms-usage`: month-to-date SMS (条).
pub fn sms_usage(c: &Call) -> Reply {
    let v = with_plan(
        c,
        |card, _| json!({"smsAmount": card.usage.sms.to_string()}),
    )?;
    Ok(vec![v])
}

/// `/query/sim-sms-margin`: SMS allowance of the plan (条).
pub fn sms_margin(c: &Call) -> Reply {
    let v = with_plan(c, |card, plan| {
        let used = card.usage.sms.min(plan.sms);
        margin_row(
            &plan.offer_id,
            &plan.name,
            plan.sms.to_string(),
            used.to_string(),
            (plan.sms - used).to_string(),
        )
    })?;
    Ok(vec![json!({"accmMarginList": [v]})])
}

/// `/query/sim-voice-usage`: month-to-date voice in minutes.
pub fn voice_usage(c: &Call) -> Reply {
    let v = with_plan(
        c,
        |card, _| json!({"voiceAmount": minutes(card.usage.voice_seconds).to_string()}),
    )?;
    Ok(vec![v])
}

/// `/query/sim-voice-margin`: voice allowance of the plan in minutes.
pub fn voice_margin(c: &Call) -> Reply {
    let v = with_plan(c, |card, plan| {
        let total = plan.voice_seconds / 60;
        let used = minutes(card.usage.voice_seconds).min(total);
        margin_row(
            &plan.offer_id,
            &plan.name,
            total.to_string(),
            used.to_string(),
            (total - used).to_string(),
        )
    })?;
    Ok(vec![json!({"accmMarginList": [v]})])
}

/// What a batch usage query reports.
#[derive(Clone, Copy)]
enum Metric {
    Data,
    Sms,
    Voice,
}

impl Metric {
    fn list_name(self) -> &'static str {
        match self {
            Metric::Data => "dataAmountList",
            Metric::Sms => "smsAmountList",
            Metric::Voice => "voiceAmountList",
        }
    }

    fn render(self, card: &Card, u: Usage) -> Value {
        match self {
            Metric::Data => {
                let kb = kb_2dp(u.data_bytes);
                if u.data_bytes == 0 {
                    json!({"dataAmount": kb})
                } else {
                    json!({"dataAmount": kb, "apnDataAmountList": [
                        {"apnName": card.session.apn, "apnDataAmount": kb}
                    ]})
                }
            }
            Metric::Sms => json!({"sms": u.sms.to_string()}),
            Metric::Voice => json!({"voiceAmount": minutes(u.voice_seconds).to_string()}),
        }
    }
}

fn day_as_usage(d: DayUsage) -> Usage {
    Usage {
        data_bytes: d.data_bytes,
        sms: d.sms,
        voice_seconds: d.voice_seconds,
    }
}

/// Parses `yyyyMMdd` into a day number.
pub(super) fn parse_day(text: &str) -> Option<i32> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d = jiff::civil::Date::strptime("%Y%m%d", text).ok()?;
    Some(day_number(from_local(
        d.to_datetime(jiff::civil::Time::midnight()),
    )))
}

/// Parses `yyyyMM` into a cycle number.
fn parse_month(text: &str) -> Option<i32> {
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = text[..4].parse().ok()?;
    let m: i32 = text[4..].parse().ok()?;
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

fn daily(c: &Call, metric: Metric) -> Reply {
    let today = day_number(c.world().now());
    let day = parse_day(c.p.need("queryDate")?)
        .ok_or_else(|| Fail::bad("queryDate 格式应为 yyyyMMdd"))?;
    if day >= today || day < today - 7 {
        return Err(Fail::bad("queryDate 只能是最近7天内（不含当天）"));
    }
    let list = per_number(c, BATCH_MAX, |card| {
        metric.render(card, day_as_usage(day_usage(card, day)))
    })?;
    Ok(vec![json!({ metric.list_name(): list })])
}

/// Usage of a past or the current cycle (current: up to yesterday).
fn month_usage(card: &Card, cycle: i32, today: i32) -> Usage {
    if cycle == card.cycle {
        let t = day_usage(card, today);
        return Usage {
            data_bytes: card.usage.data_bytes.saturating_sub(t.data_bytes),
            sms: card.usage.sms.saturating_sub(t.sms),
            voice_seconds: card.usage.voice_seconds.saturating_sub(t.voice_seconds),
        };
    }
    card.usage_in(cycle)
}

fn monthly(c: &Call, metric: Metric) -> Reply {
    let now = c.world().now();
    let current = cycle_of(now);
    let today = day_number(now);
    let cycle = parse_month(c.p.need("queryDate")?)
        .ok_or_else(|| Fail::bad("queryDate 格式应为 yyyyMM"))?;
    if cycle > current || cycle < current - 5 {
        return Err(Fail::bad("queryDate 只能是最近6个月"));
    }
    let list = per_number(c, BATCH_MAX, |card| {
        metric.render(card, month_usage(card, cycle, today))
    })?;
    let last_day = if cycle == current {
        today - 1
    } else {
        day_number(cycle_start(cycle + 1)) - 1
    };
    let dead_line = day_date(last_day).strftime("%Y%m%d").to_string();
    Ok(vec![
        json!({ metric.list_name(): list, "deadLine": dead_line }),
    ])
}

/// `/query/sim-data-usage-daily/batch` (queryDate yyyyMMdd).
pub fn data_daily(c: &Call) -> Reply {
    daily(c, Metric::Data)
}

/// `/query/sim-data-usage-monthly/batch` (queryDate yyyyMM).
pub fn data_monthly(c: &Call) -> Reply {
    monthly(c, Metric::Data)
}

/// `/query/sim-sms-usage-daily/batch`.
pub fn sms_daily(c: &Call) -> Reply {
    daily(c, Metric::Sms)
}

/// `/query/sim-sms-usage-monthly/batch`.
pub fn sms_monthly(c: &Call) -> Reply {
    monthly(c, Metric::Sms)
}

/// `/query/sim-voice-usage-daily/batch`.
pub fn voice_daily(c: &Call) -> Reply {
    daily(c, Metric::Voice)
}

/// `/query/sim-voice-usage-monthly/batch`.
pub fn voice_monthly(c: &Call) -> Reply {
    monthly(c, Metric::Voice)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_query_dates() {
        assert!(parse_day("20261123").is_some());
        assert!(parse_day("20261323").is_none());
        assert!(parse_day("2026112").is_none());
        assert!(parse_day("２０２６１１２３").is_none());
        assert_eq!(parse_month("202611"), Some(2026 * 12 + 10));
        assert_eq!(parse_month("202613"), None);
        assert_eq!(minutes(61), 2);
    }
}
