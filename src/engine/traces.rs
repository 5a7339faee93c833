//! Usage traces: how cards consume data, send SMS and come online over
//! simulated time. A trace applies to a selector (card, tag, plan, account,
//! carrier or all) and yields an amount per hour that is a pure function of
//! (trace, card, hour), so totals never depend on how the clock was moved.
//! Within an hour usage is spread evenly, and a chunk is split exactly where
//! it crosses an allowance, threshold or overage mark. The format is
//! documented in `docs/traces.md`.

use compact_str::CompactString;
use jiff::Timestamp;
use parking_lot::RwLock;

pub use crate::domain::ids::fnv;
use crate::domain::lifecycle::push_event;
use crate::domain::usage::{self, bytes_to_next_mark, can_carry_data};
use crate::domain::{Card, EventKind, Plan};
pub use crate::fixture::traces::{
    parse_replay_csv, ReplayRecord, Selector, Size, Trace, TraceKind,
};
use crate::fixture::Fixture;
use crate::store::Store;

/// The traces in force, with the world's seed.
#[derive(Default)]
pub struct TraceSet {
    inner: RwLock<(Vec<Trace>, u64)>,
}

const HOUR: i64 = 3600;

impl TraceSet {
    pub fn load(&self, fx: &Fixture, _store: &Store) {
        let mut traces = fx.traces.clone();
        for (i, t) in traces.iter_mut().enumerate() {
            if t.id.is_empty() {
                t.id = format!("trace-{}", i + 1);
            }
            let _ = t.prepare();
        }
        *self.inner.write() = (traces, fx.seed);
    }

    pub fn list(&self) -> Vec<Trace> {
        self.inner.read().0.clone()
    }

    /// Adds or replaces (same id) a trace.
    pub fn upsert(&self, mut t: Trace) -> String {
        let _ = t.prepare();
        let mut g = self.inner.write();
        if t.id.is_empty() {
            t.id = format!("trace-{}", g.0.len() + 1);
            while g.0.iter().any(|x| x.id == t.id) {
                t.id.push('x');
            }
        }
        let id = t.id.clone();
        match g.0.iter_mut().find(|x| x.id == t.id) {
            Some(slot) => *slot = t,
            None => g.0.push(t),
        }
        id
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut g = self.inner.write();
        let before = g.0.len();
        g.0.retain(|t| t.id != id);
        g.0.len() != before
    }

    pub fn has_traces(&self, card: &Card) -> bool {
        self.inner
            .read()
            .0
            .iter()
            .any(|t| t.applies_to.matches(card))
    }

    /// The card's daily shape: the relative amount its traces yield in
    /// each Shanghai hour of the day starting at hour number `day_start`
    /// (local midnight), scaled to 0..=255; all zero when its traces yield
    /// nothing that day (the opening usage is then spread evenly).
    pub fn daily_shape(&self, card: &Card, plan: &Plan, day_start: u32) -> [u8; 24] {
        let g = self.inner.read();
        let (traces, seed) = (&g.0, g.1);
        let card_seed = seed ^ fnv(card.iccid.as_bytes());
        let mut amounts = [0u64; 24];
        for tr in traces.iter().filter(|t| t.applies_to.matches(card)) {
            for (k, slot) in amounts.iter_mut().enumerate() {
                let hour = i64::from(day_start) + k as i64;
                *slot = slot.saturating_add(hour_bytes(tr, card, plan, hour, card_seed));
            }
        }
        let max = amounts.iter().copied().max().unwrap_or(0);
        let mut shape = [0u8; 24];
        if max > 0 {
            for (k, a) in amounts.iter().enumerate() {
                let local = ((i64::from(day_start) + k as i64 + 8).rem_euclid(24)) as usize;
                shape[local] = (u128::from(*a) * 255).div_ceil(u128::from(max)) as u8;
            }
        }
        shape
    }

