//! The SMSC's shared state over one world: message records (for query_sm,
//! cancel_sm, replace_sm and receipts), messages held for cards that cannot
//! receive yet (re-checked on the simulated clock), parts of long messages,
//! per-account outboxes of deliver_sm (MO messages and receipts, queued
//! while no receiver is bound), bind counts, and the
//! per-account limits read from the fixture's `[dialects.smpp]` table.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use compact_str::CompactString;
use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedSender;

use super::codes::{err, status, MessageState};
use super::messages::{self, PartKey, Reassembly};
use super::pdu::{Address, Sm, Tlv};
use super::receipts::{self, Receipt};
use crate::domain::{Account, CardState};
use crate::fixture::dialects::SmppSettings;
use crate::sms::Access;
use crate::store::CardRef;
use crate::world::World;

/// Limits of one account's ESME, from `[dialects.smpp]` and
/// `[dialects.smpp.accounts.<account-id>]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Requests a session may have unanswered before `ESME_RMSGQFUL`;
    /// also the deliver_sm the SMSC keeps unacknowledged per session.
    pub window: usize,
    /// submit_sm/submit_multi/data_sm per second per account before
    /// `ESME_RTHROTTLED` (0 = unlimited).
    pub throughput: f64,
    /// Sessions an account may have bound at once (`ESME_RBINDFAIL` beyond).
    pub max_binds: usize,
    /// Messages held for unreachable cards per account before
    /// `ESME_RMSGQFUL`; also the deliver_sm queued while no receiver is bound.
    pub queue_cap: usize,
    /// Validity when the ESME gives none.
    pub validity: SignedDuration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window: 256,
            throughput: 0.0,
            max_binds: 8,
            queue_cap: 10_000,
            validity: SignedDuration::from_hours(72),
        }
    }
}

impl Limits {
    /// The limits of an account, as the fixture sets them.
    pub fn of(world: &World, account: &str) -> Limits {
        let fx = world.fixture();
        let smpp = &fx.dialects.smpp;
        let mut l = Limits::default();
        l.apply(smpp);
        if let Some(own) = smpp.accounts.get(account) {
            l.apply(own);
        }
        l
    }

    fn apply(&mut self, s: &SmppSettings) {
        if let Some(n) = s.window {
            self.window = n.max(1) as usize;
        }
        if let Some(n) = s.throughput {
            self.throughput = n.max(0.0);
        }
        if let Some(n) = s.max_binds {
            self.max_binds = n as usize;
        }
        if let Some(n) = s.queue_cap {
            self.queue_cap = n as usize;
        }
        if let Some(d) = s.validity {
            self.validity = d.0;
        }
    }
}

/// What the SMSC knows about a message it accepted.
#[derive(Clone, Debug)]
pub struct Record {
    pub account: CompactString,
    pub state: MessageState,
    pub err: u16,
    pub submitted: Timestamp,
    pub done: Option<Timestamp>,
    pub registered_delivery: u8,
    /// First characters, for the receipt's `text:`.
    pub excerpt: String,
    pub esme_addr: String,
    pub card_addr: String,
}

/// A message waiting for its card.
#[derive(Clone, Debug)]
pub struct Held {
    pub ids: Vec<u64>,
    pub account: CompactString,
    pub iccid: CompactString,
    pub from: String,
    pub text: String,
    pub data_coding: u8,
    pub not_before: Option<Timestamp>,
    pub expires: Timestamp,
}

/// Something the SMSC sends to a bound ESME.
pub type Outgoing = Sm;

/// A bound receiver or transceiver session of an account.
struct Receiver {
    session: u64,
    tx: UnboundedSender<Outgoing>,
}

#[derive(Default)]
struct Outbox {
    receivers: Vec<Receiver>,
    queue: VecDeque<Outgoing>,
    next: usize,
}

/// Records kept for query_sm at most; the oldest are forgotten beyond.
const RECORD_CAP: usize = 200_000;

