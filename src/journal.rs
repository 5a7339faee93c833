//! The world's event journal: every domain event, in simulated-time order,
//! with a global sequence number; a capped ring buffer (its retention) with
//! filters. Readers follow it by cursor (the last sequence number they
//! saw): Server-Sent Events, the outbound delivery worker and `?after=`
//! queries all read from here, so a slow reader never silently skips: when
//! what it asked for fell out of retention it gets a [`Gap`] saying which
//! sequence numbers it missed.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use compact_str::CompactString;
use jiff::Timestamp;
use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::watch;

use crate::domain::{Card, Event};
use crate::store::Store;

/// Copies a card's events since `before` out for the journal (the card's
/// own history is trimmed by the world's retention, `Engine::trim`).
pub(crate) fn take_new_events(card: &mut Card, before: usize) -> Vec<Event> {
    let mut new = Vec::new();
    copy_new_events(card, before, &mut new);
    new
}

/// Appends a card's events since `before` to `out`.
pub(crate) fn copy_new_events(card: &mut Card, before: usize, out: &mut Vec<Event>) {
    out.extend_from_slice(&card.events[before.min(card.events.len())..]);
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

/// Default number of events kept (`[retention] journal_events`).
pub const DEFAULT_JOURNAL_CAP: usize = crate::domain::retention::DEFAULT_JOURNAL_EVENTS;

/// The journal (owned by the world). Followers hold it weakly, so a
/// dropped world ends them.
pub struct Journal {
    shared: Arc<Shared>,
}

struct Shared {
    inner: Mutex<Inner>,
    /// Where the journal stands, for followers to wait on (sent under the
    /// lock, so the value and the content never disagree).
    position: watch::Sender<Position>,
}

/// Where the journal stands: its generation (bumped when it is cleared or
/// replaced) and the last sequence number given out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Position {
    generation: u64,
    last_seq: u64,
    /// Where followers of a new generation continue: 0 after a reset (the
    /// new world's events are all new), the last restored event after a
    /// snapshot load (those were not produced now).
    resume_after: u64,
}

struct Inner {
    events: VecDeque<Event>,
    next_seq: u64,
    cap: usize,
    generation: u64,
    resume_after: u64,
    /// Events that fell out of retention (or never fit) since the journal
    /// was created; never restarts.
    dropped: u64,
}

/// Sequence numbers a reader asked for that are no longer kept: `from` to
/// `to`, both included. The journal's retention dropped them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub from: u64,
    pub to: u64,
}

impl Gap {
    /// Journal events that fell out (whatever a reader's filter).
    pub fn dropped(&self) -> u64 {
        self.to - self.from + 1
    }

    /// The documented wire shape: `{"type":"gap","from":..,"to":..,"dropped":n}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": "gap",
            "from": self.from,
            "to": self.to,
            "dropped": self.dropped(),
        })
    }
}

/// What one read by cursor found.
#[derive(Debug, Default)]
pub struct Read {
    /// What fell out of retention between the cursor and the oldest event kept.
    pub gap: Option<Gap>,
    /// Matching events after the cursor, oldest first.
    pub events: Vec<Event>,
    /// The cursor to continue from: every event up to it was looked at.
    pub cursor: u64,
}

/// Retention figures of the journal (`/_sim/status`, metrics).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct JournalStats {
    /// Events kept at most.
    pub cap: usize,
    /// Events kept now.
    pub retained: usize,
    /// Oldest sequence number kept (0 when empty).
    pub oldest_seq: u64,
    pub last_seq: u64,
    /// Events that fell out of retention since the server started.
    pub dropped: u64,
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

impl Inner {
    fn oldest_seq(&self) -> u64 {
        self.events.front().map_or(self.next_seq, |e| e.seq)
    }

    fn position(&self) -> Position {
        Position {
            generation: self.generation,
            last_seq: self.next_seq - 1,
            resume_after: self.resume_after,
        }
    }

    /// Events after `after` matching `f`, at most `limit`, with the gap
    /// in front of them when some fell out.
    fn read(&self, after: u64, f: &EventFilter, limit: usize) -> Read {
        let oldest = self.oldest_seq();
        let gap = (after + 1 < oldest).then(|| Gap {
            from: after + 1,
            to: oldest - 1,
        });
        let start = self.events.partition_point(|e| e.seq <= after);
        let mut out = Read {
            gap,
            events: Vec::new(),
            cursor: after.max(oldest - 1),
        };
        for e in self.events.range(start..) {
            out.cursor = e.seq;
            if f.matches(e) {
                out.events.push(e.clone());
                if out.events.len() >= limit.max(1) {
                    return out;
                }
            }
        }
        out.cursor = out.cursor.max(self.next_seq - 1).max(after);
        out
    }
}

