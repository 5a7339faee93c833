//! The carrier-neutral domain: cards, plans, pools, accounts, money, the
//! lifecycle state machine and billing. No I/O and no wall clock here: every
//! operation takes the simulated `now` from its caller.

pub mod account;
pub mod billing;
pub mod card;
pub mod event;
pub mod ids;
pub mod lifecycle;
pub mod money;
pub mod plan;
pub mod retention;
pub mod usage;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod usage_tests;

pub use account::{Account, Credentials, SmppCredentials};
pub use billing::{LedgerEntry, LedgerKind};
pub use card::{Card, CardState, Reason, ReasonSet, Session, Usage};
pub use event::{Event, EventKind};
pub use lifecycle::DomainError;
pub use plan::{AddOn, Plan, Pool, RenewalEffect};

use serde::{Deserialize, Serialize};

/// The three carriers the simulator plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Carrier {
    Cmcc,
    Cucc,
    Ctcc,
}

impl Carrier {
    pub const ALL: [Carrier; 3] = [Carrier::Cmcc, Carrier::Cucc, Carrier::Ctcc];

    pub fn as_str(self) -> &'static str {
        match self {
            Carrier::Cmcc => "cmcc",
            Carrier::Cucc => "cucc",
            Carrier::Ctcc => "ctcc",
        }
    }

    pub fn parse(s: &str) -> Option<Carrier> {
        match s.to_ascii_lowercase().as_str() {
            "cmcc" => Some(Carrier::Cmcc),
            "cucc" => Some(Carrier::Cucc),
            "ctcc" => Some(Carrier::Ctcc),
            _ => None,
        }
    }

    /// Chinese short name as shown to subscribers.
    pub fn display_name(self) -> &'static str {
        match self {
            Carrier::Cmcc => "中国移动",
            Carrier::Cucc => "中国联通",
            Carrier::Ctcc => "中国电信",
        }
    }

    /// The renewal effect a plan gets when its fixture does not say.
    pub fn default_renewal_effect(self) -> RenewalEffect {
        match self {
            Carrier::Cmcc => RenewalEffect::ThisMonth,
            Carrier::Cucc => RenewalEffect::NextMonth,
            Carrier::Ctcc => RenewalEffect::ThisMonth,
        }
    }
}

impl std::fmt::Display for Carrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriers_by_name() {
        // docs/fixtures.md: renewals default to next month on CUCC, this
        // month on the others.
        let rows = [
            (Carrier::Cmcc, "cmcc", "中国移动", RenewalEffect::ThisMonth),
            (Carrier::Cucc, "cucc", "中国联通", RenewalEffect::NextMonth),
            (Carrier::Ctcc, "ctcc", "中国电信", RenewalEffect::ThisMonth),
        ];
        for (c, name, display, effect) in rows {
            assert_eq!(c.as_str(), name);
            assert_eq!(c.to_string(), name);
            assert_eq!(Carrier::parse(name), Some(c));
            assert_eq!(Carrier::parse(&name.to_uppercase()), Some(c));
            assert_eq!(c.display_name(), display);
            assert_eq!(c.default_renewal_effect(), effect);
        }
        assert_eq!(Carrier::parse("cmc"), None);
    }
}
