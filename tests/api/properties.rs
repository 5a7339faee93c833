//! Property tests: random sequences of operations and clock jumps never
//! break the world's invariants, and a long jump equals many short ones.

use crate::common::{card, iccid, world};
use carrier_sim::domain::billing::ledger_balance;
use carrier_sim::domain::{CardState, EventKind, Reason};
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

/// Applies `op` and checks what its answer promises, so no result is
/// discarded: a refusal changes nothing (docs/rules.md: a refused request
/// leaves the card unchanged), and an accepted operation leaves the card
/// as its rule says.
fn apply(w: &World, op: &Op) {
    let id = |n: &u32| iccid(*n);
    let n = match op {
        Op::AdvanceHours(h) => {
            w.advance(SignedDuration::from_hours(*h)).unwrap();
            return;
        }
        Op::Stop(c)
        | Op::Resume(c)
        | Op::TopUp(c, _)
        | Op::Renew(c, _)
        | Op::UseData(c, _)
        | Op::Cut(c)
        | Op::Restore(c)
        | Op::Activate(c) => *c,
    };
    let before = w.card(&id(&n)).unwrap();
    let result = match op {
        Op::Stop(c) => w.manual_stop(&id(c)).map(|()| 0),
        Op::Resume(c) => w.manual_resume(&id(c)).map(|()| 0),
        Op::TopUp(c, a) => w.top_up(&id(c), *a).map(|()| 0),
        Op::Renew(c, m) => w.renew(&id(c), *m).map(|()| 0),
        Op::UseData(c, b) => w.use_data(&id(c), *b),
        Op::Cut(c) => w.cut_data(&id(c)).map(|()| 0),
        Op::Restore(c) => w.restore_data(&id(c)).map(|()| 0),
        Op::Activate(c) => w.activate(&id(c)).map(|()| 0),
        Op::AdvanceHours(_) => unreachable!(),
    };
    let after = w.card(&id(&n)).unwrap();
    let used = match result {
        Err(e) => {
            assert_eq!(
                after, before,
                "{op:?} was refused ({e:?}) but changed the card"
            );
            return;
        }
        Ok(used) => used,
    };
    let has = |r: Reason| after.reasons.contains(r);
    match op {
        Op::Stop(_) => {
            assert!(has(Reason::Manual), "{op:?}: no manual stop");
            assert_eq!(after.state, CardState::Suspended, "{op:?}");
        }
        Op::Resume(_) => {
            assert!(!has(Reason::Manual) && !has(Reason::Arrears), "{op:?}");
            assert!(after.balance_fen > 0 || !before.reasons.contains(Reason::Arrears));
        }
        Op::TopUp(_, a) => {
            assert_eq!(after.balance_fen, before.balance_fen + a, "{op:?}");
            assert_eq!(
                after.reasons, before.reasons,
                "a top-up alone resumes nothing"
            );
        }
        Op::Renew(_, m) => {
            // Both plans renew 12 months for 120 yuan: 10 yuan a month.
            assert_eq!(
                before.balance_fen - after.balance_fen,
                1000 * i64::from(*m),
                "{op:?}"
            );
            assert!(after.balance_fen > 0, "a renewal never leaves arrears");
            let extended = after.expires > before.expires;
            let pending = after.pending_renewal_months == before.pending_renewal_months + m;
            assert!(extended || pending, "{op:?}: neither extended nor pending");
        }
        Op::UseData(_, b) => {
            assert!(used <= *b, "{op:?} used {used}");
            if !before.data_flowing() && before.state != CardState::ActivationReady {
                assert_eq!(used, 0, "{op:?}: a card without data service used data");
            }
            assert_eq!(
                after.usage.data_bytes,
                before.usage.data_bytes + used,
                "{op:?}"
            );
        }
        Op::Cut(_) => assert!(has(Reason::DataCut), "{op:?}"),
        Op::Restore(_) => assert!(!has(Reason::DataCut), "{op:?}"),
        Op::Activate(_) => assert!(
            matches!(after.state, CardState::Active | CardState::Suspended),
            "{op:?}: {:?}",
            after.state
        ),
        Op::AdvanceHours(_) => unreachable!(),
    }
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
