//! Data-usage queries (spec §4.1–4.2): queryTraffic (this month),
//! queryTrafficOfToday and queryTrafficByDate, all answering the same
//! `<root><web:NEW_DATA_TICKET_QRsp>` XML with the total in MB and, with
//! `needDtl=1`, one `NEW_DATA_TICKET_QRlist` record per day of use.

use jiff::civil::Date;

use super::xml::Xml;
use super::{Call, Fail, Out};
use crate::clock::{cycle_of, cycle_start, day_date, day_number, from_local};
use crate::domain::card::DayUsage;
use crate::domain::money::{mb_2dp, yuan, KB};
use crate::domain::{Card, LedgerKind};

const NS: &str = "http://www.example.org/webservice";
const TAG: &str = "web:NEW_DATA_TICKET_QRsp";

/// queryTraffic: usage of the current month.
pub fn query_traffic(call: &Call) -> Result<Out, Fail> {
    let now = call.world().now();
    let first = day_number(cycle_start(cycle_of(now)));
    let t = snapshot(call, first, day_number(now), true)?;
    Ok(ticket(call, t))
}

/// queryTrafficOfToday: usage of today.
pub fn traffic_of_today(call: &Call) -> Result<Out, Fail> {
    let today = day_number(call.world().now());
    Ok(ticket(call, snapshot(call, today, today, false)?))
}

/// queryTrafficByDate: usage between `startDate` and `endDate` (yyyyMMdd,
/// same month, start ≤ end).
pub fn traffic_by_date(call: &Call) -> Result<Out, Fail> {
    let start = parse_day(call.p.or_empty("startDate"))
        .ok_or_else(|| Fail::bad("startDate格式错误，应为yyyyMMdd。"))?;
    let end = parse_day(call.p.or_empty("endDate"))
        .ok_or_else(|| Fail::bad("endDate格式错误，应为yyyyMMdd。"))?;
    if start > end {
        return Err(Fail::bad("开始日期不能大于结束日期。"));
    }
    let (ds, de) = (day_date(start), day_date(end));
    if (ds.year(), ds.month()) != (de.year(), de.month()) {
        return Err(Fail::bad("查询时间段不可跨月。"));
    }
    Ok(ticket(call, snapshot(call, start, end, false)?))
}

/// What a ticket needs from the card, read under its lock (no card clone).
struct Snapshot {
    total: u64,
    days: Vec<(i32, DayUsage)>,
    charged: i64,
    msisdn: String,
    city: String,
    rat: String,
    plan: String,
}

/// Reads the card: usage of days `[from, to]` (or the cycle counter when
/// `cycle_total`), overage charged this month, session place and plan.
fn snapshot(call: &Call, from: i32, to: i32, cycle_total: bool) -> Result<Snapshot, Fail> {
    let cycle = cycle_of(call.world().now());
    let detail = call.p.get("needDtl") == Some("1");
    call.world()
        .read_card(&call.iccid, |card| {
            let days = days_between(card, from, to);
            let total = if cycle_total {
                card.usage.data_bytes
            } else {
                days.iter().map(|(_, u)| u.data_bytes).sum()
            };
            Snapshot {
                total,
                days: if detail { days } else { Vec::new() },
                charged: card
                    .ledger
                    .iter()
                    .filter(|e| e.kind == LedgerKind::Overage && cycle_of(e.time) == cycle)
                    .map(|e| -e.amount_fen)
                    .sum(),
                msisdn: card.msisdn.to_string(),
                city: card.session.city.to_string(),
                rat: card.session.rat.to_string(),
                plan: card.plan.to_string(),
            }
        })
        .ok_or(Fail::new(super::codes::Code::NotFound))
}

/// `yyyyMMdd` → the day number.
pub fn parse_day(s: &str) -> Option<i32> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i16 = s[..4].parse().ok()?;
    let m: i8 = s[4..6].parse().ok()?;
    let d: i8 = s[6..].parse().ok()?;
    let date = Date::new(y, m, d).ok()?;
    Some(day_number(from_local(
        date.to_datetime(jiff::civil::time(0, 0, 0, 0)),
    )))
}

