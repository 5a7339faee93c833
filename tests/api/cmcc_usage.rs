//! China Mobile's usage calls agree (issue 15): for random usage at random
//! moments across a month boundary, the month's `sim-*-usage-monthly/batch`
//! figure is the sum of its days' `sim-*-usage-daily/batch` figures and the
//! month-to-date `sim-*-usage` figure at midnight, for data, SMS and voice.
//!
//! Where the rule comes from (docs/protocol-cmcc.md, usage section): the
//! daily batch serves one past day (`queryDate` yyyyMMdd, the last 7 days,
//! today excluded), the monthly batch serves a month (`queryDate` yyyyMM)
//! and, for the current month, covers the days up to yesterday (its
//! `deadLine`). Both count the same usage, bucketed by the Beijing calendar
//! day, so the days of a month add up to the month. Data is in KB with two
//! decimals and each figure rounds on its own; voice is in started minutes.

use carrier_sim::Simulator;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::common::cmcc::Cmcc;

/// Default-fixture cards that carry usage: normal, pool member, low balance.
const NUMBERS: [(&str, &str); 3] = [
    ("1440000000001", "89860000000000000019"),
    ("1440000000012", "89860000000000000126"),
    ("1440000000016", "89860000000000000167"),
];

/// One usage record, made `after_minutes` after the previous one.
#[derive(Clone, Debug)]
enum Use {
    Data { card: usize, bytes: u64 },
    Sms { card: usize, count: u32 },
    Voice { card: usize, seconds: u32 },
}

