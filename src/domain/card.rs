//! The card (SIM) and its live state: identity, ownership, lifecycle state
//! with its set of stop reasons, usage counters, money, dates, flags and the
//! data session. Invariant kept by `lifecycle`: a card in service
//! (`Active`) has no stop reasons; `Suspended` always has at least one.

use std::collections::BTreeMap;

use compact_str::CompactString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use thin_vec::ThinVec;

use super::billing::LedgerEntry;
use super::event::Event;
use super::money::Fen;
use super::plan::AddOn;
use super::Carrier;

/// The neutral lifecycle states; each carrier renders them in its own codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardState {
    Inventory,
    TestReady,
    ActivationReady,
    Active,
    Suspended,
    PreCancel,
    Cancelled,
}

impl CardState {
    pub const ALL: [CardState; 7] = [
        CardState::Inventory,
        CardState::TestReady,
        CardState::ActivationReady,
        CardState::Active,
        CardState::Suspended,
        CardState::PreCancel,
        CardState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CardState::Inventory => "inventory",
            CardState::TestReady => "test_ready",
            CardState::ActivationReady => "activation_ready",
            CardState::Active => "active",
            CardState::Suspended => "suspended",
            CardState::PreCancel => "pre_cancel",
            CardState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<CardState> {
        CardState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// States in which the card may carry data if nothing else stops it.
    pub fn can_use_network(self) -> bool {
        matches!(
            self,
            CardState::Active | CardState::TestReady | CardState::ActivationReady
        )
    }
}

/// Why a card is out of service. A card can be stopped for several at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    OverQuota,
    Manual,
    Arrears,
    Expired,
    DataCut,
}

impl Reason {
    pub const ALL: [Reason; 5] = [
        Reason::OverQuota,
        Reason::Manual,
        Reason::Arrears,
        Reason::Expired,
        Reason::DataCut,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::OverQuota => "over_quota",
            Reason::Manual => "manual",
            Reason::Arrears => "arrears",
            Reason::Expired => "expired",
            Reason::DataCut => "data_cut",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A small set of stop reasons (a bit set, serialised as a sorted list).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ReasonSet(u8);

impl ReasonSet {
    pub fn empty() -> Self {
        ReasonSet(0)
    }
    pub fn contains(self, r: Reason) -> bool {
        self.0 & r.bit() != 0
    }
    pub fn insert(&mut self, r: Reason) -> bool {
        let had = self.contains(r);
        self.0 |= r.bit();
        !had
    }
    pub fn remove(&mut self, r: Reason) -> bool {
        let had = self.contains(r);
        self.0 &= !r.bit();
        had
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Reason> {
        Reason::ALL.into_iter().filter(move |r| self.contains(*r))
    }
    pub fn to_vec(self) -> Vec<Reason> {
        self.iter().collect()
    }
}

impl FromIterator<Reason> for ReasonSet {
    fn from_iter<I: IntoIterator<Item = Reason>>(iter: I) -> Self {
        let mut s = ReasonSet::empty();
        for r in iter {
            s.insert(r);
        }
        s
    }
}

impl Serialize for ReasonSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ReasonSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<Reason> = Vec::deserialize(d)?;
        Ok(v.into_iter().collect())
    }
}

/// Usage counters of the current cycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub data_bytes: u64,
    pub sms: u32,
    pub voice_seconds: u32,
}

/// The card's data session as the network sees it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub online: bool,
    pub apn: CompactString,
    pub ip: CompactString,
    /// Radio access technology: `2G`, `3G`, `4G`, `5G`, `NB-IoT`.
    pub rat: CompactString,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    /// Data sessions opened this cycle.
    pub sessions_this_cycle: u32,
    /// Simulated position (WGS-84) and city of the serving cell.
    pub lat: f64,
    pub lon: f64,
    pub city: CompactString,
}

/// Usage threshold cut (CTCC 达量断网): data stops when the cycle usage
/// (`total`) or the usage beyond the plan (`beyond_plan`) reaches `quota_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdCut {
    /// `None` = unlimited (CTCC quota -1).
    pub quota_bytes: Option<u64>,
    pub beyond_plan: bool,
    /// Whether the threshold has been reached this cycle.
    pub reached: bool,
}