    /// Accrues usage on `card` over `[t0, t1)`, hour by hour.
    pub fn accrue(
        &self,
        store: &Store,
        card: &mut Card,
        plan: &Plan,
        t0: Timestamp,
        t1: Timestamp,
        exhausted: &mut Vec<(CompactString, Timestamp)>,
    ) {
        let g = self.inner.read();
        let (traces, seed) = (&g.0, g.1);
        let mine: Vec<&Trace> = traces
            .iter()
            .filter(|t| t.applies_to.matches(card))
            .collect();
        if mine.is_empty() {
            return;
        }
        let card_seed = seed ^ fnv(card.iccid.as_bytes());
        let in_force = |tr: &Trace, hour_start: i64| {
            !(tr.from.is_some_and(|f| f.as_second() > hour_start)
                || tr.until.is_some_and(|u| u.as_second() <= hour_start))
        };
        let has_replay = mine
            .iter()
            .any(|tr| matches!(tr.kind, TraceKind::Replay { .. }));
        // Hours that cross no mark are batched per day (one record per
        // day); the hour that crosses one is split exactly at it.
        let mut batch = Batch::default();
        // Everything in (t0, t1] happens in this call, so the same instant
        // never straddles two clock moves.
        let mut t = t0.as_second();
        let end = t1.as_second();
        while t < end {
            let hour_start = t.div_euclid(HOUR) * HOUR;
            let step_end = (hour_start + HOUR).min(end);
            let hour = hour_start / HOUR;
            let mut per_hour = 0u64;
            let mut sms_hour = 0u64;
            for tr in mine.iter().filter(|tr| in_force(tr, hour_start)) {
                per_hour += hour_bytes(tr, card, plan, hour, card_seed);
                sms_hour += hour_sms(tr, hour);
            }
            if has_replay {
                batch.flush(store, card, plan, exhausted);
                for tr in mine.iter().filter(|tr| in_force(tr, hour_start)) {
                    replay(tr, store, card, plan, t, step_end, exhausted);
                }
            }
            // Cumulative within the hour, so split segments sum exactly.
            let cum = |s: i64| (per_hour as u128 * (s - hour_start) as u128 / HOUR as u128) as u64;
            let mut done = cum(t);
            let target = cum(step_end);
            // The second at which the hour's cumulative usage reaches `done`.
            let at = |done: u64| {
                let s = hour_start
                    + ((done as u128 * HOUR as u128).div_ceil(per_hour.max(1) as u128) as i64)
                        .min(HOUR);
                s.clamp(t + 1, step_end)
            };
            if done < target && can_carry_data(card) {
                // The hour belongs to the day it starts in (23:00-24:00 is
                // the day's last hour), though it is recorded at its end.
                let hour_no = hour as u32;
                if !batch.take(
                    store,
                    card,
                    plan,
                    target - done,
                    at(target),
                    hour_no,
                    exhausted,
                ) {
                    while done < target && can_carry_data(card) {
                        let q = super::quota_of(store, card, plan);
                        let chunk = (target - done).min(bytes_to_next_mark(card, &q));
                        done += chunk;
                        let when = Timestamp::from_second(at(done)).unwrap_or(t1);
                        let (_, ex) =
                            super::record_data_in(store, card, plan, when, &[(hour_no, chunk)]);
                        if let Some(p) = ex {
                            exhausted.push((p, when));
                        }
                    }
                }
            }
            if step_end == hour_start + HOUR {
                // SMS of the hour are sent at its end.
                if sms_hour > 0 && card.data_flowing() {
                    batch.flush(store, card, plan, exhausted);
                    let when = Timestamp::from_second(step_end).unwrap_or(t1);
                    usage::record_sms(card, sms_hour as u32, when);
                }
                for tr in mine.iter().filter(|tr| in_force(tr, hour_start)) {
                    if matches!(tr.kind, TraceKind::Sessions { .. }) {
                        batch.flush(store, card, plan, exhausted);
                        self.sessions(tr, card, step_end);
                    }
                }
            }
            t = step_end;
        }
        batch.flush(store, card, plan, exhausted);
    }

