//! World-scale benchmarks (run by `scripts/bench_world.sh`): fleet generation,
//! memory per million cards, month rollover, the usage engine over 30 days
//! with hourly resolution, and start-to-ready. Prints one line per figure.

use std::time::Instant;

use carrier_sim::fixture::generate::{large_fleet_groups, large_fleet_traces};
use carrier_sim::{fixture, World};
use jiff::SignedDuration;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let big: usize = args
        .iter()
        .find_map(|a| a.strip_prefix("--cards="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let engine_cards: usize = args
        .iter()
        .find_map(|a| a.strip_prefix("--engine-cards="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);

    let base_rss = rss_mib();
    let fx = large_fleet_groups(big, 1);
    let t = Instant::now();
    let built = fixture::build(&fx);
    println!(
        "generate {big} cards (in memory): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    drop(built);

    let t = Instant::now();
    let world = World::new(fx);
    println!(
        "load {big} cards into the store: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    println!(
        "RSS with {big} cards: {:.0} MiB (process baseline {:.0} MiB)",
        rss_mib(),
        base_rss
    );

    let to = carrier_sim::clock::cycle_start(carrier_sim::clock::cycle_of(world.now()) + 1);
    if args.iter().any(|a| a == "--split") {
        let t = Instant::now();
        let events = world.engine.advance(&world.store, world.now(), to);
        let engine = t.elapsed().as_secs_f64();
        let n = events.len();
        let t = Instant::now();
        world.journal.append(events);
        println!(
            "rollover split: engine {engine:.2} s for {n} events, journal {:.2} s",
            t.elapsed().as_secs_f64()
        );
    } else {
        let t = Instant::now();
        world.advance_to(to).unwrap();
        println!(
            "month rollover over {big} cards: {:.2} s ({} events)",
            t.elapsed().as_secs_f64(),
            world.journal.len()
        );
    }
    drop(world);

    let quick = args.iter().any(|a| a == "--quick");
    for n in if quick {
        vec![engine_cards]
    } else {
        vec![engine_cards, big]
    } {
        let mut fx = large_fleet_groups(n, 2);
        fx.traces = large_fleet_traces();
        let world = World::new(fx);
        let t = Instant::now();
        world.advance(SignedDuration::from_hours(24 * 30)).unwrap();
        println!(
            "engine: 30 days, hourly, {n} cards with mixed traces: {:.2} s",
            t.elapsed().as_secs_f64()
        );
    }

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut samples = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let sim = carrier_sim::Simulator::start().await;
            let url = format!("{}/_sim/health", sim.uri());
            loop {
                if reqwest::get(&url)
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false)
                {
                    break;
                }
            }
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
            sim.stop().await;
        }
        samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "start to ready (default fixture, in-process, median of 5): {:.1} ms",
            samples[2]
        );
    });
}
