//! The named card operations: every change a dialect, the admin plane, the
//! SMS service numbers or a device makes to a card. Each is written once
//! here, applies the domain rules, and journals its change once, in neutral
//! units (`edited` events name the neutral field; a dialect renders them in
//! its own words, as CUCC's audit trail does).
//!
//! Callers never hold a `&mut Card`: [`World::edit`] hands them a
//! [`CardEdit`], which reads the card and offers only these operations, so
//! "refuse if cancelled, set the field, journal an edit" cannot be written a
//! second time in a dialect. Attributes follow one key convention,
//! `<carrier>.<key>` (see `docs/architecture.md`).

use compact_str::CompactString;
use jiff::Timestamp;

use super::{OpError, World};
use crate::domain::billing::{self, LedgerKind};
use crate::domain::card::{attribute_key, Card, Message, ThresholdCut};
use crate::domain::lifecycle::{self, push_event, DomainError};
use crate::domain::usage;
use crate::domain::{CardState, Carrier, EventKind, Plan, ReasonSet};
use crate::store::Store;

/// A switch of a card's services (or of how the rules treat it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    Voice,
    Sms,
    AutoStop,
    RealName,
}

impl Flag {
    /// The card field it sets, as journaled.
    pub fn field(self) -> &'static str {
        match self {
            Flag::Voice => "voice_enabled",
            Flag::Sms => "sms_enabled",
            Flag::AutoStop => "auto_stop",
            Flag::RealName => "real_name",
        }
    }

    fn slot(self, card: &mut Card) -> &mut bool {
        match self {
            Flag::Voice => &mut card.voice_enabled,
            Flag::Sms => &mut card.sms_enabled,
            Flag::AutoStop => &mut card.auto_stop,
            Flag::RealName => &mut card.real_name,
        }
    }
}

/// A carrier's speed-limit code with the rate it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpeedLimit {
    /// The carrier's code (CMCC serviceUsageState, CTCC speedValue), kept
    /// on the card because the dialect reads it back.
    pub code: u16,
    /// The rate in kbit/s, `None` when the code names no rate.
    pub kbps: Option<u32>,
}

/// Why a pool membership change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("the card already belongs to a pool")]
    AlreadyInPool,
    #[error("the card does not belong to that pool")]
    NotMember,
    #[error(transparent)]
    Rule(#[from] DomainError),
}

/// Usage counters the admin plane can set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meter {
    DataBytes,
    Sms,
    VoiceSeconds,
}

impl Meter {
    fn field(self) -> &'static str {
        match self {
            Meter::DataBytes => "usage.data_bytes",
            Meter::Sms => "usage.sms",
            Meter::VoiceSeconds => "usage.voice_seconds",
        }
    }
}

/// A card under its lock, open for the named operations only.
pub struct CardEdit<'a> {
    pub(super) card: &'a mut Card,
    pub(super) plan: Plan,
    pub(super) now: Timestamp,
    pub(super) by: &'a str,
    pub(super) store: &'a Store,
    /// The operator (admin plane) may edit settings of a cancelled card.
    pub(super) operator: bool,
    /// A pool this edit ran dry; its members stop once the lock is released.
    pub(super) exhausted_pool: Option<CompactString>,
    /// `(old, new)` IMEI to re-index once the lock is released.
    pub(super) imei_moved: Option<(CompactString, CompactString)>,
}

