//! The fleet store: cards keyed by ICCID in a sharded concurrent map, with
//! secondary indexes (MSISDN, IMSI, IMEI), a sorted ICCID list for stable
//! paging (each card with a label that grows with its ICCID), the facet
//! index of the list filters by label ([`facets`]), and a per-account
//! change index by (dateUpdated, ICCID) ([`changes`]); accounts, plans and
//! pools beside them. An operation on one card holds that card's shard
//! lock, so it is atomic (no lost update, no torn read).
//!
//! Lock order: a card's shard, then the ICCID list, then the facet index.
//! Nothing holds the list or the facet index while it locks a card.

pub mod changes;
pub mod facets;

use compact_str::CompactString;
use dashmap::DashMap;
use parking_lot::RwLock;

use jiff::Timestamp;

use crate::domain::card::ReasonSet;
use crate::domain::ids::strip_country_code;
use crate::domain::{Account, Card, CardState, Plan, Pool};
use facets::{FacetIndex, FacetKey, Facets, LABEL_GAP};

/// A card change to record in the change index: its new `dateUpdated`,
/// its account and its ICCID.
pub type ChangeNote = (Timestamp, CompactString, CompactString);

/// The ICCIDs in sorted order and each one's label (ascending too).
#[derive(Default)]
struct Order {
    iccids: Vec<CompactString>,
    labels: Vec<u32>,
}

impl Order {
    fn position(&self, iccid: &str) -> Result<usize, usize> {
        self.iccids.binary_search_by(|k| k.as_str().cmp(iccid))
    }

    fn label_of(&self, iccid: &str) -> Option<u32> {
        self.position(iccid).ok().map(|i| self.labels[i])
    }

    fn iccid_of(&self, label: u32) -> Option<&CompactString> {
        self.labels
            .binary_search(&label)
            .ok()
            .map(|i| &self.iccids[i])
    }

