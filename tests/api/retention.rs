//! Bounded memory and readers that fell behind (issues 19 and 20): the
//! journal keeps a configured number of events, and every reader that asks
//! for something that fell out of it (a `?after=` cursor, a Server-Sent
//! Events stream, a webhook subscriber) is told so with an explicit gap,
//! `{"type":"gap","from":..,"to":..,"dropped":n}`, instead of silently
//! skipping; per card, the journal lists changes in the order they happened.

use std::sync::Arc;
use std::time::Duration;

use crate::common::admin::Admin;
use crate::common::{card, iccid, world, RULES_BASE};
use carrier_sim::domain::{CardState, EventKind};
use carrier_sim::Simulator;
use parking_lot::Mutex;
use serde_json::{json, Value};

/// The rule-test fleet (one CMCC account `ec`, two cards) with a journal
/// that keeps only `cap` events.
fn small_journal(cap: usize) -> String {
    let cards: String = (1..=2)
        .map(|n| card(n, "plan = \"p1g\"\nbalance_fen = 100000"))
        .collect();
    format!("journal_cap = {cap}\n{RULES_BASE}{cards}")
}

/// `n` top-ups on card 1 (one `top_up` event each), straight on the world.
fn top_ups(sim: &Simulator, n: usize) {
    for _ in 0..n {
        sim.world().top_up(&iccid(1), 1).unwrap();
    }
}

#[tokio::test]
async fn a_cursor_behind_retention_gets_the_gap_then_what_is_kept() {
    let sim = Simulator::builder()
        .fixture_str(&small_journal(20))
        .start()
        .await;
    top_ups(&sim, 50);
    let admin = Admin::new(&sim);
    let last = sim.world().journal.last_seq();
    let oldest = last - 19;
    let page = admin.get("/_sim/events?after=1&limit=5").await;
    assert_eq!(
        page["gap"],
        json!({"type": "gap", "from": 2, "to": oldest - 1, "dropped": oldest - 2}),
        "{page}"
    );
    let seqs: Vec<u64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (oldest..oldest + 5).collect::<Vec<_>>());
    // Continuing from the answer's cursor: inside retention, no gap.
    let next = page["next_after"].as_u64().unwrap();
    let page = admin.get(&format!("/_sim/events?after={next}")).await;
    assert!(page.get("gap").is_none(), "{page}");
    assert_eq!(page["items"][0]["seq"], next + 1);
    // What fell out is counted.
    let status = admin.get("/_sim/status").await;
    assert_eq!(status["journal"]["cap"], 20, "{status}");
    assert_eq!(status["journal"]["retained"], 20, "{status}");
    assert_eq!(status["journal"]["oldest_seq"], oldest, "{status}");
    assert_eq!(status["journal"]["dropped"], oldest - 1, "{status}");
    let (code, metrics) = admin.raw(reqwest::Method::GET, "/_sim/metrics", None).await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains(&format!("carrier_sim_events_dropped_total {}", oldest - 1)),
        "{metrics}"
    );
}