/// Days of use within `[from, to]` (the opening usage spread included).
fn days_between(card: &Card, from: i32, to: i32) -> Vec<(i32, DayUsage)> {
    crate::domain::usage::daily(card)
        .into_iter()
        .filter(|(d, u)| *d >= from && *d <= to && u.data_bytes > 0)
        .collect()
}

/// The NEW_DATA_TICKET_QRsp document; detail records when `needDtl=1`.
fn ticket(call: &Call, t: Snapshot) -> Out {
    let mut x = Xml::new();
    x.open("root").open_ns(TAG, "web", NS);
    let count = if call.p.get("needDtl") == Some("1") {
        t.days.len()
    } else {
        0
    };
    x.leaf("CHARGE_CNT_CH", &format!("{}元", yuan(t.charged)))
        .leaf("DURATION_CNT_CH", "0小时0分0秒")
        .leaf("IRESULT", "0")
        .leaf("TOTALCOUNT", &count.to_string())
        .leaf("TOTALPAGE", if count == 0 { "0" } else { "1" })
        .leaf("TOTAL_BYTES_CNT", &format!("{}MB", mb_2dp(t.total)))
        .leaf("GROUP_TRANSACTIONID", &call.txid())
        .leaf("number", &call.number);
    if !t.days.is_empty() {
        let place = if t.city.is_empty() { "南京" } else { &t.city };
        let service = if t.rat.is_empty() { "4G" } else { &t.rat };
        let plan = call
            .world()
            .plan(&t.plan)
            .map(|p| p.name)
            .unwrap_or_default();
        let mut cumulative = 0u64;
        for (day, u) in &t.days {
            let d = day_date(*day);
            let kb = carried_kb(cumulative, u.data_bytes);
            cumulative += u.data_bytes;
            x.open("NEW_DATA_TICKET_QRlist")
                .leaf("TICKET_NUMBER", &t.msisdn)
                .leaf("TICKET_TYPE", place)
                .leaf("SERVICE_TYPE", service)
                .leaf("START_TIME", &format!("{} 00:00", d.strftime("%Y-%m-%d")))
                .leaf("DURATION_CH", "24小时00分00秒")
                .leaf("TICKET_CHARGE_CH", "0.00元")
                .leaf("BYTES_CNT", &format!("{kb}KB"))
                .leaf("CCG_PRODUCT_NAME", &plan)
                .close("NEW_DATA_TICKET_QRlist");
        }
    }
    x.close(TAG).close("root");
    Out::Xml(x.finish())
}

/// Hundredths of a KB in `bytes`, rounded half up.
fn kb_hundredths(bytes: u64) -> u64 {
    ((bytes as u128 * 100 + u128::from(KB / 2)) / u128::from(KB)) as u64
}

/// One detail record's `BYTES_CNT` number (KB, 2 decimals) with the
/// rounding carried from the records before it (`before` bytes), so the
/// records add up to the rounded total of the period instead of drifting
/// by up to 0.005 KB each.
fn carried_kb(before: u64, bytes: u64) -> String {
    let h = kb_hundredths(before + bytes) - kb_hundredths(before);
    format!("{}.{:02}", h / 100, h % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse() {
        assert!(parse_day("20261125").is_some());
        assert_eq!(
            parse_day("20261126").unwrap() - parse_day("20261125").unwrap(),
            1
        );
        assert!(parse_day("20261325").is_none());
        assert!(parse_day("2026112").is_none());
        assert!(parse_day("2026-11-").is_none());
    }

    #[test]
    fn detail_records_carry_their_rounding() {
        // Three records of 1 byte each: 0.00 + 0.00 + 0.00 would lose the
        // 3 bytes; carried, they show what the total rounds to.
        let sum: u64 = (0..3u64)
            .map(|before| {
                carried_kb(before, 1)
                    .replace('.', "")
                    .parse::<u64>()
                    .unwrap()
            })
            .sum();
        assert_eq!(sum, kb_hundredths(3));
        assert_eq!(carried_kb(0, 5 * 1024 * 1024), "5120.00");
    }
}