    /// Labels every card anew, evenly spaced; relabels the facet sets
    /// (`inserted`: the position of a card just added, not in them yet).
    fn relabel(&mut self, facets: &mut FacetIndex, inserted: Option<usize>) {
        let old = std::mem::take(&mut self.labels);
        let n = self.iccids.len() as u64;
        let gap = (u64::from(u32::MAX) / (n + 1)).clamp(1, u64::from(LABEL_GAP)) as u32;
        self.labels = (0..self.iccids.len() as u32).map(|i| i * gap).collect();
        let shift = |j: usize| match inserted {
            Some(p) if j >= p => j + 1,
            _ => j,
        };
        let new = &self.labels;
        facets.relabel(|l| match old.binary_search(&l) {
            Ok(j) => new[shift(j)],
            Err(_) => l,
        });
    }
}

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
    order: RwLock<Order>,
    facets: RwLock<FacetIndex>,
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
        {
            let mut order = self.order.write();
            order.iccids.clear();
            order.labels.clear();
            self.facets.write().clear();
        }
        self.accounts.clear();
        self.plans.clear();
        self.pools.clear();
        self.changes.clear();
    }

    /// Inserts many cards at once (sorted order and labels rebuilt once).
    /// A card whose ICCID is already there replaces it.
    pub fn insert_cards(&self, cards: Vec<Card>) {
        self.changes.add_all(
            cards
                .iter()
                .map(|c| (c.account.as_str(), c.iccid.as_str(), c.updated)),
        );
        // Replaced cards leave their sets first (read before the list is
        // locked: a card is never locked under it).
        let replaced: Vec<(CompactString, Facets)> = cards
            .iter()
            .filter_map(|c| {
                self.cards
                    .get(c.iccid.as_str())
                    .map(|old| (c.iccid.clone(), Facets::of(&old)))
            })
            .collect();
        let new_facets: Vec<(CompactString, Facets)> = cards
            .iter()
            .map(|c| (c.iccid.clone(), Facets::of(c)))
            .collect();
        {
            let mut order = self.order.write();
            let mut facets = self.facets.write();
            for (iccid, f) in &replaced {
                if let Some(label) = order.label_of(iccid) {
                    facets.remove(label, f);
                }
            }
            // Old cards keep their place in the list (marked by their old
            // label), new ones are placed by ICCID, then all are labelled.
            let mut merged: Vec<(CompactString, Option<u32>)> = std::mem::take(&mut order.iccids)
                .into_iter()
                .zip(std::mem::take(&mut order.labels).into_iter().map(Some))
                .collect();
            merged.reserve(cards.len());
            merged.extend(cards.iter().map(|c| (c.iccid.clone(), None)));
            // Stable: an old entry stays before a new one of the same ICCID.
            merged.sort_by(|a, b| a.0.cmp(&b.0));
            merged.dedup_by(|later, earlier| later.0 == earlier.0);
            let n = merged.len() as u64;
            let gap = (u64::from(u32::MAX) / (n + 1)).clamp(1, u64::from(LABEL_GAP)) as u32;
            let mut relabel: Vec<(u32, u32)> = Vec::new();
            order.iccids.reserve(merged.len());
            order.labels.reserve(merged.len());
            for (i, (iccid, old)) in merged.into_iter().enumerate() {
                let label = i as u32 * gap;
                if let Some(old) = old {
                    relabel.push((old, label));
                }
                order.iccids.push(iccid);
                order.labels.push(label);
            }
            if relabel.iter().any(|(a, b)| a != b) {
                facets.relabel(|l| match relabel.binary_search_by_key(&l, |p| p.0) {
                    Ok(j) => relabel[j].1,
                    Err(_) => l,
                });
            }
            for (iccid, f) in &new_facets {
                if let Some(label) = order.label_of(iccid) {
                    facets.add(label, f);
                }
            }
        }
        for card in cards {
            self.index(&card);
            self.cards.insert(card.iccid.clone(), Box::new(card));
        }
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
            let mut facets = self.facets.write();
            let pos = order.position(&card.iccid).unwrap_or_else(|p| p);
            // A label strictly between the neighbours', or a relabelling.
            let low = pos
                .checked_sub(1)
                .map_or(0, |p| u64::from(order.labels[p]) + 1);
            let high = order
                .labels
                .get(pos)
                .map_or(u64::from(u32::MAX) + 1, |&h| u64::from(h));
            order.iccids.insert(pos, card.iccid.clone());
            if low < high {
                let label = if pos == order.labels.len() {
                    (low + u64::from(LABEL_GAP) - 1).min(high - 1)
                } else {
                    low + (high - low) / 2
                };
                order.labels.insert(pos, label as u32);
            } else {
                // No label left between the neighbours: label all anew.
                order.relabel(&mut facets, Some(pos));
            }
            facets.add(order.labels[pos], &Facets::of(&card));
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
        if let Ok(pos) = order.position(iccid) {
            self.facets
                .write()
                .remove(order.labels[pos], &Facets::of(&card));
            order.iccids.remove(pos);
            order.labels.remove(pos);
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
                    let pos = order.iccids.partition_point(|k| k.as_str() < s);
                    if let Some(k) = order.iccids.get(pos) {
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
        self.order.read().iccids.clone()
    }

    pub fn card_count(&self) -> usize {
        self.cards.len()
    }

    /// Records card changes in the change index, oldest first (ties by
    /// ICCID): the cards the engine or a bulk rule changed in place, noted
    /// as they changed, so recording costs O(changes), never a scan.
    pub fn record_changes(&self, mut notes: Vec<ChangeNote>) {
        notes.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.cmp(&b.2)));
        for (at, account, iccid) in notes {
            if self.changes.latest(&account, &iccid) != Some(at) {
                self.changes.touch(&account, &iccid, at);
            }
        }
    }

    /// Visits ICCIDs in sorted order; the list is copied a chunk at a time,
    /// so `f` may lock cards.
    pub fn for_each_iccid(&self, mut f: impl FnMut(&CompactString) -> bool) {
        const CHUNK: usize = 1024;
        let mut last: Option<CompactString> = None;
        loop {
            let chunk: Vec<CompactString> = {
                let order = self.order.read();
                // Resume after the last ICCID seen (the list may have moved).
                let from = last
                    .as_ref()
                    .map_or(0, |l| order.iccids.partition_point(|k| k <= l));
                let end = (from + CHUNK).min(order.iccids.len());
                order.iccids[from..end].to_vec()
            };
            let Some(end) = chunk.last() else {
                return;
            };
            last = Some(end.clone());
            for k in &chunk {
                if !f(k) {
                    return;
                }
            }
        }
    }

    /// Moves a card between facet sets after its listed values changed;
    /// called with the card locked.
    pub fn reindex_facets(&self, iccid: &str, before: &Facets, after: &Facets) {
        if before == after {
            return;
        }
        let order = self.order.read();
        if let Some(label) = order.label_of(iccid) {
            self.facets.write().change(label, before, after);
        }
    }

    /// [`Store::reindex_facets`] after a rule changed only the card's state
    /// and reasons (the engine), with the card locked.
    pub fn reindex_state(&self, card: &Card, state: CardState, reasons: ReasonSet) {
        if card.state == state && card.reasons == reasons {
            return;
        }
        let after = Facets::of(card);
        let before = Facets {
            state,
            reasons,
            ..after.clone()
        };
        self.reindex_facets(&card.iccid, &before, &after);
    }

    /// One page of the cards having every facet key, in ICCID order:
    /// the ICCIDs at `[skip, skip + take)` of the selection, and its size.
    /// O(page) (plus an intersection when several keys are given).
    pub fn page(&self, keys: &[FacetKey], skip: usize, take: usize) -> (Vec<CompactString>, usize) {
        let order = self.order.read();
        let facets = self.facets.read();
        match facets.matching(keys) {
            None => {
                let total = order.iccids.len();
                let from = skip.min(total);
                let to = from.saturating_add(take).min(total);
                (order.iccids[from..to].to_vec(), total)
            }
            Some(set) => {
                let total = set.len() as usize;
                let Some(first) = u32::try_from(skip).ok().and_then(|s| set.select(s)) else {
                    return (Vec::new(), total);
                };
                let page = set
                    .range(first..)
                    .take(take)
                    .filter_map(|l| order.iccid_of(l).cloned())
                    .collect();
                (page, total)
            }
        }
    }

    /// Visits the cards having every facet key in ICCID order, a chunk of
    /// ICCIDs at a time (no index lock held while `f` runs); stops when `f`
    /// says so.
    pub fn for_each_matching(&self, keys: &[FacetKey], mut f: impl FnMut(&CompactString) -> bool) {
        const CHUNK: usize = 1024;
        let mut skip = 0usize;
        loop {
            let (chunk, _) = self.page(keys, skip, CHUNK);
            if chunk.is_empty() {
                return;
            }
            skip += chunk.len();
            for k in &chunk {
                if !f(k) {
                    return;
                }
            }
        }
    }

    /// How many cards have every facet key.
    pub fn count_matching(&self, keys: &[FacetKey]) -> usize {
        match self.facets.read().matching(keys) {
            None => self.cards.len(),
            Some(set) => set.len() as usize,
        }
    }

    /// Differences between the facet index and a full scan of the cards
    /// (empty when consistent); for tests, with no writer running.
    pub fn facet_mismatches(&self) -> Vec<String> {
        let scanned: Vec<(CompactString, Facets)> = self
            .cards
            .iter()
            .map(|c| (c.iccid.clone(), Facets::of(&c)))
            .collect();
        let order = self.order.read();
        let mut fresh = FacetIndex::default();
        let mut out = Vec::new();
        for (iccid, f) in &scanned {
            match order.label_of(iccid) {
                Some(label) => fresh.add(label, f),
                None => out.push(format!("{iccid} has no label")),
            }
        }
        if order.iccids.len() != scanned.len() {
            out.push(format!(
                "{} cards listed, {} stored",
                order.iccids.len(),
                scanned.len()
            ));
        }
        if !order.labels.windows(2).all(|w| w[0] < w[1]) {
            out.push("labels not ascending".into());
        }
        let (want, got) = (fresh.pairs(), self.facets.read().pairs());
        if want != got {
            let missing = want.iter().filter(|p| got.binary_search(p).is_err());
            let extra = got.iter().filter(|p| want.binary_search(p).is_err());
            out.extend(missing.take(5).map(|p| format!("missing {p:?}")));
            out.extend(extra.take(5).map(|p| format!("extra {p:?}")));
        }
        out
    }
}
