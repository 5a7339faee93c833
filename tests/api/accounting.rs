//! Usage and money that add up at every hour, day and month boundary
//! (issue 18): a property test over random fleets, traces and clock moves,
//! and a black-box test per rule over HTTP, through a dialect and `/_sim`.
//!
//! The expectations come from the rules written down in `docs/rules.md`
//! ("Usage that adds up", "Money", "Sizes in replies"), which follow the
//! seed article (card-rules): an hour belongs to the Shanghai day it starts
//! in, cycles run from the 1st, money in fen and data in bytes, auto-stop
//! when usage *exceeds* the allowance (流量超出套餐就会自动关闭上网功能).

use carrier_sim::clock::{cycle_of, cycle_start, day_number};
use carrier_sim::domain::billing::ledger_balance;
use carrier_sim::domain::usage::{daily, day_usage, first_hour_of_day, hourly, hours_known};
use carrier_sim::world::World;
use carrier_sim::Simulator;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::admin::Admin;
use crate::common::cmcc::Cmcc;
use crate::common::{card, iccid, RULES_BASE};

const MB: u64 = 1024 * 1024;

// ---------------------------------------------------------------------------
// The property test

/// One random card: plan, opening usage, auto-stop, balance, pool, trace.
#[derive(Clone, Debug)]
struct CardSpec {
    next_month_plan: bool,
    used_mb: u64,
    auto_stop: bool,
    balance_fen: i64,
    pooled: bool,
    trace: TraceSpec,
}

#[derive(Clone, Debug)]
enum TraceSpec {
    None,
    Constant(u64),
    Profile(u64, Vec<u8>),
    Walk(u64),
    Bursts(u64),
    /// `total` MB burnt over `len` hours from `start` hours after the fixture start.
    Burn(u64, u32, u32),
}

fn trace_spec() -> impl Strategy<Value = TraceSpec> {
    prop_oneof![
        Just(TraceSpec::None),
        (1..200u64).prop_map(TraceSpec::Constant),
        ((1..200u64), proptest::collection::vec(0..9u8, 24))
            .prop_map(|(mb, w)| TraceSpec::Profile(mb, w)),
        (1..200u64).prop_map(TraceSpec::Walk),
        (1..50u64).prop_map(TraceSpec::Bursts),
        ((1..900u64), (0..400u32), (1..30u32)).prop_map(|(t, s, l)| TraceSpec::Burn(t, s, l)),
    ]
}

fn card_spec() -> impl Strategy<Value = CardSpec> {
    (
        any::<bool>(),
        0..1300u64,
        any::<bool>(),
        0..30_000i64,
        any::<bool>(),
        trace_spec(),
    )
        .prop_map(
            |(next_month_plan, used_mb, auto_stop, balance_fen, pooled, trace)| CardSpec {
                next_month_plan,
                used_mb,
                auto_stop,
                balance_fen,
                pooled,
                trace,
            },
        )
}

/// Where a clock move ends.
#[derive(Clone, Debug)]
enum Move {
    Minutes(i64),
    NextHour,
    NextDay,
    NextMonth,
    /// 23:mm of the current day (or the next day when already past it).
    LateEvening(i64),
}

fn clock_move() -> impl Strategy<Value = Move> {
    prop_oneof![
        (1..4000i64).prop_map(Move::Minutes),
        Just(Move::NextHour),
        Just(Move::NextDay),
        Just(Move::NextMonth),
        (0..60i64).prop_map(Move::LateEvening),
    ]
}

const START: &str = "2026-11-24T10:00:00+08:00";

