//! The change index: per account, every change of a card as a record
//! `(dateUpdated, ICCID)`, in the order the changes happened (ascending
//! time; changes at the same instant in the order they were made, the
//! fixture's cards by ICCID). Carrier APIs that list cards "modified since"
//! a date, oldest change first (Control Center's Search Devices, Jasper's
//! `GetModifiedTerminals`), read one page of it in O(page) instead of
//! scanning the account.
//!
//! Records are only ever appended, so the position of a record never moves
//! while a client pages through a window: a card changed during the paging
//! gets a new record at the end and its old record stays in place, marked
//! superseded (listings skip it), so nothing behind the client's page
//! slides forward out of its reach. Superseded records are dropped in one
//! compaction when they pass half the live ones (amortised O(1) per change,
//! memory at most 1.5 times the cards); that compaction is the one moment
//! positions move.

use std::collections::HashMap;

use compact_str::CompactString;
use dashmap::DashMap;
use jiff::Timestamp;
use parking_lot::RwLock;

use crate::domain::ids::fnv;

/// No live record (the card was removed).
const NONE: u32 = u32::MAX;
/// Superseded records tolerated before a compaction is considered.
const COMPACT_FLOOR: usize = 1024;

/// One change: when, and which card (its number in the account's log).
#[derive(Clone, Copy, Debug)]
struct Record {
    secs: i64,
    nanos: i32,
    card: u32,
}

impl Record {
    fn at(&self) -> Timestamp {
        Timestamp::new(self.secs, self.nanos).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn key(&self) -> (i64, i32) {
        (self.secs, self.nanos)
    }
}

fn key_of(ts: Timestamp) -> (i64, i32) {
    (ts.as_second(), ts.subsec_nanosecond())
}

/// One account's change log.
#[derive(Default)]
struct ChangeLog {
    records: Vec<Record>,
    /// Card number → ICCID.
    iccids: Vec<CompactString>,
    /// 64-bit hash of the ICCID → card number (an eighth of the memory of
    /// string keys at a million cards); ICCIDs whose hash is taken by
    /// another go to `overflow`.
    numbers: HashMap<u64, u32>,
    overflow: HashMap<CompactString, u32>,
    /// Card number → position of its latest record (`NONE` once removed).
    latest: Vec<u32>,
    /// Records that are not a card's latest.
    superseded: usize,
}

impl ChangeLog {
    fn find(&self, iccid: &str) -> Option<u32> {
        match self.numbers.get(&fnv(iccid.as_bytes())) {
            Some(&n) if self.iccids[n as usize] == iccid => Some(n),
            Some(_) => self.overflow.get(iccid).copied(),
            None => None,
        }
    }

    fn number(&mut self, iccid: &str) -> u32 {
        if let Some(n) = self.find(iccid) {
            return n;
        }
        let n = self.iccids.len() as u32;
        self.iccids.push(CompactString::from(iccid));
        self.latest.push(NONE);
        match self.numbers.entry(fnv(iccid.as_bytes())) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(n);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.overflow.insert(CompactString::from(iccid), n);
            }
        }
        n
    }

    /// Records a change of `iccid` at `at`. A change at the instant its
    /// latest record already shows adds nothing (the two cannot be told
    /// apart by `dateUpdated`).
    fn touch(&mut self, iccid: &str, at: Timestamp) {
        let card = self.number(iccid);
        let previous = self.latest[card as usize];
        let key = key_of(at);
        if previous != NONE && self.records[previous as usize].key() == key {
            return;
        }
        let record = Record {
            secs: key.0,
            nanos: key.1,
            card,
        };
        // The clock only moves forward, so a change lands at the end; an
        // older time (a card inserted with a past `updated`) is placed in
        // order, after the records of the same instant.
        let pos = if self.records.last().is_none_or(|r| r.key() <= key) {
            self.records.push(record);
            self.records.len() - 1
        } else {
            let pos = self.records.partition_point(|r| r.key() <= key);
            self.records.insert(pos, record);
            for l in self.latest.iter_mut() {
                if *l != NONE && *l as usize >= pos {
                    *l += 1;
                }
            }
            pos
        };
        let previous = self.latest[card as usize];
        if previous != NONE {
            self.superseded += 1;
        }
        self.latest[card as usize] = pos as u32;
        self.maybe_compact();
    }

    fn remove(&mut self, iccid: &str) {
        if let Some(n) = self.find(iccid) {
            if self.latest[n as usize] != NONE {
                self.latest[n as usize] = NONE;
                self.superseded += 1;
                self.maybe_compact();
            }
        }
    }

    fn live(&self) -> usize {
        self.records.len() - self.superseded
    }

    fn maybe_compact(&mut self) {
        if self.superseded > COMPACT_FLOOR && self.superseded > self.live() / 2 {
            self.compact();
        }
    }

    /// Keeps only each card's latest record.
    fn compact(&mut self) {
        let mut kept = Vec::with_capacity(self.live());
        for (pos, r) in self.records.iter().enumerate() {
            if self.latest[r.card as usize] as usize == pos {
                self.latest[r.card as usize] = kept.len() as u32;
                kept.push(*r);
            }
        }
        self.records = kept;
        self.superseded = 0;
    }

    /// Positions of the records in a window: from the first at or after
    /// (`inclusive`) or strictly after `since`, up to `till` included.
    fn window(&self, since: Since, till: Option<Timestamp>) -> (usize, usize) {
        let start = match since {
            Since::All => 0,
            Since::AtOrAfter(t) => {
                let k = key_of(t);
                self.records.partition_point(|r| r.key() < k)
            }
            Since::After(t) => {
                let k = key_of(t);
                self.records.partition_point(|r| r.key() <= k)
            }
        };
        let end = match till {
            None => self.records.len(),
            Some(t) => {
                let k = key_of(t);
                self.records.partition_point(|r| r.key() <= k)
            }
        };
        (start, end.max(start))
    }

    fn change(&self, pos: usize) -> Change {
        let r = self.records[pos];
        Change {
            at: r.at(),
            iccid: self.iccids[r.card as usize].clone(),
            latest: self.latest[r.card as usize] as usize == pos,
        }
    }
}

