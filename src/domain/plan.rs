//! Plans (packages), add-on data packages and shared flow pools.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::money::Fen;
use super::Carrier;

/// When a renewal or an add-on package takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalEffect {
    ThisMonth,
    NextMonth,
}

/// A tariff package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub id: CompactString,
    pub name: String,
    pub carrier: Carrier,
    /// Monthly data allowance in bytes.
    pub data_bytes: u64,
    #[serde(default)]
    pub sms: u32,
    #[serde(default)]
    pub voice_seconds: u32,
    /// Charged at each cycle start while the package is valid.
    pub monthly_fee_fen: Fen,
    /// Package term in months (expiry = activation + term).
    pub term_months: u32,
    /// Charged per started MB beyond the allowance (cards without auto-stop).
    pub overage_fen_per_mb: Fen,
    /// Price of one renewal of `term_months`.
    #[serde(default)]
    pub renewal_fee_fen: Fen,
    pub renewal_effect: RenewalEffect,
    /// Free test allowance for TEST_READY cards (CUCC rule).
    #[serde(default)]
    pub test_data_bytes: u64,
    /// Carrier offer id shown by the dialects.
    #[serde(default)]
    pub offer_id: CompactString,
}

impl Plan {
    /// Price of a renewal of `months`: pro rata per month of the plan's
    /// term, `renewal_fee_fen × months / term_months` rounded half up to
    /// the fen (a 12-month plan at 120.00 yuan renews 1 month for 10.00,
    /// 13 months for 130.00). The one place every channel prices a renewal.
    pub fn renewal_price(&self, months: u32) -> Fen {
        let term = i128::from(self.term_months.max(1));
        let total = i128::from(self.renewal_fee_fen) * i128::from(months);
        let rounded = (2 * total + term).div_euclid(2 * term);
        rounded.clamp(i128::from(Fen::MIN), i128::from(Fen::MAX)) as Fen
    }
}

/// An add-on data package bought on top of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddOn {
    pub id: CompactString,
    pub name: String,
    pub data_bytes: u64,
    pub price_fen: Fen,
    /// First cycle (year*12+month0) in which it counts.
    pub cycle_from: i32,
    /// Last cycle in which it counts (`None` = open-ended).
    pub cycle_to: Option<i32>,
}

/// A shared flow pool: members draw on one allowance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    pub id: CompactString,
    pub name: String,
    pub account: CompactString,
    pub carrier: Carrier,
    pub data_bytes: u64,
    /// Used this cycle by all members together.
    #[serde(default)]
    pub used_bytes: u64,
    #[serde(default)]
    pub exhausted: bool,
    /// Cycle the usage belongs to (reset lazily when a new cycle is seen).
    #[serde(default)]
    pub cycle: i32,
}

impl Pool {
    /// Brings the pool's counters to `cycle` (a new month starts empty).
    pub fn roll_to(&mut self, cycle: i32) {
        if cycle > self.cycle {
            self.cycle = cycle;
            self.used_bytes = 0;
            self.exhausted = false;
        }
    }

    /// Used bytes as of `cycle`.
    pub fn used_in(&self, cycle: i32) -> u64 {
        if cycle > self.cycle {
            0
        } else {
            self.used_bytes
        }
    }
}
