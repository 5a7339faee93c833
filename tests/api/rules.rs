//! Table tests of the card rules (`docs/rules.md`): one row per
//! rule — setup, action or clock jump, expected state, reasons, balance and
//! the event that records the change.

use crate::common::{card, iccid, world};
use carrier_sim::clock::parse_time;
use carrier_sim::domain::billing::ledger_balance;
use carrier_sim::domain::{DomainError, EventKind, LedgerKind};
use carrier_sim::world::{OpError, World};

type Action = fn(&World, &str) -> Result<(), OpError>;

struct Case {
    name: &'static str,
    card: &'static str,
    action: Action,
    /// `Ok(())` or the refusal expected from the action.
    outcome: Result<(), DomainError>,
    state: &'static str,
    reasons: &'static [&'static str],
    balance_fen: i64,
    /// The reason of the last `state_changed` event, if the case changes state.
    event_reason: Option<&'static str>,
}

const MB: u64 = 1024 * 1024;

fn stop(w: &World, i: &str) -> Result<(), OpError> {
    w.manual_stop(i)
}
fn resume(w: &World, i: &str) -> Result<(), OpError> {
    w.manual_resume(i)
}
fn use_100mb(w: &World, i: &str) -> Result<(), OpError> {
    w.use_data(i, 100 * MB).map(|_| ())
}
fn to_dec_1(w: &World, _: &str) -> Result<(), OpError> {
    w.advance_to(parse_time("2026-12-01T00:00:00+08:00").unwrap())
        .map(|_| ())
        .map_err(|e| panic!("{e}"))
}
fn top_up_50(w: &World, i: &str) -> Result<(), OpError> {
    w.top_up(i, 5000)
}
fn top_up_then_resume(w: &World, i: &str) -> Result<(), OpError> {
    w.top_up(i, 5000)?;
    w.manual_resume(i)
}
fn renew_12(w: &World, i: &str) -> Result<(), OpError> {
    w.renew(i, 12)
}
fn renew_12_then_dec_1(w: &World, i: &str) -> Result<(), OpError> {
    w.renew(i, 12)?;
    to_dec_1(w, i)
}
fn advance_100d(w: &World, _: &str) -> Result<(), OpError> {
    w.advance(jiff::SignedDuration::from_hours(24 * 100))
        .map(|_| ())
        .map_err(|e| panic!("{e}"))
}
fn resume_then_restore(w: &World, i: &str) -> Result<(), OpError> {
    w.manual_resume(i)?;
    w.restore_data(i)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "over-quota auto-stop: crossing the allowance cuts data at once",
            card: "plan = \"p1g\"\ndata_used = \"1000MB\"\nauto_stop = true",
            action: use_100mb,
            outcome: Ok(()),
            state: "suspended",
            reasons: &["over_quota"],
            balance_fen: 10_000,
            event_reason: Some("over_quota"),
        },
        Case {
            name: "no auto-stop: overage is charged per started MB (76 MB x 2 fen)",
            card: "plan = \"p1g\"\ndata_used = \"1000MB\"",
            action: use_100mb,
            outcome: Ok(()),
            state: "active",
            reasons: &[],
            balance_fen: 10_000 - 76 * 2,
            event_reason: None,
        },
        Case {
            name: "over-quota stop comes back by itself on the 1st (and the month's fee is charged)",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"over_quota\"]\ndata_used = \"1025MB\"\nauto_stop = true",
            action: to_dec_1,
            outcome: Ok(()),
            state: "active",
            reasons: &[],
            balance_fen: 9_000,
            event_reason: Some("rollover"),
        },
        Case {
            name: "manual stop of an active card",
            card: "plan = \"p1g\"",
            action: stop,
            outcome: Ok(()),
            state: "suspended",
            reasons: &["manual"],
            balance_fen: 10_000,
            event_reason: Some("manual"),
        },
        Case {
            name: "manual resume of a manually stopped card",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"manual\"]",
            action: resume,
            outcome: Ok(()),
            state: "active",
            reasons: &[],
            balance_fen: 10_000,
            event_reason: Some("manual"),
        },
        Case {
            name: "manual stop refused when over quota",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"over_quota\"]\ndata_used = \"1025MB\"\nauto_stop = true",
            action: stop,
            outcome: Err(DomainError::OverQuota),
            state: "suspended",
            reasons: &["over_quota"],
            balance_fen: 10_000,
            event_reason: None,
        },
        Case {
            name: "manual stop refused in arrears",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"arrears\"]\nbalance_fen = -200",
            action: stop,
            outcome: Err(DomainError::Arrears),
            state: "suspended",
            reasons: &["arrears"],
            balance_fen: -200,
            event_reason: None,
        },
        Case {
            name: "manual stop refused after expiry",
            card: "plan = \"p1g\"\nstate = \"pre_cancel\"\nreasons = [\"expired\"]\nexpires = \"2026-10-01T00:00:00+08:00\"",
            action: stop,
            outcome: Err(DomainError::Expired),
            state: "pre_cancel",
            reasons: &["expired"],
            balance_fen: 10_000,
            event_reason: None,
        },
        Case {
            name: "manual resume refused while over quota",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"over_quota\"]\ndata_used = \"1025MB\"\nauto_stop = true",
            action: resume,
            outcome: Err(DomainError::OverQuota),
            state: "suspended",
            reasons: &["over_quota"],
            balance_fen: 10_000,
            event_reason: None,
        },
        Case {
            name: "arrears stop when the monthly fee cannot be covered",
            card: "plan = \"p1g\"\nbalance_fen = 500",
            action: to_dec_1,
            outcome: Ok(()),
            state: "suspended",
            reasons: &["arrears"],
            balance_fen: -500,
            event_reason: Some("arrears"),
        },
        Case {
            name: "a top-up alone does not resume an arrears stop",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"arrears\"]\nbalance_fen = -200",
            action: top_up_50,
            outcome: Ok(()),
            state: "suspended",
            reasons: &["arrears"],
            balance_fen: 4_800,
            event_reason: None,
        },
        Case {
            name: "top-up followed by manual resume clears arrears",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"arrears\"]\nbalance_fen = -200",
            action: top_up_then_resume,
            outcome: Ok(()),
            state: "active",
            reasons: &[],
            balance_fen: 4_800,
            event_reason: Some("manual"),
        },
        Case {
            name: "manual resume refused while the balance is not positive",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"arrears\"]\nbalance_fen = -200",
            action: resume,
            outcome: Err(DomainError::Arrears),
            state: "suspended",
            reasons: &["arrears"],
            balance_fen: -200,
            event_reason: None,
        },
        Case {
            name: "expiry stop: keep-number period, 5 yuan fee for the month, no package fee",
            card: "plan = \"p1g\"\nexpires = \"2026-12-01T00:00:00+08:00\"",
            action: to_dec_1,
            outcome: Ok(()),
            state: "pre_cancel",
            reasons: &["expired"],
            balance_fen: 9_500,
            event_reason: Some("expired"),
        },
        Case {
            name: "renewal within 3 months resumes at once (this-month plan)",
            card: "plan = \"p1g\"\nstate = \"pre_cancel\"\nreasons = [\"expired\"]\nexpires = \"2026-10-01T00:00:00+08:00\"\nbalance_fen = 20000",
            action: renew_12,
            outcome: Ok(()),
            state: "active",
            reasons: &[],
            balance_fen: 8_000,
            event_reason: Some("renewal"),
        },
        Case {
            name: "renewal on a next-month plan takes effect on the 1st",
            card: "plan = \"p1g-next\"\nstate = \"pre_cancel\"\nreasons = [\"expired\"]\nexpires = \"2026-10-01T00:00:00+08:00\"\nbalance_fen = 20000",
            action: renew_12_then_dec_1,
            outcome: Ok(()),
            state: "active",
            reasons: &[],
            balance_fen: 20_000 - 12_000 - 1_000,
            event_reason: Some("renewal"),
        },
        Case {
            name: "three months without renewal: three keep-number fees, then cancelled",
            card: "plan = \"p1g\"\nexpires = \"2026-12-01T00:00:00+08:00\"",
            action: advance_100d,
            outcome: Ok(()),
            state: "cancelled",
            reasons: &["expired"],
            balance_fen: 10_000 - 3 * 500,
            event_reason: Some("cancellation"),
        },
        Case {
            name: "cancelled is terminal: no resume",
            card: "plan = \"p1g\"\nstate = \"cancelled\"\nreasons = [\"expired\"]\nexpires = \"2026-05-01T00:00:00+08:00\"",
            action: resume,
            outcome: Err(DomainError::Cancelled),
            state: "cancelled",
            reasons: &["expired"],
            balance_fen: 10_000,
            event_reason: None,
        },
        Case {
            name: "cancelled is terminal: no renewal",
            card: "plan = \"p1g\"\nstate = \"cancelled\"\nreasons = [\"expired\"]\nexpires = \"2026-05-01T00:00:00+08:00\"",
            action: renew_12,
            outcome: Err(DomainError::Cancelled),
            state: "cancelled",
            reasons: &["expired"],
            balance_fen: 10_000,
            event_reason: None,
        },
        Case {
            name: "two reasons at once: rollover lifts over-quota, the unpaid fee adds arrears",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"over_quota\"]\ndata_used = \"1025MB\"\nauto_stop = true\nbalance_fen = 500",
            action: to_dec_1,
            outcome: Ok(()),
            state: "suspended",
            reasons: &["arrears"],
            balance_fen: -500,
            event_reason: Some("arrears"),
        },
        Case {
            name: "back in service only when every reason is cleared",
            card: "plan = \"p1g\"\nstate = \"suspended\"\nreasons = [\"manual\", \"data_cut\"]",
            action: resume_then_restore,
            outcome: Ok(()),
            state: "active",
            reasons: &[],
            balance_fen: 10_000,
            event_reason: Some("data_cut"),
        },
    ]
}

