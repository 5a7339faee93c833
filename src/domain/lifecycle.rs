//! The one lifecycle state machine for all carriers (see
//! `docs/rules.md`): manual stop/resume with its refusals,
//! over-quota, arrears and expiry stops, renewal, the keep-number period and
//! cancellation. Every change of state or reasons is recorded as an event.

use compact_str::CompactString;
use jiff::Timestamp;

use super::billing::{self, LedgerKind, KEEP_NUMBER_FEE_FEN};
use super::card::{Card, CardState, Reason};
use super::event::{Event, EventKind};
use super::money::Fen;
use super::plan::{AddOn, Plan, RenewalEffect};
use crate::clock::{add_months, cycle_of, cycle_start};

/// Months a number is kept after expiry before it is cancelled.
pub const KEEP_NUMBER_MONTHS: i32 = 3;

/// A refusal by the domain rules. Dialects map these to their own codes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("card is cancelled")]
    Cancelled,
    #[error("package has expired")]
    Expired,
    #[error("card is over its data quota")]
    OverQuota,
    #[error("card is in arrears")]
    Arrears,
    #[error("card is already stopped by its owner")]
    AlreadyStopped,
    #[error("card is not suspended")]
    NotSuspended,
    #[error("the stop was not requested by the owner and cannot be resumed by the owner")]
    NotSelfStopped,
    #[error("card is not active")]
    NotActive,
    #[error("data is already cut")]
    AlreadyCut,
    #[error("data is not cut")]
    NotCut,
    #[error("cannot change state from {from} to {to}")]
    InvalidTransition {
        from: &'static str,
        to: &'static str,
    },
    #[error("amount must be positive")]
    InvalidAmount,
    #[error("{0}")]
    Invalid(String),
}

pub(crate) fn push_event(card: &mut Card, now: Timestamp, kind: EventKind) {
    card.events.push(Event {
        seq: 0,
        time: now,
        iccid: card.iccid.clone(),
        account: card.account.clone(),
        kind,
    });
    card.updated = now;
}

/// The state implied by the reasons for a card in service or suspended.
fn settle(card: &mut Card, now: Timestamp, why: &str, forced: bool) {
    let from = card.state;
    if matches!(card.state, CardState::Active | CardState::Suspended) {
        card.state = if card.reasons.is_empty() {
            CardState::Active
        } else {
            CardState::Suspended
        };
    }
    record_transition(card, from, now, why, forced);
}

fn record_transition(card: &mut Card, from: CardState, now: Timestamp, why: &str, forced: bool) {
    if from != card.state {
        card.state_changed = Some(now);
    }
    let (to, reasons) = (card.state, card.reasons);
    push_event(
        card,
        now,
        EventKind::StateChanged {
            from,
            to,
            reason: CompactString::from(why),
            reasons,
            forced,
        },
    );
}

/// Adds a stop reason (no-op if present).
pub fn add_reason(card: &mut Card, reason: Reason, now: Timestamp) {
    if card.state == CardState::Cancelled || !card.reasons.insert(reason) {
        return;
    }
    settle(card, now, reason.as_str(), false);
}

/// Clears a stop reason (no-op if absent).
pub fn clear_reason(card: &mut Card, reason: Reason, now: Timestamp, why: &str) {
    if card.state == CardState::Cancelled || !card.reasons.remove(reason) {
        return;
    }
    settle(card, now, why, false);
}

/// Manual stop (人工停用): only while the package is valid, there are no
/// arrears and the card is not over quota.
pub fn manual_stop(card: &mut Card, now: Timestamp) -> Result<(), DomainError> {
    match card.state {
        CardState::Cancelled => return Err(DomainError::Cancelled),
        CardState::PreCancel => return Err(DomainError::Expired),
        CardState::Active | CardState::Suspended => {}
        _ => return Err(DomainError::NotActive),
    }
    if card.reasons.contains(Reason::Expired) {
        return Err(DomainError::Expired);
    }
    if card.reasons.contains(Reason::Arrears) {
        return Err(DomainError::Arrears);
    }
    if card.reasons.contains(Reason::OverQuota) {
        return Err(DomainError::OverQuota);
    }
    if card.reasons.contains(Reason::Manual) {
        return Err(DomainError::AlreadyStopped);
    }
    add_reason(card, Reason::Manual, now);
    Ok(())
}