    /// Opens or closes the data session at the top of hour `at`.
    fn sessions(&self, tr: &Trace, card: &mut Card, at: i64) {
        let TraceKind::Sessions {
            on_hour,
            off_hour,
            apn,
            rat,
        } = &tr.kind
        else {
            return;
        };
        let local_hour = ((at + 8 * HOUR).div_euclid(HOUR)).rem_euclid(24) as u8;
        let in_window = if on_hour <= off_hour {
            local_hour >= *on_hour && local_hour < *off_hour
        } else {
            local_hour >= *on_hour || local_hour < *off_hour
        };
        let want_online = in_window && card.data_flowing();
        let now = Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH);
        if want_online && !card.session.online {
            card.session.online = true;
            if let Some(apn) = apn {
                card.session.apn = CompactString::from(apn.as_str());
            }
            card.session.rat = CompactString::from(rat.as_str());
            let n = fnv(card.iccid.as_bytes());
            card.session.ip = CompactString::from(format!(
                "10.{}.{}.{}",
                (n >> 16) & 0xff,
                (n >> 8) & 0xff,
                (n & 0xfe) + 1
            ));
            card.session.started = Some(now);
            card.session.ended = None;
            card.session.sessions_this_cycle += 1;
            let (apn, ip, rat) = (
                card.session.apn.clone(),
                card.session.ip.clone(),
                card.session.rat.clone(),
            );
            push_event(card, now, EventKind::SessionStart { apn, ip, rat });
        } else if !want_online && card.session.online {
            card.session.online = false;
            card.session.ended = Some(now);
            push_event(card, now, EventKind::SessionStop);
        }
    }
}

fn replay(
    tr: &Trace,
    store: &Store,
    card: &mut Card,
    plan: &Plan,
    t: i64,
    end: i64,
    exhausted: &mut Vec<(CompactString, Timestamp)>,
) {
    let TraceKind::Replay { records, .. } = &tr.kind else {
        return;
    };
    let (iccid, msisdn) = (card.iccid.clone(), card.msisdn.clone());
    for r in records
        .iter()
        .filter(|r| r.iccid == iccid.as_str() || r.iccid == msisdn.as_str())
    {
        let s = r.time.as_second();
        if s > t && s <= end {
            // A record at T is the usage of the second ending at T: a
            // record at 00:00 closes the day before, like a trace hour.
            let hour = usage::hour_number(Timestamp::from_second(s - 1).unwrap_or(r.time));
            let mut left = r.bytes;
            while left > 0 && can_carry_data(card) {
                let q = super::quota_of(store, card, plan);
                let chunk = left.min(bytes_to_next_mark(card, &q));
                left -= chunk;
                if let (_, Some(p)) =
                    super::record_data_in(store, card, plan, r.time, &[(hour, chunk)])
                {
                    exhausted.push((p, r.time));
                }
            }
            if r.sms > 0 {
                usage::record_sms(card, r.sms, r.time);
            }
        }
    }
}

/// Usage of consecutive hours of one day that cross no allowance,
/// threshold or overage mark, recorded as one chunk at the last hour's end
/// (each hour still lands in its own slot of the per-hour history).
#[derive(Default)]
struct Batch {
    /// (hour number, bytes) of the hours taken, oldest first.
    hours: Vec<(u32, u64)>,
    bytes: u64,
    at: i64,
    /// Bytes that may still be added before the next mark (as of the last flush).
    room: Option<u64>,
}

impl Batch {
    /// Adds an hour's usage if it crosses no mark and stays in the batch's
    /// day; `false` when the caller must record it exactly instead.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        store: &Store,
        card: &mut Card,
        plan: &Plan,
        bytes: u64,
        at: i64,
        hour: u32,
        exhausted: &mut Vec<(CompactString, Timestamp)>,
    ) -> bool {
        let same_day = |h: &(u32, u64)| usage::day_of_hour(h.0) == usage::day_of_hour(hour);
        if self.hours.first().is_some_and(|h| !same_day(h)) {
            self.flush(store, card, plan, exhausted);
        }
        let room = *self
            .room
            .get_or_insert_with(|| bytes_to_next_mark(card, &super::quota_of(store, card, plan)));
        if self.bytes + bytes >= room {
            self.flush(store, card, plan, exhausted);
            return false;
        }
        self.bytes += bytes;
        match self.hours.last_mut() {
            Some((h, b)) if *h == hour => *b += bytes,
            _ => self.hours.push((hour, bytes)),
        }
        self.at = at;
        true
    }

    fn flush(
        &mut self,
        store: &Store,
        card: &mut Card,
        plan: &Plan,
        exhausted: &mut Vec<(CompactString, Timestamp)>,
    ) {
        self.room = None;
        self.bytes = 0;
        if self.hours.is_empty() {
            return;
        }
        let when = Timestamp::from_second(self.at).unwrap_or(Timestamp::UNIX_EPOCH);
        if let (_, Some(p)) = super::record_data_in(store, card, plan, when, &self.hours) {
            exhausted.push((p, when));
        }
        self.hours.clear();
    }
}

