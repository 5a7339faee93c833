//! Recording usage on a card: counters, per-day and per-hour history,
//! threshold events, over-quota stop (auto-stop cards) or overage charges,
//! the usage-threshold cut, and first-use activation. The engine calls this
//! in chunks split at the exact crossing moments, so every consequence
//! carries the right time.
//!
//! Which day and cycle usage belongs to: usage of a trace hour belongs to
//! the Shanghai day and cycle that hour **starts** in (23:00-24:00 is the
//! day's last hour, although the engine records it at 24:00); usage "now"
//! belongs to the day of now. The readers ([`daily`], [`day_usage`],
//! [`hourly`]) add the card's opening usage, so per hour, per day and per
//! cycle always add up.

use jiff::Timestamp;

use super::billing::{self, LedgerKind};
use super::card::{Card, CardState, DayUsage, OpeningUsage, Reason, Usage, DAY_HISTORY};
use super::event::EventKind;
use super::lifecycle::{self, push_event};
use super::money::MB;
use super::plan::Plan;
use crate::clock::day_number;

/// The allowance a card draws on and how much of it is used: the card's own
/// (plan + add-ons) or its pool's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub allowance: u64,
    pub used: u64,
    pub pooled: bool,
}

/// Shares of the allowance that raise a `usage_threshold` event.
pub const THRESHOLDS: [u8; 4] = [50, 80, 90, 100];

/// The card's own quota this cycle.
pub fn own_quota(card: &Card, plan: &Plan) -> Quota {
    Quota {
        allowance: plan.data_bytes + card.addon_bytes(card.cycle),
        used: card.usage.data_bytes,
        pooled: false,
    }
}

/// Whether data may flow: in a network state, no stop reason, threshold not hit.
pub fn can_carry_data(card: &Card) -> bool {
    card.data_flowing() && !card.threshold.is_some_and(|t| t.reached)
}

/// Bytes still usable before the next consequence (allowance, threshold
/// share or threshold cut), so callers can split a chunk exactly there.
pub fn bytes_to_next_mark(card: &Card, quota: &Quota) -> u64 {
    let mut next = u64::MAX;
    if quota.allowance > 0 {
        for p in THRESHOLDS {
            let mark = (quota.allowance as u128 * p as u128).div_ceil(100) as u64;
            if quota.used < mark {
                next = next.min(mark - quota.used);
            }
        }
    }
    if let Some(t) = card.threshold {
        if let Some(q) = t.quota_bytes {
            let base = if t.beyond_plan { quota.allowance } else { 0 };
            let mark = base.saturating_add(q);
            let used = if t.beyond_plan {
                quota.used
            } else {
                card.usage.data_bytes
            };
            if used < mark {
                next = next.min(mark - used);
            }
        }
    }
    // The first byte beyond the allowance (the over-quota stop), and then
    // the first byte of every further MB (overage is billed per started
    // MB, at the second it is started): marks at allowance + k×MB + 1, so
    // the consequence's time never depends on how the clock was moved.
    if quota.used <= quota.allowance {
        next = next.min(quota.allowance + 1 - quota.used);
    } else {
        let into_mb = over_bytes(card, quota) % MB;
        next = next.min(if into_mb == 0 { 1 } else { MB - into_mb + 1 });
    }
    next.max(1)
}

/// The overage this card pays for: its usage beyond its own allowance, or
/// (in a pool) its own bytes used while the pool was beyond the pool's.
fn over_bytes(card: &Card, quota: &Quota) -> u64 {
    if quota.pooled {
        card.pool_over_bytes
    } else {
        quota.used.saturating_sub(quota.allowance)
    }
}

/// Hour number (hours since the epoch) of an instant.
pub fn hour_number(ts: Timestamp) -> u32 {
    ts.as_second().div_euclid(3600).clamp(0, u32::MAX as i64) as u32
}

