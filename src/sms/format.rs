//! Number, money and date formatting as the carriers' real replies print
//! them. Each reply form picks the helpers its samples show: 2-decimal MB
//! (Unicom lists), compound `1G241.21M` / `9GB1023.98MB` (Mobile 2017–18),
//! trailing zeros dropped (`871.4M`, Java `#.##`), 3-decimal GB (Unicom
//! notices), integer `M` (Telecom 2020), KB (Unicom 3G era), 1-decimal yuan
//! (Henan Telecom). Amounts are rounded half up; where a form switches from
//! MB to GB the unit is chosen **after** rounding, so 1023.995 MB prints as
//! 1 GB and never as `1024.00MB`.

use jiff::Timestamp;

use crate::clock::fmt_local;
use crate::domain::money::{GB, KB, MB};

/// `bytes / unit` rounded half up to `decimals` places, as an integer count
/// of 10^-decimals units.
fn scaled(bytes: u64, unit: u64, decimals: u32) -> u128 {
    let f = 10u128.pow(decimals);
    (bytes as u128 * f + unit as u128 / 2) / unit as u128
}

/// An integer count of 10^-decimals units as text (`12345`, 2 → `123.45`).
fn digits(v: u128, decimals: u32) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let f = 10u128.pow(decimals);
    format!("{}.{:0width$}", v / f, v % f, width = decimals as usize)
}

/// Drops trailing zeros and a bare decimal point (Java `#.##`).
pub fn trim_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Bytes in MB with a fixed number of decimals (`804.85`).
pub fn mb(bytes: u64, decimals: u32) -> String {
    digits(scaled(bytes, MB, decimals), decimals)
}

/// Bytes in GB with a fixed number of decimals (`47.552`).
pub fn gb(bytes: u64, decimals: u32) -> String {
    digits(scaled(bytes, GB, decimals), decimals)
}

/// Bytes in whole KB (`1048576`), the Unicom 3G-era unit.
pub fn kb_int(bytes: u64) -> u64 {
    scaled(bytes, KB, 0) as u64
}

/// Bytes in whole MB (`20480`), Telecom's integer `M`.
pub fn mb_int(bytes: u64) -> u64 {
    scaled(bytes, MB, 0) as u64
}

/// Whether `bytes`, rounded to `decimals` places of MB, reaches 1024 MB.
fn reaches_gb(bytes: u64, decimals: u32) -> bool {
    scaled(bytes, MB, decimals) >= 1024 * 10u128.pow(decimals)
}

/// How a form prints a data amount that may be MB or GB.
#[derive(Clone, Copy, Debug)]
pub struct DataStyle {
    /// Decimal places.
    pub decimals: u32,
    /// Drop trailing zeros (`871.4`, `20`).
    pub trim: bool,
    /// Unit labels (`MB`/`GB`, `M`/`G`).
    pub mb: &'static str,
    pub gb: &'static str,
    /// Switch to GB from 1024 MB (after rounding); `false` = MB only.
    pub switch: bool,
    /// Text for exactly zero (`0MB`), when the form prints zero specially.
    pub zero: Option<&'static str>,
}

impl DataStyle {
    /// `x.xxMB`, GB from 1024 MB.
    pub const MB_GB_2: DataStyle = DataStyle {
        decimals: 2,
        trim: false,
        mb: "MB",
        gb: "GB",
        switch: true,
        zero: None,
    };
    /// `x.xxMB` only.
    pub const MB_2: DataStyle = DataStyle {
        switch: false,
        ..DataStyle::MB_GB_2
    };

    /// Renders an amount in this style.
    pub fn show(&self, bytes: u64) -> String {
        if bytes == 0 {
            if let Some(z) = self.zero {
                return z.to_string();
            }
        }
        let (n, unit) = if self.switch && reaches_gb(bytes, self.decimals) {
            (gb(bytes, self.decimals), self.gb)
        } else {
            (mb(bytes, self.decimals), self.mb)
        };
        let n = if self.trim { trim_zeros(&n) } else { n };
        format!("{n}{unit}")
    }
}

/// Compound GB+MB, `1G241.21M` or `9GB1023.98MB` (China Mobile 2017–18):
/// whole GB, then the rest in MB with 2 decimals; no GB part below 1 GB.
pub fn compound(bytes: u64, g: &str, m: &str) -> String {
    let centi = scaled(bytes, MB, 2);
    let per_gb = 1024 * 100;
    let (whole, rest) = (centi / per_gb, centi % per_gb);
    if whole == 0 {
        format!("{}{m}", digits(rest, 2))
    } else {
        format!("{whole}{g}{}{m}", digits(rest, 2))
    }
}

/// Fen as yuan with 2 decimals (`149.36`), sign kept.
pub fn yuan2(fen: i64) -> String {
    crate::domain::money::yuan(fen)
}

/// Fen as yuan with 1 decimal, rounded half up (`64.4`), sign kept.
pub fn yuan1(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let tenths = (fen.unsigned_abs() + 5) / 10;
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

/// Simulated time in Shanghai with a strftime pattern (`%-m月%-d日`).
pub fn at(ts: Timestamp, pattern: &str) -> String {
    fmt_local(ts, pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of an amount given in MB with decimals, as the samples print
    /// them (nearest byte).
    fn mbs(v: f64) -> u64 {
        (v * MB as f64).round() as u64
    }

    /// The first whole byte at or above 1023.995 MB.
    fn just_under_a_gb() -> u64 {
        (1023.995 * MB as f64).ceil() as u64
    }

    #[test]
    fn unit_is_chosen_after_rounding() {
        let s = DataStyle::MB_GB_2;
        assert_eq!(s.show(just_under_a_gb()), "1.00GB");
        assert_eq!(s.show(mbs(1023.994)), "1023.99MB");
        assert_eq!(s.show(mbs(2.66 * 1024.0)), "2.66GB");
        assert_eq!(s.show(0), "0.00MB");
        let zero = DataStyle {
            zero: Some("0MB"),
            ..s
        };
        assert_eq!(zero.show(0), "0MB");
    }

    #[test]
    fn compound_and_trimmed_forms() {
        assert_eq!(compound(mbs(1024.0 + 241.21), "G", "M"), "1G241.21M");
        assert_eq!(compound(mbs(386.52), "G", "M"), "386.52M");
        assert_eq!(
            compound(mbs(9.0 * 1024.0 + 1023.98), "GB", "MB"),
            "9GB1023.98MB"
        );
        // 1023.995 MB rounds to a whole GB: never "0G1024.00M".
        assert_eq!(compound(just_under_a_gb(), "G", "M"), "1G0.00M");
        let t = DataStyle {
            trim: true,
            mb: "M",
            gb: "G",
            switch: false,
            ..DataStyle::MB_GB_2
        };
        assert_eq!(t.show(mbs(871.40)), "871.4M");
        assert_eq!(t.show(mbs(20.0)), "20M");
        assert_eq!(trim_zeros("100"), "100");
    }

    #[test]
    fn kb_gb_and_money() {
        assert_eq!(kb_int(GB), 1_048_576);
        assert_eq!(gb(mbs(47.552 * 1024.0), 3), "47.552");
        assert_eq!(mb_int(20 * GB), 20480);
        assert_eq!(yuan1(6440), "64.4");
        assert_eq!(yuan1(6445), "64.5");
        assert_eq!(yuan1(-120), "-1.2");
        assert_eq!(yuan2(14936), "149.36");
    }
}
