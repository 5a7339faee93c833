//! The simulation engine: brings every card from one simulated instant to
//! another, in simulated-time order per card: usage from the card's traces
//! (split exactly at allowance, threshold and overage marks), month rollover,
//! expiry, keep-number fees and cancellation. Events of a clock move are
//! sorted by (time, ICCID) so the journal is the same whatever the jump sizes.

pub mod traces;
pub mod webhooks;

use compact_str::CompactString;
use jiff::Timestamp;

use crate::clock::{cycle_of, cycle_start};
use crate::domain::lifecycle::{self, push_event};
use crate::domain::usage::{self, Quota};
use crate::domain::{Card, CardState, Event, EventKind, Plan, Reason};
use crate::fixture::Fixture;
use crate::journal::{copy_new_events, take_new_events};
use crate::store::Store;

pub use traces::{Trace, TraceSet};

/// Events and exhausted pools from one engine worker.
type WorkerOutput = (Vec<Event>, Vec<(CompactString, Timestamp)>);

/// Usage generation state: the traces and which cards they apply to.
pub struct Engine {
    pub traces: TraceSet,
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    pub fn new() -> Self {
        Engine {
            traces: TraceSet::default(),
        }
    }

    /// Loads the fixture's traces.
    pub fn load(&self, fx: &Fixture, store: &Store) {
        self.traces.load(fx, store);
    }

    /// Advances every card from `from` to `to`; returns the events, sorted.
    pub fn advance(&self, store: &Store, from: Timestamp, to: Timestamp) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        let mut exhausted_pools: Vec<(CompactString, Timestamp)> = Vec::new();
        // Pooled cards share an allowance: step them together, in time order.
        let pooled: Vec<CompactString> = store
            .cards
            .iter()
            .filter(|c| c.pool.is_some() && self.traces.has_traces(c))
            .map(|c| c.iccid.clone())
            .collect();
        if !pooled.is_empty() {
            self.advance_pooled(store, &pooled, from, to, &mut out);
        }
        // Cards are independent outside pools: advance them in parallel.
        let plans: std::collections::HashMap<CompactString, Plan> = store
            .plans
            .iter()
            .map(|p| (p.key().clone(), p.value().clone()))
            .collect();
        let plans = &plans;
        let iccids = store.iccids();
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8);
        let per_worker = iccids.len().div_ceil(workers).max(1);
        let iccids = &iccids;
        let results: Vec<WorkerOutput> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    scope.spawn(move || {
                        let mut out = Vec::with_capacity(per_worker * 2);
                        let mut exhausted = Vec::new();
                        for iccid in iccids.chunks(per_worker).nth(w).unwrap_or(&[]) {
                            {
                                let Some(mut card) = store.cards.get_mut(iccid) else {
                                    continue;
                                };
                                let card: &mut Card = &mut card;
                                if card.synced >= to {
                                    continue;
                                }
                                let Some(plan) = plans.get(card.plan.as_str()) else {
                                    continue;
                                };
                                let before = card.events.len();
                                let start = card.synced.max(from);
                                self.advance_card(store, card, plan, start, to, &mut exhausted);
                                copy_new_events(card, before, &mut out);
                            }
                        }
                        (out, exhausted)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("engine worker"))
                .collect()
        });
        out.reserve(results.iter().map(|r| r.0.len()).sum());
        for (events, exhausted) in results {
            out.extend(events);
            exhausted_pools.extend(exhausted);
        }
        for (pool, at) in exhausted_pools {
            stop_pool_members(store, &pool, at, &mut out);
        }
        out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.iccid.cmp(&b.iccid)));
        out
    }

    /// One card from `from` to `to`: usage segments between calendar events.
    fn advance_card(
        &self,
        store: &Store,
        card: &mut Card,
        plan: &Plan,
        from: Timestamp,
        to: Timestamp,
        exhausted: &mut Vec<(CompactString, Timestamp)>,
    ) {
        let mut t = from;
        while t < to {
            let next = next_calendar_event(card, t);
            let seg_end = next.min(to);
            self.traces.accrue(store, card, plan, t, seg_end, exhausted);
            t = seg_end;
            if t == next {
                run_calendar(card, plan, t);
            }
        }
        card.synced = to;
    }

    /// Pooled cards with traces: hour by hour across all members so the pool
    /// drains in time order; calendar events run when each card reaches them.
    fn advance_pooled(
        &self,
        store: &Store,
        iccids: &[CompactString],
        from: Timestamp,
        to: Timestamp,
        out: &mut Vec<Event>,
    ) {
        let mut t = from;
        let mut exhausted = Vec::new();
        while t < to {
            let step_end = next_step(t).min(to);
            for iccid in iccids {
                let Some(mut card) = store.cards.get_mut(iccid) else {
                    continue;
                };
                let Some(plan) = store.plans.get(&card.plan).map(|p| p.clone()) else {
                    continue;
                };
                let before = card.events.len();
                let start = card.synced.max(t);
                if start < step_end {
                    self.advance_card(store, &mut card, &plan, start, step_end, &mut exhausted);
                }
                out.extend(take_new_events(&mut card, before));
            }
            for (pool, at) in exhausted.drain(..) {
                stop_pool_members(store, &pool, at, out);
            }
            t = step_end;
        }
    }
}