/// Reads SSE messages until `n` have arrived: (event, id, data) each.
async fn sse_messages(resp: &mut reqwest::Response, n: usize) -> Vec<(String, String, Value)> {
    let mut text = String::new();
    loop {
        let messages: Vec<(String, String, Value)> = text
            .split("\n\n")
            .filter(|m| m.contains("data:"))
            .map(|m| {
                let field = |name: &str| {
                    m.lines()
                        .find_map(|l| l.strip_prefix(name))
                        .unwrap_or("")
                        .trim()
                        .to_string()
                };
                let data = field("data:");
                (
                    field("event:"),
                    field("id:"),
                    serde_json::from_str(&data).unwrap(),
                )
            })
            .collect();
        // The last block may be incomplete until its blank line came.
        let complete = text.matches("\n\n").count();
        if messages.len() >= n && complete >= n {
            return messages.into_iter().take(n).collect();
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("SSE message in time")
            .unwrap()
            .expect("stream open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn an_event_stream_resuming_behind_retention_gets_a_gap_event_first() {
    let sim = Simulator::builder()
        .fixture_str(&small_journal(20))
        .start()
        .await;
    top_ups(&sim, 50);
    let last = sim.world().journal.last_seq();
    let oldest = last - 19;
    // A client reconnecting with the last id it saw (the SSE standard's
    // Last-Event-ID header, https://html.spec.whatwg.org/multipage/server-sent-events.html).
    let mut resp = reqwest::Client::new()
        .get(format!("{}/_sim/events/stream", sim.uri()))
        .header("Last-Event-ID", "3")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let got = sse_messages(&mut resp, 3).await;
    assert_eq!(got[0].0, "gap");
    assert_eq!(got[0].1, (oldest - 1).to_string(), "id = last missed seq");
    assert_eq!(
        got[0].2,
        json!({"type": "gap", "from": 4, "to": oldest - 1, "dropped": oldest - 4})
    );
    assert_eq!(got[1].0, "top_up");
    assert_eq!(got[1].2["seq"], oldest);
    assert_eq!(got[2].2["seq"], oldest + 1);
    // A cursor that is still kept streams on without a gap.
    let mut resp = reqwest::Client::new()
        .get(format!(
            "{}/_sim/events/stream?after={}",
            sim.uri(),
            last - 1
        ))
        .send()
        .await
        .unwrap();
    let got = sse_messages(&mut resp, 1).await;
    assert_eq!(got[0].0, "top_up");
    assert_eq!(got[0].2["seq"], last);
    // A bad cursor is refused, not ignored.
    let r = reqwest::Client::new()
        .get(format!("{}/_sim/events/stream?after=x", sim.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

/// A webhook receiver whose first answer waits until `release` is sent;
/// every body it got, in arrival order.
async fn held_receiver() -> (
    String,
    Arc<Mutex<Vec<Value>>>,
    tokio::sync::watch::Sender<bool>,
) {
    use axum::routing::post;
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let (release, gate) = tokio::sync::watch::channel(false);
    let app = axum::Router::new().route(
        "/hook",
        post({
            let got = got.clone();
            move |body: axum::body::Bytes| {
                let got = got.clone();
                let mut gate = gate.clone();
                async move {
                    let first = {
                        let mut g = got.lock();
                        g.push(serde_json::from_slice::<Value>(&body).unwrap());
                        g.len() == 1
                    };
                    if first {
                        let _ = gate.wait_for(|open| *open).await;
                    }
                    "ok"
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got, release)
}

#[tokio::test]
async fn a_webhook_subscriber_that_fell_behind_retention_gets_a_gap_then_the_rest_in_order() {
    let sim = Simulator::builder()
        .fixture_str(&small_journal(20))
        .start()
        .await;
    let (url, got, release) = held_receiver().await;
    let admin = Admin::new(&sim);
    let (code, _) = admin
        .call(
            reqwest::Method::POST,
            "/_sim/webhooks",
            Some(json!({"account": "ec", "url": url, "types": ["top_up"]})),
        )
        .await;
    assert_eq!(code, 201);
    // The first delivery hangs in the receiver while 80 more events come:
    // far more than the lane queues (at most the journal's 20) and the
    // journal keeps (20).
    top_ups(&sim, 1);
    for _ in 0..200 {
        if !got.lock().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(got.lock().len(), 1, "the first delivery is under way");
    top_ups(&sim, 80);
    let last = sim.world().journal.last_seq();
    release.send(true).unwrap();
    for _ in 0..500 {
        if got.lock().last().and_then(|b| b["seq"].as_u64()) == Some(last) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let bodies = got.lock().clone();
    let gaps: Vec<&Value> = bodies.iter().filter(|b| b["type"] == "gap").collect();
    assert_eq!(gaps.len(), 1, "one gap notice: {bodies:?}");
    // Every sequence number from the first event to the last is either
    // delivered once, in order, or inside the gap: nothing silently skipped.
    let mut expected = bodies[0]["seq"].as_u64().unwrap();
    for b in &bodies {
        if b["type"] == "gap" {
            assert_eq!(b["from"].as_u64().unwrap(), expected, "{b}");
            let to = b["to"].as_u64().unwrap();
            assert_eq!(b["dropped"].as_u64().unwrap(), to - expected + 1);
            expected = to + 1;
        } else {
            assert_eq!(b["type"], "top_up");
            assert_eq!(b["seq"].as_u64().unwrap(), expected, "{bodies:?}");
            expected += 1;
        }
    }
    assert_eq!(expected, last + 1, "up to the newest event");
    // The delivery log shows the gap too.
    let log = admin.get("/_sim/webhooks/deliveries").await;
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["event_type"] == "gap" && d["ok"] == true),
        "{log}"
    );
    let status = admin.get("/_sim/status").await;
    assert_eq!(status["deliveries"]["gaps"], 1, "{status}");
}

#[test]
fn concurrent_writers_on_one_card_journal_its_changes_in_the_order_they_happened() {
    // Issue 20: under 8 clients stopping and resuming one card, the journal
    // listed its state changes out of order. Each card's journal entries
    // must follow the card's own history.
    let w = world(&card(1, "plan = \"p1g\"\nbalance_fen = 1000000"));
    let id = iccid(1);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (w, id) = (w.clone(), id.clone());
            std::thread::spawn(move || {
                for i in 0..150u32 {
                    match (i + t) % 3 {
                        0 => drop(w.manual_stop(&id)),
                        1 => drop(w.manual_resume(&id)),
                        _ => w.top_up(&id, 1).unwrap(),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let journal: Vec<_> = w
        .journal
        .all()
        .into_iter()
        .filter(|e| e.iccid == id.as_str())
        .collect();
    // The state changes chain: each starts where the previous one ended.
    let mut state = None;
    let mut moves = 0;
    for e in &journal {
        if let EventKind::StateChanged { from, to, .. } = &e.kind {
            if let Some(prev) = state {
                assert_eq!(*from, prev, "seq {}: {from:?} after {prev:?}", e.seq);
            }
            state = Some(*to);
            moves += 1;
        }
    }
    assert!(moves > 10, "the writers really raced ({moves} moves)");
    let c = w.card(&id).unwrap();
    assert_eq!(Some(c.state), state);
    assert!(matches!(c.state, CardState::Active | CardState::Suspended));
    // The card's own history is the journal's tail for it, same order and numbers.
    let own: Vec<u64> = c.events.iter().map(|e| e.seq).collect();
    let tail: Vec<u64> = journal[journal.len() - own.len()..]
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(own, tail);
}

#[test]
fn card_histories_stay_within_the_configured_retention_and_what_fell_out_is_counted() {
    // 100 MB a day on a 1 GB plan with overage: daily and hourly history,
    // threshold events, a fee and overage charges every month.
    let w = world(&format!(
        "{}{}",
        card(1, "plan = \"p1g\"\nbalance_fen = 1000000\ntags = [\"t\"]"),
        r#"
[[traces]]
id = "steady"
kind = "constant"
per_day = "100MB"
applies_to = { tag = "t" }

[retention]
card_events = 6
ledger_entries = 4
day_history = 10
month_history = 2
hour_history_days = 1
"#
    ));
    let id = iccid(1);
    for _ in 0..4 {
        w.advance(jiff::SignedDuration::from_hours(24 * 31))
            .unwrap();
        let c = w.card(&id).unwrap();
        assert!(c.events.len() <= 6, "events {}", c.events.len());
        assert!(c.ledger.len() <= 4, "ledger {}", c.ledger.len());
        assert!(c.days.len() <= 10, "days {}", c.days.len());
        assert!(c.months.len() <= 2, "months {}", c.months.len());
        // Hours of today only (the card's clock is the world's).
        let today = carrier_sim::clock::day_number(w.now());
        let first = carrier_sim::domain::usage::first_hour_of_day(today);
        assert!(c.hours.iter().all(|(h, _)| *h >= first), "{:?}", c.hours);
        assert!(!carrier_sim::domain::usage::hours_known(&c, today - 1));
        // The ledger still adds up: older entries are carried forward.
        assert_eq!(
            carrier_sim::domain::billing::ledger_balance(&c),
            c.balance_fen
        );
    }
    let c = w.card(&id).unwrap();
    assert_eq!(
        c.ledger[0].kind,
        carrier_sim::domain::LedgerKind::CarriedForward
    );
    // The card's events are the newest of the journal's for it.
    let journal: Vec<u64> = w
        .journal
        .all()
        .iter()
        .filter(|e| e.iccid == id.as_str())
        .map(|e| e.seq)
        .collect();
    let own: Vec<u64> = c.events.iter().map(|e| e.seq).collect();
    assert_eq!(own, journal[journal.len() - own.len()..]);
    let t = w.engine.trimmed();
    assert!(
        t.card_events > 0 && t.ledger_entries > 0 && t.days > 0,
        "{t:?}"
    );
    assert!(t.months > 0 && t.hours > 0, "{t:?}");
}

#[test]
fn a_retention_beyond_what_the_cards_can_keep_is_refused() {
    let text = format!("{RULES_BASE}\n[retention]\nday_history = 400\n");
    let problems = carrier_sim::fixture::load(&text).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.path == "retention" && p.message.contains("at most 62")),
        "{problems:?}"
    );
    let text = format!("{RULES_BASE}\n[retention]\ncards = 4\n");
    assert!(carrier_sim::fixture::load(&text).is_err(), "unknown key");
}

#[test]
fn a_capped_ledger_carries_its_oldest_entries_forward_and_still_sums_to_the_balance() {
    // Issue 20: each card's ledger was unbounded.
    let w = world(&format!(
        "{}\n[retention]\nledger_entries = 5\n",
        card(1, "plan = \"p1g\"\nbalance_fen = 500")
    ));
    let id = iccid(1);
    for fen in 1..=40 {
        w.top_up(&id, fen).unwrap();
        let c = w.card(&id).unwrap();
        assert!(c.ledger.len() <= 5, "{}", c.ledger.len());
        assert_eq!(
            carrier_sim::domain::billing::ledger_balance(&c),
            c.balance_fen
        );
    }
    let c = w.card(&id).unwrap();
    assert_eq!(
        c.ledger[0].kind,
        carrier_sim::domain::LedgerKind::CarriedForward
    );
    // The newest four stay as they were; the carried entry says how many it holds.
    let newest: Vec<i64> = c.ledger[1..].iter().map(|e| e.amount_fen).collect();
    assert_eq!(newest, [37, 38, 39, 40]);
    let folded = w.engine.trimmed().ledger_entries;
    assert_eq!(c.ledger[0].note, format!("{folded} entries"));
    assert!(folded >= 36, "{folded}");
}

#[test]
fn a_replaced_fixture_brings_its_own_journal_retention() {
    let w = world(&card(1, "plan = \"p1g\"\nbalance_fen = 1000"));
    assert_eq!(w.journal.cap(), 200_000);
    let fx = carrier_sim::fixture::load(&small_journal(7)).unwrap();
    w.replace_fixture(fx);
    assert_eq!(w.journal.cap(), 7);
    for _ in 0..20 {
        w.top_up(&iccid(1), 1).unwrap();
    }
    let s = w.journal.stats();
    assert_eq!((s.retained, s.last_seq - s.oldest_seq + 1), (7, 7));
}