#[derive(Default)]
struct Records {
    map: HashMap<u64, Record>,
    order: VecDeque<u64>,
}

/// A message as submitted, before routing.
pub struct Submission<'a> {
    pub account: &'a Account,
    pub limits: &'a Limits,
    pub source: &'a Address,
    pub dest: &'a Address,
    pub esm_class: u8,
    pub data_coding: u8,
    pub registered_delivery: u8,
    pub schedule_delivery_time: &'a str,
    pub validity_period: &'a str,
    pub short_message: &'a [u8],
    pub tlvs: &'a [Tlv],
}

/// The SMSC of one world.
pub struct Smsc {
    pub world: Arc<World>,
    next_id: AtomicU64,
    next_session: AtomicU64,
    records: Mutex<Records>,
    held: Mutex<Vec<Held>>,
    parts: Mutex<Reassembly>,
    outboxes: Mutex<HashMap<CompactString, Outbox>>,
    binds: Mutex<HashMap<CompactString, usize>>,
}

impl Smsc {
    pub fn new(world: Arc<World>) -> Arc<Smsc> {
        Arc::new(Smsc {
            world,
            next_id: AtomicU64::new(1),
            next_session: AtomicU64::new(1),
            records: Default::default(),
            held: Default::default(),
            parts: Default::default(),
            outboxes: Default::default(),
            binds: Default::default(),
        })
    }

    pub fn session_id(&self) -> u64 {
        self.next_session.fetch_add(1, Ordering::Relaxed)
    }

    /// The account whose ESME logs in as `system_id`.
    pub fn account_by_system_id(&self, system_id: &str) -> Option<Account> {
        self.world.find_account(|a| {
            a.credentials
                .smpp
                .as_ref()
                .is_some_and(|s| s.system_id == system_id)
        })
    }

    /// Counts a bind; false when the account is at `max_binds`.
    pub fn try_bind(&self, account: &str, max: usize) -> bool {
        let mut g = self.binds.lock();
        let n = g.entry(account.into()).or_default();
        if *n >= max {
            return false;
        }
        *n += 1;
        true
    }

    pub fn unbind(&self, account: &str) {
        if let Some(n) = self.binds.lock().get_mut(account) {
            *n = n.saturating_sub(1);
        }
    }

    /// Registers a receiver and hands it whatever was queued.
    pub fn add_receiver(&self, account: &str, session: u64, tx: UnboundedSender<Outgoing>) {
        let mut g = self.outboxes.lock();
        let ob = g.entry(account.into()).or_default();
        while let Some(sm) = ob.queue.pop_front() {
            if let Err(e) = tx.send(sm) {
                ob.queue.push_front(e.0);
                return;
            }
        }
        ob.receivers.push(Receiver { session, tx });
    }

    /// Removes a receiver; what it had not acknowledged goes back first in
    /// line (to another receiver, or the queue).
    pub fn remove_receiver(&self, account: &str, session: u64, unacked: Vec<Outgoing>) {
        {
            let mut g = self.outboxes.lock();
            let ob = g.entry(account.into()).or_default();
            ob.receivers.retain(|r| r.session != session);
        }
        for sm in unacked {
            self.route(account, sm);
        }
    }

    /// Sends a deliver_sm to one of the account's receivers (round robin),
    /// or queues it.
    pub fn route(&self, account: &str, mut sm: Outgoing) {
        let cap = Limits::of(&self.world, account).queue_cap.max(1);
        let mut g = self.outboxes.lock();
        let ob = g.entry(account.into()).or_default();
        while !ob.receivers.is_empty() {
            let i = ob.next % ob.receivers.len();
            ob.next = ob.next.wrapping_add(1);
            match ob.receivers[i].tx.send(sm) {
                Ok(()) => return,
                Err(e) => {
                    sm = e.0;
                    ob.receivers.remove(i);
                }
            }
        }
        if ob.queue.len() >= cap {
            ob.queue.pop_front();
        }
        ob.queue.push_back(sm);
    }

