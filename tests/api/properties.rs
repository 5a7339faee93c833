//! Property tests: random sequences of operations and clock jumps never
//! break the world's invariants, and a long jump equals many short ones.

use crate::common::{card, iccid, world};
use carrier_sim::domain::billing::ledger_balance;
use carrier_sim::domain::{CardState, EventKind};
use carrier_sim::world::World;
use jiff::SignedDuration;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Stop(u32),
    Resume(u32),
    TopUp(u32, i64),
    Renew(u32, u32),
    UseData(u32, u64),
    Cut(u32),
    Restore(u32),
    Activate(u32),
    AdvanceHours(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1..=4u32).prop_map(Op::Stop),
        (1..=4u32).prop_map(Op::Resume),
        ((1..=4u32), (1..20_000i64)).prop_map(|(c, a)| Op::TopUp(c, a)),
        ((1..=4u32), (1..=24u32)).prop_map(|(c, m)| Op::Renew(c, m)),
        ((1..=4u32), (0..600u64)).prop_map(|(c, mb)| Op::UseData(c, mb * 1024 * 1024)),
        (1..=4u32).prop_map(Op::Cut),
        (1..=4u32).prop_map(Op::Restore),
        (1..=4u32).prop_map(Op::Activate),
        (1..2000i64).prop_map(Op::AdvanceHours),
    ]
}

fn fleet() -> String {
    [
        card(1, "plan = \"p1g\"\nauto_stop = true\nbalance_fen = 3000"),
        card(
            2,
            "plan = \"p1g-next\"\nexpires = \"2027-01-01T00:00:00+08:00\"\nbalance_fen = 1500",
        ),
        card(3, "plan = \"p1g\"\nstate = \"inventory\""),
        card(
            4,
            "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"arrears\"]\nbalance_fen = -100",
        ),
    ]
    .concat()
}

fn apply(w: &World, op: &Op) {
    let id = |n: &u32| iccid(*n);
    let _ = match op {
        Op::Stop(c) => w.manual_stop(&id(c)),
        Op::Resume(c) => w.manual_resume(&id(c)),
        Op::TopUp(c, a) => w.top_up(&id(c), *a),
        Op::Renew(c, m) => w.renew(&id(c), *m),
        Op::UseData(c, b) => w.use_data(&id(c), *b).map(|_| ()),
        Op::Cut(c) => w.cut_data(&id(c)),
        Op::Restore(c) => w.restore_data(&id(c)),
        Op::Activate(c) => w.activate(&id(c)),
        Op::AdvanceHours(h) => {
            w.advance(SignedDuration::from_hours(*h)).unwrap();
            Ok(())
        }
    };
}

fn check_invariants(w: &World, was_cancelled: &mut [bool; 5]) {
    for n in 1..=4u32 {
        let c = w.card(&iccid(n)).unwrap();
        match c.state {
            CardState::Active => assert!(
                c.reasons.is_empty(),
                "active card {n} with reasons {:?}",
                c.reasons
            ),
            CardState::Suspended => {
                assert!(!c.reasons.is_empty(), "suspended card {n} without reasons")
            }
            _ => {}
        }
        if was_cancelled[n as usize] {
            assert_eq!(
                c.state,
                CardState::Cancelled,
                "card {n} left the cancelled state"
            );
        }
        was_cancelled[n as usize] = c.state == CardState::Cancelled;
        assert_eq!(
            ledger_balance(&c),
            c.balance_fen,
            "card {n}: balance != opening + ledger"
        );
        let mut cycles: Vec<String> = c
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Rollover { cycle } => Some(cycle.to_string()),
                _ => None,
            })
            .collect();
        let total = cycles.len();
        cycles.dedup();
        assert_eq!(
            cycles.len(),
            total,
            "card {n}: more than one rollover in a month"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_under_random_operations(ops in proptest::collection::vec(op(), 1..40)) {
        let w = world(&fleet());
        let mut was_cancelled = [false; 5];
        for op in &ops {
            apply(&w, op);
            check_invariants(&w, &mut was_cancelled);
        }
    }

    #[test]
    fn one_long_jump_equals_many_short_ones(days in 1i64..70, ops in proptest::collection::vec(op().prop_filter("no clock moves", |o| !matches!(o, Op::AdvanceHours(_))), 0..8)) {
        let a = world(&fleet());
        let b = world(&fleet());
        for op in &ops {
            apply(&a, op);
            apply(&b, op);
        }
        a.advance(SignedDuration::from_hours(24 * days)).unwrap();
        for _ in 0..days {
            b.advance(SignedDuration::from_hours(24)).unwrap();
        }
        for n in 1..=4u32 {
            let (ca, mut cb) = (a.card(&iccid(n)).unwrap(), b.card(&iccid(n)).unwrap());
            cb.synced = ca.synced;
            prop_assert_eq!(ca, cb);
        }
    }
}

#[test]
fn forty_day_jump_equals_forty_one_day_jumps_with_traces_and_pools() {
    // The default fleet has traces (constant, daily profile, random walk,
    // sessions) and pools: the journal must come out byte-identical.
    let fx = carrier_sim::fixture::default_fixture();
    let a = World::new(fx.clone());
    let b = World::new(fx);
    a.advance(SignedDuration::from_hours(24 * 40)).unwrap();
    for _ in 0..40 {
        b.advance(SignedDuration::from_hours(24)).unwrap();
    }
    let ja = serde_json::to_string(&a.journal.all()).unwrap();
    let jb = serde_json::to_string(&b.journal.all()).unwrap();
    assert!(a.journal.len() > 100, "traces produced events");
    assert_eq!(ja, jb);
    for iccid in a.store.iccids() {
        let (ca, mut cb) = (a.card(&iccid).unwrap(), b.card(&iccid).unwrap());
        cb.synced = ca.synced;
        assert_eq!(ca, cb, "card {iccid}");
    }
}