fn fleet_text(cards: &[CardSpec]) -> String {
    let mut text =
        String::from("\n[[pools]]\nid = \"pl\"\nname = \"P\"\naccount = \"ec\"\ndata = \"2GB\"\n");
    let start: Timestamp = START.parse().unwrap();
    for (i, c) in cards.iter().enumerate() {
        let n = i as u32 + 1;
        let plan = if c.next_month_plan { "p1g-next" } else { "p1g" };
        let pool = if c.pooled { "pool = \"pl\"\n" } else { "" };
        text += &card(
            n,
            &format!(
                "plan = \"{plan}\"\ndata_used = \"{}MB\"\nauto_stop = {}\nbalance_fen = {}\n{pool}tags = [\"c{n}\"]",
                c.used_mb, c.auto_stop, c.balance_fen
            ),
        );
    }
    for (i, c) in cards.iter().enumerate() {
        let n = i + 1;
        let head = format!("\n[[traces]]\nid = \"t{n}\"\napplies_to = {{ tag = \"c{n}\" }}\n");
        let body = match &c.trace {
            TraceSpec::None => continue,
            TraceSpec::Constant(mb) => format!("kind = \"constant\"\nper_day = \"{mb}MB\"\n"),
            TraceSpec::Profile(mb, w) => {
                format!("kind = \"daily_profile\"\nper_day = \"{mb}MB\"\nhours = {w:?}\n")
            }
            TraceSpec::Walk(mb) => {
                format!("kind = \"random_walk\"\nper_day = \"{mb}MB\"\nspread = 0.7\n")
            }
            TraceSpec::Bursts(mb) => {
                format!("kind = \"bursts\"\nsize = \"{mb}MB\"\nchance = 0.2\n")
            }
            TraceSpec::Burn(total, s, l) => {
                let from = start + SignedDuration::from_hours(i64::from(*s));
                let to = from + SignedDuration::from_hours(i64::from(*l));
                format!(
                    "kind = \"burn\"\ntotal = \"{total}MB\"\nstart = \"{from}\"\nend = \"{to}\"\n"
                )
            }
        };
        text += &head;
        text += &body;
    }
    text
}

fn build(cards: &[CardSpec]) -> std::sync::Arc<World> {
    let text = format!("{RULES_BASE}{}", fleet_text(cards));
    let fx = carrier_sim::fixture::load(&text).unwrap_or_else(|p| panic!("fixture: {p:?}"));
    World::new(fx)
}

/// The instant a move ends at, from `now` (Shanghai calendar).
fn target(now: Timestamp, m: &Move) -> Timestamp {
    let s = now.as_second();
    let local_day_start = |s: i64| (s + 8 * 3600).div_euclid(86_400) * 86_400 - 8 * 3600;
    let t = match m {
        Move::Minutes(n) => s + n * 60,
        Move::NextHour => (s.div_euclid(3600) + 1) * 3600,
        Move::NextDay => local_day_start(s) + 86_400,
        Move::NextMonth => cycle_start(cycle_of(now) + 1).as_second(),
        Move::LateEvening(min) => {
            let today = local_day_start(s) + 23 * 3600 + min * 60;
            if today > s {
                today
            } else {
                today + 86_400
            }
        }
    };
    Timestamp::from_second(t).unwrap()
}

/// Every sum the issue asks for, on every card and the pool.
fn check_sums(w: &World, n: usize) -> Result<(), TestCaseError> {
    let now = w.now();
    let cycle = cycle_of(now);
    let mut members = 0u64;
    for i in 1..=n as u32 {
        let c = w.card(&iccid(i)).unwrap();
        prop_assert_eq!(c.cycle, cycle, "card {} is in the current cycle", i);
        for cyc in [cycle, cycle - 1] {
            let days: Vec<(i32, u64)> = daily(&c)
                .into_iter()
                .filter(|(d, _)| cycle_of(day_start(*d)) == cyc)
                .map(|(d, u)| (d, u.data_bytes))
                .collect();
            let by_days: u64 = days.iter().map(|(_, b)| b).sum();
            prop_assert_eq!(
                by_days,
                c.usage_in(cyc).data_bytes,
                "card {}: the days of {} add up to the cycle",
                i,
                cyc
            );
            for (d, bytes) in &days {
                prop_assert_eq!(*bytes, day_usage(&c, *d).data_bytes);
                if hours_known(&c, *d) {
                    let hours: u64 = hourly(&c, *d).iter().sum();
                    prop_assert_eq!(hours, *bytes, "card {}: the hours of day {} add up", i, d);
                }
            }
        }
        // The whole current cycle by hours (always within the hour history).
        let first_day = day_number(cycle_start(cycle));
        let by_hours: u64 = (first_day..=day_number(now))
            .map(|d| hourly(&c, d).iter().sum::<u64>())
            .sum();
        prop_assert_eq!(
            by_hours,
            c.usage.data_bytes,
            "card {}: hours add up to the cycle",
            i
        );
        prop_assert_eq!(
            ledger_balance(&c),
            c.balance_fen,
            "card {}: balance = opening + ledger",
            i
        );
        if c.pool.is_some() {
            members += c.usage.data_bytes;
        }
    }
    let pool = w.pool("pl").unwrap();
    prop_assert_eq!(
        pool.used_in(cycle),
        members,
        "the pool's usage is its members' sum"
    );
    Ok(())
}

