//! The simulation engine: brings every card from one simulated instant to
//! another, in simulated-time order per card: usage from the card's traces
//! (split exactly at allowance, threshold and overage marks), month rollover,
//! expiry, keep-number fees and cancellation. Events of a clock move are
//! sorted by (time, ICCID) so the journal is the same whatever the jump sizes.

pub mod traces;

use compact_str::CompactString;
use jiff::Timestamp;
use parking_lot::{Mutex, RwLock};

use crate::clock::{cycle_of, cycle_start};
use crate::domain::card::OpeningUsage;
use crate::domain::lifecycle::{self, push_event};
use crate::domain::money::MB;
use crate::domain::retention::{Retention, Trimmed};
use crate::domain::usage::{self, Quota};
use crate::domain::{Card, CardState, Event, EventKind, LedgerKind, Plan, Reason, Usage};
use crate::fixture::Fixture;

use crate::journal::{copy_new_events, take_new_events};
use crate::store::{ChangeNote, Store};

pub use traces::{Trace, TraceSet};

/// Events, exhausted pools and changed cards from one engine worker.
type WorkerOutput = (Vec<Event>, Vec<(CompactString, Timestamp)>, Vec<ChangeNote>);

/// What a card looked like before a rule ran on it, to tell the store's
/// indexes what changed (noted with the card still locked, so recording
/// costs O(changed cards), never a scan).
struct Before {
    updated: Timestamp,
    state: CardState,
    reasons: crate::domain::card::ReasonSet,
}

impl Before {
    fn of(card: &Card) -> Self {
        Before {
            updated: card.updated,
            state: card.state,
            reasons: card.reasons,
        }
    }

    /// Re-files the card in the facet index if its state or reasons moved,
    /// and notes a change for the change index if `updated` moved.
    fn note(self, store: &Store, card: &Card, notes: &mut Vec<ChangeNote>) {
        store.reindex_state(card, self.state, self.reasons);
        if card.updated != self.updated {
            notes.push((card.updated, card.account.clone(), card.iccid.clone()));
        }
    }
}