/// The first instant of an hour number.
pub fn hour_start(hour: u32) -> Timestamp {
    Timestamp::from_second(hour as i64 * 3600).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The Shanghai day number an hour belongs to (the day it starts in).
pub fn day_of_hour(hour: u32) -> i32 {
    day_number(hour_start(hour))
}

/// Records `bytes` of data used at `now` (in the hour of `now`). Returns
/// the bytes actually used (0 when the card cannot carry data). Updates
/// `quota.used` for the caller.
pub fn record_data(
    card: &mut Card,
    plan: &Plan,
    quota: &mut Quota,
    bytes: u64,
    now: Timestamp,
) -> u64 {
    record_data_in(card, plan, quota, now, &[(hour_number(now), bytes)])
}

/// Records data used in the given hours (hour number, bytes), oldest
/// first; its consequences (thresholds, stop, overage) carry `now`, the
/// moment the last of it was used. Returns the bytes used (all or none).
pub fn record_data_in(
    card: &mut Card,
    plan: &Plan,
    quota: &mut Quota,
    now: Timestamp,
    hours: &[(u32, u64)],
) -> u64 {
    let bytes: u64 = hours.iter().map(|(_, b)| *b).sum();
    if bytes == 0 || !can_carry_data(card) {
        return 0;
    }
    if card.state == CardState::ActivationReady {
        let _ = lifecycle::activate(card, plan, now);
        if !can_carry_data(card) {
            return 0;
        }
    }
    let before = quota.used;
    card.usage.data_bytes += bytes;
    quota.used += bytes;
    if quota.pooled {
        card.pool_over_bytes += quota.used.saturating_sub(before.max(quota.allowance));
    }
    for &(hour, b) in hours {
        add_day(card, day_of_hour(hour), |d| d.data_bytes += b);
        add_hour(card, hour, b);
    }
    card.updated = now;

    if card.state == CardState::TestReady
        && plan.test_data_bytes > 0
        && card.usage.data_bytes >= plan.test_data_bytes
    {
        let _ = lifecycle::activate(card, plan, now);
    }
    if quota.allowance > 0 {
        for p in THRESHOLDS {
            let mark = (quota.allowance as u128 * p as u128).div_ceil(100) as u64;
            if before < mark && quota.used >= mark && !quota.pooled {
                push_event(
                    card,
                    now,
                    EventKind::UsageThreshold {
                        percent: p,
                        used_bytes: quota.used,
                        allowance_bytes: quota.allowance,
                    },
                );
            }
        }
    }
    if quota.used >= quota.allowance && card.state != CardState::TestReady {
        if card.auto_stop {
            // Auto-stop (自动超停) fires when usage *exceeds* the allowance
            // (the seed article: 流量超出套餐就会自动关闭上网功能); using
            // exactly the allowance keeps the card in service.
            if quota.used > quota.allowance {
                lifecycle::add_reason(card, Reason::OverQuota, now);
            }
        } else if plan.overage_fen_per_mb > 0 {
            let billable_mb = over_bytes(card, quota).div_ceil(MB);
            let charged_mb = card.overage_charged_bytes / MB;
            if billable_mb > charged_mb {
                let amount = (billable_mb - charged_mb) as i64 * plan.overage_fen_per_mb;
                card.overage_charged_bytes = billable_mb * MB;
                billing::charge(
                    card,
                    LedgerKind::Overage,
                    amount,
                    now,
                    &format!("{} MB", billable_mb - charged_mb),
                );
            }
        }
    }
    check_threshold_cut(card, quota, now);
    bytes
}

/// Sets `reached` when the usage-threshold cut's quota is hit.
pub fn check_threshold_cut(card: &mut Card, quota: &Quota, now: Timestamp) {
    let Some(t) = card.threshold else { return };
    let Some(q) = t.quota_bytes else { return };
    if t.reached {
        return;
    }
    let used = if t.beyond_plan {
        quota.used.saturating_sub(quota.allowance)
    } else {
        card.usage.data_bytes
    };
    if used >= q.max(1) {
        if let Some(th) = card.threshold.as_mut() {
            th.reached = true;
        }
        push_event(
            card,
            now,
            EventKind::Edited {
                field: "threshold_cut".into(),
                from: "未达量".into(),
                to: "已达量断网".into(),
                forced: false,
                by: "network".into(),
            },
        );
    }
}

/// Records SMS sent or received by the card (counts against its usage).
pub fn record_sms(card: &mut Card, count: u32, now: Timestamp) {
    card.usage.sms += count;
    add_day(card, day_number(now), |d| d.sms += count);
    card.updated = now;
}

/// Records voice seconds.
pub fn record_voice(card: &mut Card, seconds: u32, now: Timestamp) {
    card.usage.voice_seconds += seconds;
    add_day(card, day_number(now), |d| d.voice_seconds += seconds);
    card.updated = now;
}

/// Adds to a day of the history (kept in day order, newest last).
fn add_day(card: &mut Card, day: i32, f: impl FnOnce(&mut DayUsage)) {
    let pos = card.days.iter().rposition(|(d, _)| *d <= day);
    match pos {
        Some(i) if card.days[i].0 == day => f(&mut card.days[i].1),
        _ => {
            let mut u = DayUsage::default();
            f(&mut u);
            card.days.insert(pos.map_or(0, |i| i + 1), (day, u));
            if card.days.len() > DAY_HISTORY {
                card.days.remove(0);
            }
        }
    }
}

/// Adds data to an hour of the history. Entries stay in hour order and an
/// hour's entries are full (`u32::MAX`) but the last, so the entries are the
/// same however the usage was chunked.
fn add_hour(card: &mut Card, hour: u32, bytes: u64) {
    if bytes == 0 {
        return;
    }
    let mut left = bytes;
    // After the last entry of this hour or before the first later one.
    let mut at = card
        .hours
        .iter()
        .rposition(|(h, _)| *h <= hour)
        .map_or(0, |i| i + 1);
    if at > 0 && card.hours[at - 1].0 == hour {
        let last = &mut card.hours[at - 1].1;
        let room = u64::from(u32::MAX - *last);
        let put = room.min(left);
        *last += put as u32;
        left -= put;
    }
    while left > 0 {
        let put = left.min(u64::from(u32::MAX));
        card.hours.insert(at, (hour, put as u32));
        at += 1;
        left -= put;
    }
}

/// Drops the hours before the last day of the previous cycle (at a
/// rollover into `cycle`): the history then holds at most a cycle and a day.
pub fn trim_hours(card: &mut Card, cycle: i32) {
    let keep_from = hour_number(crate::clock::cycle_start(cycle)).saturating_sub(24);
    let old = card
        .hours
        .iter()
        .take_while(|(h, _)| *h < keep_from)
        .count();
    if old > 0 {
        card.hours.drain(..old);
    }
}

/// Cumulative shape weight of the first `n` hours of an opening spread.
fn opening_weight(o: &OpeningUsage, n: u32) -> u128 {
    let offset = ((o.first_hour as u64 + 8) % 24) as usize;
    let even = o.shape.iter().all(|w| *w == 0);
    let w = |k: usize| -> u128 {
        if even {
            1
        } else {
            u128::from(o.shape[(offset + k) % 24])
        }
    };
    let per_day: u128 = (0..24).map(w).sum();
    let full = u128::from(n / 24) * per_day;
    full + (0..(n % 24) as usize).map(w).sum::<u128>()
}

/// The opening usage's share of hours `[from, to)` (absolute hour numbers):
/// each hour gets `total × W(end) / W(all) − total × W(start) / W(all)`
/// (floors of the cumulative weight), so the shares add up to the total.
fn opening_share(o: &OpeningUsage, from: u32, to: u32) -> Usage {
    let first = o.first_hour;
    let last = first.saturating_add(o.hours);
    let (a, b) = (
        from.clamp(first, last) - first,
        to.clamp(first, last) - first,
    );
    if a >= b {
        return Usage::default();
    }
    let all = opening_weight(o, o.hours).max(1);
    let (wa, wb) = (opening_weight(o, a), opening_weight(o, b));
    let part = |total: u128| total * wb / all - total * wa / all;
    Usage {
        data_bytes: part(u128::from(o.usage.data_bytes)) as u64,
        sms: part(u128::from(o.usage.sms)) as u32,
        voice_seconds: part(u128::from(o.usage.voice_seconds)) as u32,
    }
}

/// The first hour number of a Shanghai day (its 00:00).
pub fn first_hour_of_day(day: i32) -> u32 {
    (i64::from(day) * 24 - 8).clamp(0, u32::MAX as i64) as u32
}

/// Hour numbers `[first, end)` of a Shanghai day.
fn day_hours(day: i32) -> (u32, u32) {
    let first = first_hour_of_day(day);
    (first, first.saturating_add(24))
}

/// Whether the hours of `day` are still in the card's hour history: the
/// days of its current cycle and the last day of the previous one, unless
/// a shorter retention (`hour_history_days`) let them fall out.
pub fn hours_known(card: &Card, day: i32) -> bool {
    first_hour_of_day(day) + 24 >= hour_number(crate::clock::cycle_start(card.cycle))
        && first_hour_of_day(day) >= card.hours_from
}

/// Usage of one day: the recorded history plus the opening usage's share.
pub fn day_usage(card: &Card, day: i32) -> DayUsage {
    let mut u = card
        .days
        .iter()
        .find(|(d, _)| *d == day)
        .map(|(_, u)| *u)
        .unwrap_or_default();
    if let Some(o) = &card.opening_usage {
        let (from, to) = day_hours(day);
        let s = opening_share(o, from, to);
        u.data_bytes += s.data_bytes;
        u.sms += s.sms;
        u.voice_seconds += s.voice_seconds;
    }
    u
}

/// Per-day usage, oldest first: the recorded days plus the days the
/// opening usage is spread over (the newest [`DAY_HISTORY`] days). Days
/// without any usage are left out.
pub fn daily(card: &Card) -> Vec<(i32, DayUsage)> {
    let mut days: Vec<i32> = card.days.iter().map(|(d, _)| *d).collect();
    if let Some(o) = &card.opening_usage {
        let first = day_of_hour(o.first_hour);
        let last = day_of_hour(o.first_hour.saturating_add(o.hours.max(1) - 1));
        days.extend(first..=last);
        days.sort_unstable();
        days.dedup();
    }
    let skip = days.len().saturating_sub(DAY_HISTORY);
    days.into_iter()
        .skip(skip)
        .map(|d| (d, day_usage(card, d)))
        .filter(|(_, u)| *u != DayUsage::default())
        .collect()
}

/// Data used in each hour of a Shanghai day (index 0 = 00:00-01:00), the
/// opening usage's share included. Hours before the last day of the
/// previous cycle are no longer known (zero, see [`hours_known`]).
pub fn hourly(card: &Card, day: i32) -> [u64; 24] {
    let (first, end) = day_hours(day);
    let mut out = [0u64; 24];
    for (h, b) in card.hours.iter().filter(|(h, _)| *h >= first && *h < end) {
        out[(h - first) as usize] += u64::from(*b);
    }
    if let Some(o) = &card.opening_usage {
        for (i, slot) in out.iter_mut().enumerate() {
            let h = first + i as u32;
            *slot += opening_share(o, h, h + 1).data_bytes;
        }
    }
    out
}
