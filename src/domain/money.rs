//! Money and data units. The domain keeps fen and bytes as integers; these
//! helpers are the only place that turns them into yuan, KB or MB text.

/// Money in fen (1 yuan = 100 fen).
pub type Fen = i64;

pub const KB: u64 = 1024;

/// The largest single amount accepted at any boundary (a top-up, the
/// operator's adjustment): 10 billion yuan. Beyond it the request is
/// refused, never saturated or wrapped.
pub const MAX_AMOUNT_FEN: Fen = 1_000_000_000_000;
/// The largest balance, either sign: 1 trillion yuan. With amounts and
/// balances bounded, a ledger of millions of entries still sums in an i64.
pub const MAX_BALANCE_FEN: Fen = 100_000_000_000_000;
/// The largest data amount in one use, one counter setting or one
/// threshold: 1 PiB (2^50 bytes).
pub const MAX_DATA_BYTES: u64 = 1 << 50;
pub const MB: u64 = 1024 * 1024;
pub const GB: u64 = 1024 * 1024 * 1024;

/// `1234` fen → `"12.34"`; negative amounts keep their sign.
pub fn yuan(fen: Fen) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Bytes → MB with two decimals, rounded half up (`"356.20"`).
pub fn mb_2dp(bytes: u64) -> String {
    let hundredths = (bytes as u128 * 100 + (MB as u128 / 2)) / MB as u128;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Bytes → GB with two decimals (`"1.00"`).
pub fn gb_2dp(bytes: u64) -> String {
    let hundredths = (bytes as u128 * 100 + (GB as u128 / 2)) / GB as u128;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Bytes → KB with two decimals (`"1024.00"`), the CMCC rendering.
pub fn kb_2dp(bytes: u64) -> String {
    let hundredths = (bytes as u128 * 100 + (KB as u128 / 2)) / KB as u128;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

/// Human rendering used by the service-number replies: MB with 2 decimals,
/// switching to GB from 1024.00 MB. The unit is chosen after rounding, so
/// 1023.995 MB prints `1.00GB`, never `1024.00MB`.
pub fn human_data(bytes: u64) -> String {
    let hundredths_of_mb = (bytes as u128 * 100 + (MB as u128 / 2)) / MB as u128;
    if hundredths_of_mb >= 1024 * 100 {
        format!("{}GB", gb_2dp(bytes))
    } else {
        format!("{}MB", mb_2dp(bytes))
    }
}

/// Parses sizes such as `1024`, `"500MB"`, `"1.5GB"`, `"20KB"`, `"3B"` into bytes.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let upper = t.to_ascii_uppercase();
    let (num, mult) = if let Some(n) = upper.strip_suffix("GB") {
        (n, GB)
    } else if let Some(n) = upper.strip_suffix("MB") {
        (n, MB)
    } else if let Some(n) = upper.strip_suffix("KB") {
        (n, KB)
    } else if let Some(n) = upper.strip_suffix('B') {
        (n, 1)
    } else {
        (upper.as_str(), 1)
    };
    let num = num.trim();
    if num.is_empty() {
        return None;
    }
    if let Ok(v) = num.parse::<u64>() {
        return v.checked_mul(mult);
    }
    let f: f64 = num.parse().ok()?;
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    let v = f * mult as f64;
    (v <= u64::MAX as f64).then_some(v.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_units_like_the_carriers() {
        assert_eq!(yuan(1234), "12.34");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(mb_2dp(356 * MB + MB / 5), "356.20");
        assert_eq!(human_data(GB), "1.00GB");
        assert_eq!(human_data(667 * MB + 8 * MB / 10), "667.80MB");
        assert_eq!(kb_2dp(1024 * 1024), "1024.00");
        // 1023.995 MB rounds to 1024.00 MB: that is 1.00 GB.
        let just_under = GB - MB / 200;
        assert_eq!(human_data(just_under), "1.00GB");
        assert_eq!(human_data(GB - MB / 100), "1023.99MB");
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(parse_bytes("500MB"), Some(500 * MB));
        assert_eq!(parse_bytes("1.5GB"), Some(GB + GB / 2));
        assert_eq!(parse_bytes("42"), Some(42));
        assert_eq!(parse_bytes("x"), None);
        assert_eq!(parse_bytes("-1MB"), None);
    }

    #[test]
    fn renders_at_the_rounding_edges() {
        // Half up to two decimals: 0.005 MB is 0.01, just below it 0.00.
        assert_eq!(mb_2dp(0), "0.00");
        assert_eq!(mb_2dp(MB / 200), "0.00"); // 0.00499… MB
        assert_eq!(mb_2dp(MB / 200 + 1), "0.01");
        assert_eq!(mb_2dp(MB), "1.00");
        assert_eq!(gb_2dp(GB / 2), "0.50");
        assert_eq!(gb_2dp(GB * 3 + GB / 4), "3.25");
        assert_eq!(kb_2dp(1536), "1.50");
        assert_eq!(kb_2dp(5), "0.00"); // 0.0049 KB
        assert_eq!(kb_2dp(6), "0.01"); // 0.0059 KB
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(100), "1.00");
        assert_eq!(yuan(-12_345), "-123.45");
        assert_eq!(human_data(0), "0.00MB");
        assert_eq!(human_data(1024 * MB), "1.00GB");
        assert_eq!(human_data(1536 * MB), "1.50GB");
    }

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_bytes("2GB"), Some(2 * GB));
        assert_eq!(parse_bytes("2gb"), Some(2 * GB));
        assert_eq!(parse_bytes(" 3 MB "), Some(3 * MB));
        assert_eq!(parse_bytes("20KB"), Some(20 * KB));
        assert_eq!(parse_bytes("3B"), Some(3));
        assert_eq!(parse_bytes("0.5KB"), Some(512));
        assert_eq!(parse_bytes("1.5"), Some(2), "1.5 bytes rounds");
        assert_eq!(parse_bytes("MB"), None);
        assert_eq!(parse_bytes(""), None);
        assert_eq!(parse_bytes("-0.5MB"), None);
        assert_eq!(parse_bytes("NaN"), None);
        assert_eq!(parse_bytes("inf"), None);
        // Beyond u64: refused, never wrapped or saturated.
        assert_eq!(parse_bytes("18446744073709551615GB"), None);
        assert_eq!(parse_bytes("1e30GB"), None);
        assert_eq!(parse_bytes("18446744073709551615"), Some(u64::MAX));
    }
}