/// Manual resume (人工复机 / 开启): clears a self-requested stop, and an
/// arrears stop once the balance is positive again. Refused while expired or
/// over quota; those clear by renewal or by the next cycle.
pub fn manual_resume(card: &mut Card, now: Timestamp) -> Result<(), DomainError> {
    match card.state {
        CardState::Cancelled => return Err(DomainError::Cancelled),
        CardState::PreCancel => return Err(DomainError::Expired),
        CardState::Suspended => {}
        CardState::Active => return Err(DomainError::NotSuspended),
        _ => return Err(DomainError::NotActive),
    }
    if card.reasons.contains(Reason::Expired) {
        return Err(DomainError::Expired);
    }
    if card.reasons.contains(Reason::OverQuota) {
        return Err(DomainError::OverQuota);
    }
    let manual = card.reasons.contains(Reason::Manual);
    let arrears = card.reasons.contains(Reason::Arrears);
    if arrears && card.balance_fen <= 0 {
        return Err(DomainError::Arrears);
    }
    if !manual && !arrears {
        return Err(DomainError::NotSelfStopped);
    }
    card.reasons.remove(Reason::Manual);
    card.reasons.remove(Reason::Arrears);
    settle(card, now, "manual", false);
    Ok(())
}

/// Cuts data by hand (CTCC singleCutNet ADD, CMCC data switch off).
pub fn cut_data(card: &mut Card, now: Timestamp) -> Result<(), DomainError> {
    if card.state == CardState::Cancelled {
        return Err(DomainError::Cancelled);
    }
    if card.reasons.contains(Reason::DataCut) {
        return Err(DomainError::AlreadyCut);
    }
    add_reason(card, Reason::DataCut, now);
    Ok(())
}

/// Restores data cut by hand.
pub fn restore_data(card: &mut Card, now: Timestamp) -> Result<(), DomainError> {
    if card.state == CardState::Cancelled {
        return Err(DomainError::Cancelled);
    }
    if !card.reasons.contains(Reason::DataCut) {
        return Err(DomainError::NotCut);
    }
    clear_reason(card, Reason::DataCut, now, "data_cut");
    Ok(())
}

/// Activation from inventory, test-ready or activation-ready: sets the first
/// activation date, the package expiry, and charges the first month's fee.
pub fn activate(card: &mut Card, plan: &Plan, now: Timestamp) -> Result<(), DomainError> {
    match card.state {
        CardState::Inventory | CardState::TestReady | CardState::ActivationReady => {}
        CardState::Cancelled => return Err(DomainError::Cancelled),
        other => {
            return Err(DomainError::InvalidTransition {
                from: other.as_str(),
                to: CardState::Active.as_str(),
            })
        }
    }
    let from = card.state;
    card.state = if card.reasons.is_empty() {
        CardState::Active
    } else {
        CardState::Suspended
    };
    if card.activated.is_none() {
        card.activated = Some(now);
    }
    if card.expires.is_none() {
        card.expires = Some(add_months(
            cycle_start(cycle_of(now)),
            plan.term_months as i32,
        ));
    }
    record_transition(card, from, now, "activation", false);
    billing::charge(
        card,
        LedgerKind::MonthlyFee,
        plan.monthly_fee_fen,
        now,
        "first month",
    );
    Ok(())
}

/// The pre-activation moves carriers allow (test-ready → inventory, etc.).
pub fn move_pre_active(card: &mut Card, to: CardState, now: Timestamp) -> Result<(), DomainError> {
    use CardState::*;
    let allowed = matches!(
        (card.state, to),
        (TestReady, Inventory)
            | (TestReady, ActivationReady)
            | (Inventory, ActivationReady)
            | (Inventory, TestReady)
            | (ActivationReady, Inventory)
            | (ActivationReady, TestReady)
    );
    if card.state == Cancelled {
        return Err(DomainError::Cancelled);
    }
    if !allowed {
        return Err(DomainError::InvalidTransition {
            from: card.state.as_str(),
            to: to.as_str(),
        });
    }
    let from = card.state;
    card.state = to;
    record_transition(card, from, now, "transition", false);
    Ok(())
}