fn day_start(day: i32) -> Timestamp {
    Timestamp::from_second(i64::from(first_hour_of_day(day)) * 3600).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn usage_and_money_add_up_at_every_boundary(
        cards in proptest::collection::vec(card_spec(), 1..6),
        moves in proptest::collection::vec(clock_move(), 1..8),
    ) {
        let stepped = build(&cards);
        check_sums(&stepped, cards.len())?;
        let mut now = stepped.now();
        let mut on_hours = true;
        for m in &moves {
            now = target(now, m);
            on_hours &= now.as_second() % 3600 == 0;
            stepped.advance_to(now).unwrap();
            check_sums(&stepped, cards.len())?;
        }
        // One jump to the same instant gives the same world. Members of a
        // pool take turns hour by hour, so a move that stops inside an hour
        // changes who drains the pool first in it (known limitation,
        // docs/traces.md): pooled cards are compared when every move ended
        // on an hour boundary.
        let jumped = build(&cards);
        jumped.advance_to(now).unwrap();
        let compared = |i: usize| on_hours || !cards[i - 1].pooled;
        for i in (1..=cards.len()).filter(|i| compared(*i)) {
            let n = i as u32;
            let (a, mut b) = (jumped.card(&iccid(n)).unwrap(), stepped.card(&iccid(n)).unwrap());
            b.synced = a.synced;
            b.updated = a.updated;
            let mut a = a;
            if !on_hours {
                // The pool members' events (compared only on hour
                // boundaries) shift the journal's numbers.
                for e in a.events.iter_mut().chain(b.events.iter_mut()) {
                    e.seq = 0;
                }
            }
            prop_assert_eq!(a, b, "card {}: one jump = {} moves", i, moves.len());
        }
        let keep: Vec<String> = (1..=cards.len()).filter(|i| compared(*i)).map(|i| iccid(i as u32)).collect();
        let journal = |w: &World| -> Vec<String> {
            w.journal
                .all()
                .iter()
                .filter(|e| keep.iter().any(|k| k == e.iccid.as_str()))
                .map(|e| format!("{} {} {:?}", e.time, e.iccid, e.kind))
                .collect()
        };
        prop_assert_eq!(journal(&jumped), journal(&stepped));
        if on_hours {
            prop_assert_eq!(jumped.pool("pl"), stepped.pool("pl"));
        }
    }
}

// ---------------------------------------------------------------------------
// Black-box tests, one per rule

/// The default fleet plus `extra` TOML (cards on the demo accounts).
async fn sim_with(extra: &str) -> Simulator {
    let text = format!("{}\n{extra}", carrier_sim::fixture::DEFAULT_FIXTURE);
    Simulator::builder().fixture_str(&text).start().await
}

/// An extra CMCC card of the demo account (plan `cmcc-1g`: 1 GB, 10 yuan a
/// month, 3 fen per MB of overage, 120 yuan for 12 months).
fn cmcc_card(serial: u64, extra: &str) -> (String, String, String) {
    use carrier_sim::domain::ids::{make_iccid, make_imsi, make_msisdn};
    use carrier_sim::domain::Carrier;
    let iccid = make_iccid(Carrier::Cmcc, 0, 90_000 + serial);
    let msisdn = make_msisdn(Carrier::Cmcc, 90_000 + serial);
    let toml = format!(
        "\n[[cards]]\niccid = \"{iccid}\"\nimsi = \"{}\"\nmsisdn = \"{msisdn}\"\naccount = \"cmcc-demo\"\nplan = \"cmcc-1g\"\n{extra}\n",
        make_imsi(Carrier::Cmcc, 0, 90_000 + serial)
    );
    (iccid, msisdn, toml)
}