#[test]
fn every_card_rule() {
    for case in cases() {
        let w = world(&card(1, case.card));
        let id = iccid(1);
        let before = w.card(&id).unwrap();
        let outcome = (case.action)(&w, &id).map_err(|e| match e {
            OpError::Rule(r) => r,
            other => panic!("{}: unexpected {other:?}", case.name),
        });
        assert_eq!(outcome, case.outcome, "{}: outcome", case.name);
        let c = w.card(&id).unwrap();
        if case.outcome.is_err() {
            assert_eq!(
                c, before,
                "{}: a refused operation changes nothing",
                case.name
            );
        }
        assert_eq!(c.state.as_str(), case.state, "{}: state", case.name);
        let reasons: Vec<&str> = c.reasons.iter().map(|r| r.as_str()).collect();
        assert_eq!(reasons, case.reasons, "{}: reasons", case.name);
        assert_eq!(c.balance_fen, case.balance_fen, "{}: balance", case.name);
        assert_eq!(ledger_balance(&c), c.balance_fen, "{}: ledger", case.name);
        let last = c.events.iter().rev().find_map(|e| match &e.kind {
            EventKind::StateChanged { reason, to, .. } => Some((reason.to_string(), *to)),
            _ => None,
        });
        match case.event_reason {
            Some(r) => {
                let (reason, to) = last.unwrap_or_else(|| panic!("{}: no state event", case.name));
                assert_eq!(reason, r, "{}: event reason", case.name);
                assert_eq!(to.as_str(), case.state, "{}: event target", case.name);
            }
            None => assert!(
                last.is_none() || case.outcome.is_err() || c.state == before.state,
                "{}: unexpected state event",
                case.name
            ),
        }
    }
}