fn show<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl CardEdit<'_> {
    /// The card as it stands.
    pub fn card(&self) -> &Card {
        self.card
    }

    /// The card's plan (the new one after [`CardEdit::set_plan`]).
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The simulated now of this edit.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Journals an `edited` event by this edit's actor.
    fn edited(&mut self, field: &str, from: String, to: String, forced: bool) {
        let by = self.by.to_string();
        push_event(
            self.card,
            self.now,
            EventKind::Edited {
                field: field.into(),
                from,
                to,
                forced,
                by,
            },
        );
    }

    /// A customer may not change a cancelled card; the operator may.
    fn refuse_cancelled(&self) -> Result<(), DomainError> {
        if !self.operator && self.card.state == CardState::Cancelled {
            return Err(DomainError::Cancelled);
        }
        Ok(())
    }

    // ---- lifecycle ----

    /// Moves the card to `to` through the lifecycle rules
    /// ([`lifecycle::move_to`]). A non-empty `from` is the set of states the
    /// caller's API accepts the request in; any other state is refused as an
    /// invalid transition before the rules are asked.
    pub fn move_state(&mut self, to: CardState, from: &[CardState]) -> Result<(), DomainError> {
        if !from.is_empty() && !from.contains(&self.card.state) {
            return Err(DomainError::InvalidTransition {
                from: self.card.state.as_str(),
                to: to.as_str(),
            });
        }
        lifecycle::move_to(self.card, &self.plan, to, self.now)
    }

    /// Manual stop (人工停用).
    pub fn stop(&mut self) -> Result<(), DomainError> {
        lifecycle::manual_stop(self.card, self.now)
    }

    /// Manual resume (人工复机).
    pub fn resume(&mut self) -> Result<(), DomainError> {
        lifecycle::manual_resume(self.card, self.now)
    }

    /// Activation from a pre-active state.
    pub fn activate(&mut self) -> Result<(), DomainError> {
        lifecycle::activate(self.card, &self.plan, self.now)
    }

    /// Cuts data by hand.
    pub fn cut_data(&mut self) -> Result<(), DomainError> {
        lifecycle::cut_data(self.card, self.now)
    }

    /// Restores data cut by hand.
    pub fn restore_data(&mut self) -> Result<(), DomainError> {
        lifecycle::restore_data(self.card, self.now)
    }

    /// Sets any state and reasons, recorded as forced (negative testing,
    /// operator only). Without a state the reasons change in place.
    pub fn force_state(&mut self, to: Option<CardState>, reasons: Option<ReasonSet>) {
        let reasons = reasons.unwrap_or(self.card.reasons);
        match to {
            Some(to) => {
                let from = self.card.state;
                lifecycle::force_state(self.card, to, reasons, self.now);
                self.edited("state", from.as_str().into(), to.as_str().into(), true);
            }
            None => {
                let st = self.card.state;
                lifecycle::force_state(self.card, st, reasons, self.now);
            }
        }
    }

    // ---- money and packages ----

    /// Adds money to the balance.
    /// Refused (`InvalidAmount`) beyond `money::MAX_AMOUNT_FEN` or when
    /// the balance would pass `money::MAX_BALANCE_FEN`.
    pub fn top_up(&mut self, fen: i64) -> Result<(), DomainError> {
        use crate::domain::money::{MAX_AMOUNT_FEN, MAX_BALANCE_FEN};
        let after = self.card.balance_fen.checked_add(fen);
        if fen > MAX_AMOUNT_FEN || after.is_none_or(|b| b > MAX_BALANCE_FEN) {
            return Err(DomainError::InvalidAmount);
        }
        billing::top_up(self.card, fen, self.now)
    }

    /// Renews the package by `months`.
    pub fn renew(&mut self, months: u32) -> Result<(), DomainError> {
        lifecycle::renew(self.card, &self.plan, months, self.now)
    }

    /// Buys a data add-on, effective this or next month per the plan.
    pub fn order_addon(
        &mut self,
        name: &str,
        bytes: u64,
        price_fen: i64,
    ) -> Result<(), DomainError> {
        let effect = self.plan.renewal_effect;
        lifecycle::order_addon(self.card, name, bytes, price_fen, effect, self.now)
    }

    /// Cancels an add-on that is not in effect yet (a later cycle's);
    /// `false` when there is none by that name.
    pub fn cancel_pending_addon(&mut self, name: &str) -> bool {
        let this = crate::clock::cycle_of(self.now);
        let Some(pos) = self
            .card
            .addons
            .iter()
            .position(|a| a.name == name && a.cycle_from > this)
        else {
            return false;
        };
        let a = self.card.addons.remove(pos);
        self.edited("addon", a.name.clone(), String::new(), false);
        true
    }

    /// Sets the balance to `target` (operator): a top-up or an adjustment
    /// charge in the ledger, so the ledger still sums to the balance.
    pub fn set_balance(&mut self, target: i64, forced: bool) -> Result<(), DomainError> {
        use crate::domain::money::MAX_BALANCE_FEN;
        if !(-MAX_BALANCE_FEN..=MAX_BALANCE_FEN).contains(&target) {
            return Err(DomainError::InvalidAmount);
        }
        let delta = target
            .checked_sub(self.card.balance_fen)
            .ok_or(DomainError::InvalidAmount)?;
        if delta > 0 {
            billing::top_up(self.card, delta, self.now)?;
        } else if delta < 0 {
            billing::charge(
                self.card,
                LedgerKind::Adjustment,
                -delta,
                self.now,
                "admin adjustment",
            );
        }
        if delta != 0 {
            self.edited(
                "balance_fen",
                (target - delta).to_string(),
                target.to_string(),
                forced,
            );
        }
        Ok(())
    }

    // ---- usage ----

    /// Records data used now, against the card's pool when it has one.
    pub fn use_data(&mut self, bytes: u64) -> u64 {
        let (used, exhausted) =
            crate::engine::record_data(self.store, self.card, &self.plan, bytes, self.now);
        if exhausted.is_some() {
            self.exhausted_pool = exhausted;
        }
        used
    }

    /// Records voice seconds used now.
    pub fn use_voice(&mut self, seconds: u32) {
        usage::record_voice(self.card, seconds, self.now);
    }

    /// Sets a usage counter of this cycle (operator): counting up records
    /// usage (with its consequences), counting down only lowers the counter.
    pub fn set_usage(&mut self, meter: Meter, target: u64, forced: bool) {
        let u = self.card.usage;
        let cur = match meter {
            Meter::DataBytes => u.data_bytes,
            Meter::Sms => u64::from(u.sms),
            Meter::VoiceSeconds => u64::from(u.voice_seconds),
        };
        if target == cur {
            return;
        }
        let up = target.saturating_sub(cur);
        let narrow = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        match meter {
            Meter::DataBytes if up > 0 => {
                self.use_data(up);
            }
            Meter::DataBytes => self.card.usage.data_bytes = target,
            Meter::Sms if up > 0 => usage::record_sms(self.card, narrow(up), self.now),
            Meter::Sms => self.card.usage.sms = narrow(target),
            Meter::VoiceSeconds if up > 0 => usage::record_voice(self.card, narrow(up), self.now),
            Meter::VoiceSeconds => self.card.usage.voice_seconds = narrow(target),
        }
        self.edited(meter.field(), cur.to_string(), target.to_string(), forced);
    }

    /// Sets (or clears) the usage-threshold cut (CTCC 达量断网) and applies
    /// it at once against the quota the card draws on. Journaled as the
    /// quota in bytes, `plan` for "at the plan's allowance", empty for none.
    pub fn set_threshold(&mut self, threshold: Option<ThresholdCut>) {
        let before = self.card.threshold;
        self.card.threshold = threshold;
        if threshold.is_some() {
            let quota = crate::engine::quota_of(self.store, self.card, &self.plan);
            usage::check_threshold_cut(self.card, &quota, self.now);
        }
        let label = |t: Option<ThresholdCut>| match t {
            None => String::new(),
            Some(t) => t.quota_bytes.map_or("plan".into(), |b| b.to_string()),
        };
        self.edited("threshold", label(before), label(threshold), false);
    }

    // ---- settings ----

    /// Sets or clears the speed limit; journaled in kbit/s under
    /// `speed_limit_kbps` whichever dialect set it. Returns the code that
    /// was in force.
    pub fn set_speed_limit(
        &mut self,
        limit: Option<SpeedLimit>,
    ) -> Result<Option<u16>, DomainError> {
        self.refuse_cancelled()?;
        let before = (self.card.speed_limit, self.card.speed_limit_kbps);
        self.card.speed_limit = limit.map(|l| l.code);
        self.card.speed_limit_kbps = limit.and_then(|l| l.kbps);
        if before != (self.card.speed_limit, self.card.speed_limit_kbps) {
            let to = show(self.card.speed_limit_kbps);
            self.edited("speed_limit_kbps", show(before.1), to, false);
        }
        Ok(before.0)
    }

    /// The raw carrier code of the speed limit (operator patch; the rate
    /// stays unknown).
    pub fn set_speed_code(&mut self, code: Option<u16>) {
        let from = self.card.speed_limit;
        if from != code {
            self.card.speed_limit = code;
            self.card.speed_limit_kbps = None;
            self.edited("speed_limit", show(from), show(code), false);
        }
    }

    /// Switches a service on or off; journaled `true`/`false` on a change.
    pub fn set_flag(&mut self, flag: Flag, on: bool) -> Result<(), DomainError> {
        self.refuse_cancelled()?;
        let slot = flag.slot(self.card);
        if *slot != on {
            *slot = on;
            self.edited(flag.field(), (!on).to_string(), on.to_string(), false);
        }
        Ok(())
    }

    /// Sets a dialect's attribute, stored under `<carrier>.<key>`.
    pub fn set_attribute(
        &mut self,
        carrier: Carrier,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), DomainError> {
        self.refuse_cancelled()?;
        self.set_raw_attribute(&attribute_key(carrier, key), value);
        Ok(())
    }

    /// Sets an attribute by its full key (operator); `None` removes it.
    /// Journaled as `attrs.<key>` on a change.
    pub fn set_raw_attribute(&mut self, key: &str, value: Option<&str>) {
        let from = self.card.attrs.get(key).cloned();
        if from.as_deref() == value {
            return;
        }
        match value {
            Some(v) => self.card.attrs.insert(key.into(), v.to_string()),
            None => self.card.attrs.remove(key),
        };
        let field = format!("attrs.{key}");
        self.edited(&field, from.unwrap_or_default(), show(value), false);
    }

    /// Moves the card to another plan of its carrier.
    pub fn set_plan(&mut self, plan: Plan) -> Result<(), DomainError> {
        self.refuse_cancelled()?;
        if plan.carrier != self.card.carrier {
            return Err(DomainError::Invalid(format!(
                "plan {} is for {}, the card is {}",
                plan.id,
                plan.carrier.as_str(),
                self.card.carrier.as_str()
            )));
        }
        if self.card.plan != plan.id {
            let from = std::mem::replace(&mut self.card.plan, plan.id.clone());
            self.edited("plan", from.to_string(), plan.id.to_string(), false);
        }
        self.plan = plan;
        Ok(())
    }

    /// Joins a pool.
    pub fn join_pool(&mut self, pool: &str) -> Result<(), PoolError> {
        self.refuse_cancelled()?;
        if self.card.pool.is_some() {
            return Err(PoolError::AlreadyInPool);
        }
        self.card.pool = Some(pool.into());
        self.edited("pool", String::new(), pool.to_string(), false);
        Ok(())
    }

    /// Leaves a pool.
    pub fn leave_pool(&mut self, pool: &str) -> Result<(), PoolError> {
        self.refuse_cancelled()?;
        if self.card.pool.as_deref() != Some(pool) {
            return Err(PoolError::NotMember);
        }
        self.card.pool = None;
        self.edited("pool", pool.to_string(), String::new(), false);
        Ok(())
    }

    /// Binds the card to a device IMEI (`None`: to whichever device it is
    /// next seen in), at most `per_month` times a cycle; stored as the
    /// attribute `<carrier>.imei_bind`. `false` when the month's
    /// allowance is used up (nothing changes).
    pub fn bind_imei(&mut self, carrier: Carrier, imei: Option<&str>, per_month: u32) -> bool {
        let cycle = crate::clock::cycle_label(crate::clock::cycle_of(self.now));
        let counter = compact_str::format_compact!("{}.imei_rebind.{cycle}", carrier.as_str());
        let n = self.card.counters.get(&counter).copied().unwrap_or(0);
        if n >= per_month {
            return false;
        }
        self.card.counters.insert(counter, n + 1);
        let key = attribute_key(carrier, "imei_bind");
        self.card
            .attrs
            .insert(key.into(), imei.unwrap_or_default().to_string());
        let from = self.card.imei.to_string();
        self.edited("imei_binding", from, show(imei), false);
        true
    }

    /// Sets the IMEI the card is seen in (operator); re-indexed after.
    pub fn set_imei(&mut self, imei: &str) {
        let from = std::mem::replace(&mut self.card.imei, imei.into());
        if from != imei {
            self.edited("imei", from.to_string(), imei.to_string(), false);
            self.imei_moved = Some((from, imei.into()));
        }
    }

    /// Sets the package end (operator).
    pub fn set_expires(&mut self, expires: Option<Timestamp>, forced: bool) {
        let from = self.card.expires;
        self.card.expires = expires;
        if from != expires {
            let t = |v: Option<Timestamp>| v.map(crate::clock::rfc3339).unwrap_or_default();
            self.edited("expires", t(from), t(expires), forced);
        }
    }

    /// Replaces the card's tags (operator).
    pub fn set_tags(&mut self, tags: &[String]) {
        let from = self.card.tags.join(",");
        self.card.tags = tags
            .iter()
            .map(|t| CompactString::from(t.as_str()))
            .collect();
        let to = tags.join(",");
        if from != to {
            self.edited("tags", from, to, false);
        }
    }

    // ---- messages ----

    /// Empties the card's inbox; the number of messages removed.
    pub fn clear_inbox(&mut self) -> usize {
        let n = self.card.inbox.len();
        self.card.inbox.clear();
        n
    }

    /// Marks a received message read (a handset or modem read it).
    pub fn mark_read(&mut self, message_id: u64) {
        if let Some(m) = self.card.inbox.iter_mut().find(|m| m.id == message_id) {
            m.read = true;
        }
    }

    /// Files a message in the inbox (`mt`) or outbox (`mo`), counts it
    /// against SMS usage and journals it. A cancelled card neither sends
    /// nor receives.
    pub(super) fn file_message(&mut self, m: Message) -> Result<Message, DomainError> {
        if self.card.state == CardState::Cancelled {
            return Err(DomainError::Cancelled);
        }
        let (kind, list) = if m.direction == "mt" {
            (
                EventKind::SmsReceived {
                    from: m.peer.clone(),
                    text: m.text.clone(),
                },
                &mut self.card.inbox,
            )
        } else {
            (
                EventKind::SmsSent {
                    to: m.peer.clone(),
                    text: m.text.clone(),
                },
                &mut self.card.outbox,
            )
        };
        list.push(m.clone());
        if list.len() > super::MESSAGE_CAP {
            list.remove(0);
        }
        usage::record_sms(self.card, 1, self.now);
        push_event(self.card, self.now, kind);
        Ok(m)
    }

    /// Journals the card's creation (operator).
    pub(super) fn created(&mut self) {
        self.edited("card", String::new(), "created".into(), false);
    }
}

