//! Events: every change to a card is recorded with its simulated time. The
//! card keeps its own history; the world's journal keeps all of them in
//! simulated-time order with a global sequence number.

use compact_str::CompactString;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::card::{CardState, ReasonSet};
use super::money::Fen;

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A lifecycle transition, or a change of the set of stop reasons.
    StateChanged {
        from: CardState,
        to: CardState,
        /// `over_quota`, `manual`, `arrears`, `expired`, `data_cut`,
        /// `renewal`, `top_up`, `rollover`, `activation`, `cancellation`,
        /// `transition` or `forced`.
        reason: CompactString,
        reasons: ReasonSet,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forced: bool,
    },
    /// Cycle usage crossed a share of the allowance.
    UsageThreshold {
        percent: u8,
        used_bytes: u64,
        allowance_bytes: u64,
    },
    /// A flow pool's shared allowance is used up.
    PoolExhausted {
        pool: CompactString,
    },
    /// The balance fell below the low mark or to zero and below.
    BalanceLow {
        balance_fen: Fen,
    },
    BalanceNegative {
        balance_fen: Fen,
    },
    /// Money moved (see the card's ledger).
    Charged {
        kind: CompactString,
        amount_fen: Fen,
        balance_fen: Fen,
    },
    TopUp {
        amount_fen: Fen,
        balance_fen: Fen,
    },
    Renewal {
        months: u32,
        effective: Timestamp,
        expires: Option<Timestamp>,
    },
    Rollover {
        cycle: CompactString,
    },
    AddOnOrdered {
        name: String,
        data_bytes: u64,
        effective: Timestamp,
    },
    SmsReceived {
        from: CompactString,
        text: String,
    },
    SmsSent {
        to: CompactString,
        text: String,
    },
    SessionStart {
        apn: CompactString,
        ip: CompactString,
        rat: CompactString,
    },
    SessionStop,
    ImeiChanged {
        from: CompactString,
        to: CompactString,
    },
    /// A field edited through an API or the control plane.
    Edited {
        field: CompactString,
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forced: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        by: String,
    },
}

impl EventKind {
    /// The `type` tag, for filtering.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::StateChanged { .. } => "state_changed",
            EventKind::UsageThreshold { .. } => "usage_threshold",
            EventKind::PoolExhausted { .. } => "pool_exhausted",
            EventKind::BalanceLow { .. } => "balance_low",
            EventKind::BalanceNegative { .. } => "balance_negative",
            EventKind::Charged { .. } => "charged",
            EventKind::TopUp { .. } => "top_up",
            EventKind::Renewal { .. } => "renewal",
            EventKind::Rollover { .. } => "rollover",
            EventKind::AddOnOrdered { .. } => "add_on_ordered",
            EventKind::SmsReceived { .. } => "sms_received",
            EventKind::SmsSent { .. } => "sms_sent",
            EventKind::SessionStart { .. } => "session_start",
            EventKind::SessionStop => "session_stop",
            EventKind::ImeiChanged { .. } => "imei_changed",
            EventKind::Edited { .. } => "edited",
        }
    }
}

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Global sequence number in the journal (0 until journaled).
    #[serde(default)]
    pub seq: u64,
    pub time: Timestamp,
    pub iccid: CompactString,
    pub account: CompactString,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/traces.md` lists the event types; the filter name and the
    /// JSON `type` tag must both be those names.
    #[test]
    fn event_types_have_the_documented_names() {
        let t = Timestamp::UNIX_EPOCH;
        let kinds = [
            (
                EventKind::StateChanged {
                    from: CardState::Active,
                    to: CardState::Suspended,
                    reason: "manual".into(),
                    reasons: ReasonSet::empty(),
                    forced: false,
                },
                "state_changed",
            ),
            (
                EventKind::UsageThreshold {
                    percent: 50,
                    used_bytes: 1,
                    allowance_bytes: 2,
                },
                "usage_threshold",
            ),
            (
                EventKind::PoolExhausted { pool: "p".into() },
                "pool_exhausted",
            ),
            (EventKind::BalanceLow { balance_fen: 1 }, "balance_low"),
            (
                EventKind::BalanceNegative { balance_fen: -1 },
                "balance_negative",
            ),
            (
                EventKind::Charged {
                    kind: "overage".into(),
                    amount_fen: 1,
                    balance_fen: 1,
                },
                "charged",
            ),
            (
                EventKind::TopUp {
                    amount_fen: 1,
                    balance_fen: 1,
                },
                "top_up",
            ),
            (
                EventKind::Renewal {
                    months: 1,
                    effective: t,
                    expires: None,
                },
                "renewal",
            ),
            (
                EventKind::Rollover {
                    cycle: "202612".into(),
                },
                "rollover",
            ),
            (
                EventKind::AddOnOrdered {
                    name: "x".into(),
                    data_bytes: 1,
                    effective: t,
                },
                "add_on_ordered",
            ),
            (
                EventKind::SmsReceived {
                    from: "1".into(),
                    text: "x".into(),
                },
                "sms_received",
            ),
            (
                EventKind::SmsSent {
                    to: "1".into(),
                    text: "x".into(),
                },
                "sms_sent",
            ),
            (
                EventKind::SessionStart {
                    apn: "a".into(),
                    ip: "i".into(),
                    rat: "4G".into(),
                },
                "session_start",
            ),
            (EventKind::SessionStop, "session_stop"),
            (
                EventKind::ImeiChanged {
                    from: "a".into(),
                    to: "b".into(),
                },
                "imei_changed",
            ),
            (
                EventKind::Edited {
                    field: "f".into(),
                    from: "a".into(),
                    to: "b".into(),
                    forced: false,
                    by: String::new(),
                },
                "edited",
            ),
        ];
        for (kind, name) in kinds {
            assert_eq!(kind.type_name(), name);
            assert_eq!(serde_json::to_value(&kind).unwrap()["type"], name);
        }
    }
}
