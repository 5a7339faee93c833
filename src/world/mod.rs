//! The world: the fleet store, the simulated clock, the event journal and
//! the fixture it was built from. Every dialect and the control plane act on
//! cards only through the operations here, which apply the domain rules,
//! hold the card's lock for the whole operation and journal its events.
//! Clock moves take the world's gate exclusively, so no request ever sees a
//! half-advanced world.

use std::sync::Arc;

use compact_str::CompactString;
use jiff::{SignedDuration, Timestamp};
use parking_lot::RwLock;

use crate::clock::Clock;
use crate::domain::card::Message;
use crate::domain::lifecycle::DomainError;
use crate::domain::{Account, Card, CardState, Event, EventKind, Plan, Pool, Reason};
use crate::engine::Engine;
use crate::fixture::{self, Fixture};
use crate::journal::Journal;
use crate::store::facets::{FacetKey, Facets};
use crate::store::{CardRef, Store};

#[cfg(test)]
mod index_tests;
mod ops;

pub use crate::domain::card::attribute_key;
pub use crate::store::changes::{Change, Since};
pub use ops::{CardEdit, Flag, Meter, PoolError, SpeedLimit};

/// Why an operation on a card did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("card not found")]
    NotFound,
    #[error("plan {0} not found")]
    NoPlan(String),
    #[error(transparent)]
    Rule(#[from] DomainError),
}

/// A clock move at least this long over at least this many cards is
/// logged when it starts (and when it ends).
const LARGE_JUMP_DAYS: i64 = 7;
const LARGE_JUMP_CARDS: usize = 10_000;
/// From this many cards on, a clock move runs (and is journaled) a day at
/// a time.
const STEP_BY_DAY_CARDS: usize = 10_000;

/// A message that reached or left a card (for modems, handsets, SMPP).
#[derive(Clone, Debug)]
pub struct MessageNotice {
    pub iccid: CompactString,
    pub message: Message,
}

pub struct World {
    pub store: Store,
    /// Every SMS delivered to (`mt`) or sent by (`mo`) a card, as it happens.
    pub messages: tokio::sync::broadcast::Sender<MessageNotice>,
    next_message_id: std::sync::atomic::AtomicU64,
    pub clock: Clock,
    pub journal: Journal,
    pub engine: Engine,
    now: RwLock<Timestamp>,
    gate: RwLock<()>,
    fixture: RwLock<Arc<Fixture>>,
}

impl World {
    /// Builds a world from a validated fixture.
    pub fn new(fx: Fixture) -> Arc<World> {
        let start = fx.start;
        let world = World {
            store: Store::new(),
            clock: Clock::new(start),
            journal: Journal::new(fx.effective_retention().journal_events),
            engine: Engine::new(),
            messages: tokio::sync::broadcast::channel(4096).0,
            next_message_id: std::sync::atomic::AtomicU64::new(1),
            now: RwLock::new(start),
            gate: RwLock::new(()),
            fixture: RwLock::new(Arc::new(fx)),
        };
        world.load_fixture();
        Arc::new(world)
    }

    fn load_fixture(&self) {
        let fx = self.fixture.read().clone();
        let built = fixture::build(&fx);
        self.store.clear();
        for a in built.accounts {
            self.store.accounts.insert(a.id.clone(), a);
        }
        for p in built.plans {
            self.store.plans.insert(p.id.clone(), p);
        }
        for p in built.pools {
            self.store.pools.insert(p.id.clone(), p);
        }
        self.store.insert_cards(built.cards);
        self.engine.load(&fx, &self.store);
        *self.now.write() = fx.start;
        self.journal
            .set_cap(fx.effective_retention().journal_events);
        self.journal.clear();
        let opening = self.engine.open_fleet(&self.store, fx.start);
        crate::journal::append_and_stamp(&self.journal, &self.store, opening);
    }

    /// Back to the fixture as loaded (clock included).
    pub fn reset(&self) {
        let _g = self.gate.write();
        let start = self.fixture.read().start;
        self.clock.freeze();
        self.load_fixture();
        self.clock.reset_to(start);
    }

