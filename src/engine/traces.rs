//! Usage traces: how cards consume data, send SMS and come online over
//! simulated time. A trace applies to a selector (card, tag, plan, account,
//! carrier or all) and yields an amount per hour that is a pure function of
//! (trace, card, hour), so totals never depend on how the clock was moved.
//! Within an hour usage is spread evenly, and a chunk is split exactly where
//! it crosses an allowance, threshold or overage mark. The format is
//! documented in `docs/traces.md`.

use compact_str::CompactString;
use jiff::Timestamp;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::domain::lifecycle::push_event;
use crate::domain::money::parse_bytes;
use crate::domain::usage::{self, bytes_to_next_mark, can_carry_data};
use crate::domain::{Card, Carrier, EventKind, Plan};
use crate::fixture::Fixture;
use crate::store::Store;

/// Which cards a trace applies to. Empty = every card.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iccid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<Carrier>,
}

impl Selector {
    pub fn matches(&self, c: &Card) -> bool {
        self.iccid
            .as_deref()
            .is_none_or(|i| c.iccid == i || c.msisdn == i)
            && self
                .tag
                .as_deref()
                .is_none_or(|t| c.tags.iter().any(|x| x == t))
            && self.plan.as_deref().is_none_or(|p| c.plan == p)
            && self.account.as_deref().is_none_or(|a| c.account == a)
            && self.carrier.is_none_or(|k| c.carrier == k)
    }
}

/// A size written as bytes or with a unit (`"500MB"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Size(n)),
            Raw::S(s) => parse_bytes(&s).map(Size).ok_or_else(|| {
                serde::de::Error::custom(format!("bad size '{s}' (e.g. 500MB, 1.5GB)"))
            }),
        }
    }
}

/// The shapes of usage a trace can describe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceKind {
    /// The same amount every hour.
    Constant { per_day: Size },
    /// `per_day` spread by 24 hour-of-day weights.
    DailyProfile { per_day: Size, hours: Vec<f64> },
    /// Around `per_day`, each hour drawn at random (seeded) within ±`spread`.
    RandomWalk {
        per_day: Size,
        #[serde(default = "half")]
        spread: f64,
    },
    /// Occasional bursts of `size` with probability `chance` per hour.
    Bursts { size: Size, chance: f64 },
    /// Evenly reach `percent` of the plan allowance by day `by_day` of each month.
    ReachPercent { percent: f64, by_day: u32 },
    /// `total` spread evenly between `start` and `end` (one-off).
    Burn {
        total: Size,
        start: Timestamp,
        end: Timestamp,
    },
    /// `per_day` SMS sent by the card, spread over the day.
    Sms { per_day: u32 },
    /// Online between `on_hour` and `off_hour` each day (Shanghai time).
    Sessions {
        on_hour: u8,
        off_hour: u8,
        /// APN to use; the card's own when absent.
        #[serde(default)]
        apn: Option<String>,
        #[serde(default = "default_rat")]
        rat: String,
    },
    /// Replay of per-card records: `records`, or `csv` text with lines
    /// `time,iccid,bytes[,sms]` (parsed when the trace is loaded).
    Replay {
        #[serde(default)]
        records: Vec<ReplayRecord>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        csv: String,
    },
}

fn half() -> f64 {
    0.5
}
fn default_rat() -> String {
    "4G".into()
}

/// One replayed usage record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayRecord {
    pub time: Timestamp,
    pub iccid: String,
    pub bytes: u64,
    #[serde(default)]
    pub sms: u32,
}

/// A trace: what, for which cards, during which window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub applies_to: Selector,
    #[serde(flatten)]
    pub kind: TraceKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
}

impl Trace {
    /// Checks the trace and parses inline CSV into records.
    pub fn prepare(&mut self) -> Result<(), String> {
        match &mut self.kind {
            TraceKind::Replay { records, csv } if !csv.is_empty() => {
                let mut parsed = parse_replay_csv(csv)?;
                records.append(&mut parsed);
                records.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.iccid.cmp(&b.iccid)));
                csv.clear();
                Ok(())
            }
            TraceKind::DailyProfile { hours, .. } if hours.len() != 24 => Err(format!(
                "daily_profile needs 24 hour weights, got {}",
                hours.len()
            )),
            TraceKind::Sessions {
                on_hour, off_hour, ..
            } if *on_hour > 24 || *off_hour > 24 => Err("on_hour/off_hour must be 0..24".into()),
            TraceKind::Bursts { chance, .. } if !(0.0..=1.0).contains(chance) => {
                Err("chance must be between 0 and 1".into())
            }
            _ => Ok(()),
        }
    }
}

