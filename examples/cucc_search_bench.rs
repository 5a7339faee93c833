//! One page of CUCC device search (`GET /rws/api/v1/devices?modifiedSince=`)
//! at a million cards in one account, run by `scripts/bench_cucc_search.sh`.
//!
//! Builds a world of `--cards=N` (default 1,000,000) CUCC cards in
//! `cucc-demo` (the default fixture's accounts, no traces, rate limit off),
//! starts the full server on a free loopback port, and times pages over real
//! HTTP (Basic auth): the first, a middle and the last page of an untouched
//! fleet, then the first page of an incremental sync over 1,000 edits. For
//! comparison it also times, in process, what one page cost before the
//! change index: copying every card of the account (`account_cards`) and
//! filtering it. Prints one line per figure.

use std::time::{Duration, Instant};

use carrier_sim::fixture::generate::large_fleet_groups;
use carrier_sim::Simulator;

const USER: &str = "cucc-demo";
const KEY: &str = "2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f";

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Median and worst of `runs` timings of `f`.
async fn time<F, Fut>(runs: usize, mut f: F) -> (Duration, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        v.push(t.elapsed());
    }
    v.sort();
    (v[v.len() / 2], v[v.len() - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let cards: usize = std::env::args()
        .find_map(|a| a.strip_prefix("--cards=").and_then(|n| n.parse().ok()))
        .unwrap_or(1_000_000);
    let mut fx = large_fleet_groups(3, 1);
    fx.groups.retain(|g| g.account == "cucc-demo");
    fx.groups[0].count = cards;
    fx.dialects.cucc.rate_per_sec = Some(0.0);
    let t = Instant::now();
    let sim = Simulator::builder().fixture(fx).start().await;
    println!(
        "world of {cards} CUCC cards in one account: started in {:.2} s, RSS {:.0} MiB",
        t.elapsed().as_secs_f64(),
        rss_mib()
    );
    let http = reqwest::Client::new();
    let base = sim.cucc_url();
    let since = "2026-01-01T00%3A00%3A00%2B00%3A00";
    let page = |n: usize| {
        let url = format!("{base}/devices?modifiedSince={since}&pageSize=50&pageNumber={n}");
        let http = http.clone();
        async move {
            let r = http
                .get(url)
                .basic_auth(USER, Some(KEY))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["devices"].as_array().unwrap().len(), 50, "{v}");
        }
    };
    let last = cards / 50;
    for (name, n) in [("first", 1), ("middle", last / 2), ("last", last)] {
        page(n).await;
        let (median, worst) = time(50, || page(n)).await;
        println!(
            "search page {n} ({name}) of {last}, 50 devices, over HTTP: median {} (worst of 50: {})",
            ms(median),
            ms(worst)
        );
    }
    // A second later, 1,000 cards change; an incremental sync asks for
    // the changes since then (the first page of 20).
    let world = sim.world();
    let iccids = world.store.iccids();
    world
        .advance(jiff::SignedDuration::from_secs(1))
        .expect("clock");
    let t = Instant::now();
    let mut edited = 0;
    for i in 0..1000 {
        let id = &iccids[(i * 997) % iccids.len()];
        // A cancelled card refuses edits (1% of the generated fleet).
        edited += world
            .set_attribute(
                id,
                "bench",
                carrier_sim::domain::Carrier::Cucc,
                "accountCustom2",
                Some("x"),
            )
            .is_ok() as usize;
    }
    println!(
        "{edited} of 1,000 edits applied (each recorded in the change index): {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    let sync_since = world
        .now()
        .strftime("%Y-%m-%dT%H%%3A%M%%3A%S%%2B00%%3A00")
        .to_string();
    let sync_url = format!("{base}/devices?modifiedSince={sync_since}&pageSize=50&pageNumber=1");
    let (median, worst) = time(50, || {
        let (http, url) = (http.clone(), sync_url.clone());
        async move {
            let r = http
                .get(url)
                .basic_auth(USER, Some(KEY))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    })
    .await;
    println!(
        "incremental sync, first page of those changes, over HTTP: median {} (worst of 50: {})",
        ms(median),
        ms(worst)
    );
    // The previous approach: every card of the account copied, then
    // filtered and paged (what `devices::search` did before the index).
    let rss0 = rss_mib();
    let (median, worst) = time(3, || async {
        let all = carrier_sim::carriers::cucc::account_cards(world, "cucc-demo");
        let since = jiff::Timestamp::UNIX_EPOCH;
        let rows: Vec<_> = all.iter().filter(|c| c.updated >= since).take(50).collect();
        assert_eq!(rows.len(), 50);
    })
    .await;
    println!(
        "previous approach, one page (copy of the account's {cards} cards), in process: median {} (worst of 3: {}), RSS after {:.0} MiB (was {:.0})",
        ms(median),
        ms(worst),
        rss_mib(),
        rss0
    );
}