    /// Replaces the fixture and resets to it.
    pub fn replace_fixture(&self, fx: Fixture) {
        *self.fixture.write() = Arc::new(fx);
        self.reset();
    }

    pub fn fixture(&self) -> Arc<Fixture> {
        self.fixture.read().clone()
    }

    /// The simulated now, as far as the world has been brought.
    pub fn now(&self) -> Timestamp {
        *self.now.read()
    }

    pub fn resolve(&self, r: CardRef<'_>) -> Option<CompactString> {
        self.store.resolve(r)
    }

    /// A copy of a card.
    pub fn card(&self, iccid: &str) -> Option<Card> {
        let _g = self.gate.read();
        self.store.cards.get(iccid).map(|c| (**c).clone())
    }

    /// Reads a card without copying it.
    pub fn read_card<R>(&self, iccid: &str, f: impl FnOnce(&Card) -> R) -> Option<R> {
        let _g = self.gate.read();
        self.store.cards.get(iccid).map(|c| f(&c))
    }

    pub fn plan(&self, id: &str) -> Option<Plan> {
        self.store.plans.get(id).map(|p| p.clone())
    }

    pub fn pool(&self, id: &str) -> Option<Pool> {
        self.store.pools.get(id).map(|p| p.clone())
    }

    pub fn account(&self, id: &str) -> Option<Account> {
        self.store.accounts.get(id).map(|a| a.clone())
    }

    /// All accounts, sorted by id.
    pub fn accounts(&self) -> Vec<Account> {
        let mut v: Vec<Account> = self.store.accounts.iter().map(|a| a.clone()).collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }

    /// The first account matching a predicate (credential lookup).
    pub fn find_account(&self, pred: impl Fn(&Account) -> bool) -> Option<Account> {
        self.accounts().into_iter().find(|a| pred(a))
    }