/// Parses replay CSV text: `time,iccid,bytes[,sms]` with an optional header.
pub fn parse_replay_csv(text: &str) -> Result<Vec<ReplayRecord>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (i == 0 && line.starts_with("time")) {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() < 3 {
            return Err(format!("line {}: expected time,iccid,bytes[,sms]", i + 1));
        }
        let time = crate::clock::parse_time(f[0])
            .ok_or_else(|| format!("line {}: bad time '{}'", i + 1, f[0]))?;
        let bytes =
            parse_bytes(f[2]).ok_or_else(|| format!("line {}: bad bytes '{}'", i + 1, f[2]))?;
        let sms = match f.get(3) {
            Some(s) if !s.is_empty() => s
                .parse()
                .map_err(|_| format!("line {}: bad sms '{s}'", i + 1))?,
            _ => 0,
        };
        out.push(ReplayRecord {
            time,
            iccid: f[1].to_string(),
            bytes,
            sms,
        });
    }
    out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.iccid.cmp(&b.iccid)));
    Ok(out)
}

/// The traces in force, with the world's seed.
#[derive(Default)]
pub struct TraceSet {
    inner: RwLock<(Vec<Trace>, u64)>,
}

const HOUR: i64 = 3600;

impl TraceSet {
    pub fn load(&self, fx: &Fixture, _store: &Store) {
        let mut traces = fx.traces.clone();
        for (i, t) in traces.iter_mut().enumerate() {
            if t.id.is_empty() {
                t.id = format!("trace-{}", i + 1);
            }
            let _ = t.prepare();
        }
        *self.inner.write() = (traces, fx.seed);
    }

    pub fn list(&self) -> Vec<Trace> {
        self.inner.read().0.clone()
    }

    /// Adds or replaces (same id) a trace.
    pub fn upsert(&self, mut t: Trace) -> String {
        let _ = t.prepare();
        let mut g = self.inner.write();
        if t.id.is_empty() {
            t.id = format!("trace-{}", g.0.len() + 1);
            while g.0.iter().any(|x| x.id == t.id) {
                t.id.push('x');
            }
        }
        let id = t.id.clone();
        match g.0.iter_mut().find(|x| x.id == t.id) {
            Some(slot) => *slot = t,
            None => g.0.push(t),
        }
        id
    }

    pub fn remove(&self, id: &str) -> bool {
        let mut g = self.inner.write();
        let before = g.0.len();
        g.0.retain(|t| t.id != id);
        g.0.len() != before
    }

    pub fn has_traces(&self, card: &Card) -> bool {
        self.inner
            .read()
            .0
            .iter()
            .any(|t| t.applies_to.matches(card))
    }

    /// Accrues usage on `card` over `[t0, t1)`, hour by hour.
    pub fn accrue(
        &self,
        store: &Store,
        card: &mut Card,
        plan: &Plan,
        t0: Timestamp,
        t1: Timestamp,
        exhausted: &mut Vec<(CompactString, Timestamp)>,
    ) {
        let g = self.inner.read();
        let (traces, seed) = (&g.0, g.1);
        let mine: Vec<&Trace> = traces
            .iter()
            .filter(|t| t.applies_to.matches(card))
            .collect();
        if mine.is_empty() {
            return;
        }
        let card_seed = seed ^ fnv(card.iccid.as_bytes());
        let in_force = |tr: &Trace, hour_start: i64| {
            !(tr.from.is_some_and(|f| f.as_second() > hour_start)
                || tr.until.is_some_and(|u| u.as_second() <= hour_start))
        };
        let has_replay = mine
            .iter()
            .any(|tr| matches!(tr.kind, TraceKind::Replay { .. }));
        // Hours that cross no mark are batched per day (one record per
        // day); the hour that crosses one is split exactly at it.
        let mut batch = Batch::default();
        // Everything in (t0, t1] happens in this call, so the same instant
        // never straddles two clock moves.
        let mut t = t0.as_second();
        let end = t1.as_second();
        while t < end {
            let hour_start = t.div_euclid(HOUR) * HOUR;
            let step_end = (hour_start + HOUR).min(end);
            let hour = hour_start / HOUR;
            let mut per_hour = 0u64;
            let mut sms_hour = 0u64;
            for tr in mine.iter().filter(|tr| in_force(tr, hour_start)) {
                per_hour += hour_bytes(tr, card, plan, hour, card_seed);
                sms_hour += hour_sms(tr, hour);
            }
            if has_replay {
                batch.flush(store, card, plan, exhausted);
                for tr in mine.iter().filter(|tr| in_force(tr, hour_start)) {
                    replay(tr, store, card, plan, t, step_end, exhausted);
                }
            }
            // Cumulative within the hour, so split segments sum exactly.
            let cum = |s: i64| (per_hour as u128 * (s - hour_start) as u128 / HOUR as u128) as u64;
            let mut done = cum(t);
            let target = cum(step_end);
            // The second at which the hour's cumulative usage reaches `done`.
            let at = |done: u64| {
                let s = hour_start
                    + ((done as u128 * HOUR as u128).div_ceil(per_hour.max(1) as u128) as i64)
                        .min(HOUR);
                s.clamp(t + 1, step_end)
            };
            if done < target && can_carry_data(card) {
                let day = crate::clock::day_number(Timestamp::from_second(step_end).unwrap_or(t1));
                if !batch.take(store, card, plan, target - done, at(target), day, exhausted) {
                    while done < target && can_carry_data(card) {
                        let q = super::quota_of(store, card, plan);
                        let chunk = (target - done).min(bytes_to_next_mark(card, &q));
                        done += chunk;
                        let when = Timestamp::from_second(at(done)).unwrap_or(t1);
                        let (_, ex) = super::record_data(store, card, plan, chunk, when);
                        if let Some(p) = ex {
                            exhausted.push((p, when));
                        }
                    }
                }
            }
            if step_end == hour_start + HOUR {
                // SMS of the hour are sent at its end.
                if sms_hour > 0 && card.data_flowing() {
                    batch.flush(store, card, plan, exhausted);
                    let when = Timestamp::from_second(step_end).unwrap_or(t1);
                    usage::record_sms(card, sms_hour as u32, when);
                }
                for tr in mine.iter().filter(|tr| in_force(tr, hour_start)) {
                    if matches!(tr.kind, TraceKind::Sessions { .. }) {
                        batch.flush(store, card, plan, exhausted);
                        self.sessions(tr, card, step_end);
                    }
                }
            }
            t = step_end;
        }
        batch.flush(store, card, plan, exhausted);
    }