#[test]
fn keep_number_fees_are_monthly_ledger_entries_and_cancel_is_on_time() {
    let w = world(&card(
        1,
        "plan = \"p1g\"\nexpires = \"2026-12-15T00:00:00+08:00\"",
    ));
    let id = iccid(1);
    w.advance_to(parse_time("2027-04-01T00:00:00+08:00").unwrap())
        .unwrap();
    let c = w.card(&id).unwrap();
    let fees: Vec<String> = c
        .ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::KeepNumberFee)
        .map(|e| carrier_sim::clock::rfc3339(e.time))
        .collect();
    assert_eq!(
        fees,
        [
            "2027-01-01T00:00:00+08:00",
            "2027-02-01T00:00:00+08:00",
            "2027-03-01T00:00:00+08:00"
        ]
    );
    assert_eq!(c.state.as_str(), "cancelled");
    let cancelled_at = c
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::StateChanged { reason, .. } if reason == "cancellation" => Some(e.time),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        carrier_sim::clock::rfc3339(cancelled_at),
        "2027-03-15T00:00:00+08:00"
    );
    // The December fee was charged (valid until the 15th), January's was not.
    let monthly: Vec<String> = c
        .ledger
        .iter()
        .filter(|e| e.kind == LedgerKind::MonthlyFee)
        .map(|e| carrier_sim::clock::rfc3339(e.time))
        .collect();
    assert_eq!(monthly, ["2026-12-01T00:00:00+08:00"]);
}

#[test]
fn rollover_runs_once_per_card_per_month_whatever_the_jump() {
    let w = world(&card(1, "plan = \"p1g\"\nbalance_fen = 100000"));
    let id = iccid(1);
    w.advance(jiff::SignedDuration::from_hours(24 * 95))
        .unwrap();
    let c = w.card(&id).unwrap();
    let rollovers: Vec<String> = c
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rollover { cycle } => Some(cycle.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(rollovers, ["202612", "202701", "202702"]);
    assert_eq!(c.balance_fen, 100_000 - 3 * 1000);
}

#[test]
fn the_clock_only_moves_forward() {
    let w = world(&card(1, "plan = \"p1g\""));
    let err = w
        .advance_to(parse_time("2026-01-01T00:00:00+08:00").unwrap())
        .unwrap_err();
    assert!(err.contains("only moves forward"), "{err}");
    assert_eq!(
        carrier_sim::clock::rfc3339(w.now()),
        "2026-11-24T10:00:00+08:00"
    );
}
