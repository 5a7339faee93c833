//! Billing: the ledger. The balance never changes without a ledger entry, so
//! `balance = opening balance + sum(ledger)` always holds.

use compact_str::CompactString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::card::{Card, Reason};
use super::event::EventKind;
use super::money::Fen;

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Opening,
    MonthlyFee,
    Overage,
    KeepNumberFee,
    TopUp,
    Renewal,
    AddOn,
    Adjustment,
    /// Older entries folded into one by the ledger's retention (the sum
    /// of what they moved; `note`: how many).
    CarriedForward,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Opening => "opening",
            LedgerKind::MonthlyFee => "monthly_fee",
            LedgerKind::Overage => "overage",
            LedgerKind::KeepNumberFee => "keep_number_fee",
            LedgerKind::TopUp => "top_up",
            LedgerKind::Renewal => "renewal",
            LedgerKind::AddOn => "add_on",
            LedgerKind::Adjustment => "adjustment",
            LedgerKind::CarriedForward => "carried_forward",
        }
    }
}

/// One movement of money: positive credits, negative debits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub time: Timestamp,
    pub kind: LedgerKind,
    pub amount_fen: Fen,
    pub balance_fen: Fen,
    #[serde(default, skip_serializing_if = "CompactString::is_empty")]
    pub note: CompactString,
}

/// Keep-number fee per month during the pre-cancel period: 5 yuan.
pub const KEEP_NUMBER_FEE_FEN: Fen = 500;
/// Balance below which a `balance_low` event is raised.
pub const LOW_BALANCE_FEN: Fen = 1000;

/// Debits `amount` (> 0) and records it. When the balance can no longer
/// cover charges (≤ 0) the card gets the arrears stop reason.
pub fn charge(card: &mut Card, kind: LedgerKind, amount: Fen, now: Timestamp, note: &str) {
    if amount <= 0 {
        return;
    }
    let before = card.balance_fen;
    card.balance_fen -= amount;
    card.ledger.push(LedgerEntry {
        time: now,
        kind,
        amount_fen: -amount,
        balance_fen: card.balance_fen,
        note: CompactString::from(note),
    });
    super::lifecycle::push_event(
        card,
        now,
        EventKind::Charged {
            kind: CompactString::from(kind.as_str()),
            amount_fen: amount,
            balance_fen: card.balance_fen,
        },
    );
    if before > LOW_BALANCE_FEN && card.balance_fen <= LOW_BALANCE_FEN && card.balance_fen > 0 {
        let balance_fen = card.balance_fen;
        super::lifecycle::push_event(card, now, EventKind::BalanceLow { balance_fen });
    }
    if card.balance_fen <= 0 {
        if before > 0 {
            let balance_fen = card.balance_fen;
            super::lifecycle::push_event(card, now, EventKind::BalanceNegative { balance_fen });
        }
        super::lifecycle::add_reason(card, Reason::Arrears, now);
    }
}

/// Credits a top-up. A top-up alone never resumes an arrears stop.
pub fn top_up(card: &mut Card, amount: Fen, now: Timestamp) -> Result<(), super::DomainError> {
    if amount <= 0 {
        return Err(super::DomainError::InvalidAmount);
    }
    if card.state == super::CardState::Cancelled {
        return Err(super::DomainError::Cancelled);
    }
    card.balance_fen = card.balance_fen.saturating_add(amount);
    card.ledger.push(LedgerEntry {
        time: now,
        kind: LedgerKind::TopUp,
        amount_fen: amount,
        balance_fen: card.balance_fen,
        note: CompactString::default(),
    });
    let balance_fen = card.balance_fen;
    super::lifecycle::push_event(
        card,
        now,
        EventKind::TopUp {
            amount_fen: amount,
            balance_fen,
        },
    );
    Ok(())
}

/// Opening balance plus the sum of the ledger, which must equal the balance.
pub fn ledger_balance(card: &Card) -> Fen {
    card.opening_balance_fen + card.ledger.iter().map(|e| e.amount_fen).sum::<Fen>()
}