    /// Opens or closes the data session at the top of hour `at`.
    fn sessions(&self, tr: &Trace, card: &mut Card, at: i64) {
        let TraceKind::Sessions {
            on_hour,
            off_hour,
            apn,
            rat,
        } = &tr.kind
        else {
            return;
        };
        let local_hour = ((at + 8 * HOUR).div_euclid(HOUR)).rem_euclid(24) as u8;
        let in_window = if on_hour <= off_hour {
            local_hour >= *on_hour && local_hour < *off_hour
        } else {
            local_hour >= *on_hour || local_hour < *off_hour
        };
        let want_online = in_window && card.data_flowing();
        let now = Timestamp::from_second(at).unwrap_or(Timestamp::UNIX_EPOCH);
        if want_online && !card.session.online {
            card.session.online = true;
            if let Some(apn) = apn {
                card.session.apn = CompactString::from(apn.as_str());
            }
            card.session.rat = CompactString::from(rat.as_str());
            let n = fnv(card.iccid.as_bytes());
            card.session.ip = CompactString::from(format!(
                "10.{}.{}.{}",
                (n >> 16) & 0xff,
                (n >> 8) & 0xff,
                (n & 0xfe) + 1
            ));
            card.session.started = Some(now);
            card.session.ended = None;
            card.session.sessions_this_cycle += 1;
            let (apn, ip, rat) = (
                card.session.apn.clone(),
                card.session.ip.clone(),
                card.session.rat.clone(),
            );
            push_event(card, now, EventKind::SessionStart { apn, ip, rat });
        } else if !want_online && card.session.online {
            card.session.online = false;
            card.session.ended = Some(now);
            push_event(card, now, EventKind::SessionStop);
        }
    }
}

fn replay(
    tr: &Trace,
    store: &Store,
    card: &mut Card,
    plan: &Plan,
    t: i64,
    end: i64,
    exhausted: &mut Vec<(CompactString, Timestamp)>,
) {
    let TraceKind::Replay { records, .. } = &tr.kind else {
        return;
    };
    let (iccid, msisdn) = (card.iccid.clone(), card.msisdn.clone());
    for r in records
        .iter()
        .filter(|r| r.iccid == iccid.as_str() || r.iccid == msisdn.as_str())
    {
        let s = r.time.as_second();
        if s > t && s <= end {
            let mut left = r.bytes;
            while left > 0 && can_carry_data(card) {
                let q = super::quota_of(store, card, plan);
                let chunk = left.min(bytes_to_next_mark(card, &q));
                left -= chunk;
                if let (_, Some(p)) = super::record_data(store, card, plan, chunk, r.time) {
                    exhausted.push((p, r.time));
                }
            }
            if r.sms > 0 {
                usage::record_sms(card, r.sms, r.time);
            }
        }
    }
}

