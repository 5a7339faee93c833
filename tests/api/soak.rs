//! The memory soak (issue 19): a large fleet with hourly usage traces on
//! every card runs a simulated year in monthly clock steps, and the
//! process's resident memory, sampled after each month, must stay under
//! the goal (1.5 GiB at a million cards). Ignored by default: it takes
//! minutes and most of the machine; `scripts/soak.sh` runs it on a release
//! build. Never part of CI.
//!
//! `SOAK_CARDS` (default 1 000 000), `SOAK_MONTHS` (12),
//! `SOAK_RSS_LIMIT_MIB` (1536) and `SOAK_RETENTION` (`key=value,...`, as
//! `serve --retention`) change the run.

use carrier_sim::clock::{cycle_of, cycle_start};
use carrier_sim::fixture::generate::{large_fleet_groups, large_fleet_traces};
use carrier_sim::World;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process (Linux `/proc/self/status` VmRSS), MiB.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Average entries per card in each history.
fn histories(w: &World) -> String {
    let (mut events, mut ledger, mut days, mut hours, mut months) = (0, 0, 0, 0, 0);
    let mut n = 0;
    for c in w.store.cards.iter() {
        n += 1;
        events += c.events.len();
        ledger += c.ledger.len();
        days += c.days.len();
        hours += c.hours.len();
        months += c.months.len();
    }
    use std::mem::size_of;
    let bytes = events * size_of::<carrier_sim::domain::Event>()
        + ledger * size_of::<carrier_sim::domain::LedgerEntry>()
        + days * size_of::<(i32, carrier_sim::domain::card::DayUsage)>()
        + hours * size_of::<(u32, u32)>()
        + months * size_of::<(i32, carrier_sim::domain::Usage)>();
    let n = n.max(1) as f64;
    format!(
        "per card: events {:.1}, ledger {:.1}, days {:.1}, hours {:.1}, months {:.1} (~{:.0} B of history; card {} B)",
        events as f64 / n,
        ledger as f64 / n,
        days as f64 / n,
        hours as f64 / n,
        months as f64 / n,
        bytes as f64 / n,
        size_of::<carrier_sim::domain::Card>()
    )
}

#[test]
#[ignore = "soak: minutes and GiBs; scripts/soak.sh runs it on a release build"]
fn a_large_fleet_for_a_simulated_year_stays_under_the_memory_goal() {
    let cards = env_or("SOAK_CARDS", 1_000_000);
    let months = env_or("SOAK_MONTHS", 12);
    let limit = env_or("SOAK_RSS_LIMIT_MIB", 1536) as f64;
    let started = std::time::Instant::now();
    let mut fx = large_fleet_groups(cards, 1);
    fx.traces = large_fleet_traces();
    if let Ok(items) = std::env::var("SOAK_RETENTION") {
        for item in items.split(',').filter(|i| !i.trim().is_empty()) {
            let (k, v) = item.split_once('=').expect("SOAK_RETENTION: key=value,...");
            fx.retention.set(k, v).unwrap();
        }
        fx.retention.check().unwrap();
    }
    let world = World::new(fx);
    println!(
        "soak: {cards} cards loaded in {:.1} s, RSS {:.0} MiB; retention {:?}",
        started.elapsed().as_secs_f64(),
        rss_mib(),
        world.engine.retention()
    );
    let mut peak: f64 = 0.0;
    for month in 1..=months {
        let t = std::time::Instant::now();
        let to = cycle_start(cycle_of(world.now()) + 1);
        world.advance_to(to).unwrap();
        let rss = rss_mib();
        peak = peak.max(rss);
        let j = world.journal.stats();
        println!(
            "soak: month {month:2} ({}) in {:5.1} s: RSS {rss:6.0} MiB; journal {} kept, {} dropped; {}",
            carrier_sim::clock::rfc3339(to),
            t.elapsed().as_secs_f64(),
            j.retained,
            j.dropped,
            histories(&world)
        );
    }
    println!(
        "soak: {cards} cards, {months} months, peak sampled RSS {peak:.0} MiB (goal < {limit:.0} MiB), {:.0} s in all",
        started.elapsed().as_secs_f64()
    );
    assert!(
        peak < limit,
        "RSS reached {peak:.0} MiB, over the goal of {limit:.0} MiB"
    );
}
