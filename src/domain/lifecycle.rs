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
    if card.months.len() > super::card::MONTH_HISTORY {
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

/// Boundary tables of the card rules. Each expectation comes from the rules
/// as written (`docs/rules.md`, the seed article's rules in
/// `docs/rules.md`'s table), never from running this code: the renewal
/// bounds (1–120 months), its effective date (now, or the 1st of next
/// month), the base a renewal extends (the current expiry while valid,
/// the current cycle's start once the term is over), the stop and resume
/// refusals, the three-month keep-number period and its 5-yuan fee.
#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::test_support::{at, card, plan, NOW};

    fn state_events(card: &Card) -> Vec<(CardState, CardState, String, bool)> {
        card.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::StateChanged {
                    from,
                    to,
                    reason,
                    forced,
                    ..
                } => Some((*from, *to, reason.to_string(), *forced)),
                _ => None,
            })
            .collect()
    }

    fn renewals(card: &Card) -> Vec<(u32, Timestamp, Option<Timestamp>)> {
        card.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Renewal {
                    months,
                    effective,
                    expires,
                } => Some((*months, *effective, *expires)),
                _ => None,
            })
            .collect()
    }

    fn reasons(card: &Card) -> Vec<&'static str> {
        card.reasons.iter().map(Reason::as_str).collect()
    }

    /// A card in its keep-number period: expired on 2026-10-01.
    fn expired_card(balance_fen: i64) -> Card {
        card(json!({
            "state": "pre_cancel",
            "reasons": ["expired"],
            "expires": "2026-10-01T00:00:00+08:00",
            "cancel_at": "2027-01-01T00:00:00+08:00",
            "balance_fen": balance_fen,
        }))
    }

    #[test]
    fn renewal_months_run_from_1_to_120() {
        // docs/rules.md: `months` is a free integer 1–120 on every channel.
        let p = plan(RenewalEffect::ThisMonth);
        for (months, accepted) in [(0, false), (1, true), (120, true), (121, false)] {
            let mut c = card(json!({"balance_fen": 1_000_000}));
            let before = c.clone();
            let got = renew(&mut c, &p, months, at(NOW));
            if accepted {
                assert_eq!(got, Ok(()), "{months} months");
                // 1000 fen a month (120 yuan for the 12-month term).
                assert_eq!(c.balance_fen, 1_000_000 - 1000 * i64::from(months));
            } else {
                assert_eq!(
                    got,
                    Err(DomainError::Invalid(
                        "months must be between 1 and 120".into()
                    )),
                    "{months} months"
                );
                assert_eq!(c, before, "{months} months: a refusal changes nothing");
            }
        }
    }

    #[test]
    fn renewal_the_balance_cannot_pay_is_refused() {
        // docs/rules.md: refused when it would leave the balance at zero or
        // below; 12 months cost 120.00 yuan.
        let p = plan(RenewalEffect::ThisMonth);
        for (balance, accepted) in [(12_000, false), (12_001, true), (5_000, false)] {
            let mut c = card(json!({"balance_fen": balance}));
            let before = c.clone();
            let got = renew(&mut c, &p, 12, at(NOW));
            assert_eq!(got.is_ok(), accepted, "balance {balance}: {got:?}");
            if accepted {
                assert_eq!(c.balance_fen, 1);
                assert!(c.reasons.is_empty(), "a paid renewal leaves no arrears");
            } else {
                assert_eq!(c, before);
                let Err(DomainError::Invalid(text)) = got else {
                    panic!("{got:?}")
                };
                assert_eq!(
                    text,
                    format!(
                        "the balance ({}.00 yuan) does not cover the renewal of 12 months (120.00 yuan)",
                        balance / 100
                    )
                );
            }
        }
        // A free renewal (a plan without a renewal fee) needs no balance.
        let free = crate::domain::test_support::plan_with(
            RenewalEffect::ThisMonth,
            json!({"renewal_fee_fen": 0}),
        );
        let mut c = card(json!({"balance_fen": 0}));
        assert_eq!(renew(&mut c, &free, 12, at(NOW)), Ok(()));
        assert!(c.ledger.is_empty());
        assert_eq!(c.expires, Some(at("2028-06-01T00:00:00+08:00")));
    }

    #[test]
    fn next_month_renewal_is_pending_until_the_first_of_next_month() {
        // card-rules.md (renewal timing): a package renewed with next-month
        // effect is shown as effective from the 1st of next month.
        let p = plan(RenewalEffect::NextMonth);
        let mut c = expired_card(50_000);
        assert_eq!(renew(&mut c, &p, 12, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::PreCancel, "not before the 1st");
        assert_eq!(reasons(&c), ["expired"]);
        assert_eq!(c.pending_renewal_months, 12);
        assert_eq!(c.balance_fen, 50_000 - 12_000, "paid when bought");
        assert_eq!(
            renewals(&c),
            [(
                12,
                at("2026-12-01T00:00:00+08:00"),
                Some(at("2026-10-01T00:00:00+08:00"))
            )]
        );
        // A second purchase adds to the pending months.
        assert_eq!(renew(&mut c, &p, 6, at(NOW)), Ok(()));
        assert_eq!(c.pending_renewal_months, 18);
        // On the 1st the renewal applies: from that cycle's start.
        rollover(&mut c, &p, at("2026-12-01T00:00:00+08:00"));
        assert_eq!(c.pending_renewal_months, 0);
        assert_eq!(c.state, CardState::Active);
        assert_eq!(c.expires, Some(at("2028-06-01T00:00:00+08:00")));
        assert_eq!(c.cancel_at, None);
    }

    #[test]
    fn next_month_plan_renews_a_valid_card_at_once() {
        // Only an expired card waits for the 1st; a valid package is simply
        // extended (docs/rules.md: the expiry stop clears per the plan).
        let p = plan(RenewalEffect::NextMonth);
        let mut c = card(json!({"balance_fen": 50_000}));
        assert_eq!(renew(&mut c, &p, 12, at(NOW)), Ok(()));
        assert_eq!(c.pending_renewal_months, 0);
        assert_eq!(c.expires, Some(at("2028-06-01T00:00:00+08:00")));
    }

    #[test]
    fn renewal_extends_a_valid_term_from_its_expiry() {
        let p = plan(RenewalEffect::ThisMonth);
        let mut c = card(json!({"balance_fen": 50_000}));
        assert_eq!(renew(&mut c, &p, 12, at(NOW)), Ok(()));
        assert_eq!(c.expires, Some(at("2028-06-01T00:00:00+08:00")));
        assert_eq!(c.state, CardState::Active);
        assert_eq!(
            renewals(&c),
            [(12, at(NOW), Some(at("2028-06-01T00:00:00+08:00")))]
        );
        assert!(state_events(&c).is_empty(), "no state change");
    }

    #[test]
    fn renewal_of_an_expired_card_runs_from_this_cycle_and_resumes_it() {
        // card-rules.md: renewed within 3 months it resumes automatically;
        // the months count from the cycle it is renewed in (cycles run from
        // the 1st), not from the old expiry.
        let p = plan(RenewalEffect::ThisMonth);
        let mut c = expired_card(50_000);
        assert_eq!(renew(&mut c, &p, 12, at(NOW)), Ok(()));
        assert_eq!(c.expires, Some(at("2027-11-01T00:00:00+08:00")));
        assert_eq!(c.state, CardState::Active);
        assert_eq!(c.cancel_at, None);
        assert!(c.reasons.is_empty());
        assert_eq!(
            state_events(&c),
            [(
                CardState::PreCancel,
                CardState::Active,
                "renewal".into(),
                false
            )]
        );
        assert_eq!(c.state_changed, Some(at(NOW)));
    }

    #[test]
    fn renewal_of_an_expired_card_with_another_reason_stays_suspended() {
        let p = plan(RenewalEffect::ThisMonth);
        let mut c = expired_card(50_000);
        c.reasons.insert(Reason::Manual);
        assert_eq!(renew(&mut c, &p, 1, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Suspended);
        assert_eq!(reasons(&c), ["manual"]);
    }

    #[test]
    fn renewal_at_the_instant_of_expiry_runs_from_the_cycle_start() {
        // `expires` is exclusive: at that instant no term is left to extend.
        let p = plan(RenewalEffect::ThisMonth);
        let mut c = card(json!({"expires": NOW, "balance_fen": 50_000}));
        assert_eq!(renew(&mut c, &p, 12, at(NOW)), Ok(()));
        assert_eq!(c.expires, Some(at("2027-11-01T00:00:00+08:00")));
        // One second before it, the term still runs: extended from it.
        let mut c = card(json!({"expires": "2026-11-24T10:00:01+08:00", "balance_fen": 50_000}));
        assert_eq!(renew(&mut c, &p, 12, at(NOW)), Ok(()));
        assert_eq!(c.expires, Some(at("2027-11-24T10:00:01+08:00")));
        // A card without an expiry gets one from the cycle start.
        let mut c = card(json!({"expires": null, "balance_fen": 50_000}));
        assert_eq!(renew(&mut c, &p, 2, at(NOW)), Ok(()));
        assert_eq!(c.expires, Some(at("2027-01-01T00:00:00+08:00")));
    }

    #[test]
    fn cancelled_cards_cannot_be_renewed() {
        let p = plan(RenewalEffect::ThisMonth);
        let mut c = card(json!({"state": "cancelled", "reasons": ["expired"]}));
        let before = c.clone();
        assert_eq!(renew(&mut c, &p, 1, at(NOW)), Err(DomainError::Cancelled));
        assert_eq!(c, before);
    }

    #[test]
    fn manual_stop_refusals() {
        // card-rules.md: a manual stop only while the package is valid, no
        // arrears, not over quota; refused otherwise, the card unchanged.
        let cases: [(serde_json::Value, DomainError); 7] = [
            (json!({"state": "cancelled"}), DomainError::Cancelled),
            (
                json!({"state": "pre_cancel", "reasons": ["expired"]}),
                DomainError::Expired,
            ),
            (json!({"state": "inventory"}), DomainError::NotActive),
            (
                json!({"state": "suspended", "reasons": ["expired"]}),
                DomainError::Expired,
            ),
            (
                json!({"state": "suspended", "reasons": ["arrears"], "balance_fen": -5}),
                DomainError::Arrears,
            ),
            (
                json!({"state": "suspended", "reasons": ["over_quota"]}),
                DomainError::OverQuota,
            ),
            (
                json!({"state": "suspended", "reasons": ["manual"]}),
                DomainError::AlreadyStopped,
            ),
        ];
        for (extra, want) in cases {
            let mut c = card(extra.clone());
            let before = c.clone();
            assert_eq!(manual_stop(&mut c, at(NOW)), Err(want), "{extra}");
            assert_eq!(c, before, "{extra}");
        }
    }

    #[test]
    fn manual_stop_then_resume() {
        let mut c = card(json!({}));
        assert_eq!(manual_stop(&mut c, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Suspended);
        assert_eq!(reasons(&c), ["manual"]);
        assert_eq!(c.state_changed, Some(at(NOW)));
        assert_eq!(c.updated, at(NOW));
        let later = at("2026-11-25T09:00:00+08:00");
        assert_eq!(manual_resume(&mut c, later), Ok(()));
        assert_eq!(c.state, CardState::Active);
        assert!(c.reasons.is_empty());
        assert_eq!(c.state_changed, Some(later));
        assert_eq!(
            state_events(&c),
            [
                (
                    CardState::Active,
                    CardState::Suspended,
                    "manual".into(),
                    false
                ),
                (
                    CardState::Suspended,
                    CardState::Active,
                    "manual".into(),
                    false
                ),
            ]
        );
        // A data cut held alongside a manual stop keeps the card stopped.
        let mut c = card(json!({"state": "suspended", "reasons": ["manual", "data_cut"]}));
        assert_eq!(manual_resume(&mut c, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Suspended);
        assert_eq!(reasons(&c), ["data_cut"]);
    }

    #[test]
    fn manual_resume_refusals() {
        // card-rules.md: a top-up alone does not resume, a resume needs a
        // positive balance; expiry and over-quota stops are not the owner's.
        let cases: [(serde_json::Value, DomainError); 9] = [
            (json!({"state": "cancelled"}), DomainError::Cancelled),
            (
                json!({"state": "pre_cancel", "reasons": ["expired"]}),
                DomainError::Expired,
            ),
            (json!({"state": "active"}), DomainError::NotSuspended),
            (json!({"state": "test_ready"}), DomainError::NotActive),
            (
                json!({"state": "suspended", "reasons": ["expired", "manual"]}),
                DomainError::Expired,
            ),
            (
                json!({"state": "suspended", "reasons": ["over_quota", "manual"]}),
                DomainError::OverQuota,
            ),
            (
                json!({"state": "suspended", "reasons": ["arrears"], "balance_fen": 0}),
                DomainError::Arrears,
            ),
            (
                json!({"state": "suspended", "reasons": ["arrears", "manual"], "balance_fen": -1}),
                DomainError::Arrears,
            ),
            (
                json!({"state": "suspended", "reasons": ["data_cut"]}),
                DomainError::NotSelfStopped,
            ),
        ];
        for (extra, want) in cases {
            let mut c = card(extra.clone());
            let before = c.clone();
            assert_eq!(manual_resume(&mut c, at(NOW)), Err(want), "{extra}");
            assert_eq!(c, before, "{extra}");
        }
        // Arrears with a positive balance again (after a top-up): resumed.
        let mut c = card(json!({"state": "suspended", "reasons": ["arrears"], "balance_fen": 1}));
        assert_eq!(manual_resume(&mut c, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Active);
        assert!(c.reasons.is_empty());
    }

    #[test]
    fn data_cut_and_restore() {
        let mut c = card(json!({}));
        assert_eq!(restore_data(&mut c, at(NOW)), Err(DomainError::NotCut));
        assert_eq!(cut_data(&mut c, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Suspended);
        assert_eq!(reasons(&c), ["data_cut"]);
        assert_eq!(cut_data(&mut c, at(NOW)), Err(DomainError::AlreadyCut));
        assert_eq!(restore_data(&mut c, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Active);
        let reasons_of_events: Vec<String> = state_events(&c).into_iter().map(|e| e.2).collect();
        assert_eq!(reasons_of_events, ["data_cut", "data_cut"]);
        let mut gone = card(json!({"state": "cancelled"}));
        assert_eq!(cut_data(&mut gone, at(NOW)), Err(DomainError::Cancelled));
        assert_eq!(
            restore_data(&mut gone, at(NOW)),
            Err(DomainError::Cancelled)
        );
    }

    #[test]
    fn adding_a_held_reason_or_clearing_a_missing_one_records_nothing() {
        let mut c = card(json!({"state": "suspended", "reasons": ["manual"]}));
        let before = c.clone();
        add_reason(&mut c, Reason::Manual, at(NOW));
        clear_reason(&mut c, Reason::Arrears, at(NOW), "x");
        assert_eq!(c, before);
        let mut gone = card(json!({"state": "cancelled"}));
        let before = gone.clone();
        add_reason(&mut gone, Reason::Arrears, at(NOW));
        assert_eq!(gone, before, "a cancelled card takes no new reason");
        let mut gone = card(json!({"state": "cancelled", "reasons": ["expired"]}));
        let before = gone.clone();
        clear_reason(&mut gone, Reason::Expired, at(NOW), "x");
        assert_eq!(gone, before, "nor loses one");
    }

    #[test]
    fn a_second_reason_is_recorded_but_the_state_did_not_change() {
        // The state_changed timestamp is the last *state* change (CMCC
        // sim-status lastChangeDate): a second stop reason on a stopped
        // card records an event, but the state and its time stay.
        let mut c = card(json!({}));
        add_reason(&mut c, Reason::Manual, at(NOW));
        let later = at("2026-11-26T00:00:00+08:00");
        add_reason(&mut c, Reason::DataCut, later);
        assert_eq!(c.state_changed, Some(at(NOW)));
        assert_eq!(c.updated, later);
        let last = state_events(&c).pop().unwrap();
        assert_eq!(
            last,
            (
                CardState::Suspended,
                CardState::Suspended,
                "data_cut".into(),
                false
            )
        );
        // Reasons on a pre-activation card do not move its state.
        let mut c = card(json!({"state": "inventory"}));
        add_reason(&mut c, Reason::DataCut, at(NOW));
        assert_eq!(c.state, CardState::Inventory);
        assert_eq!(c.state_changed, None);
    }

    #[test]
    fn activation_sets_dates_and_charges_the_first_month() {
        let p = plan(RenewalEffect::ThisMonth);
        let mut c = card(json!({"state": "activation_ready", "activated": null, "expires": null}));
        assert_eq!(activate(&mut c, &p, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Active);
        assert_eq!(c.activated, Some(at(NOW)));
        // The term counts from the activation cycle's 1st: 12 months.
        assert_eq!(c.expires, Some(at("2027-11-01T00:00:00+08:00")));
        assert_eq!(c.balance_fen, 9_000);
        assert_eq!(c.ledger.len(), 1);
        assert_eq!(c.ledger[0].kind, LedgerKind::MonthlyFee);
        assert_eq!(c.ledger[0].note, "first month");
        assert_eq!(c.state_changed, Some(at(NOW)));
        assert_eq!(
            state_events(&c),
            [(
                CardState::ActivationReady,
                CardState::Active,
                "activation".into(),
                false
            )]
        );
        // Dates already set are kept; a held reason keeps it suspended.
        let mut c = card(json!({"state": "test_ready", "reasons": ["data_cut"]}));
        assert_eq!(activate(&mut c, &p, at(NOW)), Ok(()));
        assert_eq!(c.state, CardState::Suspended);
        assert_eq!(c.activated, Some(at("2026-01-01T00:00:00+08:00")));
        assert_eq!(c.expires, Some(at("2027-06-01T00:00:00+08:00")));
        for (state, want) in [
            ("cancelled", DomainError::Cancelled),
            (
                "active",
                DomainError::InvalidTransition {
                    from: "active",
                    to: "active",
                },
            ),
            (
                "pre_cancel",
                DomainError::InvalidTransition {
                    from: "pre_cancel",
                    to: "active",
                },
            ),
        ] {
            let mut c = card(json!({"state": state}));
            assert_eq!(activate(&mut c, &p, at(NOW)), Err(want), "{state}");
        }
        let mut c = card(json!({"state": "inventory"}));
        assert_eq!(activate(&mut c, &p, at(NOW)), Ok(()));
    }

    #[test]
    fn pre_activation_moves() {
        use CardState::*;
        let all = [Inventory, TestReady, ActivationReady];
        for from in all {
            for to in all {
                let mut c = card(json!({"state": from}));
                let got = move_pre_active(&mut c, to, at(NOW));
                if from == to {
                    assert!(got.is_err(), "{from:?} to itself");
                } else {
                    assert_eq!(got, Ok(()), "{from:?} -> {to:?}");
                    assert_eq!(c.state, to);
                    assert_eq!(state_events(&c), [(from, to, "transition".into(), false)]);
                }
            }
        }
        let mut c = card(json!({"state": "active"}));
        assert_eq!(
            move_pre_active(&mut c, Inventory, at(NOW)),
            Err(DomainError::InvalidTransition {
                from: "active",
                to: "inventory"
            })
        );
        let mut c = card(json!({"state": "cancelled"}));
        assert_eq!(
            move_pre_active(&mut c, Inventory, at(NOW)),
            Err(DomainError::Cancelled)
        );
    }

    #[test]
    fn move_to_takes_the_rule_of_each_target() {
        use CardState::*;
        let p = plan(RenewalEffect::ThisMonth);
        let cases: [(CardState, CardState, Result<CardState, DomainError>); 9] = [
            (Active, Active, Ok(Active)),
            (Cancelled, Active, Err(DomainError::Cancelled)),
            (PreCancel, Active, Err(DomainError::Expired)),
            (Active, Suspended, Ok(Suspended)),
            (Inventory, Active, Ok(Active)),
            (TestReady, ActivationReady, Ok(ActivationReady)),
            (
                Active,
                PreCancel,
                Err(DomainError::InvalidTransition {
                    from: "active",
                    to: "pre_cancel",
                }),
            ),
            (
                Active,
                Cancelled,
                Err(DomainError::InvalidTransition {
                    from: "active",
                    to: "cancelled",
                }),
            ),
            (
                Active,
                Inventory,
                Err(DomainError::InvalidTransition {
                    from: "active",
                    to: "inventory",
                }),
            ),
        ];
        for (from, to, want) in cases {
            let mut c = card(json!({"state": from}));
            let got = move_to(&mut c, &p, to, at(NOW)).map(|()| c.state);
            assert_eq!(got, want, "{from:?} -> {to:?}");
        }
        // Suspended → active is the owner's resume.
        let mut c = card(json!({"state": "suspended", "reasons": ["manual"]}));
        assert_eq!(move_to(&mut c, &p, Active, at(NOW)), Ok(()));
        assert_eq!(c.state, Active);
        let mut c = card(json!({"state": "suspended", "reasons": ["over_quota"]}));
        assert_eq!(
            move_to(&mut c, &p, Active, at(NOW)),
            Err(DomainError::OverQuota)
        );
    }

    #[test]
    fn forced_state_is_recorded_as_forced() {
        let mut c = card(json!({}));
        let set: crate::domain::ReasonSet = [Reason::Arrears].into_iter().collect();
        force_state(&mut c, CardState::Suspended, set, at(NOW));
        assert_eq!(c.state, CardState::Suspended);
        assert_eq!(reasons(&c), ["arrears"]);
        assert_eq!(
            state_events(&c),
            [(
                CardState::Active,
                CardState::Suspended,
                "forced".into(),
                true
            )]
        );
        assert_eq!(c.state_changed, Some(at(NOW)));
    }

    #[test]
    fn expiry_starts_three_keep_number_months() {
        // card-rules.md: the card stops at the end of its term and is
        // cancelled 3 months later without renewal.
        let ends = at("2026-12-01T00:00:00+08:00");
        let mut c = card(json!({"expires": ends}));
        expire(&mut c, ends);
        assert_eq!(c.state, CardState::PreCancel);
        assert_eq!(reasons(&c), ["expired"]);
        assert_eq!(c.cancel_at, Some(at("2027-03-01T00:00:00+08:00")));
        assert_eq!(
            state_events(&c),
            [(
                CardState::Active,
                CardState::PreCancel,
                "expired".into(),
                false
            )]
        );
        // A suspended card expires too, keeping its other reasons.
        let mut c = card(json!({"state": "suspended", "reasons": ["manual"], "expires": ends}));
        expire(&mut c, ends);
        assert_eq!(c.state, CardState::PreCancel);
        assert_eq!(reasons(&c), ["manual", "expired"]);
        // Without an expiry date the period counts from now.
        let mut c = card(json!({"expires": null}));
        expire(&mut c, at(NOW));
        assert_eq!(c.cancel_at, Some(at("2027-02-24T10:00:00+08:00")));
        // Cards out of service are not expired again.
        for state in ["pre_cancel", "cancelled", "inventory", "test_ready"] {
            let mut c = card(json!({"state": state}));
            let before = c.clone();
            expire(&mut c, ends);
            assert_eq!(c, before, "{state}");
        }
    }

    #[test]
    fn cancellation_is_terminal_and_drops_the_session() {
        let mut c = expired_card(1000);
        c.session.online = true;
        cancel(&mut c, at(NOW));
        assert_eq!(c.state, CardState::Cancelled);
        assert!(!c.session.online);
        assert_eq!(
            state_events(&c),
            [(
                CardState::PreCancel,
                CardState::Cancelled,
                "cancellation".into(),
                false
            )]
        );
        let before = c.clone();
        cancel(&mut c, at("2027-01-01T00:00:00+08:00"));
        assert_eq!(c, before, "cancelled once");
    }

    #[test]
    fn keep_number_fee_is_5_yuan_inside_the_period_only() {
        // card-rules.md: 5 yuan a month during the 3 keep-number months.
        let mut c = expired_card(1000);
        keep_number_fee(&mut c, at("2026-12-01T00:00:00+08:00"));
        assert_eq!(c.balance_fen, 500);
        assert_eq!(c.ledger[0].kind, LedgerKind::KeepNumberFee);
        assert_eq!(c.ledger[0].amount_fen, -500);
        // Not at the end of the period, nor for a card in service.
        let mut c = expired_card(1000);
        keep_number_fee(&mut c, at("2027-01-01T00:00:00+08:00"));
        assert!(c.ledger.is_empty());
        let mut c = card(json!({"cancel_at": "2027-01-01T00:00:00+08:00"}));
        keep_number_fee(&mut c, at("2026-12-01T00:00:00+08:00"));
        assert!(c.ledger.is_empty());
    }

    #[test]
    fn add_ons_this_month_or_next() {
        // card-rules.md: a data package bought takes effect this month or
        // from the 1st of next month; more allowance this month lifts an
        // over-quota stop at once.
        let now = at(NOW);
        let nov = crate::clock::cycle_of(now);
        let mut c = card(json!({"state": "suspended", "reasons": ["over_quota"]}));
        let got = order_addon(&mut c, "500MB", 500, 1500, RenewalEffect::NextMonth, now);
        assert_eq!(got, Ok(()));
        assert_eq!(c.addons[0].cycle_from, nov + 1);
        assert_eq!(c.addons[0].cycle_to, Some(nov + 1));
        assert_eq!(c.addons[0].id, "addon-1");
        assert_eq!(c.balance_fen, 8_500);
        assert_eq!(reasons(&c), ["over_quota"], "next month's does not lift it");
        let got = order_addon(&mut c, "1GB", 1000, 2000, RenewalEffect::ThisMonth, now);
        assert_eq!(got, Ok(()));
        assert_eq!(c.addons[1].cycle_from, nov);
        assert_eq!(c.addons[1].id, "addon-2");
        assert_eq!(c.state, CardState::Active);
        let effective: Vec<Timestamp> = c
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::AddOnOrdered { effective, .. } => Some(*effective),
                _ => None,
            })
            .collect();
        assert_eq!(
            effective,
            [
                at("2026-12-01T00:00:00+08:00"),
                at("2026-11-01T00:00:00+08:00")
            ]
        );
        // A pooled card's stop belongs to the pool: not lifted by its own add-on.
        let mut c = card(json!({"state": "suspended", "reasons": ["over_quota"], "pool": "pool1"}));
        let got = order_addon(&mut c, "1GB", 1000, 0, RenewalEffect::ThisMonth, now);
        assert_eq!(got, Ok(()));
        assert_eq!(reasons(&c), ["over_quota"]);
        for (state, want) in [
            ("cancelled", DomainError::Cancelled),
            ("pre_cancel", DomainError::Expired),
        ] {
            let mut c = card(json!({"state": state}));
            let before = c.clone();
            let got = order_addon(&mut c, "x", 1, 1, RenewalEffect::ThisMonth, now);
            assert_eq!(got, Err(want));
            assert_eq!(c, before);
        }
    }

    #[test]
    fn rollover_resets_the_month_and_charges_the_fee() {
        let p = plan(RenewalEffect::ThisMonth);
        let dec = at("2026-12-01T00:00:00+08:00");
        let mut c = card(json!({
            "state": "suspended",
            "reasons": ["over_quota"],
            "usage": {"data_bytes": 5, "sms": 2, "voice_seconds": 3},
            "overage_charged_bytes": 1048576,
            "pool_over_bytes": 7,
            "threshold": {"quota_bytes": 10, "beyond_plan": false, "reached": true},
            "addons": [
                {"id": "a1", "name": "old", "data_bytes": 1, "price_fen": 0, "cycle_from": 0, "cycle_to": crate::clock::cycle_of(at(NOW))},
                {"id": "a2", "name": "next", "data_bytes": 1, "price_fen": 0, "cycle_from": 0, "cycle_to": crate::clock::cycle_of(dec)},
                {"id": "a3", "name": "open", "data_bytes": 1, "price_fen": 0, "cycle_from": 0, "cycle_to": null}
            ],
        }));
        rollover(&mut c, &p, dec);
        assert_eq!(c.cycle, crate::clock::cycle_of(dec));
        assert_eq!(c.usage, Default::default());
        assert_eq!(
            c.months.last(),
            Some(&(
                crate::clock::cycle_of(at(NOW)),
                crate::domain::Usage {
                    data_bytes: 5,
                    sms: 2,
                    voice_seconds: 3
                }
            ))
        );
        assert_eq!(c.overage_charged_bytes, 0);
        assert_eq!(c.pool_over_bytes, 0);
        assert!(!c.threshold.unwrap().reached);
        let kept: Vec<&str> = c.addons.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(kept, ["a2", "a3"]);
        assert_eq!(c.state, CardState::Active, "over-quota lifted");
        assert_eq!(c.balance_fen, 9_000, "the month's fee");
        let cycles: Vec<String> = c
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Rollover { cycle } => Some(cycle.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(cycles, ["202612"]);
        // Once per month: a second call in the same month does nothing.
        let before = c.clone();
        rollover(&mut c, &p, dec);
        assert_eq!(c, before);
    }

    #[test]
    fn rollover_keeps_thirteen_months_of_history() {
        let p = plan_free();
        let mut c = card(json!({"expires": null}));
        let start = crate::clock::cycle_of(at(NOW));
        for k in 1..=15 {
            rollover(&mut c, &p, crate::clock::cycle_start(start + k));
        }
        assert_eq!(c.months.len(), 13);
        assert_eq!(c.months[0].0, start + 2);
        assert_eq!(c.months[12].0, start + 14);
    }

    fn plan_free() -> Plan {
        crate::domain::test_support::plan_with(
            RenewalEffect::ThisMonth,
            json!({"monthly_fee_fen": 0}),
        )
    }

    #[test]
    fn rollover_leaves_a_cancelled_card_alone() {
        // card-rules.md: a cancelled card can never be used again: no new
        // cycle, no fee, its last usage stays as it was.
        let p = plan(RenewalEffect::ThisMonth);
        let mut c = card(json!({
            "state": "cancelled",
            "reasons": ["expired"],
            "usage": {"data_bytes": 5, "sms": 0, "voice_seconds": 0},
        }));
        let dec = at("2026-12-01T00:00:00+08:00");
        let before = c.clone();
        rollover(&mut c, &p, dec);
        assert!(c.events.is_empty());
        assert_eq!(c.usage, before.usage);
        assert!(c.months.is_empty());
        assert_eq!(
            c.cycle,
            crate::clock::cycle_of(dec),
            "cycle follows the calendar"
        );
    }

    #[test]
    fn rollover_fee_only_for_a_valid_package_in_service() {
        // docs/rules.md: a valid package is charged at each cycle start,
        // whatever the stop reasons; an expired one is not.
        let p = plan(RenewalEffect::ThisMonth);
        let dec = at("2026-12-01T00:00:00+08:00");
        for (extra, fee) in [
            (
                json!({"state": "suspended", "reasons": ["arrears"], "balance_fen": -100}),
                1000,
            ),
            (json!({"expires": "2026-12-01T00:00:00+08:00"}), 0),
            (json!({"expires": "2026-12-01T00:00:01+08:00"}), 1000),
            (json!({"expires": null}), 1000),
            (
                json!({"state": "pre_cancel", "reasons": ["expired"], "expires": "2026-10-01T00:00:00+08:00"}),
                0,
            ),
            (json!({"state": "inventory"}), 0),
        ] {
            let mut c = card(extra.clone());
            let before = c.balance_fen;
            rollover(&mut c, &p, dec);
            assert_eq!(before - c.balance_fen, fee, "{extra}");
        }
    }

    #[test]
    fn opening_usage_days_stay_one_more_cycle() {
        let p = plan_free();
        let nov = crate::clock::cycle_of(at(NOW));
        let first_hour = crate::domain::usage::hour_number(at("2026-11-01T00:00:00+08:00"));
        let shape = vec![0u8; 24];
        let mut c = card(json!({
            "expires": null,
            "opening_usage": {
                "usage": {"data_bytes": 100, "sms": 0, "voice_seconds": 0},
                "first_hour": first_hour,
                "hours": 24,
                "shape": shape,
            },
        }));
        rollover(&mut c, &p, crate::clock::cycle_start(nov + 1));
        assert!(c.opening_usage.is_some(), "readable in December");
        rollover(&mut c, &p, crate::clock::cycle_start(nov + 2));
        assert!(c.opening_usage.is_none(), "gone in January");
    }

    #[test]
    fn sessions_this_cycle_restart_at_the_rollover() {
        let p = plan_free();
        let dec = at("2026-12-01T00:00:00+08:00");
        let mut c = card(json!({"expires": null}));
        c.session.sessions_this_cycle = 9;
        c.session.online = true;
        rollover(&mut c, &p, dec);
        assert_eq!(c.session.sessions_this_cycle, 1, "the open session counts");
        let mut c = card(json!({"expires": null}));
        c.session.sessions_this_cycle = 9;
        rollover(&mut c, &p, dec);
        assert_eq!(c.session.sessions_this_cycle, 0);
    }
}