/// Moves a card to `to` the way the rules allow: resume or activation
/// into service, a manual stop into suspension, a pre-activation move
/// between inventory, test-ready and activation-ready. Asking for the
/// state the card is in changes nothing; pre-cancel and cancelled are
/// reached only by the calendar (or a forced edit).
pub fn move_to(
    card: &mut Card,
    plan: &Plan,
    to: CardState,
    now: Timestamp,
) -> Result<(), DomainError> {
    use CardState::*;
    match (card.state, to) {
        (a, b) if a == b => Ok(()),
        (Cancelled, _) => Err(DomainError::Cancelled),
        (PreCancel, Active) => Err(DomainError::Expired),
        (Suspended, Active) => manual_resume(card, now),
        (Inventory | TestReady | ActivationReady, Active) => activate(card, plan, now),
        (_, Suspended) => manual_stop(card, now),
        (_, Inventory | TestReady | ActivationReady) => move_pre_active(card, to, now),
        (from, to) => Err(DomainError::InvalidTransition {
            from: from.as_str(),
            to: to.as_str(),
        }),
    }
}

/// Sets any state and reasons, for negative testing. Recorded as forced.
pub fn force_state(card: &mut Card, to: CardState, reasons: super::ReasonSet, now: Timestamp) {
    let from = card.state;
    card.state = to;
    card.reasons = reasons;
    record_transition(card, from, now, "forced", true);
}

/// The package term ends: the card stops for expiry and enters the
/// keep-number period (pre-cancel) for three months.
pub fn expire(card: &mut Card, now: Timestamp) {
    if matches!(card.state, CardState::Cancelled | CardState::PreCancel) {
        return;
    }
    if !matches!(card.state, CardState::Active | CardState::Suspended) {
        return;
    }
    let from = card.state;
    card.reasons.insert(Reason::Expired);
    card.state = CardState::PreCancel;
    let base = card.expires.unwrap_or(now);
    card.cancel_at = Some(add_months(base, KEEP_NUMBER_MONTHS));
    record_transition(card, from, now, "expired", false);
}

/// End of the keep-number period without renewal: 销户, terminal.
pub fn cancel(card: &mut Card, now: Timestamp) {
    if card.state == CardState::Cancelled {
        return;
    }
    let from = card.state;
    card.state = CardState::Cancelled;
    card.session.online = false;
    record_transition(card, from, now, "cancellation", false);
}

/// Renewal of the package by `months`. Within the keep-number period it
/// resumes the card (this month, or from the 1st of next month per the plan).
pub fn renew(card: &mut Card, plan: &Plan, months: u32, now: Timestamp) -> Result<(), DomainError> {
    if card.state == CardState::Cancelled {
        return Err(DomainError::Cancelled);
    }
    if months == 0 || months > 120 {
        return Err(DomainError::Invalid(
            "months must be between 1 and 120".into(),
        ));
    }
    let fee = plan.renewal_price(months);
    // A renewal is a purchase: one the balance cannot pay without falling
    // to zero or below (which would stop the card for arrears at once) is
    // refused and changes nothing; top up first (docs/rules.md).
    if fee > 0 && card.balance_fen.saturating_sub(fee) <= 0 {
        return Err(DomainError::Invalid(format!(
            "the balance ({} yuan) does not cover the renewal of {months} months ({} yuan)",
            super::money::yuan(card.balance_fen),
            super::money::yuan(fee)
        )));
    }
    billing::charge(
        card,
        LedgerKind::Renewal,
        fee,
        now,
        &format!("{months} months"),
    );
    let expired = card.state == CardState::PreCancel;
    if expired && plan.renewal_effect == RenewalEffect::NextMonth {
        card.pending_renewal_months += months;
        let effective = cycle_start(cycle_of(now) + 1);
        let expires = card.expires;
        push_event(
            card,
            now,
            EventKind::Renewal {
                months,
                effective,
                expires,
            },
        );
        return Ok(());
    }
    apply_renewal(card, months, now);
    Ok(())
}

/// Applies a renewal now: extends the term (from now when expired, else from
/// the current expiry) and clears the expiry stop.
pub fn apply_renewal(card: &mut Card, months: u32, now: Timestamp) {
    let expired = card.state == CardState::PreCancel;
    let base = match card.expires {
        Some(e) if !expired && e > now => e,
        _ => cycle_start(cycle_of(now)),
    };
    card.expires = Some(add_months(base, months as i32));
    let expires = card.expires;
    push_event(
        card,
        now,
        EventKind::Renewal {
            months,
            effective: now,
            expires,
        },
    );
    if expired {
        let from = card.state;
        card.reasons.remove(Reason::Expired);
        card.cancel_at = None;
        card.state = if card.reasons.is_empty() {
            CardState::Active
        } else {
            CardState::Suspended
        };
        record_transition(card, from, now, "renewal", false);
    }
}