    /// deliver_sm waiting for a receiver of the account.
    pub fn queued(&self, account: &str) -> usize {
        self.outboxes
            .lock()
            .get(account)
            .map_or(0, |o| o.queue.len())
    }

    /// A copy of a message's record.
    pub fn record(&self, id: u64) -> Option<Record> {
        self.records.lock().map.get(&id).cloned()
    }

    /// Messages held for an account's unreachable cards.
    pub fn held_count(&self, account: &str) -> usize {
        self.held
            .lock()
            .iter()
            .filter(|h| h.account == account)
            .count()
    }

    /// Whether the account has `cap` messages held (counted only when the
    /// SMSC as a whole holds that many).
    fn held_full(&self, account: &str, cap: usize) -> bool {
        let g = self.held.lock();
        g.len() >= cap && g.iter().filter(|h| h.account == account).count() >= cap
    }

    fn new_record(&self, rec: Record) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut g = self.records.lock();
        if g.order.len() >= RECORD_CAP {
            if let Some(old) = g.order.pop_front() {
                g.map.remove(&old);
            }
        }
        g.order.push_back(id);
        g.map.insert(id, rec);
        id
    }

    /// Accepts a submitted message (one destination): checks addresses and
    /// times, records it, and delivers, holds or reassembles it. Returns
    /// the message id, or the command_status refusing it.
    pub fn submit(&self, s: &Submission<'_>) -> Result<u64, u32> {
        let esme_addr = self.source_addr(s.account, &s.source.addr)?;
        let number = s.dest.addr.trim().trim_start_matches('+');
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(status::ESME_RINVDSTADR);
        }
        // Another account's (or carrier's) card is answered like a number
        // that does not exist, as the HTTP dialects answer a foreign card:
        // an ESME learns nothing about cards it does not own.
        let iccid = self
            .world
            .resolve(CardRef::Msisdn(number))
            .filter(|iccid| {
                self.world
                    .read_card(iccid, |c| c.account.as_str() == s.account.id.as_str())
                    .unwrap_or(false)
            })
            .ok_or(status::ESME_RINVDSTADR)?;
        let now = self.world.now();
        let not_before = messages::parse_time(s.schedule_delivery_time, now)
            .map_err(|_| status::ESME_RINVSCHED)?;
        let expires = messages::parse_time(s.validity_period, now)
            .map_err(|_| status::ESME_RINVEXPIRY)?
            .unwrap_or_else(|| now.checked_add(s.limits.validity).unwrap_or(now));
        let (udh_part, body) = messages::split_udh(s.esm_class, s.short_message)?;
        let sar = messages::sar_part(s.tlvs)?;
        let payload = if udh_part.is_some() {
            body
        } else {
            messages::payload(body, s.tlvs)?
        };
        let part = udh_part.or(sar);
        if part.is_some_and(|p| !messages::valid_part(&p)) {
            return Err(status::ESME_RINVOPTPARAMVAL);
        }
        if self.held_full(&s.account.id, s.limits.queue_cap) {
            return Err(status::ESME_RMSGQFUL);
        }
        let card_addr = self
            .world
            .read_card(&iccid, |c| c.msisdn.to_string())
            .unwrap_or_default();
        let piece = messages::decode(s.data_coding, payload);
        let id = self.new_record(Record {
            account: s.account.id.clone(),
            state: MessageState::Enroute,
            err: err::NONE,
            submitted: now,
            done: None,
            registered_delivery: s.registered_delivery,
            excerpt: piece.chars().take(20).collect(),
            esme_addr: esme_addr.clone(),
            card_addr,
        });
        let (text, ids) = match part {
            Some(p) if p.total > 1 => {
                let key = PartKey {
                    account: s.account.id.to_string(),
                    source: esme_addr.clone(),
                    dest: iccid.to_string(),
                    reference: p.reference,
                    total: p.total,
                };
                let whole = self
                    .parts
                    .lock()
                    .add(key, p.seq, s.data_coding, payload, id);
                match whole {
                    Some(w) => (w.text, w.tags),
                    None => return Ok(id),
                }
            }
            _ => (piece, vec![id]),
        };
        if let Some(first) = ids.iter().min() {
            let excerpt: String = text.chars().take(20).collect();
            if let Some(r) = self.records.lock().map.get_mut(first) {
                r.excerpt = excerpt;
            }
        }
        self.dispatch(Held {
            ids,
            account: s.account.id.clone(),
            iccid,
            from: esme_addr,
            text,
            data_coding: s.data_coding,
            not_before,
            expires,
        });
        Ok(id)
    }

    /// The source address to show the card: the ESME's own if it starts
    /// with one of the account's short codes, its first short code if
    /// empty; anything else is `ESME_RINVSRCADR`.
    fn source_addr(&self, account: &Account, given: &str) -> Result<String, u32> {
        let codes = account
            .credentials
            .smpp
            .as_ref()
            .map(|s| s.short_codes.as_slice())
            .unwrap_or_default();
        let given = crate::sms::numbers::normalise_number(given);
        if given.is_empty() {
            return codes.first().cloned().ok_or(status::ESME_RINVSRCADR);
        }
        if codes.is_empty() || codes.iter().any(|c| given.starts_with(c.as_str())) {
            Ok(given)
        } else {
            Err(status::ESME_RINVSRCADR)
        }
    }

    /// Delivers a whole message now, or holds it, or fails it.
    fn dispatch(&self, h: Held) {
        let now = self.world.now();
        match self.try_deliver(&h, now) {
            Some((state, e)) => self.finish(&h.ids, state, e, now),
            None => self.held.lock().push(h),
        }
    }

    /// The final state of a held message at `now`, if it has one (the
    /// message is delivered to the card when it can receive).
    fn try_deliver(&self, h: &Held, now: Timestamp) -> Option<(MessageState, u16)> {
        let Some((state, access, sms)) = self.world.read_card(&h.iccid, |c| {
            (c.state, crate::sms::access(c), c.sms_enabled)
        }) else {
            return Some((MessageState::Undeliverable, err::CARD_CANCELLED));
        };
        if state == CardState::Cancelled {
            return Some((MessageState::Undeliverable, err::CARD_CANCELLED));
        }
        if now >= h.expires {
            return Some((MessageState::Expired, err::VALIDITY_EXPIRED));
        }
        if access != Access::Full || !sms || h.not_before.is_some_and(|t| now < t) {
            return None;
        }
        match self.world.deliver_to_card(&h.iccid, &h.from, &h.text) {
            Ok(_) => Some((MessageState::Delivered, err::NONE)),
            Err(_) => Some((MessageState::Undeliverable, err::CARD_CANCELLED)),
        }
    }

    /// Sets messages' final state and sends the receipts they asked for.
    fn finish(&self, ids: &[u64], state: MessageState, e: u16, now: Timestamp) {
        let mut out = Vec::new();
        {
            let mut g = self.records.lock();
            for id in ids {
                if let Some(r) = g.map.get_mut(id) {
                    r.state = state;
                    r.err = e;
                    r.done = Some(now);
                    if receipts::wanted(r.registered_delivery, state) {
                        out.push((
                            r.account.clone(),
                            Receipt {
                                message_id: id.to_string(),
                                state,
                                err: e,
                                submitted: r.submitted,
                                done: now,
                                text: r.excerpt.clone(),
                                esme_addr: r.esme_addr.clone(),
                                card_addr: r.card_addr.clone(),
                            },
                        ));
                    }
                }
            }
        }
        for (account, r) in out {
            self.route(&account, receipts::deliver_sm(&r));
        }
    }

    /// Re-checks every held message against the card and the simulated
    /// clock (called periodically).
    pub fn recheck(&self) {
        let held = std::mem::take(&mut *self.held.lock());
        if held.is_empty() {
            return;
        }
        let now = self.world.now();
        let mut keep = Vec::new();
        for h in held {
            match self.try_deliver(&h, now) {
                Some((state, e)) => self.finish(&h.ids, state, e, now),
                None => keep.push(h),
            }
        }
        self.held.lock().extend(keep);
    }

    /// Removes a held (or half-reassembled) message of the account; its
    /// parts become DELETED. False when there is none to cancel.
    pub fn cancel(&self, account: &str, id: u64) -> bool {
        let now = self.world.now();
        let taken = {
            let mut g = self.held.lock();
            let pos = g
                .iter()
                .position(|h| h.account == account && h.ids.contains(&id));
            pos.map(|i| g.remove(i))
        };
        match taken {
            Some(h) => {
                self.finish(&h.ids, MessageState::Deleted, err::CANCELLED_BY_ESME, now);
                true
            }
            None if self.parts.lock().forget(id) => {
                self.finish(&[id], MessageState::Deleted, err::CANCELLED_BY_ESME, now);
                true
            }
            None => false,
        }
    }

    /// Cancels every held message from `source` to `dest` of the account.
    pub fn cancel_all(&self, account: &str, source: &str, dest: &str) -> usize {
        let iccid = self
            .world
            .resolve(CardRef::Msisdn(dest.trim_start_matches('+')));
        let source = crate::sms::numbers::normalise_number(source);
        let ids: Vec<u64> = self
            .held
            .lock()
            .iter()
            .filter(|h| {
                h.account == account
                    && (source.is_empty() || h.from == source)
                    && iccid.as_ref().is_some_and(|i| *i == h.iccid)
            })
            .filter_map(|h| h.ids.first().copied())
            .collect();
        ids.iter().filter(|id| self.cancel(account, **id)).count()
    }

    /// Replaces the text (and times) of a held message; false when it is
    /// not held any more.
    pub fn replace(
        &self,
        account: &str,
        id: u64,
        short_message: &[u8],
        schedule: Option<Timestamp>,
        validity: Option<Timestamp>,
    ) -> bool {
        let mut g = self.held.lock();
        let Some(h) = g
            .iter_mut()
            .find(|h| h.account == account && h.ids.contains(&id))
        else {
            return false;
        };
        h.text = messages::decode(h.data_coding, short_message);
        if schedule.is_some() {
            h.not_before = schedule;
        }
        if let Some(v) = validity {
            h.expires = v;
        }
        true
    }

    /// A card sent an SMS: if its destination is one of an account's short
    /// codes (longest match), a deliver_sm goes to that account.
    pub fn mobile_originated(&self, iccid: &str, to: &str, text: &str) {
        let to = crate::sms::numbers::normalise_number(to);
        let mut best: Option<(usize, CompactString)> = None;
        for a in self.world.accounts() {
            let Some(s) = a.credentials.smpp.as_ref() else {
                continue;
            };
            for c in &s.short_codes {
                if to.starts_with(c.as_str()) && best.as_ref().is_none_or(|(n, _)| c.len() > *n) {
                    best = Some((c.len(), a.id.clone()));
                }
            }
        }
        let Some((_, account)) = best else {
            return;
        };
        let from = self
            .world
            .read_card(iccid, |c| c.msisdn.to_string())
            .unwrap_or_default();
        let (dc, bytes) = messages::encode(text);
        let mut sm = Sm {
            source: Address {
                ton: 0,
                npi: 1,
                addr: from,
            },
            dest: Address::new(&to),
            data_coding: dc,
            ..Default::default()
        };
        if bytes.len() <= 254 {
            sm.short_message = bytes;
        } else {
            sm.tlvs.push(Tlv {
                tag: super::codes::tlv::MESSAGE_PAYLOAD,
                value: bytes,
            });
        }
        self.route(&account, sm);
    }
}