/// Where a window of changes starts.
#[derive(Clone, Copy, Debug)]
pub enum Since {
    /// From the first change.
    All,
    /// Changes at or after the instant (Control Center `modifiedSince`).
    AtOrAfter(Timestamp),
    /// Changes strictly after the instant (Jasper SOAP `since`).
    After(Timestamp),
}

/// One change of a card as the index keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The card's `dateUpdated` after this change.
    pub at: Timestamp,
    pub iccid: CompactString,
    /// Whether this is the card's latest change (false once it changed
    /// again, or was removed): listings show only latest changes.
    pub latest: bool,
}

/// A card of a bulk load: its `dateUpdated` as `(seconds, nanoseconds)`
/// and its ICCID.
type Row<'a> = ((i64, i32), &'a str);

/// The change logs of every account.
#[derive(Default)]
pub struct ChangeIndex {
    accounts: DashMap<CompactString, RwLock<ChangeLog>>,
    /// Changes recorded since the start (each an O(1) append, amortised):
    /// what recording has cost, for tests and benchmarks.
    touches: std::sync::atomic::AtomicU64,
}

impl ChangeIndex {
    pub fn clear(&self) {
        self.accounts.clear();
    }

    /// Changes recorded so far (see the field).
    pub fn touches(&self) -> u64 {
        self.touches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records that `iccid` of `account` changed at `at`.
    pub fn touch(&self, account: &str, iccid: &str, at: Timestamp) {
        self.touches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(log) = self.accounts.get(account) {
            log.write().touch(iccid, at);
            return;
        }
        self.accounts
            .entry(CompactString::from(account))
            .or_default()
            .write()
            .touch(iccid, at);
    }

    /// Forgets a removed card (its records are dropped at the next compaction).
    pub fn remove(&self, account: &str, iccid: &str) {
        if let Some(log) = self.accounts.get(account) {
            log.write().remove(iccid);
        }
    }

    /// Adds many cards at once: one sort per account instead of one
    /// ordered insert per card.
    pub fn add_all<'a>(&self, cards: impl Iterator<Item = (&'a str, &'a str, Timestamp)>) {
        let mut by_account: HashMap<&str, Vec<Row<'_>>> = HashMap::new();
        for (account, iccid, at) in cards {
            by_account
                .entry(account)
                .or_default()
                .push((key_of(at), iccid));
        }
        for (account, mut rows) in by_account {
            rows.sort_unstable();
            let entry = self
                .accounts
                .entry(CompactString::from(account))
                .or_default();
            let mut log = entry.write();
            log.records.reserve(rows.len());
            for (at, iccid) in rows {
                let at = Timestamp::new(at.0, at.1).unwrap_or(Timestamp::UNIX_EPOCH);
                log.touch(iccid, at);
            }
        }
    }

