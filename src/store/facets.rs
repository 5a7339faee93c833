//! The facet index: for every value of the fields card lists filter on
//! (account, carrier, state, stop reason, tag, pool, plan) the set of cards
//! that have it, so a filtered list reads one page in ICCID order and
//! counts its matches without visiting the fleet.
//!
//! Sets are roaring bitmaps of *labels*: each card has a `u32` label that
//! grows with its ICCID (labels are handed out with gaps, so a card added
//! between two others takes a label between theirs; when a gap is used up
//! every card is labelled anew, an O(cards) step that a fleet of cards
//! added in ICCID order never needs). Walking a bitmap in label order is
//! walking its cards in ICCID order, and an intersection of filters is an
//! intersection of bitmaps (a few microseconds at a million cards, about
//! one bit or two bytes per card and value).
//!
//! The index is changed under the card's lock (the world's edit and the
//! engine compare a card's [`Facets`] before and after), and read without
//! any card locked, so two edits of one card cannot reach it out of order
//! and a reader never waits on a card while holding it.

use std::collections::HashMap;

use compact_str::CompactString;
use roaring::RoaringBitmap;

use crate::domain::card::ReasonSet;
use crate::domain::{Card, CardState, Carrier, Reason};

/// Label distance between neighbouring cards after a (re)labelling.
pub const LABEL_GAP: u32 = 64;

/// One filterable value of a card.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FacetKey {
    Account(CompactString),
    Carrier(Carrier),
    State(CardState),
    Reason(Reason),
    Tag(CompactString),
    Pool(CompactString),
    Plan(CompactString),
}

/// The filterable values of one card (compared before and after a change).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facets {
    pub account: CompactString,
    pub carrier: Carrier,
    pub state: CardState,
    pub reasons: ReasonSet,
    pub tags: Vec<CompactString>,
    pub pool: Option<CompactString>,
    pub plan: CompactString,
}

impl Facets {
    pub fn of(card: &Card) -> Self {
        Facets {
            account: card.account.clone(),
            carrier: card.carrier,
            state: card.state,
            reasons: card.reasons,
            tags: card.tags.iter().cloned().collect(),
            pool: card.pool.clone(),
            plan: card.plan.clone(),
        }
    }

    /// Every key the card is listed under.
    pub fn keys(&self) -> Vec<FacetKey> {
        let mut keys = vec![
            FacetKey::Account(self.account.clone()),
            FacetKey::Carrier(self.carrier),
            FacetKey::State(self.state),
            FacetKey::Plan(self.plan.clone()),
        ];
        keys.extend(self.reasons.iter().map(FacetKey::Reason));
        keys.extend(self.tags.iter().cloned().map(FacetKey::Tag));
        keys.extend(self.pool.clone().map(FacetKey::Pool));
        keys
    }
}

/// The sets of cards per facet value, by label.
#[derive(Default)]
pub struct FacetIndex {
    sets: HashMap<FacetKey, RoaringBitmap>,
}

impl FacetIndex {
    pub fn clear(&mut self) {
        self.sets.clear();
    }

    pub fn add(&mut self, label: u32, facets: &Facets) {
        for key in facets.keys() {
            self.sets.entry(key).or_default().insert(label);
        }
    }

    pub fn remove(&mut self, label: u32, facets: &Facets) {
        for key in facets.keys() {
            if let Some(set) = self.sets.get_mut(&key) {
                set.remove(label);
                if set.is_empty() {
                    self.sets.remove(&key);
                }
            }
        }
    }

    /// Moves a card from its old values to its new ones.
    pub fn change(&mut self, label: u32, before: &Facets, after: &Facets) {
        if before == after {
            return;
        }
        let (old, new) = (before.keys(), after.keys());
        for key in old.iter().filter(|k| !new.contains(k)) {
            if let Some(set) = self.sets.get_mut(key) {
                set.remove(label);
                if set.is_empty() {
                    self.sets.remove(key);
                }
            }
        }
        for key in new.into_iter().filter(|k| !old.contains(k)) {
            self.sets.entry(key).or_default().insert(label);
        }
    }

    /// The cards having every key (`None` for no key at all: every card).
    pub fn matching(&self, keys: &[FacetKey]) -> Option<RoaringBitmap> {
        let mut sets: Vec<&RoaringBitmap> = Vec::with_capacity(keys.len());
        for key in keys {
            match self.sets.get(key) {
                Some(s) => sets.push(s),
                None => return Some(RoaringBitmap::new()),
            }
        }
        sets.sort_by_key(|s| s.len());
        let (first, rest) = sets.split_first()?;
        let mut out = (*first).clone();
        for s in rest {
            out &= *s;
        }
        Some(out)
    }

    /// Labels every set anew through `relabel` (old label → new label,
    /// monotone), after the store handed out fresh labels.
    pub fn relabel(&mut self, relabel: impl Fn(u32) -> u32) {
        for set in self.sets.values_mut() {
            *set = set.iter().map(&relabel).collect();
        }
    }

    /// Every (key, label) pair, sorted (for consistency checks).
    pub fn pairs(&self) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = self
            .sets
            .iter()
            .flat_map(|(k, s)| s.iter().map(move |l| (format!("{k:?}"), l)))
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facets(state: CardState, tags: &[&str]) -> Facets {
        Facets {
            account: "acc".into(),
            carrier: Carrier::Cmcc,
            state,
            reasons: ReasonSet::empty(),
            tags: tags.iter().map(|t| CompactString::from(*t)).collect(),
            pool: None,
            plan: "p".into(),
        }
    }

    #[test]
    fn change_moves_a_card_between_sets_and_intersections_follow() {
        let mut ix = FacetIndex::default();
        ix.add(10, &facets(CardState::Active, &["a"]));
        ix.add(20, &facets(CardState::Active, &[]));
        ix.add(30, &facets(CardState::Suspended, &["a"]));
        let active = FacetKey::State(CardState::Active);
        let tag = FacetKey::Tag("a".into());
        let got = |ix: &FacetIndex, k: &[FacetKey]| -> Vec<u32> {
            ix.matching(k).unwrap().iter().collect()
        };
        assert_eq!(got(&ix, std::slice::from_ref(&active)), [10, 20]);
        assert_eq!(got(&ix, &[active.clone(), tag.clone()]), [10]);
        ix.change(
            20,
            &facets(CardState::Active, &[]),
            &facets(CardState::Active, &["a"]),
        );
        assert_eq!(got(&ix, &[active.clone(), tag.clone()]), [10, 20]);
        ix.change(
            10,
            &facets(CardState::Active, &["a"]),
            &facets(CardState::Suspended, &["a"]),
        );
        assert_eq!(got(&ix, &[FacetKey::State(CardState::Suspended)]), [10, 30]);
        ix.remove(30, &facets(CardState::Suspended, &["a"]));
        assert_eq!(got(&ix, &[tag]), [10, 20]);
        assert!(got(&ix, &[FacetKey::Pool("none".into())]).is_empty());
        assert!(ix.matching(&[]).is_none());
        ix.relabel(|l| l * 2);
        assert_eq!(got(&ix, &[active]), [40]);
    }
}