/// A counter-based random number in [0, 1) for (seed, hour): the same hour
/// always draws the same value, however the clock got there.
fn unit_random(seed: u64, hour: i64, salt: u64) -> f64 {
    let mut z = seed ^ (hour as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Bytes a trace yields in hour number `hour` (hours since the epoch).
fn hour_bytes(tr: &Trace, card: &Card, plan: &Plan, hour: i64, seed: u64) -> u64 {
    match &tr.kind {
        // Each hour gets the difference of the day's cumulative amounts, so
        // the rounding remainders carry and a day adds up to `per_day`.
        TraceKind::Constant { per_day } => {
            let k = (hour + 8).rem_euclid(24) as u128;
            let day = per_day.0 as u128;
            (day * (k + 1) / 24 - day * k / 24) as u64
        }
        TraceKind::DailyProfile { per_day, hours } => {
            let k = (hour + 8).rem_euclid(24) as usize;
            let total: f64 = hours.iter().sum();
            if hours.len() != 24 || total <= 0.0 || !total.is_finite() {
                let day = per_day.0 as u128;
                return (day * (k as u128 + 1) / 24 - day * k as u128 / 24) as u64;
            }
            let upto = |n: usize| -> u64 {
                if n >= 24 {
                    return per_day.0;
                }
                let w: f64 = hours[..n].iter().sum();
                ((per_day.0 as f64 * w / total).floor() as u64).min(per_day.0)
            };
            upto(k + 1).saturating_sub(upto(k))
        }
        TraceKind::RandomWalk { per_day, spread } => {
            let f: f64 = (unit_random(seed, hour, 1) * 2.0 - 1.0) * spread.clamp(0.0, 1.0);
            ((per_day.0 as f64 / 24.0) * (1.0 + f)).max(0.0) as u64
        }
        TraceKind::Bursts { size, chance } if unit_random(seed, hour, 2) < *chance => size.0,
        TraceKind::Bursts { .. } => 0,
        TraceKind::ReachPercent { percent, by_day } => {
            let hours = (*by_day).clamp(1, 31) as u128 * 24;
            let at = Timestamp::from_second(hour * HOUR).unwrap_or(Timestamp::UNIX_EPOCH);
            let month_start = crate::clock::cycle_start(crate::clock::cycle_of(at)).as_second();
            let i = ((hour * HOUR - month_start) / HOUR) as u128;
            if i >= hours {
                return 0;
            }
            let allowance = plan.data_bytes + card.addon_bytes(card.cycle);
            let target = (allowance as f64 * percent / 100.0).max(0.0) as u128;
            // Cumulative, so the target is reached exactly on `by_day`.
            (target * (i + 1) / hours - target * i / hours) as u64
        }
        TraceKind::Burn { total, start, end } => {
            let (s, e) = (start.as_second(), end.as_second());
            let h0 = hour * HOUR;
            if e <= s || h0 + HOUR <= s || h0 >= e {
                return 0;
            }
            let span = (e - s) as u128;
            let a = (h0.max(s) - s) as u128;
            let b = ((h0 + HOUR).min(e) - s) as u128;
            (total.0 as u128 * b / span - total.0 as u128 * a / span) as u64
        }
        _ => 0,
    }
}

/// SMS sent in hour `hour`: `per_day` spread evenly over the local day.
fn hour_sms(tr: &Trace, hour: i64) -> u64 {
    match &tr.kind {
        TraceKind::Sms { per_day } => {
            let h = (hour + 8).rem_euclid(24) as u64;
            let n = *per_day as u64;
            (h + 1) * n / 24 - h * n / 24
        }
        _ => 0,
    }
}