    /// The latest recorded change time of a card, if the index knows it.
    pub fn latest(&self, account: &str, iccid: &str) -> Option<Timestamp> {
        let log = self.accounts.get(account)?;
        let log = log.read();
        let n = log.find(iccid)?;
        let pos = log.latest[n as usize];
        (pos != NONE).then(|| log.records[pos as usize].at())
    }

    /// The positions `[start, end)` of an account's changes in a window.
    pub fn window(&self, account: &str, since: Since, till: Option<Timestamp>) -> (usize, usize) {
        self.accounts
            .get(account)
            .map_or((0, 0), |log| log.read().window(since, till))
    }

    /// The changes at positions `[from, to)` (clamped to the log).
    pub fn slice(&self, account: &str, from: usize, to: usize) -> Vec<Change> {
        let Some(log) = self.accounts.get(account) else {
            return Vec::new();
        };
        let log = log.read();
        let to = to.min(log.records.len());
        (from.min(to)..to).map(|p| log.change(p)).collect()
    }

    /// Records (superseded ones included) and live cards of an account.
    pub fn counts(&self, account: &str) -> (usize, usize) {
        self.accounts.get(account).map_or((0, 0), |log| {
            let log = log.read();
            (log.records.len(), log.live())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    fn order(ix: &ChangeIndex, since: Since) -> Vec<(i64, String, bool)> {
        let (a, b) = ix.window("acc", since, None);
        ix.slice("acc", a, b)
            .into_iter()
            .map(|c| (c.at.as_second(), c.iccid.to_string(), c.latest))
            .collect()
    }

    #[test]
    fn bulk_load_orders_by_time_then_iccid() {
        let ix = ChangeIndex::default();
        ix.add_all(
            [
                ("acc", "3", t(10)),
                ("acc", "1", t(20)),
                ("acc", "2", t(10)),
                ("other", "9", t(5)),
            ]
            .into_iter(),
        );
        let got = order(&ix, Since::All);
        assert_eq!(
            got,
            vec![
                (10, "2".into(), true),
                (10, "3".into(), true),
                (20, "1".into(), true)
            ]
        );
        assert_eq!(ix.counts("other"), (1, 1));
    }

    #[test]
    fn a_change_appends_and_keeps_the_old_position() {
        let ix = ChangeIndex::default();
        ix.add_all(
            [
                ("acc", "1", t(10)),
                ("acc", "2", t(10)),
                ("acc", "3", t(10)),
            ]
            .into_iter(),
        );
        ix.touch("acc", "1", t(30));
        // Same instant again: nothing new.
        ix.touch("acc", "1", t(30));
        let got = order(&ix, Since::All);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], (10, "1".into(), false));
        assert_eq!(got[3], (30, "1".into(), true));
        assert_eq!(ix.latest("acc", "1"), Some(t(30)));
        assert_eq!(
            order(&ix, Since::After(t(10))),
            vec![(30, "1".into(), true)]
        );
        assert_eq!(order(&ix, Since::AtOrAfter(t(30))).len(), 1);
        assert_eq!(ix.window("acc", Since::All, Some(t(20))), (0, 3));
    }

    #[test]
    fn an_older_time_is_placed_in_order() {
        let ix = ChangeIndex::default();
        ix.touch("acc", "1", t(10));
        ix.touch("acc", "2", t(30));
        ix.touch("acc", "3", t(20));
        ix.touch("acc", "2", t(40));
        let got = order(&ix, Since::All);
        let ids: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(ids, ["1", "3", "2", "2"]);
        assert!(!got[2].2);
        assert_eq!(ix.latest("acc", "2"), Some(t(40)));
        assert_eq!(ix.latest("acc", "3"), Some(t(20)));
    }

    #[test]
    fn compaction_keeps_only_latest_records_in_order() {
        let ix = ChangeIndex::default();
        for i in 0..10 {
            ix.touch("acc", &i.to_string(), t(1));
        }
        let mut now = 1;
        for round in 0..300 {
            for i in 0..10 {
                now += 1;
                ix.touch("acc", &((i + round) % 10).to_string(), t(now));
            }
        }
        let (records, live) = ix.counts("acc");
        assert_eq!(live, 10);
        assert!(records <= 2 * COMPACT_FLOOR + 20, "{records}");
        let got = order(&ix, Since::All);
        let latest: Vec<_> = got.iter().filter(|g| g.2).collect();
        assert_eq!(latest.len(), 10);
        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0));
        ix.remove("acc", "3");
        assert_eq!(ix.latest("acc", "3"), None);
        assert_eq!(ix.counts("acc").1, 9);
    }
}
