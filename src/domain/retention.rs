//! Retention: how much history a world keeps, so that a large fleet over a
//! long simulated time stays within bounded memory. One typed table
//! (fixture `[retention]`, `serve --retention`), each limit chosen to cover
//! the longest window a carrier dialect or admin view reads (docs/retention.md),
//! and [`Retention::trim`], which brings one card's histories within it and
//! says what fell out.
//!
//! The ledger is never simply cut: its oldest entries are folded into one
//! `carried_forward` entry, so `balance = opening balance + sum(ledger)`
//! still holds.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::billing::{LedgerEntry, LedgerKind};
use super::card::{Card, DAY_HISTORY, MONTH_HISTORY};
use super::usage::hour_number;

/// Limits of every history a world keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Events the world's journal keeps (`/_sim/events`, SSE, webhooks).
    pub journal_events: usize,
    /// Events each card keeps in its own history (its change history in
    /// every dialect, `/_sim/cards/{id}`).
    pub card_events: usize,
    /// Ledger entries each card keeps; older ones are carried forward as
    /// one entry.
    pub ledger_entries: usize,
    /// Days of per-day usage each card keeps (at most [`DAY_HISTORY`]).
    pub day_history: usize,
    /// Past cycles of usage totals each card keeps (at most [`MONTH_HISTORY`]).
    pub month_history: usize,
    /// Days of per-hour data usage each card keeps; `None` (the default):
    /// the current cycle and the previous cycle's last day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hour_history_days: Option<u32>,
}

/// Default events kept by the journal.
pub const DEFAULT_JOURNAL_EVENTS: usize = 200_000;
/// Default events a card keeps.
pub const DEFAULT_CARD_EVENTS: usize = 200;
/// Default ledger entries a card keeps.
pub const DEFAULT_LEDGER_ENTRIES: usize = 400;

impl Default for Retention {
    fn default() -> Self {
        Retention {
            journal_events: DEFAULT_JOURNAL_EVENTS,
            card_events: DEFAULT_CARD_EVENTS,
            ledger_entries: DEFAULT_LEDGER_ENTRIES,
            day_history: DAY_HISTORY,
            month_history: MONTH_HISTORY,
            hour_history_days: None,
        }
    }
}

/// What one trim (or many, summed) let fall out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Trimmed {
    pub card_events: u64,
    /// Ledger entries folded into a carried-forward entry.
    pub ledger_entries: u64,
    pub days: u64,
    pub months: u64,
    pub hours: u64,
}

impl Trimmed {
    pub fn is_empty(&self) -> bool {
        *self == Trimmed::default()
    }
}

impl Retention {
    /// Checks the limits (the `what` of a refusal names the key).
    pub fn check(&self) -> Result<(), String> {
        let at_least = |key: &str, v: usize, min: usize| {
            if v < min {
                Err(format!("retention.{key}: must be at least {min}"))
            } else {
                Ok(())
            }
        };
        at_least("journal_events", self.journal_events, 1)?;
        at_least("card_events", self.card_events, 1)?;
        // A carried-forward entry plus at least one real one.
        at_least("ledger_entries", self.ledger_entries, 2)?;
        at_least("day_history", self.day_history, 1)?;
        if self.day_history > DAY_HISTORY {
            return Err(format!("retention.day_history: at most {DAY_HISTORY}"));
        }
        if self.month_history > MONTH_HISTORY {
            return Err(format!("retention.month_history: at most {MONTH_HISTORY}"));
        }
        if self.hour_history_days == Some(0) {
            return Err("retention.hour_history_days: must be at least 1".into());
        }
        Ok(())
    }

    /// Sets one limit from its name and text (`serve --retention key=value`).
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let n = || {
            value
                .trim()
                .replace('_', "")
                .parse::<usize>()
                .map_err(|_| format!("retention.{key}: '{value}' is not a whole number"))
        };
        match key.trim() {
            "journal_events" => self.journal_events = n()?,
            "card_events" => self.card_events = n()?,
            "ledger_entries" => self.ledger_entries = n()?,
            "day_history" => self.day_history = n()?,
            "month_history" => self.month_history = n()?,
            "hour_history_days" => {
                self.hour_history_days = Some(u32::try_from(n()?).map_err(|_| {
                    format!("retention.hour_history_days: '{value}' is too large")
                })?)
            }
            other => {
                return Err(format!(
                    "unknown retention key '{other}' (journal_events, card_events, ledger_entries, day_history, month_history, hour_history_days)"
                ))
            }
        }
        Ok(())
    }

    /// Brings one card's histories within the limits (the card's clock,
    /// `synced`, dates the hour window). Cheap when nothing is over.
    pub fn trim(&self, card: &mut Card) -> Trimmed {
        let mut out = Trimmed::default();
        if card.events.len() > self.card_events {
            let excess = card.events.len() - self.card_events;
            card.events.drain(..excess);
            out.card_events = excess as u64;
        }
        if card.ledger.len() > self.ledger_entries {
            out.ledger_entries = carry_forward(card, self.ledger_entries) as u64;
        }
        if card.days.len() > self.day_history {
            let excess = card.days.len() - self.day_history;
            card.days.drain(..excess);
            out.days = excess as u64;
        }
        if card.months.len() > self.month_history {
            let excess = card.months.len() - self.month_history;
            card.months.drain(..excess);
            out.months = excess as u64;
        }
        if let Some(days) = self.hour_history_days {
            // Whole Shanghai days: from 00:00 of the day `days - 1` before now.
            let now_day = crate::clock::day_number(card.synced);
            let keep_from = super::usage::first_hour_of_day(now_day - days.min(100_000) as i32 + 1);
            let old = card
                .hours
                .iter()
                .take_while(|(h, _)| *h < keep_from)
                .count();
            if old > 0 {
                card.hours.drain(..old);
                out.hours = old as u64;
            }
            card.hours_from = card.hours_from.max(keep_from.min(hour_number(card.synced)));
        }
        out
    }
}

/// Folds the oldest ledger entries into one `carried_forward` entry at the
/// front so that `keep` entries remain; returns how many real entries were
/// folded. The sum of the ledger does not change.
fn carry_forward(card: &mut Card, keep: usize) -> usize {
    let fold = card.ledger.len() - keep + 1;
    let folded: Vec<LedgerEntry> = card.ledger.drain(..fold).collect();
    let amount: i64 = folded.iter().map(|e| e.amount_fen).sum();
    let last = folded.last().expect("at least two folded");
    let real = folded
        .iter()
        .map(|e| {
            if e.kind == LedgerKind::CarriedForward {
                carried_count(&e.note)
            } else {
                1
            }
        })
        .sum::<usize>();
    let entry = LedgerEntry {
        time: last.time,
        kind: LedgerKind::CarriedForward,
        amount_fen: amount,
        balance_fen: last.balance_fen,
        note: CompactString::from(format!("{real} entries")),
    };
    card.ledger.insert(0, entry);
    folded
        .iter()
        .filter(|e| e.kind != LedgerKind::CarriedForward)
        .count()
}

/// How many entries a carried-forward entry's note says it holds.
fn carried_count(note: &str) -> usize {
    note.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_and_set_by_name() {
        let mut r = Retention::default();
        r.set("card_events", "16").unwrap();
        r.set("hour_history_days", "2").unwrap();
        assert_eq!((r.card_events, r.hour_history_days), (16, Some(2)));
        assert!(r.set("cards", "1").is_err());
        assert!(r.set("card_events", "x").is_err());
        r.day_history = DAY_HISTORY + 1;
        assert!(r.check().is_err());
    }
}