/// The money rules at their edges, each expectation from the rules as
/// written: `docs/rules.md` (the ledger kinds, `balance = opening + ledger`,
/// arrears when a charge leaves the balance ≤ 0) and `docs/admin-api.md`
/// (`balance_low` fires at ¥10.00 or less).
#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::test_support::{at, card, NOW};
    use crate::domain::CardState;

    /// (low, negative) events after charging `amount` from `balance`.
    fn crossing(balance: Fen, amount: Fen) -> (Vec<Fen>, Vec<Fen>, Card) {
        let mut c = card(json!({"balance_fen": balance}));
        charge(&mut c, LedgerKind::Overage, amount, at(NOW), "x");
        let low = c
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::BalanceLow { balance_fen } => Some(balance_fen),
                _ => None,
            })
            .collect();
        let negative = c
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::BalanceNegative { balance_fen } => Some(balance_fen),
                _ => None,
            })
            .collect();
        (low, negative, c)
    }

    #[test]
    fn balance_low_fires_when_crossing_ten_yuan_while_positive() {
        // (balance before, charge, balance_low?, balance_negative?)
        let rows: [(Fen, Fen, bool, bool); 9] = [
            (1001, 1, true, false),    // 10.01 → 10.00: at the mark
            (1002, 1, false, false),   // 10.02 → 10.01: above it
            (1000, 1, false, false),   // already at the mark: no second event
            (5000, 4999, true, false), // 50.00 → 0.01
            (1001, 1001, false, true), // 10.01 → 0: negative, not low
            (1, 1, false, true),       // 0.01 → 0: zero counts as arrears
            (0, 100, false, false),    // already at zero: no new crossing
            (-50, 100, false, false),  // already negative
            (2000, 500, false, false), // 20.00 → 15.00
        ];
        for (before, amount, low, negative) in rows {
            let (l, n, c) = crossing(before, amount);
            let after = before - amount;
            assert_eq!(c.balance_fen, after);
            let want_low: Vec<Fen> = if low { vec![after] } else { vec![] };
            let want_neg: Vec<Fen> = if negative { vec![after] } else { vec![] };
            assert_eq!(l, want_low, "{before} - {amount}: balance_low");
            assert_eq!(n, want_neg, "{before} - {amount}: balance_negative");
        }
    }

    #[test]
    fn a_charge_to_zero_or_below_stops_the_card_for_arrears() {
        // card-rules.md: when the balance cannot cover a charge (≤ 0) the
        // card stops; a charge that leaves a cent does not.
        for (before, amount, arrears) in [(100, 99, false), (100, 100, true), (100, 101, true)] {
            let (_, _, c) = crossing(before, amount);
            assert_eq!(
                c.reasons.contains(Reason::Arrears),
                arrears,
                "{before} - {amount}"
            );
            let want = if arrears {
                CardState::Suspended
            } else {
                CardState::Active
            };
            assert_eq!(c.state, want);
        }
    }

    #[test]
    fn every_charge_is_a_ledger_entry_and_an_event() {
        let (_, _, c) = crossing(10_000, 250);
        assert_eq!(c.balance_fen, 9_750);
        assert_eq!(
            c.ledger.as_slice(),
            [LedgerEntry {
                time: at(NOW),
                kind: LedgerKind::Overage,
                amount_fen: -250,
                balance_fen: 9_750,
                note: "x".into(),
            }]
        );
        assert_eq!(ledger_balance(&c), c.balance_fen);
        assert_eq!(
            c.events.last().map(|e| e.kind.clone()),
            Some(EventKind::Charged {
                kind: "overage".into(),
                amount_fen: 250,
                balance_fen: 9_750,
            })
        );
        assert_eq!(c.updated, at(NOW));
        // Nothing to charge: no entry, no event.
        for amount in [0, -5] {
            let (_, _, c) = crossing(10_000, amount);
            assert!(c.ledger.is_empty() && c.events.is_empty(), "{amount}");
            assert_eq!(c.balance_fen, 10_000);
        }
    }

    #[test]
    fn ledger_kinds_have_the_documented_names() {
        // docs/rules.md names the ledger kinds; the charged event and the
        // JSON of a ledger entry both use them.
        let rows = [
            (LedgerKind::Opening, "opening"),
            (LedgerKind::MonthlyFee, "monthly_fee"),
            (LedgerKind::Overage, "overage"),
            (LedgerKind::KeepNumberFee, "keep_number_fee"),
            (LedgerKind::TopUp, "top_up"),
            (LedgerKind::Renewal, "renewal"),
            (LedgerKind::AddOn, "add_on"),
            (LedgerKind::Adjustment, "adjustment"),
        ];
        for (kind, name) in rows {
            assert_eq!(kind.as_str(), name);
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(name));
        }
    }

    #[test]
    fn a_top_up_credits_but_never_resumes() {
        // card-rules.md: a top-up alone does not resume an arrears stop.
        let mut c =
            card(json!({"state": "suspended", "reasons": ["arrears"], "balance_fen": -200}));
        assert_eq!(top_up(&mut c, 5000, at(NOW)), Ok(()));
        assert_eq!(c.balance_fen, 4_800);
        assert_eq!(c.state, CardState::Suspended);
        assert!(c.reasons.contains(Reason::Arrears));
        assert_eq!(c.ledger.len(), 1);
        assert_eq!(c.ledger[0].kind, LedgerKind::TopUp);
        assert_eq!(c.ledger[0].amount_fen, 5000);
        assert_eq!(c.ledger[0].balance_fen, 4_800);
        assert_eq!(ledger_balance(&c), 4_800);
        assert_eq!(
            c.events.last().map(|e| e.kind.clone()),
            Some(EventKind::TopUp {
                amount_fen: 5000,
                balance_fen: 4_800
            })
        );
        for amount in [0, -1] {
            let mut c = card(json!({}));
            let before = c.clone();
            assert_eq!(
                top_up(&mut c, amount, at(NOW)),
                Err(crate::domain::DomainError::InvalidAmount)
            );
            assert_eq!(c, before);
        }
        let mut c = card(json!({"state": "cancelled"}));
        let before = c.clone();
        assert_eq!(
            top_up(&mut c, 100, at(NOW)),
            Err(crate::domain::DomainError::Cancelled)
        );
        assert_eq!(c, before);
    }

    #[test]
    fn ledger_balance_is_opening_plus_entries() {
        let mut c = card(json!({"balance_fen": 300}));
        charge(&mut c, LedgerKind::MonthlyFee, 1000, at(NOW), "m");
        top_up(&mut c, 2000, at(NOW)).unwrap();
        assert_eq!(c.opening_balance_fen, 300);
        assert_eq!(ledger_balance(&c), 300 - 1000 + 2000);
        assert_eq!(c.balance_fen, 1300);
    }
}
