//! The store's indexes as the world keeps them: recording a change costs
//! O(changed cards), not a scan of the fleet; the facet index that serves
//! card lists agrees with a full scan after concurrent writers, readers
//! and clock moves.

use std::sync::Arc;

use compact_str::CompactString;
use jiff::SignedDuration;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{CardFilter, World};
use crate::domain::card::ReasonSet;
use crate::domain::{Card, CardState, Carrier, Reason};
use crate::engine::traces::{Selector, Size, Trace, TraceKind};
use crate::fixture::generate::large_fleet_groups;
use crate::world::OpError;

/// A clock move over 100k cards that changes none of them records
/// nothing; one that changes some records exactly those (each once).
#[test]
fn a_clock_move_records_only_the_cards_it_changed() {
    let world = World::new(large_fleet_groups(100_000, 7));
    assert_eq!(world.store.card_count(), 100_000);
    let touches = world.store.changes.touches();
    world.advance(SignedDuration::from_hours(1)).unwrap();
    assert_eq!(
        world.store.changes.touches(),
        touches,
        "nothing changed, nothing recorded"
    );

    // Usage for the first 5 000 CMCC cards (by tag) changes those in service.
    let tagged: Vec<CompactString> = world.store.iccids().into_iter().take(5_000).collect();
    for iccid in &tagged {
        world
            .edit_all_or_nothing(iccid, "test", |e| {
                e.set_tags(&["busy".to_string()]);
                Ok::<_, OpError>(())
            })
            .unwrap();
    }
    world.engine.traces.upsert(Trace {
        id: "busy".into(),
        applies_to: Selector {
            tag: Some("busy".into()),
            ..Default::default()
        },
        kind: TraceKind::Constant {
            per_day: Size(24 << 20),
        },
        from: None,
        until: None,
    });
    let before: Vec<_> = tagged
        .iter()
        .map(|i| world.read_card(i, |c| c.updated).unwrap())
        .collect();
    let touches = world.store.changes.touches();
    world.advance(SignedDuration::from_hours(2)).unwrap();
    let changed = tagged
        .iter()
        .zip(&before)
        .filter(|(i, b)| world.read_card(i, |c| c.updated).unwrap() != **b)
        .count();
    assert!(changed > 1_000, "{changed}");
    assert_eq!(world.store.changes.touches() - touches, changed as u64);
}

const TAGS: [&str; 3] = ["a", "b", "c"];

fn random_filter(rng: &mut ChaCha8Rng) -> CardFilter {
    let mut f = CardFilter::default();
    if rng.random_bool(0.5) {
        f.carrier = Some([Carrier::Cmcc, Carrier::Cucc, Carrier::Ctcc][rng.random_range(0..3)]);
    }
    if rng.random_bool(0.3) {
        f.account = Some(["cmcc-demo", "cucc-demo", "ctcc-demo"][rng.random_range(0..3)].into());
    }
    if rng.random_bool(0.4) {
        f.state = Some(
            [
                CardState::Active,
                CardState::Suspended,
                CardState::Inventory,
            ][rng.random_range(0..3)],
        );
    }
    if rng.random_bool(0.3) {
        f.reason = Some([Reason::Manual, Reason::OverQuota][rng.random_range(0..2)]);
    }
    if rng.random_bool(0.4) {
        f.tag = Some(TAGS[rng.random_range(0..3)].into());
    }
    if rng.random_bool(0.2) {
        f.pool = Some("200000000001".into());
    }
    f
}

/// The page a full scan gives (the index's expected answer).
fn scanned(world: &World, filter: &CardFilter, page: usize, size: usize) -> (Vec<String>, usize) {
    let all: Vec<String> = world
        .store
        .iccids()
        .iter()
        .filter(|i| world.read_card(i, |c| filter.matches(c)).unwrap_or(false))
        .map(|i| i.to_string())
        .collect();
    let total = all.len();
    let page = all.into_iter().skip((page - 1) * size).take(size).collect();
    (page, total)
}

/// One writer's random edit of a random card (some fail; that is fine).
fn random_edit(world: &World, rng: &mut ChaCha8Rng, iccids: &[CompactString], serial: &mut u64) {
    let iccid = &iccids[rng.random_range(0..iccids.len())];
    match rng.random_range(0..6) {
        0 => {
            let state = [
                CardState::Active,
                CardState::Suspended,
                CardState::Inventory,
            ][rng.random_range(0..3)];
            let mut reasons = ReasonSet::empty();
            if state == CardState::Suspended {
                reasons.insert([Reason::Manual, Reason::OverQuota][rng.random_range(0..2)]);
            }
            let _ = world.edit_all_or_nothing(iccid, "test", |e| {
                e.force_state(Some(state), Some(reasons));
                Ok::<_, OpError>(())
            });
        }
        1 => {
            let tags: Vec<String> = TAGS
                .iter()
                .filter(|_| rng.random_bool(0.5))
                .map(|t| t.to_string())
                .collect();
            let _ = world.edit_all_or_nothing(iccid, "test", |e| {
                e.set_tags(&tags);
                Ok::<_, OpError>(())
            });
        }
        2 => {
            let join = rng.random_bool(0.5);
            let _ = world.edit(iccid, "test", |e| {
                if join {
                    e.join_pool("200000000001").is_ok()
                } else {
                    e.leave_pool("200000000001").is_ok()
                }
            });
        }
        3 => {
            // Out and back in: the card takes a label between its
            // neighbours' again.
            if let Some(card) = world.remove_card(iccid, "test") {
                let _ = world.insert_card(card, "test");
            }
        }
        4 => {
            // A new card right after another, in the same label gap each
            // time: the gap runs out and every card is labelled anew.
            if let Some(mut card) = world.card(iccid) {
                *serial += 1;
                card.iccid = format!("{}{}", card.iccid, *serial % 10).into();
                card.msisdn = format!("199{:08}", *serial).into();
                card.imsi = format!("46099{:010}", *serial).into();
                card.imei = CompactString::default();
                card.events.clear();
                let _ = world.insert_card(card, "test");
            }
        }
        _ => {
            let _ = world.manual_stop(iccid);
        }
    }
}

