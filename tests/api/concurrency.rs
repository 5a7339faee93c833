//! Many threads stopping, resuming, charging and using the same cards while
//! the clock moves: no lost update, no torn state, the ledger adds up.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::{card, iccid, world};
use carrier_sim::domain::billing::ledger_balance;
use carrier_sim::domain::{CardState, EventKind, LedgerKind};
use jiff::SignedDuration;

#[test]
fn concurrent_operations_on_the_same_cards_stay_consistent() {
    let cards: String = (1..=3)
        .map(|n| card(n, "plan = \"p1g\"\nbalance_fen = 1000000"))
        .collect();
    let w = world(&cards);
    let stops = Arc::new(AtomicUsize::new(0));
    let resumes = Arc::new(AtomicUsize::new(0));
    let topped = Arc::new(AtomicI64::new(0));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (w, stops, resumes, topped) =
                (w.clone(), stops.clone(), resumes.clone(), topped.clone());
            std::thread::spawn(move || {
                for i in 0..300u32 {
                    let id = iccid(1 + (i + t) % 3);
                    match (i + t) % 5 {
                        0 => {
                            if w.manual_stop(&id).is_ok() {
                                stops.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        1 => {
                            if w.manual_resume(&id).is_ok() {
                                resumes.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        2 => {
                            w.top_up(&id, 7).unwrap();
                            topped.fetch_add(7, Ordering::SeqCst);
                        }
                        3 => {
                            let _ = w.use_data(&id, 1024);
                        }
                        _ => {
                            if t == 0 && i % 50 == 0 {
                                w.advance(SignedDuration::from_hours(24 * 3)).unwrap();
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut total_top_up = 0;
    let mut stop_events = 0;
    let mut resume_events = 0;
    for n in 1..=3 {
        let c = w.card(&iccid(n)).unwrap();
        assert_eq!(ledger_balance(&c), c.balance_fen);
        total_top_up += c
            .ledger
            .iter()
            .filter(|e| e.kind == LedgerKind::TopUp)
            .map(|e| e.amount_fen)
            .sum::<i64>();
        let manual = c.reasons.iter().any(|r| r.as_str() == "manual");
        assert_eq!(
            c.state == CardState::Suspended,
            manual,
            "card {n}: state agrees with reasons"
        );
    }
    // The card keeps its recent history; the journal keeps everything.
    for e in w.journal.all() {
        {
            if let EventKind::StateChanged {
                reason, from, to, ..
            } = &e.kind
            {
                if reason == "manual" && *to == CardState::Suspended && *from == CardState::Active {
                    stop_events += 1;
                }
                if reason == "manual" && *to == CardState::Active {
                    resume_events += 1;
                }
            }
        }
    }
    assert_eq!(
        total_top_up,
        topped.load(Ordering::SeqCst),
        "every top-up landed exactly once"
    );
    assert_eq!(
        stop_events,
        stops.load(Ordering::SeqCst),
        "one event per successful stop"
    );
    assert_eq!(
        resume_events,
        resumes.load(Ordering::SeqCst),
        "one event per successful resume"
    );
    // Every event also reached the journal, in time order.
    let journal = w.journal.all();
    assert!(journal
        .windows(2)
        .all(|p| p[0].time <= p[1].time && p[0].seq < p[1].seq));
}
