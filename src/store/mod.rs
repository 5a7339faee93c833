//! The fleet store: cards keyed by ICCID in a sharded concurrent map, with
//! secondary indexes (MSISDN, IMSI, IMEI) and a sorted ICCID list for stable
//! paging; accounts, plans and pools beside them. An operation on one card
//! holds that card's shard lock, so it is atomic (no lost update, no torn read).

use compact_str::CompactString;
use dashmap::DashMap;
use parking_lot::RwLock;

use crate::domain::ids::strip_country_code;
use crate::domain::{Account, Card, Plan, Pool};

/// Days of per-day usage history a card keeps.
pub const DAY_HISTORY: usize = 62;
/// Events a card keeps in its own history (the journal keeps more).
pub const CARD_EVENT_CAP: usize = 200;

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

#[derive(Default)]
pub struct Store {
    pub cards: DashMap<CompactString, Card>,
    by_msisdn: DashMap<CompactString, CompactString>,
    by_imsi: DashMap<CompactString, CompactString>,
    by_imei: DashMap<CompactString, CompactString>,
    order: RwLock<Vec<CompactString>>,
    pub accounts: DashMap<CompactString, Account>,
    pub plans: DashMap<CompactString, Plan>,
    pub pools: DashMap<CompactString, Pool>,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&self) {
        self.cards.clear();
        self.by_msisdn.clear();
        self.by_imsi.clear();
        self.by_imei.clear();
        self.order.write().clear();
        self.accounts.clear();
        self.plans.clear();
        self.pools.clear();
    }

    /// Inserts many cards at once (sorted order rebuilt once).
    pub fn insert_cards(&self, cards: Vec<Card>) {
        let mut order = self.order.write();
        order.reserve(cards.len());
        for card in cards {
            self.index(&card);
            order.push(card.iccid.clone());
            self.cards.insert(card.iccid.clone(), card);
        }
        order.sort_unstable();
        order.dedup();
    }

    /// Inserts one card; `Err` if the ICCID, MSISDN or IMSI is taken.
    pub fn insert_card(&self, card: Card) -> Result<(), String> {
        if self.cards.contains_key(&card.iccid) {
            return Err(format!("iccid {} already exists", card.iccid));
        }
        if self.by_msisdn.contains_key(&card.msisdn) {
            return Err(format!("msisdn {} already exists", card.msisdn));
        }
        if self.by_imsi.contains_key(&card.imsi) {
            return Err(format!("imsi {} already exists", card.imsi));
        }
        self.index(&card);
        {
            let mut order = self.order.write();
            let pos = order.binary_search(&card.iccid).unwrap_or_else(|p| p);
            order.insert(pos, card.iccid.clone());
        }
        self.cards.insert(card.iccid.clone(), card);
        Ok(())
    }

    pub fn remove_card(&self, iccid: &str) -> Option<Card> {
        let (_, card) = self.cards.remove(iccid)?;
        self.by_msisdn.remove(&card.msisdn);
        self.by_imsi.remove(&card.imsi);
        if !card.imei.is_empty() {
            self.by_imei.remove(&card.imei);
        }
        let mut order = self.order.write();
        if let Ok(pos) = order.binary_search_by(|k| k.as_str().cmp(iccid)) {
            order.remove(pos);
        }
        Some(card)
    }

    fn index(&self, card: &Card) {
        self.by_msisdn
            .insert(card.msisdn.clone(), card.iccid.clone());
        self.by_imsi.insert(card.imsi.clone(), card.iccid.clone());
        if !card.imei.is_empty() {
            self.by_imei.insert(card.imei.clone(), card.iccid.clone());
        }
    }

    /// Re-points the IMEI index after a card's IMEI changed.
    pub fn reindex_imei(&self, iccid: &str, old: &str, new: &str) {
        if !old.is_empty() {
            self.by_imei.remove(old);
        }
        if !new.is_empty() {
            self.by_imei
                .insert(CompactString::from(new), CompactString::from(iccid));
        }
    }

    /// Resolves a reference to the card's ICCID.
    pub fn resolve(&self, r: CardRef<'_>) -> Option<CompactString> {
        let lookup =
            |m: &DashMap<CompactString, CompactString>, k: &str| m.get(k).map(|v| v.clone());
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
                if s.len() == 20 && self.cards.contains_key(&s[..19]) {
                    return Some(CompactString::from(&s[..19]));
                }
                None
            }
            CardRef::Msisdn(s) => {
                let s = s.trim();
                lookup(&self.by_msisdn, s)
                    .or_else(|| lookup(&self.by_msisdn, strip_country_code(s)))
            }
            CardRef::Imsi(s) => lookup(&self.by_imsi, s.trim()),
            CardRef::Imei(s) => lookup(&self.by_imei, s.trim()),
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

    /// Visits ICCIDs in sorted order without copying the list.
    pub fn for_each_iccid(&self, mut f: impl FnMut(&CompactString) -> bool) {
        for k in self.order.read().iter() {
            if !f(k) {
                break;
            }
        }
    }
}