/// Writers, readers and clock moves at once; afterwards the facet index
/// equals one built from a full scan, and every filtered page and count
/// equals the full scan's.
#[test]
fn the_facet_index_agrees_with_a_full_scan_under_concurrent_writers() {
    for seed in 0..4u64 {
        let mut fx = large_fleet_groups(600, seed);
        fx.pools = crate::fixture::default_fixture().pools;
        let world = World::new(fx);
        let iccids: Arc<Vec<CompactString>> = Arc::new(world.store.iccids());
        std::thread::scope(|s| {
            for w in 0..4u64 {
                let (world, iccids) = (&world, iccids.clone());
                s.spawn(move || {
                    let mut rng = ChaCha8Rng::seed_from_u64(seed * 100 + w);
                    let mut serial = 1_000_000 * (w + 1) + seed * 10_000;
                    for _ in 0..400 {
                        random_edit(world, &mut rng, &iccids, &mut serial);
                    }
                });
            }
            let world = &world;
            s.spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(seed + 999);
                for _ in 0..200 {
                    let filter = random_filter(&mut rng);
                    let (items, total) = world.list_cards(&filter, rng.random_range(1..4), 20);
                    assert!(items.len() <= 20 && items.len() <= total);
                    assert!(items.iter().all(|c| filter.matches(c)), "{filter:?}");
                    assert!(items.windows(2).all(|w| w[0].iccid < w[1].iccid));
                }
            });
            s.spawn(move || {
                for _ in 0..5 {
                    world.advance(SignedDuration::from_hours(7)).unwrap();
                }
            });
        });
        let mismatches = world.store.facet_mismatches();
        assert!(mismatches.is_empty(), "seed {seed}: {mismatches:?}");
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for _ in 0..200 {
            let filter = random_filter(&mut rng);
            let page = rng.random_range(1..5);
            let (items, total) = world.list_cards(&filter, page, 25);
            let got: Vec<String> = items.iter().map(|c| c.iccid.to_string()).collect();
            assert_eq!(
                (got, total),
                scanned(&world, &filter, page, 25),
                "{filter:?}"
            );
            assert_eq!(world.count_cards(&filter), total);
        }
    }
}

/// Cards removed and inserted keep the ICCID order of pages, labels and
/// all (also a fleet loaded in two parts, and a card replaced by a load).
#[test]
fn labels_follow_iccid_order_through_inserts_removals_and_loads() {
    let world = World::new(large_fleet_groups(30, 1));
    let mut cards: Vec<Card> = world
        .store
        .iccids()
        .iter()
        .map(|i| world.card(i).unwrap())
        .collect();
    let first = cards[0].clone();
    // Twenty cards squeezed in right after the first one.
    for n in 0..20u64 {
        let mut c = first.clone();
        c.iccid = format!("{}{}", first.iccid, "0".repeat(n as usize + 1)).into();
        c.msisdn = format!("1990000{n:04}").into();
        c.imsi = format!("4609900000{n:05}").into();
        c.imei = CompactString::default();
        world.insert_card(c, "test").unwrap();
    }
    assert!(world.store.facet_mismatches().is_empty());
    let all = CardFilter {
        carrier: Some(first.carrier),
        ..Default::default()
    };
    let (items, total) = world.list_cards(&all, 1, 1000);
    assert_eq!(total, items.len());
    assert!(items.windows(2).all(|w| w[0].iccid < w[1].iccid));
    // A bulk load on top of a fleet: new cards and a replaced one.
    cards.truncate(3);
    cards[0].tags = vec!["replaced".into()].into();
    for (i, c) in cards.iter_mut().enumerate().skip(1) {
        c.iccid = format!("{}9", c.iccid).into();
        c.msisdn = format!("1880000{i:04}").into();
        c.imsi = format!("4608800000{i:05}").into();
    }
    world.store.insert_cards(cards);
    assert!(world.store.facet_mismatches().is_empty());
    let replaced = CardFilter {
        tag: Some("replaced".into()),
        ..Default::default()
    };
    assert_eq!(world.count_cards(&replaced), 1);
    assert_eq!(world.store.card_count(), 52);
}