fn usage() -> impl Strategy<Value = (i64, Use)> {
    let kind = prop_oneof![
        ((0..3usize), (1..50_000_000u64)).prop_map(|(card, bytes)| Use::Data { card, bytes }),
        ((0..3usize), (1..4u32)).prop_map(|(card, count)| Use::Sms { card, count }),
        ((0..3usize), (1..400u32)).prop_map(|(card, seconds)| Use::Voice { card, seconds }),
    ];
    // Minutes to the next record: often within the hour, sometimes a day.
    let gap = prop_oneof![0..90i64, 0..1800i64];
    (gap, kind)
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Records one use at the world's current time (stopped cards refuse
/// data; that is fine, the property is about whatever was counted).
async fn record(env: &Cmcc, u: &Use) {
    let world = env.sim.world();
    match *u {
        Use::Data { card, bytes } => {
            let _ = world.use_data(NUMBERS[card].1, bytes);
        }
        Use::Voice { card, seconds } => {
            let _ = world.use_voice(NUMBERS[card].1, seconds);
        }
        Use::Sms { card, count } => {
            let iccid = NUMBERS[card].1;
            let now = env.admin.card(iccid).await["usage"]["sms"]
                .as_u64()
                .unwrap();
            env.admin
                .call(
                    reqwest::Method::PATCH,
                    &format!("/_sim/cards/{iccid}"),
                    Some(json!({"usage": {"sms": now + u64::from(count)}})),
                )
                .await;
        }
    }
}

/// Hundredths of a KB of a `"123.45"` figure.
fn hundredths(text: &str) -> i64 {
    let (int, frac) = text.split_once('.').expect("two decimals");
    assert_eq!(frac.len(), 2, "{text}");
    int.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap()
}

/// The per-card figures (in list order) of one batch answer.
fn figures(result: &Value, list: &str, field: &str) -> Vec<String> {
    result[list]
        .as_array()
        .unwrap_or_else(|| panic!("{list} in {result}"))
        .iter()
        .map(|item| item[field].as_str().unwrap().to_string())
        .collect()
}

async fn month_is_its_days(start_offset_h: i64, uses: Vec<(i64, Use)>, query_min: i64) {
    // From Nov 29 (Beijing) through Dec 5: the days of December so far are
    // all within the daily batch's 7-day reach on Dec 6.
    let start = ts("2026-11-29T00:00:00+08:00") + SignedDuration::from_hours(start_offset_h);
    let last_use = ts("2026-12-05T23:59:00+08:00");
    let sim = Simulator::builder().start_time(start).start().await;
    let env = Cmcc::with(sim);
    let world = env.sim.world().clone();
    for (gap, u) in &uses {
        let next = world.now() + SignedDuration::from_mins(*gap);
        if next <= last_use {
            world.advance_to(next).unwrap();
        }
        record(&env, u).await;
    }
    // At midnight nothing of Dec 6 is used yet: the month-to-date
    // single-card calls are the month so far.
    world.advance_to(ts("2026-12-06T00:00:00+08:00")).unwrap();
    let token = env.token().await;
    let mut month_to_date = Vec::new();
    for (msisdn, _) in NUMBERS {
        let mut per_kind = Vec::new();
        for (kind, _, _, field) in KINDS {
            let r = env
                .ok(
                    &token,
                    &format!("/query/sim-{kind}-usage"),
                    &[("msisdn", msisdn)],
                )
                .await;
            per_kind.push(r[field].as_str().unwrap().to_string());
        }
        month_to_date.push(per_kind);
    }
    world
        .advance_to(ts("2026-12-06T00:00:00+08:00") + SignedDuration::from_mins(query_min))
        .unwrap();
    let token = env.token().await;
    let msisdns = NUMBERS.map(|(m, _)| m).join("_");
    let batch = |kind: &str, period: &str| format!("/query/sim-{kind}-usage-{period}/batch");
    let mut days = Vec::new();
    for d in 1..=5 {
        let date = format!("202612{d:02}");
        let mut per_kind = Vec::new();
        for (kind, list, field, _) in KINDS {
            let r = env
                .ok(
                    &token,
                    &batch(kind, "daily"),
                    &[("msisdns", &msisdns), ("queryDate", &date)],
                )
                .await;
            per_kind.push(figures(&r, list, field));
        }
        days.push(per_kind);
    }
    for (k, (kind, list, field, _)) in KINDS.iter().enumerate() {
        let month = env
            .ok(
                &token,
                &batch(kind, "monthly"),
                &[("msisdns", &msisdns), ("queryDate", "202612")],
            )
            .await;
        assert_eq!(month["deadLine"], "20261205", "{month}");
        let month = figures(&month, list, field);
        for (c, month_figure) in month.iter().enumerate() {
            // The month up to yesterday is what the card had used by midnight.
            assert_eq!(
                month_figure, &month_to_date[c][k],
                "{kind} of {}: monthly batch vs sim-{kind}-usage at midnight",
                NUMBERS[c].0
            );
            let day_figures: Vec<&String> = days.iter().map(|d| &d[k][c]).collect();
            let context = format!(
                "{kind} of {}: days {day_figures:?}, month {month_figure}",
                NUMBERS[c].0
            );
            match *kind {
                // Each day rounds to the hundredth of a KB on its own.
                "data" => {
                    let sum: i64 = day_figures.iter().map(|f| hundredths(f)).sum();
                    let diff = (sum - hundredths(month_figure)).abs();
                    assert!(diff <= 3, "{context}");
                }
                "sms" => {
                    let sum: u64 = day_figures.iter().map(|f| f.parse::<u64>().unwrap()).sum();
                    assert_eq!(sum, month_figure.parse::<u64>().unwrap(), "{context}");
                }
                // Started minutes: a day's part-minute may round up once per
                // day, so the days reach the month and exceed it by at most
                // one minute a day.
                _ => {
                    let sum: u64 = day_figures.iter().map(|f| f.parse::<u64>().unwrap()).sum();
                    let month: u64 = month_figure.parse().unwrap();
                    assert!(sum >= month && sum <= month + 5, "{context}");
                }
            }
        }
    }
}

/// (kind, batch list, batch item field, single-card field), per
/// docs/protocol-cmcc.md's usage section.
const KINDS: [(&str, &str, &str, &str); 3] = [
    ("data", "dataAmountList", "dataAmount", "dataAmount"),
    ("sms", "smsAmountList", "sms", "smsAmount"),
    ("voice", "voiceAmountList", "voiceAmount", "voiceAmount"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    /// Random usage from Nov 29 to Dec 5 (Beijing), queried on Dec 6: the
    /// December monthly batch equals the sum of the Dec 1-5 daily batches.
    #[test]
    fn monthly_batch_is_the_sum_of_its_daily_batches(
        start_offset_h in 0..48i64,
        uses in proptest::collection::vec(usage(), 1..14),
        query_min in 0..1380i64,
    ) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(month_is_its_days(start_offset_h, uses, query_min));
    }
}
