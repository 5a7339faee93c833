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
use crate::domain::lifecycle::{self, DomainError};
use crate::domain::{Account, Card, CardState, Event, EventKind, Plan, Pool, Reason};
use crate::engine::Engine;
use crate::fixture::{self, Fixture};
use crate::journal::{Journal, DEFAULT_JOURNAL_CAP};
use crate::store::{CardRef, Store, CARD_EVENT_CAP};

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
            journal: Journal::new(fx.journal_cap.unwrap_or(DEFAULT_JOURNAL_CAP)),
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
        self.journal.clear();
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

    /// Runs `f` on a card under its lock, with its plan and the simulated
    /// now; journals whatever events it produced.
    pub fn with_card<R>(
        &self,
        iccid: &str,
        f: impl FnOnce(&mut Card, &Plan, Timestamp) -> R,
    ) -> Result<R, OpError> {
        let _g = self.gate.read();
        let now = self.now();
        let mut card = self.store.cards.get_mut(iccid).ok_or(OpError::NotFound)?;
        let plan = self
            .store
            .plans
            .get(&card.plan)
            .map(|p| p.clone())
            .ok_or_else(|| OpError::NoPlan(card.plan.to_string()))?;
        let before = card.events.len();
        let out = f(&mut card, &plan, now);
        let new = take_new_events(&mut card, before);
        drop(card);
        self.journal.append(new);
        Ok(out)
    }

    /// Like `with_card` for operations that follow the domain rules.
    pub fn op(
        &self,
        iccid: &str,
        f: impl FnOnce(&mut Card, &Plan, Timestamp) -> Result<(), DomainError>,
    ) -> Result<(), OpError> {
        self.with_card(iccid, f)?.map_err(OpError::Rule)
    }

    pub fn manual_stop(&self, iccid: &str) -> Result<(), OpError> {
        self.op(iccid, |c, _, now| lifecycle::manual_stop(c, now))
    }

    pub fn manual_resume(&self, iccid: &str) -> Result<(), OpError> {
        self.op(iccid, |c, _, now| lifecycle::manual_resume(c, now))
    }

    pub fn activate(&self, iccid: &str) -> Result<(), OpError> {
        self.op(iccid, lifecycle::activate)
    }

    pub fn top_up(&self, iccid: &str, fen: i64) -> Result<(), OpError> {
        self.op(iccid, |c, _, now| {
            crate::domain::billing::top_up(c, fen, now)
        })
    }

    pub fn renew(&self, iccid: &str, months: u32) -> Result<(), OpError> {
        self.op(iccid, |c, p, now| lifecycle::renew(c, p, months, now))
    }

    pub fn cut_data(&self, iccid: &str) -> Result<(), OpError> {
        self.op(iccid, |c, _, now| lifecycle::cut_data(c, now))
    }

    pub fn restore_data(&self, iccid: &str) -> Result<(), OpError> {
        self.op(iccid, |c, _, now| lifecycle::restore_data(c, now))
    }

    /// Records data usage now (pool-aware), returning the bytes used.
    pub fn use_data(&self, iccid: &str, bytes: u64) -> Result<u64, OpError> {
        let (used, exhausted_pool) = {
            let _g = self.gate.read();
            let now = self.now();
            let mut card = self.store.cards.get_mut(iccid).ok_or(OpError::NotFound)?;
            let plan = self
                .plan(&card.plan)
                .ok_or_else(|| OpError::NoPlan(card.plan.to_string()))?;
            let before = card.events.len();
            let (used, exhausted) = self.record_data_locked(&mut card, &plan, bytes, now);
            let new = take_new_events(&mut card, before);
            drop(card);
            self.journal.append(new);
            (used, exhausted)
        };
        if let Some(pool) = exhausted_pool {
            self.stop_pool_members(&pool);
        }
        Ok(used)
    }

    /// Records data on a locked card, against its pool when it has one.
    pub(crate) fn record_data_locked(
        &self,
        card: &mut Card,
        plan: &Plan,
        bytes: u64,
        now: Timestamp,
    ) -> (u64, Option<CompactString>) {
        crate::engine::record_data(&self.store, card, plan, bytes, now)
    }

    /// A pool ran dry: its auto-stop members stop for over-quota (the
    /// engine's rule, applied now and journaled in ICCID order).
    pub(crate) fn stop_pool_members(&self, pool: &str) {
        let _g = self.gate.read();
        let mut out = Vec::new();
        crate::engine::stop_pool_members(&self.store, pool, self.now(), &mut out);
        out.sort_by(|a, b| a.iccid.cmp(&b.iccid));
        self.journal.append(out);
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
        let msg = self.with_card(iccid, |c, _, now| {
            if c.state == CardState::Cancelled {
                return Err(DomainError::Cancelled);
            }
            let m = Message {
                id,
                direction: direction.into(),
                peer: peer.into(),
                text: text.to_string(),
                time: now,
                read: false,
            };
            let (kind, list) = if direction == "mt" {
                (
                    EventKind::SmsReceived {
                        from: peer.into(),
                        text: text.to_string(),
                    },
                    &mut c.inbox,
                )
            } else {
                (
                    EventKind::SmsSent {
                        to: peer.into(),
                        text: text.to_string(),
                    },
                    &mut c.outbox,
                )
            };
            list.push(m.clone());
            if list.len() > MESSAGE_CAP {
                list.remove(0);
            }
            crate::domain::usage::record_sms(c, 1, now);
            lifecycle::push_event(c, now, kind);
            Ok(m)
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
        let events = self.engine.advance(&self.store, from, target);
        *self.now.write() = target;
        self.clock.set_base(target);
        self.journal.append(events);
        Ok(target)
    }

    /// Brings the world up to the clock's reading (speed mode ticker).
    pub fn catch_up(&self) {
        let reading = self.clock.reading();
        if reading > self.now() {
            let _ = self.advance_to(reading);
        }
    }

    /// Cards matching a filter, in ICCID order, paged.
    pub fn list_cards(
        &self,
        filter: &CardFilter,
        page: usize,
        page_size: usize,
    ) -> (Vec<Card>, usize) {
        let _g = self.gate.read();
        let mut total = 0usize;
        let mut items = Vec::new();
        let skip = page.saturating_sub(1) * page_size;
        self.store.for_each_iccid(|iccid| {
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

/// Messages a card keeps per box.
pub const MESSAGE_CAP: usize = 500;

/// Moves a card's new events out for the journal and trims its history.
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
