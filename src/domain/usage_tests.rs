//! Unit tests of `domain::usage` and of the card's counters (`domain::card`),
//! kept beside the module so mutants of the rules die in the fast unit
//! tests. Expectations come from the rules as written, never from running
//! the code: `docs/rules.md` (over-quota stop on *exceeding* the
//! allowance, overage per started MB at the second its first byte is used,
//! the threshold cut, hours belonging to the day they start in, the hour
//! history of a cycle and a day, opening usage spread so the shares add
//! up), `docs/traces.md` (marks at 50/80/90/100 % of the allowance) and
//! `docs/cucc.md` (first-use activation, the TEST_READY allowance).

use serde_json::json;

use super::card::{CardState, Reason, DAY_HISTORY};
use super::event::EventKind;
use super::money::{GB, MB};
use super::plan::RenewalEffect;
use super::test_support::{at, card, plan, plan_with, NOW};
use super::usage::*;
use crate::clock::{cycle_of, cycle_start, day_number};

fn thresholds(c: &super::Card) -> Vec<(u8, u64)> {
    c.events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::UsageThreshold {
                percent,
                used_bytes,
                allowance_bytes,
            } => {
                assert_eq!(allowance_bytes, GB);
                Some((percent, used_bytes))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn marks_at_each_share_then_the_stop_on_the_first_byte_beyond() {
    // A share p is reached at the first whole byte ≥ p % of 1 GiB.
    let p = plan(RenewalEffect::ThisMonth);
    let mut c = card(json!({"auto_stop": true}));
    let mut q = own_quota(&c, &p);
    assert_eq!(
        q,
        Quota {
            allowance: GB,
            used: 0,
            pooled: false
        }
    );
    let mut stops = Vec::new();
    for _ in 0..10 {
        let n = bytes_to_next_mark(&c, &q);
        assert_eq!(record_data(&mut c, &p, &mut q, n, at(NOW)), n);
        stops.push(q.used);
        if !c.reasons.is_empty() {
            break;
        }
    }
    assert_eq!(
        stops,
        [536_870_912, 858_993_460, 966_367_642, GB, GB + 1],
        "50 %, 80 %, 90 %, 100 %, then one byte beyond"
    );
    assert_eq!(
        thresholds(&c),
        [
            (50, 536_870_912),
            (80, 858_993_460),
            (90, 966_367_642),
            (100, GB)
        ]
    );
    assert_eq!(c.usage.data_bytes, GB + 1);
    assert_eq!(c.state, CardState::Suspended);
    assert!(c.reasons.contains(Reason::OverQuota));
    assert!(c.ledger.is_empty(), "an auto-stop card pays no overage");
    // A stopped card carries no more data.
    assert!(!can_carry_data(&c));
    assert_eq!(record_data(&mut c, &p, &mut q, 5, at(NOW)), 0);
    assert_eq!(c.usage.data_bytes, GB + 1);
}

#[test]
fn using_exactly_the_allowance_keeps_an_auto_stop_card_in_service() {
    let p = plan(RenewalEffect::ThisMonth);
    let mut c = card(json!({"auto_stop": true}));
    let mut q = own_quota(&c, &p);
    record_data(&mut c, &p, &mut q, GB, at(NOW));
    assert_eq!(c.state, CardState::Active);
    assert_eq!(bytes_to_next_mark(&c, &q), 1, "the next byte stops it");
    // One chunk across every mark: each share once, and the stop.
    let mut c = card(json!({"auto_stop": true}));
    let mut q = own_quota(&c, &p);
    record_data(&mut c, &p, &mut q, 2 * GB, at(NOW));
    let percents: Vec<u8> = thresholds(&c).into_iter().map(|t| t.0).collect();
    assert_eq!(percents, [50, 80, 90, 100]);
    assert!(c.reasons.contains(Reason::OverQuota));
}

#[test]
fn overage_is_billed_per_started_mb_when_its_first_byte_is_used() {
    // 2 fen per started MB beyond the 1 GiB allowance, no auto-stop.
    let p = plan(RenewalEffect::ThisMonth);
    let mut c = card(json!({}));
    let mut q = own_quota(&c, &p);
    record_data(&mut c, &p, &mut q, GB, at(NOW));
    assert!(c.ledger.is_empty(), "nothing beyond the allowance yet");
    assert_eq!(bytes_to_next_mark(&c, &q), 1);
    record_data(&mut c, &p, &mut q, 1, at(NOW));
    assert_eq!(c.balance_fen, 10_000 - 2, "the first MB is started");
    assert_eq!(c.ledger[0].note, "1 MB");
    assert_eq!(c.overage_charged_bytes, MB);
    // The rest of that MB costs nothing more; the next mark is the first
    // byte of the second MB.
    assert_eq!(bytes_to_next_mark(&c, &q), MB);
    record_data(&mut c, &p, &mut q, MB - 1, at(NOW));
    assert_eq!(c.balance_fen, 10_000 - 2);
    assert_eq!(bytes_to_next_mark(&c, &q), 1);
    record_data(&mut c, &p, &mut q, 1, at(NOW));
    assert_eq!(c.balance_fen, 10_000 - 4);
    // 3 MB and 5 bytes at once, from 1 byte into the 2nd MB beyond to 6
    // bytes into the 5th: the 3rd, 4th and 5th MB are started.
    record_data(&mut c, &p, &mut q, 3 * MB + 5, at(NOW));
    assert_eq!(c.balance_fen, 10_000 - 10);
    assert_eq!(c.ledger.last().unwrap().note, "3 MB");
    assert_eq!(c.ledger.len(), 3);
    assert_eq!(c.state, CardState::Active, "overage never stops the card");
    // A plan without an overage price charges nothing.
    let free = plan_with(RenewalEffect::ThisMonth, json!({"overage_fen_per_mb": 0}));
    let mut c = card(json!({}));
    let mut q = own_quota(&c, &free);
    record_data(&mut c, &free, &mut q, 2 * GB, at(NOW));
    assert!(c.ledger.is_empty());
}

#[test]
fn pool_members_pay_for_their_own_megabytes_beyond_the_pool() {
    // docs/rules.md: once the pool is beyond its allowance each member
    // pays for every MB *it* starts.
    let p = plan(RenewalEffect::ThisMonth);
    let mut c = card(json!({"pool": "pool1"}));
    let mut q = Quota {
        allowance: 10 * MB,
        used: 10 * MB - 1,
        pooled: true,
    };
    record_data(&mut c, &p, &mut q, 1, at(NOW));
    assert_eq!(c.pool_over_bytes, 0, "the pool is full, not beyond");
    assert!(c.ledger.is_empty());
    assert!(
        thresholds(&c).is_empty(),
        "a pool's shares are the pool's, not a member's"
    );
    record_data(&mut c, &p, &mut q, 3, at(NOW));
    assert_eq!(c.pool_over_bytes, 3);
    assert_eq!(q.used, 10 * MB + 3);
    assert_eq!(c.balance_fen, 10_000 - 2);
    // Within that MB the next mark is the first byte of the next MB.
    assert_eq!(bytes_to_next_mark(&c, &q), MB - 3 + 1);
}

#[test]
fn the_threshold_cut_stops_data_when_reached() {
    // docs/rules.md: CTCC 达量断网, data stops when the usage reaches the
    // threshold (the total, or beyond the plan); the state is unchanged.
    let p = plan(RenewalEffect::ThisMonth);
    let mut c =
        card(json!({"threshold": {"quota_bytes": 100, "beyond_plan": false, "reached": false}}));
    let mut q = own_quota(&c, &p);
    record_data(&mut c, &p, &mut q, 99, at(NOW));
    assert!(can_carry_data(&c));
    assert_eq!(bytes_to_next_mark(&c, &q), 1);
    record_data(&mut c, &p, &mut q, 1, at(NOW));
    assert!(c.threshold.unwrap().reached);
    assert!(!can_carry_data(&c));
    assert_eq!(c.state, CardState::Active);
    let cut = c.events.iter().any(|e| {
        matches!(&e.kind, EventKind::Edited { field, to, .. }
            if field == "threshold_cut" && to == "已达量断网")
    });
    assert!(cut);
    assert_eq!(record_data(&mut c, &p, &mut q, 1, at(NOW)), 0);
    // Beyond the plan: reached at allowance + quota.
    let mut c =
        card(json!({"threshold": {"quota_bytes": 10, "beyond_plan": true, "reached": false}}));
    let mut q = own_quota(&c, &p);
    record_data(&mut c, &p, &mut q, GB + 9, at(NOW));
    assert!(!c.threshold.unwrap().reached);
    assert_eq!(bytes_to_next_mark(&c, &q), 1);
    record_data(&mut c, &p, &mut q, 1, at(NOW));
    assert!(c.threshold.unwrap().reached);
    // Quota 0: the first byte cuts (docs/ctcc.md offNetAction).
    let mut c =
        card(json!({"threshold": {"quota_bytes": 0, "beyond_plan": false, "reached": false}}));
    let mut q = own_quota(&c, &p);
    check_threshold_cut(&mut c, &q, at(NOW));
    assert!(!c.threshold.unwrap().reached, "nothing used yet");
    record_data(&mut c, &p, &mut q, 1, at(NOW));
    assert!(c.threshold.unwrap().reached);
    // Unlimited (-1): never cut.
    let mut c =
        card(json!({"threshold": {"quota_bytes": null, "beyond_plan": false, "reached": false}}));
    let mut q = own_quota(&c, &p);
    record_data(&mut c, &p, &mut q, 3 * GB, at(NOW));
    assert!(!c.threshold.unwrap().reached);
}

#[test]
fn first_data_use_activates_an_activation_ready_card() {
    // docs/cucc.md: ACTIVATION_READY becomes ACTIVATED on its first data
    // use, before the bytes are counted; first month's fee charged.
    let p = plan(RenewalEffect::ThisMonth);
    let mut c = card(json!({"state": "activation_ready", "activated": null}));
    let mut q = own_quota(&c, &p);
    assert_eq!(record_data(&mut c, &p, &mut q, 10, at(NOW)), 10);
    assert_eq!(c.state, CardState::Active);
    assert_eq!(c.activated, Some(at(NOW)));
    assert_eq!(c.balance_fen, 9_000);
    assert_eq!(c.usage.data_bytes, 10);
    // Nothing used: nothing happens.
    let mut c = card(json!({"state": "activation_ready", "activated": null}));
    let before = c.clone();
    let mut q = own_quota(&c, &p);
    assert_eq!(record_data(&mut c, &p, &mut q, 0, at(NOW)), 0);
    assert_eq!(c, before);
}

#[test]
fn a_test_ready_card_activates_when_its_test_allowance_is_used() {
    // docs/cucc.md: TEST_READY keeps its status while it uses the plan's
    // test allowance and turns ACTIVATED once its usage reaches it; never
    // stopped over quota while testing.
    let p = plan_with(
        RenewalEffect::ThisMonth,
        json!({"test_data_bytes": 10 * MB, "data_bytes": 100 * MB}),
    );
    let mut c = card(json!({"state": "test_ready", "activated": null, "auto_stop": true}));
    let mut q = own_quota(&c, &p);
    record_data(&mut c, &p, &mut q, 10 * MB - 1, at(NOW));
    assert_eq!(c.state, CardState::TestReady);
    assert!(c.reasons.is_empty(), "not stopped over quota while testing");
    record_data(&mut c, &p, &mut q, 1, at(NOW));
    assert_eq!(c.state, CardState::Active);
    assert_eq!(c.activated, Some(at(NOW)));
    // Without a test allowance a test card stays a test card.
    let none = plan_with(RenewalEffect::ThisMonth, json!({"test_data_bytes": 0}));
    let mut c = card(json!({"state": "test_ready"}));
    let mut q = own_quota(&c, &none);
    record_data(&mut c, &none, &mut q, MB, at(NOW));
    assert_eq!(c.state, CardState::TestReady);
}

#[test]
fn add_ons_count_in_their_cycles_only() {
    let p = plan(RenewalEffect::ThisMonth);
    let nov = cycle_of(at(NOW));
    let c = card(json!({"addons": [
        {"id": "a", "name": "this", "data_bytes": 100, "price_fen": 0, "cycle_from": nov, "cycle_to": nov},
        {"id": "b", "name": "next", "data_bytes": 20, "price_fen": 0, "cycle_from": nov + 1, "cycle_to": nov + 1},
        {"id": "c", "name": "open", "data_bytes": 3, "price_fen": 0, "cycle_from": nov - 1, "cycle_to": null},
    ]}));
    assert_eq!(c.addon_bytes(nov - 1), 3);
    assert_eq!(c.addon_bytes(nov), 103);
    assert_eq!(c.addon_bytes(nov + 1), 23);
    assert_eq!(c.addon_bytes(nov + 2), 3);
    assert_eq!(own_quota(&c, &p).allowance, GB + 103);
}

#[test]
fn usage_of_a_cycle_reads_live_counters_or_history() {
    let nov = cycle_of(at(NOW));
    let c = card(json!({
        "usage": {"data_bytes": 7, "sms": 1, "voice_seconds": 2},
        "months": [[nov - 1, {"data_bytes": 5, "sms": 0, "voice_seconds": 0}]],
    }));
    assert_eq!(c.usage_in(nov).data_bytes, 7);
    assert_eq!(c.usage_in(nov - 1).data_bytes, 5);
    assert_eq!(c.usage_in(nov - 2), Default::default());
    assert!(c.is_live());
    assert!(!card(json!({"state": "cancelled"})).is_live());
}

#[test]
fn which_states_carry_data() {
    for (state, reasons, flowing) in [
        ("active", json!([]), true),
        ("test_ready", json!([]), true),
        ("activation_ready", json!([]), true),
        ("inventory", json!([]), false),
        ("suspended", json!(["manual"]), false),
        ("pre_cancel", json!(["expired"]), false),
        ("cancelled", json!([]), false),
        ("active", json!(["data_cut"]), false),
    ] {
        let c = card(json!({"state": state, "reasons": reasons}));
        assert_eq!(c.data_flowing(), flowing, "{state} {reasons}");
        assert_eq!(can_carry_data(&c), flowing, "{state} {reasons}");
    }
}

#[test]
fn reason_sets_and_names() {
    use super::card::ReasonSet;
    let names = [
        (Reason::OverQuota, "over_quota"),
        (Reason::Manual, "manual"),
        (Reason::Arrears, "arrears"),
        (Reason::Expired, "expired"),
        (Reason::DataCut, "data_cut"),
    ];
    for (r, name) in names {
        assert_eq!(r.as_str(), name);
        assert_eq!(Reason::parse(name), Some(r));
    }
    assert_eq!(Reason::parse("x"), None);
    let mut s = ReasonSet::empty();
    assert!(s.is_empty());
    assert!(s.insert(Reason::Expired));
    assert!(!s.insert(Reason::Expired), "already held");
    assert!(s.insert(Reason::Manual));
    assert!(s.contains(Reason::Manual) && !s.contains(Reason::Arrears));
    assert_eq!(s.to_vec(), [Reason::Manual, Reason::Expired]);
    assert_eq!(
        serde_json::to_value(s).unwrap(),
        json!(["manual", "expired"])
    );
    assert!(s.remove(Reason::Manual));
    assert!(!s.remove(Reason::Manual), "already gone");
    assert_eq!(s.to_vec(), [Reason::Expired]);
    assert!(!s.is_empty());
    let states = [
        (CardState::Inventory, "inventory"),
        (CardState::TestReady, "test_ready"),
        (CardState::ActivationReady, "activation_ready"),
        (CardState::Active, "active"),
        (CardState::Suspended, "suspended"),
        (CardState::PreCancel, "pre_cancel"),
        (CardState::Cancelled, "cancelled"),
    ];
    for (s, name) in states {
        assert_eq!(s.as_str(), name);
        assert_eq!(CardState::parse(name), Some(s));
    }
}

#[test]
fn attribute_keys_follow_the_carrier_dot_key_convention() {
    use super::card::{attribute_key, canonical_attribute_key};
    use super::Carrier;
    assert_eq!(attribute_key(Carrier::Cucc, "deviceID"), "cucc.deviceID");
    assert_eq!(canonical_attribute_key("ctcc_imei_bind"), "ctcc.imei_bind");
    assert_eq!(canonical_attribute_key("cmcc.roaming"), "cmcc.roaming");
}

#[test]
fn an_hour_belongs_to_the_day_it_starts_in() {
    // 23:00–24:00 Shanghai is the last hour of its day.
    let h = hour_number(at("2026-11-24T23:30:00+08:00"));
    assert_eq!(hour_start(h), at("2026-11-24T23:00:00+08:00"));
    assert_eq!(day_of_hour(h), day_number(at("2026-11-24T12:00:00+08:00")));
    assert_eq!(
        day_of_hour(h + 1),
        day_number(at("2026-11-25T00:00:00+08:00"))
    );
    let day = day_number(at(NOW));
    assert_eq!(
        hour_start(first_hour_of_day(day)),
        at("2026-11-24T00:00:00+08:00")
    );
    assert_eq!(hour_number(at("1970-01-01T01:00:00Z")), 1);
    assert_eq!(hour_start(2), at("1970-01-01T02:00:00Z"));
}

#[test]
fn the_hour_and_day_history_add_up() {
    let p = plan(RenewalEffect::ThisMonth);
    let mut c = card(json!({}));
    let mut q = own_quota(&c, &p);
    let day = day_number(at(NOW));
    let h23 = hour_number(at("2026-11-24T23:00:00+08:00"));
    let h10 = hour_number(at(NOW));
    // Recorded at 00:00 the next day, for the hours 10:00 and 23:00.
    let used = record_data_in(
        &mut c,
        &p,
        &mut q,
        at("2026-11-25T00:00:00+08:00"),
        &[(h10, 300), (h23, 200)],
    );
    assert_eq!(used, 500);
    record_data_in(&mut c, &p, &mut q, at(NOW), &[(h10, 5)]);
    let hours = hourly(&c, day);
    assert_eq!(hours[10], 305);
    assert_eq!(hours[23], 200);
    assert_eq!(hours.iter().sum::<u64>(), 505);
    assert_eq!(day_usage(&c, day).data_bytes, 505);
    assert_eq!(day_usage(&c, day + 1).data_bytes, 0);
    assert_eq!(c.updated, at(NOW));
    // SMS and voice count in the day of now.
    record_sms(&mut c, 2, at(NOW));
    record_voice(&mut c, 60, at("2026-11-25T08:00:00+08:00"));
    assert_eq!(c.usage.sms, 2);
    assert_eq!(c.usage.voice_seconds, 60);
    assert_eq!(day_usage(&c, day).sms, 2);
    assert_eq!(day_usage(&c, day + 1).voice_seconds, 60);
    assert_eq!(c.updated, at("2026-11-25T08:00:00+08:00"));
    let days: Vec<(i32, u64, u32)> = daily(&c)
        .into_iter()
        .map(|(d, u)| (d, u.data_bytes, u.sms))
        .collect();
    assert_eq!(days, [(day, 505, 2), (day + 1, 0, 0)]);
    // Days arrive out of order and stay in order.
    record_sms(&mut c, 1, at("2026-11-20T08:00:00+08:00"));
    let order: Vec<i32> = daily(&c).into_iter().map(|(d, _)| d).collect();
    assert_eq!(order, [day - 4, day, day + 1]);
}

#[test]
fn an_hour_of_more_than_u32_max_bytes_takes_several_entries() {
    let p = plan_with(RenewalEffect::ThisMonth, json!({"data_bytes": 100 * GB}));
    let mut c = card(json!({}));
    let mut q = own_quota(&c, &p);
    let h = hour_number(at(NOW));
    let big = u64::from(u32::MAX) + 10;
    record_data_in(&mut c, &p, &mut q, at(NOW), &[(h, big)]);
    record_data_in(&mut c, &p, &mut q, at(NOW), &[(h, 7)]);
    record_data_in(&mut c, &p, &mut q, at(NOW), &[(h - 1, 1)]);
    assert_eq!(
        c.hours.as_slice(),
        [(h - 1, 1), (h, u32::MAX), (h, 17)],
        "hour order, full entries first"
    );
    assert_eq!(hourly(&c, day_number(at(NOW)))[10], big + 7);
}

#[test]
fn the_hour_history_keeps_the_cycle_and_the_previous_cycles_last_day() {
    let p = plan(RenewalEffect::ThisMonth);
    let mut c = card(json!({}));
    let mut q = own_quota(&c, &p);
    let hours = [
        at("2026-11-29T23:00:00+08:00"),
        at("2026-11-30T00:00:00+08:00"),
        at("2026-11-30T23:00:00+08:00"),
        at("2026-12-01T00:00:00+08:00"),
    ];
    for t in hours {
        record_data_in(&mut c, &p, &mut q, t, &[(hour_number(t), 1)]);
    }
    let dec = cycle_of(at("2026-12-01T00:00:00+08:00"));
    trim_hours(&mut c, dec);
    let kept: Vec<u32> = c.hours.iter().map(|(h, _)| *h).collect();
    assert_eq!(kept, [hours[1], hours[2], hours[3]].map(hour_number));
    c.cycle = dec;
    assert!(hours_known(&c, day_number(hours[1])), "Nov 30 is known");
    assert!(!hours_known(&c, day_number(hours[0])), "Nov 29 is not");
    assert!(hours_known(&c, day_number(hours[3])));
}

#[test]
fn the_day_history_is_capped() {
    let mut c = card(json!({}));
    let first = at("2026-09-01T12:00:00+08:00");
    for k in 0..(DAY_HISTORY as i64 + 3) {
        let t = first + jiff::SignedDuration::from_hours(24 * k);
        record_sms(&mut c, 1, t);
    }
    assert_eq!(c.days.len(), DAY_HISTORY);
    assert_eq!(c.days[0].0, day_number(first) + 3, "the oldest go first");
    assert_eq!(daily(&c).len(), DAY_HISTORY);
}

#[test]
fn opening_usage_is_spread_over_its_hours_and_adds_up() {
    // docs/rules.md: the opening usage is spread over the elapsed hours,
    // evenly without a trace shape; each hour's share is the difference
    // of cumulative floors, so the shares add up to the byte.
    let nov1 = at("2026-11-01T00:00:00+08:00");
    let first = hour_number(nov1);
    let total: u64 = 1_000_003;
    let even = vec![0u8; 24];
    let c = card(json!({
        "usage": {"data_bytes": total, "sms": 48, "voice_seconds": 0},
        "opening_usage": {
            "usage": {"data_bytes": total, "sms": 48, "voice_seconds": 0},
            "first_hour": first,
            "hours": 48,
            "shape": even,
        },
    }));
    let d1 = day_number(nov1);
    let day1 = hourly(&c, d1);
    let day2 = hourly(&c, d1 + 1);
    // 48 equal hours: 1_000_003 / 48 = 20833.4 → floors of k×total/48.
    for (k, got) in day1.iter().enumerate() {
        let k = k as u64;
        let want = (k + 1) * total / 48 - k * total / 48;
        assert_eq!(*got, want, "hour {k}");
    }
    assert_eq!(day1.iter().sum::<u64>(), 24 * total / 48);
    assert_eq!(
        day1.iter().sum::<u64>() + day2.iter().sum::<u64>(),
        total,
        "to the byte"
    );
    assert_eq!(day_usage(&c, d1).sms, 24);
    assert_eq!(day_usage(&c, d1 + 1).sms, 24);
    assert_eq!(
        day_usage(&c, d1 + 2),
        Default::default(),
        "after the spread"
    );
    assert_eq!(day_usage(&c, d1 - 1), Default::default(), "before it");
    let days: Vec<i32> = daily(&c).into_iter().map(|(d, _)| d).collect();
    assert_eq!(days, [d1, d1 + 1]);
}

#[test]
fn opening_usage_follows_the_trace_shape() {
    // A shape that only uses the hours from 08:00 to 10:00 Shanghai:
    // weights 1 at 08:00, 3 at 09:00.
    let mut shape = vec![0u8; 24];
    shape[8] = 1;
    shape[9] = 3;
    let nov1 = at("2026-11-01T00:00:00+08:00");
    let c = card(json!({
        "opening_usage": {
            "usage": {"data_bytes": 800, "sms": 0, "voice_seconds": 0},
            "first_hour": hour_number(nov1),
            "hours": 48,
            "shape": shape,
        },
    }));
    let d1 = day_number(nov1);
    for d in [d1, d1 + 1] {
        let h = hourly(&c, d);
        assert_eq!((h[8], h[9]), (100, 300), "day {d}");
        assert_eq!(h.iter().sum::<u64>(), 400);
    }
    // Spread that starts mid-day (activation at 09:00): the shape is read
    // from the Shanghai hour of day, not from the spread's first hour.
    let c = card(json!({
        "opening_usage": {
            "usage": {"data_bytes": 300, "sms": 0, "voice_seconds": 0},
            "first_hour": hour_number(at("2026-11-01T09:00:00+08:00")),
            "hours": 15,
            "shape": shape,
        },
    }));
    assert_eq!(hourly(&c, d1)[9], 300);
}

#[test]
fn trimming_at_a_rollover_keeps_hours_known_from_the_cycle_start() {
    let c = card(json!({}));
    let nov = cycle_of(at(NOW));
    assert_eq!(c.cycle, nov);
    let first_day = day_number(cycle_start(nov));
    assert!(hours_known(&c, first_day));
    assert!(
        hours_known(&c, first_day - 1),
        "the previous cycle's last day"
    );
    assert!(!hours_known(&c, first_day - 2));
}