/// Usage of consecutive hours of one day that cross no allowance,
/// threshold or overage mark, recorded as one chunk at the last hour's end.
#[derive(Default)]
struct Batch {
    bytes: u64,
    at: i64,
    day: i32,
    /// Bytes that may still be added before the next mark (as of the last flush).
    room: Option<u64>,
}

impl Batch {
    /// Adds an hour's usage if it crosses no mark and stays in the batch's
    /// day; `false` when the caller must record it exactly instead.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        store: &Store,
        card: &mut Card,
        plan: &Plan,
        bytes: u64,
        at: i64,
        day: i32,
        exhausted: &mut Vec<(CompactString, Timestamp)>,
    ) -> bool {
        if self.bytes > 0 && day != self.day {
            self.flush(store, card, plan, exhausted);
        }
        let room = *self
            .room
            .get_or_insert_with(|| bytes_to_next_mark(card, &super::quota_of(store, card, plan)));
        if self.bytes + bytes >= room {
            self.flush(store, card, plan, exhausted);
            return false;
        }
        self.bytes += bytes;
        self.at = at;
        self.day = day;
        true
    }

    fn flush(
        &mut self,
        store: &Store,
        card: &mut Card,
        plan: &Plan,
        exhausted: &mut Vec<(CompactString, Timestamp)>,
    ) {
        self.room = None;
        if self.bytes == 0 {
            return;
        }
        let when = Timestamp::from_second(self.at).unwrap_or(Timestamp::UNIX_EPOCH);
        if let (_, Some(p)) =
            super::record_data(store, card, plan, std::mem::take(&mut self.bytes), when)
        {
            exhausted.push((p, when));
        }
    }
}

/// A counter-based random number in [0, 1) for (seed, hour): the same hour
/// always draws the same value, however the clock got there.
fn unit_random(seed: u64, hour: i64, salt: u64) -> f64 {
    let mut z = seed ^ (hour as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// Bytes a trace yields in hour number `hour` (hours since the epoch).
fn hour_bytes(tr: &Trace, card: &Card, plan: &Plan, hour: i64, seed: u64) -> u64 {
    match &tr.kind {
        TraceKind::Constant { per_day } => per_day.0 / 24,
        TraceKind::DailyProfile { per_day, hours } => {
            let total: f64 = hours.iter().sum();
            if hours.len() != 24 || total <= 0.0 {
                return per_day.0 / 24;
            }
            let local_hour = ((hour + 8).rem_euclid(24)) as usize;
            (per_day.0 as f64 * hours[local_hour] / total) as u64
        }
        TraceKind::RandomWalk { per_day, spread } => {
            let f: f64 = (unit_random(seed, hour, 1) * 2.0 - 1.0) * spread.clamp(0.0, 1.0);
            ((per_day.0 as f64 / 24.0) * (1.0 + f)).max(0.0) as u64
        }
        TraceKind::Bursts { size, chance } if unit_random(seed, hour, 2) < *chance => size.0,
        TraceKind::Bursts { .. } => 0,
        TraceKind::ReachPercent { percent, by_day } => {
            let hours = (*by_day).clamp(1, 31) as u64 * 24;
            let local = crate::clock::local(
                Timestamp::from_second(hour * HOUR).unwrap_or(Timestamp::UNIX_EPOCH),
            );
            if local.day() as u32 > *by_day {
                return 0;
            }
            let allowance = plan.data_bytes + card.addon_bytes(card.cycle);
            ((allowance as f64 * percent / 100.0) / hours as f64) as u64
        }
        TraceKind::Burn { total, start, end } => {
            let (s, e) = (start.as_second(), end.as_second());
            let h0 = hour * HOUR;
            if e <= s || h0 + HOUR <= s || h0 >= e {
                return 0;
            }
            let span = (e - s) as u128;
            let a = (h0.max(s) - s) as u128;
            let b = ((h0 + HOUR).min(e) - s) as u128;
            (total.0 as u128 * b / span - total.0 as u128 * a / span) as u64
        }
        _ => 0,
    }
}

/// SMS sent in hour `hour`: `per_day` spread evenly over the local day.
fn hour_sms(tr: &Trace, hour: i64) -> u64 {
    match &tr.kind {
        TraceKind::Sms { per_day } => {
            let h = (hour + 8).rem_euclid(24) as u64;
            let n = *per_day as u64;
            (h + 1) * n / 24 - h * n / 24
        }
        _ => 0,
    }
}

/// FNV-1a, to derive a per-card seed from the ICCID.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