/// The next hour boundary after `t` (fixed hourly steps for pools).
fn next_step(t: Timestamp) -> Timestamp {
    let s = t.as_second();
    Timestamp::from_second((s.div_euclid(3600) + 1) * 3600).unwrap_or(t)
}

/// The next calendar instant that matters for the card after `t`.
pub fn next_calendar_event(card: &Card, t: Timestamp) -> Timestamp {
    let mut next = cycle_start(cycle_of(t) + 1);
    if card.state == CardState::Cancelled {
        return next;
    }
    if matches!(card.state, CardState::Active | CardState::Suspended) {
        if let Some(e) = card.expires {
            if e > t && e < next {
                next = e;
            }
        }
    }
    if card.state == CardState::PreCancel {
        if let Some(c) = card.cancel_at {
            if c > t && c < next {
                next = c;
            }
        }
    }
    next
}

/// Everything that happens at a calendar instant, in the rules' order:
/// rollover (usage reset, over-quota resume, fees), expiry, keep-number fee,
/// cancellation.
pub fn run_calendar(card: &mut Card, plan: &Plan, t: Timestamp) {
    let month_start = cycle_start(cycle_of(t)) == t;
    if month_start {
        lifecycle::rollover(card, plan, t);
    }
    if matches!(card.state, CardState::Active | CardState::Suspended)
        && card.expires.is_some_and(|e| e <= t)
    {
        lifecycle::expire(card, t);
    }
    if month_start {
        lifecycle::keep_number_fee(card, t);
    }
    if card.state == CardState::PreCancel && card.cancel_at.is_some_and(|c| c <= t) {
        lifecycle::cancel(card, t);
    }
}

/// Records data on a locked card against its pool when it has one. Returns
/// the bytes used and the pool this usage exhausted (members are stopped by
/// the caller once the card's lock is released).
pub fn record_data(
    store: &Store,
    card: &mut Card,
    plan: &Plan,
    bytes: u64,
    now: Timestamp,
) -> (u64, Option<CompactString>) {
    if let Some(pool_id) = card.pool.clone() {
        if let Some(mut pool) = store.pools.get_mut(&pool_id) {
            pool.roll_to(cycle_of(now));
            let mut q = Quota {
                allowance: pool.data_bytes,
                used: pool.used_bytes,
                pooled: true,
            };
            let used = usage::record_data(card, plan, &mut q, bytes, now);
            pool.used_bytes = q.used;
            let newly = !pool.exhausted && pool.used_bytes >= pool.data_bytes;
            if newly {
                pool.exhausted = true;
                push_event(
                    card,
                    now,
                    EventKind::PoolExhausted {
                        pool: pool_id.clone(),
                    },
                );
            }
            return (used, newly.then_some(pool_id));
        }
    }
    let mut q = usage::own_quota(card, plan);
    (usage::record_data(card, plan, &mut q, bytes, now), None)
}

/// The quota a locked card draws on right now.
pub fn quota_of(store: &Store, card: &Card, plan: &Plan) -> Quota {
    if let Some(pool) = card.pool.as_ref().and_then(|p| store.pools.get(p)) {
        return Quota {
            allowance: pool.data_bytes,
            used: pool.used_in(card.cycle),
            pooled: true,
        };
    }
    usage::own_quota(card, plan)
}

/// Stops every auto-stop member of a pool that ran dry, collecting the events.
pub(crate) fn stop_pool_members(store: &Store, pool: &str, now: Timestamp, out: &mut Vec<Event>) {
    for mut c in store.cards.iter_mut() {
        if c.pool.as_deref() == Some(pool) && c.auto_stop && !c.reasons.contains(Reason::OverQuota)
        {
            let before = c.events.len();
            lifecycle::add_reason(&mut c, Reason::OverQuota, now);
            out.extend(take_new_events(&mut c, before));
        }
    }
}