impl Journal {
    pub fn new(cap: usize) -> Self {
        let inner = Inner {
            events: VecDeque::new(),
            next_seq: 1,
            cap: cap.max(1),
            generation: 0,
            resume_after: 0,
            dropped: 0,
        };
        let (position, _) = watch::channel(inner.position());
        Journal {
            shared: Arc::new(Shared {
                inner: Mutex::new(inner),
                position,
            }),
        }
    }

    /// Appends events (already in order), assigning sequence numbers; the
    /// `i`-th event gets the returned number plus `i`. The oldest events
    /// beyond the cap fall out (counted in [`JournalStats::dropped`]).
    pub fn append(&self, events: impl IntoIterator<Item = Event>) -> u64 {
        let mut g = self.shared.inner.lock();
        let first = g.next_seq;
        let events: Vec<Event> = events.into_iter().collect();
        if events.is_empty() {
            return first;
        }
        // Only the newest `cap` can be kept; older ones just take a number.
        let skip = events.len().saturating_sub(g.cap);
        g.next_seq += skip as u64;
        g.dropped += skip as u64;
        for mut e in events.into_iter().skip(skip) {
            e.seq = g.next_seq;
            g.next_seq += 1;
            if g.events.len() >= g.cap {
                g.events.pop_front();
                g.dropped += 1;
            }
            g.events.push_back(e);
        }
        self.shared.position.send_replace(g.position());
        first
    }