/// Usage of one day (kept for the daily/monthly history queries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    pub data_bytes: u64,
    pub sms: u32,
    pub voice_seconds: u32,
}

/// Usage a card had before the simulation saw it (a fixture's `data_used`,
/// `sms_used`, `voice_seconds_used`), with the hours it is spread over. The
/// per-day and per-hour views add each hour's share, so they sum to the
/// cycle's counters from the first instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningUsage {
    pub usage: Usage,
    /// First hour of the spread (hours since the epoch): the cycle's first
    /// hour, or the activation hour when the card was activated later.
    pub first_hour: u32,
    /// Hours the usage is spread over (at least one).
    pub hours: u32,
    /// Relative weight of each Shanghai hour of the day (0 = 00:00-01:00):
    /// the card's trace shape, all equal when it has none.
    pub shape: [u8; 24],
}

/// A message in a card's inbox or outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: u64,
    /// `mt` (to the card) or `mo` (from the card).
    pub direction: CompactString,
    pub peer: CompactString,
    pub text: String,
    pub time: Timestamp,
    /// Set once read through a handset or modem.
    #[serde(default)]
    pub read: bool,
}

/// One card with all its live state. Collections are `ThinVec`s (one
/// pointer when empty) so that a million cards fit in under a GiB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Card {
    pub iccid: CompactString,
    pub imsi: CompactString,
    pub msisdn: CompactString,
    #[serde(default)]
    pub imei: CompactString,
    pub carrier: Carrier,
    pub account: CompactString,
    pub plan: CompactString,
    #[serde(default)]
    pub pool: Option<CompactString>,
    pub state: CardState,
    #[serde(default)]
    pub reasons: ReasonSet,
    pub balance_fen: Fen,
    /// Balance when the card entered the world; `balance = opening + ledger`.
    #[serde(default)]
    pub opening_balance_fen: Fen,
    #[serde(default)]
    pub usage: Usage,
    pub opened: Timestamp,
    #[serde(default)]
    pub activated: Option<Timestamp>,
    /// When the package term ends (exclusive instant).
    pub expires: Option<Timestamp>,
    /// When the keep-number period ends and the card is cancelled.
    #[serde(default)]
    pub cancel_at: Option<Timestamp>,
    #[serde(default)]
    pub auto_stop: bool,
    #[serde(default)]
    pub threshold: Option<ThresholdCut>,
    /// Speed limit code of the carrier (CTCC speedValue / CMCC serviceUsageState).
    #[serde(default)]
    pub speed_limit: Option<u16>,
    /// The same limit in neutral units (kbit/s); `None` when there is no
    /// limit or the code names no rate (CTCC 31 "不限速").
    #[serde(default)]
    pub speed_limit_kbps: Option<u32>,
    #[serde(default)]
    pub session: Session,
    #[serde(default)]
    pub tags: ThinVec<CompactString>,
    /// Real-name registration done (实名).
    #[serde(default)]
    pub real_name: bool,
    /// Service switches: voice, SMS, data (false = switched off by the customer).
    #[serde(default = "yes")]
    pub voice_enabled: bool,
    #[serde(default = "yes")]
    pub sms_enabled: bool,
    /// Add-on data packages (this cycle and pending).
    #[serde(default)]
    pub addons: ThinVec<AddOn>,
    /// A renewal bought with next-month effect, applied at the next rollover.
    #[serde(default)]
    pub pending_renewal_months: u32,
    /// Overage already charged this cycle, in bytes beyond the allowance.
    #[serde(default)]
    pub overage_charged_bytes: u64,
    /// Bytes this card used this cycle while its pool was beyond the pool's
    /// allowance: the pool overage this member pays for (each member pays
    /// for its own megabytes, never for another member's).
    #[serde(default)]
    pub pool_over_bytes: u64,
    /// First day of the cycle the counters belong to (`yyyy-mm` as year*12+month-1).
    pub cycle: i32,
    /// Last moment the card was brought up to date by the clock.
    pub synced: Timestamp,
    /// Last time anything about the card changed (CUCC `dateUpdated`).
    pub updated: Timestamp,
    /// Last lifecycle transition time.
    #[serde(default)]
    pub state_changed: Option<Timestamp>,
    /// Per-day usage, newest last, capped (see [`DAY_HISTORY`]). The
    /// opening usage is not in here: read days through `usage::daily`.
    #[serde(default)]
    pub days: ThinVec<(i32, DayUsage)>,
    /// Data used per hour: (hour number since the epoch, bytes), oldest
    /// first: the hours of the current cycle and of the previous cycle's
    /// last day (trimmed at each rollover). An hour of more than `u32::MAX`
    /// bytes takes several entries (all full but the last).
    #[serde(default)]
    pub hours: ThinVec<(u32, u32)>,
    /// First hour the per-hour history is complete from (hours before it
    /// fell out of retention; 0 = complete).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hours_from: u32,
    /// The usage the card already had when it entered the world, spread
    /// over the elapsed hours of that cycle (`usage::daily`, `usage::hourly`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opening_usage: Option<Box<OpeningUsage>>,
    /// Per-cycle totals of past cycles, newest last, capped.
    #[serde(default)]
    pub months: ThinVec<(i32, Usage)>,
    #[serde(default)]
    pub ledger: ThinVec<LedgerEntry>,
    #[serde(default)]
    pub events: ThinVec<Event>,
    #[serde(default)]
    pub inbox: ThinVec<Message>,
    #[serde(default)]
    pub outbox: ThinVec<Message>,
    /// Free-form per-dialect fields (custom fields, device ids, notes...).
    #[serde(default)]
    pub attrs: BTreeMap<CompactString, String>,
    /// Monthly change counter for rate-limited operations (e.g. IMEI re-binding).
    #[serde(default)]
    pub counters: BTreeMap<CompactString, u32>,
}

