//! The simulated clock and the calendar (Asia/Shanghai, UTC+08:00 all year,
//! cycles from the 1st of each month). The clock is frozen by default; it can
//! jump forward or run at N× speed. This is the only place that reads the
//! wall clock, and only to measure elapsed time in the speed mode.

use std::time::Instant;

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;

/// Asia/Shanghai has had no DST since 1991: a fixed +08:00 offset.
pub fn shanghai() -> TimeZone {
    TimeZone::fixed(Offset::constant(8))
}

/// Local civil time in Shanghai.
pub fn local(ts: Timestamp) -> DateTime {
    Offset::constant(8).to_datetime(ts)
}

/// Instant of a Shanghai civil time.
pub fn from_local(dt: DateTime) -> Timestamp {
    Offset::constant(8).to_timestamp(dt).expect("in range")
}

const SHANGHAI_OFFSET: i64 = 8 * 3600;

/// The calendar the simulator serves: Shanghai years 1970 to 2199. Every
/// time that enters from outside (admin plane, fixtures, dialect parameters)
/// is checked against it, so the calendar arithmetic inside (a month added to
/// an expiry, a term added to an activation) never leaves the range jiff
/// can represent.
pub const FIRST_YEAR: i16 = 1970;
/// See [`FIRST_YEAR`].
pub const LAST_YEAR: i16 = 2199;
/// The longest single clock move, `advance` or `set` alike: a move walks
/// every card through every hour, so a millennium would hold the world for
/// minutes.
pub const MAX_JUMP_SECS: i64 = 100 * 366 * 86_400;

/// Whether an instant lies in the simulator's calendar.
pub fn in_calendar(ts: Timestamp) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&local(ts).year())
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian;
/// Howard Hinnant's `civil_from_days`). The engine calls the cycle helpers
/// for every card at every step, so they avoid the general calendar code.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a civil date (Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Cycle number of an instant: year*12 + (month-1) in Shanghai time.
pub fn cycle_of(ts: Timestamp) -> i32 {
    let days = (ts.as_second() + SHANGHAI_OFFSET).div_euclid(86_400);
    let (y, m, _) = civil_from_days(days);
    (y * 12 + m - 1) as i32
}

/// The first instant of a cycle (the 1st, 00:00 Shanghai).
pub fn cycle_start(cycle: i32) -> Timestamp {
    let (y, m) = (
        i64::from(cycle.div_euclid(12)),
        i64::from(cycle.rem_euclid(12)) + 1,
    );
    Timestamp::from_second(days_from_civil(y, m, 1) * 86_400 - SHANGHAI_OFFSET).expect("in range")
}

/// `yyyyMM` label of a cycle.
pub fn cycle_label(cycle: i32) -> String {
    format!("{:04}{:02}", cycle.div_euclid(12), cycle.rem_euclid(12) + 1)
}

/// Adds calendar months in Shanghai time (day clamped to the month's end).
pub fn add_months(ts: Timestamp, months: i32) -> Timestamp {
    let d = local(ts);
    let total = d.year() as i32 * 12 + (d.month() as i32 - 1) + months;
    let year = total.div_euclid(12) as i16;
    let month = (total.rem_euclid(12) + 1) as i8;
    let first = Date::new(year, month, 1).expect("valid");
    let day = d.day().min(first.days_in_month());
    from_local(DateTime::new(year, month, day, d.hour(), d.minute(), d.second(), 0).expect("valid"))
}

/// Day number (days since 1970-01-01 in Shanghai time).
pub fn day_number(ts: Timestamp) -> i32 {
    (ts.as_second() + 8 * 3600).div_euclid(86_400) as i32
}

/// The Shanghai date of a day number.
pub fn day_date(day: i32) -> Date {
    local(Timestamp::from_second(day as i64 * 86_400 - 8 * 3600).expect("in range")).date()
}

/// RFC 3339 with the +08:00 offset, e.g. `2026-11-24T10:00:00+08:00`.
pub fn rfc3339(ts: Timestamp) -> String {
    local(ts).strftime("%Y-%m-%dT%H:%M:%S+08:00").to_string()
}

/// Formats Shanghai time with a strftime pattern.
pub fn fmt_local(ts: Timestamp, pattern: &str) -> String {
    local(ts).strftime(pattern).to_string()
}

/// Parses an instant: RFC 3339 with offset, or a Shanghai civil time
/// (`2027-01-01T00:00:00`, `2027-01-01 00:00:00`, `2027-01-01`).
/// Times outside the simulator's calendar ([`in_calendar`]) are `None`.
pub fn parse_time(text: &str) -> Option<Timestamp> {
    parse_any_time(text.trim()).filter(|ts| in_calendar(*ts))
}

fn parse_any_time(t: &str) -> Option<Timestamp> {
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Some(ts);
    }
    let civil = |dt: DateTime| Offset::constant(8).to_timestamp(dt).ok();
    if let Ok(dt) = t.replace(' ', "T").parse::<DateTime>() {
        return civil(dt);
    }
    if let Ok(d) = t.parse::<Date>() {
        return civil(d.to_datetime(jiff::civil::Time::midnight()));
    }
    None
}

/// Parses a duration: jiff's friendly format (`40d`, `1h30m`, `90 min`,
/// `1w 2d`, `500ms`) or ISO 8601 (`P1DT12H`). The one duration syntax of the
/// clock, faults, traces and settings (`docs/fixtures.md` "Durations"); a
/// day and a week are 24 h and 7 × 24 h, months and years are refused (they
/// have no fixed length).
pub fn parse_duration(text: &str) -> Result<SignedDuration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let hint = "e.g. 90s, 15m, 1h30m, 2d, 1w or P1DT12H";
    let span: jiff::Span = t
        .parse()
        .map_err(|e| format!("bad duration '{t}' ({hint}): {e}"))?;
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| {
            format!("duration '{t}' has no fixed length: use days or weeks, not months or years")
        })?;
    if d.is_negative() {
        return Err("duration must not be negative".into());
    }
    if d.as_secs() > MAX_JUMP_SECS {
        return Err(format!("duration '{t}' is too large (over 100 years)"));
    }
    Ok(d)
}

