//! The world's event journal: every domain event, in simulated-time order,
//! with a global sequence number; a capped ring buffer with filters and a
//! broadcast feed for live followers (Server-Sent Events, webhooks).

use std::collections::VecDeque;

use compact_str::CompactString;
use jiff::Timestamp;
use parking_lot::Mutex;
use tokio::sync::broadcast;

use crate::domain::card::CARD_EVENT_CAP;
use crate::domain::{Card, Event};
use crate::store::Store;

/// Moves a card's events since `before` out for the journal and trims the
/// card's own history to [`CARD_EVENT_CAP`].
pub(crate) fn take_new_events(card: &mut Card, before: usize) -> Vec<Event> {
    let mut new = Vec::new();
    copy_new_events(card, before, &mut new);
    new
}

/// Appends a card's events since `before` to `out` and trims its history.
pub(crate) fn copy_new_events(card: &mut Card, before: usize, out: &mut Vec<Event>) {
    out.extend_from_slice(&card.events[before.min(card.events.len())..]);
    if card.events.len() > CARD_EVENT_CAP {
        let excess = card.events.len() - CARD_EVENT_CAP;
        card.events.drain(..excess);
    }
}

/// Journals events (already in order) and gives the cards' own copies
/// the same sequence numbers, so `/_sim/cards/{id}` and `/_sim/events` agree.
/// Must not be called while holding a card's lock.
pub(crate) fn append_and_stamp(journal: &Journal, store: &Store, events: Vec<Event>) {
    if events.is_empty() {
        return;
    }
    let mut keys: Vec<(CompactString, u64, Timestamp, &'static str)> =
        Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        keys.push((e.iccid.clone(), i as u64, e.time, e.kind.type_name()));
    }
    let first = journal.append(events);
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    for group in keys.chunk_by(|a, b| a.0 == b.0) {
        let Some(mut card) = store.cards.get_mut(&group[0].0) else {
            continue;
        };
        let numbered: Vec<(u64, Timestamp, &str)> = group
            .iter()
            .map(|(_, i, t, ty)| (first + i, *t, *ty))
            .collect();
        stamp(&mut card, &numbered);
    }
}

/// Gives a card's newest events their journal numbers (`numbered` in journal
/// order: seq, time, type). They are the card's last events, possibly in
/// another order when their times are not monotonic; matched from the
/// newest back, by time and type.
pub(crate) fn stamp(card: &mut Card, numbered: &[(u64, Timestamp, &str)]) {
    let from = card.events.len().saturating_sub(numbered.len());
    for (seq, time, ty) in numbered.iter().rev() {
        if let Some(e) = card.events[from..]
            .iter_mut()
            .rev()
            .find(|e| e.seq == 0 && e.time == *time && e.kind.type_name() == *ty)
        {
            e.seq = *seq;
        }
    }
}

/// Default number of events kept.
pub const DEFAULT_JOURNAL_CAP: usize = 200_000;

pub struct Journal {
    inner: Mutex<Inner>,
    feed: broadcast::Sender<Event>,
}

struct Inner {
    events: VecDeque<Event>,
    next_seq: u64,
    cap: usize,
}

/// Filters for a journal query.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub iccid: Option<String>,
    pub account: Option<String>,
    pub types: Vec<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only events with `seq > after` (cursor paging).
    pub after: Option<u64>,
    pub limit: usize,
}

impl EventFilter {
    pub fn matches(&self, e: &Event) -> bool {
        self.iccid.as_deref().is_none_or(|i| e.iccid == i)
            && self.account.as_deref().is_none_or(|a| e.account == a)
            && (self.types.is_empty() || self.types.iter().any(|t| t == e.kind.type_name()))
            && self.from.is_none_or(|f| e.time >= f)
            && self.to.is_none_or(|t| e.time < t)
            && self.after.is_none_or(|a| e.seq > a)
    }
}

impl Journal {
    pub fn new(cap: usize) -> Self {
        let (feed, _) = broadcast::channel(4096);
        Journal {
            inner: Mutex::new(Inner {
                events: VecDeque::new(),
                next_seq: 1,
                cap: cap.max(1),
            }),
            feed,
        }
    }

    /// Appends events (already in order), assigning sequence numbers; the
    /// `i`-th event gets the returned number plus `i`.
    pub fn append(&self, events: impl IntoIterator<Item = Event>) -> u64 {
        let mut g = self.inner.lock();
        let first = g.next_seq;
        let live = self.feed.receiver_count() > 0;
        let events: Vec<Event> = events.into_iter().collect();
        // Only the newest `cap` can be kept; older ones just take a number.
        let skip = events.len().saturating_sub(g.cap);
        g.next_seq += skip as u64;
        for mut e in events.into_iter().skip(skip) {
            e.seq = g.next_seq;
            g.next_seq += 1;
            if g.events.len() == g.cap {
                g.events.pop_front();
            }
            if live {
                let _ = self.feed.send(e.clone());
            }
            g.events.push_back(e);
        }
        first
    }

    pub fn query(&self, f: &EventFilter) -> Vec<Event> {
        let g = self.inner.lock();
        let limit = if f.limit == 0 { 100 } else { f.limit };
        g.events
            .iter()
            .filter(|e| f.matches(e))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn all(&self) -> Vec<Event> {
        self.inner.lock().events.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn last_seq(&self) -> u64 {
        self.inner.lock().next_seq - 1
    }

    pub fn clear(&self) {
        let mut g = self.inner.lock();
        g.events.clear();
        g.next_seq = 1;
    }

    /// Replaces the content (snapshot load).
    pub fn restore(&self, events: Vec<Event>) {
        let mut g = self.inner.lock();
        g.next_seq = events.last().map(|e| e.seq + 1).unwrap_or(1);
        g.events = events.into();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.feed.subscribe()
    }
}
