//! The fleet store: cards keyed by ICCID in a sharded concurrent map, with
//! secondary indexes (MSISDN, IMSI, IMEI) and a sorted ICCID list for stable
//! paging, and a per-account change index by (dateUpdated, ICCID)
//! ([`changes`]); accounts, plans and pools beside them. An operation on one
//! card holds that card's shard lock, so it is atomic (no lost update, no
//! torn read).

pub mod changes;

use compact_str::CompactString;
use dashmap::DashMap;
use parking_lot::RwLock;

use crate::domain::ids::strip_country_code;
use crate::domain::{Account, Card, Plan, Pool};

pub use crate::domain::card::{CARD_EVENT_CAP, DAY_HISTORY};

/// How a caller names a card.
#[derive(Clone, Copy, Debug)]
pub enum CardRef<'a> {
    Iccid(&'a str),
    Msisdn(&'a str),
    Imsi(&'a str),
    Imei(&'a str),
    /// Any of ICCID, MSISDN (with or without 86) or IMSI.
    Any(&'a str),
}

#[derive(Clone, Copy)]
enum Kind {
    Msisdn = 1,
    Imsi = 2,
    Imei = 3,
}

/// A number's index key: its value (up to 17 digits, leading zeros kept
/// apart by the length) tagged with its kind and digit count.
fn number_key(kind: Kind, number: &str) -> Option<u64> {
    let len = number.len();
    if len == 0 || len > 17 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = number.parse().ok()?;
    Some(((kind as u64) << 62) | ((len as u64) << 57) | value)
}

/// Cards are boxed so the map's empty slots stay small (a million cards
/// in well under a GiB); the number indexes share one map keyed by the
/// number's value tagged with its kind.
#[derive(Default)]
pub struct Store {
    pub cards: DashMap<CompactString, Box<Card>>,
    numbers: DashMap<u64, CompactString>,
    order: RwLock<Vec<CompactString>>,
    pub accounts: DashMap<CompactString, Account>,
    pub plans: DashMap<CompactString, Plan>,
    pub pools: DashMap<CompactString, Pool>,
    /// Every card change per account, oldest first (kept by the world).
    pub changes: changes::ChangeIndex,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&self) {
        self.cards.clear();
        self.numbers.clear();
        self.order.write().clear();
        self.accounts.clear();
        self.plans.clear();
        self.pools.clear();
        self.changes.clear();
    }

    /// Inserts many cards at once (sorted order rebuilt once).
    pub fn insert_cards(&self, cards: Vec<Card>) {
        self.changes.add_all(
            cards
                .iter()
                .map(|c| (c.account.as_str(), c.iccid.as_str(), c.updated)),
        );
        let mut order = self.order.write();
        order.reserve(cards.len());
        for card in cards {
            self.index(&card);
            order.push(card.iccid.clone());
            self.cards.insert(card.iccid.clone(), Box::new(card));
        }
        order.sort_unstable();
        order.dedup();
    }

    /// Inserts one card; `Err` if the ICCID, MSISDN or IMSI is taken.
    pub fn insert_card(&self, card: Card) -> Result<(), String> {
        if self.cards.contains_key(&card.iccid) {
            return Err(format!("iccid {} already exists", card.iccid));
        }
        if self.lookup(Kind::Msisdn, &card.msisdn).is_some() {
            return Err(format!("msisdn {} already exists", card.msisdn));
        }
        if self.lookup(Kind::Imsi, &card.imsi).is_some() {
            return Err(format!("imsi {} already exists", card.imsi));
        }
        self.index(&card);
        {
            let mut order = self.order.write();
            let pos = order.binary_search(&card.iccid).unwrap_or_else(|p| p);
            order.insert(pos, card.iccid.clone());
        }
        self.changes.touch(&card.account, &card.iccid, card.updated);
        self.cards.insert(card.iccid.clone(), Box::new(card));
        Ok(())
    }

    pub fn remove_card(&self, iccid: &str) -> Option<Card> {
        let (_, card) = self.cards.remove(iccid)?;
        self.unindex(Kind::Msisdn, &card.msisdn);
        self.unindex(Kind::Imsi, &card.imsi);
        self.unindex(Kind::Imei, &card.imei);
        self.changes.remove(&card.account, iccid);
        let mut order = self.order.write();
        if let Ok(pos) = order.binary_search_by(|k| k.as_str().cmp(iccid)) {
            order.remove(pos);
        }
        Some(*card)
    }

    fn index(&self, card: &Card) {
        for (kind, number) in [
            (Kind::Msisdn, &card.msisdn),
            (Kind::Imsi, &card.imsi),
            (Kind::Imei, &card.imei),
        ] {
            if let Some(key) = number_key(kind, number) {
                self.numbers.insert(key, card.iccid.clone());
            }
        }
    }

    fn unindex(&self, kind: Kind, number: &str) {
        if let Some(key) = number_key(kind, number) {
            self.numbers.remove(&key);
        }
    }

    fn lookup(&self, kind: Kind, number: &str) -> Option<CompactString> {
        number_key(kind, number).and_then(|k| self.numbers.get(&k).map(|v| v.clone()))
    }

    /// Re-points the IMEI index after a card's IMEI changed.
    pub fn reindex_imei(&self, iccid: &str, old: &str, new: &str) {
        self.unindex(Kind::Imei, old);
        if let Some(key) = number_key(Kind::Imei, new) {
            self.numbers.insert(key, CompactString::from(iccid));
        }
    }

    /// Resolves a reference to the card's ICCID.
    pub fn resolve(&self, r: CardRef<'_>) -> Option<CompactString> {
        match r {
            CardRef::Iccid(s) => {
                let s = s.trim();
                if self.cards.contains_key(s) {
                    return Some(CompactString::from(s));
                }
                // Clients drop (or add) the 20th character; accept a 19-digit prefix.
                if s.len() == 19 {
                    let order = self.order.read();
                    let pos = order.partition_point(|k| k.as_str() < s);
                    if let Some(k) = order.get(pos) {
                        if k.len() == 20 && k.starts_with(s) {
                            return Some(k.clone());
                        }
                    }
                }
                // `get` rather than slicing: a multibyte character may straddle byte 19.
                if let Some(prefix) = s.get(..19).filter(|_| s.len() == 20) {
                    if self.cards.contains_key(prefix) {
                        return Some(CompactString::from(prefix));
                    }
                }
                None
            }
            CardRef::Msisdn(s) => {
                let s = s.trim();
                self.lookup(Kind::Msisdn, s)
                    .or_else(|| self.lookup(Kind::Msisdn, strip_country_code(s)))
            }
            CardRef::Imsi(s) => self.lookup(Kind::Imsi, s.trim()),
            CardRef::Imei(s) => self.lookup(Kind::Imei, s.trim()),
            CardRef::Any(s) => self
                .resolve(CardRef::Iccid(s))
                .or_else(|| self.resolve(CardRef::Msisdn(s)))
                .or_else(|| self.resolve(CardRef::Imsi(s))),
        }
    }

    /// All ICCIDs in sorted order (a copy, for paging and scans).
    pub fn iccids(&self) -> Vec<CompactString> {
        self.order.read().clone()
    }

    pub fn card_count(&self) -> usize {
        self.cards.len()
    }

    /// Brings the change index up to date with every card whose
    /// `updated` is at or after `from` (after the engine or a bulk rule
    /// changed cards in place): the changes are collected first and
    /// recorded after the map is released, oldest first.
    pub fn record_changes_since(&self, from: jiff::Timestamp) {
        let mut changed: Vec<(jiff::Timestamp, CompactString, CompactString)> = self
            .cards
            .iter()
            .filter(|c| c.updated >= from)
            .map(|c| (c.updated, c.account.clone(), c.iccid.clone()))
            .collect();
        changed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
        for (at, account, iccid) in changed {
            if self.changes.latest(&account, &iccid) != Some(at) {
                self.changes.touch(&account, &iccid, at);
            }
        }
    }

    /// Visits ICCIDs in sorted order without copying the list.
    pub fn for_each_iccid(&self, mut f: impl FnMut(&CompactString) -> bool) {
        for k in self.order.read().iter() {
            if !f(k) {
                break;
            }
        }
    }
}