    /// Runs `f` on a card under its lock with the named operations of
    /// [`CardEdit`] (never a `&mut Card`), journals the events it produced,
    /// then re-indexes a moved IMEI and stops the members of a pool it ran
    /// dry. `by` names the actor in `edited` events. Changes made before a
    /// refusal inside `f` stay; see [`World::edit_all_or_nothing`].
    pub fn edit<R>(
        &self,
        iccid: &str,
        by: &str,
        f: impl FnOnce(&mut CardEdit<'_>) -> R,
    ) -> Result<R, OpError> {
        self.locked(iccid, by, false, |e| Ok::<R, OpError>(f(e)))
    }

    /// Like [`World::edit`] for the operator (admin plane): `f` works on a
    /// copy that replaces the card only when `f` succeeds, and settings of
    /// a cancelled card may change.
    pub fn edit_all_or_nothing<T, E: From<OpError>>(
        &self,
        iccid: &str,
        by: &str,
        f: impl FnOnce(&mut CardEdit<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.locked(iccid, by, true, f)
    }

    fn locked<T, E: From<OpError>>(
        &self,
        iccid: &str,
        by: &str,
        operator: bool,
        f: impl FnOnce(&mut CardEdit<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let (out, exhausted_pool, imei_moved) = {
            let _g = self.gate.read();
            let now = self.now();
            let mut slot = self.store.cards.get_mut(iccid).ok_or(OpError::NotFound)?;
            let updated_before = slot.updated;
            let facets_before = Facets::of(&slot);
            let plan = self
                .plan(&slot.plan)
                .ok_or_else(|| OpError::NoPlan(slot.plan.to_string()))?;
            let mut copy = operator.then(|| (**slot).clone());
            let card: &mut Card = match copy.as_mut() {
                Some(c) => c,
                None => &mut slot,
            };
            let before = card.events.len();
            let mut edit = CardEdit {
                card,
                plan,
                now,
                by,
                store: &self.store,
                operator,
                exhausted_pool: None,
                imei_moved: None,
            };
            let out = f(&mut edit);
            let (exhausted_pool, imei_moved) = (edit.exhausted_pool, edit.imei_moved);
            if out.is_err() && operator {
                return out;
            }
            if let Some(c) = copy {
                **slot = c;
            }
            // Re-filed under the card's lock, so two edits of one card
            // reach the facet index in the order they were made.
            self.store
                .reindex_facets(iccid, &facets_before, &Facets::of(&slot));
            self.journal_under_lock(&mut slot, before);
            let changed =
                (slot.updated != updated_before).then(|| (slot.account.clone(), slot.updated));
            drop(slot);
            // Recorded after the card's lock is released (readers of the
            // index lock it first, then read cards), still inside the gate
            // so a clock move cannot slip in between.
            if let Some((account, at)) = changed {
                self.store.changes.touch(&account, iccid, at);
            }
            (out, exhausted_pool, imei_moved)
        };
        if let Some((old, new)) = imei_moved {
            self.store.reindex_imei(iccid, &old, &new);
        }
        if let Some(pool) = exhausted_pool {
            self.stop_pool_members(&pool);
        }
        out
    }

    /// Adds a card (operator), journaled as created.
    pub fn insert_card(&self, mut card: Card, by: &str) -> Result<(), String> {
        let iccid = card.iccid.clone();
        // Usage it arrives with is spread over the cycle and its overage
        // billed, as for a fixture's cards.
        let mut opening = Vec::new();
        if card.usage != crate::domain::Usage::default() && card.opening_usage.is_none() {
            if let Some(plan) = self.plan(&card.plan) {
                let before = card.events.len();
                self.engine.open_card(&mut card, &plan, self.now());
                opening = card.events[before..].to_vec();
            }
        }
        self.store.insert_card(card)?;
        crate::journal::append_and_stamp(&self.journal, &self.store, opening);
        self.edit(&iccid, by, |e| e.created())
            .map_err(|e| e.to_string())
    }

    /// Removes a card (operator), journaled as deleted; the removed card.
    pub fn remove_card(&self, iccid: &str, by: &str) -> Option<Card> {
        let card = self.store.remove_card(iccid)?;
        self.journal.append(vec![Event {
            seq: 0,
            time: self.now(),
            iccid: card.iccid.clone(),
            account: card.account.clone(),
            kind: EventKind::Edited {
                field: "card".into(),
                from: "present".into(),
                to: "deleted".into(),
                forced: false,
                by: by.into(),
            },
        }]);
        Some(card)
    }

    /// Journals a card's events since `before` while its lock is held, so
    /// the journal lists each card's changes in the order they happened to
    /// it (a concurrent edit of the same card waits for the lock), and the
    /// card's copies get the journal's numbers (they are its last events).
    fn journal_under_lock(&self, card: &mut Card, before: usize) {
        let new = crate::journal::take_new_events(card, before);
        let n = new.len().min(card.events.len());
        let first = self.journal.append(new);
        let len = card.events.len();
        for (i, e) in card.events[len - n..].iter_mut().enumerate() {
            e.seq = first + i as u64;
        }
        self.engine.trim(card);
    }

    /// A pool ran dry: its auto-stop members stop for over-quota (the
    /// engine's rule, applied now, in ICCID order, each journaled under
    /// its card's lock).
    pub(crate) fn stop_pool_members(&self, pool: &str) {
        let _g = self.gate.read();
        let now = self.now();
        let due = |c: &Card| {
            c.pool.as_deref() == Some(pool) && c.auto_stop && !c.reasons.contains(Reason::OverQuota)
        };
        // The pool's members from the facet index (in ICCID order), not the fleet.
        let mut members: Vec<CompactString> = Vec::new();
        self.store
            .for_each_matching(&[FacetKey::Pool(pool.into())], |iccid| {
                members.push(iccid.clone());
                true
            });
        let mut notes = Vec::new();
        for iccid in members {
            let Some(mut card) = self.store.cards.get_mut(&iccid) else {
                continue;
            };
            if !due(&card) {
                continue;
            }
            let before = card.events.len();
            let (state, reasons, updated) = (card.state, card.reasons, card.updated);
            crate::domain::lifecycle::add_reason(&mut card, Reason::OverQuota, now);
            self.store.reindex_state(&card, state, reasons);
            if card.updated != updated {
                notes.push((card.updated, card.account.clone(), card.iccid.clone()));
            }
            self.journal_under_lock(&mut card, before);
        }
        self.store.record_changes(notes);
    }

    /// Delivers an SMS to a card's inbox (mobile-terminated): counts against
    /// its SMS usage, records `sms_received`, and notifies listeners. A
    /// cancelled card cannot receive (`Err(Rule(Cancelled))`).
    pub fn deliver_to_card(&self, iccid: &str, from: &str, text: &str) -> Result<Message, OpError> {
        self.message(iccid, "mt", from, text)
    }

    /// Records an SMS sent by a card (mobile-originated) in its outbox.
    pub fn record_sent_by_card(
        &self,
        iccid: &str,
        to: &str,
        text: &str,
    ) -> Result<Message, OpError> {
        self.message(iccid, "mo", to, text)
    }

    fn message(
        &self,
        iccid: &str,
        direction: &str,
        peer: &str,
        text: &str,
    ) -> Result<Message, OpError> {
        let id = self
            .next_message_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let msg = self.edit(iccid, "", |e| {
            e.file_message(Message {
                id,
                direction: direction.into(),
                peer: peer.into(),
                text: text.to_string(),
                time: e.now(),
                read: false,
            })
        })??;
        let _ = self.messages.send(MessageNotice {
            iccid: CompactString::from(iccid),
            message: msg.clone(),
        });
        Ok(msg)
    }

    /// Moves the clock forward by `d` (processing everything on the way).
    pub fn advance(&self, d: SignedDuration) -> Result<Timestamp, String> {
        if d.is_negative() {
            return Err("duration must not be negative".into());
        }
        let target = self
            .now()
            .checked_add(d)
            .map_err(|_| "time out of range".to_string())?;
        self.advance_to(target)
    }

    /// Moves the clock forward to `target` (forward only).
    pub fn advance_to(&self, target: Timestamp) -> Result<Timestamp, String> {
        let _g = self.gate.write();
        let from = self.now();
        if target < from {
            return Err(format!(
                "the clock only moves forward: {} is before the current time {}",
                crate::clock::rfc3339(target),
                crate::clock::rfc3339(from)
            ));
        }
        if target == from {
            return Ok(from);
        }
        if !crate::clock::in_calendar(target) {
            return Err(format!(
                "{} is past the end of the simulated calendar ({}-12-31)",
                crate::clock::rfc3339(target),
                crate::clock::LAST_YEAR
            ));
        }
        if target.as_second() - from.as_second() > crate::clock::MAX_JUMP_SECS {
            return Err("a clock move of over 100 years; move in smaller steps".into());
        }
        let days = (target.as_second() - from.as_second()) / 86_400;
        let cards = self.store.cards.len();
        // A long move over a large fleet takes seconds: say so before and after.
        let large = days >= LARGE_JUMP_DAYS && cards >= LARGE_JUMP_CARDS;
        if large {
            tracing::info!("clock: moving {days} day(s) ahead over {cards} cards");
        }
        let started = std::time::Instant::now();
        // Over a large fleet, a long move runs a day at a time, each day's
        // events journaled before the next: a month's events of a million
        // cards (tens of millions) are never all in memory at once, and the
        // journal keeps only its newest anyway. The rules give the same
        // world however the clock is moved.
        let step = if cards >= STEP_BY_DAY_CARDS {
            SignedDuration::from_hours(24)
        } else {
            SignedDuration::MAX
        };
        let mut count = 0;
        let mut at = from;
        while at < target {
            let end = at.checked_add(step).map_or(target, |t| t.min(target));
            let events = self.engine.advance(&self.store, at, end);
            count += events.len();
            *self.now.write() = end;
            crate::journal::append_and_stamp(&self.journal, &self.store, events);
            at = end;
        }
        *self.now.write() = target;
        self.clock.set_base(target);
        if large || started.elapsed().as_secs() >= 1 {
            tracing::info!(
                "clock: now {} ({count} event(s), {:.1} s)",
                crate::clock::rfc3339(target),
                started.elapsed().as_secs_f64()
            );
        }
        Ok(target)
    }

    /// Brings the world up to the clock's reading (speed mode ticker).
    pub fn catch_up(&self) {
        let reading = self.clock.reading();
        if reading > self.now() {
            let _ = self.advance_to(reading);
        }
    }

    /// Cards matching a filter, in ICCID order, paged, and how many match.
    /// Served from the facet index: O(page) unless the filter has a
    /// `search` text, which reads the cards the other filters leave (in
    /// order, to the end, to count them). A card that changed between the
    /// index read and its own read is checked again and left out when it
    /// no longer matches.
    pub fn list_cards(
        &self,
        filter: &CardFilter,
        page: usize,
        page_size: usize,
    ) -> (Vec<Card>, usize) {
        let _g = self.gate.read();
        let keys = filter.facet_keys();
        let skip = page.saturating_sub(1).saturating_mul(page_size);
        if filter.search.is_none() {
            let (iccids, total) = self.store.page(&keys, skip, page_size);
            let items = iccids
                .iter()
                .filter_map(|i| {
                    let c = self.store.cards.get(i.as_str())?;
                    filter.matches(&c).then(|| (**c).clone())
                })
                .collect();
            return (items, total);
        }
        let mut total = 0usize;
        let mut items = Vec::new();
        self.store.for_each_matching(&keys, |iccid| {
            if let Some(c) = self.store.cards.get(iccid) {
                if filter.matches(&c) {
                    if total >= skip && items.len() < page_size {
                        items.push((**c).clone());
                    }
                    total += 1;
                }
            }
            true
        });
        (items, total)
    }

    /// How many cards match a filter (from the facet index unless it has
    /// a `search` text).
    pub fn count_cards(&self, filter: &CardFilter) -> usize {
        if filter.search.is_none() {
            let _g = self.gate.read();
            return self.store.count_matching(&filter.facet_keys());
        }
        self.list_cards(filter, 1, 0).1
    }

    /// Visits the cards matching a filter in ICCID order, each read in
    /// place (no index lock held); O(matching cards).
    pub fn for_each_card(&self, filter: &CardFilter, mut f: impl FnMut(&Card)) {
        let _g = self.gate.read();
        self.store.for_each_matching(&filter.facet_keys(), |iccid| {
            if let Some(c) = self.store.cards.get(iccid) {
                if filter.matches(&c) {
                    f(&c);
                }
            }
            true
        });
    }

    /// One page of an account's card changes in modification order, the
    /// oldest first (the change index, see [`crate::store::changes`]),
    /// each card at its latest change, rendered under the card's lock.
    ///
    /// Without a filter the page is the positions `[skip, skip + take)` of
    /// the window, so it costs O(take) and stays put while cards change
    /// (a change made meanwhile is listed at the end; the superseded
    /// position is left out, so a page may hold fewer than `take`);
    /// `matched` counts positions. With a filter the page is the
    /// `skip`-th to `skip + take`-th matching card, read in order up to the
    /// page (with `count_all`, to the window's end, and `matched` counts
    /// them all). Cards removed since, or of another account, are left out.
    #[allow(clippy::too_many_arguments)]
    pub fn card_changes<R>(
        &self,
        account: &str,
        since: Since,
        till: Option<Timestamp>,
        filter: Option<&dyn Fn(&Card) -> bool>,
        skip: usize,
        take: usize,
        count_all: bool,
        mut render: impl FnMut(&Change, &Card) -> R,
    ) -> ChangePage<R> {
        let _g = self.gate.read();
        let changes = &self.store.changes;
        let (start, end) = changes.window(account, since, till);
        let mut items = Vec::new();
        let mut show = |change: &Change, items: &mut Vec<R>, wanted: bool| -> bool {
            if !change.latest {
                return false;
            }
            let Some(card) = self.store.cards.get(change.iccid.as_str()) else {
                return false;
            };
            if card.account != account || !filter.is_none_or(|f| f(&card)) {
                return false;
            }
            if wanted {
                items.push(render(change, &card));
            }
            true
        };
        if filter.is_none() {
            let from = start.saturating_add(skip).min(end);
            let to = from.saturating_add(take).min(end);
            for change in changes.slice(account, from, to) {
                show(&change, &mut items, true);
            }
            return ChangePage {
                items,
                last: to >= end,
                matched: end - start,
            };
        }
        // Filtered: walk the window in chunks (the index is not locked
        // while cards are read), counting matches.
        const CHUNK: usize = 512;
        let mut matched = 0usize;
        let mut last = true;
        let mut pos = start;
        'walk: while pos < end {
            let chunk = changes.slice(account, pos, (pos + CHUNK).min(end));
            if chunk.is_empty() {
                break;
            }
            pos += chunk.len();
            for change in &chunk {
                let in_page = matched >= skip && matched < skip.saturating_add(take);
                if show(change, &mut items, in_page) {
                    matched += 1;
                    if matched > skip.saturating_add(take) {
                        last = false;
                        if !count_all {
                            break 'walk;
                        }
                    }
                }
            }
        }
        ChangePage {
            items,
            last,
            matched,
        }
    }

    /// Counts of cards per (carrier, state).
    pub fn state_counts(&self) -> Vec<(crate::domain::Carrier, CardState, usize)> {
        let mut counts = std::collections::BTreeMap::new();
        for c in self.store.cards.iter() {
            *counts.entry((c.carrier, c.state)).or_insert(0usize) += 1;
        }
        counts.into_iter().map(|((a, b), n)| (a, b, n)).collect()
    }

    /// Takes the gate exclusively (snapshots, bulk edits).
    pub fn exclusive(&self) -> parking_lot::RwLockWriteGuard<'_, ()> {
        self.gate.write()
    }

    /// Sets the now directly (snapshot load, with the gate held by the caller).
    pub fn set_now_unchecked(&self, ts: Timestamp) {
        *self.now.write() = ts;
        self.clock.reset_to(ts);
    }
}

/// A page of [`World::card_changes`].
#[derive(Debug)]
pub struct ChangePage<R> {
    pub items: Vec<R>,
    /// No change in the window after this page.
    pub last: bool,
    /// Changes in the window that pass the filter (without a filter, or with
    /// `count_all`, all of them; otherwise counted up to one past the page).
    pub matched: usize,
}

/// Messages a card keeps per box.
pub const MESSAGE_CAP: usize = 500;

/// Filters for card listings.
#[derive(Clone, Debug, Default)]
pub struct CardFilter {
    pub carrier: Option<crate::domain::Carrier>,
    pub account: Option<String>,
    pub state: Option<CardState>,
    pub reason: Option<Reason>,
    pub tag: Option<String>,
    pub plan: Option<String>,
    pub pool: Option<String>,
    /// Substring of ICCID, MSISDN or IMSI.
    pub search: Option<String>,
}

impl CardFilter {
    /// The facet keys of the filter (every field but `search`).
    pub fn facet_keys(&self) -> Vec<FacetKey> {
        let mut keys = Vec::new();
        keys.extend(self.account.as_deref().map(|a| FacetKey::Account(a.into())));
        keys.extend(self.carrier.map(FacetKey::Carrier));
        keys.extend(self.state.map(FacetKey::State));
        keys.extend(self.reason.map(FacetKey::Reason));
        keys.extend(self.tag.as_deref().map(|t| FacetKey::Tag(t.into())));
        keys.extend(self.plan.as_deref().map(|p| FacetKey::Plan(p.into())));
        keys.extend(self.pool.as_deref().map(|p| FacetKey::Pool(p.into())));
        keys
    }

    pub fn matches(&self, c: &Card) -> bool {
        self.carrier.is_none_or(|x| c.carrier == x)
            && self.account.as_deref().is_none_or(|a| c.account == a)
            && self.state.is_none_or(|s| c.state == s)
            && self.reason.is_none_or(|r| c.reasons.contains(r))
            && self
                .tag
                .as_deref()
                .is_none_or(|t| c.tags.iter().any(|x| x == t))
            && self.plan.as_deref().is_none_or(|p| c.plan == p)
            && self
                .pool
                .as_deref()
                .is_none_or(|p| c.pool.as_deref() == Some(p))
            && self
                .search
                .as_deref()
                .is_none_or(|s| c.iccid.contains(s) || c.msisdn.contains(s) || c.imsi.contains(s))
    }
}