/// The one attribute key convention: a dialect's attribute `key` is stored
/// as `<carrier>.<key>` (`cucc.deviceID`, `cmcc.roaming`, `ctcc.imei_bind`).
pub fn attribute_key(carrier: super::Carrier, key: &str) -> String {
    format!("{}.{key}", carrier.as_str())
}

/// Attribute keys written before the convention, and their names now; a
/// fixture or snapshot that still uses one is read under the new name.
pub const LEGACY_ATTRIBUTE_KEYS: [(&str, &str); 1] = [("ctcc_imei_bind", "ctcc.imei_bind")];

/// The attribute key under the convention (legacy names translated).
pub fn canonical_attribute_key(key: &str) -> &str {
    LEGACY_ATTRIBUTE_KEYS
        .iter()
        .find(|(old, _)| *old == key)
        .map_or(key, |(_, new)| new)
}

/// Days of per-day usage history a card keeps at most: two cycles (the
/// current one and the previous, which CTCC `queryTrafficByDate` and CMCC
/// daily queries reach into).
pub const DAY_HISTORY: usize = 62;

/// Past cycles of usage totals a card keeps at most: a year back and the
/// same month of the year before.
pub const MONTH_HISTORY: usize = 13;

/// Events a card keeps in its own history by default (the journal keeps
/// more; `[retention] card_events`).
pub const CARD_EVENT_CAP: usize = super::retention::DEFAULT_CARD_EVENTS;

fn yes() -> bool {
    true
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Card {
    /// Whether the card can carry data right now.
    pub fn data_flowing(&self) -> bool {
        self.state.can_use_network() && self.reasons.is_empty()
    }

    /// Extra allowance from add-ons effective in the given cycle.
    pub fn addon_bytes(&self, cycle: i32) -> u64 {
        self.addons
            .iter()
            .filter(|a| a.cycle_from <= cycle && a.cycle_to.is_none_or(|to| cycle <= to))
            .map(|a| a.data_bytes)
            .sum()
    }

    /// Usage of a cycle: the live counters for the cycle they belong to
    /// (`self.cycle`), the monthly history for an earlier one, zero
    /// otherwise. The one place that answers "usage of cycle N".
    pub fn usage_in(&self, cycle: i32) -> Usage {
        if cycle == self.cycle {
            return self.usage;
        }
        self.months
            .iter()
            .find(|(c, _)| *c == cycle)
            .map(|(_, u)| *u)
            .unwrap_or_default()
    }

    /// Whether the number is still known to the network (not cancelled).
    pub fn is_live(&self) -> bool {
        self.state != CardState::Cancelled
    }
}
