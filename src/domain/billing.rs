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