async fn set_clock(admin: &Admin, to: &str) {
    let (status, body) = admin
        .call(Method::POST, "/_sim/clock", Some(json!({"set": to})))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn usage_of(admin: &Admin, iccid: &str, cycle: &str) -> Value {
    admin
        .get(&format!("/_sim/cards/{iccid}/usage?cycle={cycle}"))
        .await
}

fn day<'a>(usage: &'a Value, date: &str) -> Option<&'a Value> {
    usage["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == date)
}

/// CMCC KB with two decimals, as OneLink prints data amounts.
fn kb(bytes: u64) -> String {
    let hundredths = (bytes as u128 * 100 + 512) / 1024;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Item 1: the last hour of November belongs to November; December's pool
/// starts at zero, like its members.
#[tokio::test]
async fn a_pools_new_month_starts_clean() {
    // 100 MB burnt by a pool member between 23:00 and 24:00 on 30 Nov.
    let sim = sim_with(
        r#"
[[traces]]
id = "last-hour"
kind = "burn"
total = "100MB"
start = "2026-11-30T23:00:00+08:00"
end = "2026-12-01T00:00:00+08:00"
applies_to = { tag = "pool-a", carrier = "cmcc" }
"#,
    )
    .await;
    let env = Cmcc::with(sim);
    let admin = &env.admin;
    let member = admin.iccid_by_tag("cmcc", "pool-a").await;
    let msisdn = admin.card(&member).await["msisdn"]
        .as_str()
        .unwrap()
        .to_string();
    set_clock(admin, "2026-12-01T00:00:00+08:00").await;

    let pool = admin.get("/_sim/pools/200000000001").await;
    assert_eq!(pool["used_bytes"], 0, "{pool}");
    let token = env.token().await;
    let inpool = env
        .ok(
            &token,
            "/query/sim-data-usage-inpool",
            &[("msisdn", &msisdn)],
        )
        .await;
    assert_eq!(inpool["dataAmount"], "0.00", "{inpool}");
    assert_eq!(inpool["poolUseAmount"], "0.00", "{inpool}");

    // November kept the burn, in the hour it happened.
    let nov = usage_of(admin, &member, "202611").await;
    let last = day(&nov, "2026-11-30").expect("30 Nov has usage");
    assert!(last["hours"][23].as_u64().unwrap() >= 100 * MB, "{last}");
    let days: u64 = nov["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["data_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(days, nov["data_bytes"].as_u64().unwrap());
}

/// Item 2: 23:00-24:00 is counted on its own day.
#[tokio::test]
async fn the_last_hour_of_a_day_counts_on_that_day() {
    let (iccid, msisdn, card) = cmcc_card(1, "tags = [\"late\"]");
    let sim = sim_with(&format!(
        r#"{card}
[[traces]]
id = "late"
kind = "burn"
total = "100MB"
start = "2026-11-24T23:00:00+08:00"
end = "2026-11-25T00:00:00+08:00"
applies_to = {{ tag = "late" }}
"#
    ))
    .await;
    let env = Cmcc::with(sim);
    set_clock(&env.admin, "2026-11-25T12:00:00+08:00").await;
    let token = env.token().await;
    let r = env
        .ok(
            &token,
            "/query/sim-data-usage-daily/batch",
            &[("msisdns", &msisdn), ("queryDate", "20261124")],
        )
        .await;
    assert_eq!(r["dataAmountList"][0]["dataAmount"], kb(100 * MB).as_str());
    // 25 Nov is today: not queryable in the daily batch; /_sim shows it empty.
    let usage = usage_of(&env.admin, &iccid, "202611").await;
    let d24 = day(&usage, "2026-11-24").unwrap();
    assert_eq!(d24["data_bytes"], 100 * MB);
    assert_eq!(d24["hours"][23], 100 * MB);
    assert!(day(&usage, "2026-11-25").is_none(), "{usage}");
}

/// Item 3: opening usage is spread over the elapsed days of the cycle.
#[tokio::test]
async fn opening_usage_has_its_days() {
    // The default fleet's CMCC "normal" card starts (24 Nov 10:00) with
    // 373,502,771 bytes used and a constant trace: spread evenly over the
    // 23 elapsed days 1-23 Nov, each day gets 1/23 (to the byte, floors of
    // the cumulative share), 24 Nov starts empty.
    let env = Cmcc::start().await;
    let admin = &env.admin;
    let card = admin.card_by_tag("cmcc", "normal").await;
    let iccid = card["iccid"].as_str().unwrap();
    let msisdn = card["msisdn"].as_str().unwrap();
    let total: u64 = 373_502_771;
    let usage = usage_of(admin, iccid, "202611").await;
    assert_eq!(usage["data_bytes"], total);
    let days = usage["days"].as_array().unwrap();
    assert_eq!(days.len(), 23, "{usage}");
    for (i, d) in days.iter().enumerate() {
        let k = i as u64;
        let share = total * (k + 1) / 23 - total * k / 23;
        assert_eq!(d["date"], format!("2026-11-{:02}", i + 1));
        assert_eq!(d["data_bytes"], share);
        let hours: u64 = d["hours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_u64().unwrap())
            .sum();
        assert_eq!(hours, share, "hours add up to {d}");
    }
    // The dialect's daily view reads the same day (20 Nov is day 20).
    let token = env.token().await;
    let r = env
        .ok(
            &token,
            "/query/sim-data-usage-daily/batch",
            &[("msisdns", msisdn), ("queryDate", "20261120")],
        )
        .await;
    let share = total * 20 / 23 - total * 19 / 23;
    assert_eq!(r["dataAmountList"][0]["dataAmount"], kb(share).as_str());
    // And the card view's daily_usage.
    let days_view: u64 = admin.card(iccid).await["daily_usage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["data_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(days_view, total);
}

/// Item 4: a constant 20 MB/day trace gives exactly 20 MB a day.
#[tokio::test]
async fn a_constant_trace_gives_its_exact_amount_a_day() {
    let (iccid, msisdn, card) = cmcc_card(2, "tags = [\"steady20\"]");
    let sim = sim_with(&format!(
        "{card}\n[[traces]]\nid = \"steady20\"\nkind = \"constant\"\nper_day = \"20MB\"\napplies_to = {{ tag = \"steady20\" }}\n"
    ))
    .await;
    let env = Cmcc::with(sim);
    set_clock(&env.admin, "2026-11-28T00:00:00+08:00").await;
    let token = env.token().await;
    for date in ["20261125", "20261126", "20261127"] {
        let r = env
            .ok(
                &token,
                "/query/sim-data-usage-daily/batch",
                &[("msisdns", &msisdn), ("queryDate", date)],
            )
            .await;
        // 20 MB = 20480 KB exactly (it was 20479.99: 8 bytes short).
        assert_eq!(r["dataAmountList"][0]["dataAmount"], "20480.00", "{date}");
    }
    let usage = usage_of(&env.admin, &iccid, "202611").await;
    for date in ["2026-11-25", "2026-11-26", "2026-11-27"] {
        assert_eq!(day(&usage, date).unwrap()["data_bytes"], 20 * MB, "{date}");
    }
}

/// Item 5: renewal priced pro rata per month of the term (rounded to the
/// fen); a renewal the balance cannot pay is refused and changes nothing.
#[tokio::test]
async fn renewal_is_priced_per_month_of_the_term() {
    let env = Cmcc::start().await;
    let admin = &env.admin;
    let iccid = admin.iccid_by_tag("cmcc", "normal").await;
    let msisdn = admin.card(&iccid).await["msisdn"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = admin
        .call(
            Method::PATCH,
            &format!("/_sim/cards/{iccid}"),
            Some(json!({"balance_fen": 1_000_000})),
        )
        .await;
    assert_eq!(status, 200);
    // cmcc-1g: 120.00 yuan for 12 months = 10.00 a month.
    let mut balance = 1_000_000i64;
    for (months, price) in [(1, 1000), (6, 6000), (12, 12000), (13, 13000), (24, 24000)] {
        admin
            .card_action(&iccid, json!({"action": "renew", "months": months}))
            .await;
        let card = admin.card(&iccid).await;
        let entry = card["ledger"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(entry["kind"], "renewal");
        assert_eq!(entry["amount_fen"], -price, "{months} months");
        balance -= price;
        assert_eq!(card["balance_fen"], balance);
    }
    // The dialect's balance agrees.
    let token = env.token().await;
    let b = env
        .ok(&token, "/query/balance-info", &[("msisdn", &msisdn)])
        .await;
    assert_eq!(b["amount"], format!("{}.00", balance / 100), "{b}");
    // Too little money: refused, nothing changes.
    admin
        .call(
            Method::PATCH,
            &format!("/_sim/cards/{iccid}"),
            Some(json!({"balance_fen": 500})),
        )
        .await;
    let before = admin.card(&iccid).await;
    let (status, body) = admin
        .call(
            Method::POST,
            &format!("/_sim/cards/{iccid}/actions"),
            Some(json!({"action": "renew", "months": 1})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("does not cover"),
        "{body}"
    );
    let after = admin.card(&iccid).await;
    assert_eq!(after["balance_fen"], 500);
    assert_eq!(after["expires"], before["expires"]);
    assert_eq!(after["state"], "active");
}

/// Item 6: a card's events carry the journal's sequence numbers.
#[tokio::test]
async fn card_events_carry_the_journal_seq() {
    let env = Cmcc::start().await;
    let admin = &env.admin;
    let iccid = admin.iccid_by_tag("cmcc", "normal").await;
    // Events from a dialect call (a manual stop), an admin action and a
    // clock move (usage thresholds, rollover, fees).
    let msisdn = admin.card(&iccid).await["msisdn"]
        .as_str()
        .unwrap()
        .to_string();
    let token = env.token().await;
    let r = env
        .call(
            &token,
            "/change/sim-status",
            &[("msisdn", &msisdn), ("operType", "0")],
        )
        .await;
    assert_eq!(r["status"], "0", "{r}");
    admin
        .card_action(&iccid, json!({"action": "top_up", "amount_fen": 100}))
        .await;
    admin
        .call(Method::POST, "/_sim/clock", Some(json!({"advance": "40d"})))
        .await;
    let card = admin.card(&iccid).await;
    let journal = admin
        .get(&format!("/_sim/events?card={iccid}&limit=1000"))
        .await;
    let journal_items = journal["items"].as_array().unwrap().clone();
    let key = |e: &Value| (e["time"].clone(), e["type"].clone(), e["seq"].clone());
    let from_card: Vec<_> = card["events"].as_array().unwrap().iter().map(key).collect();
    let from_journal: Vec<_> = journal_items.iter().map(key).collect();
    assert!(from_card.len() >= 3, "{card}");
    assert!(from_card
        .iter()
        .all(|(_, _, seq)| seq.as_u64().unwrap() > 0));
    let mut sorted_card = from_card.clone();
    sorted_card.sort_by_key(|k| k.2.as_u64());
    assert_eq!(sorted_card, from_journal);
}

/// Item 7: overage a card starts with is billed at the start, as a bill
/// lists it; the next MB is billed on its own.
#[tokio::test]
async fn opening_overage_is_billed_at_the_start() {
    // The default fleet's CMCC "overage" card: 1,094,713,344 bytes used of
    // 1 GB = 20 MB over, 3 fen per MB, balance 30.00 yuan, no auto-stop.
    let env = Cmcc::start().await;
    let admin = &env.admin;
    let iccid = admin.iccid_by_tag("cmcc", "overage").await;
    let card = admin.card(&iccid).await;
    let msisdn = card["msisdn"].as_str().unwrap().to_string();
    let ledger = card["ledger"].as_array().unwrap();
    assert_eq!(ledger.len(), 1, "{card}");
    assert_eq!(ledger[0]["kind"], "overage");
    assert_eq!(ledger[0]["amount_fen"], -60);
    assert_eq!(ledger[0]["time"], START);
    assert_eq!(card["balance_fen"], 3000 - 60);
    assert_eq!(card["opening_balance_fen"], 3000);
    let token = env.token().await;
    let b = env
        .ok(&token, "/query/balance-info", &[("msisdn", &msisdn)])
        .await;
    assert_eq!(b["amount"], "29.40", "{b}");
    // One more MB: one entry of 1 MB (3 fen), not 21 MB.
    admin
        .card_action(&iccid, json!({"action": "use_data", "bytes": "1MB"}))
        .await;
    let card = admin.card(&iccid).await;
    let last = card["ledger"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "overage");
    assert_eq!(last["amount_fen"], -3, "{last}");
    let events = admin
        .get(&format!("/_sim/events?card={iccid}&type=charged"))
        .await;
    let items = events["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{events}");
}

/// Item 8: the unit is chosen after rounding: 1023.995 MB is 1.00GB.
#[tokio::test]
async fn sizes_just_under_a_gigabyte_print_as_gigabytes() {
    // 1 GB - 5242 bytes = 1023.995 MB used, read through the reply
    // template's {used} and {remain} (the shared size formatter).
    let (iccid, _, card) = cmcc_card(3, &format!("data_used = {}", 1024 * MB - MB / 200));
    let sim = sim_with(&format!(
        "{card}\n[dialects.sms.cmcc.templates]\ndata = \"已用{{used}}，剩余{{remain}}。\"\n"
    ))
    .await;
    let admin = Admin::new(&sim);
    let (status, body) = admin
        .call(
            Method::POST,
            &format!("/_sim/handsets/{iccid}/sms"),
            Some(json!({"to": "10086", "text": "CXLL"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let text = body["replies"][0]["text"].as_str().unwrap();
    assert_eq!(text, "已用1.00GB，剩余0.00MB。", "{body}");
    assert_eq!(
        admin.card(&iccid).await["usage"]["data_bytes"],
        1024 * MB - MB / 200
    );
}

/// Auto-stop fires on exceeding the allowance, not on reaching it.
#[tokio::test]
async fn auto_stop_fires_on_exceeding_not_reaching() {
    let (iccid, msisdn, card) = cmcc_card(4, "data_used = \"1000MB\"\nauto_stop = true");
    let env = Cmcc::with(sim_with(&card).await);
    let admin = &env.admin;
    admin
        .card_action(&iccid, json!({"action": "use_data", "bytes": "24MB"}))
        .await;
    let token = env.token().await;
    assert_eq!(
        env.card_status(&token, &msisdn).await,
        "2",
        "exactly 1 GB: in service"
    );
    admin
        .card_action(&iccid, json!({"action": "use_data", "bytes": 1}))
        .await;
    let card = admin.card(&iccid).await;
    assert_eq!(card["state"], "suspended");
    assert_eq!(card["reasons"], json!(["over_quota"]));
    assert_ne!(env.card_status(&token, &msisdn).await, "2");
}

/// In a pool beyond its allowance each member pays for its own started
/// megabytes, never for another member's.
#[test]
fn pool_members_pay_their_own_overage() {
    let pool = "\n[[pools]]\nid = \"pl\"\nname = \"P\"\naccount = \"ec\"\ndata = \"1GB\"\n";
    let cards = [
        card(1, "plan = \"p1g\"\npool = \"pl\"\nbalance_fen = 10000"),
        card(2, "plan = \"p1g\"\npool = \"pl\"\nbalance_fen = 10000"),
    ]
    .concat();
    let text = format!("{RULES_BASE}{pool}{cards}");
    let w = World::new(carrier_sim::fixture::load(&text).unwrap());
    let overage = |n: u32| -> Vec<i64> {
        w.card(&iccid(n))
            .unwrap()
            .ledger
            .iter()
            .filter(|e| e.kind == carrier_sim::domain::LedgerKind::Overage)
            .map(|e| e.amount_fen)
            .collect()
    };
    w.use_data(&iccid(1), 1024 * MB).unwrap();
    assert!(overage(1).is_empty(), "exactly the pool's allowance");
    // p1g: 2 fen per started MB.
    w.use_data(&iccid(2), MB).unwrap();
    assert_eq!(overage(2), vec![-2]);
    w.use_data(&iccid(1), MB).unwrap();
    assert_eq!(overage(1), vec![-2], "card 1 pays its own MB only");
    w.use_data(&iccid(2), 1).unwrap();
    assert_eq!(overage(2), vec![-2, -2], "card 2 started its second MB");
    assert_eq!(w.pool("pl").unwrap().used_bytes, 1026 * MB + 1);
}