/// Orders an add-on data package effective this cycle or from the next.
pub fn order_addon(
    card: &mut Card,
    name: &str,
    data_bytes: u64,
    price_fen: Fen,
    effect: RenewalEffect,
    now: Timestamp,
) -> Result<(), DomainError> {
    if card.state == CardState::Cancelled {
        return Err(DomainError::Cancelled);
    }
    if card.state == CardState::PreCancel {
        return Err(DomainError::Expired);
    }
    let this = cycle_of(now);
    let from_cycle = match effect {
        RenewalEffect::ThisMonth => this,
        RenewalEffect::NextMonth => this + 1,
    };
    let id = CompactString::from(format!("addon-{}", card.addons.len() + 1));
    card.addons.push(AddOn {
        id,
        name: name.to_string(),
        data_bytes,
        price_fen,
        cycle_from: from_cycle,
        cycle_to: Some(from_cycle),
    });
    billing::charge(card, LedgerKind::AddOn, price_fen, now, name);
    push_event(
        card,
        now,
        EventKind::AddOnOrdered {
            name: name.to_string(),
            data_bytes,
            effective: cycle_start(from_cycle),
        },
    );
    // More allowance this month lifts an over-quota stop at once.
    if effect == RenewalEffect::ThisMonth
        && card.reasons.contains(Reason::OverQuota)
        && card.pool.is_none()
    {
        clear_reason(card, Reason::OverQuota, now, "renewal");
    }
    Ok(())
}

/// Month rollover at `now` (the 1st, 00:00): usage reset, over-quota
/// resume, pending renewal, monthly fee, then the keep-number fee. Expiry and
/// cancellation are separate calendar events the caller runs afterwards.
pub fn rollover(card: &mut Card, plan: &Plan, now: Timestamp) {
    let new_cycle = cycle_of(now);
    if new_cycle <= card.cycle || card.state == CardState::Cancelled {
        card.cycle = card.cycle.max(new_cycle);
        return;
    }
    let old = card.cycle;
    card.months.push((old, card.usage));
    if card.months.len() > 13 {
        card.months.remove(0);
    }
    card.usage = Default::default();
    super::usage::trim_hours(card, new_cycle);
    // The opening usage's days stay readable for one more cycle, like the
    // per-day history of the previous month.
    if card
        .opening_usage
        .as_ref()
        .is_some_and(|o| cycle_of(super::usage::hour_start(o.first_hour)) + 1 < new_cycle)
    {
        card.opening_usage = None;
    }
    card.overage_charged_bytes = 0;
    card.pool_over_bytes = 0;
    card.session.sessions_this_cycle = u32::from(card.session.online);
    if let Some(t) = card.threshold.as_mut() {
        t.reached = false;
    }
    card.addons
        .retain(|a| a.cycle_to.is_none_or(|to| to >= new_cycle));
    card.cycle = new_cycle;
    push_event(
        card,
        now,
        EventKind::Rollover {
            cycle: compact_str::format_compact!(
                "{:04}{:02}",
                new_cycle.div_euclid(12),
                new_cycle.rem_euclid(12) + 1
            ),
        },
    );
    clear_reason(card, Reason::OverQuota, now, "rollover");
    if card.pending_renewal_months > 0 {
        let months = std::mem::take(&mut card.pending_renewal_months);
        apply_renewal(card, months, now);
    }
    let valid = card.expires.is_none_or(|e| e > now);
    if matches!(card.state, CardState::Active | CardState::Suspended) && valid {
        billing::charge(
            card,
            LedgerKind::MonthlyFee,
            plan.monthly_fee_fen,
            now,
            "monthly fee",
        );
    }
}

/// The keep-number fee for a month that starts inside the keep-number period.
pub fn keep_number_fee(card: &mut Card, now: Timestamp) {
    if card.state == CardState::PreCancel && card.cancel_at.is_some_and(|c| c > now) {
        billing::charge(
            card,
            LedgerKind::KeepNumberFee,
            KEEP_NUMBER_FEE_FEN,
            now,
            "停机保号",
        );
    }
}