    pub fn query(&self, f: &EventFilter) -> Vec<Event> {
        let g = self.shared.inner.lock();
        let limit = if f.limit == 0 { 100 } else { f.limit };
        // A cursor starts the scan where it points (the journal is in seq order).
        let start = f
            .after
            .map_or(0, |a| g.events.partition_point(|e| e.seq <= a));
        g.events
            .range(start..)
            .filter(|e| f.matches(e))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Events after `after` matching `f` (its own `after` is ignored), at
    /// most `limit`, and the gap when some after `after` fell out.
    pub fn read(&self, after: u64, f: &EventFilter, limit: usize) -> Read {
        self.shared.inner.lock().read(after, f, limit)
    }

    pub fn all(&self) -> Vec<Event> {
        self.shared.inner.lock().events.iter().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.shared.inner.lock().events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn last_seq(&self) -> u64 {
        self.shared.inner.lock().next_seq - 1
    }

    /// Events kept at most.
    pub fn cap(&self) -> usize {
        self.shared.inner.lock().cap
    }

    /// Changes how many events are kept (a fixture replaced at run time);
    /// the oldest beyond the new cap fall out.
    pub fn set_cap(&self, cap: usize) {
        let mut g = self.shared.inner.lock();
        g.cap = cap.max(1);
        while g.events.len() > g.cap {
            g.events.pop_front();
            g.dropped += 1;
        }
    }

    /// The retention figures.
    pub fn stats(&self) -> JournalStats {
        let g = self.shared.inner.lock();
        JournalStats {
            cap: g.cap,
            retained: g.events.len(),
            oldest_seq: g.events.front().map_or(0, |e| e.seq),
            last_seq: g.next_seq - 1,
            dropped: g.dropped,
        }
    }

    /// Starts over at sequence number 1 (world reset); followers continue
    /// with the new journal from its start.
    pub fn clear(&self) {
        let mut g = self.shared.inner.lock();
        g.events.clear();
        g.next_seq = 1;
        g.generation += 1;
        g.resume_after = 0;
        self.shared.position.send_replace(g.position());
    }

    /// Replaces the content (snapshot load); followers continue after the
    /// restored events. Only the newest `cap` are kept.
    pub fn restore(&self, events: Vec<Event>) {
        let mut g = self.shared.inner.lock();
        g.next_seq = events.last().map(|e| e.seq + 1).unwrap_or(1);
        let skip = events.len().saturating_sub(g.cap);
        g.events = events.into_iter().skip(skip).collect();
        g.generation += 1;
        g.resume_after = g.next_seq - 1;
        self.shared.position.send_replace(g.position());
    }

    /// A reader that follows the journal from just after `after` (the
    /// newest event when `None`).
    pub fn follow(&self, after: Option<u64>) -> Follower {
        let rx = self.shared.position.subscribe();
        let pos = *rx.borrow();
        Follower {
            shared: Arc::downgrade(&self.shared),
            rx,
            generation: pos.generation,
            cursor: after.unwrap_or(pos.last_seq),
        }
    }

    /// A weak handle for reading by cursor from a task that must not keep
    /// the world alive.
    pub fn handle(&self) -> JournalHandle {
        JournalHandle(Arc::downgrade(&self.shared))
    }
}

/// A weak handle on a journal (see [`Journal::handle`]).
#[derive(Clone)]
pub struct JournalHandle(Weak<Shared>);

impl JournalHandle {
    /// [`Journal::read`], or `None` when the journal is gone.
    pub fn read(&self, after: u64, f: &EventFilter, limit: usize) -> Option<Read> {
        let shared = self.0.upgrade()?;
        let read = shared.inner.lock().read(after, f, limit);
        Some(read)
    }

    /// Events kept at most, or `None` when the journal is gone.
    pub fn cap(&self) -> Option<usize> {
        Some(self.0.upgrade()?.inner.lock().cap)
    }
}

/// A reader of the journal by cursor that waits for new events.
pub struct Follower {
    shared: Weak<Shared>,
    rx: watch::Receiver<Position>,
    generation: u64,
    /// The last sequence number read (or skipped by the filter).
    pub cursor: u64,
}

impl Follower {
    /// The next events after the cursor matching `f` (at most `limit`),
    /// with a gap when some fell out of retention before they were read;
    /// waits while there is nothing new. `None` once the journal is gone.
    pub async fn next(&mut self, f: &EventFilter, limit: usize) -> Option<Read> {
        loop {
            let pos = *self.rx.borrow_and_update();
            if pos.generation != self.generation {
                self.generation = pos.generation;
                self.cursor = pos.resume_after;
            }
            if pos.last_seq > self.cursor {
                let shared = self.shared.upgrade()?;
                let g = shared.inner.lock();
                if g.generation != self.generation {
                    continue;
                }
                let read = g.read(self.cursor, f, limit);
                drop(g);
                self.cursor = read.cursor;
                if read.gap.is_some() || !read.events.is_empty() {
                    return Some(read);
                }
                continue;
            }
            self.rx.changed().await.ok()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;

    fn event(n: u64) -> Event {
        Event {
            seq: 0,
            time: Timestamp::from_second(n as i64).unwrap(),
            iccid: "8986".into(),
            account: if n.is_multiple_of(2) { "even" } else { "odd" }.into(),
            kind: EventKind::Rollover {
                cycle: "2026-01".into(),
            },
        }
    }

    #[test]
    fn a_cursor_behind_retention_gets_the_gap_then_what_is_kept() {
        let j = Journal::new(10);
        j.append((1..=25).map(event));
        let r = j.read(3, &EventFilter::default(), 100);
        assert_eq!(r.gap, Some(Gap { from: 4, to: 15 }));
        assert_eq!(r.gap.unwrap().dropped(), 12);
        let seqs: Vec<u64> = r.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (16..=25).collect::<Vec<_>>());
        assert_eq!(r.cursor, 25);
        assert_eq!(j.stats().dropped, 15);
        // A cursor inside retention: no gap.
        assert_eq!(j.read(15, &EventFilter::default(), 100).gap, None);
    }

    #[test]
    fn a_filtered_read_moves_the_cursor_past_what_it_skipped() {
        let j = Journal::new(100);
        j.append((1..=9).map(event));
        let f = EventFilter {
            account: Some("even".into()),
            ..Default::default()
        };
        let r = j.read(0, &f, 2);
        assert_eq!(r.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(r.cursor, 4);
        let r = j.read(r.cursor, &f, 100);
        assert_eq!(r.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [6, 8]);
        assert_eq!(r.cursor, 9);
    }

    #[tokio::test]
    async fn a_follower_waits_then_reads_in_order_and_ends_with_the_journal() {
        let j = Journal::new(100);
        j.append((1..=3).map(event));
        let mut f = j.follow(Some(1));
        let r = f.next(&EventFilter::default(), 10).await.unwrap();
        assert_eq!(r.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        let waiting = tokio::spawn(async move {
            let r = f.next(&EventFilter::default(), 10).await;
            (r.map(|r| r.events.len()), f)
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        j.append([event(4)]);
        let (n, mut f) = waiting.await.unwrap();
        assert_eq!(n, Some(1));
        drop(j);
        assert!(f.next(&EventFilter::default(), 10).await.is_none());
    }
}
