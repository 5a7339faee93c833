//! Recording usage on a card: counters, per-day history, threshold events,
//! over-quota stop (auto-stop cards) or overage charges, the usage-threshold
//! cut, and first-use activation. The engine calls this in chunks split at
//! the exact crossing moments, so every consequence carries the right time.

use jiff::Timestamp;

use super::billing::{self, LedgerKind};
use super::card::{Card, CardState, DayUsage, Reason, DAY_HISTORY};
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
    if quota.used >= quota.allowance {
        // Beyond the allowance overage is billed per started MB.
        let over = quota.used - quota.allowance;
        next = next.min(MB - over % MB);
    }
    next.max(1)
}

/// Records `bytes` of data at `now`. Returns the bytes actually used (0 when
/// the card cannot carry data). Updates `quota.used` for the caller.
pub fn record_data(
    card: &mut Card,
    plan: &Plan,
    quota: &mut Quota,
    bytes: u64,
    now: Timestamp,
) -> u64 {
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
    add_day(card, now, |d| d.data_bytes += bytes);
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
            lifecycle::add_reason(card, Reason::OverQuota, now);
        } else if plan.overage_fen_per_mb > 0 {
            let over = quota.used - quota.allowance;
            let billable_mb = over.div_ceil(MB);
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
    add_day(card, now, |d| d.sms += count);
    card.updated = now;
}

/// Records voice seconds.
pub fn record_voice(card: &mut Card, seconds: u32, now: Timestamp) {
    card.usage.voice_seconds += seconds;
    add_day(card, now, |d| d.voice_seconds += seconds);
    card.updated = now;
}

fn add_day(card: &mut Card, now: Timestamp, f: impl FnOnce(&mut DayUsage)) {
    let day = day_number(now);
    match card.days.last_mut() {
        Some((d, usage)) if *d == day => f(usage),
        _ => {
            let mut u = DayUsage::default();
            f(&mut u);
            card.days.push((day, u));
            if card.days.len() > DAY_HISTORY {
                card.days.remove(0);
            }
        }
    }
}

/// Usage of one day from the history (zero if none recorded).
pub fn day_usage(card: &Card, day: i32) -> DayUsage {
    card.days
        .iter()
        .find(|(d, _)| *d == day)
        .map(|(_, u)| *u)
        .unwrap_or_default()
}
