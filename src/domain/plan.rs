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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::domain::test_support::plan_with;

    use super::*;

    #[test]
    fn renewal_is_priced_pro_rata_rounded_half_up() {
        // docs/rules.md: a 12-month plan renewing at 120.00 yuan costs
        // 10.00 for 1 month, 60.00 for 6, 120.00 for 12, 130.00 for 13 and
        // 240.00 for 24.
        let p = plan_with(RenewalEffect::ThisMonth, json!({}));
        for (months, fen) in [
            (1, 1000),
            (6, 6000),
            (12, 12_000),
            (13, 13_000),
            (24, 24_000),
        ] {
            assert_eq!(p.renewal_price(months), fen, "{months} months");
        }
        // 10.00 yuan over a 3-month term: 3.333… → 3.33, 6.666… → 6.67,
        // and 0.05 over 2 months: 0.025 → 0.03 (half up).
        let p = plan_with(
            RenewalEffect::ThisMonth,
            json!({"renewal_fee_fen": 1000, "term_months": 3}),
        );
        assert_eq!(p.renewal_price(1), 333);
        assert_eq!(p.renewal_price(2), 667);
        let p = plan_with(
            RenewalEffect::ThisMonth,
            json!({"renewal_fee_fen": 5, "term_months": 2}),
        );
        assert_eq!(p.renewal_price(1), 3);
        // A plan without a term is priced as a 1-month term.
        let p = plan_with(
            RenewalEffect::ThisMonth,
            json!({"renewal_fee_fen": 700, "term_months": 0}),
        );
        assert_eq!(p.renewal_price(2), 1400);
    }

    #[test]
    fn a_pool_starts_each_month_empty() {
        let mut pool: Pool = serde_json::from_value(json!({
            "id": "pool1", "name": "P", "account": "ec", "carrier": "cmcc",
            "data_bytes": 100, "used_bytes": 120, "exhausted": true, "cycle": 10,
        }))
        .unwrap();
        assert_eq!(pool.used_in(10), 120);
        assert_eq!(pool.used_in(9), 120, "an older cycle reads the counters");
        assert_eq!(pool.used_in(11), 0, "a later month has used nothing yet");
        pool.roll_to(10);
        assert_eq!((pool.used_bytes, pool.exhausted), (120, true), "same month");
        pool.roll_to(11);
        assert_eq!(
            (pool.cycle, pool.used_bytes, pool.exhausted),
            (11, 0, false)
        );
        pool.used_bytes = 5;
        pool.roll_to(10);
        assert_eq!((pool.cycle, pool.used_bytes), (11, 5), "never back");
    }
}