/// Named operations on one card that need no more than one call.
impl World {
    pub fn manual_stop(&self, iccid: &str) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.stop())?.map_err(OpError::Rule)
    }

    pub fn manual_resume(&self, iccid: &str) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.resume())?.map_err(OpError::Rule)
    }

    pub fn activate(&self, iccid: &str) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.activate())?
            .map_err(OpError::Rule)
    }

    /// Moves a card through the lifecycle (see [`CardEdit::move_state`]).
    pub fn move_state(
        &self,
        iccid: &str,
        to: CardState,
        from: &[CardState],
    ) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.move_state(to, from))?
            .map_err(OpError::Rule)
    }

    pub fn top_up(&self, iccid: &str, fen: i64) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.top_up(fen))?
            .map_err(OpError::Rule)
    }

    pub fn renew(&self, iccid: &str, months: u32) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.renew(months))?
            .map_err(OpError::Rule)
    }

    pub fn cut_data(&self, iccid: &str) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.cut_data())?
            .map_err(OpError::Rule)
    }

    pub fn restore_data(&self, iccid: &str) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.restore_data())?
            .map_err(OpError::Rule)
    }

    /// Buys a data add-on.
    pub fn order_addon(
        &self,
        iccid: &str,
        name: &str,
        bytes: u64,
        price_fen: i64,
    ) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.order_addon(name, bytes, price_fen))?
            .map_err(OpError::Rule)
    }

    /// Records data usage now (pool-aware), returning the bytes used.
    pub fn use_data(&self, iccid: &str, bytes: u64) -> Result<u64, OpError> {
        self.edit(iccid, "", |e| e.use_data(bytes))
    }

    /// Records voice seconds used now.
    pub fn use_voice(&self, iccid: &str, seconds: u32) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.use_voice(seconds))
    }

    /// Sets or clears the speed limit (see [`CardEdit::set_speed_limit`]).
    pub fn set_speed_limit(
        &self,
        iccid: &str,
        by: &str,
        limit: Option<SpeedLimit>,
    ) -> Result<Option<u16>, OpError> {
        self.edit(iccid, by, |e| e.set_speed_limit(limit))?
            .map_err(OpError::Rule)
    }

    /// Switches a service on or off.
    pub fn set_flag(&self, iccid: &str, by: &str, flag: Flag, on: bool) -> Result<(), OpError> {
        self.edit(iccid, by, |e| e.set_flag(flag, on))?
            .map_err(OpError::Rule)
    }

    /// Sets a dialect attribute (`<carrier>.<key>`).
    pub fn set_attribute(
        &self,
        iccid: &str,
        by: &str,
        carrier: Carrier,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), OpError> {
        self.edit(iccid, by, |e| e.set_attribute(carrier, key, value))?
            .map_err(OpError::Rule)
    }

    /// A dialect attribute of a card (`<carrier>.<key>`).
    pub fn attribute(&self, iccid: &str, carrier: Carrier, key: &str) -> Option<String> {
        let key = attribute_key(carrier, key);
        self.read_card(iccid, |c| c.attrs.get(key.as_str()).cloned())
            .flatten()
    }

    /// Empties a card's inbox.
    pub fn clear_inbox(&self, iccid: &str) -> Result<usize, OpError> {
        self.edit(iccid, "", |e| e.clear_inbox())
    }

    /// Marks a received message read.
    pub fn mark_read(&self, iccid: &str, message_id: u64) -> Result<(), OpError> {
        self.edit(iccid, "", |e| e.mark_read(message_id))
    }
}