/// Usage generation state: the traces and which cards they apply to; the
/// retention every card's histories are trimmed to as the engine (or an
/// operation, through [`Engine::trim`]) touches it, and what fell out.
pub struct Engine {
    pub traces: TraceSet,
    retention: RwLock<Retention>,
    trimmed: Mutex<Trimmed>,
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
            retention: RwLock::new(Retention::default()),
            trimmed: Mutex::new(Trimmed::default()),
        }
    }

    /// Loads the fixture's traces and retention.
    pub fn load(&self, fx: &Fixture, store: &Store) {
        self.traces.load(fx, store);
        *self.retention.write() = fx.effective_retention();
    }

    /// The retention in force.
    pub fn retention(&self) -> Retention {
        *self.retention.read()
    }

    /// What fell out of the cards' histories since the world was created.
    pub fn trimmed(&self) -> Trimmed {
        *self.trimmed.lock()
    }

    /// Brings one card's histories within the retention (counted).
    pub fn trim(&self, card: &mut Card) {
        let t = self.retention.read().trim(card);
        self.count(&t);
    }

    fn count(&self, t: &Trimmed) {
        if t.is_empty() {
            return;
        }
        let mut all = self.trimmed.lock();
        all.card_events += t.card_events;
        all.ledger_entries += t.ledger_entries;
        all.days += t.days;
        all.months += t.months;
        all.hours += t.hours;
    }

    /// Cards entering the world at `start` with usage already on them (a
    /// fixture's `data_used`, `sms_used`, `voice_seconds_used`): the usage is
    /// spread over the elapsed hours of the cycle (from its first hour, or
    /// the activation hour if later, to `start`) by the card's trace shape,
    /// and overage it already has is billed at `start`. Returns the events,
    /// sorted like a clock move's.
    pub fn open_fleet(&self, store: &Store, start: Timestamp) -> Vec<Event> {
        let mut out = Vec::new();
        let mut notes = Vec::new();
        for mut card in store.cards.iter_mut() {
            let card: &mut Card = &mut card;
            if card.usage == Usage::default() || card.opening_usage.is_some() {
                continue;
            }
            let Some(plan) = store.plans.get(card.plan.as_str()).map(|p| p.clone()) else {
                continue;
            };
            let before = card.events.len();
            let was = Before::of(card);
            self.open_card(card, &plan, start);
            was.note(store, card, &mut notes);
            copy_new_events(card, before, &mut out);
            self.trim(card);
        }
        store.record_changes(notes);
        out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.iccid.cmp(&b.iccid)));
        out
    }

    /// See [`Engine::open_fleet`]: one card (also a card added at run time).
    pub fn open_card(&self, card: &mut Card, plan: &Plan, start: Timestamp) {
        // The elapsed days of the cycle: from the 1st (or the activation
        // hour, when later) to the start of the start's day, so "today"
        // begins empty; when no whole day has elapsed, the hours of today
        // before the start; at the very first instant, the start's hour.
        let cycle_first = usage::hour_number(cycle_start(card.cycle));
        let activated = card.activated.map_or(0, usage::hour_number);
        let now_hour = usage::hour_number(start);
        let today = usage::first_hour_of_day(crate::clock::day_number(start));
        let first = cycle_first.max(activated).min(now_hour);
        let end = if today > first {
            today
        } else {
            now_hour.max(first + 1)
        };
        let hours = end - first;
        let day_start = first - (first + 8) % 24;
        card.opening_usage = Some(Box::new(OpeningUsage {
            usage: card.usage,
            first_hour: first,
            hours,
            shape: self.traces.daily_shape(card, plan, day_start),
        }));
        // Overage already used is billed now, the way a bill lists it,
        // not folded into the first new megabyte.
        let quota = usage::own_quota(card, plan);
        let in_service = matches!(card.state, CardState::Active | CardState::Suspended);
        if card.pool.is_none()
            && !card.auto_stop
            && in_service
            && plan.overage_fen_per_mb > 0
            && quota.used > quota.allowance
        {
            let mb = (quota.used - quota.allowance).div_ceil(MB);
            card.overage_charged_bytes = mb * MB;
            crate::domain::billing::charge(
                card,
                LedgerKind::Overage,
                mb as i64 * plan.overage_fen_per_mb,
                start,
                &format!("{mb} MB (opening usage)"),
            );
        }
    }

    /// Advances every card from `from` to `to`; returns the events, sorted.
    /// The cards that changed are recorded in the store's change and facet
    /// indexes as they change.
    pub fn advance(&self, store: &Store, from: Timestamp, to: Timestamp) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::new();
        let mut notes: Vec<ChangeNote> = Vec::new();
        let mut exhausted_pools: Vec<(CompactString, Timestamp)> = Vec::new();
        // Pooled cards share an allowance: step them together, in time order.
        let mut pooled: Vec<CompactString> = store
            .cards
            .iter()
            .filter(|c| c.pool.is_some() && self.traces.has_traces(c))
            .map(|c| c.iccid.clone())
            .collect();
        // In ICCID order, not the map's (seeded per process) order, so the
        // members draining a pool within an hour always take turns the same
        // way and a clock move gives the same world every time.
        pooled.sort_unstable();
        if !pooled.is_empty() {
            self.advance_pooled(store, &pooled, from, to, &mut out, &mut notes);
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
        let retention = &self.retention();
        let iccids = &iccids;
        let results: Vec<WorkerOutput> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    scope.spawn(move || {
                        let mut out = Vec::with_capacity(per_worker * 2);
                        let mut exhausted = Vec::new();
                        let mut notes = Vec::new();
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
                                let was = Before::of(card);
                                let start = card.synced.max(from);
                                self.advance_card(store, card, plan, start, to, &mut exhausted);
                                was.note(store, card, &mut notes);
                                copy_new_events(card, before, &mut out);
                                let t = retention.trim(card);
                                if !t.is_empty() {
                                    self.count(&t);
                                }
                            }
                        }
                        (out, exhausted, notes)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("engine worker"))
                .collect()
        });
        out.reserve(results.iter().map(|r| r.0.len()).sum());
        for (events, exhausted, changed) in results {
            out.extend(events);
            exhausted_pools.extend(exhausted);
            notes.extend(changed);
        }
        for (pool, at) in exhausted_pools {
            stop_pool_members(store, &pool, at, &mut out, &mut notes);
        }
        store.record_changes(notes);
        roll_pools(store, to);
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
        notes: &mut Vec<ChangeNote>,
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
                let was = Before::of(&card);
                let start = card.synced.max(t);
                if start < step_end {
                    self.advance_card(store, &mut card, &plan, start, step_end, &mut exhausted);
                }
                was.note(store, &card, notes);
                out.extend(take_new_events(&mut card, before));
                self.trim(&mut card);
            }
            for (pool, at) in exhausted.drain(..) {
                stop_pool_members(store, &pool, at, out, notes);
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

/// Records data used now on a locked card (see [`record_data_in`]).
pub fn record_data(
    store: &Store,
    card: &mut Card,
    plan: &Plan,
    bytes: u64,
    now: Timestamp,
) -> (u64, Option<CompactString>) {
    record_data_in(store, card, plan, now, &[(usage::hour_number(now), bytes)])
}

/// Records data used in `hours` (hour number, bytes) on a locked card,
/// against its pool when it has one; the consequences carry `now`. The
/// pool counts it in the cycle of the hour it was used in, so the last hour
/// of a month (recorded at 00:00 on the 1st) stays in the old month. Returns
/// the bytes used and the pool this usage exhausted (members are stopped by
/// the caller once the card's lock is released).
pub fn record_data_in(
    store: &Store,
    card: &mut Card,
    plan: &Plan,
    now: Timestamp,
    hours: &[(u32, u64)],
) -> (u64, Option<CompactString>) {
    if let Some(pool_id) = card.pool.clone() {
        if let Some(mut pool) = store.pools.get_mut(&pool_id) {
            let used_in = hours
                .first()
                .map_or(cycle_of(now), |(h, _)| cycle_of(usage::hour_start(*h)));
            pool.roll_to(used_in);
            let mut q = Quota {
                allowance: pool.data_bytes,
                used: pool.used_in(used_in),
                pooled: true,
            };
            let used = usage::record_data_in(card, plan, &mut q, now, hours);
            if pool.cycle != used_in {
                // The pool has moved on to a later month already.
                return (used, None);
            }
            pool.used_bytes = q.used;
            // Like a card's allowance: the pool runs dry (and stops its
            // auto-stop members) when its usage exceeds it.
            let newly = !pool.exhausted && pool.used_bytes > pool.data_bytes;
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
    (usage::record_data_in(card, plan, &mut q, now, hours), None)
}

/// Brings every pool to the cycle of `now`: a new month starts empty.
pub fn roll_pools(store: &Store, now: Timestamp) {
    let cycle = cycle_of(now);
    for mut p in store.pools.iter_mut() {
        p.roll_to(cycle);
    }
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

/// Stops every auto-stop member of a pool that ran dry, collecting the
/// events and the changed cards (members found through the facet index).
pub(crate) fn stop_pool_members(
    store: &Store,
    pool: &str,
    now: Timestamp,
    out: &mut Vec<Event>,
    notes: &mut Vec<ChangeNote>,
) {
    let members = [crate::store::facets::FacetKey::Pool(pool.into())];
    let mut iccids = Vec::new();
    store.for_each_matching(&members, |iccid| {
        iccids.push(iccid.clone());
        true
    });
    for iccid in iccids {
        let Some(mut c) = store.cards.get_mut(&iccid) else {
            continue;
        };
        if c.pool.as_deref() == Some(pool) && c.auto_stop && !c.reasons.contains(Reason::OverQuota)
        {
            let before = c.events.len();
            let was = Before::of(&c);
            lifecycle::add_reason(&mut c, Reason::OverQuota, now);
            was.note(store, &c, notes);
            out.extend(take_new_events(&mut c, before));
        }
    }
}
