//! Per-username token bucket of the REST API (HTTP 429 when empty). The
//! bucket is a transport concern and runs on wall-clock time, not on the
//! simulated clock. Settings come from the fixture's `[dialects.cucc]`:
//! `rate_per_sec` (default 200; 0 turns the limit off) and `burst` (default
//! 400), generous enough that a client following Cisco's guidance of about
//! 5 calls per second never sees a 429.

use std::collections::HashMap;
use std::time::Instant;

use parking_lot::Mutex;

use super::codes::ErrorKind;
use super::ApiError;
use crate::world::World;

/// Default sustained rate per user name (requests per second).
pub const DEFAULT_RATE: f64 = 200.0;
/// Default bucket size.
pub const DEFAULT_BURST: f64 = 400.0;

/// One user's bucket.
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets per user name.
#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// The configured `(rate, burst)`; `None` when the limit is off.
pub fn settings(world: &World) -> Option<(f64, f64)> {
    let fx = world.fixture();
    let cfg = fx.dialects.get("cucc");
    let num = |k: &str| cfg.and_then(|c| c.get(k)).and_then(|v| v.as_f64());
    let rate = num("rate_per_sec").unwrap_or(DEFAULT_RATE);
    let burst = num("burst").unwrap_or(DEFAULT_BURST.max(rate));
    (rate > 0.0).then_some((rate, burst.max(1.0)))
}

impl Limiter {
    /// Takes one token for `user` or answers 429.
    pub fn check(&self, world: &World, user: &str) -> Result<(), ApiError> {
        let Some((rate, burst)) = settings(world) else {
            return Ok(());
        };
        if self.take(user, rate, burst, Instant::now()) {
            Ok(())
        } else {
            Err(ApiError::new(ErrorKind::RateLimited))
        }
    }

    fn take(&self, user: &str, rate: f64, burst: f64, now: Instant) -> bool {
        let mut map = self.buckets.lock();
        let b = match map.get_mut(user) {
            Some(b) => b,
            None => map.entry(user.to_string()).or_insert(Bucket {
                tokens: burst,
                at: now,
            }),
        };
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_at_rate() {
        let l = Limiter::default();
        let t0 = Instant::now();
        assert!(l.take("u", 1.0, 2.0, t0));
        assert!(l.take("u", 1.0, 2.0, t0));
        assert!(!l.take("u", 1.0, 2.0, t0));
        assert!(l.take("other", 1.0, 2.0, t0));
        assert!(l.take("u", 1.0, 2.0, t0 + Duration::from_secs(1)));
        assert!(!l.take("u", 1.0, 2.0, t0 + Duration::from_secs(1)));
    }
}