/// A wall-clock span (timeouts, windows, TTLs) in the one duration syntax
/// of [`parse_duration`].
pub fn parse_wall_duration(text: &str) -> Result<std::time::Duration, String> {
    let d = parse_duration(text)?;
    std::time::Duration::try_from(d).map_err(|e| format!("bad duration '{}': {e}", text.trim()))
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    Frozen,
    Running {
        speed: f64,
        wall: Instant,
        sim: Timestamp,
    },
}

/// The simulated clock. `now()` never goes backwards.
#[derive(Debug)]
pub struct Clock {
    inner: Mutex<(Timestamp, Mode)>,
}

impl Clock {
    pub fn new(start: Timestamp) -> Self {
        Clock {
            inner: Mutex::new((start, Mode::Frozen)),
        }
    }

    /// The current simulated time (for the running mode: as of this call).
    pub fn reading(&self) -> Timestamp {
        let g = self.inner.lock();
        match g.1 {
            Mode::Frozen => g.0,
            Mode::Running { speed, wall, sim } => {
                let elapsed = wall.elapsed().as_secs_f64() * speed;
                let ts = sim
                    .checked_add(SignedDuration::from_secs_f64(elapsed.min(1e12)))
                    .unwrap_or(sim);
                ts.max(g.0)
            }
        }
    }

    /// Sets the base reading (used when the world has caught up to `ts`).
    pub fn set_base(&self, ts: Timestamp) {
        let mut g = self.inner.lock();
        if ts > g.0 {
            g.0 = ts;
        }
        if let Mode::Running { speed, .. } = g.1 {
            g.1 = Mode::Running {
                speed,
                wall: Instant::now(),
                sim: g.0,
            };
        }
    }

    /// Sets the reading, even backwards (world reset / snapshot load only).
    pub fn reset_to(&self, ts: Timestamp) {
        let mut g = self.inner.lock();
        g.0 = ts;
        if let Mode::Running { speed, .. } = g.1 {
            g.1 = Mode::Running {
                speed,
                wall: Instant::now(),
                sim: ts,
            };
        }
    }

    pub fn freeze(&self) {
        let now = self.reading();
        let mut g = self.inner.lock();
        g.0 = now;
        g.1 = Mode::Frozen;
    }

    /// Runs at `speed`× real time from the current reading.
    pub fn run(&self, speed: f64) {
        let now = self.reading();
        let mut g = self.inner.lock();
        g.0 = now;
        g.1 = Mode::Running {
            speed,
            wall: Instant::now(),
            sim: now,
        };
    }

    /// `None` when frozen, else the speed factor.
    pub fn speed(&self) -> Option<f64> {
        match self.inner.lock().1 {
            Mode::Frozen => None,
            Mode::Running { speed, .. } => Some(speed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_in_shanghai() {
        let ts: Timestamp = "2026-11-30T16:00:00Z".parse().unwrap(); // Dec 1 00:00 +08
        assert_eq!(cycle_label(cycle_of(ts)), "202612");
        assert_eq!(cycle_start(cycle_of(ts)), ts);
        assert_eq!(rfc3339(ts), "2026-12-01T00:00:00+08:00");
        let jan31 = parse_time("2027-01-31T10:00:00+08:00").unwrap();
        assert_eq!(rfc3339(add_months(jan31, 1)), "2027-02-28T10:00:00+08:00");
        assert_eq!(day_date(day_number(ts)).to_string(), "2026-12-01");
    }

    #[test]
    fn fast_cycle_helpers_agree_with_the_calendar() {
        let mut ts: Timestamp = "1999-12-31T15:59:59Z".parse().unwrap();
        for _ in 0..2000 {
            let d = local(ts);
            assert_eq!(
                cycle_of(ts),
                d.year() as i32 * 12 + d.month() as i32 - 1,
                "{ts}"
            );
            let c = cycle_of(ts);
            let start = from_local(
                DateTime::new((c / 12) as i16, (c % 12 + 1) as i8, 1, 0, 0, 0, 0).unwrap(),
            );
            assert_eq!(cycle_start(c), start);
            ts = ts
                .checked_add(SignedDuration::from_secs(86_400 * 17 + 3_601))
                .unwrap();
        }
    }

    #[test]
    fn times_outside_the_calendar_are_refused() {
        for t in [
            "9999-12-31T23:59:59+08:00",
            "-009999-01-01",
            "9999-12-31T23:00:00",
            "2200-01-01T00:00:00+08:00",
            "1969-12-31",
        ] {
            assert_eq!(parse_time(t), None, "{t}");
        }
        assert!(parse_time("2199-12-31T23:59:59+08:00").is_some());
        assert!(parse_time("1970-01-01").is_some());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("40d").unwrap().as_secs(), 40 * 86_400);
        assert_eq!(parse_duration("1d12h").unwrap().as_secs(), 36 * 3600);
        assert!(parse_duration("-1d").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("1mo").is_err());
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("1h 30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("90 minutes").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("1w").unwrap().as_secs(), 7 * 86_400);
        assert_eq!(parse_duration("P1DT12H").unwrap().as_secs(), 36 * 3600);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert!(parse_duration("101y").is_err());
        assert!(parse_duration("40000d").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
